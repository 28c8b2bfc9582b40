"""Collocations as terms: two-word phrases joined into one term of a document-term matrix.

:func:`phrase_matrix` finds frequent two-word phrases with gensim ``Phrases`` and rebuilds the
matrix with each phrase as one term (``"قوات النظام"``). A pair ``a b`` is joined when its score
exceeds ``threshold``. The default scorer (``scoring="npmi"``) is normalised pointwise mutual
information (Bouma 2009, "Normalized (Pointwise) Mutual Information in Collocation Extraction",
GSCL): ``ln(p(ab) / (p(a)·p(b))) / −ln p(ab)``, in [-1, 1], with probabilities relative to the
number of tokens and pairs rarer than ``min_count`` scored −inf. ``scoring="default"`` is the
score of Mikolov et al. 2013 ("Distributed Representations of Words and Phrases and their
Compositionality", NIPS 26): ``(count(ab) − min_count) / (count(a)·count(b)) · |V|``.

Phrases are adjacent tokens, so this module reads the ordered token stream the matrix was counted
from (``dtm.tokens``, :class:`workbench.tokens.TokenStream`; a matrix only has counts). :func:`document_texts` gives those ordered token
lists too, with the matrix' phrases joined again, as the coherence measures of
:mod:`workbench.topics.selection` need them. Memory holds the phrase counts and one batch of
documents, not the corpus.
"""
from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

from ..errors import TopicError
from ..matrix import DocumentTermMatrix, build_matrix

__all__ = ["phrase_matrix", "document_texts"]


def _token_stream(dtm: DocumentTermMatrix):
    """The ordered token stream of the matrix' documents: the one it was counted from
    (:meth:`workbench.analysis.Analysis.matrix` hands it over), else the one of the analysis its
    ``meta`` records (a matrix saved and loaded again)."""
    if dtm.tokens is not None:
        return dtm.tokens
    meta = dtm.meta or {}
    if not meta.get("store") or meta.get("text_settings") is None:
        raise TopicError("this matrix has no token stream (it was not counted from a corpus); "
                         "build it with workbench.analysis.Analysis(store).matrix()")
    from ..analysis import Analysis

    return Analysis(meta["store"], meta["text_settings"], cache_dir=meta.get("cache_dir")).tokens()


def _iter_doc_tokens(dtm: DocumentTermMatrix, rows: np.ndarray | None = None,
                     batch_size: int = 5000) -> Iterator[list[tuple[str, list[str]]]]:
    """Batches of ``(id, tokens)`` of the matrix' documents (all, or ``rows``), in storage order
    (the caller reorders)."""
    ids = dtm.docs["id"].astype(str).to_numpy()
    yield from _token_stream(dtm).batches(ids if rows is None else ids[rows], batch_size=batch_size)


def document_texts(dtm: DocumentTermMatrix, rows: Sequence[int] | np.ndarray | None = None) -> list[list[str]]:
    """Token lists of documents of ``dtm`` (for coherence), from the store's token cache.

    Tokens keep their order (coherence counts co-occurrence in sliding windows). If the matrix was
    built by :func:`phrase_matrix`, adjacent tokens forming a phrase of the vocabulary are joined
    (left to right) as gensim ``Phrases`` does. A matrix without a store (built by hand) falls back
    to each document's terms repeated by their counts (order lost).
    """
    rows_arr = np.arange(dtm.n_docs) if rows is None else np.asarray(rows, dtype=np.int64)
    meta = dtm.meta or {}
    if dtm.tokens is None and not meta.get("store"):
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
    out.tokens = dtm.tokens
    out.meta["phrases"] = {"min_count": int(min_count), "threshold": float(threshold), "scoring": scoring,
                           "n_phrases": int(sum(" " in str(t) for t in out.vocab))}
    return out
