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
