"""eyecite with its default tokenizer against the precompiled Hyperscan one: CPU seconds, same results.

    .venv/bin/python bench/eyecite_bench.py                  # the project corpus
    .venv/bin/python bench/eyecite_bench.py --synthetic 3000 # the corpus of ingest_bench --synthetic 3000

Needs the compiled database (`python -m ingest.models`). CPU seconds (best of the rounds) are the
figures to trust on a shared machine; the authorities found must be identical in every file.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--synthetic", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    from eyecite.tokenizers import default_tokenizer

    import ingest.pipeline as pipeline
    from ingest.clean import clean
    from ingest.legal import PrecompiledHyperscanTokenizer, citation_tokenizer, extract_authorities_doc
    from ingest.settings import Settings

    fast = citation_tokenizer(Settings.from_env().models_dir)
    if not isinstance(fast, PrecompiledHyperscanTokenizer):
        sys.exit("no compiled Hyperscan database in the model cache: run `python -m ingest.models`")
    if args.synthetic:
        from bench.synth import build

        src = build(Path(tempfile.mkdtemp(prefix="casefile-eyecite-")) / "syn", chunks=args.synthetic)
    else:
        src = ROOT / "corpus"
    files = sorted(p for p in src.iterdir() if p.suffix == ".txt")
    texts = [clean(p.read_text(encoding="utf-8")).text for p in files]
    words = sum(len(t.split()) for t in texts)
    for tok in (default_tokenizer, fast):                       # warm-up (court look-up cache)
        extract_authorities_doc(texts[0], [(0, len(texts[0]))], tok)
    cpu: dict[str, list[float]] = {}
    out: dict[str, list] = {}
    for _ in range(args.rounds):
        for name, tok in (("default", default_tokenizer), ("hyperscan", fast)):
            t = time.process_time()
            out[name] = [extract_authorities_doc(x, [(0, len(x))], tok) for x in texts]
            cpu.setdefault(name, []).append(time.process_time() - t)
    same = out["default"] == out["hyperscan"]
    print(f"{len(files)} files, {words:,} words; identical authorities in every file: {same}")
    for name in ("default", "hyperscan"):
        best = min(cpu[name])
        print(f"  eyecite {name:9s} {best:7.2f} CPU s  ({1e6 * best / words:5.1f} ms per 1,000 words)")
    print(f"  speed-up {min(cpu['default']) / min(cpu['hyperscan']):.1f}x")
    # the worker's whole job per file (load, clean, chunk, cite) with each tokenizer
    settings = Settings.from_env(home=Path(tempfile.mkdtemp(prefix="casefile-eyecite-home-")))
    catalogs = pipeline.Catalogs()
    real = pipeline.citation_tokenizer
    try:
        for name, tok in (("default", default_tokenizer), ("hyperscan", fast)):
            pipeline.citation_tokenizer = lambda _dir, tok=tok: tok
            t = time.process_time()
            for p in files:
                pipeline.prepare(p, settings, catalogs.entry(p), "bench")
            print(f"  worker job (load, clean, chunk, cite), {name:9s} {time.process_time() - t:7.2f} CPU s")
    finally:
        pipeline.citation_tokenizer = real
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
