"""``python bench/evidence_recall.py TESTSET.jsonl``: context recall of the evidence the engine
would show the model, without calling the model (seconds, not minutes): the share of each row's
reference_contexts found in its evidence passages, as ``qa.eval`` counts it. For tuning retrieval
on a development set; report figures with ``qa.eval``."""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qa.engine import Engine  # noqa: E402
from qa.eval import context_found  # noqa: E402


def main(path: str) -> None:
    eng = Engine()
    found = total = 0
    for line in open(path, encoding="utf-8"):
        row = json.loads(line)
        if not row.get("answerable", True) or not row.get("reference_contexts"):
            continue
        ev = next(e for e in eng.stream(row["question"], row.get("history") or []) if e.kind == "evidence")
        texts = [x.text for x in ev.answer.evidence]
        got = [context_found(c, texts) for c in row["reference_contexts"]]
        found += sum(got) / len(got)
        total += 1
        if not all(got):
            print(f"{row['id']}: {sum(got)}/{len(got)}  {row['question'][:90]}")
    print(f"context recall {found / max(total, 1):.3f} over {total} rows")


if __name__ == "__main__":
    main(sys.argv[1])
