"""Legal authorities cited in a text: cases, statutes, rules, docket entries, GDPR articles.

Uses eyecite (2.7.x: ``get_citations``, ``resolve_citations``) for reporter citations
("Orr v. Shicker, 953 F.3d 490"), statutes it knows ("42 U.S.C. § 1983"), short forms
("Orr, 953 F.3d at 501"), "Id." and "supra"; and small regexes for what eyecite misses and
lawyers care about: "Fed. R. Civ. P. 26(b)(1)", "Rule 30(b)(6)", "Dkt. 273", "740 ILCS 14/1",
"2010 WL 2836739", "Article 6 of the GDPR".

Markdown emphasis (``*``, ``\\*``) and ``<sup>..</sup>`` footnote marks are removed internally
before eyecite runs (they hide case names and "*Id.*" from it), with a map back to the caller's
offsets, so raw and cleaned text give the same authorities.

Speed: eyecite 2.7.8 is quadratic on one very long string (each full case citation rescans the
rest of the text for name references) and looks courts up slowly. ``extract_authorities_doc``
therefore runs eyecite window by window (~12k characters, cut at paragraph breaks) and then
resolves short forms, "Id." and "supra" ONCE over the whole document's citation list, so a short
form in the last chunk still resolves to a full cite in the first.
"""
from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import eyecite
import eyecite.helpers as _eyecite_helpers
from eyecite.models import (FullCaseCitation, FullJournalCitation, FullLawCitation, IdCitation,
                            ReferenceCitation, ShortCaseCitation, SupraCitation, UnknownCitation)

# Court look-up is a pure function of its string and scans every court with a regex per call;
# memoising it gives identical results much faster.
if not hasattr(_eyecite_helpers.get_court_by_paren, "cache_info"):
    _eyecite_helpers.get_court_by_paren = functools.lru_cache(maxsize=4096)(
        _eyecite_helpers.get_court_by_paren)

_WINDOW = 12_000

# --- markup removal with an offset map ----------------------------------------------------------

_MARKUP = re.compile(r"<sup>[^<]{0,12}</sup>|<[a-zA-Z/][^>]{0,40}>|\\(?=[*_])|\*+")


def _strip_markup(text: str) -> tuple[str, list[int], list[int]]:
    """Text without emphasis marks; ``(clean, rem_pos, rem_cum)`` where a clean offset ``c``
    maps back to ``c + rem_cum[k]`` with ``k = bisect_right(rem_pos, c) - 1``."""
    pieces, rem_pos, rem_cum = [], [], []
    last = removed = 0
    for m in _MARKUP.finditer(text):
        pieces.append(text[last:m.start()])
        removed += m.end() - m.start()
        rem_pos.append(m.start() - (removed - (m.end() - m.start())))
        rem_cum.append(removed)
        last = m.end()
    pieces.append(text[last:])
    return "".join(pieces), rem_pos, rem_cum


def _to_raw(c: int, rem_pos: list[int], rem_cum: list[int]) -> int:
    k = bisect_right(rem_pos, c) - 1
    return c + (rem_cum[k] if k >= 0 else 0)


# --- regexes for what eyecite misses -----------------------------------------------------------

_FED_RULE = re.compile(
    r"\bFed(?:eral)?\.?\s*R(?:ules?)?\.?\s*(?:of\s+)?(Civ|Crim|App|Bankr|Evid)(?:il|inal|ellate|"
    r"ruptcy|ence)?\.?\s*(?:P(?:roc(?:edure)?)?\.?\s*)?(\d+(?:\.\d+)?(?:\([a-zA-Z0-9]+\))*)", re.I)
_RULE = re.compile(r"\b(Local\s+)?Rules?\s+(\d+(?:\.\d+)?(?:\([a-zA-Z0-9]+\))*)")
_DKT = re.compile(r"\b(Dkt|ECF)\.?\s*(?:No\.?\s*)?(\d+(?:-\d+)?)\b")
_WL = re.compile(r"\b((?:19|20)\d\d)\s+WL\s+(\d+)\b")
_ILCS = re.compile(r"\b(\d{1,4})\s+ILCS\s+(\d+)\s*/\s*(\d+(?:[.-]\d+)*(?:\([a-zA-Z0-9]+\))*)")
_GDPR = re.compile(
    r"\bArt(?:icles?|s?\.)\s+(\d+(?:\(\d+\))*(?:\([a-z]\))?(?:\s*(?:,|and|&|,\s*and)\s*"
    r"\d+(?:\(\d+\))*(?:\([a-z]\))?)*)\s+(?:of\s+the\s+)?(?:EU\s+)?"
    r"(GDPR|RGPD|General\s+Data\s+Protection\s+Regulation)\b", re.I)
_ARTICLE_NUM = re.compile(r"\d+(?:\(\d+\))*(?:\([a-z]\))?")


@dataclass
class _Item:
    pos: int            # raw offset where the authority starts
    end: int
    text: str | None    # None: a citation eyecite saw but that names nothing we keep (§ alone)
    id_target: bool = True   # may an "Id." that follows refer to it?


def _regex_items(clean: str, base: int) -> list[tuple[int, int, str, bool]]:
    """(clean start, clean end, normalised string, id_target) for the regex authorities."""
    out = []
    for m in _FED_RULE.finditer(clean):
        body = m.group(1).capitalize()
        label = f"Fed. R. Evid. {m.group(2)}" if body == "Evid" else f"Fed. R. {body}. P. {m.group(2)}"
        out.append((m.start() + base, m.end() + base, label, True))
    for m in _RULE.finditer(clean):
        out.append((m.start() + base, m.end() + base,
                    f"{'Local ' if m.group(1) else ''}Rule {m.group(2)}", False))
    for m in _DKT.finditer(clean):
        label = f"Dkt. {m.group(2)}" if m.group(1) == "Dkt" else f"ECF No. {m.group(2)}"
        out.append((m.start() + base, m.end() + base, label, True))
    for m in _WL.finditer(clean):
        out.append((m.start() + base, m.end() + base, f"{m.group(1)} WL {m.group(2)}", True))
    for m in _ILCS.finditer(clean):
        out.append((m.start() + base, m.end() + base,
                    f"{m.group(1)} ILCS {m.group(2)}/{m.group(3)}", True))
    for m in _GDPR.finditer(clean):
        for n in _ARTICLE_NUM.findall(m.group(1)):
            out.append((m.start() + base, m.end() + base, f"Article {n} of the GDPR", False))
    return out


# --- eyecite ----------------------------------------------------------------------------------

_SIGNAL = re.compile(r"^(?:(?:see|but\s+see|see\s+also|see,?\s+e\.g\.,?|e\.g\.,?|cf\.|accord|"
                     r"compare|and|also|quoting|citing)\s+)+", re.I)


def _clean_name(name: str | None) -> str:
    if not name:
        return ""
    name = " ".join(name.split())
    name = re.sub(r",\s+(?:No|Case No|Civ\. No)\.\s.*$", "", name)
    name = _SIGNAL.sub("", name).strip(" ,;")
    return name


def _case_label(c: FullCaseCitation) -> str:
    cite = c.corrected_citation()
    p, d = _clean_name(c.metadata.plaintiff), _clean_name(c.metadata.defendant)
    if p and d:
        return f"{p} v. {d}, {cite}"
    if p or d:
        return f"{p or d}, {cite}"
    return cite


def _law_label(c: FullLawCitation) -> str:
    label = " ".join(c.matched_text().split())
    pin = c.metadata.pin_cite or ""
    if pin.startswith("("):
        label += pin.replace(" ", "")
    return label


def _windows(text: str) -> list[tuple[int, int]]:
    out, start, n = [], 0, len(text)
    while start < n:
        end = min(start + _WINDOW, n)
        if end < n:
            for sep in ("\n\n", "\n", ". ", " "):
                cut = text.rfind(sep, start + _WINDOW // 2, end)
                if cut > start:
                    end = cut + len(sep)
                    break
        out.append((start, end))
        start = end
    return out


def _items(text: str) -> list[_Item]:
    """Every authority in ``text`` with its raw position, short forms resolved doc-wide."""
    clean, rem_pos, rem_cum = _strip_markup(text)
    raw = functools.partial(_to_raw, rem_pos=rem_pos, rem_cum=rem_cum)

    cites = []        # (clean start, clean end, citation, window index)
    for w, (ws, we) in enumerate(_windows(clean)):
        for c in eyecite.get_citations(clean[ws:we]):
            s, e = c.span()
            cites.append((s + ws, e + ws, c, w))

    # Resolve short forms, supra and references across the whole document; "Id." is ours (below).
    to_resolve = [c for _, _, c, _ in cites if not isinstance(c, IdCitation)]
    resolved = eyecite.resolve_citations(to_resolve)
    resource_of: dict[int, object] = {}
    for resource, members in resolved.items():
        for c in members:
            resource_of[id(c)] = resource

    # One label per resource: the first full citation with both party names wins; parallel
    # citations ("555 U.S. 7, 129 S.Ct. 365, ...") take the label of the first in their group.
    label_of: dict[object, str] = {}
    parallel_of: dict[int, object] = {}
    prev = None
    for s, e, c, w in cites:
        if isinstance(c, FullCaseCitation):
            key = (w, c.full_span_start)
            if prev is not None and prev[0] == key and id(c) in resource_of:
                parallel_of[id(c)] = prev[1]
            elif id(c) in resource_of:
                prev = (key, resource_of[id(c)])
    for s, e, c, w in cites:
        r = resource_of.get(id(c))
        if r is None or not isinstance(c, FullCaseCitation):
            continue
        label = _case_label(c)
        if r not in label_of or (" v. " in label and " v. " not in label_of[r]):
            label_of[r] = label

    def resource_label(c) -> str | None:
        r = parallel_of.get(id(c)) or resource_of.get(id(c))
        if r is None:
            return None
        if r in label_of:
            return label_of[r]
        full = getattr(r, "citation", None)
        if isinstance(full, FullLawCitation):
            return _law_label(full)
        if isinstance(full, FullJournalCitation):
            return " ".join(full.corrected_citation().split())
        return None

    items: list[tuple[int, int, str | None, bool, str]] = []   # clean pos, end, text, id_target, type
    for s, e, c, w in cites:
        if isinstance(c, FullCaseCitation):
            items.append((s, e, resource_label(c) or _case_label(c), True, "cite"))
        elif isinstance(c, FullLawCitation):
            items.append((s, e, _law_label(c), True, "cite"))
        elif isinstance(c, FullJournalCitation):
            items.append((s, e, " ".join(c.corrected_citation().split()), True, "cite"))
        elif isinstance(c, ShortCaseCitation):
            label = resource_label(c)
            if label is None:
                guess = _clean_name(c.metadata.antecedent_guess)
                label = f"{guess}, {c.corrected_citation()}" if guess else c.corrected_citation()
            items.append((s, e, label, True, "cite"))
        elif isinstance(c, (SupraCitation, ReferenceCitation)):
            items.append((s, e, resource_label(c), True, "cite"))
        elif isinstance(c, IdCitation):
            items.append((s, e, None, True, "id"))
        elif isinstance(c, UnknownCitation):
            items.append((s, e, None, True, "unknown"))

    covered = sorted((s, e) for s, e, *_ in items)
    starts = [s for s, _ in covered]
    for s, e, label, id_target in _regex_items(clean, 0):
        k = bisect_right(starts, s) - 1
        if k >= 0 and covered[k][1] > s:
            continue                     # eyecite already has it ("2010 WL 2836739")
        j = bisect_left(starts, s)
        if j < len(starts) and starts[j] < e:
            continue
        items.append((s, e, label, id_target, "regex"))
    items.sort(key=lambda t: t[0])

    out: list[_Item] = []
    last_target: str | None = None
    for s, e, label, id_target, typ in items:
        if typ == "id":
            label = last_target           # "Id." is the authority cited immediately before
        elif typ == "unknown":
            last_target = None            # an unrecognised "§ ..." cite breaks the chain
            continue
        if id_target and typ != "id":
            last_target = label
        if label:
            out.append(_Item(raw(s), raw(max(e - 1, s)) + 1, label, id_target))
    return out


# --- public -----------------------------------------------------------------------------------

def extract_authorities_doc(text: str, spans: list[tuple[int, int]]) -> list[list[str]]:
    """For each ``[start, end)`` span of ``text`` (e.g. each chunk), the authorities cited in it,
    de-duplicated, in order of appearance. Eyecite runs over the whole text once (window by
    window) and short forms resolve against the whole document."""
    items = _items(text)
    positions = [it.pos for it in items]
    result = []
    for start, end in spans:
        seen: dict[str, None] = {}
        for it in items[bisect_left(positions, start):bisect_left(positions, end)]:
            seen.setdefault(it.text, None)
        result.append(list(seen))
    return result


def extract_authorities(text: str) -> list[str]:
    """The case, statute, rule, docket and GDPR citations in ``text`` as short normalised
    strings, de-duplicated, in order of appearance ("Orr v. Shicker, 953 F.3d 490",
    "Fed. R. Civ. P. 26(b)(1)", "Dkt. 273", ...). Short forms and "Id." resolve to a full cite
    that appeared earlier in the same text."""
    return extract_authorities_doc(text, [(0, len(text))])[0]
