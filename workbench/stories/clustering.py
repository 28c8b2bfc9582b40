r"""Story clustering: which articles of different outlets report the same event.

:func:`find_stories` groups the selected articles of an :class:`~workbench.analysis.Analysis`
into *stories*: articles published within ``window_days`` of each other whose normalised tokens
are similar. Singletons (an article no other article resembles) are stories of size 1.

Method
------
1. **Vectors.** The analysis' unigram counts (:meth:`Analysis.matrix`, the same normalised tokens
   as keyness: no re-tokenising) are weighted by TF-IDF with sublinear term frequency,
   ``(1 + log tf) · idf`` with the smoothed ``idf = log((1 + N) / (1 + df)) + 1`` over the
   selected articles, and scaled to unit length (Salton & Buckley 1988; the formula of scikit-learn's
   ``TfidfTransformer(sublinear_tf=True)``), so the dot product of two articles is their cosine
   similarity.
2. **Pairs within the window.** Articles are sorted by day; a block of rows is multiplied (sparse
   product) with the rows from its first day up to ``window_days`` after its last day, and only
   pairs at most ``window_days`` calendar days apart whose similarity reaches ``threshold`` are
   kept. Memory is bounded by the block size times the articles of ``2 · window_days + 1`` days,
   never by the number of pairs in the corpus.
3. **Stories.** The kept pairs form a graph. Its connected components are single-linkage
   clusters, which *chain*: A resembles B, B resembles C, and a week of unrelated news ends up in
   one "story". So a component is accepted only if it is **cohesive**: every member's average
   cosine similarity to the other members (all of them, whatever their dates) is at least
   ``min_cohesion``, the per-article form of average linkage. A component that is not cohesive is
   split by raising its edge threshold by ``step`` and taking the components again, recursively
   (descending the single-linkage dendrogram only where it chains; cf. the adaptive cuts of
   Campello, Moulavi & Sander 2013). An article left alone becomes a singleton.

   Why not plain average-linkage agglomerative clustering? It needs every pairwise distance of a
   block (quadratic memory: a 20,000-article component on real news would need 1.6 GB), and
   pairs outside the window have no similarity to average. The cohesion test uses the centroid
   trick ``x_i · Σ_j x_j`` and costs one sparse product per component.

Guarantee: stories are connected through pairs at most ``window_days`` apart, so **sorted by
date, consecutive articles of a story are never more than** ``window_days`` **calendar days
apart** (a longer gap would disconnect the graph). A story can span longer than the window
(a running story reported every day).

The representative title of a story is that of its article closest to the centroid (largest
``x_i · Σ_j x_j``; ties, within a relative 10⁻⁶ of float32 rounding: the earliest).

On the demo corpus (20 planted events running three to eight weeks each, articles up to 22 days
apart) the stories match the planted ``event`` field with an adjusted Rand index of about 0.9 at
``window_days=7``; at the default 3 days no clustering that respects the window can exceed 0.49
there, because the events' own articles are further apart than that. Daily news (the Egyptian
2013 corpus) is what the default is for.

References
----------
* Allan, J., Carbonell, J., Doddington, G., Yamron, J. & Yang, Y. (1998). Topic detection and
  tracking pilot study: final report. *Proceedings of the DARPA Broadcast News Transcription and
  Understanding Workshop*, 194-218.
* Salton, G. & Buckley, C. (1988). Term-weighting approaches in automatic text retrieval.
  *Information Processing & Management* 24(5), 513-523.
* Campello, R. J. G. B., Moulavi, D. & Sander, J. (2013). Density-based clustering based on
  hierarchical density estimates. *PAKDD 2013*, LNCS 7819, 160-172.
* Hubert, L. & Arabie, P. (1985). Comparing partitions. *Journal of Classification* 2, 193-218
  (the adjusted Rand index used to check the stories against the demo's planted events).

Example::

    from workbench.analysis import Analysis
    from workbench.stories import find_stories
    stories = find_stories(Analysis("build/demo-store"), window_days=7)
    stories.table.query("cross_camp").head()
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..errors import ArgumentError

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis import Analysis

__all__ = ["Stories", "find_stories", "story_vectors", "similar_pairs", "DEFAULT_THRESHOLD",
           "DEFAULT_COHESION", "STORY_COLUMNS"]

#: Default minimum cosine similarity of a linked pair (tuned on the demo corpus, checked on the
#: Egyptian 2013 corpus; see the module docstring and the README).
DEFAULT_THRESHOLD = 0.3
#: Default minimum average similarity of every member to the rest of its story.
DEFAULT_COHESION = 0.2

#: Columns of :attr:`Stories.table` before the per-camp counts ``n_<camp>``.
STORY_COLUMNS = ["story", "size", "first_date", "last_date", "days", "n_outlets", "outlets", "n_camps",
                 "camps", "cross_camp", "cohesion", "title", "representative"]


@dataclass
class Stories:
    """What :func:`find_stories` found.

    ``articles``: the analysis' selected documents (``analysis.docs``, same rows and order) with
    ``story`` (id, 0-based, numbered by first date) and ``centrality`` (cosine similarity of the
    article to its story's centroid; 1 for a singleton). ``table``: one row per story, columns
    :data:`STORY_COLUMNS` then ``n_<camp>`` per camp, sorted by story id. ``params``: the
    settings used (window, thresholds, step) and the number of pairs compared and kept.
    """

    articles: pd.DataFrame
    table: pd.DataFrame
    params: dict = field(default_factory=dict)

    @property
    def camps(self) -> list[str]:
        """The camps with a ``n_<camp>`` column in :attr:`table`."""
        return list(self.params.get("camps", []))

    def members(self, story: int) -> pd.DataFrame:
        """The articles of one story, by date."""
        if story not in set(self.table["story"]):
            raise ArgumentError(f"story {story} does not exist (ids run from 0 to {len(self.table) - 1})")
        return self.articles[self.articles["story"] == story].sort_values(["date", "id"], kind="stable")

    def __repr__(self) -> str:
        multi = int((self.table["size"] > 1).sum())
        cross = int(self.table["cross_camp"].sum())
        return (f"Stories({len(self.articles):,} articles, {multi:,} stories of 2 or more, "
                f"{cross:,} cross-camp; window {self.params.get('window_days')} days, "
                f"threshold {self.params.get('threshold')})")


def story_vectors(X: sp.spmatrix) -> sp.csr_matrix:
    """Unit-length TF-IDF rows of a documents × terms count matrix: ``(1 + log tf) · idf`` with
    ``idf = log((1 + N) / (1 + df)) + 1`` (scikit-learn's ``TfidfTransformer(sublinear_tf=True)``)."""
    V = sp.csr_matrix(X, dtype=np.float64, copy=True)
    V.sum_duplicates()
    V.eliminate_zeros()
    n = V.shape[0]
    df = np.bincount(V.indices, minlength=V.shape[1])
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    V.data = (1.0 + np.log(V.data)) * idf[V.indices]
    norms = np.sqrt(np.asarray(V.multiply(V).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    V = sp.csr_matrix(sp.diags(1.0 / norms) @ V)
    return sp.csr_matrix(V, dtype=np.float32)


def _block_pairs(Vs: sp.csr_matrix, ds: np.ndarray, i0: int, i1: int, window_days: int,
                 threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """One block of :func:`similar_pairs`: rows ``i0:i1`` of the date-sorted ``Vs`` against their
    window; the kept pairs as sorted positions ``(r, c, similarity)`` and the pairs compared."""
    j1 = int(np.searchsorted(ds, ds[i1 - 1] + window_days, side="right"))
    S = sp.csr_matrix(Vs[i0:i1] @ Vs[i0:j1].T)
    # most products are far below the threshold: select on similarity first, then place the few left
    at = np.flatnonzero(S.data >= threshold)
    r = np.searchsorted(S.indptr, at, side="right").astype(np.int64) - 1 + i0
    c = S.indices[at].astype(np.int64) + i0
    sim = S.data[at]
    # pairs compared: (r, c) with r < c within the window, counted whether or not they share a term
    lo = np.arange(i0, i1)
    hi = np.searchsorted(ds, ds[i0:i1] + window_days, side="right")
    keep = (c > r) & (ds[c] - ds[r] <= window_days)
    return r[keep], c[keep], sim[keep], int((hi - lo - 1).sum())


def similar_pairs(V: sp.csr_matrix, days: np.ndarray, window_days: int, threshold: float,
                  *, block: int = 1000, scheduler=None) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Pairs ``i < j`` (row positions of ``V``) at most ``window_days`` apart with ``V_i · V_j >=
    threshold``: ``(i, j, similarity, pairs compared)``.

    ``days`` is an integer day number per row. Rows are compared in date order, ``block`` rows at
    a time against the rows of their date window only (sparse products), so memory is bounded by
    ``block`` times the rows of ``2 · window_days + 1`` days. ``scheduler`` (Dask: ``"local"`` or
    an address, see :mod:`workbench.cluster`; None = in this process, two blocks at a time on two
    threads, as scipy's sparse products release the GIL) runs the blocks on Dask workers, with the
    same result.
    """
    order = np.argsort(days, kind="stable")
    Vs = V[order]
    ds = days[order]
    n = len(ds)
    if scheduler is not None and n:
        from ..cluster import similar_pairs_dask

        found = list(similar_pairs_dask(_block_pairs, Vs, ds, window_days, threshold, block, scheduler))
    else:  # sparse products release the GIL: two blocks at a time on two cores, results in order
        with ThreadPoolExecutor(max(1, min(2, os.cpu_count() or 1))) as pool:
            found = list(pool.map(lambda i0: _block_pairs(Vs, ds, i0, min(n, i0 + block), window_days, threshold),
                                  range(0, n, block)))
    out_i = [order[r] for r, _, _, _ in found]
    out_j = [order[c] for _, c, _, _ in found]
    out_s = [sim for _, _, sim, _ in found]
    compared = sum(k for _, _, _, k in found)
    if not out_i:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0, dtype=np.float32), 0
    return np.concatenate(out_i), np.concatenate(out_j), np.concatenate(out_s), compared


def _cohesion(V: sp.csr_matrix, members: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per member (rows ``members`` of ``V``, in groups ``group``: 0-based ids, one per member):
    its average cosine similarity to the other members of its group, and ``x_i · Σ_j x_j`` (sum
    over its group, itself included).

    All groups at once: the group sums ``Σ_j x_j`` are one sparse product, and each member's dot
    product with its group's sum is gathered term by term (every term of a member is in its
    group's sum), so the cost is linear in the members' terms, whatever the groups' sizes."""
    Vm = sp.csr_matrix(V[members])
    n_groups = int(group.max()) + 1 if len(group) else 0
    size = np.bincount(group, minlength=n_groups)
    M = sp.csr_matrix((np.ones(len(members), dtype=Vm.dtype), (group, np.arange(len(members)))),
                      shape=(n_groups, len(members)))
    C = sp.csr_matrix(M @ Vm)
    C.sum_duplicates()  # canonical: sorted column indices per row, so (row, column) keys ascend
    n_terms = np.int64(V.shape[1])
    c_rows = np.repeat(np.arange(n_groups, dtype=np.int64), np.diff(C.indptr))
    keys = c_rows * n_terms + C.indices
    m_rows = np.repeat(np.arange(len(members), dtype=np.int64), np.diff(Vm.indptr))
    at = np.searchsorted(keys, group[m_rows].astype(np.int64) * n_terms + Vm.indices)
    dots = np.bincount(m_rows, weights=Vm.data.astype(np.float64) * C.data[at], minlength=len(members))
    return (dots - 1.0) / np.maximum(size[group] - 1, 1), dots


def _cluster(V: sp.csr_matrix, i: np.ndarray, j: np.ndarray, s: np.ndarray, threshold: float,
             min_cohesion: float, step: float) -> np.ndarray:
    """Story label per row: cohesive connected components, splitting chained ones (see module)."""
    n = V.shape[0]
    labels = np.full(n, -1, dtype=np.int64)
    next_label = 0
    # (members, edge index array into i/j/s restricted to these members, level)
    work = [(np.arange(n), np.arange(len(i)), float(threshold))]
    while work:
        members, edges, level = work.pop()
        ei, ej = i[edges], j[edges]
        local = np.full(n, -1, dtype=np.int64)
        local[members] = np.arange(len(members))
        g = sp.coo_matrix((np.ones(len(edges), dtype=np.int8), (local[ei], local[ej])),
                          shape=(len(members), len(members))).tocsr()
        n_comp, comp = connected_components(g, directed=False)
        size = np.bincount(comp, minlength=n_comp)
        # every component's cohesion at once (singletons: trivially cohesive)
        worst = np.full(n_comp, np.inf)
        multi = size[comp] > 1
        if multi.any():
            avg, _ = _cohesion(V, members[multi], np.unique(comp[multi], return_inverse=True)[1].ravel())
            np.minimum.at(worst, comp[multi], avg)
        accept = worst >= min_cohesion
        labels[members[accept[comp]]] = next_label + comp[accept[comp]]
        next_label += n_comp
        split = np.flatnonzero(~accept)
        if not len(split):
            continue
        edge_comp = comp[local[ei]]
        order = np.argsort(edge_comp, kind="stable")
        bounds = np.searchsorted(edge_comp[order], np.arange(n_comp + 1))
        mem_order = np.argsort(comp, kind="stable")
        mem_bounds = np.searchsorted(comp[mem_order], np.arange(n_comp + 1))
        for k in split:
            sub = members[mem_order[mem_bounds[k]:mem_bounds[k + 1]]]
            sub_edges = edges[order[bounds[k]:bounds[k + 1]]]
            new_level = level + step
            sub_edges = sub_edges[s[sub_edges] >= new_level]
            if new_level > 1.0 or not len(sub_edges):
                labels[sub] = np.arange(next_label, next_label + len(sub))
                next_label += len(sub)
                continue
            work.append((sub, sub_edges, new_level))
    return labels


def _check(window_days, threshold, min_cohesion, step, block) -> None:
    if isinstance(window_days, bool) or not isinstance(window_days, (int, np.integer)) or window_days < 0:
        raise ArgumentError(f"window_days must be a whole number of days, 0 or more (got {window_days!r})")
    for name, v in (("threshold", threshold), ("min_cohesion", min_cohesion)):
        if not isinstance(v, (int, float, np.floating)) or not 0 < float(v) <= 1:
            raise ArgumentError(f"{name} must be a cosine similarity in (0, 1] (got {v!r}); "
                                f"try {DEFAULT_THRESHOLD if name == 'threshold' else DEFAULT_COHESION}")
    if not 0 < float(step) <= 1:
        raise ArgumentError(f"step must be in (0, 1] (got {step!r})")
    if int(block) < 1:
        raise ArgumentError(f"block must be a positive number of rows (got {block!r})")


def find_stories(analysis: "Analysis", *, window_days: int = 3, threshold: float = DEFAULT_THRESHOLD,
                 min_cohesion: float = DEFAULT_COHESION, step: float = 0.05, block: int = 1000,
                 cache: bool = False) -> Stories:
    """Group the selected articles into stories (same event, any outlet, within ``window_days``).

    ``threshold``: minimum cosine similarity (TF-IDF, sublinear tf, of the analysis' unigrams) for
    two articles at most ``window_days`` calendar days apart to be linked. ``min_cohesion``: every
    member's average similarity to the rest of its story must reach this, otherwise the story is
    split by raising its link threshold by ``step`` (see the module docstring for the method and
    its guarantee). ``block``: rows per sparse product (memory, not results).

    Returns :class:`Stories` (per-article ``story`` ids and the story table). Deterministic: the
    same analysis and parameters give the same ids. ``cache``: keep the labels in
    ``cache_root/stories`` and read them back when the same analysis asks again with the same
    parameters (:mod:`workbench.resultcache`; what a warm report re-run does).
    """
    _check(window_days, threshold, min_cohesion, step, block)
    dtm = analysis.matrix()
    docs = dtm.docs
    if "date" not in docs.columns or docs["date"].isna().any():
        raise ArgumentError("every article needs a date to be placed in a story (some dates are missing)")
    days = docs["date"].dt.normalize().to_numpy().astype("datetime64[D]").astype(np.int64)
    store = None
    if cache:
        from ..resultcache import ArrayCache, analysis_key

        store = ArrayCache(analysis.cache_root / "stories", analysis_key(
            analysis, "stories", window_days=int(window_days), threshold=float(threshold),
            min_cohesion=float(min_cohesion), step=float(step), n_terms=int(dtm.n_terms)))
        hit = store.read()
        if hit is not None and {"story", "centrality", "cohesion", "representative"} <= set(hit[0]) \
                and len(hit[0]["story"]) == len(docs):
            (arrays, meta), store = hit, None
            return _stories(docs, dtm, arrays["story"], arrays["centrality"], arrays["cohesion"],
                            arrays["representative"], window_days, threshold, min_cohesion, step,
                            int(meta.get("pairs_compared", 0)), int(meta.get("pairs_linked", 0)))
    V = story_vectors(dtm.X)
    i, j, s, compared = similar_pairs(V, days, int(window_days), float(threshold), block=int(block),
                                      scheduler=getattr(analysis, "scheduler", None))
    raw = _cluster(V, i, j, s, float(threshold), float(min_cohesion), float(step))

    # story ids numbered by (first day, first row in date order): the same whatever the labelling order
    order = np.lexsort((np.arange(len(days)), days))
    first_seen = {}
    for pos in order:
        first_seen.setdefault(int(raw[pos]), len(first_seen))
    story = np.fromiter((first_seen[int(r)] for r in raw), dtype=np.int64, count=len(raw))

    n_st = len(first_seen)
    avg, dots = _cohesion(V, np.arange(len(story)), story)
    size = np.bincount(story, minlength=n_st)
    norm = np.sqrt(np.maximum(np.bincount(story, weights=dots, minlength=n_st), 1e-12))  # |Σ x_j|² = Σ_i x_i · Σ_j x_j
    single = size[story] == 1
    centrality = np.where(single, 1.0, dots / norm[story])
    cohesion = np.where(size > 1, np.bincount(story, weights=avg, minlength=n_st) / np.maximum(size, 1), 1.0)
    # representative: the member closest to the centroid (largest x_i · Σ_j x_j; ties: earliest day, then row)
    best = np.full(n_st, -np.inf)
    np.maximum.at(best, story, dots)
    # float32 vectors: dots equal in exact arithmetic (both members of a pair) differ by ~1e-7
    near = np.flatnonzero(single | (dots >= best[story] * (1 - 1e-6)))
    pick = near[np.lexsort((near, days[near], story[near]))]
    first = np.concatenate([[True], story[pick][1:] != story[pick][:-1]])
    representative = np.empty(n_st, dtype=np.int64)
    representative[story[pick][first]] = pick[first]

    if store is not None:
        store.write({"story": story, "centrality": centrality, "cohesion": cohesion, "representative": representative},
                    {"pairs_compared": int(compared), "pairs_linked": int(len(i))})
    return _stories(docs, dtm, story, centrality, cohesion, representative, window_days, threshold, min_cohesion,
                    step, int(compared), int(len(i)))


def _stories(docs, dtm, story, centrality, cohesion, representative, window_days, threshold, min_cohesion, step,
             compared: int, linked: int) -> Stories:
    """The :class:`Stories` of per-article labels (computed, or read from the cache)."""
    articles = docs.copy()
    articles["story"] = np.asarray(story, dtype=np.int64)
    articles["centrality"] = np.asarray(centrality, dtype=np.float64)
    table = _story_table(articles, np.asarray(cohesion, dtype=np.float64), np.asarray(representative, dtype=np.int64))
    camps = sorted(docs["camp"].dropna().astype(str).unique()) if "camp" in docs.columns else []
    params = {"window_days": int(window_days), "threshold": float(threshold), "min_cohesion": float(min_cohesion),
              "step": float(step), "pairs_compared": compared, "pairs_linked": linked,
              "vectors": "tf-idf (sublinear tf, smoothed idf, l2) of the analysis' unigram counts",
              "camps": camps, "n_terms": int(dtm.n_terms), **{k: v for k, v in dtm.meta.items()
                                                              if k in ("store_fingerprint", "selection",
                                                                       "text_settings_fingerprint")}}
    table.attrs["params"] = params
    return Stories(articles, table, params)


def _story_table(articles: pd.DataFrame, cohesion: np.ndarray, representative: np.ndarray) -> pd.DataFrame:
    a = articles
    g = a.groupby("story", sort=True)
    dates = a["date"].dt.normalize()
    first = dates.groupby(a["story"]).min()
    last = dates.groupby(a["story"]).max()
    outlets = _joined(a["story"], a["outlet"])
    camps_col = a["camp"].astype("string").fillna("") if "camp" in a.columns else pd.Series("", index=a.index)
    camps = _joined(a["story"], camps_col)
    table = pd.DataFrame({
        "story": first.index.to_numpy(),
        "size": g.size().to_numpy(),
        "first_date": first.to_numpy(),
        "last_date": last.to_numpy(),
        "days": ((last - first).dt.days + 1).to_numpy(),
        "n_outlets": g["outlet"].nunique().to_numpy(),
        "outlets": outlets.to_numpy(),
        "n_camps": camps.map(lambda v: len(v.split(",")) if v else 0).to_numpy(),
        "camps": camps.to_numpy(),
    })
    table["cross_camp"] = table["n_camps"] > 1
    table["cohesion"] = cohesion
    table["title"] = a["title"].astype("string").to_numpy()[representative]
    table["representative"] = a["id"].astype(str).to_numpy()[representative]
    if "camp" in a.columns:
        counts = pd.crosstab(a["story"], camps_col)
        for camp in sorted(c for c in counts.columns if c):
            table[f"n_{camp}"] = counts[camp].reindex(table["story"]).fillna(0).astype(np.int64).to_numpy()
    return table


def _joined(story: pd.Series, values: pd.Series) -> pd.Series:
    """Per story, its distinct non-empty ``values`` sorted and joined by commas (index: story id)."""
    pairs = pd.DataFrame({"story": story.to_numpy(), "v": values.astype(str).to_numpy()})
    pairs = pairs[pairs["v"] != ""].drop_duplicates().sort_values(["story", "v"], kind="stable")
    counts = pairs["story"].value_counts(sort=False)
    single = pairs[pairs["story"].map(counts).to_numpy() == 1].set_index("story")["v"]
    multi = pairs[pairs["story"].map(counts).to_numpy() > 1].groupby("story", sort=True)["v"].agg(",".join)
    out = pd.concat([single, multi]).reindex(np.sort(story.unique()), fill_value="")
    return out.astype(object)
