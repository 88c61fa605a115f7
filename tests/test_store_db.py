"""The store's database (ingest/db.py): search terms written as FTS5 reads them, incremental
refresh (a reader picks up only what changed), a second reader sees a new document without a
restart, and a store of the earlier layout (manifest.json + docs/*.json) keeps working."""
from __future__ import annotations

import json
import shutil

from ingest.db import StoreDB, fts_terms, match_expression
from ingest.pipeline import run
from ingest.settings import Settings
from ingest.store import Store
from qa.retrieve import Index

from .conftest import ARTICLE, CORPUS, ORDER

MEMO = ("MINUTE ORDER. The status hearing set for March 3, 2023 is vacated and reset to April 18, 2023 "
        "at 9:30 a.m. before Magistrate Judge Elena Ruiz. Counsel shall file a joint status report.")


def test_citation_tokens_survive_the_full_text_index(tmp_path):
    """"F.3d", "U.S.C." and a name with an apostrophe are one token each in the index, and a
    question's words find the passage that holds them."""
    assert fts_terms("See 42 U.S.C. § 1983; 917 F.3d 1234 (O'Brien's appeal)") == \
        ["see", "42", "u.s.c", "1983", "917", "f.3d", "1234", "o.brien", "appeal"]
    db = StoreDB(tmp_path / "t.db")
    db.mark_pending({"doc_id": "a", "source": "a.txt", "path": "/a.txt", "content_hash": "h", "n_chunks": 2,
                     "status": "pending", "title": "", "updated": ""})
    db.commit_document("a", {}, {}, [("a:0", "The panel cited 917 F.3d 1234."),
                                     ("a:1", "O'Brien appealed the sanctions order.")], ["a"])
    assert [c for _, c, _ in db.search(fts_terms("What did F.3d say?"), 5)] == ["a:0"]
    assert [c for _, c, _ in db.search(fts_terms("Did O'Brien appeal?"), 5)] == ["a:1"]
    assert db.search(fts_terms("sanctions"), 5, allowed=["b"]) == []
    assert db.passage_frequency("f.3d") == 1 and db.passage_frequency("absent") == 0
    assert match_expression(["y", "y", "z"]) == '"y" OR "z"'


def test_common_terms_cut_off_keep_fts5s_own_scores(tmp_path, monkeypatch):
    """Above the postings budget the commonest terms stop choosing candidates (passages must
    hold a rarer term of the question), but every passage returned carries the score FTS5
    gives it over all the terms, in FTS5's order, and the best passage still ranks first."""
    import random

    import ingest.db as dbmod

    rng = random.Random(3)
    common = ["court", "motion", "plaintiff", "order", "class", "claim"]
    filler = [f"w{i}" for i in range(300)]

    def passage(i):
        words = [rng.choice(common if rng.random() < 0.3 else filler) for _ in range(rng.randint(20, 60))]
        words += ["arbitration"] * (i % 7 == 0) + ["seal"] * (i % 5 == 0)
        rng.shuffle(words)
        return f"a:{i}", " ".join(words)

    passages = [passage(i) for i in range(600)]
    passages.append(("a:600", "The court granted the plaintiff class motion to seal the "
                              "arbitration award; the court order claim."))
    db = StoreDB(tmp_path / "t.db")
    db.mark_pending({"doc_id": "a", "source": "a.txt", "path": "/a.txt", "content_hash": "h",
                     "n_chunks": len(passages), "status": "pending", "title": "", "updated": ""})
    db.commit_document("a", {}, {}, passages, ["a"])
    question = fts_terms("Did the court grant the plaintiff class motion to seal the arbitration order claim?")
    exact = db.search(question, 30, exact=True)
    full = {c: s for _, c, s in db.search(question, len(passages), exact=True)}
    monkeypatch.setattr(dbmod, "SCORED_POSTINGS", 250)     # "grant", "arbitration", "seal" only
    cut = db.search(question, 30)
    texts = dict(passages)
    assert cut[0][1] == exact[0][1] == "a:600"
    assert len(cut) == 30 and all(abs(s - full[c]) < 1e-9 for _, c, s in cut)
    missing = [c for _, c, _ in cut if not {"arbitration", "seal", "granted"} & set(texts[c].split())]
    assert not missing, [(c, texts[c]) for c in missing][:2]
    assert [s for *_, s in cut] == sorted((s for *_, s in cut), reverse=True)
    assert len(set(c for *_, c, _ in cut) & set(c for *_, c, _ in exact)) >= 25   # the same passages, mostly


def test_a_new_document_reaches_a_running_reader_without_reloading_the_others(tmp_path, real_embedder):
    s = Settings(home=tmp_path / "home", corpus=CORPUS)
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(CORPUS / ORDER, folder / ORDER)
    assert run([folder], settings=s, embedder=real_embedder, progress=False).ok
    reader = Index(s, embedder=real_embedder).refresh()       # another app process, say
    before = dict(reader.heads)
    assert not any("Ruiz" in h.doc.text for h in reader.search("Who is Magistrate Judge Elena Ruiz?"))

    (folder / "minute-order.txt").write_text(MEMO, encoding="utf-8")
    assert run([folder], settings=s, embedder=real_embedder, progress=False).count("added") == 1

    changed, gone = Store(s).heads({d: h.content_hash for d, h in before.items()})
    assert list(changed) != [] and not gone and not set(changed) & set(before)   # only the new one is read
    hits = reader.search("When is the status hearing before Magistrate Judge Elena Ruiz?")
    assert hits and "Ruiz" in hits[0].doc.text
    assert all(reader.heads[d] is before[d] for d in before)  # the others were not read again


def test_a_store_of_the_earlier_layout_is_moved_into_the_database_and_answers_the_same(tmp_path, real_embedder):
    s = Settings(home=tmp_path / "home", corpus=CORPUS)
    folder = tmp_path / "in"
    folder.mkdir()
    for name in (ORDER, ARTICLE):
        shutil.copy(CORPUS / name, folder / name)
    assert run([folder], settings=s, embedder=real_embedder, progress=False).ok
    store = Store(s)
    manifest = store.manifest()
    docs = {d.doc_id: d for d in store.documents()}
    question = "How much did the French regulator fine Clearview?"
    expected = [h.chunk.id for h in Index(s, embedder=real_embedder).search(question)]
    # write the store as the earlier version kept it: a JSON manifest and one JSON file per document
    s.docs_dir.mkdir()
    for doc_id, doc in docs.items():
        (s.docs_dir / f"{doc_id}.json").write_text(json.dumps(doc.to_dict()), encoding="utf-8")
    s.manifest_path.write_text(json.dumps({"info": manifest.info, "documents": {
        k: vars(e) for k, e in manifest.entries.items()}}), encoding="utf-8")
    store.db.close()
    for suffix in ("", "-wal", "-shm"):
        (s.home / f"casefile.db{suffix}").unlink(missing_ok=True)

    moved = Store(s)
    assert sorted(d.doc_id for d in moved.documents()) == sorted(docs)
    assert moved.document(next(iter(docs))).text == docs[next(iter(docs))].text
    assert not s.manifest_path.exists() and not s.docs_dir.exists()
    assert [h.chunk.id for h in Index(s, embedder=real_embedder).search(question)] == expected
    again = run([folder], settings=s, embedder=real_embedder, progress=False)
    assert again.count("unchanged") == 2                      # nothing is embedded again
