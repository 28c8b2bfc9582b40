"""Names of the keyness measures, table columns and p-value corrections.

Kept apart from :mod:`workbench.stats.keyness` (numpy, pandas, scipy) so that the command line can
offer them as choices without importing the numerical stack.
"""
from __future__ import annotations

#: Measures :func:`keyness` and :func:`top_terms` can sort by. Signed measures
#: (log_ratio, lrc, log_odds, log_odds_z) are ranked by absolute value.
MEASURES = ("G2", "log_ratio", "lrc", "log_odds", "log_odds_z", "chi2_yates")

#: Measures a stratified keyness table (:func:`~workbench.stats.stratified.keyness_stratified`) can
#: be sorted by: the Cochran-Mantel-Haenszel χ² and the binary log of the Mantel-Haenszel odds ratio.
STRATIFIED_MEASURES = ("chi2_mh", "log_ratio")

#: Measures that are never negative (the others carry the direction in their sign).
UNSIGNED = ("G2", "chi2_yates", "chi2_mh")

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

#: Column order of the table returned by :func:`~workbench.stats.stratified.keyness_stratified`.
STRATIFIED_COLUMNS = [
    *COLUMNS[:COLUMNS.index("G2")],  # term, counts, frequencies, documents and outlets of each side
    "strata_target",
    "strata_reference",
    "chi2_mh",
    "p",
    "p_adj",
    "odds_ratio_mh",
    "or_low",
    "or_high",
    "log_ratio",
    "breslow_day",
    "p_homogeneity",
    "direction",
]

#: Multiple-testing corrections of the p-values (``p_adj``): Benjamini-Hochberg false discovery
#: rate, Bonferroni family-wise error, or none. :func:`adjust_pvalues` also accepts the aliases
#: ``bh``, ``fdr`` and ``benjamini-hochberg``.
CORRECTIONS = ("fdr_bh", "bonferroni", "none")

#: The columns a reader is shown of a keyness table, in this order, everywhere: the ``workbench
#: keyness`` printout, the report's top-terms tables and the explorer (the CSV files hold every column
#: of :data:`COLUMNS`). Counts sit next to their rates per 10,000 words (``freq_*``), then the outlets
#: of each side that use the term, then the test, its adjusted p-value and the effect sizes.
SHOWN_COLUMNS = ["term", "n_target", "freq_target", "n_reference", "freq_reference", "outlets_target",
                 "outlets_reference", "G2", "p_adj", "log_ratio", "lrc", "log_odds_z"]

#: :data:`SHOWN_COLUMNS` of a stratified table.
SHOWN_STRATIFIED_COLUMNS = ["term", "n_target", "freq_target", "n_reference", "freq_reference",
                            "strata_target", "strata_reference", "chi2_mh", "p_adj", "odds_ratio_mh",
                            "or_low", "or_high"]
