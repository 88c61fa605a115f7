"""qa.voice: each answer sentence names the voice of the source that supports it."""
from qa.voice import claimed_voice, give_voice


def test_a_wrong_lead_is_replaced_by_the_sources_voice():
    assert give_voice("The court held that France fined Clearview AI 20 million euros.", ["outlet"]) == \
        "The article reports that France fined Clearview AI 20 million euros."
    assert give_voice("The court found that the Order was clearly erroneous.", ["plaintiffs"]) == \
        "Plaintiffs argue that the Order was clearly erroneous."
    assert give_voice("According to the court, the order was erroneous.", ["plaintiffs"]) == \
        "Plaintiffs argue that the order was erroneous."


def test_a_right_lead_is_kept():
    for s, v in (("Plaintiffs argue that the Order was clearly erroneous.", "plaintiffs"),
                 ("The court held that plaintiffs must show irreparable harm.", "court"),
                 ("The article reports that the CNIL imposed the maximum fine.", "outlet")):
        assert give_voice(s, [v]) == s


def test_unattributed_party_or_outlet_sentences_get_attributed_but_court_sentences_stay():
    assert give_voice("The Order was clearly erroneous because it shifted the burden.", ["plaintiffs"]) == \
        "According to plaintiffs, the Order was clearly erroneous because it shifted the burden."
    assert give_voice("Clearview was fined 20 million euros.", ["outlet"]) == \
        "According to the article, Clearview was fined 20 million euros."
    assert give_voice("The court denied the motion.", ["court"]) == "The court denied the motion."
    assert give_voice("The court denied the motion.", ["outlet"]) == \
        "According to the article, the court denied the motion."


def test_no_double_subject_when_the_lead_is_dropped():
    assert give_voice("The article reports that the court denied the motion.", ["court"]) == \
        "The court denied the motion."


def test_claimed_voice():
    assert claimed_voice("Defendants contend that the requests are burdensome.")[0] == "defendants"
    assert claimed_voice("Clearview responded by ghosting the regulator.") == ("", 0)


def test_a_sentence_opening_with_a_conjunction_keeps_it_first():
    assert give_voice("But the CNIL fined Clearview AI 20 million euros.", ["outlet"]) == \
        "But according to the article, the CNIL fined Clearview AI 20 million euros."
    assert give_voice("However, Clearview has not paid.", ["outlet"]) == \
        "However, according to the article, Clearview has not paid."
    assert give_voice("Although fined, Clearview has not paid.", ["outlet"]) == \
        "According to the article, although fined, Clearview has not paid."
    # a sentence adverb stays first too ("According to plaintiffs, Notably, Defendants…" read badly)
    assert give_voice("Notably, Defendants do not dispute this.", ["plaintiffs"]) == \
        "Notably, according to plaintiffs, Defendants do not dispute this."
    assert give_voice("Instead, Defendants ignore the record.", ["plaintiffs"]) == \
        "Instead, according to plaintiffs, Defendants ignore the record."
    # a name followed by a comma is not an adverb
    assert give_voice("Italy, Greece and the UK fined Clearview.", ["outlet"]) == \
        "According to the article, Italy, Greece and the UK fined Clearview."


def test_a_document_of_no_known_voice_is_not_the_court():
    # an uploaded memo without a catalog entry: its words are the document's, not a holding
    assert give_voice("The court held that the mediation session is scheduled for March 3, 2027.", [""]) == \
        "The document states that the mediation session is scheduled for March 3, 2027."
    assert give_voice("The mediation session is scheduled for March 3, 2027.", ["other"]) == \
        "According to the document, the mediation session is scheduled for March 3, 2027."
    assert give_voice("The memo states that each side brings one representative.", [""]) == \
        "The memo states that each side brings one representative."


def test_the_sources_are_not_a_voice():
    assert give_voice("According to the sources, the requests at issue are Interrogatories 8 and 9.", ["plaintiffs"]) == \
        "According to plaintiffs, the requests at issue are Interrogatories 8 and 9."
    assert give_voice("Based on the provided documents, the court denied the motion.", ["court"]) == \
        "The court denied the motion."


def test_a_sentence_that_already_names_its_source_gets_no_second_voice():
    # "According to the article, the article mentions…" read twice
    assert give_voice("The article mentions a US settlement that limits sales.", ["outlet"]) == \
        "The article mentions a US settlement that limits sales."
    assert give_voice("The article describes the settlement as a huge win.", ["outlet"]) == \
        "The article describes the settlement as a huge win."
