"""Every issue-14 figure in one run (on demand; about 40 minutes on a 2-core machine):

    .venv/bin/python benchmarks/bench_all.py [--sizes 31214,250000,1000000] [--quick]

1. ``bench_scale.py``  — import, re-import, keyness (cold, warm) and topics at 31k, 250k and 1M
   articles (replicas of egypt2013-dev): seconds, articles/s, peak memory;
2. ``bench_topics.py --stages backends`` — gensim vs tomotopy on egypt2013-dev, K=20: wall and CPU
   time, held-out coherence (c_v, NPMI);
3. ``bench_dask.py`` — tokenising, counting and θ inference on 1 and 2 Dask workers beside the
   single process (speed-up, identical outputs);
4. ``bench_report.py`` — the default report cold and warm, and a report on a 4× replica of
   egypt2013-dev (125k articles), with section timings.

Each part runs as its own process, one after the other (never side by side: they would compete for
the two cores); its output is printed as it comes, and the wall time of every part at the end.
``--quick`` runs the small sizes only (31k; no 1M, no 125k report) to check the scripts work.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EG_STORE = Path("/tmp/eg-store")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="31214,250000,1000000")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    sizes = "31214" if a.quick else a.sizes
    py = sys.executable
    if not (EG_STORE / "catalogue.json").exists():
        subprocess.run([str(HERE.parent / ".venv/bin/workbench"), "corpus", "import",
                        str(HERE.parent.parent / "shared/corpora/egypt2013-dev/articles.jsonl.gz"),
                        "--store", str(EG_STORE), "--registry", str(HERE.parent / "corpus/registries/egypt2013.yaml"),
                        "--quiet"], check=True)
    parts = [
        ("scale", [py, str(HERE / "bench_scale.py"), "--sizes", sizes]),
        ("topics: gensim vs tomotopy", [py, str(HERE / "bench_topics.py"), "--store", str(EG_STORE),
                                        "--stages", "backends", "--k", "20"]),
        ("Dask: 1 vs 2 workers", [py, str(HERE / "bench_dask.py"), "--store", str(EG_STORE)]),
        ("reports", [py, str(HERE / "bench_report.py")] + (["--skip-large"] if a.quick else [])),
    ]
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    took = []
    for name, cmd in parts:
        print(f"\n=== {name} ===", flush=True)
        t = time.perf_counter()
        rc = subprocess.run(cmd, cwd=HERE.parent).returncode
        took.append((name, time.perf_counter() - t, rc))
    print("\n=== parts ===")
    for name, sec, rc in took:
        print(f"{name:<30} {sec / 60:>6.1f} min  {'ok' if rc == 0 else f'FAILED (exit {rc})'}")
    sys.exit(1 if any(rc for *_, rc in took) else 0)


if __name__ == "__main__":
    main()
