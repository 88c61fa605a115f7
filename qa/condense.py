"""Follow-up questions: turn "Why?" or "Where are they located?" into a self-contained query.

Pure and instant (no model call): a question that leans on the conversation (short, or built on a
pronoun, or opening with "and", "why", "what about") is searched together with the earlier user
turns it depends on. The model sees the conversation itself in its prompt.
"""
from __future__ import annotations

import re
from typing import Iterable, Sequence

_PRONOUN = re.compile(
    r"\b(it|its|they|them|their|theirs|this|that|these|those|he|she|him|her|his|there|such|"
    r"the same|the former|the latter|the above|said)\b", re.I)
_LEAD = re.compile(r"^\s*(and|but|so|also|why|how come|what about|how about|then|what else|"
                   r"anything else|which ones?|who else|where|when|how)\b", re.I)
_CONTENT = re.compile(r"[A-Za-z][A-Za-z'’-]{2,}|\d+")
_FUNCTION = frozenset("""what which who whom whose where when why how does did do is are was were
    the and but for with about from into that this these those they them their its it has have had
    can could would should will say said says tell more else other any some also there than then
    located locate happen happened mean means""".split())


def normalise_history(history: Iterable) -> list[tuple[str, str]]:
    """Accept user turns as strings, (user, answer) pairs, or chat messages (role/content dicts)."""
    turns: list[tuple[str, str]] = []
    for item in history or ():
        if isinstance(item, str):
            turns.append((item, ""))
        elif isinstance(item, dict):
            role, content = item.get("role"), item.get("content") or ""
            if not isinstance(content, str):
                content = str(content)
            if role == "user":
                turns.append((content, ""))
            elif role == "assistant" and turns:
                turns[-1] = (turns[-1][0], (turns[-1][1] + " " + content).strip())
        elif isinstance(item, (list, tuple)) and item:
            turns.append((str(item[0] or ""), str(item[1] or "") if len(item) > 1 else ""))
    return [(q.strip(), a.strip()) for q, a in turns if q and q.strip()]


def content_words(text: str) -> list[str]:
    return [w for w in _CONTENT.findall(text) if w.lower() not in _FUNCTION]


def is_follow_up(question: str) -> bool:
    words = content_words(question)
    if len(words) <= 2:
        return True
    if _LEAD.match(question) and len(words) <= 5:
        return True
    has_name = any(w[0].isupper() for w in words[1:]) or any(w.isdigit() for w in words)
    return bool(_PRONOUN.search(question)) and not has_name and len(words) <= 6


def condense(question: str, history: Sequence[tuple[str, str]]) -> str:
    """The retrieval query for ``question`` given earlier (user, answer) turns."""
    question = question.strip()
    if not history or not is_follow_up(question):
        return question
    parts = [question]
    for q, _ in reversed(history):          # walk back to the turn that names the subject
        parts.insert(0, q)
        if not is_follow_up(q):
            break
    return " ".join(parts)


_PART = re.compile(r",?\s+(?:and|but)\s+(?=(?:how|what|which|who|whom|where|when|why|does|do|did|is|are|was|were)\b)",
                   re.I)


def split_compound(question: str) -> list[str]:
    """The parts of a question that asks two things ("Under which Illinois law is Acme sued in
    the filings, and how does the article describe that law?"): each is searched on its own, so
    that one part's best passages do not crowd out the other's. A one-part question is itself."""
    pieces = [p.strip(" ,;") for p in _PART.split(question.strip())]
    pieces = [p for p in pieces if len(content_words(p)) >= 2]
    return pieces if len(pieces) > 1 else [question.strip()]


_POSSESSIVE_PRONOUN = re.compile(r"\b(their|its)\b", re.I)
_PARTY = re.compile(r"\b(plaintiffs?|defendants?|the court|the judge|the parties|the class|the article|the order|"
                    r"the brief|the reply|they|them|he|she)\b", re.I)
_NAME_RUN = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*")


def resolve_possessive(question: str, history: Sequence[tuple[str, str]]) -> str:
    """A follow-up's "their"/"its" made the one name the earlier question gives it: "Who is their
    general counsel?" after "What safeguards has Acme implemented…?" is asked as "Who is
    Acme’s general counsel?" (the model had made it the plaintiffs'). Only when the earlier
    question names exactly one thing and no party: otherwise the question is left as it is."""
    if not history or not _POSSESSIVE_PRONOUN.search(question) or not is_follow_up(question) \
            or _NAME_RUN.search(question.strip()):
        return question                   # its "its" may be its own name's ("What did Acme say about its…")
    earlier = history[-1][0]
    names = {m.group() for m in _NAME_RUN.finditer(earlier.strip())}
    if len(names) != 1 or _PARTY.search(earlier):
        return question
    name = names.pop()
    owner = name + ("’" if name.endswith("s") else "’s") if "’" in question else \
        name + ("'" if name.endswith("s") else "'s")
    return _POSSESSIVE_PRONOUN.sub(owner, question, count=1)
