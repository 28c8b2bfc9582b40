"""Report benchmark (on demand): the default report cold and warm, and a report on a 4× replica of
egypt2013-dev (125k real articles), with section timings.

    .venv/bin/python benchmarks/bench_report.py [--replica 4] [--work /tmp/bench-report] [--skip-large]

Each run is the command a user types, ``workbench report ...`` in a fresh process, timed from start
to exit; the section timings come from the run's ``manifest.json``.

* **demo, cold**: the demo corpus imported into a new store, an empty user cache (token cache,
  topic models, render cache: ``XDG_CACHE_HOME`` points at a new folder), so every step computes;
* **demo, warm**: the same command again, nothing changed (what a schedule re-running an unchanged
  report does): token cache, topic models, K-selection scores, figures and the PDF are reused;
* **replica, cold / warm**: ``--replica N`` copies of egypt2013-dev (new ids and a token of their own
  per copy, as ``bench_scale.py`` builds them) imported into a new store, then the default report
  comparing the camps ``brotherhood`` and ``private`` (tomotopy topics trained on a seeded sample of
  50,000 articles, θ inferred for all; stories on).

Targets (issue 14): a warm default report under 15 s; the 125k-article report under 10 minutes.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
WORKBENCH = ROOT / ".venv" / "bin" / "workbench"
EGYPT_REGISTRY = ROOT / "corpus/registries/egypt2013.yaml"


def run(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        sys.exit(f"{' '.join(cmd)} failed (exit {out.returncode}):\n{out.stderr[-3000:]}")
    return time.perf_counter() - t


def report(label: str, store: Path, out: Path, env: dict, extra: list[str]) -> dict:
    cmd = [str(WORKBENCH), "report", "--store", str(store), "--out", str(out), "-q", *extra]
    wall = run(cmd, env)
    runs = sorted(p for p in (out / "framing_report").iterdir() if p.is_dir() and p.name[0].isdigit())
    m = json.loads((runs[-1] / "manifest.json").read_text(encoding="utf-8"))
    sections = ", ".join(f"{s['section']} {s['seconds']:.1f}" for s in m["sections"])
    print(f"{label:<22} {wall:>8.1f} s   notebook {m['execution_seconds']:>6.1f} s   sections: {sections}",
          flush=True)
    return {"label": label, "wall": wall, "execution": m["execution_seconds"], "sections": m["sections"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default="/tmp/bench-report")
    ap.add_argument("--replica", type=int, default=4, help="copies of egypt2013-dev for the large report")
    ap.add_argument("--skip-large", action="store_true", help="only the demo report")
    a = ap.parse_args()
    work = Path(a.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache"), "WORKBENCH_PROGRESS": "0"}
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load average {load:.1f} at the start\n")
    print(f"{'run':<22} {'wall':>10}")
    rows = []
    demo = work / "demo-store"
    t = run([str(WORKBENCH), "corpus", "import", str(ROOT / "corpus/demo/articles.jsonl"), "--store", str(demo),
             "--quiet"], env)
    print(f"{'demo import':<22} {t:>8.1f} s", flush=True)
    rows.append(report("demo report, cold", demo, work / "out-demo", env, []))
    rows.append(report("demo report, warm", demo, work / "out-demo", env, []))
    if not a.skip_large:
        from bench_scale import EGYPT, build

        if not EGYPT.exists():
            sys.exit(f"{EGYPT} not found (the large report needs ../shared)")
        n = 31_214 * a.replica
        src = work / f"replica-{n}.jsonl"
        build(src, n)
        big = work / "replica-store"
        t = run([str(WORKBENCH), "corpus", "import", str(src), "--store", str(big), "--registry",
                 str(EGYPT_REGISTRY), "--quiet"], env)
        src.unlink()
        print(f"{f'{n:,} import':<22} {t:>8.1f} s", flush=True)
        extra = ["-p", "target", "brotherhood", "-p", "reference", "private"]
        rows.append(report(f"{n:,} report, cold", big, work / "out-big", env, extra))
        rows.append(report(f"{n:,} report, warm", big, work / "out-big", env, extra))
    (work / "results.json").write_text(json.dumps(rows, indent=1))
    print(f"\nresults: {work / 'results.json'} (the stores and reports stay in {work}; delete it when done)")


if __name__ == "__main__":
    main()
