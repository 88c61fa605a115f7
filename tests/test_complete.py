"""Completing answers with the documents' own lines: the pure functions, on plain strings."""
from __future__ import annotations

import pytest

from qa.complete import (adds_to, asks_list, docket_numbers, introduced, list_run, missing_dockets, omitted_items,
                         qualifies, signer_details)

BREACHES = ["Here’s the CNIL’s summary of Clearview’s breaches:",
            "- Unlawful processing of personal data (breach of Article 6 of the GDPR)",
            "- Individuals’ rights not respected (Articles 12, 15 and 17 of the GDPR)",
            "- Lack of cooperation with the CNIL (Article 31 of the RGPD)",
            "Clearview responded by ghosting the regulator."]
FINES = ("The US-based privacy-stripper has been issued with a slew of penalties by other data protection "
         "agencies across Europe in recent months, including €20M fines from Italy and Greece; and a smaller UK penalty.")
LEDE = ("Clearview AI, the controversial facial recognition firm that scrapes selfies and other personal data off "
        "the Internet without consent to feed an AI-powered identity-matching service it sells to law enforcement "
        "and others, has been hit with another fine in Europe.")
SIGNATURE = ["Dated: February 15, 2022", "Respectfully submitted,", "By: /s/ Scott R. Drury", "SCOTT R. DRURY",
             "Interim Lead Class Counsel for Plaintiffs", "Mike Kanovitz", "Scott R. Drury", "LOEVY & LOEVY"]


@pytest.mark.parametrize("question, expected", [
    ("Which articles did it breach?", True),
    ("Which other countries fined Clearview, according to the article?", True),
    ("What safeguards has Clearview implemented to secure its data?", True),
    ("List the proportionality factors.", True),
    ("What does the article say about the fine?", False),
    ("Which case does the court quote?", False),
    ("Which statute are the defendants alleged to have violated?", False),
    ("What is the docket number?", False),
])
def test_list_questions_are_told_from_questions_about_one_thing(question, expected):
    assert asks_list(question) is expected


def test_a_list_item_or_its_heading_brings_the_whole_list():
    assert list_run(BREACHES, 2) == [1, 2, 3]
    assert list_run(BREACHES, 0) == [1, 2, 3]
    assert list_run(BREACHES, 4) == []


def test_the_items_an_answer_leaves_out_of_a_cited_list_are_found():
    assert omitted_items("The article reports that Clearview breached Article 6 of the GDPR.", BREACHES, [1]) == [2, 3]
    assert omitted_items("It breached Articles 6, 12, 15, 17 and 31.", BREACHES, [1, 0]) == []
    # an item named only in part is not given: Article 12 without 15 and 17
    assert omitted_items("It breached Articles 6, 12 and 31.", BREACHES, [3]) == [2]


def test_an_enumerating_sentence_is_quoted_when_the_answer_drops_a_name_from_it():
    q = "Which other countries fined Clearview, according to the article?"
    dropped = "The article reports that other countries fined Clearview, including Italy and Greece, for €20M fines."
    assert omitted_items(dropped, [FINES, LEDE], [0, 1], q) == [0]
    whole = "The article reports €20M fines from Italy and Greece, and a smaller UK penalty."
    assert omitted_items(whole, [FINES, LEDE], [0, 1], q) == []
    # a sentence the answer shares only its subject with ("Clearview AI…") enumerates nothing of the answer
    assert omitted_items("Clearview AI was fined in Europe.", [LEDE], [0], q) == []


def test_the_signers_role_and_firm_are_found_in_the_signature_block():
    assert signer_details(SIGNATURE, 2) == [4, 7]
    assert signer_details(["Entered:", "SHARON JOHNSON COLEMAN", "United States District Judge"], 1) == [2]
    assert signer_details(SIGNATURE, 0) == []            # the date line names no signer


def test_each_captions_form_of_the_case_number_is_found_and_checked_against_the_answer():
    assert docket_numbers("Civil Action File No.: 1:21-cv-00135") == ["1:21-cv-00135"]
    assert docket_numbers("Consumer Privacy Litigation, Case No. 21 C 0135 Judge Sharon Johnson Coleman") == ["21 C 0135"]
    lines = ["Civil Action File No.: 1:21-cv-00135", "Case No. 21 C 0135", "Judge Sharon Johnson Coleman"]
    assert missing_dockets("The docket number is 1:21-cv-00135 [1].", lines) == [1]
    assert missing_dockets("It is No. 1:21-cv-00135, styled 21 C 0135 in the order.", lines) == []


def test_what_a_cited_colon_introduces_is_found_unless_the_answer_gives_it():
    decl = ["The declaration makes clear that various people have access to the Blocked Illinois Photos:",
            "No Clearview employees can search Clearview’s database for the Blocked Illinois Photos.",
            "See Dkt. 43-1 ¶ 37."]
    assert introduced(decl, [0]) == [1]
    assert introduced(decl, [0, 1]) == []                 # cited already
    assert introduced(decl, [1]) == []                    # no colon: introduces nothing
    assert introduced(BREACHES, [0], "It breached Articles 6 and 31.") == [2]
    # a question asking for one thing does not get the list a cited heading introduces
    assert introduced(BREACHES, [0], "", lists=False) == []


def test_a_next_sentence_adding_another_named_item_is_told_from_one_that_does_not():
    answer = "The article reports that the EU’s incoming AI Act may contain such a power."
    also = "The bloc has also more recently presented a plan for an AI Liability Directive."
    assert adds_to(also, answer)
    assert not adds_to(also, answer + " So may the AI Liability Directive.")
    assert not adds_to("Clearview said the fine was unfair and also unlawful under the GDPR.", answer)
    assert not adds_to("The settlement included limits on sales to US companies.", answer)


def test_a_sentence_that_qualifies_the_one_before_is_told_from_one_that_goes_on():
    assert qualifies("But it’s not clear it’s handed over any money to any of these authorities.")
    assert qualifies("“However, it did not provide any response to this formal notice,” the CNIL wrote.")
    assert not qualifies("So the GDPR penalties look mostly like a warning to stay away from Europe.")
    assert not qualifies("The Court, in its discretion, denies the motion, but without prejudice.")
