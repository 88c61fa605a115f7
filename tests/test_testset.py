"""The project's own QA test set: well formed, and every reference context is the corpus's own text."""
import json
from pathlib import Path

from ingest.clean import clean

ROOT = Path(__file__).resolve().parents[1]
ROWS = [json.loads(line) for line in (ROOT / "tests" / "data" / "testset.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()]


def test_the_test_set_is_large_and_covers_every_category():
    assert len(ROWS) >= 60
    assert len({r["id"] for r in ROWS}) == len(ROWS)
    cats = {r["category"] for r in ROWS}
    assert {"fact", "list", "quote", "authority", "reasoning", "cross", "unanswerable",
            "false_premise", "follow_up"} <= cats
    assert all(r["history"] for r in ROWS if r["category"] == "follow_up")


def test_every_reference_context_occurs_verbatim_in_the_stored_corpus_text():
    texts = [clean(p.read_text(encoding="utf-8")).text for p in sorted((ROOT / "corpus").glob("*.txt"))]
    for r in ROWS:
        assert r["answerable"] == bool(r["reference_contexts"]), r["id"]
        for c in r["reference_contexts"]:
            assert any(c in t for t in texts), (r["id"], c)
