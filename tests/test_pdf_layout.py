"""PDFs read by layout: what a user sees in the stored text of a filing.

Small PDFs are drawn here with fpdf2 (text at exact positions, sizes and rules); the last test
reads every PDF of /work/shared/corpus-filings when that folder is present.
"""
from __future__ import annotations

import collections
import re
from pathlib import Path

import pytest

from ingest.clean import clean
from ingest.loaders import load
from ingest.pipeline import map_pages

BIG = 50 * 1024 * 1024
CORPUS = Path("/work/shared/corpus-filings")

BODY = [
    "The plaintiffs moved for a preliminary injunction against the agency in the spring.",
    "The agency opposed the motion and argued that the plaintiffs lacked standing to sue.",
    "We consider first whether the plaintiffs have shown a likelihood of success on the",
]


def _pdf(path: Path, pages, *, head: str = "", numbers: bool = False,
         margin_numbers: bool = False) -> Path:
    """pages: list of dicts with 'lines' (body lines at 12 pt, double spaced), optional
    'notes' (footnote lines at 9 pt under a short rule) and 'marks' (line index -> marker)."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="letter")
    pdf.set_auto_page_break(False)
    for n, page in enumerate(pages, start=1):
        pdf.add_page()
        if head:
            pdf.set_font("Helvetica", size=10)
            pdf.text(72, 40, f"Case 1:20-cv-0{n}123 Document {n + 40} Filed 01/0{n}/21 {head} "
                             f"Page {n} of {len(pages)}")
        y = 100
        for i, line in enumerate(page["lines"]):
            pdf.set_font("Helvetica", size=12)
            pdf.text(72, y, line)
            mark = page.get("marks", {}).get(i)
            if mark:
                w = pdf.get_string_width(line)
                pdf.set_font("Helvetica", size=7)
                pdf.text(72 + w + 0.5, y - 5, mark)
            y += 24
        if margin_numbers:
            pdf.set_font("Helvetica", size=12)
            for k in range(1, 29):
                pdf.text(40, 100 + (k - 1) * 24, str(k))
        if page.get("notes"):
            y = 620
            pdf.line(72, y, 216, y)
            y += 14
            for note in page["notes"]:
                pdf.set_font("Helvetica", size=9)
                pdf.text(72, y, note)
                y += 11
        if numbers:
            pdf.set_font("Helvetica", size=12)
            pdf.text(300, 750, str(n))
    pdf.output(str(path))
    return path


def _stored(path: Path):
    raw = load(path, max_bytes=BIG)
    cleaned = clean(raw.text, notes=raw.notes)
    pages = map_pages(raw.pages, cleaned.offsets, len(cleaned.text))
    return cleaned, pages


def _page_at(pages, offset):
    for number, start, end in pages:
        if start <= offset < end:
            return number
    return None


def _flat(text: str) -> str:
    return " ".join(text.split())


THREE = [
    {"lines": BODY},
    {"lines": ["merits, and then whether the balance of equities tips in their favour.",
               "The district court held that the plaintiffs had standing to sue."]},
    {"lines": ["The judgment of the district court is affirmed in every respect today."]},
]


def test_running_head_on_every_page_is_not_in_the_text(tmp_path):
    cleaned, _ = _stored(_pdf(tmp_path / "headed.pdf", THREE, head="RUNNING HEAD v. AGENCY"))
    assert "RUNNING HEAD" not in cleaned.text
    assert "Document" not in cleaned.text and "Filed" not in cleaned.text
    assert "The judgment of the district court is affirmed" in cleaned.text


def test_page_number_does_not_land_inside_a_sentence(tmp_path):
    cleaned, pages = _stored(_pdf(tmp_path / "numbered.pdf", THREE, numbers=True))
    flat = _flat(cleaned.text)
    # the sentence broken by the page break reads on, with no page number inside it
    assert "likelihood of success on the merits, and then whether" in flat
    assert not re.search(r"\b[123]\b", flat)
    start = cleaned.text.index("merits, and then")
    assert _page_at(pages, start) == 2
    assert _page_at(pages, cleaned.text.index("We consider first")) == 1
    assert _page_at(pages, cleaned.text.index("The judgment")) == 3


def test_footnote_is_kept_apart_but_present_and_on_its_page(tmp_path):
    pages = [
        {"lines": BODY, "marks": {1: "1"},
         "notes": ["1 Standing was also contested in the related appeal.",
                   "See the order of the motions panel."]},
        THREE[1], THREE[2],
    ]
    cleaned, page_map = _stored(_pdf(tmp_path / "noted.pdf", pages, head="HEAD"))
    flat = _flat(cleaned.text)
    # the body sentence broken by the page break is whole: the footnote did not run into it
    assert "likelihood of success on the merits, and then whether" in flat
    note = flat.index("Standing was also contested in the related appeal.")
    assert note > flat.index("affirmed in every respect")      # after the body
    assert "related appeal. See the order of the motions panel." in flat   # one note, whole
    footnotes = [b for b in cleaned.blocks if b.kind == "footnote"]
    assert len(footnotes) == 1 and footnotes[0].label == "1"
    assert "Standing was also" in cleaned.text[footnotes[0].start:footnotes[0].end]
    # the footnote is still cited on the page it is printed on
    assert _page_at(page_map, cleaned.text.index("Standing was also")) == 1
    # the body's marker is a superscript, not a digit glued to the sentence
    assert "standing to sue.¹" in flat


def test_pleading_paper_line_numbers_are_gone(tmp_path):
    pages = [{"lines": BODY + ["merits of the claim, which we address below in some detail."]},
             {"lines": ["The district court held that the plaintiffs had standing to sue."]}]
    cleaned, _ = _stored(_pdf(tmp_path / "pleading.pdf", pages, margin_numbers=True))
    flat = _flat(cleaned.text)
    assert not re.search(r"\d", flat), flat[:300]
    assert "likelihood of success on the merits of the claim" in flat


def test_hyphenated_line_break_is_joined(tmp_path):
    pages = [{"lines": ["The court granted the motion for a pre-",
                        "liminary injunction after a long hearing on the evidence."]}]
    cleaned, _ = _stored(_pdf(tmp_path / "hyphen.pdf", pages))
    assert "preliminary injunction" in cleaned.text


# --- every real filing ----------------------------------------------------------------------

def _repeating_lines(path: Path) -> tuple[int, list[str]]:
    """Lines (as pdfplumber reads them) in a page's top or bottom 15 % that recur, digits
    normalised, at the same height on at least half of the pages."""
    import pdfplumber

    def norm(t: str) -> str:
        return re.sub(r"\d+", "#", " ".join(t.split())).lower()

    occ: dict[str, list[tuple[int, int, str]]] = collections.defaultdict(list)
    with pdfplumber.open(path) as pdf:
        n = len(pdf.pages)
        for i, page in enumerate(pdf.pages):
            h = float(page.height)
            for ln in page.extract_text_lines():
                if 0.15 * h < ln["top"] and ln["bottom"] < 0.85 * h:
                    continue
                occ[norm(ln["text"])].append((round(ln["top"] / 4), i, ln["text"]))
    found = []
    for key, lst in occ.items():
        if len(key.split()) < 2:
            continue
        at = collections.Counter(top for top, _, _ in lst)
        if len({i for _, i, _ in lst}) * 2 >= n and max(at.values()) * 2 >= n:
            found.extend(t for _, _, t in lst)
    return n, found


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus-filings not present")
def test_no_repeated_page_furniture_survives_in_any_real_filing():
    checked = 0
    for path in sorted(CORPUS.glob("*.pdf")):
        n, lines = _repeating_lines(path)
        if n < 3:
            continue
        raw = load(path, max_bytes=BIG)
        text = _flat(clean(raw.text, notes=raw.notes).text)
        left = [t for t in lines if _flat(t) in text]
        assert not left, f"{path.name}: {left[:3]}"
        checked += 1
    assert checked >= 10
