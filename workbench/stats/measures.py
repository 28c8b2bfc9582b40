"""Names of the keyness measures, table columns and p-value corrections.

Kept apart from :mod:`workbench.stats.keyness` (numpy, pandas, scipy) so that the command line can
offer them as choices without importing the numerical stack.
"""
from __future__ import annotations

#: Measures :func:`keyness` and :func:`top_terms` can sort by. Signed measures
#: (log_ratio, lrc, log_odds, log_odds_z) are ranked by absolute value.
MEASURES = ("G2", "log_ratio", "lrc", "log_odds", "log_odds_z", "chi2_yates")

#: Column order of the table returned by :func:`keyness`.
COLUMNS = [
    "term",
    "n_target",
    "n_reference",
    "freq_target",
    "freq_reference",
    "docs_target",
    "docs_reference",
    "outlets_target",
    "outlets_reference",
    "G2",
    "p",
    "p_adj",
    "log_ratio",
    "lrc",
    "log_odds",
    "log_odds_z",
    "chi2_yates",
    "direction",
]

#: Multiple-testing corrections of the p-values (``p_adj``): Benjamini-Hochberg false discovery
#: rate, Bonferroni family-wise error, or none. :func:`adjust_pvalues` also accepts the aliases
#: ``bh``, ``fdr`` and ``benjamini-hochberg``.
CORRECTIONS = ("fdr_bh", "bonferroni", "none")
