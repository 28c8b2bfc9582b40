"""Paired framing: how two camps word the *same* stories.

Ordinary keyness (:meth:`Analysis.compare`) mixes two things: what each side covers (agenda) and
how it words what it covers (framing). A camp that reports every street clash will have
"clashes" as a keyword even if both sides describe clashes alike. :func:`paired_keyness`
separates them the way a matched design does: it recomputes keyness on the articles of the
stories *both* sides covered only (stories of :func:`~workbench.stories.clustering.find_stories`
with articles from the target and from the reference), and sets that table beside the ordinary
one. A word that stays key when the events are the same is a difference of wording, not of
story selection (cf. the matched comparisons of Gentzkow & Shapiro 2010 and the "same event,
different report" design of Baum & Groeling 2008). Within the paired stories one side may still
write many articles on one story and few on another; ``within_story=True`` therefore compares the
sides *inside* each story and pools the comparisons (Cochran-Mantel-Haenszel test and common odds
ratio, :mod:`workbench.stats.stratified`), so a story's own vocabulary cannot become a side's
keyword.

:func:`story_side_by_side` shows one story as each side told it: its articles by side (date,
outlet, title) and each side's distinctive words within the story.

The keyness statistics are those of :mod:`workbench.stats.keyness` (G², Dunning 1993; log ratio,
Hardie 2014; weighted log-odds, Monroe, Colaresi & Quinn 2008).

References
----------
* Baum, M. A. & Groeling, T. (2008). New media and the polarization of American political
  discourse. *Political Communication* 25(4), 345-365.
* Gentzkow, M. & Shapiro, J. M. (2010). What drives media slant? Evidence from U.S. daily
  newspapers. *Econometrica* 78(1), 35-71.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd

from ..errors import ArgumentError
from ..matrix import DocumentTermMatrix
from .clustering import Stories
from .coverage import _name, _side_counts, _values

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis import Analysis

__all__ = ["paired_stories", "paired_keyness", "story_side_by_side", "StorySides", "restrict"]

#: Columns taken from each keyness table into :func:`paired_keyness` (suffixed ``_all``/``_paired``).
_KEEP = ["n_target", "n_reference", "freq_target", "freq_reference", "G2", "chi2_mh", "p_adj", "log_ratio",
         "odds_ratio_mh", "log_odds_z", "direction"]


def _check_aligned(analysis: "Analysis", stories: Stories) -> None:
    ids = analysis.docs["id"].astype(str).to_numpy()
    if len(ids) != len(stories.articles) or not np.array_equal(ids, stories.articles["id"].astype(str).to_numpy()):
        raise ArgumentError("these stories were found on another selection of documents; run find_stories() "
                            "on this analysis")


def restrict(dtm: DocumentTermMatrix, rows: np.ndarray, note: str) -> DocumentTermMatrix:
    """The matrix of some documents only (row positions, in order), with ``note`` in its meta."""
    rows = np.asarray(rows, dtype=np.int64)
    return DocumentTermMatrix(dtm.X[rows], dtm.vocab, dtm.docs.iloc[rows].reset_index(drop=True),
                              {**dtm.meta, "restricted_to": note})


def paired_stories(stories: Stories, group: str = "camp", target: str | Sequence[str] = None,
                   reference: str | Sequence[str] = None, *, min_per_side: int = 1) -> np.ndarray:
    """Ids of the stories with at least ``min_per_side`` articles from each side."""
    if target is None or reference is None:
        raise ArgumentError("give a target and a reference, e.g. target='regime', reference='opposition'")
    if int(min_per_side) < 1:
        raise ArgumentError(f"min_per_side must be 1 or more (got {min_per_side!r})")
    nt = _side_counts(stories, group, _values(target), "target")
    nr = _side_counts(stories, group, _values(reference), "reference")
    return nt.index.to_numpy()[(nt.to_numpy() >= min_per_side) & (nr.to_numpy() >= min_per_side)]


def paired_keyness(analysis: "Analysis", stories: Stories, group: str = "camp",
                   target: str | Sequence[str] = None, reference: str | Sequence[str] = None, *,
                   min_per_side: int = 1, within_story: bool = False, ngrams: int | Sequence[int] = 1,
                   min_count: int = 5, measure_sort: str = "G2", alpha: float = 0.05,
                   **compare_options) -> pd.DataFrame:
    """Keyness on the stories both sides covered, beside the ordinary keyness.

    The paired table is :meth:`Analysis.compare` on the matrix restricted to the ``target`` and
    ``reference`` articles of :func:`paired_stories` (``min_per_side`` articles from each side);
    the ordinary one is the same call on every selected document. ``within_story``: the paired
    table compares the sides within each story (``compare(..., stratify="story")``: CMH
    ``chi2_mh`` and ``odds_ratio_mh`` in place of ``G2`` and ``log_odds_z``). Returns one row per term in
    either table, ranked by the paired ``measure_sort``: ``term``, ``status``, ``rank_paired``,
    ``rank_all``, then ``n_target, n_reference, freq_*, G2, p_adj, log_ratio, log_odds_z,
    direction`` of each table suffixed ``_paired`` and ``_all``. ``status``: ``remains`` (key,
    ``p_adj < alpha``, in both, same direction), ``reverses`` (key in both, opposite
    directions), ``vanishes`` (key overall, not within the paired stories: a difference of
    coverage), ``emerges`` (key only within them), ``none``. ``attrs``: groups, number of paired
    stories and of their articles per side, and both tables' attrs.
    """
    _check_aligned(analysis, stories)
    ids = paired_stories(stories, group, target, reference, min_per_side=min_per_side)
    if not len(ids):
        raise ArgumentError(f"no story has articles from both {_name(target)} and {_name(reference)}; "
                            "widen the window (window_days) or lower the threshold of find_stories()")
    a = stories.articles
    sides = a[group].astype("string").isin(_values(target) + _values(reference)).fillna(False).to_numpy(bool)
    rows = np.flatnonzero(np.isin(a["story"].to_numpy(), ids) & sides)
    dtm = analysis.matrix(ngrams)
    sub = restrict(dtm, rows, f"{len(ids)} stories covered by both {_name(target)} and {_name(reference)}")
    opts = dict(ngrams=ngrams, min_count=min_count, measure_sort=measure_sort, **compare_options)
    whole = analysis.compare(group, target, reference, **opts)
    if within_story:
        sub.docs["story"] = a["story"].to_numpy()[rows]
        opts["stratify"] = "story"
    paired = analysis.compare(group, target, reference, dtm=sub, **opts)
    out = _merge(paired, whole, alpha)
    t_rows = a[group].astype("string").isin(_values(target)).fillna(False).to_numpy(bool)
    out.attrs.update({
        "groups": {"target": _name(target), "reference": _name(reference), "group": group},
        "paired_stories": int(len(ids)), "min_per_side": int(min_per_side), "alpha": float(alpha),
        "within_story": bool(within_story),
        "paired_docs": {"target": int(t_rows[rows].sum()), "reference": int(len(rows) - t_rows[rows].sum())},
        "paired": dict(paired.attrs), "all": dict(whole.attrs), "measure_sort": measure_sort,
        "stories": dict(stories.params),
    })
    return out


def _merge(paired: pd.DataFrame, whole: pd.DataFrame, alpha: float) -> pd.DataFrame:
    cols_p = [c for c in _KEEP if c in paired.columns]
    cols_w = [c for c in _KEEP if c in whole.columns]
    p = paired[["term", *cols_p]].rename(columns={c: f"{c}_paired" for c in cols_p})
    w = whole[["term", *cols_w]].rename(columns={c: f"{c}_all" for c in cols_w})
    p["rank_paired"] = np.arange(1, len(p) + 1)
    w["rank_all"] = np.arange(1, len(w) + 1)
    out = p.merge(w, on="term", how="outer", sort=False)
    key_p = (out["p_adj_paired"] < alpha).fillna(False).to_numpy(bool) & out["direction_paired"].isin(
        ["target", "reference"]).to_numpy(bool)
    key_w = (out["p_adj_all"] < alpha).fillna(False).to_numpy(bool) & out["direction_all"].isin(
        ["target", "reference"]).to_numpy(bool)
    same = (out["direction_paired"] == out["direction_all"]).fillna(False).to_numpy(bool)
    out["status"] = np.select([key_p & key_w & same, key_p & key_w, key_w, key_p],
                              ["remains", "reverses", "vanishes", "emerges"], "none")
    inf = len(out) + 1
    out = out.assign(_r=out["rank_paired"].fillna(inf), _w=out["rank_all"].fillna(inf))
    out = out.sort_values(["_r", "_w", "term"], kind="stable").drop(columns=["_r", "_w"]).reset_index(drop=True)
    for c in ("rank_paired", "rank_all", "n_target_paired", "n_reference_paired", "n_target_all",
              "n_reference_all"):
        out[c] = out[c].astype("Int64")
    front = ["term", "status", "rank_paired", "rank_all"]
    rest = [f"{c}_paired" for c in cols_p] + [f"{c}_all" for c in cols_w]
    return out[front + rest]


@dataclass
class StorySides:
    """One story as each side told it (:func:`story_side_by_side`)."""

    #: The story's row of the story table.
    story: pd.Series
    #: Its articles: ``side, date, outlet, title, id, centrality``, by side then date.
    articles: pd.DataFrame
    #: Each side's distinctive words within the story: ``side, term, n_side, n_other, G2, log_ratio``.
    words: pd.DataFrame
    sides: list[str] = field(default_factory=list)

    def wide(self) -> pd.DataFrame:
        """Articles side by side: one column per side, ``date · outlet · title`` per cell."""
        cols = {}
        for s in self.sides:
            a = self.articles[self.articles["side"] == s]
            cols[s] = [f"{d:%Y-%m-%d} · {o} · {t}" for d, o, t in zip(a["date"], a["outlet"], a["title"])]
        n = max((len(v) for v in cols.values()), default=0)
        return pd.DataFrame({s: v + [""] * (n - len(v)) for s, v in cols.items()})

    def __repr__(self) -> str:
        parts = ", ".join(f"{s}: {int((self.articles['side'] == s).sum())}" for s in self.sides)
        return f"StorySides(story {int(self.story['story'])}: {self.story['title']!s}; {parts})"


def story_side_by_side(analysis: "Analysis", stories: Stories, story_id: int, group: str = "camp", *,
                       target: str | Sequence[str] | None = None, reference: str | Sequence[str] | None = None,
                       top: int = 10, min_count: int = 2) -> StorySides:
    """A story's articles by side, and each side's distinctive words within the story.

    Sides are ``target`` and ``reference`` (values of ``group``) when given, else every value
    of ``group`` in the story. A side's words are its keyness (G², log ratio) against the story's
    other sides' articles, terms with at least ``min_count`` occurrences, the ``top`` strongest
    with the side's direction.
    """
    _check_aligned(analysis, stories)
    members = stories.members(int(story_id))
    if group not in members.columns:
        cols = [c for c in members.columns if c not in ("id", "title", "url", "n_words", "date", "story", "centrality")]
        raise ArgumentError(f"cannot group by '{group}': not a corpus column (try: {', '.join(cols)})")
    col = members[group].astype("string")
    if target is not None or reference is not None:
        if target is None or reference is None:
            raise ArgumentError("give both target and reference, or neither (every side of the story)")
        sides = {_name(target): _values(target), _name(reference): _values(reference)}
    else:
        present = col.value_counts(sort=False)
        order = sorted(present.index, key=lambda v: (-int(present[v]), str(v)))
        sides = {str(v): [str(v)] for v in order}
    side_of = pd.Series(pd.NA, index=members.index, dtype="string")
    for name, vals in sides.items():
        side_of[col.isin(vals).fillna(False).to_numpy(bool)] = name
    members = members.assign(side=side_of)[side_of.notna().to_numpy()]
    rank = {s: i for i, s in enumerate(sides)}
    arts = members.assign(_k=members["side"].map(rank)).sort_values(["_k", "date", "id"], kind="stable")
    articles = arts[["side", "date", "outlet", "title", "id", "centrality"]].reset_index(drop=True)
    story = stories.table.loc[stories.table["story"] == int(story_id)].iloc[0]
    words = []
    present_sides = [s for s in sides if (articles["side"] == s).any()]
    if len(present_sides) > 1:
        dtm = restrict(analysis.matrix(), members.index.to_numpy(), f"story {int(story_id)}")
        here = set(col.dropna())
        for s in present_sides:
            mine = [v for v in sides[s] if v in here]
            others = [v for o in present_sides if o != s for v in sides[o] if v in here]
            tab = analysis.compare(group, mine, others, dtm=dtm, min_count=min_count)
            tab = tab[tab["direction"] == "target"].head(int(top))
            words.append(pd.DataFrame({"side": s, "term": tab["term"].to_numpy(), "n_side": tab["n_target"].to_numpy(),
                                       "n_other": tab["n_reference"].to_numpy(), "G2": tab["G2"].to_numpy(),
                                       "log_ratio": tab["log_ratio"].to_numpy()}))
    words_df = pd.concat(words, ignore_index=True) if words else pd.DataFrame(
        {"side": pd.Series(dtype="string"), "term": pd.Series(dtype="string"), "n_side": pd.Series(dtype="int64"),
         "n_other": pd.Series(dtype="int64"), "G2": pd.Series(dtype="float64"),
         "log_ratio": pd.Series(dtype="float64")})
    return StorySides(story, articles, words_df, present_sides)
