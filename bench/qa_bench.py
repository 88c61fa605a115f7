"""Answering benchmark: latency of each stage, prompt size and model speed, peak memory.

    CASEFILE_HOME=/path/to/built/store .venv/bin/python bench/qa_bench.py [--limit 12] [--runs 3] [--json]

Loads the default engine once against the built store, warms it with one question (model load,
first prompt), then asks ``--limit`` answerable questions of the project's test set (no
follow-ups; spread over the file so every kind of question is in) ``--runs`` times, in the same
process, the way the chat asks them one after another. Reports medians and p95 of:

- retrieval (question -> fused hits), evidence ready (-> the evidence event), first answer
  token, whole answer (attribution included);
- prompt tokens per question: in total, taken from llama.cpp's cache (the common prefix with the
  previous prompt, i.e. the system prompt), and evaluated; prompt reading and generation speed in
  tokens per second. All from llama.cpp's own performance counters, reset before each question;
- peak resident memory of the process (psutil, sampled every 50 ms; ``ru_maxrss`` as a check).

The machine is shared: the load average at the start and the end is printed with the figures.
This is a command, not a test: it needs a built store and the answering model.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WARM_QUESTION = "What is this case about?"


def pick_questions(testset: Path, limit: int) -> list[dict]:
    """``limit`` answerable single-turn rows, evenly spaced over the file (deterministic)."""
    rows = [json.loads(line) for line in testset.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("answerable", True) and not r.get("history")]
    if limit >= len(rows):
        return rows
    step = len(rows) / limit
    return [rows[int(i * step)] for i in range(limit)]


def percentile(values, q: float):
    vals = sorted(v for v in values if v is not None)
    if not vals:
        return None
    k = (len(vals) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(vals) - 1)
    return vals[lo] + (vals[hi] - vals[lo]) * (k - lo)


class PeakRSS:
    """Samples the process's resident memory in a background thread."""

    def __init__(self, every: float = 0.05):
        import psutil

        self.proc = psutil.Process()
        self.every, self.peak = every, self.proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


class LlamaCounters:
    """llama.cpp's performance counters around one question (None for a server backend)."""

    def __init__(self, backend):
        self.llm = getattr(backend, "_llm", None)

    def reset(self):
        if self.llm is not None:
            import llama_cpp

            llama_cpp.llama_perf_context_reset(self.llm._ctx.ctx)

    def read(self) -> dict:
        if self.llm is None:
            return {}
        import llama_cpp

        d = llama_cpp.llama_perf_context(self.llm._ctx.ctx)
        if d.n_p_eval == 0 and d.n_eval == 0:
            return {}
        # llama.cpp counts a multi-token batch as prompt reading and a single token as generation;
        # the context then holds the reused prefix + the evaluated prompt + the generated tokens
        prompt_total = self.llm.n_tokens - d.n_eval
        return {"prompt_tokens": prompt_total, "prompt_evaluated": d.n_p_eval,
                "prompt_cached": prompt_total - d.n_p_eval, "generated_tokens": d.n_eval,
                "prompt_tok_s": d.n_p_eval / (d.t_p_eval_ms / 1000) if d.t_p_eval_ms else None,
                "gen_tok_s": d.n_eval / (d.t_eval_ms / 1000) if d.t_eval_ms else None,
                "prompt_eval_s": d.t_p_eval_ms / 1000}


def ask(engine, counters: LlamaCounters, question: str) -> dict:
    counters.reset()
    t0 = time.perf_counter()
    out: dict = {"question": question}
    for ev in engine.stream(question):
        if ev.kind == "evidence":
            out["evidence_event_s"] = time.perf_counter() - t0
            out["evidence_tokens_est"] = sum(len(e.text.split()) for e in ev.answer.evidence)
        elif ev.kind == "final":
            a = ev.answer
            out.update(retrieve_s=a.timings.get("retrieve_s"), evidence_s=a.timings.get("evidence_s"),
                       first_token_s=a.timings.get("first_token_s"), total_s=a.timings.get("total_s"),
                       abstained=a.abstained, citations=len(a.citations), answer=a.answer)
    out.update(counters.read())
    return out


STAGES = (("retrieve_s", "retrieval", 1000, "ms"), ("evidence_s", "evidence ready", 1000, "ms"),
          ("first_token_s", "first answer token", 1, "s"), ("total_s", "whole answer", 1, "s"))
TOKENS = (("prompt_tokens", "prompt tokens, total"), ("prompt_cached", "  from the cache (prefix)"),
          ("prompt_evaluated", "  evaluated"), ("generated_tokens", "generated tokens"),
          ("prompt_tok_s", "prompt reading, tok/s"), ("gen_tok_s", "generation, tok/s"))


def summarise(samples: list[dict], runs: list[list[dict]]) -> dict:
    def stat(key):
        vals = [s.get(key) for s in samples]
        per_run = [percentile([s.get(key) for s in r], 0.5) for r in runs]
        return {"p50": percentile(vals, 0.5), "p95": percentile(vals, 0.95),
                "run_p50s": per_run, "n": sum(v is not None for v in vals)}

    return {k: stat(k) for k, *_ in STAGES + TOKENS}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench/qa_bench.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--testset", type=Path, default=ROOT / "tests/data/testset.jsonl")
    ap.add_argument("--limit", type=int, default=12, help="questions per run (default 12)")
    ap.add_argument("--runs", type=int, default=3, help="passes over the questions (default 3)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--verbose", action="store_true", help="one line per question on stderr")
    args = ap.parse_args(argv)

    from ingest.errors import CasefileError
    from ingest.settings import Settings
    from qa.engine import Engine

    settings = Settings.from_env()
    from ingest.store import Store

    if not Store(settings).exists():
        print(f"error: no built store at {settings.home}; run `python -m ingest` with CASEFILE_HOME "
              f"set, or point CASEFILE_HOME at one", file=sys.stderr)
        return 2
    questions = pick_questions(args.testset, args.limit)
    load_start = os.getloadavg()
    with PeakRSS() as rss:
        t = time.perf_counter()
        try:
            engine = Engine(settings)
            engine.backend.load() if hasattr(engine.backend, "load") else None
            warm = ask(engine, LlamaCounters(engine.backend), WARM_QUESTION)
        except CasefileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        warm_s = time.perf_counter() - t
        counters = LlamaCounters(engine.backend)
        runs: list[list[dict]] = []
        for r in range(args.runs):
            run = []
            for row in questions:
                s = ask(engine, counters, row["question"])
                s["id"] = row.get("id")
                run.append(s)
                if args.verbose:
                    print(f"run {r + 1} {s['id']}: retrieve {s['retrieve_s'] * 1000:.0f} ms, first token "
                          f"{s['first_token_s'] or float('nan'):.2f} s, total {s['total_s']:.2f} s, prompt "
                          f"{s.get('prompt_tokens')} ({s.get('prompt_evaluated')} evaluated), "
                          f"{s.get('generated_tokens')} generated", file=sys.stderr)
            runs.append(run)
    samples = [s for run in runs for s in run]
    figures = summarise(samples, runs)
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M"), "store": str(settings.home), "model": engine.model_name(),
        "questions": len(questions), "runs": args.runs, "evidence_tokens": settings.evidence_tokens,
        "load_avg_start": [round(x, 2) for x in load_start], "load_avg_end": [round(x, 2) for x in os.getloadavg()],
        "warm_up_s": round(warm_s, 2), "warm_up": {k: warm.get(k) for k in ("prompt_tokens", "total_s")},
        "peak_rss_mb": round(rss.peak / 2**20), "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "abstained": sum(bool(s.get("abstained")) for s in samples), "figures": figures,
        "samples": samples if args.json else None,
    }
    if args.json:
        print(json.dumps(report, indent=1, ensure_ascii=False))
        return 0

    def fmt(v, scale=1, unit=""):
        return "—" if v is None else (f"{v * scale:.0f} {unit}" if scale != 1 or unit == "ms" else f"{v:.2f} {unit}").strip()

    print(f"QA benchmark: {report['model']}, {len(questions)} questions x {args.runs} runs, "
          f"evidence budget {settings.evidence_tokens} tokens ({report['date']})")
    print(f"  load average {' '.join(map(str, report['load_avg_start']))} at start, "
          f"{' '.join(map(str, report['load_avg_end']))} at end; warm-up {warm_s:.1f} s (model load included)")
    print(f"  {'':24}{'p50':>10}{'p95':>10}   per-run p50s")
    for key, label, scale, unit in STAGES:
        f = figures[key]
        runs_txt = ", ".join(fmt(v, scale, unit) for v in f["run_p50s"])
        print(f"  {label:24}{fmt(f['p50'], scale, unit):>10}{fmt(f['p95'], scale, unit):>10}   {runs_txt}")
    for key, label in TOKENS:
        f = figures[key]
        print(f"  {label:24}{fmt(f['p50'], 1, ''):>10}{fmt(f['p95'], 1, ''):>10}")
    print(f"  peak memory             {report['peak_rss_mb']} MB resident (ru_maxrss {report['ru_maxrss_mb']} MB)")
    print(f"  abstained               {report['abstained']} of {len(samples)} answers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
