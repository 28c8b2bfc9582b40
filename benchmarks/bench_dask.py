"""Benchmark: building the token cache on Dask with 1 and 2 workers, beside the single-process path
(run on demand, not by pytest).

    .venv/bin/python benchmarks/bench_dask.py                     # /tmp/eg-store (egypt2013-dev)
    .venv/bin/python benchmarks/bench_dask.py --store stores/egypt2013

Prints, in one run and side by side, the wall time of :func:`workbench.analysis.token_cache_path`
(reading the store's texts, tokenising, writing and publishing the cache file) for:

1. the single-process path (``workers=1``), for reference;
2. the fork pool of the default path (``workers=None``: every core);
3. a ``distributed.LocalCluster`` of 1 and of 2 single-threaded worker processes
   (``scheduler=<its address>``), and the speed-up from 1 to 2 Dask workers.

Then, on the same clusters, the two other stages that run on Dask, beside this process: counting
the document-term matrix from a built token cache (:func:`workbench.matrix.build_matrix` with
``scheduler``) and inferring θ of every document with a tomotopy model trained here on a seeded
sample (:func:`workbench.topics.gibbs.theta` with ``scheduler``); matrices and θ must be identical.

Every build starts from an empty cache folder (a temporary one; the store is only read); each
cluster is fresh, and the time to start it (and import the workbench in its workers) is printed
apart, since a cluster is started once and serves many analyses. With ``--repeat N`` each path is
built N times and the fastest build is shown (for a shared, busy machine; repeated builds run with
warm word caches, in every path alike). Every cache file must be byte for byte the same as the
single-process one (checked and printed).
"""
from __future__ import annotations

import argparse
import hashlib
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.analysis import token_cache_path  # noqa: E402
from workbench.corpus.store import open_store  # noqa: E402
from workbench.text import TextSettings  # noqa: E402


def _build(store, **kwargs) -> tuple[float, str, float]:
    """(wall time, SHA-256 of the cache file, CPU time of this process) of one build."""
    folder = Path(tempfile.mkdtemp(prefix="bench-dask-cache-"))
    try:
        t, c = time.perf_counter(), time.process_time()
        path = token_cache_path(store, TextSettings(), cache_dir=folder, **kwargs)
        elapsed, cpu = time.perf_counter() - t, time.process_time() - c
        return elapsed, hashlib.sha256(path.read_bytes()).hexdigest(), cpu
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _on_cluster(store, n_workers: int, reps: int = 1, stages=None) -> tuple[float, float, str, float, dict | None]:
    from distributed import Client, LocalCluster

    from workbench import cluster as wc

    t = time.perf_counter()
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=logging.ERROR)
    with Client(cluster) as client:  # import the workbench in the workers (part of starting a cluster)
        client.run(lambda: __import__("workbench.text.tokenise"))
    start = time.perf_counter() - t
    try:
        elapsed, sha, cpu = min(_build(store, scheduler=cluster.scheduler_address) for _ in range(reps))
        more = stages(cluster.scheduler_address) if stages is not None else None
    finally:
        wc.close_clients()
        cluster.close()
    return start, elapsed, sha, cpu, more


def _count_and_infer(store, cache: Path, model, p: dict, scheduler) -> dict:
    """Wall times of counting the matrix from a built token cache and of inferring θ of every
    document with a trained tomotopy model, on ``scheduler`` (False: in this process)."""
    import numpy as np

    from workbench.analysis import Analysis
    from workbench.matrix import build_matrix
    from workbench.text.cache import iter_token_arrays
    from workbench.topics import gibbs

    docs = Analysis(store).docs
    t = time.perf_counter()
    dtm = build_matrix(iter_token_arrays(cache), docs, scheduler=scheduler)
    count = time.perf_counter() - t
    X = dtm.X[:, _TOPIC_COLUMNS[0]] if _TOPIC_COLUMNS else dtm.X
    t = time.perf_counter()
    theta = gibbs.theta(model, X.tocsr(), _TOPIC_VOCAB[0], None, p, scheduler=scheduler)
    infer = time.perf_counter() - t
    return {"count": count, "infer": infer, "matrix": hashlib.sha256(dtm.X.data.tobytes() + dtm.X.indices.tobytes()
                                                                    + np.asarray(dtm.vocab).astype(str).tobytes()
                                                                    ).hexdigest(),
            "theta": hashlib.sha256(theta.tobytes()).hexdigest()}


_TOPIC_COLUMNS: list = []
_TOPIC_VOCAB: list = []


def _model(store, cache: Path, k: int, sample: int, iterations: int):
    """A tomotopy model trained (in this process) on a seeded sample, for the inference stage."""
    import numpy as np

    from workbench.analysis import Analysis
    from workbench.matrix import build_matrix, trim
    from workbench.text.cache import iter_token_arrays
    from workbench.topics import gibbs

    dtm = build_matrix(iter_token_arrays(cache), Analysis(store).docs, scheduler=False)
    topic = trim(dtm, min_df=5, max_df=0.5)
    keep = dtm.vocab.get_indexer(topic.vocab)
    _TOPIC_COLUMNS[:] = [keep]
    _TOPIC_VOCAB[:] = [topic.vocab]
    p = {"k": k, "alpha": "auto", "eta": 0.01, "seed": 1, "iterations": iterations, "workers": 2,
         "chunksize": 2000}
    rows = np.sort(np.random.default_rng(1).choice(topic.n_docs, min(sample, topic.n_docs), replace=False))
    model, _ = gibbs.train(topic.X.tocsr(), topic.vocab, rows, p)
    return model, p


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", default="/tmp/eg-store", help="corpus store (only read)")
    ap.add_argument("--repeat", type=int, default=1, help="builds per path; the fastest is shown (a busy machine)")
    ap.add_argument("--k", type=int, default=20, help="topics of the model whose θ is inferred")
    ap.add_argument("--sample", type=int, default=5000, help="documents the model is trained on (in this process)")
    ap.add_argument("--iterations", type=int, default=100, help="sweeps of the training and of each inference")
    args = ap.parse_args()
    reps = max(1, args.repeat)
    store = open_store(args.store).require()
    n = sum(int(p.get("rows") or 0) for p in store.catalogue["parts"])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"store {args.store}: {n:,} articles; token cache built from scratch each time (best of {reps}); "
          f"{os.cpu_count()} cores, load average {load:.1f} at the start\n")

    rows = []
    stage_rows = []
    cache_dir = Path(tempfile.mkdtemp(prefix="bench-dask-tokens-"))
    cache = token_cache_path(store, TextSettings(), cache_dir=cache_dir, scheduler=False)
    model, p = _model(store, cache, args.k, args.sample, args.iterations)
    stage_rows.append(("single process", _count_and_infer(store, cache, model, p, False)))
    t1, ref, cpu = min(_build(store, workers=1, scheduler=False) for _ in range(reps))
    rows.append(("single process (workers=1)", None, t1, ref, cpu))
    tp, sha, cpu = min(_build(store, workers=None, scheduler=False) for _ in range(reps))
    rows.append(("fork pool (workers=None, all cores)", None, tp, sha, cpu))
    for k in (1, 2):
        start, elapsed, sha, cpu, more = _on_cluster(
            store, k, reps, lambda address: _count_and_infer(store, cache, model, p, address))
        rows.append((f"Dask LocalCluster, {k} worker{'s' if k > 1 else ''}", start, elapsed, sha, cpu))
        stage_rows.append((f"Dask LocalCluster, {k} worker{'s' if k > 1 else ''}", more))
    shutil.rmtree(cache_dir, ignore_errors=True)

    print(f"{'path':<38} {'cluster start':>13} {'build':>8} {'articles/s':>11} {'vs single':>9} "
          f"{'caller CPU':>10}  same file")
    for name, start, elapsed, sha, cpu in rows:
        print(f"{name:<38} {'' if start is None else f'{start:.1f} s':>13} {elapsed:>6.1f} s "
              f"{n / elapsed:>11,.0f} {t1 / elapsed:>8.2f}× {cpu:>8.1f} s  {'yes' if sha == ref else 'NO'}")
    d1, d2 = rows[2][2], rows[3][2]
    print(f"\nspeed-up from 1 to 2 Dask workers (tokenising): {d1 / d2:.2f}×")
    print(f"\ncounting (matrix from the token cache) and θ inference (tomotopy K={args.k} trained on "
          f"{args.sample:,} documents, {args.iterations} sweeps per document):")
    print(f"{'path':<38} {'count':>8} {'infer θ':>9}  same matrix, same θ")
    base = stage_rows[0][1]
    for name, r in stage_rows:
        same = "yes" if (r["matrix"], r["theta"]) == (base["matrix"], base["theta"]) else "NO"
        print(f"{name:<38} {r['count']:>6.1f} s {r['infer']:>7.1f} s  {same}")
    c1, c2 = stage_rows[1][1], stage_rows[2][1]
    print(f"speed-up from 1 to 2 Dask workers: counting {c1['count'] / c2['count']:.2f}×, "
          f"θ inference {c1['infer'] / c2['infer']:.2f}×")
    if any((r["matrix"], r["theta"]) != (base["matrix"], base["theta"]) for _, r in stage_rows):
        sys.exit("a matrix or θ differs from the single-process one")
    print("caller CPU: CPU time of the calling process (reading texts, sending them, writing the cache; and, "
          "for a local cluster, its scheduler): a bound on what more workers can gain")
    if any(r[3] != ref for r in rows):
        sys.exit("a cache file differs from the single-process one")


if __name__ == "__main__":
    main()
