"""The embedding backends: ONNX (int8, fp32) agrees with PyTorch, falls back to it when ONNX is
unavailable, refuses an exported file that has changed, and questions are embedded by the model
that made the store's vectors."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

import ingest.embed as embed
from ingest.embed import Embedder, backend_id, embedder_for_store
from ingest.errors import ModelError
from ingest.models import ONNX_DIR, embedding_onnx_file, onnx_file_name
from ingest.settings import Settings

SENTENCES = [
    "The Court, in its discretion, denies the Illinois class plaintiffs' motion for a preliminary injunction.",
    "Plaintiffs have not shown that they are likely to suffer irreparable harm absent an injunction.",
    "The data protection authority imposed a fine of twenty million euros and ordered the deletion of the data.",
    "Respectfully submitted,",
    "IT IS SO ORDERED.",
]


@pytest.fixture(scope="module")
def torch_vectors():
    return Embedder(backend="torch").embed_documents(SENTENCES)


# fp32 ONNX is the same model; int8 loses a little on short lines (measured on the 57 corpus
# chunks: min 0.984, median 0.995; recall@10 unchanged, bench/embed_recall_bench.py)
@pytest.mark.parametrize("backend,least,median", [("onnx", 0.999, 0.999), ("onnx-int8", 0.98, 0.99)])
def test_onnx_vectors_match_the_pytorch_model(backend, least, median, torch_vectors):
    e = Embedder(backend=backend)
    assert e.backend == backend and e.model_id != backend_id("torch")
    vecs = e.embed_documents(SENTENCES)
    assert vecs.shape == torch_vectors.shape
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-3)
    cos = (vecs * torch_vectors).sum(1)
    assert cos.min() >= least and np.median(cos) >= median, cos
    # a query vector is the same as a passage vector of the same text, and order is kept
    assert float(e.embed_query(SENTENCES[3]) @ vecs[3]) > 0.999
    assert float(e.embed_query(SENTENCES[3]) @ vecs[0]) < 0.9


def test_without_onnx_the_embedder_falls_back_to_pytorch_and_says_so(monkeypatch, torch_vectors):
    def unavailable(*a, **kw):
        raise ImportError("No module named 'onnx'")

    monkeypatch.setattr(embed, "embedding_onnx_file", unavailable)
    notes = []
    e = Embedder(backend="onnx-int8", log=notes.append)
    assert e.backend == "torch" and e.model_id == backend_id("torch")
    assert len(notes) == 1 and "PyTorch" in notes[0] and "onnx" in notes[0]
    assert np.allclose(e.embed_documents(SENTENCES[:2]), torch_vectors[:2], atol=1e-5)


def test_an_unknown_backend_is_refused_with_the_choices():
    from ingest.settings import SettingsError

    with pytest.raises(SettingsError, match="onnx-int8, onnx, torch"):
        Embedder(backend="tensorflow")


def _copied_export(tmp_path) -> Settings:
    """Scratch settings whose model cache holds a copy of the project's exported ONNX files."""
    src = embedding_onnx_file(Settings.from_env(), quantized=True).parent
    s = Settings(home=tmp_path / "home")
    shutil.copytree(src, s.models_dir / ONNX_DIR)
    return s


def test_a_changed_onnx_file_is_refused_with_what_to_do(tmp_path):
    s = _copied_export(tmp_path)
    path = embedding_onnx_file(s, quantized=True, export=False)      # the copy verifies
    with open(path, "r+b") as fh:                                      # one byte changed
        fh.seek(len(path.read_bytes()) // 2)
        b = fh.read(1)
        fh.seek(-1, 1)
        fh.write(bytes([b[0] ^ 0xFF]))
    with pytest.raises(ModelError, match="changed since it was exported.*python -m ingest.models"):
        embedding_onnx_file(s, quantized=True, export=False)
    # the embedder refuses it too, rather than quietly using another model
    with pytest.raises(ModelError, match="refusing"):
        Embedder(s, backend="onnx-int8").backend


def test_a_missing_export_is_not_loaded(tmp_path):
    s = _copied_export(tmp_path)
    (s.models_dir / ONNX_DIR / onnx_file_name(False)).unlink()
    with pytest.raises(ModelError, match="has not been exported"):
        embedding_onnx_file(s, quantized=False, export=False)


class FakeEmbedder:
    def __init__(self, model_id):
        self.model_id = model_id


def test_questions_use_the_backend_that_made_the_store(monkeypatch):
    current = FakeEmbedder(backend_id("onnx-int8"))
    assert embedder_for_store(current, backend_id("onnx-int8")) is current
    assert embedder_for_store(current, None) is current
    notes = []
    other = embedder_for_store(current, backend_id("torch"), log=notes.append)
    assert other.backend == "torch" and other.model_id == backend_id("torch")
    assert "re-ingest" in notes[0]
    with pytest.raises(ModelError, match="python -m ingest"):
        embedder_for_store(current, "some-other-model")


def test_a_store_built_with_pytorch_is_searched_with_pytorch(tmp_path, corpus_copy):
    """A store embedded by one backend, then opened by an index whose embedder is another: the
    question vector comes from the store's backend, so the best dense hit is a real match."""
    from ingest.pipeline import run
    from qa.retrieve import Index

    s = Settings(home=tmp_path / "home", corpus=corpus_copy)
    torch_e = Embedder.shared("torch")
    assert run([corpus_copy], settings=s, embedder=torch_e, progress=False).ok
    index = Index(s, embedder=Embedder.shared("onnx-int8"))
    index.refresh()
    assert index.embedder.model_id == backend_id("torch")
    q = "Did the court grant the preliminary injunction?"
    best = index.dense(index.embedder.embed_query(q), 1, None)[0]
    assert best[1] == pytest.approx(float(torch_e.embed_query(q) @ torch_e.embed_documents(
        [index.chunk(best[0])[1].embed_text()])[0]), abs=1e-3)
