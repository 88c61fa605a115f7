"""Ingestion benchmark: pipeline throughput against raw embedding, re-run time, peak memory.

    .venv/bin/python bench/ingest_bench.py                    # the project corpus, 5 runs
    .venv/bin/python bench/ingest_bench.py --synthetic 10000 --runs 3
    .venv/bin/python bench/ingest_bench.py --eyecite default     # without the Hyperscan database

Every measurement runs in a fresh process (so peak memory is that run's own), with the
embedding model loaded before the clock starts. Raw embedding and the full pipeline are run
alternately, side by side, over the same chunk texts; the figures are medians. Each run's fresh
data directory gets the compiled Hyperscan citation database that `python -m ingest.models` puts
in the model cache (built there first if missing, outside the clock), as after `make models`;
``--eyecite default`` leaves it out, so eyecite uses its default tokenizer.
"""
from __future__ import annotations

import argparse
import json
import os
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


def worker(mode: str, src: Path, home: Path) -> dict:
    import ingest  # noqa: F401
    from ingest.embed import Embedder
    from ingest.pipeline import run
    from ingest.settings import Settings
    from ingest.store import Store

    settings = Settings.from_env(home=home)
    out: dict = {"mode": mode}
    if mode == "rerun":
        t = time.perf_counter()
        report = run([src], settings=settings, progress=False)
        out.update(seconds=time.perf_counter() - t, unchanged=report.count("unchanged"))
    else:
        emb = Embedder(settings)
        emb.model                                  # load before the clock starts
        if mode == "pipeline":
            t = time.perf_counter()
            report = run([src], settings=settings, embedder=emb, progress=False)
            out.update(seconds=time.perf_counter() - t,
                       chunks=sum(r.chunks for r in report.results), failed=len(report.failed))
        else:                                      # raw: the same chunk texts, embedding only
            texts = [c.embed_text() for d in Store(settings).documents() for c in d.chunks]
            t = time.perf_counter()
            emb.embed_documents(texts, batch_size=settings.embed_batch)
            out.update(seconds=time.perf_counter() - t, chunks=len(texts))
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def link_citation_db(home: Path, source: Path | None) -> None:
    """Give a fresh data directory the compiled Hyperscan database, as `make models` would."""
    if source is None:
        return
    from ingest.legal import HYPERSCAN_DIR

    target = home / "models" / HYPERSCAN_DIR / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(source)


def citation_db(kind: str) -> Path | None:
    """The compiled Hyperscan database of the model cache (compiled first if missing). Found in a
    child process: loading it here would raise this process's peak memory, which the measured
    processes inherit in their ru_maxrss (Linux keeps it across fork and exec)."""
    if kind == "default":
        return None
    res = subprocess.run([sys.executable, "-c", "from ingest.models import citation_patterns; "
                          "print(citation_patterns(progress=True) or '')"],
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                         stdout=subprocess.PIPE, text=True, check=True)
    path = res.stdout.strip().splitlines()[-1] if res.stdout.strip() else ""
    if not path:
        sys.exit("the Hyperscan citation database cannot be built here; use --eyecite default")
    return Path(path)


def spawn(mode: str, src: Path, home: Path) -> dict:
    env = {**os.environ, "CASEFILE_HOME": str(home)}
    res = subprocess.run([sys.executable, __file__, "--worker", mode, "--src", str(src), "--home", str(home)],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def command_seconds(src: Path, home: Path) -> float:
    """Wall time of the whole `python -m ingest` command when nothing changed."""
    env = {**os.environ, "CASEFILE_HOME": str(home)}
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ingest", str(src), "--quiet"], cwd=ROOT, env=env,
                   capture_output=True, check=True)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--synthetic", type=int, default=0, help="build a synthetic corpus of about N chunks")
    ap.add_argument("--eyecite", choices=("hyperscan", "default"), default="hyperscan",
                    help="eyecite's tokenizer: the precompiled Hyperscan one (as after `make models`) or its default")
    ap.add_argument("--worker"), ap.add_argument("--src"), ap.add_argument("--home")
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, Path(args.src), Path(args.home))))
        return 0

    db = citation_db(args.eyecite)
    scratch = Path(tempfile.mkdtemp(prefix="casefile-bench-"))
    try:
        if args.synthetic:
            from bench.synth import build

            src = build(scratch / "synthetic", chunks=args.synthetic)
            label = f"synthetic corpus (~{args.synthetic} chunks, {len(list(src.iterdir()))} files)"
        else:
            src, label = ROOT / "corpus", "project corpus"
        pipe, raw, rerun, cmd = [], [], [], []
        for i in range(args.runs):
            home = scratch / f"home{i}"
            link_citation_db(home, db)
            p = spawn("pipeline", src, home)
            r = spawn("raw", src, home)
            pipe.append(p), raw.append(r)
            rerun.append(spawn("rerun", src, home))
            cmd.append(command_seconds(src, home))
            print(f"run {i + 1}: pipeline {p['chunks']} chunks in {p['seconds']:.1f}s, raw embedding "
                  f"{r['seconds']:.1f}s, re-run {rerun[-1]['seconds']:.2f}s (command {cmd[-1]:.2f}s)",
                  file=sys.stderr)
            shutil.rmtree(home, ignore_errors=True)
        med = statistics.median
        chunks = pipe[0]["chunks"]
        p_s, r_s = med(x["seconds"] for x in pipe), med(x["seconds"] for x in raw)
        ratios = [p["seconds"] / r["seconds"] for p, r in zip(pipe, raw)]
        print(f"\nIngestion benchmark: {label}, {chunks} chunks, {args.runs} runs (medians), "
              f"eyecite tokenizer: {args.eyecite}")
        print(f"  pipeline end to end   {chunks / p_s:7.1f} chunks/s  ({p_s:.1f} s)")
        print(f"  raw embedding         {chunks / r_s:7.1f} chunks/s  ({r_s:.1f} s)")
        print(f"  pipeline overhead     {100 * (med(ratios) - 1):+7.1f} %   (median of per-run ratios; goal <= 10 %)")
        print(f"  re-run, nothing new   {med(x['seconds'] for x in rerun):7.2f} s in process, "
              f"{med(cmd):.2f} s whole command (goal <= 2 s)")
        print(f"  peak memory           {med(x['peak_rss_mb'] for x in pipe):7.0f} MB pipeline, "
              f"{med(x['peak_rss_mb'] for x in rerun):.0f} MB re-run")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
