"""Corpus: the outlet registry, source readers, validation and the Parquet corpus store."""
from .registry import Registry, load_registry
from .store import ImportResult, Store, import_once, import_sources, open_store, read_corpus
from .summary import corpus_summary, format_summary

__all__ = ["Registry", "load_registry", "ImportResult", "Store", "import_once", "import_sources", "open_store",
           "read_corpus", "corpus_summary", "format_summary"]
