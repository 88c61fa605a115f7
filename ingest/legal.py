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
form in the last chunk still resolves to a full cite in the first. eyecite's Hyperscan tokenizer
finds the same citations about 4x faster than its default one, but compiling its pattern database
takes 30-60 s, so that is done once by ``python -m ingest.models`` (``build_hyperscan_cache``);
``citation_tokenizer`` uses the compiled database when it is there and loads, and eyecite's default
tokenizer otherwise: an ingest never compiles it.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import re
import threading
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from pathlib import Path

import eyecite
import eyecite.helpers as _eyecite_helpers
from eyecite.tokenizers import HyperscanTokenizer, Tokenizer, default_tokenizer
from eyecite.models import (FullCaseCitation, FullJournalCitation, FullLawCitation, IdCitation,
                            ReferenceCitation, ShortCaseCitation, SupraCitation, UnknownCitation)

# Court look-up is a pure function of its string and scans every court with a regex per call;
# memoising it gives identical results much faster.
if not hasattr(_eyecite_helpers.get_court_by_paren, "cache_info"):
    _eyecite_helpers.get_court_by_paren = functools.lru_cache(maxsize=4096)(
        _eyecite_helpers.get_court_by_paren)

_WINDOW = 12_000

# --- the tokenizer: Hyperscan when its database was compiled at setup, else eyecite's default --

HYPERSCAN_DIR = "eyecite-hyperscan"     # under Settings.models_dir


@functools.lru_cache(maxsize=1)
def _hyperscan_key() -> str | None:
    """Names the compiled database: eyecite's patterns in order (a match reports its pattern by
    index), and the versions of eyecite (how it converts them) and hyperscan (the file format).
    None when hyperscan is not installed."""
    try:
        versions = [importlib.metadata.version(p) for p in ("eyecite", "reporters-db", "hyperscan")]
    except importlib.metadata.PackageNotFoundError:
        return None
    h = hashlib.sha256("|".join(versions).encode())
    for e in HyperscanTokenizer().extractors:
        h.update(f"{int(e.flags)}:{e.regex}\0".encode())
    return h.hexdigest()[:20]


def hyperscan_cache_path(models_dir: Path) -> Path | None:
    """Where the compiled Hyperscan database lives (or would), None without hyperscan."""
    key = _hyperscan_key()
    return Path(models_dir) / HYPERSCAN_DIR / f"{key}.hsdb" if key else None


def _load_hyperscan(path: Path):
    """The database at ``path`` with a scratch space, or None if it is missing, damaged, from
    another version or CPU, or hyperscan does not import."""
    try:
        import hyperscan

        db = hyperscan.loadb(path.read_bytes(), mode=hyperscan.HS_MODE_BLOCK)
        db.scratch = hyperscan.Scratch(db)
        return db
    except Exception:  # noqa: BLE001  (any failure means: use the default tokenizer)
        return None


class PrecompiledHyperscanTokenizer(HyperscanTokenizer):
    """eyecite's HyperscanTokenizer over a database loaded from the model cache: it never
    compiles (eyecite's own ``cache_dir`` path compiles when its file is missing or invalid)."""

    def __init__(self, db):
        super().__init__()
        self._loaded = db
        self._lock = threading.Lock()     # one scratch space: one scan at a time

    @property
    def hyperscan_db(self):
        return self._loaded

    def extract_tokens(self, text):
        with self._lock:
            return iter(list(super().extract_tokens(text)))

    def _after_fork(self) -> None:
        # a fork taken while another thread scanned would leave the child a busy scratch space
        import hyperscan

        self._lock = threading.Lock()
        self._loaded.scratch = hyperscan.Scratch(self._loaded)


_TOKENIZERS: dict[Path, Tokenizer] = {}


def _reset_after_fork() -> None:
    for tok in _TOKENIZERS.values():
        if isinstance(tok, PrecompiledHyperscanTokenizer):
            tok._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def citation_tokenizer(models_dir: Path | None = None) -> Tokenizer:
    """The tokenizer eyecite should use: the precompiled Hyperscan one when ``models_dir`` (by
    default the settings' model cache) holds a database that loads, else eyecite's default.
    Loaded once per process (about 0.25 s and 64 MB); a missing database is looked for again on
    the next call, so one compiled later is picked up."""
    if models_dir is None:
        from .settings import Settings

        models_dir = Settings.from_env().models_dir
    path = hyperscan_cache_path(models_dir)
    if path is None:
        return default_tokenizer
    tok = _TOKENIZERS.get(path)
    if tok is None:
        if not path.is_file():
            return default_tokenizer
        db = _load_hyperscan(path)
        tok = _TOKENIZERS[path] = PrecompiledHyperscanTokenizer(db) if db else default_tokenizer
    return tok


def build_hyperscan_cache(models_dir: Path, log=None) -> Path | None:
    """Compile eyecite's patterns into a Hyperscan database under ``models_dir`` (30-60 s and a
    few hundred MB while compiling, 64 MB on disk), unless a loadable one is there. Written
    atomically; databases of other versions are removed. None when hyperscan is not installed."""
    import time

    from .manifest import atomic_write_bytes

    path = hyperscan_cache_path(models_dir)
    if path is None:
        return None
    if path.is_file() and _load_hyperscan(path) is not None:
        return path
    import hyperscan

    if log:
        log("Compiling eyecite's citation patterns for Hyperscan (once; 30-60 s)…")
    t = time.perf_counter()
    db = HyperscanTokenizer().hyperscan_db          # eyecite's own conversion, then compile
    atomic_write_bytes(path, hyperscan.dumpb(db))
    for old in path.parent.glob("*.hsdb"):
        if old != path:
            old.unlink(missing_ok=True)
    _TOKENIZERS.pop(path, None)
    if log:
        log(f"Citation patterns compiled in {time.perf_counter() - t:.0f} s")
    return path

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


def _items(text: str, tokenizer: Tokenizer) -> list[_Item]:
    """Every authority in ``text`` with its raw position, short forms resolved doc-wide."""
    clean, rem_pos, rem_cum = _strip_markup(text)
    raw = functools.partial(_to_raw, rem_pos=rem_pos, rem_cum=rem_cum)

    cites = []        # (clean start, clean end, citation, window index)
    for w, (ws, we) in enumerate(_windows(clean)):
        for c in eyecite.get_citations(clean[ws:we], tokenizer=tokenizer):
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

def extract_authorities_doc(text: str, spans: list[tuple[int, int]],
                            tokenizer: Tokenizer | None = None) -> list[list[str]]:
    """For each ``[start, end)`` span of ``text`` (e.g. each chunk), the authorities cited in it,
    de-duplicated, in order of appearance. Eyecite runs over the whole text once (window by
    window) and short forms resolve against the whole document. ``tokenizer``: by default
    ``citation_tokenizer()``."""
    items = _items(text, tokenizer or citation_tokenizer())
    positions = [it.pos for it in items]
    result = []
    for start, end in spans:
        seen: dict[str, None] = {}
        for it in items[bisect_left(positions, start):bisect_left(positions, end)]:
            seen.setdefault(it.text, None)
        result.append(list(seen))
    return result


def extract_authorities(text: str, tokenizer: Tokenizer | None = None) -> list[str]:
    """The case, statute, rule, docket and GDPR citations in ``text`` as short normalised
    strings, de-duplicated, in order of appearance ("Orr v. Shicker, 953 F.3d 490",
    "Fed. R. Civ. P. 26(b)(1)", "Dkt. 273", ...). Short forms and "Id." resolve to a full cite
    that appeared earlier in the same text."""
    return extract_authorities_doc(text, [(0, len(text))], tokenizer)[0]
