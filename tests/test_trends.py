"""Term trends over time, dispersion and frequency lists (workbench.reading.trends), their figures and CLI."""
import json

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT
from workbench.analysis import Analysis
from workbench.cli import main
from workbench.errors import AnalysisError, ArgumentError
from workbench.matrix import group
from workbench.plots.figure import save_figure
from workbench.plots.fonts import RLM
from workbench.plots.trends import dispersion_plot, trends_plot
from workbench.reading.trends import (TREND_COLUMNS, dispersion, dispersion_stats, frequency_list, term_series,
                                      term_trends)
from workbench.stats.dispersion import gries_dp, gries_dp_norm, juilland_d

# Five articles, each titled «خبر» (one token, counted like the text). Tokens per article, in
# date order: d1 7, d3 6, d2 4 (January), d4 4, d5 6 (March); no article in February.
TINY = [
    ("d1", "sawt-al-dawla", "2024-01-05", "الجيش العربي السوري قوات النظام بيان"),
    ("d2", "al-hisn-al-watani", "2024-01-20", "الجيش الجيش بيان"),
    ("d3", "nafidhat-al-shimal", "2024-01-10", "قوات النظام النظام بيان بيان"),
    ("d4", "awraq-al-rabi", "2024-03-02", "النظام قوات النظام"),
    ("d5", "sawt-al-dawla", "2024-03-15", "الجيش العربي السوري الجيش العربي"),
]
JAN, FEB, MAR = (pd.Timestamp(f"2024-0{m}-01") for m in (1, 2, 3))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from workbench.corpus import import_sources

    folder = tmp_path_factory.mktemp("tiny")
    src = folder / "articles.jsonl"
    src.write_text("".join(json.dumps({"id": i, "outlet": o, "date": d, "title": "خبر", "text": t},
                                      ensure_ascii=False) + "\n" for i, o, d, t in TINY), encoding="utf-8")
    import_sources([src], folder / "store", registry=ROOT / "corpus" / "demo" / "outlets.yaml")
    return Analysis(folder / "store")


@pytest.fixture(scope="module")
def demo(demo_store):
    return Analysis(demo_store)


def cell(table, term, group, period):
    row = table[(table["term"] == term) & (table["group"] == group) & (table["period"] == period)]
    assert len(row) == 1
    return row.iloc[0]


def test_rates_per_month_and_group_are_hand_counted(tiny):
    t = term_trends(tiny, ["النظام", "قوات *"], n_boot=200)
    assert list(t.columns) == TREND_COLUMNS
    assert sorted(set(t["period"])) == [JAN, FEB, MAR]        # every month of the range, for every group
    jan_r, jan_o = cell(t, "النظام", "regime", JAN), cell(t, "النظام", "opposition", JAN)
    assert (jan_r["count"], jan_r["tokens"], jan_r["docs"]) == (1, 11, 2)
    assert jan_r["rate"] == pytest.approx(1 / 11 * 10_000)
    assert (jan_o["count"], jan_o["tokens"], jan_o["docs"]) == (2, 6, 1)
    assert jan_o["rate"] == pytest.approx(2 / 6 * 10_000)
    assert cell(t, "النظام", "opposition", MAR)["rate"] == pytest.approx(5000)
    assert cell(t, "النظام", "regime", MAR)["rate"] == 0
    assert cell(t, "قوات *", "opposition", JAN)["count"] == 1 and cell(t, "قوات *", "regime", JAN)["count"] == 1
    feb = t[t["period"] == FEB]                                # no article: a gap, not a zero
    assert (feb[["count", "tokens", "docs"]] == 0).all().all()
    assert feb[["rate", "low", "high"]].isna().all().all()


def test_intervals_contain_the_estimate_and_are_seeded(tiny, demo):
    for t in (term_trends(tiny, ["النظام", "بيان"], by="camp", n_boot=300),
              term_trends(demo, ["النظام", "الدولة", "قوات *"], by="outlet", freq="week", n_boot=200)):
        ok = t.dropna(subset=["rate"])
        assert len(ok) and (ok["low"] <= ok["rate"] + 1e-9).all() and (ok["rate"] <= ok["high"] + 1e-9).all()
    a = term_trends(demo, ["النظام"], freq="week", n_boot=100, seed=3)
    b = term_trends(demo, ["الدولة", "النظام"], freq="week", n_boot=100, seed=3)
    pd.testing.assert_frame_equal(a, b[b["term"] == "النظام"].reset_index(drop=True))  # one stream per cell
    assert not term_trends(demo, ["النظام"], freq="week", n_boot=100, seed=4)[["low"]].equals(a[["low"]])
    none = term_trends(tiny, ["النظام"], n_boot=0)
    assert none[["low", "high"]].isna().all().all() and none["rate"].notna().any()


def test_a_lexicon_category_is_one_series_without_double_counting(tiny):
    army = ["الجيش", "الجيش العربي السوري", "العربي"]
    t = term_trends(tiny, {"army": army}, by="camp", n_boot=0)
    # d1: the phrase (الجيش and العربي nested in it); d2: الجيش twice; d5: the phrase, then الجيش العربي
    assert cell(t, "army", "regime", JAN)["count"] == 3 and cell(t, "army", "regime", MAR)["count"] == 3
    assert cell(t, "army", "regime", MAR)["rate"] == pytest.approx(3 / 6 * 10_000)
    alone = term_trends(tiny, army, by="camp", n_boot=0)
    assert alone[alone["group"] == "regime"]["count"].sum() == 10 > 6   # the entries one by one
    partial = term_trends(tiny, {"p": ["الجيش العربي", "العربي السوري"]}, by=None, n_boot=0)
    assert partial["count"].sum() == 2 + 3                    # partial overlaps both count: d1 2, d5 3
    assert list(partial["group"].unique()) == ["all"]
    assert term_series("النظام") == {"النظام": ["النظام"]}
    assert term_series({"x": "قوات *"}) == {"x": ["قوات *"]}


def test_weeks_quarters_and_clear_errors(tiny):
    weeks = term_trends(tiny, ["النظام"], freq="week", n_boot=0)
    assert (weeks["period"].dt.day_of_week == 0).all()          # weeks start on Monday
    assert weeks["period"].nunique() == 11                      # 1 January to 11 March 2024
    q = term_trends(tiny, ["النظام"], freq="quarter", by=None, n_boot=0)
    assert q[["count", "tokens", "docs"]].values.tolist() == [[5, 27, 5]]
    with pytest.raises(ArgumentError, match="freq must be one of"):
        term_trends(tiny, ["النظام"], freq="fortnight")
    with pytest.raises(AnalysisError, match="cannot group by 'side'"):
        term_trends(tiny, ["النظام"], by="side")
    with pytest.raises(AnalysisError, match="group 'neutral' not in column camp"):
        term_trends(tiny, ["النظام"], groups=["neutral"])
    with pytest.raises(ArgumentError, match="no terms"):
        term_trends(tiny, [])
    with pytest.raises(ArgumentError, match="n_boot"):
        term_trends(tiny, ["النظام"], n_boot=-1)


def test_dispersion_positions_in_the_corpus_ordered_by_date(tiny):
    h = dispersion(tiny, ["النظام"], by="camp")
    # date order d1 (7 tokens), d3 (6), d2 (4), d4 (4), d5 (6): starts 0, 7, 13, 17, 21 of 27
    assert h["doc_id"].tolist() == ["d1", "d3", "d3", "d4", "d4"]
    assert h["doc_rank"].tolist() == [0, 1, 1, 3, 3]
    assert h["position"].tolist() == [5, 2, 3, 1, 3]
    assert h["corpus_position"].tolist() == [5, 9, 10, 18, 20]
    assert h["relative"].tolist() == pytest.approx([5 / 7, 2 / 6, 3 / 6, 1 / 4, 3 / 4])
    assert h["corpus_relative"].tolist() == pytest.approx([5 / 27, 9 / 27, 10 / 27, 18 / 27, 20 / 27])
    assert h["group"].tolist() == ["regime", "opposition", "opposition", "opposition", "opposition"]
    assert h.attrs["months"] == [("2024-01", 0.0), ("2024-03", pytest.approx(17 / 27))]


def test_dispersion_statistics_by_hand(tiny):
    # all in one of three equal parts; spread evenly
    assert gries_dp([5, 0, 0], [10, 10, 10]) == pytest.approx(2 / 3)
    assert gries_dp_norm([5, 0, 0], [10, 10, 10]) == pytest.approx(1.0)
    assert juilland_d([5, 0, 0], [10, 10, 10]) == pytest.approx(0.0)
    assert gries_dp([1, 1, 1], [10, 10, 10]) == pytest.approx(0.0)
    assert juilland_d([1, 1, 1], [10, 10, 10]) == pytest.approx(1.0)
    assert np.isnan(gries_dp([0, 0], [3, 4])) and np.isnan(juilland_d([1], [3]))
    s = dispersion_stats(tiny, ["النظام"], by="camp").set_index("group")
    # opposition: d3 (6 tokens, 2 hits), d4 (4 tokens, 2 hits)
    o = s.loc["opposition"]
    assert (o["count"], o["parts"], o["docs"], o["tokens"]) == (4, 2, 2, 10)
    assert o["DP"] == pytest.approx(0.1) and o["DP_norm"] == pytest.approx(0.1 / 0.6)
    assert o["D"] == pytest.approx(0.8)
    assert s.loc["regime", "range"] == pytest.approx(1 / 3)


def test_frequency_list_counts_are_the_matrix_counts(tiny, demo):
    for analysis, by in ((tiny, None), (tiny, "camp"), (demo, "outlet")):
        f = frequency_list(analysis, by=by)
        dtm = analysis.matrix()
        col = by or "all"
        grouped = group(dtm, by) if by else None
        for name, part in f.groupby("group"):
            if grouped is None:
                want = dtm.term_counts()
                docs = dtm.doc_freq()
            else:
                row = grouped.docs[by].astype(str).tolist().index(name)
                want = pd.Series(grouped.X.getrow(row).toarray().ravel(), index=dtm.vocab)
                docs = pd.Series(np.asarray((dtm.X[(dtm.docs[by].astype(str) == name).to_numpy()] > 0).sum(0)).ravel(),
                                 index=dtm.vocab)
            want = want[want > 0]
            assert dict(zip(part["term"], part["frequency"])) == want.to_dict(), col
            assert dict(zip(part["term"], part["docfreq"])) == docs[want.index].to_dict()
            assert part["rate"].to_numpy() == pytest.approx(part["frequency"].to_numpy() / want.sum() * 10_000)
            assert (np.diff(part["frequency"].to_numpy()) <= 0).all() and part["rank"].iloc[0] == 1
    with pytest.raises(AnalysisError, match="cannot group by 'side'"):
        frequency_list(tiny, by="side")
    top = frequency_list(tiny, by="camp", n=2, min_count=2)
    assert top.groupby("group").size().max() <= 2 and (top["frequency"] >= 2).all()
    f = frequency_list(tiny)
    ties = f[f["frequency"] == f["frequency"].iloc[1]]
    assert ties["rank"].nunique() == 1                         # ties share the lowest rank


def test_demo_planted_terms_follow_their_side(demo):
    planted = yaml.safe_load((ROOT / "corpus" / "demo" / "planted.yaml").read_text(encoding="utf-8"))
    want = planted["camp_term_counts"]["opposition"]["النظام"]["surface"]
    t = term_trends(demo, ["النظام", "الدولة"], freq="month", n_boot=50)
    regime = t[(t["term"] == "النظام") & (t["group"] == "regime")]
    assert (regime["count"] == 0).all() and (regime["rate"] == 0).all()
    assert t[(t["term"] == "النظام") & (t["group"] == "opposition")]["count"].sum() == want["opposition"]
    assert t[(t["term"] == "الدولة") & (t["group"] == "opposition")]["count"].sum() == 0
    assert t["tokens"].sum() == 2 * demo.reading().token_index().n_tokens   # each token once per term
    s = dispersion_stats(demo, ["النظام"], by="camp").set_index("group")
    assert np.isnan(s.loc["regime", "DP"]) and 0 <= s.loc["opposition", "DP"] < 0.3


def test_figures_are_written_with_arabic_labels(demo, tmp_path):
    t = term_trends(demo, ["النظام", "الدولة", "قوات *"], freq="month", n_boot=50)
    fig = trends_plot(t)
    titles = [ax.get_title(loc="right") for ax in fig.axes if ax.get_visible()]
    assert titles == [RLM + "النظام", RLM + "الدولة", RLM + "قوات *"]
    by_group = trends_plot(t, panels="group", ncols=1)
    assert [ax.get_title(loc="right") for ax in by_group.axes] == ["opposition", "regime"]
    h = dispersion(demo, {"الدولة": ["الدولة"], "x" * 500: ["النظام"]})
    xray = dispersion_plot(h)
    labels = [lab.get_text() for lab in xray.axes[0].get_yticklabels()]
    assert labels[0].startswith(RLM + "الدولة") and len(labels[1]) < 60       # shortened
    dispersion_plot(h, rows="group", x="date")
    for name, f in (("trends", fig), ("xray", xray)):
        paths = save_figure(f, tmp_path / name)
        assert [p.suffix for p in paths] == [".png", ".svg"] and all(p.stat().st_size > 1000 for p in paths)
    with pytest.raises(ValueError, match="term 'nope'"):
        trends_plot(t, terms=["nope"])


def test_cli_trends_writes_table_and_figure(tiny, tmp_path, capsys):
    out, png = tmp_path / "t.csv", tmp_path / "t.png"
    assert main(["trends", "النظام", "قوات *", "--store", str(tiny.store.path), "--by", "camp",
                 "--n-boot", "50", "--out", str(out), "--plot", str(png)]) == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert list(table.columns) == TREND_COLUMNS and len(table) == 2 * 2 * 3
    assert png.exists() and png.with_suffix(".svg").exists()
    assert "النظام" in capsys.readouterr().out
    assert main(["trends", "النظام", "--store", str(tiny.store.path), "--by", "none", "--freq", "year",
                 "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["group"], r["period"], r["count"]) for r in rows] == [("all", "2024-01-01", 5)]
    assert main(["trends", "النظام", "--store", str(tiny.store.path), "--by", "side"]) == 2
    from workbench.cli import build_parser
    from workbench.topics.prevalence import _FREQS

    trends = build_parser()._subparsers._group_actions[0].choices["trends"]
    assert set({a.dest: a for a in trends._actions}["freq"].choices) == set(_FREQS)   # the library's periods
