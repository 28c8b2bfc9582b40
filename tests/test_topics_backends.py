"""Topic-model backends: tomotopy (collapsed Gibbs sampling) behind the same TopicModel as gensim;
determinism, caching of models and of K-selection scores, training on a sample, argument errors."""
import numpy as np
import pandas as pd
import pytest

from workbench.analysis import Analysis, corpus_matrix
from workbench.errors import ArgumentError
from workbench.topics import (BackendError, TopicError, fit_topics, load_topics, topic_distances, topic_labels,
                              topic_map, topic_table, topic_terms)
from workbench.topics.prevalence import (prevalence_difference, prevalence_over_time, topic_keyness,
                                         topic_prevalence)
from workbench.topics.selection import select_k

SEED = 1
K = 6
FAST = {"backend": "tomotopy", "iterations": 30}


@pytest.fixture(scope="module")
def dtm(demo_store):
    return corpus_matrix(demo_store, min_df=2, max_df=0.5)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("backends-cache")


@pytest.fixture(scope="module")
def tm(dtm, cache_dir):
    return fit_topics(dtm, K, seed=SEED, cache_dir=cache_dir, **FAST)


def test_same_seed_same_tomotopy_model_other_seed_differs(dtm, tm):
    again = fit_topics(dtm, K, seed=SEED, **FAST)  # no cache: trained again, on 2 threads
    assert not again.info["cached"] and again.params["workers"] == 2
    np.testing.assert_array_equal(again.theta, tm.theta)
    np.testing.assert_array_equal(again.phi, tm.phi)
    assert again.params == tm.params
    other = fit_topics(dtm, K, seed=SEED + 1, **FAST)
    assert not np.array_equal(other.theta, tm.theta)
    p = tm.params
    assert p["backend"] == "tomotopy" and p["iterations"] == 30 and p["parallel"] == "PARTITION"
    assert p["alpha"] == "auto" and p["eta"] == 0.01 and "tomotopy_version" in p and p["train_sample"] is None


def test_tomotopy_model_works_downstream(dtm, tm):
    assert tm.theta.shape == (dtm.n_docs, K) and np.allclose(tm.theta.sum(axis=1), 1)
    assert tm.phi.shape == (K, dtm.n_terms) and np.allclose(tm.phi.sum(axis=1), 1)
    table = topic_table(tm, 10, n_titles=2)
    assert list(table["topic"]) == list(range(K)) and table["terms"].str.len().min() > 0
    assert len(topic_labels(tm)) == K
    prev = topic_prevalence(tm, by="camp", seed=SEED)
    assert set(prev["camp"] if "camp" in prev else prev.iloc[:, 0]) and len(prev)
    diff = prevalence_difference(tm, by="camp", target="regime", reference="opposition", seed=SEED)
    assert len(diff) == K and diff["difference"].notna().all()
    assert len(prevalence_over_time(tm, by="camp", freq="month"))
    assert topic_distances(tm).shape == (K, K)
    assert len(topic_map(tm)) == K
    within = topic_keyness(dtm, tm, 0, "camp", "regime", "opposition", min_count=2)
    assert isinstance(within, pd.DataFrame)


def test_tomotopy_cache_hit_and_round_trip(dtm, tm, cache_dir, tmp_path):
    hit = fit_topics(dtm, K, seed=SEED, cache_dir=cache_dir, **FAST)
    assert hit.info["cached"] and not tm.info["cached"]
    np.testing.assert_array_equal(hit.theta, tm.theta)
    np.testing.assert_array_equal(hit.phi, tm.phi)
    pd.testing.assert_frame_equal(topic_terms(hit), topic_terms(tm))
    assert not fit_topics(dtm, K, seed=SEED, cache_dir=cache_dir, backend="tomotopy", iterations=31).info["cached"]
    back = load_topics(tm.save(tmp_path / "model"))
    assert back.backend == "tomotopy" and back.params == tm.params
    pd.testing.assert_frame_equal(topic_table(back), topic_table(tm))
    (tmp_path / "model" / "model").write_bytes(b"changed")  # not signed any more: refused
    with pytest.raises(TopicError, match="refused to load"):
        load_topics(tmp_path / "model")


def test_select_k_scores_cached_and_reused(dtm, tmp_path, monkeypatch):
    first = select_k(dtm, [3, 4], seed=SEED, cache_dir=tmp_path, **FAST)
    assert not first["cached"].any() and len(list(tmp_path.glob("scores-k*.json"))) == 2
    import workbench.topics.selection as selection

    def boom(*a, **kw):
        raise AssertionError("nothing should be fitted, loaded or tokenised on a warm run")

    monkeypatch.setattr(selection, "fit_topics", boom)
    monkeypatch.setattr(selection, "document_texts", boom)
    again = select_k(dtm, [3, 4], seed=SEED, cache_dir=tmp_path, **FAST)
    assert again["cached"].all()
    cols = ["k", "c_v", "c_npmi", "log_perplexity", "perplexity", "n_train", "n_heldout", "coherence_on"]
    pd.testing.assert_frame_equal(again[cols], first[cols])
    with pytest.raises(AssertionError, match="nothing should be fitted"):  # another measure: recomputed
        select_k(dtm, [3, 4], seed=SEED, cache_dir=tmp_path, measures=("c_v",), **FAST)
    with pytest.raises(AssertionError, match="nothing should be fitted"):  # another seed: recomputed
        select_k(dtm, [3, 4], seed=SEED + 1, cache_dir=tmp_path, **FAST)


def test_select_k_gensim_scores_cached(dtm, tmp_path):
    first = select_k(dtm, [3], seed=SEED, passes=2, cache_dir=tmp_path, backend="gensim")
    again = select_k(dtm, [3], seed=SEED, passes=2, cache_dir=tmp_path, backend="gensim")
    assert not first["cached"].any() and again["cached"].all()
    assert again.loc[0, "c_v"] == first.loc[0, "c_v"]


@pytest.mark.parametrize("backend", ["tomotopy", "gensim"])
def test_train_sample_then_theta_for_every_document(dtm, backend):
    kw = {"iterations": 30} if backend == "tomotopy" else {"passes": 2}
    tm = fit_topics(dtm, 4, seed=SEED, backend=backend, train_sample=120, chunksize=50, **kw)
    assert tm.params["train_sample"] == 120
    assert tm.theta.shape == (dtm.n_docs, 4) and np.allclose(tm.theta.sum(axis=1), 1)
    assert (tm.theta.std(axis=0) > 0).all()  # inferred documents are not all the prior
    again = fit_topics(dtm, 4, seed=SEED, backend=backend, train_sample=120, chunksize=50, **kw)
    np.testing.assert_array_equal(again.theta, tm.theta)
    # a sample larger than the corpus is no sample
    assert fit_topics(dtm, 4, seed=SEED, backend=backend, train_sample=10_000, **kw).params["train_sample"] is None


def test_bad_backend_and_options_are_one_line_errors(dtm):
    with pytest.raises(ArgumentError, match="unknown topic-model backend 'mallet'") as e:
        fit_topics(dtm, 4, backend="mallet")
    assert "\n" not in str(e.value) and isinstance(e.value, TopicError) and isinstance(e.value, BackendError)
    with pytest.raises(ArgumentError, match="unknown topic-model backend"):
        select_k(dtm, [3], backend="Tomotopy")
    with pytest.raises(BackendError, match="passes is an option of gensim"):
        fit_topics(dtm, 4, backend="tomotopy", passes=5)
    with pytest.raises(BackendError, match="alpha must be"):
        fit_topics(dtm, 4, backend="tomotopy", alpha="asymmetric")
    with pytest.raises(TopicError, match="train_sample"):
        fit_topics(dtm, 4, backend="tomotopy", train_sample=1)


def test_analysis_passes_the_backend(demo_store, tmp_path):
    a = Analysis(demo_store)
    tm = a.fit_topics(4, seed=SEED, cache_dir=tmp_path, **FAST)
    assert tm.backend == "tomotopy" and tm.theta.shape[0] == len(a.topic_matrix().docs)


def test_tomotopy_heldout_perplexity_by_document_completion(dtm, tm):
    """The held-out words are scored with θ inferred from the *other* half of each document: the
    estimate is reproducible, beats a uniform guess over the seen vocabulary, and beats θ left
    at the sampler's random start (no inference sweeps)."""
    from workbench.topics import gibbs
    from workbench.topics.selection import heldout_perplexity

    rows = np.arange(0, dtm.n_docs, 7)
    bound, perp = heldout_perplexity(tm, dtm.X, rows, seed=3)
    assert (bound, perp) == heldout_perplexity(tm, dtm.X, rows, seed=3)
    assert perp == pytest.approx(np.exp(-bound))
    n_seen = len(list(tm.model.used_vocabs))
    assert bound > -np.log(n_seen) + 0.3  # topics predict unseen words far better than uniform
    # θ from the random start (no sweep over the observed half) predicts the other half worse
    no_infer = gibbs.log_perplexity(tm.model, dtm.X, rows, tm.vocab, {**tm.params, "infer_iterations": 0}, seed=3)
    assert bound > no_infer
