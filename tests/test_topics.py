"""Topic models: planted events come out as topics, planted coverage differences as prevalence
differences; determinism, caching, K selection, figures and error messages."""
import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT
from workbench.analysis import corpus_matrix
from workbench.corpus import import_sources
from workbench.matrix import DocumentTermMatrix, trim
from workbench.text import TextSettings
from workbench.text.normalise import normalise
from workbench.topics import (BowCorpus, TopicError, fit_topics, load_topic_names, load_topics,
                              phrase_matrix, save_topic_names, topic_labels, topic_map, topic_table,
                              topic_terms, typical_documents, write_topic_names_template)
from workbench.topics.prevalence import (bootstrap_means, prevalence_difference, prevalence_over_time,
                                         topic_keyness, topic_prevalence)
from workbench.topics.selection import heldout_split, select_k

DEMO = ROOT / "corpus" / "demo"
SEED = 1
K = 20


@pytest.fixture(scope="module")
def planted():
    return yaml.safe_load((DEMO / "planted.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dtm(demo_store):
    return corpus_matrix(demo_store, min_df=2, max_df=0.5)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("topics-cache")


@pytest.fixture(scope="module")
def tm(dtm, cache_dir):
    return fit_topics(dtm, K, seed=SEED, cache_dir=cache_dir)


def _event_topic(tm, event):
    """The topic with the largest mean θ over the event's articles."""
    rows = (tm.docs["event"] == event).to_numpy()
    return int(np.argmax(tm.theta[rows].mean(axis=0)))


def test_planted_events_come_out_as_topics(tm, planted):
    s = TextSettings()
    top = topic_terms(tm, 10, lam=0.6)
    sets = [set(g["term"]) for _, g in top.groupby("topic")]
    found = []
    for ev in planted["events"]:
        words = {normalise(w, s) for w in ev["keywords"]}
        if any(len(words & st) >= 3 for st in sets):
            found.append(ev["id"])
    assert len(found) >= 14, f"only {len(found)} of 20 planted events found: {found}"
    # θ is a distribution per document; the table shapes are stable
    assert tm.theta.shape == (300, K) and np.allclose(tm.theta.sum(axis=1), 1.0)
    assert list(top.columns) == ["topic", "rank", "term", "relevance", "probability", "lift"]
    assert len(top) == K * 10


def test_prevalence_differs_by_camp_as_planted(tm, planted):
    diff = prevalence_difference(tm, by="camp", target="regime", reference="opposition", n_boot=1000, seed=3)
    ok = []
    for cd in planted["coverage_differences"]:
        row = diff.iloc[_event_topic(tm, cd["event"])]
        sign = 1 if cd["mostly"] == "regime" else -1
        ok.append(np.sign(row["difference"]) == sign and bool(row["excludes_zero"]))
    assert sum(ok) >= 4, ok  # most of the 6 planted differences (counts as small as 3:9)
    assert (diff["lower"] <= diff["difference"]).all() and (diff["difference"] <= diff["upper"]).all()
    again = prevalence_difference(tm, by="camp", target="regime", reference="opposition", n_boot=1000, seed=3)
    pd.testing.assert_frame_equal(diff, again)  # seeded bootstrap


def test_prevalence_tables(tm):
    prev = topic_prevalence(tm, by="camp", groups=["regime", "opposition"], n_boot=200)
    assert list(prev.columns) == ["topic", "group", "n_docs", "prevalence", "lower", "upper"]
    assert list(prev["group"][:2]) == ["regime", "opposition"]
    assert np.allclose(prev.groupby("group")["prevalence"].sum(), 1.0)
    assert ((prev["lower"] <= prev["prevalence"] + 1e-12) & (prev["prevalence"] <= prev["upper"] + 1e-12)).all()
    outlets = topic_prevalence(tm, by="outlet", n_boot=0)
    assert outlets["group"].nunique() == 6 and outlets["lower"].isna().all()
    time = prevalence_over_time(tm, by="camp", freq="month")
    assert set(time["period"].dt.month) == set(range(1, 9))
    assert (time.groupby(["period", "group"])["prevalence"].sum().round(9) == 1).all()
    weekly = prevalence_over_time(tm, by=None, freq="week", n_boot=50)
    assert (weekly["period"].dt.day_of_week == 0).all() and {"lower", "upper"} <= set(weekly.columns)


def test_bootstrap_means_match_a_plain_loop():
    rng = np.random.default_rng(0)
    x = rng.random((50, 3))
    fast = bootstrap_means(x, 20, np.random.default_rng(5), block=7)
    r = np.random.default_rng(5)
    slow = []
    for b0 in range(0, 20, 7):
        idx = r.integers(0, 50, size=(min(7, 20 - b0), 50))
        slow.extend(x[i].mean(axis=0) for i in idx)
    assert np.allclose(fast, np.array(slow))


def test_within_topic_keyness(dtm, tm):
    t = _event_topic(tm, "detainees-amnesty")
    table = topic_keyness(dtm, tm, t, "camp", "regime", "opposition")
    assert table.attrs["topic"] == t and table.attrs["weighting"] == "theta"
    top_opp = set(table[table["direction"] == "reference"]["term"].head(15))
    assert top_opp & {"المعتقلين", "التعسفي", "النظام", "قسريا", "الافرع"}, top_opp
    dom = topic_keyness(dtm, tm, t, "camp", "regime", "opposition", weighting="dominant", min_count=2)
    assert (dom["n_target"] % 1 == 0).all()


def test_same_seed_same_tables_and_other_seed_differs(dtm, tm):
    again = fit_topics(dtm, K, seed=SEED)  # no cache: trained again
    assert not again.info["cached"]
    np.testing.assert_array_equal(again.theta, tm.theta)
    pd.testing.assert_frame_equal(topic_terms(again, 10), topic_terms(tm, 10))
    assert again.params == tm.params
    other = fit_topics(dtm, K, seed=SEED + 1)
    assert not np.array_equal(other.theta, tm.theta)
    p = tm.params
    assert p["seed"] == SEED and p["k"] == K and p["algorithm"] == "LdaModel"
    for key in ("passes", "iterations", "chunksize", "alpha", "eta", "decay", "offset", "shuffle",
                "store_fingerprint", "text_settings_fingerprint", "dtm_fingerprint", "gensim_version"):
        assert key in p
    assert p["store_fingerprint"] == dtm.meta["store_fingerprint"]


def test_cache_hit_and_save_load_round_trip(dtm, tm, cache_dir, tmp_path):
    hit = fit_topics(dtm, K, seed=SEED, cache_dir=cache_dir)
    assert hit.info["cached"] and not tm.info["cached"]
    np.testing.assert_array_equal(hit.theta, tm.theta)
    pd.testing.assert_frame_equal(topic_terms(hit), topic_terms(tm))
    miss = fit_topics(dtm, K, seed=SEED, passes=5, cache_dir=cache_dir)  # another hyper-parameter
    assert not miss.info["cached"]
    path = tm.save(tmp_path / "model")
    back = load_topics(path)
    np.testing.assert_array_equal(back.theta, tm.theta)
    pd.testing.assert_frame_equal(topic_table(back), topic_table(tm))
    assert back.params == tm.params and list(back.docs["id"]) == list(tm.docs["id"])
    with pytest.raises(TopicError, match="not a saved topic model"):
        load_topics(tmp_path)


def test_topic_names_yaml(tm, tmp_path):
    path = write_topic_names_template(tm, tmp_path / "names.yaml")
    assert load_topic_names(path) == {}
    text = path.read_text(encoding="utf-8")
    assert "0: \"\"" in text and "# 0:" in text
    save_topic_names({3: "الانتخابات المحلية", 1: "framing"}, path)
    names = load_topic_names(path)
    assert names == {1: "framing", 3: "الانتخابات المحلية"}
    write_topic_names_template(tm, path)  # a refreshed template keeps the names
    assert load_topic_names(path) == names
    labels = topic_labels(tm, names)
    assert labels[3] == "الانتخابات المحلية" and labels[0].startswith("0: ")
    assert topic_table(tm, names=names)["name"][3] == "الانتخابات المحلية"
    assert load_topic_names(tmp_path / "absent.yaml") == {}
    (tmp_path / "bad.yaml").write_text("x: name\n", encoding="utf-8")
    with pytest.raises(TopicError, match="topic id 'x' is not an integer"):
        load_topic_names(tmp_path / "bad.yaml")


def test_typical_documents_and_map(tm):
    typ = typical_documents(tm, 3)
    assert len(typ) == 3 * K and {"title", "theta"} <= set(typ.columns)
    assert (typ.groupby("topic")["theta"].apply(lambda s: s.is_monotonic_decreasing)).all()
    m = topic_map(tm)
    assert list(m.columns) == ["topic", "x", "y", "prevalence", "label"] and np.isfinite(m[["x", "y"]]).all().all()
    assert abs(m["prevalence"].sum() - 1) < 1e-9


def test_select_k_rows_for_each_k(dtm, cache_dir):
    table = select_k(dtm, [4, 8], seed=SEED, passes=5, cache_dir=cache_dir)
    assert list(table["k"]) == [4, 8]
    for col in ("c_v", "c_npmi", "log_perplexity", "perplexity"):
        assert np.isfinite(table[col]).all(), table
    assert (table["n_train"] == 270).all() and (table["n_heldout"] == 30).all()
    assert table["coherence_on"].iloc[0] == "all"  # 30 held-out articles are too few on their own
    held = select_k(dtm, [4], seed=SEED, passes=5, cache_dir=cache_dir, coherence_on="heldout")
    assert held["cached"].all() and held["coherence_on"].iloc[0] == "heldout"
    train, test = heldout_split(300, 0.1, 7)
    assert len(test) == 30 and not set(train) & set(test) and len(train) + len(test) == 300


def test_bow_corpus_streams_rows_like_gensim(dtm):
    from gensim.matutils import Sparse2Corpus

    ours = list(BowCorpus(dtm.X))
    theirs = [[(int(i), int(c)) for i, c in d] for d in Sparse2Corpus(dtm.X, documents_columns=False)]
    assert ours == theirs and len(BowCorpus(dtm.X)) == dtm.n_docs
    assert list(BowCorpus(dtm.X, [5, 2])) == [ours[5], ours[2]]


def test_phrase_matrix(dtm):
    ph = phrase_matrix(dtm, min_count=5, threshold=0.6)
    assert ph.n_docs == dtm.n_docs and ph.meta["phrases"]["n_phrases"] > 0
    assert "الدولة السورية" in set(ph.vocab) or "قوات النظام" in set(ph.vocab)
    m = fit_topics(ph, 5, seed=SEED, passes=2)
    assert m.params["phrases"]["threshold"] == 0.6


def test_figures(tm, tmp_path):
    from workbench.plots.figure import save_figure
    from workbench.plots.topics import (coherence_plot, prevalence_difference_plot, prevalence_over_time_plot,
                                        prevalence_plot, topic_map_plot, topic_terms_frame)

    labels = topic_labels(tm)
    figs = {
        "prev": prevalence_plot(topic_prevalence(tm, by="camp", groups=["regime", "opposition"], n_boot=100), labels),
        "diff": prevalence_difference_plot(prevalence_difference(tm, target="regime", reference="opposition",
                                                                 n_boot=100), labels),
        "time": prevalence_over_time_plot(prevalence_over_time(tm), labels, topics=range(4)),
        "map": topic_map_plot(topic_map(tm)),
        "coh": coherence_plot(pd.DataFrame({"k": [5, 10], "c_v": [0.4, 0.5], "c_npmi": [0.0, 0.1],
                                            "perplexity": [900.0, 800.0]})),
    }
    for name, fig in figs.items():
        a = save_figure(fig, tmp_path / name, formats=["png"], dpi=60)[0].read_bytes()
        assert a == save_figure(fig, tmp_path / (name + "2"), formats=["png"], dpi=60)[0].read_bytes()
    wide = topic_terms_frame(tm, 5)
    assert list(wide.columns) == ["prevalence", 1, 2, 3, 4, 5] and len(wide) == K
    with pytest.raises(ValueError, match="lacks column"):
        prevalence_plot(pd.DataFrame({"topic": [0]}))


def test_error_messages(dtm, tm):
    with pytest.raises(TopicError, match="k must be ≥ 2"):
        fit_topics(dtm, 1)
    with pytest.raises(TopicError, match="integer ≥ 2"):
        fit_topics(dtm, 2.5)
    with pytest.raises(TopicError, match="fewer than k"):
        fit_topics(DocumentTermMatrix(dtm.X[:, :3], dtm.vocab[:3], dtm.docs), 5)
    with pytest.raises(TopicError, match="alpha='auto' is not supported by LdaMulticore"):
        fit_topics(dtm, 3, alpha="auto", workers=1)
    with pytest.raises(TopicError, match=r"group 'x' not in column camp \(values: opposition, regime\)"):
        topic_prevalence(tm, by="camp", groups=["x"])
    with pytest.raises(TopicError, match="group 'regim' not in column camp"):
        prevalence_difference(tm, by="camp", target="regim")
    with pytest.raises(TopicError, match="cannot group by 'party'"):
        topic_prevalence(tm, by="party")
    with pytest.raises(TopicError, match="lambda .* between 0 and 1"):
        topic_terms(tm, 10, lam=1.5)
    with pytest.raises(TopicError, match="topic must be a topic id between 0 and 19"):
        topic_keyness(dtm, tm, 20)
    with pytest.raises(TopicError, match="freq must be one of"):
        prevalence_over_time(tm, freq="fortnight")
    with pytest.raises(TopicError, match="theta has 300 documents but docs has 2"):
        topic_prevalence(tm.theta, tm.docs.head(2))
    with pytest.raises(TopicError, match="holdout must be"):
        select_k(dtm, [3], holdout=0.9)
    with pytest.raises(TopicError, match="k_range is empty"):
        select_k(dtm, [])


@pytest.mark.slow
def test_egypt2013_sample(egypt_analysis):
    """Real data: 3,000 Egyptian articles, k=10 — the model trains, θ is sane, camps differ."""
    full = egypt_analysis.matrix()  # = corpus_matrix(egypt_store), counted once for the session's tests
    rows = np.sort(np.random.default_rng(0).choice(full.n_docs, 3000, replace=False))
    sample = trim(DocumentTermMatrix(full.X[rows], full.vocab, full.docs.iloc[rows].reset_index(drop=True),
                                     full.meta), min_df=5, max_df=0.5)
    tm = fit_topics(sample, 10, seed=SEED, passes=3)  # as 5 passes: ~90 distinct top terms, largest share 0.18
    assert tm.theta.shape == (3000, 10) and np.allclose(tm.theta.sum(axis=1), 1)
    top = topic_terms(tm, 10)
    assert top["term"].nunique() > 60  # topics are not all the same words
    prev = tm.prevalence()
    assert prev.max() < 0.5  # no single topic swallows the corpus
    diff = prevalence_difference(tm, by="camp", target="brotherhood", reference="state", n_boot=500)
    assert diff["excludes_zero"].any()  # the Brotherhood's site and the state press differ in topics


def test_prevalence_heatmap_has_one_cell_per_topic_and_outlet():
    import pandas as pd

    from workbench.plots.topics import prevalence_heatmap

    prev = pd.DataFrame({"topic": [0, 0, 1, 1, 2, 2], "group": ["a", "b"] * 3,
                         "prevalence": [0.5, 0.1, 0.3, 0.6, 0.2, 0.3]})
    fig = prevalence_heatmap(prev, {0: "الجيش", 1: "قوات النظام", 2: "x"}, groups=["b", "a"])
    ax = fig.axes[0]
    assert ax.images[0].get_array().shape == (3, 2)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["b", "a"]
    assert len([t for t in ax.texts if t.get_text() == "0.60"]) == 1


def test_select_k_gives_the_same_table_with_one_or_two_workers(dtm):
    from workbench.topics.selection import select_k

    one = select_k(dtm, [4, 6], seed=SEED, passes=2, workers=1)
    two = select_k(dtm, [4, 6], seed=SEED, passes=2, workers=2)
    pd.testing.assert_frame_equal(one.drop(columns="seconds"), two.drop(columns="seconds"))


def test_select_k_caps_its_training_and_heldout_documents(dtm, tmp_path):
    """On a large corpus each K is fitted on a seeded sample of the training rows and scored on a
    sample of the held-out rows (here with small caps on the demo); the caps are part of the key."""
    from workbench.topics.selection import select_k

    capped = select_k(dtm, [3], seed=SEED, backend="tomotopy", iterations=20, max_train=120, max_heldout=25,
                      coherence_on="all", cache_dir=tmp_path)
    assert capped.loc[0, "n_train"] == 120 and capped.loc[0, "n_heldout"] == 25
    again = select_k(dtm, [3], seed=SEED, backend="tomotopy", iterations=20, max_train=120, max_heldout=25,
                     coherence_on="all", cache_dir=tmp_path)
    assert bool(again.loc[0, "cached"]) and again.loc[0, "c_npmi"] == capped.loc[0, "c_npmi"]
    full = select_k(dtm, [3], seed=SEED, backend="tomotopy", iterations=20, coherence_on="all", cache_dir=tmp_path)
    assert not bool(full.loc[0, "cached"]) and full.loc[0, "n_train"] == dtm.n_docs - full.loc[0, "n_heldout"]
