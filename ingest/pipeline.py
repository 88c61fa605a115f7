"""The ingestion pipeline: files -> Documents -> vectors in the store, one document at a time.

``prepare`` turns one file into a Document (load, clean, chunk, describe, cite) without touching
the store; ``run`` decides what changed, embeds, and commits each document atomically.
"""
from __future__ import annotations

import bisect
import hashlib
import json
import os
import re
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from . import catalog as catalog_mod
from .chunk import chunk_document
from .clean import clean
from .errors import CasefileError, IngestError
from .legal import citation_tokenizer, extract_authorities_doc
from .record import record_for
from .loaders import SUPPORTED, load
from .manifest import OK, Entry
from .settings import REPO_ROOT, Settings
from .store import Store
from .types import Document, DocumentMeta
from .writelock import writing

# Bump when cleaning/chunking/metadata change in a way that should re-ingest every document.
PIPELINE_VERSION = "5"   # 5: a filing's record and its passages (4: PDFs by layout, taken back)
CATALOG_NAME = "catalog.yaml"
IGNORED_NAMES = {CATALOG_NAME, "catalog.yml", "README.md", "readme.md"}


@dataclass
class FileResult:
    source: str
    status: str          # added | updated | unchanged | removed | excluded | failed
    message: str = ""
    chunks: int = 0


@dataclass
class Report:
    results: list[FileResult] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    def summary(self) -> str:
        parts = [f"{self.count(s)} {s}" for s in ("added", "updated", "unchanged", "removed", "excluded", "failed")
                 if self.count(s)]
        chunks = sum(r.chunks for r in self.results if r.status in ("added", "updated"))
        return (f"{', '.join(parts) or 'nothing to do'}; {chunks} chunks embedded "
                f"in {self.seconds:.1f} s")

    def to_dict(self) -> dict:
        return {"results": [asdict(r) for r in self.results], "repaired": self.repaired,
                "seconds": self.seconds, "ok": self.ok}


# --- naming -------------------------------------------------------------------------------

def source_name(path: Path) -> str:
    """How a file is named to users: relative to the repository when inside it."""
    path = path.resolve()
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def doc_id_for(path: Path) -> str:
    """Stable per file location: readable slug of the name plus a short hash of the path."""
    slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")[:48] or "doc"
    return f"{slug}-{hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]}"


# --- discovering files --------------------------------------------------------------------

def discover(roots: Iterable[Path]) -> tuple[list[Path], list[FileResult]]:
    """Files to ingest under ``roots``; plus results for roots that cannot be used."""
    files: list[Path] = []
    problems: list[FileResult] = []
    for root in roots:
        if root.is_dir():
            for p in sorted(root.rglob("*")):
                rel = p.relative_to(root)
                if any(part.startswith(".") for part in rel.parts) or p.name in IGNORED_NAMES:
                    continue
                if p.is_file():
                    files.append(p)
        elif root.exists() or root.is_symlink():
            files.append(root)
        else:
            problems.append(FileResult(str(root), "failed",
                                       "not found; check the path (nothing was changed for it)"))
    seen, unique = set(), []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, problems


class Catalogs:
    """``catalog.yaml`` of each folder, read once per run."""

    def __init__(self):
        self._by_dir: dict[Path, dict[str, DocumentMeta]] = {}

    def entry(self, path: Path) -> DocumentMeta | None:
        folder = path.resolve().parent
        if folder not in self._by_dir:
            self._by_dir[folder] = catalog_mod.load_catalog(folder / CATALOG_NAME)
        return self._by_dir[folder].get(path.name)


def content_hash(data: bytes, meta: DocumentMeta | None, embed_id: str) -> str:
    h = hashlib.sha256(data)
    h.update(json.dumps(asdict(meta) if meta else None, sort_keys=True).encode())
    h.update(f"|pipeline={PIPELINE_VERSION}|embed={embed_id}".encode())
    return h.hexdigest()


# --- one file -> one Document ---------------------------------------------------------------

def map_pages(raw_pages: list[tuple[int, int, int]], offsets: list[int], n: int) -> list[tuple[int, int, int]]:
    """Page ranges of the raw text -> page ranges of the clean text (through the offset map)."""
    if not raw_pages:
        return []
    starts = [s for _, s, _ in raw_pages]
    numbers = [p for p, _, _ in raw_pages]
    out: list[tuple[int, int, int]] = []
    for i in range(n):
        k = bisect.bisect_right(starts, offsets[i]) - 1
        page = numbers[max(k, 0)]
        if out and out[-1][0] == page and out[-1][2] == i:
            out[-1] = (page, out[-1][1], i + 1)
        else:
            out.append((page, i, i + 1))
    return out


def context_label(meta: DocumentMeta, section: list[str]) -> str:
    """The short header embedded with each chunk: who speaks, and in which section.

    Not the title: a title repeated on every chunk makes every chunk of a document match a
    question that echoes it (a two-word footnote outranked the holding in a test).
    """
    head = catalog_mod.describe(meta)
    return f"{head}. {' > '.join(section[-2:])}" if section else head


def prepare(path: Path, settings: Settings, meta: DocumentMeta | None, digest: str) -> Document:
    source = source_name(path)
    raw = load(path, max_bytes=settings.max_file_bytes, source=source)
    cleaned = clean(raw.text)
    if not cleaned.text.strip():
        raise IngestError(source, "has no text after cleaning; check that it is the right file")
    from_catalog = meta is not None
    if meta is None:
        meta = catalog_mod.infer_meta(cleaned.text, path.name, raw.meta)
    pages = map_pages(raw.pages, cleaned.offsets, len(cleaned.text))
    page_starts = [s for _, s, _ in pages]

    def page_of(offset: int) -> int | None:
        if not pages:
            return None
        k = bisect.bisect_right(page_starts, offset) - 1
        return pages[k][0] if k >= 0 else None

    doc_id = doc_id_for(path)
    chunks = chunk_document(doc_id, cleaned.text, cleaned.blocks,
                            target_words=settings.chunk_words, max_words=settings.chunk_max_words,
                            overlap_sentences=settings.overlap_sentences,
                            page_of=page_of if pages else None)
    if not chunks:
        raise IngestError(source, "produced no passages to index; check that it has body text")
    spans = [(c.start, c.end) for c in chunks]
    # Hyperscan when `python -m ingest.models` compiled its database into this home, else eyecite's default
    tokenizer = citation_tokenizer(settings.models_dir)
    for chunk, auths in zip(chunks, extract_authorities_doc(cleaned.text, spans, tokenizer)):
        chunk.authorities = auths
        chunk.context = context_label(meta, chunk.section)
    # the filing's own record (court, docket, dates, judges, disposition) and its source lines as chunks
    record, record_chunks = record_for(doc_id, cleaned.text, pages, path.name, meta, from_catalog,
                                       len(chunks), page_of if pages else None, catalog_mod.describe)
    return Document(doc_id=doc_id, source=source, content_hash=digest, fmt=raw.fmt, meta=meta,
                    text=cleaned.text, pages=pages, chunks=chunks + record_chunks,
                    warnings=list(raw.warnings), record=record.to_dict())


# --- the run --------------------------------------------------------------------------------

def _folders(roots: list[Path]) -> list[tuple[str, bool]]:
    """Each root resolved once, as (path, holds files under it): a folder, or a path that no
    longer exists (a deleted folder's documents are gone too)."""
    out = []
    for r in roots:
        r = r.resolve()
        out.append((str(r), r.is_dir() or not r.exists()))
    return out


def _under(path: str, folders: list[tuple[str, bool]]) -> bool:
    """``path`` is one of the roots or inside one (string work: run once per stored document)."""
    for root, container in folders:
        if path == root or (container and path.startswith(root.rstrip("/") + "/")):
            return True
    return False


def run(paths: Iterable[Path] | None = None, *, rebuild: bool = False, check: bool = False,
        settings: Settings | None = None, embedder=None, progress: bool = True,
        log: Callable[[str], None] | None = None) -> Report:
    """Ingest ``paths`` (files or folders; default: the corpus folder) into the store.

    ``check`` compares every document's vectors and stored text with the manifest and repairs
    what disagrees (done anyway after an interrupted run). Another process writing to the same
    store is waited for (``writelock``)."""
    settings = settings or Settings.from_env()
    say = log or (lambda msg: print(msg, file=sys.stderr))
    with writing(settings.home, say):
        return _run(paths, rebuild, check, settings, embedder, progress, say)


def _run(paths, rebuild: bool, check: bool, settings: Settings, embedder, progress: bool,
         say: Callable[[str], None]) -> Report:
    from .embed import Embedder

    t0 = time.perf_counter()
    embedder = embedder or Embedder.shared()
    store = Store(settings)
    report = Report()
    if rebuild:
        store.reset()
    manifest = store.manifest()
    roots = [Path(p) for p in (paths or [settings.corpus])]
    files, problems = discover(roots)
    report.results.extend(problems)
    catalogs = Catalogs()

    # A manifest whose entries are all committed describes a consistent store: every write is
    # bracketed by a pending mark, so only a run that follows an interrupted one (or that is
    # asked to, with check=True) compares the store with the manifest and repairs it. The others
    # do not wait for Chroma to open before they start embedding.
    if check or any(e.status != OK for e in manifest.entries.values()):
        report.repaired = store.repair(manifest)
        for note in report.repaired:
            say(note)
    files, excluded = _not_excluded(manifest, files, roots)
    report.results.extend(excluded)
    results, jobs = _plan(files, manifest, catalogs, settings, embedder.model_id)
    gone = _gone(manifest, files, roots)
    report.results.extend(results)
    for entry in gone:
        store.remove(manifest, entry.doc_id)
        report.results.append(FileResult(entry.source, "removed", "file no longer exists"))

    if jobs and not getattr(embedder, "loaded", True):
        say("Loading the embedding model (all-MiniLM-L6-v2)…")
    bar = _progress(progress and bool(jobs))
    opening = None
    for (path, _, _, status), prepared in zip(jobs, _prepare_all(jobs, settings)):
        if opening is None:
            # open Chroma (about a second of imports) while the first document is embedded;
            # started only now, after the worker process has been forked
            opening = threading.Thread(target=_warm, args=(store,), daemon=True)
            opening.start()
        if isinstance(prepared, str):
            report.results.append(FileResult(source_name(path), "failed", prepared))
            continue
        doc = prepared
        if bar is not None:
            bar.total += len(doc.chunks)
            bar.refresh()
        vectors = embedder.embed_documents([c.embed_text() for c in doc.chunks],
                                           batch_size=settings.embed_batch,
                                           on_batch=bar.update if bar else None)
        store.put(manifest, doc, vectors, str(path.resolve()))
        report.results.append(FileResult(doc.source, status, "; ".join(doc.warnings), len(doc.chunks)))
    if bar is not None:
        bar.close()
    report.seconds = time.perf_counter() - t0
    if manifest.info.get("embed_model") != embedder.model_id:
        manifest.info["embed_model"] = embedder.model_id
        manifest.save()
    return report


def _plan(files: list[Path], manifest, catalogs: Catalogs, settings: Settings, embed_id: str):
    """What each file needs: results for files unchanged or unusable, and the jobs to ingest."""
    by_path = manifest.by_path()
    results: list[FileResult] = []
    jobs: list[tuple[Path, DocumentMeta | None, str, str]] = []   # path, meta, digest, status
    for path in files:
        source = source_name(path)
        try:
            if path.suffix.lower() not in SUPPORTED or path.stat().st_size > settings.max_file_bytes:
                load(path, max_bytes=settings.max_file_bytes, source=source)  # raises the message
            meta = catalogs.entry(path)
            digest = content_hash(path.read_bytes(), meta, embed_id)
            known = by_path.get(str(path.resolve()))
            if known and known.status == OK and known.content_hash == digest:
                results.append(FileResult(source, "unchanged", chunks=known.n_chunks))
                continue
            jobs.append((path, meta, digest, "updated" if known else "added"))
        except CasefileError as exc:
            results.append(FileResult(source, "failed", getattr(exc, "reason", str(exc))))
        except OSError as exc:
            results.append(FileResult(source, "failed", _os_message(exc)))
    return results, jobs


EXCLUDED = "excluded"   # manifest.info key: files deleted by a user, skipped when their folder is ingested


def _not_excluded(manifest, files: list[Path], roots: list[Path]) -> tuple[list[Path], list[FileResult]]:
    """Drop files a user deleted from the store (``remove_document``) while their folder is being
    ingested; a file named on its own (an upload, a path given on the command line) comes back."""
    excluded = set(manifest.info.get(EXCLUDED, []))
    if not excluded:
        return files, []
    named = {str(r.resolve()) for r in roots if not r.is_dir()}
    back = excluded & named
    if back:
        manifest.info[EXCLUDED] = sorted(excluded - back)
        manifest.save()
        excluded -= back
    keep, skipped = [], []
    for f in files:
        if str(f.resolve()) in excluded:
            skipped.append(FileResult(source_name(f), EXCLUDED,
                                      "deleted from the store earlier; ingest the file by name to restore it"))
        else:
            keep.append(f)
    return keep, skipped


def remove_document(doc_id: str, settings: Settings | None = None) -> Entry:
    """Delete one document from the store (vectors, stored text, manifest entry) and remember its
    file so that ingesting its folder again does not bring it back. Returns the removed entry."""
    from .errors import StoreError

    store = Store(settings or Settings.from_env())
    with writing(store.home):
        manifest = store.manifest()
        entry = manifest.entries.get(doc_id)
        if entry is None:
            raise StoreError(f"No document {doc_id!r} in the store at {store.home}; it may have been "
                             f"deleted already. Reload the document list.")
        store.remove(manifest, doc_id)
        manifest.info[EXCLUDED] = sorted(set(manifest.info.get(EXCLUDED, [])) | {entry.path})
        manifest.save()
        return entry


def _gone(manifest, files: list[Path], roots: list[Path]) -> list:
    """Entries whose files are gone from the folders (or paths) being ingested."""
    present = {str(p.resolve()) for p in files}
    folders = _folders(roots)
    return [e for e in manifest.entries.values()
            if e.path not in present and _under(e.path, folders) and not Path(e.path).exists()]


def _warm(store: Store) -> None:
    try:
        store.collection
    except Exception:  # the main thread meets the same error when it writes, and reports it
        pass


def _os_message(exc: OSError) -> str:
    return f"cannot be read ({exc.strerror or exc}); check the path and its permissions"


def _prepare_job(path: Path, settings: Settings, meta: DocumentMeta | None, digest: str) -> Document | str:
    """``prepare`` for a worker process: a Document, or the message of why the file cannot be used."""
    try:
        return prepare(path, settings, meta, digest)
    except CasefileError as exc:
        return getattr(exc, "reason", str(exc))
    except OSError as exc:
        return _os_message(exc)


PARALLEL_FROM = 2   # files; a forked worker costs ~50 ms, so one file is prepared inline


def _prepare_all(jobs, settings: Settings):
    """Documents for ``jobs``, in order. With several files, a worker process loads, cleans, chunks
    and cites the next documents while this process embeds the current one (eyecite alone costs
    about a third of embedding time on citation-dense filings)."""
    if len(jobs) < PARALLEL_FROM:
        for path, meta, digest, _ in jobs:
            yield _prepare_job(path, settings, meta, digest)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork: no re-import of the caller's __main__ (spawn requires a main guard in every script
    # that ingests), and instant start; the worker runs only pure Python, never torch.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context(method),
                             initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
        futures = [pool.submit(_prepare_job, path, settings, meta, digest) for path, meta, digest, _ in jobs]
        for fut in futures:
            yield fut.result()


def _die_with_parent(parent: int) -> None:
    """In the worker: exit when the ingesting process is gone. A parent killed with kill -9 never
    closes the worker's task pipe (the forked worker holds both ends), so without this the worker
    would wait on it for ever."""
    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="casefile-parent-watch", daemon=True).start()


def _progress(enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=0, unit="chunk", desc="Ingesting", file=sys.stderr,
                dynamic_ncols=True, mininterval=0.5)
