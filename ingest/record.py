"""A filing's own record — court, docket, dates, judges, parties, counsel, disposition — read from
the structure of its stored text, every value with the span of text it came from.

``extract_record(text, pages, filename) -> Record`` is a pure function of the stored text. Each
value is a ``Span``: the normalised value and ``[start, end)`` offsets into the stored text, so an
answer quotes ``text[start:end]`` (the source line), never the value. It reads only structure:

- the **caption** at the top of the first page: the issuing court (normalised with courts-db's
  own patterns; a court named after "Appeal from" or "sitting by designation" is a lower or a
  visiting judge's court, not the issuer), the docket labels ("No.", "Docket No.", "Case No.",
  the ECF stamp "Case: ... Document"), parties as "NAME, Role" around "v.";
- labelled **dates** ("Decided", "Filed", "Entered", "Dated", "FILED" clerk stamps, a lone
  "(February 5, 2010)" after the caption); dates inside citations (eyecite spans) never count;
- the **panel** line "Before: ..., Circuit Judges."; the author line ("SMITH, Circuit Judge:",
  "Opinion by Judge ...", "Judge ... wrote/delivered the opinion"), "PER CURIAM", separate
  opinions ("JONES, Circuit Judge, dissenting:", never "(X, J., dissenting)" in a citation),
  the signature block of an order ("NAME / United States District Judge");
- **counsel** lines ("..., for Appellant.", "Counsel for Appellee", "argued the cause for");
- the **disposition**: a capitalised line ("AFFIRMED.", "REVERSED AND REMANDED"), a synopsis
  ("Affirmed by published opinion."), the court's own "we affirm", an order's "The Court denies".

The vocabulary is a closed list of legal roles and dispositions; nothing names a party, judge,
firm or outlet. A field the structure does not give stays empty.
"""
from __future__ import annotations

import datetime as _dt
import functools
import re
from dataclasses import dataclass, field, fields
from typing import Any

HEAD_CHARS = 5000           # the caption, panel and counsel block sit inside this
TAIL_CHARS = 4000           # the disposition and signature block sit inside this


@dataclass
class Span:
    value: str
    start: int
    end: int
    role: str = ""          # parties/counsel: appellant, ...; dockets: "" or "lower"
    source: str = "text"    # "text" (quote text[start:end]) | "catalog" (no span in the text)

    def to_dict(self) -> dict:
        d = {"value": self.value, "start": self.start, "end": self.end}
        if self.role:
            d["role"] = self.role
        if self.source != "text":
            d["source"] = self.source
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Span":
        return cls(str(d.get("value", "")), int(d.get("start", 0)), int(d.get("end", 0)),
                   str(d.get("role", "")), str(d.get("source", "text")))


_LISTS = ("docket", "panel", "concurring", "dissenting", "parties", "counsel", "disposition")


@dataclass
class Record:
    court: Span | None = None           # value: courts-db name ("Court of Appeals for the Tenth Circuit")
    court_id: str = ""                  # courts-db id ("ca10"); "" when courts-db has none
    docket: list[Span] = field(default_factory=list)      # role "" = this court's, "lower" = below
    date_filed: Span | None = None      # value ISO yyyy-mm-dd
    date_decided: Span | None = None
    panel: list[Span] = field(default_factory=list)
    author: Span | None = None
    per_curiam: Span | None = None      # value "per curiam"
    concurring: list[Span] = field(default_factory=list)
    dissenting: list[Span] = field(default_factory=list)
    parties: list[Span] = field(default_factory=list)     # role: appellant, defendant, ...
    counsel: list[Span] = field(default_factory=list)     # value: the counsel line, role: whom for
    disposition: list[Span] = field(default_factory=list)  # value: "affirmed", "reversed and remanded"

    @property
    def date(self) -> Span | None:
        return self.date_decided or self.date_filed

    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))

    def spans(self) -> list[tuple[str, Span]]:
        """(field name, span) for every value that has a span in the text."""
        out = []
        for f in fields(self):
            v = getattr(self, f.name)
            for s in (v if isinstance(v, list) else [v]):
                if isinstance(s, Span) and s.source == "text" and s.end > s.start:
                    out.append((f.name, s))
        return out

    def to_dict(self) -> dict:
        d: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, list):
                d[f.name] = [s.to_dict() for s in v]
            elif isinstance(v, Span):
                d[f.name] = v.to_dict()
            else:
                d[f.name] = v
        return d

    @classmethod
    def from_dict(cls, d: dict | None) -> "Record":
        d = d or {}
        r = cls()
        for f in fields(cls):
            v = d.get(f.name)
            if v is None:
                continue
            if f.name in _LISTS:
                setattr(r, f.name, [Span.from_dict(x) for x in v])
            elif f.name == "court_id":
                r.court_id = str(v)
            else:
                setattr(r, f.name, Span.from_dict(v))
        return r

    def summary(self) -> dict[str, str]:
        """Plain values for a table: court, docket, date, judges, disposition."""
        judges = [s.value for s in self.panel]
        if self.author and self.author.value not in judges:
            judges.insert(0, self.author.value)
        return {
            "court": self.court.value if self.court else "",
            "docket": ", ".join(s.value for s in self.docket if not s.role),
            "date": self.date.value if self.date else "",
            "judges": ", ".join(judges),
            "author": (self.author.value if self.author else
                       "per curiam" if self.per_curiam else ""),
            "disposition": self.disposition[0].value if self.disposition else "",
        }


# --- helpers ----------------------------------------------------------------------------------

_WS = re.compile(r"\s+")


def _squash(s: str) -> str:
    """One line; PDF letter-spaced capitals ("B ROWN") joined."""
    s = _WS.sub(" ", s).strip()
    return re.sub(r"\b([A-Z]) (?=[A-Z]{2,}\b)", r"\1", s)


def _trim(text: str, start: int, end: int, chars: str = " \t\n,;:.*") -> tuple[int, int]:
    while start < end and text[start] in chars:
        start += 1
    while end > start and text[end - 1] in chars:
        end -= 1
    return start, end


def _keep_period(text: str, start: int, end: int) -> int:
    """Keep the final period of an initial or an abbreviation ("Jr.", "Inc.", "Co.")."""
    if end < len(text) and text[end] == "." and re.search(r"(?i:\b[A-Z]|Jr|Sr|Inc|Co|Corp|Ltd|L\.L\.C|P\.C)$",
                                                          text[max(0, end - 8):end]):
        return end + 1
    return end


def _sentence(text: str, pos: int, end: int, limit: int = 320) -> tuple[int, int]:
    """The sentence (or line) around ``[pos, end)``, at most ``limit`` characters either side."""
    lo = max(0, pos - limit)
    s = lo
    for m in re.finditer(r"(?:(?<![A-Z])(?<!\b[A-Z][a-z])[.!?:][\"”’)]?\s+|\n\s*\n)", text[lo:pos]):
        s = lo + m.end()
    m = re.compile(r"(?<![A-Z])(?<!\b[A-Z][a-z])[.!?][\"”’)]?(?=\s|$)|\n\s*\n").search(text, end, min(len(text), end + limit))
    e = m.end() if m else min(len(text), end + limit)
    if m and text[e - 1:e] == "\n":
        e = m.start()
    return _trim(text, s, e, " \t\n")


def _inside_parens(text: str, pos: int, back: int = 160) -> bool:
    window = text[max(0, pos - back):pos]
    return window.count("(") > window.count(")")


# --- dates ------------------------------------------------------------------------------------

_MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december"]
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_MONTH_RX = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)[a-z]*\.?"
_DATE_RX = (rf"(?:(?P<mon>{_MONTH_RX})\s*(?P<day>\d{{1,2}}),?\s+(?P<year>(?:19|20)\d\d)"
            rf"|(?P<nm>\d{{1,2}})/(?P<nd>\d{{1,2}})/(?P<ny>(?:19|20)?\d\d)\b"
            rf"|(?P<dd>\d{{1,2}})(?:st|nd|rd|th)?\s+day\s+of\s+(?P<dmon>{_MONTH_RX}),?\s+(?P<dyear>(?:19|20)\d\d))")
_DATE = re.compile(_DATE_RX, re.I)


def parse_date(m: re.Match) -> str:
    """ISO yyyy-mm-dd of a ``_DATE`` match, "" when it is not a real date."""
    def month(word: str) -> int | None:
        word = word.lower().rstrip(".")
        return _MONTHS.get(word) or _MONTHS.get(word[:3])
    try:
        if m.group("mon"):
            return _dt.date(int(m.group("year")), month(m.group("mon")), int(m.group("day"))).isoformat()
        if m.group("nm"):
            y = int(m.group("ny"))
            y += 2000 if y < 100 else 0
            return _dt.date(y, int(m.group("nm")), int(m.group("nd"))).isoformat()
        if m.group("dd"):
            return _dt.date(int(m.group("dyear")), month(m.group("dmon")), int(m.group("dd"))).isoformat()
    except (TypeError, ValueError):
        pass
    return ""


# label -> which date; "Argued"/"Submitted" are found so that their dates are not taken
_DATE_LABEL = re.compile(
    r"(?P<label>Decided\s+and\s+Filed|Filed\s+and\s+Decided|Date\s+Filed|Date\s+Decided|Decided|"
    r"F\s?I\s?L\s?E\s?D|Filed|Entered|ENTERED|Dated|DATED|Date|Signed|Argued|ARGUED|Submitted|"
    r"Received|Issued)(?:\b|(?=" + _MONTH_RX + r"))(?P<gap>[^\n\d]{0,70}?)(?P<date>" + _DATE_RX + ")", re.I)
_DECIDED = ("decided", "entered", "dated", "date", "signed", "issued")


def _date_kind(label: str) -> str:
    lab = _WS.sub(" ", label).lower()
    if lab.replace(" ", "") == "filed":
        lab = "filed"
    if "decided" in lab and "filed" in lab:
        return "both"
    if lab.startswith(("date filed", "filed")):
        return "filed"
    if lab.startswith(_DECIDED):
        return "decided"
    return ""       # argued, submitted, received: not a date of this record


def extract_dates(text: str, head_end: int, cited: list[tuple[int, int]]) -> tuple[Span | None, Span | None]:
    """(date filed, date decided) from labelled dates in the head and a "Dated"/"Entered" line in
    the tail; never a date inside a citation span."""
    filed = decided = None

    def in_cite(pos: int) -> bool:
        return any(s <= pos < e for s, e in cited)

    regions = [(0, head_end), (max(head_end, len(text) - TAIL_CHARS), len(text))]
    for lo, hi in regions:
        for m in _DATE_LABEL.finditer(text, lo, hi):
            gap = m.group("gap")
            # between a label and its date: nothing, or a court's name ("FILED U.S. Court of Appeals")
            if re.search(r";|\b(?!(?:of|for|the|and|on)\b)[a-z]{2,}", gap):
                continue
            # other words between them are a court's name or nothing: a table's header row
            # ("Date Filed  Doc. No.  Docket Text  10/30/2015") is not a label and its date
            if re.search(r"[A-Za-z]{2,}", gap) and not _COURT_WORD.search(gap):
                continue
            label = m.group("label")
            if in_cite(m.start("date")) or not label[:1].isupper() or not label.replace(" ", "").isupper() and \
                    re.search(r"\b[a-z]+[ \t]*$", text[max(0, m.start() - 20):m.start()]):
                continue        # a date in a sentence ("an application dated ..."), not a label
            iso = parse_date(m)
            if not iso:
                continue
            kind = _date_kind(m.group("label"))
            span = Span(iso, m.start(), m.end())
            if kind in ("filed", "both") and filed is None:
                filed = span
            if kind in ("decided", "both") and decided is None:
                decided = span
        if lo == 0 and decided is None:
            # a lone parenthesised date right after the caption: "(February 5, 2010)"
            for m in re.finditer(r"\(\s*(" + _DATE_RX + r")\s*\)", text[:head_end], re.I):
                if in_cite(m.start()):
                    continue
                d = _DATE.search(text, m.start())
                iso = parse_date(d) if d else ""
                if iso:
                    decided = Span(iso, m.start(), m.end())
                    break
    return filed, decided


# --- court ------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _court_patterns():
    import courts_db

    pats = []
    for regex, court_id, name, court_type, _loc, parent in courts_db.regexes:
        if court_type == "bankruptcy":
            continue
        pats.append((regex, court_id, name))
    return pats


_NOT_ISSUER = re.compile(r"(?:appeal(?:ed)?\s+(?:from|of)|on\s+appeal|review\s+of|transferred\s+(?:from|to)|"
                         r"remand(?:ed)?\s+to|petition\s+for\s+review\s+of|\bfrom\s+the|\bJudges?\s*,|"
                         r"\bHonorable\b[^.]*)\W*(?:\w+\W+){0,2}$",
                         re.I)
_COURT_WORD = re.compile(r"\b(?:court|circuit|board|tribunal|commission)\b", re.I)


_ISSUER_WORD = re.compile(r"\b(?:C\s?OURT|Court|C\s?IRCUIT|Circuit|BOARD|Board)\b")
COURT_REACH = 240        # characters a court's name may reach before or after its "Court" word


def _around(text: str, points: list[int], reach: int) -> list[tuple[int, int]]:
    """Merged stretches of ``text`` within ``reach`` characters of each point, widened to the
    whitespace before and after so that no word is cut."""
    out: list[tuple[int, int]] = []
    for p in points:
        lo, hi = max(0, p - reach), min(len(text), p + reach)
        while lo > 0 and not text[lo - 1].isspace():
            lo -= 1
        while hi < len(text) and not text[hi].isspace():
            hi += 1
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def extract_court(text: str, head_end: int) -> tuple[Span | None, str]:
    """The issuing court: the first court named in the caption that is not one appealed from
    (courts-db's patterns; the longest match at a place wins), else a capitalised caption line
    naming a court or board."""
    head = text[:head_end]
    # courts-db's patterns expect single spaces: match a squashed copy, mapped back
    flat, where = [], []
    for i, ch in enumerate(head):
        if ch.isspace():
            if flat and flat[-1] == " ":
                continue
            ch = " "
        flat.append(ch)
        where.append(i)
    flat_s = "".join(flat)
    where.append(len(head))
    found = []
    # A court's name holds one of these words (matches without one are dropped below), so the
    # thousands of patterns run only on the stretches around them: 0.35 s a filing otherwise.
    windows = _around(flat_s, [m.start() for m in _ISSUER_WORD.finditer(flat_s)], COURT_REACH)
    for regex, court_id, name in _court_patterns():
        for m in (m for lo, hi in windows for m in regex.finditer(flat_s, lo, hi)):
            got = m.group(0).strip()
            if len(got) < 8 or not _COURT_WORD.search(got) or not got[:1].isupper() \
                    or not _ISSUER_WORD.search(got):
                continue
            a = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
            b = m.end() - (len(m.group(0)) - len(m.group(0).rstrip()))
            found.append((where[a], -(b - a), where[b - 1] + 1, court_id, name))
    found.sort()
    for start, _, end, court_id, name in found:
        before = text[max(0, start - 60):start]
        after = text[end:end + 80]
        if _NOT_ISSUER.search(before) or re.match(r"[^.]{0,60}sitting\s+by\s+designation", after, re.I):
            continue
        if _inside_parens(text, start, 60):
            continue
        # a longer court name starting at the same place (e.g. "... Circuit" vs "... Court")
        return Span(name, start, end), court_id
    # no courts-db court: the capitalised caption line naming a court or board
    for m in re.finditer(r"(?:[A-Z][A-Z.'’&]+[ \t]+){0,8}(?:COURT|BOARD|TRIBUNAL|COMMISSION)\b"
                         r"(?:[ \t]+(?:OF|FOR|ON)[ \t]+(?:THE[ \t]+)?(?:[A-Z][A-Z.'’&]+(?![a-z])[ \t]?){1,6})?",
                         head[:1500]):
        s, e = _trim(text, m.start(), m.end())
        if len(text[s:e].split()) < 3 or _NOT_ISSUER.search(text[max(0, s - 60):s]):
            continue
        value = _squash(text[s:e])
        inner = re.search(r"\bIN THE\s+((?:[A-Z.'’&]+\s+){0,3}(?:COURT|BOARD|TRIBUNAL|COMMISSION)\b.*)", value)
        if inner:
            s = s + text[s:e].index(inner.group(1).split()[0], text[s:e].index("IN THE"))
            value = inner.group(1)
        at = re.search(r"\s+(?:AT|IN)\s+[A-Z]+$", value)
        if at:
            value = value[:at.start()]
            e = s + text[s:e].rindex(at.group(0).split()[0]) - 1
            s, e = _trim(text, s, e)
        value = " ".join(w.capitalize() if w not in ("OF", "FOR", "THE", "ON", "IN") else w.lower()
                         for w in value.split())
        return Span(value, s, e), ""
    return None, ""


# --- docket -----------------------------------------------------------------------------------

_NUM = r"(?:MDL\s+)?\d[\dA-Za-z]*(?:[-:.][\dA-Za-z]+)+|\d{2}\s+[A-Z]{1,2}\s+\d{2,6}\b"
_DOCKET_LABEL = re.compile(
    r"(?P<qual>\b(?:D\.\s?C\.|DC|District(?:\s+Court)?|Originating|Lower|Trial|Agency|State\s+File|File|BIA)\s+)?"
    r"(?P<label>Docket\s*(?:Nos?\.|Numbers?|#)|Case\s+(?:Nos?\.|Numbers?)|Civil\s+Action\s+(?:File\s+)?No\.|"
    r"Criminal\s+(?:Action\s+)?No\.|Appeal\s+No\.|CASE\s+NO\.|Nos?\.|Case:)\s*:?\s*"
    r"(?P<num>(?:" + _NUM + r")(?:\s*(?:,|&|and)\s*(?:" + _NUM + r"))*)")
_ECF = re.compile(r"\bCase:?\s+(?P<num>" + _NUM + r"),?\s+(?:Document|ID|Doc\.)")


def extract_dockets(text: str, head_end: int, caption_end: int) -> list[Span]:
    """Docket numbers of the caption ("No. 06-6247", "Docket Nos. 1-13, 2-14"); a number labelled
    "D.C. No."/"District Case Number" or named after "Appeal from" is the lower court's (role
    "lower"). The ECF stamp "Case: 17-3994 Document: 3" counts when the caption has none."""
    out: list[Span] = []
    seen = set()

    def add(num_start: int, num_end: int, role: str, label_start: int) -> None:
        for part in re.finditer(_NUM, text[num_start:num_end]):
            s, e = num_start + part.start(), num_start + part.end()
            s, e = _trim(text, s, e, " ,.-:")
            value = _WS.sub(" ", text[s:e])
            if "_" in text[e:e + 2] or not re.search(r"\d{2}", value) or value in seen:
                continue
            if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{2,4}|\d+\.\d+|\(?\d{3}\)?[-. ]\d{3}-\d{4}", value):
                continue
            seen.add(value)
            out.append(Span(value, label_start, e, role))

    for m in _DOCKET_LABEL.finditer(text, 0, head_end):
        qual = (m.group("qual") or "").strip()
        if qual.startswith(("File", "State")):
            continue
        if m.group("label") == "Case:" and not _ECF.match(text, m.start()):
            continue
        before = text[max(0, m.start() - 250):m.start()]
        if re.search(r"\b(?:Dial|Telephone|Phone|Fax|Bar)\s*$", before, re.I):
            continue
        lower = bool(qual) or bool(re.search(r"\bappeal(?:ed)?\s+from[^.]*$|\bOn\s+appeal\b[^.]*$", before, re.I))
        if m.start() > caption_end and not lower:
            continue
        add(m.start("num"), m.end("num"), "lower" if lower else "", m.start())
    if not any(not s.role for s in out):
        m = _ECF.search(text)
        if m:
            add(m.start("num"), m.end("num"), "", m.start())
    out.sort(key=lambda s: (s.role != "", s.start))
    return out


# --- judges -----------------------------------------------------------------------------------

_TITLE_WORDS = {"chief", "circuit", "district", "senior", "judge", "judges", "united", "states",
                "magistrate", "bankruptcy", "presiding", "associate", "justice", "justices",
                "honorable", "hon", "sitting", "by", "designation", "for", "the", "of", "court",
                "administrative", "law", "members", "member", "panel", "appeals", "board"}
_SUFFIX = re.compile(r"^(?:Jr|Sr|II|III|IV)\.?$", re.I)
_PLACES = re.compile(r"\bDistrict\s+of\b|\bsitting\b", re.I)
_NAME = r"[A-Z][A-Za-z.'’\-]*(?:(?:[ \t]+|[ \t]*\n(?![ \t]*\n)[ \t]*)[A-Z][A-Za-z.'’\-]*){0,4}(?:,\s*(?:Jr\.|Sr\.|II|III|IV)(?![A-Za-z]))?"


def _names_in(text: str, start: int, end: int) -> list[Span]:
    """Judges' names in a panel clause ``text[start:end]``: the pieces between commas, semicolons
    and "and" that are not titles ("Circuit Judges", "sitting by designation")."""
    out: list[Span] = []
    pos = start
    for piece in re.split(r"(,|;|\b(?:and|AND|And)\b|\(|\))", text[start:end]):
        s, e = pos, pos + len(piece)
        pos = e
        if re.fullmatch(r",|;|and|AND|And|\(|\)", piece):
            continue
        s, e = _trim(text, s, e, " \t\n.:")
        if s >= e:
            continue
        words = re.findall(r"[A-Za-z][A-Za-z.'’\-]*", text[s:e])
        if not words or _PLACES.search(text[s:e]):
            continue
        if _SUFFIX.match(text[s:e]) and out:        # "Davidson, III"
            out[-1] = Span(out[-1].value + ", " + text[s:e], out[-1].start, _keep_period(text, s, e))
            continue
        name_words = [w for w in words if w.lower().strip(".") not in _TITLE_WORDS]
        if not name_words or not all(w[0].isupper() for w in name_words):
            continue
        # drop leading/trailing title words (e.g. "Chief Judge BATCHELDER")
        first = re.search(re.escape(name_words[0]), text[s:e])
        last = [m for m in re.finditer(re.escape(name_words[-1]), text[s:e])][-1]
        ns, ne = s + first.start(), _keep_period(text, s, s + last.end())
        value = _squash(text[ns:ne])
        if len(value) < 2 or len(value) > 60:
            continue
        out.append(Span(value, ns, ne))
    return out


_BEFORE = re.compile(r"\bBefore\s*:?\s+(?=[A-Z])")
_PANEL_END = re.compile(r"\b(?:Judges?|Justices?|designation|JJ)\s*\.?\s*[.)]|\bJudges?\b\.?(?=\s+[A-Z]{2,})")


def extract_panel(text: str, head_end: int) -> tuple[list[Span], tuple[int, int] | None]:
    """The panel from "Before: A, B, and C, Circuit Judges." (or a "Per Curiam (A, B and C,
    Circuit Judges.)" line); also the clause's span."""
    for m in _BEFORE.finditer(text, 0, head_end):
        end_m = _PANEL_END.search(text, m.end(), m.end() + 320)
        if not end_m:
            continue
        names = _names_in(text, m.end(), end_m.end())
        if names:
            return names, (m.start(), end_m.end())
    m = re.search(r"\bPer\s+Curiam\s*\(", text[:head_end + TAIL_CHARS], re.I)
    if m:
        close = text.find(")", m.end(), m.end() + 300)
        if close > 0 and re.search(r"Judges?", text[m.end():close]):
            names = _names_in(text, m.end(), close)
            if names:
                return names, (m.start(), close + 1)
    return [], None


_JUDGE_TITLE = r"(?:(?:Chief|Senior|Presiding|Associate)\s+)?(?:(?:Circuit|District|Magistrate|Bankruptcy|Tax)\s+)?(?:J\s?u\s?d\s?g\s?e|Justice)"
_AUTHOR_HEAD = re.compile(r"(?P<name>" + _NAME + r")\s*,\s*" + _JUDGE_TITLE + r"\s*(?P<punct>[.:])(?=\s)")
_AUTHOR_BY = re.compile(r"\bOpinion\s+(?:of\s+the\s+court\s+|for\s+the\s+court\s+)?(?:filed\s+)?by\s+"
                        r"(?:" + _JUDGE_TITLE + r"\s+)?(?P<name>" + _NAME + r")", re.I)
_AUTHOR_WROTE = re.compile(r"(?:" + _JUDGE_TITLE + r"\s+)(?P<name>" + _NAME + r")\s*,?\s+"
                           r"(?:wrote|delivered|authored|announced)\s+the\s+(?:majority\s+)?opinion")
_PER_CURIAM = re.compile(r"\bPER\s+CURIAM\b|\bPer\s+Curiam\b")
_SEPARATE = re.compile(r"(?P<name>" + _NAME + r")\s*,\s*(?:" + _JUDGE_TITLE + r"|J\.)\s*,\s*"
                       r"(?:specially\s+)?(?P<kind>concurring|dissenting)(?P<rest>[^:.\n]{0,60})[:.]")
_SEPARATE_BY = re.compile(r"(?:" + _JUDGE_TITLE + r"\s+)(?P<name>" + _NAME + r")\s+(?:filed\s+an?\s+|wrote\s+an?\s+)"
                          r"(?P<kind>concurring|dissenting)\s+opinion")
_SIGNATURE = re.compile(r"(?P<name>[A-Z][A-Za-z.'’\-]*(?:[ \t]+[A-Z][A-Za-z.'’\-]*){1,4}?)\s*,?\s*\n?\s*"
                        r"(?:United\s+States\s+|U\.S\.\s+)?(?:Chief\s+|Senior\s+)?(?:Circuit|District|Magistrate|Bankruptcy)\s+Judge\b")


_DOC_TITLE = {"opinion", "and", "memorandum", "findings", "fact", "order", "judgment", "decision",
              "summary", "per", "curiam"}


_JOINED = re.compile(r"\bin\s+which\s+(.{5,200}?)\s+(?:join(?:ed|s)|concurred)\b")


def _name_ok(value: str) -> bool:
    words = value.split()
    return 1 <= len(words) <= 6 and not any(w.lower().strip(".,") in _TITLE_WORDS | _DOC_TITLE for w in words)


def _clean_name(text: str, s: int, e: int) -> Span | None:
    # drop leading words that are not part of a name (the end of the previous sentence)
    piece = text[s:e]
    cut = re.compile(r"(?:(?<![A-Z])[.:;]\s+|\n)(?=[A-Z])")
    m = cut.search(piece)
    while m and m.end() < len(piece):
        s += m.end()
        piece = text[s:e]
        m = cut.search(piece)
    s, e = _trim(text, s, e, " \t\n,.")
    e = _keep_period(text, s, e)        # "Ralph R." keeps its period, "BROWN." (a sentence's end) not
    value = _squash(text[s:e])
    words = value.split()
    while words and words[0].lower().strip(".,") in _TITLE_WORDS | _DOC_TITLE:
        s = text.index(text[s:e].split()[1], s) if len(text[s:e].split()) > 1 else e
        value = _squash(text[s:e])
        words = value.split()
    return Span(value, s, e) if value and _name_ok(value) else None


def extract_judges(text: str, head_end: int, panel_span: tuple[int, int] | None,
                   cited: list[tuple[int, int]]):
    """(author, per curiam, concurring, dissenting, signer)."""
    after = panel_span[1] if panel_span else 0
    author = per_curiam = None
    body_start = after

    def in_cite(pos: int) -> bool:
        return any(s <= pos < e for s, e in cited)

    for rx in (_AUTHOR_BY, _AUTHOR_WROTE):
        m = rx.search(text, 0, head_end)
        if m:
            author = _clean_name(text, m.start("name"), m.end("name"))
            if author:       # the span: the whole line that names the author
                author = Span(author.value, min(author.start, m.start()), max(author.end, m.end()))
                break
    pc = _PER_CURIAM.search(text, 0, head_end + 2000)
    if pc and not _inside_parens(text, pc.start(), 80) and not in_cite(pc.start()):
        per_curiam = Span("per curiam", pc.start(), pc.end())
    if author is None and per_curiam is None:
        for m in _AUTHOR_HEAD.finditer(text, body_start, min(len(text), head_end + 1500)):
            if _inside_parens(text, m.start()) or in_cite(m.start()):
                continue
            if re.match(r"\s*,", text[m.end():m.end() + 3]):
                continue
            cand = _clean_name(text, m.start("name"), m.end("name"))
            if cand:
                author = Span(cand.value, cand.start, m.end())
                break
    concurring, dissenting = [], []
    for rx in (_SEPARATE, _SEPARATE_BY):
        for m in rx.finditer(text):
            if _inside_parens(text, m.start()) or in_cite(m.start()):
                continue
            cand = _clean_name(text, m.start("name"), m.end("name"))
            if not cand:
                continue
            span = Span(cand.value, cand.start, m.end())
            lst = concurring if m.group("kind").lower() == "concurring" else dissenting
            if cand.value not in [s.value for s in lst]:
                lst.append(span)
            rest = (m.groupdict().get("rest") or "").lower()
            if "dissenting" in rest and lst is concurring and cand.value not in [s.value for s in dissenting]:
                dissenting.append(span)
            if "concurring" in rest and lst is dissenting and cand.value not in [s.value for s in concurring]:
                concurring.append(span)
    signer = None
    for m in _SIGNATURE.finditer(text, max(0, len(text) - TAIL_CHARS)):
        cand = _clean_name(text, m.start("name"), m.end("name"))
        if cand:
            signer = Span(cand.value, cand.start, m.end())
    return author, per_curiam, concurring, dissenting, signer


# --- parties and counsel ----------------------------------------------------------------------

_GLYPH = "\u00fc\u00fd\u00fe"     # the brace glyphs of a symbol font in PDF captions
_ROLE_WORD = (r"(?:Cross[- ])?(?:Plaintiffs?|Defendants?|Petitioners?|Respondents?|Appellants?|Appellees?|"
              r"Employee|Employer|Carrier|Claimants?|Intervenors?|Movants?|Relators?|Debtors?)")
_ROLE = re.compile(r"(?<![A-Za-z-])(?P<role>" + _ROLE_WORD + r"(?:\s*[-–—]\s*" + _ROLE_WORD + r")*)(?![A-Za-z’'])"
                   r"(?=\s*(?:[,.;:*" + _GLYPH + r"\d]|v\.|versus|\n|$|(?-i:[A-Z]{2,})|And\b|and\b))", re.I)
_V = re.compile(r"(?<![A-Za-z])v\.|\bvs\.|\bversus\b|–v\.–|-v\.-", re.I)


def _role_name(role: str) -> str:
    words = [w.lower() for w in re.split(r"\s*[-–—]\s*", role) if w]
    words = [w[:-1] if w.endswith("s") and w not in ("employees",) else w for w in words]
    return words[-1] if words else ""


def extract_parties(text: str, caption_start: int, caption_end: int) -> list[Span]:
    """"NAME, Role" pairs in the caption (role: the last of "Plaintiff-Appellant": appellant).
    The name runs back to the previous role, "v.", a docket number or a blank line."""
    out: list[Span] = []
    prev_end = caption_start
    for m in _ROLE.finditer(text, caption_start, caption_end):
        before = text[max(prev_end, m.start() - 300):m.start()]
        if not m.group("role")[:1].isupper():
            continue
        if not re.search(r"[,*]\s*\d{0,2}\s*$", before) and not re.search(r"\n\s*$", before) \
                and not re.search(r"\bINC\.|[A-Z]{2,}\s*$", before):
            prev_end = m.end()
            continue
        if re.search(r"\b(?:for|the|of|by|to|and|counsel|an?)\s*$", before, re.I):
            continue
        base = m.start() - len(before)
        s, e = base, m.start()
        # strip what sits between the name and its role: commas, column asterisks, [UNPUBLISHED]
        chunk = text[s:e]
        chunk = re.sub(r"(?:[\s,*]+|\[[A-Z ]+\]|(?<=,)\d{1,2}|(?<=[A-Za-z.])\d{1,2}(?=,))+$", "", chunk)
        e = s + len(chunk)
        cut = s
        for b in re.finditer(r"\n\s*\n|" + _V.pattern + r"|\bNos?\.\s*[\w:-]+\d\b|[" + _GLYPH + r"]|"
                             r"\b\d+[-:][\d-]*\d\b|\bDocket\s+No\.\s*[\w:-]+|\)|" + _ROLE_WORD + r"[.,]",
                             text[s:e], re.I):
            cut = s + b.end()
        s, e = _trim(text, cut, e, " \t\n,;:.*")
        s2 = re.match(r"(?:and|And|AND)\s+", text[s:e])
        if s2:
            s += s2.end()
        # a caption in capitals restating the party in ordinary case: keep the restatement
        words = list(re.finditer(r"\S+", text[s:e]))
        if len(words) >= 4:
            def cls(w: str) -> str:
                if w.lower() in ("and", "&", "of", "the") or not re.search(r"[A-Za-z]", w):
                    return "n"
                return "c" if w.isupper() else "m" if w[0].isupper() else "l"
            kinds = [cls(w.group(0)) for w in words]
            k = len(kinds)
            while k > 0 and kinds[k - 1] in "mn":
                k -= 1
            head_kinds = [c for c in kinds[:k] if c != "n"]
            if kinds[k:].count("m") >= 2 and len(head_kinds) >= 2 and all(c == "c" for c in head_kinds):
                s = s + words[k].start()
        lead = re.match(r"(?:(?:ORDER|OPINION|MEMORANDUM|JUDGMENT|AT\s+[A-Z]+)\s+)+(?=[A-Z])", text[s:e])
        if lead:
            s += lead.end()
        comma = text.find(",", s, e)
        if comma > 0 and re.match(r",\s*[a-z]", text[comma:e]):
            e = comma
        e = _keep_period(text, s, e)
        value = _squash(text[s:e])
        prev_end = m.end()
        if not value or len(value) > 160 or not re.search(r"[A-Z]", value) or value.count(" ") > 18:
            continue
        if re.search(r"(?:Court|Circuit|Division|District)\b", value) and value.isupper():
            continue
        out.append(Span(value, s, e, _role_name(m.group("role"))))
    return out


_COUNSEL = re.compile(r"(?:(?P<lead>(?<![a-z] )(?:Counsel|Attorneys?)|argued\s+the\s+cause|,)\s+for\s+(?:the\s+)?"
                      r"(?:Third[- ]Party\s+)?(?P<role>" + _ROLE_WORD + r"(?:\s*[-–—]\s*" + _ROLE_WORD + r")*))"
                      r"(?![A-Za-z])", re.I)


def extract_counsel(text: str, regions: list[tuple[int, int]], floors: list[int] = ()) -> list[Span]:
    """Counsel lines: the text before "for Appellant", "Counsel for Appellee" back to the previous
    counsel line, a heading, a sentence's end or a ``floors`` position (the end of the panel line
    or of a date), at most 220 characters."""
    out: list[Span] = []
    for lo, hi in regions:
        prev = lo
        for m in _COUNSEL.finditer(text, lo, hi):
            start = max([prev, m.start() - 240] + [f for f in floors if f <= m.start()])
            seg = text[start:m.start()]
            cut = 0
            for b in re.finditer(r"\n\s*\n|(?:COUNSEL|ARGUED|ON BRIEF)\s*:?\s|\bPage\s+\d+\s+of\s+\d+(?:\s+\d+\b)?|(?<![A-Z])\.\s+(?=[A-Z][a-z]+\s+[A-Z])|"
                                 r"\)\s+(?=[A-Z])(?<=\d\)\s)", seg):
                cut = b.end()
            s, e = _trim(text, start + cut, m.end(), " \t\n,;:")
            while s < e and (text[s] in ".)" or text[s].isdigit() and text[s:s + 2].strip().isdigit()):
                s, e = _trim(text, s + 1, e, " \t\n,;:")
            prev = m.end()
            if e - s < 12 or e - s > 220 or not re.search(r"[A-Z][a-z]+|[A-Z]{2,}", text[s:m.start()]):
                continue
            out.append(Span(_squash(text[s:e]), s, e, _role_name(m.group("role"))))
    return out


# --- disposition ------------------------------------------------------------------------------

_DISPO_WORDS = ("AFFIRMED", "REVERSED", "REMANDED", "VACATED", "DISMISSED", "DENIED", "GRANTED",
                "MODIFIED", "SET ASIDE", "ENFORCED")
_VERB = {"affirm": "affirmed", "reverse": "reversed", "remand": "remanded", "vacate": "vacated",
         "dismiss": "dismissed", "deny": "denied", "denies": "denied", "grant": "granted",
         "grants": "granted", "modify": "modified", "affirms": "affirmed", "reverses": "reversed",
         "vacates": "vacated", "remands": "remanded", "dismisses": "dismissed", "modifies": "modified"}
_W = "|".join(_DISPO_WORDS)
_CAPS_DISPO = re.compile(r"(?<![A-Za-z])(?P<d>(?:" + _W + r")(?:\s+IN\s+PART)?(?:\s*(?:,\s*(?:AND\s+)?|;\s*|AND\s+|&\s*)(?:"
                         + _W + r")(?:\s+IN\s+PART)?)*)(?![A-Za-z])")
_MIXED = "|".join(w.capitalize() for w in _DISPO_WORDS)
_SYNOPSIS = re.compile(r"(?:^|(?<=[.)]\s)|(?<=\n))(?P<d>(?:" + _MIXED + r")(?:\s+in\s+part)?(?:\s*(?:,\s*(?:and\s+)?|and\s+)(?:"
                       + _W.lower() + r")(?:\s+in\s+part)?)*)\s+by\s+(?:published|unpublished)\s+"
                       r"(?:opinion|order)", re.I)
_LINE_MIXED = re.compile(r"(?:^|\)\s|\n)\s*(?P<d>(?:" + _MIXED + r")(?:\s+in\s+Part)?(?:\s*(?:,\s*(?:and\s+)?|and\s+)(?:"
                         + _MIXED + r")(?:\s+in\s+Part)?)*)\s*(?:\n|$)", re.I)
_WE = re.compile(r"\b(?:we|We)\s+(?:(?:now|therefore|thus|hereby|accordingly|will|must|shall|do|"
                 r"respectfully)\s+)*(?P<v>affirm|reverse|vacate|remand|dismiss|deny|grant|modify)\b"
                 r"(?P<more>(?:[^.;]{0,80}?\b(?:and|,)\s+(?:affirm|reverse|vacate|remand|dismiss|deny|grant|modify)\b)*)")
_IS = re.compile(r"\b(?:judgment|order|decision|petition|appeal|motion|relief|request)\s+(?:of\s+the\s+[\w\s]{0,40}?)?"
                 r"(?:is|are|be)\s+(?:hereby\s+|therefore\s+|accordingly\s+)?"
                 r"(?P<d>(?:" + _W.lower() + r")(?:\s+in\s+part)?(?:\s*(?:,\s*(?:and\s+)?|and\s+)(?:" + _W.lower()
                 + r")(?:\s+in\s+part)?)*)\b", re.I)
_COURT_DOES = re.compile(r"\b(?:The|the|This|this)\s+Court\b[^.]{0,60}?\s(?P<v>denies|grants|dismisses|"
                         r"vacates|affirms|reverses|remands)\b")


def _norm_dispo(s: str) -> str:
    s = _WS.sub(" ", s).lower().replace("&", "and").replace(";", ",")
    s = re.sub(r"\s*,\s*", ", ", s).strip(" ,")
    return s


def extract_disposition(text: str, head_end: int, cited: list[tuple[int, int]], court_voice: bool,
                        majority_end: int | None = None) -> list[Span]:
    """The court's disposition, best first: a capitalised line at the end or in the head
    ("AFFIRMED."), a synopsis ("Affirmed by published opinion."), "the judgment ... is affirmed",
    the court's "we affirm", an order's "The Court denies ..."."""
    if not court_voice:
        return []
    out: list[Span] = []

    def in_cite(pos: int) -> bool:
        return any(s <= pos < e for s, e in cited)

    def add(value: str, pos: int, end: int, closes: bool = False) -> None:
        if in_cite(pos) or _inside_parens(text, pos, 100):
            return
        s, e = _sentence(text, pos, end)
        if re.match(r"(?:If|if|When|when|Unless|unless|Whether)\b", text[s:pos]):
            return          # a condition, not what the court did
        if closes:          # a capitalised disposition ends its sentence
            e = end + (1 if text[end:end + 1] == "." else 0)
        if any(x.start == s for x in out):
            return
        out.append(Span(_norm_dispo(value), s, e))

    tail_start = max(0, len(text) - TAIL_CHARS)
    # the majority's last page, before a concurrence or dissent begins
    maj = (max(0, majority_end - TAIL_CHARS), majority_end) if majority_end else (tail_start, tail_start)

    def in_tail(pos: int) -> bool:
        return pos >= tail_start or maj[0] <= pos < maj[1]

    caps = [m for m in _CAPS_DISPO.finditer(text) if in_tail(m.start()) or m.start() < head_end]
    # a capitalised disposition, not part of a capitalised heading or sentence
    good = []
    for m in caps:
        left = text[max(0, m.start() - 30):m.start()]
        right = text[m.end():m.end() + 30]
        lw = re.findall(r"[A-Za-z]{2,}", left)[-2:]
        rw = re.findall(r"[A-Za-z]{2,}", right)[:2]
        if lw and all(w.isupper() for w in lw) and not re.search(r"[.:]\s*$|\n\s*$", left):
            continue
        if rw and all(w.isupper() for w in rw) and not re.match(r"\s*[.\n]", right):
            continue
        good.append(m)
    for m in sorted(good, key=lambda m: (not in_tail(m.start()), -m.start())):
        add(m.group("d"), m.start(), m.end(), closes=True)
    for rx in (_SYNOPSIS, _LINE_MIXED):
        for m in rx.finditer(text, 0, head_end):
            add(m.group("d"), m.start("d"), m.end("d"))
    for region in (maj, (tail_start, len(text)), (0, head_end)):
        for m in _IS.finditer(text, *region):
            add(m.group("d"), m.start("d"), m.end("d"))
    for region in ((0, head_end), maj, (tail_start, len(text))):
        for m in _WE.finditer(text, *region):
            verbs = [m.group("v")] + re.findall(r"affirm|reverse|vacate|remand|dismiss|deny|grant|modify",
                                                m.group("more") or "")
            add(" and ".join(dict.fromkeys(_VERB[v] for v in verbs)), m.start(), m.end())
    for m in _COURT_DOES.finditer(text, 0, min(len(text), 1500)):
        add(_VERB[m.group("v")], m.start(), m.end())
    return out


_TITLE = re.compile(r"\b(?:ORDER|OPINION|MEMORANDUM|JUDGMENT|JUDGEMENT|DECISION|COMPLAINT|MOTION|BRIEF|"
                    r"PETITION|NOTICE|REPLY|RESPONSE|STIPULATION)\b")


def _court_title(text: str, lo: int, hi: int) -> bool:
    """Whether the caption is followed by a court's title in capitals (an ORDER, OPINION,
    JUDGMENT or DECISION, not a party's MOTION, BRIEF or COMPLAINT)."""
    m = re.search(r"\b(?:[A-Z]{2,}[ \t]+){0,4}(?:ORDER|OPINION|JUDGMENT|JUDGEMENT|DECISION)\b"
                  r"(?:[ \t]+[A-Z]{2,}){0,6}", text[lo:hi])
    return bool(m) and not re.search(r"\b(?:MOTION|BRIEF|COMPLAINT|REPLY|RESPONSE|NOTICE|PETITION)\b", m.group(0))


# --- the whole record -------------------------------------------------------------------------

def _cited_spans(text: str) -> list[tuple[int, int]]:
    """Where citations sit in the head and tail (eyecite full spans), so their dates and
    parentheticals ("(Scalia, J., dissenting)") are never taken for the record's own."""
    try:
        import eyecite
    except ImportError:   # pragma: no cover
        return []
    out = []
    for lo, hi in ((0, min(len(text), HEAD_CHARS + 2000)), (max(0, len(text) - TAIL_CHARS), len(text))):
        try:
            for c in eyecite.get_citations(text[lo:hi]):
                s = getattr(c, "full_span_start", None)
                e = getattr(c, "full_span_end", None)
                if s is None or e is None:
                    s, e = c.span()
                out.append((s + lo, e + lo))
        except Exception:  # noqa: BLE001  eyecite failing must not stop an ingest
            continue
    return out


def _head_end(text: str, pages: list[tuple[int, int, int]]) -> int:
    """The end of the head: the first two pages, at most HEAD_CHARS characters."""
    n = min(len(text), HEAD_CHARS)
    if len(pages) >= 2:
        ends = sorted({e for _, _, e in pages})
        second = ends[1] if len(ends) > 1 else ends[0]
        n = min(n, max(second, 3500))
    return n


def _caption_end(text: str, head_end: int) -> int:
    """Where the caption stops: the panel line, an "Appeal from" line, the counsel block or the
    opening of the body."""
    ends = [min(head_end, 2500)]
    m = re.search(r"\bBefore\s*:?\s+[A-Z]|\b(?:On\s+)?Appeal(?:ed)?\s+from\b|\bAPPEAL\s+FROM\b|\bCOUNSEL\b|"
                  r"\bON\s+APPEAL\b", text[:head_end])
    if m:
        ends.append(m.start())
    # a title paragraph in capitals (ORDER, COMPLAINT ...) after the "v." or the docket, or the
    # first paragraph of prose
    v = _V.search(text, 0, head_end) or re.search(r"\bNo\.\s*\S*\d", text[:head_end])
    for p in re.finditer(r"[^\n]+", text[:head_end]):
        para = p.group(0).strip()
        words = para.split()
        if v and p.start() > v.end() and 1 <= len(words) <= 30 and para.isupper() and _TITLE.search(para):
            ends.append(p.start())
            break
        if len(words) >= 40 and sum(w[:1].islower() for w in words) > len(words) / 2 and \
                not _V.search(para[:600]):
            ends.append(p.start())
            break
    return min(ends)


def extract_record(text: str, pages: list[tuple[int, int, int]] | None = None,
                   filename: str = "", kind: str = "") -> Record:
    """The record of a filing, from its stored ``text`` (``pages``: ``(page, start, end)``
    ranges of it, when known; ``filename`` is not read for values). ``kind`` (the document's
    kind, when known: an article has no record)."""
    rec = Record()
    if not text.strip() or kind == "article":
        return rec
    pages = pages or []
    head_end = _head_end(text, pages)
    cited = _cited_spans(text)
    rec.court, rec.court_id = extract_court(text, head_end)
    if rec.court is None:
        # not a filing (an article, a form): nothing else is read from its structure
        return rec
    cap_end = _caption_end(text, head_end)
    rec.docket = extract_dockets(text, head_end, cap_end)
    rec.date_filed, rec.date_decided = extract_dates(text, head_end, cited)
    rec.panel, panel_span = extract_panel(text, head_end)
    author, per_curiam, rec.concurring, rec.dissenting, signer = extract_judges(
        text, head_end, panel_span, cited)
    rec.per_curiam = per_curiam
    rec.author = author or (signer if per_curiam is None else None)
    if not rec.panel and rec.author:
        joined = _JOINED.search(text, rec.author.end, min(len(text), rec.author.end + 200))
        if joined:
            rec.panel = [rec.author] + _names_in(text, joined.start(1), joined.end(1))
    rec.parties = extract_parties(text, rec.court.end if rec.court.start < cap_end else 0, cap_end)
    tail = max(head_end, len(text) - TAIL_CHARS)
    floors = [panel_span[1]] if panel_span else []
    floors += [d.end for d in (rec.date_filed, rec.date_decided) if d]
    rec.counsel = extract_counsel(text, [(0, head_end), (tail, len(text))], floors)
    court_voice = kind in ("", "order", "opinion", "other") and bool(
        rec.panel or rec.author or rec.per_curiam or kind in ("order", "opinion") or _court_title(text, rec.court.end, head_end))
    separate = [x.start for x in rec.concurring + rec.dissenting]
    rec.disposition = extract_disposition(text, head_end, cited, court_voice, min(separate) if separate else None)
    if not court_voice:     # a party's filing is dated when filed; it decides nothing
        rec.date_filed = rec.date_filed or rec.date_decided
        rec.date_decided = None
    return rec


# --- catalog values and the record's own passages ----------------------------------------------

def apply_catalog(rec: Record, court: str = "", docket: str = "", date: str = "") -> Record:
    """Values a user wrote in the catalog override the extracted ones (``source="catalog"``).
    The span of the line where the text states the field, if one was found, is kept so that the
    line stays quotable; without one the span is empty (0, 0)."""
    if court:
        old = rec.court
        rec.court = Span(court, old.start if old else 0, old.end if old else 0, source="catalog")
        rec.court_id = rec.court_id if old and old.value == court else ""
    if docket:
        main = [s for s in rec.docket if not s.role]
        lower = [s for s in rec.docket if s.role]
        s0 = main[0] if main else None
        rec.docket = [Span(docket, s0.start if s0 else 0, s0.end if s0 else 0, source="catalog")] + lower
    if date:
        old = rec.date_decided or rec.date_filed
        span = Span(date, old.start if old else 0, old.end if old else 0, source="catalog")
        if rec.date_decided or not rec.date_filed:
            rec.date_decided = span
        else:
            rec.date_filed = span
    return rec


# field -> the words a question about it uses (embedded and indexed with the record's passage)
_ASKS = {
    "court": "court: which court decided the case",
    "docket": "docket number: case number",
    "date_decided": "date decided: when the case was decided",
    "date_filed": "date filed: when it was filed",
    "panel": "panel: the judges who heard the case",
    "author": "opinion author: who wrote the opinion",
    "per_curiam": "per curiam: the opinion is the court's, not signed by one judge",
    "concurring": "concurring opinion: which judge concurred",
    "dissenting": "dissenting opinion: which judge dissented",
    "parties": "parties: who the parties are",
    "counsel": "counsel: the lawyers, attorneys for",
    "disposition": "disposition: what the court did with the appeal or motion, the outcome",
}
RECORD_SECTION = "Case record"
RECORD_KIND = "record"


def record_passages(text: str, rec: Record, max_chars: int = 400) -> list[tuple[int, int, list[str]]]:
    """The record's source lines as ``(start, end, [label, ...])`` passages of ``text``, sorted,
    overlapping lines merged: the sentence or line around each value's span (the panel clause,
    the author's line, the disposition line, each counsel line, the caption's parties)."""
    items: list[tuple[int, int, str]] = []

    def line(s: Span) -> tuple[int, int]:
        if s.end - s.start >= 12 or s.end <= s.start:
            return s.start, s.end
        a, b = _sentence(text, s.start, s.end, limit=160)
        return (a, b) if b - a <= max_chars else (s.start, s.end)

    if rec.court and rec.court.end > rec.court.start:
        items.append((rec.court.start, rec.court.end, _ASKS["court"] + f": {rec.court.value}"))
    main = [s for s in rec.docket if not s.role and s.end > s.start]
    if main:
        items.append((main[0].start, main[0].end, _ASKS["docket"] + f": {main[0].value}"))
    for name in ("date_decided", "date_filed", "author", "per_curiam"):
        s = getattr(rec, name)
        if s and s.end > s.start:
            a, b = line(s) if name == "author" else (s.start, s.end)
            items.append((a, b, _ASKS[name] + f": {s.value}"))
    if rec.panel:
        a, b = line(rec.panel[0])
        b = max(b, rec.panel[-1].end)
        if b - a <= max_chars:
            items.append((a, b, _ASKS["panel"] + ": " + ", ".join(s.value for s in rec.panel)))
    for name in ("concurring", "dissenting", "counsel"):
        for s in getattr(rec, name):
            if s.end > s.start:
                label = _ASKS[name] + (f" {s.role}" if s.role else "") + f": {s.value}"
                items.append((s.start, s.end, label[:200]))
    if rec.parties:
        a, b = rec.parties[0].start, rec.parties[-1].end
        b = max(b, _ROLE.search(text, b, b + 60).end() if _ROLE.search(text, b, b + 60) else b)
        if 0 < b - a <= max_chars:
            items.append((a, b, _ASKS["parties"] + ": " + "; ".join(f"{s.role} {s.value}" for s in rec.parties)))
    if rec.disposition:
        s = rec.disposition[0]
        items.append((s.start, s.end, _ASKS["disposition"] + f": {s.value}"))
    items.sort()
    merged: list[tuple[int, int, list[str]]] = []
    for a, b, label in items:
        if merged and a < merged[-1][1]:
            pa, pb, labels = merged[-1]
            merged[-1] = (pa, max(pb, b), labels + [label])
        else:
            merged.append((a, b, [label]))
    return merged


def record_chunks(doc_id: str, text: str, rec: Record, first_index: int, page_of=None,
                  prefix: str = "") -> list:
    """One small Chunk per record passage (``record_passages``): its text is the stored text's own
    line, so a quote cut from it is verbatim; its ``context`` names the fields it states ("opinion
    author: who wrote the opinion: ...") so that a question about them finds it. Section
    ``RECORD_SECTION``, kind ``RECORD_KIND``; ids continue the document's chunk numbering."""
    from .types import Chunk, Sentence

    out = []
    for k, (a, b, labels) in enumerate(record_passages(text, rec)):
        i = first_index + k
        head = f"{prefix}. " if prefix else ""
        out.append(Chunk(id=f"{doc_id}:{i:05d}", doc_id=doc_id, index=i, start=a, end=b, text=text[a:b],
                         section=[RECORD_SECTION], page_start=page_of(a) if page_of else None,
                         page_end=page_of(max(a, b - 1)) if page_of else None,
                         sentences=[Sentence(a, b)], kinds=[RECORD_KIND],
                         context=f"{head}{RECORD_SECTION}: " + "; ".join(labels)))
    return out


def record_for(doc_id: str, text: str, pages, filename: str, meta, from_catalog: bool,
               first_index: int, page_of=None, describe=None) -> tuple[Record, list]:
    """What ingest stores: the record of a document (catalog values override it when the
    document has a catalog entry; without one, the record's court, docket and date replace the
    guessed ones in ``meta``, and are named in ``meta.inferred``) and its record chunks."""
    rec = extract_record(text, pages, filename, meta.kind)
    if from_catalog:
        apply_catalog(rec, meta.court, meta.docket, meta.date)
    else:
        main = [s for s in rec.docket if not s.role]
        for name, value in (("court", rec.court.value if rec.court else ""),
                            ("docket", main[0].value if main else ""),
                            ("date", rec.date.value if rec.date else "")):
            if value:
                setattr(meta, name, value)
                if name not in meta.inferred:
                    meta.inferred.append(name)
    prefix = describe(meta) if describe else ""
    return rec, record_chunks(doc_id, text, rec, first_index, page_of, prefix)


def record_summary(doc) -> dict[str, str]:
    """``Record.summary()`` of a stored Document (empty values when it has no record)."""
    return Record.from_dict(getattr(doc, "record", None) or {}).summary()
