"""Embedding throughput of each backend on real passages, side by side.

    .venv/bin/python bench/embed_bench.py                  # ~600 chunks, 3 runs, every variant
    .venv/bin/python bench/embed_bench.py --chunks 300 --runs 5 --json

The passages are the project's own chunks (``ingest.pipeline.prepare``: clean, chunk, context
header) of the first corpus and of /work/shared/corpus-filings, repeated up to ``--chunks``.
Every variant's model is loaded before any clock starts; the runs are interleaved (run 1 of every
variant, then run 2, ...) so that other load on the machine falls on all of them alike. Printed:
the median chunks/s (wall clock), the median CPU seconds per 100 chunks (this process, all
threads: steadier than wall time on a shared machine), and each variant's speed-up over today's
configuration (PyTorch, batches of 32 in document order).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FILINGS = Path("/work/shared/corpus-filings")

# name: (backend, batch size, sorted by length)
VARIANTS = {
    "torch b32 (today)": ("torch", 32, False),
    "torch b32 sorted": ("torch", 32, True),
    "onnx": ("onnx", 32, True),            # ONNX runs one text at a time: batch = progress step
    "onnx-int8": ("onnx-int8", 32, True),
}
BASELINE = "torch b32 (today)"


def chunk_texts(folders: list[Path], settings) -> list[str]:
    """The embedded text of every chunk of every usable file in ``folders``, as ingest makes it."""
    from ingest.errors import CasefileError
    from ingest.pipeline import SUPPORTED, prepare

    texts: list[str] = []
    for folder in folders:
        for path in sorted(folder.iterdir()):
            if not path.is_file() or path.suffix.lower() not in SUPPORTED or path.name == "README.md":
                continue
            try:
                doc = prepare(path, settings, None, "bench")
            except CasefileError:
                continue
            texts += [c.embed_text() for c in doc.chunks]
    return texts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chunks", type=int, default=600)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = ap.parse_args(argv)

    import ingest  # noqa: F401  (offline)
    from ingest.embed import Embedder
    from ingest.settings import Settings

    settings = Settings.from_env()
    folders = [settings.corpus] + ([FILINGS] if FILINGS.is_dir() else [])
    base = chunk_texts(folders, settings)
    texts = (base * (args.chunks // max(len(base), 1) + 1))[:args.chunks]
    words = statistics.mean(len(t.split()) for t in texts)

    embedders = {}
    for name in args.variants:
        backend = VARIANTS[name][0]
        if backend not in embedders:
            embedders[backend] = Embedder(settings, backend=backend)
            embedders[backend].embed_documents(texts[:8])       # load and warm up, off the clock
    wall: dict[str, list[float]] = {n: [] for n in args.variants}
    cpu: dict[str, list[float]] = {n: [] for n in args.variants}
    for _ in range(args.runs):
        for name in args.variants:
            backend, batch, ordered = VARIANTS[name]
            t, c = time.perf_counter(), time.process_time()
            embedders[backend].embed_documents(texts, batch_size=batch, sort=ordered)
            wall[name].append(len(texts) / (time.perf_counter() - t))
            cpu[name].append((time.process_time() - c) / len(texts) * 100)
    rows = {n: {"backend": VARIANTS[n][0], "model_id": embedders[VARIANTS[n][0]].model_id,
                "batch": VARIANTS[n][1], "sorted": VARIANTS[n][2],
                "chunks_per_s": statistics.median(wall[n]), "runs_chunks_per_s": wall[n],
                "cpu_s_per_100": statistics.median(cpu[n])} for n in args.variants}
    ref = rows.get(BASELINE)
    for r in rows.values():
        r["speedup"] = r["chunks_per_s"] / ref["chunks_per_s"] if ref else None
        r["cpu_speedup"] = ref["cpu_s_per_100"] / r["cpu_s_per_100"] if ref else None
    info = {"chunks": len(texts), "distinct_chunks": len(base), "mean_words": round(words, 1),
            "runs": args.runs, "cores": os.cpu_count(), "loadavg_after": os.getloadavg()[0]}
    if args.json:
        print(json.dumps({"info": info, "variants": rows}))
        return 0
    print(f"{info['chunks']} chunks ({info['distinct_chunks']} distinct, {info['mean_words']} words "
          f"on average), median of {args.runs} runs, {info['cores']} cores, load average "
          f"{info['loadavg_after']:.1f} at the end")
    print(f"{'variant':24} {'chunks/s':>9} {'x today':>8} {'CPU s/100':>10} {'x today':>8}  runs")
    for n, r in rows.items():
        runs = " ".join(f"{v:.1f}" for v in r["runs_chunks_per_s"])
        print(f"{n:24} {r['chunks_per_s']:9.1f} {r['speedup'] or 0:8.2f} {r['cpu_s_per_100']:10.2f} "
              f"{r['cpu_speedup'] or 0:8.2f}  {runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
