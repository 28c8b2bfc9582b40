"""The bag-of-words stream of a document-term matrix, as gensim reads it.

The stream comes straight from the rows of a :class:`~workbench.matrix.DocumentTermMatrix`
(:class:`BowCorpus`), so a topic model uses exactly the text settings, stop words and frequency
filters of the matrix it is given — build it with :func:`workbench.analysis.corpus_matrix`
(e.g. ``min_df=5, max_df=0.5`` on a real corpus), or with :func:`workbench.stats.phrases.phrase_matrix`
to add two-word phrases found by gensim ``Phrases``. Nothing is densified or copied: memory holds one
chunk of documents (:func:`chunks`), never the whole corpus in gensim's own format.
"""
from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["BowCorpus", "chunks", "gensim_dictionary"]


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


def chunks(corpus: BowCorpus, size: int) -> Iterator[list]:
    """The documents of ``corpus`` in lists of ``size`` (the last may be shorter), one list at a time."""
    chunk: list = []
    for doc in corpus:
        chunk.append(doc)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def gensim_dictionary(vocab: pd.Index):
    """A gensim ``Dictionary`` whose ids are the matrix' column positions."""
    from gensim.corpora import Dictionary

    d = Dictionary()
    d.token2id = {str(t): i for i, t in enumerate(vocab)}
    d.id2token = {i: t for t, i in d.token2id.items()}
    return d
