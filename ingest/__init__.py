"""Casefile ingestion: files -> clean text -> structured chunks -> Chroma + BM25.

Knows nothing of the UI or of answering. Importing it switches the process to offline mode
(no model-hub downloads, no telemetry): see ``settings.apply_offline_env``.
"""
from .settings import Settings, apply_offline_env  # noqa: F401  (sets offline env on import)
