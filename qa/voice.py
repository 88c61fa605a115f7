"""Whose words: make each answer sentence name the voice of the source that supports it.

A court order speaks for the court, a brief for one party, an article for its outlet. A small
model writes "The court held…" over a newspaper's sentence; this rewrites the lead to the voice
of the cited source ("The article reports that…"), and gives an unattributed sentence from a
party or an outlet its attribution ("According to plaintiffs, …"). Pure, on plain strings.
"""
from __future__ import annotations

import re

LEADS = {"court": "The court states that", "plaintiffs": "Plaintiffs argue that",
         "defendants": "Defendants argue that", "outlet": "The article reports that",
         "document": "The document states that"}
ACCORDING = {"plaintiffs": "According to plaintiffs,", "defendants": "According to defendants,",
             "outlet": "According to the article,", "court": "According to the court,",
             "document": "According to the document,"}

_SUBJECT = {
    "court": r"the\s+(?:district\s+)?court|the\s+judge|judge\s+\w+|the\s+order|the\s+opinion|the\s+ruling",
    "plaintiffs": r"(?:the\s+)?plaintiffs?|(?:the\s+)?plaintiffs[’']\s+(?:brief|reply|motion)|the\s+reply(?:\s+brief)?|the\s+brief",
    "defendants": r"(?:the\s+)?defendants?|(?:the\s+)?defendants[’']\s+(?:brief|response|motion)",
    "outlet": r"the\s+(?:news\s+)?(?:article|report|story|outlet|piece)",
    "document": r"the\s+(?:document|memo|memorandum|letter|notice|file)",
}
_VERB = (r"(?:held|holds|found|finds|ruled|rules|stated|states|noted|notes|concluded|concludes|"
         r"explained|explains|reasoned|reasons|determined|determines|observed|observes|reported|"
         r"reports|says|said|argued|argues|contended|contends|asserted|asserts|claimed|claims|"
         r"wrote|writes|maintained|maintains|emphasized|emphasizes|added|adds|described|describes|"
         r"indicated|indicates|recognized|recognizes|acknowledged|acknowledges|argue|contend|"
         r"assert|claim|maintain|say|state|note|explain|allege|alleges|alleged|insist|insists|"
         r"suggest|suggests|suggested|mentions|mentioned|mention|discusses|discussed|cites|cited|"
         r"lists|listed|quotes|quoted|recounts|recounted)")
_LEAD = re.compile(
    r"^(?P<lead>(?:(?P<subj>" + "|".join(f"(?P<{k}>{v})" for k, v in _SUBJECT.items()) +
    r")\s+(?:also\s+)?" + _VERB + r"(?:\s+that)?\s*,?\s+)|(?:according\s+to\s+(?P<acc>" +
    "|".join(f"(?P<acc_{k}>{v})" for k, v in _SUBJECT.items()) + r")\s*,\s*))",
    re.IGNORECASE)
_LOWER_FIRST = {"the", "a", "an", "this", "that", "these", "those", "it", "its", "their", "there",
                "in", "on", "at", "by", "for", "as", "although", "because", "while", "when", "if",
                "but", "and", "or", "so", "yet", "however", "moreover", "still", "after", "before",
                "since", "under", "with", "without", "both", "each", "all", "some", "such", "his",
                "her", "they", "he", "she", "we", "one", "two", "three", "only", "also"}


def claimed_voice(sentence: str) -> tuple[str, int]:
    """The voice a sentence's lead names ("court", ...) and the lead's length; ("", 0) if none."""
    m = _LEAD.match(sentence)
    if not m:
        return "", 0
    for k in _SUBJECT:
        if m.group(k) or m.group(f"acc_{k}"):
            return k, m.end("lead")
    return "", 0


def _decap(rest: str) -> str:
    first = rest.split(" ", 1)[0]
    return rest[0].lower() + rest[1:] if first.lower() in _LOWER_FIRST and rest else rest


def give_voice(sentence: str, voices: list[str]) -> str:
    """Rewrite ``sentence`` so that it names the voice of its sources (``voices``, best first).

    A lead naming another voice is replaced; a sentence with no lead gets "According to …" when
    its source is a party or an outlet (a court's own words need no lead). Sentences supported by
    several voices keep a lead that names any of them. A source of no known voice is "the
    document": "The court held…" over an uploaded memo becomes "The document states…".
    """
    # a document whose voice is not known (an uploaded memo, "other") is not the court's
    voices = [v if v in LEADS else "document" for v in voices]
    if not voices or not sentence.strip():
        return sentence
    framing = _FRAMING_LEAD.match(sentence)
    if framing and sentence[framing.end():].strip():
        # "According to the sources, the requests at issue…": the sources are not a voice
        rest = sentence[framing.end():]
        sentence = rest[0].upper() + rest[1:]
    claimed, n = claimed_voice(sentence)
    if claimed and claimed in voices:
        return sentence
    rest = sentence[n:] if claimed else sentence
    if not rest:
        return sentence
    if claimed:
        if re.match(f"(?:{_SUBJECT[voices[0]]})\\b", rest, re.IGNORECASE):
            return rest[0].upper() + rest[1:]          # "The article reports that the court denied…"
        return f"{LEADS[voices[0]]} {_decap(rest)}"
    if voices[0] == "court" or len(set(voices)) > 1:
        return sentence
    if re.match(f"(?:{_SUBJECT[voices[0]]})\\b", rest, re.IGNORECASE):
        return sentence                              # "The article's own count…": it already names its voice
    if re.match(r"(?:yes|no)\b", rest, re.IGNORECASE):
        return sentence
    conj = _CONJUNCTION.match(rest)
    if conj:                                   # "But the agency…" -> "But according to the article, the agency…"
        acc = ACCORDING[voices[0]]
        return f"{conj.group(1)} {acc[0].lower()}{acc[1:]} {_decap(rest[conj.end():])}"
    return f"{ACCORDING[voices[0]]} {_decap(rest)}"


_FRAMING_LEAD = re.compile(r"(?:according\s+to|based\s+on|per|as\s+stated\s+in)\s+(?:the\s+)?(?:provided\s+|given\s+|above\s+)?"
                           r"(?:sources?|documents?|passages?|excerpts?|context|evidence)(?:\s+provided)?\s*[,:]\s*", re.IGNORECASE)
_CONJUNCTION = re.compile(r"((?:But|And|Yet|So|However|Moreover|Still|Also),?|"
                          r"(?:Notably|Importantly|Additionally|Specifically|Similarly|Accordingly|Consequently|Ultimately|"
                          r"Significantly|Likewise|Separately|Instead|Indeed|Further|Furthermore|Finally|Rather|Thus|Therefore|"
                          r"Meanwhile|Nevertheless|Nonetheless|In addition|In fact|In short|Even so),)\s+(?=\S)")
