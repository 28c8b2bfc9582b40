"""Fitting latent Dirichlet allocation to a document-term matrix, with gensim, and its cache.

LDA (Blei, Ng & Jordan 2003, "Latent Dirichlet Allocation", JMLR 3) models each article as a
mixture θ_d of K topics and each topic as a distribution φ_k over the vocabulary. gensim fits it
with online variational Bayes (Hoffman, Blei & Bach 2010, "Online Learning for Latent Dirichlet
Allocation", NIPS 23): the corpus is read in chunks of ``chunksize`` documents
(:class:`~workbench.topics.bow.BowCorpus`), so memory holds one chunk and the K × V topic-word
statistics, never the whole corpus in gensim's own format.

Determinism. :func:`fit_topics` trains ``gensim.models.LdaModel`` by default (``workers=0``): with
the same ``seed`` (gensim ``random_state``) and the same matrix, two runs give identical topics and
θ. ``workers >= 1`` trains ``LdaMulticore`` with that many extra worker processes; gensim hands
chunks to the workers as they become free, so which chunks are merged into each update depends on
timing and two runs with the same seed can differ (measured in ``benchmarks/bench_topics.py``).
Use it for exploration on large corpora, not for reports.

Caching. ``fit_topics(dtm, k, seed=..., cache_dir=...)`` stores the trained model under a key made
of the matrix' content (counts, vocabulary, document ids), the corpus store fingerprint, the text
settings fingerprint, every hyper-parameter and the gensim version; a second call with the same key
loads it instead of training. Cached models are signed and verified before loading
(:mod:`workbench.topics.model`).
"""
from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np

from ..errors import TopicError, WorkbenchWarning
from ..matrix import DocumentTermMatrix
from ..progress import NO_BAR, progress_bar
from .bow import BowCorpus, chunks, gensim_dictionary
from .model import TopicModel, load_topics

__all__ = ["fit_topics", "infer_theta", "dtm_fingerprint", "check_k", "TOPICS_VERSION"]

#: Bump when a change here changes trained models or θ for the same inputs (invalidates caches).
TOPICS_VERSION = "1"


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


def _lda_params(k, seed, passes, iterations, chunksize, alpha, eta, decay, offset,
                gamma_threshold, update_every, shuffle, workers) -> dict:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TopicError(f"seed must be a non-negative integer (got {seed!r})")
    for name, v in (("passes", passes), ("iterations", iterations), ("chunksize", chunksize)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise TopicError(f"{name} must be an integer ≥ 1 (got {v!r})")
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 0:
        raise TopicError(f"workers must be 0 (LdaModel, reproducible) or ≥ 1 (LdaMulticore) (got {workers!r})")
    if isinstance(alpha, str) and alpha not in ("symmetric", "asymmetric", "auto"):
        raise TopicError(f"alpha must be 'symmetric', 'asymmetric', 'auto' or a number (got {alpha!r})")
    if workers and alpha == "auto":
        raise TopicError("alpha='auto' is not supported by LdaMulticore (workers ≥ 1); use workers=0")
    if isinstance(eta, str) and eta not in ("symmetric", "auto"):
        raise TopicError(f"eta must be None, 'symmetric', 'auto' or a number (got {eta!r})")
    return {
        "k": int(k), "seed": int(seed), "algorithm": "LdaMulticore" if workers else "LdaModel",
        "workers": int(workers), "passes": int(passes), "iterations": int(iterations),
        "chunksize": int(chunksize), "alpha": alpha if isinstance(alpha, str) else float(alpha),
        "eta": eta if eta is None or isinstance(eta, str) else float(eta), "decay": float(decay),
        "offset": float(offset), "gamma_threshold": float(gamma_threshold),
        "update_every": int(update_every), "shuffle": bool(shuffle), "dtype": "float32",
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


def infer_theta(model, corpus: BowCorpus, *, seed: int = 0, chunksize: int = 2000) -> np.ndarray:
    """Topic proportions θ (documents × K, float64) of the documents of ``corpus`` under ``model``.

    Variational inference (Blei et al. 2003; gensim ``LdaModel.inference``) chunk by chunk; the
    random start of γ is re-seeded with ``seed`` first, so θ depends only on the model and the seed.
    Empty documents get the normalised prior α.
    """
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


def fit_topics(
    dtm: DocumentTermMatrix,
    k: int,
    *,
    seed: int = 42,
    passes: int = 20,
    iterations: int = 100,
    chunksize: int = 2000,
    alpha: str | float = "symmetric",
    eta: str | float | None = None,
    decay: float = 0.5,
    offset: float = 1.0,
    gamma_threshold: float = 0.001,
    update_every: int = 1,
    shuffle: bool = True,
    workers: int = 0,
    cache_dir: str | os.PathLike | None = None,
) -> TopicModel:
    """Fit an LDA topic model with ``k`` topics to the documents of ``dtm`` (Blei, Ng & Jordan 2003).

    gensim's online variational Bayes (Hoffman, Blei & Bach 2010) reads the matrix rows as a
    stream (:class:`BowCorpus`) in chunks of ``chunksize`` documents, ``passes`` times (20 by
    default: a small corpus fits in one chunk, so each pass is a single update; 20 passes take
    about 2 minutes for 31,000 articles on one core);
    ``iterations`` bounds the per-document inference loop; ``alpha`` (document-topic prior:
    ``"symmetric"`` = 1/K, ``"asymmetric"``, ``"auto"`` = learned, or a number) and ``eta``
    (topic-word prior) are gensim's; ``decay``/``offset`` are Hoffman et al.'s κ and τ₀.
    ``shuffle`` (default True) feeds the documents in a seeded random order: online LDA assumes
    the stream is exchangeable, and a store sorted by date or outlet would otherwise give early
    chunks of one event or one outlet. ``workers=0`` uses ``LdaModel`` (identical results for the
    same ``seed``); ``workers ≥ 1`` uses ``LdaMulticore`` with that many extra processes — not
    reproducible run to run, and on 2 cores slower than ``LdaModel`` (benchmarks/bench_topics.py).

    With ``cache_dir``, the model is stored under a key of the matrix content, corpus and text
    fingerprints and every hyper-parameter; a later call with the same key loads it (``info["cached"]``).
    A cached entry that fails verification (not signed by this user's workbench, changed, damaged)
    is never unpickled: it is retrained and replaced, with a one-line warning. If the cache cannot
    be written (full disk, read-only folder) the model is returned uncached, with a warning.

    Returns a :class:`TopicModel` whose ``params`` record all of the above.

    Example::

        dtm = corpus_matrix("build/demo-store", min_df=2, max_df=0.5)
        tm = fit_topics(dtm, 20, seed=1)
        topic_terms(tm, n=10, lam=0.6)
    """
    k = check_k(k)
    _check_dtm(dtm, k)
    p = _lda_params(k, seed, passes, iterations, chunksize, alpha, eta, decay, offset,
                    gamma_threshold, update_every, shuffle, workers)
    import gensim

    meta = dtm.meta or {}
    params = {
        **p,
        "gensim_version": gensim.__version__,
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
    key_src = {x: v for x, v in params.items() if x not in ("text_settings", "selection")}
    params["cache_key"] = hashlib.sha256(
        json.dumps(key_src, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:24]

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
    order = np.random.default_rng(p["seed"]).permutation(dtm.n_docs) if p["shuffle"] else None
    id2word = gensim_dictionary(dtm.vocab)
    t0 = time.perf_counter()
    # on a terminal, a bar over every document of every pass and of the θ inference (workbench.progress)
    with progress_bar((p["passes"] + 1) * dtm.n_docs, desc=f"training {k} topics", unit=" docs") as bar:
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
