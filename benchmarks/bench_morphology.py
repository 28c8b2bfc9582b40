"""Benchmark: camel-tools' per-token morphology path vs the workbench's word table (run on demand).

    CAMELTOOLS_DATA=../shared/camel_data .venv/bin/python benchmarks/bench_morphology.py
    CAMELTOOLS_DATA=../shared/camel_data .venv/bin/python benchmarks/bench_morphology.py --limit 2000

Prints, in one run and side by side, on egypt2013-dev (31,214 articles, ~6 million tokens):

1. **cold**: the workbench segments the whole corpus from an empty word table (distinct words
   analysed once, in ``--workers`` processes, then every token looked up), timed end to end
   (collecting the words, analysing, writing the table, tokenising the corpus with tokens=d3tok);
2. **warm**: the same with the table on disk (a new process would only read it);
3. **camel-tools' own path**: ``MorphologicalTokenizer(MLEDisambiguator(Analyzer(db,
   'NOAN_PROP')), 'd3tok', split=True).tokenize`` over every word of each article, in order, on
   one core, with camel-tools' defaults (on the first ``--camel-docs`` articles, since the whole
   corpus takes about an hour at its speed; ``--camel-docs 0`` runs it on all), and words/s of
   the three;
4. **identity** on every article: the word table's d3tok, atbtok and lemma output against
   camel-tools' path over the article's words (one disambiguation of the sequence, handed to
   camel-tools' tokenizer for each scheme; the analyser's own cache is on here, which changes no
   result), counting mismatching article outputs (must be 0);
5. the memory the analyser holds (resident set size of a process before and after loading it).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CAMELTOOLS_DATA", str(ROOT.parent / "shared" / "camel_data"))

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "egypt2013-dev" / "articles.jsonl.gz"


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--limit", type=int, default=None, help="first N articles only")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--camel-docs", type=int, default=3000,
                    help="articles for camel-tools' own path and the identity check (0: all)")
    args = ap.parse_args(argv)

    import warnings

    from workbench.errors import WorkbenchWarning
    warnings.simplefilter("ignore", WorkbenchWarning)
    texts = []
    with gzip.open(args.corpus, "rt", encoding="utf-8") as f:
        for line in f:
            a = json.loads(line)
            texts.append(f"{a.get('title') or ''}\n{a.get('text') or ''}")
            if args.limit and len(texts) >= args.limit:
                break

    os.environ["WORKBENCH_MORPHOLOGY_CACHE"] = tempfile.mkdtemp(prefix="bench-morph-")
    from workbench.text import morphology as m
    from workbench.text.settings import TextSettings
    from workbench.text.tokenise import iter_tokenise, tokenise

    info = m.morphology_info()
    settings = TextSettings(tokens="d3tok", remove_stopwords=False, min_length=1)
    print(f"{len(texts):,} articles; data {info.data_dir} ({info.ranking}); {args.workers} workers")

    # 1. cold
    t0 = time.perf_counter()
    analysed = m.prepare(texts, settings, workers=args.workers)
    t_prepare = time.perf_counter() - t0
    ours = list(iter_tokenise(texts, settings, workers=args.workers))
    cold = time.perf_counter() - t0
    n_tokens = sum(map(len, ours))
    print(f"cold: {cold:6.1f} s  ({analysed:,} distinct words analysed in {t_prepare:.1f} s; "
          f"{n_tokens:,} d3tok tokens, {n_tokens / cold:,.0f} tokens/s)")

    # 2. warm: a fresh table object reads the words back from disk
    m._TABLES.clear()
    tk_mod = sys.modules["workbench.text.tokenise"]
    tk_mod._filter_cached.cache_clear()
    tk_mod._pipeline_for.cache_clear()
    t0 = time.perf_counter()
    assert m.prepare(texts, settings, workers=args.workers) == 0
    warm_tokens = list(iter_tokenise(texts, settings, workers=args.workers))
    warm = time.perf_counter() - t0
    assert warm_tokens == ours
    print(f"warm: {warm:6.1f} s  ({n_tokens / warm:,.0f} tokens/s; the table holds {len(m.word_table().words):,} words)")

    # 3. camel-tools' own path (its defaults: no analyser cache), on the first --camel-docs articles
    from camel_tools.disambig.mle import MLEDisambiguator
    from camel_tools.morphology.analyzer import Analyzer
    from camel_tools.morphology.database import MorphologyDB
    from camel_tools.tokenizers.morphological import MorphologicalTokenizer
    from camel_tools.utils.dediac import dediac_ar

    pre = m._pre_settings(settings)
    words_per_doc = [[w for w in tokenise(t, pre) if m.needs_analysis(w)] for t in texts]
    n_in = sum(map(len, words_per_doc))
    before = rss_mb()
    dis = MLEDisambiguator(Analyzer(MorphologyDB(info.db_path, "a"), m.BACKOFF), mle_path=info.model_path)
    held = rss_mb() - before
    sample = words_per_doc if not args.camel_docs else words_per_doc[:args.camel_docs]
    n_sample = sum(map(len, sample))
    tok = MorphologicalTokenizer(dis, "d3tok", split=True)
    t0 = time.perf_counter()
    for ws in sample:
        tok.tokenize(ws)
    t_camel = time.perf_counter() - t0
    camel_rate, cold_rate, warm_rate = n_sample / t_camel, n_in / cold, n_in / warm
    print(f"camel-tools per-token path: {n_sample:,} words of {len(sample):,} articles in {t_camel:.1f} s; "
          f"whole corpus would take {n_in / camel_rate / 60:.0f} min")
    print(f"words/s, side by side in this run: camel-tools {camel_rate:,.0f} (one core) | workbench cold "
          f"{cold_rate:,.0f} ({cold_rate / camel_rate:.1f}x) | warm {warm_rate:,.0f} ({warm_rate / camel_rate:.0f}x)")

    # 4. identity on every article: camel-tools' path (with the analyser's own cache, which changes
    # no result, only the time) against the word table, for d3tok, atbtok and lemma
    fast = MLEDisambiguator(Analyzer(MorphologyDB(info.db_path, "a"), m.BACKOFF, cache_size=1_000_000),
                            mle_path=info.model_path)
    table = m.word_table().words
    mismatches = 0
    t0 = time.perf_counter()
    for ws in words_per_doc:
        d = fast.disambiguate(ws)

        class Replay:
            def disambiguate(self, _):
                return d
        for i, scheme in enumerate(("d3tok", "atbtok")):
            camel = [t for t in MorphologicalTokenizer(Replay(), scheme, split=True).tokenize(ws) if t]
            mismatches += [t for w in ws for t in table[w][i].split(" ") if t] != camel
        lemmas = [dediac_ar(dw.analyses[0].analysis["lex"]) or dw.word
                  if dw.analyses and dw.analyses[0].analysis.get("lex") not in (None, "NOAN") else dw.word for dw in d]
        mismatches += [table[w][2] for w in ws] != lemmas
    print(f"identity (d3tok, atbtok, lemma) on all {len(words_per_doc):,} articles, {n_in:,} words: "
          f"{mismatches} mismatching article outputs ({time.perf_counter() - t0:.0f} s)")
    print(f"analyser memory: {held:,.0f} MB resident per process; peak RSS of this process "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
