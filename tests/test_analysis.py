"""End to end: store → cached tokens → matrix → keyness, on the demo corpus and on real Egyptian news."""
import json

import pandas as pd
import pytest
import yaml

from conftest import EGYPT, ROOT, need_shared
from workbench.analysis import AnalysisError, Selection, compare, corpus_matrix, token_cache_path
from workbench.cli import main
from workbench.corpus import import_sources
from workbench.stats.keyness import top_terms
from workbench.text import TextSettings
from workbench.text.normalise import normalise

DEMO = ROOT / "corpus" / "demo"


def test_planted_camp_namings_are_the_top_keywords(demo_store):
    planted = yaml.safe_load((DEMO / "planted.yaml").read_text(encoding="utf-8"))
    s = TextSettings()
    table = compare(demo_store, "camp", "regime", "opposition", settings=s)
    for camp, direction in (("regime", "target"), ("opposition", "reference")):
        top = set(top_terms(table, 25, direction=direction)["term"])
        words = {normalise(w, s) for phrase in planted["camp_phrases"][camp] for w in phrase.split()}
        found = top & words
        assert len(found) >= 8, (camp, sorted(found))
        for term in found:  # every planted naming found is significant and on its own side
            row = table.set_index("term").loc[term]
            assert row["direction"] == direction and row["p_adj"] < 0.001
    assert table.attrs["store_fingerprint"] and table.attrs["text_settings"] == s.to_dict()


def test_token_cache_is_reused(demo_store):
    first = token_cache_path(demo_store)
    mtime = first.stat().st_mtime_ns
    assert token_cache_path(demo_store) == first and first.stat().st_mtime_ns == mtime
    other = token_cache_path(demo_store, TextSettings(teh_marbuta=True))
    assert other != first


def test_selection_and_grouping_by_month_and_outlet(demo_store):
    dtm = corpus_matrix(demo_store, selection=Selection(start="2024-03-01", end="2024-03-31"))
    assert set(dtm.docs["month"]) == {"2024-03"}
    one = compare(demo_store, "outlet", "sijil-al-huriya", min_count=3)
    assert {"التعسفي", "الافرع", "قسريا"} <= set(top_terms(one, 15, direction="target")["term"])
    with pytest.raises(AnalysisError, match="unknown outlet 'nope'"):
        corpus_matrix(demo_store, selection=Selection(outlets=["nope"]))
    with pytest.raises(AnalysisError, match="'regim' is not a value of 'camp'.*opposition, regime"):
        compare(demo_store, "camp", "regim")
    with pytest.raises(AnalysisError, match="min_outlets=2 but the target group 'sijil-al-huriya' has only 1 outlet"):
        compare(demo_store, "outlet", "sijil-al-huriya", min_outlets=2)
    assert (compare(demo_store, "camp", "regime", min_outlets=3)["outlets_target"].dropna() >= 0).all()


def test_cli_keyness_table_csv_and_plot(demo_store, tmp_path, capsys):
    out = tmp_path / "k.csv"
    rc = main(["keyness", "--store", str(demo_store), "--group", "camp", "--target", "opposition",
               "--reference", "regime", "--top", "5", "--out", str(out), "--plot", str(tmp_path / "k.png"),
               "--json"])
    assert rc == 0
    top = json.loads(capsys.readouterr().out)
    assert top[0]["term"] == "النظام" and top[0]["direction"] == "target"
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM so Excel opens Arabic right
    assert (tmp_path / "k.png").stat().st_size > 10_000 and (tmp_path / "k.svg").exists()
    assert main(["keyness", "--store", str(demo_store), "--group", "camp", "--target", "x"]) == 2


@pytest.mark.slow
def test_egypt2013_fjp_against_private_press(egypt_store):
    table = compare(egypt_store, "camp", "brotherhood", "private", min_count=10)
    fjp = top_terms(table, 30, direction="target")
    assert (fjp["p_adj"] < 1e-6).all()
    # The Brotherhood's party site writes about its own party and movement.
    assert {"الحريه", "والعداله"} & set(fjp["term"]) or {"الحرية", "والعدالة"} & set(fjp["term"])
    assert table.attrs["target"] == "brotherhood" and table.attrs["reference"] == "private"
