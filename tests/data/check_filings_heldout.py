"""Check tests/data/filings-heldout.jsonl by hand: form, coverage, and that every reference context
is verbatim text of its documents as the project stores them (load -> clean, whitespace collapsed),
lies on one page (so it survives better page-furniture removal) and has no stray footnote digit.

    .venv/bin/python tests/data/check_filings_heldout.py [path/to/corpus-filings]

Prints one line per problem and a summary; exits 1 if any. Not a test: the held-back set is only
reported, never tuned on (see tests/test_filings_testset.py for the test of both halves).
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ingest.clean import clean  # noqa: E402
from ingest.loaders import load  # noqa: E402

HELDOUT = {
    "11thcircuit-200814991.pdf", "3rdcircuit-091225p.pdf", "5thcircuit-07-30815-cr0.pdf",
    "7thcircuit-uz1ffy4t.pdf", "9thcircuit-07-55393.pdf", "ca3_17-2678.pdf", "ca9_20-16276_brief.pdf",
    "calderon_fuentes_tenn_wc_order.pdf", "d_colo_complaint_page.pdf",
    "diaz_v_create_and_construct_tenn_wc_appeals.pdf", "discharge_review_form.docx", "tax_court_opinion.pdf",
}
CATEGORIES = {"fact", "reasoning", "list", "authority", "quote", "cross", "follow_up", "false_premise",
              "unanswerable"}
FIELDS = ["id", "category", "question", "history", "reference", "reference_contexts", "answerable", "docs"]
MINIMUM = {"unanswerable": 6, "false_premise": 3, "follow_up": 3, "cross": 3}


def squash(s: str) -> str:
    return " ".join(s.split())


def texts(corpus: Path, name: str) -> tuple[str, list[str]]:
    """The stored (cleaned) text of one document, and the raw text of each of its pages.

    A context must be in both: in the raw text of one page, so it spans no page break and holds
    nothing that cleaning removes (``*`` footnote marks, ``[*2]`` star paging, hyphens joined)."""
    raw = load(corpus / name, max_bytes=100_000_000)
    whole = squash(clean(raw.text).text)
    pages = [raw.text[s:e] for _, s, e in raw.pages] if raw.pages else [raw.text]
    return whole, [squash(p) for p in pages]


def main(corpus: Path) -> int:
    path = ROOT / "tests" / "data" / "filings-heldout.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    problems: list[str] = []
    cache: dict[str, tuple[str, list[str]]] = {}
    ids = Counter(r.get("id") for r in rows)
    problems += [f"duplicate id {i}" for i, n in ids.items() if n > 1]
    per_doc: Counter = Counter()
    for r in rows:
        rid = r.get("id")
        if list(r) != FIELDS:
            problems.append(f"{rid}: fields {list(r)} (want {FIELDS})")
        if r.get("category") not in CATEGORIES:
            problems.append(f"{rid}: unknown category {r.get('category')!r}")
        hist = r.get("history")
        if not isinstance(hist, list) or not all(isinstance(h, str) and h.strip() for h in hist):
            problems.append(f"{rid}: history must be a list of earlier user turns (strings)")
        if (r.get("category") == "follow_up") != bool(hist):
            problems.append(f"{rid}: history given iff follow_up")
        ctxs, docs = r.get("reference_contexts") or [], r.get("docs") or []
        if r.get("answerable") != bool(ctxs) or r.get("answerable") != bool(docs):
            problems.append(f"{rid}: answerable must match non-empty contexts and docs")
        if r.get("category") == "unanswerable" and r.get("answerable"):
            problems.append(f"{rid}: unanswerable row marked answerable")
        if r.get("category") == "cross" and len(set(docs)) < 2:
            problems.append(f"{rid}: cross row needs two documents")
        if not 1 <= len(ctxs) <= 3 and r.get("answerable"):
            problems.append(f"{rid}: {len(ctxs)} contexts (want 1-3)")
        for d in docs:
            if d not in HELDOUT:
                problems.append(f"{rid}: {d} is not a held-out document")
                continue
            per_doc[d] += 1
            if d not in cache:
                cache[d] = texts(corpus, d)
        for c in ctxs:
            c2 = squash(c)
            n = len(c2.split())
            if n < 2 or n > 60:
                problems.append(f"{rid}: context of {n} words: {c[:60]!r}")
            if re.search(r"[a-z.,;)”’][0-9]{1,2}(?=\s|$)", c2):
                problems.append(f"{rid}: context may hold a footnote marker: {c[:70]!r}")
            homes = [d for d in docs if d in cache and c2 in cache[d][0]]
            if not homes:
                problems.append(f"{rid}: context not in the stored text of {docs}: {c[:70]!r}")
                continue
            if not any(c2 in p for d in homes for p in cache[d][1]):
                problems.append(f"{rid}: context spans a page break or differs from the raw page: {c[:70]!r}")
    for cat, n in MINIMUM.items():
        have = sum(r.get("category") == cat for r in rows)
        if have < n:
            problems.append(f"only {have} {cat} rows (want {n})")
    for d in sorted(HELDOUT - set(per_doc)):
        problems.append(f"no question on {d}")
    for p in problems:
        print(p)
    print(f"{len(rows)} rows; " + ", ".join(f"{c} {n}" for c, n in Counter(r["category"] for r in rows).most_common()))
    print("per document: " + ", ".join(f"{d} {n}" for d, n in sorted(per_doc.items())))
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/corpus-filings")))
