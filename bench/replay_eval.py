"""Replay an evaluation run's model answers through today's program: what a change to attribution,
abstention or completion does to the scores, without running the model again.

    CASEFILE_HOME=... .venv/bin/python bench/replay_eval.py RUN/results.jsonl TESTSET --out DIR

Each row's recorded ``draft`` (the model's own text, before attribution) is given back as the
model's answer to that row's question; retrieval, evidence, attribution, abstention and scoring
run as ``python -m qa.eval`` runs them, and DIR gets the same summary.json and report.md. The
replay holds only while retrieval is the same as in the recorded run (same store, same
retrieval code): a draft written for other passages is attributed against these.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class Replay:
    """A model backend that writes the draft recorded for the row being evaluated."""

    name = "replay"

    def __init__(self, drafts: dict[str, str]):
        self.drafts = drafts
        self.current = ""

    def stream(self, messages, max_tokens):
        yield self.current


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", type=Path, help="a run's results.jsonl (with drafts)")
    ap.add_argument("testset", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)

    import qa.eval as ev
    from ingest.settings import Settings
    from qa.engine import Engine

    rows = [json.loads(x) for x in args.results.read_text(encoding="utf-8").splitlines() if x.strip()]
    replay = Replay({r["id"]: r.get("draft") or "" for r in rows})
    settings = Settings.from_env()
    engine = Engine(settings, backend=replay)
    run_row = ev.run_row

    def replaying(engine_, row):
        replay.current = replay.drafts.get(row.id, "")
        return run_row(engine_, row)

    ev.run_row = replaying
    summary = ev.evaluate(args.testset, args.out, settings=settings, engine=engine, progress=False)
    print(json.dumps({k: summary[k] for k in ("rows", *ev.HEADLINE)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
