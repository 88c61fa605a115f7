"""Clean text + blocks -> sentences and structure-aware chunks.

``split_sentences`` knows legal citation style (``v.``, ``F.3d``, ``Dkt.``, initials, ``at *1``).
``chunk_document`` walks the blocks with a heading stack, packs whole paragraphs, splits an
oversized paragraph only between sentences, and overlaps consecutive chunks of one section by
whole sentences. A chunk is always one contiguous span of the clean text.
"""
from __future__ import annotations

import re
from typing import Callable

from .clean import gc_paused as _gc_paused
from .types import Block, Chunk, Sentence

# --- sentences --------------------------------------------------------------------------------

_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_CLOSERS = "”\"’')]" + _SUPERSCRIPTS
_CANDIDATE = re.compile(r"[.?!…\n][.?!…]*[" + re.escape(_CLOSERS) + r"]*")  # class-led: fast
_OPENERS = "“\"‘'([¿¡"

# Words that end with a period but do not end a sentence (compared without the final period).
_ABBREV = {
    # case names and parties
    "v", "vs", "Inc", "Co", "Corp", "Ltd", "Bros", "Ass'n", "Ass’n", "Dep't", "Dep’t",
    "Gov't", "Gov’t", "Int'l", "Int’l", "Nat'l", "Nat’l", "Comm'n", "Comm’n", "Sch", "Dist",
    "Bd", "Ed", "Res", "Univ", "Hosp", "Mfg", "Sys", "Servs", "Tech", "Indus", "Cnty", "Twp",
    "Ins", "Fin", "Mgmt", "Envtl", "Admin", "Emps", "Auth", "Cmty", "Prods", "Transp",
    # reporters and courts
    "F", "Supp", "App'x", "App’x", "Cir", "Ct", "Cl", "Fed", "Cal", "App", "Rptr", "Ill",
    "Mich", "Tex", "Fla", "Ga", "Mass", "Pa", "Wash", "Md", "Va", "Colo", "Ariz", "Minn",
    "Wis", "Conn", "Del", "Ky", "La", "Mo", "Neb", "Nev", "Okla", "Tenn", "Vt", "Ind", "Kan",
    "Ala", "Ark", "Miss", "Mont", "Ore", "Wyo", "Cong", "Reg", "Stat", "Ann", "Rev",
    # procedure and citation words
    "No", "Nos", "Dkt", "Doc", "R", "Civ", "Crim", "Evid", "P", "Proc", "Sec", "Art", "Para",
    "Ex", "Exs", "Exh", "Decl", "Aff", "Tr", "Hr'g", "Hr’g", "Mem", "Op", "Opp", "Resp",
    "Br", "Def", "Defs", "Pl", "Pls", "Pet", "Interrog", "Req", "Prod", "Compl", "Am",
    "seq", "al", "cf", "Cf", "n", "nn", "p", "pp", "ch", "pt", "pts", "cl", "para", "paras",
    "cert", "den", "aff'd", "aff’d", "rev'd", "rev’d", "vol", "Vol", "ed", "eds",
    "approx", "ca", "etc", "viz", "Ste", "Ave", "St", "Blvd", "Rd", "Fl",
    # titles
    "Mr", "Mrs", "Ms", "Dr", "Hon", "Prof", "Jr", "Sr", "Esq", "J", "JJ", "Gen", "Rep", "Sen",
    "Gov", "Pres", "Lt", "Col", "Sgt", "Capt",
    # months
    "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
}
_DOTTED = re.compile(r"^(?:[A-Za-z0-9]{1,4}\.)+[A-Za-z0-9]{1,4}$")   # U.S, N.D, S.D.N.Y, L.Ed.2d


# after most abbreviations, these words still start a new sentence ("... in the U.S. The need")
_STARTERS = {"The", "This", "That", "These", "Those", "It", "Its", "In", "But", "And", "However",
             "We", "They", "He", "She", "A", "An", "On", "As", "If", "When", "Although",
             "Because", "Moreover", "Further", "Furthermore", "Thus", "Accordingly", "Indeed",
             "Here", "There", "Therefore", "Nor", "Yet", "Since", "While", "For", "Finally",
             "Plaintiffs", "Defendants", "Plaintiff", "Defendant", "Id."}
_NO_STARTER_SPLIT = {"v", "vs", "Mr", "Mrs", "Ms", "Dr", "Hon", "Prof", "J", "JJ", "Gen", "Rep",
                     "Sen", "Gov", "Pres", "Lt", "Col", "Sgt", "Capt", "No", "Nos", "Jan", "Feb",
                     "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "St"}


_TOKEN_LEAD = "(“\"‘[—–/"


def _is_abbreviation(text: str, dot: int) -> bool:
    """Is the period at ``dot`` the end of an abbreviation or initial (not a sentence end)?"""
    if not _abbrev_token(text, dot):
        return False
    # a common sentence opener after the abbreviation: the sentence ended there after all
    j = dot + 1
    while j < len(text) and text[j] == " ":
        j += 1
    k = j
    while k < len(text) and not text[k].isspace() and text[k] not in ",;:":
        k += 1
    word = text[j:k]
    if word in _STARTERS:
        tok = _token_before(text, dot)
        if tok not in _NO_STARTER_SPLIT and not (len(tok) == 1 and tok.isupper()):
            return False
    return True


def _token_before(text: str, dot: int) -> str:
    """The word that ends at ``dot`` (without opening brackets, quotes or dashes)."""
    lo = max(0, dot - 64)
    i = max(text.rfind(" ", lo, dot), text.rfind("\n", lo, dot))
    tok = text[(lo if i < 0 else i + 1):dot]
    for ch in _TOKEN_LEAD:
        if ch in tok:
            tok = tok[tok.rindex(ch) + 1:]
    return tok


def _abbrev_token(text: str, dot: int) -> bool:
    tok = _token_before(text, dot)
    if not tok:
        return False
    if tok in _ABBREV:
        return True
    if len(tok) == 1 and tok.isalpha() and tok.isupper():
        return True                                   # an initial: "Scott R. Drury"
    if _DOTTED.match(tok) and not tok.rsplit(".", 1)[-1].isdigit():
        return True                                   # "U.S.", "e.g.", "F.3d"... "S.D.N.Y."
    if tok.lower() in ("e.g", "i.e", "etc"):
        return True
    return False


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Sentence]:
    """Sentences of ``text[start:end]`` as offsets into ``text``, without surrounding space.

    Newlines always end a sentence (the clean text keeps them only between blocks, list items
    and signature lines).
    """
    if end is None:
        end = len(text)
    cuts: list[int] = []
    for m in _CANDIDATE.finditer(text, start, end):
        j = m.end()
        if text[m.start()] == "\n":
            cuts.append(m.start())
            continue
        if j < end and not text[j].isspace():
            continue
        while j < end and text[j] in " \t\u00a0":
            j += 1
        if j >= end or text[j] == "\n":
            cuts.append(m.end())
            continue
        nxt = text[j]
        if nxt in _OPENERS:
            k = j + 1
            while k < end and text[k] in _OPENERS:
                k += 1
            if k >= end or not (text[k].isupper() or text[k].isdigit() and nxt != "("):
                continue
        elif not nxt.isupper():
            continue                                   # lowercase, digit, "*1", "¶", "§"...
        match = m.group()
        if match[0] == "." and match.rstrip(_CLOSERS) == "." and not match.strip(".…"):
            # a bare period: abbreviations and initials do not end sentences
            if _is_abbreviation(text, m.start()):
                continue
        cuts.append(m.end())
    out: list[Sentence] = []
    pos = start
    for cut in cuts + [end]:
        s, e = pos, min(cut, end)
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append(Sentence(s, e))
        pos = max(pos, cut)
    return out


# --- chunks -----------------------------------------------------------------------------------

_SPECIAL = {"caption": ["Caption"], "signature": ["Signature"], "footnote": ["Footnotes"]}


def _nwords(text: str, s: int, e: int) -> int:
    return len(text[s:e].split())


class _Item:
    __slots__ = ("kind", "start", "end", "sentences", "words", "section", "category", "level",
                 "swords")

    def __init__(self, kind, start, end, sentences, swords, section, category, level):
        self.kind = kind
        self.start = start
        self.end = end
        self.sentences = sentences
        self.swords = swords
        self.words = sum(swords)
        self.section = section
        self.category = category
        self.level = level


def _items(text: str, blocks: list[Block]) -> list[_Item]:
    blocks = sorted((b for b in blocks if b.end > b.start), key=lambda b: b.start)
    cats = []
    for b in blocks:
        cats.append(b.kind if b.kind in ("caption", "signature", "certificate", "footnote")
                    else "body")
    # a heading takes the category of what follows it
    nxt = "body"
    for i in range(len(blocks) - 1, -1, -1):
        if blocks[i].kind == "heading":
            cats[i] = nxt
        else:
            nxt = cats[i]
    stack: list[tuple[int, str]] = []
    items: list[_Item] = []
    for b, cat in zip(blocks, cats):
        if b.kind == "heading":
            level = max(1, b.level or 1)
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, text[b.start:b.end].strip()))
            sents = [Sentence(b.start, b.end, "heading")]
        else:
            sents = split_sentences(text, b.start, b.end) or [Sentence(b.start, b.end)]
        if cat in _SPECIAL:
            section = list(_SPECIAL[cat])
        elif cat == "certificate":
            section = [h for _, h in stack] or ["Certificate"]
        else:
            section = [h for _, h in stack]
        swords = [_nwords(text, s.start, s.end) for s in sents]
        items.append(_Item(b.kind, b.start, b.end, sents, swords, section, cat,
                           b.level if b.kind == "heading" else 0))
    return items



def chunk_document(doc_id: str, text: str, blocks: list[Block], *, target_words: int = 150,
                   max_words: int = 190, overlap_sentences: int = 1,
                   page_of: Callable[[int], int | None] | None = None) -> list[Chunk]:
    """Structure-aware chunks of one document's clean text (see the module docstring)."""
    with _gc_paused():
        return _chunk(doc_id, text, blocks, target_words, max_words, overlap_sentences, page_of)


def _chunk(doc_id, text, blocks, target_words, max_words, overlap_sentences, page_of):
    if max_words < target_words:
        max_words = target_words
    items = _items(text, blocks)
    tiny = max(1, min(8, target_words // 10))
    sub_min = max(1, int(target_words * 0.4))
    chunks: list[Chunk] = []

    builder = _Builder(doc_id, text, chunks, page_of, target_words, overlap_sentences)
    for it in items:
        parts = [(s, w, it.kind, it.section) for s, w in zip(it.sentences, it.swords)]
        # structural boundaries: a new kind of text, or a new section with enough before it
        if builder.parts and builder.category is not None and it.category != builder.category:
            builder.flush(False)
        elif it.kind == "heading" and builder.content:
            if builder.content >= (tiny if it.level <= 1 else sub_min):
                builder.flush(False)
        builder.category = it.category
        if it.kind == "heading":
            builder.add(parts)
            continue
        w = it.words
        total = builder.total
        if total + w <= target_words or (total + w <= max_words and builder.content < target_words // 2):
            builder.add(parts)                         # the whole paragraph fits
            continue
        if builder.content and w <= target_words:
            builder.flush(True)                        # start a new chunk with this paragraph
            if builder.total + w > max_words:
                builder.drop_overlap()
            builder.add(parts)
            continue
        # an oversized paragraph: fill sentence by sentence, never cutting inside one
        for p in parts:
            if builder.content and builder.total + p[1] > target_words:
                builder.flush(True)
                if builder.total + p[1] > max_words:
                    builder.drop_overlap()
            builder.add([p])
    builder.flush(False, final=True)
    return chunks


class _Builder:
    """The chunk being built: (sentence, words, kind, section) parts in text order."""

    def __init__(self, doc_id, text, chunks, page_of, target_words, overlap_sentences):
        self.doc_id, self.text, self.chunks, self.page_of = doc_id, text, chunks, page_of
        self.target_words, self.overlap_sentences = target_words, overlap_sentences
        self.parts: list[tuple[Sentence, int, str, list[str]]] = []
        self.total = 0           # words in the parts
        self.content = 0         # words that are not headings
        self.category = None

    def add(self, parts) -> None:
        self.parts.extend(parts)
        for _, w, k, _ in parts:
            self.total += w
            if k != "heading":
                self.content += w

    def _reset(self, parts) -> None:
        self.parts, self.total, self.content = [], 0, 0
        self.add(parts)

    def drop_overlap(self) -> None:
        self._reset([p for p in self.parts if p[2] == "heading"])

    def flush(self, overlap: bool, final: bool = False) -> None:
        """Close the current chunk; trailing headings and the overlap carry over."""
        parts = self.parts
        trailing: list = []
        if not final:
            while parts and parts[-1][2] == "heading":
                trailing.insert(0, parts.pop())
        if not parts:
            self._reset(trailing)
            return
        self._emit(parts)
        carry: list = []
        if overlap and self.overlap_sentences > 0 and not trailing:
            tail = parts[-self.overlap_sentences:]
            if tail[0][2] != "heading" and sum(p[1] for p in tail) < self.target_words // 2:
                carry = tail
        self._reset(carry + trailing)

    def _emit(self, parts) -> None:
        text, page_of = self.text, self.page_of
        start, end = parts[0][0].start, parts[-1][0].end
        kinds: list[str] = []
        for _, _, k, _ in parts:
            if k not in kinds:
                kinds.append(k)
        section = next((sec for _, _, k, sec in parts if k != "heading"), parts[-1][3])
        index = len(self.chunks)
        self.chunks.append(Chunk(
            id=f"{self.doc_id}:{index:05d}", doc_id=self.doc_id, index=index, start=start,
            end=end, text=text[start:end], section=list(section),
            page_start=page_of(start) if page_of else None,
            page_end=page_of(max(start, end - 1)) if page_of else None,
            sentences=[Sentence(s.start, s.end, s.kind) for s, _, _, _ in parts],
            kinds=kinds))
