"""The store: each document's stored text and chunks (JSON), their vectors (Chroma), the manifest.

Layout under ``Settings.home``::

    manifest.json          the table of contents and transaction log (see manifest.py)
    docs/<doc_id>.json     a document: metadata, stored text, pages, chunks with sentences
    chroma/                the embedded Chroma database (unless a Chroma server is configured)
    bm25.pkl               the BM25 index, rebuilt when the manifest's fingerprint changes

The JSON documents are the source of truth for text: a quote is cut from ``Document.text``.
Chroma holds one vector per chunk with flat metadata for filtering.
"""
from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from .errors import StoreError
from .manifest import OK, PENDING, Entry, Manifest, atomic_write_text
from .settings import Settings
from .types import Chunk, Document

log = logging.getLogger(__name__)

ADD_BATCH = 500


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
    """One Casefile store. Cheap to create; opens Chroma on first use."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.from_env()
        self._client = None
        self._collection = None
        self._docs: dict[str, tuple[str, Document]] = {}   # doc_id -> (content_hash, doc)
        self._lock = threading.RLock()

    # -- opening ------------------------------------------------------------------------------
    @property
    def home(self) -> Path:
        return self.settings.home

    def exists(self) -> bool:
        return self.settings.manifest_path.exists()

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
        return Manifest.load(self.settings.manifest_path)

    # -- reading -------------------------------------------------------------------------------
    def doc_path(self, doc_id: str) -> Path:
        return self.settings.docs_dir / f"{doc_id}.json"

    def document(self, doc_id: str, entry: Entry | None = None) -> Document:
        """The stored document (cached while its content hash is unchanged)."""
        if entry is None:
            entry = self.manifest().entries.get(doc_id)
            if entry is None or entry.status != OK:
                raise StoreError(f"No document {doc_id!r} in the store at {self.home}.")
        with self._lock:
            cached = self._docs.get(doc_id)
            if cached and cached[0] == entry.content_hash:
                return cached[1]
        doc = Document.from_dict(json.loads(self.doc_path(doc_id).read_text(encoding="utf-8")))
        with self._lock:
            self._docs[doc_id] = (entry.content_hash, doc)
        return doc

    def documents(self, manifest: Manifest | None = None) -> list[Document]:
        manifest = manifest or self.manifest()
        return [self.document(k, e) for k, e in sorted(manifest.ok().items())]

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
        entry = Entry(doc_id=doc.doc_id, source=doc.source, path=path,
                      content_hash=doc.content_hash, n_chunks=len(doc.chunks), status=PENDING,
                      title=doc.meta.title, updated=now)
        manifest.entries[doc.doc_id] = entry
        manifest.save()                                                   # 1. intent
        atomic_write_text(self.doc_path(doc.doc_id),                      # 2. data
                          json.dumps(doc.to_dict(), ensure_ascii=False))
        self._delete_vectors(doc.doc_id)
        col = self.collection
        for i in range(0, len(doc.chunks), ADD_BATCH):
            batch = doc.chunks[i:i + ADD_BATCH]
            col.add(ids=[c.id for c in batch],
                    embeddings=[list(map(float, e)) for e in embeddings[i:i + ADD_BATCH]],
                    metadatas=[chunk_metadata(doc, c) for c in batch],
                    documents=[c.text for c in batch])
        entry.status = OK                                                 # 3. commit
        manifest.save()
        with self._lock:
            self._docs[doc.doc_id] = (doc.content_hash, doc)

    def remove(self, manifest: Manifest, doc_id: str) -> None:
        entry = manifest.entries.get(doc_id)
        if entry is not None:
            entry.status = PENDING
            manifest.save()
        self._delete_vectors(doc_id)
        self.doc_path(doc_id).unlink(missing_ok=True)
        manifest.entries.pop(doc_id, None)
        manifest.save()
        with self._lock:
            self._docs.pop(doc_id, None)

    def _delete_vectors(self, doc_id: str) -> None:
        self.collection.delete(where={"doc_id": doc_id})

    # -- consistency ---------------------------------------------------------------------------
    def repair(self, manifest: Manifest) -> list[str]:
        """Bring the store back to a consistent state after an interrupted run.

        Drops ``pending`` documents (the caller ingests their files again), vectors that belong
        to no committed document, committed documents whose vector count or stored JSON is
        wrong, and stray files. Returns one line per thing repaired.
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
        for doc_id, entry in list(manifest.entries.items()):
            if counts.get(doc_id, 0) != entry.n_chunks or not self.doc_path(doc_id).exists():
                notes.append(f"repaired: {entry.source} was incomplete in the store; it will be ingested again")
                self.remove(manifest, doc_id)
        docs_dir = self.settings.docs_dir
        if docs_dir.exists():
            for p in docs_dir.iterdir():
                if p.suffix == ".json" and p.stem not in manifest.entries:
                    p.unlink()
                elif p.name.endswith(".tmp"):
                    p.unlink()
        return notes

    def reset(self) -> None:
        """Delete everything in this store (``--rebuild``)."""
        import shutil

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
        shutil.rmtree(self.settings.docs_dir, ignore_errors=True)
        self.settings.manifest_path.unlink(missing_ok=True)
        (self.home / "bm25.pkl").unlink(missing_ok=True)
