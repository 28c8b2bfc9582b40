"""Collocations: window counting and measures by hand, the planted namings of the demo corpus,
multi-word expressions (λ, z) against a brute-force count, the CLI, and the real corpus (slow)."""
import math
from itertools import product

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from workbench.errors import StatisticsError
from workbench.stats.collocations import (COLLOCATE_COLUMNS, COMPARE_COLUMNS, MWE_COLUMNS, collocates,
                                          compare_collocates, multiword_expressions)


class FakeStream:
    """A token stream: ``.batches()`` yields lists of ``(doc_id, tokens)``."""

    def __init__(self, docs, batch_size=2):
        self.docs = list(docs)
        self.batch_size = batch_size

    def batches(self):
        for i in range(0, len(self.docs), self.batch_size):
            yield self.docs[i:i + self.batch_size]


TOKENS = {
    "d1": ["p", "q", "x", "r", "s", "t", "u", "x", "q"],
    "d2": ["q", "r", "s", "t"],
    "d3": ["x", "x", "q", "r"],
}
META = pd.DataFrame({"id": ["d1", "d2", "d3"], "camp": ["A", "A", "B"]})


def _stream(batch_size=2):
    return FakeStream(list(TOKENS.items()), batch_size)


def test_window_counts_and_measures_by_hand():
    t = collocates(_stream(), "x", window=2, by="camp", min_freq=1, docs=META)
    assert list(t.columns) == COLLOCATE_COLUMNS
    # group A: node at 2 and 7 of d1; windows {0,1,3,4} ∪ {5,6,8}: 7 window tokens, q twice
    a = t[t.group == "A"].set_index("collocate")
    assert t.attrs["groups"]["A"] == {"docs": 2, "tokens": 13, "node_freq": 2, "window_tokens": 7}
    q = a.loc["q"]
    assert (q.freq, q.freq_collocate, q.freq_node) == (2, 3, 2)
    n, r, c, o = 13 - 2, 7, 3, 2  # positions that can hold a collocate, window, collocate, co-occurrence
    e = r * c / n
    assert q.expected == pytest.approx(21 / 11)
    assert q.MI == pytest.approx(math.log2(o / e))
    assert q.t_score == pytest.approx((o - e) / math.sqrt(o))
    assert q.log_dice == pytest.approx(14 + math.log2(2 * 2 / (2 + 3)))
    table = np.array([[o, r - o], [c - o, n - r - c + o]])
    g2, *_ = chi2_contingency(table, correction=False, lambda_="log-likelihood")
    assert q.G2 == pytest.approx(g2)
    # the node is never its own collocate; group B: adjacent nodes, window {2, 3}
    assert "x" not in set(t.collocate)
    assert t.attrs["groups"]["B"] == {"docs": 1, "tokens": 4, "node_freq": 2, "window_tokens": 2}
    assert set(t[t.group == "B"].collocate) == {"q", "r"}


def test_overlapping_windows_count_a_token_once():
    t = collocates(_stream(), "x", window=3, min_freq=1)
    # d1: windows {0,1,3,4,5} ∪ {4,5,6,8}: s (4) and t (5) lie in both, counted once; d3: {2, 3}
    row = t.set_index("collocate")
    assert row.loc["s", "freq"] == 1 and row.loc["t", "freq"] == 1
    assert t.attrs["groups"]["all"]["window_tokens"] == 7 + 2
    assert set(t.group) == {"all"}


def test_node_set_and_normalisation():
    docs = [("a", ["نظام", "الاسد", "قال", "بشار", "الاسد", "نظام"]), ("b", ["الأسد", "غير", "موجود"])]
    t = collocates(FakeStream(docs), "الأسد", window=1, min_freq=1)
    assert t.attrs["node_normalised"] == ["الاسد"]
    assert t.set_index("collocate").loc["نظام", "freq"] == 2
    both = collocates(FakeStream(docs), ["الأسد", "بشار"], window=1, min_freq=1)
    assert both.attrs["groups"]["all"]["node_freq"] == 3
    assert not {"بشار", "الاسد"} & set(both.collocate)


def test_deterministic_and_batch_independent():
    a = collocates(_stream(1), "x", window=2, by="camp", min_freq=1, docs=META)
    b = collocates(_stream(3), "x", window=2, by="camp", min_freq=1, docs=META)
    pd.testing.assert_frame_equal(a, b)
    # ties on the sort key fall back to freq, then the collocate
    for _g, part in a.groupby("group"):
        keys = list(zip(-part.log_dice.round(12), -part.freq, part.collocate))
        assert keys == sorted(keys)


@pytest.mark.parametrize("kwargs, message", [
    ({"window": 0}, "window"), ({"min_freq": 0}, "min_freq"), ({"sort": "dice"}, "sort"),
    ({"by": "nope"}, "not a document column"), ({"node": "x y"}, "several words"),
    ({"node": "zzz"}, "does not occur"), ({"node": []}, "empty"),
])
def test_bad_arguments(kwargs, message):
    kw = {"node": "x", "docs": META, "min_freq": 1, **kwargs}
    with pytest.raises(StatisticsError, match=message):
        collocates(_stream(), kw.pop("node"), **kw)


def test_stopword_node_says_so():
    with pytest.raises(StatisticsError, match="stopword"):
        collocates(FakeStream([("a", ["قال", "الرئيس"])]), "في")


def test_compare_collocates_by_hand():
    t = compare_collocates(_stream(), "x", "camp", "A", "B", window=2, min_freq=1, docs=META)
    assert list(t.columns) == COMPARE_COLUMNS
    row = t.set_index("collocate").loc["q"]
    a, b, c, d = 2, 1, 7, 2
    assert (row.freq_target, row.freq_reference) == (a, b)
    g2, *_ = chi2_contingency(np.array([[a, b], [c - a, d - b]]), correction=False, lambda_="log-likelihood")
    assert row.G2 == pytest.approx(g2)
    assert row.log_ratio == pytest.approx(math.log2((a / c) / (b / d)))
    assert row.direction == "reference"
    p_row = t.set_index("collocate").loc["p"]  # absent from B: log ratio with 0.5 for the zero
    assert p_row.log_ratio == pytest.approx(math.log2((1 / 7) / (0.5 / 2)))
    assert math.isnan(p_row.log_dice_reference)
    assert list(t.G2) == sorted(t.G2, reverse=True)
    with pytest.raises(StatisticsError, match="share"):
        compare_collocates(_stream(), "x", "camp", "A", ["A", "B"], docs=META)
    with pytest.raises(StatisticsError, match="not a value"):
        compare_collocates(_stream(), "x", "camp", "C", docs=META)


# ---------------------------------------------------------------------------- multi-word expressions


def _brute_lambda(docs, gram, smoothing=0.5):
    k = len(gram)
    cells = {b: 0 for b in product((0, 1), repeat=k)}
    for toks in docs:
        for i in range(len(toks) - k + 1):
            cells[tuple(int(toks[i + j] == gram[j]) for j in range(k))] += 1
    lam = sum((-1) ** (k - sum(b)) * math.log(n + smoothing) for b, n in cells.items())
    se = math.sqrt(sum(1 / (n + smoothing) for n in cells.values()))
    return lam, lam / se


def test_multiword_expressions_match_brute_force():
    rng = np.random.default_rng(7)
    words = ["a", "b", "c", "d", "e"]
    docs = [[str(w) for w in rng.choice(words, size=int(rng.integers(2, 30)))] for _ in range(40)]
    docs += [["قوات", "سوريا", "الديمقراطية"] * 3 for _ in range(4)]
    stream = FakeStream([(f"d{i}", t) for i, t in enumerate(docs)], batch_size=7)
    t = multiword_expressions(stream, size=(2, 3), min_count=2)
    assert list(t.columns) == MWE_COLUMNS
    for _, row in t.iterrows():
        gram = row.collocation.split(" ")
        assert row.length == len(gram)
        assert row["count"] == sum(1 for toks in docs for i in range(len(toks) - len(gram) + 1)
                                   if toks[i:i + len(gram)] == gram)
        lam, z = _brute_lambda(docs, gram)
        assert row["lambda"] == pytest.approx(lam) and row.z == pytest.approx(z)
    by_name = t.set_index("collocation")
    assert by_name.loc["قوات سوريا الديمقراطية", "count"] == 12
    # a bigram's λ is the log odds ratio of its 2x2 table (0.5 added to each cell)
    n11 = 12
    n10 = sum(toks[i] == "قوات" and toks[i + 1] != "سوريا" for toks in docs for i in range(len(toks) - 1))
    n01 = sum(toks[i] != "قوات" and toks[i + 1] == "سوريا" for toks in docs for i in range(len(toks) - 1))
    n00 = sum(len(toks) - 1 for toks in docs) - n11 - n10 - n01
    assert by_name.loc["قوات سوريا", "lambda"] == pytest.approx(
        math.log((n11 + .5) * (n00 + .5) / ((n10 + .5) * (n01 + .5))))
    # a fixed trigram whose pairs never occur apart has no three-way interaction left (as in quanteda)
    assert by_name.loc["قوات سوريا الديمقراطية", "z"] < by_name.loc["قوات سوريا", "z"]
    assert list(t.z) == sorted(t.z, reverse=True)
    again = multiword_expressions(FakeStream([(f"d{i}", t) for i, t in enumerate(docs)], batch_size=50),
                                  size=(2, 3), min_count=2)
    pd.testing.assert_frame_equal(t, again)
    with pytest.raises(StatisticsError, match="size"):
        multiword_expressions(stream, size=4)


# ---------------------------------------------------------------------------- demo corpus


@pytest.fixture(scope="module")
def demo(demo_store):
    from workbench.analysis import Analysis

    return Analysis(demo_store)


def test_demo_planted_namings(demo):
    t = collocates(demo, "النظام", by="camp")
    opp = t[t.group == "opposition"]
    assert opp.iloc[0].collocate == "قوات"  # «قوات النظام», the opposition's naming
    assert "قوات" not in set(t[t.group == "regime"].collocate)
    assert t.attrs["groups"]["regime"]["node_freq"] == 0  # the regime side never says «النظام»
    again = collocates(demo, "النظام", by="camp")
    pd.testing.assert_frame_equal(t, again)
    c = compare_collocates(demo, "السوري", "camp", "opposition", "regime")
    first = {side: c[c.direction == side].iloc[0].collocate for side in ("target", "reference")}
    assert first["target"] == "النظام"  # «النظام السوري»
    assert set(c[c.direction == "reference"].head(2).collocate) == {"العربي", "الجيش"}  # «الجيش العربي السوري»


def test_demo_multiword_expressions(demo):
    t = multiword_expressions(demo, size=(2, 3), min_count=5)
    names = set(t.collocation)
    assert {"قوات النظام", "الجيش العربي", "الجيش العربي السوري"} <= names
    assert t.set_index("collocation").loc["قوات النظام", "z"] > 3


def test_cli_collocates(demo_store, tmp_path, capsys):
    from workbench.cli import main

    out = tmp_path / "c.csv"
    assert main(["collocates", "النظام", "--store", str(demo_store), "--by", "camp", "--top", "3",
                 "--out", str(out)]) == 0
    shown = capsys.readouterr().out
    assert "قوات" in shown and "log_dice" in shown
    assert list(pd.read_csv(out, encoding="utf-8-sig").columns) == COLLOCATE_COLUMNS
    assert main(["collocates", "السوري", "--store", str(demo_store), "--compare", "camp", "--target",
                 "opposition", "--reference", "regime", "--top", "2"]) == 0
    assert "العربي" in capsys.readouterr().out
    assert main(["collocates", "في", "--store", str(demo_store)]) == 2
    assert "stopword" in capsys.readouterr().err


# ---------------------------------------------------------------------------- real corpus


@pytest.mark.slow
def test_egypt_morsi_collocates(egypt_analysis):
    import time

    a = egypt_analysis  # Analysis(egypt_store), shared with the other tests of the real corpus
    a.token_cache  # tokenise first: time the query only
    start = time.perf_counter()
    t = collocates(a, "مرسي", by="camp")
    elapsed = time.perf_counter() - start
    for camp in ("brotherhood", "state", "private"):
        top = set(t[t.group == camp].head(5).collocate)
        assert {"الرئيس", "محمد"} <= top, (camp, top)
    assert elapsed < 60
