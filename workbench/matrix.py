"""Document-term matrix: counts of each term in each document, and grouping of documents.

The equivalent of quanteda's ``dfm()``, ``dfm_trim()`` and ``dfm_group()`` (Benoit et al. 2018,
"quanteda: An R package for the quantitative analysis of textual data", JOSS 3(30)). A
:class:`DocumentTermMatrix` holds a ``scipy.sparse.csr_matrix`` (documents × terms, int64 counts),
the vocabulary as a ``pandas.Index`` and the documents' metadata as a ``pandas.DataFrame`` whose
rows align with the matrix rows.

The matrix is built from a *stream* of token batches (see :mod:`workbench.text.cache`), so memory
holds the sparse counts, never the corpus' text or all its tokens at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from .errors import MatrixError
from .progress import progress_bar


@dataclass
class DocumentTermMatrix:
    """Sparse counts (``X``: docs × terms), the vocabulary, and one metadata row per document."""

    X: sp.csr_matrix
    vocab: pd.Index
    docs: pd.DataFrame
    meta: dict = field(default_factory=dict)
    #: The ordered token stream of these documents (:class:`workbench.tokens.TokenStream`), when the
    #: matrix was counted from a corpus: coherence and phrases read token order from it.
    tokens: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.X.shape != (len(self.docs), len(self.vocab)):
            raise MatrixError(
                f"matrix shape {self.X.shape} does not match {len(self.docs)} documents × {len(self.vocab)} terms"
            )

    @property
    def n_docs(self) -> int:
        return self.X.shape[0]

    @property
    def n_terms(self) -> int:
        return self.X.shape[1]

    def term_counts(self) -> pd.Series:
        """Total count of each term over all documents."""
        return pd.Series(np.asarray(self.X.sum(axis=0)).ravel(), index=self.vocab, name="count")

    def doc_freq(self) -> pd.Series:
        """Number of documents each term occurs in."""
        return pd.Series(np.bincount(self.X.indices, minlength=self.n_terms), index=self.vocab, name="docs")

    def doc_lengths(self) -> pd.Series:
        """Tokens per document (of the terms kept in the matrix)."""
        return pd.Series(np.asarray(self.X.sum(axis=1)).ravel(), index=self.docs.index, name="tokens")

    def to_frame(self, top: int | None = None) -> pd.DataFrame:
        """Dense DataFrame (documents × terms); only sensible for small matrices or ``top`` terms."""
        cols = np.argsort(-self.term_counts().to_numpy(), kind="stable")[:top] if top else slice(None)
        X = self.X[:, cols].toarray()
        return pd.DataFrame(X, index=self.docs.index, columns=self.vocab[cols])


def _ngrams(tokens: Sequence[str], n: int) -> list[str]:
    if n == 1:
        return list(tokens)
    return [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def build_matrix(
    token_batches: Iterable[Sequence[Sequence[str]]],
    docs: pd.DataFrame,
    *,
    ngrams: int | Sequence[int] = 1,
    min_count: int = 1,
    min_df: int | float = 1,
    max_df: int | float = 1.0,
    scheduler: Any = None,
) -> DocumentTermMatrix:
    """Count terms per document from a stream of token batches (quanteda ``dfm`` + ``dfm_trim``).

    ``token_batches`` yields lists of token lists (or Arrow ``list<string>`` arrays, counted
    without a Python loop over tokens), in the same order as the rows of ``docs``.
    ``ngrams``: 1 (unigrams), 2 (bigrams, joined by a space) or e.g. ``(1, 2)`` for both; n-grams
    are formed over the token stream as tokenised (after stop-word removal), as quanteda's
    ``tokens_ngrams`` does on removed-without-padding tokens.
    ``min_count``: keep terms with at least this many occurrences; ``min_df`` / ``max_df``: keep
    terms in at least / at most this many documents (an int) or this share of documents (a float
    in (0, 1]). Counting shows a progress bar on a terminal (:mod:`workbench.progress`).
    ``scheduler`` (``"local"`` or a Dask scheduler address, see :mod:`workbench.cluster`) counts
    unigram batches on Dask workers (:func:`workbench.cluster.iter_counted_blocks`): the same matrix.
    """
    orders = (ngrams,) if isinstance(ngrams, int) else tuple(ngrams)
    if not orders or any(n not in (1, 2, 3) for n in orders):
        raise MatrixError(f"ngrams must be 1, 2, 3 or a tuple of them (got {ngrams!r})")
    index: dict[str, int] = {}
    get = index.setdefault
    blocks = []
    n_docs = 0
    from .cluster import resolve_scheduler

    scheduler = resolve_scheduler(scheduler)
    with progress_bar(len(docs), desc="counting", unit=" docs") as bar:
        if scheduler is not None and orders == (1,):
            from .cluster import iter_counted_blocks

            arrow = (b if isinstance(b, (pa.Array, pa.ChunkedArray)) else pa.array(b, type=pa.list_(pa.string()))
                     for b in token_batches)
            for local, nz, ind, dat in iter_counted_blocks(arrow, scheduler):
                gid = np.fromiter((get(t, len(index)) for t in local), dtype=np.int64, count=len(local))
                cols = gid[ind]
                blocks.append((nz, cols.astype(np.int32) if len(index) < 2**31 else cols, dat))
                n_docs += len(nz)
                bar.update(len(nz))
            token_batches = ()
        for batch in token_batches:
            if isinstance(batch, pa.Array):
                if orders == (1,):
                    blocks.append(_compact(_arrow_block(batch, index)))
                    n_docs += len(batch)
                    bar.update(len(batch))
                    continue
                batch = batch.to_pylist()
            cols: list[int] = []
            lengths = np.empty(len(batch), dtype=np.int64)
            for i, toks in enumerate(batch):
                start = len(cols)
                for n in orders:
                    cols.extend(get(t, len(index)) for t in _ngrams(toks, n))
                lengths[i] = len(cols) - start
            rows = np.repeat(np.arange(len(batch), dtype=np.int64), lengths)
            c = np.asarray(cols, dtype=np.int64)
            blk = sp.csr_matrix((np.ones(len(c), dtype=np.int64), (rows, c)),
                                shape=(len(batch), max(len(index), 1)))
            blk.sum_duplicates()
            blocks.append(_compact(blk))
            n_docs += len(batch)
            bar.update(len(batch))
    if n_docs != len(docs):
        raise MatrixError(f"the token stream has {n_docs} documents but the metadata has {len(docs)}")
    # Trimmed and ordered before the blocks are stacked (what trim() does to the full matrix), so
    # the untrimmed matrix never exists: the peak is the blocks plus the final matrix.
    lo = _doc_threshold(min_df, n_docs, "min_df")
    hi = _doc_threshold(max_df, n_docs, "max_df")
    n_terms = len(index)
    counts = np.zeros(n_terms, dtype=np.int64)
    dfreq = np.zeros(n_terms, dtype=np.int64)
    for _, ind, dat in blocks:
        counts += np.rint(np.bincount(ind, weights=dat, minlength=n_terms)).astype(np.int64)
        dfreq += np.bincount(ind, minlength=n_terms)
    terms = np.empty(n_terms, dtype=object)
    terms[:] = list(index)
    del index
    idx = _kept_columns(terms, counts, dfreq, min_count, lo, hi)
    X = _stack(blocks, n_terms, idx, n_docs)
    vocab = pd.Index(terms[idx], dtype=object, name="term")
    return DocumentTermMatrix(X, vocab, docs.reset_index(drop=True),
                              {"ngrams": list(orders), "min_count": min_count, "min_df": min_df, "max_df": max_df})


def _kept_columns(terms: np.ndarray, counts: np.ndarray, dfreq: np.ndarray, min_count: int, lo: int,
                  hi: int) -> np.ndarray:
    """Column numbers of the terms within the bounds, by descending count, then alphabetically."""
    idx = np.flatnonzero((counts >= min_count) & (dfreq >= lo) & (dfreq <= hi))
    order = sorted(range(len(idx)), key=lambda i: (-counts[idx[i]], terms[idx[i]]))
    return idx[np.asarray(order, dtype=np.int64)] if len(idx) else idx


def _arrow_block(batch: pa.Array, index: dict[str, int]) -> sp.csr_matrix:
    """Unigram counts of an Arrow ``list<string>`` batch; new terms are added to ``index``.

    Tokens are dictionary-encoded by Arrow, so Python only touches each *distinct* token of the
    batch once (to give it a corpus-wide column number).
    """
    lengths = pc.fill_null(pc.list_value_length(batch), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    enc = pc.dictionary_encode(pc.list_flatten(batch)).combine_chunks() if isinstance(batch, pa.ChunkedArray) \
        else pc.dictionary_encode(pc.list_flatten(batch))
    get = index.setdefault
    local = enc.dictionary.to_pylist()
    gid = np.fromiter((get(t, len(index)) for t in local), dtype=np.int64, count=len(local))
    cols = gid[enc.indices.to_numpy(zero_copy_only=False)]
    rows = np.repeat(np.arange(len(batch), dtype=np.int64), lengths)
    blk = sp.csr_matrix((np.ones(len(cols), dtype=np.int64), (rows, cols)),
                        shape=(len(batch), max(len(index), 1)))
    blk.sum_duplicates()
    return blk


def _compact(blk: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A counted block as ``(nonzeros per row, column numbers, counts)``, in the smallest dtypes
    that hold them, so the blocks of a large corpus take 8 bytes per non-zero until stacked."""
    idx_type = np.int32 if len(blk.indices) == 0 or blk.indices.max() < 2**31 else np.int64
    cnt_type = np.int32 if len(blk.data) == 0 or blk.data.max() < 2**31 else np.int64
    return np.diff(blk.indptr), blk.indices.astype(idx_type, copy=False), blk.data.astype(cnt_type, copy=False)


def _stack(blocks: list, n_terms: int, idx: np.ndarray, n_docs: int) -> sp.csr_matrix:
    """Stack the row blocks into one CSR matrix (int64 counts) of the columns ``idx`` (in that
    order), releasing each block as it is copied, so the peak is the final matrix plus the blocks'
    smaller arrays (never two full matrices)."""
    col_type = np.int32 if n_terms < 2**31 else np.int64
    new_col = np.full(n_terms, -1, dtype=col_type)
    new_col[idx] = np.arange(len(idx), dtype=col_type)
    row_nnz = np.zeros(n_docs, dtype=np.int64)
    row = 0
    for nz, ind, _ in blocks:        # non-zeros kept in each row
        keep = new_col[ind] >= 0
        starts = np.zeros(len(nz), dtype=np.int64)
        np.cumsum(nz[:-1], out=starts[1:])
        full = np.flatnonzero(nz > 0)
        if len(full):
            row_nnz[row + full] = np.add.reduceat(keep, starts[full], dtype=np.int64)
        row += len(nz)
    indptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(row_nnz, out=indptr[1:])
    del row_nnz
    nnz = int(indptr[-1])
    idx_type = np.int32 if nnz < 2**31 and n_terms < 2**31 else np.int64
    indices = np.empty(nnz, dtype=idx_type)
    data = np.empty(nnz, dtype=np.int64)
    pos = 0
    while blocks:
        _, ind, dat = blocks.pop(0)
        cols = new_col[ind]
        keep = cols >= 0
        k = int(keep.sum())
        indices[pos:pos + k] = cols[keep]
        data[pos:pos + k] = dat[keep]
        pos += k
        del ind, dat, cols, keep
    if idx_type == np.int32:
        indptr = indptr.astype(np.int32)
    X = sp.csr_matrix((data, indices, indptr), shape=(n_docs, len(idx)), copy=False)
    X.has_sorted_indices = False
    X.sort_indices()
    return X


def _doc_threshold(v: int | float, n_docs: int, name: str) -> int:
    """A document-frequency bound as a count: ints are counts, floats are shares of documents."""
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise MatrixError(f"{name} must be a number of documents or a share in (0, 1] (got {v!r})")
    if isinstance(v, (float, np.floating)):
        if not 0 < v <= 1:
            raise MatrixError(f"{name} as a share of documents must be in (0, 1] (got {v})")
        return int(np.ceil(v * n_docs)) if name == "min_df" else int(np.floor(v * n_docs))
    if v < 0:
        raise MatrixError(f"{name} must not be negative (got {v})")
    return int(v)


def trim(dtm: DocumentTermMatrix, *, min_count: int = 1, min_df: int | float = 1,
         max_df: int | float = 1.0) -> DocumentTermMatrix:
    """Keep the terms within the frequency and document-frequency bounds (quanteda ``dfm_trim``).

    Terms are ordered by descending total count, then alphabetically, so the column order does
    not depend on the order documents were read in.
    """
    lo = _doc_threshold(min_df, dtm.n_docs, "min_df")
    hi = _doc_threshold(max_df, dtm.n_docs, "max_df")
    counts = dtm.term_counts().to_numpy()
    df = dtm.doc_freq().to_numpy()
    idx = _kept_columns(dtm.vocab.to_numpy(), counts, df, min_count, lo, hi)
    X = _select_columns(dtm.X, idx)
    meta = {**dtm.meta, "min_count": min_count, "min_df": min_df, "max_df": max_df}
    return DocumentTermMatrix(X, pd.Index(dtm.vocab.to_numpy()[idx], dtype=object, name="term"), dtm.docs, meta,
                              tokens=dtm.tokens)


def _select_columns(X: sp.csr_matrix, idx: np.ndarray) -> sp.csr_matrix:
    """``X[:, idx]`` (sorted indices) by renumbering the column numbers of the non-zeros: one pass
    over them, without scipy's intermediate copies."""
    X = X.tocsr()
    col_type = np.int32 if X.shape[1] < 2**31 else np.int64
    new_col = np.full(X.shape[1], -1, dtype=col_type)
    new_col[idx] = np.arange(len(idx), dtype=col_type)
    cols = new_col[X.indices]
    if len(idx) == X.shape[1]:       # every column kept: only renumbered
        indices, data = cols, X.data.copy()
        indptr = X.indptr.astype(np.int64)
    else:
        keep = cols >= 0
        indices, data = cols[keep], X.data[keep]
        per_row = np.zeros(X.shape[0], dtype=np.int64)
        starts = X.indptr[:-1]
        full = np.flatnonzero(np.diff(X.indptr) > 0)
        if len(full):
            per_row[full] = np.add.reduceat(keep, starts[full], dtype=np.int64)
        indptr = np.zeros(X.shape[0] + 1, dtype=np.int64)
        np.cumsum(per_row, out=indptr[1:])
        del keep, per_row
    del cols
    idx_type = np.int32 if len(indices) < 2**31 and len(idx) < 2**31 else np.int64
    out = sp.csr_matrix((data, indices.astype(idx_type), indptr.astype(idx_type)),
                        shape=(X.shape[0], len(idx)), copy=False)
    out.has_sorted_indices = False
    out.sort_indices()
    return out


def group(dtm: DocumentTermMatrix, by: str | Sequence[str]) -> DocumentTermMatrix:
    """Sum documents into groups by one or more metadata columns (quanteda ``dfm_group``).

    ``by`` names columns of ``dtm.docs`` (e.g. ``"camp"``, ``"outlet"``, or a month column). The
    result has one row per group present, and its ``docs`` hold the group values plus ``n_docs``.
    """
    cols = [by] if isinstance(by, str) else list(by)
    missing = [c for c in cols if c not in dtm.docs.columns]
    if missing:
        raise MatrixError(
            f"cannot group by '{missing[0]}': not a document column (columns: {', '.join(map(str, dtm.docs.columns))})"
        )
    keys = dtm.docs[cols]
    codes, uniques = pd.MultiIndex.from_frame(keys.astype(object)).factorize(sort=True) if len(cols) > 1 \
        else pd.factorize(keys[cols[0]].astype(object), sort=True)
    if (codes < 0).any():
        raise MatrixError(f"{int((codes < 0).sum())} documents have no value for {', '.join(cols)}")
    G = sp.csr_matrix((np.ones(dtm.n_docs, dtype=np.int64), (codes, np.arange(dtm.n_docs))),
                      shape=(len(uniques), dtm.n_docs))
    X = (G @ dtm.X).tocsr()
    if len(cols) > 1:
        gdocs = pd.DataFrame(list(uniques), columns=cols)
    else:
        gdocs = pd.DataFrame({cols[0]: list(uniques)})
    gdocs["n_docs"] = np.bincount(codes, minlength=len(uniques))
    return DocumentTermMatrix(X, dtm.vocab, gdocs, {**dtm.meta, "grouped_by": cols})
