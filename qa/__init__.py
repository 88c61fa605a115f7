"""Casefile answering: retrieve, select evidence, generate, attribute, verify.

    import qa
    a = qa.answer("Why did the court deny the preliminary injunction?")
    print(a.answer, [c.quote for c in a.citations])

Knows nothing of Gradio; ``app.py`` calls into it.
"""
from __future__ import annotations

from typing import Iterable

import ingest  # noqa: F401  (offline mode, telemetry off)
from ingest.types import Answer, Citation, Evidence  # noqa: F401

from .engine import Engine, Event, QuestionError, default_engine  # noqa: F401
from .retrieve import Filters  # noqa: F401


def answer(question: str, history: Iterable = (), filters: Filters | None = None) -> Answer:
    """Answer one question (with earlier turns of the chat in ``history``)."""
    return default_engine().answer(question, history, filters)


def stream(question: str, history: Iterable = (), filters: Filters | None = None):
    """Yield ``Event``s: the evidence first, then the answer text as it grows, then the Answer."""
    return default_engine().stream(question, history, filters)
