"""Import benchmark: time and peak memory of importing egypt2013-dev (31,214 articles) into a new store,
then re-importing it (everything is a duplicate), then reading it back.

    .venv/bin/python benchmarks/bench_import.py [PATH_TO_articles.jsonl.gz]

Target (issue 2): the first import takes under a minute on a 2-core machine.
"""
import resource
import sys
import tempfile
import time
from pathlib import Path

from workbench.corpus import import_sources, read_corpus

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared/corpora/egypt2013-dev/articles.jsonl.gz"
REGISTRY = ROOT / "corpus/registries/egypt2013.yaml"


def main() -> None:
    if not SRC.exists():
        sys.exit(f"{SRC} not found: pass the path of egypt2013-dev/articles.jsonl.gz")
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        rows = []
        for label, fn in [
            ("first import", lambda: import_sources([SRC], store, registry=REGISTRY)),
            ("re-import (all duplicates)", lambda: import_sources([SRC], store, registry=REGISTRY)),
            ("read back as DataFrame", lambda: read_corpus(store)),
        ]:
            t = time.perf_counter()
            out = fn()
            rows.append((label, time.perf_counter() - t, out))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'step':<30}{'seconds':>10}  result")
    for label, secs, out in rows:
        res = f"{len(out):,} rows" if hasattr(out, "columns") else f"{out.added:,} added, {out.already_in_store:,} already stored"
        print(f"{label:<30}{secs:>10.2f}  {res}")
    print(f"peak resident memory: {peak:,.0f} MB; first import vs 60 s target: {rows[0][1] / 60:.2f}")


if __name__ == "__main__":
    main()
