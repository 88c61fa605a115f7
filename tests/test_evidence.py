"""Evidence selection helpers, on plain strings."""
from types import SimpleNamespace

from qa.evidence import is_title


def doc(title: str):
    return SimpleNamespace(meta=SimpleNamespace(title=title))


def test_titles_are_not_evidence_but_argument_headings_are():
    article = doc("France fines Clearview AI maximum possible for GDPR breaches")
    assert is_title(article, "France fines Clearview AI maximum possible for GDPR breaches • ProWellTech")
    reply = doc("Plaintiffs' reply in support of Fed. R. Civ. P. 72(a) objections")
    assert is_title(reply, "PLAINTIFFS’ REPLY IN SUPPORT OF FED. R. CIV. P. 72(a) OBJECTIONS TO THE DECEMBER 20, "
                           "2021 DISCOVERY ORDER")
    # a brief's argument heading states a claim: it may answer "which requests are at issue?"
    assert not is_title(reply, "I. The Rulings With Respect to Interrogatories 8-9 and RFPs 7 and 11 Were Clearly Erroneous.")
    assert not is_title(doc(""), "The Order Failed to Conduct a Proportionality Analysis")


def _hit(text: str, doc_id: str = "a"):
    from ingest.chunk import split_sentences
    d = SimpleNamespace(doc_id=doc_id, text=text, meta=SimpleNamespace(title="", kind="order", voice="court"))
    chunk = SimpleNamespace(id=doc_id + "#0", sentences=split_sentences(text), section=[], start=0, end=len(text))
    return SimpleNamespace(doc=d, chunk=chunk, score=1.0)


def test_the_sentence_before_the_best_one_comes_only_when_the_best_one_leans_on_it():
    from ingest.bm25 import tokenize
    from qa.evidence import estimate_tokens, select_evidence
    q = "Does Clearview have offshore subsidiaries?"
    before = ("Moreover, the patent application filed in August describing a broad use of the technology is too "
              "attenuated to suggest harm before final judgment.")
    best = "As to the offshore subsidiaries in Panama and Singapore, Clearview subsidiaries currently have no customers."
    after = "Also, Clearview has yet to authorize them."
    other = "Plaintiffs argue offshore Clearview subsidiaries may sell to foreign entities."
    # room for the best sentence with both neighbours, and a little more: not for the other passage too
    budget = sum(estimate_tokens(x) for x in (before, best, after)) + 2

    def picked(order_text: str) -> str:
        hits = [_hit(order_text), _hit(other, "b")]
        return " ".join(p.text for p in select_evidence(hits, tokenize(q), lambda t: 1.0, budget, question=q))

    got = picked(" ".join((before, best, after)))
    assert "patent" not in got and "foreign entities" in got and best in got
    # a best sentence that points back ("These subsidiaries…") brings the one it points to
    leaning = "These offshore subsidiaries of Clearview currently have no customers in Panama or Singapore."
    assert before in picked(" ".join((before, leaning, after)))


def test_which_numbered_things_prefers_the_sentence_that_numbers_them():
    from ingest.bm25 import tokenize
    from qa.evidence import asks_which_numbered, estimate_tokens, select_evidence
    assert asks_which_numbered("Which discovery requests of plaintiffs are at issue in the objections?")
    assert asks_which_numbered("Which GDPR articles did Clearview breach?")
    assert not asks_which_numbered("Which case does the court quote?")
    q = "Which discovery requests of plaintiffs are at issue in the objections?"
    vague = "Defendants contend that plaintiffs waived arguments about the requests."
    numbered = "The Court should sustain the objections as to Interrogatories 8- 9 and Requests for Production 7 and 11."
    hits = [_hit(vague), _hit(numbered, "b")]
    budget = estimate_tokens(numbered) + 1          # room for one of the two
    got = select_evidence(hits, tokenize(q), lambda t: 1.0, budget, question=q)
    assert [p.text for p in got] == [numbered]
