"""Tests for workbench.stats.keyness: numbers checked against hand arithmetic and published formulas."""

from __future__ import annotations

import importlib
import math
import time
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy import stats

from workbench.stats import (
    COLUMNS,
    adjust_pvalues,
    benjamini_hochberg,
    chi2_yates,
    clopper_pearson,
    conservative_log_ratio,
    dirichlet_prior,
    g2_pvalue,
    keyness,
    log_likelihood,
    log_ratio,
    top_terms,
    weighted_log_odds,
)


# ---------------------------------------------------------------------------
# G² log-likelihood
# ---------------------------------------------------------------------------


def test_g2_worked_example_rayson_garside():
    # a = 10 occurrences in a 1,000-token target, b = 2 in a 2,000-token reference.
    # E1 = c (a+b) / (c+d) = 1000 * 12 / 3000 = 4
    # E2 = d (a+b) / (c+d) = 2000 * 12 / 3000 = 8
    # G2 = 2 (10 ln(10/4) + 2 ln(2/8))
    #    = 2 (10 * 0.9162907319 + 2 * -1.3862943611)
    #    = 2 (9.162907319 - 2.772588722) = 2 * 6.390318597 = 12.780637194
    assert log_likelihood(10, 2, 1000, 2000) == pytest.approx(12.780637194, abs=1e-8)
    expected = 2 * (10 * math.log(10 / 4) + 2 * math.log(2 / 8))
    assert log_likelihood(10, 2, 1000, 2000) == pytest.approx(expected, rel=1e-12)


def test_g2_full_table_matches_dunning_and_scipy():
    # Full 2x2 table adds the "other words" cells:
    # O21 = 990, E21 = 1000 - 4 = 996; O22 = 1998, E22 = 2000 - 8 = 1992
    full = 2 * (
        10 * math.log(10 / 4)
        + 2 * math.log(2 / 8)
        + 990 * math.log(990 / 996)
        + 1998 * math.log(1998 / 1992)
    )
    got = log_likelihood(10, 2, 1000, 2000, full_table=True)
    assert got == pytest.approx(full, rel=1e-12)
    g, _p, _dof, _e = stats.chi2_contingency([[10, 2], [990, 1998]], lambda_="log-likelihood", correction=False)
    assert got == pytest.approx(g, rel=1e-10)
    # the two forms agree closely for a rare term
    assert abs(got - log_likelihood(10, 2, 1000, 2000)) < 0.1


def test_g2_zero_counts_finite_and_symmetric():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = log_likelihood([0, 5, 0], [5, 0, 0], [100, 100, 100], [100, 100, 100])
    assert np.all(np.isfinite(g))
    # a = 0, b = 5, equal sizes: E1 = E2 = 2.5 -> G2 = 2 * 5 ln(5 / 2.5) = 10 ln 2
    assert g[0] == pytest.approx(10 * math.log(2))
    assert g[1] == pytest.approx(g[0])
    assert g[2] == 0.0
    # identical relative frequencies -> 0
    assert log_likelihood(3, 6, 100, 200) == pytest.approx(0.0, abs=1e-12)


def test_g2_pvalue_chi2_one_df():
    assert g2_pvalue(3.841458820694124) == pytest.approx(0.05, rel=1e-9)
    assert g2_pvalue(0.0) == 1.0
    np.testing.assert_allclose(g2_pvalue([1.0, 10.0]), stats.chi2.sf([1.0, 10.0], 1))


# ---------------------------------------------------------------------------
# Log ratio and LRC
# ---------------------------------------------------------------------------


def test_log_ratio_hardie():
    # relative frequencies 10/1000 and 2/2000: ratio 10 -> log2(10)
    assert log_ratio(10, 2, 1000, 2000) == pytest.approx(math.log2(10))
    # equal relative frequencies -> 0; reversed -> negative
    assert log_ratio(3, 6, 100, 200) == pytest.approx(0.0)
    assert log_ratio(2, 10, 2000, 1000) == pytest.approx(-math.log2(10))
    # zero adjustment: the zero count becomes 0.5, other counts untouched
    assert log_ratio(8, 0, 100, 100) == pytest.approx(math.log2(8 / 0.5))
    assert log_ratio(0, 8, 100, 100) == pytest.approx(-math.log2(8 / 0.5))
    assert log_ratio(0, 0, 100, 100) == 0.0


def test_clopper_pearson_matches_scipy_binomtest():
    for k, n in [(0, 10), (3, 10), (10, 10), (17, 40)]:
        lo, hi = clopper_pearson(k, n, 0.95)
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
        assert float(lo) == pytest.approx(ci.low, abs=1e-12)
        assert float(hi) == pytest.approx(ci.high, abs=1e-12)


def test_lrc_formula_worked_example():
    # a = 40, b = 10, c = d = 10,000; no Bonferroni (family_size=1).
    a, b, c, d = 40, 10, 10_000, 10_000
    tau_lo = stats.beta.ppf(0.025, a, b + 1)  # Clopper-Pearson lower bound of a / (a + b)
    expected = math.log2((d / c) * tau_lo / (1 - tau_lo))
    got = conservative_log_ratio(a, b, c, d, conf_level=0.95, family_size=1)
    assert float(got) == pytest.approx(expected, rel=1e-10)
    assert 0 < float(got) < log_ratio(a, b, c, d)
    # reference side: upper bound, negative
    tau_hi = stats.beta.ppf(0.975, b + 1, a)
    expected_neg = math.log2((d / c) * tau_hi / (1 - tau_hi))
    got_neg = conservative_log_ratio(b, a, c, d, conf_level=0.95, family_size=1)
    assert float(got_neg) == pytest.approx(expected_neg, rel=1e-10)
    assert float(got_neg) == pytest.approx(-float(got), rel=1e-10)  # symmetric for equal sizes


def test_lrc_zero_for_tiny_counts_and_signed_for_large():
    a = np.array([1, 0, 2, 3, 500, 20])
    b = np.array([0, 1, 1, 3, 100, 400])
    lrc = conservative_log_ratio(a, b, 10_000, 10_000, family_size=1000)
    lr = log_ratio(a, b, 10_000, 10_000)
    assert np.all(lrc[:4] == 0.0)  # 1/0, 0/1, 2/1, 3/3: evidence too thin
    assert lrc[4] > 0 and lrc[5] < 0
    assert np.all(np.sign(lrc[4:]) == np.sign(lr[4:]))
    assert np.all(np.abs(lrc) <= np.abs(lr) + 1e-12)  # conservative
    # Bonferroni over a larger family shrinks LRC towards 0
    small = conservative_log_ratio(500, 100, 10_000, 10_000, family_size=1)
    big = conservative_log_ratio(500, 100, 10_000, 10_000, family_size=100_000)
    assert 0 < big < small
    assert "-0.0" not in repr(lrc.tolist())


# ---------------------------------------------------------------------------
# Monroe, Colaresi & Quinn (2008) weighted log-odds
# ---------------------------------------------------------------------------


def _mcq_direct(y_i, y_j, alpha):
    """Direct, loop-based transcription of MCQ eqs. 16, 18-22 (informative Dirichlet prior)."""
    n_i, n_j, a0 = sum(y_i), sum(y_j), sum(alpha)
    out = []
    for w in range(len(y_i)):
        # eq. 16: log-odds of word w in group i, posterior with prior alpha_w
        omega_i = math.log((y_i[w] + alpha[w]) / (n_i + a0 - y_i[w] - alpha[w]))
        omega_j = math.log((y_j[w] + alpha[w]) / (n_j + a0 - y_j[w] - alpha[w]))
        delta = omega_i - omega_j  # eq. 16 difference
        var = 1 / (y_i[w] + alpha[w]) + 1 / (y_j[w] + alpha[w])  # eq. 20 approximation
        out.append((delta, var, delta / math.sqrt(var)))  # eq. 22
    return out


def test_weighted_log_odds_matches_direct_mcq():
    y_i = [20, 5, 0, 12, 3]
    y_j = [4, 9, 7, 12, 1]
    background = [a + b for a, b in zip(y_i, y_j)]
    for prior_size in (None, 10.0, 500.0):
        alpha = dirichlet_prior(background, prior_size)
        if prior_size is not None:
            assert alpha.sum() == pytest.approx(prior_size)
        else:
            np.testing.assert_allclose(alpha, background)
        delta, var, z = weighted_log_odds(y_i, y_j, sum(y_i), sum(y_j), alpha)
        ref = np.array(_mcq_direct(y_i, y_j, list(alpha)))
        np.testing.assert_allclose(delta, ref[:, 0], rtol=1e-12)
        np.testing.assert_allclose(var, ref[:, 1], rtol=1e-12)
        np.testing.assert_allclose(z, ref[:, 2], rtol=1e-12)
        assert z[0] > 0 and z[2] < 0


def test_weighted_log_odds_alpha0_slice():
    y_i, y_j = np.array([20, 5, 0, 12]), np.array([4, 9, 7, 12])
    alpha = dirichlet_prior(y_i + y_j, 100.0)
    full = weighted_log_odds(y_i, y_j, y_i.sum(), y_j.sum(), alpha)[2]
    part = weighted_log_odds(y_i[:2], y_j[:2], y_i.sum(), y_j.sum(), alpha[:2], alpha_0=alpha.sum())[2]
    np.testing.assert_allclose(part, full[:2])


def test_dirichlet_prior_validation():
    with pytest.raises(ValueError, match="sum to 0"):
        dirichlet_prior([0, 0, 0])
    with pytest.raises(ValueError, match="non-negative"):
        dirichlet_prior([1, -1])
    with pytest.raises(ValueError, match="prior_size"):
        dirichlet_prior([1, 2], 0)
    assert np.all(dirichlet_prior([0, 3, 1], 10) > 0)


# ---------------------------------------------------------------------------
# Yates chi-square, multiple testing
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("a,b,c,d", [(10, 2, 1000, 2000), (3, 4, 50, 60), (0, 7, 100, 90), (5, 5, 10, 10)])
def test_chi2_yates_matches_scipy(a, b, c, d):
    table = [[a, b], [c - a, d - b]]
    expected = stats.chi2_contingency(table, correction=True)[0]
    assert float(chi2_yates(a, b, c, d)) == pytest.approx(expected, rel=1e-10, abs=1e-12)


def test_chi2_yates_hand_example():
    # O = [[10, 2], [990, 1998]], N = 3000, |ad - bc| = |10*1998 - 2*990| = 18000
    # chi2 = N (|ad - bc| - N/2)^2 / (R1 R2 C1 C2) = 3000 * 16500^2 / (12 * 2988 * 1000 * 2000)
    expected = 3000 * 16500**2 / (12 * 2988 * 1000 * 2000)
    assert float(chi2_yates(10, 2, 1000, 2000)) == pytest.approx(expected, rel=1e-12)


def test_benjamini_hochberg_matches_scipy():
    rng = np.random.default_rng(42)
    p = np.concatenate([rng.uniform(size=200), rng.uniform(0, 1e-3, size=20), [0.5, 0.5, 1.0, 0.0]])
    np.testing.assert_allclose(benjamini_hochberg(p), stats.false_discovery_control(p), rtol=1e-12)
    np.testing.assert_allclose(adjust_pvalues(p, "fdr_bh"), stats.false_discovery_control(p), rtol=1e-12)


def test_bonferroni_and_none():
    p = np.array([0.01, 0.2, 0.5])
    np.testing.assert_allclose(adjust_pvalues(p, "bonferroni"), [0.03, 0.6, 1.0])
    np.testing.assert_allclose(adjust_pvalues(p, "none"), p)
    np.testing.assert_allclose(adjust_pvalues(p, None), p)
    with pytest.raises(ValueError, match="unknown correction"):
        adjust_pvalues(p, "holm-sidak")


# ---------------------------------------------------------------------------
# keyness() on a small corpus
# ---------------------------------------------------------------------------

VOCAB = ["جيش", "إرهاب", "فصائل", "نظام", "قال", "UN"]
OUTLETS = np.array(["SANA", "SANA", "Tishreen", "Enab", "Orient", "Enab"])
TARGET = np.array([True, True, True, False, False, False])
# docs x terms. "إرهاب" is used heavily, but only by SANA documents on the target side.
COUNTS = np.array(
    [
        [3, 9, 0, 0, 2, 1],  # SANA
        [2, 8, 0, 0, 3, 0],  # SANA
        [4, 0, 1, 0, 2, 1],  # Tishreen
        [0, 0, 5, 4, 3, 1],  # Enab
        [1, 1, 4, 3, 2, 0],  # Orient
        [0, 0, 3, 5, 2, 1],  # Enab
    ]
)


@pytest.fixture
def table():
    return keyness(sp.csr_array(COUNTS), VOCAB, TARGET, ~TARGET, outlets=OUTLETS,
                   target_name="official", reference_name="opposition")


def test_keyness_columns_and_counts(table):
    assert list(table.columns) == COLUMNS
    assert len(table) == len(VOCAB)
    row = table.set_index("term").loc["جيش"]
    assert row["n_target"] == 9 and row["n_reference"] == 1
    c, d = COUNTS[TARGET].sum(), COUNTS[~TARGET].sum()
    assert table.attrs["tokens"] == {"target": int(c), "reference": int(d)}
    assert row["freq_target"] == pytest.approx(9 / c * 10_000)
    assert row["freq_reference"] == pytest.approx(1 / d * 10_000)
    assert row["docs_target"] == 3 and row["docs_reference"] == 1
    assert row["direction"] == "target"
    # the per-term columns equal the per-statistic functions
    assert row["G2"] == pytest.approx(float(log_likelihood(9, 1, c, d)))
    assert row["log_ratio"] == pytest.approx(float(log_ratio(9, 1, c, d)))
    assert row["chi2_yates"] == pytest.approx(float(chi2_yates(9, 1, c, d)))
    assert table.set_index("term").loc["نظام", "direction"] == "reference"
    assert not table[["G2", "p", "p_adj", "log_ratio", "lrc", "log_odds", "log_odds_z", "chi2_yates"]].isna().any().any()


def test_keyness_attrs(table):
    at = table.attrs
    assert at["groups"] == {"target": "official", "reference": "opposition"}
    assert at["docs"] == {"target": 3, "reference": 3}
    assert at["correction"] == "fdr_bh"
    assert at["prior"] == "groups"
    assert at["measure_sort"] == "G2"
    assert at["n_terms_tested"] == len(VOCAB)


def test_keyness_dispersion_single_outlet(table):
    t = table.set_index("term")
    # "إرهاب": 17 target tokens, all from the two SANA documents
    assert t.loc["إرهاب", "n_target"] == 17
    assert t.loc["إرهاب", "docs_target"] == 2
    assert t.loc["إرهاب", "outlets_target"] == 1
    assert t.loc["إرهاب", "outlets_reference"] == 1  # one Orient document
    assert t.loc["جيش", "outlets_target"] == 2  # SANA + Tishreen
    assert t.loc["فصائل", "outlets_reference"] == 2  # Enab + Orient
    assert t.loc["قال", "outlets_target"] == 2 and t.loc["قال", "outlets_reference"] == 2


def test_keyness_min_outlets_drops_single_outlet_keyword():
    t = keyness(COUNTS, VOCAB, TARGET, outlets=OUTLETS, min_outlets=2)
    assert "إرهاب" not in set(t["term"])
    assert "جيش" in set(t["term"])
    assert t.attrs["n_terms_tested"] == len(t)


def test_keyness_without_outlets_has_na_dispersion():
    t = keyness(COUNTS, VOCAB, TARGET)
    assert t["outlets_target"].isna().all()
    assert t.attrs["has_outlets"] is False


def test_keyness_reference_default_is_complement_and_index_arrays():
    a = keyness(COUNTS, VOCAB, TARGET)
    b = keyness(COUNTS, VOCAB, [0, 1, 2], [3, 4, 5])
    pd.testing.assert_frame_equal(a, b)


def test_keyness_sorting_and_top():
    t = keyness(COUNTS, VOCAB, TARGET, measure_sort="log_ratio")
    assert list(np.abs(t["log_ratio"])) == sorted(np.abs(t["log_ratio"]), reverse=True)
    top = keyness(COUNTS, VOCAB, TARGET, top=1)
    assert list(top["direction"]) == ["target", "reference"]
    full = keyness(COUNTS, VOCAB, TARGET)
    assert top["term"].iloc[0] == full[full["direction"] == "target"]["term"].iloc[0]


def test_top_terms_helper():
    t = keyness(COUNTS, VOCAB, TARGET)
    tt = top_terms(t, 2)
    assert list(tt["direction"]) == ["target", "target", "reference", "reference"]
    assert tt.attrs == t.attrs
    only = top_terms(t, 5, direction="reference", by="log_odds_z")
    assert set(only["direction"]) == {"reference"}
    z = only["log_odds_z"].abs().to_numpy()
    assert np.all(np.diff(z) <= 0)
    sig = top_terms(t, 10, significant=True, alpha=1e-300)
    assert sig.empty


def test_keyness_min_count():
    t = keyness(COUNTS, VOCAB, TARGET, min_count=10)
    assert set(t["term"]) == {v for v, n in zip(VOCAB, COUNTS.sum(axis=0)) if n >= 10}


def test_keyness_prior_options():
    corpus = keyness(COUNTS, VOCAB, [0, 1], [3, 4], prior="corpus")
    groups = keyness(COUNTS, VOCAB, [0, 1], [3, 4])
    assert corpus.attrs["prior"] == "corpus" and groups.attrs["prior"] == "groups"
    user = keyness(COUNTS, VOCAB, TARGET, prior=np.ones(len(VOCAB)), prior_size=60)
    assert user.attrs["prior"] == "user" and user.attrs["prior_size"] == pytest.approx(60)
    # the keyness log-odds equal the standalone function with the same prior
    alpha = dirichlet_prior(np.ones(len(VOCAB)), 60)
    a = COUNTS[TARGET].sum(axis=0)
    b = COUNTS[~TARGET].sum(axis=0)
    z = weighted_log_odds(a, b, a.sum(), b.sum(), alpha)[2]
    got = user.set_index("term").loc[VOCAB, "log_odds_z"].to_numpy()
    np.testing.assert_allclose(got, z)


def test_keyness_bonferroni_and_lrc_family():
    t = keyness(COUNTS, VOCAB, TARGET, correction="bonferroni")
    np.testing.assert_allclose(t["p_adj"], np.minimum(t["p"] * len(t), 1))
    c, d = COUNTS[TARGET].sum(), COUNTS[~TARGET].sum()
    row = t.set_index("term").loc["إرهاب"]
    expected = conservative_log_ratio(row["n_target"], row["n_reference"], c, d, family_size=len(t))
    assert row["lrc"] == pytest.approx(float(expected))


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs,exc,msg",
    [
        (dict(target=[0, 1, 2], reference=[2, 3, 4]), ValueError, "overlap in 1 document;"),
        (dict(target=[0, 1, 2], reference=[0, 1, 2, 3]), ValueError, "overlap in 3 documents"),
        (dict(target=np.zeros(6, bool)), ValueError, "target has no documents"),
        (dict(target=np.ones(6, bool)), ValueError, "reference has no documents"),
        (dict(target=[0, 1], reference=[]), ValueError, "reference has no documents"),
        (dict(target=[True, False]), ValueError, "target mask has length 2 but X has 6 documents"),
        (dict(target=[0, 9]), IndexError, "out of range"),
        (dict(target=["a"]), TypeError, "boolean mask or an array of integer"),
        (dict(target=[0], vocab=VOCAB[:-1]), ValueError, "vocab has 5 terms but X has 6 columns"),
        (dict(target=[0], vocab=VOCAB[:-1] + ["جيش"]), ValueError, "duplicated"),
        (dict(target=[0], outlets=["x"] * 5), ValueError, "outlets has 5 entries"),
        (dict(target=[0], outlets=[None] + ["x"] * 5), ValueError, "outlets is missing for 1"),
        (dict(target=[0], min_outlets=2), ValueError, "needs outlets"),
        (dict(target=[0], measure_sort="tfidf"), ValueError, "unknown measure"),
        (dict(target=[0], correction="sidak"), ValueError, "unknown correction"),
        (dict(target=[0], alpha=1.5), ValueError, "alpha"),
        (dict(target=[0], min_count=0), ValueError, "min_count"),
        (dict(target=[0], prior=[1, 2]), ValueError, "prior has 2 counts but the vocabulary has 6"),
        (dict(target=[0], prior="wikipedia"), ValueError, "unknown prior"),
        (dict(target=[0], top=0), ValueError, "top"),
    ],
)
def test_keyness_validation(kwargs, exc, msg):
    args = dict(X=COUNTS, vocab=VOCAB)
    args.update(kwargs)
    with pytest.raises(exc, match=msg):
        keyness(**args)


def test_keyness_no_tokens_messages():
    X = COUNTS.copy()
    X[3:] = 0
    with pytest.raises(ValueError, match=r"reference has no tokens \(all 3 of its documents are empty\)"):
        keyness(X, VOCAB, TARGET)
    with pytest.raises(ValueError, match="target has no tokens"):
        keyness(X, VOCAB, ~TARGET)


def test_keyness_rejects_negative_counts():
    X = COUNTS.copy()
    X[0, 0] = -1
    with pytest.raises(ValueError, match="negative"):
        keyness(X, VOCAB, TARGET)


# ---------------------------------------------------------------------------
# scale
# ---------------------------------------------------------------------------


def test_keyness_large_vocabulary_fast_and_clean():
    rng = np.random.default_rng(0)
    n_docs, n_terms = 400, 120_000
    nnz = 250_000
    rows, cols = rng.integers(0, n_docs, nnz), rng.integers(0, n_terms, nnz)
    X = sp.csr_array((rng.integers(1, 4, nnz), (rows, cols)), shape=(n_docs, n_terms))
    vocab = [f"t{i}" for i in range(n_terms)]
    outlets = np.array(["a", "b", "c", "d"])[np.arange(n_docs) % 4]
    target = np.arange(n_docs) < 150
    keyness(X[140:160, :100], vocab[:100], target[140:160], outlets=outlets[140:160])  # warm-up
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t0 = time.perf_counter()
        t = keyness(X, vocab, target, outlets=outlets)
        elapsed = time.perf_counter() - t0
    assert len(t) > 90_000
    assert np.isfinite(t[["G2", "p", "p_adj", "log_ratio", "lrc", "log_odds", "log_odds_z", "chi2_yates"]].to_numpy()).all()
    assert elapsed < 1.0, f"keyness took {elapsed:.2f}s for {n_terms} terms"


def test_module_functions_documented():
    kn = importlib.import_module("workbench.stats.keyness")
    for name in kn.__all__:
        obj = getattr(kn, name)
        if callable(obj):
            assert obj.__doc__ and len(obj.__doc__) > 40, name


def test_groups_are_read_in_row_blocks_with_the_same_result(monkeypatch):
    """keyness() sums the groups a block of rows at a time (bounded memory on a million articles):
    blocks of one or two rows give exactly the table of one block."""
    import importlib
    mod = importlib.import_module("workbench.stats.keyness")
    args = (sp.csr_array(COUNTS), VOCAB, TARGET, ~TARGET)
    whole = keyness(*args, outlets=OUTLETS, min_outlets=2)
    for size in (1, 2):
        monkeypatch.setattr(mod, "GROUP_BLOCK", size)
        pd.testing.assert_frame_equal(keyness(*args, outlets=OUTLETS, min_outlets=2), whole)
