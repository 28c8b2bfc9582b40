"""Large-import benchmark (issue 8): a 119,555-article JSON Lines file containing U+2028, U+2029 and
U+0085 inside its texts imports whole, with correct counts.

    .venv/bin/python benchmarks/bench_import_large.py [PATH_TO_articles.jsonl.gz]

The file is built in a temporary folder (deleted afterwards, never committed) by replicating
egypt2013-dev (31,214 real articles) four times, cut at 119,555 articles: each copy gets new ids and
a token of its own at the end of every text (so copies are not exact duplicates of each other), and
every 5th article gets a U+2028, U+2029 or U+0085 between two sentences. It is written as
``json.dumps(ensure_ascii=False)`` does, so those characters are raw bytes in the file. The import
runs in a fresh process, so the peak resident memory printed is the import's own. Run on demand;
not part of ``make test``.
"""
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared/corpora/egypt2013-dev/articles.jsonl.gz"
REGISTRY = ROOT / "corpus/registries/egypt2013.yaml"
TARGET = 119_555
SEPARATORS = ["\u2028", "\u2029", "\u0085"]

IMPORT = """
import json, resource, sys, time
from workbench.corpus import import_sources, open_store
t = time.perf_counter()
res = import_sources([sys.argv[1]], sys.argv[2], registry=sys.argv[3])
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
st = open_store(sys.argv[2])
texts = list(st.iter_column("text"))
counts = {hex(ord(c)): sum(c in x for x in texts) for c in "\\u2028\\u2029\\u0085"}
print(json.dumps({"seconds": seconds, "peak_mb": peak, "read": res.read, "added": res.added,
                  "duplicates": res.duplicates, "stored": len(texts), "with_separator": counts}))
"""


def build(path: Path) -> dict:
    with gzip.open(SRC, "rt", encoding="utf-8") as f:
        originals = [json.loads(line) for line in f if line.strip()]
    written, with_sep = 0, {s: 0 for s in SEPARATORS}
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for copy in range(4):
            for i, a in enumerate(originals):
                if written == TARGET:
                    break
                a = dict(a, id=f"{a['id']}-copy{copy}", text=f"{a['text']} نسخة{copy}x{copy}")
                if i % 5 == 0:
                    sep = SEPARATORS[(i // 5) % 3]
                    a["text"] = a["text"].replace(". ", "." + sep, 1) if ". " in a["text"] else a["text"] + sep + "."
                    with_sep[sep] += 1
                out.write(json.dumps(a, ensure_ascii=False) + "\n")
                written += 1
    return {"originals": len(originals), "written": written,
            "with_separator": {hex(ord(s)): n for s, n in with_sep.items()}}


def main() -> None:
    if not SRC.exists():
        sys.exit(f"{SRC} not found: pass the path of egypt2013-dev/articles.jsonl.gz")
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "large.jsonl"
        t = time.perf_counter()
        made = build(big)
        built = time.perf_counter() - t
        raw = big.read_bytes()
        assert "\u2028".encode() in raw and "\u0085".encode() in raw   # raw in the file, not escaped
        size = len(raw)
        del raw
        out = subprocess.run([sys.executable, "-c", IMPORT, str(big), str(Path(tmp) / "store"), str(REGISTRY)],
                             cwd=ROOT, check=True, capture_output=True, text=True).stdout
        res = json.loads(out)
    print(f"built {made['written']:,} articles from {made['originals']:,} originals "
          f"({size / 1e6:,.0f} MB JSON Lines) in {built:.1f} s; "
          f"with a separator inserted: {made['with_separator']}")
    print(f"import: {res['seconds']:.1f} s, peak resident memory {res['peak_mb']:,.0f} MB")
    print(f"read {res['read']:,}, added {res['added']:,}, exact duplicates dropped {res['duplicates']:,}, "
          f"stored {res['stored']:,}; stored texts containing each separator: {res['with_separator']}")
    ok = res["read"] == made["written"] and res["added"] + res["duplicates"] == res["read"]
    print("counts consistent" if ok else "COUNTS INCONSISTENT")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
