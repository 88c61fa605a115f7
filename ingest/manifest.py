"""The manifest: which documents are in the store, from which file, at which content hash.

It is the store's table of contents and its transaction log, kept as rows of the store's
database (``ingest.db``: one row per document, updated in place). A document is written in
three steps, each durable before the next:

1. its row says ``pending`` (with its new hash);
2. its vectors are replaced in Chroma;
3. one database transaction writes its stored text, chunks and search terms and marks it ``ok``.

A run killed anywhere leaves either ``ok`` rows whose data is complete, or ``pending`` rows that
the next run repairs (drops and ingests again).
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

OK = "ok"
PENDING = "pending"


@dataclass
class Entry:
    doc_id: str
    source: str          # as shown to users
    path: str            # absolute path of the file it came from
    content_hash: str    # of the file bytes, its catalog entry and the pipeline version
    n_chunks: int
    status: str
    title: str = ""
    updated: str = ""


class Manifest:
    """The rows of the ``documents`` table as ``Entry`` objects, and the store's ``info``
    settings. ``save()`` writes ``info``; entries are written by ``Store.put``/``remove``."""

    def __init__(self, db=None, entries: dict[str, Entry] | None = None, info: dict | None = None):
        self.db = db
        self.entries: dict[str, Entry] = entries or {}
        self.info: dict = info or {}

    @classmethod
    def load(cls, db) -> "Manifest":
        from .db import ENTRY_COLUMNS

        entries = {row[0]: Entry(**dict(zip(ENTRY_COLUMNS, row))) for row in db.entries()}
        return cls(db, entries, db.info())

    def save(self) -> None:
        self.db.save_info(self.info)

    def by_path(self) -> dict[str, Entry]:
        return {e.path: e for e in self.entries.values()}

    def ok(self) -> dict[str, Entry]:
        return {k: e for k, e in self.entries.items() if e.status == OK}


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
