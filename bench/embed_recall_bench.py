"""Retrieval recall@k of each embedding backend on the project's test set, side by side.

    nice .venv/bin/python bench/embed_recall_bench.py [--k 10] [--backends torch onnx onnx-int8]

For each backend, ``corpus/`` is ingested into a scratch data directory with that backend, and
for every answerable row of ``tests/data/testset.jsonl`` the question is searched. Printed per
backend: the share of reference contexts found (as ``qa.eval.context_found``) in the hybrid top k
(what answering uses) and in the dense top k alone (where the backend is all that differs), and
the mean overlap of its top-k chunk ids with the PyTorch backend's.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--backends", nargs="*", default=["torch", "onnx", "onnx-int8"])
    args = ap.parse_args(argv)

    import ingest  # noqa: F401  (offline)
    from ingest.embed import Embedder
    from ingest.pipeline import run
    from ingest.settings import Settings
    from qa.eval import context_found
    from qa.retrieve import Index

    rows = [json.loads(x) for x in (ROOT / "tests/data/testset.jsonl").read_text().splitlines() if x.strip()]
    rows = [r for r in rows if r.get("answerable", True) and r.get("reference_contexts")]
    models = Settings.from_env().models_dir
    results, tops = {}, {}
    for backend in args.backends:
        scratch = Path(tempfile.mkdtemp(prefix="casefile-embed-recall-"))
        try:
            home = scratch / "home"
            home.mkdir()
            (home / "models").symlink_to(models.resolve())
            settings = Settings.from_env(home=home)
            embedder = Embedder(settings, backend=backend)
            run([ROOT / "corpus"], settings=settings, embedder=embedder, progress=False, log=lambda m: None)
            index = Index(settings, embedder=embedder)
            found = {"hybrid": 0, "dense": 0}
            total, top = 0, []
            for r in rows:
                q = r["question"]
                hybrid = index.search(q, k=args.k)
                dense = index.dense(embedder.embed_query(q), args.k, None)
                top.append([cid for cid, _ in dense])
                for c in r["reference_contexts"]:
                    total += 1
                    found["hybrid"] += context_found(c, [h.chunk.text for h in hybrid])
                    found["dense"] += context_found(c, [index.chunk(cid)[1].text for cid, _ in dense])
            results[backend] = {"model_id": embedder.model_id, "contexts": total,
                                "hybrid": found["hybrid"] / total, "dense": found["dense"] / total}
            tops[backend] = top
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    ref = tops.get("torch")
    for backend, r in results.items():
        r["dense_overlap_with_torch"] = (statistics.mean(len(set(a) & set(b)) / args.k
                                                         for a, b in zip(tops[backend], ref))
                                         if ref else None)
    print(f"{len(rows)} questions, recall@{args.k} of their reference contexts")
    print(f"{'backend':10} {'hybrid':>7} {'dense':>7} {'dense top-k overlap with torch':>31}")
    for backend, r in results.items():
        ov = r["dense_overlap_with_torch"]
        print(f"{backend:10} {r['hybrid']:7.3f} {r['dense']:7.3f} {ov if ov is not None else float('nan'):31.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
