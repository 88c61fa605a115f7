"""Small makers of test files (PDF, DOCX, HTML, text), for any test that needs real files.

Every maker writes into the path it is given (use pytest's ``tmp_path``) and returns that path.
"""
from __future__ import annotations

from pathlib import Path


def make_pdf(path: Path, pages: list[str], *, title: str = "", author: str = "") -> Path:
    """A PDF with one page per string ("" makes a blank page). Core font: latin-1 text only."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.set_xy(15, 20)
            pdf.multi_cell(180, 7, text)
    pdf.output(str(path))
    return Path(path)


def make_drawing_pdf(path: Path, n_pages: int = 1) -> Path:
    """A PDF whose pages hold only a drawn rectangle: no text layer at all (like a scan)."""
    from fpdf import FPDF

    pdf = FPDF()
    for _ in range(n_pages):
        pdf.add_page()
        pdf.rect(20, 20, 100, 60, style="F")
    pdf.output(str(path))
    return Path(path)


def make_docx(path: Path, *, title: str = "", author: str = "",
              heading: str = "", paragraphs: list[str] = (),
              bullets: list[str] = (), table: list[list[str]] | None = None) -> Path:
    """A .docx: an optional level-1 heading, paragraphs, bullet items, then an optional table."""
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
    if author:
        document.core_properties.author = author
    if heading:
        document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    for text in bullets:
        document.add_paragraph(text, style="List Bullet")
    if table:
        grid = document.add_table(rows=len(table), cols=max(len(r) for r in table))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    document.save(str(path))
    return Path(path)


def make_html(path: Path, body: str, *, title: str = "", charset: str = "utf-8",
              head_extra: str = "") -> Path:
    """An HTML page with a <meta charset>, encoded in that charset."""
    title_tag = f"<title>{title}</title>" if title else ""
    page = (f'<!DOCTYPE html>\n<html><head><meta charset="{charset}">{title_tag}{head_extra}'
            f"</head>\n<body>\n{body}\n</body></html>\n")
    Path(path).write_bytes(page.encode(charset))
    return Path(path)


def make_text(path: Path, content: str | bytes, *, encoding: str = "utf-8") -> Path:
    """A text file: bytes are written as given, a str is encoded with ``encoding``."""
    data = content if isinstance(content, bytes) else content.encode(encoding)
    Path(path).write_bytes(data)
    return Path(path)
