"""The empty chat's example questions come from the documents in the store, not from code."""
from ingest.types import Document, DocumentMeta
from qa.suggest import example_questions, short_title


def doc(i: str, kind: str, voice: str, title: str, date: str = "") -> Document:
    return Document(doc_id=i, source=f"{i}.pdf", content_hash=i, fmt="pdf",
                    meta=DocumentMeta(title=title, kind=kind, voice=voice, date=date),
                    text="", pages=[], chunks=[])


def test_examples_name_the_stores_own_documents_and_fit_their_kind():
    docs = [doc("a", "opinion", "court", "Marsh v. Delacroix Freight Lines", "2020-05-01"),
            doc("b", "brief", "defendants", "Answering Brief of Appellee", "2019-01-02"),
            doc("c", "article", "outlet", "Regulator fines shipping firm", "2021-07-07")]
    ex = example_questions(docs)
    assert len(ex) == 4
    # every document is represented before one gives a second question
    assert any("Marsh v. Delacroix" in q and "court" in q for q in ex[:3])
    assert any("defendants argue" in q and "Answering Brief" in q for q in ex[:3])
    assert any("article" in q and "Regulator fines" in q for q in ex[:3])
    # a second store yields other questions: nothing is fixed in code
    other = example_questions([doc("z", "order", "court", "Order on Motion to Compel")])
    assert other and all("Order on Motion to Compel" in q for q in other)
    assert not set(other) & set(ex)


def test_an_empty_store_has_no_examples_and_long_titles_are_cut_at_a_word():
    assert example_questions([]) == []
    t = short_title(doc("x", "order", "court", "Memorandum Opinion and Order Granting in Part and Denying in Part "
                                             "the Motion for Summary Judgment"))
    assert t.endswith("…") and len(t) <= 61 and not t[:-1].endswith(" ")
