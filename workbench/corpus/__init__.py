"""Corpus: the outlet registry, source readers, validation and the Parquet corpus store.

The names below are imported on first use (PEP 562 ``__getattr__``), so light submodules
(``workbench.corpus.readers`` for the command line's options) do not pull in pandas.
"""
from __future__ import annotations

from ..lazy import lazy_exports

_WHERE = {
    "Registry": "registry", "load_registry": "registry",
    "ImportResult": "store", "Store": "store", "import_once": "store", "import_sources": "store",
    "open_store": "store", "read_corpus": "store",
    "corpus_summary": "summary", "format_summary": "summary",
}

__all__ = list(_WHERE)
__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())
