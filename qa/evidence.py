"""Evidence selection under a token budget: the sentences that matter and their neighbours.

Pure: takes retrieval hits and a term weighting, returns numbered passages, each one contiguous
span of a document's stored text (so every sentence in it can be quoted verbatim later).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

from ingest.bm25 import stem, tokenize
from ingest.catalog import describe
from ingest.types import Document, Sentence

WORDS_TO_TOKENS = 1.6   # Qwen2.5's tokenizer on the corpus: 702 tokens for 445 words


@dataclass
class Passage:
    key: int
    doc: Document
    start: int
    end: int
    sentences: list[Sentence]
    score: float
    chunk_id: str
    section: list[str] = field(default_factory=list)
    withheld: bool = False       # some sentences are not shown to the model (see engine.withhold)

    @property
    def text(self) -> str:
        return self.doc.text[self.start:self.end]

    @property
    def model_text(self) -> str:
        """What the model reads: the passage, or only its kept sentences when some were withheld."""
        if not self.withheld:
            return self.text
        return " ".join(self.doc.text[s.start:s.end] for s in self.sentences)

    @property
    def page(self) -> int | None:
        return self.doc.page_at(self.start)

    def label(self) -> str:
        m = self.doc.meta
        where = f", p. {self.page}" if self.page is not None else ""
        return f"{describe(m)}{where}"


_MONEY_Q = re.compile(r"\b(how much|what (amount|sum|penalty|fine|damages|award)|how large|fined?|penalty|damages|"
                      r"settle(ment)? for|paid|pay)\b", re.I)
_DURATION_Q = re.compile(r"\bhow long\b|\b(within|for) how many (days|weeks|months|years)\b", re.I)
_COUNT_Q = re.compile(r"\b(how many|what number|what percentage|what share)\b", re.I)
_DATE_Q = re.compile(r"\b(when|what date|which date|what year|which year|dated?|by when)\b", re.I)
_NUMWORD = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|a few|several)"
_MONEY = re.compile(r"[$€£]\s?\d|\d[\d,.]*\s*(?:million|billion|thousand|[MBK]\b)?\s*(?:euros?|dollars?|pounds?|EUR|USD|GBP)\b"
                    r"|\b\d[\d,.]*\s*[MBK]\b|\b\d[\d,.]*\s*(?:million|billion)\b", re.I)
_DURATION = re.compile(rf"\b(?:\d+|{_NUMWORD})[- ](?:days?|weeks?|months?|years?)\b", re.I)
_COUNT = re.compile(rf"\b\d[\d,.]*\s*(?:%|percent|million|billion|thousand)?|\b{_NUMWORD}\b", re.I)
_DATE = re.compile(r"\b(19|20)\d\d\b|\b(January|February|March|April|May|June|July|August|September|"
                   r"October|November|December)\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b")
_KINDS = {"money": _MONEY, "duration": _DURATION, "count": _COUNT, "date": _DATE}


def answer_type(question: str) -> str:
    """What kind of fact the question asks for: "duration", "count", "money", "date", or ""
    (anything). "How long" wants a duration and "how many" a count, not a sum of money; a "why"
    question wants reasons, whatever it mentions ("why … collect the fine")."""
    if re.match(r"\s*why\b", question, re.I):
        return ""
    if _DURATION_Q.search(question):
        return "duration"
    if _COUNT_Q.search(question):
        return "count"
    if _MONEY_Q.search(question):
        return "money"
    if _DATE_Q.search(question):
        return "date"
    return ""


_ASKS_VALUE = (("count", re.compile(r"\bhow many\s+([a-z]+)", re.I)),
               ("duration", re.compile(r"^\s*how long\b", re.I)),
               ("money", re.compile(r"^\s*how much\b|\b(revenue|income|profits?|salary|valuation|net worth)\b", re.I)),
               ("date", re.compile(r"^\s*(?:when|by when|(?:on |in )?(?:what|which) (?:date|year))\b", re.I)))
_NUMBERISH = re.compile(rf"\d[\d,.]*|{_NUMWORD}|million|billion|thousand|hundred|dozens?|no|none|zero", re.I)


def asked_value(question: str) -> tuple[str, str]:
    """The value a question plainly asks for — ("count", noun) for "how many photographs",
    ("duration", ""), ("money", ""), ("date", "") — or ("", "")."""
    for kind, pattern in _ASKS_VALUE:
        m = pattern.search(question)
        if m:
            return kind, (stem(m.group(1).lower()) if kind == "count" else "")
    return "", ""


def gives_value(answer: str, kind: str, noun: str = "") -> bool:
    """Does the answer state the value asked for? A count must number the thing counted ("three
    billion photographs", not "two data breaches" for "how many employees")."""
    if not kind:
        return True
    if kind == "count" and noun:
        words = re.findall(r"[\w’'-]+", answer.lower())
        return any(stem(w) == noun and any(_NUMBERISH.fullmatch(x) for x in words[max(0, i - 3):i])
                   for i, w in enumerate(words))
    return has_answer_type(answer, kind)


# things a filing names by number: "Interrogatories 8-9", "RFPs 7 and 11", "Articles 12, 15 and 17"
_NUMBERED = r"(?:interrogator(?:y|ies)|requests?(?: for production)?|rfps?|articles?|counts?|claims?|exhibits?|" \
            r"paragraphs?|sections?|rules?|dkts?\.?|docket entr(?:y|ies)|categor(?:y|ies))"
_WHICH_NUMBERED_Q = re.compile(r"^\s*(?:which|what)\s+(?:[\w'’-]+\s+){0,2}?" + _NUMBERED + r"\b", re.I)
_DESIGNATION = re.compile(r"\b" + _NUMBERED + r"\s+\d+(?:\s?[-–]\s?\d+)?(?:,?\s+(?:and\s+)?\d+)*", re.I)


def asks_which_numbered(question: str) -> bool:
    """Does the question ask which numbered things ("Which discovery requests…", "Which GDPR
    articles…")? Their answer is a designation: "Interrogatories 8-9", "Articles 12, 15 and 17"."""
    return bool(_WHICH_NUMBERED_Q.search(question))


def has_answer_type(sentence: str, kind: str) -> bool:
    pattern = _KINDS.get("money" if kind == "amount" else kind)
    return bool(pattern and pattern.search(sentence))


_WHY_Q = re.compile(r"\b(why|reason|reasons|basis|grounds|rationale|how did the court (decide|rule|reason))\b", re.I)
_AUTH_Q = re.compile(r"\b(cases?|cites?|cited|citing|authorit(y|ies)|precedents?|rel(y|ies|ied) on|statutes?|rules?|dkt|docket entr)", re.I)
_RECORD_Q = re.compile(r"\b(who|judge|magistrate|counsel|lawyers?|attorneys?|signed|filed|docket|case (no|number)|"
                       r"dated?|when|served|service|firm|(?:which|what) (?:court|district|division)|"
                       r"court (?:decided|issued|entered|heard)|where was)\b", re.I)
# questions only the caption answers: which court, which judge, which case number
_CAPTION_Q = re.compile(r"\b((?:which|what) (?:court|district|division|judge)|judge|case (?:no|number)|docket number)\b", re.I)
_CITE = re.compile(r"\b\d+\s+(?:F\.(?:\s?Supp\.)?(?:\s?\d?d|\s?\dth)?|U\.S\.|S\.\s?Ct\.|L\.\s?Ed\.(?:\s?2d)?|"
                   r"F\.R\.D\.|WL|Ill\.(?:\s?2d)?)\s+(?:at\s+)?\d+(?:,\s*\d+(?:-\d+)?)*|\((?:\d+(?:st|nd|rd|th)\s+Cir\.|[A-Z][\w.\s]*)?\s*\d{4}\)"
                   r"|\bId\.|\bDkt\.\s*\d+(?:-\d+)?(?:\s+at\s+[\d,\s-]+)?|\bSee\b|\bat\s+\d+(?:-\d+)?")
DISCUSSION = ("DISCUSSION", "ANALYSIS", "ARGUMENT", "CONCLUSION")
# the words a court's or a party's reasons come in
_REASONING = re.compile(r"\b(because|therefore|thus|accordingly|hence|in short|under these circumstances|"
                        r"not (?:sufficient|enough)|insufficient|too (?:speculative|attenuated|remote)|"
                        r"mere possibility|fails? to|failed to|must (?:do|show|demonstrate)|does not (?:create|establish|show)|"
                        r"cannot|lacks?|unlikely|not likely|merely|no evidence|without (?:citing )?evidence)\b", re.I)
RECORD = ("Caption", "Signature", "CERTIFICATE OF SERVICE", "Footnotes")


def citation_share(sentence: str) -> float:
    """How much of a sentence is citation apparatus ("Orr, 953 F.3d at 501.")."""
    text = sentence.strip()
    if not text:
        return 0.0
    return sum(m.end() - m.start() for m in _CITE.finditer(text)) / len(text)


def structure_prior(question: str, section: Sequence[str], sentence: str) -> float:
    """Legal structure as a prior: reasons live in the discussion, citation strings rarely answer
    a question, and captions and signatures answer only questions about the record."""
    bonus = 0.0
    top = [h.upper() for h in section]
    if _WHY_Q.search(question):
        if any(any(d in h for d in DISCUSSION) for h in top):
            bonus += 0.1
        if _REASONING.search(sentence):
            bonus += 0.15
    if not _AUTH_Q.search(question) and citation_share(sentence) > 0.45:
        bonus -= 0.2
    if section[:1] and section[0] in RECORD and not _RECORD_Q.search(question):
        bonus -= 0.15
    return bonus


# questions only the signature block answers: who signed, when it was dated
_SIGN_Q = re.compile(r"\b(signed|signs|signature|signatory|dated|date of (?:the|this) \w+|"
                     r"when was (?:the|this) [\w'’ ]{1,40}(?:filed|entered|issued))\b", re.I)
# questions about who a party's lawyers are: the signature block names counsel and firm
_COUNSEL_Q = re.compile(r"\b(who represents|represent(?:s|ing|ed)? (?:the )?(?:plaintiffs?|defendants?|class)|"
                        r"counsel (?:for|of record)|lawyers?|attorneys?|law firms?)\b", re.I)


def asks_counsel(question: str) -> bool:
    """Does the question ask who a party's lawyers are ("who represents the plaintiffs?")?"""
    return bool(_COUNSEL_Q.search(question))


_SIGNER_Q = re.compile(r"\bwho\b.*\b(?:signed|signs)\b|\bsignator(?:y|ies)\b", re.I)
_DOCKET_Q = re.compile(r"\b(?:case|docket|file|civil action)\s+(?:no\b|number)", re.I)


def asks_signer(question: str) -> bool:
    """Does the question ask who signed a filing ("Who signed the plaintiffs' reply?")?"""
    return bool(_SIGNER_Q.search(question))


def asks_docket(question: str) -> bool:
    """Does the question ask for a case's number ("What is the docket number…?")?"""
    return bool(_DOCKET_Q.search(question))


def asks_authority(question: str) -> bool:
    """Does the question ask for cases, statutes or rules ("which case does the court cite…")?"""
    return bool(_AUTH_Q.search(question))


def asks_record(question: str) -> list[str]:
    """The record blocks a question needs: the caption (which court, which judge, which case
    number) and the signature block (who signed, when dated). Their few words rarely rank."""
    return ([["Caption"]] if _CAPTION_Q.search(question) else []) + \
        ([["Signature"]] if _SIGN_Q.search(question) or _COUNSEL_Q.search(question) else [])


def is_title(doc: Document, heading: str) -> bool:
    """A heading that names the document rather than argues anything: its title ("France fines
    Acme fined maximum possible • Daily Ledger") or an all-capitals one
    ("PLAINTIFFS' REPLY IN SUPPORT OF … OBJECTIONS")."""
    letters = [c for c in heading if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) > 0.8:
        return True
    title = set(tokenize(doc.meta.title or ""))
    words = set(tokenize(heading))
    return bool(title) and len(words & title) >= 0.8 * len(words)


_LEANS_BACK = re.compile(r"[\"“(]?(?:this|these|that|those|it|its|they|their|them|such|here|there|he|she|his|her|"
                         r"however|but|yet|moreover|also|thus|therefore|accordingly|further|furthermore|instead|"
                         r"indeed|rather|nevertheless|again|similarly|likewise|so|then|finally|id\.|the same|"
                         r"in (?:addition|short|that|this)|as a result|for (?:that|this) reason|under these)\b", re.I)


def estimate_tokens(text: str) -> int:
    return int(len(text.split()) * WORDS_TO_TOKENS) + 1


def sentence_scores(text: str, sentences: Sequence[Sentence], terms: Sequence[str],
                    idf: Callable[[str], float]) -> list[float]:
    """Share of the query's (idf-weighted) terms that each sentence contains."""
    weights = {t: max(idf(t), 0.1) for t in terms}
    total = sum(weights.values()) or 1.0
    out = []
    for s in sentences:
        toks = set(tokenize(text[s.start:s.end]))
        out.append(sum(w for t, w in weights.items() if t in toks) / total)
    return out


DenseScorer = Callable[[Sequence[tuple[Document, Sentence]]], Sequence[float]]


def select_evidence(hits: Sequence, terms: Sequence[str], idf: Callable[[str], float],
                    budget_tokens: int, *, dense: DenseScorer | None = None, neighbours: int = 1,
                    max_passages: int = 4, max_hits: int = 8, question: str = "") -> list[Passage]:
    """Pick the sentences of the retrieved chunks that best answer the question, within
    ``budget_tokens``; merge adjacent picks of the same document into one passage.

    A sentence's score blends its share of the (idf-weighted) query terms, its similarity to the
    question (``dense``: cosine per sentence, when given) and its chunk's retrieval rank. The
    best sentence brings ``neighbours`` sentences either side for context. Only headings of six
    words or more (a brief's argument headings) are picked, never as another sentence's
    neighbour. A question asking for an amount or a date favours sentences that hold one.
    ``hits`` (``.doc``, ``.chunk``, ``.score``) come best first.
    """
    hits = list(hits)[:max_hits]
    if not hits:
        return []
    pool, seen_pool = [], set()
    for rank, h in enumerate(hits):
        for i, s in enumerate(h.chunk.sentences):
            key = (h.doc.doc_id, s.start)
            words = len(h.doc.text[s.start:s.end].split())
            # a brief's argument headings are claims ("The Rulings With Respect to Interrogatories 8-9
            # and RFPs 7 and 11 Were Clearly Erroneous."); short ones ("DISCUSSION") and titles are not
            if (s.kind == "heading" and (words < 6 or is_title(h.doc, h.doc.text[s.start:s.end]))) \
                    or key in seen_pool or words < 3:
                continue
            seen_pool.add(key)
            pool.append((h, i, s, 1.0 - rank / len(hits)))
    if not pool:
        return []
    lex_of: dict[tuple[str, int], float] = {}

    def lexical(h, x) -> float:
        key = (h.doc.doc_id, x.start)
        if key not in lex_of:
            lex_of[key] = sentence_scores(h.doc.text, [x], terms, idf)[0]
        return lex_of[key]

    lex = []
    for h, i, s, _ in pool:
        # a sentence borrows half the lexical match of its neighbours: "the restricted committee
        # decided to impose … 20 million euros" answers a question about the agency named just before
        near = [lexical(h, x) for x in h.chunk.sentences[max(0, i - 1):i + 2] if x is not s and x.kind != "heading"]
        lex.append(max(lexical(h, s), 0.5 * max(near, default=0.0)))
    sims = list(dense([(h.doc, s) for h, _, s, _ in pool])) if dense else None
    want = answer_type(question)
    scored = []
    for n, (h, i, s, prior) in enumerate(pool):
        if sims is not None:
            d = min(1.0, max(0.0, (sims[n] - 0.1) / 0.6))
            score = 0.35 * lex[n] + 0.45 * d + 0.2 * prior
        else:
            score = 0.6 * lex[n] + 0.4 * prior
        sentence = h.doc.text[s.start:s.end]
        if want and has_answer_type(sentence, want):
            score += 0.15 if want == "date" else 0.25
        elif not want and asks_which_numbered(question) and _DESIGNATION.search(sentence):
            # "Which discovery requests…?": "Interrogatories 8- 9 and Requests for Production 7 and 11"
            score += 0.25
        score += structure_prior(question, h.chunk.section, sentence)
        scored.append((score, n, h, i))
    scored.sort(key=lambda c: (-c[0], c[1]))
    if want:
        # a "how much" question gets at least one sentence holding an amount, if any chunk has one:
        # "the restricted committee decided to impose … 20 million euros" names neither the agency nor
        # a fine, and a long lead paragraph had used the budget before it
        typed = next((k for k, c in enumerate(scored) if has_answer_type(c[2].doc.text[
            c[2].chunk.sentences[c[3]].start:c[2].chunk.sentences[c[3]].end], want)), None)
        if typed is not None and typed > 1:
            scored.insert(1, scored.pop(typed))

    spans: list[dict] = []
    seen: set[tuple[str, int]] = set()
    for rank, (score, _, h, i) in enumerate(scored):
        s = h.chunk.sentences[i]
        if (h.doc.doc_id, s.start) in seen:
            continue
        reach = neighbours if rank == 0 else 0
        # the sentence before is context only when this one leans on it: it opens with a word that
        # points back ("These subsidiaries…", "However, …") or its match was borrowed from it (the
        # agency named just before "the restricted committee decided…"); else it only pushes the
        # answer down ("Does Acme have offshore subsidiaries?" got the patent sentence first)
        back = reach if reach and (_LEANS_BACK.match(h.doc.text[s.start:s.end])
                                   or lexical(h, s) < 0.5 * max((lexical(h, x) for x in h.chunk.sentences[max(0, i - reach):i]),
                                                                default=0.0)) else 0
        block = [x for x in h.chunk.sentences[max(0, i - back):i + reach + 1] if x.kind != "heading" or x is s]
        j = i + reach + 1                 # a sentence ending in a colon introduces what follows it
        while h.doc.text[block[-1].start:block[-1].end].rstrip().endswith(":") and j < len(h.chunk.sentences) \
                and h.chunk.sentences[j].kind != "heading":
            block.append(h.chunk.sentences[j])
            j += 1
        start, end = block[0].start, block[-1].end
        change = _merge(spans, h, start, end, block, score)
        if sum(estimate_tokens(sp["doc"].text[sp["start"]:sp["end"]]) for sp in spans) > budget_tokens \
                or len(spans) > max_passages:
            _undo(spans, change)
            if rank == 0:                  # the best sentence always goes in, alone if need be
                _merge(spans, h, s.start, s.end, [s], score)
                seen.add((h.doc.doc_id, s.start))
            continue
        for b in block:
            seen.add((h.doc.doc_id, b.start))
    spans.sort(key=lambda sp: -sp["score"])
    return [Passage(key=k, doc=sp["doc"], start=sp["start"], end=sp["end"],
                    sentences=sorted(sp["sentences"], key=lambda x: x.start), score=sp["score"],
                    chunk_id=sp["chunk_id"], section=sp["section"])
            for k, sp in enumerate(spans, start=1)]


def _merge(spans: list[dict], h, start: int, end: int, block: list[Sentence], score: float):
    """Add a span, merging it into an overlapping or adjacent span of the same document.

    Returns what is needed to undo the change if it breaks the budget.
    """
    for sp in spans:
        if sp["doc"].doc_id != h.doc.doc_id:
            continue
        gap = h.doc.text[min(sp["end"], end):max(sp["start"], start)]
        if start <= sp["end"] and end >= sp["start"] or (not gap.strip() and "\n\n" not in gap):
            before = dict(sp, sentences=list(sp["sentences"]))
            sp["start"], sp["end"] = min(sp["start"], start), max(sp["end"], end)
            have = {x.start for x in sp["sentences"]}
            sp["sentences"].extend(b for b in block if b.start not in have)
            sp["score"] = max(sp["score"], score)
            return ("merged", sp, before)
    sp = {"doc": h.doc, "start": start, "end": end, "score": score, "chunk_id": h.chunk.id,
          "sentences": list(block), "section": list(h.chunk.section)}
    spans.append(sp)
    return ("new", sp, None)


def _undo(spans: list[dict], change) -> None:
    how, sp, before = change
    if how == "new":
        spans.remove(sp)
    else:
        sp.clear()
        sp.update(before)
