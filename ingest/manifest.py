"""The manifest: which documents are in the store, from which file, at which content hash.

It is the store's table of contents and its transaction log. A document is written in three
steps, each durable before the next:

1. the manifest marks the document ``pending`` (with its new hash);
2. its stored text and chunks are written (``docs/<doc_id>.json``) and its vectors replaced in
   Chroma;
3. the manifest marks it ``ok``.

A run killed anywhere leaves either ``ok`` entries whose data is complete, or ``pending`` entries
that the next run repairs (drops and ingests again). Every write of the manifest replaces the
file atomically (write to a temporary file, fsync, rename).
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
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
    def __init__(self, path: Path, entries: dict[str, Entry] | None = None, info: dict | None = None):
        self.path = path
        self.entries: dict[str, Entry] = entries or {}
        self.info: dict = info or {}

    @classmethod
    def load(cls, path: Path) -> "Manifest":
        if not path.exists():
            return cls(path)
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = {k: Entry(**v) for k, v in data.get("documents", {}).items()}
        return cls(path, entries, data.get("info", {}))

    def save(self) -> None:
        data = {"info": self.info,
                "documents": {k: asdict(v) for k, v in sorted(self.entries.items())}}
        atomic_write_text(self.path, json.dumps(data, indent=1, ensure_ascii=False))

    def by_path(self) -> dict[str, Entry]:
        return {e.path: e for e in self.entries.values()}

    def ok(self) -> dict[str, Entry]:
        return {k: e for k, e in self.entries.items() if e.status == OK}

    def fingerprint(self) -> str:
        """Changes whenever the set of committed documents or their content changes."""
        import hashlib

        h = hashlib.sha1()
        for k, e in sorted(self.ok().items()):
            h.update(f"{k}:{e.content_hash}:{e.n_chunks};".encode())
        return h.hexdigest()


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
