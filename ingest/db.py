"""The store's database: one SQLite file (WAL) with the documents, their passages' lexical index
(FTS5) and the store's settings.

Tables::

    info(key, value)             the store's settings as JSON values; ``version`` counts commits
    documents(doc_id, …)         one row per document, updated in place: where it came from, its
                                 content hash, status (pending | ok), its head (metadata and
                                 record, small: what lists and filters need) and its data (the
                                 whole Document, zlib-compressed JSON: stored text, pages, chunks)
    chunks(rowid, doc_id, chunk_id)  one row per passage; ``rowid`` is its row in ``chunk_fts``
    chunk_fts                    FTS5 over each passage's search terms (``ingest.bm25.tokenize``,
                                 written pre-tokenised, so the index and the questions agree on
                                 stemming, stopwords and "f.3d"-like tokens)
    chunk_vocab                  FTS5's own vocabulary view: in how many passages a term occurs
    doc_terms(term, doc_id)      the terms a document is named by (caption, court, docket,
                                 parties, title): which documents a question names (qa.route)

Every change of a document is one transaction, so a reader (in this process or another one)
sees a document whole or not at all, and nothing is loaded or rewritten whole when one
document changes. SQLite is in the standard library; FTS5 is built into Python's SQLite.
"""
from __future__ import annotations

import json
import math
import sqlite3
import threading
import zlib
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from .bm25 import tokenize
from .errors import StoreError

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS info(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents(
    doc_id TEXT PRIMARY KEY, source TEXT NOT NULL, path TEXT NOT NULL, content_hash TEXT NOT NULL,
    n_chunks INTEGER NOT NULL, status TEXT NOT NULL, title TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL DEFAULT '', head TEXT, data BLOB);
CREATE TABLE IF NOT EXISTS chunks(rowid INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, chunk_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts USING fts5(body, tokenize="ascii tokenchars '.'");
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_vocab USING fts5vocab(chunk_fts, 'row');
CREATE TABLE IF NOT EXISTS doc_terms(term TEXT NOT NULL, doc_id TEXT NOT NULL,
    PRIMARY KEY(term, doc_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS doc_terms_doc ON doc_terms(doc_id);
"""

ENTRY_COLUMNS = ("doc_id", "source", "path", "content_hash", "n_chunks", "status", "title", "updated")
INTERNAL_KEYS = ("version", "schema")


def fts_terms(text: str) -> list[str]:
    """``tokenize(text)`` as FTS5 stores them: its ``ascii`` tokenizer keeps "." inside a token
    ("f.3d", "u.s.c"), and an apostrophe inside a word is written as "." too ("o'brien")."""
    return [t.replace("'", ".") for t in tokenize(text)]


def match_expression(terms: Iterable[str]) -> str:
    """An FTS5 query matching a passage holding any of ``terms`` (each quoted, once)."""
    return " OR ".join(f'"{t}"' for t in dict.fromkeys(terms) if t)


# FTS5's bm25() constants (fts5_aux.c), and how many postings FTS5 scores for one question
# (about 15 ms on this machine; bench/scale_bench.py measures what the cutoff changes)
BM25_K1, BM25_B = 1.2, 0.75
SCORED_POSTINGS = 40_000


def bm25_idf(n_rows: int, n_hit: int) -> float:
    """FTS5's idf: a term in more than half the passages counts (almost) nothing."""
    idf = math.log((n_rows - n_hit + 0.5) / (n_hit + 0.5))
    return idf if idf > 0 else 1e-6


def _varint(blob: bytes, i: int) -> tuple[int, int]:
    """SQLite's variable-length integer at ``blob[i]``: (value, next offset)."""
    value = 0
    for _ in range(8):
        byte = blob[i]
        i += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, i
    return (value << 8) | blob[i], i + 1


def pack(obj) -> bytes:
    return zlib.compress(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 6)


def unpack(blob: bytes):
    return json.loads(zlib.decompress(blob).decode("utf-8"))


class StoreDB:
    """One connection to the store's database, shared by the threads of a process (guarded by a
    lock; every statement is short). Writers are one at a time across processes anyway
    (``ingest.writelock``); readers never wait for them (WAL)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        with self._lock:
            if self._conn is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                try:
                    conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None,
                                           check_same_thread=False)
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute("PRAGMA synchronous=NORMAL")
                    conn.executescript(SCHEMA)
                except sqlite3.DatabaseError as exc:
                    raise StoreError(
                        f"The store's database {self.path} cannot be opened ({exc}). If the file is "
                        f"damaged, run `python -m ingest --rebuild` to build the store again from "
                        f"your files.") from exc
                self._conn = conn
            return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def query(self, sql: str, args: tuple | list = ()) -> list[tuple]:
        with self._lock:
            return self.conn.execute(sql, args).fetchall()

    # -- the store's settings and version ---------------------------------------------------------
    def info(self) -> dict:
        return {k: json.loads(v) for k, v in self.query("SELECT key, value FROM info")
                if k not in INTERNAL_KEYS}

    def save_info(self, info: dict) -> None:
        with self.transaction() as c:
            c.execute("DELETE FROM info WHERE key NOT IN (%s)" % ",".join("?" * len(INTERNAL_KEYS)),
                      INTERNAL_KEYS)
            c.executemany("INSERT INTO info(key, value) VALUES (?, ?)",
                          [(k, json.dumps(v, ensure_ascii=False)) for k, v in info.items()
                           if k not in INTERNAL_KEYS])
            _bump(c)

    def version(self) -> int:
        rows = self.query("SELECT value FROM info WHERE key = 'version'")
        return int(rows[0][0]) if rows else 0

    # -- documents ------------------------------------------------------------------------------
    def entries(self) -> list[tuple]:
        return self.query(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM documents")

    def mark_pending(self, row: dict) -> None:
        """Step 1 of a document's write: its row says ``pending`` (readers no longer see it)."""
        with self.transaction() as c:
            c.execute(f"INSERT INTO documents({', '.join(ENTRY_COLUMNS)}) VALUES ({', '.join('?' * len(ENTRY_COLUMNS))}) "
                      "ON CONFLICT(doc_id) DO UPDATE SET source=excluded.source, path=excluded.path, "
                      "content_hash=excluded.content_hash, n_chunks=excluded.n_chunks, status=excluded.status, "
                      "title=excluded.title, updated=excluded.updated",
                      [row[k] for k in ENTRY_COLUMNS])
            _bump(c)

    def commit_document(self, doc_id: str, head: dict, data: dict, passages: list[tuple[str, str]],
                        terms: Iterable[str]) -> None:
        """Step 3: the document's data, its passages' search terms and its naming terms replace
        the old ones, and its row says ``ok``, in one transaction."""
        with self.transaction() as c:
            _delete_rows(c, doc_id)
            c.execute("UPDATE documents SET head = ?, data = ?, status = 'ok' WHERE doc_id = ?",
                      (json.dumps(head, ensure_ascii=False), pack(data), doc_id))
            for chunk_id, text in passages:
                rowid = c.execute("INSERT INTO chunks(doc_id, chunk_id) VALUES (?, ?)", (doc_id, chunk_id)).lastrowid
                c.execute("INSERT INTO chunk_fts(rowid, body) VALUES (?, ?)", (rowid, " ".join(fts_terms(text))))
            c.executemany("INSERT OR IGNORE INTO doc_terms(term, doc_id) VALUES (?, ?)",
                          [(t, doc_id) for t in terms])
            _bump(c)

    def delete_document(self, doc_id: str) -> None:
        with self.transaction() as c:
            _delete_rows(c, doc_id)
            c.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
            _bump(c)

    def heads(self, known: dict[str, str]) -> tuple[dict[str, tuple[str, dict]], set[str]]:
        """Committed documents' heads that are new or changed since ``known`` (doc_id -> content
        hash), and the ids of ``known`` that are gone: a reader refreshes by what changed."""
        current = dict(self.query("SELECT doc_id, content_hash FROM documents WHERE status = 'ok'"))
        changed = [d for d, h in current.items() if known.get(d) != h]
        out: dict[str, tuple[str, dict]] = {}
        for i in range(0, len(changed), 500):
            part = changed[i:i + 500]
            for doc_id, h, head in self.query(
                    "SELECT doc_id, content_hash, head FROM documents WHERE status = 'ok' AND doc_id IN (%s)"
                    % ",".join("?" * len(part)), part):
                out[doc_id] = (h, json.loads(head))
        return out, set(known) - set(current)

    def data(self, doc_id: str) -> tuple[str, dict] | None:
        rows = self.query("SELECT content_hash, data FROM documents WHERE doc_id = ? AND status = 'ok'", (doc_id,))
        if not rows or rows[0][1] is None:
            return None
        return rows[0][0], unpack(rows[0][1])

    def chunk_counts(self) -> dict[str, int]:
        return dict(self.query("SELECT doc_id, count(*) FROM chunks GROUP BY doc_id"))

    # -- lexical search -----------------------------------------------------------------------
    def search(self, terms: list[str], n: int, allowed: list[str] | None = None,
               exact: bool = False) -> list[tuple[str, str, float]]:
        """The ``n`` passages best matching ``terms`` by FTS5's BM25, as (doc_id, chunk id,
        score; higher is better), within the ``allowed`` documents when given.

        FTS5 scores every passage that holds any term, so a term held by half the store costs
        half the store. A question's terms are taken rarest first up to ``SCORED_POSTINGS``
        postings: those choose the candidates with FTS5's own ``bm25()``, and the commoner
        terms' share is added to each candidate from its stored terms by the same formula (the
        high-frequency cutoff search engines use: Lucene's common-terms query). Below the budget
        (every store of a few thousand passages) this is one FTS5 query over all the terms, as
        it is with ``exact``."""
        if n <= 0 or (allowed is not None and not allowed):
            return []
        terms = [t for t in dict.fromkeys(t.replace("'", ".") for t in terms) if t]
        df = {t: self.passage_frequency(t) for t in terms}
        order = sorted((t for t in terms if df[t]), key=lambda t: df[t])
        if not order:
            return []
        chosen, cost = [], 0
        for t in order:
            if chosen and cost + df[t] > SCORED_POSTINGS:
                break
            chosen.append(t)
            cost += df[t]
        rest = order[len(chosen):]
        if rest and not exact:
            return self._with_common(chosen, rest, df, n, allowed)
        return [(d, i, s) for _, d, i, s in self._fts(order, n, allowed)]

    def _fts(self, terms: list[str], n: int, allowed: list[str] | None) -> list[tuple[int, str, str, float]]:
        """One FTS5 query: (rowid, doc_id, chunk id, -bm25) of the ``n`` best passages."""
        expr = match_expression(terms)
        if not expr:
            return []
        inner = "SELECT rowid AS r, -bm25(chunk_fts) AS s FROM chunk_fts WHERE chunk_fts MATCH ?"
        if allowed is None:
            sql = (f"SELECT f.r, c.doc_id, c.chunk_id, f.s FROM ({inner} ORDER BY bm25(chunk_fts) LIMIT ?) f "
                   "JOIN chunks c ON c.rowid = f.r ORDER BY f.s DESC")
            args: list = [expr, n]
        else:
            sql = ("SELECT c.rowid, c.doc_id, c.chunk_id, -bm25(chunk_fts) AS s FROM chunk_fts "
                   "JOIN chunks c ON c.rowid = chunk_fts.rowid WHERE chunk_fts MATCH ? AND c.doc_id IN (%s) "
                   "ORDER BY bm25(chunk_fts) LIMIT ?" % ",".join("?" * len(allowed)))
            args = [expr, *allowed, n]
        return [(r, d, i, float(s)) for r, d, i, s in self.query(sql, args)]

    def _with_common(self, chosen, rest, df, n, allowed):
        """The top ``n`` by all terms among the ``4n`` (at least 100) passages the ``chosen``
        terms rank best: each candidate's FTS5 score plus the ``rest`` terms' BM25 share,
        computed from its stored terms as FTS5 computes it (same idf, k1, b and mean length)."""
        n_rows, avgdl = self.fts_totals()
        cands = self._fts(chosen, max(4 * n, 100), allowed)
        if not cands or not n_rows or not avgdl:
            return [(d, i, s) for _, d, i, s in cands[:n]]
        idf = {t: bm25_idf(n_rows, df[t]) for t in rest}
        bodies: dict[int, str] = {}
        rowids = [r for r, *_ in cands]
        for k in range(0, len(rowids), 500):
            part = rowids[k:k + 500]
            bodies.update(self.query("SELECT rowid, body FROM chunk_fts WHERE rowid IN (%s)"
                                     % ",".join("?" * len(part)), part))
        scored = []
        for r, d, i, partial in cands:
            toks = bodies.get(r, "").split()
            counts = Counter(toks)
            norm = BM25_K1 * (1 - BM25_B + BM25_B * len(toks) / avgdl)
            extra = sum(idf[t] * counts[t] * (BM25_K1 + 1) / (counts[t] + norm) for t in rest if t in counts)
            scored.append((partial + extra, r, d, i))
        scored.sort(key=lambda x: (-x[0], x[1]))
        return [(d, i, s) for s, _, d, i in scored[:n]]

    def fts_totals(self) -> tuple[int, float]:
        """FTS5's own count of passages and their mean length in terms (its "averages" record),
        what its ``bm25()`` normalises by."""
        rows = self.query("SELECT block FROM chunk_fts_data WHERE id = 1")
        if not rows or not rows[0][0]:
            return 0, 0.0
        blob = rows[0][0]
        n_rows, i = _varint(blob, 0)
        total, _ = _varint(blob, i)
        return n_rows, (total / n_rows if n_rows else 0.0)

    def passage_frequency(self, term: str) -> int:
        """In how many passages ``term`` (a search term) occurs."""
        rows = self.query("SELECT doc FROM chunk_vocab WHERE term = ?", (term.replace("'", "."),))
        return int(rows[0][0]) if rows else 0

    def n_passages(self) -> int:
        return int(self.query("SELECT count(*) FROM chunks")[0][0])

    def passages_by_doc(self, term: str) -> dict[str, int]:
        """How many passages of each document hold ``term``."""
        expr = match_expression([term.replace("'", ".")])
        if not expr:
            return {}
        return dict(self.query("SELECT c.doc_id, count(*) FROM chunk_fts JOIN chunks c ON c.rowid = chunk_fts.rowid "
                               "WHERE chunk_fts MATCH ? GROUP BY c.doc_id", (expr,)))

    def naming_docs(self, term: str) -> list[str]:
        return [d for (d,) in self.query("SELECT doc_id FROM doc_terms WHERE term = ?", (term,))]


def _bump(c: sqlite3.Connection) -> None:
    c.execute("INSERT INTO info(key, value) VALUES ('version', '1') "
              "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")


def _delete_rows(c: sqlite3.Connection, doc_id: str) -> None:
    rowids = [r for (r,) in c.execute("SELECT rowid FROM chunks WHERE doc_id = ?", (doc_id,))]
    c.executemany("DELETE FROM chunk_fts WHERE rowid = ?", [(r,) for r in rowids])
    c.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
    c.execute("DELETE FROM doc_terms WHERE doc_id = ?", (doc_id,))
