"""Stratified keyness (Cochran-Mantel-Haenszel, Mantel-Haenszel odds ratio, Breslow-Day) and the
composition check: numbers against hand arithmetic and published values, a constructed confound, the
CLI, and the real Egyptian corpus (slow)."""
from __future__ import annotations

import json
import math
import time

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy import optimize, stats

from conftest import ROOT
from workbench.analysis import Analysis
from workbench.errors import AnalysisError, StatisticsError
from workbench.stats.composition import bias_corrected_v, composition
from workbench.stats.keyness import top_terms
from workbench.stats.measures import STRATIFIED_COLUMNS
from workbench.stats.stratified import MISSING, breslow_day, keyness_stratified, mantel_haenszel


# ---------------------------------------------------------------------------------------------
# reference implementations, one stratum at a time (the textbook formulas, as in statsmodels'
# StratifiedTable: test_null_odds, oddsratio_pooled, logodds_pooled_se, test_equal_odds)

def _naive(tables, correct=False):
    """tables: (A, B, C, D) per stratum with OR = AD / BC."""
    dev = var = r_sum = s_sum = pr = ps_qr = qs = 0.0
    for A, B, C, D in tables:
        n = A + B + C + D
        dev += A - (A + B) * (A + C) / n
        var += (A + B) * (C + D) * (A + C) * (B + D) / (n * n * (n - 1))
        r, s = A * D / n, B * C / n
        p, q = (A + D) / n, (B + C) / n
        r_sum += r
        s_sum += s
        pr += p * r
        ps_qr += p * s + q * r
        qs += q * s
    num = max(abs(dev) - 0.5, 0.0) if correct else abs(dev)
    var_log = pr / (2 * r_sum ** 2) + ps_qr / (2 * r_sum * s_sum) + qs / (2 * s_sum ** 2)
    return num ** 2 / var, r_sum / s_sum, var_log


def _naive_breslow_day(tables, psi, tarone=True):
    """Breslow-Day with a root finder (brentq) instead of the quadratic formula."""
    stat = dev_sum = w_sum = 0.0
    k = 0
    for A, B, C, D in tables:
        m, c, d = A + B, A + C, B + D
        lo, hi = max(0, m - d), min(m, c)
        if hi <= lo:
            continue
        x = optimize.brentq(lambda x: x * (d - m + x) - psi * (m - x) * (c - x), lo, hi, xtol=1e-14)
        w = 1 / (1 / x + 1 / (m - x) + 1 / (c - x) + 1 / (d - m + x))
        stat += (A - x) ** 2 / w
        dev_sum += A - x
        w_sum += w
        k += 1
    if tarone:
        stat -= dev_sum ** 2 / w_sum
    return stat, k - 1


def _cells(tables):
    """(A, B, C, D) tables -> the a, b, c, d of the workbench (term/other x target/reference)."""
    A, B, C, D = (np.array(v, dtype=float) for v in zip(*tables))
    return A, B, A + C, B + D


# R's documentation example of mantelhaen.test (Rabbits: penicillin level strata, delay x response)
RABBITS = [(0, 6, 0, 5), (3, 3, 0, 6), (6, 0, 2, 4), (5, 1, 6, 0), (2, 0, 5, 0)]
THREE = [(12, 5, 388, 395), (7, 9, 193, 491), (30, 11, 970, 989)]


def test_cmh_and_mh_odds_ratio_by_hand_two_strata():
    # stratum 1: a = 10 of c = 100 target tokens, b = 5 of d = 100 reference tokens, n = 200, m = 15
    #   E1 = 15 * 100 / 200 = 7.5;  V1 = 15 * 185 * 100 * 100 / (200² * 199) = 3.4861809045
    # stratum 2: a = 2 of 50, b = 8 of 200, n = 250, m = 10
    #   E2 = 10 * 50 / 250 = 2;      V2 = 10 * 240 * 50 * 200 / (250² * 249) = 1.5421686747
    # Σa - ΣE = 12 - 9.5 = 2.5;  χ²_MH = 2.5² / (V1 + V2) = 6.25 / 5.0283495792 = 1.2429525636
    # with the continuity correction: (2.5 - 0.5)² / 5.0283495792 = 0.7954896407
    # R1 = 10 * 95 / 200 = 4.75, S1 = 5 * 90 / 200 = 2.25; R2 = 2 * 192 / 250 = S2 = 8 * 48 / 250 = 1.536
    # OR_MH = (4.75 + 1.536) / (2.25 + 1.536) = 6.286 / 3.786 = 1.6603275225
    got = mantel_haenszel([10, 2], [5, 8], [100, 50], [100, 200])
    assert got["deviation"][0] == pytest.approx(2.5)
    assert got["chi2"][0] == pytest.approx(1.2429525636, abs=1e-9)
    assert mantel_haenszel([10, 2], [5, 8], [100, 50], [100, 200], correct=True)["chi2"][0] == \
        pytest.approx(0.7954896407, abs=1e-9)
    assert got["odds_ratio"][0] == pytest.approx(6.286 / 3.786, rel=1e-12)
    chi2, odds, var_log = _naive([(10, 5, 90, 95), (2, 8, 48, 192)])
    assert got["chi2"][0] == pytest.approx(chi2, rel=1e-12) and got["odds_ratio"][0] == pytest.approx(odds)
    z = stats.norm.ppf(0.975)
    assert got["or_low"][0] == pytest.approx(math.exp(math.log(odds) - z * math.sqrt(var_log)), rel=1e-10)
    assert got["or_high"][0] == pytest.approx(math.exp(math.log(odds) + z * math.sqrt(var_log)), rel=1e-10)


def test_rabbits_matches_r_mantelhaen_test():
    # R: mantelhaen.test(Rabbits): Mantel-Haenszel X-squared = 3.9286, df = 1, p-value = 0.04747;
    # common odds ratio 7, 95 percent confidence interval 1.026713 47.725133
    a, b, c, d = _cells(RABBITS)
    got = mantel_haenszel(a, b, c, d, correct=True)
    assert got["chi2"][0] == pytest.approx(3.9286, abs=5e-5)
    assert stats.chi2.sf(got["chi2"][0], 1) == pytest.approx(0.04747, abs=5e-6)
    assert got["odds_ratio"][0] == pytest.approx(7.0)
    assert (got["or_low"][0], got["or_high"][0]) == pytest.approx((1.026713, 47.725133), abs=5e-6)
    assert mantel_haenszel(a, b, c, d)["chi2"][0] == pytest.approx(_naive(RABBITS)[0])


def test_one_stratum_reduces_to_pearson_and_the_sample_odds_ratio():
    # one 2x2 table: χ²_MH = (n - 1) / n · Pearson χ² (Agresti 2013, §6.4.2); OR_MH = AD / BC and the
    # RGB variance is Woolf's 1/A + 1/B + 1/C + 1/D
    A, B, C, D = 30, 12, 470, 988
    n = A + B + C + D
    pearson = stats.chi2_contingency([[A, B], [C, D]], correction=False)[0]
    got = mantel_haenszel(A, B, A + C, B + D)
    assert got["chi2"][0] == pytest.approx(pearson * (n - 1) / n, rel=1e-12)
    assert got["odds_ratio"][0] == pytest.approx(stats.contingency.odds_ratio([[A, B], [C, D]], kind="sample").statistic)
    woolf = math.sqrt(1 / A + 1 / B + 1 / C + 1 / D)
    assert got["or_high"][0] == pytest.approx(A * D / (B * C) * math.exp(1.959963984540054 * woolf), rel=1e-10)


def test_three_strata_against_the_textbook_formulas():
    a, b, c, d = _cells(THREE)
    for correct in (False, True):
        chi2, odds, var_log = _naive(THREE, correct)
        got = mantel_haenszel(a, b, c, d, correct=correct, conf_level=0.9)
        assert got["chi2"][0] == pytest.approx(chi2, rel=1e-12)
        assert got["odds_ratio"][0] == pytest.approx(odds, rel=1e-12)
        half = stats.norm.ppf(0.95) * math.sqrt(var_log)
        assert got["or_low"][0] == pytest.approx(odds * math.exp(-half), rel=1e-10)


def test_breslow_day_against_a_root_finder():
    for tables in (THREE, RABBITS, [(10, 5, 90, 95), (2, 8, 48, 192)]):
        a, b, c, d = _cells(tables)
        psi = mantel_haenszel(a, b, c, d)["odds_ratio"]
        for tarone in (True, False):
            got = breslow_day(a, b, c, d, psi, tarone=tarone)
            want, df = _naive_breslow_day(tables, psi[0], tarone)
            assert got["statistic"][0] == pytest.approx(want, rel=1e-8, abs=1e-10)
            assert got["df"][0] == df
            assert got["p"][0] == pytest.approx(stats.chi2.sf(want, df), rel=1e-6)
    # strata with one and the same odds ratio (2) are homogeneous: BD = 0, p = 1
    same = [(20, 10, 80, 90 * 1), (4, 2, 16, 18)]
    a, b, c, d = _cells([(A, B, C, D) for A, B, C, D in same])
    assert (a[0] * (d[0] - b[0])) / (b[0] * (c[0] - a[0])) == pytest.approx(2.25)
    got = breslow_day(a, b, c, d, mantel_haenszel(a, b, c, d)["odds_ratio"])
    assert got["statistic"][0] == pytest.approx(0.0, abs=1e-10) and got["p"][0] == pytest.approx(1.0)


def test_vectorised_table_equals_term_by_term():
    rng = np.random.default_rng(3)
    X = sp.csr_array(rng.poisson(0.8, size=(60, 25)))
    strata = np.array(["s1", "s2", "s3", None] * 15, dtype=object)
    target = np.arange(60) % 3 == 0
    vocab = [f"w{i}" for i in range(25)]
    table = keyness_stratified(X, vocab, target, ~target, strata).set_index("term")
    assert list(table.reset_index().columns) == STRATIFIED_COLUMNS
    assert {s["stratum"] for s in table.attrs["strata"]} == {"s1", "s2", "s3", MISSING}
    Xd = X.toarray()
    for j in (0, 7, 24):
        a, b, c, d = [], [], [], []
        for s in ("s1", "s2", "s3", None):
            in_s = np.array([v == s for v in strata])
            a.append(Xd[in_s & target, j].sum())
            b.append(Xd[in_s & ~target, j].sum())
            c.append(Xd[in_s & target].sum())
            d.append(Xd[in_s & ~target].sum())
        want = mantel_haenszel(a, b, c, d)
        row = table.loc[f"w{j}"]
        assert row["chi2_mh"] == pytest.approx(want["chi2"][0], rel=1e-12)
        assert row["odds_ratio_mh"] == pytest.approx(want["odds_ratio"][0], rel=1e-12)
        assert row["log_ratio"] == pytest.approx(math.log2(want["odds_ratio"][0]))
        assert row["n_target"] == sum(a) and row["strata_target"] == sum(x > 0 for x in a)
        bd = breslow_day(a, b, c, d, want["odds_ratio"])
        assert row["breslow_day"] == pytest.approx(bd["statistic"][0], rel=1e-9, abs=1e-12)
    # the BH adjustment runs over the tested terms
    assert np.all(table["p_adj"] >= table["p"] - 1e-15)


def test_one_sided_strata_contribute_nothing_and_bad_input_is_named():
    # stratum "x" holds target documents only: it is left out of every column
    X = sp.csr_array(np.array([[5, 1], [4, 2], [1, 5], [2, 4], [50, 0]]))
    strata = ["s", "s", "s", "s", "x"]
    target = np.array([True, True, False, False, True])
    t = keyness_stratified(X, ["a", "b"], target, ~target, strata)
    assert t.attrs["strata_dropped"] == ["x"] and t.attrs["docs_dropped"] == {"target": 1, "reference": 0}
    assert t.set_index("term").loc["a", "n_target"] == 9          # not 59
    alone = keyness_stratified(X[:4], ["a", "b"], target[:4], ~target[:4], strata[:4])
    pd.testing.assert_frame_equal(t[alone.columns].reset_index(drop=True), alone, check_exact=False)
    with pytest.raises(StatisticsError, match="no stratum has documents"):
        keyness_stratified(X, ["a", "b"], target, ~target, ["p", "p", "q", "q", "p"], strata_name="stratum")
    with pytest.raises(StatisticsError, match="strata has 3 entries"):
        keyness_stratified(X, ["a", "b"], target, ~target, ["s"] * 3)
    with pytest.raises(StatisticsError, match="unknown measure 'G2'"):
        keyness_stratified(X, ["a", "b"], target, ~target, strata, measure_sort="G2")
    # a term only one side uses: infinite odds ratio, no interval, still tested
    t2 = keyness_stratified(sp.csr_array(np.array([[3, 5], [0, 5], [2, 5], [0, 5]])), ["only", "both"],
                            np.array([1, 0, 1, 0], bool), None, ["s", "s", "t", "t"]).set_index("term")
    assert t2.loc["only", "odds_ratio_mh"] == np.inf and np.isnan(t2.loc["only", "or_low"])
    assert t2.loc["only", "log_ratio"] == np.inf and t2.loc["only", "direction"] == "target"


# ---------------------------------------------------------------------------------------------
# a constructed confound: the police word is key only because the regime side has more crime news

OUTLETS = {"regime": ["sawt-al-dawla", "al-hisn-al-watani"], "opposition": ["nafidhat-al-shimal", "sijil-al-huriya"]}
WORDS = {"crime": "الشرطة تحقق الحادث المتهم", "politics": "البرلمان يناقش قانون الانتخابات"}
CAMP_WORD = {"regime": "البواسل", "opposition": "الثوار"}
LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


@pytest.fixture(scope="module")
def confound_store(tmp_path_factory):
    """40 articles: the regime's are 80% crime news, the opposition's 20%; within a section both camps
    write the same words at the same rate, except one camp word each."""
    from workbench.corpus import import_sources

    folder = tmp_path_factory.mktemp("confound")
    rows, i = [], 0
    for camp, mix in (("regime", {"crime": 16, "politics": 4}), ("opposition", {"crime": 4, "politics": 16})):
        for section, n in mix.items():
            for _ in range(n):
                filler = "س" + LETTERS[i // len(LETTERS)] + LETTERS[i % len(LETTERS)] + "ان"  # a unique word
                rows.append({"id": f"d{i}", "outlet": OUTLETS[camp][i % 2], "date": "2020-01-01", "title": "خبر",
                             "text": f"{WORDS[section]} {CAMP_WORD[camp]} {filler}", "category": section})
                i += 1
    src = folder / "articles.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    import_sources([src], folder / "store", registry=ROOT / "corpus" / "demo" / "outlets.yaml", quiet=True)
    return folder / "store"


def test_stratified_keyness_removes_a_composition_confound(confound_store):
    a = Analysis(confound_store)
    plain = a.compare("camp", "regime", "opposition", min_count=2).set_index("term")
    strat = a.compare("camp", "regime", "opposition", min_count=2, stratify="category").set_index("term")
    # pooled: الشرطة is 16 of 120 regime tokens against 4 of 120 opposition tokens, a regime keyword
    assert plain.loc["الشرطة", "direction"] == "target" and plain.loc["الشرطة", "p_adj"] < 0.05
    # within sections both camps use it in every crime article: no difference at all
    assert strat.loc["الشرطة", "chi2_mh"] == pytest.approx(0.0, abs=1e-12)
    assert strat.loc["الشرطة", "odds_ratio_mh"] == pytest.approx(1.0)
    assert strat.loc["الشرطة", "direction"] == "none" and strat.loc["الشرطة", "p_adj"] == pytest.approx(1.0)
    # the real difference survives: each camp's own word, in both sections
    assert strat.loc["البواسل", "direction"] == "target" and strat.loc["البواسل", "p_adj"] < 0.05
    assert strat.loc["الثوار", "direction"] == "reference" and strat.loc["البواسل", "strata_target"] == 2
    assert strat.attrs["stratify"] == "category" and strat.attrs["strata_used"] == 2
    assert strat.attrs["store_fingerprint"] == a.fingerprint
    assert list(top_terms(strat.reset_index(), 1, direction="target")["term"]) == ["البواسل"]
    with pytest.raises(AnalysisError, match="cannot stratify by 'camp'"):
        a.compare("camp", "regime", "opposition", stratify="camp")
    with pytest.raises(AnalysisError, match="cannot stratify by 'sektion': not a corpus column"):
        a.compare("camp", "regime", "opposition", stratify="sektion")


def test_composition_warns_on_the_constructed_corpus(confound_store):
    check = composition(Analysis(confound_store), "camp", "regime", "opposition")
    # 2x2 table [[16, 4], [4, 16]]: φ = (16·16 - 4·4) / 20² = 0.6; χ² = 40 · 0.36 = 14.4;
    # Bergsma: φ̃² = 0.36 - 1/39, r̃ - 1 = 1 - 1/39 -> V = sqrt(0.33436 / 0.97436) = 0.5858
    row = check.tests.set_index("column").loc["category"]
    assert row["cramers_v"] == pytest.approx(0.6) and row["chi2"] == pytest.approx(14.4)
    assert row["cramers_v_corrected"] == pytest.approx(math.sqrt((0.36 - 1 / 39) / (1 - 1 / 39)))
    assert bool(row["warn"]) and list(check.tests["column"]) == ["category"]  # ids, titles, dates skipped
    (w,) = check.warnings
    assert "differ markedly in 'category' (Cramér's V = 0.59)" in w
    assert "'crime' is 80% of regime but 20% of opposition documents" in w
    assert "'politics' is 80% of opposition but 20% of regime documents" in w
    assert "--stratify category" in w and "--where category!=" in w
    part = check.for_column("category").set_index("value")
    assert part.loc["crime", "n_target"] == 16 and part.loc["crime", "share_reference"] == pytest.approx(0.2)
    # balanced groups: no warning; a column named by hand is checked whatever it is
    docs = pd.DataFrame({"camp": ["a", "b"] * 20, "section": ["x", "x", "y", "y"] * 10, "id": range(40)})
    quiet = composition(docs, "camp", "a", "b")
    assert quiet.warnings == [] and quiet.tests["cramers_v"].tolist() == [0.0]
    assert list(composition(docs, "camp", "a", "b", columns=["id"]).tests["column"]) == ["id"]
    with pytest.raises(StatisticsError, match="'sektion' is not a corpus column"):
        composition(docs, "camp", "a", "b", columns=["sektion"])
    assert math.isnan(bias_corrected_v(float("nan"), 10, 2, 2))


def test_cli_keyness_stratify_and_composition(confound_store, capsys):
    from workbench.cli import main

    store = str(confound_store)
    base = ["keyness", "--store", store, "--group", "camp", "--target", "regime", "--reference", "opposition",
            "--min-count", "2"]
    assert main(base) == 0
    out, err = capsys.readouterr()
    assert "warning: the two groups differ markedly in 'category'" in err and "G2" in out
    assert err.index("warning") == 0

    assert main(base + ["--stratify", "category", "--json"]) == 0
    out, err = capsys.readouterr()
    rows = json.loads(out)
    assert "warning" not in err  # the column stratified by is taken care of
    assert {r["term"] for r in rows if r["direction"] == "target"} == {"البواسل"}
    assert "الشرطة" not in {r["term"] for r in rows} and "chi2_mh" in rows[0]

    assert main(base + ["--stratify", "category", "--top", "3"]) == 0
    out, _ = capsys.readouterr()
    assert "within each 'category', sorted by chi2_mh" in out and "odds_ratio_mh" in out
    assert main(base + ["--stratify", "sektion"]) == 2
    assert "cannot stratify by 'sektion'" in capsys.readouterr().err

    assert main(["composition", "--store", store, "--group", "camp", "--target", "regime",
                 "--reference", "opposition"]) == 0
    out, _ = capsys.readouterr()
    assert "category: Cramér's V = 0.59" in out and "crime" in out and "warning: the two groups" in out
    assert main(["composition", "--store", store, "--group", "camp", "--target", "regime", "--columns", "outlet",
                 "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["tests"][0]["column"] == "outlet" and got["tests"][0]["cramers_v"] == pytest.approx(1.0)
    assert main(["composition", "--store", store, "--group", "camp", "--target", "regime",
                 "--columns", "camp"]) == 2


# ---------------------------------------------------------------------------------------------
# the real corpus: FJP against the private papers (issue 11)

CRIME = ["شرطة", "مباحث", "المتهم", "المتهمين", "قسم", "ضبط", "اللواء", "المباحث", "الامن", "عاطل", "المحضر"]


@pytest.mark.slow
def test_stratifying_by_category_removes_the_crime_block_on_egyptian_news(egypt_analysis):
    a = egypt_analysis  # Analysis(egypt_store), shared with the other tests of the real corpus
    t0 = time.perf_counter()
    plain = a.compare("camp", "brotherhood", "private", min_count=10)
    t1 = time.perf_counter()
    strat = a.compare("camp", "brotherhood", "private", min_count=10, stratify="category")
    t2 = time.perf_counter()
    before = list(top_terms(plain, 20, direction="reference")["term"])
    after = list(top_terms(strat, 20, direction="reference")["term"])
    print(f"\nkeyness {t1 - t0:.2f} s, stratified {t2 - t1:.2f} s")
    print("private top 20, pooled:    ", " ".join(before))
    print("private top 20, stratified:", " ".join(after))
    print("brotherhood top 20, stratified:", " ".join(top_terms(strat, 20, direction="target")["term"]))
    assert {"شرطة", "مباحث"} <= set(before[:5]) and len(set(CRIME) & set(before)) >= 5
    assert not set(CRIME) & set(after)
    # the four categories both camps have; everything else is private-only and left out
    assert strat.attrs["strata_used"] == 4 and "accidents" in strat.attrs["strata_dropped"]
    assert strat.attrs["docs"] == {"target": 1726, "reference": 3375}

    check = composition(a, "camp", "brotherhood", "private")
    (w,) = check.warnings
    assert "differ markedly in 'category'" in w and "--stratify category" in w
    assert check.tests.set_index("column").loc["category", "cramers_v_corrected"] > 0.6
