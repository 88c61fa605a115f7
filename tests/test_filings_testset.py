"""The QA test sets over the real filings (issue 17): split by document, well formed, and every
reference context is text Casefile itself stores for the document the answer comes from.

``tests/data/filings-split.json`` fixes which filings are for development (``dev``: tune on
these) and which are held back (``heldout``: only reported). Each ``tests/data/filings-<half>.jsonl``
present is checked against its half, so a held-out file added later gets the same checks.
"""
from __future__ import annotations

import json
import os
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest

from ingest.clean import clean
from ingest.loaders import load
from ingest.pipeline import IGNORED_NAMES
from ingest.settings import Settings
from qa.eval import read_testset

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SPLIT = json.loads((DATA / "filings-split.json").read_text(encoding="utf-8"))
TESTSETS = sorted(DATA.glob("filings-*.jsonl"))

CATEGORIES = {"fact", "reasoning", "list", "authority", "quote", "cross", "follow_up",
              "false_premise", "unanswerable"}
MINIMUMS = {"unanswerable": 6, "false_premise": 3, "follow_up": 3, "cross": 3}
MIN_ROWS = 48
MIN_PER_DOC = 2
FIELDS = {"id": str, "category": str, "question": str, "history": list, "reference": str,
          "reference_contexts": list, "answerable": bool, "docs": list}


def _filings_dir() -> Path:
    env = os.environ.get("CASEFILE_FILINGS")
    if env:
        return Path(env)
    beside = ROOT.parent.parent / "shared" / "corpus-filings"    # a worktree under /work/wt/
    return beside if beside.is_dir() else Path("/work/shared/corpus-filings")


FILINGS = _filings_dir()
needs_filings = pytest.mark.skipif(not FILINGS.is_dir(),
                                   reason=f"the real filings are not here ({FILINGS}); set CASEFILE_FILINGS")


def _usable_files() -> set[str]:
    """The documents a user would get answers from: the folder's files, not unusable/ or its README."""
    return {p.name for p in FILINGS.iterdir()
            if p.is_file() and not p.name.startswith(".") and p.name not in IGNORED_NAMES}


def _half(path: Path) -> str:
    return path.stem.removeprefix("filings-")


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _collapse(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


@lru_cache(maxsize=None)
def stored_text(name: str) -> str:
    """What Casefile stores for one filing (the loader, then clean), whitespace collapsed; once per file."""
    raw = load(FILINGS / name, max_bytes=Settings.from_env().max_file_bytes)
    return _collapse(clean(raw.text).text)


# --- the split ----------------------------------------------------------------------------------

def test_the_split_has_two_disjoint_halves_without_repeats():
    assert set(SPLIT) == {"dev", "heldout"}
    dev, held = SPLIT["dev"], SPLIT["heldout"]
    assert len(dev) == len(set(dev)) and len(held) == len(set(held))
    assert not set(dev) & set(held)
    assert dev and held


@needs_filings
def test_the_split_covers_every_usable_filing_and_nothing_else():
    usable = _usable_files()
    named = set(SPLIT["dev"]) | set(SPLIT["heldout"])
    assert named == usable, {"not in the split": sorted(usable - named),
                             "not a usable filing": sorted(named - usable)}
    unusable = FILINGS / "unusable"
    if unusable.is_dir():
        assert not named & {p.name for p in unusable.iterdir()}


# --- every test set present -----------------------------------------------------------------

def test_each_test_set_file_names_a_half_of_the_split():
    for path in TESTSETS:
        assert _half(path) in SPLIT, f"{path.name}: name it filings-dev.jsonl or filings-heldout.jsonl"


@pytest.mark.parametrize("path", TESTSETS, ids=lambda p: p.name)
def test_the_test_set_is_well_formed_and_readable_by_the_evaluator(path):
    rows = _rows(path)
    assert len(rows) >= MIN_ROWS, f"{path.name}: {len(rows)} rows, at least {MIN_ROWS} wanted"
    for r in rows:
        for name, kind in FIELDS.items():
            assert isinstance(r.get(name), kind), (r.get("id"), name)
        assert r["category"] in CATEGORIES, (r["id"], r["category"])
        assert r["question"].strip() and r["reference"].strip(), r["id"]
        assert all(isinstance(c, str) and c.strip() for c in r["reference_contexts"]), r["id"]
        assert all(isinstance(h, str) and h.strip() for h in r["history"]), r["id"]
        assert r["answerable"] == bool(r["reference_contexts"]), r["id"]
        assert (r["category"] == "unanswerable") == (not r["answerable"]), r["id"]
        if r["category"] == "follow_up":
            assert r["history"], f"{r['id']}: a follow-up needs the earlier turns in `history`"
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    parsed, errors = read_testset(path)                 # what `python -m qa.eval` will read
    assert not errors and len(parsed) == len(rows), errors


@pytest.mark.parametrize("path", TESTSETS, ids=lambda p: p.name)
def test_the_test_set_has_the_minimum_of_each_hard_category(path):
    counts = Counter(r["category"] for r in _rows(path))
    short = {c: (counts[c], n) for c, n in MINIMUMS.items() if counts[c] < n}
    assert not short, f"{path.name}: (have, need) {short}"


@pytest.mark.parametrize("path", TESTSETS, ids=lambda p: p.name)
def test_every_answer_comes_from_documents_of_its_own_half(path):
    half = set(SPLIT[_half(path)])
    asked = Counter()
    for r in _rows(path):
        docs = r["docs"]
        assert set(docs) <= half, (r["id"], sorted(set(docs) - half))
        assert bool(docs) == r["answerable"], f"{r['id']}: docs must be given exactly when answerable"
        if r["category"] == "cross":
            assert len(set(docs)) >= 2, f"{r['id']}: a cross question needs two documents"
        asked.update(set(docs))
    rare = {d: asked[d] for d in half if asked[d] < MIN_PER_DOC}
    assert not rare, f"{path.name}: documents with fewer than {MIN_PER_DOC} questions: {rare}"


@needs_filings
@pytest.mark.parametrize("path", TESTSETS, ids=lambda p: p.name)
def test_every_reference_context_is_text_casefile_stores_for_its_document(path):
    missing = []
    for r in _rows(path):
        for c in r["reference_contexts"]:
            if not any(_collapse(c) in stored_text(d) for d in r["docs"]):
                missing.append((r["id"], c))
    assert not missing, missing
