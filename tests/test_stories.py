"""Stories across outlets: clustering against the demo's planted events, coverage, paired keyness, CLI."""
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from conftest import import_articles
from workbench.analysis import Analysis
from workbench.cli import main
from workbench.errors import ArgumentError
from workbench.stories import (Stories, coverage, coverage_counts, find_stories, one_sided, paired_keyness,
                               paired_stories, story_side_by_side)


@pytest.fixture(scope="module")
def demo(demo_store):
    return Analysis(demo_store)


@pytest.fixture(scope="module")
def demo_stories(demo):
    # the demo's planted events run for weeks, their articles up to 22 days apart: a week's window
    return find_stories(demo, window_days=7)


def _window_split(docs: pd.DataFrame, window: int) -> np.ndarray:
    """The planted events cut wherever two consecutive articles are more than ``window`` days apart:
    the best partition any clustering that respects the window can reach."""
    labels = np.empty(len(docs), dtype=object)
    for event, g in docs.groupby("event"):
        g = g.sort_values("date", kind="stable")
        piece = (g["date"].diff().dt.days.fillna(0) > window).cumsum()
        labels[g.index.to_numpy()] = [f"{event}/{p}" for p in piece]
    return labels


def test_stories_match_the_planted_events(demo, demo_stories):
    ari = adjusted_rand_score(demo.docs["event"], demo_stories.articles["story"])
    assert ari >= 0.8, ari
    # every planted event has a story holding most of its articles, covered by both camps
    for event, g in demo_stories.articles.groupby("event"):
        assert g["story"].value_counts().iloc[0] >= 0.5 * len(g), event
    assert demo_stories.table["cross_camp"].sum() >= 15


def test_default_window_recovers_the_reachable_partition(demo):
    """At ±3 days no window-respecting clustering can reach the whole events (ARI bound 0.49 on
    the demo); the stories match the events cut at gaps longer than the window."""
    stories = find_stories(demo)
    docs = demo.docs
    assert adjusted_rand_score(_window_split(docs, 3), stories.articles["story"]) >= 0.9
    assert adjusted_rand_score(docs["event"], _window_split(docs, 3)) < 0.5


@pytest.mark.parametrize("window", [0, 3, 7])
def test_consecutive_members_are_within_the_window(demo, window):
    stories = find_stories(demo, window_days=window)
    day = stories.articles["date"].dt.normalize()
    gaps = day.groupby(stories.articles["story"]).apply(lambda d: d.sort_values().diff().dt.days.max())
    assert gaps.fillna(0).max() <= window
    t = stories.table
    assert (t["last_date"] >= t["first_date"]).all()
    assert ((t["last_date"] - t["first_date"]).dt.days + 1 == t["days"]).all()


def test_story_table(demo_stories):
    t, a = demo_stories.table, demo_stories.articles
    assert list(t["story"]) == list(range(len(t)))
    assert t["first_date"].is_monotonic_increasing            # ids numbered by first day
    assert t["size"].sum() == len(a) == 300
    assert (t["n_regime"] + t["n_opposition"] == t["size"]).all()
    assert (t["cross_camp"] == ((t["n_regime"] > 0) & (t["n_opposition"] > 0))).all()
    # the representative is a member of its story, the one closest to the centroid
    for _, row in t[t["size"] > 1].head(5).iterrows():
        m = demo_stories.members(row["story"])
        assert row["representative"] in set(m["id"])
        assert m.loc[m["id"] == row["representative"], "centrality"].iloc[0] == pytest.approx(m["centrality"].max())
        assert row["title"] == m.loc[m["id"] == row["representative"], "title"].iloc[0]
    assert "cross-camp" in repr(demo_stories)


def test_deterministic(demo, demo_stories):
    again = find_stories(demo, window_days=7, block=37)   # the block size changes memory, not results
    pd.testing.assert_frame_equal(again.articles, demo_stories.articles)
    pd.testing.assert_frame_equal(again.table, demo_stories.table)


def test_cohesion_stops_chaining(demo):
    loose = find_stories(demo, window_days=7, threshold=0.1, min_cohesion=0.001)
    tight = find_stories(demo, window_days=7, threshold=0.1)
    largest_event = demo.docs["event"].value_counts().max()
    assert loose.table["size"].max() > 60                    # single linkage chains events together
    assert adjusted_rand_score(demo.docs["event"], loose.articles["story"]) < 0.1
    # the cohesion check cuts the chain back to event-sized stories: at this low threshold two
    # neighbouring events may still share a story (the demo's settlement and flood), never a blob
    assert tight.table["size"].max() <= 2 * largest_event
    assert adjusted_rand_score(demo.docs["event"], tight.articles["story"]) >= 0.8


def test_bad_arguments(demo):
    with pytest.raises(ArgumentError, match="threshold"):
        find_stories(demo, threshold=0)
    with pytest.raises(ArgumentError, match="window_days"):
        find_stories(demo, window_days=-1)
    with pytest.raises(ArgumentError, match="story 999"):
        find_stories(demo, window_days=7).members(999)


def _table(rows):
    """A story table by hand: (story, n_regime, n_opposition, n_other)."""
    t = pd.DataFrame(rows, columns=["story", "n_regime", "n_opposition", "n_other"])
    t["size"] = t[["n_regime", "n_opposition", "n_other"]].sum(axis=1)
    t["first_date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(t["story"], unit="D")
    t["last_date"] = t["first_date"]
    t["outlets"] = "x"
    t["title"] = [f"story {s}" for s in t["story"]]
    return t


def test_coverage_counts_constructed():
    t = _table([(0, 5, 0, 0), (1, 9, 1, 0), (2, 4, 4, 0), (3, 1, 4, 0), (4, 0, 3, 2), (5, 1, 0, 0),
                (6, 0, 0, 7), (7, 8, 2, 0)])
    cov = coverage(t, "camp", "regime", "opposition")
    side = dict(zip(cov["story"], cov["side"]))
    assert side == {0: "only regime", 1: "mostly regime", 2: "both", 3: "mostly opposition",
                    4: "only opposition", 7: "mostly regime"}   # 5: one article, 6: neither side
    assert cov.attrs["counts"] == {"only regime": 1, "mostly regime": 2, "both": 1, "mostly opposition": 1,
                                   "only opposition": 1}
    assert list(cov["story"]) == [1, 7, 2, 0, 3, 4]             # largest first
    n = coverage_counts(cov)
    assert list(n["stories"]) == [1, 2, 1, 1, 1]
    assert n.loc[n["side"] == "mostly regime", "articles_target"].item() == 17
    assert list(one_sided(cov, 2, side="target")["story"]) == [1, 7]
    assert list(one_sided(cov, 5, side="only opposition")["story"]) == [4]
    # share 0.9: 8:2 is no longer "mostly"
    assert dict(zip(*coverage(t, "camp", "regime", "opposition", share=0.9)[["story", "side"]].T.values))[7] == "both"
    # balance: 28 regime vs 14 opposition articles in all; story 2 (4:4) leans opposition once weighted
    bal = coverage(t, "camp", "regime", "opposition", balance=True)
    assert bal.loc[bal["story"] == 2, "share_target"].item() == pytest.approx(1 / 3)
    with pytest.raises(ArgumentError, match="not a camp"):
        coverage(t, "camp", "regime", "army")
    with pytest.raises(ArgumentError, match="Stories object"):
        coverage(t, "outlet", "a", "b")


def test_coverage_on_stories_and_plot(demo_stories, tmp_path):
    from workbench.plots.figure import save_figure
    from workbench.plots.stories import coverage_timeline_plot

    cov = coverage(demo_stories, "camp", "regime", "opposition")
    assert cov.attrs["counts"]["both"] >= 15
    # the planted coverage gaps: the detainees story is mostly the opposition's
    detainees = demo_stories.articles.query("event == 'detainees-amnesty'")["story"].mode().iloc[0]
    assert cov.loc[cov["story"] == detainees, "side"].item() == "mostly opposition"
    by_outlet = coverage(demo_stories, "outlet", "sawt-al-dawla", ["sijil-al-huriya", "awraq-al-rabi"])
    assert by_outlet.attrs["groups"]["reference"] == "sijil-al-huriya+awraq-al-rabi"
    fig = coverage_timeline_plot(cov, n=10)
    a = save_figure(fig, tmp_path / "one", formats=("png",))
    b = save_figure(fig, tmp_path / "two", formats=("png",))
    assert a[0].read_bytes() == b[0].read_bytes()


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Three stories: a flood both camps covered, a festival only the regime covered, arrests only
    the opposition covered."""
    flood = "فيضان نهر القرية غمر المنازل والحقول وأجبر العائلات على النزوح من الضفة الشرقية"
    fest = "افتتاح مهرجان الكتاب السنوي في المدينة بمشاركة دور النشر والفرق الموسيقية"
    arrest = "اعتقال ناشطين على حاجز المدخل الشمالي ومصادرة هواتفهم واقتيادهم إلى جهة مجهولة"
    rows = [
        ("f1", "sawt-al-dawla", "2024-01-01", flood + " الدولة تساعد المتضررين"),
        ("f2", "al-hisn-al-watani", "2024-01-02", flood + " الدولة تساعد المتضررين"),
        ("f3", "nafidhat-al-shimal", "2024-01-02", flood + " النظام يترك المتضررين"),
        ("f4", "sijil-al-huriya", "2024-01-03", flood + " النظام يترك المتضررين"),
        ("f5", "awraq-al-rabi", "2024-01-03", flood + " النظام يترك المتضررين"),
        ("m1", "sawt-al-dawla", "2024-01-10", fest),
        ("m2", "nashrat-al-yasmin", "2024-01-11", fest + " الدولة"),
        ("a1", "sijil-al-huriya", "2024-01-20", arrest),
        ("a2", "awraq-al-rabi", "2024-01-21", arrest + " النظام"),
        ("x1", "nafidhat-al-shimal", "2024-01-28", "مباراة كرة القدم انتهت بالتعادل بين الفريقين"),
    ]
    analysis = Analysis(import_articles(tmp_path_factory.mktemp("stories"), rows))
    return analysis, find_stories(analysis)


def test_small_corpus_stories(small):
    analysis, stories = small
    story = dict(zip(stories.articles["id"], stories.articles["story"]))
    assert len({story[i] for i in ("f1", "f2", "f3", "f4", "f5")}) == 1
    assert story["m1"] == story["m2"] and story["a1"] == story["a2"]
    assert len(set(story.values())) == 4
    assert list(paired_stories(stories, "camp", "regime", "opposition")) == [story["f1"]]


def test_paired_keyness_is_restricted_to_stories_both_sides_covered(small):
    analysis, stories = small
    pk = paired_keyness(analysis, stories, "camp", "regime", "opposition", min_count=1)
    assert pk.attrs["paired_stories"] == 1
    assert pk.attrs["paired_docs"] == {"target": 2, "reference": 3}
    X = analysis.matrix().X
    rows = np.flatnonzero(analysis.docs["id"].str.startswith("f").to_numpy())
    assert pk.attrs["paired"]["tokens"]["target"] + pk.attrs["paired"]["tokens"]["reference"] == X[rows].sum()
    row = pk.set_index("term")
    # the festival only the regime covered is key overall, absent from the paired comparison
    assert row.loc["مهرجان", "n_target_all"] == 2 and pd.isna(row.loc["مهرجان", "n_target_paired"])
    # the wording within the shared story stays
    assert row.loc["المتضررين", "n_target_paired"] == 2 and row.loc["المتضررين", "n_reference_paired"] == 3
    assert row.loc["النظام", "direction_paired"] == "reference"
    assert set(pk["status"]) <= {"remains", "reverses", "vanishes", "emerges", "none"}
    assert list(pk.columns[:4]) == ["term", "status", "rank_paired", "rank_all"]


def test_story_side_by_side(small):
    analysis, stories = small
    sid = int(stories.articles.loc[stories.articles["id"] == "f1", "story"].item())
    sides = story_side_by_side(analysis, stories, sid, "camp", target="regime", reference="opposition",
                               min_count=1)
    assert sides.sides == ["regime", "opposition"]
    assert list(sides.articles["side"]) == ["regime"] * 2 + ["opposition"] * 3
    assert list(sides.articles["id"]) == ["f1", "f2", "f3", "f4", "f5"]
    words = sides.words.groupby("side")["term"].apply(set)
    assert "الدولة" in words["regime"] and "النظام" in words["opposition"]
    assert "فيضان" not in words["regime"] | words["opposition"]      # shared event words are not distinctive
    assert sides.wide().shape == (3, 2)
    alone = story_side_by_side(analysis, stories, int(stories.articles.loc[stories.articles["id"] == "m1", "story"].item()))
    assert alone.sides == ["regime"] and alone.words.empty


def test_stories_of_another_selection_are_refused(small, demo):
    _, stories = small
    with pytest.raises(ArgumentError, match="another selection"):
        paired_keyness(demo, stories, "camp", "regime", "opposition")


def test_cli(demo_store, tmp_path, capsys):
    out = tmp_path / "stories.csv"
    code = main(["stories", "--store", str(demo_store), "--window", "7", "--target", "regime",
                 "--reference", "opposition", "--top", "3", "--out", str(out), "--articles", str(tmp_path / "a.csv")])
    printed = capsys.readouterr().out
    assert code == 0
    assert "largest cross-camp stories" in printed and "mostly by opposition" in printed
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert table["size"].sum() == 300 and "n_regime" in table.columns
    assert len(pd.read_csv(tmp_path / "a.csv", encoding="utf-8-sig")) == 300
    assert main(["stories", "--store", str(demo_store), "--target", "regime"]) == 2
    assert "--reference" in capsys.readouterr().err
    assert main(["stories", "--store", str(demo_store), "--threshold", "1.5"]) == 2


@pytest.mark.slow
def test_egypt_stories(egypt_analysis):
    analysis = egypt_analysis  # Analysis(egypt_store), shared with the other tests of the real corpus
    analysis.matrix()                          # tokenising is not clustering: count first
    start = time.perf_counter()
    stories = find_stories(analysis)
    seconds = time.perf_counter() - start
    assert seconds < 60, seconds               # about 5 s on 2 cores
    t = stories.table
    assert t["cross_camp"].sum() > 500
    assert t["size"].max() < 100               # no chained giant story
    day = stories.articles["date"].dt.normalize()
    gaps = day.groupby(stories.articles["story"]).apply(lambda d: d.sort_values().diff().dt.days.max())
    assert gaps.fillna(0).max() <= 3
    cov = coverage(stories, "camp", "brotherhood", "private")
    assert cov.attrs["counts"]["only private"] > cov.attrs["counts"]["only brotherhood"]


def test_vectors_are_sklearns_tfidf(demo):
    from sklearn.feature_extraction.text import TfidfTransformer

    from workbench.stories.clustering import story_vectors

    X = demo.matrix().X
    ours = story_vectors(X).toarray()
    theirs = TfidfTransformer(sublinear_tf=True).fit_transform(X.astype(float)).toarray()
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_paired_keyness_within_story(demo, demo_stories):
    plain = paired_keyness(demo, demo_stories, "camp", "regime", "opposition")
    within = paired_keyness(demo, demo_stories, "camp", "regime", "opposition", within_story=True)
    assert within.attrs["within_story"] and "chi2_mh_paired" in within.columns and "G2_all" in within.columns
    assert within.attrs["paired_docs"] == plain.attrs["paired_docs"]
    # the planted namings stay key within the stories both camps covered
    top = within.set_index("term")
    for term, side in (("النظام", "reference"), ("الدولة", "target"), ("الجيش", "target")):
        assert top.loc[term, "status"] == "remains" and top.loc[term, "direction_paired"] == side


def test_cached_stories_are_the_stories(demo_store, tmp_path, monkeypatch):
    """With cache=True a second call reads the labels back (nothing compared again) and gives the
    same articles, table and params; other parameters are another entry."""
    from workbench.stories import clustering

    a = Analysis(demo_store, cache_dir=tmp_path / "cache")
    plain = find_stories(a, window_days=7)
    first = find_stories(a, window_days=7, cache=True)
    assert len(list((tmp_path / "cache" / "stories").glob("*.npz"))) == 1

    def boom(*args, **kw):
        raise AssertionError("a cached call compares nothing")

    monkeypatch.setattr(clustering, "similar_pairs", boom)
    again = find_stories(Analysis(demo_store, cache_dir=tmp_path / "cache"), window_days=7, cache=True)
    for got in (first, again):
        pd.testing.assert_frame_equal(got.articles, plain.articles)
        pd.testing.assert_frame_equal(got.table, plain.table)
        assert got.params == plain.params and got.table.attrs == plain.table.attrs
    with pytest.raises(AssertionError, match="compares nothing"):
        find_stories(a, window_days=5, cache=True)
