"""Many users at once: the app driven through ``gradio_client`` by N users who ask at the same moment.

    nice .venv/bin/python bench/concurrency_bench.py [--users 20] [--model qwen2.5-1.5b|smollm2]
        [--modes embedded server server-workers] [--workers 2]

For each mode it builds a scratch store from ``corpus/``, starts ``python app.py`` on loopback,
warms it with one question, then starts N ``gradio_client`` clients that each submit one
question of the project's test set to the ``/ask`` endpoint at the same instant, and waits for
every answer. Modes:

- ``embedded``: the app with its own model (llama-cpp-python in the app process) and an embedded
  Chroma: one answer is written at a time.
- ``server``: a Chroma server (``chroma run``) and llama-cpp-python's OpenAI-compatible server,
  which writes one answer at a time; the app answers ``--slots`` questions at once (default 1).
- ``server-workers``: the same with ``--workers`` copies of the model server behind one port
  (uvicorn workers, the cores split between them) and the app answering as many at once: what a
  model server that writes several answers at once changes. llama-cpp-python's server has no
  parallel slots of its own.

One JSON line per mode: errors (a request that failed), answers not written by the model
(``not_generated``: the model failed and passages were shown instead), abstentions, and the
waits every user saw, from submitting to the first answer token (the answer's own
``first_token_s`` placed on the client's clock: the whole wait minus the time the engine spent
after its first token) and to the whole answer: p50 and max; ``answer_p50_s`` is the engine's own
time per answer once it started. The load average is printed beside them: the machine is shared.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.qa_bench import percentile, pick_questions  # noqa: E402
from bench.servers import start_app, start_chroma, start_model_server  # noqa: E402

MODES = ("embedded", "server", "server-workers")


def ingest(env: dict) -> None:
    import subprocess

    r = subprocess.run([sys.executable, "-m", "ingest", str(ROOT / "corpus"), "--quiet"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        raise RuntimeError(f"ingest failed:\n{r.stderr[-2000:]}")


def fire(url: str, questions: list[str]) -> list[dict]:
    """Every question from its own client, all submitted at the same instant."""
    from gradio_client import Client

    clients = [Client(url, verbose=False) for _ in questions]
    start = threading.Barrier(len(questions))
    out: list[dict] = [{} for _ in questions]

    def user(i: int) -> None:
        start.wait()
        t0 = time.perf_counter()
        try:
            ans = clients[i].submit(questions[i], [], {}, api_name="/ask").result(timeout=3600)
            full = time.perf_counter() - t0
            t = ans.get("timings", {})
            after_first = (t.get("total_s") or 0) - (t.get("first_token_s") or 0) if t.get("first_token_s") else 0
            out[i] = {"full_s": full, "first_s": full - after_first, "answer_s": t.get("total_s"),
                      "mode": ans.get("mode"), "abstained": ans.get("abstained"), "notice": ans.get("notice", "")}
        except Exception as exc:  # every failure is counted and reported
            out[i] = {"error": f"{type(exc).__name__}: {exc}"[:300]}

    threads = [threading.Thread(target=user, args=(i,)) for i in range(len(questions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def summarize(mode: str, model: str, results: list[dict], wall: float, slots: int, workers: int) -> dict:
    ok = [r for r in results if "error" not in r]
    r2 = lambda v: round(v, 2) if v is not None else None  # noqa: E731
    return {
        "bench": "concurrency", "mode": mode, "model": model, "users": len(results),
        "answer_slots": slots, "model_server_workers": workers,
        "errors": len(results) - len(ok),
        "error_messages": sorted({r["error"] for r in results if "error" in r})[:3],
        "not_generated": sum(1 for r in ok if r["mode"] != "generated"),
        "not_generated_notices": sorted({r["notice"][:200] for r in ok if r["mode"] != "generated"})[:2],
        "abstained": sum(1 for r in ok if r["abstained"]),
        "first_answer_p50_s": r2(percentile([r["first_s"] for r in ok], 0.5)),
        "first_answer_max_s": r2(max((r["first_s"] for r in ok), default=None)),
        "full_answer_p50_s": r2(percentile([r["full_s"] for r in ok], 0.5)),
        "full_answer_max_s": r2(max((r["full_s"] for r in ok), default=None)),
        "answer_p50_s": r2(statistics.median([r["answer_s"] for r in ok if r["answer_s"]]) if ok else None),
        "wall_s": r2(wall),
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }


def run_mode(mode: str, args, gguf: Path, model_label: str, questions: list[str], base: Path) -> dict:
    work = base / mode
    work.mkdir(parents=True)
    home = work / "home"
    env = dict(os.environ, CASEFILE_HOME=str(home), CASEFILE_MODEL=str(gguf),
               CASEFILE_CORPUS=str(ROOT / "corpus"))
    env.pop("CASEFILE_CHROMA_URL", None)
    env.pop("CASEFILE_LLM_URL", None)
    servers = []
    workers = 0
    try:
        if mode != "embedded":
            workers = args.workers if mode == "server-workers" else 1
            servers.append(start_chroma(work / "chroma"))
            servers.append(start_model_server(gguf, work, workers=workers, threads=args.threads))
            env.update(CASEFILE_CHROMA_URL=servers[0].url, CASEFILE_LLM_URL=servers[1].url,
                       CASEFILE_LLM_CONCURRENCY=str(workers if mode == "server-workers" else args.slots))
        ingest(env)
        from ingest.settings import Settings

        slots = Settings.from_env(env).answer_slots
        app = start_app(home, env, "--no-ingest")
        servers.append(app)
        fire(app.url, questions[:1])                       # warm: models loaded, first prompt read
        t0 = time.perf_counter()
        results = fire(app.url, questions)
        wall = time.perf_counter() - t0
        return summarize(mode, model_label, results, wall, slots, workers)
    finally:
        for s in reversed(servers):
            s.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--model", default="qwen2.5-1.5b", help="qwen2.5-1.5b (default), smollm2, or a .gguf path")
    ap.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    ap.add_argument("--workers", type=int, default=2, help="model server copies in server-workers mode")
    ap.add_argument("--slots", type=int, default=1, help="questions the app answers at once in server mode")
    ap.add_argument("--threads", type=int, default=0, help="model threads in all (default: all cores)")
    ap.add_argument("--testset", type=Path, default=ROOT / "tests" / "data" / "testset.jsonl")
    args = ap.parse_args(argv)

    from ingest.models import resolve_gguf
    from ingest.settings import Settings

    gguf, label = resolve_gguf(Settings.from_env(model=args.model), progress=True)   # the repository's models
    rows = pick_questions(args.testset, args.users)
    questions = [rows[i % len(rows)]["question"] for i in range(args.users)]
    with tempfile.TemporaryDirectory(prefix="casefile-concurrency-") as tmp:
        for mode in args.modes:
            try:
                print(json.dumps(run_mode(mode, args, gguf, label, questions, Path(tmp))), flush=True)
            except Exception as exc:  # one mode failing to start does not hide the others' figures
                print(json.dumps({"bench": "concurrency", "mode": mode, "failed": str(exc)[-1500:]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
