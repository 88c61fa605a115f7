"""The corpus catalog, metadata inferred from a document's text, and badge labels."""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest.catalog import KINDS, describe, infer_meta, load_catalog
from ingest.errors import CasefileError
from ingest.types import DocumentMeta

CORPUS = Path(__file__).parents[1] / "corpus"
ORDER = "2021-06-14-order-denying-preliminary-injunction.txt"
REPLY = "2022-02-15-plaintiffs-reply-rule-72a-objections.txt"
ARTICLE = "prowelltech-france-fines-clearview-gdpr.txt"
SHARED = Path("/work/shared/corpus")


def _text(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


# --- the corpus folder and its catalog --------------------------------------------------------

@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared corpus is not on this machine")
@pytest.mark.parametrize("ours, original", [(ORDER, "000_9884d09de250e6df.txt"),
                                            (REPLY, "001_b692e60523e08dbb.txt"),
                                            (ARTICLE, "003_1996bcb81be5da8b.txt")])
def test_corpus_files_are_byte_for_byte_copies(ours, original):
    assert (CORPUS / ours).read_bytes() == (SHARED / original).read_bytes()


def test_catalog_describes_every_corpus_file():
    warnings: list[str] = []
    cat = load_catalog(CORPUS / "catalog.yaml", warnings)
    assert warnings == []
    texts = sorted(p.name for p in CORPUS.glob("*.txt"))
    assert sorted(cat) == texts
    order, reply, article = cat[ORDER], cat[REPLY], cat[ARTICLE]
    assert (order.kind, order.voice, order.date, order.docket) == \
        ("order", "court", "2021-06-14", "1:21-cv-00135")
    assert (reply.kind, reply.voice, reply.date, reply.docket) == \
        ("brief", "plaintiffs", "2022-02-15", "1:21-cv-00135")
    assert "N.D. Illinois" in order.court and reply.court == order.court
    assert (article.kind, article.voice, article.court) == ("article", "outlet", "ProWellTech")
    assert article.date == "" and "not stated" in article.description
    assert article.title == "France fines Clearview AI maximum possible for GDPR breaches"
    assert "000_9884d09de250e6df.txt" in order.source_url
    for meta in cat.values():
        assert meta.title and meta.description and meta.inferred == []


def test_missing_catalog_is_empty(tmp_path):
    assert load_catalog(tmp_path / "nope.yaml") == {}


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("a.txt:\n  title: ok\n  kind: order\nb.txt:\n  title: [unclosed\n  kind: brief\n")
    with pytest.raises(CasefileError) as err:
        load_catalog(path)
    msg = str(err.value)
    assert str(path) in msg
    assert "line 6" in msg


def test_bad_kind_lists_allowed_values(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("a.txt:\n  title: X\n  kind: judgement\n")
    with pytest.raises(CasefileError) as err:
        load_catalog(path)
    msg = str(err.value)
    assert "judgement" in msg and "a.txt" in msg
    assert all(k in msg for k in KINDS)


def test_bad_date_is_refused(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("a.txt:\n  kind: order\n  date: June 14 2021\n")
    with pytest.raises(CasefileError, match="yyyy-mm-dd"):
        load_catalog(path)


def test_unknown_keys_warn_but_load(tmp_path, caplog):
    path = tmp_path / "catalog.yaml"
    path.write_text("a.txt:\n  title: X\n  kind: Brief\n  judge: Coleman\n  date: 2022-02-15\n")
    warnings: list[str] = []
    with caplog.at_level("WARNING", logger="ingest.catalog"):
        cat = load_catalog(path, warnings)
    assert cat["a.txt"].kind == "brief"           # case-insensitive kind
    assert cat["a.txt"].date == "2022-02-15"      # an unquoted YAML date still becomes ISO text
    assert len(warnings) == 1 and "judge" in warnings[0] and "a.txt" in warnings[0]
    assert "judge" in caplog.text


# --- inference from the text ------------------------------------------------------------------

@pytest.mark.parametrize("name", [ORDER, REPLY])
def test_infer_matches_catalog_for_filings(name):
    cat = load_catalog(CORPUS / "catalog.yaml")[name]
    got = infer_meta(_text(name), name, {})
    assert (got.kind, got.docket, got.date, got.voice) == (cat.kind, cat.docket, cat.date, cat.voice)
    assert got.court == cat.court
    assert set(got.inferred) >= {"title", "kind", "court", "docket", "date", "voice"}


def test_infer_titles_of_filings():
    assert infer_meta(_text(ORDER), ORDER, {}).title == "ORDER"
    title = infer_meta(_text(REPLY), REPLY, {}).title
    assert title.startswith("PLAINTIFFS’ REPLY IN SUPPORT OF FED. R. CIV. P. 72(a) OBJECTIONS")
    assert title.endswith("FOR PROTECTIVE ORDER") and "**" not in title


def test_infer_article():
    got = infer_meta(_text(ARTICLE), ARTICLE, {})
    assert got.kind == "article" and got.voice == "outlet" and got.court == "ProWellTech"
    assert got.title == "France fines Clearview AI maximum possible for GDPR breaches"
    assert got.date == "" and got.docket == ""
    assert "date" not in got.inferred and "docket" not in got.inferred


def test_infer_defendants_motion_and_other_forms():
    text = ("IN THE UNITED STATES DISTRICT COURT\nFOR THE SOUTHERN DISTRICT OF NEW YORK\n\n"
            "Acme Corp., Plaintiff, v. Widget Inc., Defendant.\n\nNo. 1:20-cv-01234-ABC\n\n"
            "**DEFENDANTS’ MOTION TO DISMISS THE AMENDED COMPLAINT**\n\n"
            "Defendants move to dismiss for the reasons below.\n\nDated: March 3, 2020\n")
    got = infer_meta(text, "x.txt", {})
    assert got.kind == "motion" and got.voice == "defendants"
    assert got.court == "U.S. District Court, S.D. New York"
    assert got.docket == "1:20-cv-01234-ABC" and got.date == "2020-03-03"
    assert describe(got) == "Defendants' motion (2020-03-03)"


def test_infer_opinion_and_file_meta_title():
    text = ("UNITED STATES COURT OF APPEALS FOR THE SEVENTH CIRCUIT\n\nNo. 20-1234\n\n"
            "MEMORANDUM OPINION AND ORDER\n\nThe appeal is dismissed.\n\nDate: 1/5/21\n")
    got = infer_meta(text, "x.pdf", {"title": "ignored for a filing with a title line"})
    assert got.kind == "opinion" and got.voice == "court" and got.date == "2021-01-05"
    assert describe(got) == "Court opinion (7th Cir., 2021-01-05)"
    plain = infer_meta("some notes\nmore notes", "notes.docx", {"title": "Meeting notes"})
    assert plain.title == "Meeting notes" and plain.kind == "other" and plain.voice == ""


# --- badge labels -----------------------------------------------------------------------------

def test_describe_labels_for_the_corpus():
    cat = load_catalog(CORPUS / "catalog.yaml")
    assert describe(cat[ORDER]) == "Court order (N.D. Ill., 2021-06-14)"
    assert describe(cat[REPLY]) == "Plaintiffs' brief (2022-02-15)"
    assert describe(cat[ARTICLE]) == "News article (ProWellTech)"
    assert describe(DocumentMeta()) == "Document"
