"""Completing an answer with the documents' own lines (pure functions on plain strings).

A small model answering a list question names some items of the passage it cites and drops the
rest ("Italy and Greece", not "and a smaller UK penalty"; Article 6, not Articles 12, 15, 17 and
31); asked who signed a filing, it names the signer but not the role or the firm; asked for the
case number, it gives one filing's form of it ("1:21-cv-00135", not the order's "21 C 0135").
These functions pick the source lines that hold what the answer left out; the engine quotes
them, cut from the stored text, after the model's answer.
"""

from __future__ import annotations

import re

from .attribute import _profile

_AUX = frozenset("do does did is are was were has have had can could would should will may might".split())
_NOT_PLURAL = frozenset("this its his hers ours yours theirs whereas thus plus".split())
_WH = re.compile(r"^\s*(?:which|what)\s+(.*)$", re.I | re.S)
_LIST_VERB = re.compile(r"^\s*(?:list|name|enumerate)\s+(?:the|all|every)\b", re.I)


def asks_list(question: str) -> bool:
    """Does the question ask for several things ("Which articles did it breach?", "Which other
    countries fined the company?", "List the safeguards…")? A plural noun among the first words
    after which/what, before any verb, says so; "What does the article say?" does not."""
    if _LIST_VERB.match(question):
        return True
    m = _WH.match(question)
    if m is None:
        return False
    for word in re.findall(r"[A-Za-z’'-]+", m.group(1))[:4]:
        w = word.lower()
        if w in _AUX:
            return False
        if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")) and w not in _NOT_PLURAL:
            return True
    return False


_ITEM = re.compile(r"^\s*(?:[-•*▪–]\s+|\(?(?:[a-z]|[ivx]{1,4}|\d{1,2})\)\s+|\d{1,2}\.\s+)")


def is_list_item(sentence: str) -> bool:
    """A bulleted or numbered line: "- Unlawful processing…", "(b) the information…", "2. …"."""
    return bool(_ITEM.match(sentence))


def list_run(sentences: list[str], i: int) -> list[int]:
    """The list items that ``sentences[i]`` belongs to, or introduces (a line ending in a colon
    followed by items); empty when it is neither."""
    if is_list_item(sentences[i]):
        lo = hi = i
    elif sentences[i].rstrip().endswith(":") and i + 1 < len(sentences) and is_list_item(sentences[i + 1]):
        lo = hi = i + 1
    else:
        return []
    while lo > 0 and is_list_item(sentences[lo - 1]):
        lo -= 1
    while hi + 1 < len(sentences) and is_list_item(sentences[hi + 1]):
        hi += 1
    return list(range(lo, hi + 1))


def introduced(sentences: list[str], cited: list[int], answer: str = "", lists: bool = True) -> list[int]:
    """What a cited sentence ending in a colon introduces and the answer neither cites nor gives:
    the next sentence, or the items of the list that follows ("The declaration makes clear that
    various people have access…:" → "No employees can search…"). With ``lists`` false
    (the question asks for one thing), a list that follows is left out."""
    have = _have(answer)
    out: list[int] = []
    for i in cited:
        if not sentences[i].rstrip().endswith(":") or i + 1 >= len(sentences):
            continue
        run = list_run(sentences, i)
        if run and not lists:
            continue
        out.extend(j for j in run or [i + 1]
                   if j not in cited and j not in out and not _holds_item(have, sentences[j]))
    return out


_ADDS = re.compile(r"^\W*(?:[\w’'-]+\s+){0,4}?(?:also|too|as well|additionally|in addition|another|moreover|furthermore)\b", re.I)


def adds_to(sentence: str, answer: str) -> bool:
    """Does ``sentence``, the one after a sentence the answer cites, add another item of the same
    kind ("The bloc has also more recently presented a plan for an AI Liability Directive…") that
    the answer does not name?"""
    if not _ADDS.match(sentence):
        return False
    return not _holds(_have(answer), sentence)


_QUALIFIER = re.compile(r"^\W*(?:but|however|yet|still|nevertheless|nonetheless|that said|even so)\b", re.I)


def qualifies(sentence: str) -> bool:
    """Does ``sentence``, the one after a sentence the answer cites, qualify it ("But it's not
    clear it's handed over any money…")? A quote its source qualifies at once is quoted out of
    context when shown alone."""
    return bool(_QUALIFIER.match(sentence))


def _have(answer: str) -> tuple[set, set]:
    """What an answer gives: its content words and its numbers."""
    prof = _profile(answer)
    return set(prof.items), set(prof.numbers)


def _key_items(text: str) -> tuple[set, set]:
    """A text's names (capitalised words, acronyms) and numbers."""
    p = _profile(text)
    return {t for t in p.items if p.weights[t] == 2.0}, set(p.numbers)


def _holds(answer: tuple[set, set], text: str) -> bool:
    """Does the answer give every name and number of ``text``?"""
    names, numbers = _key_items(text)
    return names <= answer[0] and numbers <= answer[1]


def _holds_item(answer: tuple[set, set], item: str) -> bool:
    """Does the answer give a list item? Its numbers when it has any ("Articles 12, 15 and 17"),
    else half its words ("(c) Defendants have far more resources than Plaintiffs")."""
    p = _profile(item)
    if p.numbers:
        return p.numbers <= answer[1]
    return len(p.items & answer[0]) >= 0.5 * len(p.items)


def omitted_items(answer: str, sentences: list[str], cited: list[int], question: str = "") -> list[int]:
    """The sentences of one passage (``sentences``, in order) that hold list items the answer
    left out, given the indices of the sentences it cites.

    A cited list item or list heading brings its whole list: each item the answer does not give
    (its numbers, or half its words when it has none) is returned. A cited plain sentence is an
    enumeration the answer draws on when two names or numbers the answer gives (not the
    question's) stand in it joined as a list is ("Italy and Greece"); it is returned when a name
    or number from there on ("…; and a smaller UK penalty") is missing from the answer. What the
    sentence states before that point (its subject) does not count.
    """
    have = _have(answer)
    asked = _profile(question).items if question else frozenset()
    out: list[int] = []
    for i in cited:
        run = list_run(sentences, i)
        if run:
            out.extend(j for j in run if j not in out and not _holds_item(have, sentences[j]))
            continue
        text = sentences[i]
        shared = []
        for m in re.finditer(r"[€$£]?\d[\d.,]*\w*|[A-Z][\w’'-]*", text):
            p = _profile(m.group())
            names = {t for t in p.items if t not in asked} if m.group()[0].isupper() else set()
            if (names & have[0]) or (p.numbers & have[1]):
                shared.append(m)
        # two of them close together, joined as a list is ("Italy and Greece", "6, 12")
        start = next((a.start() for a, b in zip(shared, shared[1:])
                      if b.start() - a.end() <= 60 and _JOINS.search(text[a.end():b.start()])), None)
        if start is not None and i not in out and not _holds(have, text[start:]):
            out.append(i)
    return out


_JOINS = re.compile(r",|;|\band\b|\bor\b")

_ROLE = re.compile(r"\b(?:counsel|attorneys?|judge|magistrate|esq\.?|partner|clerk|justice|"
                   r"for (?:the )?(?:plaintiffs?|defendants?|petitioners?|respondents?))\b", re.I)
_FIRM = re.compile(r"&|\b(?:LLP|LLC|L\.L\.P\.|P\.C\.|PLLC|LAW|LEGAL)\b")


def signer_details(lines: list[str], signer: int) -> list[int]:
    """The lines of a signature block that give the role and the firm of the signer at
    ``lines[signer]`` ("By: /s/ Jane Q. Counsel"): the role line that follows the signer's name
    ("Interim Lead Class Counsel for Plaintiffs", "United States District Judge"), and the firm
    under which the signer is listed again ("Jane Q. Counsel" / "DOE & ROE LLP")."""
    names = re.findall(r"[A-Z][A-Za-z’'-]+", lines[signer])
    surname = names[-1].lower() if names else ""
    out: list[int] = []
    for j in range(signer + 1, min(signer + 4, len(lines))):
        if _ROLE.search(lines[j]):
            out.append(j)
            break
    if surname:
        for j in range(signer + 1, len(lines) - 1):
            if surname in lines[j].lower() and j not in out:
                for k in range(j + 1, min(j + 3, len(lines))):
                    if _FIRM.search(lines[k]) and sum(c.isupper() for c in lines[k]) > sum(c.islower() for c in lines[k]):
                        out.append(k)
                        break
                if len(out) == 2 or (out and not _ROLE.search(lines[out[0]])):
                    break
    return sorted(out)


_DOCKET = re.compile(r"\bNo\.?\s*:?\s*(\d[\w:-]*(?:\s+[A-Z]{1,2}\s+\d+)?)")


def docket_numbers(text: str) -> list[str]:
    """The case numbers a caption line gives: "Civil Action File No.: 1:21-cv-00135" →
    ["1:21-cv-00135"], "Case No. 21 C 0135" → ["21 C 0135"]."""
    return [m.group(1) for m in _DOCKET.finditer(text)]


def missing_dockets(answer: str, lines: list[str]) -> list[int]:
    """The caption lines whose case number the answer does not give (spacing aside)."""
    flat = re.sub(r"\s+", "", answer)
    return [i for i, line in enumerate(lines)
            if any(re.sub(r"\s+", "", d) not in flat for d in docket_numbers(line))]
