"""Example questions for an empty chat, made from what the store holds (never from code).

Each document contributes the questions a lawyer first asks of its kind: of a court's decision,
what it decided, why, and on which authority; of a party's filing, what that party argues; of an
article, what it reports. A document is named by its own title, so the examples fit any corpus.
"""
from __future__ import annotations

from typing import Iterable

from ingest.types import Document

MAX_TITLE = 60


def short_title(doc: Document) -> str:
    """The document's title (or file name) cut at a word boundary to ``MAX_TITLE`` characters."""
    title = " ".join((doc.meta.title or doc.source.rsplit("/", 1)[-1]).split())
    if len(title) <= MAX_TITLE:
        return title
    cut = title[:MAX_TITLE].rsplit(" ", 1)[0].rstrip(",;:–-")
    return cut + "…"


def _for(doc: Document) -> list[str]:
    kind, voice, name = doc.meta.kind, (doc.meta.voice or "").strip(), short_title(doc)
    if kind in ("order", "opinion") or voice == "court":
        return [f"What did the court decide in “{name}”, and why?",
                f"Which cases does the court rely on in “{name}”?",
                f"Who decided “{name}”, and when?"]
    if kind in ("brief", "motion"):
        who = voice if voice and voice != "court" else "the filing party"
        return [f"What do {who} argue in “{name}”?", f"What relief do {who} ask for in “{name}”?"]
    if kind == "article":
        return [f"What does the article “{name}” report?"]
    return [f"What is “{name}” about?"]


def example_questions(docs: Iterable[Document], n: int = 4) -> list[str]:
    """Up to ``n`` questions, taken in turn from each document (newest date first), so that every
    kind of document in the store is represented before any gives a second one."""
    ordered = sorted(docs, key=lambda d: (d.meta.date or "", d.doc_id), reverse=True)
    per_doc = [_for(d) for d in ordered]
    out: list[str] = []
    for rank in range(max((len(q) for q in per_doc), default=0)):
        for qs in per_doc:
            if rank < len(qs) and qs[rank] not in out:
                out.append(qs[rank])
            if len(out) == n:
                return out
    return out
