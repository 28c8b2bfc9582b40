"""Collecting a corpus from the outlets' feeds: polite fetching, main-text extraction, provenance,
incremental runs (see :mod:`workbench.collect.run`)."""
from .http import FetchError, PoliteClient, USER_AGENT
from .run import CollectResult, collect

__all__ = ["collect", "CollectResult", "PoliteClient", "FetchError", "USER_AGENT"]
