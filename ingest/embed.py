"""all-MiniLM-L6-v2 through sentence-transformers, loaded lazily and once per process.

``Embedder`` is the thin adapter the pipeline and retrieval use; ``LangChainEmbeddings`` exposes
the same model as a LangChain ``Embeddings`` so others can plug it into their chains.
"""
from __future__ import annotations

import threading
from typing import Callable, Sequence

import numpy as np

from .models import EMBED_ID, embedding_model_dir
from .settings import Settings


class Embedder:
    _shared: "Embedder | None" = None
    _shared_lock = threading.Lock()

    model_id = EMBED_ID
    dim = 384

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.from_env()
        self._model = None
        self._lock = threading.Lock()

    @classmethod
    def shared(cls) -> "Embedder":
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(str(embedding_model_dir(self.settings)),
                                                  device="cpu", local_files_only=True)
            return self._model

    def embed_documents(self, texts: Sequence[str], batch_size: int = 32,
                        on_batch: Callable[[int], object] | None = None) -> np.ndarray:
        model = self.model
        out = []
        for i in range(0, len(texts), batch_size):
            batch = list(texts[i:i + batch_size])
            out.append(model.encode(batch, batch_size=batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False))
            if on_batch:
                on_batch(len(batch))
        if not out:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack(out).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.model.encode([text], normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=False)[0].astype(np.float32)


def langchain_embeddings(embedder: Embedder | None = None):
    """The embedding model as a LangChain ``Embeddings`` object."""
    from langchain_core.embeddings import Embeddings

    emb = embedder or Embedder.shared()

    class CasefileEmbeddings(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return emb.embed_documents(texts).tolist()

        def embed_query(self, text: str) -> list[float]:
            return emb.embed_query(text).tolist()

    return CasefileEmbeddings()
