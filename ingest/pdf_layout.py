"""PDF pages as positioned words -> clean page text, by layout (pure functions).

The loader (``loaders.load_pdf``) reads every character with its position and font size
(pdfplumber) and hands this module plain :class:`Word` s per page. From positions alone, and the
same way for every filing, this module decides:

* **page furniture**: a line that recurs at (about) the same height on many pages, compared with
  its digits normalised (ECF headers "... Page 3 of 12", running heads, page numbers), is dropped;
  so is a lone page number (a number, roman numeral or "- 3 -", at most one short word with it)
  that is the first or last line of a page;
* **margin line numbers** of pleading paper: a column of small integers left of the text, evenly
  spaced down the page and counting up, is dropped;
* **footnotes**: lines at the bottom of a page, in a smaller font than the document's body, that
  begin with a note marker (or continue the previous page's note) are kept apart as notes;
  a raised note marker in the body becomes superscript digits (``court.¹``), as does a note's own
  label (``¹ The court…``);
* **paragraphs** from vertical gaps, first-line indents, block indents and short last lines;
  a word broken by a hyphen at a line end is joined (the hyphen kept when the document spells the
  word with one elsewhere);
* **two columns**: a band of lines split by a gutter that no line crosses, with wide text on both
  sides, is read left column first.

``layout(pages)`` returns, per page, its body paragraphs and its notes; ``render`` joins them into
one text with page ranges and the ranges of the notes.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from statistics import median

SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
PAGE_SEPARATOR = "\n\n"
PARAGRAPH_SEPARATOR = "\n\n"
SEGMENT_SEPARATOR = "\t"        # between pieces of one line set apart by a wide gap


@dataclass
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    glued: bool = False          # touches the word before it (a size change inside one word)
    raised: bool = False         # set by the layout: smaller and above its line's baseline


@dataclass
class PageWords:
    number: int
    width: float
    height: float
    words: list[Word]
    rules: list[tuple[float, float, float]] = field(default_factory=list)  # (x0, x1, y) strokes


@dataclass
class Line:
    """One run of words on one baseline; a row cut by a wide gap gives several lines."""
    words: list[Word]
    row: int = 0
    text: str = ""
    x0: float = 0.0
    x1: float = 0.0
    top: float = 0.0
    bottom: float = 0.0
    size: float = 0.0


@dataclass
class PageText:
    number: int
    body: list[str] = field(default_factory=list)     # paragraphs, lines joined by "\n"
    notes: list[str] = field(default_factory=list)    # footnotes, in page order


# --- rows and lines -----------------------------------------------------------------------------

def _dominant_size(words: list[Word]) -> float:
    by = Counter()
    for w in words:
        by[round(w.size * 2) / 2] += len(w.text)
    return by.most_common(1)[0][0] if by else 0.0


def _rows(words: list[Word]) -> list[list[Word]]:
    """Words grouped by baseline; a raised, smaller run (a note marker, "th") joins the line
    whose band holds it."""
    words = sorted(words, key=lambda w: w.bottom)
    rows: list[list[Word]] = []
    for w in words:
        if rows:
            ref = rows[-1][0]
            if w.bottom - ref.bottom <= 0.25 * max(min(w.size, ref.size), 1.0):
                rows[-1].append(w)
                continue
        rows.append([w])
    # attach rows of raised small words to the row below them whose band holds their middle
    out: list[list[Word]] = []
    i = 0
    while i < len(rows):
        row = rows[i]
        if i + 1 < len(rows):
            below = rows[i + 1]
            size_row = _dominant_size(row)
            size_below = _dominant_size(below)
            top_below = min(w.top for w in below)
            base_below = median(w.bottom for w in below)
            mid = (min(w.top for w in row) + max(w.bottom for w in row)) / 2
            if size_row < 0.88 * size_below and top_below - 1 <= mid < base_below:
                for w in row:
                    w.raised = True
                rows[i + 1] = below + row
                i += 1
                continue
        out.append(row)
        i += 1
    return out


def _join_words(words: list[Word]) -> str:
    parts: list[str] = []
    prev: Word | None = None
    for w in words:
        text = w.text
        attached = prev is not None and (w.glued or ((w.raised or prev.raised)
                                                     and w.x0 - prev.x1 < 1.5))
        if w.raised and text.isdigit() and prev is not None and attached:
            text = text.translate(SUPERSCRIPTS)
        if parts and not attached:
            parts.append(" ")
        parts.append(text)
        prev = w
    return "".join(parts)


def _lines(rows: list[list[Word]]) -> list[Line]:
    """Each row cut into lines at gaps wider than about one and a half characters' height."""
    out: list[Line] = []
    for r, row in enumerate(rows):
        row = sorted(row, key=lambda w: w.x0)
        size = _dominant_size([w for w in row if not w.raised] or row)
        cur: list[Word] = []
        for w in row:
            if cur and w.x0 - max(x.x1 for x in cur) > 1.4 * size:
                out.append(_make_line(cur, r, size))
                cur = []
            cur.append(w)
        if cur:
            out.append(_make_line(cur, r, size))
    return out


def _make_line(words: list[Word], row: int, size: float) -> Line:
    main = [w for w in words if not w.raised] or words
    return Line(words, row, _join_words(words), min(w.x0 for w in words),
                max(w.x1 for w in words), min(w.top for w in main),
                median(w.bottom for w in main), size)


# --- margin line numbers (pleading paper) -------------------------------------------------------

def _drop_margin_numbers(words: list[Word], width: float) -> list[Word]:
    """Drop a column of small integers at the left margin counting down the page evenly."""
    cands = [w for w in words if w.text.isdigit() and len(w.text) <= 2 and w.x1 < 0.25 * width]
    if len(cands) < 5:
        return words
    columns: dict[int, list[Word]] = defaultdict(list)
    for w in cands:
        columns[round(w.x1 / 4)].append(w)
    gone: set[int] = set()
    merged: dict[int, list[Word]] = {}
    for key in sorted(columns):        # neighbouring buckets are one column
        if key - 1 in merged:
            merged[key - 1].extend(columns[key])
            merged[key] = merged.pop(key - 1)
        else:
            merged[key] = list(columns[key])
    for col in merged.values():
        if len(col) < 5:
            continue
        col.sort(key=lambda w: w.top)
        values = [int(w.text) for w in col]
        steps = sum(1 for a, b in zip(values, values[1:]) if b == a + 1)
        deltas = [b.top - a.top for a, b in zip(col, col[1:])]
        md = median(deltas)
        even = md > 0 and sum(1 for d in deltas if abs(d - md) <= 0.15 * md) >= 0.7 * len(deltas)
        if steps >= 0.7 * (len(values) - 1) and even:
            right = max(w.x1 for w in col)
            # left of the text: no other word on the page ends left of the column's right edge
            if not any(w.x1 <= right and id(w) not in {id(c) for c in col} and w.x0 < right - 1
                       and not w.text.isdigit() for w in words):
                gone.update(id(w) for w in col)
    return [w for w in words if id(w) not in gone] if gone else words


# --- furniture ----------------------------------------------------------------------------------

_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
_ROMAN = re.compile(r"^[ivxlc]+$", re.IGNORECASE)


def _key(text: str) -> str:
    return _SPACE.sub(" ", _DIGITS.sub("#", text.translate(_UNSUPER))).strip().lower()


_UNSUPER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


MARGIN = 0.15      # furniture lies in the top or bottom 15 % of the page,
EDGE_ROWS = 4      # or in its first or last four rows


def _repeated(pages: list[list[Line]], heights: list[float],
              tolerance: float = 5.0) -> set[tuple[int, int]]:
    """(page index, line index) of lines at the top or bottom of their pages that recur at about
    the same height on at least 40 % of the pages (and two), compared with digits normalised."""
    n = len(pages)
    if n < 2:
        return set()
    need = max(2, -(-2 * n // 5))
    by_key: dict[str, list[tuple[float, int, int]]] = defaultdict(list)
    for p, lines in enumerate(pages):
        h = heights[p]
        rows = sorted({ln.row for ln in lines})
        edge = set(rows[:EDGE_ROWS]) | set(rows[-EDGE_ROWS:])
        for i, ln in enumerate(lines):
            if MARGIN * h < ln.top and ln.bottom < (1 - MARGIN) * h and ln.row not in edge:
                continue
            k = _key(ln.text)
            if k:
                by_key[k].append((ln.top, p, i))
    out: set[tuple[int, int]] = set()
    for occ in by_key.values():
        if len({p for _, p, _ in occ}) < need:
            continue
        occ.sort()
        lo = 0
        for hi in range(len(occ)):     # every window of heights within the tolerance
            while occ[hi][0] - occ[lo][0] > 2 * tolerance:
                lo += 1
            if len({p for _, p, _ in occ[lo:hi + 1]}) >= need:
                out.update((p, i) for _, p, i in occ[lo:hi + 1])
    return out


def _lone_page_number(text: str) -> bool:
    tokens = [t for t in re.split(r"[\s\-–—.,:|()\[\]]+", text.translate(_UNSUPER)) if t]
    if not tokens or len(tokens) > 2:
        return False
    numeric = [t for t in tokens if t.isdigit() or _ROMAN.match(t)
               or (len(t) <= 5 and any(c.isdigit() for c in t) and t[:1].isalpha()
                   and t[1:].isdigit())]
    if not numeric:
        return False
    others = [t for t in tokens if t not in numeric]
    return all(t.isalpha() and len(t) <= 4 for t in others) and \
        all(len(t) <= 4 or t.isdigit() and len(t) <= 4 for t in numeric)


# --- footnotes ----------------------------------------------------------------------------------

def _is_marker(ln: Line) -> bool:
    """Does the line begin with a note marker (a number or symbol, raised or set apart)?"""
    first = ln.words[0]
    t = first.text.translate(_UNSUPER)
    if first.raised and (t.isdigit() or t in "*†‡§"):
        return True
    return len(ln.words) > 1 and (t.isdigit() and len(t) <= 3 or t in ("*", "†", "‡", "**", "***"))


def _footnote_zone(rows: list[list[Line]], body_size: float,
                   rules: list[tuple[float, float, float]], left: float, right: float,
                   continued: bool) -> int:
    """Index of the first row of the page's footnotes (len(rows) when there are none).

    The notes are the rows at the bottom of the page in a smaller font than the body, or the
    rows under a short rule drawn from the left margin below the body (a note separator); either
    way one of them must begin with a marker, or the page must continue a note of the page
    before."""
    n = len(rows)
    if n < 2:
        return n
    k = n
    while k > 0 and all(ln.size < 0.92 * body_size for ln in rows[k - 1]):
        k -= 1
    small = k if 0 < k < n else n
    width = max(right - left, 1.0)
    ruled = n
    for x0, x1, y in sorted(rules, key=lambda r: -r[2]):
        if x0 > left + 0.1 * width or x1 - x0 > 0.7 * width:
            continue
        below = [i for i, row in enumerate(rows) if row[0].top >= y - 1]
        if below and below[0] > 0:
            ruled = below[0]
            break
    for start in sorted({small, ruled}):
        if start >= n:
            continue
        zone = rows[start:]
        if any(_is_marker(row[0]) for row in zone):
            return start
        if continued:
            return start
    return n


# --- columns ------------------------------------------------------------------------------------

def _two_columns(rows: list[list[Line]], left: float, right: float) -> list[list[Line]]:
    """Rows in reading order: inside a band of rows split by a gutter with wide text on both
    sides, the left column's rows come first."""
    width = right - left
    if width <= 0 or len(rows) < 8:
        return rows
    mid_lo, mid_hi = left + 0.3 * width, left + 0.7 * width
    # the gutter: a position in the middle third that the fewest lines cross
    best_x, best_cross = None, None
    for x in range(int(mid_lo), int(mid_hi) + 1, 2):
        cross = sum(1 for row in rows for ln in row if ln.x0 < x < ln.x1)
        if best_cross is None or cross < best_cross:
            best_x, best_cross = x, cross
    if best_x is None:
        return rows
    g = best_x

    def side(ln: Line) -> str:
        if ln.x1 <= g:
            return "L"
        if ln.x0 >= g:
            return "R"
        return "X"

    out: list[list[Line]] = []
    band: list[list[Line]] = []

    def flush():
        lefts = [ln for row in band for ln in row if side(ln) == "L"]
        rights = [ln for row in band for ln in row if side(ln) == "R"]
        wide = 0.3 * width
        if len(lefts) >= 6 and len(rights) >= 6 and \
                median(ln.x1 - ln.x0 for ln in lefts) >= wide and \
                median(ln.x1 - ln.x0 for ln in rights) >= wide:
            out.extend([ln] for ln in lefts)
            out.extend([ln] for ln in rights)
        else:
            out.extend(band)
        band.clear()

    for row in rows:
        if any(side(ln) == "X" for ln in row):
            flush()
            out.append(row)
        else:
            band.append(row)
    flush()
    return out


# --- paragraphs ---------------------------------------------------------------------------------

_SENTENCE_END = tuple(".?!:;”\"’)")


@dataclass
class _Row:
    lines: list[Line]
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


def _as_row(lines: list[Line]) -> _Row:
    lines = sorted(lines, key=lambda ln: ln.x0)
    main = max(lines, key=lambda ln: len(ln.text))
    return _Row(lines, SEGMENT_SEPARATOR.join(ln.text for ln in lines), lines[0].x0,
                lines[-1].x1, min(ln.top for ln in lines), median(ln.bottom for ln in lines),
                main.size)


def _paragraphs(rows: list[_Row], left: float, right: float, leading: dict[float, float],
                words: set[str]) -> list[str]:
    paras: list[list[_Row]] = []
    width = max(right - left, 1.0)
    for row in rows:
        if paras:
            cur = paras[-1]
            prev = cur[-1]
            if not _breaks(prev, row, len(cur) == 1, left, right, width, leading):
                cur.append(row)
                continue
        paras.append([row])
    return [_render_paragraph(p, words) for p in paras]


def _breaks(prev: _Row, row: _Row, prev_first: bool, left: float, right: float, width: float,
            leading: dict[float, float]) -> bool:
    size = max(row.size, prev.size, 1.0)
    if abs(row.size - prev.size) > 0.1 * size:
        return True
    d = row.bottom - prev.bottom
    lead = leading.get(round(prev.size * 2) / 2) or 1.2 * size
    if d > 1.45 * lead or d < 0:
        return True
    indent = 0.8 * size
    t = prev.text.rstrip()
    if row.x0 - prev.x0 > indent and row.x0 - left > indent and row.x0 < left + 0.5 * width:
        hanging = prev_first and prev.x1 > left + 0.7 * width and not t.endswith(_SENTENCE_END)
        if not hanging:
            return True                           # a first-line indent (or a block quote starts)
    if prev.x0 - row.x0 > indent and not prev_first:
        return True                               # a block quote ends
    gap_left, gap_right = prev.x0 - left, right - prev.x1
    centred = min(gap_left, gap_right) > 0.1 * width and \
        abs(gap_left - gap_right) < 0.25 * max(gap_left, gap_right)
    short = prev.x1 < left + 0.7 * width
    if centred and not t.endswith((",", ";", "-", "–", "—", "(")):
        return True
    if short and t.endswith(_SENTENCE_END) and row.text[:1].isupper():
        return True
    if short and not t.endswith((",", ";", "-", "–", "—", "(")) and row.text[:1].isupper() \
            and right - prev.x1 > 0.45 * width:
        return True
    return False


_WORD_END = re.compile(r"([A-Za-z]+)-$")
_WORD_START = re.compile(r"^([a-z]+)(\S*)")


def _render_paragraph(rows: list[_Row], words: set[str]) -> str:
    texts = [r.text for r in rows]
    for i in range(len(texts) - 1):
        a = _WORD_END.search(texts[i])
        b = _WORD_START.match(texts[i + 1])
        if not a or not b:
            continue
        head, tail = a.group(1), b.group(1)
        hyphenated = f"{head}-{tail}".lower()
        keep = hyphenated in words and f"{head}{tail}".lower() not in words
        joined = f"{head}-{b.group(1)}{b.group(2)}" if keep else f"{head}{b.group(1)}{b.group(2)}"
        texts[i] = texts[i][:a.start()] + joined
        texts[i + 1] = texts[i + 1][b.end():].lstrip()
    return "\n".join(t for t in texts if t)


# --- the document -------------------------------------------------------------------------------

def body_size(pages: list[PageWords]) -> float:
    return _dominant_size([w for p in pages for w in p.words])


def layout(pages: list[PageWords]) -> list[PageText]:
    """Every page's body paragraphs and notes, furniture left out."""
    size = body_size(pages)
    page_lines: list[list[Line]] = []
    for page in pages:
        words = _drop_margin_numbers(page.words, page.width)
        page_lines.append(_lines(_rows(words)))
    furniture = _repeated(page_lines, [p.height for p in pages])
    kept: list[list[Line]] = []
    for p, lines in enumerate(page_lines):
        keep = [ln for i, ln in enumerate(lines) if (p, i) not in furniture]
        # a lone page number as the first or last line of the page
        while keep and _lone_page_number(keep[0].text) and _alone(keep, 0):
            keep = keep[1:]
        while keep and _lone_page_number(keep[-1].text) and _alone(keep, len(keep) - 1):
            keep = keep[:-1]
        kept.append(keep)

    vocabulary = {w.text.lower().strip(".,;:()[]\"'“”’‘") for p in pages for w in p.words}
    split: list[tuple[list[list[Line]], list[list[Line]], float, float]] = []
    continued = False
    for page, lines in zip(pages, kept):
        if not lines:
            split.append(([], [], 0.0, 0.0))
            continued = False
            continue
        rows = _group_rows(lines)
        left, right = _margins(lines)
        zone = _footnote_zone(rows, size, page.rules, left, right, continued)
        body_rows, note_rows = rows[:zone], rows[zone:]
        if body_rows:
            left, right = _margins([ln for row in body_rows for ln in row])
        split.append((body_rows, note_rows, left, right))
        continued = bool(note_rows)
    body_leading = _leading([b for b, _, _, _ in split])
    note_leading = _leading([nr for _, nr, _, _ in split])
    out: list[PageText] = []
    for page, (body_rows, note_rows, left, right) in zip(pages, split):
        result = PageText(page.number)
        ordered = _two_columns(body_rows, left, right)
        result.body = _paragraphs([_as_row(r) for r in ordered], left, right, body_leading,
                                  vocabulary)
        result.notes = _notes([_as_row(r) for r in note_rows], vocabulary)
        out.append(result)
    return out


def _alone(lines: list[Line], i: int) -> bool:
    return sum(1 for ln in lines if ln.row == lines[i].row) == 1


def _group_rows(lines: list[Line]) -> list[list[Line]]:
    rows: dict[int, list[Line]] = defaultdict(list)
    for ln in lines:
        rows[ln.row].append(ln)
    return [sorted(rows[r], key=lambda ln: ln.x0) for r in sorted(rows)]


def _margins(lines: list[Line]) -> tuple[float, float]:
    xs = Counter(round(ln.x0) for ln in lines)
    top = xs.most_common(1)[0][0]
    # the text's left edge: the most common start, or a start left of it that many lines share
    left = min((x for x, c in xs.items() if c >= max(2, 0.25 * xs[top]) and x <= top), default=top)
    ends = sorted(ln.x1 for ln in lines)
    right = ends[int(0.9 * (len(ends) - 1))]
    return float(left), float(right)


def _leading(pages: list[list[list[Line]]]) -> dict[float, float]:
    """The usual distance between baselines, per font size, over rows of each page."""
    deltas: dict[float, Counter] = defaultdict(Counter)
    for rows in pages:
        for a, b in zip(rows, rows[1:]):
            sa, sb = a[0].size, b[0].size
            if abs(sa - sb) > 0.05 * max(sa, sb, 1):
                continue
            d = b[0].bottom - a[0].bottom
            if 0 < d < 3 * max(sa, 1):
                deltas[round(sa * 2) / 2][round(d)] += 1
    return {s: float(c.most_common(1)[0][0]) for s, c in deltas.items() if c}


def _notes(rows: list[_Row], words: set[str]) -> list[str]:
    notes: list[list[_Row]] = []
    for row in rows:
        if not notes or _is_marker(row.lines[0]):
            notes.append([row])
        else:
            notes[-1].append(row)
    out = []
    for note in notes:
        first = note[0]
        lead = first.lines[0].words[0]
        if lead.text.isdigit():                # the note's label, as superscript digits
            first.text = lead.text.translate(SUPERSCRIPTS) + " " + \
                _join_words(first.lines[0].words[1:]) + \
                "".join(SEGMENT_SEPARATOR + ln.text for ln in first.lines[1:])
        out.append(_render_paragraph(note, words))
    return out


def render(pages: list[PageText]) -> tuple[list[str], list[list[tuple[int, int]]]]:
    """Each page's text (paragraphs then notes, by blank lines) and its notes' ranges in it."""
    texts: list[str] = []
    ranges: list[list[tuple[int, int]]] = []
    for page in pages:
        parts: list[str] = []
        spans: list[tuple[int, int]] = []
        pos = 0
        for kind, para in [("body", b) for b in page.body] + [("note", n) for n in page.notes]:
            if parts:
                parts.append(PARAGRAPH_SEPARATOR)
                pos += len(PARAGRAPH_SEPARATOR)
            if kind == "note":
                spans.append((pos, pos + len(para)))
            parts.append(para)
            pos += len(para)
        texts.append("".join(parts))
        ranges.append(spans)
    return texts, ranges


# --- reading the pages (pdfminer.six, pdfplumber's word grouping) ------------------------------

def read_pages(data: bytes, password: str = "") -> list[PageWords | Exception]:
    """Every page's upright words, or the error that page raised.

    pdfminer.six interprets each page without its layout analysis (``laparams=None``: the
    characters with their boxes and sizes only); pdfplumber's ``extract_words`` groups them into
    words. Each word is then cut where the font size or baseline changes, so a note marker
    printed against its word (``court.1``) is a word of its own. Raises when the file cannot be
    opened at all.
    """
    import io

    from pdfminer.converter import PDFPageAggregator
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    document = PDFDocument(PDFParser(io.BytesIO(data)), password=password)
    manager = PDFResourceManager(caching=True)
    device = PDFPageAggregator(manager, laparams=None)
    interpreter = PDFPageInterpreter(manager, device)
    out: list[PageWords | Exception] = []
    for number, page in enumerate(PDFPage.create_pages(document), start=1):
        try:
            interpreter.process_page(page)
            out.append(_page_words(device.get_result(), number))
        except Exception as err:  # noqa: BLE001 - one bad page should not sink the rest
            out.append(err)
    return out


def _page_words(lt_page, number: int) -> PageWords:
    from pdfminer.layout import LTChar, LTContainer, LTCurve
    from pdfplumber.utils.text import extract_words

    x_origin, _, x_end, y_top = lt_page.bbox
    chars: list[dict] = []
    rules: list[tuple[float, float, float]] = []
    stack = [lt_page]
    while stack:
        for obj in stack.pop():
            if isinstance(obj, LTChar):
                if not obj.upright:
                    continue
                top = y_top - obj.y1
                chars.append({"text": obj.get_text(), "x0": obj.x0 - x_origin,
                              "x1": obj.x1 - x_origin, "top": top, "doctop": top,
                              "bottom": y_top - obj.y0, "upright": True, "size": obj.size})
            elif isinstance(obj, LTCurve):       # lines and rectangles are curves too
                if obj.height <= 2.5 and obj.width >= 30:
                    rules.append((obj.x0 - x_origin, obj.x1 - x_origin, y_top - obj.y1))
            elif isinstance(obj, LTContainer):
                stack.append(obj)
    words: list[Word] = []
    for w in extract_words(chars, return_chars=True) if chars else []:
        run: list[dict] = []
        first = True
        for c in w["chars"]:
            if run:
                p = run[-1]
                big = max(p["size"], c["size"], 1.0)
                if abs(p["size"] - c["size"]) > 0.12 * big or \
                        abs(p["bottom"] - c["bottom"]) > 0.2 * big:
                    words.append(_word(run, glued=not first))
                    first = False
                    run = []
            run.append(c)
        if run:
            words.append(_word(run, glued=not first))
    for w in words:          # a rule typed as underscores is a rule too
        if len(w.text) >= 8 and set(w.text) == {"_"}:
            rules.append((w.x0, w.x1, w.top))
    words = [w for w in words if not (len(w.text) >= 8 and set(w.text) == {"_"})]
    return PageWords(number, float(x_end - x_origin), float(lt_page.height), words, rules)


def _word(chars: list[dict], glued: bool) -> Word:
    text = "".join(c["text"] for c in chars)
    return Word(text, min(c["x0"] for c in chars), max(c["x1"] for c in chars),
                min(c["top"] for c in chars), max(c["bottom"] for c in chars),
                median(c["size"] for c in chars), glued=glued)
