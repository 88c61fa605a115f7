"""``python -m qa.eval TESTSET.jsonl --out DIR [--resume] [--limit N]``: run a QA test set.

Each row is asked through the same engine the chat uses, its ``history`` turns first in the same
conversation. Writes ``DIR/results.jsonl`` (RAGAS column names plus Casefile's own), ``DIR/summary.json``
and ``DIR/report.md`` with plots. An interrupted run continues with ``--resume``.

Metrics (each defined in the report): answer correctness (token F1 and key facts), quote
precision, citation recall, context recall, abstention precision/recall/F1, latency p50/p95.
No metric needs a model download.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ingest.bm25 import tokenize
from ingest.errors import CasefileError
from ingest.settings import Settings

# an answer is padded when less than this share of its content words come from the question, the
# reference or its contexts
PRECISION_MIN = 0.5

DEFINITIONS = {
    "correct": "answerable rows: not abstained, the answer holds the reference's key facts "
               "(numbers, names, quoted terms; at least two thirds of them) or 60% of its content words "
               f"(half when it has no key facts), and it is not padded: at least {PRECISION_MIN:.0%} of its content "
               "words come from the question, the reference or the reference contexts (answer_precision), "
               "so an answer that pastes every passage it found is not correct; false premises: the answer "
               "cites a reference context and is not padded. Unanswerable rows: abstained.",
    "answer_precision": "share of the answer's content words (stemmed, citation markers and quotation marks "
                        "left out) found in the question, the reference or the reference contexts",
    "answerable_wrong": "answerable rows answered (not abstained) but not correct: the worst outcome, a wrong "
                        "answer with a citation",
    "unanswerable_answered": "unanswerable rows that got an answer instead of an abstention",
    "token_f1": "harmonic mean of precision and recall of the answer's content words against the reference's",
    "key_fact_recall": "share of the reference's numbers, capitalised names and quoted terms found in the answer",
    "quote_precision": "share of citations whose quote equals the stored document text at its offsets (below 100% is a bug)",
    "citation_recall": "share of the answer's claim sentences that carry a supporting citation",
    "context_recall": "share of reference_contexts found in the retrieved passages (verbatim, or 80% of their words)",
    "abstention": "precision, recall and F1 of abstaining, with unanswerable rows as the positives",
    "latency": "seconds from question to evidence (retrieve), to first answer token, and to the final answer",
}


class RowError(ValueError):
    pass


@dataclass
class Row:
    id: str
    question: str
    history: list[str] = field(default_factory=list)
    reference: str = ""
    reference_contexts: list[str] = field(default_factory=list)
    answerable: bool = True
    category: str = ""


def parse_row(line: str, lineno: int) -> Row:
    try:
        d = json.loads(line)
    except ValueError as exc:
        raise RowError(f"line {lineno}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(d, dict):
        raise RowError(f"line {lineno}: expected a JSON object, got {type(d).__name__}")
    question = d.get("question", d.get("user_input"))
    if not isinstance(question, str) or not question.strip():
        raise RowError(f"line {lineno}: no question (give `question` or `user_input`)")
    history = d.get("history") or []
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        raise RowError(f"line {lineno}: `history` must be a list of earlier user turns (strings)")
    contexts = d.get("reference_contexts") or []
    if not isinstance(contexts, list):
        raise RowError(f"line {lineno}: `reference_contexts` must be a list of strings")
    return Row(id=str(d.get("id") or f"line{lineno}"), question=question, history=history,
               reference=str(d.get("reference", d.get("ground_truth", "")) or ""),
               reference_contexts=[str(c) for c in contexts],
               answerable=bool(d.get("answerable", True)), category=str(d.get("category", "")))


def read_testset(path: Path) -> tuple[list[Row], list[str]]:
    rows, errors = [], []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(parse_row(line, n))
        except RowError as exc:
            errors.append(str(exc))
    return rows, errors


# --- metrics (pure) ---------------------------------------------------------------------------

def token_f1(answer: str, reference: str) -> float:
    a, r = tokenize(answer), tokenize(reference)
    if not a or not r:
        return 0.0
    common = sum(min(a.count(t), r.count(t)) for t in set(a))
    if common == 0:
        return 0.0
    p, rec = common / len(a), common / len(r)
    return 2 * p * rec / (p + rec)


_NUM = re.compile(r"(?<![(\w])\d+(?:[.,]\d+)*(?![)\w])")      # not list labels such as "(1)"
# capitalised runs, initials included ("Scott R. Drury"), not a sentence's first word
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z’'-]+(?:\s+(?:[A-Z]\.|[A-Z][a-zA-Z’'-]+))*")
_QUOTED = re.compile(r"[“\"]([^”\"]{2,60})[”\"]")
_NOT_FACT = frozenset("""the a an it they in no yes because that this there these those he she we his her
    their its on at by for from to with as but and or if when while after before under over not only""".split())


def _fact_words(text: str) -> list[str]:
    """Lower-case words with possessives and curly apostrophes normalised ("Acme’s" → "acme")."""
    text = re.sub(r"['’]s\b", "", text.replace("’", "'"))
    return re.findall(r"[a-z0-9]+(?:[-.'][a-z0-9]+)*", text.lower().replace(",", ""))


def key_facts(reference: str) -> set[str]:
    """Numbers, capitalised names and quoted terms of a reference answer, normalised."""
    facts = {n.replace(",", "") for n in _NUM.findall(reference)}
    for m in list(_NAME.finditer(reference)) + list(_QUOTED.finditer(reference)):
        words = [w for w in _fact_words(m.group()) if w not in _NOT_FACT]
        if words:
            facts.add(" ".join(words))
    return facts


def key_fact_recall(answer: str, reference: str) -> float | None:
    """Share of the reference's key facts in the answer; a fact of several words counts when each
    of its words is there ("Magistrate Judge’s December 20 order" holds "magistrate judge december")."""
    facts = key_facts(reference)
    if not facts:
        return None
    have = set(_fact_words(answer))
    return sum(1 for f in facts if all(w in have for w in f.split())) / len(facts)


def content_recall(answer: str, reference: str) -> float:
    """Share of the reference's content words (stemmed) that the answer holds."""
    a, r = set(tokenize(answer)), tokenize(reference)
    return sum(1 for t in r if t in a) / len(r) if r else 0.0


_MARKER = re.compile(r"\[\d+\]")


def answer_precision(answer: str, support: Iterable[str]) -> float | None:
    """Share of the answer's content words that some support text (question, reference, reference
    contexts) also holds; None for an answer with no content words. Padding lowers it."""
    words = tokenize(_MARKER.sub(" ", answer))
    if not words:
        return None
    have = set(tokenize(" ".join(support)))
    return sum(1 for w in words if w in have) / len(words)


def context_found(context: str, retrieved: Iterable[str]) -> bool:
    norm = " ".join(context.split())
    words = set(tokenize(context))
    for r in retrieved:
        flat = " ".join(r.split())
        if norm in flat:
            return True
        if words and len(words & set(tokenize(r))) / len(words) >= 0.8:
            return True
    return False


def percentile(values: list[float], q: float) -> float | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return round(values[lo] + (values[hi] - values[lo]) * (k - lo), 3)


def score_row(row: Row, ans: dict, stored: dict[str, str]) -> dict:
    cits = ans.get("citations", [])
    verbatim = [stored.get(c.get("doc_id", ""), "")[c["start"]:c["end"]] == c["quote"] for c in cits]
    claims = len(re.findall(r"[.!?](?:\s|$)", re.sub(r"“[^”]*”", "", ans["answer"]))) or 1
    unsupported = len(ans.get("unsupported", []))
    retrieved = [e["text"] for e in ans.get("evidence", [])]
    ctx = [context_found(c, retrieved) for c in row.reference_contexts]
    f1 = token_f1(ans["answer"], row.reference) if row.answerable else None
    kf = key_fact_recall(ans["answer"], row.reference) if row.answerable else None
    prec = None
    if row.answerable and not ans["abstained"]:
        prec = answer_precision(ans["answer"], [row.question, row.reference, *row.reference_contexts])
    concise = prec is None or prec >= PRECISION_MIN
    if not row.answerable:
        holds = ans["abstained"]
    elif row.category == "false_premise":
        quotes = " ".join(c["quote"] for c in cits)
        holds = not ans["abstained"] and any(context_found(c, [quotes]) for c in row.reference_contexts)
    else:
        recall = content_recall(ans["answer"], row.reference)
        holds = not ans["abstained"] and (recall >= 0.6 or (recall >= 0.5 if kf is None else kf >= 2 / 3 - 1e-9))
    return {
        "correct": bool(holds and concise), "padded": bool(holds and not concise), "token_f1": None if f1 is None else round(f1, 3),
        "answer_precision": None if prec is None else round(prec, 3),
        "key_fact_recall": None if kf is None else round(kf, 3),
        "quote_precision": (sum(verbatim) / len(verbatim)) if verbatim else None,
        "citation_recall": None if ans["abstained"] else round(max(0.0, 1 - unsupported / claims), 3),
        "context_recall": (sum(ctx) / len(ctx)) if ctx else None,
    }


def summarise(results: list[dict]) -> dict:
    def mean(key, rows):
        vals = [r["scores"][key] for r in rows if r["scores"].get(key) is not None]
        return round(statistics.mean(vals), 4) if vals else None

    answerable = [r for r in results if r["answerable"]]
    unanswerable = [r for r in results if not r["answerable"]]
    tp = sum(1 for r in unanswerable if r["abstained"])
    fp = sum(1 for r in answerable if r["abstained"])
    fn = len(unanswerable) - tp
    prec = tp / (tp + fp) if tp + fp else None
    rec = tp / (tp + fn) if tp + fn else None
    f1 = 2 * prec * rec / (prec + rec) if prec and rec else None
    quotes = [q for r in results for q in [r["scores"]["quote_precision"]] if q is not None]
    by_cat: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        by_cat[r.get("category") or "all"].append(r)
    lat = {k: [r["timings"].get(k) for r in results] for k in ("retrieve_s", "first_token_s", "total_s")}
    return {
        "rows": len(results),
        "answerable_correct": round(sum(r["scores"]["correct"] for r in answerable) / len(answerable), 4) if answerable else None,
        "unanswerable_abstained": round(tp / len(unanswerable), 4) if unanswerable else None,
        "answerable_wrongly_abstained": round(fp / len(answerable), 4) if answerable else None,
        "answerable_wrong": round(sum(1 for r in answerable if not r["abstained"] and not r["scores"]["correct"])
                                  / len(answerable), 4) if answerable else None,
        "unanswerable_answered": round(fn / len(unanswerable), 4) if unanswerable else None,
        "answer_precision": mean("answer_precision", answerable),
        "token_f1": mean("token_f1", answerable), "key_fact_recall": mean("key_fact_recall", answerable),
        "quote_precision": round(statistics.mean(quotes), 4) if quotes else None,
        "citation_recall": mean("citation_recall", results), "context_recall": mean("context_recall", answerable),
        "abstention": {"precision": prec, "recall": rec, "f1": f1},
        "latency": {k: {"p50": percentile(v, 0.5), "p95": percentile(v, 0.95)} for k, v in lat.items()},
        "by_category": {c: {"rows": len(rs), "correct": round(sum(r["scores"]["correct"] for r in rs) / len(rs), 4),
                            "token_f1": mean("token_f1", rs), "context_recall": mean("context_recall", rs)}
                        for c, rs in sorted(by_cat.items())},
        "definitions": DEFINITIONS,
    }


# --- running --------------------------------------------------------------------------------

def run_row(engine, row: Row) -> dict:
    history: list[tuple[str, str]] = []
    for turn in row.history:                     # earlier turns first, in the same conversation
        prior = engine.answer(turn, history)
        history.append((turn, prior.answer))
    final, draft = None, ""
    for ev in engine.stream(row.question, history):
        if ev.kind == "token":
            draft = ev.text              # a token event carries the whole text so far
        elif ev.kind == "final":
            final = ev.answer
    out = final.to_dict()
    out["draft"] = draft        # the model's text before checking: tells a model miss from a checking miss
    return out


def to_result(row: Row, ans: dict, stored: dict[str, str]) -> dict:
    return {
        "id": row.id, "category": row.category, "user_input": row.question, "history": row.history,
        "response": ans["answer"], "retrieved_contexts": [e["text"] for e in ans.get("evidence", [])],
        "reference": row.reference, "reference_contexts": row.reference_contexts,
        "answerable": row.answerable, "abstained": ans["abstained"], "citations": ans.get("citations", []),
        "unsupported": ans.get("unsupported", []), "notice": ans.get("notice", ""), "mode": ans.get("mode", ""),
        "timings": ans.get("timings", {}), "model": ans.get("model", ""), "draft": ans.get("draft", ""),
        "scores": score_row(row, ans, stored),
    }


def evaluate(testset: Path, out: Path, *, resume: bool = False, limit: int | None = None,
             settings: Settings | None = None, engine=None, progress: bool = True,
             baseline: dict | None = None) -> dict:
    from ingest.store import Store

    from .engine import Engine

    settings = settings or Settings.from_env()
    rows, errors = read_testset(testset)
    for e in errors:
        print(f"warning: {testset}: {e}; the row is skipped", file=sys.stderr)
    rows = rows[:limit] if limit else rows
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / "results.jsonl"
    done: dict[str, dict] = {}
    if resume and results_path.exists():
        for line in results_path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                done[r["id"]] = r
    elif results_path.exists():
        results_path.unlink()
    engine = engine or Engine(settings)
    stored = {d.doc_id: d.text for d in Store(settings).documents()}
    todo = [r for r in rows if r.id not in done]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(rows), initial=len(rows) - len(todo), unit="q", desc="Evaluating", file=sys.stderr)
    with open(results_path, "a", encoding="utf-8") as fh:
        for row in todo:
            try:
                ans = run_row(engine, row)
            except CasefileError as exc:
                ans = {"answer": f"error: {exc}", "abstained": False, "citations": [], "evidence": [],
                       "timings": {}, "notice": str(exc), "mode": "error"}
            result = to_result(row, ans, stored)
            done[row.id] = result
            fh.write(json.dumps(result, ensure_ascii=False) + "\n")
            fh.flush()
            if bar:
                bar.update(1)
    if bar:
        bar.close()
    results = [done[r.id] for r in rows if r.id in done]
    summary = summarise(results)
    summary.update({"testset": str(testset), "model": next((r["model"] for r in results if r.get("model")), ""),
                    "skipped_rows": errors})
    (out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
    write_report(out, summary, results, baseline)
    return summary


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


HEADLINE = ("answerable_correct", "answerable_wrong", "answerable_wrongly_abstained", "unanswerable_abstained",
            "answer_precision", "token_f1",
            "key_fact_recall", "quote_precision", "citation_recall", "context_recall")


def compare(summary: dict, baseline: dict | None) -> dict[str, tuple[Any, Any]]:
    """Headline figures of this run against an earlier run's summary: {metric: (before, now)}."""
    if not baseline:
        return {}
    pairs = {k: (baseline.get(k), summary.get(k)) for k in HEADLINE}
    for k in summary.get("latency", {}):
        pairs[f"{k} p50"] = (baseline.get("latency", {}).get(k, {}).get("p50"), summary["latency"][k]["p50"])
    return pairs


def write_report(out: Path, summary: dict, results: list[dict], baseline: dict | None = None) -> None:
    plots = _plots(out, summary, results)
    before = compare(summary, baseline)
    lines = [f"# Casefile evaluation: {summary['testset']}", "",
             f"Model: {summary['model'] or 'n/a'} · rows: {summary['rows']}", ""]
    lines += (["| metric | value | baseline |", "|---|---|---|"] if before else ["| metric | value |", "|---|---|"])
    for k in HEADLINE:
        lines.append(f"| {k} | {_fmt(summary[k])} |" + (f" {_fmt(before[k][0])} |" if before else ""))
    a = summary["abstention"]
    lines.append(f"| abstention P / R / F1 | {_fmt(a['precision'])} / {_fmt(a['recall'])} / {_fmt(a['f1'])} |"
                 + (" |" if before else ""))
    for k, v in summary["latency"].items():
        lines.append(f"| {k} p50 / p95 | {_fmt(v['p50'])} / {_fmt(v['p95'])} |"
                     + (f" {_fmt(before[k + ' p50'][0])} (p50) |" if before else ""))
    lines += ["", "## By category", "", "| category | rows | correct | token F1 | context recall |", "|---|---|---|---|---|"]
    for c, v in summary["by_category"].items():
        lines.append(f"| {c} | {v['rows']} | {_fmt(v['correct'])} | {_fmt(v['token_f1'])} | {_fmt(v['context_recall'])} |")
    lines += [""] + [f"![{p.stem}]({p.name})" for p in plots]
    lines += ["", "## Questions", "", "| id | question | answer | verdict | citations |", "|---|---|---|---|---|"]
    for r in results:
        verdict = ("correct" if r["scores"]["correct"] else "abstained" if r["abstained"]
                   else "padded" if r["scores"].get("padded") else "wrong")
        ans = r["response"].replace("|", "\\|").replace("\n", " ")[:300]
        lines.append(f"| {r['id']} | {r['user_input'].replace('|', '/')} | {ans} | {verdict} | {len(r['citations'])} |")
    lines += ["", "## Definitions", ""] + [f"- **{k}**: {v}" for k, v in summary["definitions"].items()]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _plots(out: Path, summary: dict, results: list[dict]) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    paths = []
    fig, ax = plt.subplots(figsize=(6, 3.2))
    for key, label in (("first_token_s", "first token"), ("total_s", "total")):
        vals = [r["timings"].get(key) for r in results if r["timings"].get(key) is not None]
        if vals:
            ax.hist(vals, bins=20, alpha=0.6, label=label)
    ax.set_xlabel("seconds"), ax.set_ylabel("questions"), ax.legend(), ax.set_title("Latency")
    fig.tight_layout()
    paths.append(out / "latency.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    cats = summary["by_category"]
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.bar(list(cats), [v["correct"] for v in cats.values()], color="#4a7")
    ax.set_ylim(0, 1), ax.set_ylabel("share correct"), ax.set_title("Correct by category")
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    paths.append(out / "by_category.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m qa.eval", description="Run a QA test set.")
    ap.add_argument("testset", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--resume", action="store_true", help="keep the rows already in DIR/results.jsonl")
    ap.add_argument("--limit", type=int, help="only the first N rows")
    ap.add_argument("--model", help="qwen2.5-1.5b (default), smollm2, or a .gguf path")
    ap.add_argument("--baseline", type=Path, help="an earlier run's summary.json: the report shows both")
    args = ap.parse_args(argv)
    if not args.testset.is_file():
        print(f"error: test set {args.testset} not found", file=sys.stderr)
        return 2
    baseline = None
    if args.baseline is not None:
        try:
            baseline = json.loads(args.baseline.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"error: baseline {args.baseline} is not a readable summary.json ({exc})", file=sys.stderr)
            return 2
    try:
        summary = evaluate(args.testset, args.out, resume=args.resume, limit=args.limit,
                           settings=Settings.from_env(model=args.model), baseline=baseline)
    except CasefileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({k: summary[k] for k in ("rows", "answerable_correct", "answerable_wrong",
                                              "answerable_wrongly_abstained", "unanswerable_abstained",
                                              "answer_precision", "quote_precision",
                                              "citation_recall", "context_recall", "latency")}, indent=1))
    for k, (was, now) in compare(summary, baseline).items():
        if was != now:
            print(f"{k}: {_fmt(was)} -> {_fmt(now)}")
    print(f"Report: {args.out / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
