"""Corpus: the outlet registry, source readers, validation and the Parquet corpus store.

The names below are imported on first use (PEP 562 ``__getattr__``), so light submodules
(``workbench.corpus.readers`` for the command line's options) do not pull in pandas.
"""
from __future__ import annotations

import importlib

_WHERE = {
    "Registry": "registry", "load_registry": "registry",
    "ImportResult": "store", "Store": "store", "import_once": "store", "import_sources": "store",
    "open_store": "store", "read_corpus": "store",
    "corpus_summary": "summary", "format_summary": "summary",
}

__all__ = list(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
