"""Evidence selection under a token budget: the sentences that matter and their neighbours.

Pure: takes retrieval hits and a term weighting, returns numbered passages, each one contiguous
span of a document's stored text (so every sentence in it can be quoted verbatim later).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from ingest.bm25 import tokenize
from ingest.catalog import describe
from ingest.types import Document, Sentence

WORDS_TO_TOKENS = 1.35   # Qwen's tokenizer on English legal prose, measured on the corpus


@dataclass
class Passage:
    key: int
    doc: Document
    start: int
    end: int
    sentences: list[Sentence]
    score: float
    chunk_id: str
    section: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.doc.text[self.start:self.end]

    @property
    def page(self) -> int | None:
        return self.doc.page_at(self.start)

    def label(self) -> str:
        m = self.doc.meta
        where = f", p. {self.page}" if self.page is not None else ""
        return f"{describe(m)}{where}"


def estimate_tokens(text: str) -> int:
    return int(len(text.split()) * WORDS_TO_TOKENS) + 1


def sentence_scores(text: str, sentences: Sequence[Sentence], terms: Sequence[str],
                    idf: Callable[[str], float]) -> list[float]:
    """Share of the query's (idf-weighted) terms that each sentence contains."""
    weights = {t: max(idf(t), 0.1) for t in terms}
    total = sum(weights.values()) or 1.0
    out = []
    for s in sentences:
        toks = set(tokenize(text[s.start:s.end]))
        out.append(sum(w for t, w in weights.items() if t in toks) / total)
    return out


def select_evidence(hits: Sequence, terms: Sequence[str], idf: Callable[[str], float],
                    budget_tokens: int, neighbours: int = 1, max_passages: int = 6,
                    lexical_weight: float = 0.6) -> list[Passage]:
    """Pick the best sentences of the retrieved chunks (with ``neighbours`` either side), merge
    overlapping spans of the same document, and stop at ``budget_tokens``.

    ``hits`` are retrieval hits (``.doc``, ``.chunk``, ``.score``) best first.
    """
    if not hits:
        return []
    top = max(h.score for h in hits) or 1.0
    candidates = []   # (score, hit, sentence index)
    for rank, h in enumerate(hits):
        prior = h.score / top
        sents = h.chunk.sentences
        for i, lex in enumerate(sentence_scores(h.doc.text, sents, terms, idf)):
            candidates.append((lexical_weight * lex + (1 - lexical_weight) * prior, rank, h, i))
    candidates.sort(key=lambda c: (-c[0], c[1], c[3]))

    spans: list[dict] = []   # {doc, start, end, score, chunk_id, sentences}
    used = 0
    seen: set[tuple[str, int]] = set()
    for score, _, h, i in candidates:
        s = h.chunk.sentences[i]
        if (h.doc.doc_id, s.start) in seen:
            continue
        lo, hi = max(0, i - neighbours), min(len(h.chunk.sentences), i + neighbours + 1)
        block = h.chunk.sentences[lo:hi]
        start, end = block[0].start, block[-1].end
        merged = _merge(spans, h, start, end, block, score)
        for b in block:
            seen.add((h.doc.doc_id, b.start))
        new_total = sum(estimate_tokens(h2["doc"].text[h2["start"]:h2["end"]]) for h2 in spans)
        if new_total > budget_tokens and used > 0:
            _undo(spans, merged)
            continue
        used = new_total
        if len(spans) >= max_passages and used >= budget_tokens * 0.8:
            break
    spans = [sp for sp in spans if sp["sentences"]]
    spans.sort(key=lambda sp: -sp["score"])
    return [Passage(key=k, doc=sp["doc"], start=sp["start"], end=sp["end"],
                    sentences=sorted(sp["sentences"], key=lambda x: x.start), score=sp["score"],
                    chunk_id=sp["chunk_id"], section=sp["section"])
            for k, sp in enumerate(spans[:max_passages], start=1)]


def _merge(spans: list[dict], h, start: int, end: int, block: list[Sentence], score: float):
    """Add a span, merging it into an overlapping or adjacent span of the same document.

    Returns what is needed to undo the change if it breaks the budget.
    """
    for sp in spans:
        if sp["doc"].doc_id != h.doc.doc_id:
            continue
        gap = h.doc.text[min(sp["end"], end):max(sp["start"], start)]
        if start <= sp["end"] and end >= sp["start"] or (not gap.strip() and "\n\n" not in gap):
            before = dict(sp, sentences=list(sp["sentences"]))
            sp["start"], sp["end"] = min(sp["start"], start), max(sp["end"], end)
            have = {x.start for x in sp["sentences"]}
            sp["sentences"].extend(b for b in block if b.start not in have)
            sp["score"] = max(sp["score"], score)
            return ("merged", sp, before)
    sp = {"doc": h.doc, "start": start, "end": end, "score": score, "chunk_id": h.chunk.id,
          "sentences": list(block), "section": list(h.chunk.section)}
    spans.append(sp)
    return ("new", sp, None)


def _undo(spans: list[dict], change) -> None:
    how, sp, before = change
    if how == "new":
        spans.remove(sp)
    else:
        sp.clear()
        sp.update(before)
