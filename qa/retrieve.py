"""Hybrid retrieval: dense (Chroma) and BM25 over the same chunks, fused with RRF, with filters.

``Index`` loads what retrieval needs once (documents, the chunk table, BM25) and reloads it when
the store changes (the manifest's fingerprint). ``CasefileRetriever`` exposes it to LangChain.
"""
from __future__ import annotations

import pickle
import re
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from ingest.bm25 import BM25, tokenize
from ingest.manifest import atomic_write_bytes
from ingest.record import record_summary
from ingest.settings import Settings
from ingest.store import Store
from ingest.types import Chunk, Document

from .evidence import citation_share
from .fusion import fuse_top
from .route import IN_BODY, IN_PASSING, IN_RECORD

BM25_FILE = "bm25.pkl"
BM25_FORMAT = 3                     # bump when tokenize() changes: the index is rebuilt


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


class Index:
    """Documents, chunk table and BM25 of one store, loaded once and refreshed on change."""

    def __init__(self, settings: Settings | None = None, store: Store | None = None, embedder=None):
        self.settings = settings or Settings.from_env()
        self.store = store or Store(self.settings)
        self._embedder = embedder
        self._lock = threading.RLock()
        self._identity: dict[str, set[str]] = {}
        self._identity_fp = None
        self._fingerprint: str | None = None
        self._stamp: tuple[int, int] | None = None
        self.docs: dict[str, Document] = {}
        self.chunk_ids: list[str] = []
        self.chunk_pos: dict[str, int] = {}
        self.bm25: BM25 | None = None
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
        try:
            st = self.settings.manifest_path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        if stamp is not None and stamp == self._stamp:
            return self                    # the manifest file is unchanged: nothing to reload
        manifest = self.store.require_built()
        fp = manifest.fingerprint()
        with self._lock:
            self._match_store(manifest.info.get("embed_model"))
            if fp == self._fingerprint:
                return self
            docs = {d.doc_id: d for d in self.store.documents(manifest)}
            chunk_ids = [c.id for d in docs.values() for c in d.chunks]
            self.bm25 = self._load_bm25(fp, chunk_ids, docs)
            self.docs, self.chunk_ids = docs, chunk_ids
            self.chunk_pos = {cid: i for i, cid in enumerate(chunk_ids)}
            self._fingerprint = fp
            self._stamp = stamp
        return self

    def _load_bm25(self, fp: str, chunk_ids: list[str], docs: dict[str, Document]) -> BM25:
        path = self.settings.home / BM25_FILE
        try:
            with open(path, "rb") as fh:
                saved = pickle.load(fh)
            if saved.get("format") == BM25_FORMAT and saved.get("fingerprint") == fp \
                    and saved.get("chunk_ids") == chunk_ids:
                return saved["bm25"]
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, KeyError, TypeError):
            pass
        bm25 = BM25.build([c.embed_text() for d in docs.values() for c in d.chunks])
        atomic_write_bytes(path, pickle.dumps({"format": BM25_FORMAT, "fingerprint": fp,
                                               "chunk_ids": chunk_ids, "bm25": bm25}))
        return bm25

    def chunk(self, chunk_id: str) -> tuple[Document, Chunk]:
        doc_id, idx = chunk_id.rsplit(":", 1)
        doc = self.docs[doc_id]
        return doc, doc.chunks[int(idx)]

    def allowed_docs(self, filters: Filters | None) -> list[str] | None:
        if filters is None or not filters.active():
            return None
        return [d.doc_id for d in self.docs.values() if filters.allows(d)]

    def visible_docs(self, filters: Filters | None) -> list[Document]:
        return [d for d in self.docs.values() if filters is None or not filters.active() or filters.allows(d)]

    # -- searching -----------------------------------------------------------------------------
    def dense(self, query_vec: np.ndarray, n: int, allowed: list[str] | None) -> list[tuple[str, float]]:
        where = {"doc_id": {"$in": allowed}} if allowed is not None else None
        n = min(n, len(self.chunk_ids))
        if n <= 0:
            return []
        res = self.store.collection.query(query_embeddings=[query_vec.tolist()], n_results=n,
                                          where=where, include=["distances"])
        return [(cid, 1.0 - float(dist)) for cid, dist in zip(res["ids"][0], res["distances"][0])
                if cid in self.chunk_pos]

    def lexical(self, query: str, n: int, allowed: list[str] | None) -> list[tuple[str, float]]:
        mask = None
        if allowed is not None:
            ok = set(allowed)
            mask = np.array([cid.rsplit(":", 1)[0] in ok for cid in self.chunk_ids], dtype=bool)
        return [(self.chunk_ids[i], s) for i, s in self.bm25.top(expand_query(query), n, mask)]

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
            if self._identity_fp != self._fingerprint:
                # term -> documents naming it, built once per store version (not per question)
                named: dict[str, set[str]] = {}
                for d in self.docs.values():
                    for t in identity_terms(d):
                        named.setdefault(t, set()).add(d.doc_id)
                self._identity, self._identity_fp = named, self._fingerprint
            counts: dict[str, int] = {}
            hit = self.bm25.postings.get(term) if self.bm25 else None
            for i in (hit[0] if hit is not None else ()):
                d = self.chunk_ids[int(i)].rsplit(":", 1)[0]
                counts[d] = counts.get(d, 0) + 1
            out = {d: (IN_BODY if n > 1 else IN_PASSING) for d, n in counts.items()}
            out.update(dict.fromkeys(self._identity.get(term, ()), IN_RECORD))
        return out

    def idf(self, token: str) -> float:
        return self.bm25.idf.get(token, 0.0) if self.bm25 else 0.0

    def query_terms(self, text: str) -> list[str]:
        return list(dict.fromkeys(tokenize(text)))


# words a question uses for what filings call otherwise: BM25 gets both (the dense side needs no help)
LEGAL_SYNONYMS = {"statute": "act ILCS U.S.C.", "statutes": "act ILCS U.S.C.", "lawyer": "counsel attorney",
                  "lawyers": "counsel attorneys", "attorney": "counsel", "attorneys": "counsel",
                  "lawsuit": "litigation action", "sued": "litigation action"}


def identity_terms(doc: Document, first_page_chars: int = 4000) -> frozenset:
    """The terms a document is named by: its title, court, docket, the values of its record and
    its first page (where a filing's caption is)."""
    parts = [doc.meta.title, doc.meta.court, doc.meta.docket]
    for value in (doc.record or {}).values():
        items = value if isinstance(value, list) else [value]
        parts += [str(v.get("value", "")) if isinstance(v, dict) else str(v or "") for v in items]
    end = doc.pages[0][2] if doc.pages else len(doc.text)
    parts.append(doc.text[:min(end, first_page_chars)])
    return frozenset(tokenize(" ".join(parts)))


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
