"""Running the parallel stages on a Dask cluster: a local one, or any ``dask.distributed`` scheduler.

Nothing here runs unless asked: the single-process path (with its fork pool on one machine) stays
the default. Ask for Dask with ``Analysis(store, scheduler="local")`` (a ``distributed.LocalCluster``
on this machine, one single-threaded worker process per core), ``scheduler="tcp://host:8786"``
(any running scheduler: ``dask scheduler`` + ``dask worker``, a Slurm/PBS cluster from
dask-jobqueue, a Kubernetes cluster from dask-kubernetes), a ``distributed.Client`` or a cluster
object (``SLURMCluster(...)``), the command line's ``--scheduler``, or the environment variable
``WORKBENCH_DASK_SCHEDULER`` (the same values; report notebooks see it too).
``WORKBENCH_DASK_WORKERS`` sets the number of workers of the local cluster; ``WORKBENCH_DASK_DIRECT=0``
makes results travel through the scheduler (for a client that cannot reach the workers).

What runs on the workers (the Dask path gives exactly the same tables as the single-process one):

* **Tokenising** (building the token cache, :func:`iter_token_tables`): the client streams the
  store's ids and texts in chunks of :data:`CHUNK_SIZE` documents to the workers (a bounded number
  in flight, so memory does not grow with the corpus); each worker runs the same deterministic
  tokeniser (:func:`workbench.text.tokenise.tokenise`) and returns the chunk's cache rows as an
  Arrow table; the client takes them back *in input order*, cuts them into the cache's row groups
  and writes the file itself (:meth:`TokenCache.get_or_build
  <workbench.text.cache.TokenCache.get_or_build>`: the same file byte for byte, same metadata,
  same atomic publication). Workers never need to see the store or the cache folder.
  :func:`iter_tokenise_dask` is the same as a stream of token lists
  (``iter_tokenise(..., scheduler=...)``).
* **Story similarity** (:func:`similar_pairs_dask`): the windowed block products of
  :func:`workbench.stories.clustering.similar_pairs`, one task per block, gathered in block order.

Workers get the same text settings: the settings travel with every task, and the word lists they
name (stopwords, clitic vocabulary) are sent once to every worker (``Client.scatter(...,
broadcast=True)``); a worker that cannot read a list at its path writes the client's copy to its
temporary folder. Before tokenising, each worker checks that its settings fingerprint
(:meth:`TextSettings.fingerprint <workbench.text.settings.TextSettings.fingerprint>`: options, word
list contents, pipeline and camel-tools versions) equals the client's, and refuses with
:class:`ClusterError` otherwise — a worker with another camel-tools version cannot silently
produce other tokens. Workers need the same locked environment as the client (``workbench`` and
camel-tools importable: ``make`` or ``environment.yml`` on every node).

Example::

    from workbench.analysis import Analysis
    a = Analysis("stores/egypt2013", scheduler="local")   # or "tcp://head-node:8786"
    a.compare("camp", "brotherhood", "private")           # tokens built on the cluster, once
"""
from __future__ import annotations

import atexit
import logging
import hashlib
import os
import tempfile
import threading
import time
from collections import deque
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from .errors import WorkbenchError

if TYPE_CHECKING:  # pragma: no cover
    from .text.settings import TextSettings

__all__ = ["SCHEDULER_ENV", "WORKERS_ENV", "DIRECT_ENV", "ClusterError", "resolve_scheduler", "get_client",
           "close_clients", "iter_token_tables", "iter_tokenise_dask", "similar_pairs_dask", "iter_counted_blocks",
           "infer_theta_dask"]

#: Environment variable naming the scheduler when none is passed: ``local`` or an address.
SCHEDULER_ENV = "WORKBENCH_DASK_SCHEDULER"
#: Environment variable: number of worker processes of the local cluster (default: every core).
WORKERS_ENV = "WORKBENCH_DASK_WORKERS"
#: Environment variable: ``0`` makes results travel through the scheduler instead of straight from
#: the workers (for a client that cannot reach the workers, e.g. outside a Kubernetes cluster).
DIRECT_ENV = "WORKBENCH_DASK_DIRECT"
#: Documents per tokenising task (a few tenths of a second of work: large against Dask's
#: per-task overhead of about a millisecond, small enough to balance the workers).
CHUNK_SIZE = 500

#: How long :func:`get_client` waits for a scheduler before giving up.
_CONNECT_TIMEOUT = "20s"
_OFF = {"", "0", "off", "none", "no", "false"}


class ClusterError(WorkbenchError):
    """The Dask cluster cannot be reached or its workers cannot do the work (the message says why)."""


def resolve_scheduler(scheduler: Any = None) -> Any:
    """The scheduler to use: ``scheduler`` if given, else ``$WORKBENCH_DASK_SCHEDULER``; None = no Dask.

    ``False``, ``""``, ``"off"`` or ``"none"`` mean no Dask even when the environment variable is
    set. Strings are stripped; a ``distributed.Client`` or cluster object is returned as it is.
    """
    if scheduler is None:
        scheduler = os.environ.get(SCHEDULER_ENV)
    if scheduler is None or scheduler is False:
        return None
    if isinstance(scheduler, (str, os.PathLike)):
        s = str(scheduler).strip()
        return None if s.lower() in _OFF else s
    return scheduler


_LOCK = threading.Lock()
_CLIENTS: dict[str, Any] = {}
_LOCAL: list = []  # the local cluster this process started, if any


def _local_cluster():
    from distributed import LocalCluster

    from .text.tokenise import _available_cpus

    if _LOCAL and _LOCAL[0].status.name == "running":
        return _LOCAL[0]
    raw = os.environ.get(WORKERS_ENV)
    try:
        n = int(raw) if raw else _available_cpus()
    except ValueError:
        raise ClusterError(f"{WORKERS_ENV} must be a whole number of workers (got {raw!r})") from None
    cluster = LocalCluster(n_workers=max(1, n), threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=logging.ERROR)
    _LOCAL[:] = [cluster]
    return cluster


def get_client(scheduler: Any = None):
    """A ``distributed.Client`` for ``scheduler`` (see :func:`resolve_scheduler`), or None for no Dask.

    ``"local"`` starts a ``LocalCluster`` the first time (one single-threaded worker process per
    core, or ``$WORKBENCH_DASK_WORKERS``) and reuses it for the life of the process; an address
    (``tcp://host:8786``) or a cluster object gets one client, reused while it is connected.
    The client fetches results straight from the workers (``direct_to_workers``: the scheduler,
    which for a local cluster runs in this process, is no bottleneck) unless
    ``$WORKBENCH_DASK_DIRECT`` is ``0``.
    A scheduler that cannot be reached is a :class:`ClusterError` naming it.
    """
    scheduler = resolve_scheduler(scheduler)
    if scheduler is None:
        return None
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - dask is in the locked environment
        raise ClusterError(f"running on Dask needs dask.distributed ({exc}); install the locked environment") from None
    if isinstance(scheduler, Client):
        return scheduler
    with _LOCK:
        if scheduler == "local":
            target, key = _local_cluster(), "local"
        elif isinstance(scheduler, str):
            target = key = scheduler if "://" in scheduler else f"tcp://{scheduler}"
        elif hasattr(scheduler, "scheduler_address"):  # LocalCluster, SLURMCluster, KubeCluster, ...
            target, key = scheduler, scheduler.scheduler_address
        else:
            raise ClusterError(f"cannot use {scheduler!r} as a Dask scheduler: give 'local', an address such as "
                               "tcp://host:8786, a distributed.Client or a cluster object")
        client = _CLIENTS.get(key)
        if client is not None and client.status == "running":
            return client
        try:
            client = Client(target, set_as_default=False, timeout=_CONNECT_TIMEOUT,
                            direct_to_workers=os.environ.get(DIRECT_ENV, "1").strip().lower() not in _OFF)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {key}: {' '.join(str(exc).split())[:200]} "
                               f"(start it, or unset {SCHEDULER_ENV} / drop --scheduler to run in this process)") from None
        _CLIENTS[key] = client
        return client


def close_clients() -> None:
    """Close every client this process opened and the local cluster it started (also run at exit)."""
    with _LOCK:
        for client in _CLIENTS.values():
            try:
                client.close()
            except Exception:  # noqa: BLE001 - closing must not fail at exit
                pass
        _CLIENTS.clear()
        for cluster in _LOCAL:
            try:
                cluster.close()
            except Exception:  # noqa: BLE001
                pass
        _LOCAL.clear()


atexit.register(close_clients)


def _workers_count(client) -> int:
    try:
        return max(1, sum(client.nthreads().values()))
    except Exception:  # noqa: BLE001 - a scheduler still gathering its workers
        return 1


def _in_flight(client, fixed: int | None):
    """How many tasks to keep submitted: ``fixed``, or three per worker thread, looked up again
    every few seconds (workers of a batch system arrive while a build runs)."""
    if fixed:
        return lambda: max(1, int(fixed))
    state = [0.0, 3]

    def limit() -> int:
        now = time.monotonic()
        if now - state[0] > 2.0:
            state[0], state[1] = now, 3 * _workers_count(client)
        return state[1]

    return limit


# --------------------------------------------------------------------------- tokenising
def _word_lists(settings: "TextSettings") -> dict[str, tuple[str, str, bytes]]:
    """Every word-list file ``settings`` names: field -> (path, sha256, bytes)."""
    out = {}
    for name in ("stopwords_path", "clitic_vocabulary_path"):
        path = getattr(settings, name)
        if path is not None and Path(path).is_file():
            data = Path(path).read_bytes()
            out[name] = (str(path), hashlib.sha256(data).hexdigest(), data)
    return out


_WORKER_SETTINGS: dict[tuple, Any] = {}


def _worker_settings(settings_dict: dict, fingerprint: str, lists: dict[str, tuple[str, str, bytes]]):
    """On a worker: the client's settings, word lists at paths this worker can read, checked by fingerprint.

    Memoised, so every task of a build uses the same settings object (and so the same compiled
    tokeniser with its word cache)."""
    from .text.settings import TextSettings

    key = (fingerprint, tuple(sorted((k, v[0], v[1]) for k, v in lists.items())))
    cached = _WORKER_SETTINGS.get(key)
    if cached is not None:
        return cached
    changes = {}
    for name, (path, sha, data) in lists.items():
        p = Path(path)
        try:
            same = p.is_file() and hashlib.sha256(p.read_bytes()).hexdigest() == sha
        except OSError:
            same = False
        if not same:
            folder = Path(tempfile.gettempdir()) / "workbench-word-lists"
            folder.mkdir(parents=True, exist_ok=True)
            local = folder / f"{sha[:24]}-{p.name}"
            if not local.is_file():
                tmp = local.with_name(f".{local.name}.{os.getpid()}.tmp")
                tmp.write_bytes(data)
                os.replace(tmp, local)
            changes[name] = str(local)
    settings = TextSettings.coerce({**settings_dict, **changes})
    mine = settings.fingerprint()
    if mine != fingerprint:
        import camel_tools

        raise ClusterError(
            f"a Dask worker would tokenise differently from the client (settings fingerprint {mine} on the "
            f"worker, {fingerprint} on the client; camel-tools {getattr(camel_tools, '__version__', '?')} on the "
            "worker): install the same locked environment on every worker")
    _WORKER_SETTINGS[key] = settings
    return settings


def _tokenise_task(settings_dict: dict, fingerprint: str, lists: dict, texts: list[str]) -> str:
    """One tokenising task: texts joined by "\\n", each text's tokens by " " (see ``_worker_chunk``)."""
    from .text.tokenise import _worker_chunk

    return _worker_chunk((_worker_settings(settings_dict, fingerprint, lists), texts))


def iter_tokenise_dask(texts: Iterable[str], settings: "TextSettings", scheduler: Any = "local", *,
                       chunk_size: int | None = None, in_flight: int | None = None) -> Iterator[list[str]]:
    """Yield the token list of each text, in input order, tokenised on the Dask workers.

    The same tokens as :func:`workbench.text.tokenise.iter_tokenise`. ``texts`` is read lazily,
    ``chunk_size`` documents per task (default :data:`CHUNK_SIZE`), with at most ``in_flight``
    tasks submitted and not yet consumed (default: three per worker thread), so memory is bounded
    whatever the corpus size. Closing the iterator early cancels the tasks still running.
    """
    client = get_client(scheduler)
    if client is None:
        raise ClusterError("iter_tokenise_dask needs a scheduler ('local' or an address)")
    settings_dict = settings.to_dict()
    fingerprint = settings.fingerprint()
    lists = _word_lists(settings)
    lists_ref = client.scatter([lists], broadcast=True, hash=False)[0] if lists else {}
    chunk_size = max(1, int(chunk_size or CHUNK_SIZE))
    it = iter(texts)
    tasks = ((_tokenise_task, settings_dict, fingerprint, lists_ref, chunk)
             for chunk in iter(lambda: list(islice(it, chunk_size)), []))
    for out in _ordered(client, tasks, _in_flight(client, in_flight), "tokenising"):
        for line in out.split("\n"):
            yield line.split()


def _table_task(settings_dict: dict, fingerprint: str, lists: dict, ids: list, texts: list[str], schema):
    """One task of :func:`iter_token_tables`: the cache rows (``id``, ``tokens``) of a chunk, as Arrow."""
    from .text.cache import _table
    from .text.tokenise import _pipeline_for

    tok = _pipeline_for(_worker_settings(settings_dict, fingerprint, lists)).tokenise
    return _table([str(i) for i in ids], [tok(t) for t in texts], schema)


def iter_token_tables(pairs: Iterable[tuple[object, str]], settings: "TextSettings", schema, scheduler: Any = "local",
                      *, rows: int = 5000, chunk_size: int | None = None, in_flight: int | None = None,
                      progress=None) -> Iterator:
    """The token cache's row groups, tokenised on the Dask workers: Arrow tables of ``rows`` rows
    (the last one shorter) with ``schema``, in input order, from ``(id, text)`` pairs.

    What :meth:`TokenCache.get_or_build <workbench.text.cache.TokenCache.get_or_build>` writes on
    the Dask path: the workers build the Arrow rows themselves, so the calling process only reads
    texts, sends them and writes the file (no Python list per document). Tasks hold ``chunk_size``
    documents (default :data:`CHUNK_SIZE`), at most ``in_flight`` at a time (default: three per
    worker thread); ``progress(n)`` is called as each task's ``n`` rows come back.
    """
    import pyarrow as pa

    client = get_client(scheduler)
    if client is None:
        raise ClusterError("iter_token_tables needs a scheduler ('local' or an address)")
    settings_dict = settings.to_dict()
    fingerprint = settings.fingerprint()
    lists = _word_lists(settings)
    lists_ref = client.scatter([lists], broadcast=True, hash=False)[0] if lists else {}
    chunk_size = max(1, int(chunk_size or CHUNK_SIZE))
    rows = max(1, int(rows))
    it = iter(pairs)
    tasks = ((_table_task, settings_dict, fingerprint, lists_ref, [p[0] for p in chunk], [p[1] for p in chunk],
              schema) for chunk in iter(lambda: list(islice(it, chunk_size)), []))
    pending: list = []
    n_pending = 0
    for table in _ordered(client, tasks, _in_flight(client, in_flight), "tokenising"):
        if progress is not None:
            progress(table.num_rows)
        pending.append(table)
        n_pending += table.num_rows
        while n_pending >= rows:
            group = pa.concat_tables(pending).combine_chunks()
            yield group.slice(0, rows).combine_chunks()
            rest = group.slice(rows)
            pending, n_pending = ([rest] if rest.num_rows else []), rest.num_rows
    if n_pending:
        yield pa.concat_tables(pending).combine_chunks()


# --------------------------------------------------------------------------- story similarity
def similar_pairs_dask(block_pairs, Vs, ds, window_days: int, threshold: float, block: int,
                       scheduler: Any = "local") -> list[tuple]:
    """Run ``block_pairs(Vs, ds, i0, i1, window_days, threshold)`` for every block of ``block`` rows
    on the Dask workers; the results in block order (``Vs``/``ds`` are sent to every worker once)."""
    client = get_client(scheduler)
    if client is None:
        raise ClusterError("similar_pairs_dask needs a scheduler ('local' or an address)")
    n = len(ds)
    [v_ref, d_ref] = client.scatter([Vs, ds], broadcast=True, hash=False)
    futures = [client.submit(block_pairs, v_ref, d_ref, i0, min(n, i0 + block), window_days, threshold, pure=False)
               for i0 in range(0, n, block)]
    try:
        return client.gather(futures)
    finally:
        client.cancel(futures + [v_ref, d_ref])


# --------------------------------------------------------------------------- counting
def _ordered(client, tasks: Iterable[tuple], limit, what: str) -> Iterator:
    """Submit ``(function, *args)`` tasks, at most ``limit()`` in flight; yield results in order."""
    it = iter(tasks)
    window: deque = deque()

    def fill() -> None:
        while len(window) < limit():
            task = next(it, None)
            if task is None:
                return
            window.append(client.submit(*task, pure=False))

    try:
        fill()
        while window:
            future = window.popleft()
            try:
                result = future.result()
            except ClusterError:
                raise
            except (OSError, TimeoutError) as exc:
                raise ClusterError(f"lost the Dask cluster while {what}: {' '.join(str(exc).split())[:200]}") from None
            future.release()
            fill()
            yield result
    finally:
        if window:
            client.cancel(list(window))
        window.clear()


def _count_task(batch):
    """Unigram counts of an Arrow ``list<string>`` batch in the batch's own vocabulary:
    ``(terms in order of first appearance, non-zeros per row, column numbers, counts)``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import scipy.sparse as sp

    if isinstance(batch, pa.ChunkedArray):
        batch = batch.combine_chunks()
    lengths = pc.fill_null(pc.list_value_length(batch), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    enc = pc.dictionary_encode(pc.list_flatten(batch))
    terms = enc.dictionary.to_pylist()
    cols = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    rows = np.repeat(np.arange(len(batch), dtype=np.int64), lengths)
    blk = sp.csr_matrix((np.ones(len(cols), dtype=np.int32), (rows, cols)), shape=(len(batch), max(len(terms), 1)))
    blk.sum_duplicates()
    return terms, np.diff(blk.indptr).astype(np.int32), blk.indices.astype(np.int32), blk.data.astype(np.int32)


def iter_counted_blocks(batches: Iterable, scheduler: Any = "local", *, in_flight: int | None = None) -> Iterator:
    """Count Arrow ``list<string>`` token batches on the Dask workers, in input order.

    Each worker counts its batch in the batch's own vocabulary (dictionary encoding and the sparse
    block: the work that grows with the tokens); the caller gives the batch's distinct terms their
    corpus-wide column numbers in order of first appearance, so the matrix is the same as
    :func:`workbench.matrix.build_matrix` counting in one process. Yields what
    :func:`_count_task` returns.
    """
    client = get_client(scheduler)
    if client is None:
        raise ClusterError("iter_counted_blocks needs a scheduler ('local' or an address)")
    # each batch is sent to the cluster as data (scatter), not embedded in the task's graph
    yield from _ordered(client, ((_count_task, client.scatter(b, hash=False)) for b in batches),
                        _in_flight(client, in_flight), "counting")


# --------------------------------------------------------------------------- topic inference
_MODELS: dict[str, Any] = {}  # on a worker: tomotopy models by the digest of their bytes


def _infer_task(model_ref, digest: str, words_ref, rows_csr: tuple, iterations: int, workers: int):
    """θ of a block of CSR rows with the tomotopy model (loaded once per worker from its bytes)."""
    import numpy as np

    model = _MODELS.get(digest)
    if model is None:
        import tomotopy as tp

        model = tp.LDAModel.loads(model_ref)
        _MODELS.clear()
        _MODELS[digest] = model
    indptr, indices, data = rows_csr
    docs, where = [], []
    for i in range(len(indptr) - 1):
        s, e = indptr[i], indptr[i + 1]
        w = np.repeat(words_ref[indices[s:e]], data[s:e].astype(np.int64)).tolist()
        if w:
            docs.append(model.make_doc(w))
            where.append(i)
    if not docs:
        return np.zeros(0, dtype=np.int64), np.zeros((0, model.k))
    import tomotopy as tp

    # as workbench.topics.gibbs.theta: the chunk together, on the same number of threads (same θ)
    dists, _ = model.infer(docs, iterations=iterations, workers=workers, parallel=tp.ParallelScheme.PARTITION,
                           together=True)
    return np.asarray(where, dtype=np.int64), np.asarray(dists, dtype=np.float64)


def infer_theta_dask(model, X, words, rows, *, chunksize: int, iterations: int, workers: int = 2,
                     scheduler: Any = "local", progress=None) -> Iterator[tuple]:
    """Infer θ of the CSR rows ``rows`` of ``X`` with a tomotopy ``model`` on the Dask workers.

    The model (tomotopy's own serialisation, ``model.saves()``; never a pickle) and the vocabulary
    are sent to every worker once; each task infers the same chunk of ``chunksize`` rows as the
    single-process path, together, on ``workers`` threads with the same seeded model, so the θ are
    those of the single-process path (tested). Yields ``(rows of X,
    θ rows)`` per task, in order; ``progress(n)`` after each.
    """
    import hashlib as _hashlib

    import numpy as np

    client = get_client(scheduler)
    if client is None:
        raise ClusterError("infer_theta_dask needs a scheduler ('local' or an address)")
    data = bytes(model.saves(full=False))
    digest = _hashlib.sha256(data).hexdigest()
    [model_ref, words_ref] = client.scatter([data, np.asarray(words, dtype=object)], broadcast=True, hash=False)

    def tasks():
        for b in range(0, len(rows), chunksize):
            batch = np.asarray(rows[b:b + chunksize])
            sub = X[batch]
            rows_ref = client.scatter((sub.indptr, sub.indices, sub.data), hash=False)  # data, not graph
            yield _infer_task, model_ref, digest, words_ref, rows_ref, iterations, workers

    starts = range(0, len(rows), chunksize)
    try:
        for b, (where, dists) in zip(starts, _ordered(client, tasks(), _in_flight(client, None), "inferring topics")):
            batch = np.asarray(rows[b:b + chunksize])
            if progress is not None:
                progress(len(batch))
            yield batch[where], dists
    finally:
        client.cancel([model_ref, words_ref])
