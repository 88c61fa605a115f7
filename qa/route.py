"""Which documents a question names: "in Weintraub v. Quicken Loans", "the Eighth Circuit's
opinion", "case 17-3994".

Lawyers name a document by its parties, its court, its docket number. Those are the question's
capitalised words and numbers; a document is named by them when they are rare across the store
(a party's name is in one or two documents, "Court" in all of them) and the document holds them,
above all in its own record (caption, court, docket, parties). No list of courts or parties: the
weights come from document frequencies in the store itself.

Pure: ``named_terms`` reads a question, ``route`` scores documents from what the caller says
each term occurs in.
"""
from __future__ import annotations

import math
import re
from typing import Mapping

from ingest.bm25 import tokenize

# a capitalised word (not only a capital: "I", "A") or a token holding a digit
_WORD = re.compile(r"[A-Z][\w’'.-]*[a-z\d][\w’'-]*|[A-Z]{2,}|[\w-]*\d[\w.-]*")

# how much a term counts by where a document holds it: in its record (caption, court, docket,
# parties, title), in several passages, or in one passage only (a case it cites in passing)
IN_RECORD, IN_BODY, IN_PASSING = 1.0, 0.5, 0.25
# documents scoring at least this share of the best are named too ("Weintraub's and Balmert's")
SHARE = 0.5
# documents scoring this close to the best are named with it: the question does not tell them apart
TIE = 0.9
# at most this many documents are named; more means the question names a kind, not a document
MAX_NAMED = 4


def named_terms(question: str) -> list[str]:
    """The search terms of the question's capitalised words and numbers, in order, once each."""
    out: list[str] = []
    for m in _WORD.finditer(question):
        for t in tokenize(m.group()):
            if t not in out:
                out.append(t)
    return out


def route(terms: list[str], where: Mapping[str, Mapping[str, float]], n_docs: int) -> list[str]:
    """The documents the terms name, best first, or [] when none stands out.

    ``where[term]`` maps each document holding the term to IN_RECORD, IN_BODY or IN_PASSING.
    A term counts log(n_docs / documents holding it): a word every document holds counts nothing.
    A document is named when it holds a rare term (one held by at most a quarter of the
    documents) and its score reaches that term's weight. Another is named with it ("Weintraub's
    and Balmert's opinions") when it scores at least SHARE of the best and holds, in its record or
    in several passages, a rare term the best does not hold: sharing the best one's words
    ("Corp.") names nothing else, unless it scores as high (TIE): then the question names both
    ("the Third Circuit's letter", two such filings)."""
    if n_docs < 2:
        return []
    weight = {t: math.log(n_docs / len(where[t])) for t in terms if where.get(t)}
    scores: dict[str, float] = {}
    for t, w in weight.items():
        for d, strength in where[t].items():
            scores[d] = scores.get(d, 0.0) + w * strength
    if not scores:
        return []
    rare = math.log(4) - 1e-9
    ranked = sorted(scores, key=lambda d: -scores[d])
    top = ranked[0]

    def rare_term(d: str, strength: float, unless: str = "") -> bool:
        return any(w >= rare and where[t].get(d, 0.0) >= strength and unless not in where[t]
                   for t, w in weight.items())

    if scores[top] < rare or not rare_term(top, IN_PASSING):
        return []
    named = [top] + [d for d in ranked[1:] if scores[d] >= TIE * scores[top]
                     or (scores[d] >= SHARE * scores[top] and rare_term(d, IN_BODY, unless=top))]
    return named if len(named) <= MAX_NAMED and len(named) < n_docs else []

def without_terms(text: str, drop: set[str] | frozenset[str]) -> str:
    """``text`` without its words whose search terms are all in ``drop``: the names that chose a
    document tell nothing apart inside it ("When was Weintraub v. Quicken Loans decided?" is
    searched in that opinion as "When was … decided?"). Unchanged when nothing would be left."""
    kept = [w for w in text.split() if not (tokenize(w) and set(tokenize(w)) <= drop)]
    return " ".join(kept) if tokenize(" ".join(kept)) else text
