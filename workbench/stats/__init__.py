"""Statistics for comparing groups of documents (keyness)."""

from workbench.stats.keyness import (
    COLUMNS,
    MEASURES,
    adjust_pvalues,
    benjamini_hochberg,
    chi2_yates,
    clopper_pearson,
    conservative_log_ratio,
    dirichlet_prior,
    g2_pvalue,
    keyness,
    log_likelihood,
    log_ratio,
    top_terms,
    weighted_log_odds,
)

__all__ = [
    "COLUMNS",
    "MEASURES",
    "adjust_pvalues",
    "benjamini_hochberg",
    "chi2_yates",
    "clopper_pearson",
    "conservative_log_ratio",
    "dirichlet_prior",
    "g2_pvalue",
    "keyness",
    "log_likelihood",
    "log_ratio",
    "top_terms",
    "weighted_log_odds",
]
