"""The chat in the browser (app.py): rendering on plain values, the refusals at start, and the
running app driven like a user would (Chromium through Playwright, gradio_client, several
clients at once) with the real default model against a scratch copy of the corpus store."""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

import app
from ingest.settings import REPO_ROOT, Settings
from ingest.types import Answer, Citation, Document, DocumentMeta
from qa.engine import QuestionError

from .conftest import CORPUS

ARTIFACTS = Path(os.environ.get("CASEFILE_TEST_ARTIFACTS", REPO_ROOT / "artifacts"))
CHROMIUM = "/usr/bin/chromium"
MEMO = ("MEMORANDUM TO FILE\n\nRe: Scheduling in In re Clearview AI\n\n"
        "The mediation session is scheduled for March 3, 2027 in Chicago before retired Judge "
        "Maria Alvarez. Each side will bring one corporate representative.\n")


# --- rendering and inputs, on plain values ---------------------------------------------------

def test_every_font_face_the_page_loads_has_all_capital_letters():
    # Gradio's semibold file holds 55 glyphs: bold capitals after "B" came from another font
    import re
    from fontTools.ttLib import TTFont
    import gradio

    faces = re.findall(r"static/fonts/(\w+/[\w-]+\.woff2)", "\n".join(app.theme()._font_css))
    assert faces, "no font faces found in the theme"
    root = Path(gradio.__file__).parent / "templates" / "frontend" / "static" / "fonts"
    for face in faces:
        cmap = TTFont(str(root / face)).getBestCmap()
        missing = [chr(c) for c in range(ord("A"), ord("Z") + 1) if c not in cmap]
        assert not missing, f"{face} lacks {''.join(missing)}"


def test_context_window_shows_the_quote_inside_its_paragraph():
    text = "First paragraph.\n\nThe court held A. The court held B. Then C.\n\nLast."
    start = text.index("The court held B.")
    before, quote, after, cut0, cut1 = app.context_window(text, start, start + len("The court held B."))
    assert (before, quote, after) == ("The court held A. ", "The court held B.", " Then C.")
    assert not cut0 and not cut1


def test_context_window_cuts_long_paragraphs_at_words():
    words = " ".join(f"w{i}" for i in range(400))
    text = words + " QUOTE " + words
    s = text.index("QUOTE")
    before, quote, after, cut0, cut1 = app.context_window(text, s, s + 5, width=100)
    assert quote == "QUOTE" and cut0 and cut1
    assert len(before) <= 100 and len(after) <= 100
    assert before.split()[0].startswith("w") and text[s - len(before):s] == before


def test_markers_link_only_to_real_citations_and_unsupported_sentences_are_flagged():
    c = Citation(n=1, source="a.txt", title="T", quote="q", start=0, end=1, page=None, doc_id="d")
    ans = Answer(question="q", answer="The court denied it [1]. It was 2020 [unsupported] and [7].",
                 abstained=False, citations=[c], unsupported=["It was 2020"])
    html = app.answer_text_html(ans, turn=3)
    assert 'data-turn="3" data-cite="1"' in html
    assert 'data-cite="7"' not in html and "[7]" in html           # no link to a citation that is not there
    assert '<span class="cf-unsupported"' in html and "not supported by the documents" in html
    assert "[unsupported]" not in html


def test_answer_html_escapes_document_and_model_text():
    ans = Answer(question="<b>x</b>", answer="<script>alert(1)</script>", abstained=False)
    out = app.conversation_html([app.Turn(question=ans.question, answer=ans, done=True)], {})
    assert "<script>" not in out and "&lt;script&gt;" in out and "<b>x</b>" not in out


def test_abstention_looks_different_and_opens_the_closest_passages():
    from ingest.types import Evidence
    ev = Evidence(source="a.txt", text="Nearest passage.", score=0.1, doc_id="d", title="Doc")
    a = Answer(question="q", answer="The documents do not answer this question.", abstained=True, evidence=[ev])
    out = app.turn_html(app.Turn(question="q", answer=a, done=True), 0, {})
    assert "cf-abstained" in out and "Not in the documents" in out
    assert "<details class=\"cf-evidence\" open><summary>Closest passages (1)" in out


def test_source_view_highlights_exactly_the_cited_range_with_pages():
    text = "Page one text. The holding is here.\fPage two text."
    doc = Document(doc_id="d", source="x.pdf", content_hash="h", fmt="pdf",
                   meta=DocumentMeta(title="Order", kind="order", voice="court"), text=text,
                   pages=[(1, 0, 36), (2, 36, len(text))], chunks=[])
    s = text.index("The holding")
    out = app.source_html(doc, s, s + len("The holding is here."))
    assert '<mark class="cf-hit">The holding is here.</mark>' in out
    assert "page 2" in out and "p. 1" in out


@pytest.mark.parametrize("value,end,expected", [("2021", False, "2021-01-01"), ("2021", True, "2021-12-31"),
                                                ("2021-06", True, "2021-06-31"), ("2021-06-14", False, "2021-06-14"),
                                                ("", False, "")])
def test_dates_accept_years_and_months(value, end, expected):
    assert app.parse_date(value, end, "from") == expected


def test_bad_filters_get_a_message():
    with pytest.raises(QuestionError, match="YYYY"):
        app.make_filters([], [], [], "June 2021", "")
    with pytest.raises(QuestionError, match="empty"):
        app.make_filters([], [], [], "2022", "2021")
    assert app.make_filters([], [], [], "", "") is None
    f = app.make_filters(["doc-1"], ["order"], [], "2021", "")
    assert f.doc_ids == ("doc-1",) and f.kinds == ("order",) and f.date_from == "2021-01-01"


def test_logins_from_file_and_environment(tmp_path):
    f = tmp_path / "logins"
    f.write_text("# team\nalice:s3cret:with:colons\n\nbob:pw\n")
    assert app.read_auth(str(f), None) == [("alice", "s3cret:with:colons"), ("bob", "pw")]
    assert app.read_auth(None, "carol:x,dave:y") == [("carol", "x"), ("dave", "y")]
    assert app.read_auth(None, None) == []
    f.write_text("alice\n")
    with pytest.raises(app.SettingsError, match="user:password"):
        app.read_auth(str(f), None)
    with pytest.raises(app.SettingsError, match="Cannot read"):
        app.read_auth(str(tmp_path / "missing"), None)


def test_binding_beyond_loopback_without_a_login_is_refused(capsys, tmp_path):
    assert app.is_loopback("127.0.0.1") and app.is_loopback("::1") and app.is_loopback("localhost")
    assert not app.is_loopback("0.0.0.0") and not app.is_loopback("192.168.1.10")
    code = app.main(["--host", "0.0.0.0", "--home", str(tmp_path), "--no-ingest"])
    assert code == 2
    assert "refusing to listen on 0.0.0.0 without a login" in capsys.readouterr().err


def test_upload_names_are_made_safe():
    assert app.safe_upload_name("../../etc/passwd.TXT") == "passwd.txt"
    assert app.safe_upload_name("Order (final) $$.pdf") == "Order _final.pdf"
    assert app.safe_upload_name("....pdf").endswith(".pdf")


# --- documents: upload and delete, in process ----------------------------------------------------

@pytest.fixture
def casefile(built_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(built_home.home, home)
    return app.Casefile(built_home.replace(home=home))


def test_uploads_are_ingested_bad_files_get_messages_and_nothing_else_changes(casefile, tmp_path):
    before = {k: len(d.chunks) for k, d in casefile.documents().items()}
    memo, empty, exe = tmp_path / "memo.txt", tmp_path / "scan.pdf", tmp_path / "tool.exe"
    memo.write_text(MEMO, encoding="utf-8")
    empty.write_bytes(b"")
    exe.write_bytes(b"MZ\x90\x00")
    msg, changed = casefile.add_files([str(memo), str(empty), str(exe)])
    assert changed
    assert "✓ memo.txt: added" in msg
    assert "✗ scan.pdf:" in msg and "empty" in msg.lower()
    assert "✗ tool.exe:" in msg and ".pdf" in msg
    after = casefile.documents()
    assert len(after) == len(before) + 1
    assert {k: len(d.chunks) for k, d in after.items() if k in before} == before   # nothing else changed
    assert sorted(p.name for p in casefile.uploads.iterdir()) == ["memo.txt"]       # the bad ones are not kept
    assert any("Maria Alvarez" in d.text for d in after.values())


def test_deleting_a_document_removes_it_from_answers_and_from_the_list(casefile):
    docs = casefile.documents()
    article = next(k for k, d in docs.items() if d.meta.kind == "article")
    msg = casefile.delete(article)
    assert "Deleted" in msg and "will not be ingested again" in msg
    assert article not in casefile.documents()
    assert all(row[1] != "News article" for row in casefile.table())
    hits = casefile.engine.index.search("CNIL fine France GDPR")
    assert hits and all(h.doc.doc_id != article for h in hits)
    casefile.prepare(progress=False)                     # a restart does not bring it back
    assert article not in casefile.documents()


# --- the running app ------------------------------------------------------------------------

@pytest.fixture(scope="session")
def qwen_gguf():
    """The verified default model (assembled from its packages once, in the repository's data
    directory, as `make models` does)."""
    from ingest.models import resolve_gguf
    from ingest.settings import Settings

    path, _ = resolve_gguf(Settings())
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(home: Path, model: str, *args: str, **env_extra: str):
    """python app.py on a free loopback port; returns (process, url, log file) once it answers."""
    port = _free_port()
    env = dict(os.environ, CASEFILE_HOME=str(home), CASEFILE_CORPUS=str(CORPUS), CASEFILE_MODEL=model, **env_extra)
    log = open(home.parent / "app.log", "w")
    proc = subprocess.Popen([sys.executable, str(REPO_ROOT / "app.py"), "--port", str(port), *args],
                            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while True:
        try:
            urllib.request.urlopen(url, timeout=5)
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError("the app did not start:\n" + (home.parent / "app.log").read_text())
            time.sleep(1)
    return proc, url, log


def _stop(proc, log):
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def server(built_home, qwen_gguf, tmp_path_factory):
    """python app.py with the default model, on a scratch copy of the corpus store."""
    home = tmp_path_factory.mktemp("app") / "home"
    shutil.copytree(built_home.home, home)
    proc, url, log = _start(home, str(qwen_gguf))
    yield url, home
    _stop(proc, log)


def test_with_logins_nothing_is_served_without_one(built_home, tmp_path):
    from gradio_client import Client

    home = tmp_path / "home"
    shutil.copytree(built_home.home, home)
    proc, url, log = _start(home, "smollm2", "--no-ingest", CASEFILE_AUTH="alice:correct horse")
    try:
        with pytest.raises(Exception):
            Client(url, verbose=False).predict(api_name="/documents")
        with pytest.raises(Exception):
            Client(url, auth=("alice", "wrong"), verbose=False).predict(api_name="/documents")
        docs = Client(url, auth=("alice", "correct horse"), verbose=False).predict(api_name="/documents")
        assert len(docs) == 3
    finally:
        _stop(proc, log)


def _stored(home: Path, doc_id: str) -> str:
    """The stored text, read from the store by the store's own reader (not by the app)."""
    from ingest.store import Store

    return Store(Settings.from_env({"CASEFILE_HOME": str(home)})).document(doc_id).text


def _assert_quotes_are_stored_text(home: Path, answer: dict):
    for c in answer["citations"]:
        assert _stored(home, c["doc_id"])[c["start"]:c["end"]] == c["quote"]


def test_a_script_asks_through_the_api_and_gets_the_answer_json(server):
    from gradio_client import Client

    url, home = server
    client = Client(url, verbose=False)
    a = client.predict("Why did the court deny the preliminary injunction?", [], {}, api_name="/ask")
    assert a["question"] == "Why did the court deny the preliminary injunction?"
    assert not a["abstained"] and a["citations"]
    assert any("speculative" in c["quote"] or "irreparable" in c["quote"] for c in a["citations"])
    _assert_quotes_are_stored_text(home, a)
    docs = client.predict(api_name="/documents")
    assert sorted(d["kind"] for d in docs) == ["article", "brief", "order"]
    with pytest.raises(Exception, match="empty"):
        client.predict("   ", [], {}, api_name="/ask")


def test_several_clients_at_once_each_get_their_own_answer(server):
    from gradio_client import Client

    url, home = server
    asks = {"How much did France's CNIL fine Clearview AI?": ("article", "20"),
            "Why did the court deny the preliminary injunction?": ("order", None),
            "Which court decided the motion for a preliminary injunction?": ("order", None)}
    results: dict[str, dict] = {}
    errors: list[BaseException] = []

    def one(q):
        try:
            results[q] = Client(url, verbose=False).predict(q, [], {}, api_name="/ask")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(q,)) for q in asks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not errors, errors
    kinds = {d["doc_id"]: d["kind"] for d in Client(url, verbose=False).predict(api_name="/documents")}
    for q, (kind, fact) in asks.items():
        a = results[q]
        assert a["question"] == q                                   # nobody got another's answer
        assert not a["abstained"] and a["citations"], a
        assert kinds[a["citations"][0]["doc_id"]] == kind, (q, a["citations"])
        if fact:
            assert fact in a["answer"]
        _assert_quotes_are_stored_text(home, a)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed (apt install chromium)")
def test_in_the_browser_ask_open_a_source_and_add_a_document(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    url, home = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    memo = tmp_path / "mediation-memo.txt"
    memo.write_text(MEMO, encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(300_000)
        expect.set_options(timeout=300_000)        # answers take seconds on this CPU
        page.goto(url)
        expect(page.locator(".cf-status-line")).to_contain_text("3 documents")

        # an empty question gets a message, not an answer
        page.click("#cf-ask")
        expect(page.locator(".cf-error")).to_contain_text("The question is empty")

        # evidence first, then a cited answer
        page.fill("#cf-question textarea", "Why did the court deny the preliminary injunction?")
        page.press("#cf-question textarea", "Enter")
        expect(page.locator(".cf-pending .cf-evidence li").first).to_be_visible()
        assert page.locator(".cf-foot").count() == 0          # the passages came before the answer
        expect(page.locator(".cf-answered .cf-marker").first).to_be_visible()
        quote = page.locator(".cf-card mark").first.inner_text()
        page.screenshot(path=str(ARTIFACTS / "app-answer.png"), full_page=True)

        # a marker opens the source with the quoted passage highlighted
        page.locator(".cf-answered .cf-marker").first.click()
        expect(page.locator("#cf-viewer mark.cf-hit")).to_be_visible()
        assert page.locator("#cf-viewer mark.cf-hit").inner_text().split() == quote.split()
        expect(page.locator("#cf-viewer .cf-viewer-head")).to_contain_text("Order denying")
        page.screenshot(path=str(ARTIFACTS / "app-source.png"), full_page=True)

        # upload a file, then ask about it without a restart
        page.get_by_role("tab", name="Documents").click()
        page.set_input_files("#cf-upload input[type=file]", str(memo))
        # uploaded (Gradio draws the name's stem and extension as two spans: "mediation-memo .txt")
        expect(page.locator("#cf-upload")).to_contain_text(re.compile(r"mediation-memo\s*\.txt"))
        page.click("#cf-add")
        expect(page.locator("#cf-docs-msg")).to_contain_text("mediation-memo.txt: added")
        expect(page.locator("#cf-docs")).to_contain_text("mediation-memo.txt")
        page.get_by_role("tab", name="Ask").click()
        page.fill("#cf-question textarea", "When is the mediation session scheduled, and before whom?")
        page.press("#cf-question textarea", "Enter")
        last = page.locator(".cf-turn").nth(1)     # the empty question was not kept as a turn
        expect(last.locator(".cf-foot")).to_be_visible()
        assert "March 3, 2027" in last.locator(".cf-text").inner_text()
        expect(last.locator(".cf-card").first).to_contain_text("mediation")
        # a memo is nobody's holding: its words are not given to the court
        assert "court held" not in last.locator(".cf-text").inner_text().lower()
        last.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "app-upload.png"), full_page=True)

        # the evaluation tab runs a small test set and shows the verdicts
        testset = tmp_path / "mini.jsonl"
        testset.write_text(json.dumps({"id": "m1", "question": "When is the mediation session scheduled?",
                                       "reference": "March 3, 2027",
                                       "reference_contexts": [MEMO.split("\n\n")[2].strip()],
                                       "answerable": True}) + "\n"
                           + "this line is not JSON\n", encoding="utf-8")
        page.get_by_role("tab", name="Evaluation").click()
        page.set_input_files("#cf-ev-file input[type=file]", str(testset))
        expect(page.locator("#cf-ev-file")).to_contain_text("mini.jsonl")
        page.click("#cf-ev-run")
        expect(page.locator("#cf-ev-table")).to_contain_text("When is the mediation session scheduled?")
        expect(page.locator("#cf-ev-summary")).to_contain_text("line 2")        # the bad row is named
        expect(page.locator("#cf-ev-table")).to_contain_text("✓")
        # the summary names the file as uploaded, and the plots are pictures, not broken links
        expect(page.locator("#cf-ev-summary")).to_contain_text("Evaluation of mini.jsonl")
        assert "/tmp/" not in page.locator("#cf-ev-summary h2").first.inner_text()
        expect(page.locator("#cf-ev-plots img").first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "app-eval.png"), full_page=True)
        browser.close()
