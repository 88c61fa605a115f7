"""Start the servers of team mode on loopback, for the tests and the benchmarks.

- ``start_chroma(dir)``: ``chroma run`` (chromadb's own command, in the virtualenv), telemetry off.
- ``start_model_server(gguf, workers=1)``: llama-cpp-python's OpenAI-compatible server. It writes
  one answer at a time; ``workers=N`` runs N copies of it behind one port (uvicorn workers, each
  with its own copy of the model and ``threads // N`` threads), which is how it serves several
  answers at once. Started with ``interrupt_requests`` off: on, it cuts the answer being written
  whenever another request arrives.
- ``start_app(home, env)``: ``python app.py`` on a free port.

Each returns a ``Server`` (``url``, ``stop()``) once it answers HTTP, or raises with its log.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMA_BIN = Path(sys.executable).with_name("chroma")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def _launch(cmd: list[str], log: Path, ready: str, url: str, timeout: float, what: str,
            env: dict | None = None) -> Server:
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    server = Server(proc, url, log)
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + ready, timeout=5) as r:
                if r.status == 200:
                    return server
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            server.stop()
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{what} did not start within {timeout:.0f} s:\n{tail}")
        time.sleep(0.5)


def start_chroma(path: Path, timeout: float = 60) -> Server:
    path.mkdir(parents=True, exist_ok=True)
    port = free_port()
    return _launch([str(CHROMA_BIN), "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)],
                   path / "chroma.log", "/api/v2/heartbeat", f"http://127.0.0.1:{port}", timeout,
                   "the Chroma server", env=dict(os.environ, ANONYMIZED_TELEMETRY="False"))


def start_model_server(gguf: Path, log_dir: Path, *, workers: int = 1, threads: int | None = None,
                       alias: str | None = None, n_ctx: int = 4096, timeout: float = 180) -> Server:
    log_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    threads = threads or os.cpu_count() or 2
    alias = alias or gguf.stem
    if workers <= 1:
        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", alias,
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx), "--n_threads", str(threads),
               "--n_threads_batch", str(threads), "--interrupt_requests", "False"]
        env = None
    else:
        # llama_cpp.server's own command has no --workers; its app factory reads the same
        # settings from the environment
        per = str(max(1, threads // workers))
        cmd = [sys.executable, "-m", "uvicorn", "--factory", "llama_cpp.server.app:create_app",
               "--workers", str(workers), "--host", "127.0.0.1", "--port", str(port)]
        env = dict(os.environ, MODEL=str(gguf), MODEL_ALIAS=alias, N_CTX=str(n_ctx), N_THREADS=per,
                   N_THREADS_BATCH=per, INTERRUPT_REQUESTS="False")
    return _launch(cmd, log_dir / f"model-server-{port}.log", "/v1/models", f"http://127.0.0.1:{port}",
                   timeout, "the model server", env=env)


def start_app(home: Path, env: dict, *args: str, timeout: float = 300) -> Server:
    port = free_port()
    env = dict(env, CASEFILE_HOME=str(home))
    return _launch([sys.executable, str(ROOT / "app.py"), "--port", str(port), *args],
                   home.parent / f"app-{port}.log", "", f"http://127.0.0.1:{port}/", timeout, "the app", env=env)
