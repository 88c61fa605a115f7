"""Raw text of a filing -> clean text, a map back to the raw text, and structural blocks.

``clean(raw)`` is pure: it removes markdown markup left by PDF-to-text conversion, mends
sentences broken by page breaks, moves page-bottom footnotes to the end, and labels each
block (heading, paragraph, list item, footnote, caption, signature, certificate).

Every character of the clean text comes from one character of the raw text
(``Cleaned.offsets``): copied characters map to themselves, a superscript made from
``<sup>1</sup>`` maps to the raw ``1``, a space or newline that joins two lines maps to the raw
line break. Nothing is invented.

Internally the text is carried as *segments* ``(s, r)``: the string ``s`` whose character ``k``
comes from raw index ``r + k``. That keeps the work linear and avoids per-character objects.
"""
from __future__ import annotations

import gc
import re
from contextlib import contextmanager
from dataclasses import dataclass

from .types import Block, Cleaned

SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_TO_SUP = str.maketrans("0123456789", SUPERSCRIPTS)
_FROM_SUP = str.maketrans(SUPERSCRIPTS, "0123456789")

Seg = tuple[str, int]

# --- line-level patterns ----------------------------------------------------------------------

_NEWLINE = re.compile(r"\r\n|[\r\n\f\v\x85\u2028\u2029]")
_RULE = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,}|={3,})$")
_HASHES = re.compile(r"(#{1,6})[ \t]+")
_CLOSING_HASHES = re.compile(r"[ \t]+#+[ \t]*$")
_QUOTE_MARK = re.compile(r"(?:>[ \t]?)+")
_BULLET = re.compile(r"([-*+•▪◦‣])[ \t]+(?=\S)")
_LEADING_WS = re.compile(r"[ \t\u00a0]+")
_PAGE_FURNITURE = re.compile(
    r"^(?:(?:Page[ \t]+)?\d{1,4}(?:[ \t]+of[ \t]+\d{1,4})?|-[ \t]*\d{1,4}[ \t]*-"
    r"|Case:?[ \t]+\S+[ \t]+Document[ \t#:]+\d+.*Page(?:[ \t]+ID)?[ \t#:]*\d+.*)$")

# --- inline markup ----------------------------------------------------------------------------

_INLINE = re.compile(
    r"(?P<esc>\\[\\`*_{}\[\]()#+\-.!<>|~\"'])"
    r"|(?P<sup><sup>[ \t]*(?P<supn>\d{1,3})[ \t]*</sup>)"
    r"|(?P<br><br[ \t]*/?>)"
    r"|(?P<tag></?(?:sup|sub|em|strong|b|i|u|span|small|mark)(?:[ \t][^>]*)?>)"
    r"|(?P<ent>&(?:amp|lt|gt|quot|nbsp|apos|#39|#8217|#8220|#8221);)"
    r"|(?P<img>!\[(?P<alt>[^\]\n]*)\]\((?P<iurl>[^()\s]+)(?:[ \t]+\"[^\"]*\")?\))"
    r"|(?P<link>\[(?P<ltext>[^\]\n]+)\]\((?P<url>[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:[ \t]+\"[^\"]*\")?\))"
    r"|(?P<stars>\*+)"
    r"|(?P<ws>[ \t\u00a0\u2000-\u200a\u202f\u3000]{2,}|[\t\u00a0\u2000-\u200a\u202f\u3000])"
)
_TRIGGER_CHARS = r"[\\<&!\[*\t\u00a0\u2000-\u200a\u202f\u3000]"
_TRIGGER = re.compile(_TRIGGER_CHARS)                       # a plain class: scanned fast
_TRIGGER_SPACES = re.compile(_TRIGGER_CHARS + "| {2,}")
_UNDERSCORE_EMPH = re.compile(r"(?<![\w\\])(_{1,3})(?=[^\s_])(.+?)(?<=[^\s_])\1(?!\w)")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&nbsp;": " ",
             "&apos;": "'", "&#39;": "'", "&#8217;": "’", "&#8220;": "“", "&#8221;": "”"}
_STAR_PAGE = re.compile(r"\bat[ \t]$")          # "at *1": a star page, not emphasis


def _add(segs: list[Seg], s: str, r: int) -> None:
    if s:
        segs.append((s, r))


def _inline(raw: str, a: int, b: int, segs: list[Seg]) -> None:
    """Append the segments of raw[a:b] with inline markup removed."""
    drop_us: set[int] = set()
    if "_" in raw[a:b]:
        for m in _UNDERSCORE_EMPH.finditer(raw, a, b):
            n = len(m.group(1))
            drop_us.update(range(m.start(1), m.start(1) + n))
            drop_us.update(range(m.end() - n, m.end()))
    pos = a
    trigger = _TRIGGER_SPACES if "  " in raw[a:b] else _TRIGGER
    for t in trigger.finditer(raw, a, b):
        if t.start() < pos:
            continue
        m = _INLINE.match(raw, t.start(), b)
        if m is None:
            continue
        s, e = m.start(), m.end()
        kind = m.lastgroup if m.lastgroup not in ("supn", "alt", "iurl", "ltext", "url") else None
        if kind is None:  # named inner group won lastgroup: find the outer one
            for k in ("sup", "img", "link"):
                if m.group(k) is not None:
                    kind = k
                    break
        if kind == "stars":
            prev = raw[s - 1] if s > a else " "
            nxt = raw[e] if e < b else " "
            if prev.isspace() and nxt.isspace():
                continue                       # a lone "*" between spaces: keep as text
            if e - s == 1 and nxt.isdigit() and _STAR_PAGE.search(raw, max(a, s - 3), s):
                continue                       # "at *1"
        _copy(raw, pos, s, drop_us, segs)
        if kind == "esc":
            _add(segs, raw[s + 1], s + 1)
        elif kind == "sup":
            ds = m.start("supn")
            _add(segs, m.group("supn").translate(_TO_SUP), ds)
        elif kind == "br":
            _add(segs, " ", s)
        elif kind == "ent":
            _add(segs, _ENTITIES[m.group()], s)
        elif kind == "img":
            if m.group("alt"):
                _inline(raw, m.start("alt"), m.end("alt"), segs)
        elif kind == "link":
            _inline(raw, m.start("ltext"), m.end("ltext"), segs)
            url = m.group("url")
            bare = re.sub(r"^(?:https?://)?(?:www\.)?", "", url).rstrip("/")
            text = m.group("ltext").strip().rstrip("/")
            if url and bare != re.sub(r"^(?:https?://)?(?:www\.)?", "", text):
                _add(segs, " ", m.end("ltext"))          # the space maps to the raw "]"
                _add(segs, raw[m.end("ltext") + 1:e], m.end("ltext") + 1)   # "(url)"
        elif kind == "ws":
            _add(segs, " ", s)
        # "stars" and "tag": dropped
        pos = e
    _copy(raw, pos, b, drop_us, segs)


def _copy(raw: str, a: int, b: int, drop: set[int], segs: list[Seg]) -> None:
    if a >= b:
        return
    if not drop:
        segs.append((raw[a:b], a))
        return
    start = a
    for i in range(a, b):
        if i in drop:
            _add(segs, raw[start:i], start)
            start = i + 1
    _add(segs, raw[start:b], start)


def _trim(segs: list[Seg]) -> list[Seg]:
    """Strip leading/trailing spaces and collapse double spaces made by dropped markup."""
    out: list[Seg] = []
    for s, r in segs:
        if out and out[-1][0].endswith(" ") and s.startswith(" "):
            k = len(s) - len(s.lstrip(" "))
            s, r = s[k:], r + k
        elif not out:
            k = len(s) - len(s.lstrip())
            s, r = s[k:], r + k
        if s:
            out.append((s, r))
    while out:
        s, r = out[-1]
        t = s.rstrip()
        if t:
            out[-1] = (t, r)
            break
        out.pop()
    return out


# --- lines and blocks -------------------------------------------------------------------------

@dataclass
class _Line:
    segs: list[Seg]
    text: str
    raw_start: int          # raw index of the line's first character
    raw_nl: int             # raw index of the line break after it (or raw end)
    md_level: int = 0
    bullet: bool = False
    strong_open: bool = False   # content starts with ** / __
    strong_close: bool = False  # content ends with ** / __
    raw_len: int = 0
    nospace: bool = False   # when mended onto the previous line: no joining space


@dataclass
class _Block:
    lines: list[_Line]
    sep_raw: int            # a raw line break before the block (for the separator chars)
    after_rule: bool = False
    kind: str = "paragraph"
    level: int = 0
    label: str = ""
    weak: bool = False      # heading only by its numbering (may still be mended away)

    @property
    def text(self) -> str:
        return " ".join(ln.text for ln in self.lines)

    @property
    def first(self) -> _Line:
        return self.lines[0]

    @property
    def last(self) -> _Line:
        return self.lines[-1]

    @property
    def strong_whole(self) -> bool:
        return self.lines[0].strong_open and self.lines[-1].strong_close

    @property
    def md_level(self) -> int:
        return self.lines[0].md_level


def _split_lines(raw: str) -> list[tuple[int, int, int]]:
    """(start, end, newline index) for every line of raw."""
    out = []
    pos = 0
    for m in _NEWLINE.finditer(raw):
        out.append((pos, m.start(), m.start()))
        pos = m.end()
    out.append((pos, len(raw), len(raw)))
    return out


def _caption_paren_cleanup(raw: str, a: int, b: int, segs: list[Seg]) -> list[Seg]:
    """Court captions drawn with ")" columns: "Consumer)<TAB>" -> "Consumer"."""
    out: list[Seg] = []
    for s, r in segs:
        if ")" not in s:
            out.append((s, r))
            continue
        start = 0
        for i, ch in enumerate(s):
            if ch == ")":
                after = raw[r + i + 1:b]
                if after == "" or after[0] == "\t" or after.strip(" \t") == "":
                    _add(out, s[start:i], r + start)
                    start = i + 1
        _add(out, s[start:], r + start)
    return out


_LINE_KIND_RULE, _LINE_BLANK, _LINE_GONE, _LINE_TEXT = range(4)


def _line(raw: str, a: int, b: int, nl: int) -> tuple[int, _Line | None]:
    text = raw[a:b]
    stripped = text.strip()
    if not stripped:
        return _LINE_BLANK, None
    if _RULE.match(stripped):
        return _LINE_KIND_RULE, None
    e = a + len(text.rstrip())
    m = _LEADING_WS.match(raw, a, e)
    s = m.end() if m else a
    md = 0
    bullet = False
    m = _HASHES.match(raw, s, e)
    if m:
        md = len(m.group(1))
        s = m.end()
        mc = _CLOSING_HASHES.search(raw, s, e)
        if mc:
            e = mc.start()
    m = _QUOTE_MARK.match(raw, s, e)
    if m:
        s = m.end()
    segs: list[Seg] = []
    m = _BULLET.match(raw, s, e)
    if m:
        bullet = True
        segs.append((m.group(1) + " ", m.start(1)))
        s = m.end()
    content = raw[s:e]
    strong_open = content.startswith(("**", "__"))
    strong_close = content.endswith(("**", "__"))
    _inline(raw, s, e, segs)
    if "\t" in text or stripped == ")":
        if text.count(")") > text.count("("):
            segs = _caption_paren_cleanup(raw, s, e, segs)
    segs = _trim(segs)
    if not segs or (bullet and len(segs) == 1 and segs[0][0].strip() in "-*+•▪◦‣"):
        return _LINE_GONE, None
    ltext = "".join(x for x, _ in segs)
    return _LINE_TEXT, _Line(segs, ltext, a, nl, md, bullet, strong_open, strong_close,
                             raw_len=len(text))


_FN_START = re.compile(r"^[⁰¹²³⁴⁵⁶⁷⁸⁹]+\s*\S")
_FN_PLAIN = re.compile(r"^(\d{1,3})\s+\S|^\[\^?(\d{1,3})\]:?\s+\S")


def _ends_sentence(text: str) -> bool:
    t = text.rstrip().rstrip(SUPERSCRIPTS + "*").rstrip()
    t = t.rstrip("”\"’'")
    return bool(t) and t[-1] in ".?!:;"


def _group_blocks(raw: str) -> list[_Block]:
    """Like _group_blocks, but mark exactly the blocks that follow a rule line."""
    blocks: list[_Block] = []
    group: list[_Line] = []
    state = {"sep": 0, "rule": False, "prev_nl": 0}

    def flush():
        if not group:
            return
        unwrapped = max(ln.raw_len for ln in group) > 150
        widest = max(len(ln.text) for ln in group)
        cur: list[_Line] = []
        sep = state["sep"]
        out: list[_Block] = []
        for ln in group:
            if cur:
                prev = cur[-1]
                new = (unwrapped or ln.bullet or ln.md_level or prev.md_level
                       or bool(_FN_START.match(ln.text))
                       or (prev.bullet and not ln.text[:1].islower())
                       or (len(group) >= 3 and len(prev.text) < 0.6 * widest
                           and len(prev.text) > 40 and _ends_sentence(prev.text)
                           and ln.text[:1].isupper()))
                if new:
                    out.append(_Block(cur, sep))
                    sep = cur[-1].raw_nl
                    cur = []
            cur.append(ln)
        if cur:
            out.append(_Block(cur, sep))
        if state["rule"]:
            for blk in out:
                blk.after_rule = True
            state["rule"] = False
        blocks.extend(out)
        group.clear()

    for a, b, nl in _split_lines(raw):
        kind, ln = _line(raw, a, b, nl)
        if kind == _LINE_TEXT:
            if not group:
                state["sep"] = state["prev_nl"]
            group.append(ln)
        elif kind != _LINE_GONE:
            flush()
            if kind == _LINE_KIND_RULE:
                state["rule"] = True
        state["prev_nl"] = nl
    flush()
    return blocks


# --- classification ---------------------------------------------------------------------------

_COURTISH = re.compile(r"\b(?:COURT|DISTRICT|DIVISION|CIRCUIT|TRIBUNAL|BANKRUPTCY|COMMONWEALTH)\b"
                       r"|^IN THE\b|^(?:UNITED STATES|STATE OF|SUPREME)\b")
_PARTYISH = re.compile(
    r"(?i),\s*(?:plaintiffs?|defendants?|petitioners?|respondents?|appellants?|appellees?)\b"
    r"|\bv\.\s|\bvs\.?\s|^in re\b|case no|civil action|docket|\bno\.:?\s*\d|\bjudge\b"
    r"|magistrate|\bhon\.|^(?:plaintiffs?|defendants?)[.,]?$|\)$")
_SIG_START = re.compile(
    r"^(?:Respectfully submitted|Dated:|DATED:|Date:|/s/|By:\s*/s/|IT IS SO ORDERED|SO ORDERED"
    r"|ENTERED|Entered:|ENTER:|Signed:)")
_CERT = re.compile(r"(?i)^certificate of (?:service|compliance|filing|word count)\b")
_NUMBERED = re.compile(r"^(?P<num>[IVXLC]{1,6}|[A-Z]|\d{1,2}|[a-z])[.)]\s+(?P<rest>\S.*)$")
_ROMAN = re.compile(r"^(?=[IVXLC])M*(?:C[MD]|D?C{0,3})(?:X[CL]|L?X{0,3})(?:I[XV]|V?I{0,3})$")
_SMALL = {"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "nor", "of",
          "on", "or", "over", "per", "the", "to", "under", "upon", "via", "with", "not", "its",
          "their", "is", "be", "was", "were", "are", "that", "than", "this", "these"}


def _words(text: str) -> list[str]:
    return text.split()


def _all_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 3 and not any(c.islower() for c in letters)


def _title_like(text: str) -> bool:
    words = [w.strip("“”\"'’‘(),.:;") for w in text.split()]
    words = [w for w in words if w and w[0].isalpha() and w.lower() not in _SMALL]
    if not words:
        return False
    caps = sum(1 for w in words if w[0].isupper())
    return caps / len(words) >= 0.7


def _numbering_level(num: str, last_letter: str) -> int:
    if num.isdigit():
        return 4
    if len(num) == 1 and num.islower():
        return 5
    if len(num) == 1 and num in "IVXLC":
        if last_letter and ord(num) == ord(last_letter) + 1:
            return 3
        if num in "IVX":
            return 2
        return 3
    if _ROMAN.match(num):
        return 2
    return 3


class _Classifier:
    def __init__(self) -> None:
        self.last_letter = ""

    def heading(self, blk: _Block) -> tuple[int, bool] | None:
        """(level, weak) if the block is a heading."""
        text = blk.text
        words = _words(text)
        if len(blk.lines) > 3 or len(text) > 260 or len(words) > 32 or blk.first.bullet:
            return None
        strong = blk.strong_whole
        md = blk.md_level
        m = _NUMBERED.match(text)
        if m and len(words) <= 30:
            rest = m.group("rest")
            marked = strong or md
            if marked or (_title_like(rest) and not rest.rstrip().endswith((",", ";"))
                          and len(re.findall(r"[.?!]\s+[A-Z]", rest)) == 0):
                level = _numbering_level(m.group("num"), self.last_letter)
                if level == 3 and len(m.group("num")) == 1:
                    self.last_letter = m.group("num")
                return level, not marked
        if md or strong:
            if len(words) > 25:
                return None
            if _all_caps(text):
                return 1, False
            if strong and text.rstrip().endswith((",", ";")):
                return None
            return (md if md else 2), False
        if _all_caps(text) and len(words) <= 12 and len(text) <= 100 \
                and not text.rstrip().endswith((".", ",", ";")):
            return 1, False
        return None


def _classify(blocks: list[_Block]) -> None:
    cls = _Classifier()
    i = 0
    n = len(blocks)
    # caption at the top of a court filing
    if blocks and _COURTISH.search(blocks[0].text):
        while i < n and i < 20:
            blk = blocks[i]
            t = blk.text
            heading_like = blk.strong_whole or blk.md_level or _all_caps(t)
            if len(_words(t)) > 60:
                break
            if heading_like and not _COURTISH.search(t) and not _PARTYISH.search(t):
                break                                   # the document's title
            blk.kind = "caption"
            i += 1
        if i < n and blocks[i].kind != "caption" and len(_words(blocks[i].text)) <= 60:
            title = blocks[i]
            if title.strong_whole or title.md_level or _all_caps(title.text):
                title.kind, title.level = "heading", 1
                i += 1
    elif blocks and len(blocks) > 1:
        first = blocks[0]
        t = first.text
        nxt = blocks[1].text
        last = t.split()[-1].lower() if t.split() else ""
        if len(first.lines) == 1 and len(t) <= 200 and len(_words(t)) <= 25 \
                and not t.rstrip().endswith((".", ",", ";", ":")) \
                and not first.first.bullet and not _FN_START.match(t) \
                and (first.md_level or first.strong_whole or _title_like(t)
                     or re.search(r"\s[•|–—-]\s", t)) \
                and last not in _CONTINUES and not nxt[:1].islower() and not nxt[:1].isdigit():
            first.kind, first.level = "heading", 1
            i = 1
    state = "body"
    fn_zone = False
    for blk in blocks[i:]:
        t = blk.text
        # footnotes
        m = _FN_START.match(t)
        mp = _FN_PLAIN.match(t) if (blk.after_rule or fn_zone) else None
        if m or mp:
            blk.kind = "footnote"
            if m:
                blk.label = re.match(r"[⁰¹²³⁴⁵⁶⁷⁸⁹]+", t).group().translate(_FROM_SUP)
            else:
                blk.label = mp.group(1) or mp.group(2)
            fn_zone = True
            continue
        fn_zone = False
        if _CERT.match(t) and len(_words(t)) <= 8:
            blk.kind, blk.level = "heading", 1
            state = "certificate"
            continue
        if state == "certificate":
            blk.kind = "certificate"
            continue
        if state == "body" and _SIG_START.match(t) and len(_words(t)) <= 40:
            state = "signature"
        if state == "signature":
            if len(_words(t)) <= 60 and not (blk.md_level and not _SIG_START.match(t)):
                blk.kind = "signature"
                continue
            state = "body"
        h = cls.heading(blk)
        if h:
            blk.kind = "heading"
            blk.level, blk.weak = h
            continue
        blk.kind = "list_item" if blk.first.bullet else "paragraph"


# --- mending page breaks ----------------------------------------------------------------------

_CONTINUES = {
    "a", "an", "the", "and", "or", "nor", "but", "of", "to", "at", "in", "on", "for", "by",
    "with", "from", "that", "which", "who", "whom", "whose", "as", "than", "is", "are", "was",
    "were", "be", "been", "not", "its", "their", "his", "her", "our", "your", "this", "these",
    "those", "v.", "vs.", "see", "see,", "e.g.,", "i.e.,", "cf.", "and/or", "under", "into",
    "between", "because", "if", "when", "where", "whether", "including", "such", "no.", "nos.",
    "about", "upon", "over", "via", "per", "both", "either", "any", "all", "each", "more",
    "less", "would", "could", "should", "will", "shall", "may", "might", "must", "can", "has",
    "have", "had", "do", "does", "did", "it", "they", "we", "he", "she", "also", "only", "so",
    "then", "there", "here", "after", "before", "during", "without", "within", "against",
    "among", "through", "toward", "towards", "while", "although", "though", "unless", "until",
    "since", "¶", "§", "§§", "¶¶",
}


# abbreviations that end with a period but usually run on into a number ("U.S.\n\n20")
_BEFORE_NUMBER = {"no.", "nos.", "u.s.", "f.", "f.2d", "f.3d", "f.4th", "s.ct.", "supp.", "dkt.",
                  "ill.", "cir.", "p.", "pp.", "n.", "nn.", "id.", "ex.", "art.", "sec.", "vol."}


# a memo's or letter's header field ("Re: Scheduling in In re Acme Data Litigation"): a line of its own
_HEADER_FIELD = re.compile(r"(?:re|subject|subj|to|from|cc|bcc|date|attn|attention)\s*:", re.IGNORECASE)


def _should_join(p: _Block, nb: _Block) -> bool:
    if p.kind != "paragraph":
        return False
    if len(p.lines) == 1 and _HEADER_FIELD.match(p.first.text):
        return False
    if nb.kind == "heading":
        if not nb.weak:
            return False
    elif nb.kind != "paragraph":
        return False
    pt = p.last.text.rstrip()
    nt = nb.first.text
    if not pt or not nt:
        return False
    first = nt[0]
    if first in ",;:.)]":
        return True
    core = pt.rstrip(SUPERSCRIPTS).rstrip()
    last_word = core.split()[-1].lower() if core.split() else ""
    if core.endswith((",", "—", "–", "-", "(")) or last_word in _CONTINUES:
        return True
    terminal = _ends_sentence(pt)
    if first.isdigit() and last_word in _BEFORE_NUMBER:
        return True
    if first.islower():
        return True
    if first.isdigit() or first in "(“\"‘'[§¶":
        return not terminal
    if nb.kind == "paragraph" and not terminal and core[-1:].isalnum() and len(_words(p.text)) >= 5:
        return True
    return False


def _mend(blocks: list[_Block]) -> tuple[list[_Block], list[_Block]]:
    body: list[_Block] = []
    notes: list[_Block] = []
    for blk in blocks:
        if blk.kind == "footnote":
            notes.append(blk)
            continue
        if body and _should_join(body[-1], blk):
            p = body[-1]
            if blk.first.text[0] in ",;:.)]":
                blk.first.nospace = True
            p.lines.extend(blk.lines)
            continue
        if blk.kind == "heading" and blk.weak and body and body[-1].kind == "paragraph" \
                and not _ends_sentence(body[-1].last.text):
            blk.kind, blk.level = "paragraph", 0    # broken sentence, not a heading
        body.append(blk)
    return body, notes


# --- rendering --------------------------------------------------------------------------------

def _render(body: list[_Block], notes: list[_Block], raw_len: int) -> Cleaned:
    parts: list[str] = []
    offs: list[int] = []
    out_blocks: list[Block] = []
    pos = 0
    prev_kind = None
    for blk in body + notes:
        if prev_kind is not None:
            sep = "\n" if (prev_kind == "list_item" and blk.kind == "list_item") else "\n\n"
            parts.append(sep)
            offs.extend([blk.sep_raw] * len(sep))
            pos += len(sep)
        start = pos
        if blk.kind == "signature":
            joiner = "\n"
        elif blk.kind == "certificate":
            joiner = "\n" if max(len(ln.text) for ln in blk.lines) < 80 else " "
        else:
            joiner = " "
        prev_line = None
        for ln in blk.lines:
            if prev_line is not None and not ln.nospace:
                parts.append(joiner)
                offs.append(prev_line.raw_nl)
                pos += 1
            for s, r in ln.segs:
                parts.append(s)
                offs.extend(range(r, r + len(s)))
                pos += len(s)
            prev_line = ln
        out_blocks.append(Block(blk.kind, start, pos, blk.level if blk.kind == "heading" else 0,
                                blk.label))
        prev_kind = blk.kind
    offs.append(raw_len)
    return Cleaned("".join(parts), offs, out_blocks)


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector: these functions make millions of small acyclic
    objects, and its repeated full scans would make the run superlinear. Restored after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def clean(raw: str) -> Cleaned:
    """Clean the raw text of one document. Pure; linear in the size of ``raw``."""
    with gc_paused():
        blocks = _group_blocks(raw)
        _classify(blocks)
        body, notes = _mend(blocks)
        return _render(body, notes, len(raw))
