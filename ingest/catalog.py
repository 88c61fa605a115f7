"""The corpus catalog (``corpus/catalog.yaml``) and metadata inferred from a document's text.

``load_catalog`` reads the catalog into ``DocumentMeta`` objects keyed by file name.
``infer_meta`` guesses the same fields from a filing's or an article's text when a file has no
catalog entry; every field it fills in is listed in ``DocumentMeta.inferred``.
``describe`` turns a ``DocumentMeta`` into a short badge label ("Court order (N.D. Ill., 2021-06-14)").

Catalog warnings (unknown keys, an entry that is empty) do not stop loading: they are logged on
the ``ingest.catalog`` logger *and* appended to the ``warnings`` list when the caller passes one.
Errors a person must fix (YAML that does not parse, a ``kind`` or ``date`` Casefile cannot use)
raise ``CasefileError`` naming the file.
"""
from __future__ import annotations

import datetime as _dt
import logging
import re
from pathlib import Path
from typing import Any

import yaml

from .errors import CasefileError
from .types import DocumentMeta

log = logging.getLogger(__name__)

KINDS = ("order", "opinion", "brief", "motion", "article", "other")
# catalog key -> DocumentMeta field. ``source`` (the original file name and where it came from)
# is kept in ``source_url``, DocumentMeta's field for a document's origin.
_KEYS = {
    "title": "title", "kind": "kind", "court": "court", "outlet": "court", "docket": "docket",
    "date": "date", "voice": "voice", "source": "source_url", "source_url": "source_url",
    "description": "description",
}


# --- the catalog ------------------------------------------------------------------------------

def load_catalog(path: Path, warnings: list[str] | None = None) -> dict[str, DocumentMeta]:
    """Read a catalog file into ``{file name: DocumentMeta}``.

    A missing file gives ``{}``. Unknown keys are ignored; each produces a warning (logged, and
    appended to ``warnings`` when given). Raises ``CasefileError`` for YAML that does not parse
    (naming the file and line), for an entry that is not a mapping, for a ``kind`` outside
    ``KINDS`` and for a ``date`` that is not ISO ``yyyy-mm-dd``.
    """
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise CasefileError(f"The catalog {path} is not valid YAML{where}: {problem}. "
                            f"Fix that line (or remove the file) and try again.") from err
    except UnicodeDecodeError as err:
        raise CasefileError(f"The catalog {path} is not UTF-8 text; save it as UTF-8.") from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CasefileError(f"The catalog {path} must map file names to entries "
                            f"(\"name.txt:\" then indented fields), not a {type(data).__name__}.")

    def warn(msg: str) -> None:
        log.warning(msg)
        if warnings is not None:
            warnings.append(msg)

    out: dict[str, DocumentMeta] = {}
    for name, entry in data.items():
        name = str(name).strip()
        if entry is None:
            warn(f"{path}: the entry for {name} is empty; its metadata will be inferred.")
            continue
        if not isinstance(entry, dict):
            raise CasefileError(f"The catalog {path}: the entry for {name} must be a mapping of "
                                f"fields (title, kind, court, ...), not {entry!r}.")
        meta = DocumentMeta()
        for key, value in entry.items():
            field_name = _KEYS.get(str(key).strip().lower())
            if field_name is None:
                warn(f"{path}: entry {name}: unknown key {key!r} ignored "
                     f"(known keys: {', '.join(sorted(_KEYS))}).")
                continue
            setattr(meta, field_name, _as_text(value))
        meta.kind = (meta.kind or "other").lower()
        if meta.kind not in KINDS:
            raise CasefileError(f"The catalog {path}: entry {name} has kind {meta.kind!r}; "
                                f"use one of: {', '.join(KINDS)}.")
        meta.voice = meta.voice.lower()
        if meta.date:
            try:
                meta.date = _dt.date.fromisoformat(meta.date).isoformat()
            except ValueError:
                raise CasefileError(f"The catalog {path}: entry {name} has date {meta.date!r}; "
                                    f"write it as yyyy-mm-dd, or leave it empty when the "
                                    f"document does not state it.") from None
        out[name] = meta
    return out


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (_dt.date, _dt.datetime)):   # YAML reads 2021-06-14 as a date
        return value.isoformat()[:10]
    return " ".join(str(value).split()) if not isinstance(value, str) else value.strip()


# --- inference from the text -----------------------------------------------------------------

_HEAD_CHARS = 4000          # the caption and title of a filing sit well inside this
_TITLE_WORDS = re.compile(
    r"\b(ORDER|OPINION|MEMORANDUM|REPLY|MOTION|RESPONSE|BRIEF|OBJECTIONS?|OPPOSITION|COMPLAINT|"
    r"PETITION|JUDGMENT|DECISION|STIPULATION|NOTICE|ANSWER|DECLARATION|AFFIDAVIT|REPORT)\b")
_BRIEF_WORDS = re.compile(r"\b(REPLY|RESPONSE|BRIEF|MEMORANDUM (?:OF LAW )?IN (?:SUPPORT|OPPOSITION)|"
                          r"OPPOSITION|OBJECTIONS?|SUR-?REPLY)\b")
_MOTION_WORDS = re.compile(r"\bMOTION\b")
_OPINION_WORDS = re.compile(r"\b(MEMORANDUM OPINION|OPINION)\b")
_ORDER_WORDS = re.compile(r"\bORDER\b")
_SECTION_WORDS = re.compile(r"^(INTRODUCTION|BACKGROUND|ARGUMENT|DISCUSSION|CONCLUSION|"
                            r"LEGAL STANDARD|FACTS|STATEMENT OF FACTS|ANALYSIS)\b")
_COURT_LINE = re.compile(r"\bCOURT\b|\bDISTRICT OF\b|\bDIVISION\b|\bCIRCUIT\b", re.I)

_DIRECTIONS = {"NORTHERN": "N.D.", "SOUTHERN": "S.D.", "EASTERN": "E.D.", "WESTERN": "W.D.",
               "CENTRAL": "C.D.", "MIDDLE": "M.D."}
_STATE_ABBR = {
    "Alabama": "Ala.", "Alaska": "Alaska", "Arizona": "Ariz.", "Arkansas": "Ark.",
    "California": "Cal.", "Colorado": "Colo.", "Connecticut": "Conn.", "Delaware": "Del.",
    "Columbia": "D.C.", "Florida": "Fla.", "Georgia": "Ga.", "Hawaii": "Haw.", "Idaho": "Idaho",
    "Illinois": "Ill.", "Indiana": "Ind.", "Iowa": "Iowa", "Kansas": "Kan.", "Kentucky": "Ky.",
    "Louisiana": "La.", "Maine": "Me.", "Maryland": "Md.", "Massachusetts": "Mass.",
    "Michigan": "Mich.", "Minnesota": "Minn.", "Mississippi": "Miss.", "Missouri": "Mo.",
    "Montana": "Mont.", "Nebraska": "Neb.", "Nevada": "Nev.", "New Hampshire": "N.H.",
    "New Jersey": "N.J.", "New Mexico": "N.M.", "New York": "N.Y.", "North Carolina": "N.C.",
    "North Dakota": "N.D.", "Ohio": "Ohio", "Oklahoma": "Okla.", "Oregon": "Or.",
    "Pennsylvania": "Pa.", "Rhode Island": "R.I.", "South Carolina": "S.C.",
    "South Dakota": "S.D.", "Tennessee": "Tenn.", "Texas": "Tex.", "Utah": "Utah",
    "Vermont": "Vt.", "Virginia": "Va.", "Washington": "Wash.", "West Virginia": "W. Va.",
    "Wisconsin": "Wis.", "Wyoming": "Wyo.", "Puerto Rico": "P.R.",
}
_ORDINALS = {"FIRST": "1st", "SECOND": "2d", "THIRD": "3d", "FOURTH": "4th", "FIFTH": "5th",
             "SIXTH": "6th", "SEVENTH": "7th", "EIGHTH": "8th", "NINTH": "9th", "TENTH": "10th",
             "ELEVENTH": "11th", "DISTRICT OF COLUMBIA": "D.C.", "FEDERAL": "Fed."}
_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], 1)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9

_DATE_LINE = re.compile(r"^[ \t>*_]*(?:Dated|Date|Entered|Signed|Filed)\b[ \t*_]*:?[ \t*_]*(.+)$",
                        re.I | re.M)
_DATE_WORDS = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})\b")
_DATE_NUM = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{2,4})\b")
_DATE_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")

_DOCKET_FEDERAL = re.compile(
    r"\b(?:(?:Civil\s+Action\s+(?:File\s+)?|Case\s+|Cause\s+|Docket\s+|Criminal\s+)?No\.?|"
    r"Case\s+Number|Case)\s*:?\s*((?:\d{1,2}\s*:\s*)?\d{2}-[A-Za-z]{1,3}-\d{2,6}(?:-[A-Za-z]{2,5})*)",
    re.I)
_DOCKET_NDILL = re.compile(r"\b(?:Case\s+)?No\.?\s*:?\s*(\d{2})\s+(C|CV|CR)\s+(\d{1,6})\b", re.I)

_PARTY = [
    (re.compile(r"\bPLAINTIFFS?[’'`]?S?\b", re.I), "plaintiffs"),
    (re.compile(r"\bDEFENDANTS?[’'`]?S?\b", re.I), "defendants"),
    (re.compile(r"\bPETITIONERS?[’'`]?S?\b", re.I), "petitioners"),
    (re.compile(r"\bRESPONDENTS?[’'`]?S?\b", re.I), "respondents"),
    (re.compile(r"\bAPPELLANTS?[’'`]?S?\b", re.I), "appellants"),
    (re.compile(r"\bAPPELLEES?[’'`]?S?\b", re.I), "appellees"),
    (re.compile(r"\b(UNITED STATES[’']|GOVERNMENT[’']S)\b", re.I), "government"),
]
_COUNSEL_FOR = re.compile(r"\b(?:Counsel|Attorneys?)\s+for\s+(?:the\s+)?(?:[A-Z][\w.]*\s+)*?"
                          r"(Plaintiffs?|Defendants?|Petitioners?|Respondents?|Appellants?|"
                          r"Appellees?)\b", re.I)
_OUTLET_SEP = re.compile(r"\s+(?:•|\||–|—|-|::)\s+")
_BYLINE = re.compile(r"^\s*(?:By|Written by|Author:)\s+[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}\s*$",
                     re.M)


def _plain(s: str) -> str:
    """Drop markdown emphasis and heading marks, escape backslashes and HTML tags; squeeze space."""
    s = re.sub(r"<[^>]+>", "", s)
    s = s.replace("\\", "")
    s = re.sub(r"^\s{0,3}#{1,6}\s*", "", s, flags=re.M)
    s = re.sub(r"(\*\*|__|\*|_(?=\w)|(?<=\w)_)", "", s)
    return " ".join(s.split())


def _is_caps(s: str) -> bool:
    letters = [c for c in s if c.isalpha()]
    return len(letters) >= 3 and sum(c.isupper() for c in letters) / len(letters) >= 0.85


def _paragraphs(head: str) -> list[str]:
    return [p for p in (_plain(b) for b in re.split(r"\n\s*\n", head)) if p]


def _filing_title(paras: list[str]) -> str:
    """The all-caps title line of a filing ("ORDER", "PLAINTIFFS’ REPLY IN SUPPORT OF ...")."""
    for p in paras[:40]:
        if len(p) > 400 or not _is_caps(p):
            continue
        if _COURT_LINE.search(p) and not _TITLE_WORDS.search(p.split("COURT")[-1]):
            continue      # the court's name, not a title
        if _SECTION_WORDS.match(p):
            break         # the body has begun
        if _TITLE_WORDS.search(p):
            return p
    return ""


def _court(head_plain: str) -> str:
    s = head_plain.upper()
    m = re.search(r"UNITED STATES DISTRICT COURT\s+(?:FOR\s+)?(?:THE\s+)?"
                  r"(?:(NORTHERN|SOUTHERN|EASTERN|WESTERN|CENTRAL|MIDDLE)\s+)?DISTRICT OF\s+"
                  r"((?:NEW |NORTH |SOUTH |WEST |RHODE |PUERTO )?[A-Z]+)", s)
    if m:
        state = m.group(2).title()
        state = "Columbia" if state == "Columbia" else state
        prefix = _DIRECTIONS[m.group(1)] if m.group(1) else "D."
        court = f"U.S. District Court, {prefix} {'District of Columbia' if state == 'Columbia' else state}"
        div = re.search(r"\b(NORTHERN|SOUTHERN|EASTERN|WESTERN|CENTRAL)\s+DIVISION\b", s[m.end():m.end() + 200])
        return court + (f", {div.group(1).title()} Division" if div else "")
    m = re.search(r"UNITED STATES COURT OF APPEALS\s+FOR THE\s+(\w+|DISTRICT OF COLUMBIA|FEDERAL)\s+CIRCUIT", s)
    if m:
        return f"U.S. Court of Appeals, {_ORDINALS.get(m.group(1), m.group(1).title())} Cir."
    if re.search(r"SUPREME COURT OF THE UNITED STATES", s):
        return "U.S. Supreme Court"
    m = re.search(r"\b(?:IN THE\s+)?((?:[A-Z.]+\s+){0,6}COURT(?:\s+(?:OF|FOR)\s+(?:THE\s+)?(?:[A-Z.]+\s?){1,6})?)",
                  head_plain)
    if m and _is_caps(m.group(1)):
        return " ".join(w.capitalize() if w not in ("OF", "FOR", "THE") else w.lower()
                        for w in m.group(1).split())
    return ""


def _docket(head_plain: str, court: str) -> str:
    m = _DOCKET_FEDERAL.search(head_plain)
    n = _DOCKET_NDILL.search(head_plain)
    if n and (not m or n.start() < m.start()):
        year, kind, num = n.group(1), n.group(2).lower(), n.group(3)
        kind = "cr" if kind == "cr" else "cv"
        docket = f"{year}-{kind}-{int(num):05d}"
        # N.D. Illinois writes "21 C 0135"; its Eastern Division (Chicago) is office 1.
        if "N.D. Illinois, Eastern Division" in court:
            docket = "1:" + docket
        return docket
    if m:
        return re.sub(r"\s+", "", m.group(1))
    return ""


def _parse_date(s: str) -> str:
    for rx in (_DATE_WORDS, _DATE_NUM, _DATE_ISO):
        m = rx.search(s)
        if not m:
            continue
        try:
            if rx is _DATE_WORDS:
                month = _MONTHS.get(m.group(1).lower())
                if not month:
                    continue
                d = _dt.date(int(m.group(3)), month, int(m.group(2)))
            elif rx is _DATE_NUM:
                year = int(m.group(3))
                year += 2000 if year < 100 else 0
                d = _dt.date(year, int(m.group(1)), int(m.group(2)))
            else:
                d = _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            continue
        return d.isoformat()
    return ""


def _signature_date(text: str) -> str:
    for m in _DATE_LINE.finditer(text):
        iso = _parse_date(m.group(1))
        if iso:
            return iso
    m = re.search(r"\bDated\s+this\s+(\d{1,2})(?:st|nd|rd|th)?\s+day\s+of\s+([A-Za-z]+),?\s+(\d{4})", text)
    if m and _MONTHS.get(m.group(2).lower()):
        try:
            return _dt.date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1))).isoformat()
        except ValueError:
            pass
    return ""


def _first_line(text: str) -> str:
    for line in text.splitlines():
        p = _plain(line)
        if p:
            return p[:200]
    return ""


def _first_heading(text: str) -> str:
    m = re.search(r"^\s{0,3}#{1,6}\s+(.+)$", text, re.M)
    return _plain(m.group(1))[:200] if m else ""


def _split_outlet(title: str) -> tuple[str, str]:
    """"Headline • Outlet" -> ("Headline", "Outlet") when the tail looks like a publication name."""
    seps = list(_OUTLET_SEP.finditer(title))
    if seps:
        head, tail = title[:seps[-1].start()].strip(), title[seps[-1].end():].strip()
        if 0 < len(tail.split()) <= 5 and len(head.split()) >= 3:
            return head, tail
    return title, ""


def infer_meta(text: str, file_name: str, file_meta: dict | None = None) -> DocumentMeta:
    """Guess a document's metadata from its text, for a file the catalog does not describe.

    ``file_meta`` is what the file itself says (``RawDocument.meta``: a PDF/HTML/DOCX title,
    an HTML site name...). Every field filled in here is named in ``inferred``.
    """
    file_meta = file_meta or {}
    head = text[:_HEAD_CHARS]
    paras = _paragraphs(head)
    head_plain = " ".join(paras)
    meta = DocumentMeta()

    court = _court(head_plain)
    docket = _docket(head_plain, court)
    filing_title = _filing_title(paras)
    has_caption = bool(court or docket)

    # title
    meta_title = _plain(str(file_meta.get("title") or ""))
    if filing_title and has_caption:
        title = filing_title
    else:
        title = meta_title or filing_title or _first_heading(text) or _first_line(text) or file_name

    # kind
    upper = filing_title.upper()
    kind = "other"
    if upper and _BRIEF_WORDS.search(upper) and not upper.startswith("ORDER"):
        kind = "brief"
    elif upper and _MOTION_WORDS.search(upper) and not upper.startswith(("ORDER", "MEMORANDUM OPINION")):
        kind = "motion"
    elif upper and _OPINION_WORDS.search(upper):
        kind = "opinion"
    elif upper and _ORDER_WORDS.search(upper):
        kind = "order"
    elif has_caption and re.search(r"MEMORANDUM OPINION", text[:_HEAD_CHARS]):
        kind = "opinion"
    elif has_caption and re.search(r"IT IS SO ORDERED|SO ORDERED\.", text):
        kind = "order"

    outlet = ""
    for key in ("site_name", "outlet", "publisher", "og:site_name"):
        if file_meta.get(key):
            outlet = _plain(str(file_meta[key]))
            break
    if not has_caption:
        headline, tail = _split_outlet(title)
        if tail:
            title, outlet = headline, outlet or tail
        prose = sum(1 for p in paras if len(p.split()) >= 25 and not _is_caps(p))
        if kind == "other" and (outlet or _BYLINE.search(head)) and prose >= 1:
            kind = "article"

    # voice
    voice = ""
    if kind in ("order", "opinion"):
        voice = "court"
    elif kind in ("brief", "motion"):
        for rx, party in _PARTY:
            m = rx.search(upper)
            if m and m.start() < 40:      # the party that files it opens the title
                voice = party
                break
        if not voice:
            m = _COUNSEL_FOR.search(text[-6000:])
            if m:
                word = m.group(1).lower()
                voice = word if word.endswith("s") else word + "s"
    elif kind == "article":
        voice = "outlet"

    meta.title = title
    meta.kind = kind
    meta.court = court if has_caption else outlet
    meta.docket = docket
    meta.date = _signature_date(text) if has_caption else _parse_date(str(file_meta.get("date") or ""))
    meta.voice = voice
    meta.inferred = [f for f in ("title", "kind", "court", "docket", "date", "voice")
                     if f == "kind" or getattr(meta, f)]
    return meta


# --- a badge label ----------------------------------------------------------------------------

_KIND_LABEL = {"order": "order", "opinion": "opinion", "brief": "brief", "motion": "motion",
               "article": "article", "other": "document"}


def _court_short(court: str) -> str:
    m = re.search(r"\b((?:[NSEWCM]\.)?D\.)\s+(District of Columbia|[A-Z][a-z]+(?: [A-Z][a-z]+)?)\b", court)
    if m:
        state = "Columbia" if m.group(2) == "District of Columbia" else m.group(2)
        abbr = _STATE_ABBR.get(state, state)
        return "D.D.C." if abbr == "D.C." and m.group(1) == "D." else f"{m.group(1)} {abbr}"
    m = re.search(r"\b(\d+(?:st|d|nd|rd|th)|D\.C\.|Fed\.) Cir\.", court)
    if m:
        return f"{m.group(1)} Cir."
    if "Supreme Court" in court and "U.S." in court:
        return "U.S."
    return court


def describe(meta: DocumentMeta) -> str:
    """A short label for a voice/kind badge: "Court order (N.D. Ill., 2021-06-14)",
    "Plaintiffs' brief (2022-02-15)", "News article (Daily Ledger)"."""
    kind = meta.kind if meta.kind in _KIND_LABEL else "other"
    if kind in ("order", "opinion"):
        label = f"Court {kind}"
        parts = [_court_short(meta.court), meta.date]
    elif kind in ("brief", "motion"):
        voice = (meta.voice or "").strip()
        if voice and voice != "court":
            owner = voice[0].upper() + voice[1:]
            owner += "'" if owner.endswith("s") else "'s"
            label = f"{owner} {kind}"
        else:
            label = kind.capitalize()
        parts = [meta.date]
    elif kind == "article":
        label = "News article"
        parts = [meta.court, meta.date]
    else:
        label = "Document"
        parts = [meta.court, meta.date]
    parts = [p for p in parts if p]
    return f"{label} ({', '.join(parts)})" if parts else label
