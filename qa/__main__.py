"""``python -m qa ask "QUESTION" [--json]``: one answer, with its quotes and citations.

Exit status 0 with an answer, 3 when the documents do not answer it (abstained), 2 on an error
(empty question, no store, ...).
"""
from __future__ import annotations

import argparse
import json
import sys
import textwrap

from ingest.errors import CasefileError
from ingest.settings import Settings

from .engine import Engine
from .retrieve import Filters


def render(ans) -> str:
    out = []
    if ans.abstained:
        out.append(f"NOT IN THE DOCUMENTS: {ans.answer}")
    elif ans.mode == "extractive":
        out.append(f"EXTRACTIVE ANSWER (no model): {ans.answer}")
    else:
        out.append(ans.answer)
    if ans.notice:
        out.append(textwrap.fill(f"Note: {ans.notice}", 100))
    if ans.citations:
        out.append("\nCitations:")
        for c in ans.citations:
            page = f", p. {c.page}" if c.page else ""
            out.append(f"[{c.n}] {c.title} ({c.source}{page}; chars {c.start}-{c.end})")
            out.append(textwrap.indent(textwrap.fill(f"“{c.quote}”", 96), "    "))
    if ans.abstained and ans.evidence:
        out.append("\nNearest passages:")
        for e in ans.evidence[:3]:
            page = f", p. {e.page}" if e.page else ""
            out.append(f"- {e.title} ({e.source}{page})")
            out.append(textwrap.indent(textwrap.fill(" ".join(e.text.split())[:400], 96), "    "))
    t = ans.timings
    out.append(f"\n[{ans.model or 'no model'} · retrieve {t.get('retrieve_s', 0):.2f}s · "
               f"first token {t.get('first_token_s') or 0:.1f}s · total {t.get('total_s', 0):.1f}s]")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m qa", description="Ask Casefile a question.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    ask = sub.add_parser("ask", help="answer one question")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the Answer as JSON")
    ask.add_argument("--history", action="append", default=[],
                     help="an earlier user turn of the same chat (repeat, oldest first)")
    ask.add_argument("--doc", action="append", default=[], help="limit to a document id or source")
    ask.add_argument("--kind", action="append", default=[], help="limit to a kind (order, brief, article…)")
    ask.add_argument("--voice", action="append", default=[], help="limit to a voice (court, plaintiffs…)")
    ask.add_argument("--model", help="qwen2.5-1.5b (default), smollm2, or a path to a .gguf file")
    ask.add_argument("--llm-url", help="an OpenAI-compatible server to answer with")
    args = ap.parse_args(argv)
    try:
        settings = Settings.from_env(model=args.model, llm_url=args.llm_url)
        engine = Engine(settings)
        filters = Filters(doc_ids=tuple(args.doc), kinds=tuple(args.kind), voices=tuple(args.voice))
        history = []
        for turn in args.history:           # earlier turns are asked first, in the same chat
            prior = engine.answer(turn, history, filters)
            history.append((turn, prior.answer))
        ans = engine.answer(args.question, history, filters)
    except CasefileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(ans.to_dict(), indent=1, ensure_ascii=False) if args.json else render(ans))
    return 3 if ans.abstained else 0


if __name__ == "__main__":
    sys.exit(main())
