"""The bundled demo corpus (constructed text, fictional outlets) as a ready store."""
from __future__ import annotations

from pathlib import Path

from ..paths import BUILD_DIR, CORPUS_DIR
from .store import import_once

DEMO_SOURCE = CORPUS_DIR / "demo" / "articles.jsonl"
DEMO_STORE = BUILD_DIR / "demo-store"


def demo_store(path: str | Path | None = None) -> Path:
    """Path of the demo corpus store, importing ``corpus/demo/articles.jsonl`` on first use."""
    path = Path(path) if path else DEMO_STORE
    import_once(DEMO_SOURCE, store=path)
    return path
