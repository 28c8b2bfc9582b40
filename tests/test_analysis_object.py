"""The Analysis object: one owner for store, settings, selection, tokens, matrices and statistics."""
import json
import re

import nbformat
import pandas as pd
import pytest

from conftest import ROOT
from workbench.analysis import Analysis, Condition, Selection, compare, parse_where
from workbench.errors import AnalysisError, ParameterError
from workbench.stats.keyness import top_terms
from workbench.text import TextSettings


@pytest.fixture(scope="module")
def demo(demo_store):
    return Analysis(demo_store)


def test_one_analysis_gives_what_the_one_off_functions_give(demo, demo_store):
    table = demo.compare("camp", "regime", "opposition")
    pd.testing.assert_frame_equal(table, compare(demo_store, "camp", "regime", "opposition"))
    assert demo.matrix() is demo.matrix()                 # counted once
    assert demo.topic_matrix() is demo.topic_matrix()
    assert table.attrs["store_fingerprint"] == demo.fingerprint
    assert len(demo.docs) == len(demo.metadata) == demo.matrix().n_docs == 300
    assert "month" in demo.metadata and "text" not in demo.metadata


def test_settings_come_as_object_dict_or_yaml_file(demo_store, tmp_path):
    f = tmp_path / "settings.yaml"
    f.write_text("teh_marbuta: true\nmin_length: 3\n", encoding="utf-8")
    want = TextSettings(teh_marbuta=True, min_length=3)
    for given in (want, {"teh_marbuta": True, "min_length": 3}, f, str(f)):
        assert Analysis(demo_store, given).settings == want
    bad = tmp_path / "bad.yaml"
    bad.write_text("teh_marbuta: [\n", encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(str(bad))):
        Analysis(demo_store, bad)
    with pytest.raises(ValueError, match="unknown text setting 'tehmarbuta'"):
        Analysis(demo_store, {"tehmarbuta": True})


def test_missing_store_is_one_clear_error(tmp_path):
    with pytest.raises(Exception, match="no corpus store here"):
        Analysis(tmp_path / "nothing")


def test_token_stream_is_ordered_and_maps_back_to_the_original_text(demo):
    stream = demo.tokens()
    pairs = list(stream)
    assert [i for i, _ in pairs] == list(demo.docs["id"].astype(str))
    dtm = demo.matrix()
    for n in (0, 17, 299):                                # the stream's tokens are the matrix' counts
        doc_id, toks = pairs[n]
        row = dtm.X[n].toarray().ravel()
        assert sum(row) == len(toks)
    doc_id, toks = pairs[5]
    text, spans = stream.spans(doc_id)
    assert [t for t, _, _ in spans] == toks
    # the span is what the outlet printed: the same word before normalisation (hamza, diacritics ...)
    from workbench.text.normalise import normalise

    for tok, s, e in spans:
        assert tok in normalise(text[s:e], demo.settings)
    assert dtm.tokens is not None and len(dtm.tokens) == 300


def test_selection_conditions_parse():
    assert parse_where("section!=accidents") == (Condition("section", ("accidents",), True),)
    assert parse_where(["section=politics", "economy"]) == (Condition("section", ("politics", "economy")),)
    assert parse_where({"camp": "regime", "section": ["a", "b"]}) == (
        Condition("camp", ("regime",)), Condition("section", ("a", "b")))
    assert str(Selection(where="a=b,c").where[0]) == "a=b,c"
    for bad in ("section", "=x", "section="):
        with pytest.raises(AnalysisError, match="where"):
            parse_where(bad)


def test_where_selects_on_any_column_and_names_what_is_wrong(demo_store, demo):
    sections = demo.metadata["section"].value_counts()
    one = sections.index[0]
    a = Analysis(demo_store, where=f"section!={one}")
    assert len(a.docs) == 300 - sections[one] and one not in set(a.docs["section"])
    b = Analysis(demo_store, where=[f"section={one}", "camp=regime"])
    assert set(b.docs["section"]) == {one} and set(b.docs["camp"]) == {"regime"}
    assert a.manifest()["selection"]["where"] == [f"section!={one}"]
    with pytest.raises(AnalysisError, match=r"'nope' is not a corpus column \(columns: .*section"):
        Analysis(demo_store, where="nope=1").docs
    with pytest.raises(AnalysisError, match=r"'sport' is not a value of 'section' \(values: "):
        Analysis(demo_store, where="section=sport").docs
    with pytest.raises(AnalysisError, match="leaves no documents"):
        Analysis(demo_store, where=["camp=regime", "camp!=regime"]).docs


def test_cli_keyness_where(demo_store, capsys):
    from workbench.cli import main

    rc = main(["keyness", "--store", str(demo_store), "--group", "camp", "--target", "regime",
               "--where", "section!=sport", "--json"])
    assert rc == 2 and "'sport' is not a value of 'section'" in capsys.readouterr().err


@pytest.mark.slow
def test_where_removes_the_crime_section_confound_on_real_egyptian_news(egypt_store, egypt_analysis):
    """Brotherhood site vs private papers: the private papers' police section tops their side;
    leaving out accidents and investigations brings the political vocabulary up (issue 11's finding)."""
    def private_side(analysis):
        table = analysis.compare("camp", "brotherhood", "private", min_count=10)
        return list(top_terms(table, 100, direction="reference")["term"])

    everything = egypt_analysis  # Analysis(egypt_store), shared with the other tests of the real corpus
    no_crime = Analysis(egypt_store, where="category!=accidents,investigations")
    n_crime = everything.metadata["category"].isin(["accidents", "investigations"]).sum()
    assert len(no_crime.docs) == len(everything.docs) - n_crime > 0
    before, after = private_side(everything), private_side(no_crime)
    assert {"مباحث", "شرطة"} <= set(before[:5])
    assert not {"مباحث", "شرطة"} & set(after[:50])
    assert {"الاخوان", "مرسي"} <= set(after[:5])
    assert not {"الاخوان", "مرسي"} & set(before[:10])


def test_from_source_imports_once(tmp_path):
    src = ROOT / "corpus" / "demo" / "articles.jsonl"
    a = Analysis.from_source(src, store=tmp_path / "s")
    b = Analysis.from_source(src, store=tmp_path / "s")
    assert len(b.store.catalogue["imports"]) == 1 and len(a.docs) == 300


# ---------------------------------------------------------------- notebook-declared parameter checks

def _notebook(tmp_path, params: str, checks: str | None) -> str:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells.append(cell)
    if checks is not None:
        c = nbformat.v4.new_code_cell(checks)
        c.metadata["tags"] = ["parameter-checks", "remove-cell"]
        nb.cells.append(c)
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return str(path)


def test_the_runner_applies_the_checks_a_notebook_declares(tmp_path, demo_store):
    from workbench.reports.run import prepare

    params = 'store: str | None = None  # store\nn: int = 3  # n\ngroup: str = "camp"  # g\n' \
             'where: list[str] | None = None  # w\n'
    free = _notebook(tmp_path, params, None)
    prepare(free, cli_params=[("n", "0"), ("store", str(demo_store))])  # no rule: any int
    nb = _notebook(tmp_path, params, 'parameter_checks = {"n": {"min": 1}, "group": {"corpus_column": True},'
                                      ' "where": {"where": True}}')
    with pytest.raises(ParameterError, match=r"parameter 'n': must be at least 1 \(got 0\)"):
        prepare(nb, cli_params=[("n", "0"), ("store", str(demo_store))])
    with pytest.raises(ParameterError, match=r"parameter 'group': 'nope' is not a corpus column"):
        prepare(nb, cli_params=[("group", "nope"), ("store", str(demo_store))])
    with pytest.raises(ParameterError, match=r"parameter 'where': where 'section=sport'"):
        prepare(nb, cli_params=[("where", "section=sport"), ("store", str(demo_store))])
    _, _, values, analysis = prepare(nb, cli_params=[("where", "camp=regime,opposition"),
                                                     ("store", str(demo_store))])
    assert Selection(where=values["where"]).where == (Condition("camp", ("regime", "opposition")),)
    bad = _notebook(tmp_path, params, 'parameter_checks = {"n": {"smallest": 1}}')
    with pytest.raises(ParameterError, match="unknown rule 'smallest'"):
        prepare(bad)


def test_the_runner_knows_no_particular_notebook():
    import inspect

    from workbench.reports import parameters, run

    source = "".join(inspect.getsource(f) for f in (
        parameters.resolve_parameters, parameters.check_parameters, parameters.check_against_corpus,
        run.prepare, run._resolve_store))
    for name in ("k_range", "top_n", "min_count", "ngrams", '"k"', "min_outlets", "target"):
        assert name not in source, f"the report runner hard-codes the notebook parameter {name}"


# ---------------------------------------------------------------- one place for each job

def _code(*globs):
    files = [p for g in globs for p in ROOT.glob(g) if "pycache" not in str(p)]
    out = {}
    for p in files:
        text = p.read_text(encoding="utf-8")
        if p.suffix == ".ipynb":
            text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
        out[str(p.relative_to(ROOT))] = text
    return out


def test_one_place_parses_settings_reads_metadata_and_imports_a_file():
    code = _code("workbench/**/*.py", "notebooks/**/*.ipynb", "benchmarks/*.py")
    parse = [f for f, t in code.items() if re.search(r"TextSettings\.from_dict\(|yaml\.safe_load\(.*settings", t)]
    assert parse == ["workbench/text/settings.py"], parse
    metadata = [f for f, t in code.items() if re.search(r'exclude=\["text"', t)]
    assert metadata == ["workbench/corpus/store.py"], metadata
    # (the import benchmarks measure import_sources itself)
    imports = [f for f, t in code.items() if re.search(r"\bimport_sources\(\[", t)
               and not f.startswith("benchmarks/bench_import")]
    assert imports == ["workbench/corpus/store.py"], imports


def test_topic_matrix_is_the_same_counted_directly_or_trimmed(demo_store):
    """Without a counted matrix the topic matrix is counted with its bounds (the untrimmed matrix is
    never held); it equals the untrimmed matrix trimmed, vocabulary, counts and record alike."""
    from workbench.topics.fit import dtm_fingerprint

    direct = Analysis(demo_store).topic_matrix()
    first = Analysis(demo_store)
    first.matrix()
    trimmed = first.topic_matrix()
    assert list(direct.vocab) == list(trimmed.vocab)
    assert (direct.X != trimmed.X).nnz == 0
    assert direct.meta == trimmed.meta
    assert dtm_fingerprint(direct) == dtm_fingerprint(trimmed)
