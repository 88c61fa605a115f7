"""Store scale benchmark: what a large store costs to write, to change and to search.

    nice .venv/bin/python bench/scale_bench.py --chunks 5000 100000 --json [--fake-embedder]

For each size, a store of about that many chunks of synthetic filings (``bench/synth.py``) is
built in a scratch ``CASEFILE_HOME`` with a fast deterministic stand-in embedder (vectors from a
hash of the text: Chroma's own cost is the same as with real vectors, the model's is left out).
The filings are prepared once per size (load, clean, chunk, cite: ``/tmp/casefile-scale/``) and
written through ``Store.put``, the per-document transaction the pipeline uses. Then, in this
process, as an app would:

- ``ingest_chunks_per_s``: ``ingest.pipeline.run`` over a batch of new filings into the full store
  (the whole pipeline: prepare, embed with the stand-in, commit); ``chroma_add_s`` is the part of
  that run spent in Chroma's ``collection.add`` (its HNSW insertions);
- ``add_one_doc_s``: ``pipeline.run`` of one new filing while an ``Index`` is open and warm;
- ``replace_one_doc_s`` / ``delete_one_doc_s``: the same filing edited and ingested again (its
  vectors, passages and row replaced), then ``pipeline.remove_document``;
- ``first_query_after_add_s``: the next question's evidence (``Engine.stream`` up to its
  ``evidence`` event: routing, hybrid search, evidence sentences), which must see the new filing;
- ``search_p50_ms`` / ``search_p95_ms``: ``Index.search`` of the test set's questions, including
  the query embedding (all-MiniLM-L6-v2, or the stand-in with ``--fake-embedder``);
- ``lexical_same_share`` / ``lexical_score_ratio_min`` / ``_p50``: what the common-terms cutoff
  of ``ingest.db.StoreDB.search`` changes: the share of questions whose 30 lexical hits score as
  one FTS5 query over all their terms would, and the ratio of their summed scores (1 = same);
- ``cold_start_s`` and ``peak_rss_mb``: in a fresh process (the stand-in embedder, so no model is
  in memory), from creating the ``Index`` to the first search's results, and the process's peak
  resident memory (VmHWM) after 20 searches (``imports_s`` is Python's imports before that).

The same script runs against an older checkout (it uses only ``Store.put``, ``pipeline.run``,
``Index`` and ``Engine``), which is how the before/after figures in docs/DESIGN-NOTES.md were made.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import pickle
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CACHE = Path(tempfile.gettempdir()) / "casefile-scale"
BATCH_CHUNKS = 1000          # the measured ingest batch, in chunks (about 43 filings)


class StandIn:
    """A deterministic embedder: a unit vector from a hash of the text (about 30 µs a text)."""

    dim = 384
    loaded = True

    def __init__(self, model_id: str = "stand-in-hash-384"):
        self.model_id = model_id
        self.calls = 0

    def _vec(self, text: str):
        import numpy as np

        seed = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")
        v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
        return v / np.linalg.norm(v)

    def embed_documents(self, texts, batch_size: int = 32, on_batch=None, **kw):
        import numpy as np

        self.calls += len(texts)
        out = np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)
        if on_batch:
            on_batch(len(texts))
        return out

    def embed_query(self, text: str):
        return self._vec(text)


def questions() -> list[str]:
    rows = [json.loads(x) for x in (ROOT / "tests/data/testset.jsonl").read_text().splitlines() if x.strip()]
    return [r["question"] for r in rows if r.get("answerable", True)]


def _prepare_one(job):
    from ingest.pipeline import prepare

    return prepare(*job)


def prepared(n_chunks: int, seed: int, settings, embed_id: str) -> list:
    """The Documents of a synthetic corpus of about ``n_chunks`` chunks (cached per size and seed)."""
    from bench import synth
    from ingest.pipeline import content_hash

    CACHE.mkdir(parents=True, exist_ok=True)
    cache = CACHE / f"prepared-{n_chunks}-{seed}-{embed_id}.pkl"
    src = CACHE / f"corpus-{n_chunks}-{seed}"
    if cache.exists() and src.exists():
        return pickle.loads(cache.read_bytes())
    shutil.rmtree(src, ignore_errors=True)
    synth.build(src, chunks=n_chunks, seed=seed)
    files = sorted(src.glob("*.txt"))
    docs = []
    t = time.perf_counter()
    from concurrent.futures import ProcessPoolExecutor

    jobs = [(f, settings, None, content_hash(f.read_bytes(), None, embed_id)) for f in files]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:     # cleaning is CPU-bound
        for i, (f, doc) in enumerate(zip(files, pool.map(_prepare_one, jobs, chunksize=8))):
            docs.append((str(f.resolve()), doc))
            if i % 500 == 499:
                print(f"  prepared {i + 1}/{len(files)} filings ({time.perf_counter() - t:.0f} s)", file=sys.stderr)
    cache.write_bytes(pickle.dumps(docs))
    return docs


def fill(settings, docs: list, embedder) -> float:
    """Write the prepared documents through ``Store.put``; returns seconds."""
    from ingest.store import Store

    store = Store(settings)
    manifest = store.manifest()
    t = time.perf_counter()
    for i, (path, doc) in enumerate(docs):
        store.put(manifest, doc, embedder.embed_documents([c.embed_text() for c in doc.chunks]), path)
        if i % 1000 == 999:
            print(f"  stored {i + 1}/{len(docs)} filings ({time.perf_counter() - t:.0f} s)", file=sys.stderr)
    manifest.info["embed_model"] = embedder.model_id
    manifest.save()
    return time.perf_counter() - t


@contextlib.contextmanager
def timed_chroma_add():
    """Count the seconds spent in Chroma's ``Collection.add`` (its HNSW insertions) inside the
    ``with`` block; Chroma is left as it was afterwards."""
    from chromadb.api.models.Collection import Collection

    spent = {"s": 0.0}
    original = Collection.add

    def add(self, *a, **kw):
        t = time.perf_counter()
        try:
            return original(self, *a, **kw)
        finally:
            spent["s"] += time.perf_counter() - t

    Collection.add = add
    try:
        yield spent
    finally:
        Collection.add = original


def probe(home: Path, embed_id: str) -> dict:
    """In a fresh process: cold start to the first search, then peak RSS after 20 searches."""
    t0 = time.perf_counter()
    import ingest  # noqa: F401
    from ingest.settings import Settings
    from qa.retrieve import Index

    imports = time.perf_counter() - t0
    settings = Settings.from_env(home=home)
    qs = questions()
    t = time.perf_counter()
    index = Index(settings, embedder=StandIn(embed_id))
    hits = index.search(qs[0])
    cold = time.perf_counter() - t
    for q in qs[1:21]:
        index.search(q)
    return {"imports_s": round(imports, 3), "cold_start_s": round(cold, 3), "cold_hits": len(hits),
            "peak_rss_mb": own_peak_rss_mb()}


def own_peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM). Not ``getrusage``'s ru_maxrss: Linux keeps that
    across fork and exec, so a fresh child would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def one_size(n_chunks: int, args) -> dict:
    import ingest  # noqa: F401
    from bench import synth
    from ingest.pipeline import remove_document, run
    from ingest.settings import Settings
    from ingest.store import Store
    from qa.engine import Engine
    from qa.retrieve import Index

    models = Settings.from_env().models_dir.resolve()
    scratch = Path(tempfile.mkdtemp(prefix="casefile-scale-", dir=args.scratch))
    out: dict = {"chunks_target": n_chunks}
    try:
        home = scratch / "home"
        home.mkdir()
        (home / "models").symlink_to(models)
        settings = Settings.from_env(home=home, corpus=scratch / "none")
        if args.fake_embedder:
            query_embedder = None
            embed_id = StandIn().model_id
        else:
            from ingest.embed import Embedder

            query_embedder = Embedder.shared()
            query_embedder.embed_query("warm up")
            embed_id = query_embedder.model_id
        stand_in = StandIn(embed_id)                 # ingest always embeds with the stand-in
        docs = prepared(n_chunks, 7, settings, embed_id)
        out["docs"] = len(docs)
        out["chunks"] = sum(len(d.chunks) for _, d in docs)
        out["fill_s"] = round(fill(settings, docs, stand_in), 1)
        out["store_mb"] = round(sum(p.stat().st_size for p in home.rglob("*") if p.is_file()
                                    and "models" not in p.parts) / 2**20, 1)

        batch = synth.build(scratch / "batch", chunks=BATCH_CHUNKS, seed=1000 + n_chunks)
        with timed_chroma_add() as spent:
            t = time.perf_counter()
            report = run([batch], settings=settings, embedder=stand_in, progress=False, log=lambda m: None)
            took = time.perf_counter() - t
        chunks = sum(r.chunks for r in report.results)
        out["ingest_chunks_per_s"] = round(chunks / took, 1)
        out["chroma_add_s"] = round(spent["s"], 2)
        out["chroma_add_share"] = round(spent["s"] / took, 3)

        index = Index(settings, embedder=query_embedder or stand_in)
        engine = Engine(settings, index=index)
        qs = questions()

        def evidence(q: str):
            for ev in engine.stream(q):
                if ev.kind == "evidence":
                    return ev.answer
            raise AssertionError("no evidence event")

        evidence(qs[1])                                  # warm: the app has answered before
        one = synth.build(scratch / "one", chunks=23, seed=99_000 + n_chunks)
        name = "Quixotic Zebra Holdings"
        f = next(one.glob("*.txt"))
        f.write_text(f.read_text(encoding="utf-8").replace("In re ", f"In re {name} and ", 1), encoding="utf-8")
        t = time.perf_counter()
        added = run([one], settings=settings, embedder=stand_in, progress=False, log=lambda m: None)
        out["add_one_doc_s"] = round(time.perf_counter() - t, 3)
        assert added.count("added") == 1, added.to_dict()
        t = time.perf_counter()
        ans = evidence(f"What did the court decide in the {name} litigation?")
        out["first_query_after_add_s"] = round(time.perf_counter() - t, 3)
        new_source = next(r.source for r in added.results if r.status == "added")
        out["new_doc_in_evidence"] = any(e.source == new_source for e in ans.evidence)
        # the same filing edited (its vectors, passages and row replaced), then deleted
        f.write_text(f.read_text(encoding="utf-8") + "\n\nThe clerk shall enter judgment accordingly.\n",
                     encoding="utf-8")
        t = time.perf_counter()
        replaced = run([one], settings=settings, embedder=stand_in, progress=False, log=lambda m: None)
        out["replace_one_doc_s"] = round(time.perf_counter() - t, 3)
        assert replaced.count("updated") == 1, replaced.to_dict()
        doc_id = next(d for d, h in Store(settings).heads()[0].items() if h.source == new_source)
        t = time.perf_counter()
        remove_document(doc_id, settings=settings)
        out["delete_one_doc_s"] = round(time.perf_counter() - t, 3)
        times = []
        for q in qs[:40]:
            t = time.perf_counter()
            index.search(q)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out["search_p50_ms"] = round(statistics.median(times), 1)
        out["search_p95_ms"] = round(times[int(0.95 * (len(times) - 1))], 1)
        # what the common-terms cutoff (ingest.db.SCORED_POSTINGS) changes: the share of the test
        # questions whose 30 lexical hits score as FTS5 over all terms would, and the worst ratio
        from qa.retrieve import expand_query

        same, ratios = 0, []
        for q in qs[:40]:
            terms = index.query_terms(expand_query(q))
            cut = [s for *_, s in index.store.db.search(terms, 30)]
            full = [s for *_, s in index.store.db.search(terms, 30, exact=True)]
            same += len(cut) == len(full) and all(abs(a - b) < 1e-6 for a, b in zip(cut, full))
            ratios.append(sum(cut) / sum(full) if sum(full) > 1e-3 else 1.0)
        out["lexical_same_share"] = round(same / len(qs[:40]), 3)
        out["lexical_score_ratio_min"] = round(min(ratios), 3)
        out["lexical_score_ratio_p50"] = round(statistics.median(ratios), 3)
        ev_times = []
        for q in qs[:10]:
            t = time.perf_counter()
            evidence(q)
            ev_times.append((time.perf_counter() - t) * 1000)
        out["evidence_p50_ms"] = round(statistics.median(ev_times), 1)
        out["bench_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        del index, engine

        res = subprocess.run([sys.executable, __file__, "--probe", str(home), "--embed-id", embed_id],
                             capture_output=True, text=True, timeout=1800)
        if res.returncode != 0:
            out["probe_error"] = res.stderr[-2000:]
        else:
            out.update(json.loads(res.stdout.strip().splitlines()[-1]))
        out["n_docs_in_store"] = len(Store(settings).manifest().entries)
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            out["home"] = str(scratch / "home")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chunks", type=int, nargs="*", default=[5000])
    ap.add_argument("--json", action="store_true", help="one JSON line per size (the default prints them too)")
    ap.add_argument("--fake-embedder", action="store_true",
                    help="embed questions with the stand-in too (no model is loaded)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch stores")
    ap.add_argument("--scratch", default=None, help="where the scratch stores go (default: the temp dir)")
    ap.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--embed-id", default="stand-in-hash-384", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.probe:
        print(json.dumps(probe(args.probe, args.embed_id)))
        return 0
    for n in args.chunks:
        print(json.dumps(one_size(n, args)), flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
