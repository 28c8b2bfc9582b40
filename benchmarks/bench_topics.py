"""Topic-model benchmark (on demand): the gensim and tomotopy backends side by side, our LDA pipeline
vs gensim called directly, peak memory at 1× and 4× the corpus, LdaModel vs LdaMulticore (speed and
run-to-run reproducibility).

    .venv/bin/python benchmarks/bench_topics.py [--store DIR] [--k 20] [--passes 20] [--stages backends]

Without --store it imports ../shared/corpora/egypt2013-dev into a temporary store. The matrix is
``corpus_matrix(store, min_df=5, max_df=0.5)``. Every measurement runs in a fresh Python process
(its own max RSS, read with ``resource.getrusage``):

  overhead   fit_topics(dtm, k) vs gensim LdaModel on Sparse2Corpus(X) with the same parameters;
             train time, and train + θ for every document (what a user of gensim would add)
  full       k topics, default passes: the time a real 20-topic model takes
  memory     peak RSS of loading the matrix + fit_topics (passes=1: memory does not depend on
             passes) on the corpus and on a 4× copy (the rows repeated 4 times, ids suffixed)
  multicore  LdaModel vs LdaMulticore(workers=1, 2) on the same matrix, 2 passes; each run twice
             with the same seed to see if the topics are identical
  backends   gensim (LdaModel, --compare-passes passes, as the report) vs tomotopy (Gibbs sampling,
             --iterations sweeps, 2 threads), same K, seed and training rows (select_k's 90 %):
             wall and CPU seconds of training + θ, held-out c_v and NPMI (the 10 % held out, top 10
             words, gensim CoherenceModel); tomotopy is trained twice to check that θ is identical
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EGYPT = ROOT.parent / "shared/corpora/egypt2013-dev/articles.jsonl.gz"

PREPARE = r"""
import json, sys
import numpy as np, pandas as pd, scipy.sparse as sp
from workbench.analysis import Analysis
store, out = sys.argv[1:3]
dtm = Analysis(store).matrix(min_df=5, max_df=0.5)
for rep in (1, 4):
    X = sp.vstack([dtm.X] * rep, format="csr") if rep > 1 else dtm.X
    docs = pd.concat([dtm.docs.assign(id=dtm.docs["id"].astype(str) + (f"#{r}" if r else "")) for r in range(rep)],
                     ignore_index=True)
    sp.save_npz(f"{out}/X{rep}.npz", X, compressed=False)
    docs.drop(columns=["date"]).to_parquet(f"{out}/docs{rep}.parquet")
json.dump({"vocab": [str(t) for t in dtm.vocab], "meta": dtm.meta}, open(f"{out}/vocab.json", "w"), default=str)
print(json.dumps({"docs": dtm.n_docs, "terms": dtm.n_terms, "nnz": int(dtm.X.nnz), "tokens": int(dtm.X.sum())}))
"""

LOAD = r"""
import json, resource, sys, time
import numpy as np, pandas as pd, scipy.sparse as sp
from workbench.matrix import DocumentTermMatrix
def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
def load(d, rep):
    v = json.load(open(f"{d}/vocab.json"))
    X = sp.load_npz(f"{d}/X{rep}.npz").tocsr()
    return DocumentTermMatrix(X, pd.Index(v["vocab"], dtype=object, name="term"),
                              pd.read_parquet(f"{d}/docs{rep}.parquet"), v["meta"])
"""

STAGES = {
    "ours": LOAD + r"""
from workbench.topics import fit_topics
d, k, passes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
dtm = load(d, 1)
t = time.perf_counter()
tm = fit_topics(dtm, k, seed=1, passes=passes, shuffle=False)
total = time.perf_counter() - t
print(json.dumps({"train": tm.info["train_seconds"], "total": total, "peak_mb": peak_mb()}))
""",
    "ours_shuffled": LOAD + r"""
from workbench.topics import fit_topics
d, k, passes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
dtm = load(d, 1)
t = time.perf_counter()
tm = fit_topics(dtm, k, seed=1, passes=passes)
total = time.perf_counter() - t
print(json.dumps({"train": tm.info["train_seconds"], "total": total, "peak_mb": peak_mb()}))
""",
    "gensim": LOAD + r"""
from gensim.matutils import Sparse2Corpus
from gensim.models import LdaModel
d, k, passes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
dtm = load(d, 1)
t = time.perf_counter()
corpus = Sparse2Corpus(dtm.X, documents_columns=False)
id2word = dict(enumerate(dtm.vocab))
m = LdaModel(corpus, num_topics=k, id2word=id2word, chunksize=2000, passes=passes, alpha="symmetric",
             eta=None, decay=0.5, offset=1.0, eval_every=None, iterations=100, gamma_threshold=0.001,
             random_state=1, dtype=np.float32)
train = time.perf_counter() - t
theta = []
chunk = []
for doc in corpus:
    chunk.append(doc)
    if len(chunk) == 2000:
        g, _ = m.inference(chunk); theta.append(g / g.sum(1, keepdims=True)); chunk = []
if chunk:
    g, _ = m.inference(chunk); theta.append(g / g.sum(1, keepdims=True))
theta = np.vstack(theta)
print(json.dumps({"train": train, "total": time.perf_counter() - t, "peak_mb": peak_mb()}))
""",
    "memory": LOAD + r"""
from workbench.topics import fit_topics
d, k, rep = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
dtm = load(d, rep)
before = rss_mb()
t = time.perf_counter()
tm = fit_topics(dtm, k, seed=1, passes=1)
print(json.dumps({"docs": dtm.n_docs, "nnz": int(dtm.X.nnz), "rss_before_fit_mb": before,
                  "peak_mb": peak_mb(), "seconds": time.perf_counter() - t}))
""",
    "backend": LOAD + r"""
import os
from workbench.topics import fit_topics
from workbench.topics.selection import _subset, coherence, heldout_split
from workbench.stats.phrases import document_texts
d, k, backend, n, store = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
dtm = load(d, 1)
train, held = heldout_split(dtm.n_docs, 0.1, 1)
sub = _subset(dtm, train)
kw = {"passes": n} if backend == "gensim" else {"iterations": n}
runs = []
for rep in range(2 if backend == "tomotopy" else 1):
    t, c = time.perf_counter(), time.process_time()
    tm = fit_topics(sub, k, seed=1, backend=backend, **kw)
    runs.append((time.perf_counter() - t, time.process_time() - c, tm.theta))
from workbench.analysis import Analysis
full = Analysis(store).matrix(min_df=5, max_df=0.5)
assert list(full.docs["id"]) == list(dtm.docs["id"])
texts = document_texts(full, held)
t = time.perf_counter()
out = {"wall": runs[0][0], "cpu": runs[0][1], "c_v": coherence(tm, texts, "c_v"),
       "c_npmi": coherence(tm, texts, "c_npmi"), "n_train": int(sub.n_docs), "n_heldout": int(len(held)),
       "load": os.getloadavg()[0], "peak_mb": peak_mb()}
out["coherence_s"] = time.perf_counter() - t
if len(runs) > 1:
    out["same_theta_twice"] = bool(np.array_equal(runs[0][2], runs[1][2]))
    out["wall_2"], out["cpu_2"] = runs[1][0], runs[1][1]
print(json.dumps(out))
""",
    "multicore": LOAD + r"""
from workbench.topics import fit_topics, topic_terms
d, k, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
dtm = load(d, 1)
runs = []
for _ in range(2):
    t = time.perf_counter()
    tm = fit_topics(dtm, k, seed=1, passes=2, workers=workers)
    runs.append((tm.info["train_seconds"], tm.theta, list(topic_terms(tm, 10)["term"])))
(s1, th1, te1), (s2, th2, te2) = runs
print(json.dumps({"train_1": s1, "train_2": s2, "theta_identical": bool(np.array_equal(th1, th2)),
                  "max_theta_diff": float(np.abs(th1 - th2).max()), "top_terms_identical": te1 == te2,
                  "top_terms_shared": len(set(te1) & set(te2)) / len(set(te1)), "peak_mb": peak_mb()}))
""",
}


def run(code: str, *args) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        sys.exit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store")
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--passes", type=int, default=20, help="passes of the full-size model")
    ap.add_argument("--compare-passes", type=int, default=10, help="gensim passes in 'backends' (the report's)")
    ap.add_argument("--iterations", type=int, default=100, help="tomotopy Gibbs sweeps in 'backends'")
    ap.add_argument("--stages", default="backends,overhead,memory,full,multicore",
                    help="comma-separated subset of: backends, overhead, memory, full, multicore")
    a = ap.parse_args()
    stages = set(a.stages.split(","))
    import os

    print(f"cores: {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(a.store) if a.store else Path(tmp) / "store"
        if not a.store:
            if not EGYPT.exists():
                sys.exit(f"{EGYPT} not found: pass --store DIR")
            from workbench.corpus import import_once

            import_once(EGYPT, store=store, registry=ROOT / "corpus/registries/egypt2013.yaml")
        info = run(PREPARE, store, tmp)
        print(f"matrix: {info['docs']:,} documents × {info['terms']:,} terms, {info['nnz']:,} non-zeros, "
              f"{info['tokens']:,} tokens (min_df=5, max_df=0.5)")

        if "backends" in stages:
            backends(tmp, a.k, a.compare_passes, a.iterations, store)
        if "overhead" in stages:
            overhead(tmp, a.k)
        if "memory" in stages:
            memory(tmp, a.k)
        if "full" in stages:
            print(f"\n## full model: k={a.k}, passes={a.passes}, LdaModel (default)")
            r = run(STAGES["ours_shuffled"], tmp, a.k, a.passes)
            print(f"train {r['train']:.0f} s, train+θ {r['total']:.0f} s ({r['total'] / 60:.1f} min), peak {r['peak_mb']:.0f} MB")
        if "multicore" in stages:
            print(f"\n## LdaModel vs LdaMulticore: k={a.k}, 2 passes, each twice with seed=1")
            for w in (0, 1, 2):
                r = run(STAGES["multicore"], tmp, a.k, w)
                name = "LdaModel" if w == 0 else f"LdaMulticore(workers={w})"
                print(f"{name:26s} train {r['train_1']:5.1f} s / {r['train_2']:5.1f} s; same θ twice: "
                      f"{r['theta_identical']} (max |Δθ| {r['max_theta_diff']:.3g}); same top-10 terms: "
                      f"{r['top_terms_identical']} ({r['top_terms_shared']:.0%} shared)")


def backends(tmp, k, passes, iterations, store) -> None:
    print(f"\n## backends: k={k}, seed 1, trained on 90 % of the documents, coherence on the 10 % held out")
    res = {"gensim": run(STAGES["backend"], tmp, k, "gensim", passes, store),
           "tomotopy": run(STAGES["backend"], tmp, k, "tomotopy", iterations, store)}
    print(f"{'':34s} {'wall s':>7s} {'CPU s':>7s} {'c_v':>6s} {'NPMI':>7s}   load  peak MB")
    for name, how in (("gensim", f"LdaModel, {passes} passes"), ("tomotopy", f"Gibbs, {iterations} sweeps, 2 threads")):
        r = res[name]
        print(f"{name + ' (' + how + ')':34s} {r['wall']:7.1f} {r['cpu']:7.1f} {r['c_v']:6.3f} {r['c_npmi']:7.3f}"
              f"   {r['load']:4.1f}  {r['peak_mb']:.0f}")
    t = res["tomotopy"]
    print(f"tomotopy trained twice with seed 1: identical θ: {t['same_theta_twice']} "
          f"(second run {t['wall_2']:.1f} s wall, {t['cpu_2']:.1f} s CPU); "
          f"{t['n_train']:,} training / {t['n_heldout']:,} held-out documents")


def overhead(tmp, k) -> None:
    print(f"\n## overhead: k={k}, 3 passes, same documents and parameters (best of 2 runs)")
    res = {}
    for name in ("gensim", "ours", "ours_shuffled"):
        r = [run(STAGES[name], tmp, k, 3) for _ in range(2)]
        res[name] = {key: min(x[key] for x in r) for key in ("train", "total")}
        res[name]["peak_mb"] = max(x["peak_mb"] for x in r)
    g = res["gensim"]
    for name, r in res.items():
        print(f"{name:14s} train {r['train']:6.1f} s   train+θ {r['total']:6.1f} s   "
              f"({(r['total'] / g['total'] - 1) * 100:+5.1f} % vs gensim)   peak {r['peak_mb']:.0f} MB")


def memory(tmp, k) -> None:
    print(f"\n## memory: k={k}, 1 pass (memory does not depend on passes)")
    mem = {rep: run(STAGES["memory"], tmp, k, rep) for rep in (1, 4)}
    for rep, m in mem.items():
        print(f"{rep}× corpus: {m['docs']:,} docs, {m['nnz']:,} non-zeros; RSS with the matrix loaded "
              f"{m['rss_before_fit_mb']:.0f} MB, peak during fit {m['peak_mb']:.0f} MB "
              f"(+{m['peak_mb'] - m['rss_before_fit_mb']:.0f} MB for LDA + θ), {m['seconds']:.0f} s")
    r = mem[4]["peak_mb"] / mem[1]["peak_mb"]
    inc = (mem[4]["peak_mb"] - mem[4]["rss_before_fit_mb"]) / (mem[1]["peak_mb"] - mem[1]["rss_before_fit_mb"])
    print(f"peak 4×/1× = {r:.2f}; LDA's own increment 4×/1× = {inc:.2f}")


if __name__ == "__main__":
    main()
