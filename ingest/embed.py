"""all-MiniLM-L6-v2, loaded lazily and once per process, through one of three backends.

``CASEFILE_EMBED_BACKEND`` chooses: ``onnx-int8`` (default: the model exported to ONNX from the
packaged weights and quantised to int8, run by ONNX Runtime), ``onnx`` (the same export in fp32)
or ``torch`` (sentence-transformers on PyTorch). The figures behind the default are in
docs/DESIGN-NOTES.md ("Embedding speed"). Vectors of different backends are close but not equal,
so each backend has its own ``model_id``, and the store records the id its vectors were made by
(``manifest.info["embed_model"]``). Ingest embeds with the configured backend (a store made by
another one is re-embedded whole: the id is part of every document's content hash); questions
are embedded with the backend the store records (``embedder_for_store``), so query and passage
vectors always come from the same model.

``Embedder`` is the thin adapter the pipeline and retrieval use; ``langchain_embeddings`` exposes
the same model as a LangChain ``Embeddings`` so others can plug it into their chains.
"""
from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .errors import ModelError
from .models import (EMBED_ID, MAX_SEQ_LENGTH, cpu_int8_config, embedding_model_dir,
                     embedding_onnx_file)
from .settings import Settings, SettingsError

BACKENDS = ("onnx-int8", "onnx", "torch")


def backend_id(backend: str, int8_config: str | None = None) -> str:
    """The id of the vectors a backend makes, as the store records it. The PyTorch model keeps
    the plain model name (stores built before the ONNX backends exist used it)."""
    if backend == "torch":
        return EMBED_ID
    if backend == "onnx":
        return f"{EMBED_ID}+onnx"
    return f"{EMBED_ID}+onnx-int8-{int8_config or cpu_int8_config()}"


def backend_of(model_id: str | None) -> str | None:
    """The backend whose vectors carry ``model_id`` on this machine, or None."""
    return next((b for b in BACKENDS if backend_id(b) == model_id), None)


def length_order(texts: Sequence[str]) -> np.ndarray:
    """Indices of ``texts`` from longest to shortest: batches of like lengths need less padding."""
    return np.argsort([-len(t) for t in texts], kind="stable")


class OnnxEncoder:
    """The exported graph (transformer, mean pooling, normalisation) with the model's own
    tokenizer: texts in, unit vectors out."""

    def __init__(self, onnx_path: Path, model_dir: Path, threads: int = 0):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_SEQ_LENGTH)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or os.cpu_count() or 1
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One text per run. With int8, ONNX Runtime quantises activations with one scale per
        input tensor, so in a padded batch a text's vector depended on its batch-mates (cosine
        0.983 between a short line embedded alone and in a batch); alone, a passage's vector is
        exactly its query vector, and without padding it is also faster (105 vs 70 chunks/s)."""
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for i, e in enumerate(self.tokenizer.encode_batch(list(texts))):
            feed = {"input_ids": np.array([e.ids], dtype=np.int64),
                    "attention_mask": np.array([e.attention_mask], dtype=np.int64),
                    "token_type_ids": np.array([e.type_ids], dtype=np.int64)}
            out[i] = self.session.run(None, feed)[0][0]
        return out


class Embedder:
    _shared: "dict[str | None, Embedder]" = {}
    _shared_lock = threading.Lock()

    dim = 384

    def __init__(self, settings: Settings | None = None, backend: str | None = None,
                 log: Callable[[str], object] | None = None):
        self.settings = settings or Settings.from_env()
        requested = (backend or self.settings.embed_backend).strip().lower()
        if requested not in BACKENDS:
            raise SettingsError(f"CASEFILE_EMBED_BACKEND={requested!r} is not one of "
                                f"{', '.join(BACKENDS)}; unset it to use {BACKENDS[0]}.")
        self.requested = requested
        self.say = log or (lambda msg: print(msg, file=sys.stderr))
        self._backend: str | None = None
        self._onnx_path: Path | None = None
        self._model = None
        self._lock = threading.RLock()

    @classmethod
    def shared(cls, backend: str | None = None) -> "Embedder":
        """One embedder per process and backend (None: the configured one)."""
        with cls._shared_lock:
            if backend not in cls._shared:
                cls._shared[backend] = cls(backend=backend)
            return cls._shared[backend]

    # -- which backend ------------------------------------------------------------------------
    @property
    def backend(self) -> str:
        """The backend in use: the requested one, or ``torch`` when the ONNX file could not be
        exported (said once in the log). Resolving exports the ONNX file if it is missing, but
        loads no model."""
        with self._lock:
            if self._backend is None:
                self._backend = self._resolve()
            return self._backend

    def _resolve(self) -> str:
        if self.requested == "torch":
            return "torch"
        try:
            import onnxruntime  # noqa: F401
            self._onnx_path = embedding_onnx_file(self.settings, quantized=self.requested == "onnx-int8",
                                                  log=self.say)
        except ModelError:
            raise                        # a tampered or unverifiable file is refused, not bypassed
        except Exception as exc:  # noqa: BLE001  (export needs onnx; without it, the slower model)
            self.say(f"note: the ONNX embedding model is not available ({type(exc).__name__}: "
                     f"{exc}); embedding with the PyTorch model instead (slower). Install the "
                     f"pinned `onnx` and `onnxruntime` from requirements.txt to use {self.requested}.")
            return "torch"
        return self.requested

    @property
    def model_id(self) -> str:
        return backend_id(self.backend)

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                if self.backend == "torch":
                    import torch
                    from sentence_transformers import SentenceTransformer

                    if self.settings.threads:
                        torch.set_num_threads(self.settings.threads)
                    self._model = SentenceTransformer(str(embedding_model_dir(self.settings)),
                                                      device="cpu", local_files_only=True)
                else:
                    self._model = OnnxEncoder(self._onnx_path, embedding_model_dir(self.settings),
                                              threads=self.settings.threads)
            return self._model

    def _encode(self, batch: Sequence[str]) -> np.ndarray:
        model = self.model
        if isinstance(model, OnnxEncoder):
            return model.encode(batch)
        return model.encode(list(batch), batch_size=len(batch), normalize_embeddings=True,
                            convert_to_numpy=True, show_progress_bar=False)

    # -- embedding ----------------------------------------------------------------------------
    def embed_documents(self, texts: Sequence[str], batch_size: int = 32,
                        on_batch: Callable[[int], object] | None = None,
                        sort: bool = True) -> np.ndarray:
        """Unit vectors of ``texts``, in their order. Batches are cut from the texts sorted by
        length (``sort``), so that short passages are not padded to a long one's length."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = length_order(texts) if sort else np.arange(len(texts))
        for i in range(0, len(texts), batch_size):
            idx = order[i:i + batch_size]
            out[idx] = self._encode([texts[j] for j in idx])
            if on_batch:
                on_batch(len(idx))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._encode([text])[0], dtype=np.float32)


def embedder_for_store(current, recorded: str | None, log: Callable[[str], object] | None = None):
    """The embedder whose vectors match a store that records ``recorded`` as its embedding id:
    ``current`` when it matches (or the store records none), else the shared embedder of the
    recorded backend. A store whose id no backend on this machine makes is refused, with what to
    do (re-ingest)."""
    have = getattr(current, "model_id", None)
    if not recorded or have is None or have == recorded:
        return current
    backend = backend_of(recorded)
    if backend is None:
        raise ModelError(
            f"The document store was embedded with '{recorded}', which this installation cannot "
            f"reproduce (it embeds with '{have}'). Re-ingest the documents with `python -m ingest` "
            f"(it re-embeds every document whose vectors another model made).")
    other = Embedder.shared(backend)
    if other.model_id != recorded:          # the recorded backend fell back to another one
        raise ModelError(
            f"The document store was embedded with '{recorded}', but that backend is not available "
            f"here (embedding uses '{other.model_id}'). Re-ingest the documents with `python -m ingest`, "
            f"or install the pinned onnx/onnxruntime from requirements.txt.")
    (log or (lambda msg: print(msg, file=sys.stderr)))(
        f"note: the document store was embedded with '{recorded}'; questions use the same model "
        f"(CASEFILE_EMBED_BACKEND asks for '{have}': re-ingest to switch).")
    return other


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
