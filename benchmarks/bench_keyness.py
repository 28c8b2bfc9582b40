"""Keyness benchmark: time and peak memory of matrix + keyness for camp vs camp, cold and warm.

    .venv/bin/python benchmarks/bench_keyness.py [--store DIR] [--target brotherhood --reference private]

Without --store it imports ../shared/corpora/egypt2013-dev into a temporary store first. Each
measurement runs in a fresh Python process, so peak memory (max RSS) is that stage's own:
  cold  = tokenise the whole store (both cores) + build the matrix + keyness
  warm  = the same with the token cache in place (no text is read or tokenised)
  baseline = a process that only imports the workbench and reads the store's metadata
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EGYPT = ROOT.parent / "shared/corpora/egypt2013-dev/articles.jsonl.gz"

STAGE = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from workbench.analysis import Analysis
store, target, reference, what = sys.argv[1:5]
t = time.perf_counter()
if what == "baseline":
    n = len(Analysis(store).metadata)
    terms = 0
else:
    table = Analysis(store).compare("camp", target, reference, min_count=5)
    n, terms = sum(table.attrs["docs"].values()), len(table)
secs = time.perf_counter() - t
print(json.dumps({"seconds": secs, "import_seconds": t - t0, "docs": n, "terms": terms,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}, default=str))
"""


def run(store, target, reference, what):
    out = subprocess.run([sys.executable, "-c", STAGE, str(store), target, reference, what],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store")
    ap.add_argument("--target", default="brotherhood")
    ap.add_argument("--reference", default="private")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(a.store) if a.store else Path(tmp) / "store"
        if not a.store:
            if not EGYPT.exists():
                sys.exit(f"{EGYPT} not found: pass --store DIR")
            from workbench.corpus import import_once
            import_once(EGYPT, store=store, registry=ROOT / "corpus/registries/egypt2013.yaml")
        else:
            import shutil
            shutil.rmtree(store / "cache", ignore_errors=True)
        base = run(store, a.target, a.reference, "baseline")
        cold = run(store, a.target, a.reference, "keyness")
        warm = run(store, a.target, a.reference, "keyness")
    print(f"camp '{a.target}' vs '{a.reference}' on {store}")
    print(f"{'stage':<34}{'seconds':>9}{'peak RSS MB':>13}")
    print(f"{'metadata read only (baseline)':<34}{base['seconds']:>9.2f}{base['max_rss_mb']:>13.0f}")
    print(f"{'cold: tokenise + matrix + keyness':<34}{cold['seconds']:>9.2f}{cold['max_rss_mb']:>13.0f}")
    print(f"{'warm: cached tokens+matrix+keyness':<34}{warm['seconds']:>9.2f}{warm['max_rss_mb']:>13.0f}")
    print(f"cold/warm time ratio: {cold['seconds'] / warm['seconds']:.1f}x; "
          f"{warm['docs']:,} documents, {warm['terms']:,} terms tested")


if __name__ == "__main__":
    main()
