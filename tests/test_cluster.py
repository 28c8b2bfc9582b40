"""The Dask path (workbench.cluster) gives exactly the tables of the single-process path.

One two-worker ``distributed.LocalCluster`` (separate processes, like a real cluster's workers) is
started for the module and closed after it; the analyses reach it by its address, as a user's
``WORKBENCH_DASK_SCHEDULER=tcp://host:8786`` would.
"""
from __future__ import annotations

import hashlib
import logging

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from workbench import cluster as wc
from workbench.analysis import Analysis, token_cache_path
from workbench.stories import find_stories
from workbench.stories.clustering import similar_pairs, story_vectors
from workbench.text import TextSettings
from workbench.text.tokenise import iter_tokenise


@pytest.fixture(scope="module")
def address():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=logging.ERROR)
    try:
        yield cluster.scheduler_address
    finally:
        wc.close_clients()
        cluster.close()


@pytest.fixture(scope="module")
def pair(demo_store, address, tmp_path_factory):
    """The demo corpus analysed twice, in this process and on the cluster, each with its own cache."""
    local = Analysis(demo_store, cache_dir=tmp_path_factory.mktemp("local-cache"))
    dask = Analysis(demo_store, cache_dir=tmp_path_factory.mktemp("dask-cache"), scheduler=address)
    mp = pytest.MonkeyPatch()
    mp.setattr(wc, "CHUNK_SIZE", 23)  # many small tasks: order across tasks is exercised
    try:
        local.token_cache, dask.token_cache
    finally:
        mp.undo()
    return local, dask


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_scheduler_is_off_unless_asked(monkeypatch):
    monkeypatch.delenv(wc.SCHEDULER_ENV, raising=False)
    assert wc.resolve_scheduler(None) is None and wc.get_client(None) is None
    monkeypatch.setenv(wc.SCHEDULER_ENV, " tcp://head:8786 ")
    assert wc.resolve_scheduler(None) == "tcp://head:8786"
    assert wc.resolve_scheduler("local") == "local"
    for off in (False, "off", "none", ""):
        assert wc.resolve_scheduler(off) is None
    monkeypatch.setenv(wc.SCHEDULER_ENV, "off")
    assert wc.resolve_scheduler(None) is None


def test_token_cache_is_the_same_file(pair):
    local, dask = pair
    assert local.token_cache != dask.token_cache  # two caches, built apart
    assert _sha(local.token_cache) == _sha(dask.token_cache)  # byte for byte: rows, row groups, metadata
    assert pq.read_table(local.token_cache).equals(pq.read_table(dask.token_cache))


def test_matrix_and_keyness_are_the_same(pair):
    local, dask = pair
    a, b = local.matrix(), dask.matrix()
    assert list(a.vocab) == list(b.vocab)
    pd.testing.assert_frame_equal(a.docs, b.docs)
    assert (a.X != b.X).nnz == 0
    ka = local.compare("camp", "regime", "opposition")
    kb = dask.compare("camp", "regime", "opposition")
    pd.testing.assert_frame_equal(ka, kb)


def test_story_ids_are_the_same(pair):
    local, dask = pair
    sa = find_stories(local, window_days=7, block=40)
    sb = find_stories(dask, window_days=7, block=40)  # eight block products on the workers
    assert sa.articles["story"].tolist() == sb.articles["story"].tolist()
    pd.testing.assert_frame_equal(sa.table, sb.table)
    assert sa.params == sb.params


def test_similar_pairs_blocks_in_order(pair, address):
    local, _ = pair
    dtm = local.matrix()
    V = story_vectors(dtm.X)
    days = local.docs["date"].dt.normalize().to_numpy().astype("datetime64[D]").astype(np.int64)
    one = similar_pairs(V, days, 5, 0.2, block=17)
    two = similar_pairs(V, days, 5, 0.2, block=17, scheduler=address)
    for x, y in zip(one, two):
        np.testing.assert_array_equal(x, y)


def test_tokens_in_input_order_with_word_lists(address, tmp_path):
    stop = tmp_path / "stop.txt"
    stop.write_text("قال\nاليوم\n", encoding="utf-8")
    settings = TextSettings(stopwords_path=str(stop))
    texts = ["قال الرئيس محمد مرسي اليوم", "", "www.example.com والجيش", "ذهبَ الوزيـــر"] * 9 + ["خبر"]
    got = list(wc.iter_tokenise_dask(texts, settings, address, chunk_size=4, in_flight=2))
    assert got == list(iter_tokenise(texts, settings, workers=1))
    assert ["الرئيس", "محمد", "مرسي"] == got[0]  # the worker used the stopword file


def test_worker_gets_word_lists_it_cannot_see(tmp_path):
    stop = tmp_path / "stop.txt"
    stop.write_bytes("قال\n".encode())
    settings = TextSettings(stopwords_path=str(stop))
    lists = wc._word_lists(settings)
    path, sha, data = lists["stopwords_path"]
    missing = {"stopwords_path": (str(tmp_path / "elsewhere" / "stop.txt"), sha, data)}
    got = wc._worker_settings(settings.to_dict(), settings.fingerprint(), missing)
    assert got.stopwords_path != str(stop) and got.stopword_lines() == settings.stopword_lines()
    assert got.fingerprint() == settings.fingerprint()
    with pytest.raises(wc.ClusterError, match="same locked environment"):
        wc._worker_settings(settings.to_dict(), "0" * 24, missing)


def test_cache_hit_starts_no_cluster(pair, monkeypatch):
    local, _ = pair
    monkeypatch.setattr(wc, "get_client", lambda *a, **k: pytest.fail("a cache hit must not reach Dask"))
    path = token_cache_path(local.store, local.settings, cache_dir=local.cache_dir, scheduler="tcp://nowhere:1")
    assert path == local.token_cache


def test_unreachable_scheduler_is_one_clear_error(monkeypatch):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        monkeypatch.setattr(wc, "_CONNECT_TIMEOUT", "2s")
        with pytest.raises(wc.ClusterError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
            wc.get_client("tcp://127.0.0.1:9")


def test_cli_scheduler_option(demo_store, address, tmp_path, capsys):
    from workbench.cli import main

    out = {}
    for name, extra in (("local", []), ("dask", ["--scheduler", address])):
        rc = main(["keyness", "--store", str(demo_store), "--group", "camp", "--target", "regime",
                   "--reference", "opposition", "--cache", str(tmp_path / name), "--out", str(tmp_path / f"{name}.csv"),
                   *extra])
        assert rc == 0
        out[name] = (tmp_path / f"{name}.csv").read_bytes()
        assert len(list((tmp_path / name / "tokens").glob("tokens-*.parquet"))) == 1
    assert out["local"] == out["dask"]


@pytest.mark.filterwarnings("ignore:camel-tools' MLE disambiguation model")
def test_morphological_tokens_on_workers(address):
    """d3tok segmentation needs camel-tools' database on the workers (CAMELTOOLS_DATA is inherited);
    words the worker's table lacks are analysed there, with the same result."""
    import os

    data = os.environ.get("CAMELTOOLS_DATA") or ""
    if not os.path.isfile(os.path.join(data, "data", "morphology_db", "calima-msa-r13", "morphology.db")):
        pytest.skip("camel-tools' morphology database is absent (set CAMELTOOLS_DATA)")
    settings = TextSettings(tokens="d3tok")
    texts = ["وبالنظام قال الرئيس إن الحكومة ستواصل", "وللمتظاهرين في الميادين", "خبر"] * 3
    got = list(wc.iter_tokenise_dask(texts, settings, address, chunk_size=2))
    assert got == list(iter_tokenise(texts, settings, workers=1))


def test_row_groups_cut_across_tasks(address, tmp_path, monkeypatch):
    from workbench.text.cache import CacheError, TokenCache

    texts = [f"خبر رقم {i} عن الجيش والحكومة" + " ودمشق" * (i % 5) for i in range(61)]
    ids = [f"d{i}" for i in range(61)]
    settings = TextSettings()
    one = TokenCache(tmp_path / "one").get_or_build(ids, texts, settings, "fp", row_group_size=7)
    monkeypatch.setattr(wc, "CHUNK_SIZE", 3)  # tasks of 3 rows, row groups of 7: groups span tasks
    two = TokenCache(tmp_path / "two").get_or_build(ids, texts, settings, "fp", row_group_size=7, scheduler=address)
    assert _sha(one) == _sha(two) and pq.ParquetFile(two).metadata.num_row_groups == 9
    empty = [TokenCache(tmp_path / name).get_or_build([], [], settings, "empty", scheduler=s)
             for name, s in (("e1", None), ("e2", address))]
    assert _sha(empty[0]) == _sha(empty[1])
    with pytest.raises(CacheError, match="different lengths"):
        TokenCache(tmp_path / "three").get_or_build(ids[:-1], texts, settings, "fp2", scheduler=address)
    assert not list((tmp_path / "three").iterdir())  # nothing half-written


def test_counting_on_workers_gives_the_same_matrix(pair, address):
    """Many small Arrow batches (and plain lists) counted on the workers: same vocabulary order,
    same counts, same CSR arrays as counting in this process."""
    import pyarrow as pa

    from workbench.matrix import build_matrix
    from workbench.text.cache import iter_token_arrays

    local, _ = pair
    batches = [b for batch in iter_token_arrays(local.token_cache) for b in
               (batch.slice(i, 17) for i in range(0, len(batch), 17))]
    assert len(batches) > 10
    here = build_matrix(batches, local.docs, min_count=2, min_df=2, scheduler=False)
    there = build_matrix(batches, local.docs, min_count=2, min_df=2, scheduler=address)
    as_lists = build_matrix([b.to_pylist() for b in batches], local.docs, min_count=2, min_df=2, scheduler=address)
    for m in (there, as_lists):
        assert list(m.vocab) == list(here.vocab)
        for attr in ("indptr", "indices", "data"):
            np.testing.assert_array_equal(getattr(m.X, attr), getattr(here.X, attr))
    assert isinstance(batches[0], (pa.Array, pa.ChunkedArray))


def test_topic_inference_on_workers_gives_the_same_theta(pair, address):
    """tomotopy trained on a sample; θ of the other documents inferred here and on the workers."""
    pytest.importorskip("tomotopy")
    from workbench.topics import fit_topics

    local, _ = pair
    dtm = local.topic_matrix()
    kw = dict(seed=3, backend="tomotopy", iterations=30, train_sample=120, chunksize=37)
    here = fit_topics(dtm, 4, **kw)
    there = fit_topics(dtm, 4, scheduler=address, **kw)
    assert here.params["train_sample"] == 120
    np.testing.assert_array_equal(here.theta, there.theta)
    np.testing.assert_array_equal(here.topic_word, there.topic_word)
