"""Statistics for comparing groups of documents (keyness) and collocations (two-word phrases)."""

from workbench.stats.keyness import (
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
from workbench.stats.collocations import collocates, compare_collocates, multiword_expressions
from workbench.stats.measures import COLUMNS, CORRECTIONS, MEASURES
from workbench.stats.phrases import document_texts, phrase_matrix
from workbench.stats.stratified import keyness_stratified
from workbench.stats.composition import composition

__all__ = [
    "COLUMNS",
    "CORRECTIONS",
    "MEASURES",
    "adjust_pvalues",
    "benjamini_hochberg",
    "chi2_yates",
    "clopper_pearson",
    "collocates",
    "compare_collocates",
    "composition",
    "conservative_log_ratio",
    "dirichlet_prior",
    "document_texts",
    "g2_pvalue",
    "keyness",
    "keyness_stratified",
    "log_likelihood",
    "log_ratio",
    "multiword_expressions",
    "phrase_matrix",
    "top_terms",
    "weighted_log_odds",
]
