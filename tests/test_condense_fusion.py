"""Pure pieces of qa: follow-up condensing, history forms, reciprocal rank fusion."""
from qa.condense import resolve_possessive, split_compound, condense, is_follow_up, normalise_history
from qa.fusion import fuse_top, rrf


def test_follow_ups_are_searched_with_the_turn_they_lean_on():
    hist = [("Does Clearview have offshore subsidiaries?", "Yes, in Panama and Singapore.")]
    assert condense("Where are they located?", hist) == "Does Clearview have offshore subsidiaries? Where are they located?"
    assert condense("Why?", hist).endswith("Why?") and "subsidiaries" in condense("Why?", hist)
    # a self-contained question is left alone
    q = "Which articles of the GDPR did Clearview breach according to the CNIL?"
    assert condense(q, hist) == q


def test_a_chain_of_follow_ups_walks_back_to_the_turn_that_names_the_subject():
    hist = [("How much did France fine Clearview?", ""), ("Why?", "")]
    assert condense("Which articles did it breach?", hist).startswith("How much did France fine Clearview?")


def test_is_follow_up():
    assert is_follow_up("Why?") and is_follow_up("And the defendants?")
    assert not is_follow_up("What did Judge Coleman decide about the preliminary injunction motion?")


def test_history_accepts_strings_pairs_and_chat_messages():
    assert normalise_history(["a question"]) == [("a question", "")]
    assert normalise_history([("q", "a")]) == [("q", "a")]
    msgs = [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"},
            {"role": "user", "content": "q2"}]
    assert normalise_history(msgs) == [("q1", "a1"), ("q2", "")]


def test_rrf_rewards_agreement_and_is_deterministic():
    fused = rrf([["a", "b", "c"], ["b", "c", "d"]])
    assert [k for k, _ in fused][:2] == ["b", "c"]
    assert [k for k, _ in rrf([["x"], ["y"]])] == ["x", "y"]       # ties keep first-seen order
    assert rrf([]) == []


def test_each_rankings_leader_survives_the_cut():
    dense = ["a", "b", "c", "d"]
    bm25 = ["statute", "b", "c", "d"]         # BM25's best, which the dense side never found
    assert [k for k, _ in rrf([dense, bm25])][:3] == ["b", "c", "d"]      # both leaders cut
    top = [k for k, _ in fuse_top([dense, bm25], 3)]
    assert "statute" in top and "a" in top and len(top) == 3
    assert fuse_top([dense, bm25], 3, leaders=0) == rrf([dense, bm25])[:3]
    assert fuse_top([["x"], []], 5) == rrf([["x"], []])


def test_bm25_matches_a_name_with_or_without_its_possessive():
    from ingest.bm25 import BM25, tokenize
    assert tokenize("Mulcaire’s testimony") == tokenize("Mulcaire testimony")
    assert tokenize("Clearview's breaches") == tokenize("clearview breach")
    index = BM25.build(["Thomas Mulcaire is Clearview's general counsel.", "The court denies the motion."])
    assert [i for i, _ in index.top("What did Mulcaire’s deposition show?", 2)][:1] == [0]


def test_a_question_asking_two_things_is_searched_as_two():
    assert split_compound("Under which Illinois law is Clearview sued in the filings, and how does the "
                          "article describe that law?") == ["Under which Illinois law is Clearview sued in the filings",
                                                            "how does the article describe that law?"]
    # "and" inside one question, or a short tail, is not a second question
    for q in ("Which GDPR articles did Clearview breach and why?", "Who signed the order and when?",
              "What did the court decide about irreparable harm and adequate remedies?"):
        assert split_compound(q) == [q]


def test_a_follow_ups_their_is_the_one_name_the_earlier_question_gives():
    safeguards = [("What safeguards has Clearview implemented to secure its data?", "")]
    assert resolve_possessive("Who is their general counsel?", safeguards) == "Who is Clearview's general counsel?"
    # two names, or a party that could be "they": left as asked
    assert resolve_possessive("What was its amount?", [("How much did France fine Clearview AI?", "")]) == \
        "What was its amount?"
    assert resolve_possessive("What is their main argument?", [("Do plaintiffs argue the Order erred?", "")]) == \
        "What is their main argument?"
    # a question that stands on its own is not touched
    assert resolve_possessive("What did Clearview say about its database of photos?", safeguards) == \
        "What did Clearview say about its database of photos?"
