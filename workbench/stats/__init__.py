"""Statistics for comparing groups of documents (keyness) and collocations (two-word phrases).

The names below are imported on first use (PEP 562 ``__getattr__``), so ``workbench.stats.measures``
(names only) stays cheap for the command line, which reads it to build its options.
"""
from __future__ import annotations

import sys
import types

from ..lazy import lazy_exports

_WHERE = {
    "adjust_pvalues": "keyness", "benjamini_hochberg": "keyness", "chi2_yates": "keyness",
    "clopper_pearson": "keyness", "conservative_log_ratio": "keyness", "dirichlet_prior": "keyness",
    "g2_pvalue": "keyness", "keyness": "keyness", "log_likelihood": "keyness", "log_ratio": "keyness",
    "top_terms": "keyness", "weighted_log_odds": "keyness",
    "collocates": "collocations", "compare_collocates": "collocations", "multiword_expressions": "collocations",
    "COLUMNS": "measures", "CORRECTIONS": "measures", "MEASURES": "measures",
    "document_texts": "phrases", "phrase_matrix": "phrases",
    "keyness_stratified": "stratified",
    "composition": "composition",
}

__all__ = sorted(_WHERE)
__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())


class _Package(types.ModuleType):
    """Two functions share their submodule's name (``keyness``, ``composition``). Importing the
    submodule makes Python set the package attribute to the module; this keeps the function there,
    as ``from workbench.stats import keyness`` always gave."""

    def __setattr__(self, name, value):
        if name in ("keyness", "composition") and isinstance(value, types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
