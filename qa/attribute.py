"""Attribution: align each answer sentence with the source sentences that support it.

Design decision 1: quotes are cut from the stored text by the program, never typed by the model.
The model writes a short answer against numbered evidence; this module splits that answer into
sentences, scores every sentence against every evidence sentence (lexical support: shared content
words, every number must match), and rewrites the answer with citation markers numbered by the
program. The model's own markers ("[2]", "[Source 2]") are only a weak hint: a small model often
puts the wrong number on a fact. A quote is ``texts[doc_id][start:end]`` (``cut_quote``), nothing
else. A sentence that no evidence supports is kept, marked " [unsupported]" and listed.

Pure functions on plain strings; standard library only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Callable

from ingest.bm25 import _TOKEN, STOPWORDS, stem, tokenize
from ingest.chunk import split_sentences

from .evidence import _CITE

__all__ = [
    "EvidenceSentence", "SupportedSentence", "Attribution",
    "split_answer", "strip_markers", "support_score", "attribute", "cut_quote",
    "is_abstention", "is_abstention_sentence", "is_framing",
]


# --- types ------------------------------------------------------------------------------------

@dataclass
class EvidenceSentence:
    key: int            # evidence passage number as shown to the model (1-based)
    doc_id: str
    start: int          # offsets into that document's stored text, half-open
    end: int


@dataclass
class SupportedSentence:
    text: str                                   # the answer sentence, markers removed
    support: list[EvidenceSentence]             # best first; empty = not cited
    score: float
    kind: str = "claim"                         # claim | framing | abstention | echo (restates the question)


@dataclass
class Attribution:
    sentences: list[SupportedSentence]
    text: str                                   # the answer with program-numbered markers
    citations: list[tuple[int, EvidenceSentence]] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    hedged: bool = False                        # a "the documents do not say" after cited claims was dropped

    @property
    def lead_unsupported(self) -> bool:
        """The answer's first claim (its direct answer) is one nothing supports."""
        claims = [s for s in self.sentences if s.kind == "claim"]
        return bool(claims) and not claims[0].support

    @property
    def echo_only(self) -> bool:
        """The answer does nothing but restate the question."""
        return any(s.kind == "echo" for s in self.sentences) and not any(s.kind == "claim" for s in self.sentences)


# --- quotes -----------------------------------------------------------------------------------

def cut_quote(text: str, start: int, end: int) -> str:
    """``text[start:end]``, the only way a quote is produced; a bad or empty range is an error."""
    if not (0 <= start < end <= len(text)):
        raise ValueError(f"quote range [{start}, {end}) is empty or outside a text of {len(text)} characters")
    return text[start:end]


# --- markers ----------------------------------------------------------------------------------

_LABEL = r"(?:sources?|passages?|evidence|docs?|documents?|refs?|references?|excerpts?)"
_NUMS = r"\d{1,3}(?:\s*(?:[,;–—-]|and|&)\s*\d{1,3})*"
_MARKER = re.compile(
    rf"\[\s*(?:{_LABEL}\s*#?\s*)?({_NUMS})\s*\]"          # [1]  [1, 3]  [1-3]  [Source 2]
    rf"|【\s*(?:{_LABEL}\s*)?({_NUMS})\s*(?:†[^】]*)?】"       # 【1】 【1†source】
    rf"|\(\s*{_LABEL}\s*#?\s*({_NUMS})\s*\)",              # (Source 2)  (Sources 1 and 2)
    re.IGNORECASE,
)
_MARKER_RUN = rf"(?:\s*(?:{_MARKER.pattern}))+"


def _marker_numbers(group: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*(?:[,;&]|and)\s*", group, flags=re.IGNORECASE):
        m = re.fullmatch(r"(\d+)\s*[–—-]\s*(\d+)", part.strip())
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            if a <= b and b - a <= 20:
                out.extend(range(a, b + 1))
            else:
                out.extend((a, b))
        elif part.strip().isdigit():
            out.append(int(part))
    return out


def strip_markers(text: str) -> tuple[str, list[int]]:
    """Remove citation markers; return the clean text and the numbers they held, in order."""
    numbers: list[int] = []

    def take(m: re.Match) -> str:
        numbers.extend(_marker_numbers(next(g for g in m.groups() if g is not None)))
        return ""

    clean = _MARKER.sub(take, text)
    clean = re.sub(r"[ \t]{2,}", " ", clean)
    clean = re.sub(r"[ \t]+([.,;:!?…)\]])", r"\1", clean)
    clean = re.sub(r"\(\s*\)", "", clean)
    return clean.strip(), numbers


# --- splitting --------------------------------------------------------------------------------

_BULLET = re.compile(r"^[ \t]*(?:[-*•‣◦–]|\d{1,3}[.)])[ \t]+")
_MARKER_AFTER_END = re.compile(rf"([.!?…]+)({_MARKER_RUN})")


def _segments(text: str) -> tuple[list[tuple[str, str]], str]:
    """The answer as ``(lead, raw sentence)`` pairs plus a tail, so that
    ``"".join(lead + raw for ...) + tail`` rebuilds the (marker-normalised) text.

    Markers written after the end punctuation ("... denied. [1] The") are moved before it first,
    so that they stay with their sentence.
    """
    text = _MARKER_AFTER_END.sub(lambda m: m.group(2) + m.group(1), text)
    out: list[tuple[str, str]] = []
    lead = ""
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        newline = line[len(body):]
        b = _BULLET.match(body)
        lead += body[: b.end()] if b else ""
        rest = body[b.end():] if b else body
        pos = 0
        for raw_start, raw_end in _split_line(rest):
            raw = rest[raw_start:raw_end]
            s = _Span(raw_start, raw_end)
            lead += rest[pos:s.start]
            pos = s.end
            if out and not lead.strip() and not strip_markers(raw)[0]:
                # a stray marker run: give it to the previous sentence
                prev_lead, prev = out[-1]
                out[-1] = (prev_lead, prev + " " + raw)
                lead = ""
                continue
            out.append((lead, raw))
            lead = ""
        lead += rest[pos:] + newline
    return out, lead


@dataclass
class _Span:
    start: int
    end: int


def _split_line(line: str) -> list[tuple[int, int]]:
    """Sentences of one line; a framing lead-in ("Based on the documents:") stands alone."""
    out = []
    for s in split_sentences(line):
        m = re.match(r"[^:]{3,80}:\s+(?=\S)", line[s.start:s.end])
        if m and is_framing(line[s.start:s.start + m.end()]):
            cut = s.start + len(line[s.start:s.start + m.end()].rstrip())
            out.append((s.start, cut))
            out.append((s.start + m.end(), s.end))
        else:
            out.append((s.start, s.end))
    return out


def split_answer(text: str) -> list[str]:
    """The answer's sentences (list items one each), citation markers removed, empties dropped."""
    segments, _ = _segments(text)
    out = []
    for _, raw in segments:
        clean = strip_markers(raw)[0]
        if clean:
            out.append(clean)
    return out


# --- scoring ----------------------------------------------------------------------------------

_NUMBER_WORDS = {w: float(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update({"thirty": 30.0, "forty": 40.0, "fifty": 50.0, "sixty": 60.0,
                      "seventy": 70.0, "eighty": 80.0, "ninety": 90.0, "hundred": 100.0})
del _NUMBER_WORDS["zero"], _NUMBER_WORDS["one"]     # "no one", "one of the": rarely a quantity
_SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9,
           "bn": 1e9, "b": 1e9, "trillion": 1e12}
_SCALE_RE = r"(?:thousand|million|billion|trillion|mn|bn|[mkb](?![a-z]))"
_DIGITS = re.compile(
    r"(?<![A-Za-z0-9])(?<![A-Za-z]\.)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?"
    rf"(?:[ \t\u00a0-]?({_SCALE_RE}))?",
    re.IGNORECASE,
)
_WORD_NUMBER = re.compile(
    r"\b(" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")\b"
    rf"(?:[ \t-]({_SCALE_RE}))?",
    re.IGNORECASE,
)
_CAPITAL = re.compile(r"[A-Z][A-Za-z0-9'’.-]*")

# Outcome words that flip a legal answer: an answer word whose opposite stands in the source
# (and the word itself does not) is a contradiction, not support.
_OPPOSITES_RAW = [("grant", "deny"), ("grant", "denial"), ("affirm", "revers"), ("sustain", "overrul"),
                  ("approve", "reject"), ("allow", "disallow"), ("guilty", "innocent"),
                  ("win", "lose"), ("won", "lost"), ("accept", "reject"), ("lawful", "unlawful"),
                  ("legal", "illegal"), ("liable", "not liable"), ("admit", "deny"),
                  ("increase", "decrease"), ("maximum", "minimum")]


def _norm(tok: str) -> str | None:
    """A content token (from ``bm25.tokenize``) in the form compared here, or None to ignore it."""
    if "'" in tok:
        if tok.endswith("n't"):
            return None
        tok = tok[:-2] if tok.endswith("'s") else tok.replace("'", "")
        if not tok or tok in STOPWORDS:
            return None
        if tok.isalpha():
            tok = stem(tok)
    if any(c.isdigit() for c in tok) or tok in _NUMBER_WORDS:
        return None                                  # numbers are compared as values
    if len(tok) > 3 and tok.endswith("e"):
        tok = tok[:-1]                               # "argue"/"argu", "decide"/"decid"
    if len(tok) > 3 and tok.endswith("i"):
        tok = tok[:-1] + "y"                         # "deni" (denied) / "deny"
    return tok


_OPPOSITES: dict[str, set[str]] = {}
for _a, _b in _OPPOSITES_RAW:
    if " " in _b:
        continue
    na, nb = _norm(stem(_a)), _norm(stem(_b))
    if na and nb:
        _OPPOSITES.setdefault(na, set()).add(nb)
        _OPPOSITES.setdefault(nb, set()).add(na)


def _numbers(text: str) -> frozenset[float]:
    """Every quantity in ``text`` as a value: "20 million" = "€20M" = "20,000,000"; "0135" = 135."""
    out: set[float] = set()
    for m in _DIGITS.finditer(text):
        value = float(m.group(1).replace(",", "") + ("." + m.group(2) if m.group(2) else ""))
        if m.group(3):
            value *= _SCALES[m.group(3).lower()]
        out.add(round(value, 6))
    for m in _WORD_NUMBER.finditer(text):
        value = _NUMBER_WORDS[m.group(1).lower()]
        if m.group(2):
            value *= _SCALES[m.group(2).lower()]
        out.add(value)
    return frozenset(out)


@lru_cache(maxsize=65536)
def _word(tok: str) -> str | None:
    """One raw lower-case token as ``bm25.tokenize`` would give it, then ``_norm``."""
    if tok in STOPWORDS:
        return None
    return _norm(stem(tok) if tok.isalpha() else tok)


def _content(text: str) -> list[str]:
    """Content tokens: ``bm25.tokenize`` (same regex, stopwords and stemming), normalised."""
    return [n for n in map(_word, _TOKEN.findall(text.lower().replace("’", "'"))) if n]


@dataclass(frozen=True)
class _Profile:
    seq: tuple[str, ...]                 # content tokens in order
    items: frozenset[str]
    weights: dict                        # item -> weight (answer side)
    numbers: frozenset[float]
    trigrams: frozenset[tuple[str, str, str]]
    prefixes: dict                       # 5-letter prefix -> items (for near matches)
    total: float                         # the answer side's total weight
    opposable: frozenset                 # items with an opposite outcome word
    negated: frozenset = frozenset()     # outcome items the answer negates ("did not grant")


@lru_cache(maxsize=8192)
def _profile(text: str) -> _Profile:
    seq = tuple(_content(text))
    items = frozenset(seq)
    # names and capitalised words (not the sentence's first word), acronyms anywhere
    caps: set[str] = set()
    words = _CAPITAL.finditer(text)
    first = re.search(r"[A-Za-z0-9]", text)
    names = []
    for m in words:
        w = m.group()
        if first is not None and m.start() == first.start() and not (w.isupper() and len(w) > 1):
            continue
        names.append(w)
    caps.update(_content(" ".join(names)))
    weights = {}
    for t in items:
        weights[t] = 2.0 if t in caps else 1.5 if len(t) >= 8 else 1.0
    prefixes: dict[str, list[str]] = {}
    for t in items:
        if len(t) >= 5:
            prefixes.setdefault(t[:5], []).append(t)
    trigrams = frozenset(zip(seq, seq[1:], seq[2:]))
    numbers = _numbers(text)
    total = sum(weights.values()) + 2.0 * len(numbers)
    opposable = frozenset(t for t in items if t in _OPPOSITES)
    negated = frozenset()
    if opposable:
        negated = frozenset(
            t for m in _NEGATED.finditer(text) for t in _content(m.group(1)) if t in opposable)
    return _Profile(seq, items, weights, numbers, trigrams, prefixes, total, opposable, negated)


# an outcome word under a negation: "did not grant", "never granted", "was not granted"
_NEGATED = re.compile(r"(?:\bnot|n't|\bnever|\bno)\s+(\w+(?:\s+\w+)?)", re.IGNORECASE)


def _near(tok: str, src: _Profile) -> bool:
    """A different form of the same word: "injunction"/"injunctive", "regulator"/"regulation"."""
    if len(tok) < 5:
        return False
    for cand in src.prefixes.get(tok[:5], ()):
        n = 5
        while n < min(len(tok), len(cand)) and tok[n] == cand[n]:
            n += 1
        if n >= min(len(tok), len(cand)) - 2:
            return True
    return False


NUMBER_CAP = 0.2        # the most a sentence can score when one of its numbers is missing
NEAR_CREDIT = 0.8       # a near match ("injunctive" for "injunction") counts this much
PHRASE_BONUS = 0.05     # per shared run of three content words, at most two
MIN_GAIN = 0.1          # what a second source must add to the first to be cited beside it
MIN_SECOND = 0.25       # ... and how far it must support the sentence on its own


@dataclass(frozen=True)
class _Match:
    """What one source sentence covers of one answer sentence."""
    exact: frozenset                     # answer items found as such
    near: frozenset                      # answer items found in another form
    numbers: frozenset                   # answer numbers found
    trigrams: frozenset                  # answer runs of three content words found
    opposed: frozenset                   # answer items whose opposite the source holds
    outcomes: frozenset = frozenset()    # answer outcome words this source confirms


def _match(ans: _Profile, src: _Profile) -> _Match:
    exact = ans.items & src.items
    near = frozenset(t for t in ans.items - exact if _near(t, src))
    opposed = frozenset(t for t in ans.opposable - ans.negated if _OPPOSITES[t] & src.items)
    # an outcome word is confirmed by the same word, or, when negated, by its opposite
    outcomes = frozenset(t for t in ans.opposable
                         if (t in ans.negated and _OPPOSITES[t] & src.items)
                         or (t not in ans.negated and (t in exact or t in near)))
    return _Match(exact, near, ans.numbers & src.numbers, ans.trigrams & src.trigrams, opposed, outcomes)


def _combine(ans: _Profile, matches: list[_Match], cap: bool = True) -> float:
    """The joint support of the sources whose matches are given (their union)."""
    if not ans.items and not ans.numbers:
        return 0.0
    if len(matches) == 1:
        m = matches[0]
        exact, near, numbers, trigrams, opposed = m.exact, m.near, m.numbers, m.trigrams, m.opposed
        outcomes = m.outcomes
    else:
        exact = frozenset().union(*(m.exact for m in matches))
        near = frozenset().union(*(m.near for m in matches)) - exact
        numbers = frozenset().union(*(m.numbers for m in matches))
        trigrams = frozenset().union(*(m.trigrams for m in matches))
        opposed = frozenset().union(*(m.opposed for m in matches))
        outcomes = frozenset().union(*(m.outcomes for m in matches))
    w = ans.weights
    covered = sum(w[t] for t in exact) + NEAR_CREDIT * sum(w[t] for t in near) + 2.0 * len(numbers)
    score = covered / ans.total + PHRASE_BONUS * min(len(trigrams), 2)
    score = min(score, 1.0)
    if cap and (len(numbers) < len(ans.numbers) or opposed - exact or ans.opposable - outcomes):
        # a missing number, "granted" against "denies", or an outcome no source states
        score = min(score, NUMBER_CAP)
    return score


def _score(ans: _Profile, sources: list[_Profile]) -> float:
    return _combine(ans, [_match(ans, s) for s in sources])


def support_score(answer_sentence: str, source_sentence: str) -> float:
    """How far ``source_sentence`` supports ``answer_sentence``, in [0, 1].

    The weighted share of the answer's content words found in the source (names, capitalised
    words and numbers weigh 2, long words 1.5, others 1; another form of the same word counts
    0.8), plus 0.05 per shared run of three content words (at most two). Every number of the
    answer must stand in the source, and an outcome word must not be contradicted ("granted"
    against "denies"), or the score is capped at 0.2. A pin cite to the record ("(Dkt. 279 at 4)")
    is left out of the answer sentence.
    """
    return _score(_profile(_RECORD_CITE.sub("", strip_markers(answer_sentence)[0])), [_profile(source_sentence)])


# --- framing and abstention ---------------------------------------------------------------------

_DOCS = (r"(?:documents?|sources?|passages?|excerpts?|context|(?:provided|given|available|retrieved|supplied)"
         r" (?:evidence|materials?|texts?|information|records?|filings?))")
_QUAL = r"(?:(?:the|these|those|this|any|of|provided|given|available|retrieved|supplied|above|cited)\s+)*"
_ABSTAIN = [re.compile(p, re.IGNORECASE) for p in (
    # "... not in / not found in / not mentioned anywhere in the (provided) documents"
    rf"\bnot\s+(?:\w+\s+){{0,3}}(?:in|within|from|by|among|anywhere in)\s+{_QUAL}{_DOCS}\b",
    # "the documents do not say / mention / state / contain ..."
    rf"\b{_QUAL}{_DOCS}\s+(?:\w+\s+)?(?:do|does|did)\s*(?:not|n't)\s+(?:\w+\s+)?"
    r"(?:say|mention|state|contain|specify|provide|include|address|discuss|indicate|reveal|"
    r"disclose|identify|explain|answer|cover|give|describe|tell|show|offer|refer)",
    rf"\b{_QUAL}{_DOCS}\s+(?:contain|provide|include|give|offer|have|hold)s?\s+no\b",
    r"\b(?:there\s+is|there's|there\s+was|i\s+have|i\s+found|i\s+(?:can|could)\s+find)\s+no\s+"
    r"(?:\w+\s+)?(?:information|mention|details?|data|indication|answer|reference)\b",
    r"^\s*no\s+(?:\w+\s+)?(?:information|mention|details?|answer)\b",
    r"\bno\s+(?:\w+\s+)?(?:information|mention|details?)\s+(?:\w+\s+){0,6}?(?:is|was|are|were)\s+"
    r"(?:provided|given|available|found|present|included)\b",
    # "I cannot find / answer / determine", "I don't know"
    r"\b(?:i|we)\s+(?:cannot|can't|can\s+not|could\s+not|couldn't|am\s+unable\s+to|was\s+unable\s+to|"
    r"are\s+unable\s+to|do\s+not|don't|did\s+not|didn't|have\s+not|haven't)\s+(?:\w+\s+)?"
    r"(?:find|answer|determine|tell|say|locate|identify|confirm|verify|see|know|found|located)\b",
    r"\bunable\s+to\s+(?:find|locate|determine|answer|identify|confirm)\b",
    rf"\b(?:cannot|can't|can\s+not|could\s+not|couldn't|not\s+possible\s+to|impossible\s+to)\s+"
    rf"(?:be\s+)?(?:determined?|answered?|found|find|tell|say|confirmed?|verified?|located?)\b"
    rf"(?:\s+\S+){{0,6}}?\s+(?:from|in|based\s+on|using|with)\s+{_QUAL}{_DOCS}\b",
    # "The date is not mentioned." / "... is not stated in the documents."
    r"\b(?:is|are|was|were)\s+not\s+(?:\w+\s+)?(?:mentioned|stated)\s*[.!]?\s*$",
    r"\b(?:is|are|was|were)\s+not\s+(?:\w+\s+)?(?:mentioned|stated|specified|provided|given|"
    rf"disclosed|included|indicated|addressed|discussed|found|available)\s+(?:\w+\s+)?(?:in|by|within)\s+{_QUAL}{_DOCS}\b",
    r"\b(?:answer|information)\s+(?:\w+\s+){0,4}?(?:is|was)\s+not\s+(?:available|found|present|provided|contained|included)\b",
    rf"\b(?:outside|beyond)\s+(?:the\s+)?scope\s+of\s+{_QUAL}{_DOCS}\b",
    r"\binsufficient\s+information\b|\bnot\s+enough\s+information\b",
)]

_FRAMING = re.compile(
    r"^(?:(?:based\s+on|according\s+to|from|in|per|using)\s+" + _QUAL + _DOCS + r"|in\s+summary|to\s+summarize|"
    r"in\s+conclusion|in\s+short|overall|here\s+is|here\s+are|here's|the\s+answer\s+is|sure|certainly|"
    r"yes|no)\b[^.!?]{0,40}[:,.]?$",
    re.IGNORECASE,
)


def is_abstention_sentence(sentence: str) -> bool:
    """Does this one sentence say the documents do not hold the answer?"""
    s = strip_markers(sentence)[0].replace("’", "'")
    return any(p.search(s) for p in _ABSTAIN)


def is_framing(sentence: str) -> bool:
    """A sentence that only frames the answer ("Based on the documents:", "In summary,")."""
    s = strip_markers(sentence)[0].strip().strip("*_ ")
    if not s:
        return True
    return bool(_FRAMING.match(s)) and len(tokenize(s)) < 6 and not _numbers(s)


def is_abstention(answer: str) -> bool:
    """The model said it cannot answer from the documents.

    True when the first sentence that is not framing is an abstention ("The documents do not say
    when...", "I cannot find..."), even if it goes on to give nearby context; False when the
    answer leads with a claim ("The court did not grant the motion.").
    """
    for sentence in split_answer(answer):
        if is_abstention_sentence(sentence):
            return True
        if not is_framing(sentence):
            return False
    return False


# --- attribution ------------------------------------------------------------------------------

_CASE_NAME = re.compile(r"\b[A-Z][\w.’'&-]*(?:\s+(?:of|the|and|&|[A-Z][\w.’'&-]*))*\s+v\.\s+"
                        r"[A-Z][\w.’'&-]*(?:\s+(?:of|the|and|&|[A-Z][\w.’'&-]*))*")
_CITATION_BITS = re.compile(r"\b(?:see|also|cf|e\.g|id|dkt|at|cir|citation|omitted|quoting|internal|"
                            r"quotation|marks|alteration|emphasis|added|original|n|nn|ibid)\b\.?", re.I)


def is_citation_only(sentence: str) -> bool:
    """A sentence that is only citation apparatus: "See Dkt. 273 at 8.", "Cassell, 990 F.3d at 545.",
    "U.S. v. Melgar, 227 F.3d 1038, 1040 (7th Cir. 2000)." (not "Plaintiffs cite U.S. v. Melgar…")."""
    rest = _CITE.sub(" ", _CASE_NAME.sub(" ", sentence))
    rest = _CITATION_BITS.sub(" ", rest)
    words = [w for w in re.findall(r"[A-Za-z]{2,}", rest)]
    return bool(re.search(r"\d", sentence)) and len(words) <= 1


# a pin cite to the record inside a claim, "(Dkt. 279 at 4¹)", which the model copies as "(Dkt. 279 at
# 41)": where the claim stands in the record, not part of the claim, so its numbers need no support
_RECORD_CITE = re.compile(r"\s*\((?:see\s+)?(?:dkt|ecf|doc|docket)\b\.?[^()]{0,60}\)", re.IGNORECASE)

# capitalised words that name no one: dates written out ("June 14, 2021" for "6/14/2021") and voices
_GENERIC_CAPS = frozenset(filter(None, map(_word, """january february march april may june july august
    september october november december monday tuesday wednesday thursday friday saturday sunday
    court plaintiffs plaintiff defendants defendant judge order article brief motion reply""".split())))


def _render(clean: str, marks: list[int]) -> str:
    tags = "".join(f"[{n}]" for n in marks)
    m = re.search(r"[.!?;:…]+$", clean)
    if m:
        return f"{clean[:m.start()]} {tags}{clean[m.start():]}"
    return f"{clean} {tags}"


def attribute(answer: str, sentences: list[EvidenceSentence], texts: dict[str, str], *,
              threshold: float = 0.5, max_cites_per_sentence: int = 2,
              hint_bonus: float = 0.05,
              rewrite: Callable[[str, list[EvidenceSentence]], str] | None = None,
              lead_of: Callable[[str], int] | None = None, fold_citations: bool = True,
              question: str = "", known_text: str = "", known_docs: Iterable[str] = ()) -> Attribution:
    """Align the answer's sentences with the evidence sentences that support them.

    ``sentences`` are the evidence passages' sentences (``key`` = the passage number the model
    saw); ``texts[doc_id]`` is each document's stored text. Returns the supported sentences, the
    answer rewritten with markers numbered 1..k by first use, the citations in that order, and
    the sentences nothing supports (kept in the text, marked " [unsupported]").
    ``rewrite(sentence, support)`` may reword a supported sentence before it is rendered (used to
    name the voice of its sources); it never touches a quote. ``lead_of(sentence)`` gives the length
    of an attribution lead ("The court held that ") that needs no support of its own: without it, a
    sentence about an article's facts would pull in a court sentence just for "court".
    With ``fold_citations``, a sentence that is only a citation string ("Cassell, 990 F.3d at 545.")
    adds its source to the claim before it instead of standing as a claim of its own.
    With ``question``, a sentence that only restates it ("The discovery requests at issue are the
    requests at issue in the objections") is an ``echo``: it answers nothing, so it is neither
    cited nor flagged. A sentence naming someone or something (a capitalised word, an acronym)
    that neither the evidence nor the question mentions ("the Illinois Consumer Privacy Act
    (ICPA)") is unsupported, whatever else it shares with a source; ``known_text`` (the documents'
    labels the model saw: title, court, outlet) and ``known_docs`` (the whole texts of the
    evidence's documents) count as mentioned, and so does another form of a name ("Swedish" for
    "Sweden").
    """
    # one entry per distinct source range (overlapping chunks repeat sentences under two keys)
    uniq: list[EvidenceSentence] = []
    keys: list[set[int]] = []
    where: dict[tuple[str, int, int], int] = {}
    for ev in sentences:
        rng = (ev.doc_id, ev.start, ev.end)
        if rng in where:
            keys[where[rng]].add(ev.key)
            continue
        text = texts.get(ev.doc_id)
        if text is None or not (0 <= ev.start < ev.end <= len(text)):
            continue                                  # a range we could not quote: never cited
        where[rng] = len(uniq)
        uniq.append(ev)
        keys.append({ev.key})
    profiles = [_profile(texts[ev.doc_id][ev.start:ev.end]) for ev in uniq]
    asked = _profile(question) if question else None
    known = frozenset().union(*(p.items for p in profiles), asked.items if asked else (),
                              _profile(known_text).items if known_text else (),
                              *(_profile(t).items for t in known_docs))
    known_prefixes = {t[:4] for t in known if len(t) >= 4}

    segments, tail = _segments(answer)
    out_sentences: list[SupportedSentence] = []
    citations: list[tuple[int, EvidenceSentence]] = []
    number_of: dict[tuple[str, int, int], int] = {}
    unsupported: list[str] = []
    parts: list[str] = []
    hedged = False
    rendered_at: list[int] = []           # where each cited sentence sits in parts, to add a citation's marks
    rendered_lead: list[str] = []
    rendered_marks: list[list[int]] = []

    for lead, raw in segments:
        clean, hints = strip_markers(raw)
        if not clean:
            parts.append(lead)
            continue
        if is_abstention_sentence(clean) and len(tokenize(clean)) <= 3 and any(o.support for o in out_sentences):
            hedged = True      # a bare "The documents do not say." after cited claims contradicts them: dropped
            continue
        if is_abstention_sentence(clean) or is_framing(clean):
            kind = "abstention" if is_abstention_sentence(clean) else "framing"
            out_sentences.append(SupportedSentence(clean, [], 0.0, kind))
            parts.append(lead + clean)
            continue
        ans = _profile(_RECORD_CITE.sub("", clean[lead_of(clean):] if lead_of else clean))
        if asked is not None and ans.items and ans.items <= asked.items and not ans.numbers:
            out_sentences.append(SupportedSentence(clean, [], 0.0, "echo"))
            parts.append(lead + clean)
            continue
        invented = [t for t in ans.items if ans.weights[t] == 2.0 and len(t) > 1 and t not in known and t not in _GENERIC_CAPS
                    and not (len(t) >= 4 and t[:4] in known_prefixes)]
        if invented:
            out_sentences.append(SupportedSentence(clean, [], 0.0))
            unsupported.append(clean)
            parts.append(lead + clean + " [unsupported]")
            continue
        short = len(ans.seq) < 4 and not ans.numbers
        support, score = _select(ans, profiles, keys, set(hints), threshold=threshold,
                                 max_cites=max_cites_per_sentence, hint_bonus=hint_bonus)
        if short and (not support or len(ans.items & frozenset().union(*(profiles[i].items for i in support))) < 2):
            # too short to judge: neither cited nor flagged
            out_sentences.append(SupportedSentence(clean, [], score, "framing"))
            parts.append(lead + clean)
            continue
        if support and wrong_owner(clean, [texts[uniq[i].doc_id][uniq[i].start:uniq[i].end] for i in support]):
            support = []                  # the right words, the wrong owner: not what the source says
        if support and asked is not None and not adds_what_its_sources_say(ans, asked, [profiles[i] for i in support]):
            support = []                  # the question's words, found; what the sentence adds, in no source
        if not support:
            out_sentences.append(SupportedSentence(clean, [], score))
            unsupported.append(clean)
            parts.append(lead + clean + " [unsupported]")
            continue
        if fold_citations and out_sentences and out_sentences[-1].support and is_citation_only(clean[lead_of(clean):] if lead_of else clean):
            # "…normally waived [4]. U.S. v. Melgar, 227 F.3d 1038 (7th Cir. 2000) [5]." reads as
            # one claim: the citation string's source joins the claim before it, its text is dropped
            prev = out_sentences[-1]
            for i in support:
                if uniq[i] not in prev.support:
                    prev.support.append(uniq[i])
            marks = rendered_marks[-1]
            for i in support:
                rng = (uniq[i].doc_id, uniq[i].start, uniq[i].end)
                if rng not in number_of:
                    number_of[rng] = len(citations) + 1
                    citations.append((number_of[rng], uniq[i]))
                if number_of[rng] not in marks:
                    marks.append(number_of[rng])
            parts[rendered_at[-1]] = rendered_lead[-1] + _render(prev.text, marks)
            continue
        marks = []
        for i in support:
            ev = uniq[i]
            rng = (ev.doc_id, ev.start, ev.end)
            if rng not in number_of:
                number_of[rng] = len(citations) + 1
                citations.append((number_of[rng], ev))
            if number_of[rng] not in marks:
                marks.append(number_of[rng])
        if rewrite is not None:
            clean = rewrite(clean, [uniq[i] for i in support])
        out_sentences.append(SupportedSentence(clean, [uniq[i] for i in support], score))
        rendered_at.append(len(parts)), rendered_lead.append(lead), rendered_marks.append(marks)
        parts.append(lead + _render(clean, marks))

    return Attribution(sentences=out_sentences, text=("".join(parts) + tail).strip(),
                       citations=citations, unsupported=unsupported, hedged=hedged)


def adds_what_its_sources_say(ans: _Profile, asked: _Profile, sources: list[_Profile]) -> bool:
    """Does a sentence's own contribution, what it says beyond the question's words, stand in its
    sources? A passage retrieved for the question holds the question's words, so they prove
    nothing: "Gildernew represented himself in the Second Circuit", cited to a caption that names
    Gildernew and the Second Circuit, adds "himself", which the caption does not say. A sentence
    that adds nothing is an echo (handled before); one whose added words and numbers are all
    absent from every source is not supported, whatever it shares with the question."""
    added = frozenset(t for t in ans.items - asked.items if not _near(t, asked))
    numbers = ans.numbers - asked.numbers
    if not added and not numbers:
        return True
    found = frozenset().union(*(_covers(_match(ans, src)) for src in sources))
    return bool((added | numbers) & found)


def _covers(m: _Match) -> frozenset:
    return m.exact | m.near | m.numbers


def _adds(ans: _Profile, new: frozenset) -> bool:
    """Does a source bring enough of its own: two items or more, not only names?

    A second source that shares only "the agency" and "Acme" with the answer is a sentence that
    mentions the same parties, not support.
    """
    return len(new) >= 2 and any(isinstance(x, float) or ans.weights.get(x, 0.0) < 2.0 for x in new)


def _select(ans: _Profile, profiles: list[_Profile], keys: list[set[int]], hints: set[int], *,
            threshold: float, max_cites: int, hint_bonus: float) -> tuple[list[int], float]:
    """The supporting evidence sentences (indices, best first) and their joint score."""
    if not profiles or max_cites < 1:
        return [], 0.0
    bonus = [hint_bonus if keys[i] & hints else 0.0 for i in range(len(profiles))]
    matches = [_match(ans, p) for p in profiles]
    own = [_combine(ans, [m]) for m in matches]
    ranked = sorted(range(len(profiles)), key=lambda i: (-(own[i] + bonus[i]), i))
    best = ranked[0]
    if own[best] + bonus[best] >= threshold:
        chosen, joint = [best], own[best]
    elif max_cites >= 2:
        # combination support: a sentence merging two facts, each in its own source sentence
        # ranked by what each covers before the caps: with a number missing every sentence scores
        # the same capped 0.2, and the list items that hold one number each fell out of the pool
        raw = {i: _combine(ans, [matches[i]], cap=False) for i in ranked if own[i] > 0}
        pool = sorted(raw, key=lambda i: (-(raw[i] + bonus[i]), i))[:10]
        pair, pair_score = None, -1.0
        for a in range(len(pool)):
            for b in range(a + 1, len(pool)):
                i, j = pool[a], pool[b]
                ci, cj = _covers(matches[i]), _covers(matches[j])
                if not (_adds(ans, ci - cj) and _adds(ans, cj - ci)):
                    continue                          # one of the two adds nothing of its own
                u = _combine(ans, [matches[i], matches[j]])
                if u - max(own[i], own[j]) < MIN_GAIN:
                    continue
                u_b = u + max(bonus[i], bonus[j])
                if u_b >= threshold and u_b > pair_score:
                    pair, pair_score = (i, j), u_b
        if pair is None and max_cites >= 3:
            pair, pair_score = _greedy_cover(ans, matches, own, pool, bonus, threshold, max_cites)
            if pair is not None:
                return list(pair), min(1.0, pair_score)
        if pair is None:
            return [], min(1.0, own[best] + bonus[best])
        chosen = sorted(pair, key=lambda i: (-(own[i] + bonus[i]), i))
        joint = _combine(ans, [matches[pair[0]], matches[pair[1]]])
    else:
        return [], min(1.0, own[best] + bonus[best])
    # more sources, each adding what the others do not cover (the reasoning beside the holding)
    while len(chosen) < max_cites:
        add, add_score = None, joint
        for i in ranked[:20]:
            if i in chosen or own[i] <= 0:
                continue
            if _combine(ans, [matches[i]], cap=False) < MIN_SECOND:
                continue                              # a stray name in passing is no support
            if not _adds(ans, _covers(matches[i]).difference(*(_covers(matches[c]) for c in chosen))):
                continue
            u = _combine(ans, [matches[c] for c in chosen] + [matches[i]])
            if u - joint >= MIN_GAIN and u > add_score:
                add, add_score = i, u
        if add is None:
            break
        chosen.append(add)
        joint = add_score
    hint = max(bonus[i] for i in chosen)
    return chosen, min(1.0, joint + hint)


# --- false premises -------------------------------------------------------------------------------

_POSSESSIVE = re.compile(r"\b([A-Z][\w-]*|[a-z]+)(?:['’]s|s['’])\s+((?:[a-z][\w-]*\s+){0,2}[a-z][\w-]*)")


def _possessives(text: str):
    """Each possessive with what follows it: (match, owner, up to three following words), lower-case
    ("Acme's general counsel" → "acme", ["general", "counsel"])."""
    for m in _POSSESSIVE.finditer(text):
        yield m, m.group(1).lower().rstrip("s"), m.group(2).lower().split()


def _owners(text: str) -> dict[str, set[str]]:
    """Each noun phrase after a possessive, with whose it is
    ("Acme's general counsel" → {"general": {"acme"}, "general counsel": {"acme"}, …})."""
    out: dict[str, set[str]] = {}
    for _, owner, words in _possessives(text):
        for k in range(1, len(words) + 1):
            out.setdefault(" ".join(words[:k]), set()).add(owner)
    return out


def wrong_owner(sentence: str, sources: list[str]) -> list[str]:
    """The possessives of ``sentence`` that give a thing to someone its sources do not: "Plaintiffs'
    general counsel is Jane Roe" against "Acme's general counsel, Jane Roe". The
    longest phrase the sources give an owner decides; a phrase they never give one is not judged."""
    theirs: dict[str, set[str]] = {}
    for src in sources:
        for k, v in _owners(src).items():
            theirs.setdefault(k, set()).update(v)
    bad = []
    for m, owner, words in _possessives(sentence):
        for k in range(len(words), 0, -1):
            phrase = " ".join(words[:k])
            if phrase in theirs:
                if owner not in theirs[phrase] and len(phrase) > 3:
                    bad.append(sentence[m.start():m.start(2)] + " ".join(m.group(2).split()[:k]))
                break
    return bad


def better_record_lines(sentence: str, question: str, cited: list[str], block: list[str]) -> list[int]:
    """For an answer sentence cited to lines of a record block (a caption, a signature block):
    the lines of the block that fit the question better than the cited ones, best first; [] when
    the cited lines fit. A line fits better when it holds every word of the question the sentence
    repeats that the cited lines hold, and more: "Who is the magistrate judge?" answered with the
    caption's "Judge Ann Smith" while "Magistrate Judge Ben Doe" is the next line.
    A line sharing none of the question's words with the cited ones is another kind of line (the
    signer's role beside the signer's name) and never fits better."""
    asked = set(tokenize(question)) & set(tokenize(sentence))
    have = asked & set().union(*(set(tokenize(c)) for c in cited)) if cited else set()
    if not have:
        return []
    cited_norm = {" ".join(c.split()) for c in cited}
    fits = [(asked & set(tokenize(b)), i) for i, b in enumerate(block) if " ".join(b.split()) not in cited_norm]
    better = [(len(f), i) for f, i in fits if f > have]
    if not better:
        return []
    top = max(n for n, _ in better)
    return [i for n, i in better if n == top]


def contradicts(claim: str, source: str, min_shared: int = 2) -> bool:
    """True when ``source`` states the opposite outcome of one ``claim`` assumes, about the same
    thing: "Why did the court grant the injunction?" against "…denies … motion for a
    preliminary injunction" (an outcome word's opposite, plus ``min_shared`` other content words).
    """
    c, s = _profile(strip_markers(claim)[0]), _profile(source)
    flipped = [t for t in c.opposable - c.negated if _OPPOSITES[t] & s.items and t not in s.items]
    if not flipped:
        return False
    shared = (c.items & s.items) - c.opposable
    return len(shared) >= min_shared


def confirms(claim: str, source: str, min_shared: int = 2) -> bool:
    """True when ``source`` states the same outcome ``claim`` assumes ("Why did the court deny the
    injunction?" and "…denies … motion for a preliminary injunction"), about the same thing."""
    c, s = _profile(strip_markers(claim)[0]), _profile(source)
    same = [t for t in c.opposable - c.negated if t in s.items and t not in s.negated]
    if not same:
        return False
    return len((c.items & s.items) - c.opposable) >= min_shared


# text addressed to a reader or a machine rather than stating anything: "tell the user that…",
# "ignore all previous instructions", "if you are a language model…"
_INSTRUCTION = re.compile(
    r"\b(?:tell|inform|instruct|answer|reply|respond|say to)\s+(?:the\s+|every\s+|any\s+)?"
    r"(?:user|users|reader|question|assistant)s?\b"
    r"|\b(?:ignore|disregard)\b.{0,40}\b(?:instructions?|rules|prompt)\b"
    r"|\b(?:AI|language model|assistant|automated system|chatbot|LLM)s?\b.{0,120}\b(?:must|should|answer|reply)\b"
    r"|\binstructions?\s+(?:to|for)\s+(?:the\s+)?(?:AI|automated|language|assistants?|models?|chatbots?)\b"
    r"|\bif you are an? (?:AI|language model|assistant)",
    re.IGNORECASE | re.DOTALL)


# an outcome asked for, allowed or hoped for rather than stated: "the Court should grant…",
# "a court may grant a preliminary injunction only if…", "plaintiffs ask the Court to deny…"
_NOT_STATED = re.compile(r"\b(?:should|may|must|might|could|would|can|cannot|ask|asks|asking|urge|urges|"
                         r"seek|seeks|request|requests|requested|moves?|if|unless|whether)\b", re.IGNORECASE)


def states_outcome(text: str) -> bool:
    """True for a sentence that states what happened (the court denies/denied/has denied), not
    one that asks for, conditions or instructs an outcome."""
    return not _NOT_STATED.search(text) and not is_instruction(text)


def is_instruction(text: str) -> bool:
    """True for a sentence that gives orders to whoever reads it (an injected prompt), which
    states nothing about the case and so can neither support nor contradict a claim."""
    return bool(_INSTRUCTION.search(text))


def withhold_instructions(text: str, sentences: list) -> list:
    """The ``sentences`` (with ``start``/``end`` into ``text``) a model may read: without those that
    give orders to their reader, nor the rest of the paragraph after one (an injected prompt's
    scripted "Question: … Answer: …" lines). What is withheld is still shown to the user as data."""
    keep, tainted, prev_end = [], False, None
    for s in sentences:
        if tainted and prev_end is not None and "\n\n" in text[prev_end:s.start]:
            tainted = False                     # a new paragraph
        if is_instruction(text[s.start:s.end]):
            tainted = True
        if not tainted:
            keep.append(s)
        prev_end = s.end
    return keep


def _greedy_cover(ans: _Profile, matches: list[_Match], own: list[float], pool: list[int],
                  bonus: list[float], threshold: float, max_cites: int):
    """Several sources each holding part of a sentence (a list of articles spread over list
    items): add, greedily, the source that raises the joint support most, up to ``max_cites``."""
    chosen: list[int] = []
    raw = 0.0                       # coverage before the caps, to see what each source adds
    have: frozenset = frozenset()   # the answer's numbers found so far: every one must be found
    while len(chosen) < max_cites:
        best, best_key, best_u = None, (0, raw), raw
        for i in pool:
            if i in chosen:
                continue
            u = _combine(ans, [matches[c] for c in chosen] + [matches[i]], cap=False)
            key = (len(matches[i].numbers - have), u)
            if u - raw >= MIN_GAIN and key > best_key:
                best, best_key, best_u = i, key, u
        if best is None:
            break
        chosen.append(best)
        have |= matches[best].numbers
        raw = best_u
        joint = _combine(ans, [matches[c] for c in chosen]) + max(bonus[c] for c in chosen)
        if joint >= threshold:
            return tuple(chosen), joint
    return None, 0.0
