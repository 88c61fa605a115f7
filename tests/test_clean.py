"""ingest.clean: markup removal, page-break mending, structure, and the map back to raw text."""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest.clean import clean

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
ORDER = "2021-06-14-order-denying-preliminary-injunction.txt"
REPLY = "2022-02-15-plaintiffs-reply-rule-72a-objections.txt"
ARTICLE = "prowelltech-france-fines-clearview-gdpr.txt"


def _raw(name: str) -> str:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"real corpus file {path} is missing (the project corpus/ folder)")
    return path.read_text(encoding="utf-8")


def _blocks(c, kind):
    return [c.text[b.start:b.end] for b in c.blocks if b.kind == kind]


def _assert_maps_back(raw: str, c) -> None:
    assert len(c.offsets) == len(c.text) + 1
    assert c.offsets[-1] == len(raw)
    for i, ch in enumerate(c.text):
        r = c.offsets[i]
        assert 0 <= r < len(raw), (i, ch, r)
        if ch.isalpha():
            assert raw[r] == ch, (i, ch, raw[r - 10:r + 10])
        elif ch in "¹²³⁴⁵⁶⁷⁸⁹⁰":
            assert raw[r] in "0123456789¹²³⁴⁵⁶⁷⁸⁹⁰"
        elif ch in " \n":
            assert raw[r] in " \t\n\r\u00a0" or raw[r - 1] in "])" or raw[r] in "]<&", (i, raw[r])


# --- plain strings --------------------------------------------------------------------------

def test_markup_is_removed_and_every_char_maps_back():
    raw = ("## **ARGUMENT**\r\n\r\nIn *Orr v. Shicker*, 953 F.3d 490, at \\*1 (citing __Winter__)."
           "<sup>1</sup>   See [the dashboard](https://example.com/x).  \r\n\r\n---\r\n\r\n"
           "<sup>1</sup> A note.\r\n")
    c = clean(raw)
    assert "In Orr v. Shicker, 953 F.3d 490, at *1 (citing Winter).¹ See the dashboard " \
           "(https://example.com/x)." in c.text
    assert "**" not in c.text and "#" not in c.text and "\r" not in c.text and "---" not in c.text
    assert "  " not in c.text and " \n" not in c.text
    sup = c.text.index("¹")
    assert raw[c.offsets[sup]] == "1"                     # the superscript maps to the raw "1"
    star = c.text.index("*1")
    assert raw[c.offsets[star] - 1:c.offsets[star] + 2] == "\\*1"
    _assert_maps_back(raw, c)
    assert [b.kind for b in c.blocks] == ["heading", "paragraph", "footnote"]
    assert c.blocks[0].level == 1 and c.text[c.blocks[0].start:c.blocks[0].end] == "ARGUMENT"
    assert c.blocks[2].label == "1"


def test_hard_wrapped_lines_join_with_a_space_mapped_to_the_newline():
    raw = "The Court finds that the motion  \nshould be denied.\n"
    c = clean(raw)
    assert c.text == "The Court finds that the motion should be denied."
    space = c.text.index("motion ") + len("motion")
    assert raw[c.offsets[space]] == "\n"


def test_page_break_inside_a_sentence_is_mended():
    raw = ("These changes include: (1) blocking all photos\n\nthat have metadata.\n\n"
           "Harm must be likely. *Orr*, 953 F.3d at\n\n502. Moreover, it is speculative.\n\n"
           "See *Seattle Times Co. v.*\n\n*Rhinehart*, 467 U.S. 20 (1984).\n")
    c = clean(raw)
    assert "(1) blocking all photos that have metadata." in c.text
    assert "Orr, 953 F.3d at 502. Moreover, it is speculative." in c.text
    assert "See Seattle Times Co. v. Rhinehart, 467 U.S. 20 (1984)." in c.text
    assert len(_blocks(c, "paragraph")) == 3
    _assert_maps_back(raw, c)


def test_complete_paragraphs_across_a_page_break_stay_apart():
    raw = "The motion is denied.\n\nThe Court next turns to costs.\n"
    c = clean(raw)
    assert _blocks(c, "paragraph") == ["The motion is denied.", "The Court next turns to costs."]
    assert c.text == "The motion is denied.\n\nThe Court next turns to costs."


def test_a_memo_header_line_is_not_a_sentence_broken_by_a_page():
    raw = "MEMORANDUM TO FILE\n\nRe: Scheduling in In re Clearview AI\n\nThe mediation session is set for March 3.\n"
    c = clean(raw)
    assert "Re: Scheduling in In re Clearview AI\n\nThe mediation session" in c.text
    # a sentence that breaks after a capitalised word at a page end is still mended
    broken = clean("Plaintiffs argue that the harm caused by Clearview\n\nAI is irreparable.\n")
    assert "by Clearview AI is irreparable." in broken.text


def test_footnote_between_halves_moves_to_the_end():
    raw = ("Requiring them to identify accounts is proportional to\n\n---\n\n"
           "<sup>2</sup> According to Defendants, it is Plaintiffs' fault.\n\n\n\n"
           "the needs of the case (Dkt. 237 at 20).\n\nA second paragraph.\n")
    c = clean(raw)
    assert "is proportional to the needs of the case (Dkt. 237 at 20)." in c.text
    assert c.blocks[-1].kind == "footnote" and c.blocks[-1].label == "2"
    assert c.text.endswith("² According to Defendants, it is Plaintiffs' fault.")
    assert c.text.index("A second paragraph.") < c.text.index("² According")
    _assert_maps_back(raw, c)


def test_outline_headings_get_levels_from_their_numbering_not_hashes():
    raw = ("## **ARGUMENT**\n\n### **I. The Rulings Were Clearly Erroneous.**\n\n"
           "#### **A. Defendants' Waiver Argument Lacks Merit.**\n\n"
           "## **2. Defendants' Waiver Argument Is Otherwise Misplaced.**\n\nText here.\n\n"
           "**B. It Was Clear Error Not to Hold Defendants to Their Burden.**\n\nMore text.\n\n"
           "CONCLUSION\n\nThe end.\n")
    c = clean(raw)
    heads = [(c.text[b.start:b.end], b.level) for b in c.blocks if b.kind == "heading"]
    assert heads == [
        ("ARGUMENT", 1),
        ("I. The Rulings Were Clearly Erroneous.", 2),
        ("A. Defendants' Waiver Argument Lacks Merit.", 3),
        ("2. Defendants' Waiver Argument Is Otherwise Misplaced.", 4),
        ("B. It Was Clear Error Not to Hold Defendants to Their Burden.", 3),
        ("CONCLUSION", 1),
    ]


def test_numbered_sentence_is_not_a_heading():
    c = clean("1. The plaintiff filed suit on a date that nobody remembers, and then waited.\n")
    assert [b.kind for b in c.blocks] == ["paragraph"]


def test_list_items_each_on_their_own_line():
    raw = "Intro line that is long enough to be prose in this article here:\n- First item\n- Second item\nAfter.\n"
    c = clean(raw)
    assert _blocks(c, "list_item") == ["- First item", "- Second item"]
    assert "- First item\n- Second item" in c.text


def test_crlf_and_cr_are_normalised():
    c = clean("One line\r\ncontinues\rhere.")
    assert c.text == "One line continues here."


def test_a_large_input_keeps_its_offset_map():
    raw = _raw(REPLY)
    body = raw[raw.index("## **ARGUMENT**"):raw.index("### CONCLUSION")]
    big = "\n\n".join([body] * 60)                  # about 150,000 words of argument
    c = clean(big)
    assert len(c.offsets) == len(c.text) + 1
    assert c.text.count("is proportional to the needs of the case” (Dkt. 237 at 20)") == 60


# --- the real files -------------------------------------------------------------------------

@pytest.mark.parametrize("name", [ORDER, REPLY, ARTICLE])
def test_real_files_map_back_to_raw(name):
    raw = _raw(name)
    c = clean(raw)
    _assert_maps_back(raw, c)
    for b in c.blocks:
        assert 0 <= b.start < b.end <= len(c.text)
        assert c.text[b.start:b.end].strip() == c.text[b.start:b.end]
    for mark in ("**", "<sup>", "\\*", "](", "\t", "  "):
        assert mark not in c.text, mark


def test_order_is_mended_and_structured():
    c = clean(_raw(ORDER))
    t = c.text
    assert "(1) blocking all photos that have metadata associating them" in t
    assert "Orr, 953 F.3d at 502. Moreover" in t
    assert "the mere possibility of irreparable injury is not enough" in t
    heads = [(t[b.start:b.end], b.level) for b in c.blocks if b.kind == "heading"]
    assert heads == [("ORDER", 1), ("BACKGROUND", 1), ("LEGAL STANDARD", 1), ("DISCUSSION", 1)]
    caption = " ".join(_blocks(c, "caption"))
    assert "UNITED STATES DISTRICT COURT" in caption and "Case No. 21 C 0135" in caption
    assert "Judge Sharon Johnson Coleman" in caption and ")" not in caption
    sig = "\n".join(_blocks(c, "signature"))
    assert "IT IS SO ORDERED." in sig and "SHARON JOHNSON COLEMAN" in sig
    assert c.blocks[-1].kind == "footnote" and c.blocks[-1].label == "1"
    assert t.endswith("¹ uspto.gov/dashboard/patents/pendency.html")
    assert "twenty-two months.¹" in t


def test_reply_is_mended_and_structured():
    c = clean(_raw(REPLY))
    t = c.text
    assert "is proportional to the needs of the case” (Dkt. 237 at 20)" in t
    assert "Seattle Times Co. v. Rhinehart, 467 U.S. 20" in t
    assert "withheld an argument from the Magistrate Judge only to later claim the judge erred" in t
    assert "sensitive, private and irrelevant information" in t
    assert "will have a chilling effect on future plaintiffs' willingness" in t
    assert "2010 WL 2836739, at *1 (N.D. Ill. Jul. 19, 2010)" in t
    assert "(Dkt. 279 at 4¹)" in t
    notes = [(b.label, t[b.start:b.end]) for b in c.blocks if b.kind == "footnote"]
    assert [n[0] for n in notes] == ["1", "2"]
    assert notes[1][1].startswith("² According to Defendants")
    body_end = max(b.end for b in c.blocks if b.kind != "footnote")
    assert all(b.start > body_end for b in c.blocks if b.kind == "footnote")
    levels = {t[b.start:b.end]: b.level for b in c.blocks if b.kind == "heading"}
    assert levels["ARGUMENT"] == 1 and levels["INTRODUCTION"] == 1 and levels["CONCLUSION"] == 1
    assert levels["I. The Rulings With Respect to Interrogatories 8-9 and RFPs 7 and 11 Were "
                  "Clearly Erroneous."] == 2
    assert levels["A. Defendants' Waiver Argument Lacks Merit."] == 3
    assert levels["2. Defendants' Waiver Argument Is Otherwise Misplaced."] == 4
    assert levels["D. Plaintiffs Only Seek Information Defendants Already Have."] == 3
    assert levels["II. The Order Was Clearly Erroneous Because It Did Not Grant the Needed "
                  "Protective Order."] == 2
    assert levels["CERTIFICATE OF SERVICE"] == 1
    caption = _blocks(c, "caption")
    assert any("Civil Action File No.: 1:21-cv-00135" in x for x in caption)
    assert not any("REPLY" in x for x in caption)      # the title ends the caption
    sig = "\n".join(_blocks(c, "signature"))
    assert "Respectfully submitted," in sig and "By: /s/ Scott R. Drury" in sig
    assert "drury@loevy.com" in sig and "LOEVY & LOEVY" in sig
    cert = "\n".join(_blocks(c, "certificate"))
    assert "hereby certify" in cert and "/s/ Scott R. Drury" in cert
    assert "LOEVY" not in cert


def test_article_title_and_list():
    c = clean(_raw(ARTICLE))
    first = c.blocks[0]
    assert first.kind == "heading" and first.level == 1
    assert c.text[first.start:first.end].endswith("• ProWellTech")
    items = _blocks(c, "list_item")
    assert len(items) == 3 and items[0].startswith("- Unlawful processing of personal data")
    assert not _blocks(c, "caption")
    # paragraphs that end a line stay paragraphs (no mending across complete sentences)
    assert "to private companies in the U.S.\n\nThe need to empower regulators" in c.text
