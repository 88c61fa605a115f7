"""The store: each document's stored text, chunks and search terms (SQLite, ``ingest.db``),
their vectors (Chroma), and the manifest (rows of the same database).

Layout under ``Settings.home``::

    casefile.db            documents, passages' full-text index, the store's settings (ingest.db)
    chroma/                the embedded Chroma database (unless a Chroma server is configured)

The database is the source of truth for text: a quote is cut from ``Document.text``. Chroma
holds one vector per chunk with flat metadata for filtering. A store of the earlier layout
(``manifest.json`` and ``docs/*.json``) is moved into the database the first time it is opened
(``migrate``); its vectors stay as they are.
"""
from __future__ import annotations

import json
import logging
import shutil
import threading
from collections import OrderedDict
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from .bm25 import tokenize
from .db import StoreDB
from .errors import StoreError
from .manifest import OK, PENDING, Entry, Manifest
from .settings import Settings
from .types import Chunk, DocHead, Document
from .writelock import writing

log = logging.getLogger(__name__)

ADD_BATCH = 500
CACHED_DOCS = 256          # whole documents kept in memory per process (the rest are read when needed)


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


def chroma_settings():
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def open_chroma_client(settings: Settings):
    """An embedded Chroma by default; a Chroma server when ``CASEFILE_CHROMA_URL`` is set."""
    import chromadb

    if settings.chroma_url:
        from urllib.parse import urlparse

        url = urlparse(settings.chroma_url)
        try:
            return chromadb.HttpClient(host=url.hostname or "127.0.0.1", port=url.port or 8000,
                                       ssl=url.scheme == "https", settings=chroma_settings())
        except Exception as exc:  # chromadb raises several kinds here
            raise StoreError(
                f"Cannot reach the Chroma server at {settings.chroma_url} ({exc}). Start it "
                f"(`chroma run --path DIR`) or unset CASEFILE_CHROMA_URL to use the embedded store."
            ) from exc
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings())


def chunk_metadata(doc: Document, chunk: Chunk) -> dict:
    """Flat metadata for Chroma's filters (scalars only)."""
    m = doc.meta
    md = {
        "doc_id": doc.doc_id,
        "chunk_index": chunk.index,
        "source": doc.source,
        "title": m.title,
        "kind": m.kind,
        "voice": m.voice,
        "court": m.court,
        "docket": m.docket,
        "date": m.date,
        "start": chunk.start,
        "end": chunk.end,
        "section": " > ".join(chunk.section),
        "authorities": "; ".join(chunk.authorities),
    }
    if chunk.page_start is not None:
        md["page_start"] = chunk.page_start
        md["page_end"] = chunk.page_end if chunk.page_end is not None else chunk.page_start
    return md


class Store:
    """One Casefile store. Cheap to create; opens its database and Chroma on first use."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.from_env()
        self._client = None
        self._collection = None
        self._db: StoreDB | None = None
        self._docs: OrderedDict[str, tuple[str, Document]] = OrderedDict()   # doc_id -> (hash, doc)
        self._lock = threading.RLock()

    # -- opening ------------------------------------------------------------------------------
    @property
    def home(self) -> Path:
        return self.settings.home

    def exists(self) -> bool:
        return self.settings.db_path.exists() or self.settings.manifest_path.exists()

    @property
    def db(self) -> StoreDB:
        with self._lock:
            if self._db is None:
                db = StoreDB(self.settings.db_path)
                if self.settings.manifest_path.exists():
                    with writing(self.home):
                        if self.settings.manifest_path.exists():     # another process may have done it
                            migrate(self.settings, db)
                self._db = db
            return self._db

    @property
    def collection(self):
        with self._lock:
            if self._collection is None:
                self._client = open_chroma_client(self.settings)
                # No embedding function: Casefile embeds itself, and Chroma's default one would
                # try to download a model.
                self._collection = self._client.get_or_create_collection(
                    self.settings.collection,
                    metadata={"hnsw:space": "cosine"},
                    embedding_function=None,
                )
            return self._collection

    def manifest(self) -> Manifest:
        return Manifest.load(self.db)

    def version(self) -> int:
        """Changes with every committed change of the store (by any process)."""
        return self.db.version()

    # -- reading -------------------------------------------------------------------------------
    def document(self, doc_id: str, content_hash: str | None = None) -> Document:
        """The stored document; the last ``CACHED_DOCS`` read stay in memory. With
        ``content_hash`` (a head's), a cached copy of that version is returned without a read."""
        with self._lock:
            cached = self._docs.get(doc_id)
            if cached and content_hash is not None and cached[0] == content_hash:
                self._docs.move_to_end(doc_id)
                return cached[1]
        row = self.db.data(doc_id)
        if row is None:
            raise StoreError(f"No document {doc_id!r} in the store at {self.home}; it may have been "
                             f"deleted. Reload the document list.")
        h, data = row
        with self._lock:
            cached = self._docs.get(doc_id)
            if cached and cached[0] == h:
                return cached[1]
            doc = Document.from_dict(data)
            self._docs[doc_id] = (h, doc)
            self._docs.move_to_end(doc_id)
            while len(self._docs) > CACHED_DOCS:
                self._docs.popitem(last=False)
        return doc

    def documents(self, manifest: Manifest | None = None) -> list[Document]:
        """Every committed document, whole (reads them all: for tools and tests, not for answering)."""
        manifest = manifest or self.manifest()
        return [self.document(k) for k in sorted(manifest.ok())]

    def heads(self, known: dict[str, str] | None = None) -> tuple[dict[str, DocHead], set[str]]:
        """Heads of committed documents new or changed since ``known`` (doc_id -> content hash),
        and the ids of ``known`` gone since."""
        rows, gone = self.db.heads(known or {})
        return {d: DocHead.from_dict(head) for d, (_, head) in rows.items()}, gone

    def require_built(self) -> Manifest:
        manifest = self.manifest()
        if not manifest.ok():
            raise StoreError(
                f"The document store at {self.home} is empty or was never built. "
                f"Run `python -m ingest` (or `make run`) to ingest the corpus first."
            )
        return manifest

    # -- writing (one document = one transaction; see manifest.py) -----------------------------
    def put(self, manifest: Manifest, doc: Document, embeddings: Sequence[Sequence[float]],
            path: str) -> None:
        if len(embeddings) != len(doc.chunks):
            raise ValueError("one embedding per chunk is required")
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        existed = doc.doc_id in manifest.entries
        entry = Entry(doc_id=doc.doc_id, source=doc.source, path=path,
                      content_hash=doc.content_hash, n_chunks=len(doc.chunks), status=PENDING,
                      title=doc.meta.title, updated=now)
        manifest.entries[doc.doc_id] = entry
        self.db.mark_pending(vars(entry))                                 # 1. intent
        if existed:
            self._delete_vectors(doc.doc_id)
        col = self.collection                                             # 2. vectors
        for i in range(0, len(doc.chunks), ADD_BATCH):
            batch = doc.chunks[i:i + ADD_BATCH]
            col.add(ids=[c.id for c in batch],
                    embeddings=[list(map(float, e)) for e in embeddings[i:i + ADD_BATCH]],
                    metadatas=[chunk_metadata(doc, c) for c in batch],
                    documents=[c.text for c in batch])
        self._commit(doc)                                                 # 3. data, commit
        entry.status = OK
        with self._lock:
            self._docs[doc.doc_id] = (doc.content_hash, doc)

    def _commit(self, doc: Document) -> None:
        self.db.commit_document(doc.doc_id, DocHead.of(doc).to_dict(), doc.to_dict(),
                                [(c.id, c.embed_text()) for c in doc.chunks], identity_terms(doc))

    def remove(self, manifest: Manifest, doc_id: str) -> None:
        entry = manifest.entries.get(doc_id)
        if entry is not None:
            entry.status = PENDING
            self.db.mark_pending(vars(entry))
        self._delete_vectors(doc_id)
        self.db.delete_document(doc_id)
        manifest.entries.pop(doc_id, None)
        with self._lock:
            self._docs.pop(doc_id, None)

    def _delete_vectors(self, doc_id: str) -> None:
        self.collection.delete(where={"doc_id": doc_id})

    # -- consistency ---------------------------------------------------------------------------
    def repair(self, manifest: Manifest) -> list[str]:
        """Bring the store back to a consistent state after an interrupted run.

        Drops ``pending`` documents (the caller ingests their files again), vectors that belong
        to no committed document, and committed documents whose vector or passage count is
        wrong. Returns one line per thing repaired.
        """
        notes: list[str] = []
        for doc_id, entry in list(manifest.entries.items()):
            if entry.status != OK:
                notes.append(f"repaired: {entry.source} was interrupted mid-write; it will be ingested again")
                self.remove(manifest, doc_id)
        counts: dict[str, int] = {}
        ids = self.collection.get(include=[])["ids"]
        for cid in ids:
            doc_id = cid.rsplit(":", 1)[0]
            counts[doc_id] = counts.get(doc_id, 0) + 1
        for doc_id in set(counts) - set(manifest.entries):
            notes.append(f"repaired: removed {counts[doc_id]} orphaned vectors of {doc_id}")
            self._delete_vectors(doc_id)
        passages = self.db.chunk_counts()
        for doc_id, entry in list(manifest.entries.items()):
            if counts.get(doc_id, 0) != entry.n_chunks or passages.get(doc_id, 0) != entry.n_chunks:
                notes.append(f"repaired: {entry.source} was incomplete in the store; it will be ingested again")
                self.remove(manifest, doc_id)
        return notes

    def reset(self) -> None:
        """Delete everything in this store (``--rebuild``)."""
        with self._lock:
            try:
                client = self._client or open_chroma_client(self.settings)
                try:
                    client.delete_collection(self.settings.collection)
                except Exception:  # the collection may not exist yet
                    pass
            finally:
                self._collection = None
                self._docs.clear()
            if self._db is not None:
                self._db.close()
                self._db = None
        for p in (self.settings.db_path, Path(f"{self.settings.db_path}-wal"), Path(f"{self.settings.db_path}-shm")):
            p.unlink(missing_ok=True)
        shutil.rmtree(self.settings.docs_dir, ignore_errors=True)
        self.settings.manifest_path.unlink(missing_ok=True)
        (self.home / "bm25.pkl").unlink(missing_ok=True)


def migrate(settings: Settings, db: StoreDB) -> int:
    """Move a store of the earlier layout (``manifest.json``, ``docs/<id>.json``, ``bm25.pkl``)
    into the database, keeping its vectors. Committed documents are moved in one transaction
    each; the old files are deleted once all are in. Returns how many documents were moved."""
    old = json.loads(settings.manifest_path.read_text(encoding="utf-8"))
    moved = 0
    info = dict(old.get("info", {}))
    if info:
        db.save_info(info)
    for doc_id, e in sorted(old.get("documents", {}).items()):
        path = settings.docs_dir / f"{doc_id}.json"
        entry = Entry(**{**e, "status": PENDING})
        db.mark_pending(vars(entry))
        if e.get("status") != OK or not path.exists():
            continue            # an interrupted write: it stays pending, repair drops its vectors
        doc = Document.from_dict(json.loads(path.read_text(encoding="utf-8")))
        db.commit_document(doc.doc_id, DocHead.of(doc).to_dict(), doc.to_dict(),
                           [(c.id, c.embed_text()) for c in doc.chunks], identity_terms(doc))
        moved += 1
    settings.manifest_path.rename(settings.manifest_path.with_name("manifest.json.migrated"))
    shutil.rmtree(settings.docs_dir, ignore_errors=True)
    (settings.home / "bm25.pkl").unlink(missing_ok=True)
    log.info("moved %d documents of %s into %s", moved, settings.home, settings.db_path)
    return moved
