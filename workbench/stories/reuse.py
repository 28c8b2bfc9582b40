r"""Text reuse across outlets: an agency dispatch or a press release printed again by other outlets.

:func:`find_reuse` finds pairs of articles from *different outlets*, at most ``window_days``
calendar days apart, that share a large part of their wording. Such a pair is not two outlets
independently telling the same story (what :func:`~workbench.stories.find_stories` groups) but one
text counted twice: :func:`flag_reuse` marks the later copies so that they can be set aside before
counting words as independent evidence, and :func:`reuse_by_outlet_pair` says which outlet reprints
which.

Method
------
1. **Shingles** (Broder 1997). Each article's reading tokens (:meth:`Analysis.reading`: every word,
   stopwords included, as normalised for the analysis; title then text) are cut into overlapping
   word n-grams of ``shingle`` words. Each distinct token is hashed once with BLAKE2b (8 bytes); a
   shingle's hash is the polynomial ``Σ_k h(w_k) · P^(n-1-k) mod 2^64`` over its words, computed for
   all positions of an article at once with numpy. The hashes are stable across runs, machines and
   Python versions (no ``hash()`` salt). An article is the *set* of its shingle hashes; one shorter
   than ``shingle`` words has none and is never paired.
2. **Common shingles are dropped.** A shingle found in more than ``max_df`` articles of the
   selection (datelines, boilerplate such as «اقرأ أيضا», formulae) says nothing about copying and
   would make the comparison quadratic; it is removed from both the shared count and the article's
   size (so a short reprint with a long boilerplate footer is not diluted).
3. **Containment within the date window.** The articles form a binary articles × shingles matrix.
   Articles are sorted by day; a block of rows is multiplied (sparse product, the inverted index
   shingle → articles) with the rows from its first day up to ``window_days`` after its last day,
   which gives the number of shared shingles of every pair that shares any. Memory is bounded by
   the block size times the articles of ``2 · window_days + 1`` days. For a pair ``(a, b)`` the
   containment of ``a`` in ``b`` is ``|S(a) ∩ S(b)| / |S(a)|`` (Broder 1997): the share of ``a``'s
   shingles found in ``b``. A pair is kept when either containment reaches ``min_overlap``, so a
   short dispatch quoted whole inside a longer article counts.

Why exact containment and not MinHash/LSH? MinHash estimates *resemblance* (Jaccard), which is low
when a short wire item sits in a long article; and with the date window the exact inverted index is
cheap (the Egyptian 2013 corpus, 31,214 articles, takes seconds), so no approximation is needed and
the figures are exact counts a reader can check.

The earlier article of a pair (by publication time; ties by id) is taken as the likely source.
When A is reprinted by B and C, the pair (B, C) is found too: :func:`flag_reuse` points both B and
C to their *earliest* source, A.

References
----------
* Broder, A. Z. (1997). On the resemblance and containment of documents. *Compression and
  Complexity of Sequences 1997*, IEEE, 21-29.
* Clough, P., Gaizauskas, R., Piao, S. S. L. & Wilks, Y. (2002). METER: MEasuring TExt Reuse.
  *Proceedings of ACL 2002*, 152-159 (reuse of agency copy by newspapers).

Example::

    from workbench.analysis import Analysis
    from workbench.stories.reuse import find_reuse, flag_reuse, reuse_by_outlet_pair
    analysis = Analysis("build/demo-store")
    pairs = find_reuse(analysis, window_days=3)
    reuse_by_outlet_pair(pairs, analysis.docs).head()
    flags = flag_reuse(analysis, pairs)                  # same rows and order as analysis.docs
    independent = Analysis("build/demo-store", where=flags.attrs["exclude"])   # copies left out
"""
from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import ArgumentError

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis import Analysis

__all__ = ["find_reuse", "reuse_by_outlet_pair", "flag_reuse", "shingle_hashes", "REUSE_COLUMNS",
           "OUTLET_PAIR_COLUMNS"]

#: Columns of the :func:`find_reuse` table (``a``: the earlier article, the likely source).
REUSE_COLUMNS = ["id_a", "id_b", "outlet_a", "outlet_b", "camp_a", "camp_b", "date_a", "date_b", "lag_days",
                 "containment_a_in_b", "containment_b_in_a", "shared_shingles", "shingles_a", "shingles_b"]
#: Columns of the :func:`reuse_by_outlet_pair` table.
OUTLET_PAIR_COLUMNS = ["source_outlet", "reusing_outlet", "source_camp", "reusing_camp", "articles_reusing",
                       "articles", "share", "pairs", "median_lag_days"]

_P = np.uint64(0x100000001B3)  # odd multiplier of the polynomial shingle hash (the FNV-1 64-bit prime)


def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


def shingle_hashes(tokens: list[str], shingle: int, cache: dict | None = None) -> np.ndarray:
    """Sorted distinct int64 hashes of the ``shingle``-word n-grams of ``tokens`` (empty if shorter).

    ``cache`` (token → BLAKE2b hash) saves re-hashing words across articles."""
    if len(tokens) < shingle:
        return np.empty(0, dtype=np.int64)
    cache = {} if cache is None else cache
    h = np.fromiter((cache[t] if t in cache else cache.setdefault(t, _token_hash(t)) for t in tokens),
                    dtype=np.uint64, count=len(tokens))
    n = len(tokens) - shingle + 1
    acc = h[:n].copy()
    for k in range(1, shingle):
        acc *= _P          # uint64 arithmetic wraps: the hash is taken mod 2^64
        acc += h[k:k + n]
    return np.unique(acc.view(np.int64))


def _check(window_days, shingle, min_overlap, max_df, block) -> None:
    if isinstance(window_days, bool) or not isinstance(window_days, (int, np.integer)) or window_days < 0:
        raise ArgumentError(f"window_days must be a whole number of days, 0 or more (got {window_days!r})")
    if isinstance(shingle, bool) or not isinstance(shingle, (int, np.integer)) or shingle < 1:
        raise ArgumentError(f"shingle must be a number of words, 1 or more (got {shingle!r}); try 5")
    if isinstance(min_overlap, bool) or not isinstance(min_overlap, (int, float, np.floating)) \
            or not 0 < float(min_overlap) <= 1:
        raise ArgumentError(f"min_overlap must be a share of shingles in (0, 1] (got {min_overlap!r}); try 0.5")
    if isinstance(max_df, bool) or not isinstance(max_df, (int, np.integer)) or max_df < 2:
        raise ArgumentError(f"max_df must be a number of articles, 2 or more (got {max_df!r}); try 50")
    if int(block) < 1:
        raise ArgumentError(f"block must be a positive number of rows (got {block!r})")


def _incidence(analysis: "Analysis", shingle: int, max_df: int) -> tuple[sp.csr_matrix, int]:
    """Binary articles × shingles matrix (rows: ``analysis.docs`` order, columns: shingle hashes in
    ascending order) without the shingles of more than ``max_df`` articles, and the number of such
    common shingles dropped.

    The same sets as :func:`shingle_hashes` per article, computed on the reading tokens' flat index
    (:meth:`Analysis.token_index`, shared with concordances and lexicon counts): each distinct word
    is hashed once, the polynomial runs over ``batch`` articles' tokens at once, and the n-grams
    that would cross from one article into the next are dropped."""
    index = analysis.reading().token_index()
    vocab = index.vocabulary()
    hu = np.fromiter((_token_hash(t) for t in vocab.forms.to_pylist()), dtype=np.uint64, count=len(vocab.forms))
    offsets = index.offsets
    rows_parts: list[np.ndarray] = []
    hash_parts: list[np.ndarray] = []
    batch = 20_000
    for d0 in range(0, index.n_docs, batch):
        d1 = min(index.n_docs, d0 + batch)
        t0, t1 = int(offsets[d0]), int(offsets[d1])
        n = t1 - t0 - shingle + 1
        if n <= 0:
            continue
        h = hu[vocab.codes[t0:t1]]
        acc = h[:n].copy()
        for k in range(1, shingle):
            acc *= _P          # uint64 arithmetic wraps: the hash is taken mod 2^64
            acc += h[k:k + n]
        lens = np.diff(offsets[d0:d1 + 1])
        doc = np.repeat(np.arange(d0, d1), lens)[:n]
        inside = np.arange(t0, t0 + n) + shingle <= offsets[doc + 1]  # the n-gram ends within its own article
        rows_parts.append(doc[inside])
        hash_parts.append(acc[inside].view(np.int64))
    n_rows = index.n_docs
    if not hash_parts:
        return sp.csr_matrix((n_rows, 0), dtype=np.int32), 0
    hashes = np.concatenate(hash_parts)
    rows = np.concatenate(rows_parts)
    del hash_parts, rows_parts
    cols, inverse = np.unique(hashes, return_inverse=True)
    del hashes
    pair = rows * np.int64(len(cols)) + inverse.ravel()
    del rows, inverse
    pair.sort()
    pair = pair[np.concatenate([[True], pair[1:] != pair[:-1]])]  # distinct (row, shingle), sorted by row
    r, c = np.divmod(pair, np.int64(len(cols)))
    df = np.bincount(c, minlength=len(cols))
    indptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=n_rows))])
    B = sp.csr_matrix((np.ones(len(c), dtype=np.int32), c, indptr), shape=(n_rows, len(cols)))
    common = df > max_df
    if common.any():
        B = sp.csr_matrix(B[:, np.flatnonzero(~common)])
    return B, int(common.sum())


def find_reuse(analysis: "Analysis", *, window_days: int = 3, shingle: int = 5, min_overlap: float = 0.5,
               max_df: int = 50, block: int = 2000, cache: bool = False) -> pd.DataFrame:
    """Pairs of articles of different outlets, at most ``window_days`` apart, sharing their wording.

    ``shingle``: words per n-gram; ``min_overlap``: a pair is kept when the share of one article's
    shingles found in the other (containment, Broder 1997) reaches this, in either direction;
    ``max_df``: shingles in more of the selected articles than this are boilerplate and ignored;
    ``block``: rows per sparse product (memory, not results). See the module docstring.

    Returns one row per pair, columns :data:`REUSE_COLUMNS`: ``a`` is the earlier article (the
    likely source), ``b`` the later; ``lag_days`` is the time between them in days (fractional);
    ``shingles_a/b`` count each article's informative shingles. Sorted by ``date_a``, ``id_a``,
    ``id_b``; ``table.attrs["params"]`` records the settings and counts. Deterministic.
    ``cache``: keep the pairs in ``cache_root/reuse`` and read them back when the same analysis asks
    again with the same settings (:mod:`workbench.resultcache`; what a warm report re-run does).
    """
    _check(window_days, shingle, min_overlap, max_df, block)
    docs = analysis.docs
    if "date" not in docs.columns or docs["date"].isna().any():
        raise ArgumentError("every article needs a date to compare it within a window (some dates are missing)")
    found = store = None
    if cache:
        from ..resultcache import ArrayCache, analysis_key

        store = ArrayCache(analysis.cache_root / "reuse", analysis_key(
            analysis, "reuse", window_days=int(window_days), shingle=int(shingle), min_overlap=float(min_overlap),
            max_df=int(max_df)))
        hit = store.read()
        if hit is not None and {"r", "c", "n", "sizes"} <= set(hit[0]) and len(hit[0]["sizes"]) == len(docs):
            arrays, meta = hit
            found = (*(arrays[k].astype(np.int64) for k in ("r", "c", "n", "sizes")),
                     int(meta.get("common", 0)), int(meta.get("distinct", 0)))
    if found is None:
        found = _pairs(analysis, docs, int(window_days), int(shingle), float(min_overlap), int(max_df), int(block))
        if store is not None:
            store.write(dict(zip(("r", "c", "n", "sizes"), found[:4])), {"common": found[4], "distinct": found[5]})
    r, c, n, sizes, n_common, n_shingles = found
    outlet = docs["outlet"].astype(str).to_numpy()

    # the earlier article (publication time, then id) is a
    dates = docs["date"].to_numpy()
    ids = docs["id"].astype(str).to_numpy()
    swap = (dates[c] < dates[r]) | ((dates[c] == dates[r]) & (ids[c] < ids[r]))
    a, b = np.where(swap, c, r), np.where(swap, r, c)
    camp = docs["camp"].astype("string").fillna("").to_numpy() if "camp" in docs.columns \
        else np.full(len(docs), "", dtype=object)
    table = pd.DataFrame({
        "id_a": ids[a], "id_b": ids[b], "outlet_a": outlet[a], "outlet_b": outlet[b],
        "camp_a": camp[a], "camp_b": camp[b], "date_a": dates[a], "date_b": dates[b],
        "lag_days": ((dates[b] - dates[a]) / np.timedelta64(1, "s") / 86400.0).round(3),
        "containment_a_in_b": n / np.maximum(sizes[a], 1), "containment_b_in_a": n / np.maximum(sizes[b], 1),
        "shared_shingles": n, "shingles_a": sizes[a], "shingles_b": sizes[b],
    }, columns=REUSE_COLUMNS)
    table = table.sort_values(["date_a", "id_a", "id_b"], kind="stable").reset_index(drop=True)
    table.attrs["params"] = {
        "window_days": int(window_days), "shingle": int(shingle), "min_overlap": float(min_overlap),
        "max_df": int(max_df), "articles": int(len(docs)), "articles_with_shingles": int((sizes > 0).sum()),
        "distinct_shingles": n_shingles, "common_shingles_dropped": n_common, "pairs": int(len(table)),
        "hash": "BLAKE2b-64 per word, polynomial mod 2^64 per shingle",
    }
    return table


def _pairs(analysis, docs, window_days: int, shingle: int, min_overlap: float, max_df: int, block: int):
    """``(r, c, shared, sizes, common shingles dropped, distinct shingles)`` of :func:`find_reuse`:
    row positions of the pairs kept, their shared shingles, and every article's shingle count."""
    B, n_common = _incidence(analysis, int(shingle), int(max_df))
    sizes = np.diff(B.indptr).astype(np.int64)
    days = docs["date"].dt.normalize().to_numpy().astype("datetime64[D]").astype(np.int64)
    outlet = docs["outlet"].astype(str).to_numpy()

    order = np.argsort(days, kind="stable")
    Bs, ds = B[order], days[order]

    def pairs_of(i0: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        i1 = min(len(ds), i0 + int(block))
        j1 = int(np.searchsorted(ds, ds[i1 - 1] + window_days, side="right"))
        shared = (Bs[i0:i1] @ Bs[i0:j1].T).tocoo()
        r = order[shared.row.astype(np.int64) + i0]
        c = order[shared.col.astype(np.int64) + i0]
        n = shared.data.astype(np.int64)
        near = (shared.col.astype(np.int64) > shared.row.astype(np.int64)) \
            & (np.abs(days[c] - days[r]) <= window_days) & (outlet[r] != outlet[c])
        best = np.maximum(n / np.maximum(sizes[r], 1), n / np.maximum(sizes[c], 1))
        keep = near & (best >= min_overlap)
        return r[keep], c[keep], n[keep]

    # sparse products release the GIL: two blocks at a time on two cores, results in order
    with ThreadPoolExecutor(max(1, min(2, os.cpu_count() or 1))) as pool:
        found = list(pool.map(pairs_of, range(0, len(ds), int(block))))
    found_r, found_c, found_n = [f[0] for f in found], [f[1] for f in found], [f[2] for f in found]
    r = np.concatenate(found_r) if found_r else np.empty(0, dtype=np.int64)
    c = np.concatenate(found_c) if found_c else np.empty(0, dtype=np.int64)
    n = np.concatenate(found_n) if found_n else np.empty(0, dtype=np.int64)
    return r, c, n, sizes, n_common, int(B.shape[1])


def reuse_by_outlet_pair(pairs: pd.DataFrame, docs: pd.DataFrame) -> pd.DataFrame:
    """Per (source outlet, reusing outlet): how often the second prints the first's text again.

    ``articles_reusing``: distinct articles of the reusing outlet that are the later article of a
    pair with the source outlet; ``articles``: the reusing outlet's articles in ``docs`` (the
    analysis' selection); ``share = articles_reusing / articles``; ``pairs``: pairs counted;
    ``median_lag_days``: median time from source to reuse over those pairs. Columns
    :data:`OUTLET_PAIR_COLUMNS`, sorted by ``share`` (largest first), then the outlets.
    """
    missing = [c for c in ("id_b", "outlet_a", "outlet_b", "lag_days") if c not in pairs.columns]
    if missing:
        raise ArgumentError(f"pairs must be the table of find_reuse (missing column {missing[0]!r})")
    if "outlet" not in docs.columns:
        raise ArgumentError("docs must have an 'outlet' column (give analysis.docs)")
    per_outlet = docs["outlet"].astype(str).value_counts()
    camp_of = (docs.assign(outlet=docs["outlet"].astype(str)).drop_duplicates("outlet")
               .set_index("outlet")["camp"].astype("string").fillna("")) if "camp" in docs.columns else pd.Series(dtype=str)
    if not len(pairs):
        return pd.DataFrame(columns=OUTLET_PAIR_COLUMNS)
    g = pairs.assign(outlet_a=pairs["outlet_a"].astype(str), outlet_b=pairs["outlet_b"].astype(str)) \
        .groupby(["outlet_a", "outlet_b"], sort=True)
    out = pd.DataFrame({
        "articles_reusing": g["id_b"].nunique(),
        "pairs": g.size(),
        "median_lag_days": g["lag_days"].median(),
    }).reset_index().rename(columns={"outlet_a": "source_outlet", "outlet_b": "reusing_outlet"})
    out["articles"] = out["reusing_outlet"].map(per_outlet).fillna(0).astype(np.int64)
    out["share"] = out["articles_reusing"] / out["articles"].where(out["articles"] > 0)
    out["source_camp"] = out["source_outlet"].map(camp_of).fillna("")
    out["reusing_camp"] = out["reusing_outlet"].map(camp_of).fillna("")
    out = out.sort_values(["share", "source_outlet", "reusing_outlet"], ascending=[False, True, True],
                          kind="stable").reset_index(drop=True)
    return out[OUTLET_PAIR_COLUMNS]


def flag_reuse(analysis: "Analysis", pairs: pd.DataFrame) -> pd.DataFrame:
    """Which selected articles reprint an earlier article of another outlet.

    Returns ``id, outlet, camp, date`` of ``analysis.docs`` (same rows, same order) with
    ``reused_from``: the earliest source found for the article (empty if none) and ``reused``
    (boolean). So that reused text does not count twice as independent evidence, leave the copies
    out: ``keep = ~flags["reused"].to_numpy()`` is a mask aligned with ``analysis.docs`` (and with
    the rows of ``analysis.matrix()``), and ``flags.attrs["exclude"]`` is a ``where`` condition
    (``id`` not one of the reused articles) for a new ``Analysis(store, where=...)``. The source
    of a reprint is kept: one copy of each text remains.
    """
    docs = analysis.docs
    cols = [c for c in ("id", "outlet", "camp", "date") if c in docs.columns]
    flags = docs[cols].copy()
    flags["id"] = flags["id"].astype(str)
    if len(pairs):
        first = (pairs.assign(id_a=pairs["id_a"].astype(str), id_b=pairs["id_b"].astype(str))
                 .sort_values(["id_b", "date_a", "id_a"], kind="stable").drop_duplicates("id_b")
                 .set_index("id_b")["id_a"])
        flags["reused_from"] = flags["id"].map(first).fillna("").astype(str)
    else:
        flags["reused_from"] = ""
    flags["reused"] = flags["reused_from"] != ""
    from ..analysis import Condition

    reused = tuple(flags.loc[flags["reused"], "id"])
    flags.attrs["exclude"] = [Condition("id", reused, negate=True)] if reused else []
    return flags
