"""qa.eval: reading test sets, the metrics, and a run whose output other tools (RAGAS) read."""
from __future__ import annotations

import json

import pytest

from qa.eval import (content_recall, context_found, evaluate, key_fact_recall, parse_row, read_testset, RowError,
                     summarise, token_f1)
from qa.engine import Engine
from qa.retrieve import Index


def test_rows_accept_ragas_names_and_bad_rows_name_their_line(tmp_path):
    r = parse_row(json.dumps({"user_input": "Q?", "ground_truth": "A."}), 1)
    assert (r.question, r.reference, r.answerable) == ("Q?", "A.", True)
    p = tmp_path / "t.jsonl"
    p.write_text('{"question": "ok?"}\n{not json}\n{"question": ""}\n{"question": "h?", "history": "x"}\n')
    rows, errors = read_testset(p)
    assert [x.question for x in rows] == ["ok?"]
    assert [e.split(":")[0] for e in errors] == ["line 2", "line 3", "line 4"]
    with pytest.raises(RowError, match="line 7: no question"):
        parse_row("{}", 7)


def test_metrics_on_plain_strings():
    assert token_f1("The fine was 20 million euros.", "20 million euros") > 0.6
    assert token_f1("Nothing alike here.", "20 million euros") == 0.0
    assert key_fact_recall("It was 20 million euros from the CNIL.", "20 million euros, imposed by the CNIL.") == 1.0
    assert key_fact_recall("It was 30 million euros.", "20 million euros, imposed by the CNIL.") == 0.0
    # list labels are not facts; possessives and word order within a name do not matter
    ref = "(1) a likelihood of success; (2) no adequate remedy; and (3) irreparable harm."
    assert key_fact_recall("Success, no remedy at law, and irreparable harm.", ref) is None
    assert key_fact_recall("He is the general counsel of Clearview AI.", "He is Clearview’s general counsel.") == 1.0
    assert key_fact_recall("the Magistrate Judge's December 20, 2021 Order", "The Magistrate Judge’s December 20, 2021 order") == 1.0
    assert key_fact_recall("Judge Coleman signed it.", "Magistrate Judge Maria Valdez.") == 0.0
    # a longer answer that holds the reference is correct; one that misses it is not
    assert content_recall("The article reports Clearview had two months to comply with the notice.", "Two months.") == 1.0
    assert content_recall("The court treated likelihood of success as dispositive.", "Irreparable harm.") == 0.0
    assert context_found("the restricted committee decided", ["... the restricted  committee decided to ..."])
    assert not context_found("Panama and Singapore", ["a passage about fines"])


def test_summary_counts_abstention_and_latency():
    rows = [
        {"answerable": True, "abstained": False, "category": "fact", "timings": {"total_s": 2.0},
         "scores": {"correct": True, "token_f1": 0.5, "key_fact_recall": 1.0, "quote_precision": 1.0,
                    "citation_recall": 1.0, "context_recall": 1.0}},
        {"answerable": True, "abstained": True, "category": "fact", "timings": {"total_s": 4.0},
         "scores": {"correct": False, "token_f1": 0.0, "key_fact_recall": 0.0, "quote_precision": None,
                    "citation_recall": None, "context_recall": 0.0}},
        {"answerable": False, "abstained": True, "category": "unanswerable", "timings": {"total_s": 1.0},
         "scores": {"correct": True, "token_f1": None, "key_fact_recall": None, "quote_precision": None,
                    "citation_recall": None, "context_recall": None}},
    ]
    s = summarise(rows)
    assert s["answerable_correct"] == 0.5 and s["unanswerable_abstained"] == 1.0
    assert s["answerable_wrongly_abstained"] == 0.5
    assert s["abstention"]["precision"] == 0.5 and s["abstention"]["recall"] == 1.0
    assert s["latency"]["total_s"]["p50"] == 2.0


def test_a_run_writes_ragas_readable_results_and_resumes(tmp_path, built_home, real_embedder):
    src = tmp_path / "set.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in [
        {"id": "a", "question": "What did the two data breaches expose?", "category": "fact",
         "reference": "Clearview's source code, employee information, and client list.",
         "reference_contexts": ["The two data breaches exposed Clearview's source code, employee information, and client list—not facial images or facial vectors."]},
        {"id": "b", "question": "Where are they located?", "history": ["Does Clearview have offshore subsidiaries?"],
         "category": "follow_up", "reference": "Panama and Singapore.",
         "reference_contexts": ["the offshore subsidiaries in Panama and Singapore"]},
        {"id": "c", "question": "What is the boiling point of mercury?", "answerable": False,
         "category": "unanswerable", "reference": "The documents do not say."},
    ]) + "\n")
    engine = Engine(built_home.replace(model="smollm2", max_tokens=60), index=Index(built_home, embedder=real_embedder))
    out = tmp_path / "out"
    summary = evaluate(src, out, settings=built_home, engine=engine, progress=False, limit=2)
    assert summary["rows"] == 2 and summary["quote_precision"] in (None, 1.0)
    summary = evaluate(src, out, settings=built_home, engine=engine, progress=False, resume=True)
    lines = (out / "results.jsonl").read_text().splitlines()
    assert [json.loads(x)["id"] for x in lines] == ["a", "b", "c"], "resumed, not redone"
    assert summary["rows"] == 3 and summary["unanswerable_abstained"] == 1.0
    assert summary["by_category"]["follow_up"]["context_recall"] == 1.0
    report = (out / "report.md").read_text()
    assert "By category" in report and (out / "latency.png").exists()

    # a real peer tool reads it: RAGAS's dataset and one of its non-LLM metrics
    from ragas import EvaluationDataset
    from ragas.metrics import NonLLMContextPrecisionWithReference

    rows = [json.loads(x) for x in lines]
    ds = EvaluationDataset.from_list([{k: r[k] for k in ("user_input", "response", "retrieved_contexts",
                                                          "reference", "reference_contexts")} for r in rows])
    assert len(ds) == 3
    # the model's unchecked text is kept beside the checked answer, to tell a model miss from a checking miss
    assert all("draft" in r for r in rows) and any(r["draft"] for r in rows)
    # once, as written: at most max_tokens (60) tokens of it, not every partial text run together
    assert all(len(r["draft"].split()) <= 60 for r in rows)
    metric = NonLLMContextPrecisionWithReference()
    score = metric.single_turn_score(ds[0])
    assert 0.0 <= score <= 1.0


def test_a_run_is_compared_with_a_baseline_summary():
    from qa.eval import compare
    now = {"answerable_correct": 0.7, "quote_precision": 1.0, "latency": {"total_s": {"p50": 4.0, "p95": 7.0}}}
    before = {"answerable_correct": 0.5, "quote_precision": 1.0, "latency": {"total_s": {"p50": 5.0, "p95": 9.0}}}
    pairs = compare(now, before)
    assert pairs["answerable_correct"] == (0.5, 0.7) and pairs["total_s p50"] == (5.0, 4.0)
    assert compare(now, None) == {}


def _row(**kw):
    base = {"question": "How much was the fine?", "reference": "20 million euros.",
            "reference_contexts": ["The regulator imposed a fine of 20 million euros."]}
    base.update(kw)
    return parse_row(json.dumps(base), 1)


def _ans(text, abstained=False):
    return {"answer": text, "abstained": abstained, "citations": [], "evidence": []}


def test_padding_is_not_correct():
    """An answer that holds the reference but pastes unrelated passages around it is not counted correct."""
    from qa.eval import answer_precision, score_row

    row = _row()
    short = score_row(row, _ans("The regulator imposed a fine of 20 million euros [1]."), {})
    assert short["correct"] and not short["padded"] and short["answer_precision"] == 1.0
    padded = score_row(row, _ans(
        "The fine was 20 million euros [1]. Separately, the company operates offices in several countries, "
        "sells software subscriptions to police departments, trains facial recognition on photographs "
        "scraped from social networks, and has raised venture capital from investors [2][3]."), {})
    assert not padded["correct"] and padded["padded"] and padded["answer_precision"] < 0.5
    assert answer_precision("[1] [2]", ["anything"]) is None


def test_summary_separates_wrong_answers_from_abstentions():
    def r(answerable, abstained, correct):
        return {"answerable": answerable, "abstained": abstained, "category": "fact", "timings": {},
                "scores": {"correct": correct, "quote_precision": None}}

    s = summarise([r(True, False, True), r(True, False, False), r(True, True, False), r(True, False, True),
                   r(False, True, True), r(False, False, False)])
    assert s["answerable_correct"] == 0.5
    assert s["answerable_wrong"] == 0.25 and s["answerable_wrongly_abstained"] == 0.25
    assert s["unanswerable_abstained"] == 0.5 and s["unanswerable_answered"] == 0.5
