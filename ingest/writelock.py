"""One writer at a time per store, across processes.

Several Casefile processes may share one store (the same ``CASEFILE_HOME``, and in team mode the
same Chroma server). Reading needs no lock: every write is committed atomically and readers see
only committed documents. Writing does: a run reads the store's table of contents, writes
documents, and repairs what an interrupted run left, which would undo another process's writes
in progress. ``writing(home)`` holds an exclusive ``flock`` on ``home/write.lock`` for the whole
write; the kernel releases it when the holder exits, even by ``kill -9``, so a dead writer never
blocks the store (a forked worker of the writer inherits the lock and exits with it).
Re-entrant within one thread; other threads of the process wait.
"""
from __future__ import annotations

import fcntl
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

LOCK_NAME = "write.lock"
_local = threading.RLock()
_held: dict[str, tuple[object, int]] = {}     # lock path -> (open file, depth) in this process


@contextmanager
def writing(home: Path, say: Callable[[str], None] | None = None) -> Iterator[None]:
    path = str(Path(home) / LOCK_NAME)
    with _local:
        if path in _held:
            f, depth = _held[path]
            _held[path] = (f, depth + 1)
        else:
            Path(home).mkdir(parents=True, exist_ok=True)
            f = open(path, "a+")
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if say:
                    say(f"Waiting for another process writing to the store at {home} to finish…")
                fcntl.flock(f, fcntl.LOCK_EX)
            _held[path] = (f, 1)
        try:
            yield
        finally:
            f, depth = _held[path]
            if depth > 1:
                _held[path] = (f, depth - 1)
            else:
                del _held[path]
                fcntl.flock(f, fcntl.LOCK_UN)
                f.close()
