"""LDA by collapsed Gibbs sampling with tomotopy: training, θ of every document, φ and perplexity.

The second backend of :func:`workbench.topics.fit.fit_topics` (``backend="tomotopy"``).
Collapsed Gibbs sampling (Griffiths & Steyvers 2004, "Finding scientific topics", PNAS 101) draws
each token's topic given all the others, with θ and φ integrated out; tomotopy (Lee, C++) runs it
on several threads. Each of ``iterations`` sweeps visits every token of the training documents.

Determinism. tomotopy is seeded; with ``workers`` threads it splits the corpus and the vocabulary
into a grid (``ParallelScheme.PARTITION``) that each thread samples with its own seeded generator,
so the same seed and the same number of workers give identical topics and θ (checked in
``tests/test_topics_backends.py`` and on egypt2013-dev; the ``COPY_MERGE`` scheme is not
reproducible and is never used). A different number of workers gives a different (equally valid)
sample, so ``workers`` is a fixed parameter (2 by default, not "all cores") and part of the cache
key.

Inference. θ of documents outside the training sample is inferred ``chunksize`` documents at a
time, each chunk by one sampler over all its documents (tomotopy's ``infer(..., together=True)``)
with the same ``workers``: tomotopy copies the model's state for every document it infers alone,
which made inference 3.6 times slower per document than training (3 ms per article on
egypt2013-dev, 25 minutes for a million articles); together it is 4–8 times faster. A document's
θ then depends a little on the other documents of its chunk (mean |Δθ| 0.014 between a chunk of
1,000 and the same documents in a chunk of 2,000, the size of the sampler's own noise between 20
and 200 sweeps), so chunks are fixed — ``chunksize`` documents in corpus order — and θ is
reproducible, in one process or on Dask workers (tested). Inference runs ``infer_iterations``
sweeps (:data:`workbench.topics.fit.INFER_SWEEPS`, 20): θ from 20 sweeps is as close to θ from 400
as θ from 200 is, and a million articles are inferred in minutes rather than half an hour.

Memory. tomotopy holds its training documents (a few bytes per token). On a large corpus,
:func:`train` is given a seeded sample of rows (``train_sample``), and :func:`theta` infers the
other documents ``chunksize`` at a time from the CSR rows, so memory does not grow with the corpus.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

__all__ = ["train", "theta", "phi", "log_perplexity", "is_tomotopy", "SWEEP_STEP"]

#: Sweeps run between two progress updates (always the same steps, so a bar never changes the model).
SWEEP_STEP = 10


def is_tomotopy(model) -> bool:
    return type(model).__module__.split(".")[0] == "tomotopy"


def _words(vocab: np.ndarray, X, r: int) -> list:
    s, e = X.indptr[r], X.indptr[r + 1]
    return np.repeat(vocab[X.indices[s:e]], X.data[s:e].astype(np.int64)).tolist()


def _parallel():
    import tomotopy as tp

    return tp.ParallelScheme.PARTITION


def train(X, vocab: pd.Index, rows: np.ndarray, p: dict, bar=None):
    """A trained ``tomotopy.LDAModel`` on the rows ``rows`` of the CSR counts ``X``.

    Returns ``(model, trained)``: ``trained[j]`` is the row of ``X`` of the model's document ``j``
    (rows without a counted word are not added).
    """
    import tomotopy as tp

    words = np.asarray(vocab, dtype=object)
    alpha = p["alpha"] if p["alpha"] != "auto" else 0.1
    model = tp.LDAModel(k=p["k"], alpha=float(alpha), eta=float(p["eta"]), seed=p["seed"])
    model.optim_interval = 10 if p["alpha"] == "auto" else 0
    trained = []
    for r in rows:
        w = _words(words, X, int(r))
        if w:
            model.add_doc(w)
            trained.append(int(r))
    if not trained:
        from ..errors import TopicError

        raise TopicError("no training document has a counted word; relax the frequency filters or widen the selection")
    done = 0
    with warnings.catch_warnings():
        # "may differ even with fixed seed if workers != 1": not with PARTITION (module docstring)
        warnings.filterwarnings("ignore", message=".*differ even with fixed seed.*")
        while done < p["iterations"]:
            step = min(SWEEP_STEP, p["iterations"] - done)
            model.train(step, workers=p["workers"], parallel=_parallel())
            done += step
            if bar is not None:
                bar.set_postfix_str(f"sweep {done}/{p['iterations']}", refresh=False)
                bar.update(len(rows) * step / p["iterations"])  # the bar counts one reading of the rows
    return model, np.asarray(trained, dtype=np.int64)


def prior(model) -> np.ndarray:
    a = np.asarray(model.alpha, dtype=np.float64).ravel()
    a = np.broadcast_to(a, (model.k,)) if a.size == 1 else a
    return a / a.sum()


def theta(model, X, vocab: pd.Index, trained: np.ndarray | None, p: dict, bar=None, *,
          scheduler=None) -> np.ndarray:
    """θ (documents × K, float64) of every row of ``X``.

    A document the model was trained on keeps its θ from the final sample, ``(n_dk + α_k) /
    (n_d + Σα)`` (as Mallet reports it); every other document is inferred (``iterations`` sweeps
    over it with φ fixed), ``chunksize`` documents at a time. Empty documents get the normalised α.
    With ``scheduler`` (see :mod:`workbench.cluster`) the inference runs on Dask workers
    (:func:`workbench.cluster.infer_theta_dask`), one task per ``chunksize`` documents.
    """
    n = X.shape[0]
    out = np.empty((n, model.k), dtype=np.float64)
    out[:] = prior(model)
    todo = np.ones(n, dtype=bool)
    if trained is not None and len(trained):
        out[trained] = np.asarray([d.get_topic_dist() for d in model.docs], dtype=np.float64)
        todo[trained] = False
    if bar is not None:
        bar.update(n - int(todo.sum()))
    words = np.asarray(vocab, dtype=object)
    rows = np.flatnonzero(todo)
    from ..cluster import resolve_scheduler

    scheduler = resolve_scheduler(False if scheduler is None else scheduler)
    if scheduler is not None and len(rows):
        from ..cluster import infer_theta_dask

        for where, dists in infer_theta_dask(model, X, words, rows, chunksize=p["chunksize"],
                                             iterations=p.get("infer_iterations", p["iterations"]),
                                             workers=p["workers"], scheduler=scheduler,
                                             progress=None if bar is None else bar.update):
            out[where] = dists
        rows = rows[:0]
    for b in range(0, len(rows), p["chunksize"]):
        batch = rows[b:b + p["chunksize"]]
        docs, where = [], []
        for r in batch:
            w = _words(words, X, int(r))
            if w:
                docs.append(model.make_doc(w))
                where.append(r)
        if docs:
            dists, _ = model.infer(docs, iterations=p.get("infer_iterations", p["iterations"]),
                                   workers=p["workers"], parallel=_parallel(), together=True)
            out[np.asarray(where)] = np.asarray(dists, dtype=np.float64)
        if bar is not None:
            bar.update(len(batch))
    out /= out.sum(axis=1, keepdims=True)
    return out


def phi(model, vocab: pd.Index, eta: float) -> np.ndarray:
    """Topic-term distributions φ (K × V over ``vocab``, float64, rows sum to 1).

    Terms the model never saw (no count in its training documents) get the smoothed zero count
    ``η / (n_k + V_used·η)``, as a seen term with no token of topic k does.
    """
    K = model.k
    used = list(model.used_vocabs)
    idx = pd.Index(vocab).get_indexer(used)
    dist = np.asarray([model.get_topic_word_dist(t) for t in range(K)], dtype=np.float64)
    n_k = np.asarray(model.get_count_by_topics(), dtype=np.float64)
    out = np.empty((K, len(vocab)), dtype=np.float64)
    out[:] = (eta / (n_k + len(used) * eta))[:, None]
    ok = idx >= 0
    out[:, idx[ok]] = dist[:, ok]
    return out / out.sum(axis=1, keepdims=True)


def log_perplexity(model, X, rows, vocab: pd.Index, p: dict, *, seed: int = 0) -> float:
    """Per-token held-out log-likelihood (nats) of the documents ``rows`` of ``X``, by document
    completion (Asuncion, Welling, Smyth & Teh 2009, "On smoothing and inference for topic models",
    UAI, §4; Wallach, Murray, Salakhutdinov & Mimno 2009, "Evaluation methods for topic models",
    ICML, §5): each document's tokens are split at random (seeded by ``seed``) into two halves; θ is
    inferred from the first half with φ fixed (``p["infer_iterations"]`` sweeps, ``p["chunksize"]``
    documents together, as :func:`theta` infers), and the second half is scored,
    ``Σ log Σ_k θ_dk φ_kw`` over its tokens divided by their number. Tokens of terms the model
    never saw are left out. The words scored are never seen by the sampler, so the estimate is not
    flattered by inferring θ on the very words it predicts; ``exp(−·)`` is the perplexity
    (comparable across K of this backend, not with gensim's variational bound).
    """
    rows = np.asarray(rows, dtype=np.int64)
    words = np.asarray(vocab, dtype=object)
    known = np.zeros(len(words), dtype=bool)
    idx = pd.Index(vocab).get_indexer(list(model.used_vocabs))
    known[idx[idx >= 0]] = True
    ph = phi(model, vocab, p["eta"])
    base = prior(model)
    rng = np.random.default_rng([int(seed), 3])
    chunk = int(p.get("chunksize", 2000))
    total, n_tok = 0.0, 0
    for b in range(0, len(rows), chunk):
        sub = X[rows[b:b + chunk]].tocsr()
        counts = sub.data.astype(np.int64)
        term = np.repeat(sub.indices.astype(np.int64), counts)
        doc = np.repeat(np.repeat(np.arange(sub.shape[0]), np.diff(sub.indptr)), counts)
        keep = known[term]
        term, doc = term[keep], doc[keep]
        seen = rng.random(len(term)) < 0.5
        th = np.broadcast_to(base, (sub.shape[0], model.k)).copy()
        ot, od = term[seen], doc[seen]
        bounds = np.searchsorted(od, np.arange(sub.shape[0] + 1))
        docs, where = [], []
        for d in range(sub.shape[0]):
            if bounds[d + 1] > bounds[d]:
                docs.append(model.make_doc(words[ot[bounds[d]:bounds[d + 1]]].tolist()))
                where.append(d)
        if docs:
            dists, _ = model.infer(docs, iterations=p.get("infer_iterations", p["iterations"]),
                                   workers=p["workers"], parallel=_parallel(), together=True)
            th[np.asarray(where)] = np.asarray(dists, dtype=np.float64)
        th /= th.sum(axis=1, keepdims=True)
        et, ed = term[~seen], doc[~seen]
        for s in range(0, len(et), 200_000):  # tokens × K floats at a time
            prob = np.einsum("ik,ki->i", th[ed[s:s + 200_000]], ph[:, et[s:s + 200_000]])
            total += float(np.log(prob).sum())
        n_tok += len(et)
    return total / n_tok if n_tok else float("nan")
