"""Concordance benchmark: seconds per query, cold process against warm analysis, with hit counts.

    .venv/bin/python benchmarks/bench_kwic.py [--store DIR] [--window 8] [--repeat 3]

Without --store it imports ../shared/corpora/egypt2013-dev into build/stores/ once
(``import_once``). The reading token cache (every word kept) is built first if missing, in its own
process; it is never timed here (see bench_tokenise.py). Then, for each query:

  cold   = a new Python process: new Analysis, load the token index, match, read the hit
           documents' texts, map tokens back to the printed words (tokeniser word cache empty);
           "index" is the part of it spent loading the token index (once per Analysis)
  warm   = the same Analysis, after one other query (index loaded, tokeniser warmed)
  repeat = the same query again on the same Analysis

Every query returns every line (no limit): a full concordance DataFrame. Each figure is the
fastest of ``--repeat`` runs (fresh processes for cold), since other work on a shared machine
only ever adds time.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EGYPT = ROOT.parent / "shared/corpora/egypt2013-dev/articles.jsonl.gz"
REGISTRY = ROOT / "corpus/registries/egypt2013.yaml"
QUERIES = [("مرسي", False), ("النظام", True), ("الرئيس محمد مرسي", False), ("*اخوان*", False)]
WARMUP = "القاهرة"

PREPARE = r"""
import sys
from workbench.analysis import Analysis
print(Analysis(sys.argv[1]).reading().token_cache)
"""

COLD = r"""
import json, sys, time
from workbench.analysis import Analysis
from workbench.reading.kwic import kwic
store, query, clitics, window = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4])
t0 = time.perf_counter()
a = Analysis(store)
a.reading().token_index()
t1 = time.perf_counter()
df = kwic(a, query, clitics=clitics, window=window)
t2 = time.perf_counter()
print(json.dumps({"seconds": t2 - t0, "index": t1 - t0, "lines": len(df), "documents": df.attrs["documents"]}))
"""

WARM = r"""
import json, sys, time
from workbench.analysis import Analysis
from workbench.reading.kwic import kwic
store, window, queries, warmup = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
a = Analysis(store)
kwic(a, warmup, window=window)
out = []
for query, clitics in queries:
    t = time.perf_counter(); df = kwic(a, query, clitics=clitics, window=window); warm = time.perf_counter() - t
    t = time.perf_counter(); kwic(a, query, clitics=clitics, window=window); repeat = time.perf_counter() - t
    out.append({"warm": warm, "repeat": repeat, "lines": len(df)})
print(json.dumps(out))
"""


def _run(code: str, *args: str) -> str:
    res = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT)
    if res.returncode != 0:
        sys.exit(res.stderr.strip().splitlines()[-1] if res.stderr.strip() else f"exit {res.returncode}")
    return res.stdout.strip().splitlines()[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", help="a corpus store (read only; its reading token cache is built if missing)")
    ap.add_argument("--window", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure; the fastest is shown (default 3)")
    a = ap.parse_args()
    if a.store:
        store = Path(a.store)
    else:
        if not EGYPT.exists():
            sys.exit(f"{EGYPT} not found: pass --store DIR")
        from workbench.corpus.store import import_once

        store = import_once(EGYPT, registry=REGISTRY)
    cache = _run(PREPARE, str(store))
    runs = max(1, a.repeat)
    cold = [min((json.loads(_run(COLD, str(store), q, "1" if c else "0", str(a.window))) for _ in range(runs)),
                key=lambda r: r["seconds"]) for q, c in QUERIES]
    warms = [json.loads(_run(WARM, str(store), str(a.window), json.dumps(QUERIES, ensure_ascii=False), WARMUP))
             for _ in range(runs)]
    warm = [{"lines": ws[0]["lines"], "warm": min(w["warm"] for w in ws), "repeat": min(w["repeat"] for w in ws)}
            for ws in zip(*warms)]
    print(f"concordances of {store} (window {a.window}; reading token cache {Path(cache).name}; "
          f"fastest of {runs} runs)")
    print(f"{'query':<26}{'lines':>7}{'docs':>7}{'cold s':>9}{'(index)':>9}{'warm s':>9}{'repeat s':>10}")
    for (q, c), co, wa in zip(QUERIES, cold, warm):
        assert co["lines"] == wa["lines"], (q, co, wa)
        label = q + (" +clitics" if c else "")
        print(f"{label:<26}{co['lines']:>7,}{co['documents']:>7,}{co['seconds']:>9.2f}{co['index']:>9.2f}"
              f"{wa['warm']:>9.2f}{wa['repeat']:>10.2f}")


if __name__ == "__main__":
    main()
