"""Answering-model backends behind one small interface: ``stream(messages, max_tokens)``.

- ``LlamaCppBackend``: any GGUF file through llama-cpp-python (the bundled Qwen2.5 1.5B by
  default, the tiny SmolLM2 for plumbing tests, or a file the user names). Loaded lazily and once;
  one generation at a time; the constant system prompt's KV cache is reused between calls
  (llama.cpp keeps the longest common prompt prefix).
- ``OpenAIServerBackend``: any OpenAI-compatible server by URL (llama.cpp server, Ollama, vLLM),
  streamed over server-sent events with the standard library.
"""
from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
from typing import Iterator, Protocol

from ingest.errors import ModelError
from ingest.models import resolve_gguf
from ingest.settings import Settings


class Backend(Protocol):
    name: str

    def stream(self, messages: list[dict], max_tokens: int) -> Iterator[str]: ...


class LlamaCppBackend:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.path, self.name = resolve_gguf(settings, progress=True)
        self._llm = None
        self._lock = threading.Lock()

    def load(self):
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise ModelError(
                    "llama-cpp-python is not installed, so no local model can run. Run `make setup` "
                    "(it builds llama-cpp-python, about 9 minutes), or set CASEFILE_LLM_URL to an "
                    "OpenAI-compatible server."
                ) from exc
            threads = self.settings.threads or os.cpu_count() or 2
            try:
                self._llm = Llama(model_path=str(self.path), n_ctx=self.settings.n_ctx,
                                  n_threads=threads, n_threads_batch=threads, n_batch=512,
                                  seed=0, verbose=False)
            except (ValueError, RuntimeError, OSError) as exc:
                raise ModelError(f"Could not load the model {self.path}: {exc}. Check the file, "
                                 f"or choose another with CASEFILE_MODEL.") from exc
        return self._llm

    def stream(self, messages: list[dict], max_tokens: int) -> Iterator[str]:
        with self._lock:                      # one generation at a time on this model
            llm = self.load()
            # no repeat penalty: answering is copying the sources' names, numbers and words, and
            # llama.cpp's penalty counts the prompt's last tokens too
            for part in llm.create_chat_completion(messages=messages, temperature=0.0, top_p=1.0,
                                                   repeat_penalty=1.0, max_tokens=max_tokens,
                                                   stream=True, seed=0):
                delta = part["choices"][0].get("delta", {})
                text = delta.get("content")
                if text:
                    yield text

    def count_tokens(self, text: str) -> int:
        return len(self.load().tokenize(text.encode("utf-8"), add_bos=False))


class OpenAIServerBackend:
    def __init__(self, settings: Settings):
        self.url = settings.llm_url.rstrip("/")
        if not self.url.endswith("/v1"):
            self.url += "/v1"
        self.model = settings.llm_api_model
        self.name = f"{self.model} @ {settings.llm_url}"
        self.api_key = os.environ.get("CASEFILE_LLM_API_KEY", "")

    def stream(self, messages: list[dict], max_tokens: int) -> Iterator[str]:
        body = json.dumps({"model": self.model, "messages": messages, "temperature": 0,
                           "max_tokens": max_tokens, "stream": True}).encode()
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        req = urllib.request.Request(f"{self.url}/chat/completions", data=body, headers=headers)
        try:
            resp = urllib.request.urlopen(req, timeout=120)
        except (urllib.error.URLError, OSError) as exc:
            raise ModelError(f"Cannot reach the model server at {self.url} ({exc}). Start it, or "
                             f"unset CASEFILE_LLM_URL to use the bundled local model.") from exc
        with resp:
            for raw in resp:
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                try:
                    choice = json.loads(data)["choices"][0]
                except (ValueError, KeyError, IndexError):
                    continue
                text = (choice.get("delta") or {}).get("content") or ""
                if text:
                    yield text


_backends: dict[tuple, Backend] = {}
_backends_lock = threading.Lock()


def get_backend(settings: Settings) -> Backend:
    """The backend for these settings, created once per process."""
    key = (settings.llm_url, settings.llm_api_model) if settings.llm_url else (settings.model, settings.n_ctx, settings.threads)
    with _backends_lock:
        if key not in _backends:
            _backends[key] = (OpenAIServerBackend(settings) if settings.llm_url
                              else LlamaCppBackend(settings))
        return _backends[key]
