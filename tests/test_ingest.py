"""Integration: the real corpus into a scratch store; incremental runs; bad input; kill -9."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.manifest import OK
from ingest.pipeline import run
from ingest.store import Store
from tests.conftest import ARTICLE, CORPUS, ORDER, REPLY, scratch_settings
from tests.makers import make_docx, make_drawing_pdf, make_html, make_pdf

REPO = Path(__file__).resolve().parents[1]


def assert_consistent(settings, expect_docs: int | None = None):
    """The store's three parts agree: manifest, stored documents, vectors."""
    store = Store(settings)
    manifest = store.manifest()
    assert all(e.status == OK for e in manifest.entries.values()), "a pending entry was left behind"
    ids = store.collection.get(include=[])["ids"]
    assert len(ids) == len(set(ids)), "duplicated vectors"
    by_doc: dict[str, int] = {}
    for cid in ids:
        by_doc[cid.rsplit(":", 1)[0]] = by_doc.get(cid.rsplit(":", 1)[0], 0) + 1
    assert set(by_doc) == set(manifest.entries), "orphaned vectors or documents without vectors"
    for doc_id, entry in manifest.entries.items():
        assert by_doc[doc_id] == entry.n_chunks
        doc = store.document(doc_id)
        assert len(doc.chunks) == entry.n_chunks
        for c in doc.chunks:
            assert doc.text[c.start:c.end] == c.text
    assert set(store.db.chunk_counts()) == set(manifest.entries), "stray or missing stored passages"
    assert store.db.chunk_counts() == {k: e.n_chunks for k, e in manifest.entries.items()}
    if expect_docs is not None:
        assert len(manifest.entries) == expect_docs
    return manifest


def test_corpus_ingests_with_catalog_metadata(built_home):
    manifest = assert_consistent(built_home, expect_docs=3)
    store = Store(built_home)
    docs = {Path(e.source).name: store.document(k) for k, e in manifest.entries.items()}
    order, reply, article = docs[ORDER], docs[REPLY], docs[ARTICLE]
    assert (order.meta.kind, order.meta.voice, order.meta.date) == ("order", "court", "2021-06-14")
    assert reply.meta.voice == "plaintiffs" and reply.meta.kind in ("brief", "motion")
    assert article.meta.voice == "outlet" and article.meta.kind == "article"
    assert not order.meta.inferred, "catalog entries are not marked as inferred"
    # page breaks inside sentences are mended in the stored text that quotes are cut from
    assert "(1) blocking all photos that have metadata associating them" in order.text
    # structure: section paths and authorities on the chunks
    legal = [c for c in order.chunks if "LEGAL STANDARD" in c.section]
    assert legal and any("953 F.3d 490" in a for c in legal for a in c.authorities)
    pav = [c for c in reply.chunks if "Pavarti" in c.text]
    assert pav and all(c.section and c.section[0] == "ARGUMENT" for c in pav)
    # Chroma metadata carries what filters need
    got = store.collection.get(where={"voice": "court"}, include=["metadatas"])
    assert got["ids"] and all(m["doc_id"] == order.doc_id for m in got["metadatas"])


def test_rerun_skips_unchanged_edit_replaces_delete_removes(corpus_copy, settings, embedder):
    first = run([corpus_copy], settings=settings, embedder=embedder, progress=False)
    assert first.ok and first.count("added") == 3
    embedded = embedder.calls
    assert embedded > 0

    again = run([corpus_copy], settings=settings, embedder=embedder, progress=False)
    assert again.count("unchanged") == 3 and embedder.calls == embedded, "nothing re-embedded"

    article = corpus_copy / ARTICLE
    text = article.read_text(encoding="utf-8")
    article.write_text(text + "\nThe CNIL also ordered Clearview to pay a penalty of 100,000 euros per day of delay.\n",
                       encoding="utf-8")
    edited = run([corpus_copy], settings=settings, embedder=embedder, progress=False)
    assert edited.count("updated") == 1 and edited.count("unchanged") == 2
    m = assert_consistent(settings, expect_docs=3)
    doc = next(Store(settings).document(k) for k, e in m.entries.items() if e.source.endswith(ARTICLE))
    assert "100,000 euros per day of delay" in doc.text

    (corpus_copy / REPLY).unlink()
    gone = run([corpus_copy], settings=settings, embedder=embedder, progress=False)
    assert gone.count("removed") == 1
    m = assert_consistent(settings, expect_docs=2)
    assert not any(e.source.endswith(REPLY) for e in m.entries.values())
    hits = Store(settings).collection.get(where={"source": {"$in": [e.source for e in m.entries.values()]}})
    assert len(hits["ids"]) == sum(e.n_chunks for e in m.entries.values())


def test_catalog_change_refreshes_metadata(corpus_copy, settings, embedder):
    run([corpus_copy], settings=settings, embedder=embedder, progress=False)
    cat = corpus_copy / "catalog.yaml"
    cat.write_text(cat.read_text(encoding="utf-8").replace("ProWellTech", "ProWellTech News", 1), encoding="utf-8")
    r = run([corpus_copy], settings=settings, embedder=embedder, progress=False)
    assert r.count("updated") >= 1


def test_uncatalogued_file_gets_inferred_metadata(tmp_path, settings, embedder):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(CORPUS / ORDER, folder / "scan0001.txt")
    r = run([folder], settings=settings, embedder=embedder, progress=False)
    assert r.ok
    doc = Store(settings).documents()[0]
    assert doc.meta.kind == "order" and doc.meta.voice == "court"
    assert "kind" in doc.meta.inferred and doc.meta.date == "2021-06-14"


def test_bad_inputs_get_clear_messages_and_the_rest_goes_in(tmp_path, settings, embedder):
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(CORPUS / ARTICLE, folder / "good.txt")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n garbage")
    make_drawing_pdf(folder / "scanned.pdf", 2)
    (folder / "notes.xyz").write_text("hello")
    (folder / "cp1252.txt").write_bytes("The court\x92s order cites \x93Orr v. Shicker\x94 \xa7 5 and denies the motion.".encode("latin-1"))
    (folder / "huge.txt").write_text("The court denies the motion. " * 50000)
    r = run([folder], settings=settings.replace(max_file_mb=1), embedder=embedder, progress=False)
    status = {Path(x.source).name: x for x in r.results}
    assert status["good.txt"].status == "added"
    assert status["cp1252.txt"].status == "added" and "cp1252" in status["cp1252.txt"].message
    assert "empty" in status["empty.txt"].message
    assert "binary" in status["binary.txt"].message
    assert "damaged" in status["corrupt.pdf"].message
    assert "OCR" in status["scanned.pdf"].message
    assert "unsupported file type" in status["notes.xyz"].message
    assert "over the limit" in status["huge.txt"].message and "CASEFILE_MAX_FILE_MB" in status["huge.txt"].message
    assert not r.ok and len(r.failed) == 6
    m = assert_consistent(settings, expect_docs=2)
    doc = next(Store(settings).document(k) for k, e in m.entries.items() if e.source.endswith("cp1252.txt"))
    assert "court’s order cites “Orr v. Shicker” § 5" in doc.text


def test_pdf_docx_html_keep_pages_and_structure(tmp_path, settings, embedder):
    folder = tmp_path / "formats"
    folder.mkdir()
    make_pdf(folder / "opinion.pdf", [
        "MEMORANDUM OPINION AND ORDER\n\nThe plaintiffs move to compel discovery of the blocked photos.",
        "The Court finds that the requests are proportional to the needs of the case under Rule 26(b)(1).",
        "For these reasons, the motion to compel is granted in part. IT IS SO ORDERED.",
    ], title="Opinion on motion to compel")
    make_docx(folder / "memo.docx", title="Research memo", heading="Biometric privacy",
              paragraphs=["BIPA requires informed written consent before collecting biometric identifiers."],
              bullets=["Section 15(b) consent", "Section 15(a) retention schedule"],
              table=[["Statute", "Cite"], ["BIPA", "740 ILCS 14/1"]])
    make_html(folder / "news.html", "<h1>Regulator fines firm</h1><p>The regulator imposed a fine of 20 million euros.</p>"
              "<script>alert('x')</script>", title="Regulator fines firm")
    r = run([folder], settings=settings, embedder=embedder, progress=False)
    assert r.ok, r.failed
    store = Store(settings)
    docs = {Path(d.source).name: d for d in store.documents()}
    pdf = docs["opinion.pdf"]
    page2 = pdf.text.index("proportional to the needs")
    assert pdf.page_at(page2) == 2 and pdf.page_at(pdf.text.index("granted in part")) == 3
    pages = {(c.page_start, c.page_end) for c in pdf.chunks}
    assert any(ps == 1 for ps, _ in pages) and any(pe == 3 for _, pe in pages)
    assert "alert" not in docs["news.html"].text
    assert "740 ILCS 14/1" in docs["memo.docx"].text
    assert_consistent(settings, expect_docs=3)


def test_cli_exit_status_and_rebuild(tmp_path, corpus_copy):
    env = {**os.environ, "CASEFILE_HOME": str(tmp_path / "home")}
    ok = subprocess.run([sys.executable, "-m", "ingest", str(corpus_copy), "--quiet"], cwd=REPO,
                        env=env, capture_output=True, text=True, timeout=600)
    assert ok.returncode == 0, ok.stderr
    assert "3 added" in ok.stdout
    (corpus_copy / "bad.pdf").write_bytes(b"not a pdf")
    bad = subprocess.run([sys.executable, "-m", "ingest", str(corpus_copy), "--quiet"], cwd=REPO,
                         env=env, capture_output=True, text=True, timeout=600)
    assert bad.returncode == 1 and "bad.pdf" in bad.stderr and "3 unchanged" in bad.stdout
    (corpus_copy / "bad.pdf").unlink()
    rebuilt = subprocess.run([sys.executable, "-m", "ingest", str(corpus_copy), "--rebuild", "--json"],
                             cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert rebuilt.returncode == 0
    assert [r["status"] for r in json.loads(rebuilt.stdout)["results"]] == ["added"] * 3


def _wait_for(cond, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    return False


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("kill_after_ok", [0, 2])
def test_kill_9_mid_ingest_then_rerun_repairs(tmp_path, kill_after_ok):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(8):
        for name in (ORDER, ARTICLE):
            shutil.copy(CORPUS / name, folder / f"{i:02d}-{name}")
    home = tmp_path / "home"
    env = {**os.environ, "CASEFILE_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "ingest", str(folder), "--quiet"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    def oks():
        if not (home / "casefile.db").exists():
            return 0
        return len(Store(scratch_settings(tmp_path)).manifest().ok())

    try:
        assert _wait_for(lambda: oks() > kill_after_ok, 300), "ingest made no progress"
        time.sleep(0.15)
        assert proc.poll() is None, "ingest finished before it could be killed"
        workers = _children(proc.pid)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    # the worker preparing the next documents goes with it, not left waiting for ever
    assert workers, "the ingest had no worker process to check"
    assert _wait_for(lambda: not any(_alive(w) for w in workers), 10), "worker outlived the killed ingest"
    rerun = subprocess.run([sys.executable, "-m", "ingest", str(folder), "--quiet"], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert_consistent(scratch_settings(tmp_path), expect_docs=16)


def test_check_repairs_a_store_changed_behind_its_back(corpus_copy, settings, embedder):
    run([corpus_copy], settings=settings, embedder=embedder, progress=False)
    store = Store(settings)
    victim = next(iter(store.manifest().entries))
    store.collection.delete(where={"doc_id": victim})          # vectors lost outside Casefile
    r = run([corpus_copy], settings=settings, embedder=embedder, progress=False, check=True)
    assert any("incomplete" in note for note in r.repaired)
    assert r.count("added") == 1 and r.count("unchanged") == 2
    assert_consistent(settings, expect_docs=3)


def test_a_deleted_document_stays_deleted_until_its_file_is_added_by_name(corpus_copy, settings, embedder):
    from ingest.errors import StoreError
    from ingest.pipeline import remove_document

    assert run([corpus_copy], settings=settings, embedder=embedder, progress=False).ok
    m = Store(settings).manifest()
    article_id = next(k for k, e in m.entries.items() if e.source.endswith(ARTICLE))
    entry = remove_document(article_id, settings)
    assert entry.source.endswith(ARTICLE)
    assert_consistent(settings, expect_docs=2)
    with pytest.raises(StoreError, match="deleted already"):
        remove_document(article_id, settings)

    calls = embedder.calls
    again = run([corpus_copy], settings=settings, embedder=embedder, progress=False)   # the folder
    assert again.count("excluded") == 1 and again.count("unchanged") == 2 and embedder.calls == calls
    assert_consistent(settings, expect_docs=2)

    back = run([corpus_copy / ARTICLE], settings=settings, embedder=embedder, progress=False)  # by name
    assert back.count("added") == 1
    assert_consistent(settings, expect_docs=3)
    assert run([corpus_copy], settings=settings, embedder=embedder, progress=False).count("unchanged") == 3
