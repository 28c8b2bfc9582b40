"""Scale benchmark (issue 14, "bounded memory end to end"): import and keyness at growing corpus sizes.

    .venv/bin/python benchmarks/bench_scale.py [--sizes 31214,250000,1000000] [--work /tmp/bench-scale]
                                               [--batch-size 20000] [--keep]

Replicas of egypt2013-dev (31,214 real articles) are written under ``--work`` (never committed;
deleted afterwards unless ``--keep``): copy k of every article gets the id ``ID-rK`` and a token of
its own at the end of its text (``نسخةK``), so copies are neither duplicates of each other nor
of the original. For each size, each step runs in a fresh Python process, and its peak resident
memory is the process' own maximum RSS or that of the worker processes it waited for, whichever
is larger (``getrusage``):

  import       ``import_sources`` of the replica file into a new store
  re-import    the same file again: skipped by its SHA-256, nearly free
  keyness      cold: tokenise the store (both cores) + matrix + keyness (camp brotherhood vs private)
  keyness warm the same with the token cache in place
  topics       K=20 tomotopy topics (the report's backend) with the default train_sample: trained on
               a seeded sample of 50,000 articles (all of them below that), θ inferred for every
               article in chunks (matrix from the warm token cache included)

The target: peak memory under 4 GB at 1,000,000 articles, with time growing linearly.

Measured on this 2-core machine (2026-12-01, batch 20,000, nothing else heavy running; the 1M row
in a separate run; articles/s counts every article of the store; keyness compares brotherhood, 12%
of them, with private, 73%)::

    articles  step          seconds  articles/s  peak RSS MB
      31,214  import            3.3       9,327          477
      31,214  re-import         0.1     520,076          166   (skipped: known SHA-256)
      31,214  keyness cold      6.7       4,677          605
      31,214  keyness warm      2.0      15,881          492
     250,000  import           26.2       9,532          592
     250,000  re-import         0.4     640,490          166
     250,000  keyness cold     51.9       4,815        1,294
     250,000  keyness warm     11.4      21,884        1,192
   1,000,000  import          108.9       9,181          956
   1,000,000  re-import         1.5     689,614          166
   1,000,000  keyness cold    170.2       5,876        3,745
   1,000,000  keyness warm     36.4      27,453        3,573

Time grows linearly and memory stays under 4 GB at a million articles. Import is bounded by the
batch (before: 1.58 GB at 125k, 7.2 GB at 496k); keyness holds the document-term matrix (about 12
bytes per stored count) and reads the two groups' rows a block at a time
(``stats.keyness._group_columns``) instead of copying them (5.3 GB at 1M before that change).
"""
import argparse
import gzip
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EGYPT = ROOT.parent / "shared/corpora/egypt2013-dev/articles.jsonl.gz"
REGISTRY = ROOT / "corpus/registries/egypt2013.yaml"

STEP = r"""
import json, resource, sys, time
step, src, store, registry, batch = sys.argv[1:6]
from workbench.corpus import import_sources
from workbench.analysis import Analysis
t = time.perf_counter()
out = {}
if step in ("import", "reimport"):
    sources = [src]   # measures import_sources itself, as the bench_import benchmarks do
    res = import_sources(sources, store, registry=registry, batch_size=int(batch))
    out = {"read": res.read, "added": res.added, "skipped": any(s.get("skipped") for s in res.sources)}
elif step == "topics":
    a = Analysis(store)
    tm = a.fit_topics(20, backend="tomotopy", seed=42)   # trained on a seeded 50,000-article sample
    out = {"docs": int(tm.theta.shape[0]), "terms": int(len(tm.vocab)), "train_sample": tm.params["train_sample"],
           "train_s": tm.info["train_seconds"], "theta_s": tm.info["theta_seconds"]}
else:
    table = Analysis(store).compare("camp", "brotherhood", "private", min_count=5)
    out = {"docs": int(sum(table.attrs["docs"].values())), "terms": len(table)}
out["seconds"] = time.perf_counter() - t
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
out["peak_mb"] = max(own, kids) / 1024
print(json.dumps(out))
"""


def build(path: Path, n: int) -> None:
    """Write ``n`` articles: the originals, then copies with new ids and a token of their own."""
    with gzip.open(EGYPT, "rt", encoding="utf-8") as f:
        originals = [json.loads(line) for line in f if line.strip()]
    written = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        copy = 0
        while written < n:
            for a in originals:
                if written == n:
                    break
                if copy:
                    a = dict(a, id=f"{a['id']}-r{copy}", text=f"{a['text']} نسخة{copy}")
                out.write(json.dumps(a, ensure_ascii=False) + "\n")
                written += 1
            copy += 1


def step(name: str, src: Path, store: Path, batch: int) -> dict:
    out = subprocess.run([sys.executable, "-c", STEP, name, str(src), str(store), str(REGISTRY), str(batch)],
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        sys.exit(f"step {name} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="31214,250000,1000000")
    ap.add_argument("--work", default="/tmp/bench-scale")
    ap.add_argument("--batch-size", type=int, default=20_000)
    ap.add_argument("--keep", action="store_true", help="keep the replica files and stores")
    ap.add_argument("--no-keyness", action="store_true", help="measure the import only")
    ap.add_argument("--no-topics", action="store_true", help="skip the topic model step")
    ap.add_argument("--steps", help="only these steps, e.g. topics (on a store kept by --keep)")
    a = ap.parse_args()
    if not EGYPT.exists():
        sys.exit(f"{EGYPT} not found")
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    print(f"{'articles':>10} {'step':<13}{'seconds':>9}{'articles/s':>12}{'peak RSS MB':>13}", flush=True)
    try:
        for n in (int(s) for s in a.sizes.split(",")):
            src = work / f"replica-{n}.jsonl"
            store = work / f"store-{n}"
            reuse = bool(a.steps) and "import" not in a.steps.split(",")
            if reuse:  # later steps on the store an earlier run kept (--keep)
                if not (store / "catalogue.json").exists():
                    sys.exit(f"{store}: no store from an earlier --keep run for --steps {a.steps}")
            else:
                shutil.rmtree(store, ignore_errors=True)
            t = time.perf_counter()
            if not reuse or not src.exists():
                build(src, n)
            print(f"{n:>10,} {'(build file)':<13}{time.perf_counter() - t:>9.1f}"
                  f"{'':>12}{'':>13}   {src.stat().st_size / 1e6:,.0f} MB", flush=True)
            steps = ["import", "reimport"] + ([] if a.no_keyness else ["keyness", "keyness-warm"]) \
                + ([] if a.no_topics or a.no_keyness else ["topics"])
            if a.steps:
                steps = [s for s in a.steps.split(",") if s]
            for name in steps:
                r = step(name, src, store, a.batch_size)
                rate = n / r["seconds"] if r["seconds"] else float("inf")
                extra = (f"   added {r['added']:,}" if name == "import" else
                         f"   skipped: {r['skipped']}" if name == "reimport" else
                         f"   K=20 tomotopy, trained on {r['train_sample'] or r['docs']:,} ({r['train_s']:.0f} s), "
                         f"θ of {r['docs']:,} ({r['theta_s']:.0f} s)" if name == "topics" else
                         f"   {r['docs']:,} docs, {r['terms']:,} terms")
                print(f"{n:>10,} {name:<13}{r['seconds']:>9.1f}{rate:>12,.0f}{r['peak_mb']:>13,.0f}{extra}",
                      flush=True)
                rows.append({"articles": n, "step": name, **r})
            if not a.keep:
                src.unlink(missing_ok=True)
                shutil.rmtree(store, ignore_errors=True)
    finally:
        (work / "results.json").write_text(json.dumps(rows, indent=1))
    print(f"results: {work / 'results.json'}")


if __name__ == "__main__":
    main()
