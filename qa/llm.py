"""Answering-model backends behind one small interface: ``stream(messages, max_tokens)``.

- ``LlamaCppBackend``: any GGUF file through llama-cpp-python (the bundled Qwen2.5 1.5B by
  default, the tiny SmolLM2 for plumbing tests, or a file the user names). Loaded lazily and once;
  one generation at a time; the constant system prompt's KV cache is reused between calls
  (llama.cpp keeps the longest common prompt prefix).
- ``OpenAIServerBackend``: any OpenAI-compatible server by URL (llama.cpp server, Ollama, vLLM),
  streamed over server-sent events with the standard library.
"""
from __future__ import annotations

import http.client
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
    """An OpenAI-compatible chat server (llama.cpp server, Ollama, vLLM), by URL.

    Several Casefile processes may share one server. The model name sent is
    ``CASEFILE_LLM_API_MODEL``; left at ``default``, the server's first listed model is used
    (vLLM and Ollama refuse a name they do not serve; llama.cpp's server takes any)."""

    def __init__(self, settings: Settings):
        self.base = settings.llm_url.rstrip("/")
        self.url = self.base if self.base.endswith("/v1") else self.base + "/v1"
        self.model = settings.llm_api_model
        self._model_known = self.model != "default"
        self.api_key = os.environ.get("CASEFILE_LLM_API_KEY", "")
        # a request queued behind other users' answers on a busy server waits this long for its first byte
        self.timeout = float(os.environ.get("CASEFILE_LLM_TIMEOUT", "600") or 600)

    @property
    def name(self) -> str:
        """The model as the server names it (asked once), and where it runs."""
        if not self._model_known:
            self._discover_model()
        return f"{self.model} @ {self.base}"

    def _headers(self) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def _unreachable(self, exc: Exception) -> ModelError:
        reason = getattr(exc, "reason", None) or exc
        return ModelError(
            f"Cannot reach the model server at {self.url} ({reason}). Start it (for example "
            f"`python -m llama_cpp.server --model FILE.gguf --port 8080 --interrupt_requests False`, "
            f"`ollama serve` or `vllm serve MODEL`), check CASEFILE_LLM_URL, or unset CASEFILE_LLM_URL "
            f"to use the bundled local model.")

    def _refused(self, exc: urllib.error.HTTPError) -> ModelError:
        try:
            body = exc.read().decode("utf-8", "replace").strip()[:300]
        except OSError:
            body = ""
        hint = {401: "Set CASEFILE_LLM_API_KEY to the server's key.",
                403: "Set CASEFILE_LLM_API_KEY to the server's key.",
                404: (f"Check CASEFILE_LLM_URL (Casefile calls {self.url}/chat/completions) and "
                      f"CASEFILE_LLM_API_MODEL (the name of a model the server serves)."),
                }.get(exc.code, "Check the server's log.")
        return ModelError(f"The model server at {self.url} refused the request (HTTP {exc.code}"
                          f"{': ' + body if body else ''}). {hint}")

    def _discover_model(self) -> None:
        """Use the server's first model when none is named: asked once it answers (a server
        without a model list keeps ``default``); an unreachable server is asked again next time."""
        req = urllib.request.Request(f"{self.url}/models", headers=self._headers())
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                ids = [m.get("id") for m in json.load(resp).get("data", []) if m.get("id")]
        except urllib.error.HTTPError:
            ids = []
        except (urllib.error.URLError, OSError) as exc:
            raise self._unreachable(exc) from exc
        except (ValueError, AttributeError, TypeError):
            ids = []
        self._model_known = True
        if ids and self.model not in ids:
            self.model = ids[0]

    def stream(self, messages: list[dict], max_tokens: int) -> Iterator[str]:
        if not self._model_known:
            self._discover_model()
        body = json.dumps({"model": self.model, "messages": messages, "temperature": 0,
                           "max_tokens": max_tokens, "stream": True}).encode()
        req = urllib.request.Request(f"{self.url}/chat/completions", data=body, headers=self._headers())
        try:
            resp = urllib.request.urlopen(req, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            raise self._refused(exc) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise self._unreachable(exc) from exc
        finished, wrote = False, False
        with resp:
            try:
                for raw in resp:
                    line = raw.decode("utf-8", "replace").strip()
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    try:
                        event = json.loads(data)
                    except ValueError:
                        continue
                    if isinstance(event, dict) and event.get("error"):
                        err = event["error"]
                        raise ModelError(f"The model server at {self.url} failed: "
                                         f"{err.get('message', err) if isinstance(err, dict) else err}")
                    try:
                        choice = event["choices"][0]
                    except (KeyError, IndexError, TypeError):
                        continue
                    text = (choice.get("delta") or {}).get("content") or ""
                    if text:
                        wrote = True
                        yield text
                    if choice.get("finish_reason"):
                        finished = True
            except (OSError, http.client.HTTPException) as exc:
                raise ModelError(f"The model server at {self.url} stopped in the middle of an answer "
                                 f"({exc or type(exc).__name__}). Check that it is still running.") from exc
        if not finished:
            # llama-cpp-python's server ends a stream this way (``[DONE]`` without a finish_reason)
            # when another request arrives (its --interrupt_requests, on by default): the answer
            # would be silently cut short, or empty
            raise ModelError(
                f"The model server at {self.url} ended the answer before it was finished"
                f"{'' if wrote else ' (before its first word)'}. If it is "
                f"llama-cpp-python's server shared by several users, start it with "
                f"`--interrupt_requests False`.")


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
