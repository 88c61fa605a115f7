"""Team mode: Casefile against a Chroma server (`chroma run`) and an OpenAI-compatible model
server (`python -m llama_cpp.server` with the tiny plumbing model), both started on loopback by
the fixtures below. Ingest and ask through them, two Casefile processes on one shared store, and
kill -9 of an ingest in server mode.

The store's consistency is checked through public interfaces only (``Store.documents()``, the
output of ``python -m ingest --check --json``, and the Chroma server itself through its own
client), not through the files Casefile keeps, so the checks hold whatever the local store's
format is.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ingest.errors import ModelError, StoreError
from ingest.settings import REPO_ROOT, Settings
from ingest.store import Store
from qa.llm import OpenAIServerBackend

from bench.servers import CHROMA_BIN, free_port, start_chroma, start_model_server

from .conftest import ARTICLE, CORPUS, ORDER

SERVER_MODULES = ("llama_cpp.server", "fastapi", "uvicorn", "sse_starlette", "starlette_context",
                  "pydantic_settings")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    """`chroma run` (chromadb's own CLI, in the virtualenv) on a free loopback port, telemetry off."""
    if not CHROMA_BIN.exists():
        pytest.skip(f"the Chroma server command is missing ({CHROMA_BIN}); `make setup` installs chromadb")
    server = start_chroma(tmp_path_factory.mktemp("chroma"))
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def llm_url(tmp_path_factory):
    """llama-cpp-python's OpenAI-compatible server with SmolLM2-135M on a free loopback port."""
    missing = [m for m in SERVER_MODULES if importlib.util.find_spec(m.split(".")[0]) is None
               or (m == "llama_cpp.server" and importlib.util.find_spec(m) is None)]
    if missing:
        pytest.skip(f"llama-cpp-python's server needs {', '.join(missing)}; `make setup` installs "
                    f"them (requirements-dev.txt)")
    from ingest.models import smollm2_path

    server = start_model_server(smollm2_path(), tmp_path_factory.mktemp("llm"), threads=2, alias="smollm2")
    yield server.url
    server.stop()


def _server_env(home: Path, chroma_url: str, llm_url: str, **extra: str) -> dict:
    return dict(os.environ, CASEFILE_HOME=str(home), CASEFILE_CHROMA_URL=chroma_url,
                CASEFILE_LLM_URL=llm_url, CASEFILE_COLLECTION=f"casefile-{abs(hash(str(home))) % 10**9}",
                **extra)


def _settings(env: dict) -> Settings:
    return Settings.from_env(env)


def _server_chunks(settings: Settings) -> dict[str, tuple[str, dict]]:
    """What the Chroma server holds for this store, read with chromadb's own client."""
    import chromadb

    from ingest.store import chroma_settings

    host, port = settings.chroma_url.rsplit("/", 1)[-1].split(":")
    client = chromadb.HttpClient(host=host, port=int(port), settings=chroma_settings())
    got = client.get_collection(settings.collection).get(include=["documents", "metadatas"])
    assert len(got["ids"]) == len(set(got["ids"])), "duplicated vectors on the server"
    return {i: (d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])}


def assert_server_store_consistent(settings: Settings, expect_sources: set[str]) -> None:
    """The documents Casefile lists are exactly those whose vectors the server holds, chunk for
    chunk, and every chunk's text is the stored text at its offsets."""
    docs = Store(settings).documents()
    assert {Path(d.source).name for d in docs} == expect_sources
    chunks = _server_chunks(settings)
    want = {c.id: (d, c) for d in docs for c in d.chunks}
    assert set(chunks) == set(want), (f"{len(set(chunks) - set(want))} vectors of no listed chunk, "
                                      f"{len(set(want) - set(chunks))} chunks without a vector")
    for cid, (text, meta) in chunks.items():
        doc, chunk = want[cid]
        assert meta["doc_id"] == doc.doc_id
        assert text == chunk.text == doc.text[chunk.start:chunk.end]


# --- the model server's failures, against a stand-in HTTP server (no model needed) -------------

class _Fake(BaseHTTPRequestHandler):
    routes: dict = {}

    def log_message(self, *a):
        pass

    def _reply(self):
        code, ctype, body = self.routes.get(self.path, (404, "text/plain", b"no such route"))
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _reply


@pytest.fixture
def fake_server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Fake)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv, f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def _sse(*events) -> bytes:
    return b"".join(b"data: " + (e if isinstance(e, bytes) else json.dumps(e).encode()) + b"\n\n" for e in events)


def _delta(text, finish=None):
    return {"choices": [{"delta": {"content": text}, "finish_reason": finish}]}


MSG = [{"role": "user", "content": "q"}]


def test_the_model_server_s_own_model_name_is_used_and_its_answer_streamed(fake_server):
    srv, url = fake_server
    _Fake.routes = {"/v1/models": (200, "application/json", json.dumps({"data": [{"id": "served-model"}]}).encode()),
                    "/v1/chat/completions": (200, "text/event-stream",
                                             _sse(_delta("The court "), _delta("denied it.", "stop"), b"[DONE]"))}
    backend = OpenAIServerBackend(Settings(llm_url=url))
    assert "".join(backend.stream(MSG, 20)) == "The court denied it."
    assert backend.name == f"served-model @ {url}"


def test_an_answer_the_server_cut_short_is_refused_not_shown_as_complete(fake_server):
    srv, url = fake_server
    # llama-cpp-python's server with --interrupt_requests (its default) ends a stream like this
    _Fake.routes = {"/v1/chat/completions": (200, "text/event-stream", _sse(_delta("The court "), b"[DONE]"))}
    backend = OpenAIServerBackend(Settings(llm_url=url, llm_api_model="m"))
    with pytest.raises(ModelError, match="ended the answer before it was finished.*--interrupt_requests False"):
        list(backend.stream(MSG, 20))


def test_a_refused_request_and_an_absent_server_say_what_to_do(fake_server):
    srv, url = fake_server
    _Fake.routes = {"/v1/chat/completions": (404, "application/json", b'{"error": "model not found"}')}
    with pytest.raises(ModelError, match=r"HTTP 404.*model not found.*CASEFILE_LLM_API_MODEL"):
        list(OpenAIServerBackend(Settings(llm_url=url, llm_api_model="m")).stream(MSG, 20))
    gone = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ModelError, match="Cannot reach the model server.*CASEFILE_LLM_URL"):
        list(OpenAIServerBackend(Settings(llm_url=gone)).stream(MSG, 20))


def test_an_absent_chroma_server_gets_a_clear_message(tmp_path):
    s = Settings(home=tmp_path / "home", chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StoreError, match="Cannot reach the Chroma server.*chroma run"):
        Store(s).collection


# --- the real servers -------------------------------------------------------------------------

def test_ingest_into_the_chroma_server_and_ask_through_the_model_server(chroma_url, llm_url, tmp_path, real_embedder):
    from ingest.pipeline import run
    from qa.engine import Engine

    env = _server_env(tmp_path / "home", chroma_url, llm_url)
    s = _settings(env)
    report = run([CORPUS], settings=s, embedder=real_embedder, progress=False)
    assert report.ok and report.count("added") == 3, report.results
    assert not s.chroma_dir.exists(), "vectors were written to an embedded Chroma, not to the server"
    assert_server_store_consistent(s, {ORDER, ARTICLE, "2022-02-15-plaintiffs-reply-rule-72a-objections.txt"})

    from qa.retrieve import Index

    engine = Engine(s, index=Index(s, embedder=real_embedder))
    ans = engine.answer("How much was the fine imposed on the company?")
    assert ans.mode == "generated", ans.notice
    assert ans.model == f"smollm2 @ {llm_url}"          # the server's own name for its model
    assert ans.citations, (ans.answer, ans.notice)
    docs = {d.doc_id: d for d in Store(s).documents()}
    for c in ans.citations:
        assert docs[c.doc_id].text[c.start:c.end] == c.quote
    assert any(Path(docs[c.doc_id].source).name == ARTICLE for c in ans.citations)


DRIVER = r"""
import json, sys
from pathlib import Path
from ingest.pipeline import run
from ingest.settings import Settings
from ingest.store import Store
from qa.retrieve import Index

s = Settings.from_env()
index = Index(s)
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    cmd = json.loads(line)
    if "ingest" in cmd:
        r = run([Path(cmd["ingest"])], settings=s, embedder=index.embedder, progress=False)
        out = {"ok": r.ok, "statuses": [x.status for x in r.results]}
    elif "search" in cmd:
        out = {"sources": [Path(h.doc.source).name for h in index.search(cmd["search"], k=3)]}
    else:
        out = {"documents": sorted(Path(d.source).name for d in Store(s).documents())}
    print(json.dumps(out), flush=True)
"""


class _Process:
    """A long-running Casefile process (the role an app process plays), driven over stdin."""

    def __init__(self, env: dict):
        self.proc = subprocess.Popen([sys.executable, "-c", DRIVER], cwd=REPO_ROOT, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert self.read() == {"ready": True}

    def send(self, **cmd) -> None:
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def read(self) -> dict:
        line = self.proc.stdout.readline()
        assert line, "the Casefile process died"
        return json.loads(line)

    def __call__(self, **cmd) -> dict:
        self.send(**cmd)
        return self.read()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def test_two_processes_on_one_shared_store_see_each_other_s_documents(chroma_url, llm_url, tmp_path):
    for name in (ORDER, ARTICLE):
        (tmp_path / name.split(".")[0]).mkdir()
        shutil.copy(CORPUS / name, tmp_path / name.split(".")[0] / name)
    env = _server_env(tmp_path / "home", chroma_url, llm_url, CASEFILE_CORPUS=str(tmp_path / "nothing"))
    one, two = _Process(env), _Process(env)
    try:
        assert one(documents=True) == two(documents=True) == {"documents": []}
        # both write at once: neither may lose the other's document
        one.send(ingest=str(tmp_path / ORDER.split(".")[0]))
        two.send(ingest=str(tmp_path / ARTICLE.split(".")[0]))
        assert one.read() == {"ok": True, "statuses": ["added"]}
        assert two.read() == {"ok": True, "statuses": ["added"]}
        for p in (one, two):
            assert p(documents=True) == {"documents": sorted([ORDER, ARTICLE])}
        # each finds the document the other added, without a restart
        assert one(search="fine imposed by the data protection regulator in euros")["sources"][0] == ARTICLE
        assert two(search="irreparable harm preliminary injunction standard")["sources"][0] == ORDER
    finally:
        one.close()
        two.close()
    assert_server_store_consistent(_settings(env), {ORDER, ARTICLE})


def test_kill_9_mid_server_mode_ingest_then_check_leaves_the_store_consistent(chroma_url, llm_url, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(6):
        for name in (ORDER, ARTICLE):
            shutil.copy(CORPUS / name, folder / f"{i:02d}-{name}")
    env = _server_env(tmp_path / "home", chroma_url, llm_url, CASEFILE_CORPUS=str(folder))
    s = _settings(env)
    proc = subprocess.Popen([sys.executable, "-m", "ingest", str(folder), "--quiet"], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def on_server() -> int:
        try:
            return len(_server_chunks(s))
        except Exception:  # the collection does not exist yet
            return 0

    try:
        deadline = time.time() + 300
        while on_server() < 20 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, "the ingest finished before it could be killed"
        assert on_server() >= 20, "the ingest made no progress on the server"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    killed_at = on_server()
    check = subprocess.run([sys.executable, "-m", "ingest", "--check", "--json"], cwd=REPO_ROOT, env=env,
                           capture_output=True, text=True, timeout=900)
    assert check.returncode == 0, check.stderr
    report = json.loads(check.stdout)
    assert report["ok"]
    assert len(report["results"]) == 12
    assert_server_store_consistent(s, {p.name for p in folder.iterdir()})
    assert len(_server_chunks(s)) > killed_at
    again = json.loads(subprocess.run([sys.executable, "-m", "ingest", "--check", "--json"], cwd=REPO_ROOT,
                                      env=env, capture_output=True, text=True, timeout=600).stdout)
    assert again["repaired"] == [] and {r["status"] for r in again["results"]} == {"unchanged"}
