"""Authorities (cases, statutes, rules, docket cites, GDPR articles) found in the corpus."""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest.legal import (PrecompiledHyperscanTokenizer, citation_tokenizer, extract_authorities,
                          extract_authorities_doc)

CORPUS = Path(__file__).parents[1] / "corpus"
ORDER = (CORPUS / "2021-06-14-order-denying-preliminary-injunction.txt").read_text(encoding="utf-8")
REPLY = (CORPUS / "2022-02-15-plaintiffs-reply-rule-72a-objections.txt").read_text(encoding="utf-8")
ARTICLE = (CORPUS / "prowelltech-france-fines-clearview-gdpr.txt").read_text(encoding="utf-8")


def _unstarred(text: str) -> str:
    """What the lead's cleaning does to markdown emphasis before this runs."""
    return text.replace("\\*", "*").replace("*", "")


@pytest.mark.parametrize("prep", [lambda t: t, _unstarred], ids=["raw", "cleaned"])
def test_order_authorities(prep):
    got = extract_authorities(prep(ORDER))
    assert got[:6] == [
        "740 ILCS 14/1",
        "Orr v. Shicker, 953 F.3d 490",
        "Winter v. Natural Res. Defense Council, Inc., 555 U.S. 7",
        "Cassell v. Snyders, 990 F.3d 539",
        "Tully v. Okeson, 977 F.3d 608",
        "Whitaker v. Kenosha Unified Sch. Dist. No. 1 Bd. of Ed., 858 F.3d 1034",
    ]
    assert "Rule 30(b)(6)" in got
    assert "Michigan v. U.S. Army Corps of Eng’rs, 667 F.3d 765" in got
    assert len(got) == len(set(got))                      # short forms did not add duplicates
    assert not any(" at " in a for a in got)              # "Orr, 953 F.3d at 501" resolved


@pytest.mark.parametrize("prep", [lambda t: t, _unstarred], ids=["raw", "cleaned"])
def test_reply_authorities(prep):
    got = extract_authorities(prep(REPLY))
    for want in ["U.S. v. Melgar, 227 F.3d 1038",
                 "Seattle Times Co. v. Rhinehart, 467 U.S. 20",
                 "Duling v. Gristede's Operating Corp., 266 F.R.D. 66",
                 "Pavarti v. Oak Forest, 2010 WL 2836739",
                 "Rawat v. Navistar Int'l Corp., 2011 WL 3876957",
                 "Fed. R. Civ. P. 26(b)(1)", "Fed. R. Civ. P. 72(a)", "Rule 72(a)",
                 "Dkt. 273", "Dkt. 213-4", "Dkt. 43-1"]:
        assert want in got, want
    assert got.index("U.S. v. Melgar, 227 F.3d 1038") < got.index("Seattle Times Co. v. Rhinehart, 467 U.S. 20")
    assert sum("2010 WL 2836739" in a for a in got) == 1   # the later "Pavarti, 2010 WL ..." folds in


def test_raw_and_cleaned_text_agree():
    for text in (ORDER, REPLY, ARTICLE):
        assert extract_authorities(text) == extract_authorities(_unstarred(text))


def test_gdpr_articles():
    assert extract_authorities(ARTICLE) == [
        "Article 6 of the GDPR", "Article 12 of the GDPR", "Article 15 of the GDPR",
        "Article 17 of the GDPR", "Article 31 of the GDPR", "Article 83 of the GDPR"]


def test_short_forms_resolve_only_with_their_full_cite():
    passage = ("A preliminary injunction is extraordinary. *Orr v. Shicker*, 953 F.3d 490, 501 "
               "(7th Cir. 2020). Harm must be likely. *Orr*, 953 F.3d at 502. *Id.* at 503.")
    assert extract_authorities(passage) == ["Orr v. Shicker, 953 F.3d 490"]
    alone = extract_authorities("Harm must be likely. *Orr*, 953 F.3d at 502.")
    assert alone == ["Orr, 953 F.3d at 502"]
    assert extract_authorities("*Id.* at 4.") == []


def test_id_follows_the_docket_cite_before_it():
    text = ("See Pavarti v. Oak Forest, No. 08 C 702, 2010 WL 2836739, at *1 (N.D. Ill. 2010). "
            "Defendants argue otherwise. See Dkt. 273 at 11. Id. at 12.")
    spans = [(text.index("Id."), len(text))]
    assert extract_authorities_doc(text, spans) == [["Dkt. 273"]]


def test_doc_spans_resolve_against_whole_document():
    start = ORDER.index("irreparable injury is not enough")
    end = ORDER.index("The Court first examines")
    first = (0, ORDER.index("LEGAL STANDARD"))
    chunk, intro = extract_authorities_doc(ORDER, [(start, end), first])
    # "*Orr*, 953 F.3d at 501." alone in this chunk still names the full cite
    assert chunk == ["Orr v. Shicker, 953 F.3d 490"]
    assert intro == ["740 ILCS 14/1"]
    whole = extract_authorities_doc(ORDER, [(0, len(ORDER))])[0]
    assert whole == extract_authorities(ORDER)


def test_statutes_and_rules_forms():
    got = extract_authorities("Under 42 U.S.C. § 1983 and Fed. R. Evid. 702, see Local Rule 37.2 "
                              "and ECF No. 12; also FED. R. CIV. P. 72(a).")
    assert got == ["42 U.S.C. § 1983", "Fed. R. Evid. 702", "Local Rule 37.2", "ECF No. 12",
                   "Fed. R. Civ. P. 72(a)"]
    assert extract_authorities("No citations in this sentence at all.") == []


# --- the Hyperscan tokenizer: same citations, compiled once at setup, never during an ingest ------

@pytest.fixture(scope="session")
def hyperscan_models_dir(tmp_path_factory) -> Path:
    """A model cache holding the compiled Hyperscan database: the one `python -m ingest.models`
    built for this checkout if there is one, else compiled here once (30-60 s)."""
    pytest.importorskip("hyperscan", reason="hyperscan is not installed (requirements.txt pins it)")
    from ingest.legal import build_hyperscan_cache, hyperscan_cache_path
    from ingest.settings import Settings

    home_models = Settings.from_env().models_dir
    if isinstance(citation_tokenizer(home_models), PrecompiledHyperscanTokenizer):
        return home_models
    models_dir = tmp_path_factory.mktemp("models")
    try:
        build_hyperscan_cache(models_dir)
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"the Hyperscan database could not be compiled here: {exc}")
    assert hyperscan_cache_path(models_dir).is_file()
    return models_dir


def _citations(text: str, tokenizer) -> list[tuple]:
    import eyecite

    return [(type(c).__name__, c.span(), c.matched_text(), str(c.corrected_citation()), c.groups)
            for c in eyecite.get_citations(text, tokenizer=tokenizer)]


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.txt")))
def test_hyperscan_and_default_tokenizers_give_the_same_citations(hyperscan_models_dir, name):
    from eyecite.tokenizers import default_tokenizer

    fast = citation_tokenizer(hyperscan_models_dir)
    assert isinstance(fast, PrecompiledHyperscanTokenizer)
    text = (CORPUS / name).read_text(encoding="utf-8")
    # eyecite's own output, citation by citation (on the first window: eyecite runs per window)
    window = _unstarred(text)[:12_000]
    assert _citations(window, fast) == _citations(window, default_tokenizer)
    # and what Casefile makes of it, chunk spans and short-form resolution included
    spans = [(i, min(i + 1500, len(text))) for i in range(0, len(text), 1500)]
    want = extract_authorities_doc(text, spans, default_tokenizer)
    assert any(want)
    assert extract_authorities_doc(text, spans, fast) == want


def _in_worker(models_dir: Path) -> tuple[int, list[str]]:
    tok = citation_tokenizer(models_dir)
    assert isinstance(tok, PrecompiledHyperscanTokenizer)
    return id(tok), extract_authorities(REPLY, tok)


def test_the_tokenizer_is_loaded_once_and_works_in_a_forked_worker(hyperscan_models_dir):
    import multiprocessing

    tok = citation_tokenizer(hyperscan_models_dir)
    assert citation_tokenizer(hyperscan_models_dir) is tok
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    from concurrent.futures import ProcessPoolExecutor

    # like the pipeline's worker: forked, it keeps the parent's tokenizer (with its own scratch space)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        tok_id, got = pool.submit(_in_worker, hyperscan_models_dir).result()
    assert tok_id == id(tok)
    assert got == extract_authorities(REPLY, tok)


def test_no_compiled_database_means_the_default_tokenizer_and_no_compiling(tmp_path, monkeypatch):
    from eyecite.tokenizers import HyperscanTokenizer, default_tokenizer

    import ingest.legal as legal

    def refuse(self):
        raise AssertionError("an ingest must never compile the Hyperscan database")

    monkeypatch.setattr(HyperscanTokenizer, "hyperscan_db", property(refuse))
    assert citation_tokenizer(tmp_path / "empty") is default_tokenizer
    path = legal.hyperscan_cache_path(tmp_path / "damaged")
    if path is not None:                       # hyperscan installed: a damaged file is ignored
        path.parent.mkdir(parents=True)
        path.write_bytes(b"not a hyperscan database" * 100)
        assert citation_tokenizer(tmp_path / "damaged") is default_tokenizer
    monkeypatch.setattr(legal, "_hyperscan_key", lambda: None)     # hyperscan not installed
    assert citation_tokenizer(tmp_path / "empty") is default_tokenizer
    assert extract_authorities("See Orr v. Shicker, 953 F.3d 490 (7th Cir. 2020).",
                               citation_tokenizer(tmp_path)) == ["Orr v. Shicker, 953 F.3d 490"]
