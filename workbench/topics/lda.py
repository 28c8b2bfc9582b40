"""Latent Dirichlet allocation on a document-term matrix, with gensim; topic labels and caching.

LDA (Blei, Ng & Jordan 2003, "Latent Dirichlet Allocation", JMLR 3) models each article as a
mixture θ_d of K topics and each topic as a distribution φ_k over the vocabulary. gensim fits it
with online variational Bayes (Hoffman, Blei & Bach 2010, "Online Learning for Latent Dirichlet
Allocation", NIPS 23): the corpus is read in chunks of ``chunksize`` documents, so memory holds one
chunk and the K × V topic-word statistics, never the whole corpus in gensim's own format.

The bag-of-words stream comes straight from the rows of a
:class:`~workbench.matrix.DocumentTermMatrix` (:class:`BowCorpus`), so a topic model uses exactly
the text settings, stop words and frequency filters of the matrix it is given — build it with
:func:`workbench.analysis.corpus_matrix` (e.g. ``min_df=5, max_df=0.5`` on a real corpus), or with
:func:`phrase_matrix` to add two-word phrases found by gensim ``Phrases``.

Determinism. :func:`fit_topics` trains ``gensim.models.LdaModel`` by default (``workers=0``): with
the same ``seed`` (gensim ``random_state``) and the same matrix, two runs give identical topics and
θ. ``workers >= 1`` trains ``LdaMulticore`` with that many extra worker processes; gensim hands
chunks to the workers as they become free, so which chunks are merged into each update depends on
timing and two runs with the same seed can differ (measured in ``benchmarks/bench_topics.py``).
Use it for exploration on large corpora, not for reports.

Labels. :func:`topic_terms` ranks terms by *relevance* (Sievert & Shirley 2014, "LDAvis: A method
for visualizing and interpreting topics", Workshop on Interactive Language Learning, Visualization,
and Interfaces): ``λ·log φ_kw + (1 − λ)·log(φ_kw / p_w)``, with ``p_w`` the term's share of all
tokens; λ = 1 is plain probability, lower λ favours terms specific to the topic (their user study
found λ ≈ 0.6 best). :func:`typical_documents` gives the articles with the highest θ for each
topic. Researchers name topics in a YAML file ``{topic_id: "name"}``
(:func:`write_topic_names_template`, :func:`load_topic_names`, :func:`save_topic_names`).

Caching. ``fit_topics(dtm, k, seed=..., cache_dir=...)`` stores the trained model under a key made
of the matrix' content (counts, vocabulary, document ids), the corpus store fingerprint, the text
settings fingerprint, every hyper-parameter and the gensim version; a second call with the same key
loads it instead of training.

Safety. A gensim model file is a pickle: loading it runs whatever code it names. So every saved
model folder carries a manifest of its files' SHA-256 signed with this user's secret key
(:mod:`workbench.integrity`), and nothing is unpickled unless the manifest verifies: a model
folder copied from another machine or account, or changed since it was written, is refused by
:func:`load_topics` and, in the cache of :func:`fit_topics`, retrained with a one-line warning.
For a store you may only read, put the cache elsewhere:
``cache_dir=workbench.analysis.cache_root(store) / "topic-models"``.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import WorkbenchError, WorkbenchWarning, describe_os_error
from ..matrix import DocumentTermMatrix, build_matrix

__all__ = [
    "TopicError", "BowCorpus", "TopicModel", "fit_topics", "load_topics", "phrase_matrix",
    "relevance", "topic_terms", "typical_documents", "topic_table", "topic_labels",
    "load_topic_names", "save_topic_names", "write_topic_names_template",
    "topic_distances", "topic_map", "dtm_fingerprint", "document_texts", "infer_theta",
]

#: Bump when a change here changes trained models or θ for the same inputs (invalidates caches).
TOPICS_VERSION = "1"


class TopicError(WorkbenchError):
    """A topic model was asked for something impossible (the message says which argument)."""


# ---------------------------------------------------------------------------
# bag-of-words stream over the rows of a CSR matrix
# ---------------------------------------------------------------------------


class BowCorpus:
    """gensim corpus over the rows of a CSR matrix: each document is a list of ``(term_id, count)``.

    Nothing is densified or copied: iterating slices ``indptr``/``indices``/``data`` row by row.
    ``rows`` (optional positions) restricts and orders the documents, e.g. a training split.
    Equivalent to ``gensim.matutils.Sparse2Corpus(X, documents_columns=False)``, but yields plain
    Python ints (faster in gensim's inner loop) and supports a row subset.
    """

    def __init__(self, X, rows: Sequence[int] | np.ndarray | None = None):
        X = X if sp.issparse(X) and X.format == "csr" else sp.csr_matrix(X)
        if not X.has_sorted_indices:
            X = X.sorted_indices()
        self.X = X
        self.rows = None if rows is None else np.asarray(rows, dtype=np.int64)

    def __len__(self) -> int:
        return self.X.shape[0] if self.rows is None else len(self.rows)

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        indptr, indices, data = self.X.indptr, self.X.indices, self.X.data
        if self.rows is None and np.issubdtype(data.dtype, np.integer):
            # convert a block of rows at a time: one tolist() per block instead of per row
            n = self.X.shape[0]
            block = 2048
            for b0 in range(0, n, block):
                b1 = min(b0 + block, n)
                lo, hi = indptr[b0], indptr[b1]
                ind = indices[lo:hi].tolist()
                dat = data[lo:hi].tolist()
                ptr = (indptr[b0:b1 + 1] - lo).tolist()
                for i in range(b1 - b0):
                    s, e = ptr[i], ptr[i + 1]
                    yield list(zip(ind[s:e], dat[s:e]))
            return
        rows = range(self.X.shape[0]) if self.rows is None else self.rows
        for r in rows:
            s, e = indptr[r], indptr[r + 1]
            yield list(zip(indices[s:e].tolist(), data[s:e].tolist()))


def _chunks(corpus: BowCorpus, size: int) -> Iterator[list]:
    chunk: list = []
    for doc in corpus:
        chunk.append(doc)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _dictionary(vocab: pd.Index):
    """A gensim ``Dictionary`` whose ids are the matrix' column positions."""
    from gensim.corpora import Dictionary

    d = Dictionary()
    d.token2id = {str(t): i for i, t in enumerate(vocab)}
    d.id2token = {i: t for t, i in d.token2id.items()}
    return d


# ---------------------------------------------------------------------------
# the fitted model
# ---------------------------------------------------------------------------


@dataclass
class TopicModel:
    """A fitted LDA model with everything needed to label topics and compare groups.

    ``model``: the gensim ``LdaModel``; ``vocab``: the matrix' terms (``model`` term ids are their
    positions); ``docs``: one metadata row per document (aligned with ``theta``); ``theta``:
    documents × topics proportions (rows sum to 1); ``term_frequency`` / ``doc_lengths``: counts
    from the matrix (for relevance and token-weighted prevalence); ``params``: the manifest — seed,
    every hyper-parameter, corpus and text-settings fingerprints, matrix filters, cache key —
    deterministic for the same inputs; ``info``: how this object was obtained (training seconds,
    whether it came from the cache, where it is stored).
    """

    model: object
    vocab: pd.Index
    docs: pd.DataFrame
    theta: np.ndarray
    term_frequency: np.ndarray
    doc_lengths: np.ndarray
    params: dict
    info: dict = field(default_factory=dict)

    @property
    def k(self) -> int:
        return int(self.theta.shape[1])

    @property
    def manifest(self) -> dict:
        """Alias of ``params`` (what a report manifest records)."""
        return self.params

    @property
    def phi(self) -> np.ndarray:
        """Topic-term distributions φ (K × V, float64, rows sum to 1)."""
        lam = np.asarray(self.model.state.get_lambda(), dtype=np.float64)
        return lam / lam.sum(axis=1, keepdims=True)

    def theta_frame(self) -> pd.DataFrame:
        """θ as a DataFrame: one row per document (index = document id), one column per topic."""
        return pd.DataFrame(self.theta, index=pd.Index(self.docs["id"].astype(str), name="id"),
                            columns=pd.RangeIndex(self.k, name="topic"))

    def prevalence(self) -> pd.Series:
        """Share of all tokens assigned to each topic (θ weighted by document length)."""
        w = self.doc_lengths.astype(np.float64)
        tot = w.sum()
        share = (w @ self.theta) / tot if tot > 0 else self.theta.mean(axis=0)
        return pd.Series(share, index=pd.RangeIndex(self.k, name="topic"), name="prevalence")

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model to folder ``path`` (replaced atomically if it exists); return it.

        The folder is signed for this user (:mod:`workbench.integrity`): :func:`load_topics` loads
        it on this machine and account, and refuses it anywhere else or once a file is changed.
        """
        return _save(self, Path(path))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "TopicModel":
        return load_topics(path)


_FILES = ("model", "theta.npy", "term_frequency.npy", "doc_lengths.npy", "vocab.json",
          "params.json", "docs.parquet")
_KIND = "topic-model"


def _save(tm: TopicModel, path: Path) -> Path:
    from ..integrity import IntegrityError, write_manifest

    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
    except OSError as e:
        raise TopicError(describe_os_error(e, path.parent, "save the topic model")) from None
    try:
        tm.model.save(str(tmp / "model"))
        np.save(tmp / "theta.npy", tm.theta)
        np.save(tmp / "term_frequency.npy", tm.term_frequency)
        np.save(tmp / "doc_lengths.npy", tm.doc_lengths)
        (tmp / "vocab.json").write_text(json.dumps([str(t) for t in tm.vocab], ensure_ascii=False),
                                        encoding="utf-8")
        (tmp / "params.json").write_text(json.dumps(tm.params, ensure_ascii=False, indent=1, default=str),
                                         encoding="utf-8")
        tm.docs.to_parquet(tmp / "docs.parquet", index=False)
        write_manifest(tmp, _KIND)
        if path.exists():
            old = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.old")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise TopicError(describe_os_error(e, path, "save the topic model")) from None
    except IntegrityError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise TopicError(f"{path}: cannot save the topic model: {e}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _verified(path: Path) -> None:
    """Raise TopicError unless ``path`` is a model folder this user's workbench wrote, unchanged."""
    from ..integrity import IntegrityError, verify_manifest

    try:
        verify_manifest(path, _KIND)
    except IntegrityError as e:
        raise TopicError(
            f"{path}: refused to load this topic model: {e}. A gensim model is a pickle, and loading "
            "one runs code stored in it, so only models saved by this workbench on this machine and "
            "account, unchanged since, are loaded; retrain it with fit_topics()") from None


def load_topics(path: str | os.PathLike) -> TopicModel:
    """Load a model written by :meth:`TopicModel.save` (or by the cache of :func:`fit_topics`).

    The folder's signed manifest is checked first (:mod:`workbench.integrity`): a folder not
    written by this workbench under this user account, or changed since, raises
    :class:`TopicError` and nothing in it is unpickled.
    """
    from gensim.models import LdaModel

    path = Path(path)
    missing = [f for f in _FILES if not (path / f).exists()]
    if missing:
        raise TopicError(f"{path}: not a saved topic model (missing {', '.join(missing)}); "
                         "save one with TopicModel.save(path) or fit_topics(..., cache_dir=...)")
    _verified(path)
    try:
        model = LdaModel.load(str(path / "model"))
        vocab = pd.Index(json.loads((path / "vocab.json").read_text(encoding="utf-8")), dtype=object, name="term")
        params = json.loads((path / "params.json").read_text(encoding="utf-8"))
        return TopicModel(
            model=model, vocab=vocab, docs=pd.read_parquet(path / "docs.parquet"),
            theta=np.load(path / "theta.npy", allow_pickle=False),
            term_frequency=np.load(path / "term_frequency.npy", allow_pickle=False),
            doc_lengths=np.load(path / "doc_lengths.npy", allow_pickle=False), params=params,
            info={"cached": True, "path": str(path)},
        )
    except Exception as e:  # signed by us, yet unreadable (e.g. another gensim version)
        raise TopicError(f"{path}: cannot load this topic model ({type(e).__name__}: "
                         f"{' '.join(str(e).split())[:200]}); retrain it with fit_topics()") from None


# ---------------------------------------------------------------------------
# fitting
# ---------------------------------------------------------------------------


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


def _check_k(k) -> int:
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
    for chunk in _chunks(corpus, chunksize):
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
    k = _check_k(k)
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
    id2word = _dictionary(dtm.vocab)
    t0 = time.perf_counter()
    model = _train(BowCorpus(X, order), id2word, p)
    corpus = BowCorpus(X)
    train_s = time.perf_counter() - t0
    theta = infer_theta(model, corpus, seed=p["seed"], chunksize=p["chunksize"])
    tm = TopicModel(
        model=model, vocab=dtm.vocab, docs=dtm.docs, theta=theta,
        term_frequency=np.asarray(X.sum(axis=0)).ravel().astype(np.int64),
        doc_lengths=np.asarray(X.sum(axis=1)).ravel().astype(np.int64),
        params=params,
        info={"cached": False, "train_seconds": train_s, "theta_seconds": time.perf_counter() - t0 - train_s},
    )
    if target is not None:
        try:
            _save(tm, target)
        except TopicError as e:
            warnings.warn(f"the topic model was trained but not cached: {e}", WorkbenchWarning, stacklevel=2)
            tm.info["cache_error"] = str(e)
        else:
            tm.info["path"] = str(target)
    return tm


# ---------------------------------------------------------------------------
# phrases
# ---------------------------------------------------------------------------


def _settings_from_meta(meta: dict):
    from ..text import TextSettings

    if not meta.get("store") or meta.get("text_settings") is None:
        raise TopicError("this matrix does not record its corpus store and text settings; build it "
                         "with workbench.analysis.corpus_matrix(store, ...)")
    return TextSettings.from_dict(meta["text_settings"])


def _iter_doc_tokens(dtm: DocumentTermMatrix, rows: np.ndarray | None = None,
                     batch_size: int = 5000) -> Iterator[list[list[str]]]:
    """Stream the cached token lists of the matrix' documents (all, or ``rows``), in row order.

    Yields batches of token lists; with ``rows``, batches are in storage order and the caller
    reorders. Raises if a document of the matrix is not in the store's token cache.
    """
    from ..analysis import token_cache_path
    from ..text import iter_tokens

    settings = _settings_from_meta(dtm.meta)
    path = token_cache_path(dtm.meta["store"], settings, cache_dir=dtm.meta.get("cache_dir"))
    ids = dtm.docs["id"].astype(str).to_numpy()
    want = set(ids if rows is None else ids[rows])
    for bid, btoks in iter_tokens(path, batch_size=batch_size):
        keep = [(i, t) for i, t in zip(bid, btoks) if i in want]
        if keep:
            yield keep


def document_texts(dtm: DocumentTermMatrix, rows: Sequence[int] | np.ndarray | None = None) -> list[list[str]]:
    """Token lists of documents of ``dtm`` (for coherence), from the store's token cache.

    Tokens keep their order (coherence counts co-occurrence in sliding windows). If the matrix was
    built by :func:`phrase_matrix`, adjacent tokens forming a phrase of the vocabulary are joined
    (left to right) as gensim ``Phrases`` does. A matrix without a store (built by hand) falls back
    to each document's terms repeated by their counts (order lost).
    """
    rows_arr = np.arange(dtm.n_docs) if rows is None else np.asarray(rows, dtype=np.int64)
    meta = dtm.meta or {}
    if not meta.get("store"):
        X = dtm.X.tocsr()
        voc = dtm.vocab.to_numpy()
        out = []
        for r in rows_arr:
            s, e = X.indptr[r], X.indptr[r + 1]
            out.append([str(t) for t, c in zip(voc[X.indices[s:e]], X.data[s:e]) for _ in range(int(c))])
        return out
    ids = dtm.docs["id"].astype(str).to_numpy()
    pos = {i: n for n, i in enumerate(ids[rows_arr])}
    found: dict[int, list[str]] = {}
    joiner = None
    if meta.get("phrases"):
        bigrams = {t for t in dtm.vocab if " " in str(t)}
        joiner = bigrams
    for batch in _iter_doc_tokens(dtm, rows_arr):
        for i, toks in batch:
            if joiner is not None:
                toks = _join_phrases(toks, joiner)
            found[pos[i]] = toks
    if len(found) != len(rows_arr):
        raise TopicError(f"{len(rows_arr) - len(found)} documents of the matrix are not in the token "
                         "cache of its store; rebuild the matrix with corpus_matrix()")
    return [found[n] for n in range(len(rows_arr))]


def _join_phrases(tokens: list[str], bigrams: set[str]) -> list[str]:
    out, i, n = [], 0, len(tokens)
    while i < n:
        if i + 1 < n:
            pair = tokens[i] + " " + tokens[i + 1]
            if pair in bigrams:
                out.append(pair)
                i += 2
                continue
        out.append(tokens[i])
        i += 1
    return out


def phrase_matrix(
    dtm: DocumentTermMatrix,
    *,
    min_count: int = 5,
    threshold: float = 0.5,
    scoring: str = "npmi",
    max_vocab_size: int = 40_000_000,
) -> DocumentTermMatrix:
    """The matrix of the same documents with frequent two-word phrases joined into one term.

    gensim ``Phrases`` (Mikolov et al. 2013; with ``scoring="npmi"`` the normalised PMI of Bouma
    2009, threshold in (-1, 1]) is trained on the store's cached token stream of the matrix'
    documents, frozen, and applied to a second pass of the stream; joined pairs are written with a
    space (``"قوات النظام"``), like the matrix' bigrams. The matrix' frequency filters
    (``min_count``/``min_df``/``max_df`` in ``dtm.meta``) are applied again. Memory holds the
    phrase counts and the new sparse matrix, not the corpus.
    """
    from gensim.models.phrases import Phrases

    if (dtm.meta or {}).get("ngrams", [1]) != [1]:
        raise TopicError(f"phrase_matrix needs a unigram matrix (ngrams=1), not ngrams={dtm.meta.get('ngrams')}")
    if scoring not in ("npmi", "default"):
        raise TopicError(f"scoring must be 'npmi' or 'default' (got {scoring!r})")
    if scoring == "npmi" and not -1 < threshold <= 1:
        raise TopicError(f"with scoring='npmi' the threshold must be in (-1, 1] (got {threshold})")
    ids = dtm.docs["id"].astype(str).tolist()

    def stream():
        for batch in _iter_doc_tokens(dtm):
            for _i, toks in batch:
                yield toks

    phrases = Phrases(stream(), min_count=min_count, threshold=threshold, scoring=scoring,
                      delimiter=" ", max_vocab_size=max_vocab_size).freeze()
    seen: list[str] = []

    def batches():
        for batch in _iter_doc_tokens(dtm):
            seen.extend(i for i, _ in batch)
            yield [phrases[toks] for _i, toks in batch]

    meta = dtm.meta
    out = build_matrix(batches(), dtm.docs, ngrams=1, min_count=meta.get("min_count", 1),
                       min_df=meta.get("min_df", 1), max_df=meta.get("max_df", 1.0))
    if seen != ids:
        raise TopicError("the token cache does not hold the matrix' documents in the same order; "
                         "rebuild the matrix with corpus_matrix()")
    out.meta.update({key: v for key, v in meta.items() if key not in out.meta})
    out.meta["phrases"] = {"min_count": int(min_count), "threshold": float(threshold), "scoring": scoring,
                           "n_phrases": int(sum(" " in str(t) for t in out.vocab))}
    return out


# ---------------------------------------------------------------------------
# labels: relevance, typical documents, names
# ---------------------------------------------------------------------------


def _check_lam(lam: float) -> float:
    if not 0.0 <= float(lam) <= 1.0:
        raise TopicError(f"lambda (relevance weight) must be between 0 and 1 (got {lam})")
    return float(lam)


def relevance(tm: TopicModel, lam: float = 0.6) -> np.ndarray:
    """Relevance of every term to every topic (K × V; Sievert & Shirley 2014).

    ``λ·log φ_kw + (1 − λ)·log(φ_kw / p_w)`` with ``p_w`` the term's share of the tokens of the
    matrix. Terms that never occur (``p_w = 0``) get −inf.
    """
    lam = _check_lam(lam)
    phi = tm.phi
    tf = tm.term_frequency.astype(np.float64)
    pw = tf / tf.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        logphi = np.log(phi)
        if lam == 1.0:
            return logphi
        lift = logphi - np.log(pw)[None, :]
        out = lam * logphi + (1.0 - lam) * lift
    return np.where(np.isnan(out), -np.inf, out)


def topic_terms(tm: TopicModel, n: int = 10, lam: float = 0.6) -> pd.DataFrame:
    """Top ``n`` terms of each topic by relevance (λ = ``lam``), tidy.

    Columns: ``topic, rank, term, relevance, probability`` (φ_kw), ``lift`` (φ_kw / p_w).
    Ties are broken by term, so the order is deterministic.
    """
    if int(n) != n or n < 1:
        raise TopicError(f"n must be a positive integer (got {n!r})")
    n = min(int(n), len(tm.vocab))
    rel = relevance(tm, lam)
    phi = tm.phi
    tf = tm.term_frequency.astype(np.float64)
    pw = tf / tf.sum()
    terms = tm.vocab.to_numpy().astype(str)
    rows = []
    for t in range(tm.k):
        # partial sort, then a stable ordering (relevance desc, term asc) of the candidates
        cand = np.argpartition(-rel[t], min(n, len(terms) - 1))[: n + 20] if len(terms) > n + 20 else np.arange(len(terms))
        order = cand[np.lexsort((terms[cand], -rel[t][cand]))][:n]
        for r, j in enumerate(order, 1):
            rows.append((t, r, terms[j], rel[t, j], phi[t, j], phi[t, j] / pw[j] if pw[j] > 0 else np.inf))
    df = pd.DataFrame(rows, columns=["topic", "rank", "term", "relevance", "probability", "lift"])
    df.attrs = {"lambda": float(lam), "n": n}
    return df


def typical_documents(tm: TopicModel, n: int = 5, columns: Sequence[str] = ("id", "title", "outlet", "camp", "date")
                      ) -> pd.DataFrame:
    """The ``n`` documents with the highest θ for each topic (ties by position), tidy.

    Columns: ``topic, rank, theta`` and the requested document columns that exist.
    """
    if int(n) != n or n < 1:
        raise TopicError(f"n must be a positive integer (got {n!r})")
    cols = [c for c in columns if c in tm.docs.columns]
    parts = []
    for t in range(tm.k):
        order = np.lexsort((np.arange(tm.theta.shape[0]), -tm.theta[:, t]))[: int(n)]
        part = tm.docs.iloc[order][cols].reset_index(drop=True)
        part.insert(0, "theta", tm.theta[order, t])
        part.insert(0, "rank", np.arange(1, len(order) + 1))
        part.insert(0, "topic", t)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def topic_labels(tm: TopicModel, names: Mapping[int, str] | None = None, *, n_terms: int = 3,
                 lam: float = 0.6, sep: str = "، ", max_chars: int | None = 40) -> dict[int, str]:
    """A short label per topic: its name from ``names`` if given, else ``"<id>: top terms"``.

    For display (figures, captions): each term is shortened to ``max_chars`` characters and a name
    to 60 (:func:`workbench.display.shorten`; ``max_chars=None``: both kept whole), so one
    megabyte-long token cannot make a label megabytes long.
    """
    from ..display import LABEL_CHARS, shorten

    names = dict(names or {})
    top = topic_terms(tm, n_terms, lam)
    out = {}
    for t, g in top.groupby("topic", sort=True):
        name, terms = names.get(int(t)), list(g["term"])
        if max_chars:
            name = shorten(name, LABEL_CHARS) if name else name
            terms = [shorten(term, max_chars) for term in terms]
        out[int(t)] = name or f"{int(t)}: " + sep.join(terms)
    return out


def topic_table(tm: TopicModel, n_terms: int = 10, lam: float = 0.6, *,
                names: Mapping[int, str] | None = None, n_titles: int = 3,
                sep: str = "، ") -> pd.DataFrame:
    """One row per topic: ``topic, name, prevalence`` (share of tokens), ``terms`` (top ``n_terms``
    by relevance, joined with ``sep``) and ``titles`` (the ``n_titles`` most typical articles'
    titles, joined with " | "). Sorted by topic id."""
    names = dict(names or {})
    top = topic_terms(tm, n_terms, lam)
    terms = top.groupby("topic", sort=True)["term"].agg(sep.join)
    prev = tm.prevalence()
    rows = {"topic": list(range(tm.k)), "name": [names.get(t, "") for t in range(tm.k)],
            "prevalence": prev.to_numpy(), "terms": [terms.get(t, "") for t in range(tm.k)]}
    if n_titles and "title" in tm.docs.columns:
        typ = typical_documents(tm, n_titles, columns=("title",))
        titles = typ.groupby("topic", sort=True)["title"].agg(lambda s: " | ".join(map(str, s)))
        rows["titles"] = [titles.get(t, "") for t in range(tm.k)]
    df = pd.DataFrame(rows)
    df.attrs = {"lambda": float(lam), "n_terms": int(n_terms)}
    return df


def load_topic_names(path: str | os.PathLike) -> dict[int, str]:
    """Read ``{topic_id: "name"}`` from a YAML file; empty names are skipped; a missing file gives {}."""
    import yaml

    path = Path(path)
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise TopicError(f"{path}: not valid YAML ({exc}); the file should map topic ids to names, "
                         'e.g. 3: "الانتخابات المحلية"') from None
    if not isinstance(data, dict):
        raise TopicError(f"{path}: expected a mapping of topic ids to names, e.g. 3: \"elections\"")
    out = {}
    for key, val in data.items():
        try:
            t = int(key)
        except (TypeError, ValueError):
            raise TopicError(f"{path}: topic id {key!r} is not an integer") from None
        if val is not None and str(val).strip():
            out[t] = str(val).strip()
    return out


def save_topic_names(names: Mapping[int, str], path: str | os.PathLike) -> Path:
    """Write ``{topic_id: "name"}`` as YAML (UTF-8, sorted by id)."""
    import yaml

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {int(k): str(v) for k, v in sorted(names.items(), key=lambda kv: int(kv[0]))}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def write_topic_names_template(tm: TopicModel, path: str | os.PathLike, *, n_terms: int = 8,
                               lam: float = 0.6, n_titles: int = 2, overwrite: bool = False) -> Path:
    """Write a YAML file with one empty name per topic, its top terms and typical titles as comments.

    Existing names in ``path`` are kept (so re-running after a refit does not lose work) unless
    ``overwrite``. Edit the file, then pass ``load_topic_names(path)`` to the tables and figures.
    """
    path = Path(path)
    old = {} if overwrite else load_topic_names(path)
    table = topic_table(tm, n_terms, lam, n_titles=n_titles)
    lines = [
        "# Topic names: fill in a short name after each topic id (keep the ids).",
        f"# Model: k={tm.k}, seed={tm.params.get('seed')}, cache key {tm.params.get('cache_key')}; "
        f"terms by relevance (lambda={lam}).",
        "# The ids only mean something for this model: refitting with other data or settings changes them.",
        "",
    ]
    for _, row in table.iterrows():
        t = int(row["topic"])
        lines.append(f"# {t}: {row['terms']}")
        for title in str(row.get("titles", "")).split(" | ")[:n_titles]:
            if title:
                lines.append(f"#    {title}")
        name = old.get(t, "")
        lines.append(f"{t}: {json.dumps(name, ensure_ascii=False)}")
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------
# intertopic distance map
# ---------------------------------------------------------------------------


def topic_distances(tm: TopicModel) -> np.ndarray:
    """Jensen–Shannon distances (base 2, in [0, 1]) between the topics' term distributions (K × K)."""
    phi = tm.phi
    K = phi.shape[0]
    D = np.zeros((K, K))
    with np.errstate(divide="ignore", invalid="ignore"):
        logphi = np.where(phi > 0, np.log2(phi), 0.0)
        for i in range(K):
            m = 0.5 * (phi[i][None, :] + phi[i + 1:])
            logm = np.where(m > 0, np.log2(m), 0.0)
            kl_i = np.sum(phi[i] * (logphi[i] - logm), axis=1)
            kl_j = np.sum(phi[i + 1:] * (logphi[i + 1:] - logm), axis=1)
            js = np.clip(0.5 * (kl_i + kl_j), 0.0, 1.0)
            D[i, i + 1:] = D[i + 1:, i] = np.sqrt(js)
    return D


def topic_map(tm: TopicModel, names: Mapping[int, str] | None = None, *, n_terms: int = 3,
              lam: float = 0.6) -> pd.DataFrame:
    """2-D coordinates of the topics for an intertopic distance map (as in LDAvis, static).

    Classical multidimensional scaling (principal coordinates, Gower 1966) of the Jensen–Shannon
    distances (:func:`topic_distances`); axes are signed so that the largest coordinate is positive
    (deterministic). Columns: ``topic, x, y, prevalence`` (share of tokens), ``label``.
    """
    D = topic_distances(tm)
    K = D.shape[0]
    J = np.eye(K) - 1.0 / K
    B = -0.5 * J @ (D ** 2) @ J
    vals, vecs = np.linalg.eigh(B)
    order = np.argsort(vals)[::-1][:2]
    coords = vecs[:, order] * np.sqrt(np.clip(vals[order], 0, None))[None, :]
    for a in range(coords.shape[1]):
        j = np.argmax(np.abs(coords[:, a]))
        if coords[j, a] < 0:
            coords[:, a] = -coords[:, a]
    labels = topic_labels(tm, names, n_terms=n_terms, lam=lam)
    df = pd.DataFrame({"topic": np.arange(K), "x": coords[:, 0], "y": coords[:, 1],
                       "prevalence": tm.prevalence().to_numpy(), "label": [labels[t] for t in range(K)]})
    df.attrs = {"distance": "jensen-shannon (base 2)", "scaling": "classical MDS",
                "explained": (np.clip(vals[order], 0, None) / np.clip(vals, 0, None).sum()).tolist()}
    return df
