"""ingest.chunk: legal-aware sentences and structure-aware chunks."""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunk import chunk_document, split_sentences
from ingest.clean import clean

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
FILES = ["2021-06-14-order-denying-preliminary-injunction.txt", "2022-02-15-plaintiffs-reply-rule-72a-objections.txt", "prowelltech-france-fines-clearview-gdpr.txt"]


def _cleaned(name: str):
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"real corpus file {path} is missing (the project corpus/ folder)")
    return clean(path.read_text(encoding="utf-8"))


def _sents(text: str) -> list[str]:
    return [text[s.start:s.end] for s in split_sentences(text)]


# --- sentences ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("See Pavarti v. Oak Forest, No. 08 C 702, 2010 WL 2836739, at *1 (N.D. Ill. Jul. 19, 2010). "
     "Defendants may not shift that burden.",
     ["See Pavarti v. Oak Forest, No. 08 C 702, 2010 WL 2836739, at *1 (N.D. Ill. Jul. 19, 2010).",
      "Defendants may not shift that burden."]),
    ("Fed. R. Civ. P. 26(b)(1) governs. See Winter v. Natural Res. Defense Council, Inc., 555 U.S. 7, "
     "22, 129 S.Ct. 365, 172 L.Ed.2d 249 (2008); Cassell, 990 F.3d at 545.",
     ["Fed. R. Civ. P. 26(b)(1) governs.",
      "See Winter v. Natural Res. Defense Council, Inc., 555 U.S. 7, 22, 129 S.Ct. 365, 172 "
      "L.Ed.2d 249 (2008); Cassell, 990 F.3d at 545."]),
    ("I, Scott R. Drury, an attorney, certify it. Hoan Ton-That said so.",
     ["I, Scott R. Drury, an attorney, certify it.", "Hoan Ton-That said so."]),
    ("A statement that “data breaches are part of life in the 21st Century,” is not sufficient. Next.",
     ["A statement that “data breaches are part of life in the 21st Century,” is not sufficient.",
      "Next."]),
    ("The injury is not “enough.” Next, the Court turns to harm.",
     ["The injury is not “enough.”", "Next, the Court turns to harm."]),
    ("See Dkt. 43-1 ¶ 37 (emphasis added). It is axiomatic.",
     ["See Dkt. 43-1 ¶ 37 (emphasis added).", "It is axiomatic."]),
    ("Changes include: (1) blocking photos; (2) blocking logins. Is it enough? No! It is not.",
     ["Changes include: (1) blocking photos; (2) blocking logins.", "Is it enough?", "No!",
      "It is not."]),
    ("The Court notes, e.g., the BIPA, 740 ILCS 14/1, et seq. (“BIPA”). Id. at 4. See id. Then more.",
     ["The Court notes, e.g., the BIPA, 740 ILCS 14/1, et seq. (“BIPA”).", "Id. at 4.", "See id.",
      "Then more."]),
    ("Duling v. Gristede's Operating Corp., 266 F.R.D. 66, 71 (S.D.N.Y. 2010). Here it is.",
     ["Duling v. Gristede's Operating Corp., 266 F.R.D. 66, 71 (S.D.N.Y. 2010).", "Here it is."]),
    ("(“[A] preliminary injunction will not be issued.”) (citation omitted). Done.",
     ["(“[A] preliminary injunction will not be issued.”) (citation omitted).", "Done."]),
])
def test_split_sentences_legal(text, expected):
    assert _sents(text) == expected


def test_split_sentences_span_and_whitespace():
    text = "Heading\n\n  First one. Second one.  \n\nThird."
    start = text.index("First") - 2
    end = text.index("Third") - 2
    got = split_sentences(text, start, end)
    assert [text[s.start:s.end] for s in got] == ["First one.", "Second one."]
    assert [text[s.start:s.end] for s in split_sentences(text)] == [
        "Heading", "First one.", "Second one.", "Third."]


# --- chunk invariants -----------------------------------------------------------------------

def _check_invariants(text, blocks, chunks, max_words):
    assert chunks, "no chunks"
    all_sents = []
    for b in blocks:
        all_sents.extend(split_sentences(text, b.start, b.end) if b.kind != "heading" else [])
    for i, ch in enumerate(chunks):
        assert ch.index == i and ch.id.endswith(f":{i:05d}")
        assert ch.text == text[ch.start:ch.end]
        assert ch.text == ch.text.strip()
        assert ch.sentences, ch.id
        for s in ch.sentences:
            assert ch.start <= s.start < s.end <= ch.end
        assert ch.sentences[0].start == ch.start and ch.sentences[-1].end == ch.end
        # every non-blank character of the chunk is inside one of its sentences
        covered = " ".join(text[s.start:s.end] for s in ch.sentences)
        assert len(covered.split()) == len(ch.text.split())
        words = len(ch.text.split())
        body = [s for s in ch.sentences]
        if words > max_words:
            heads = [b for b in blocks if b.kind == "heading" and ch.start <= b.start < ch.end]
            assert len(body) - len(heads) == 1, (ch.id, words)
        # no sentence is cut by the chunk boundary
        for s in all_sents:
            inside = ch.start <= s.start and s.end <= ch.end
            outside = s.end <= ch.start or s.start >= ch.end
            assert inside or outside, (ch.id, text[s.start:s.end])
    # together the chunks cover every sentence of every block, headings included
    for b in blocks:
        for s in (split_sentences(text, b.start, b.end) or [b]):
            assert any(c.start <= s.start and s.end <= c.end for c in chunks), text[s.start:s.end]


@pytest.mark.parametrize("name", FILES)
def test_real_file_chunks_hold_invariants(name):
    c = _cleaned(name)
    chunks = chunk_document(name[:3], c.text, c.blocks)
    _check_invariants(c.text, c.blocks, chunks, 190)
    print(f"\n{name}: {len(chunks)} chunks, words per chunk "
          f"{[len(ch.text.split()) for ch in chunks]}")
    assert 5 <= len(chunks) <= 60


def test_chunk_counts_are_sensible():
    counts = {n: len(chunk_document(n[:3], *(lambda c: (c.text, c.blocks))(_cleaned(n))))
              for n in FILES}
    print("\nchunk counts:", counts)
    assert 6 <= counts[FILES[0]] <= 20      # ~1,200 words
    assert 20 <= counts[FILES[1]] <= 50     # ~3,700 words incl. signature and certificate
    assert 6 <= counts[FILES[2]] <= 20      # ~1,100 words


def test_oversized_paragraph_splits_on_sentences_with_overlap():
    sentences = [f"Sentence number {i} says that the court considered the matter carefully." for i in
                 range(60)]
    text = "DISCUSSION\n\n" + " ".join(sentences)
    c = clean(text)
    chunks = chunk_document("t", c.text, c.blocks, target_words=60, max_words=80)
    _check_invariants(c.text, c.blocks, chunks, 80)
    assert len(chunks) >= 8
    for a, b in zip(chunks, chunks[1:]):
        assert b.start < a.end                               # spans overlap...
        assert c.text[b.sentences[0].start:b.sentences[0].end] == \
            c.text[a.sentences[-1].start:a.sentences[-1].end]  # ...by exactly one sentence
        assert b.section == ["DISCUSSION"]
    assert chunks[0].text.startswith("DISCUSSION\n\nSentence number 0")


def test_no_overlap_requested():
    text = " ".join(f"Point {i} is a full sentence of some length here." for i in range(80))
    c = clean(text)
    chunks = chunk_document("t", c.text, c.blocks, target_words=50, max_words=70,
                            overlap_sentences=0)
    for a, b in zip(chunks, chunks[1:]):
        assert b.start > a.end


def test_single_long_sentence_may_exceed_max():
    long = "The Court " + " ".join(["considered"] * 300) + " everything."
    text = "Short one. " + long + " Short two."
    c = clean(text)
    chunks = chunk_document("t", c.text, c.blocks, target_words=50, max_words=60)
    _check_invariants(c.text, c.blocks, chunks, 60)
    assert any(ch.text == long for ch in chunks)


def test_sections_and_special_blocks_on_the_reply():
    c = _cleaned(FILES[1])
    chunks = chunk_document("001", c.text, c.blocks)
    pav = [ch for ch in chunks if "See Pavarti v. Oak Forest" in ch.text]
    assert len(pav) == 1
    assert pav[0].section == [
        "ARGUMENT",
        "I. The Rulings With Respect to Interrogatories 8-9 and RFPs 7 and 11 Were Clearly Erroneous.",
        "A. Defendants' Waiver Argument Lacks Merit.",
        "1. It Is Defendants Who Have Waived Any Challenge to the Relevance of the Four Discovery "
        "Requests.",
    ]
    later = [ch for ch in chunks if "see Pavarti, 2010 WL 2836739" in ch.text]
    assert later and later[0].section[-1] == "B. It Was Clear Error Not to Hold Defendants to " \
                                             "Their Burden."
    protective = [ch for ch in chunks if "Seattle Times Co. v. Rhinehart" in ch.text][0]
    assert protective.section == ["ARGUMENT", "II. The Order Was Clearly Erroneous Because It Did "
                                  "Not Grant the Needed Protective Order."]
    # caption, signature and certificate are chunks of their own
    for kind in ("caption", "signature", "certificate"):
        own = [ch for ch in chunks if kind in ch.kinds]
        assert own, kind
        for ch in own:
            assert set(ch.kinds) <= {kind, "heading"}, (kind, ch.kinds)
    signed = [ch for ch in chunks if "signature" in ch.kinds]
    assert any("By: /s/ Scott R. Drury" in ch.text for ch in signed)
    assert signed[0].section == ["Signature"]
    cert = [ch for ch in chunks if "certificate" in ch.kinds][0]
    assert cert.text.startswith("CERTIFICATE OF SERVICE") and cert.section == ["CERTIFICATE OF SERVICE"]
    notes = [ch for ch in chunks if "footnote" in ch.kinds]
    assert notes and all(ch.section == ["Footnotes"] and ch.kinds == ["footnote"] for ch in notes)
    assert notes[-1] is chunks[-1]
    intro = [ch for ch in chunks if ch.section == ["INTRODUCTION"]]
    assert intro and intro[0].text.startswith("PLAINTIFFS’ REPLY")     # the title leads in
    # a heading belongs to the chunk that follows it
    for b in c.blocks:
        if b.kind == "heading":
            owner = [ch for ch in chunks if ch.start <= b.start < ch.end]
            assert owner and owner[0].end > b.end, c.text[b.start:b.end]


def test_top_level_sections_are_not_mixed_on_the_order():
    c = _cleaned(FILES[0])
    chunks = chunk_document("000", c.text, c.blocks)
    for ch in chunks:
        tops = [c.text[b.start:b.end] for b in c.blocks
                if b.kind == "heading" and b.level == 1 and ch.start < b.start < ch.end]
        assert not tops, (ch.id, tops)
    held = [ch for ch in chunks if "denies the Illinois class plaintiffs’ motion" in ch.text][0]
    assert held.section == ["ORDER"]
    assert [ch.section for ch in chunks if "Orr, 953 F.3d at 502. Moreover" in ch.text][0] == \
        ["DISCUSSION"]
    assert chunks[0].kinds == ["caption"] and chunks[0].section == ["Caption"]


def test_page_of_is_applied():
    c = _cleaned(FILES[0])
    half = len(c.text) // 2
    chunks = chunk_document("000", c.text, c.blocks, page_of=lambda o: 1 if o < half else 2)
    assert chunks[0].page_start == 1 and chunks[-1].page_end == 2
    for ch in chunks:
        assert ch.page_start == (1 if ch.start < half else 2)
        assert ch.page_end == (1 if ch.end - 1 < half else 2)
    assert all(ch.page_start is None for ch in chunk_document("000", c.text, c.blocks))
    assert all(ch.context == "" for ch in chunks)
