"""Story clustering benchmark: time and peak memory of find_stories on the Egyptian 2013 corpus.

    .venv/bin/python benchmarks/bench_stories.py --store DIR [--window 3] [--threshold 0.3]

DIR is a store of the Egyptian development corpus, e.g. made once with
``workbench corpus import ../shared/corpora/egypt2013-dev/articles.jsonl.gz --store DIR
--registry corpus/registries/egypt2013.yaml`` (the first run tokenises it, outside the
measurement). The measurement runs in a fresh Python process, so peak memory
(max RSS) is its own: opening the store, the document-term matrix from the token cache, and the
clustering (TF-IDF, pairs within the window, cohesive components, the story table), each timed.
Target: under 2 minutes in all.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

STAGE = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from workbench.analysis import Analysis
from workbench.stories import find_stories
store, window, threshold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
t1 = time.perf_counter()
analysis = Analysis(store)
analysis.matrix()
t2 = time.perf_counter()
stories = find_stories(analysis, window_days=window, threshold=threshold)
t3 = time.perf_counter()
t = stories.table
print(json.dumps({"import_seconds": t1 - t0, "matrix_seconds": t2 - t1, "stories_seconds": t3 - t2,
                  "total_seconds": t3 - t0, "articles": len(stories.articles), "stories": len(t),
                  "stories_2_plus": int((t["size"] > 1).sum()), "cross_camp": int(t["cross_camp"].sum()),
                  "largest": int(t["size"].max()), "pairs_compared": stories.params["pairs_compared"],
                  "pairs_linked": stories.params["pairs_linked"],
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True, help="a store of the Egyptian corpus (see above)")
    ap.add_argument("--window", type=int, default=3)
    ap.add_argument("--threshold", type=float, default=0.3)
    a = ap.parse_args()
    from workbench.analysis import Analysis

    Analysis(a.store).matrix()  # the token cache, outside the measurement
    out = subprocess.run([sys.executable, "-c", STAGE, a.store, str(a.window), str(a.threshold)],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{r['articles']:,} articles -> {r['stories']:,} stories ({r['stories_2_plus']:,} of 2 or more, "
          f"{r['cross_camp']:,} cross-camp, largest {r['largest']}); {r['pairs_compared']:,} pairs within "
          f"±{a.window} days compared, {r['pairs_linked']:,} linked")
    print(f"python + imports {r['import_seconds']:.1f} s | store + matrix (token cache) {r['matrix_seconds']:.1f} s | "
          f"stories {r['stories_seconds']:.1f} s | total {r['total_seconds']:.1f} s (target < 120 s) | "
          f"peak memory {r['max_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
