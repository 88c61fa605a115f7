"""File loaders: one function per format, all behind one signature.

    load(path, *, max_bytes, source=None) -> RawDocument

``load`` dispatches on the file's suffix (case-insensitive) to ``load_text``, ``load_pdf``,
``load_html`` or ``load_docx``, which share that signature and may be called directly. Every
loader first runs the same guards (missing, folder, unreadable, empty, too large) and raises
:class:`~ingest.errors.IngestError` with a message that says what is wrong and what to do.

The text a loader returns is faithful to the file: no cleaning beyond rendering the format to
plain text (a separate module cleans it). Pages, where the format knows them, are
``(page_number, start, end)`` ranges of that text, 1-based, half-open.
"""
from __future__ import annotations

import io
import logging
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from .errors import IngestError
from .types import RawDocument

SUPPORTED = {".txt", ".md", ".markdown", ".pdf", ".html", ".htm", ".docx"}

PAGE_SEPARATOR = "\n\n"          # between PDF pages, and what a form feed becomes in text
MIN_PAGE_CHARS = 20              # a PDF page with fewer non-blank characters has no text layer

_READS = ".pdf, .txt, .md, .html, .docx"
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".gif", ".bmp", ".webp", ".heic",
                   ".heif"}
_OTHER_DOC_SUFFIXES = {".rtf", ".odt", ".pages", ".wpd"}

Loader = Callable[..., RawDocument]


# --- dispatch --------------------------------------------------------------------------------

def load(path: Path, *, max_bytes: int, source: str | None = None) -> RawDocument:
    """Read one file into a :class:`RawDocument`, choosing the loader by its suffix."""
    path = Path(path)
    source = str(path) if source is None else source
    _check_exists(path, source)
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise IngestError(source, _unsupported_message(path.suffix))
    return loader(path, max_bytes=max_bytes, source=source)


def _unsupported_message(suffix: str) -> str:
    low = suffix.lower()
    if not suffix:
        head = "unsupported file type (the name has no extension)"
    else:
        head = f"unsupported file type '{suffix}'"
    if low == ".doc":
        return (f"{head}; old Word .doc files cannot be read: open it in Word or LibreOffice "
                "and save it as .docx (or export it to PDF), then add that")
    if low in _IMAGE_SUFFIXES:
        return (f"{head}; this is an image, so its text cannot be read: OCR it into a "
                "searchable PDF first (e.g. with your scanner software, or "
                "`img2pdf in.png -o scan.pdf && ocrmypdf scan.pdf out.pdf`), then add the PDF")
    if low in _OTHER_DOC_SUFFIXES:
        return f"{head}; save it as .docx or PDF and add that. Casefile reads {_READS}"
    return f"{head}; Casefile reads {_READS}"


# --- guards shared by every loader -----------------------------------------------------------

def _check_exists(path: Path, source: str) -> None:
    try:
        if path.is_dir():
            raise IngestError(source, "is a folder, not a file; add the files inside it instead")
        if not path.exists():
            raise IngestError(source, "file not found; check the path and the file name")
    except PermissionError:
        raise IngestError(source, "cannot be read (permission denied); check its permissions "
                                  "and those of the folders above it") from None


def _unreadable(source: str, err: OSError) -> IngestError:
    """The message for a file the operating system will not let us read."""
    if isinstance(err, PermissionError):
        return IngestError(source, "cannot be read (permission denied); check its permissions")
    if isinstance(err, IsADirectoryError):
        return IngestError(source, "is a folder, not a file; add the files inside it instead")
    return IngestError(source, f"cannot be read ({err.strerror or err}); check the file")


def _read_checked(path: Path, source: str, max_bytes: int) -> bytes:
    """All the guards, then the file's bytes."""
    _check_exists(path, source)
    try:
        size = path.stat().st_size
    except OSError as err:
        raise _unreadable(source, err) from None
    if size == 0:
        raise IngestError(source, "is empty (0 bytes); re-export or re-download it")
    if size > max_bytes:
        raise IngestError(source, f"is {_mb(size)}, over the limit of {_mb(max_bytes)} "
                                  "(set CASEFILE_MAX_FILE_MB to raise it)")
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as err:
        raise _unreadable(source, err) from None
    if not data:
        raise IngestError(source, "is empty (0 bytes); re-export or re-download it")
    if len(data) > max_bytes:  # grew since stat()
        raise IngestError(source, f"is over the limit of {_mb(max_bytes)} "
                                  "(set CASEFILE_MAX_FILE_MB to raise it)")
    return data


def _mb(n: int) -> str:
    mb = n / (1024 * 1024)
    if mb >= 0.1:
        return f"{mb:.1f} MB"
    return f"{mb:.4f} MB" if mb >= 0.0001 else f"{n} bytes"


def _finish(source: str, doc: RawDocument) -> RawDocument:
    if not doc.text.strip():
        raise IngestError(source, "has no text (only blank space); check that it is the right "
                                  "file")
    return doc


# --- text ------------------------------------------------------------------------------------

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig", "UTF-8"),
    (b"\xff\xfe\x00\x00", "utf-32", "UTF-32"),
    (b"\x00\x00\xfe\xff", "utf-32", "UTF-32"),
    (b"\xff\xfe", "utf-16", "UTF-16"),
    (b"\xfe\xff", "utf-16", "UTF-16"),
)

_MAGIC = (
    (b"%PDF-", "a PDF; rename it to .pdf"),
    (b"PK\x03\x04", "a zip archive (a .docx is one); rename it to .docx if it is one"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.doc); save it as .docx"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
)

_ALLOWED_CONTROLS = set("\t\n\r\f\v")
_MAX_CONTROL_SHARE = 0.05


def _binary_message(data: bytes) -> str:
    msg = "looks like a binary file, not text; check the file or give it its real extension"
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return f"{msg} (it looks like {what})"
    return msg


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    if not sample:
        return False
    # C0 controls and DEL only: C1 (U+0080-U+009F) is what a latin-1 fallback makes of stray
    # Windows bytes, which is text, not binary
    controls = sum(1 for ch in sample
                   if (ch < " " or ch == "\x7f") and ch not in _ALLOWED_CONTROLS)
    return controls / len(sample) > _MAX_CONTROL_SHARE


def _decode(data: bytes, source: str, declared: str | None = None) -> tuple[str, str, list[str]]:
    """Bytes -> (text, encoding name, warnings).

    A byte-order mark wins; then a declared charset (HTML); then UTF-8, cp1252, latin-1.
    Refuses binary content (NUL bytes in the first 8 KB, or many control characters).
    """
    warnings: list[str] = []
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                text = data.decode(codec, errors="replace")
                warnings.append(f"some bytes are not valid {name} and were replaced by "
                                "'\ufffd'; check the file's encoding")
            if codec == "utf-8-sig" and b"\x00" in data[:8000]:
                raise IngestError(source, _binary_message(data))
            if _looks_binary(text):
                raise IngestError(source, _binary_message(data))
            return text, name, warnings

    if b"\x00" in data[:8000]:
        raise IngestError(source, _binary_message(data))

    text: str | None = None
    name = ""
    if declared:
        codec = declared.strip().lower()
        # as browsers do (WHATWG): a latin-1 or ASCII label means windows-1252
        if codec in {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii",
                     "l1", "cp819", "ibm819"}:
            codec = "cp1252"
        try:
            text = data.decode(codec)
            name = declared.strip()
        except LookupError:
            warnings.append(f"declares an unknown charset '{declared}'; guessed the encoding "
                            "instead")
        except UnicodeDecodeError:
            warnings.append(f"is not valid '{declared}' as it declares; guessed the encoding "
                            "instead")
    if text is None:
        try:
            text, name = data.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            try:
                text, name = data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError:
                text, name = data.decode("latin-1"), "latin-1"
            warnings.append(f"is not UTF-8; read it as {name} (Windows/Western European "
                            "text); if characters look wrong, save it as UTF-8 and add it again"
                            if name == "cp1252" else
                            f"is not UTF-8; read it as {name}; if characters look wrong, save "
                            "it as UTF-8 and add it again")
    if _looks_binary(text):
        raise IngestError(source, _binary_message(data))
    return text, name, warnings


def load_text(path: Path, *, max_bytes: int, source: str | None = None) -> RawDocument:
    """.txt / .md: decoded as-is. Form feeds (``\\f``) split pages and become ``"\\n\\n"``."""
    path = Path(path)
    source = str(path) if source is None else source
    data = _read_checked(path, source, max_bytes)
    text, encoding, warnings = _decode(data, source)
    fmt = "md" if path.suffix.lower() in {".md", ".markdown"} else "txt"
    pages: list[tuple[int, int, int]] = []
    if "\f" in text:
        text, pages = _split_form_feeds(text)
    return _finish(source, RawDocument(source=source, text=text, fmt=fmt, pages=pages,
                                       meta={"encoding": encoding}, warnings=warnings))


def _split_form_feeds(text: str) -> tuple[str, list[tuple[int, int, int]]]:
    parts = text.split("\f")
    # a form feed that ends the file (as most page-oriented exports write) opens no new page
    if len(parts) > 1 and not parts[-1].strip():
        tail = parts.pop()
        parts[-1] += tail
    return join_pages(parts)


def join_pages(texts: list[str]) -> tuple[str, list[tuple[int, int, int]]]:
    """Pages' texts joined by ``PAGE_SEPARATOR``, with each page's (number, start, end)."""
    out: list[str] = []
    pages: list[tuple[int, int, int]] = []
    pos = 0
    for number, part in enumerate(texts, start=1):
        if number > 1:
            out.append(PAGE_SEPARATOR)
            pos += len(PAGE_SEPARATOR)
        out.append(part)
        pages.append((number, pos, pos + len(part)))
        pos += len(part)
    return "".join(out), pages


# --- PDF -------------------------------------------------------------------------------------

@contextmanager
def _quiet_pypdf() -> Iterator[list[str]]:
    """Keep pypdf's log noise off the console for the duration; collect it instead."""
    logger = logging.getLogger("pypdf")
    messages: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            try:
                messages.append(record.getMessage())
            except Exception:  # noqa: BLE001 - a log record must never break loading
                pass

    handler = _Collect(level=logging.DEBUG)
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate


def _err_text(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _not_a_pdf(source: str, data: bytes, detail: str, log: list[str] = ()) -> IngestError:
    notes = [m.strip() for m in dict.fromkeys(log) if m.strip() and m.strip() not in detail]
    if notes:  # pypdf's own warnings, e.g. "EOF marker not found" for a truncated file
        detail = "; ".join([detail, *(n if len(n) <= 120 else n[:117] + "..." for n in notes[:2])])
    head = data[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        detail = f"{detail}; it is really a web page saved with a .pdf name"
    elif b"%PDF" not in data[:1024]:
        detail = f"{detail}; it has no PDF header"
    return IngestError(source, f"could not be read as a PDF ({detail}): it may be damaged; "
                               "re-export or re-download it")


def load_pdf(path: Path, *, max_bytes: int, source: str | None = None) -> RawDocument:
    """PDF via pypdf: pages joined by ``"\\n\\n"``, each page's range in ``pages``."""
    path = Path(path)
    source = str(path) if source is None else source
    data = _read_checked(path, source, max_bytes)

    import pypdf
    from pypdf.errors import DependencyError, FileNotDecryptedError

    with _quiet_pypdf() as log:
        try:
            reader = pypdf.PdfReader(io.BytesIO(data))
        except Exception as err:  # noqa: BLE001 - any parser failure means a bad file
            raise _not_a_pdf(source, data, _err_text(err), log) from None

        try:
            encrypted = reader.is_encrypted
        except Exception as err:  # noqa: BLE001
            raise _not_a_pdf(source, data, _err_text(err), log) from None
        if encrypted:
            try:
                opened = reader.decrypt("")
            except DependencyError as err:
                raise IngestError(source, f"is encrypted in a way that needs an extra package "
                                          f"({_err_text(err)}): run `pip install cryptography`, "
                                          "or save an unencrypted copy and add that") from None
            except Exception as err:  # noqa: BLE001
                raise _not_a_pdf(source, data, _err_text(err), log) from None
            if not opened:
                raise IngestError(source, "is password-protected: open it with its password, "
                                          "save an unprotected copy (e.g. print to PDF), and "
                                          "add that")

        try:
            page_list = list(reader.pages)
        except FileNotDecryptedError:
            raise IngestError(source, "is password-protected: open it with its password, save "
                                      "an unprotected copy (e.g. print to PDF), and add "
                                      "that") from None
        except Exception as err:  # noqa: BLE001
            raise _not_a_pdf(source, data, _err_text(err), log) from None
        if not page_list:
            raise _not_a_pdf(source, data, "it has no pages", log)

        texts: list[str] = []
        failed: list[int] = []
        first_failure = ""
        for number, page in enumerate(page_list, start=1):
            try:
                texts.append(page.extract_text() or "")
            except Exception as err:  # noqa: BLE001 - one bad page should not sink the rest
                texts.append("")
                failed.append(number)
                first_failure = first_failure or _err_text(err)
        meta = _pdf_meta(reader)
    meta["page_count"] = len(page_list)

    if len(failed) == len(page_list):
        raise _not_a_pdf(source, data, first_failure or "no page could be read", log)

    empty = [n for n, t in enumerate(texts, start=1)
             if len("".join(t.split())) < MIN_PAGE_CHARS and n not in failed]
    if len(empty) + len(failed) == len(page_list):
        raise IngestError(source, "has no text layer (its pages are scanned images), so there "
                                  "is nothing to quote: OCR it first, e.g. "
                                  "`ocrmypdf in.pdf out.pdf`, and add the OCRed copy")

    warnings: list[str] = []
    if failed:
        warnings.append(f"{_pages_phrase(failed)} could not be read ({first_failure}) and "
                        "{0} left out; re-export the PDF if {0} matter"
                        .format("is" if len(failed) == 1 else "are"))
    if empty:
        warnings.append(f"{_pages_phrase(empty)} {'has' if len(empty) == 1 else 'have'} no "
                        "text layer (blank or scanned); if they hold text, OCR the PDF "
                        "(`ocrmypdf in.pdf out.pdf`) and add it again")

    text, pages = join_pages(texts)
    return _finish(source, RawDocument(source=source, text=text, fmt="pdf",
                                       pages=pages, meta=meta, warnings=warnings))


def _pages_phrase(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"page {numbers[0]}"
    shown = ", ".join(str(n) for n in numbers[:20])
    more = f" and {len(numbers) - 20} more" if len(numbers) > 20 else ""
    return f"pages {shown}{more}"


def _pdf_meta(reader) -> dict:
    meta: dict = {}
    try:
        info = reader.metadata
    except Exception:  # noqa: BLE001 - metadata is optional
        return meta
    if not info:
        return meta
    for key, attr in (("title", "title"), ("author", "author")):
        try:
            value = getattr(info, attr)
        except Exception:  # noqa: BLE001
            continue
        if value and str(value).strip():
            meta[key] = str(value).strip()
    try:
        created = info.creation_date
    except Exception:  # noqa: BLE001 - malformed dates are common
        created = None
    if created is not None:
        meta["created"] = created.isoformat()
    return meta


# --- HTML ------------------------------------------------------------------------------------

_DROP_TAGS = ("script", "style", "nav", "header", "footer", "aside", "noscript", "template",
              "head")
_BLOCK_TAGS = {"p", "div", "br", "blockquote", "section", "article", "main", "ul", "ol", "dl",
               "dt", "dd", "pre", "hr", "table", "thead", "tbody", "tfoot", "caption",
               "figure", "figcaption", "address", "form", "fieldset", "center", "details",
               "summary", "body", "html"}
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.IGNORECASE)


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", "replace") if match else None


# <meta name|property=...> -> our key (first one found wins)
_HTML_META_KEYS = {
    "og:site_name": "site_name", "application-name": "site_name",
    "author": "author", "article:author": "author", "dc.creator": "author",
    "article:published_time": "date", "date": "date", "dc.date": "date",
    "citation_date": "date", "citation_publication_date": "date", "pubdate": "date",
    "description": "description", "og:description": "description",
}


def _html_head_meta(soup) -> dict:
    found: dict = {}
    for tag in soup.find_all("meta"):
        key = (tag.get("property") or tag.get("name") or "").strip().lower()
        ours = _HTML_META_KEYS.get(key)
        value = _HTML_SPACE.sub(" ", str(tag.get("content") or "")).strip()
        if ours and value and ours not in found:
            found[ours] = value
    if "date" not in found:
        time_tag = soup.find("time", attrs={"datetime": True})
        if time_tag and str(time_tag["datetime"]).strip():
            found["date"] = str(time_tag["datetime"]).strip()
    return found


class _HtmlText:
    """Renders a parsed tree as text: blocks separated by blank lines, inline text joined."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pending_break = False
        self.pending_space = False
        self.prefix = ""

    def block(self) -> None:
        if self.parts:
            self.pending_break = True
        self.pending_space = False

    def emit(self, s: str, *, raw: bool = False) -> None:
        if not raw:
            s = _HTML_SPACE.sub(" ", s)
            if s.startswith(" "):
                self.pending_space = True
                s = s[1:]
            trailing = s.endswith(" ")
            s = s.rstrip(" ")
        else:
            trailing = False
        if not s:
            if trailing:
                self.pending_space = True
            return
        if self.pending_break:
            self.parts.append("\n\n")
        elif self.pending_space and self.parts and not self.prefix:
            self.parts.append(" ")
        if self.prefix:
            self.parts.append(self.prefix)
            self.prefix = ""
        self.parts.append(s)
        self.pending_break = False
        self.pending_space = trailing

    def text(self) -> str:
        return "".join(self.parts)

    def walk(self, node, *, pre: bool = False) -> None:
        from bs4 import NavigableString, Tag
        from bs4.element import (CData, Comment, Declaration, Doctype, ProcessingInstruction)

        for child in node.children:
            if isinstance(child, NavigableString):
                if isinstance(child, (Comment, Doctype, Declaration, ProcessingInstruction)):
                    continue
                if isinstance(child, CData):
                    self.emit(str(child))
                    continue
                self.emit(str(child), raw=pre)
                continue
            if not isinstance(child, Tag):
                continue
            name = (child.name or "").lower()
            if name in _HEADINGS:
                heading = _HTML_SPACE.sub(" ", child.get_text()).strip()
                self.block()
                if heading:
                    self.emit("#" * _HEADINGS[name] + " " + heading, raw=True)
                self.block()
            elif name == "li":
                self.block()
                self.prefix = "- "
                self.walk(child, pre=pre)
                self.prefix = ""
                self.block()
            elif name == "tr":
                cells = []
                for cell in child.find_all(["td", "th"], recursive=False):
                    sub = _HtmlText()
                    sub.walk(cell, pre=pre)
                    cell_text = sub.text().strip()
                    if cell_text:
                        cells.append(cell_text)
                self.block()
                if cells:
                    self.emit(" | ".join(cells), raw=True)
                self.block()
            elif name == "pre":
                self.block()
                self.walk(child, pre=True)
                self.block()
            elif name in _BLOCK_TAGS:
                self.block()
                self.walk(child, pre=pre)
                self.block()
            else:
                self.walk(child, pre=pre)


def load_html(path: Path, *, max_bytes: int, source: str | None = None) -> RawDocument:
    """HTML via BeautifulSoup ("html.parser"): page chrome dropped, blocks as paragraphs,
    headings as ``"# "``-prefixed lines, list items as ``"- "`` lines."""
    path = Path(path)
    source = str(path) if source is None else source
    data = _read_checked(path, source, max_bytes)
    declared = _declared_charset(data)
    markup, encoding, warnings = _decode(data, source, declared=declared)

    from bs4 import BeautifulSoup

    try:
        soup = BeautifulSoup(markup, "html.parser")
    except Exception as err:  # noqa: BLE001 - html.parser rarely fails, but say so if it does
        raise IngestError(source, f"could not be read as HTML ({_err_text(err)}); open it in a "
                                  "browser and save it again, or save it as PDF") from None

    meta: dict = {"encoding": encoding}
    title_tag = soup.find("title")
    title = _HTML_SPACE.sub(" ", title_tag.get_text()).strip() if title_tag else ""
    if not title:
        h1 = soup.find("h1")
        title = _HTML_SPACE.sub(" ", h1.get_text()).strip() if h1 else ""
    if title:
        meta["title"] = title
    meta.update(_html_head_meta(soup))

    for tag in soup.find_all(_DROP_TAGS):
        if not tag.decomposed:
            tag.decompose()
    renderer = _HtmlText()
    renderer.walk(soup.body or soup)
    return _finish(source, RawDocument(source=source, text=renderer.text(), fmt="html",
                                       meta=meta, warnings=warnings))


# --- DOCX ------------------------------------------------------------------------------------

_HEADING_STYLE = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)


def load_docx(path: Path, *, max_bytes: int, source: str | None = None) -> RawDocument:
    """Word .docx via python-docx: body paragraphs and tables in document order."""
    path = Path(path)
    source = str(path) if source is None else source
    data = _read_checked(path, source, max_bytes)

    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise IngestError(source, "is an old Word .doc file (or a password-protected .docx), "
                                  "not a .docx: open it in Word or LibreOffice, save it as an "
                                  "unprotected .docx, and add that")

    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
        blocks = list(_docx_blocks(document, Paragraph, Table))
    except Exception as err:  # noqa: BLE001 - any parser failure means a bad file
        raise IngestError(source, f"could not be read as a Word .docx file ({_err_text(err)}): "
                                  "it may be damaged; open it in Word or LibreOffice and save "
                                  "it again as .docx") from None

    meta: dict = {}
    try:
        props = document.core_properties
        if props.title and props.title.strip():
            meta["title"] = props.title.strip()
        if props.author and props.author.strip():
            meta["author"] = props.author.strip()
        if props.created is not None:
            meta["created"] = props.created.isoformat()
    except Exception:  # noqa: BLE001 - core properties are optional
        pass

    text = "\n\n".join(blocks)
    return _finish(source, RawDocument(source=source, text=text, fmt="docx", meta=meta))


def _docx_blocks(document, Paragraph, Table, parent=None) -> Iterator[str]:
    parent = document.element.body if parent is None else parent
    for child in parent.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""
        if tag == "p":
            line = _docx_paragraph(Paragraph(child, document))
            if line:
                yield line
        elif tag == "tbl":
            yield from _docx_table(Table(child, document))
        elif tag in {"sdt", "sdtContent"}:   # content controls (cover pages, templates)
            yield from _docx_blocks(document, Paragraph, Table, child)


def _docx_paragraph(paragraph) -> str:
    text = paragraph.text
    if not text.strip():
        return ""
    try:
        style = paragraph.style.name or ""
    except Exception:  # noqa: BLE001 - a missing style is not worth failing over
        style = ""
    match = _HEADING_STYLE.match(style.strip())
    if match:
        return "#" * int(match.group(1)) + " " + text
    ppr = paragraph._p.pPr
    numbered = ppr is not None and ppr.numPr is not None
    if numbered or style.lower().startswith("list"):
        return "- " + text
    return text


def _docx_table(table) -> Iterator[str]:
    for row in table.rows:
        cells = []
        seen: list = []
        for cell in row.cells:
            if any(cell._tc is tc for tc in seen):  # a merged cell repeats across its columns
                continue
            seen.append(cell._tc)
            cell_text = cell.text.strip()
            if cell_text:
                cells.append(cell_text)
        if cells:
            yield " | ".join(cells)


LOADERS: dict[str, Loader] = {
    ".txt": load_text,
    ".md": load_text,
    ".markdown": load_text,
    ".pdf": load_pdf,
    ".html": load_html,
    ".htm": load_html,
    ".docx": load_docx,
}
