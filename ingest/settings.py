"""One settings object for all of Casefile.

Every field can be set from the environment as ``CASEFILE_<FIELD>`` (upper case), e.g.
``CASEFILE_HOME=/tmp/scratch`` or ``CASEFILE_MAX_FILE_MB=20``. Command-line flags, where a
command has them, override the environment.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def apply_offline_env() -> None:
    """Run offline, and send nothing anywhere: no hub downloads, no telemetry.

    Set in code, not left to the user: filings are confidential work product.
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ["DO_NOT_TRACK"] = "1"
    os.environ["ANONYMIZED_TELEMETRY"] = "False"      # chromadb
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # gradio
    os.environ["RAGAS_DO_NOT_TRACK"] = "true"         # ragas (evaluation tests)
    os.environ["TOKENIZERS_PARALLELISM"] = "false"


class SettingsError(ValueError):
    """A setting has a value Casefile cannot use; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=lambda: REPO_ROOT / ".casefile")
    corpus: Path = field(default_factory=lambda: REPO_ROOT / "corpus")
    collection: str = "casefile"
    chroma_url: str = ""            # e.g. http://127.0.0.1:8000 for a Chroma server; "" = embedded
    max_file_mb: float = 50.0       # files larger than this are refused
    chunk_words: int = 150          # target chunk size in words (all-MiniLM reads <= 256 pieces)
    chunk_max_words: int = 190      # hard ceiling for one chunk (a single long sentence may pass it)
    overlap_sentences: int = 1
    embed_batch: int = 32
    embed_backend: str = "onnx-int8"  # onnx-int8 | onnx | torch (see ingest/embed.py)
    # answering
    model: str = "qwen2.5-1.5b"     # qwen2.5-1.5b | smollm2 | a path to any .gguf file
    llm_url: str = ""               # an OpenAI-compatible server (llama.cpp, Ollama, vLLM)
    llm_api_model: str = "default"  # the model name to send to that server
    llm_concurrency: int = 1        # questions answered at once: set it to a model server's parallel slots
    n_ctx: int = 4096
    max_tokens: int = 200
    threads: int = 0                # 0 = all cores
    top_k: int = 8                  # chunks retrieved after fusion
    evidence_tokens: int = 260      # evidence budget in the prompt (the main latency lever)
    max_question_chars: int = 2000

    @property
    def chroma_dir(self) -> Path:
        return self.home / "chroma"

    @property
    def docs_dir(self) -> Path:
        return self.home / "docs"

    @property
    def manifest_path(self) -> Path:
        return self.home / "manifest.json"      # the JSON store of earlier versions (migrated)

    @property
    def db_path(self) -> Path:
        return self.home / "casefile.db"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def answer_slots(self) -> int:
        """How many questions one app answers at once. A local model writes one answer at a time,
        and so does llama-cpp-python's server; a server with parallel slots (vLLM, llama.cpp's
        ``--parallel N``, several server workers) can take that many (bench/concurrency_bench.py:
        8 at once against a one-at-a-time server made every wait 3x longer on 2 cores)."""
        return max(1, self.llm_concurrency)

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> "Settings":
        env = os.environ if env is None else env
        values = {}
        for f in fields(cls):
            raw = env.get(f"CASEFILE_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _convert(f, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("home", "corpus"):
            if key in values:
                values[key] = Path(values[key]).expanduser().resolve()
        return cls(**values)

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)


def _convert(f: dataclasses.Field, raw: str):
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(raw)
    except ValueError:
        raise SettingsError(
            f"CASEFILE_{f.name.upper()}={raw!r} is not a valid {kind}; unset it or give a number."
        ) from None
    return raw


apply_offline_env()
