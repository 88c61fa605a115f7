"""qa.export: answers and conversations as Markdown and JSON.

The Markdown is judged as a reader sees it: rendered by a CommonMark renderer (markdown-it-py,
which Gradio's own dependencies bring), with tables and strikethrough on as in GitHub's flavour.
"""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from ingest.types import Answer, Citation, Evidence
from qa.export import (answer_markdown, conversation_from_json, conversation_json,
                       conversation_markdown, pin_cite)

ORDER_TITLE = "Order denying the Illinois class plaintiffs' motion for a preliminary injunction"
REPLY_TITLE = "Plaintiffs' reply in support of Fed. R. Civ. P. 72(a) objections"

# quotes a document could hold that Markdown would otherwise eat or reshape
TRICKY = [
    "Clearview's *lax* security and __bold__ claims, see Orr, 953 F.3d at 501 (emphasis in original).",
    "# 1 is not a heading\n> nor is this a quote\n- nor a list item\n+ nor this\n1. nor an ordered list\n2) nor this",
    "A line\nthen another line\n\nand a second paragraph\n***\n---\n===",
    "[Orr](http://example.com) v. Shicker, <b>bold</b> &amp; `code` ~~struck~~ | a | b |\n|---|---|",
    "snake_case_name and 5 * 4 * 3 and C:\\path\\file and 50% of *all* images_",
]


def md_render(text: str) -> str:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)


class _Text(HTMLParser):
    """The text a reader sees: blockquotes apart, line breaks as newlines, paragraphs as blank lines."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.quotes: list[str] = []
        self.all: list[str] = []
        self.tags: set[str] = set()
        self._depth = 0

    def _put(self, s: str):
        self.all.append(s)
        if self._depth:
            self.quotes[-1] += s

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag == "blockquote":
            self._depth += 1
            if self._depth == 1:
                self.quotes.append("")
        elif tag == "br":
            self._put("\n")
        elif tag == "p" and self._depth and self.quotes[-1]:
            self._put("\n\n")
        elif tag == "p":
            self.all.append("\n\n")

    def handle_endtag(self, tag):
        if tag == "blockquote":
            self._depth -= 1

    def handle_data(self, data):
        self._put(data.replace("\n", "") if self._depth else data)


def seen(md: str) -> _Text:
    p = _Text()
    p.feed(md_render(md))
    p.quotes = [q.strip("\n") for q in p.quotes]
    p.text = re.sub(r"\n{3,}", "\n\n", "".join(p.all)).strip()
    return p


def as_read(quote: str) -> str:
    """A quote as it should read once rendered: its lines and paragraphs, indentation aside."""
    paras = re.split(r"\n[ \t]*\n+", quote.strip("\n"))
    return "\n\n".join("\n".join(x.strip() for x in p.split("\n") if x.strip()) for p in paras)


def cite(n, quote, page=None, title=ORDER_TITLE, kind="order", voice="court",
         source="corpus/2021-06-14-order-denying-preliminary-injunction.txt", start=100):
    return Citation(n=n, source=source, title=title, quote=quote, start=start, end=start + len(quote),
                    page=page, doc_id="doc", kind=kind, voice=voice)


def answered(**kw) -> Answer:
    base = dict(
        question="Why did the court deny the preliminary injunction?",
        answer="The court held that plaintiffs had not shown irreparable harm [1]. "
               "Plaintiffs argue the discovery order was clearly erroneous [2].",
        abstained=False,
        citations=[cite(1, "Plaintiffs have not established that they will suffer irreparable harm.", page=5),
                   cite(2, "The Magistrate Judge's order is clearly erroneous.", title=REPLY_TITLE,
                        kind="brief", voice="plaintiffs", source="corpus/reply.txt", start=4122)],
        timings={"retrieve_s": 0.05, "first_token_s": 9.5, "total_s": 12.0},
        model="Qwen2.5-Coder-1.5B-Instruct Q4_K_M")
    base.update(kw)
    return Answer(**base)


def abstention() -> Answer:
    return Answer(
        question="What is the boiling point of mercury in Kelvin?",
        answer="The documents do not answer this question.", abstained=True,
        evidence=[Evidence(source="corpus/article.txt", text="France fines Clearview AI *maximum* possible.",
                           score=0.31, title="France fines Clearview AI", kind="article", voice="outlet",
                           start=0, end=44, page=None),
                  Evidence(source="corpus/order.txt", text="The Court has considerable discretion.",
                           score=0.2, title=ORDER_TITLE, kind="order", voice="court", start=900,
                           end=937, page=3)],
        notice="The closest passages share too little with the question. The nearest passages are listed below.")


# --- answers --------------------------------------------------------------------------------

def test_plain_quotes_appear_verbatim_in_the_markdown_and_markers_stay():
    ans = answered()
    md = answer_markdown(ans)
    for c in ans.citations:
        assert c.quote in md
    first_line = md.splitlines()[0]
    assert "[1]" in first_line and "[2]" in first_line
    view = seen(md)
    assert view.text.startswith(ans.answer)
    assert view.quotes == [c.quote for c in ans.citations]


@pytest.mark.parametrize("quote", TRICKY)
def test_a_quote_full_of_markdown_renders_as_the_documents_text(quote):
    md = answer_markdown(answered(citations=[cite(1, quote, page=2)],
                                  answer="The court held so [1]."))
    view = seen(md)
    assert view.quotes == [as_read(quote)]
    html = md_render(md)
    # nothing in the quote became markup
    for tag in ("a", "h1", "h2", "ul", "ol", "li", "hr", "em", "b", "del", "s", "table", "pre"):
        assert f"<{tag}>" not in html.split("<blockquote>", 1)[1] and f"<{tag} " not in html.split("<blockquote>", 1)[1], (tag, html)


def test_answer_text_is_escaped_but_its_markers_are_not_turned_into_links():
    ans = answered(answer="Plaintiffs cite *Orr* [1](see) and 5 * 4 [2]: both_ways # done",
                   citations=[cite(1, "a."), cite(2, "b.", start=300)])
    md = answer_markdown(ans)
    assert "[1]" in md.splitlines()[0] and "[2]" in md.splitlines()[0]
    first = seen(md.split("\n\n")[0])
    assert first.text == ans.answer
    assert first.tags == {"p"}, "the answer's own text became markup"


def test_pin_cites_give_title_page_kind_voice_and_path():
    ans = answered()
    md = answer_markdown(ans)
    text = seen(md).text
    assert (f"[1] {ORDER_TITLE}, at 5 (court order) · "
            "corpus/2021-06-14-order-denying-preliminary-injunction.txt") in text
    # no page known: the character range, so the passage can still be found
    assert f"[2] {REPLY_TITLE}, characters 4122–4172 (plaintiffs' brief) · corpus/reply.txt" in text
    assert pin_cite(ans.citations[0]) == f"{ORDER_TITLE}, at 5"
    assert pin_cite(ans.citations[1]) == f"{REPLY_TITLE}, characters 4122–4172"
    # each quote follows its own pin cite
    assert text.index("[1] " + ORDER_TITLE) < text.index(ans.citations[0].quote) \
        < text.index("[2] " + REPLY_TITLE) < text.index(ans.citations[1].quote)


def test_page_zero_is_a_page_and_a_missing_title_falls_back_to_the_file_name():
    c = cite(1, "Quote.", page=0, title="", source="corpus/sub/notice.txt")
    assert pin_cite(c) == "notice.txt, at 0"


def test_an_abstention_reads_as_one_and_lists_passages_not_citations():
    ans = abstention()
    md = answer_markdown(ans)
    text = seen(md).text
    assert text.startswith("Not in the documents: The documents do not answer this question.")
    assert "Closest passages" in text and "not citations" in text
    assert "Sources" not in text
    assert not re.search(r"\[\d+\]", text), "an abstention's passages must not look like citations"
    assert seen(md).quotes == [e.text for e in ans.evidence]
    assert "France fines Clearview AI, characters 0–44 (news article) · corpus/article.txt" in text
    assert f"{ORDER_TITLE}, at 3 (court order)" in text
    # and an answer that does not abstain does not say so
    assert "Not in the documents" not in seen(answer_markdown(answered())).text


def test_unsupported_sentences_are_marked_and_counted():
    text = "The court denied the motion [1]. The judge was appointed in 2012"
    ans = answered(answer=text, citations=[cite(1, "The Court denies the motion.")],
                   unsupported=["The judge was appointed in 2012"])
    view = seen(answer_markdown(ans)).text
    assert "The judge was appointed in 2012 [unsupported]" in view
    assert "The court denied the motion [1]. The judge" in view      # the supported one is not marked
    assert "1 sentence marked [unsupported] is not backed by any passage" in view
    # the engine's own mark is not doubled
    ans.answer = text + " [unsupported]"
    assert seen(answer_markdown(ans)).text.count("[unsupported]") == 2   # text + the note


def test_an_extractive_answer_is_labelled():
    q = "Plaintiffs have not established irreparable harm."
    ans = answered(answer=f"“{q}” [1]", citations=[cite(1, q, page=5)], mode="extractive", model="",
                   notice="Extractive answer: the model is unavailable (no file), so these are the passages' own sentences.")
    text = seen(answer_markdown(ans)).text
    assert text.startswith("Extractive answer")
    assert f"“{q}” [1]" in text
    assert "Extractive" not in seen(answer_markdown(answered())).text


# --- conversations --------------------------------------------------------------------------

def test_conversation_markdown_has_each_question_as_a_heading_then_its_answer():
    turns = [answered(), abstention(), answered(question="And what about rule #2 #")]
    md = conversation_markdown(turns, title="Clearview *research*",
                               meta={"date": "2025-11-22 07:40", "model": "Qwen2.5 1.5B",
                                     "store": "/data/.casefile"})
    html = md_render(md)
    assert "<h1>Clearview *research*</h1>" in html
    heads = re.findall(r"<h2>(.*?)</h2>", html)
    assert heads == ["1. Why did the court deny the preliminary injunction?",
                     "2. What is the boiling point of mercury in Kelvin?",
                     "3. And what about rule #2 #"]
    text = seen(md).text
    assert "date: 2025-11-22 07:40 · model: Qwen2.5 1.5B · store: /data/.casefile" in text
    # answers sit under their own question, in order
    i1, i2, i3 = (text.index(h) for h in heads)
    assert i1 < text.index("irreparable harm [1]") < i2 < text.index("Not in the documents") < i3


def test_conversation_json_round_trips():
    turns = [answered(), abstention(), answered(mode="extractive", unsupported=["x"],
                                                timings={"retrieve_s": 0.1, "first_token_s": None})]
    meta = {"date": "2025-11-22", "model": "Qwen", "store": Path("/data/store"), "n": 3}
    text = conversation_json(turns, meta=meta)
    doc = json.loads(text)
    assert doc["turns"] == [t.to_dict() for t in turns]
    assert doc["meta"]["store"] == "/data/store"
    back, back_meta = conversation_from_json(text)
    assert back == turns
    assert back_meta == {**meta, "store": "/data/store"}
    assert conversation_json(back, back_meta) == text


def test_reading_something_else_as_a_conversation_says_what_is_wrong():
    with pytest.raises(ValueError, match="not a Casefile conversation"):
        conversation_from_json(json.dumps([answered().to_dict()]))


# --- a real answer ----------------------------------------------------------------------------

def test_a_real_answer_from_the_store_exports_its_quotes_and_pages(built_home, real_embedder, tmp_path):
    from ingest.store import Store
    from qa.engine import Engine
    from qa.retrieve import Index

    # no model file: the engine answers extractively, which needs no generation (cheap)
    eng = Engine(built_home.replace(model=str(tmp_path / "missing.gguf")),
                 index=Index(built_home, embedder=real_embedder))
    ans = eng.answer("What did the two data breaches expose?")
    assert ans.citations
    docs = {d.doc_id: d for d in Store(built_home).documents()}
    md = answer_markdown(ans)
    view = seen(md)
    assert view.quotes == [as_read(c.quote) for c in ans.citations]
    for c in ans.citations:
        doc = docs[c.doc_id]
        page = doc.page_at(c.start)
        where = f"at {page}" if page is not None else f"characters {c.start}–{c.end}"
        assert f"[{c.n}] {doc.meta.title}, {where}" in view.text
        assert doc.source in view.text
    back, _ = conversation_from_json(conversation_json([ans]))
    assert answer_markdown(back[0]) == md
