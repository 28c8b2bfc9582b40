"""Coverage asymmetry: which stories one side covered and the other ignored.

Agenda setting by selection (McCombs & Shaw 1972; for partisan selection, Groeling 2013): before
two camps *frame* an event differently, one of them may not report it at all. :func:`coverage`
takes the stories of :func:`~workbench.stories.clustering.find_stories` and sorts each story
by who covered it: the share of its articles from the ``target`` side among the articles from
``target`` and ``reference``, ``share_target``. A story is

* ``only <target>`` / ``only <reference>``: every one of those articles is from one side;
* ``mostly <target>`` / ``mostly <reference>``: at least ``share`` (default 0.8) of them;
* ``both``: the others.

Camps differ in volume (on the Egyptian 2013 corpus the private papers have 14 times the Freedom
and Justice Party's articles), so a story with one article from the small side and ten from the
large one may be all the small side could cover. ``balance=True`` computes the share on each
side's articles *as a share of that side's articles in the selection* (equal weight to the two
sides); ``only`` stays "no article at all from the other side".

Stories of fewer than ``min_size`` articles on the two sides (default 2) are left out: a single
article is not evidence that the other side ignored anything. Articles of other groups (a third
camp) are counted in ``size`` but not in the share.

References
----------
* McCombs, M. E. & Shaw, D. L. (1972). The agenda-setting function of mass media. *Public Opinion
  Quarterly* 36(2), 176-187.
* Groeling, T. (2013). Media bias by the numbers: challenges and opportunities in the empirical
  study of partisan news. *Annual Review of Political Science* 16, 129-151.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import ArgumentError
from .clustering import Stories

__all__ = ["coverage", "coverage_counts", "one_sided", "SIDES"]

#: The kinds of side, in order from the target's to the reference's.
SIDES = ("only target", "mostly target", "both", "mostly reference", "only reference")


def _name(v: str | Sequence[str]) -> str:
    return v if isinstance(v, str) else "+".join(map(str, v))


def _values(v: str | Sequence[str]) -> list[str]:
    return [v] if isinstance(v, str) else [str(x) for x in v]


def _side_counts(stories: Stories | pd.DataFrame, group: str, values: list[str], what: str) -> pd.Series:
    """Articles of each story whose ``group`` is one of ``values``, indexed by story id."""
    if isinstance(stories, Stories):
        a = stories.articles
        if group not in a.columns:
            cols = [c for c in a.columns if c not in ("id", "title", "url", "n_words", "date", "story", "centrality")]
            raise ArgumentError(f"cannot group by '{group}': not a corpus column (try: {', '.join(cols)})")
        present = set(a[group].dropna().astype(str))
        for v in values:
            if v not in present:
                raise ArgumentError(f"{what} '{v}' is not a value of '{group}' (values: {', '.join(sorted(present))})")
        hit = a[group].astype("string").isin(values).fillna(False).to_numpy(dtype=bool)
        counts = np.bincount(a["story"].to_numpy()[hit], minlength=len(stories.table))
        return pd.Series(counts, index=stories.table["story"].to_numpy())
    table = stories
    if group != "camp":
        raise ArgumentError(f"a story table has counts per camp only; pass the Stories object itself "
                            f"(find_stories(...)) to group by '{group}'")
    cols = [f"n_{v}" for v in values]
    have = sorted(c[2:] for c in table.columns if str(c).startswith("n_") and c not in ("n_outlets", "n_camps"))
    for v, c in zip(values, cols):
        if c not in table.columns:
            raise ArgumentError(f"{what} '{v}' is not a camp of this story table (camps: {', '.join(have)})")
    return pd.Series(table[cols].sum(axis=1).to_numpy(), index=table["story"].to_numpy())


def coverage(stories: Stories | pd.DataFrame, group: str = "camp", target: str | Sequence[str] = None,
             reference: str | Sequence[str] = None, *, share: float = 0.8, min_size: int = 2,
             balance: bool = False) -> pd.DataFrame:
    """Who covered each story: ``target`` against ``reference`` (values of ``group``).

    ``stories``: a :class:`Stories` (any ``group`` column) or its ``table`` (``group="camp"``:
    the ``n_<camp>`` columns). Returns one row per story with at least ``min_size`` articles on
    the two sides, largest first: ``story, first_date, last_date, size, n_target, n_reference,
    share_target, side, one_sided, outlets, title``. ``side`` is one of :data:`SIDES` with the
    group names in place of target/reference (``only regime``). ``balance``: the share weighs
    each side's counts by 1 / its articles in the selection (see the module docstring).
    ``attrs["counts"]``: stories per side; ``attrs["groups"]``: the names.
    """
    if target is None or reference is None:
        raise ArgumentError("coverage needs a target and a reference, e.g. target='regime', reference='opposition'")
    if not 0.5 < float(share) <= 1:
        raise ArgumentError(f"share must be in (0.5, 1] (got {share!r}): the share of a story's articles "
                            "that makes it 'mostly' one side's")
    t_vals, r_vals = _values(target), _values(reference)
    if set(t_vals) & set(r_vals):
        raise ArgumentError(f"target and reference share {', '.join(sorted(set(t_vals) & set(r_vals)))}; "
                            "give two different groups")
    nt = _side_counts(stories, group, t_vals, "target")
    nr = _side_counts(stories, group, r_vals, "reference")
    table = stories.table if isinstance(stories, Stories) else stories
    tname, rname = _name(target), _name(reference)
    both = (nt + nr).to_numpy()
    keep = both >= max(int(min_size), 1)
    out = table.loc[keep, ["story", "first_date", "last_date", "size"]].reset_index(drop=True)
    out["n_target"] = nt.to_numpy()[keep]
    out["n_reference"] = nr.to_numpy()[keep]
    wt, wr = 1.0, 1.0
    if balance:
        wt, wr = 1.0 / max(int(nt.sum()), 1), 1.0 / max(int(nr.sum()), 1)
    out["share_target"] = out["n_target"] * wt / (out["n_target"] * wt + out["n_reference"] * wr)
    s = out["share_target"].to_numpy()
    r = out["n_reference"].to_numpy() * wr / (out["n_target"].to_numpy() * wt + out["n_reference"].to_numpy() * wr)
    eps = 1e-12  # 1 of 5 is 20 %: "mostly" at share 0.8 whatever the rounding of 1 - 0.8
    kind = np.select([out["n_reference"].to_numpy() == 0, s >= share - eps, out["n_target"].to_numpy() == 0,
                      r >= share - eps],
                     ["only target", "mostly target", "only reference", "mostly reference"], "both")
    names = {"only target": f"only {tname}", "mostly target": f"mostly {tname}", "both": "both",
             "mostly reference": f"mostly {rname}", "only reference": f"only {rname}"}
    out["side"] = pd.Series(kind).map(names).astype("string")
    out["one_sided"] = kind != "both"
    out["outlets"] = table.loc[keep, "outlets"].to_numpy()
    out["title"] = table.loc[keep, "title"].to_numpy()
    out = out.sort_values(["size", "n_target", "story"], ascending=[False, False, True], kind="stable")
    out = out.reset_index(drop=True)
    counts = {names[k]: int((kind == k).sum()) for k in SIDES}
    out.attrs.update({"groups": {"target": tname, "reference": rname, "group": group}, "share": float(share),
                      "min_size": int(min_size), "balance": bool(balance), "counts": counts,
                      "sides": [names[k] for k in SIDES]})
    return out


def coverage_counts(cov: pd.DataFrame) -> pd.DataFrame:
    """Stories and articles per side of a :func:`coverage` table, in :data:`SIDES` order."""
    sides = cov.attrs.get("sides") or list(dict.fromkeys(cov["side"]))
    g = cov.groupby("side", sort=False)
    out = pd.DataFrame({"side": sides})
    out["stories"] = out["side"].map(g.size()).fillna(0).astype(np.int64)
    out["articles_target"] = out["side"].map(g["n_target"].sum()).fillna(0).astype(np.int64)
    out["articles_reference"] = out["side"].map(g["n_reference"].sum()).fillna(0).astype(np.int64)
    out["share_of_stories"] = out["stories"] / max(int(out["stories"].sum()), 1)
    out.attrs.update(cov.attrs)
    return out


def one_sided(cov: pd.DataFrame, n: int = 10, *, side: str | None = None) -> pd.DataFrame:
    """The ``n`` largest one-sided stories of a :func:`coverage` table (``side``: one kind only,
    e.g. ``"target"`` for only/mostly target, ``"reference"``, or a side label)."""
    rows = cov[cov["one_sided"]]
    if side is not None:
        groups = cov.attrs.get("groups", {})
        if side in ("target", "reference"):
            name = groups.get(side, side)
            rows = rows[rows["side"].isin([f"only {name}", f"mostly {name}"])]
        else:
            if side not in set(cov.attrs.get("sides", cov["side"])):
                raise ArgumentError(f"side '{side}' is not one of: target, reference, "
                                    f"{', '.join(cov.attrs.get('sides', []))}")
            rows = rows[rows["side"] == side]
    return rows.head(int(n)).reset_index(drop=True)
