"""Which documents a question names (qa.route), on plain strings and on a real store."""
from qa.route import IN_BODY, IN_PASSING, IN_RECORD, named_terms, route


def test_named_terms_are_the_questions_names_and_numbers():
    terms = named_terms("Who represented Acme Widgets in appeal 17-3510 before the Ninth Circuit?")
    assert terms[:2] == ["acm", "widget"] and "3510" in terms and "ninth" in terms
    assert "repres" not in terms and "appeal" not in terms      # lower-case words name nothing


def _store(n: int, **where):
    """``where``: term -> {doc: strength}; n documents in all."""
    return list(where), where, n


def test_a_party_held_by_one_document_names_it():
    terms, where, n = _store(20, acm={"a": IN_RECORD}, circuit={d: IN_RECORD for d in "abcdefghijklmnop"})
    assert route(terms, where, n) == ["a"]


def test_words_every_document_holds_name_nothing():
    terms, where, n = _store(20, court={d: IN_RECORD for d in "abcdefghijklmnopqrst"},
                             circuit={d: IN_BODY for d in "abcdefghijklmnop"})
    assert route(terms, where, n) == []


def test_a_case_cited_in_passing_does_not_outweigh_the_document_it_names():
    # "Smith" is the party of document a and cited once in b
    terms, where, n = _store(20, smith={"a": IN_RECORD, "b": IN_PASSING}, jones={"a": IN_RECORD})
    assert route(terms, where, n) == ["a"]


def test_two_cases_named_in_one_question_are_both_searched():
    terms, where, n = _store(20, weintraub={"a": IN_RECORD}, balmert={"b": IN_RECORD},
                             sixth={"b": IN_RECORD, "c": IN_RECORD})
    assert sorted(route(terms, where, n)) == ["a", "b"]


def test_a_word_shared_with_the_best_document_names_no_other():
    # "Corp." is in the named case's text and in the captions of others
    terms, where, n = _store(20, hoboken={"a": IN_BODY}, chevron={"a": IN_BODY},
                             corp={"a": IN_PASSING, "b": IN_RECORD, "c": IN_RECORD})
    assert route(terms, where, n) == ["a"]


def test_documents_the_question_cannot_tell_apart_are_all_kept():
    terms, where, n = _store(20, third={"a": IN_RECORD, "b": IN_RECORD})
    assert sorted(route(terms, where, n)) == ["a", "b"]


def test_a_question_naming_a_kind_of_document_is_not_narrowed():
    many = {d: IN_RECORD for d in "abcdef"}
    terms, where, n = _store(24, fourth=many)     # six documents share the word: not rare enough
    assert route(terms, where, n) == []
    assert route(["x"], {"x": {"a": IN_RECORD}}, 1) == []     # one document: nothing to choose


def test_the_names_that_chose_a_document_are_left_out_of_the_search_inside_it():
    from qa.route import without_terms
    assert without_terms("When was Weintraub v. Quicken Loans argued and decided?",
                         {"weintraub", "quicken", "loan"}) == "When was v. argued and decided?"
    # nothing but names: the question is searched as asked
    assert without_terms("Weintraub v. Quicken Loans?", {"weintraub", "quicken", "loan", "v"}) \
        == "Weintraub v. Quicken Loans?"


def test_in_a_store_of_three_no_word_is_rare_enough_to_narrow_the_search():
    terms, where, n = _store(3, franc={"a": IN_RECORD}, cnil={"a": IN_RECORD})
    assert route(terms, where, n) == []
