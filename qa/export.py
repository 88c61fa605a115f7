"""Answers as Markdown and JSON, for "copy answer" and "export conversation" (pure functions).

``answer_markdown`` gives the answer text with its markers ``[1]``, then the sources: each quote
as a blockquote that renders as the document's own text, under a pin cite ("<title>, at 5";
the character range where no page is known) with the document's kind and voice and its path.
An abstention reads as one, and its nearest passages are listed as passages, never as citations.

``conversation_markdown`` and ``conversation_json`` export a whole chat; ``conversation_from_json``
reads the JSON back into ``Answer`` objects.
"""
from __future__ import annotations

import json
import re
from dataclasses import fields
from typing import Any, Iterable

from ingest.types import Answer, Citation, Evidence

FORMAT = "casefile-conversation"
VERSION = 1

UNSUPPORTED_MARK = "[unsupported]"           # what qa.attribute appends to an unsupported sentence

# kind/voice as a reader says it: "court order", "plaintiffs' brief", "news article"
_VOICE_WORD = {"court": "court", "plaintiffs": "plaintiffs'", "defendants": "defendants'",
               "outlet": "news"}

# --- escaping ---------------------------------------------------------------------------------

# Characters that mean something inline anywhere in a line (CommonMark + GFM tables and
# strikethrough). Each may be escaped with a backslash, which renders as the character itself.
_INLINE = re.compile(r"([\\`*_\[\]<|~])")
_ENTITY = re.compile(r"&(?=#\d{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")
_LINE_START = re.compile(r"^([#>+\-=])")               # heading, quote, list, setext underline
_ORDERED = re.compile(r"^(\d{1,9})([.)])")              # "1." or "1)" would start a list


def escape_inline(text: str) -> str:
    """Escape ``text`` (no newlines) so that Markdown renders it as exactly these characters."""
    text = _INLINE.sub(r"\\\1", text)
    return _ENTITY.sub(r"\\&", text)


def _escape_line(line: str) -> str:
    # leading blanks would make an indented code block (4+) and are not rendered anyway
    line = escape_inline(line.lstrip(" \t"))
    line = _LINE_START.sub(r"\\\1", line)
    return _ORDERED.sub(r"\1\\\2", line)


def escape_block(text: str) -> list[str]:
    """Markdown lines that render as ``text``: a single newline becomes a hard line break, a blank
    line a new paragraph, and nothing in the text can start a heading, list, quote or code."""
    out: list[str] = []
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for para in re.split(r"\n[ \t]*\n+", text.strip("\n")):
        lines = [_escape_line(x) for x in para.split("\n")]
        lines = [x for x in lines if x.strip()]
        if not lines:
            continue
        if out:
            out.append("")
        # a backslash at the end of a line is CommonMark's hard line break
        out.extend(x.rstrip() + "\\" for x in lines[:-1])
        out.append(lines[-1].rstrip())
    return out


def blockquote(text: str) -> str:
    """``text`` as a Markdown blockquote that renders as the text itself."""
    return "\n".join(f"> {x}" if x else ">" for x in escape_block(text))


def code_span(text: str) -> str:
    """``text`` as an inline code span, whatever backticks it holds."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# --- pin cites --------------------------------------------------------------------------------

def kind_voice(kind: str, voice: str) -> str:
    """'court order', "plaintiffs' brief", 'news article'; what is known of the two."""
    kind = "" if kind in ("", "other") else kind
    who = _VOICE_WORD.get(voice, voice)
    return " ".join(x for x in (who, kind) if x) or "document"


def _title(item: Citation | Evidence) -> str:
    return " ".join(item.title.split()) or item.source.rsplit("/", 1)[-1] or "Untitled document"


def _locator(item: Citation | Evidence) -> str:
    if item.page is not None:
        return f"at {item.page}"
    return f"characters {item.start}–{item.end}"


def pin_cite(item: Citation | Evidence) -> str:
    """The pin cite of a citation or passage: "<title>, at <page>" (legal convention), or the
    character range in the stored text where the page is not known. Plain text, not escaped."""
    return f"{_title(item)}, {_locator(item)}"


def _source_line(label: str, item: Citation | Evidence) -> str:
    who = kind_voice(item.kind, item.voice)
    return (f"{label} *{escape_inline(_title(item))}*, {_locator(item)} "
            f"({escape_inline(who)}) · {code_span(item.source)}")


# --- the answer text --------------------------------------------------------------------------

_MARKERS = re.compile(r"(\[\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\]|" + re.escape(UNSUPPORTED_MARK) + ")")


def _mark_unsupported(text: str, unsupported: Iterable[str]) -> str:
    """Make sure every unsupported sentence carries the mark (the engine adds it; a hand-built
    Answer may not)."""
    for sent in unsupported:
        sent = sent.strip()
        if not sent:
            continue
        i = text.find(sent)
        if i == -1:
            continue
        j = i + len(sent)
        if not text[j:].lstrip().startswith(UNSUPPORTED_MARK):
            text = text[:j] + " " + UNSUPPORTED_MARK + text[j:]
    return text


def _answer_text(text: str) -> list[str]:
    """The answer's text escaped, its citation markers kept as ``[1]`` and the unsupported mark
    shown in bold."""
    out = []
    for line in escape_block(_protect(text)):
        out.append(_restore(line))
    return out


# Markers are swapped for private-use placeholders while escaping, then put back.
_OPEN, _CLOSE = "\ue000", "\ue001"


def _protect(text: str) -> str:
    def swap(m: re.Match) -> str:
        return _OPEN + m.group(0)[1:-1] + _CLOSE
    return _MARKERS.sub(swap, text)


def _restore(line: str) -> str:
    def back(m: re.Match) -> str:
        inner = m.group(1)
        if inner == UNSUPPORTED_MARK[1:-1]:
            return r"**\[unsupported\]**"
        marker = f"[{inner}]"
        # a marker must not become a link: "[1](x)", "[1][x]" or a "[1]: x" definition
        nxt = line[m.end():m.end() + 1]
        return marker + ("\\" if nxt in ("(", "[", ":") else "")
    return re.sub(f"{_OPEN}([^{_CLOSE}]*){_CLOSE}", back, line)


# --- answers ----------------------------------------------------------------------------------

def answer_markdown(answer: Answer) -> str:
    """One answer as Markdown: text with markers, notice, then sources (or closest passages)."""
    parts: list[str] = []
    if answer.abstained:
        body = _answer_text(answer.answer or "The documents do not answer this question.")
        body[0] = "**Not in the documents:** " + body[0]
        parts.append("\n".join(body))
    else:
        text = _mark_unsupported(answer.answer, answer.unsupported)
        body = _answer_text(text) or [""]
        if answer.mode == "extractive":
            body[0] = "**Extractive answer** (the passages' own sentences; no model wrote it): " + body[0]
        elif answer.mode == "error":
            body[0] = "**Error:** " + body[0]
        parts.append("\n".join(body))
        if answer.unsupported:
            n = len(answer.unsupported)
            parts.append(f"*{n} sentence{'s' if n != 1 else ''} marked \\[unsupported\\] "
                         f"{'are' if n != 1 else 'is'} not backed by any passage and "
                         f"{'are' if n != 1 else 'is'} not cited.*")
    if answer.notice.strip():
        parts.append("*Note:* " + " ".join(escape_inline(x) for x in answer.notice.split()))

    if answer.abstained:
        if answer.evidence:
            parts.append("**Closest passages** (not citations: they do not answer the question; "
                         "judge them yourself)")
            for i, ev in enumerate(answer.evidence, start=1):
                parts.append(_source_line(f"Passage {i}:", ev))
                parts.append(blockquote(ev.text))
    elif answer.citations:
        parts.append("**Sources**")
        for c in sorted(answer.citations, key=lambda c: c.n):
            parts.append(_source_line(f"**\\[{c.n}\\]**", c))
            parts.append(blockquote(c.quote))
    return "\n\n".join(parts) + "\n"


# --- conversations ----------------------------------------------------------------------------

_META_ORDER = ("date", "model", "store")


def _meta_line(meta: dict) -> str:
    keys = [k for k in _META_ORDER if k in meta] + [k for k in meta if k not in _META_ORDER]
    items = [f"{k}: {' '.join(str(meta[k]).split())}"
             for k in keys if meta[k] not in (None, "")]
    return _escape_line(" · ".join(items)) if items else ""


def _heading_text(text: str) -> str:
    # one line; "#" escaped everywhere so a trailing "#" is not taken for a closing sequence
    return escape_inline(" ".join(text.split())).replace("#", "\\#") or "(no question)"


def conversation_markdown(turns: list[Answer], title: str = "Casefile conversation",
                          meta: dict | None = None) -> str:
    """A whole chat as Markdown: a title, the export's metadata, then each question as a heading
    followed by its answer."""
    parts = [f"# {_heading_text(title)}"]
    if meta:
        line = _meta_line(meta)
        if line:
            parts.append(line)
    for i, ans in enumerate(turns, start=1):
        parts.append(f"## {i}. {_heading_text(ans.question)}")
        parts.append(answer_markdown(ans).rstrip("\n"))
    return "\n\n".join(parts) + "\n"


def conversation_json(turns: list[Answer], meta: dict | None = None) -> str:
    """A whole chat as JSON: ``{"format", "version", "meta", "turns": [Answer.to_dict()...]}``.
    Read it back with ``conversation_from_json``. Values in ``meta`` that JSON cannot hold (a
    Path, a datetime) are written as their text."""
    doc = {"format": FORMAT, "version": VERSION, "meta": dict(meta or {}),
           "turns": [a.to_dict() for a in turns]}
    return json.dumps(doc, ensure_ascii=False, indent=1, default=str)


def _known(cls, d: dict) -> dict:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in d.items() if k in names}


def answer_from_dict(d: dict[str, Any]) -> Answer:
    """``Answer.to_dict()`` back into an Answer (fields this version does not know are ignored)."""
    d = _known(Answer, d)
    d["citations"] = [Citation(**_known(Citation, c)) for c in d.get("citations", [])]
    d["evidence"] = [Evidence(**_known(Evidence, e)) for e in d.get("evidence", [])]
    return Answer(**d)


def conversation_from_json(text: str) -> tuple[list[Answer], dict]:
    """Read ``conversation_json`` output: ``(turns, meta)``."""
    doc = json.loads(text)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError("This is not a Casefile conversation export "
                         f"(expected a JSON object with \"format\": \"{FORMAT}\").")
    return [answer_from_dict(t) for t in doc.get("turns", [])], dict(doc.get("meta") or {})
