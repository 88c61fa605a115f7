"""Extraction benchmark: time to load (and optionally clean) every file of a folder.

    .venv/bin/python bench/extract_bench.py /work/shared/corpus-filings --runs 3 [--clean]

Each run loads every supported file directly under the folder (not ``unusable/``) in this process,
one after the other, and prints the run's wall time; the median of the runs comes last. With
``--clean`` the time includes ``ingest.clean.clean`` of each loaded text.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--clean", action="store_true")
    args = ap.parse_args()

    from ingest.clean import clean
    from ingest.loaders import SUPPORTED, load

    files = sorted(p for p in args.folder.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED
                   and p.name != "README.md")
    times = []
    for run in range(args.runs):
        per_file = {}
        t0 = time.perf_counter()
        for p in files:
            t = time.perf_counter()
            doc = load(p, max_bytes=50 * 1024 * 1024)
            if args.clean:
                clean(doc.text)
            per_file[p.name] = time.perf_counter() - t
        times.append(time.perf_counter() - t0)
        print(f"run {run + 1}: {len(files)} files in {times[-1]:.2f} s "
              f"(slowest: {max(per_file, key=per_file.get)} {max(per_file.values()):.2f} s)")
    print(f"median of {args.runs}: {statistics.median(times):.2f} s")


if __name__ == "__main__":
    main()
