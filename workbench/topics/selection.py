"""Choosing the number of topics K: held-out coherence and perplexity over a range of K.

There is no "true" K; the usual practice is to fit a range of K and weigh how interpretable the
topics are against how well the model predicts unseen text:

* **Coherence c_v** (Röder, Both & Hinneburg 2015, "Exploring the Space of Topic Coherence
  Measures", WSDM): for the top words of each topic, NPMI of word pairs counted in sliding windows
  of 110 tokens, compared as context vectors by cosine similarity; the mean over topics, roughly in
  [0, 1], higher = topics whose top words tend to occur together. It agrees best with human
  judgements among the measures Röder et al. tested.
* **Coherence c_npmi**: the mean normalised pointwise mutual information (Bouma 2009,
  "Normalized (Pointwise) Mutual Information in Collocation Extraction", GSCL) of the top-word
  pairs, windows of 10 tokens; in [-1, 1], higher = better.
* **Held-out perplexity**: how surprised the model is by words of documents it was not trained on,
  ``exp(−bound)`` where ``bound`` is gensim's per-word variational lower bound of the held-out
  log-likelihood (Hoffman, Blei & Bach 2010); lower = better. (gensim's own log message prints
  ``2^(−bound)``; the bound is in nats, so we use ``exp``.) Perplexity usually keeps falling as K
  grows, so it is read together with coherence, not alone.
  With the tomotopy backend the held-out log-likelihood is estimated by *document completion*
  (θ inferred from half of each held-out document's words, the other half scored; Asuncion et al.
  2009), see :func:`workbench.topics.gibbs.log_perplexity`.

:func:`select_k` fits each K on a seeded 90 % of the documents and computes both coherences on the
texts of the held-out 10 % (``holdout``), so a topic's top words must co-occur in documents the
model never saw. :func:`default_k_range` proposes the Ks to compare for a corpus of a given size,
and :func:`check_topic_data` says, before anything is fitted, when a selection is too small for a
topic model (a report then shows that sentence instead of topics).
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import time
import uuid
import warnings
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import TopicError, WorkbenchWarning, describe_os_error
from ..matrix import DocumentTermMatrix
from ..stats.phrases import document_texts
from .bow import BowCorpus, gensim_dictionary
from .fit import check_backend, check_k, dtm_fingerprint, fit_topics, model_params
from .labels import topic_terms
from .model import TopicModel

__all__ = ["heldout_split", "coherence", "heldout_perplexity", "select_k", "default_k_range",
           "check_topic_data", "COHERENCE_MEASURES", "MIN_TOPIC_DOCS", "DOCS_PER_TOPIC", "TERMS_PER_TOPIC"]

COHERENCE_MEASURES = ("c_v", "c_npmi", "u_mass", "c_uci")

#: Fewest articles (with at least one counted word) :func:`check_topic_data` accepts for a topic model.
MIN_TOPIC_DOCS = 50
#: Fewest articles per topic of the largest K (so K = 10 needs 50 articles, K = 30 needs 150).
DOCS_PER_TOPIC = 5
#: Fewest distinct terms per topic of the largest K (each topic is read through its top 10 words).
TERMS_PER_TOPIC = 10


#: Most training documents each K of :func:`select_k` is fitted on (a seeded sample beyond).
SELECT_TRAIN = 20_000
#: Most held-out documents :func:`select_k` scores coherence and perplexity on.
SELECT_HELDOUT = 5_000


def default_k_range(n_docs: int) -> list[int]:
    """The numbers of topics K to compare for a corpus of ``n_docs`` articles.

    Examples: 100 articles → [2, 3, 4, 5]; 300 → [4, 6, 8, 10]; 1,000 → [6, 9, 12, 15];
    3,000 → [5, 10, 15, 20]; 31,214 (egypt2013-dev) → [10, 15, 20, 25, 30];
    100,000 → [10, 20, 30, 40]; 1,000,000 → [20, 30, 40, 50].

    Rule: the largest K grows by 10 for every tenfold increase in articles,
    ``u = 10·log10(n_docs) − 15`` (so 300 → 10, 3,000 → 20, 30,000 → 30), at least 3; the step is
    the smallest of 1, 2, 3, 5, 10, 20 with ``u / step ≤ 6.5``; the largest K is ``u`` rounded to
    that step, and the range runs down to about a quarter of it (never below 2): three to six Ks.

    Why. There is no correct K (see the module docstring), but its useful size depends on the
    corpus: on a few hundred articles a large K splits the same event into several topics and
    leaves topics that hardly any text is assigned to (the bundled 300-article demo gives
    near-empty topics at K = 25), while tens of thousands of articles carry more distinct subjects.
    The growth is logarithmic, as in common practice: the stm manual (Roberts, Stewart & Tingley,
    ``?stm``, argument ``K``) suggests 5–50 topics for a few hundred to a few thousand documents and
    60–100 for 10,000–100,000. We stay at the low end because a report draws every topic in its
    figures and compares two camps' agendas, which needs topics a reader can tell apart; pass
    ``k_range`` yourself to look further.
    """
    if isinstance(n_docs, bool) or int(n_docs) != n_docs or n_docs < 0:
        raise TopicError(f"n_docs must be a non-negative integer (got {n_docs!r})")
    u = max(10.0 * np.log10(max(int(n_docs), 1)) - 15.0, 3.0)
    step = next(s for s in (1, 2, 3, 5, 10, 20) if u / s <= 6.5 or s == 20)
    upper = max(int(np.floor(u / step + 0.5)) * step, 3)
    lower = max(2, int(np.ceil(upper / 4 / step)) * step)
    return list(range(lower, upper + 1, step))


def check_topic_data(dtm: DocumentTermMatrix, ks: Iterable[int] = ()) -> str | None:
    """Why a topic model of ``dtm`` with the numbers of topics ``ks`` should not be fitted, or None.

    Returns one sentence with the counts and the minimums, for a report to show instead of topics
    (a date window or a filter can leave too little text), when:

    * fewer than :data:`MIN_TOPIC_DOCS` (50) articles have a word in the matrix: a topic model of
      a few dozen articles only restates them (read them, or compare words with keyness);
    * fewer than :data:`DOCS_PER_TOPIC` (5) articles per topic of the largest K: most topics would
      be near-empty;
    * fewer than :data:`TERMS_PER_TOPIC` (10) terms per topic of the largest K: the frequency
      filters left too small a vocabulary for topics to differ.

    Without ``ks``, K = 2 is assumed.

    It raises nothing for a small selection; invalid Ks still raise :class:`TopicError`.
    """
    if not isinstance(dtm, DocumentTermMatrix):
        raise TopicError(f"expected a DocumentTermMatrix (workbench.analysis.corpus_matrix), got {type(dtm).__name__}")
    ks = sorted({check_k(k) for k in ks})
    k_max = ks[-1] if ks else 2
    X = dtm.X.tocsr() if hasattr(dtm.X, "tocsr") else dtm.X
    n_docs = int(np.count_nonzero(np.diff(X.indptr))) if dtm.n_docs else 0
    n_terms = int(dtm.n_terms)
    need_docs = max(MIN_TOPIC_DOCS, DOCS_PER_TOPIC * k_max)
    if n_docs < need_docs:
        why = (f"a topic model needs at least {MIN_TOPIC_DOCS}" if need_docs == MIN_TOPIC_DOCS else
               f"a topic model with K = {k_max} needs at least {need_docs:,} ({DOCS_PER_TOPIC} per topic)")
        return (f"only {n_docs:,} article(s) with counted words in this selection; {why}: widen the dates or "
                "filters" + (", or lower k / k_range" if need_docs > MIN_TOPIC_DOCS else ""))
    need_terms = TERMS_PER_TOPIC * k_max
    if n_terms < need_terms:
        return (f"only {n_terms:,} distinct term(s) pass the frequency filters in this selection; a topic "
                f"model with K = {k_max} needs at least {need_terms:,} ({TERMS_PER_TOPIC} per topic): widen "
                "the selection, relax min_df / max_df, or lower k / k_range")
    return None


def heldout_split(n_docs: int, holdout: float = 0.1, seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """Seeded split of ``range(n_docs)`` into (train, held-out) row positions, each sorted.

    ``holdout`` is the share held out, in [0, 0.5]; 0 gives an empty held-out set.
    """
    if not 0.0 <= float(holdout) <= 0.5:
        raise TopicError(f"holdout must be a share between 0 and 0.5 (got {holdout})")
    n_hold = int(round(float(holdout) * n_docs))
    if holdout > 0 and n_hold < 1:
        raise TopicError(f"holdout={holdout} of {n_docs} documents holds out no document; raise holdout or use 0")
    perm = np.random.default_rng(int(seed)).permutation(n_docs)
    return np.sort(perm[n_hold:]), np.sort(perm[:n_hold])


def _subset(dtm: DocumentTermMatrix, rows: np.ndarray) -> DocumentTermMatrix:
    meta = {**dtm.meta, "rows_of": dtm.meta.get("rows_of") or "subset", "n_rows_parent": dtm.n_docs}
    return DocumentTermMatrix(dtm.X[rows].tocsr(), dtm.vocab, dtm.docs.iloc[rows].reset_index(drop=True), meta,
                              tokens=dtm.tokens)


def coherence(tm: TopicModel, texts: Sequence[Sequence[str]], measure: str = "c_v", *, topn: int = 10,
              lam: float = 1.0, per_topic: bool = False, processes: int = 1):
    """Coherence of the topics' top ``topn`` terms on ``texts`` (gensim ``CoherenceModel``).

    ``measure``: ``"c_v"`` (Röder et al. 2015) or ``"c_npmi"`` (Bouma 2009; also ``"u_mass"``,
    ``"c_uci"``). Top terms are ranked by relevance with weight ``lam`` (1.0 = by probability, as
    coherence is usually reported). Returns the mean over topics, or one value per topic with
    ``per_topic=True``.
    """
    from gensim.models.coherencemodel import CoherenceModel

    if measure not in COHERENCE_MEASURES:
        raise TopicError(f"unknown coherence measure {measure!r}; use one of {', '.join(COHERENCE_MEASURES)}")
    if not len(texts):
        raise TopicError("coherence needs at least one text (the held-out set is empty: use holdout > 0)")
    top = topic_terms(tm, topn, lam)
    topics = [list(g["term"]) for _, g in top.groupby("topic", sort=True)]
    cm = CoherenceModel(topics=topics, texts=[list(t) for t in texts], dictionary=gensim_dictionary(tm.vocab),
                        coherence=measure, topn=topn, processes=processes)
    with np.errstate(divide="ignore", invalid="ignore"):
        vals = np.asarray(cm.get_coherence_per_topic(), dtype=np.float64)
    # a topic whose top words do not occur in the texts has no defined coherence (NaN, not ±inf)
    vals = np.where(np.isfinite(vals), vals, np.nan)
    if per_topic:
        return vals
    return float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")


def heldout_perplexity(tm: TopicModel, X, rows: Sequence[int] | np.ndarray | None = None, *,
                       seed: int = 0) -> tuple[float, float]:
    """(per-word bound, perplexity) of the documents ``rows`` of ``X`` under the model.

    The bound is gensim's ``log_perplexity`` (per-word variational lower bound of the log-likelihood,
    in nats; Hoffman et al. 2010); perplexity = ``exp(−bound)``. The random start of inference is
    seeded, so the numbers are reproducible. For a tomotopy model, the per-word log-likelihood of
    one half of each document given θ inferred from the other half (document completion,
    :func:`workbench.topics.gibbs.log_perplexity`): compare perplexities within one backend, not
    across.
    """
    corpus = BowCorpus(X, rows)
    if len(corpus) == 0:
        raise TopicError("no held-out documents to compute perplexity on (use holdout > 0)")
    if tm.backend == "tomotopy":
        from . import gibbs

        bound = gibbs.log_perplexity(tm.model, corpus.X, corpus.rows if corpus.rows is not None else
                                     np.arange(corpus.X.shape[0]), tm.vocab, tm.params, seed=seed)
        return bound, float(np.exp(-bound))
    from gensim.utils import get_random_state

    model = tm.model
    model.random_state = get_random_state(int(seed))
    # log_perplexity on the whole held-out set as one chunk scales the bound like gensim does
    chunk = list(corpus)
    bound = float(model.log_perplexity(chunk, total_docs=len(chunk)))
    return bound, float(np.exp(-bound))


def select_k(
    dtm: DocumentTermMatrix,
    k_range: Iterable[int],
    *,
    seed: int = 42,
    holdout: float = 0.1,
    measures: Sequence[str] = ("c_v", "c_npmi"),
    topn: int = 10,
    texts: Sequence[Sequence[str]] | None = None,
    coherence_on: str = "auto",
    min_heldout: int = 500,
    cache_dir: str | os.PathLike | None = None,
    workers: int | None = None,
    max_train: int | None = SELECT_TRAIN,
    max_heldout: int | None = SELECT_HELDOUT,
    **lda_params,
) -> pd.DataFrame:
    """Fit one LDA model per K and report held-out coherence and perplexity, tidy.

    Each model is :func:`~workbench.topics.fit.fit_topics` (same ``seed`` and ``lda_params``) on
    the training rows of :func:`heldout_split` (``holdout`` share held out, seeded by ``seed``);
    coherence (``measures``, top ``topn`` terms by probability) is computed on the held-out
    documents' token lists (:func:`~workbench.stats.phrases.document_texts`, or ``texts``: one token
    list per coherence document) and perplexity on their counts.

    ``coherence_on``: ``"heldout"``; ``"all"`` (every document — on a small corpus a held-out set
    is too small for the top words of every topic to occur in it, and their coherence would be
    undefined); ``"auto"`` (default): held-out if it has at least ``min_heldout`` documents, else
    all. Perplexity is always on the held-out documents (on the training ones if ``holdout=0``).
    Topics whose top words do not occur in the texts are left out of the mean coherence.

    Returns one row per K: ``k, c_v, c_npmi`` (the requested measures), ``log_perplexity`` (per-word
    bound), ``perplexity``, ``n_train, n_heldout, coherence_on, seconds, cached``. ``attrs`` hold the seed, holdout and
    the LDA parameters (``lda_params`` go to :func:`fit_topics`: ``backend``, ``passes``, ...).

    Caching. With ``cache_dir``, models are cached like :func:`fit_topics`, and each K's row is
    kept too (``scores-k<K>-<key>.json``), under a key of everything it depends on: the model's cache
    key (matrix content, seed, backend, every hyper-parameter, versions), the whole matrix'
    fingerprint, ``holdout``, ``coherence_on``, ``measures``, ``topn`` and ``texts``. A later call
    with the same inputs reads the rows (``cached`` True, ``seconds`` as first measured) and fits,
    loads and tokenises nothing.

    ``workers``: processes fitting Ks side by side (default: one per core, at most one per K; one
    for tomotopy, which trains on several threads); the result is the same for any number of workers.

    Large corpora. Each K is fitted on at most ``max_train`` training documents (default
    :data:`SELECT_TRAIN`, 20,000; a seeded sample of the training rows) and scored on at most
    ``max_heldout`` held-out documents (default :data:`SELECT_HELDOUT`, 5,000; a seeded sample),
    so choosing K costs the same for 100,000 articles as for 25,000: on a 125,000-article corpus,
    fitting four Ks on all 112,000 training articles and scoring them on 12,500 took longer than the
    10 minutes a whole report may take. The table compares the Ks with one another; the model the
    report then shows is fitted by :func:`~workbench.topics.fit.fit_topics` on its own sample
    (``train_sample``). ``None`` lifts a cap; ``n_train`` and ``n_heldout`` say what was used.
    """
    ks = sorted({check_k(k) for k in k_range})
    if not ks:
        raise TopicError("k_range is empty; give the numbers of topics to compare, e.g. range(5, 31, 5)")
    for m in measures:
        if m not in COHERENCE_MEASURES:
            raise TopicError(f"unknown coherence measure {m!r}; use one of {', '.join(COHERENCE_MEASURES)}")
    if coherence_on not in ("auto", "heldout", "all"):
        raise TopicError(f"coherence_on must be 'auto', 'heldout' or 'all' (got {coherence_on!r})")
    train, held = heldout_split(dtm.n_docs, holdout, seed)
    rng = np.random.default_rng([int(seed), 2])
    if max_train is not None and len(train) > int(max_train):
        train = np.sort(rng.choice(train, int(max_train), replace=False))
    if max_heldout is not None and len(held) > int(max_heldout):
        held = np.sort(rng.choice(held, int(max_heldout), replace=False))
    if coherence_on == "auto":
        coherence_on = "heldout" if len(held) >= min_heldout else "all"
    if coherence_on == "heldout" and not len(held):
        raise TopicError("coherence_on='heldout' needs holdout > 0")
    coh_rows = held if coherence_on == "heldout" else np.arange(dtm.n_docs)
    if texts is not None and len(texts) != len(coh_rows):
        raise TopicError(f"texts has {len(texts)} token lists but coherence is computed on {len(coh_rows)} "
                         f"documents (coherence_on={coherence_on!r})")
    perp_rows = held if len(held) else train
    sub = _subset(dtm, train) if len(held) else dtm
    backend = check_backend(lda_params.get("backend"))
    lda_params = {**lda_params, "backend": backend}
    # what each K's scores depend on: the model's cache key (matrix, seed, backend, every
    # hyper-parameter, versions) and how they are measured (on which documents, which texts)
    how = {"scores_version": SCORES_VERSION, "dtm": dtm_fingerprint(dtm), "holdout": float(holdout),
           "coherence_on": coherence_on, "measures": list(measures), "topn": int(topn),
           "texts": _texts_fingerprint(texts) if texts is not None else None,
           "max_train": max_train, "max_heldout": max_heldout}
    plans = {}
    for k in ks:
        mparams = model_params(sub, k, seed=seed, **lda_params)
        key = hashlib.sha256(json.dumps({**how, "model": mparams["cache_key"]}, sort_keys=True).encode()).hexdigest()[:24]
        plans[k] = (mparams, key)
    done = {k: r for k in ks if (r := _cached_scores(cache_dir, k, plans[k][1])) is not None}
    todo = [k for k in ks if k not in done]
    if todo:
        if texts is None:
            texts = document_texts(dtm, coh_rows)
        global _JOB
        _JOB = (sub, texts, dtm.X, perp_rows, len(held), coherence_on, tuple(measures), topn, seed, cache_dir,
                lda_params)
        if workers is None:  # tomotopy trains on several threads already: one K at a time
            n_proc = 1 if backend == "tomotopy" else min(len(todo), os.cpu_count() or 1)
        else:
            n_proc = max(1, min(int(workers), len(todo)))
        try:
            if n_proc > 1 and "fork" in mp.get_all_start_methods():
                # One K per process: each model is the same seeded model as in serial, so the
                # table does not depend on the number of workers (only on the inputs).
                with mp.get_context("fork").Pool(n_proc) as pool:
                    results = pool.map(_fit_one_k, todo, chunksize=1)
            else:
                results = [_fit_one_k(k) for k in todo]
        finally:
            _JOB = None
        for k, (row, _) in zip(todo, results):
            done[k] = row
            _store_scores(cache_dir, k, plans[k][1], row)
    df = pd.DataFrame([done[k] for k in ks])
    params = plans[ks[-1]][0]
    df.attrs = {"seed": int(seed), "holdout": float(holdout), "topn": int(topn), "measures": list(measures),
                "lda_params": {k: v for k, v in params.items() if k not in ("k", "cache_key")}}
    return df


#: Bump when a change here changes the scores of select_k for the same inputs (invalidates them).
SCORES_VERSION = "3"


def _texts_fingerprint(texts) -> str:
    h = hashlib.sha256(b"workbench.texts.v1\n")
    for t in texts:
        h.update("\x1f".join(map(str, t)).encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()


def _scores_path(cache_dir, k: int, key: str) -> Path:
    return Path(cache_dir) / f"scores-k{k}-{key}.json"


def _cached_scores(cache_dir, k: int, key: str) -> dict | None:
    """The stored row of K (``cached=True``), or None. A plain JSON file of numbers: read, never
    executed; one that does not parse or is for another key is ignored (and later replaced)."""
    if cache_dir is None:
        return None
    path = _scores_path(cache_dir, k, key)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != key or not isinstance(stored.get("row"), dict) \
            or stored["row"].get("k") != k:
        return None
    return {**stored["row"], "cached": True}


def _store_scores(cache_dir, k: int, key: str, row: dict) -> None:
    if cache_dir is None:
        return
    path = _scores_path(cache_dir, k, key)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"key": key, "row": row}, default=float), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        warnings.warn(f"the K-selection scores were computed but not cached ({describe_os_error(e, path.parent, 'cache them')})",
                      WorkbenchWarning, stacklevel=3)


_JOB = None  # inputs of select_k's per-K fits, inherited by forked workers (not pickled)


def _fit_one_k(k: int) -> tuple[dict, dict]:
    sub, texts, X, perp_rows, n_held, coherence_on, measures, topn, seed, cache_dir, lda_params = _JOB
    t0 = time.perf_counter()
    tm = fit_topics(sub, k, seed=seed, cache_dir=cache_dir, **lda_params)
    row = {"k": k}
    for m in measures:
        row[m] = coherence(tm, texts, m, topn=topn)
    bound, perp = heldout_perplexity(tm, X, perp_rows, seed=seed)
    row.update({"log_perplexity": bound, "perplexity": perp, "n_train": int(sub.n_docs),
                "n_heldout": int(n_held), "coherence_on": coherence_on,
                "seconds": time.perf_counter() - t0,
                "cached": bool(tm.info.get("cached"))})
    return row, dict(tm.params)
