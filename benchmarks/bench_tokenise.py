"""Benchmark: camel-tools reference chain vs the workbench fast tokeniser (run on demand, not by pytest).

    .venv/bin/python benchmarks/bench_tokenise.py               # all of egypt2013-dev (~1.5 min)
    .venv/bin/python benchmarks/bench_tokenise.py --limit 3000  # quick run

Prints, in one run and side by side:
1. tokens/s of the reference chain (``reference_tokenise``: normalize_unicode -> arclean -> dediac_ar
   -> ... -> simple_word_tokenize -> filters) and of the fast path (``tokenise``) on one core,
   starting from an empty word cache, and their ratio (run it on an otherwise idle machine: the
   two passes are timed one after the other);
2. the identity check: every document tokenised by a fresh fast pipeline and by the reference,
   compared token for token (number of mismatching documents; must be 0);
3. throughput of ``iter_tokenise`` with N worker processes (fresh, cold caches) and a check that
   its output equals the single-core output.

"tokens" are output tokens (after punctuation, stopword and length filtering), the same count for
both sides. Reading and JSON-decoding the corpus is not timed.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import workbench.text.tokenise as tk  # noqa: E402
from workbench.text.settings import TextSettings  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "egypt2013-dev" / "articles.jsonl.gz"


def load(path: Path, limit: int | None) -> list[str]:
    texts = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            texts.append(json.loads(line)["text"] or "")
            if limit and len(texts) >= limit:
                break
    return texts


def digest(token_lists) -> tuple[str, int]:
    h = hashlib.sha256()
    n = 0
    for toks in token_lists:
        n += len(toks)
        h.update("\x1f".join(toks).encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest(), n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="gzip JSONL with a 'text' field")
    ap.add_argument("--limit", type=int, default=None, help="only the first N documents")
    ap.add_argument("--workers", type=int, default=2, help="worker processes for the parallel run")
    ap.add_argument("--settings", type=str, default="{}", help="TextSettings as JSON (default: defaults)")
    args = ap.parse_args(argv)

    if not args.corpus.is_file():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    settings = TextSettings.coerce(json.loads(args.settings))
    texts = load(args.corpus, args.limit)
    n_words = sum(len(t.split()) for t in texts)
    print(f"corpus: {args.corpus}  documents: {len(texts):,}  whitespace words: {n_words:,}")
    print(f"settings fingerprint: {settings.fingerprint()}")

    # Build tables once (import-time work, as in any real run), then start from empty word caches.
    t0 = time.perf_counter()
    tk._pipeline_for.cache_clear()
    pipe = tk._pipeline_for(settings)
    t_build = time.perf_counter() - t0
    tk.reference_tokenise("تجربة", settings)

    # 1a. fast path (the public tokenise()), one core, one pass starting from an empty word cache.
    assert len(pipe.cache) == 0
    fast, ref_tok = tk.tokenise, tk.reference_tokenise
    clock = time.perf_counter
    t0 = clock()
    n_fast = 0
    for t in texts:
        n_fast += len(fast(t, settings))
    t_fast = clock() - t0

    # 1b + 2. reference chain (timed), and identity: every document also goes through a *fresh*
    #         fast pipeline (untimed) whose output is compared token for token.
    check = tk._Pipeline(settings)
    t_ref = 0.0
    n_ref = 0
    mismatched: list[int] = []
    for i, t in enumerate(texts):
        t0 = clock()
        ref = ref_tok(t, settings)
        t_ref += clock() - t0
        n_ref += len(ref)
        if check.tokenise(t) != ref:
            mismatched.append(i)
    ref_rate, fast_rate = n_ref / t_ref, n_fast / t_fast
    print()
    print(f"{'':34s}{'tokens':>12s}{'seconds':>10s}{'tokens/s':>14s}")
    print(f"{'camel-tools chain (1 core)':34s}{n_ref:>12,}{t_ref:>10.2f}{ref_rate:>14,.0f}")
    print(f"{'workbench fast path (1 core)':34s}{n_fast:>12,}{t_fast:>10.2f}{fast_rate:>14,.0f}")
    print(f"speed-up (1 core): {fast_rate / ref_rate:.1f}x   (table build once per process: {t_build:.2f} s, not included)")
    print(f"identical output: {len(texts) - len(mismatched):,} / {len(texts):,} documents; "
          f"mismatching documents: {len(mismatched)}" + (f" (first: {mismatched[:5]})" if mismatched else ""))

    # 3. parallel throughput (fresh worker processes with empty caches), then its identity.
    tk._pipeline_for.cache_clear()
    t0 = time.perf_counter()
    n_par = 0
    for toks in tk.iter_tokenise(texts, settings, workers=args.workers):
        n_par += len(toks)
    t_par = time.perf_counter() - t0
    print(f"{f'iter_tokenise, {args.workers} workers':34s}{n_par:>12,}{t_par:>10.2f}{n_par / t_par:>14,.0f}"
          f"   ({n_par / t_par / ref_rate:.1f}x the 1-core chain)")
    tk._pipeline_for.cache_clear()
    same = digest(tk.iter_tokenise(texts, settings, workers=args.workers)) == digest(
        tk.tokenise(t, settings) for t in texts
    )
    print(f"parallel output identical to single-core output: {same}")
    return 0 if not mismatched and same else 1


if __name__ == "__main__":
    raise SystemExit(main())
