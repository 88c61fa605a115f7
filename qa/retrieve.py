"""Hybrid retrieval: dense (Chroma) and BM25 over the same chunks, fused with RRF, with filters.

``Index`` searches the store's vectors (Chroma) and its full-text index (SQLite FTS5), holding
only the documents' heads in memory. ``CasefileRetriever`` exposes it to LangChain.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from ingest.bm25 import tokenize
from ingest.record import record_summary
from ingest.settings import Settings
from ingest.store import Store
from ingest.types import Chunk, DocHead, Document

from .evidence import citation_share
from .fusion import fuse_top
from .route import IN_BODY, IN_PASSING, IN_RECORD



@dataclass(frozen=True)
class Filters:
    """Limit a question to some documents, kinds, voices, courts, dispositions (the document's
    record) or a date range (ISO dates)."""

    doc_ids: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    voices: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""
    courts: tuple[str, ...] = ()
    dispositions: tuple[str, ...] = ()

    def active(self) -> bool:
        return bool(self.doc_ids or self.kinds or self.voices or self.date_from or self.date_to
                    or self.courts or self.dispositions)

    def allows(self, doc: Document) -> bool:
        m = doc.meta
        if self.doc_ids and doc.doc_id not in self.doc_ids and doc.source not in self.doc_ids:
            return False
        if self.kinds and m.kind not in self.kinds:
            return False
        if self.voices and m.voice not in self.voices:
            return False
        if self.courts and m.court not in self.courts:
            return False
        if self.dispositions and record_summary(doc)["disposition"] not in self.dispositions:
            return False
        if (self.date_from or self.date_to) and not m.date:
            return False
        if self.date_from and m.date < self.date_from:
            return False
        if self.date_to and m.date > self.date_to:
            return False
        return True


@dataclass
class Hit:
    doc: Document
    chunk: Chunk
    score: float                 # fused (RRF) score
    dense: float | None = None   # cosine similarity, when the chunk came up in dense search
    bm25: float | None = None
    ranks: dict[str, int] = field(default_factory=dict)


class LazyDocs(Mapping):
    """doc_id -> the whole stored Document, read from the store when first asked for (and kept
    in the store's bounded cache); iterating lists the committed documents' ids."""

    def __init__(self, store: Store, heads: dict[str, DocHead]):
        self._store, self._heads = store, heads

    def __getitem__(self, doc_id: str) -> Document:
        head = self._heads[doc_id]
        return self._store.document(doc_id, head.content_hash)

    def __iter__(self):
        return iter(self._heads)

    def __len__(self) -> int:
        return len(self._heads)

    def __contains__(self, doc_id) -> bool:
        return doc_id in self._heads


class Index:
    """Searches one store: dense through Chroma, lexical through the store's FTS5 index. Holds
    only the documents' heads (refreshed by what changed when the store's version moves on);
    a hit's document is read when needed."""

    def __init__(self, settings: Settings | None = None, store: Store | None = None, embedder=None):
        self.settings = settings or Settings.from_env()
        self.store = store or Store(self.settings)
        self._embedder = embedder
        self._lock = threading.RLock()
        self._version: int | None = None
        self.heads: dict[str, DocHead] = {}
        self.docs: LazyDocs = LazyDocs(self.store, self.heads)
        self.n_chunks = 0
        self._idf: dict[str, float] = {}
        self._term_docs: dict[str, dict[str, float]] = {}
        self._sent_vecs: dict[tuple[str, int, int], np.ndarray] = {}

    @property
    def embedder(self):
        if self._embedder is None:
            from ingest.embed import Embedder

            self._embedder = Embedder.shared()
        return self._embedder

    def _match_store(self, recorded: str | None) -> None:
        """Embed questions with the model the store's vectors were made by (see ingest.embed)."""
        from ingest.embed import embedder_for_store

        chosen = embedder_for_store(self.embedder, recorded)
        if chosen is not self._embedder:
            self._embedder = chosen
            self._sent_vecs.clear()

    # -- loading -------------------------------------------------------------------------------
    def refresh(self) -> "Index":
        version = self.store.version()
        if version == self._version and self.heads:
            return self                    # nothing committed since: nothing to read
        with self._lock:
            if version == self._version and self.heads:
                return self
            changed, gone = self.store.heads({d: h.content_hash for d, h in self.heads.items()})
            heads = {d: h for d, h in self.heads.items() if d not in gone}
            heads.update(changed)
            if not heads:
                self.store.require_built()
            self._match_store(self.store.db.info().get("embed_model"))
            self.heads = heads
            self.docs = LazyDocs(self.store, heads)
            self.n_chunks = sum(h.n_chunks for h in heads.values())
            self._idf, self._term_docs = {}, {}
            self._version = version
        return self

    def chunk(self, chunk_id: str) -> tuple[Document, Chunk]:
        doc_id, idx = chunk_id.rsplit(":", 1)
        doc = self.docs[doc_id]
        return doc, doc.chunks[int(idx)]

    def allowed_docs(self, filters: Filters | None) -> list[str] | None:
        if filters is None or not filters.active():
            return None
        return [d.doc_id for d in self.heads.values() if filters.allows(d)]

    def visible_docs(self, filters: Filters | None) -> list[DocHead]:
        """The heads of the documents the filters let through (all when there are none)."""
        return [d for d in self.heads.values() if filters is None or not filters.active() or filters.allows(d)]

    # -- searching -----------------------------------------------------------------------------
    def dense(self, query_vec: np.ndarray, n: int, allowed: list[str] | None) -> list[tuple[str, float]]:
        where = {"doc_id": {"$in": allowed}} if allowed is not None else None
        n = min(n, self.n_chunks)
        if n <= 0:
            return []
        res = self.store.collection.query(query_embeddings=[query_vec.tolist()], n_results=n,
                                          where=where, include=["distances"])
        return [(cid, 1.0 - float(dist)) for cid, dist in zip(res["ids"][0], res["distances"][0])
                if cid.rsplit(":", 1)[0] in self.heads]

    def lexical(self, query: str, n: int, allowed: list[str] | None) -> list[tuple[str, float]]:
        hits = self.store.db.search(self.query_terms(expand_query(query)), n, allowed)
        return [(cid, s) for d, cid, s in hits if d in self.heads]

    def search(self, query: str, k: int | None = None, filters: Filters | None = None,
               candidates: int = 30, query_vec: np.ndarray | None = None,
               lexical_query: str | None = None) -> list[Hit]:
        self.refresh()
        k = k or self.settings.top_k
        allowed = self.allowed_docs(filters)
        if allowed is not None and not allowed:
            return []
        with self._lock:
            if query_vec is None:
                query_vec = self.embedder.embed_query(query)
            dense = self.dense(query_vec, candidates, allowed)
            lexical = self.lexical(query, candidates, allowed)
            inside = self.lexical(lexical_query, candidates, allowed) if lexical_query not in (None, query) else []
        # a query quoting a citation or a docket number wants the exact words: BM25 counts more
        weights = [1.0, 2.0] if citation_share(query) > 0.2 else [1.0, 1.0]
        lists = [[c for c, _ in dense], [c for c, _ in lexical]]
        if inside:
            # searched as well without the names that chose the documents (qa.route.without_terms)
            lists.append([c for c, _ in inside])
            weights.append(1.0)
        fused = fuse_top(lists, k, weights=weights)
        dense_s, lex_s = dict(dense), {**dict(inside), **dict(lexical)}
        dense_r = {c: i + 1 for i, (c, _) in enumerate(dense)}
        lex_r = {c: i + 1 for i, (c, _) in enumerate(lexical)}
        hits = []
        for cid, score in fused[:k]:
            doc, chunk = self.chunk(cid)
            ranks = {name: r[cid] for name, r in (("dense", dense_r), ("bm25", lex_r)) if cid in r}
            hits.append(Hit(doc, chunk, score, dense_s.get(cid), lex_s.get(cid), ranks))
        return hits

    def sentence_similarity(self, query_vec: np.ndarray, items) -> list[float]:
        """Cosine similarity of the question to each (document, sentence), embedding each
        sentence once per process (a bounded cache)."""
        missing = [(d, s) for d, s in items if (d.doc_id, s.start, s.end) not in self._sent_vecs]
        if missing:
            vecs = self.embedder.embed_documents([d.text[s.start:s.end] for d, s in missing], batch_size=64)
            with self._lock:
                if len(self._sent_vecs) > 50_000:
                    self._sent_vecs.clear()
                for (d, s), v in zip(missing, vecs):
                    self._sent_vecs[(d.doc_id, s.start, s.end)] = v
        return [float(np.dot(query_vec, self._sent_vecs[(d.doc_id, s.start, s.end)])) for d, s in items]

    # -- which documents hold a term (for qa.route) -------------------------------------------
    def term_docs(self, term: str) -> dict[str, float]:
        """Each document holding ``term``, with how: in its record (title, court, docket, parties,
        first page) ``IN_RECORD``, in two or more passages ``IN_BODY``, in one ``IN_PASSING``."""
        self.refresh()
        with self._lock:
            cached = self._term_docs.get(term)
        if cached is not None:
            return cached
        counts = self.store.db.passages_by_doc(term)
        out = {d: (IN_BODY if n > 1 else IN_PASSING) for d, n in counts.items() if d in self.heads}
        out.update(dict.fromkeys((d for d in self.store.db.naming_docs(term) if d in self.heads), IN_RECORD))
        with self._lock:
            if len(self._term_docs) > 50_000:
                self._term_docs.clear()
            self._term_docs[term] = out
        return out

    def idf(self, token: str) -> float:
        """BM25's idf of a search term over the store's passages (0 for a term no passage holds)."""
        with self._lock:
            cached = self._idf.get(token)
        if cached is not None:
            return cached
        n = self.store.db.passage_frequency(token)
        value = float(np.log(1 + (self.n_chunks - n + 0.5) / (n + 0.5))) if n else 0.0
        with self._lock:
            if len(self._idf) > 100_000:
                self._idf.clear()
            self._idf[token] = value
        return value

    def query_terms(self, text: str) -> list[str]:
        return list(dict.fromkeys(tokenize(text)))


# words a question uses for what filings call otherwise: BM25 gets both (the dense side needs no help)
LEGAL_SYNONYMS = {"statute": "act ILCS U.S.C.", "statutes": "act ILCS U.S.C.", "lawyer": "counsel attorney",
                  "lawyers": "counsel attorneys", "attorney": "counsel", "attorneys": "counsel",
                  "lawsuit": "litigation action", "sued": "litigation action"}


def expand_query(query: str) -> str:
    extra = [LEGAL_SYNONYMS[w] for w in re.findall(r"[a-z]+", query.lower()) if w in LEGAL_SYNONYMS]
    return query + (" " + " ".join(extra) if extra else "")


# --- LangChain --------------------------------------------------------------------------------

def to_langchain(hit: Hit) -> LCDocument:
    d, c, m = hit.doc, hit.chunk, hit.doc.meta
    return LCDocument(
        id=c.id,
        page_content=c.text,
        metadata={"source": d.source, "doc_id": d.doc_id, "title": m.title, "kind": m.kind,
                  "voice": m.voice, "court": m.court, "docket": m.docket, "date": m.date,
                  "start": c.start, "end": c.end, "page_start": c.page_start, "page_end": c.page_end,
                  "section": " > ".join(c.section), "authorities": list(c.authorities),
                  "score": hit.score},
    )


class CasefileRetriever(BaseRetriever):
    """Dense + BM25 over the Casefile store, fused; documents carry offsets, pages and voice.

    ``retriever.invoke(query, k=3, filters=Filters(voices=("court",)))`` overrides per call.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)
    index: Any = None
    k: int = 8
    filters: Any = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                **kwargs: Any) -> list[LCDocument]:
        if self.index is None:
            self.index = Index()
        k = int(kwargs.get("k", self.k))
        filters = kwargs.get("filters", self.filters)
        return [to_langchain(h) for h in self.index.search(query, k=k, filters=filters)]
