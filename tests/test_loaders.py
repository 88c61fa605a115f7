"""Loaders: every format's text, pages and meta, and every refusal's message."""
from __future__ import annotations

import logging
import os
import pathlib

import pytest

from ingest.errors import IngestError
from ingest.loaders import SUPPORTED, load, load_docx, load_html, load_pdf, load_text
from ingest.types import RawDocument

try:
    from tests.makers import make_docx, make_drawing_pdf, make_html, make_pdf, make_text
except ImportError:  # tests/ run as a plain folder
    from makers import make_docx, make_drawing_pdf, make_html, make_pdf, make_text

MB = 1024 * 1024
BIG = 50 * MB


def refuse(path, max_bytes=BIG, **kw) -> str:
    with pytest.raises(IngestError) as info:
        load(path, max_bytes=max_bytes, **kw)
    err = info.value
    assert str(err).startswith(f"{err.source}: ")
    return err.reason


def page_text(doc: RawDocument, number: int) -> str:
    for n, start, end in doc.pages:
        if n == number:
            return doc.text[start:end]
    raise AssertionError(f"no page {number} in {doc.pages}")


# --- dispatch --------------------------------------------------------------------------------

def test_supported_suffixes():
    assert SUPPORTED == {".txt", ".md", ".markdown", ".pdf", ".html", ".htm", ".docx"}


def test_suffix_is_case_insensitive_and_source_defaults_to_path(tmp_path):
    path = make_text(tmp_path / "NOTES.TXT", "Hello there.")
    doc = load(path, max_bytes=BIG)
    assert doc.source == str(path)
    assert doc.fmt == "txt"
    assert doc.text == "Hello there."
    doc = load(path, max_bytes=BIG, source="corpus/notes.txt")
    assert doc.source == "corpus/notes.txt"


def test_markdown_is_text(tmp_path):
    path = make_text(tmp_path / "a.md", "# Title\n\nBody.\n")
    doc = load(path, max_bytes=BIG)
    assert doc.fmt == "md"
    assert doc.text == "# Title\n\nBody.\n"


# --- guards ----------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    msg = refuse(tmp_path / "nope.pdf")
    assert "file not found" in msg and "check the path" in msg


def test_directory(tmp_path):
    folder = tmp_path / "filings.pdf"
    folder.mkdir()
    msg = refuse(folder)
    assert "is a folder" in msg and "files inside it" in msg


def test_empty_file(tmp_path):
    msg = refuse(make_text(tmp_path / "empty.txt", b""))
    assert "is empty" in msg


def test_too_large(tmp_path):
    path = make_text(tmp_path / "big.txt", "x" * 3 * MB)
    msg = refuse(path, max_bytes=2 * MB)
    assert msg == "is 3.0 MB, over the limit of 2.0 MB (set CASEFILE_MAX_FILE_MB to raise it)"


def test_too_large_tiny_limit(tmp_path):
    path = make_text(tmp_path / "small.txt", "word " * 100)
    msg = refuse(path, max_bytes=10)
    assert "over the limit of 10 bytes" in msg and "CASEFILE_MAX_FILE_MB" in msg


def test_unsupported_suffix(tmp_path):
    msg = refuse(make_text(tmp_path / "data.xyz", "stuff"))
    assert msg == "unsupported file type '.xyz'; Casefile reads .pdf, .txt, .md, .html, .docx"


def test_doc_suffix_says_save_as_docx(tmp_path):
    msg = refuse(make_text(tmp_path / "brief.doc", b"\xd0\xcf\x11\xe0 old word"))
    assert "'.doc'" in msg and "save it as .docx" in msg


def test_image_suffix_says_ocr(tmp_path):
    msg = refuse(make_text(tmp_path / "scan.PNG", b"\x89PNG\r\n\x1a\n...."))
    assert "image" in msg and "OCR" in msg and "PDF" in msg


def test_no_extension(tmp_path):
    msg = refuse(make_text(tmp_path / "README", "text"))
    assert "no extension" in msg and ".pdf, .txt" in msg


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root reads any file regardless of mode; covered by the "
                           "monkeypatched test below")
def test_unreadable_file_chmod(tmp_path):
    path = make_text(tmp_path / "secret.txt", "classified")
    path.chmod(0)
    try:
        msg = refuse(path)
    finally:
        path.chmod(0o644)
    assert "cannot be read (permission denied); check its permissions" in msg


@pytest.mark.parametrize("name", ["secret.txt", "secret.pdf", "secret.docx", "secret.html"])
def test_unreadable_file_simulated(tmp_path, monkeypatch, name):
    path = make_text(tmp_path / name, "classified")
    real_open = pathlib.Path.open

    def deny(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", deny)
    msg = refuse(path)
    assert "cannot be read (permission denied); check its permissions" in msg


def test_guards_run_in_each_loader_too(tmp_path):
    for loader in (load_text, load_pdf, load_html, load_docx):
        with pytest.raises(IngestError, match="file not found"):
            loader(tmp_path / "missing", max_bytes=BIG)


# --- text ------------------------------------------------------------------------------------

def test_utf8_no_warning(tmp_path):
    doc = load(make_text(tmp_path / "u.txt", "\u201cSection\u201d \u00a7 5 \u2014 caf\u00e9"),
               max_bytes=BIG)
    assert doc.text == "\u201cSection\u201d \u00a7 5 \u2014 caf\u00e9"
    assert doc.warnings == []
    assert doc.meta["encoding"] == "UTF-8"


def test_utf8_bom_is_dropped(tmp_path):
    doc = load(make_text(tmp_path / "b.txt", b"\xef\xbb\xbfIn re Clearview \xc2\xa7 1"),
               max_bytes=BIG)
    assert doc.text == "In re Clearview \u00a7 1"
    assert doc.warnings == []


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_utf16_with_bom(tmp_path, codec):
    text = "\u201cOrder\u201d \u00a7 5\nDenied."
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    doc = load(make_text(tmp_path / "w.txt", data), max_bytes=BIG)
    assert doc.text == text
    assert doc.meta["encoding"] == "UTF-16"


def test_cp1252_curly_quotes_and_section_sign(tmp_path):
    doc = load(make_text(tmp_path / "c.txt", b"\x93Section\x94 \xa7 5 \x96 it\x92s"),
               max_bytes=BIG)
    assert doc.text == "\u201cSection\u201d \u00a7 5 \u2013 it\u2019s"
    assert len(doc.warnings) == 1
    assert "cp1252" in doc.warnings[0] and "UTF-8" in doc.warnings[0]


def test_latin1_fallback(tmp_path):
    # 0x81 and 0x8d are undefined in cp1252, so only latin-1 decodes this
    data = "Stra\u00dfe caf\u00e9 ".encode("latin-1") + b"\x81\x8d" + b" more words here"
    doc = load(make_text(tmp_path / "l.txt", data), max_bytes=BIG)
    assert doc.text.startswith("Stra\u00dfe caf\u00e9 ")
    assert doc.text.endswith(" more words here")
    assert "latin-1" in doc.warnings[0]


def test_whitespace_only_text(tmp_path):
    msg = refuse(make_text(tmp_path / "blank.txt", " \n\t\n  \r\n"))
    assert "has no text" in msg


@pytest.mark.parametrize("data", [
    b"hello\x00\x00\x00world" * 10,
    bytes(range(256)) * 8,
    b"%PDF-1.7\n\x00\x01\x02 binary stream",
])
def test_binary_named_txt(tmp_path, data):
    msg = refuse(make_text(tmp_path / "data.txt", data))
    assert "looks like a binary file, not text" in msg
    assert "give it its real extension" in msg


def test_binary_without_nul_but_many_controls(tmp_path):
    data = bytes([1, 2, 3, 4, 5, 6, 0x0e, 0x1b]) * 50 + b"some text"
    msg = refuse(make_text(tmp_path / "ctl.txt", data))
    assert "looks like a binary file" in msg


def test_binary_hint_names_pdf(tmp_path):
    msg = refuse(make_text(tmp_path / "filing.txt", b"%PDF-1.4\n\x00\x00 stream"))
    assert "rename it to .pdf" in msg


def test_few_stray_controls_are_fine(tmp_path):
    text = "A normal paragraph of a transcript.\x1a\n" * 20
    doc = load(make_text(tmp_path / "t.txt", text), max_bytes=BIG)
    assert doc.text == text


def test_form_feeds_split_pages(tmp_path):
    raw = "Page one words.\fPage two words.\n\fPage three words.\n\f"
    doc = load(make_text(tmp_path / "ff.txt", raw), max_bytes=BIG)
    assert "\f" not in doc.text
    assert [p[0] for p in doc.pages] == [1, 2, 3]
    assert page_text(doc, 1) == "Page one words."
    assert page_text(doc, 2) == "Page two words.\n"
    assert page_text(doc, 3).startswith("Page three words.")
    # the ranges tile the text with "\n\n" between pages
    for (_, _, end), (_, start, _) in zip(doc.pages, doc.pages[1:]):
        assert doc.text[end:start] == "\n\n"
    assert doc.pages[-1][2] == len(doc.text)


def test_no_form_feed_no_pages(tmp_path):
    doc = load(make_text(tmp_path / "p.txt", "one\n\ntwo"), max_bytes=BIG)
    assert doc.pages == []


# --- PDF -------------------------------------------------------------------------------------

PDF_PAGES = [
    "The plaintiffs move for a preliminary injunction against Clearview AI.",
    "Biometric identifiers were collected without written consent under BIPA.",
    "The motion is denied in part and granted in part. So ordered.",
]


def test_pdf_three_pages(tmp_path):
    path = make_pdf(tmp_path / "order.pdf", PDF_PAGES, title="Order on Motion",
                    author="Judge Coleman")
    doc = load(path, max_bytes=BIG)
    assert doc.fmt == "pdf"
    assert [p[0] for p in doc.pages] == [1, 2, 3]
    for number, expected in enumerate(PDF_PAGES, start=1):
        got = page_text(doc, number)
        assert " ".join(got.split()) == expected
    # page 2's words lie inside page 2's range and nowhere else
    start2, end2 = doc.pages[1][1], doc.pages[1][2]
    pos = doc.text.find("Biometric identifiers")
    assert start2 <= pos < end2
    assert doc.text.find("So ordered") >= doc.pages[2][1]
    for (_, _, end), (_, start, _) in zip(doc.pages, doc.pages[1:]):
        assert doc.text[end:start] == "\n\n"
    assert doc.meta["title"] == "Order on Motion"
    assert doc.meta["author"] == "Judge Coleman"
    assert doc.meta["created"][:2] in {"19", "20"}
    assert doc.meta["page_count"] == 3
    assert doc.warnings == []


def test_pdf_blank_page_warns(tmp_path):
    path = make_pdf(tmp_path / "gap.pdf", [PDF_PAGES[0], "", PDF_PAGES[2]])
    doc = load(path, max_bytes=BIG)
    assert [p[0] for p in doc.pages] == [1, 2, 3]
    assert page_text(doc, 2).strip() == ""
    assert "So ordered" in page_text(doc, 3)
    assert len(doc.warnings) == 1
    assert "page 2 " in doc.warnings[0] and "no text layer" in doc.warnings[0]
    assert "ocrmypdf" in doc.warnings[0]


def test_pdf_without_text_layer(tmp_path):
    msg = refuse(make_drawing_pdf(tmp_path / "scan.pdf", n_pages=2))
    assert "no text layer" in msg and "scanned" in msg
    assert "ocrmypdf in.pdf out.pdf" in msg


def test_pdf_only_tiny_text_is_no_text_layer(tmp_path):
    msg = refuse(make_pdf(tmp_path / "stamps.pdf", ["1", "2"]))
    assert "no text layer" in msg


def test_pdf_random_bytes(tmp_path):
    path = make_text(tmp_path / "junk.pdf", os.urandom(4096))
    msg = refuse(path)
    assert msg.startswith("could not be read as a PDF (")
    assert "it may be damaged; re-export or re-download it" in msg


def test_pdf_html_saved_as_pdf(tmp_path):
    path = make_text(tmp_path / "download.pdf", "<!DOCTYPE html><html><body>403</body></html>")
    msg = refuse(path)
    assert "could not be read as a PDF" in msg and "web page" in msg


def test_pdf_truncated(tmp_path):
    good = make_pdf(tmp_path / "good.pdf", PDF_PAGES)
    data = good.read_bytes()
    bad = make_text(tmp_path / "cut.pdf", data[: len(data) // 3])
    msg = refuse(bad)
    assert msg.startswith("could not be read as a PDF (")
    assert "re-export or re-download it" in msg


def test_pdf_errors_keep_pypdf_quiet(tmp_path, caplog):
    path = make_text(tmp_path / "junk.pdf", b"%PDF-1.4\n" + os.urandom(2048))
    with caplog.at_level(logging.DEBUG):
        msg = refuse(path)
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]
    assert "EOF marker not found" in msg   # pypdf's warning, kept in our message instead
    assert logging.getLogger("pypdf").propagate is True


def test_pdf_encrypted_with_empty_password_opens(tmp_path):
    import pypdf

    plain = make_pdf(tmp_path / "plain.pdf", PDF_PAGES)
    writer = pypdf.PdfWriter(clone_from=str(plain))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "locked-open.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)
    doc = load(path, max_bytes=BIG)
    assert "Biometric identifiers" in page_text(doc, 2)


def test_pdf_password_protected(tmp_path):
    import pypdf

    plain = make_pdf(tmp_path / "plain.pdf", PDF_PAGES)
    writer = pypdf.PdfWriter(clone_from=str(plain))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)
    msg = refuse(path)
    assert "password-protected" in msg and "unprotected copy" in msg


# --- HTML ------------------------------------------------------------------------------------

HTML_BODY = """
<nav><a href="/">Home</a> | <a href="/news">News</a></nav>
<header>Site banner</header>
<h1>France fines   Clearview</h1>
<p>The CNIL fined <b>Clearview AI</b> &euro;20 million
   under the GDPR.</p>
<script>var tracking = "do not show";</script>
<style>p { color: red }</style>
<h2>Background</h2>
<ul><li>Scraped images</li><li>No <i>consent</i></li></ul>
<blockquote><p>\u201cThe company must stop.\u201d</p></blockquote>
<div>First line<br>Second line</div>
<table><tr><th>Fine</th><th>Date</th></tr><tr><td>\u20ac20m</td><td>2022</td></tr></table>
<aside>Related stories</aside>
<footer>Copyright</footer>
"""


def test_html_structure(tmp_path):
    path = make_html(tmp_path / "article.html", HTML_BODY, title="CNIL v Clearview")
    doc = load(path, max_bytes=BIG)
    assert doc.fmt == "html"
    assert doc.meta["title"] == "CNIL v Clearview"
    assert doc.text == (
        "# France fines Clearview\n\n"
        "The CNIL fined Clearview AI \u20ac20 million under the GDPR.\n\n"
        "## Background\n\n"
        "- Scraped images\n\n"
        "- No consent\n\n"
        "\u201cThe company must stop.\u201d\n\n"
        "First line\n\nSecond line\n\n"
        "Fine | Date\n\n"
        "\u20ac20m | 2022"
    )
    for gone in ("tracking", "color: red", "Home", "Site banner", "Related", "Copyright"):
        assert gone not in doc.text


def test_html_head_meta(tmp_path):
    head = ('<meta property="og:site_name" content="ProWellTech">'
            '<meta name="author" content="A. Writer">'
            '<meta property="article:published_time" content="2022-10-20T09:00:00Z">')
    path = make_html(tmp_path / "m.html", "<p>Body text.</p>", title="T", head_extra=head)
    meta = load(path, max_bytes=BIG).meta
    assert meta["site_name"] == "ProWellTech"
    assert meta["author"] == "A. Writer"
    assert meta["date"] == "2022-10-20T09:00:00Z"


def test_html_title_falls_back_to_h1(tmp_path):
    path = make_html(tmp_path / "a.htm", "<h1>Opinion of the Court</h1><p>Text here.</p>")
    doc = load(path, max_bytes=BIG)
    assert doc.meta["title"] == "Opinion of the Court"


def test_html_declared_charset(tmp_path):
    body = "<p>\u201cSection\u201d \u00a7 5 \u2014 done</p>"
    path = make_html(tmp_path / "w.html", body, charset="windows-1252")
    doc = load(path, max_bytes=BIG)
    assert doc.text == "\u201cSection\u201d \u00a7 5 \u2014 done"
    assert doc.warnings == []


def test_html_latin1_label_reads_as_cp1252(tmp_path):
    raw = (b'<html><head><meta http-equiv="Content-Type" content="text/html; '
           b'charset=iso-8859-1"></head><body><p>\x93Quoted\x94 \xa7 2</p></body></html>')
    doc = load(make_text(tmp_path / "old.html", raw), max_bytes=BIG)
    assert doc.text == "\u201cQuoted\u201d \u00a7 2"


def test_html_undeclared_falls_back(tmp_path):
    raw = b"<html><body><p>\x93Quoted\x94</p></body></html>"
    doc = load(make_text(tmp_path / "nd.html", raw), max_bytes=BIG)
    assert doc.text == "\u201cQuoted\u201d"
    assert "cp1252" in doc.warnings[0]


def test_html_pre_keeps_lines(tmp_path):
    doc = load(make_html(tmp_path / "p.html", "<pre>line one\n  line two</pre><p>after</p>"),
               max_bytes=BIG)
    assert doc.text == "line one\n  line two\n\nafter"


def test_html_only_scripts_has_no_text(tmp_path):
    msg = refuse(make_html(tmp_path / "s.html", "<script>alert(1)</script>\n<nav>Menu</nav>"))
    assert "has no text" in msg


# --- DOCX ------------------------------------------------------------------------------------

def test_docx_heading_paragraphs_list_table(tmp_path):
    path = make_docx(
        tmp_path / "brief.docx", title="Reply Brief", author="Counsel",
        heading="ARGUMENT",
        paragraphs=["The objections should be overruled.", "Section \u00a7 15(b) applies."],
        bullets=["First point", "Second point"],
        table=[["Exhibit", "Description"], ["A", "Declaration"]],
    )
    doc = load(path, max_bytes=BIG)
    assert doc.fmt == "docx"
    assert doc.text == (
        "# ARGUMENT\n\n"
        "The objections should be overruled.\n\n"
        "Section \u00a7 15(b) applies.\n\n"
        "- First point\n\n"
        "- Second point\n\n"
        "Exhibit | Description\n\n"
        "A | Declaration"
    )
    assert doc.meta["title"] == "Reply Brief"
    assert doc.meta["author"] == "Counsel"
    assert doc.meta["created"][:2] in {"19", "20"}
    assert doc.pages == []


def test_docx_corrupt_not_zip(tmp_path):
    msg = refuse(make_text(tmp_path / "bad.docx", b"this is not a zip file at all"))
    assert "could not be read as a Word .docx file" in msg and "save it again as .docx" in msg


def test_docx_zip_missing_parts(tmp_path):
    import zipfile

    path = tmp_path / "parts.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "no word parts here")
    msg = refuse(path)
    assert "could not be read as a Word .docx file" in msg


def test_docx_that_is_an_old_doc(tmp_path):
    msg = refuse(make_text(tmp_path / "old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64))
    assert ".doc" in msg and "save it as" in msg


def test_docx_without_text(tmp_path):
    msg = refuse(make_docx(tmp_path / "blank.docx"))
    assert "has no text" in msg
