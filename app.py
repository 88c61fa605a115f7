#!/usr/bin/env python
"""Casefile in the browser: ask questions about the case file, read quoted and cited answers.

    python app.py [--host 127.0.0.1] [--port 7860] [--home DIR] [--auth-file FILE]

The chat shows the evidence first, then streams the answer; every quote is cut from the stored
document text by ``qa`` (this file only renders what ``qa`` and ``ingest`` return). Tabs: Ask,
Documents (list, upload, delete), Evaluation (run a QA test set).
"""
from __future__ import annotations

import argparse
import html
import ipaddress
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import ingest  # noqa: F401  (offline mode and telemetry off before Gradio is imported)
from ingest.errors import CasefileError
from ingest.loaders import SUPPORTED
from ingest.settings import Settings, SettingsError
from ingest.types import Answer, DocHead, Document
from qa.engine import Engine, QuestionError
from qa.export import answer_markdown, conversation_json, conversation_markdown
from ingest.record import record_summary
from qa.retrieve import Filters
from qa.suggest import example_questions

import gradio as gr  # noqa: E402

UPLOAD_TYPES = sorted(SUPPORTED)
KIND_LABEL = {"order": "Court order", "opinion": "Court opinion", "brief": "Brief", "motion": "Motion",
              "article": "News article", "other": "Document"}
VOICE_LABEL = {"court": "the court", "plaintiffs": "plaintiffs", "defendants": "defendants",
               "outlet": "journalist"}
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
TOKEN_REFRESH_S = 0.2          # how often the streamed answer is redrawn


# --- labels ---------------------------------------------------------------------------------------

def badge(kind: str, voice: str) -> str:
    """ "Court order · the court", "Brief · plaintiffs", "News article · journalist"."""
    k = KIND_LABEL.get(kind, (kind or "document").capitalize())
    v = VOICE_LABEL.get(voice, voice)
    return f"{k} · {v}" if v else k


def badge_html(kind: str, voice: str) -> str:
    return f'<span class="cf-badge cf-v-{esc(voice or "none")}">{esc(badge(kind, voice))}</span>'


def where(page: int | None, start: int, end: int) -> str:
    return f"p. {page}" if page else f"chars {start:,}–{end:,}"


def esc(s) -> str:
    return html.escape(str(s), quote=True)


# --- pure rendering helpers -------------------------------------------------------------------------

def context_window(text: str, start: int, end: int, width: int = 300) -> tuple[str, str, str, bool, bool]:
    """The paragraph around ``text[start:end]``: (before, quote, after, cut_before, cut_after),
    at most ``width`` characters either side, cut at a word."""
    p0 = text.rfind("\n\n", 0, start)
    p0 = 0 if p0 < 0 else p0 + 2
    p1 = text.find("\n\n", end)
    p1 = len(text) if p1 < 0 else p1
    cut0 = cut1 = False
    if start - p0 > width:
        p0 = start - width
        sp = text.find(" ", p0, start)
        p0 = sp + 1 if sp >= 0 else p0
        cut0 = True
    if p1 - end > width:
        p1 = end + width
        sp = text.rfind(" ", end, p1)
        p1 = sp if sp > end else p1
        cut1 = True
    return text[p0:start], text[start:end], text[end:p1], cut0, cut1


def quote_in_context_html(text: str, start: int, end: int, width: int = 300) -> str:
    before, quote, after, c0, c1 = context_window(text, start, end, width)
    return (('…' if c0 else '') + esc(before) + f'<mark>{esc(quote)}</mark>' + esc(after)
            + ('…' if c1 else ''))


_MARKER = re.compile(r"\[(\d{1,3})\]")


def answer_text_html(ans: Answer, turn: int) -> str:
    """The answer with clickable markers; sentences nothing supports are visibly marked."""
    text = esc(ans.answer)
    for sent in ans.unsupported:
        marked = esc(sent) + " [unsupported]"
        text = text.replace(marked, f'<span class="cf-unsupported" title="No passage in the documents '
                                    f'supports this sentence">{esc(sent)}</span>'
                                    f'<span class="cf-flag">not supported by the documents</span>', 1)
    known = {c.n for c in ans.citations}
    return _MARKER.sub(lambda m: (f'<a href="#" class="cf-marker" data-turn="{turn}" data-cite="{m.group(1)}" '
                                  f'title="Open the quoted passage">{m.group(1)}</a>')
                       if int(m.group(1)) in known else m.group(0), text)


def draft_html(text: str) -> str:
    """The model's words as they arrive: not yet checked, so shown as a draft without links."""
    return esc(text)


@dataclass
class Turn:
    """One exchange as shown: the question, then whatever has arrived so far."""
    question: str
    answer: Answer | None = None      # evidence-only while streaming, final when done
    draft: str = ""
    done: bool = False
    error: str = ""


def citation_card(c, doc_text: str | None, turn: int) -> str:
    body = (quote_in_context_html(doc_text, c.start, c.end) if doc_text is not None
            else f'<mark>{esc(c.quote)}</mark>')
    return (f'<div class="cf-card" data-turn="{turn}" data-cite="{c.n}" title="Open in the document">'
            f'<div class="cf-card-head"><span class="cf-num">{c.n}</span> {badge_html(c.kind, c.voice)} '
            f'<span class="cf-title">{esc(c.title)}</span> <span class="cf-where">{esc(where(c.page, c.start, c.end))}</span></div>'
            f'<div class="cf-context">{body}</div></div>')


def evidence_item(e, i: int, turn: int) -> str:
    text = e.text if len(e.text) <= 420 else e.text[:400].rsplit(" ", 1)[0] + " …"
    section = f' <span class="cf-where">{esc(e.section)}</span>' if e.section else ""
    return (f'<li class="cf-ev" data-turn="{turn}" data-ev="{i}" title="Open in the document">'
            f'{badge_html(e.kind, e.voice)} <span class="cf-title">{esc(e.title)}</span> '
            f'<span class="cf-where">{esc(where(e.page, e.start, e.end))}</span>{section}'
            f'<div class="cf-ev-text">{esc(text)}</div></li>')


def turn_html(t: Turn, i: int, texts: dict[str, str]) -> str:
    q = f'<div class="cf-q">{esc(t.question)}</div>'
    if t.error:
        return q + f'<div class="cf-a cf-error" role="alert"><b>Could not answer.</b> {esc(t.error)}</div>'
    a = t.answer
    if a is None:
        return q + '<div class="cf-a cf-pending"><span class="cf-status">Searching the documents…</span></div>'
    ev = "".join(evidence_item(e, j, i) for j, e in enumerate(a.evidence))
    n_ev = len(a.evidence)
    if not t.done:
        status = (f'<span class="cf-status">Read {n_ev} passage{"s" * (n_ev != 1)} · '
                  + ("writing the answer (a draft until it is checked against the sources)…"
                     if t.draft else "waiting for the model…") + '</span>')
        draft = f'<div class="cf-draft">{draft_html(t.draft)}</div>' if t.draft else ""
        return (q + f'<div class="cf-a cf-pending">{status}{draft}'
                f'<details class="cf-evidence" open><summary>Passages found ({n_ev})</summary>'
                f'<ol>{ev}</ol></details></div>')
    cls = "cf-abstained" if a.abstained else ("cf-extractive" if a.mode == "extractive" else "cf-answered")
    label = ("Not in the documents" if a.abstained else
             "Extractive answer (the model is unavailable)" if a.mode == "extractive" else "Answer")
    notice = f'<div class="cf-notice">{esc(a.notice)}</div>' if a.notice else ""
    cards = "".join(citation_card(c, texts.get(c.doc_id), i) for c in a.citations)
    cards = f'<div class="cf-cards">{cards}</div>' if cards else ""
    ev_title = "Closest passages" if a.abstained else "All passages read"
    evidence = (f'<details class="cf-evidence"{" open" if a.abstained else ""}><summary>{ev_title} ({n_ev})'
                f'</summary><ol>{ev}</ol></details>') if n_ev else ""
    timing = a.timings.get("total_s")
    foot = (f'<div class="cf-foot"><button class="cf-copy" type="button">Copy answer with quotes</button>'
            f'<span>{esc(a.model or "no model")}'
            + (f' · {timing:.1f} s' if isinstance(timing, (int, float)) else "")
            + f'</span><textarea class="cf-md" hidden>{esc(answer_markdown(a))}</textarea></div>')
    return (q + f'<div class="cf-a {cls}"><div class="cf-label">{label}</div>'
            f'<div class="cf-text">{answer_text_html(a, i)}</div>{notice}{cards}{evidence}{foot}</div>')


def conversation_html(turns: list[Turn], texts: dict[str, str], examples: list[str] = ()) -> str:
    """The chat so far; empty, a welcome with ``examples`` (made from the store) to click."""
    if not turns:
        ex = "".join(f'<button type="button" class="cf-example" data-example="{esc(e)}">{esc(e)}</button>'
                     for e in examples)
        return ('<div class="cf-empty"><p>Ask a question about the case file. Casefile answers from the '
                'documents only, quotes the passages it relies on, and says so when the documents '
                'do not answer.</p><div class="cf-examples">' + ex + '</div></div>')
    return "".join(f'<div class="cf-turn" id="cf-turn-{i}">{turn_html(t, i, texts)}</div>'
                   for i, t in enumerate(turns))


def source_html(doc: Document | None, start: int = 0, end: int = 0, heading: str = "") -> str:
    """The whole stored document with the passage highlighted and page numbers in the margin."""
    if doc is None:
        return ('<div class="cf-viewer-empty">Click a numbered marker, a citation or a passage to open '
                'the document here, with the quoted passage highlighted.</div>')
    m = doc.meta
    facts = " · ".join(x for x in (m.court, m.docket, m.date) if x)
    text = doc.text
    inserts: list[tuple[int, int, str]] = [(p0, 0, f'<span class="cf-page">page {n}</span>')
                                           for n, p0, _ in doc.pages if len(doc.pages) > 1]
    if end > start:
        inserts += [(start, 1, '<mark class="cf-hit">'), (end, -1, '</mark>')]
    inserts.sort(key=lambda x: (x[0], x[1]))
    out, pos = [], 0
    for at, _, tag in inserts:
        out.append(esc(text[pos:at]))
        out.append(tag)
        pos = at
    out.append(esc(text[pos:]))
    page = doc.page_at(start) if end > start else None
    loc = f' · {esc(where(page, start, end))}' if end > start else ""
    return (f'<div class="cf-viewer-head">{badge_html(m.kind, m.voice)} <b>{esc(m.title or doc.source)}</b>'
            f'<div class="cf-where">{esc(facts)}{loc} · <code>{esc(doc.source)}</code></div>'
            + (f'<div class="cf-where">{esc(heading)}</div>' if heading else "")
            + f'</div><div class="cf-doc">{"".join(out)}</div>')


# --- inputs ---------------------------------------------------------------------------------

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def parse_date(value: str, end_of_period: bool, label: str) -> str:
    v = (value or "").strip()
    if not v:
        return ""
    if not _DATE.match(v):
        raise QuestionError(f"The {label} date {v!r} is not a date: write it as YYYY, YYYY-MM or YYYY-MM-DD.")
    if len(v) == 4:
        return v + ("-12-31" if end_of_period else "-01-01")
    if len(v) == 7:
        return v + ("-31" if end_of_period else "-01")
    return v


def make_filters(doc_ids, kinds, voices, date_from: str, date_to: str, courts=(), dispositions=()) -> Filters | None:
    f = Filters(doc_ids=tuple(doc_ids or ()), kinds=tuple(kinds or ()), voices=tuple(voices or ()),
                date_from=parse_date(date_from, False, "from"), date_to=parse_date(date_to, True, "to"),
                courts=tuple(courts or ()), dispositions=tuple(dispositions or ()))
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise QuestionError("The date range is empty: the “from” date is after the “to” date.")
    return f if f.active() else None


def read_auth(path: str | None, env: str | None) -> list[tuple[str, str]]:
    """Logins from a file (``user:password`` per line, ``#`` comments) or CASEFILE_AUTH
    (``user:password`` pairs separated by commas)."""
    lines: list[str] = []
    if path:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise SettingsError(f"Cannot read the login file {path}: {exc.strerror or exc}.") from exc
    elif env:
        lines = env.split(",")
    pairs = []
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, password = line.partition(":")
        if not sep or not user.strip() or not password:
            raise SettingsError(f"Login entry {n} is not `user:password` (in {path or 'CASEFILE_AUTH'}).")
        pairs.append((user.strip(), password))
    if (path or env) and not pairs:
        raise SettingsError(f"No logins found in {path or 'CASEFILE_AUTH'}.")
    return pairs


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def safe_upload_name(name: str) -> str:
    base = Path(name).name
    stem = re.sub(r"[^A-Za-z0-9._ -]+", "_", Path(base).stem).strip(" ._") or "document"
    return stem[:120] + Path(base).suffix.lower()


# --- the application ------------------------------------------------------------------------

class Casefile:
    """What the UI needs from ``qa`` and ``ingest``; one per server, shared by all sessions."""

    def __init__(self, settings: Settings, engine: Engine | None = None):
        self.settings = settings
        self.engine = engine or Engine(settings)
        self.uploads = settings.home / "uploads"
        self.exports = Path(tempfile.gettempdir()) / "casefile-exports"
        self.ingest_lock = threading.Lock()

    # store
    def documents(self) -> Mapping[str, Document]:
        """doc_id -> whole document, each read from the store when asked for."""
        try:
            return self.engine.index.refresh().docs
        except CasefileError:
            return {}

    def heads(self) -> dict[str, DocHead]:
        """doc_id -> the document's metadata and record (what lists and filters show)."""
        try:
            return self.engine.index.refresh().heads
        except CasefileError:
            return {}

    def examples(self) -> list[str]:
        return example_questions(self.heads().values())

    def texts(self, turns: list[Turn]) -> dict[str, str]:
        docs = self.documents()
        ids = {c.doc_id for t in turns if t.answer for c in t.answer.citations}
        return {i: docs[i].text for i in ids if i in docs}

    def status_html(self) -> str:
        docs = self.heads()
        n_chunks = sum(d.n_chunks for d in docs.values())
        model = self.engine.model_name()
        return (f'<div class="cf-status-line"><b>Casefile</b> · answers only from your documents, '
                f'with the quoted passages · Model: <code>{esc(model)}</code> · Store: '
                f'<code>{esc(self.settings.home)}</code> ({len(docs)} document{"s" * (len(docs) != 1)}, '
                f'{n_chunks} passages)</div>')

    def doc_choices(self) -> list[tuple[str, str]]:
        return sorted(((f"{d.meta.title or d.source} ({badge(d.meta.kind, d.meta.voice)})", d.doc_id)
                       for d in self.heads().values()), key=lambda x: x[0].lower())

    def facet(self, attr: str) -> list[tuple[str, str]]:
        """Filter choices: a metadata field's values, or (``disposition``) the records' dispositions."""
        get = (lambda d: record_summary(d)["disposition"]) if attr == "disposition" else \
            (lambda d: getattr(d.meta, attr))
        values = sorted({get(d) for d in self.heads().values() if get(d)})
        labels = KIND_LABEL if attr == "kind" else VOICE_LABEL
        return [(labels.get(v, v), v) for v in values]

    def table(self) -> list[list]:
        manifest = self.engine.index.store.manifest()
        rows = []
        for d in sorted(self.heads().values(), key=lambda d: (d.meta.date or "", d.meta.title)):
            m, rec = d.meta, record_summary(d)
            entry = manifest.entries.get(d.doc_id)
            rows.append([m.title or d.source, KIND_LABEL.get(m.kind, m.kind), VOICE_LABEL.get(m.voice, m.voice),
                         m.court, m.date, m.docket, rec["judges"], rec["disposition"],
                         d.n_pages or "", d.n_chunks, d.source,
                         ("inferred: " + ", ".join(m.inferred)) if m.inferred else "catalog",
                         entry.updated if entry else ""])
        return rows

    # asking
    def ask(self, question: str, turns: list[Turn], filters: Filters | None):
        """Yield the turns to show as the answer arrives; the last one is final."""
        turn = Turn(question=question.strip() or "(no question)")
        turns = turns + [turn]
        history = [(t.question, t.answer.answer) for t in turns[:-1] if t.done and t.answer and not t.error]
        yield turns
        last = 0.0
        try:
            for ev in self.engine.stream(question, history, filters):
                if ev.kind == "evidence":
                    turn.answer = ev.answer
                    yield turns
                elif ev.kind == "token":
                    turn.draft = ev.text
                    if time.monotonic() - last > TOKEN_REFRESH_S:
                        last = time.monotonic()
                        yield turns
                elif ev.kind == "final":
                    turn.answer, turn.done, turn.draft = ev.answer, True, ""
        except CasefileError as exc:                     # an empty question, no store, a bad model
            turn.error = str(exc)
        except Exception as exc:                         # a bug: say so, keep the conversation
            traceback.print_exc()
            turn.error = f"Something went wrong ({type(exc).__name__}: {exc}). The conversation is kept; try again."
        if not turn.done and not turn.error:
            turn.error = "The answer stopped before it was complete. Try again."
        yield turns

    def export_files(self, session: str, turns: list[Turn]) -> tuple[str | None, str | None]:
        answers = [t.answer for t in turns if t.done and t.answer]
        if not answers:
            return None, None
        folder = self.exports / session
        folder.mkdir(parents=True, exist_ok=True)
        meta = {"model": answers[-1].model, "store": str(self.settings.home),
                "exported": time.strftime("%Y-%m-%d %H:%M:%S")}
        md, js = folder / "casefile-conversation.md", folder / "casefile-conversation.json"
        md.write_text(conversation_markdown(answers, meta=meta), encoding="utf-8")
        js.write_text(conversation_json(answers, meta=meta), encoding="utf-8")
        return str(md), str(js)

    # documents
    def add_files(self, paths: list[str]) -> tuple[str, bool]:
        """Copy uploads into the data directory and ingest them; returns (report, changed)."""
        from ingest.pipeline import run

        lines, keep = [], []
        self.uploads.mkdir(parents=True, exist_ok=True)
        for p in paths:
            src = Path(p)
            name = safe_upload_name(getattr(p, "orig_name", None) or src.name)
            if Path(name).suffix not in SUPPORTED:
                lines.append(f"✗ {name}: files of type “{Path(name).suffix or 'none'}” cannot be used; "
                             f"upload {', '.join(UPLOAD_TYPES)}.")
                continue
            dst = self.uploads / name
            shutil.copyfile(src, dst)
            keep.append(dst)
        if not keep:
            return "\n".join(lines) or "Choose one or more files first.", False
        with self.ingest_lock:
            report = run(keep, settings=self.settings, embedder=self.engine.index.embedder, progress=True,
                         log=lambda msg: lines.append(msg))
        changed = False
        for r in report.results:
            name = Path(r.source).name
            if r.status == "failed":
                lines.append(f"✗ {name}: {r.message}. Nothing else in the store was changed.")
                (self.uploads / name).unlink(missing_ok=True)    # not retried at every start
            elif r.status in ("added", "updated"):
                changed = True
                note = f" (note: {r.message})" if r.message else ""
                lines.append(f"✓ {name}: {r.status}, {r.chunks} passages{note}. You can ask about it now.")
            elif r.status == "unchanged":
                lines.append(f"= {name}: already in the store, unchanged.")
        return "\n".join(lines), changed

    def delete(self, doc_id: str) -> str:
        from ingest.pipeline import remove_document

        with self.ingest_lock:
            entry = remove_document(doc_id, self.settings)
        path = Path(entry.path)
        if path.parent == self.uploads.resolve() or path.parent == self.uploads:
            path.unlink(missing_ok=True)
            return f"Deleted “{entry.title or entry.source}” ({entry.n_chunks} passages) and its uploaded file."
        return (f"Deleted “{entry.title or entry.source}” ({entry.n_chunks} passages) from the store. "
                f"Its file {entry.source} was left in place and will not be ingested again unless you "
                f"upload it or run `python -m ingest {entry.source}`.")

    def prepare(self, progress: bool = True) -> None:
        """Ingest the corpus and earlier uploads when they changed (a second when nothing did)."""
        from ingest.pipeline import run

        roots = [p for p in (self.settings.corpus, self.uploads) if p.exists()]
        if not roots:
            return
        report = run(roots, settings=self.settings, progress=progress)
        for r in report.failed:
            print(f"! {r.source}: {r.message}", file=sys.stderr)
        if any(r.status in ("added", "updated", "removed") for r in report.results):
            print(f"Ingested: {report.summary()}", file=sys.stderr)

    def warm(self) -> None:
        """Load the embedding model and the answering model before the first question."""
        try:
            self.engine.index.embedder.embed_query("warm up")
            backend = self.engine.backend
            if hasattr(backend, "load"):
                backend.load()
        except CasefileError as exc:
            print(f"warning: {exc}", file=sys.stderr)


# --- Gradio ---------------------------------------------------------------------------------

def theme():
    """Gradio's default look with its complete bold face: the semibold (600) font file Gradio ships
    holds 55 glyphs (no capitals after "B"), so bold capitals fell back letter by letter to another
    font ("ᴀNSWER", "MEMORᴀNDUM"), and so with the monospace one; with faces at 400 and 700 only,
    bold text takes the 700 one."""
    from gradio.themes.utils.fonts import LocalFont
    return gr.themes.Default(font=(LocalFont("Source Sans Pro", weights=(400, 700)),
                                   "ui-sans-serif", "system-ui", "sans-serif"),
                             font_mono=(LocalFont("IBM Plex Mono", weights=(400, 700)),
                                        "ui-monospace", "Consolas", "monospace"))


CSS = """
.cf-status-line{font-size:.9em;color:var(--body-text-color-subdued);padding:2px 0 6px}
.cf-status-line code{font-size:.95em}
#cf-conversation{min-height:420px;max-height:68vh;overflow-y:auto!important;padding:4px 8px;border:1px solid var(--border-color-primary);border-radius:8px;background:var(--background-fill-secondary)}
.cf-empty{padding:24px 12px;color:var(--body-text-color-subdued)}
.cf-examples{display:flex;flex-wrap:wrap;gap:8px;margin-top:10px}
.cf-example{border:1px solid var(--border-color-primary);border-radius:16px;padding:6px 12px;background:var(--background-fill-primary);cursor:pointer;font-size:.92em}
.cf-example:hover{border-color:#2563eb}
.cf-turn{margin:10px 0 18px}
.cf-q{margin-left:auto;max-width:85%;width:fit-content;background:#e8eefc;color:#111;padding:8px 12px;border-radius:12px 12px 2px 12px;margin-bottom:8px;white-space:pre-wrap;overflow-wrap:anywhere}
.cf-a{background:var(--background-fill-primary);border:1px solid var(--border-color-primary);border-left:4px solid #2563eb;border-radius:6px;padding:10px 12px;overflow-wrap:anywhere}
.cf-a.cf-abstained{border-left-color:#d97706;background:#fffbeb;color:#111}
.cf-a.cf-extractive{border-left-color:#6b7280}
.cf-a.cf-error{border-left-color:#dc2626;background:#fef2f2;color:#111}
.cf-a.cf-pending{border-left-color:#93c5fd}
.cf-label{font-size:.78em;font-weight:600;text-transform:uppercase;letter-spacing:.04em;color:#2563eb;margin-bottom:4px}
.cf-abstained .cf-label{color:#b45309}.cf-extractive .cf-label{color:#4b5563}
.cf-text{font-size:1.02em;line-height:1.55}
.cf-status{font-size:.85em;color:var(--body-text-color-subdued)}
.cf-draft{color:var(--body-text-color-subdued);font-style:italic;margin:6px 0;white-space:pre-wrap}
.cf-marker{display:inline-block;min-width:1.3em;padding:0 .3em;margin:0 1px;border-radius:9px;background:#dbeafe;color:#1e40af!important;font-size:.78em;font-weight:600;text-align:center;text-decoration:none!important;vertical-align:super;line-height:1.3;cursor:pointer}
.cf-marker:hover{background:#2563eb;color:#fff!important}
.cf-unsupported{text-decoration:underline wavy #dc2626;text-decoration-thickness:1px}
.cf-flag{font-size:.72em;color:#b91c1c;border:1px solid #fca5a5;border-radius:8px;padding:0 5px;margin-left:4px;vertical-align:middle;white-space:nowrap}
.cf-notice{font-size:.88em;color:var(--body-text-color-subdued);margin-top:6px}
.cf-cards{margin-top:8px;display:flex;flex-direction:column;gap:6px}
.cf-card{border:1px solid var(--border-color-primary);border-radius:6px;padding:6px 9px;cursor:pointer;background:var(--background-fill-secondary)}
.cf-card:hover,.cf-ev:hover{border-color:#2563eb}
.cf-card.cf-active{outline:2px solid #2563eb}
.cf-card-head{font-size:.85em;margin-bottom:3px}
.cf-num{display:inline-block;min-width:1.4em;text-align:center;border-radius:9px;background:#2563eb;color:#fff;font-weight:600;font-size:.9em}
.cf-title{font-weight:600}
.cf-where{color:var(--body-text-color-subdued);font-size:.9em}
.cf-context{font-size:.9em;line-height:1.5;max-height:12em;overflow-y:auto;white-space:pre-wrap}
.cf-context mark,.cf-doc mark{background:#fde68a;color:#111;padding:0 1px;border-radius:2px}
.cf-badge{display:inline-block;font-size:.75em;border-radius:8px;padding:0 6px;border:1px solid;white-space:nowrap}
.cf-v-court{color:#1e3a8a;border-color:#93c5fd;background:#eff6ff}
.cf-v-plaintiffs{color:#14532d;border-color:#86efac;background:#f0fdf4}
.cf-v-defendants{color:#7c2d12;border-color:#fdba74;background:#fff7ed}
.cf-v-outlet{color:#581c87;border-color:#d8b4fe;background:#faf5ff}
.cf-v-none{color:#374151;border-color:#d1d5db;background:#f9fafb}
.cf-evidence{margin-top:8px;font-size:.88em}
.cf-evidence summary{cursor:pointer;color:var(--body-text-color-subdued)}
.cf-evidence ol{padding-left:1.4em;margin:4px 0}
.cf-ev{margin:4px 0;padding:3px 6px;border:1px solid transparent;border-radius:5px;cursor:pointer}
.cf-ev-text{color:var(--body-text-color);white-space:pre-wrap}
.cf-foot{display:flex;gap:10px;align-items:center;margin-top:8px;font-size:.8em;color:var(--body-text-color-subdued)}
.cf-copy{font-size:.95em!important;font-weight:400!important;line-height:1.4!important;border:1px solid var(--border-color-primary);border-radius:5px;padding:2px 8px;background:var(--background-fill-primary);cursor:pointer}
#cf-viewer{max-height:78vh;overflow-y:auto!important;border:1px solid var(--border-color-primary);border-radius:8px;padding:8px 12px;background:var(--background-fill-primary)}
.cf-viewer-empty{color:var(--body-text-color-subdued);padding:20px 6px}
.cf-viewer-head{position:sticky;top:-8px;background:var(--background-fill-primary);padding:6px 0;border-bottom:1px solid var(--border-color-primary);margin-bottom:6px;z-index:1}
.cf-doc{white-space:pre-wrap;font-family:Georgia,'Times New Roman',serif;font-size:.95em;line-height:1.55}
.cf-page{display:block;text-align:right;font-family:sans-serif;font-size:.72em;color:#6b7280;border-top:1px dashed #d1d5db;margin:8px 0 2px}
"""

CONVERSATION_JS = """
element.addEventListener('click', (e) => {
  const ex = e.target.closest('[data-example]');
  if (ex) { trigger('click', {example: ex.dataset.example}); return; }
  const copy = e.target.closest('.cf-copy');
  if (copy) {
    const md = copy.parentElement.querySelector('textarea.cf-md').value;
    const done = () => { copy.textContent = 'Copied'; setTimeout(() => copy.textContent = 'Copy answer with quotes', 1500); };
    if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(md).then(done); }
    else { const t = document.createElement('textarea'); t.value = md; document.body.appendChild(t); t.select();
           document.execCommand('copy'); t.remove(); done(); }
    return;
  }
  const hit = e.target.closest('[data-cite],[data-ev]');
  if (hit) {
    e.preventDefault();
    element.querySelectorAll('.cf-active').forEach(x => x.classList.remove('cf-active'));
    const card = element.querySelector(`.cf-card[data-turn="${hit.dataset.turn}"][data-cite="${hit.dataset.cite}"]`);
    if (card) card.classList.add('cf-active');
    trigger('click', {turn: hit.dataset.turn, cite: hit.dataset.cite || '', ev: hit.dataset.ev || ''});
  }
});
watch('value', () => { element.scrollTop = element.scrollHeight; });
"""

VIEWER_JS = """
watch('value', () => {
  const m = element.querySelector('mark.cf-hit');
  if (m) setTimeout(() => m.scrollIntoView({block: 'center'}), 50);
});
"""


def build(cf: Casefile) -> gr.Blocks:
    with gr.Blocks(title="Casefile") as demo:
        status = gr.HTML(cf.status_html())
        session = gr.State(lambda: uuid.uuid4().hex)
        turns_state = gr.State([])
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=420):
                        conv = gr.HTML(conversation_html([], {}, cf.examples()), elem_id="cf-conversation",
                                       js_on_load=CONVERSATION_JS)
                        with gr.Row():
                            question = gr.Textbox(show_label=False, lines=1, max_lines=8, scale=5,
                                                  placeholder="Ask about the documents (Enter to send, Shift+Enter for a new line)",
                                                  elem_id="cf-question", autofocus=True)
                            ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=80,
                                                elem_id="cf-ask")
                        with gr.Row():
                            new_btn = gr.Button("New chat", size="sm", elem_id="cf-new")
                            md_dl = gr.DownloadButton("Export Markdown", size="sm", interactive=False,
                                                      elem_id="cf-export-md")
                            js_dl = gr.DownloadButton("Export JSON", size="sm", interactive=False,
                                                      elem_id="cf-export-json")
                        with gr.Accordion("Filters: limit the question to some documents, kinds, courts, dispositions or dates",
                                          open=False):
                            f_docs = gr.Dropdown(cf.doc_choices(), multiselect=True, label="Documents",
                                                 elem_id="cf-f-docs")
                            with gr.Row():
                                f_kinds = gr.CheckboxGroup(cf.facet("kind"), label="Kind")
                                f_voices = gr.CheckboxGroup(cf.facet("voice"), label="Whose words")
                            with gr.Row():
                                f_courts = gr.CheckboxGroup(cf.facet("court"), label="Court")
                                f_dispo = gr.CheckboxGroup(cf.facet("disposition"), label="Disposition")
                            with gr.Row():
                                f_from = gr.Textbox(label="From date", placeholder="YYYY or YYYY-MM-DD")
                                f_to = gr.Textbox(label="To date", placeholder="YYYY or YYYY-MM-DD")
                    with gr.Column(scale=2, min_width=340):
                        viewer = gr.HTML(source_html(None), elem_id="cf-viewer", js_on_load=VIEWER_JS)

            with gr.Tab("Documents", id="documents"):
                docs_table = gr.Dataframe(
                    value=cf.table(), interactive=False, wrap=True, elem_id="cf-docs",
                    headers=["Title", "Kind", "Whose words", "Court / outlet", "Date", "Docket", "Judges",
                             "Disposition", "Pages",
                             "Passages", "File", "Metadata", "Ingested"])
                with gr.Row():
                    with gr.Column():
                        uploads = gr.File(file_count="multiple", file_types=UPLOAD_TYPES,
                                          label=f"Add documents ({', '.join(UPLOAD_TYPES)}; up to "
                                                f"{cf.settings.max_file_mb:g} MB each)", elem_id="cf-upload")
                        add_btn = gr.Button("Add to the case file", variant="primary", elem_id="cf-add")
                    with gr.Column():
                        del_choice = gr.Dropdown(cf.doc_choices(), label="Delete a document", elem_id="cf-del")
                        del_btn = gr.Button("Delete…", variant="stop", elem_id="cf-del-btn")
                        with gr.Row(visible=False) as confirm_row:
                            confirm_btn = gr.Button("Yes, delete it", variant="stop", elem_id="cf-del-yes")
                            cancel_btn = gr.Button("Cancel")
                docs_msg = gr.Markdown(elem_id="cf-docs-msg")

            with gr.Tab("Evaluation", id="evaluation"):
                gr.Markdown("Run a QA test set (JSONL: `question`, optional `id`, `history`, `reference`, "
                            "`reference_contexts`, `answerable`) through the same path as the chat. "
                            "Chat questions still get answered while it runs, between its questions.")
                with gr.Row():
                    ev_file = gr.File(label="Test set (.jsonl); leave empty for the project's own",
                                      file_types=[".jsonl"], elem_id="cf-ev-file")
                    with gr.Column():
                        ev_limit = gr.Number(0, precision=0, minimum=0, label="Only the first N questions (0 = all)")
                        ev_btn = gr.Button("Run evaluation", variant="primary", elem_id="cf-ev-run")
                ev_summary = gr.Markdown(elem_id="cf-ev-summary")
                ev_plots = gr.Gallery(label="Plots", columns=2, height="auto", elem_id="cf-ev-plots",
                                      show_label=False)
                ev_table = gr.Dataframe(headers=["id", "category", "question", "answer", "correct",
                                                 "abstained", "citations", "quotes verbatim", "seconds"],
                                        interactive=False, wrap=True, elem_id="cf-ev-table")
                ev_files = gr.File(label="Results", file_count="multiple", interactive=False)

        # --- asking ---------------------------------------------------------------------------
        def on_ask(q, turns, sess, docs, kinds, voices, dfrom, dto, courts=(), dispositions=()):
            q = q or ""
            try:
                filters = make_filters(docs, kinds, voices, dfrom, dto, courts, dispositions)
            except QuestionError as exc:
                bad = turns + [Turn(question=q or "(no question)", error=str(exc))]
                yield conversation_html(bad, cf.texts(turns)), turns, q, gr.skip(), gr.skip()
                return
            shown = turns
            for shown in cf.ask(q, turns, filters):
                yield conversation_html(shown, cf.texts(shown)), turns, "", gr.skip(), gr.skip()
            last = shown[-1]
            if last.error:     # not part of the conversation the model sees; the question stays editable
                yield conversation_html(shown, cf.texts(turns)), turns, q, gr.skip(), gr.skip()
                return
            md, js = cf.export_files(sess, shown)
            yield (conversation_html(shown, cf.texts(shown)), shown, "",
                   gr.DownloadButton(value=md, interactive=True), gr.DownloadButton(value=js, interactive=True))

        ask_inputs = [question, turns_state, session, f_docs, f_kinds, f_voices, f_from, f_to, f_courts, f_dispo]
        ask_outputs = [conv, turns_state, question, md_dl, js_dl]
        for trigger in (question.submit, ask_btn.click):
            trigger(on_ask, ask_inputs, ask_outputs, concurrency_limit=cf.settings.answer_slots, concurrency_id="model",
                    show_progress="full", show_progress_on=[conv], api_visibility="private")

        def on_new():
            return (conversation_html([], {}, cf.examples()), [], "", gr.DownloadButton(value=None, interactive=False),
                    gr.DownloadButton(value=None, interactive=False), source_html(None))

        new_btn.click(on_new, None, [conv, turns_state, question, md_dl, js_dl, viewer],
                      api_visibility="private", queue=False)

        def on_open(turns, evt: gr.EventData):
            data = getattr(evt, "_data", None) or {}
            if data.get("example"):
                return gr.skip(), data["example"]
            try:
                t = turns[int(data.get("turn", -1))]
            except (ValueError, IndexError, TypeError):
                return gr.skip(), gr.skip()
            a = t.answer
            if a is None:
                return gr.skip(), gr.skip()
            docs = cf.documents()
            if data.get("cite"):
                c = next((c for c in a.citations if str(c.n) == str(data["cite"])), None)
                if c is None:
                    return gr.skip(), gr.skip()
                doc_id, start, end, head = c.doc_id, c.start, c.end, f"Quoted passage [{c.n}]"
            else:
                try:
                    e = a.evidence[int(data.get("ev"))]
                except (ValueError, IndexError, TypeError):
                    return gr.skip(), gr.skip()
                doc_id, start, end, head = e.doc_id, e.start, e.end, e.section
            doc = docs.get(doc_id)
            if doc is None:
                return ('<div class="cf-viewer-empty">This document has been deleted from the store '
                        'since the answer was given.</div>'), gr.skip()
            return source_html(doc, start, end, head), gr.skip()

        conv.click(on_open, [turns_state], [viewer, question], api_visibility="private", queue=False)

        # --- documents ------------------------------------------------------------------------
        def refreshed():
            choices = cf.doc_choices()
            return (cf.table(), gr.Dropdown(choices=choices, value=None), gr.Dropdown(choices=choices),
                    gr.CheckboxGroup(choices=cf.facet("kind")), gr.CheckboxGroup(choices=cf.facet("voice")),
                    gr.CheckboxGroup(choices=cf.facet("court")), gr.CheckboxGroup(choices=cf.facet("disposition")),
                    cf.status_html())

        doc_outputs = [docs_table, del_choice, f_docs, f_kinds, f_voices, f_courts, f_dispo, status]

        def on_add(files, progress=gr.Progress(track_tqdm=True)):
            if not files:
                return ("Choose one or more files first.", gr.skip(), *[gr.skip()] * len(doc_outputs))
            try:
                msg, _ = cf.add_files([f if isinstance(f, str) else f.name for f in files])
            except CasefileError as exc:
                msg = f"✗ {exc}"
            return (msg.replace("\n", "  \n"), None, *refreshed())

        add_btn.click(on_add, [uploads], [docs_msg, uploads, *doc_outputs], concurrency_limit=1,
                      concurrency_id="ingest", api_visibility="private")

        def on_delete_ask(doc_id):
            if not doc_id:
                return "Choose a document to delete first.", gr.Row(visible=False)
            title = next((label for label, v in cf.doc_choices() if v == doc_id), doc_id)
            return f"Delete **{title}** from the store? Its passages will no longer be used in answers.", \
                gr.Row(visible=True)

        del_btn.click(on_delete_ask, [del_choice], [docs_msg, confirm_row], api_visibility="private", queue=False)
        cancel_btn.click(lambda: ("Nothing was deleted.", gr.Row(visible=False)), None, [docs_msg, confirm_row],
                         api_visibility="private", queue=False)

        def on_delete(doc_id):
            try:
                msg = cf.delete(doc_id)
            except CasefileError as exc:
                msg = f"✗ {exc}"
            return (msg, gr.Row(visible=False), *refreshed())

        confirm_btn.click(on_delete, [del_choice], [docs_msg, confirm_row, *doc_outputs], concurrency_limit=1,
                          concurrency_id="ingest", api_visibility="private")

        # --- evaluation -----------------------------------------------------------------------
        def on_eval(file, limit, progress=gr.Progress(track_tqdm=True)):
            from qa.eval import evaluate, read_testset

            testset = Path(file if isinstance(file, str) else file.name) if file else \
                Path(__file__).resolve().parent / "tests" / "data" / "testset.jsonl"
            rows, problems = read_testset(testset)
            if not rows:
                raise gr.Error(f"No usable rows in {testset.name}: " + "; ".join(problems[:5] or ["the file is empty"]))
            out = cf.settings.home / "eval" / time.strftime("%Y%m%d-%H%M%S")
            summary = evaluate(testset, out, limit=int(limit or 0) or None, settings=cf.settings,
                               engine=cf.engine, progress=True)
            results = [json.loads(x) for x in (out / "results.jsonl").read_text(encoding="utf-8").splitlines() if x]
            table = [[r["id"], r.get("category", ""), r["user_input"], r["response"],
                      _verdict(r), "yes" if r["abstained"] else "", len(r["citations"]),
                      _fmt(r["scores"].get("quote_precision")), _fmt(r["timings"].get("total_s"))]
                     for r in results]
            warn = ("\n\n**Rows skipped:** " + "; ".join(problems)) if problems else ""
            report = (out / "report.md").read_text(encoding="utf-8") if (out / "report.md").exists() else ""
            # the report's title names the file as uploaded (not its temporary path); its plots are
            # shown beside it, not as links the page cannot load
            lines = [x for x in report.splitlines()[:40] if not x.startswith("![")]
            head = "\n".join([f"## Evaluation of {testset.name}"] + lines[1:])
            files = [str(p) for p in (out / "results.jsonl", out / "summary.json", out / "report.md") if p.exists()]
            files += [str(p) for p in sorted(out.glob("*.png"))]
            plots = [(str(p), p.stem.replace("_", " ")) for p in sorted(out.glob("*.png"))]
            return head + warn + f"\n\nFull results in `{out}`.", plots, table, files

        ev_btn.click(on_eval, [ev_file, ev_limit], [ev_summary, ev_plots, ev_table, ev_files], concurrency_limit=1,
                     concurrency_id="eval", api_visibility="private")

        # --- API for scripts (gradio_client) ----------------------------------------------------
        def ask(question: str, history: list[str] | None = None, filters: dict | None = None) -> dict:
            """Answer one question; `history` holds earlier user turns of the same chat. Returns the
            Answer as JSON (quotes, citations with offsets and pages, evidence, timings)."""
            f = filters or {}
            try:
                flt = make_filters(f.get("documents"), f.get("kinds"), f.get("voices"),
                                   f.get("date_from", ""), f.get("date_to", ""), f.get("courts"),
                                   f.get("dispositions"))
                turns: list[tuple[str, str]] = []
                for h in history or []:
                    turns.append((h, cf.engine.answer(h, turns).answer))
                return cf.engine.answer(question, turns, flt).to_dict()
            except CasefileError as exc:
                raise gr.Error(str(exc)) from exc

        gr.api(ask, api_name="ask", concurrency_limit=cf.settings.answer_slots, concurrency_id="model")

        def documents() -> list[dict]:
            """The documents in the store with their metadata and passage counts."""
            return [{"doc_id": d.doc_id, "source": d.source, "title": d.meta.title, "kind": d.meta.kind,
                     "voice": d.meta.voice, "court": d.meta.court, "date": d.meta.date,
                     "docket": d.meta.docket, "passages": d.n_chunks, "record": d.record}
                    for d in cf.heads().values()]

        gr.api(documents, api_name="documents")
        demo.load(lambda: (cf.status_html(), *refreshed()[:7]), None,
                  [status, docs_table, del_choice, f_docs, f_kinds, f_voices, f_courts, f_dispo], api_visibility="private", queue=False)
    return demo


def _verdict(r: dict) -> str:
    s = r.get("scores", {})
    if not r.get("answerable", True):
        return "✓ abstained" if r.get("abstained") else "✗ answered"
    ok = s.get("correct")
    return "✓" if ok else ("✗" if ok is not None else "")


def _fmt(v) -> str:
    return "" if v is None else (f"{v:.2f}" if isinstance(v, float) else str(v))


# --- the command ----------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python app.py", description="Casefile: the chat in the browser.")
    ap.add_argument("--host", default=os.environ.get("CASEFILE_HOST", "127.0.0.1"),
                    help="address to listen on (default 127.0.0.1, this machine only)")
    ap.add_argument("--port", type=int, default=int(os.environ.get("CASEFILE_PORT", "7860")))
    ap.add_argument("--home", help="data directory (default $CASEFILE_HOME or ./.casefile)")
    ap.add_argument("--model", help="qwen2.5-1.5b (default), smollm2, or a .gguf path")
    ap.add_argument("--llm-url", help="an OpenAI-compatible server to answer with instead")
    ap.add_argument("--auth-file", help="logins, one `user:password` per line (or set CASEFILE_AUTH)")
    ap.add_argument("--allow-remote-without-login", action="store_true",
                    help="allow listening beyond this machine without a login (not recommended)")
    ap.add_argument("--no-ingest", action="store_true", help="do not ingest changed files at start")
    args = ap.parse_args(argv)
    try:
        settings = Settings.from_env(home=args.home, model=args.model, llm_url=args.llm_url)
        auth = read_auth(args.auth_file, os.environ.get("CASEFILE_AUTH"))
    except (SettingsError, CasefileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not is_loopback(args.host) and not auth and not args.allow_remote_without_login:
        print(f"error: refusing to listen on {args.host} without a login: anyone who can reach this "
              f"machine could read the case file. Give logins with --auth-file FILE (or CASEFILE_AUTH="
              f"user:password), or pass --allow-remote-without-login if the network is trusted.",
              file=sys.stderr)
        return 2
    cf = Casefile(settings)
    if not args.no_ingest:
        try:
            cf.prepare()
        except CasefileError as exc:
            print(f"warning: {exc}", file=sys.stderr)
    print(f"Model: {cf.engine.model_name()}", file=sys.stderr)
    threading.Thread(target=cf.warm, daemon=True).start()
    demo = build(cf)
    demo.queue(default_concurrency_limit=8)
    print(f"Casefile: open http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}",
          file=sys.stderr)
    demo.launch(server_name=args.host, server_port=args.port, auth=auth or None,
                auth_message="Casefile: log in to read the case file." if auth else None,
                max_file_size=f"{settings.max_file_mb:g}mb", css=CSS, theme=theme(),
                ssr_mode=False, show_error=True, footer_links=["api"], quiet=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
