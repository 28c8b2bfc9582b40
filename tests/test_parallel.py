"""workbench.parallel.ordered_map: results in input order on forked workers, bounded read-ahead,
errors raised in the caller; corpus_attributions gives the same table on one core or several."""
import os

import pandas as pd
import pytest

from workbench import parallel
from workbench.parallel import ordered_map

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="forked workers need fork")


def _square_with_pid(x):
    return x * x, os.getpid()


def _fail_on_seven(x):
    if x == 7:
        raise ValueError("item 7 is bad")
    return x


def test_results_in_order_and_computed_in_other_processes():
    out = list(ordered_map(_square_with_pid, range(40), workers=3))
    assert [v for v, _ in out] == [x * x for x in range(40)]
    pids = {p for _, p in out}
    assert os.getpid() in pids and len(pids) >= 2  # this process works too, and so do the workers


def test_one_worker_or_few_items_run_here():
    assert [p for _, p in ordered_map(_square_with_pid, range(5), workers=1)] == [os.getpid()] * 5
    assert {p for _, p in ordered_map(_square_with_pid, range(3), workers=2, min_items=10)} == {os.getpid()}


def test_reads_ahead_a_bounded_number_of_items():
    read = []

    def items():
        for i in range(1000):
            read.append(i)
            yield i

    it = ordered_map(_square_with_pid, items(), workers=2)
    next(it)
    assert len(read) <= 2 * 2 + 2  # not the whole input
    it.close()


def test_a_worker_error_is_raised_here():
    with pytest.raises(ValueError, match="item 7 is bad"):
        list(ordered_map(_fail_on_seven, range(20), workers=2))


def test_corpus_attributions_same_on_one_core_and_two(demo_store, tmp_path, monkeypatch):
    from workbench.analysis import Analysis
    from workbench.reading import attribution

    monkeypatch.setattr(attribution, "CHUNK_DOCS", 20)
    monkeypatch.setattr(attribution, "PARALLEL_MIN_CHUNKS", 2)
    monkeypatch.setattr(parallel, "available_cpus", lambda: 2)
    two = attribution.corpus_attributions(Analysis(demo_store, cache_dir=tmp_path / "two"))   # caches apart
    monkeypatch.setattr(parallel, "available_cpus", lambda: 1)
    one = attribution.corpus_attributions(Analysis(demo_store, cache_dir=tmp_path / "one"))
    assert len(one.rows) > 50
    pd.testing.assert_frame_equal(two.rows, one.rows)
    pd.testing.assert_frame_equal(two.docs, one.docs)
