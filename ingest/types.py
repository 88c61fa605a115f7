"""Casefile's domain types, in one place.

Offsets are always character offsets into a document's *stored text* (the cleaned text kept in
the store), half-open ``[start, end)``. A quote is ``stored_text[start:end]`` and nothing else.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


# --- what a loader returns ------------------------------------------------------------------

@dataclass
class RawDocument:
    """A file's text as its loader read it, before cleaning.

    ``pages`` lists ``(page_number, start, end)`` ranges of ``text`` where the format knows its
    pages (PDF; text with form feeds); empty when it does not.
    """

    source: str
    text: str
    fmt: str
    pages: list[tuple[int, int, int]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # what the file itself says (title, ...)
    warnings: list[str] = field(default_factory=list)


# --- what cleaning returns ------------------------------------------------------------------

BLOCK_KINDS = ("heading", "paragraph", "list_item", "footnote", "caption", "signature",
               "certificate", "rule")


@dataclass
class Block:
    """A structural piece of the cleaned text: a heading, a paragraph, a footnote..."""

    kind: str
    start: int
    end: int
    level: int = 0      # headings: 1 = top (ARGUMENT), 2 = "I.", 3 = "A.", 4 = "1." ...
    label: str = ""     # footnotes: their number as written


@dataclass
class Cleaned:
    """Cleaned text, its blocks, and a map from each clean character back to the raw text.

    ``offsets[i]`` is the index in the raw text of clean character ``i``; it has one extra entry
    at the end (the raw end) so that a clean ``[start, end)`` maps to raw positions too.
    """

    text: str
    offsets: list[int]
    blocks: list[Block]


# --- what the store keeps -------------------------------------------------------------------

@dataclass
class Sentence:
    start: int
    end: int
    kind: str = ""      # "heading" for a heading line; "" for prose


@dataclass
class Chunk:
    id: str
    doc_id: str
    index: int
    start: int
    end: int
    text: str                       # == stored_text[start:end]
    section: list[str]              # heading path, outermost first
    page_start: int | None
    page_end: int | None
    sentences: list[Sentence]       # offsets in the stored text
    kinds: list[str]                # block kinds inside (paragraph, footnote, ...)
    authorities: list[str] = field(default_factory=list)  # eyecite: "953 F.3d 490", ...
    context: str = ""               # the header prepended for embedding and BM25

    def embed_text(self) -> str:
        return f"{self.context}\n{self.text}" if self.context else self.text


@dataclass
class DocumentMeta:
    """What the catalog says of a document, or what could be inferred from its text."""

    title: str = ""
    kind: str = "other"             # order | opinion | brief | motion | article | other
    court: str = ""                 # or outlet, for articles
    docket: str = ""
    date: str = ""                  # ISO yyyy-mm-dd where known
    voice: str = ""                 # court | plaintiffs | defendants | outlet | ...
    source_url: str = ""
    description: str = ""
    inferred: list[str] = field(default_factory=list)  # the fields guessed from the text


@dataclass
class Document:
    doc_id: str
    source: str                     # path as given (relative to the repository when inside it)
    content_hash: str
    fmt: str
    meta: DocumentMeta
    text: str                       # the stored text: quotes are cut from here
    pages: list[tuple[int, int, int]]   # (page, start, end) in the stored text
    chunks: list[Chunk]
    warnings: list[str] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)   # ingest.record.Record.to_dict()

    def page_at(self, offset: int) -> int | None:
        for number, start, end in self.pages:
            if start <= offset < end:
                return number
        return None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Document":
        d = dict(d)
        d["meta"] = DocumentMeta(**d["meta"])
        d["pages"] = [tuple(p) for p in d["pages"]]
        chunks = []
        for c in d["chunks"]:
            c = dict(c)
            c["sentences"] = [Sentence(**s) for s in c["sentences"]]
            chunks.append(Chunk(**c))
        d["chunks"] = chunks
        return cls(**d)


@dataclass
class DocHead:
    """What lists, filters and routing need of a stored document, without its text and chunks
    (``Store.heads``): small enough to hold for every document of a large store."""

    doc_id: str
    source: str
    content_hash: str
    fmt: str
    meta: DocumentMeta
    record: dict[str, Any] = field(default_factory=dict)
    n_pages: int = 0
    n_chunks: int = 0

    @classmethod
    def of(cls, doc: "Document") -> "DocHead":
        return cls(doc.doc_id, doc.source, doc.content_hash, doc.fmt, doc.meta, doc.record,
                   len(doc.pages), len(doc.chunks))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DocHead":
        d = dict(d)
        d["meta"] = DocumentMeta(**d["meta"])
        return cls(**d)


# --- what answering returns -----------------------------------------------------------------

@dataclass
class Citation:
    n: int
    source: str
    title: str
    quote: str
    start: int
    end: int
    page: int | None
    doc_id: str = ""
    kind: str = ""
    voice: str = ""


@dataclass
class Evidence:
    source: str
    text: str
    score: float
    doc_id: str = ""
    chunk_id: str = ""
    title: str = ""
    kind: str = ""
    voice: str = ""
    start: int = 0
    end: int = 0
    page: int | None = None
    section: str = ""


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    model: str = ""
    unsupported: list[str] = field(default_factory=list)   # answer sentences nothing supports
    mode: str = "generated"         # generated | extractive (model unavailable) | error
    notice: str = ""                # a plain sentence for the user (why extractive, why abstained)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
