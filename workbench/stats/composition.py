r"""Composition check: do the two groups of a comparison differ in their mix of sections (or any column)?

A keyword comparison of two camps is only about the camps if their documents are otherwise alike.
When one camp's outlets were collected through a crime section and the other's were not, the police
vocabulary tops one side of the keyword table for a reason that has nothing to do with framing. This
module measures such differences before the keywords are read: for every metadata column such as
``category``, ``section`` or ``country``, each group's distribution over the column's values, and the
strength of the association between group and column, Cramér's V from Pearson's χ² on the
values × groups table (:func:`workbench.stats.counts.independence_test`).

Threshold. With two groups the table has two columns, so V is Cohen's effect size ``w`` (= φ), and
Cohen's (1988, §7.2) conventions for ``w`` apply: 0.1 small, 0.3 medium, 0.5 large. A *warning* is
given from the medium effect, V ≥ 0.3 (``threshold``): roughly a value that makes up a fifth of one
group's documents and none of the other's (two equal groups, shares 20% and 0%: V = 0.33). That is a
difference in material large enough to fill the top of a keyword list with the vocabulary of one
section; smaller differences can still move single words, so the tables are worth a look whatever V
is. V does not grow with the number of documents, unlike χ² and its p-value, which are significant
for trivial differences in a corpus of thousands of articles -- so the decision uses V, not p.
Plain V is itself biased upwards when a column has many values and the groups few documents, so the
warning uses Bergsma's (2013) bias-corrected V (:func:`bias_corrected_v`; ``cramers_v_corrected``),
which equals plain V to two decimals in a corpus of thousands of documents.

What to do about a warning: compare within the column's values (``stratify=COLUMN``, the
Cochran-Mantel-Haenszel keyness of :mod:`workbench.stats.stratified`), or leave the values only one
side has out of the selection (``where="COLUMN!=VALUE"``).

References
----------
* Cohen, J. (1988). *Statistical Power Analysis for the Behavioral Sciences*, 2nd ed. Lawrence
  Erlbaum, ch. 7 (effect size ``w`` for χ² tests; 0.1, 0.3, 0.5 as small, medium, large).
* Bergsma, W. (2013). A bias-correction for Cramér's V and Tschuprow's T. *Journal of the Korean
  Statistical Society* 42(3), 323-328.
* Cramér, H. (1946). *Mathematical Methods of Statistics*. Princeton University Press, p. 282.
* Pearson, K. (1900). On the criterion that a given system of deviations ... *Philosophical
  Magazine* 50(302), 157-175.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..errors import StatisticsError
from .counts import independence_test
from .stratified import MISSING, stratum_labels

__all__ = ["THRESHOLD", "MAX_VALUES", "CORE_COLUMNS", "Composition", "composition", "candidate_columns",
           "bias_corrected_v"]

#: Cramér's V from which the groups are said to differ markedly (Cohen 1988's "medium" effect).
THRESHOLD = 0.3
#: Columns with more distinct values than this are not checked unless named (ids, titles, free text).
MAX_VALUES = 50
#: Columns that are never checked by default: identity, text, dates and the outlet/camp hierarchy
#: (an outlet belongs to one camp, so camp × outlet is always perfectly associated).
CORE_COLUMNS = frozenset({"id", "outlet", "camp", "date", "month", "title", "text", "url", "n_words",
                          "text_hash", "content_hash"})


@dataclass
class Composition:
    """The result of :func:`composition`.

    ``table``: one row per column and value, ``column, value, n_target, n_reference,
    share_target, share_reference, difference`` (shares of each group's documents; difference =
    target share - reference share), most frequent values first. ``tests``: one row per column,
    ``column, values, cramers_v, cramers_v_corrected, chi2, df, p, n, warn``. ``warnings``: one
    plain sentence per column with ``cramers_v_corrected >= threshold``. ``groups``: the names of target and reference.
    """

    table: pd.DataFrame
    tests: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    groups: dict[str, str] = field(default_factory=dict)
    threshold: float = THRESHOLD

    def for_column(self, column: str) -> pd.DataFrame:
        """The distribution table of one column."""
        return self.table[self.table["column"] == column].reset_index(drop=True)


def _name(values: Any) -> str:
    return values if isinstance(values, str) else "+".join(map(str, values))


def bias_corrected_v(chi2: float, n: int, rows: int, columns: int) -> float:
    r"""Bergsma's (2013) bias-corrected Cramér's V of an ``rows`` × ``columns`` table.

    ``φ̃² = max(0, χ²/n - (r-1)(c-1)/(n-1))``, ``r̃ = r - (r-1)²/(n-1)``, ``c̃ = c - (c-1)²/(n-1)``,
    ``Ṽ = sqrt(φ̃² / min(r̃-1, c̃-1))``. Plain V is biased upwards in small tables with many
    values (20 values over 300 documents give V ≈ 0.25 with no association at all); the correction
    removes most of that and changes nothing in a corpus of thousands. NaN when undefined.
    """
    if not np.isfinite(chi2) or n < 2 or rows < 2 or columns < 2:
        return float("nan")
    phi2 = max(0.0, chi2 / n - (rows - 1) * (columns - 1) / (n - 1))
    r_t = rows - (rows - 1) ** 2 / (n - 1)
    c_t = columns - (columns - 1) ** 2 / (n - 1)
    den = min(r_t - 1, c_t - 1)
    return float(np.sqrt(phi2 / den)) if den > 0 else float("nan")


def candidate_columns(docs: pd.DataFrame, exclude: Sequence[str] = (), max_values: int = MAX_VALUES) -> list[str]:
    """Columns worth checking: text-like (string, category, boolean) columns outside
    :data:`CORE_COLUMNS` and ``exclude`` with 2 to ``max_values`` distinct values (missing counts
    as one)."""
    out = []
    for col in docs.columns:
        if col in CORE_COLUMNS or col in exclude:
            continue
        s = docs[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            continue
        if pd.api.types.is_datetime64_any_dtype(s):
            continue
        if 2 <= s.astype(object).fillna(MISSING).nunique() <= max_values:
            out.append(str(col))
    return out


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if x >= 0.01 or x == 0 else "<1%"


def _warning(column: str, v: float, part: pd.DataFrame, tname: str, rname: str) -> str:
    """The plain-words warning of one column: the value most over-represented on each side, and
    what to do."""
    order = part.sort_values("difference", kind="stable")
    top_t, top_r = order.iloc[-1], order.iloc[0]
    facts = []
    for row, hi, lo in ((top_t, tname, rname), (top_r, rname, tname)):
        share_hi = row["share_target"] if hi == tname else row["share_reference"]
        share_lo = row["share_reference"] if hi == tname else row["share_target"]
        if share_hi > share_lo:
            facts.append(f"'{row['value']}' is {_pct(share_hi)} of {hi} but {_pct(share_lo)} of {lo} documents")
    # the value a --where would most usefully drop: the largest that only one side has
    one_sided = part[(part["n_target"] == 0) | (part["n_reference"] == 0)]
    if len(one_sided):
        drop = one_sided.loc[one_sided["difference"].abs().idxmax(), "value"]
    else:
        drop = part.loc[part["difference"].abs().idxmax(), "value"]
    return (f"the two groups differ markedly in '{column}' (Cramér's V = {v:.2f}): {'; '.join(facts)}; "
            f"compare within each {column} with --stratify {column} (Python: stratify='{column}') "
            f"or leave some out with --where {column}!={drop}")


def composition(analysis, group: str, target, reference=None, columns: Sequence[str] | None = None, *,
                threshold: float = THRESHOLD, max_values: int = MAX_VALUES) -> Composition:
    """How the ``target`` and ``reference`` groups of ``group`` are spread over other columns.

    ``analysis`` is an :class:`~workbench.analysis.Analysis` (its selected documents are used) or a
    documents table (``pandas.DataFrame``, e.g. ``dtm.docs``). ``target``/``reference`` are values
    of ``group`` as for :meth:`Analysis.compare` (``reference=None``: every other document).
    ``columns`` defaults to :func:`candidate_columns` (e.g. ``category``, ``section``,
    ``country``); missing values are counted as the value ``(missing)``, as in stratified keyness.
    Cramér's V of group × column comes from :func:`workbench.stats.counts.independence_test`
    (no Monte Carlo: the decision uses V, not p). Columns whose bias-corrected V (Bergsma 2013)
    reaches ``threshold`` get a warning (see the module docstring for the threshold).

    Example::

        from workbench.analysis import Analysis
        check = composition(Analysis("build/demo-store"), "camp", "regime", "opposition")
        check.tests, check.warnings
    """
    from ..analysis import group_mask

    docs = analysis if isinstance(analysis, pd.DataFrame) else analysis.docs
    if not 0 < threshold <= 1:
        raise StatisticsError(f"threshold must be a Cramér's V between 0 and 1 (e.g. 0.3), got {threshold!r}")
    t = group_mask(docs, group, target)
    r = group_mask(docs, group, reference) if reference is not None else ~t
    if not t.any() or not r.any():
        raise StatisticsError(f"the {'target' if not t.any() else 'reference'} group has no documents")
    if (t & r).any():
        raise StatisticsError("target and reference overlap; each document must belong to one group")
    tname = _name(target)
    rname = _name(reference) if reference is not None else f"not {tname}"
    if columns is None:
        columns = candidate_columns(docs[t | r], exclude=[group], max_values=max_values)
    else:
        columns = [c.strip() for c in ([columns] if isinstance(columns, str) else columns) if c.strip()]
        unknown = [c for c in columns if c not in docs.columns]
        if unknown:
            cols = candidate_columns(docs, exclude=[group], max_values=max_values)
            raise StatisticsError(f"'{unknown[0]}' is not a corpus column (columns worth checking: "
                                  f"{', '.join(cols) or 'none'})")
        if group in columns:
            raise StatisticsError(f"'{group}' defines the groups; choose other columns to check")

    parts, tests, warns = [], [], []
    for col in columns:
        labels = pd.Series(stratum_labels(docs[col]))
        ct = pd.crosstab(labels[t | r], np.where(t, "t", "r")[t | r]).reindex(columns=["t", "r"], fill_value=0)
        nt, nr = ct["t"].to_numpy(), ct["r"].to_numpy()
        part = pd.DataFrame({
            "column": col, "value": ct.index.astype(str), "n_target": nt, "n_reference": nr,
            "share_target": nt / nt.sum(), "share_reference": nr / nr.sum(),
        })
        part["difference"] = part["share_target"] - part["share_reference"]
        total = part["n_target"] + part["n_reference"]
        part = part.iloc[np.lexsort((part["value"].to_numpy(), -total.to_numpy()))].reset_index(drop=True)
        test = independence_test(ct.to_numpy(), n_sim=0)
        v = bias_corrected_v(test["chi2"], test["n"], test["rows"], test["columns"])
        warn = bool(np.isfinite(v) and v >= threshold)
        tests.append({"column": col, "values": len(part), "cramers_v": test["cramers_v"], "cramers_v_corrected": v,
                      "chi2": test["chi2"], "df": test["df"], "p": test["p"], "n": test["n"], "warn": warn})
        if warn:
            warns.append(_warning(col, v, part, tname, rname))
        parts.append(part)
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["column", "value", "n_target", "n_reference", "share_target", "share_reference", "difference"])
    tests_df = pd.DataFrame(tests, columns=["column", "values", "cramers_v", "cramers_v_corrected", "chi2", "df", "p",
                                            "n", "warn"])
    return Composition(table, tests_df, warns, {"target": tname, "reference": rname}, float(threshold))
