"""Fitting latent Dirichlet allocation to a document-term matrix, with gensim or tomotopy, and its cache.

LDA (Blei, Ng & Jordan 2003, "Latent Dirichlet Allocation", JMLR 3) models each article as a
mixture θ_d of K topics and each topic as a distribution φ_k over the vocabulary. Two backends fit
it and return the same :class:`~workbench.topics.model.TopicModel` (``backend=``):

* ``"gensim"``: online variational Bayes (Hoffman, Blei & Bach 2010, "Online Learning for Latent
  Dirichlet Allocation", NIPS 23): the corpus is read in chunks of ``chunksize`` documents
  (:class:`~workbench.topics.bow.BowCorpus`), so memory holds one chunk and the K × V topic-word
  statistics, never the whole corpus in gensim's own format.
* ``"tomotopy"``: collapsed Gibbs sampling (Griffiths & Steyvers 2004, "Finding scientific topics",
  PNAS 101), in C++ on 2 threads (:mod:`workbench.topics.gibbs`).

Which is the default. Measured side by side by ``benchmarks/bench_topics.py --stages backends`` on
egypt2013-dev (K = 20, seed 1, trained on 28,093 articles, c_v and NPMI on the 3,121 held out,
top 10 words, the same gensim ``CoherenceModel``): gensim ``LdaModel`` with 10 passes (the
report's) took 64 CPU-s for c_v 0.565 and NPMI 0.024; tomotopy with 100 sweeps on 2 threads took
26 CPU-s (training + θ) for c_v 0.581 and NPMI 0.070 — faster and more coherent. So the report
(``topic_backend``) uses tomotopy; the library's :data:`DEFAULT_BACKEND` stays gensim so that code,
tests and cached models written before keep their meaning (pass ``backend="tomotopy"``).

Determinism. With the same ``seed`` and matrix both backends give identical topics and θ run to
run. gensim: ``workers=0`` (``LdaModel``, the default); ``workers >= 1`` trains ``LdaMulticore``,
which hands chunks to worker processes as they become free, so two runs can differ (measured in
``benchmarks/bench_topics.py``): use it for exploration, not for reports. tomotopy: reproducible
for the same number of ``workers`` threads (2 by default, fixed rather than "all cores", since
another number gives another sample; see :mod:`workbench.topics.gibbs`).

Large corpora. ``train_sample`` (50,000 by default) trains on a seeded sample of the documents
when there are more, then infers θ for every article, ``chunksize`` at a time.

Caching. ``fit_topics(dtm, k, seed=..., cache_dir=...)`` stores the trained model under a key made
of the matrix' content (counts, vocabulary, document ids), the corpus store fingerprint, the text
settings fingerprint, the backend, every hyper-parameter and the library versions; a second call
with the same key loads it instead of training. Cached models are signed and verified before
loading (:mod:`workbench.topics.model`), for tomotopy's own file format as for gensim's pickles.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ArgumentError, TopicError, WorkbenchWarning
from ..matrix import DocumentTermMatrix
from ..progress import NO_BAR, progress_bar
from .bow import BowCorpus, chunks, gensim_dictionary
from .model import TopicModel, load_topics

__all__ = ["fit_topics", "model_params", "infer_theta", "dtm_fingerprint", "check_k", "check_backend", "BackendError",
           "BACKENDS", "DEFAULT_BACKEND", "TRAIN_SAMPLE", "TOPICS_VERSION"]

#: Bump when a change here changes trained models or θ for the same inputs (invalidates caches).
TOPICS_VERSION = "2"  # 2: tomotopy infers each chunk of unseen documents together

#: Sweeps of tomotopy's inference of a document outside the training sample. θ from 10, 20, 100 or
#: 200 sweeps is equally close to θ from 400 sweeps (mean |Δθ| 0.0132 on 2,000 egypt2013-dev
#: articles, K=20: one sample's own noise), and the time grows with the sweeps.
INFER_SWEEPS = 20


def dtm_fingerprint(dtm: DocumentTermMatrix) -> str:
    """SHA-256 of a matrix' counts, vocabulary and document ids (what a model was trained on)."""
    X = dtm.X.tocsr()
    if not X.has_sorted_indices:
        X = X.sorted_indices()
    h = hashlib.sha256(b"workbench.dtm.v1\n")
    h.update(np.asarray(X.shape, dtype=np.int64).tobytes())
    step = 1 << 20  # canonical dtypes, converted a slice at a time (no corpus-sized copy)
    for a, dt in ((X.indptr, np.int64), (X.indices, np.int64), (X.data, np.float64)):
        for i in range(0, len(a), step):
            h.update(np.ascontiguousarray(a[i:i + step], dtype=dt).data)
    for seq in (dtm.vocab, dtm.docs["id"] if "id" in dtm.docs.columns else dtm.docs.index):
        h.update("\x1f".join(map(str, seq)).encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def check_k(k) -> int:
    """``k`` (the number of topics) as an int; TopicError unless it is an integer ≥ 2."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TopicError(f"k (number of topics) must be an integer ≥ 2 (got {k!r})")
    if k < 2:
        raise TopicError(f"k must be ≥ 2 (got {k}): one topic is just the corpus' word frequencies")
    return int(k)


def _check_dtm(dtm: DocumentTermMatrix, k: int) -> None:
    if not isinstance(dtm, DocumentTermMatrix):
        raise TopicError(f"expected a DocumentTermMatrix (workbench.analysis.corpus_matrix), got {type(dtm).__name__}")
    if dtm.n_docs < 2:
        raise TopicError(f"the matrix has {dtm.n_docs} document(s); a topic model needs at least 2")
    if dtm.n_terms < k:
        raise TopicError(f"the matrix has {dtm.n_terms} terms, fewer than k={k} topics; "
                         "lower k or relax the frequency filters (min_count/min_df/max_df)")
    if dtm.X.nnz and dtm.X.data.min() < 0:
        raise TopicError("the matrix has negative counts; LDA needs counts")


BACKENDS = ("gensim", "tomotopy")
#: The backend of :func:`fit_topics` and :func:`~workbench.topics.selection.select_k` when none is
#: given. The report's ``topic_backend`` parameter defaults to "tomotopy" (faster, higher coherence on
#: egypt2013-dev, see the module docstring); the library keeps gensim so that code and models
#: written before keep their meaning.
DEFAULT_BACKEND = "gensim"
#: Default ``train_sample``: corpora with more documents train on a seeded sample of this many.
TRAIN_SAMPLE = 50_000
#: tomotopy threads by default: fixed (not "all cores"), since the sample depends on their number.
TOMOTOPY_WORKERS = 2

_GENSIM_ONLY = {"passes": 20, "decay": 0.5, "offset": 1.0, "gamma_threshold": 0.001, "update_every": 1,
                "shuffle": True}


class BackendError(TopicError, ArgumentError):
    """An unknown topic-model backend, or an option the chosen backend does not have."""


def check_backend(backend) -> str:
    """``backend`` if it is one of :data:`BACKENDS`; else a one-line :class:`BackendError`."""
    if backend is None:
        return DEFAULT_BACKEND
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise BackendError(f"unknown topic-model backend {backend!r}; use 'tomotopy' (Gibbs sampling, "
                           "faster) or 'gensim' (online variational Bayes)")
    return backend


def _int(name: str, v, low: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
        raise TopicError(f"{name} must be an integer ≥ {low} (got {v!r})")
    return int(v)


def _lda_params(k, seed, passes, iterations, chunksize, alpha, eta, decay, offset,
                gamma_threshold, update_every, shuffle, workers, backend="gensim", train_sample=None,
                n_docs=0) -> dict:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TopicError(f"seed must be a non-negative integer (got {seed!r})")
    backend = check_backend(backend)
    iterations = _int("iterations", 100 if iterations is None else iterations, 1)
    chunksize = _int("chunksize", 2000 if chunksize is None else chunksize, 1)
    if train_sample is not None:
        train_sample = _int("train_sample", train_sample, 2)
    sample = train_sample if train_sample is not None and n_docs > train_sample else None
    if backend == "tomotopy":
        given = {name: v for name, v in (("passes", passes), ("decay", decay), ("offset", offset),
                                         ("gamma_threshold", gamma_threshold), ("update_every", update_every),
                                         ("shuffle", shuffle)) if v is not None}
        if given:
            raise BackendError(f"{', '.join(given)} {'is an option' if len(given) == 1 else 'are options'} of "
                               "gensim's online variational Bayes, not of backend='tomotopy' (Gibbs sampling "
                               "sweeps the corpus `iterations` times); drop it or use backend='gensim'")
        workers = _int("workers", TOMOTOPY_WORKERS if workers is None else workers, 1)
        alpha = "auto" if alpha is None else alpha
        if isinstance(alpha, str) and alpha not in ("symmetric", "auto"):
            raise BackendError(f"alpha must be 'auto' (learned), 'symmetric' (1/K) or a number with "
                               f"backend='tomotopy' (got {alpha!r})")
        eta = 0.01 if eta is None else eta
        if isinstance(eta, str) and eta != "symmetric":
            raise BackendError(f"eta must be None (0.01), 'symmetric' (1/K) or a number with backend='tomotopy' "
                               f"(got {eta!r})")
        for name, v in (("alpha", alpha), ("eta", eta)):
            if not isinstance(v, str) and not (isinstance(v, (int, float, np.number)) and v > 0):
                raise TopicError(f"{name} must be a positive number (got {v!r})")
        return {
            "k": int(k), "seed": int(seed), "backend": "tomotopy",
            "algorithm": "tomotopy.LDAModel (collapsed Gibbs sampling)", "workers": workers,
            "parallel": "PARTITION", "iterations": iterations, "infer_iterations": min(iterations, INFER_SWEEPS),
            "chunksize": chunksize,
            "alpha": "auto" if alpha == "auto" else (1.0 / k if alpha == "symmetric" else float(alpha)),
            "optim_interval": 10 if alpha == "auto" else 0,
            "eta": 1.0 / k if eta == "symmetric" else float(eta), "train_sample": sample,
        }
    passes = _int("passes", _GENSIM_ONLY["passes"] if passes is None else passes, 1)
    decay = _GENSIM_ONLY["decay"] if decay is None else decay
    offset = _GENSIM_ONLY["offset"] if offset is None else offset
    gamma_threshold = _GENSIM_ONLY["gamma_threshold"] if gamma_threshold is None else gamma_threshold
    update_every = _GENSIM_ONLY["update_every"] if update_every is None else update_every
    shuffle = _GENSIM_ONLY["shuffle"] if shuffle is None else shuffle
    alpha = "symmetric" if alpha is None else alpha
    workers = 0 if workers is None else workers
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 0:
        raise TopicError(f"workers must be 0 (LdaModel, reproducible) or ≥ 1 (LdaMulticore) (got {workers!r})")
    if isinstance(alpha, str) and alpha not in ("symmetric", "asymmetric", "auto"):
        raise TopicError(f"alpha must be 'symmetric', 'asymmetric', 'auto' or a number (got {alpha!r})")
    if workers and alpha == "auto":
        raise TopicError("alpha='auto' is not supported by LdaMulticore (workers ≥ 1); use workers=0")
    if isinstance(eta, str) and eta not in ("symmetric", "auto"):
        raise TopicError(f"eta must be None, 'symmetric', 'auto' or a number (got {eta!r})")
    return {
        "k": int(k), "seed": int(seed), "backend": "gensim", "algorithm": "LdaMulticore" if workers else "LdaModel",
        "workers": int(workers), "passes": int(passes), "iterations": int(iterations),
        "chunksize": int(chunksize), "alpha": alpha if isinstance(alpha, str) else float(alpha),
        "eta": eta if eta is None or isinstance(eta, str) else float(eta), "decay": float(decay),
        "offset": float(offset), "gamma_threshold": float(gamma_threshold),
        "update_every": int(update_every), "shuffle": bool(shuffle), "dtype": "float32", "train_sample": sample,
    }


def _train(corpus: BowCorpus, id2word, p: dict):
    from gensim.models import LdaModel, LdaMulticore

    common = dict(corpus=corpus, num_topics=p["k"], id2word=id2word, chunksize=p["chunksize"],
                  passes=p["passes"], alpha=p["alpha"], eta=p["eta"], decay=p["decay"],
                  offset=p["offset"], eval_every=None, iterations=p["iterations"],
                  gamma_threshold=p["gamma_threshold"], random_state=p["seed"], dtype=np.float32)
    if p["workers"]:
        return LdaMulticore(workers=p["workers"], **common)
    return LdaModel(update_every=p["update_every"], **common)


class _Reporting:
    """``corpus`` as gensim reads it, moving a progress ``bar`` on one document at a time; each
    reading of the whole corpus is labelled ``label.format(n=<reading number>)`` (``pass 3/20``).

    It yields the documents of ``corpus`` unchanged and touches no random state and no model, so a
    model trained through it is identical to one trained on ``corpus`` itself.
    """

    def __init__(self, corpus: BowCorpus, bar, label: str):
        self.corpus, self.bar, self.label, self.readings = corpus, bar, label, 0

    def __len__(self) -> int:
        return len(self.corpus)

    def __iter__(self):
        self.readings += 1
        self.bar.set_postfix_str(self.label.format(n=self.readings), refresh=False)
        update = self.bar.update
        for doc in self.corpus:
            yield doc
            update()


def infer_theta(model, corpus: BowCorpus, *, seed: int = 0, chunksize: int = 2000, vocab=None,
                iterations: int = 100, workers: int = TOMOTOPY_WORKERS) -> np.ndarray:
    """Topic proportions θ (documents × K, float64) of the documents of ``corpus`` under ``model``.

    gensim: variational inference (Blei et al. 2003; ``LdaModel.inference``) chunk by chunk; the
    random start of γ is re-seeded with ``seed`` first, so θ depends only on the model and the seed.
    tomotopy: Gibbs sampling of each document with φ fixed (``iterations`` sweeps; ``vocab``, the
    matrix' terms, is needed to name the words), seeded by the model. Empty documents get the
    normalised prior α.
    """
    from . import gibbs

    if gibbs.is_tomotopy(model):
        if vocab is None:
            raise TopicError("infer_theta with a tomotopy model needs vocab= (the matrix' terms)")
        X = corpus.X if corpus.rows is None else corpus.X[corpus.rows]
        return gibbs.theta(model, X, vocab, None, {"chunksize": int(chunksize), "iterations": int(iterations),
                                                   "workers": int(workers)})
    from gensim.utils import get_random_state

    model.random_state = get_random_state(int(seed))
    out = np.empty((len(corpus), model.num_topics), dtype=np.float64)
    pos = 0
    for chunk in chunks(corpus, chunksize):
        gamma, _ = model.inference(chunk)
        gamma = np.asarray(gamma, dtype=np.float64)
        out[pos:pos + len(chunk)] = gamma / gamma.sum(axis=1, keepdims=True)
        pos += len(chunk)
    return out


def model_params(
    dtm: DocumentTermMatrix,
    k: int,
    *,
    seed: int = 42,
    backend: str | None = None,
    passes: int | None = None,
    iterations: int | None = None,
    chunksize: int | None = None,
    alpha: str | float | None = None,
    eta: str | float | None = None,
    decay: float | None = None,
    offset: float | None = None,
    gamma_threshold: float | None = None,
    update_every: int | None = None,
    shuffle: bool | None = None,
    workers: int | None = None,
    train_sample: int | None = TRAIN_SAMPLE,
) -> dict:
    """The manifest :func:`fit_topics` would record for these arguments, with its ``cache_key``,
    without training anything (checks the arguments the same way)."""
    k = check_k(k)
    _check_dtm(dtm, k)
    p = _lda_params(k, seed, passes, iterations, chunksize, alpha, eta, decay, offset, gamma_threshold,
                    update_every, shuffle, workers, backend, train_sample, dtm.n_docs)
    meta = dtm.meta or {}
    params = {
        **p,
        "gensim_version": _version("gensim"),  # from the metadata: importing gensim takes seconds
        "topics_version": TOPICS_VERSION,
        "n_docs": int(dtm.n_docs), "n_terms": int(dtm.n_terms), "n_tokens": int(dtm.X.sum()),
        "dtm_fingerprint": dtm_fingerprint(dtm),
        "store_fingerprint": meta.get("store_fingerprint"),
        "text_settings_fingerprint": meta.get("text_settings_fingerprint"),
        "text_settings": meta.get("text_settings"),
        "selection": meta.get("selection"),
        "matrix": {key: meta.get(key) for key in ("ngrams", "min_count", "min_df", "max_df")},
        "phrases": meta.get("phrases"),
    }
    if p["backend"] == "tomotopy":
        params["tomotopy_version"] = _version("tomotopy")
    key_src = {x: v for x, v in params.items() if x not in ("text_settings", "selection")}
    params["cache_key"] = hashlib.sha256(
        json.dumps(key_src, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:24]
    return params


def fit_topics(
    dtm: DocumentTermMatrix,
    k: int,
    *,
    seed: int = 42,
    backend: str | None = None,
    passes: int | None = None,
    iterations: int | None = None,
    chunksize: int | None = None,
    alpha: str | float | None = None,
    eta: str | float | None = None,
    decay: float | None = None,
    offset: float | None = None,
    gamma_threshold: float | None = None,
    update_every: int | None = None,
    shuffle: bool | None = None,
    workers: int | None = None,
    train_sample: int | None = TRAIN_SAMPLE,
    cache_dir: str | os.PathLike | None = None,
    scheduler: Any = None,
) -> TopicModel:
    """Fit an LDA topic model with ``k`` topics to the documents of ``dtm`` (Blei, Ng & Jordan 2003).

    ``backend``: ``"gensim"`` (the library default, :data:`DEFAULT_BACKEND`) or ``"tomotopy"``
    (the report's default); anything else is a one-line :class:`BackendError`. Both return the same
    :class:`TopicModel`, so tables, prevalence, labels and distances work on either.

    **gensim** — online variational Bayes (Hoffman, Blei & Bach 2010) reads the matrix rows as a
    stream (:class:`BowCorpus`) in chunks of ``chunksize`` documents, ``passes`` times (20 by
    default: a small corpus fits in one chunk, so each pass is a single update; 20 passes take
    about 2 minutes for 31,000 articles on one core);
    ``iterations`` (100) bounds the per-document inference loop; ``alpha`` (document-topic prior:
    ``"symmetric"`` = 1/K, the default, ``"asymmetric"``, ``"auto"`` = learned, or a number) and ``eta``
    (topic-word prior, default 1/K) are gensim's; ``decay``/``offset`` are Hoffman et al.'s κ and τ₀.
    ``shuffle`` (default True) feeds the documents in a seeded random order: online LDA assumes
    the stream is exchangeable, and a store sorted by date or outlet would otherwise give early
    chunks of one event or one outlet. ``workers=0`` (default) uses ``LdaModel`` (identical results
    for the same ``seed``); ``workers ≥ 1`` uses ``LdaMulticore`` with that many extra processes — not
    reproducible run to run, and on 2 cores slower than ``LdaModel`` (benchmarks/bench_topics.py).

    **tomotopy** — collapsed Gibbs sampling (Griffiths & Steyvers 2004), ``iterations`` (100)
    sweeps over every token, on ``workers`` threads (2 by default; the same seed and number of
    workers give identical topics and θ, see :mod:`workbench.topics.gibbs`). ``alpha``: ``"auto"``
    (default: asymmetric, learned every 10 sweeps from 0.1 — Wallach, Mimno & McCallum 2009),
    ``"symmetric"`` (1/K) or a number; ``eta``: 0.01 by default (Griffiths & Steyvers used 0.1 on
    a smaller vocabulary), ``"symmetric"`` (1/K) or a number. ``passes``, ``decay``, ``offset``,
    ``gamma_threshold``, ``update_every`` and ``shuffle`` belong to gensim's method and are refused.

    ``train_sample`` (default 50,000): a corpus with more documents trains on a seeded sample of
    this many (``None``: on all), and θ of every document is inferred afterwards, ``chunksize``
    documents at a time, so memory stays bounded however large the corpus (with tomotopy, each chunk
    together, in ``min(iterations, INFER_SWEEPS)`` sweeps: see :mod:`workbench.topics.gibbs`). ``params["train_sample"]``
    is the sample size used, or None.

    With ``cache_dir``, the model is stored under a key of the matrix content, corpus and text
    fingerprints, the backend and its version and every hyper-parameter; a later call with the same
    key loads it (``info["cached"]``). A cached entry that fails verification (not signed by this
    user's workbench, changed, damaged) is never loaded: it is retrained and replaced, with a
    one-line warning. If the cache cannot be written (full disk, read-only folder) the model is
    returned uncached, with a warning.

    ``scheduler`` (``"local"`` or a Dask scheduler address; see :mod:`workbench.cluster`): with the
    tomotopy backend, θ of the documents left out of the training sample is inferred on the Dask
    workers (the same θ: a document's inference does not depend on where it runs). Not part of the
    cache key.

    Returns a :class:`TopicModel` whose ``params`` record all of the above.

    Example::

        dtm = corpus_matrix("build/demo-store", min_df=2, max_df=0.5)
        tm = fit_topics(dtm, 20, seed=1, backend="tomotopy")
        topic_terms(tm, n=10, lam=0.6)
    """
    params = model_params(dtm, k, seed=seed, backend=backend, passes=passes, iterations=iterations,
                          chunksize=chunksize, alpha=alpha, eta=eta, decay=decay, offset=offset,
                          gamma_threshold=gamma_threshold, update_every=update_every, shuffle=shuffle,
                          workers=workers, train_sample=train_sample)
    k, p = params["k"], params

    target = Path(cache_dir) / f"lda-k{k}-{params['cache_key']}" if cache_dir is not None else None
    if target is not None and target.exists():
        try:
            tm = load_topics(target)
            if tm.params.get("cache_key") != params["cache_key"]:
                raise TopicError(f"{target}: it holds a model for other inputs (cache key "
                                 f"{tm.params.get('cache_key')!r})")
        except TopicError as e:  # never trusted: retrained and replaced
            warnings.warn(f"cached topic model not used: {e}; retraining and replacing it",
                          WorkbenchWarning, stacklevel=2)
        else:
            tm.docs = dtm.docs
            tm.params = params
            return tm

    X = dtm.X.tocsr()
    sample = None
    if p["train_sample"] is not None:  # seeded, sorted: the same rows for the same seed and matrix
        sample = np.sort(np.random.default_rng([p["seed"], 1]).choice(dtm.n_docs, p["train_sample"], replace=False))
    n_train = dtm.n_docs if sample is None else len(sample)
    t0 = time.perf_counter()
    topic_word = None
    if p["backend"] == "tomotopy":
        from . import gibbs

        with progress_bar(n_train + dtm.n_docs, desc=f"training {k} topics", unit=" docs") as bar:
            bar = None if bar is NO_BAR else bar
            rows = np.arange(dtm.n_docs) if sample is None else sample
            model, trained = gibbs.train(X, dtm.vocab, rows, p, bar)
            train_s = time.perf_counter() - t0
            theta = gibbs.theta(model, X, dtm.vocab, trained, p, bar, scheduler=scheduler)
        topic_word = gibbs.phi(model, dtm.vocab, p["eta"])
    else:
        if sample is not None:
            order = sample[np.random.default_rng(p["seed"]).permutation(len(sample))] if p["shuffle"] else sample
        else:
            order = np.random.default_rng(p["seed"]).permutation(dtm.n_docs) if p["shuffle"] else None
        id2word = gensim_dictionary(dtm.vocab)
        # on a terminal, a bar over every document of every pass and of the θ inference (workbench.progress)
        with progress_bar(p["passes"] * n_train + dtm.n_docs, desc=f"training {k} topics", unit=" docs") as bar:
            training, corpus = BowCorpus(X, order), BowCorpus(X)
            if bar is not NO_BAR:
                training = _Reporting(training, bar, f"pass {{n}}/{p['passes']}")
            model = _train(training, id2word, p)
            train_s = time.perf_counter() - t0
            theta = infer_theta(model, corpus if bar is NO_BAR else _Reporting(corpus, bar, "θ"),
                                seed=p["seed"], chunksize=p["chunksize"])
    tm = TopicModel(
        model=model, vocab=dtm.vocab, docs=dtm.docs, theta=theta,
        term_frequency=np.asarray(X.sum(axis=0)).ravel().astype(np.int64),
        doc_lengths=np.asarray(X.sum(axis=1)).ravel().astype(np.int64),
        params=params,
        info={"cached": False, "train_seconds": train_s, "theta_seconds": time.perf_counter() - t0 - train_s},
        topic_word=topic_word,
    )
    if target is not None:
        try:
            tm.save(target)
        except TopicError as e:
            warnings.warn(f"the topic model was trained but not cached: {e}", WorkbenchWarning, stacklevel=2)
            tm.info["cache_error"] = str(e)
        else:
            tm.info["path"] = str(target)
    return tm
