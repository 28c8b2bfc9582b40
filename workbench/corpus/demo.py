"""The bundled demo corpus (constructed text, fictional outlets) as a ready store."""
from __future__ import annotations

from pathlib import Path

from .registry import PROJECT_ROOT
from .store import import_once

DEMO_SOURCE = PROJECT_ROOT / "corpus" / "demo" / "articles.jsonl"
DEMO_STORE = PROJECT_ROOT / "build" / "demo-store"


def demo_store(path: str | Path | None = None) -> Path:
    """Path of the demo corpus store, importing ``corpus/demo/articles.jsonl`` on first use."""
    path = Path(path) if path else DEMO_STORE
    import_once(DEMO_SOURCE, store=path)
    return path
