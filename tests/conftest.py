"""Shared fixtures: scratch data directories, the real embedding model (loaded once), corpus copies."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import ingest  # noqa: F401  (offline mode, telemetry off)
from ingest.settings import REPO_ROOT, Settings

CORPUS = REPO_ROOT / "corpus"
ORDER = "2021-06-14-order-denying-preliminary-injunction.txt"
REPLY = "2022-02-15-plaintiffs-reply-rule-72a-objections.txt"
ARTICLE = "prowelltech-france-fines-clearview-gdpr.txt"


def scratch_settings(base: Path, **kw) -> Settings:
    return Settings(home=base / "home", corpus=base / "corpus", **kw)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return scratch_settings(tmp_path)


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A private copy of the project's corpus (with its catalog) that a test may change."""
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst


class CountingEmbedder:
    """The real embedder, counting how many texts it was asked to embed."""

    def __init__(self, inner):
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.calls = 0

    def embed_documents(self, texts, **kw):
        self.calls += len(texts)
        return self.inner.embed_documents(texts, **kw)

    def embed_query(self, text):
        return self.inner.embed_query(text)


@pytest.fixture(scope="session")
def real_embedder():
    from ingest.embed import Embedder

    return Embedder.shared()


@pytest.fixture
def embedder(real_embedder) -> CountingEmbedder:
    return CountingEmbedder(real_embedder)


@pytest.fixture(scope="session")
def built_home(tmp_path_factory, real_embedder) -> Settings:
    """A store with the project's corpus ingested once per test session (read-only for tests)."""
    from ingest.pipeline import run

    base = tmp_path_factory.mktemp("built")
    s = scratch_settings(base).replace(corpus=CORPUS)
    report = run([CORPUS], settings=s, embedder=real_embedder, progress=False)
    assert report.ok, report.failed
    return s
