"""The ``workbench`` command: a thin layer over the library functions.

Exit codes: 0 success; 1 unexpected internal error (a bug: the one-line message names a log file
with the traceback; please report it); 2 bad input or usage (the message says which file, line or
option, and what to do); 3 a report failed; 130 interrupted.
"""
from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .errors import WorkbenchError


def _mapping(values: list[str] | None) -> dict[str, str]:
    from .corpus.readers import MAPPABLE_FIELDS

    out = {}
    for v in values or []:
        if "=" not in v:
            raise WorkbenchError(f"--column {v}: expected FIELD=SOURCE_COLUMN, e.g. --column text=body")
        ours, theirs = v.split("=", 1)
        ours = ours.strip()
        if ours not in MAPPABLE_FIELDS:
            raise WorkbenchError(f"--column {v}: '{ours}' is not a field ({', '.join(MAPPABLE_FIELDS)})")
        out[ours] = theirs.strip()
    return out


def cmd_corpus_import(args) -> int:
    from .corpus import import_sources

    res = import_sources(
        args.sources, args.store, registry=args.registry, format=args.format,
        encoding=args.encoding, columns=_mapping(args.column), metadata=args.metadata,
        date_format=args.date_format, skip_invalid=args.skip_invalid, rejects=args.rejects,
        quiet=args.quiet, batch_size=args.batch_size, skip_known=not args.again,
    )
    if args.json:
        print(json.dumps(res.to_dict(), ensure_ascii=False, indent=1))
    elif not args.quiet or res.added:
        print(res.summary(), file=sys.stderr)
    return 0


def cmd_corpus_query(args) -> int:
    from .query import query_store

    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    df = query_store(args.store, where=args.where, columns=columns, text_contains=args.contains,
                     outlets=args.outlet, camps=args.camp, start=args.start, end=args.end,
                     sort=args.sort, limit=args.limit)
    if args.count:
        print(len(df))
    elif args.out:
        df.to_csv(args.out, index=False)
        print(f"{len(df)} articles → {args.out}", file=sys.stderr)
    else:
        df.to_csv(sys.stdout, index=False)
    return 0


def cmd_corpus_info(args) -> int:
    from .corpus import corpus_summary, format_summary, open_store

    s = corpus_summary(open_store(args.store).require())
    print(json.dumps(s, ensure_ascii=False, indent=1) if args.json else format_summary(s))
    return 0


def _text_settings(args):
    """Text settings from ``--settings FILE.yaml`` and ``--set NAME=VALUE`` (which wins)."""
    import yaml

    from .text import TextSettings

    changes = {}
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise WorkbenchError(f"--set {item}: expected NAME=VALUE, e.g. --set teh_marbuta=true")
        try:
            changes[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            raise WorkbenchError(f"--set {item}: the value is not valid YAML (e.g. true, 3, drop)") from None
    return TextSettings.coerce(args.settings, **changes)


def _ngrams(value: str):
    try:
        orders = tuple(int(v) for v in value.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 1, 2 or 1,2 (got {value!r})") from None
    return orders[0] if len(orders) == 1 else orders


def cmd_keyness(args) -> int:
    from .stats.keyness import top_terms

    analysis = _analysis(args)
    target, reference = _group_values(args.target), _group_values(args.reference)
    _composition_warnings(analysis, args.group, target, reference, skip=args.stratify)
    table = analysis.compare(args.group, target, reference, ngrams=args.ngrams, min_count=args.min_count,
                             min_outlets=args.min_outlets, measure_sort=args.sort, correction=args.correction,
                             stratify=args.stratify)
    if args.stratify:
        _stratified_notice(table)
    if args.out:
        table.to_csv(args.out, index=False, encoding="utf-8-sig")
        print(f"wrote {len(table):,} terms to {args.out}", file=sys.stderr)
    if args.plot:
        from .plots.figure import save_figure
        from .plots.keyness import keyness_plot

        fig = keyness_plot(table, n=min(args.top, 25))
        stem = args.plot[:-4] if args.plot.endswith((".png", ".svg")) else args.plot
        for p in save_figure(fig, stem):
            print(f"wrote {p}", file=sys.stderr)
    top = top_terms(table, args.top)
    if args.json:
        print(top.to_json(orient="records", force_ascii=False, indent=1))
    else:
        import pandas as pd

        from .display import format_p, shorten
        from .glossary import glossary_lines
        from .stats.measures import SHOWN_COLUMNS, SHOWN_STRATIFIED_COLUMNS

        # the same columns, under the same names, as the report's tables and the CSV files
        cols = (SHOWN_STRATIFIED_COLUMNS if args.stratify else SHOWN_COLUMNS) + ["direction"]
        # terms shortened for the terminal (40 characters): one megabyte-long token would pad every
        # row to a megabyte; --out and --json keep them whole
        shown = top[cols].assign(term=top["term"].map(shorten), p_adj=top["p_adj"].map(format_p))
        groups = table.attrs["groups"]
        with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.3g}".format):
            within = f", within each '{shorten(args.stratify)}'" if args.stratify else ""
            print(f"{shorten(groups['target'])} vs {shorten(groups['reference'])} "
                  f"(group '{shorten(args.group)}'{within}, sorted by {table.attrs['measure_sort']}, "
                  f"top {args.top} per side)")
            print(shown.to_string(index=False))
        print("\n".join(glossary_lines(cols, lang="en")), file=sys.stderr)  # stdout stays one table
    return 0


def cmd_lexicon(args) -> int:
    import pandas as pd

    from .display import shorten
    from .reading.lexicons import DEFAULT_LEXICON, lexicon_rates, load_lexicon, naming_table

    lexicon = load_lexicon(args.lexicon or DEFAULT_LEXICON, format=args.format)
    if args.list:
        print(f"lexicon '{shorten(lexicon.name)}' ({lexicon.source}, {lexicon.format} format)")
        print(lexicon.describe()[["category", "entries", "exclude", "clitics"]].to_string(index=False))
        return 0
    analysis = _analysis(args)
    by = [] if args.by.lower() in ("none", "all", "") else [b.strip() for b in args.by.split(",") if b.strip()]
    if args.category:
        if not by:
            raise WorkbenchError("a naming table compares groups: give --by camp (or another column)")
        table = naming_table(analysis, lexicon, args.category, by=by, seed=args.seed)
        a = table.attrs
        if a["chi2"] == a["chi2"]:
            test = (f"chi2 = {a['chi2']:.1f}, df = {a['df']}, p = {a['p']:.3g}, Monte Carlo p = {a['p_simulated']:.3g} "
                    f"({a['n_sim']} tables), Cramer's V = {a['cramers_v']:.2f}")
            if a["expected_below_5"] > 0.2:
                test += f"; {a['expected_below_5']:.0%} of cells expect < 5 mentions: read the Monte Carlo p"
        else:
            test = "no test: fewer than two groups or labels in use"
        title = (f"names for '{shorten(args.category)}' by {shorten(', '.join(by))}: {a['n']:,} mentions; {test}\n"
                 "share: of the category's mentions in the group; residual: adjusted standardised residual "
                 "(+: the group uses the label more than independence predicts)")
        cols = ["label", "group", "count", "share", "docs", "residual", "p_adj", "log_ratio"]
        shown = table[table.groupby("label", sort=False)["count"].transform("sum") > 0]
        shown = shown[cols].assign(label=shown["label"].map(shorten), group=shown["group"].map(shorten))
    else:
        table = lexicon_rates(analysis, lexicon, by=by or None, method=args.interval, n_boot=args.n_boot,
                              seed=args.seed)
        method = ("bootstrap over articles" if args.interval == "bootstrap" else "exact Poisson")
        title = (f"lexicon '{shorten(lexicon.name)}': matches per 10,000 tokens"
                 f"{' per ' + shorten(', '.join(by)) if by else ''}, 95% interval ({method}: rate_low, rate_high)")
        shown = table.assign(category=table["category"].map(shorten),
                             **{b: table[b].map(shorten) for b in by})
    if args.out:
        table.to_csv(args.out, index=False, encoding="utf-8-sig")
        print(f"wrote {len(table):,} rows to {args.out}", file=sys.stderr)
    if args.plot:
        if not args.category:
            raise WorkbenchError("--plot draws a naming table: give --category, e.g. --category actor:government")
        from .plots.figure import save_figure
        from .plots.naming import naming_plot

        stem = args.plot[:-4] if args.plot.endswith((".png", ".svg")) else args.plot
        for p in save_figure(naming_plot(table), stem):
            print(f"wrote {p}", file=sys.stderr)
    if args.json:
        print(table.to_json(orient="records", force_ascii=False, indent=1))
        return 0
    # labels shortened for the terminal; --out and --json keep them whole
    with pd.option_context("display.width", 200, "display.max_rows", None, "display.max_columns", 20,
                           "display.float_format", "{:.3g}".format):
        print(title)
        print(shown.to_string(index=False))
    return 0


def cmd_collocates(args) -> int:
    import pandas as pd

    from .display import shorten
    from .stats.collocations import collocates, compare_collocates

    def _values(v):
        return v.split(",") if v and "," in v else v

    analysis = _analysis(args)
    node = [n.strip() for n in args.node.split(",") if n.strip()] if "," in args.node else args.node
    if args.compare:
        if not args.target:
            raise WorkbenchError("--compare needs --target VALUE[,VALUE] (and optionally --reference)")
        table = compare_collocates(analysis, node, args.compare, _values(args.target), _values(args.reference),
                                   window=args.window, min_freq=args.min_freq)
        top = pd.concat([table[table["direction"] == s].head(args.top) for s in ("target", "reference")])
        groups = table.attrs["groups"]
        title = (f"collocates of {shorten(args.node)} (±{args.window}): {shorten(groups['target'])} vs "
                 f"{shorten(groups['reference'])} (group '{shorten(args.compare)}', sorted by G2, top {args.top} per side)")
    else:
        table = collocates(analysis, node, window=args.window, by=args.by, min_freq=args.min_freq, sort=args.sort)
        top = table.groupby("group", sort=False).head(args.top)
        title = (f"collocates of {shorten(args.node)} (±{args.window}, min freq {args.min_freq}, sorted by "
                 f"{args.sort}, top {args.top}{' per ' + shorten(args.by) if args.by else ''})")
    if args.out:
        table.to_csv(args.out, index=False, encoding="utf-8-sig")
        print(f"wrote {len(table):,} rows to {args.out}", file=sys.stderr)
    if args.json:
        print(top.to_json(orient="records", force_ascii=False, indent=1))
        return 0
    # terms shortened for the terminal; --out and --json keep them whole
    shown = top.assign(collocate=top["collocate"].map(shorten))
    if "group" in shown:
        shown = shown.assign(group=shown["group"].map(shorten))
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.3g}".format):
        print(title)
        print(shown.to_string(index=False) if len(shown) else "(no collocate reaches --min-freq)")
    return 0


def _group_values(text: str | None):
    """``A`` or ``A,B`` from --target/--reference: one value or a list (None stays None)."""
    if not text:
        return None
    return text.split(",") if "," in text else text


def _composition_warnings(analysis, group, target, reference, skip=None) -> None:
    """Print the composition check's warnings (groups differing in section mix, say) on stderr."""
    from .stats.composition import composition

    for line in composition(analysis, group, target, reference).warnings:
        if skip is None or f"in '{skip}'" not in line:
            print(f"warning: {line}", file=sys.stderr)


def _stratified_notice(table) -> None:
    """Say on stderr which strata a stratified comparison left out (one group only)."""
    at = table.attrs
    if at["strata_dropped"]:
        n = at["docs_dropped"]
        print(f"note: {at['strata_used']} of {len(at['strata'])} values of '{at['stratify']}' have documents of "
              f"both groups; {n['target']:,} target and {n['reference']:,} reference documents in values only "
              f"one group has ({', '.join(at['strata_dropped'])}) are left out", file=sys.stderr)


def cmd_composition(args) -> int:
    import pandas as pd

    from .display import shorten
    from .stats.composition import composition

    columns = [c for c in args.columns.split(",")] if args.columns else None
    check = composition(_analysis(args), args.group, _group_values(args.target), _group_values(args.reference),
                        columns, threshold=args.threshold)
    if args.out:
        check.table.to_csv(args.out, index=False, encoding="utf-8-sig")
        print(f"wrote {len(check.table):,} rows to {args.out}", file=sys.stderr)
    if args.json:
        print(json.dumps({"groups": check.groups, "tests": check.tests.to_dict(orient="records"),
                          "table": check.table.to_dict(orient="records"), "warnings": check.warnings},
                         ensure_ascii=False, indent=1, default=float))
        return 0
    g = check.groups
    if check.tests.empty:
        print("no column to check (give --columns)")
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.3g}".format):
        for test in check.tests.itertuples():
            part = check.for_column(test.column).drop(columns="column")
            part = part.assign(value=part["value"].map(shorten))
            print(f"{shorten(test.column)}: Cramér's V = {test.cramers_v_corrected:.2f} (bias-corrected; "
                  f"chi2 = {test.chi2:.1f}, df = {test.df}, n = {test.n:,}); target = {shorten(g['target'])}, "
                  f"reference = {shorten(g['reference'])}")
            print(part.to_string(index=False))
            print()
    for line in check.warnings:
        print(f"warning: {line}")
    return 0


def _analysis(args):
    """The Analysis of a command's ``--store``, text settings and selection options."""
    from .analysis import Analysis

    return Analysis(args.store, _text_settings(args), start=args.start, end=args.end,
                    outlets=[o.strip() for o in args.outlets.split(",")] if args.outlets else None,
                    where=args.where, cache_dir=args.cache, scheduler=getattr(args, "scheduler", None))


def cmd_trends(args) -> int:
    import pandas as pd

    from .display import shorten
    from .reading.trends import term_trends

    by = None if args.by.lower() in ("none", "all", "") else args.by
    table = term_trends(_analysis(args), args.terms, by=by, freq=args.freq, clitics=args.clitics,
                        regex=args.regex, n_boot=args.n_boot, seed=args.seed)
    if args.out:
        table.to_csv(args.out, index=False, encoding="utf-8-sig", date_format="%Y-%m-%d")
        print(f"wrote {len(table):,} rows to {args.out}", file=sys.stderr)
    if args.plot:
        from .plots.figure import save_figure
        from .plots.trends import trends_plot

        stem = args.plot[:-4] if args.plot.endswith((".png", ".svg")) else args.plot
        for p in save_figure(trends_plot(table, panels=args.panels), stem):
            print(f"wrote {p}", file=sys.stderr)
    shown = table.assign(period=table["period"].dt.strftime("%Y-%m-%d"))
    if args.json:
        print(shown.to_json(orient="records", force_ascii=False, indent=1))
        return 0
    # terms shortened for the terminal; --out and --json keep them whole
    shown = shown.assign(term=shown["term"].map(shorten), group=shown["group"].map(shorten))
    with pd.option_context("display.width", 200, "display.max_rows", None, "display.float_format", "{:.1f}".format):
        print(f"occurrences per 10,000 tokens per {args.freq}{' and ' + shorten(by) if by else ''}, "
              f"95% bootstrap interval over articles (low, high); NaN: no article in that period")
        print(shown.to_string(index=False))
    return 0


def cmd_kwic(args) -> int:
    from .reading.kwic import kwic, kwic_lines, write_kwic_csv

    analysis = _analysis(args)
    if args.limit < 0:
        raise WorkbenchError(f"--limit {args.limit}: give a number of lines to show (0: all)")
    # without --out only the lines shown are built (one more tells whether there are others)
    limit = None if args.out or args.limit == 0 else args.limit + 1
    lines = kwic(analysis, args.query, window=args.window, clitics=args.clitics, regex=args.regex,
                 sort=args.sort, sample=args.sample, by=args.by, seed=args.seed, limit=limit)
    if args.out:
        write_kwic_csv(lines, args.out)
        print(f"wrote {len(lines):,} lines to {args.out}", file=sys.stderr)
    shown = lines if args.limit == 0 else lines.head(args.limit)
    for line in kwic_lines(shown):
        print(line)
    n, docs = lines.attrs["matches"], lines.attrs["documents"]
    summary = f"{n:,} match{'' if n == 1 else 'es'} in {docs:,} document{'' if docs == 1 else 's'}"
    if args.sample:
        summary += f"; a random sample of {args.sample} per {args.by or 'query'} (seed {args.seed})"
    if len(shown) < len(lines):
        summary += f"; showing {len(shown):,} (--limit 0 shows all, --out FILE.csv saves all)"
    print(summary, file=sys.stderr)
    return 0


def cmd_stories(args) -> int:
    import pandas as pd

    from .display import shorten
    from .stories import coverage, coverage_counts, find_stories, one_sided

    if bool(args.target) != bool(args.reference):
        raise WorkbenchError("--target and --reference go together (e.g. --target regime --reference opposition)")
    if args.plot and not args.target:
        raise WorkbenchError("--plot draws who covered the stories: give --target and --reference too")
    stories = find_stories(_analysis(args), window_days=args.window, threshold=args.threshold,
                           min_cohesion=args.cohesion)
    table = stories.table
    if args.out:
        table.to_csv(args.out, index=False, encoding="utf-8-sig", date_format="%Y-%m-%d")
        print(f"wrote {len(table):,} stories to {args.out}", file=sys.stderr)
    if args.articles:
        cols = [c for c in ("id", "outlet", "camp", "date", "title", "story", "centrality") if c in stories.articles]
        stories.articles[cols].to_csv(args.articles, index=False, encoding="utf-8-sig", date_format="%Y-%m-%d")
        print(f"wrote {len(stories.articles):,} articles to {args.articles}", file=sys.stderr)

    def show(rows, heading, extra):
        rows = rows.assign(first_date=rows["first_date"].dt.strftime("%Y-%m-%d"),
                           last_date=rows["last_date"].dt.strftime("%Y-%m-%d"),
                           title=rows["title"].map(lambda t: shorten(t, 70)))
        print(f"\n{heading}")
        print(rows[["story", "size", "first_date", "last_date", *extra, "title"]].to_string(index=False)
              if len(rows) else "(none)")

    by_size = table.sort_values(["size", "story"], ascending=[False, True], kind="stable")
    counts = [f"n_{c}" for c in stories.camps]
    p = stories.params
    print(f"{len(stories.articles):,} articles in {len(table):,} stories ({int((table['size'] > 1).sum()):,} of 2 "
          f"or more articles, {int(table['cross_camp'].sum()):,} covered by more than one camp); window "
          f"±{p['window_days']} days, threshold {p['threshold']:g}, cohesion {p['min_cohesion']:g}")
    with pd.option_context("display.width", 250, "display.max_columns", 30, "display.max_colwidth", 80):
        show(by_size[by_size["cross_camp"]].head(args.top), "largest cross-camp stories", ["n_outlets", *counts])
        if args.target:
            cov = coverage(stories, args.group, _group_values(args.target), _group_values(args.reference),
                           share=args.share, balance=args.balance)
            n = coverage_counts(cov)
            print(f"\nwho covered the {len(cov):,} stories with 2 or more articles from "
                  f"{shorten(cov.attrs['groups']['target'])} or {shorten(cov.attrs['groups']['reference'])} "
                  f"('mostly': at least {args.share:.0%} of them{', sides weighted by volume' if args.balance else ''})")
            print(n[["side", "stories", "articles_target", "articles_reference"]].assign(
                side=n["side"].map(shorten)).to_string(index=False))
            for side in ("target", "reference"):
                rows = one_sided(cov, args.top, side=side)
                show(rows.assign(side=rows["side"].map(shorten)),
                     f"largest stories covered only or mostly by {shorten(cov.attrs['groups'][side])}",
                     ["n_target", "n_reference", "side"])
            if args.plot:
                from .plots.figure import save_figure
                from .plots.stories import coverage_timeline_plot

                stem = args.plot[:-4] if args.plot.endswith((".png", ".svg")) else args.plot
                for path in save_figure(coverage_timeline_plot(cov), stem):
                    print(f"wrote {path}", file=sys.stderr)
        else:
            one = by_size[(~by_size["cross_camp"]) & (by_size["size"] > 1)]
            show(one.head(args.top), "largest stories covered by one camp only", ["n_outlets", "camps"])
    return 0


def cmd_reuse(args) -> int:
    import pandas as pd

    from .stories.reuse import find_reuse, reuse_by_outlet_pair

    analysis = _analysis(args)
    pairs = find_reuse(analysis, window_days=args.window, shingle=args.shingle, min_overlap=args.min_overlap,
                       max_df=args.max_df)
    if args.out:
        pairs.to_csv(args.out, index=False, encoding="utf-8-sig", date_format="%Y-%m-%d %H:%M")
        print(f"wrote {len(pairs):,} pairs to {args.out}", file=sys.stderr)
    table = reuse_by_outlet_pair(pairs, analysis.docs)
    p = pairs.attrs["params"]
    print(f"{len(pairs):,} pairs of articles of different outlets at most {p['window_days']} days apart sharing "
          f">= {p['min_overlap']:.0%} of one's {p['shingle']}-word shingles, among {p['articles']:,} articles "
          f"({pairs['id_b'].nunique() if len(pairs) else 0:,} later articles reuse an earlier one)")
    print("\nwho reprints whom (share: of the reusing outlet's articles; lag: median days from source)")
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        shown = table.head(args.top).assign(share=lambda t: t["share"].map("{:.1%}".format))
        print(shown.to_string(index=False) if len(shown) else "(none)")
    return 0


def _corpus_store(corpus: str, registry: str | None = None) -> str:
    """A store for a corpus file, imported once into build/stores/ (keyed by the file's content)."""
    from .corpus.store import import_once

    return str(import_once(corpus, registry=registry).path)


def _run_one(notebook, params_file, cli_params, out, name, keep, pdf, cell_timeout=None, quiet=False) -> int:
    from .reports.run import run_report

    res = run_report(notebook, params_file=params_file, cli_params=cli_params, out=out, name=name,
                     keep=keep, pdf=pdf, cell_timeout=cell_timeout, quiet=quiet)
    for m in res.messages:
        print(m, file=sys.stderr)
    print(f"report '{res.name}' written to {res.folder}")
    return 0


def _run_schedule(name: str, cell_timeout: int | None = None, quiet: bool = False) -> int:
    """Run one schedule; return its exit code. Errors are printed as ``error: schedule 'NAME': ...``
    and, once the schedule is loaded, trigger its ``on_failure`` command (whose own problem is
    printed too but never changes the exit code)."""
    import os
    from pathlib import Path

    from .reports.schedules import load_schedule, run_on_failure, run_parameters

    label, sch = Path(name).stem, None
    try:
        sch = load_schedule(name)
        label = sch.name
        if sch.collect is not None:
            from .reports.schedules import collect_for

            got = collect_for(sch)
            if not quiet or got.failed_outlets:
                print(got.summary(), file=sys.stderr)
            for o in got.failed_outlets:
                print(f"warning: schedule '{label}': outlet '{o}' could not be collected; the report uses what "
                      "the store holds", file=sys.stderr)
        return _run_one(sch.notebook, run_parameters(sch), None, sch.output, sch.name, sch.keep, sch.pdf,
                        cell_timeout or sch.cell_timeout, quiet)
    except Exception as e:
        if isinstance(e, WorkbenchError):
            message, code = str(e), e.exit_code
        else:
            if os.environ.get("WORKBENCH_DEBUG"):
                raise
            from .errors import internal_error_line

            message, code = internal_error_line(e), 1
        print(f"error: schedule '{label}': {message}", file=sys.stderr)
        if sch is not None:
            problem = run_on_failure(sch, message, getattr(e, "folder", None))
            if problem:
                print(f"error: schedule '{label}': {problem}", file=sys.stderr)
        return code


def cmd_attribution(args) -> int:
    import pandas as pd

    from .display import shorten
    from .reading.attribution import attribution_rates, attribution_table, corpus_attributions

    analysis = _analysis(args)
    by = None if args.by.lower() in ("none", "all", "") else args.by
    counts = corpus_attributions(analysis, args.lexicon)
    rates = attribution_rates(counts, by)
    table = attribution_table(counts, by)
    if args.out:
        table.to_csv(args.out, index=False, encoding="utf-8-sig")
        print(f"wrote {len(table):,} rows to {args.out}", file=sys.stderr)
    if args.rows:
        counts.rows.drop(columns=["doc"]).to_csv(args.rows, index=False, encoding="utf-8-sig")
        print(f"wrote {len(counts.rows):,} attributions to {args.rows}", file=sys.stderr)
    classes = table.attrs["classes"]
    with pd.option_context("display.width", 200, "display.max_rows", None, "display.max_columns", 20,
                           "display.float_format", "{:.3g}".format):
        print(f"reporting words per 10,000 words (lexicon '{shorten(counts.lexicon.name)}'; "
              f"with_source: the source was found)")
        print(rates.assign(group=rates["group"].map(shorten)).to_string(index=False))
        if table.empty:
            print("no attributions found")
            return 0
        for group in table.attrs["groups"]:
            part = table[table["group"] == group]
            if part.empty:
                continue
            wide = part.pivot_table(index=["source", "outlet", "cited_camp"], columns="class", values="count",
                                    aggfunc="sum", fill_value=0, sort=False)
            wide = wide.reindex(columns=[c for c in classes if c in wide.columns])
            wide.insert(0, "total", wide.sum(axis=1))
            wide = wide.sort_values("total", ascending=False, kind="stable").head(args.top).reset_index()
            wide["source"] = wide["source"].map(shorten)
            print(f"\n{shorten(group)}: the {len(wide)} sources cited most, attributions per class of reporting word")
            print(wide.to_string(index=False))
    return 0


def cmd_collect(args) -> int:
    from .collect import PoliteClient, collect
    from .collect.http import USER_AGENT
    from .errors import ArgumentError

    outlets = [o.strip() for o in args.outlets.split(",") if o.strip()] if args.outlets else None
    try:
        client = PoliteClient(user_agent=args.user_agent or USER_AGENT, delay=args.delay, timeout=args.timeout,
                              max_bytes=args.max_bytes, retries=args.retries)
    except ValueError as e:
        raise ArgumentError(str(e)) from None
    res = collect(args.store, args.registry, outlets=outlets, since=args.since, keep_html=args.keep_html,
                  client=client, max_per_outlet=args.max_per_outlet, commit_every=args.commit_every)
    if args.json:
        print(json.dumps(res.to_dict(), ensure_ascii=False, indent=1, default=str))
    elif not args.quiet or res.failed_outlets:
        print(res.summary(), file=sys.stderr)
    if res.failed_outlets:
        others = len(res.table) - len(res.failed_outlets)
        print(f"error: {len(res.failed_outlets)} outlet(s) could not be collected: {', '.join(res.failed_outlets)}"
              + (f" ({others} other(s) were)" if others else ""), file=sys.stderr)
        return 3
    return 0


def cmd_report(args) -> int:
    from .reports.run import ReportInterrupted

    try:
        return _report(args)
    except ReportInterrupted as e:
        print(f"interrupted: {e}; earlier reports are untouched", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("interrupted before the report run started; no report was written", file=sys.stderr)
        return 130


def _report(args) -> int:
    import yaml

    if args.list_parameters:
        from .reports.parameters import declared_parameters
        from .reports.run import DEFAULT_NOTEBOOK

        for prm in declared_parameters(args.notebook or DEFAULT_NOTEBOOK).values():
            print(f"{prm.name:<15} {prm.type_label:<18} default {prm.default!r:<30} {prm.help}")
        return 0

    if args.all or args.schedule:
        if args.notebook or args.store or args.corpus or args.p or args.params:
            raise WorkbenchError("--schedule/--all take their notebook and parameters from the schedule files")
    if args.all:
        from .reports.schedules import all_schedules

        failed = []
        paths = all_schedules()
        if not paths:
            raise WorkbenchError("no schedules in reports/schedules/ (see README: Scheduled reports)")
        for path in paths:
            if _run_schedule(str(path), args.cell_timeout, args.quiet) != 0:
                failed.append(path.stem)
        if failed:
            print(f"{len(failed)} of {len(paths)} scheduled reports failed: {', '.join(failed)}", file=sys.stderr)
            return 3
        return 0
    if args.schedule:
        return _run_schedule(args.schedule, args.cell_timeout, args.quiet)
    params_file = None
    if args.params:
        try:
            with open(args.params, encoding="utf-8") as f:
                params_file = yaml.safe_load(f) or {}
        except OSError as e:
            raise WorkbenchError(f"--params {args.params}: {e.strerror}") from None
        except yaml.YAMLError as e:
            raise WorkbenchError(f"--params {args.params}: not valid YAML: {' '.join(str(e).split())}") from None
        if not isinstance(params_file, dict):
            raise WorkbenchError(f"--params {args.params}: expected a mapping of parameter names to values")
    cli_params = [tuple(p) for p in args.p or []]
    if args.store and args.corpus:
        raise WorkbenchError("give either --store or --corpus, not both")
    if args.store:
        cli_params.append(("store", args.store))
    if args.corpus:
        cli_params.append(("store", _corpus_store(args.corpus, args.registry)))
    return _run_one(args.notebook, params_file, cli_params, args.out, args.name, args.keep, not args.no_pdf,
                    args.cell_timeout, args.quiet)


def _analysis_options(p: argparse.ArgumentParser) -> None:
    """The options :func:`_analysis` reads: selection (--from, --to, --outlets, --where), text
    settings (--settings, --set) and --cache."""
    p.add_argument("--from", dest="start", metavar="DATE", help="first date to include (YYYY-MM-DD)")
    p.add_argument("--to", dest="end", metavar="DATE", help="last date to include (YYYY-MM-DD)")
    p.add_argument("--outlets", metavar="ID,ID", help="only these outlets")
    p.add_argument("--where", action="append", metavar="COLUMN=VALUE[,VALUE]",
                   help="only documents whose COLUMN has one of the values (COLUMN!=VALUE: none of them), "
                        "on any corpus column, e.g. --where category!=accidents (repeatable: all must hold)")
    p.add_argument("--settings", metavar="FILE.yaml", help="text settings (see workbench.text.TextSettings)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="one text setting, e.g. --set teh_marbuta=true")
    p.add_argument("--cache", metavar="DIR", help="folder for the token cache (default: $WORKBENCH_CACHE, "
                   "else STORE/cache, else ~/.cache/arabic-media-workbench/ when the store is read-only)")
    p.add_argument("--scheduler", metavar="ADDRESS|local",
                   help="tokenise (and compare stories) on Dask: 'local' starts a local cluster, an address such as "
                        "tcp://host:8786 uses a running scheduler (default: $WORKBENCH_DASK_SCHEDULER, else no Dask)")


def _comparison_options(p: argparse.ArgumentParser) -> None:
    """--store and the two groups compared: --group, --target and --reference (keyness, composition)."""
    p.add_argument("--store", required=True, metavar="DIR")
    p.add_argument("--group", required=True, metavar="COLUMN", help="column defining the groups, e.g. camp, outlet, month")
    p.add_argument("--target", required=True, metavar="VALUE[,VALUE]", help="target group value(s)")
    p.add_argument("--reference", metavar="VALUE[,VALUE]", help="reference group value(s) (default: all other documents)")


def build_parser() -> argparse.ArgumentParser:
    from .corpus.readers import FORMATS
    from .stats.measures import CORRECTIONS, MEASURES

    p = argparse.ArgumentParser(
        prog="workbench",
        description="Arabic media discourse analysis workbench: compare how rival outlets frame the same story.",
    )
    p.add_argument("--version", action="version", version=f"workbench {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    corpus = sub.add_parser("corpus", help="import articles into a corpus store and summarise it")
    csub = corpus.add_subparsers(dest="corpus_command", metavar="ACTION", required=True)

    imp = csub.add_parser(
        "import", help="import JSONL, CSV/TSV or a folder of .txt files into a store (all or nothing)",
        description="Import articles (fields id, outlet, date, title, text, url; extra columns kept). "
        "Every problem is reported as file:line: field: message and nothing is written unless the "
        "whole import is valid (or --skip-invalid is given). Exact duplicates are dropped and counted.",
    )
    imp.add_argument("sources", nargs="+", metavar="SOURCE", help="file (.jsonl, .csv, .tsv, optionally .gz) or folder of .txt files")
    imp.add_argument("--store", required=True, metavar="DIR", help="corpus store folder (created if missing)")
    imp.add_argument("--registry", metavar="FILE", help="outlet registry YAML (default: the store's, "
                     "else outlets.yaml beside the source, else corpus/outlets.yaml)")
    imp.add_argument("--format", choices=FORMATS, help="source format (default: from the file name)")
    imp.add_argument("--encoding", metavar="NAME", help="text encoding (default: detect UTF-8, UTF-8 BOM, UTF-16, Windows-1256)")
    imp.add_argument("--column", action="append", metavar="FIELD=COLUMN",
                     help="map a differently named source column, e.g. --column text=body (repeatable)")
    imp.add_argument("--metadata", metavar="CSV", help="metadata CSV of a .txt folder (default: FOLDER/metadata.csv)")
    imp.add_argument("--date-format", metavar="FMT", help="strptime format for non-ISO dates, e.g. %%d/%%m/%%Y")
    imp.add_argument("--skip-invalid", action="store_true", help="write the valid rows and a rejects file with reasons")
    imp.add_argument("--rejects", metavar="FILE", help="where --skip-invalid writes rejected records (default: STORE/rejects/)")
    imp.add_argument("--json", action="store_true", help="print the import record as JSON")
    imp.add_argument("--batch-size", type=int, default=20_000, metavar="N",
                     help="articles validated and written at a time (memory grows with it, not the file; default 20000)")
    imp.add_argument("--again", action="store_true",
                     help="read a source even if a file with the same SHA-256 was already imported (default: skip it)")
    imp.add_argument("-q", "--quiet", action="store_true",
                     help="no progress bar (one is shown only when stderr is a terminal, never in logs)")
    imp.set_defaults(func=cmd_corpus_import)

    q = csub.add_parser(
        "query", help="articles matching conditions, as CSV (DuckDB over the store's Parquet parts)",
        description="Select articles by outlet, camp, dates, any column and text, reading only the "
        "columns asked for. Prints CSV (id, outlet, camp, date and --columns).",
    )
    q.add_argument("--store", required=True, metavar="DIR")
    q.add_argument("--where", action="append", metavar="COLUMN=VALUE[,VALUE]",
                   help="condition on any column, e.g. category!=accidents (repeatable, combined with AND)")
    q.add_argument("--outlet", action="append", metavar="ID", help="keep this outlet (repeatable)")
    q.add_argument("--camp", action="append", metavar="CAMP", help="keep this camp (repeatable)")
    q.add_argument("--start", metavar="YYYY-MM-DD")
    q.add_argument("--end", metavar="YYYY-MM-DD", help="last day included")
    q.add_argument("--contains", action="append", metavar="TEXT", help="the text contains TEXT (repeatable: any)")
    q.add_argument("--columns", metavar="A,B", help="columns to print besides id, outlet, camp, date (text, title, …)")
    q.add_argument("--sort", action="store_true", help="by date then id (default: storage order)")
    q.add_argument("--limit", type=int, metavar="N")
    q.add_argument("--count", action="store_true", help="print only the number of articles")
    q.add_argument("--out", metavar="FILE.csv", help="write the CSV to FILE")
    q.set_defaults(func=cmd_corpus_query)

    info = csub.add_parser("info", help="articles per outlet and camp, date range, words, duplicates dropped")
    info.add_argument("--store", required=True, metavar="DIR")
    info.add_argument("--json", action="store_true", help="machine-readable output")
    info.set_defaults(func=cmd_corpus_info)

    k = sub.add_parser(
        "keyness", help="which words one group of documents uses significantly more than another",
        description="Keyness of a target group against a reference group (G2, log ratio, LRC, "
        "weighted log-odds, chi2), with dispersion over outlets. Groups are values of a corpus "
        "column: camp, outlet, month or any imported column.",
    )
    _comparison_options(k)
    k.add_argument("--ngrams", type=_ngrams, default=1, metavar="N", help="1 (words), 2 (bigrams) or 1,2")
    k.add_argument("--min-count", type=int, default=5, metavar="N", help="minimum total count of a term (default 5)")
    k.add_argument("--min-outlets", type=int, default=1, metavar="N",
                   help="a key term must be used by at least N outlets of its side (default 1)")
    k.add_argument("--sort", default="G2", choices=MEASURES,
                   help="measure the top terms are ranked by (signed ones by absolute value; default G2)")
    k.add_argument("--correction", default="fdr_bh", choices=CORRECTIONS,
                   help="multiple-testing correction of p_adj (default fdr_bh, Benjamini-Hochberg)")
    k.add_argument("--top", type=int, default=20, metavar="N", help="terms shown per side (default 20)")
    k.add_argument("--out", metavar="FILE.csv", help="write the whole table as CSV (UTF-8 with BOM)")
    k.add_argument("--plot", metavar="FILE.png", help="write the diverging bar chart (PNG and SVG)")
    k.add_argument("--json", action="store_true", help="print the top terms as JSON")
    k.add_argument("--stratify", metavar="COLUMN",
                   help="compare within each value of COLUMN, e.g. category (Cochran-Mantel-Haenszel test, "
                   "Mantel-Haenszel odds ratio; values only one group has are left out)")
    _analysis_options(k)
    k.set_defaults(func=cmd_keyness)

    cp = sub.add_parser(
        "composition", help="do two groups differ in their mix of sections (or any column)? check before keyness",
        description="For each metadata column (default: every low-cardinality text column such as category, "
        "section, country), the share of each group's documents per value and Cramér's V of group x column "
        "(bias-corrected); a warning when V >= 0.3 (Cohen's medium effect), with what to do: --stratify "
        "COLUMN or --where COLUMN!=VALUE. Python: workbench.stats.composition.",
    )
    _comparison_options(cp)
    cp.add_argument("--columns", metavar="COLUMN[,COLUMN]", help="columns to check (default: every categorical column)")
    cp.add_argument("--threshold", type=float, default=0.3, metavar="V", help="warn from this Cramér's V (default 0.3)")
    cp.add_argument("--out", metavar="FILE.csv", help="write the distribution table as CSV (UTF-8 with BOM)")
    cp.add_argument("--json", action="store_true", help="print tests, table and warnings as JSON")
    _analysis_options(cp)
    cp.set_defaults(func=cmd_composition)

    kw = sub.add_parser(
        "kwic", help="concordance: every occurrence of a word or phrase with the words around it, as printed",
        description="Keyword in context: each match of QUERY (a word, a phrase, * wildcards, with --clitics "
        "attached و ف ب ك ل and ال, with --regex regular expressions on whole tokens) with --window words "
        "before and after it as the outlet printed them, one line per match: date, outlet, before [keyword] "
        "after. Matching uses normalised tokens (الأسد also finds الاسد and الأسدُ). "
        "Python: workbench.reading.kwic.",
    )
    kw.add_argument("query", metavar="QUERY", help="word, phrase or pattern, e.g. 'قوات النظام', 'قوات *', '*ميليشي*'")
    kw.add_argument("--store", required=True, metavar="DIR")
    kw.add_argument("--window", type=int, default=8, metavar="N", help="words shown on each side (default 8)")
    kw.add_argument("--clitics", action="store_true", help="also match words with attached و ف ب ك ل and ال")
    kw.add_argument("--regex", action="store_true", help="each word of QUERY is a regular expression on whole tokens")
    kw.add_argument("--sort", choices=("left", "right"),
                    help="sort by the words before (left) or after (right) the keyword (default: corpus order)")
    kw.add_argument("--sample", type=int, metavar="N", help="a random sample of N lines (per --by group)")
    kw.add_argument("--by", metavar="COLUMN", help="groups for --sample, e.g. camp, outlet, month (also a CSV column)")
    kw.add_argument("--seed", type=int, default=0, metavar="N", help="random seed of --sample (default 0)")
    kw.add_argument("--limit", type=int, default=40, metavar="N", help="lines printed (default 40; 0: all)")
    kw.add_argument("--out", metavar="FILE.csv", help="write every line as CSV (UTF-8 with BOM)")
    _analysis_options(kw)
    kw.set_defaults(func=cmd_kwic)

    lx = sub.add_parser(
        "lexicon", help="count a lexicon's categories per group, or which label each group uses for an actor",
        description="Count every category of a lexicon (default corpus/lexicons/syria.yaml; also quanteda "
        "YAML and LIWC .dic) per group, per 10,000 tokens with 95%% intervals; with --category, the naming "
        "table of that category: each label's count and share of the category's mentions per group, a chi2 "
        "test of independence with Cramer's V and adjusted residuals. Overlapping entries count once per "
        "category (longest match first). Python: workbench.reading.lexicons.",
    )
    lx.add_argument("--store", required=True, metavar="DIR")
    lx.add_argument("--lexicon", metavar="FILE", help="lexicon file (default: corpus/lexicons/syria.yaml)")
    lx.add_argument("--format", choices=("workbench", "quanteda", "liwc"),
                    help="lexicon format (default: .dic is LIWC; YAML with 'lexicon:' ours, else quanteda)")
    lx.add_argument("--list", action="store_true", help="list the lexicon's categories and exit")
    lx.add_argument("--category", metavar="NAME", help="print the naming table of this category, e.g. actor:government")
    lx.add_argument("--by", default="camp", metavar="COLUMN[,COLUMN]",
                    help="groups: camp (default), outlet, month or any corpus column; none: the whole selection (rates only)")
    lx.add_argument("--interval", default="bootstrap", choices=("bootstrap", "poisson"),
                    help="rate intervals: bootstrap over articles (default) or exact Poisson")
    lx.add_argument("--n-boot", type=int, default=1000, metavar="N", help="bootstrap resamples (default 1000)")
    lx.add_argument("--seed", type=int, default=0, metavar="N",
                    help="random seed of the bootstrap and of the Monte Carlo test (default 0)")
    _analysis_options(lx)
    lx.add_argument("--out", metavar="FILE.csv", help="write the whole table as CSV (UTF-8 with BOM)")
    lx.add_argument("--plot", metavar="FILE.png", help="with --category: write the naming chart (PNG and SVG)")
    lx.add_argument("--json", action="store_true", help="print the table as JSON")
    lx.set_defaults(func=cmd_lexicon)

    tr = sub.add_parser(
        "trends", help="how often words occur over time in each group (per 10,000 tokens, with intervals)",
        description="Frequency of each TERM (a word, a phrase, or a pattern with * wildcards) per period and "
        "group, per 10,000 tokens of the group's articles in that period (every word counted), with a 95% "
        "bootstrap interval over articles. Periods without articles are empty (NaN), not zero. "
        "Python: workbench.reading.trends.term_trends (also lexicon categories as one series).",
    )
    tr.add_argument("terms", nargs="+", metavar="TERM", help="word, phrase or pattern, e.g. النظام 'قوات *'")
    tr.add_argument("--store", required=True, metavar="DIR")
    tr.add_argument("--by", default="camp", metavar="COLUMN", help="one line per value of this column "
                    "(default camp; outlet or any corpus column; none: all documents together)")
    tr.add_argument("--freq", default="month", choices=("day", "week", "month", "quarter", "year"),
                    help="period length (default month; weeks run Monday to Sunday)")
    tr.add_argument("--clitics", action="store_true", help="also match words with attached و ف ب ك ل and ال")
    tr.add_argument("--regex", action="store_true", help="each word of a TERM is a regular expression on whole tokens")
    tr.add_argument("--n-boot", type=int, default=1000, metavar="N", help="bootstrap resamples (default 1000; 0: no interval)")
    tr.add_argument("--seed", type=int, default=0, metavar="N", help="random seed of the bootstrap (default 0)")
    _analysis_options(tr)
    tr.add_argument("--out", metavar="FILE.csv", help="write the table as CSV (UTF-8 with BOM)")
    tr.add_argument("--plot", metavar="FILE.png", help="write the figure (PNG and SVG)")
    tr.add_argument("--panels", default="term", choices=("term", "group"),
                    help="with --plot: one panel per term (lines per group) or per group (lines per term)")
    tr.add_argument("--json", action="store_true", help="print the table as JSON")
    tr.set_defaults(func=cmd_trends)

    co = sub.add_parser(
        "collocates", help="which words keep company with a word (within ±N tokens), per group or compared",
        description="Collocates of NODE within --window tokens on each side (MI, G2, t-score, logDice; "
        "see workbench.stats.collocations), per group of documents (--by camp), or what a target group "
        "puts next to NODE compared with a reference group (--compare camp --target A --reference B).",
    )
    co.add_argument("node", metavar="NODE[,NODE]", help="the word (normalised like the corpus; alternative spellings "
                    "separated by commas)")
    co.add_argument("--store", required=True, metavar="DIR")
    co.add_argument("--by", metavar="COLUMN", help="one table per value of this column, e.g. camp (default: whole selection)")
    co.add_argument("--window", type=int, default=5, metavar="N", help="tokens on each side of the node (default 5)")
    co.add_argument("--min-freq", type=int, default=3, metavar="N", help="minimum co-occurrence count (default 3)")
    co.add_argument("--sort", default="log_dice", choices=("log_dice", "MI", "G2", "t_score", "freq"),
                    help="ranking of the collocates (default log_dice)")
    co.add_argument("--compare", metavar="COLUMN", help="compare two groups of this column (with --target, --reference)")
    co.add_argument("--target", metavar="VALUE[,VALUE]", help="target group value(s) for --compare")
    co.add_argument("--reference", metavar="VALUE[,VALUE]", help="reference group value(s) (default: all other documents)")
    co.add_argument("--top", type=int, default=20, metavar="N", help="collocates shown per group or side (default 20)")
    co.add_argument("--out", metavar="FILE.csv", help="write the whole table as CSV (UTF-8 with BOM)")
    co.add_argument("--json", action="store_true", help="print the shown rows as JSON")
    _analysis_options(co)
    co.set_defaults(func=cmd_collocates)

    st = sub.add_parser(
        "stories", help="articles of different outlets about the same event, and which camp covered which story",
        description="Group articles into stories: articles at most --window days apart whose normalised words "
        "are similar (TF-IDF cosine >= --threshold), kept together only if every article is close to the rest "
        "of its story (--cohesion). Prints the largest stories covered by more than one camp and, with "
        "--target/--reference, the stories one side covered alone or mostly. Python: workbench.stories.",
    )
    st.add_argument("--store", required=True, metavar="DIR")
    st.add_argument("--window", type=int, default=3, metavar="DAYS",
                    help="days between linked articles (default 3; consecutive articles of a story are never further apart)")
    st.add_argument("--threshold", type=float, default=0.3, metavar="T",
                    help="cosine similarity that links two articles (default 0.3)")
    st.add_argument("--cohesion", type=float, default=0.2, metavar="C",
                    help="minimum average similarity of each article to the rest of its story (default 0.2)")
    st.add_argument("--group", default="camp", metavar="COLUMN", help="column of --target/--reference (default camp)")
    st.add_argument("--target", metavar="VALUE[,VALUE]", help="one side, e.g. regime (with --reference)")
    st.add_argument("--reference", metavar="VALUE[,VALUE]", help="the other side, e.g. opposition")
    st.add_argument("--share", type=float, default=0.8, metavar="S",
                    help="a story is 'mostly' one side's when at least this share of its articles is (default 0.8)")
    st.add_argument("--balance", action="store_true",
                    help="weigh each side's articles by 1 / its volume when computing the share")
    st.add_argument("--top", type=int, default=10, metavar="N", help="stories shown per list (default 10)")
    st.add_argument("--out", metavar="FILE.csv", help="write the story table as CSV (UTF-8 with BOM)")
    st.add_argument("--articles", metavar="FILE.csv", help="write each article's story id as CSV")
    st.add_argument("--plot", metavar="FILE.png", help="with --target/--reference: the coverage timeline (PNG and SVG)")
    _analysis_options(st)
    st.set_defaults(func=cmd_stories)

    ru = sub.add_parser(
        "reuse", help="the same text printed by several outlets (agency copy, press releases)",
        description="Find pairs of articles of different outlets at most --window days apart that share most "
        "of their wording: the share of one article's --shingle-word sequences found in the other "
        "(containment, Broder 1997) reaches --min-overlap. Prints, per pair of outlets, the share of the "
        "reusing outlet's articles that reprint the other's text and the median lag; the earlier article "
        "is taken as the source. Python: workbench.stories.reuse.",
    )
    ru.add_argument("--store", required=True, metavar="DIR")
    ru.add_argument("--window", type=int, default=3, metavar="DAYS", help="days between source and reuse (default 3)")
    ru.add_argument("--shingle", type=int, default=5, metavar="N", help="words per shingle (default 5)")
    ru.add_argument("--min-overlap", type=float, default=0.5, metavar="S",
                    help="share of one article's shingles found in the other (default 0.5)")
    ru.add_argument("--max-df", type=int, default=50, metavar="N",
                    help="ignore shingles found in more articles than this: boilerplate (default 50)")
    ru.add_argument("--top", type=int, default=20, metavar="N", help="outlet pairs shown (default 20)")
    ru.add_argument("--out", metavar="FILE.csv", help="write every pair as CSV (UTF-8 with BOM)")
    _analysis_options(ru)
    ru.set_defaults(func=cmd_reuse)

    at = sub.add_parser(
        "attribution", help="whom each group cites, and with neutral, affirming or distancing reporting words",
        description="Find attributions in every article (reporting verbs such as قال/زعم/نفى with their source, "
        "وفق/بحسب + source, مزاعم + source; lexicon corpus/lexicons/reporting-verbs.yaml) and tabulate, per "
        "group, each class of reporting word per 10,000 words and the sources cited most with the class of "
        "word used for each. Rule-based: read the sentences (--rows) before reporting numbers. "
        "Python: workbench.reading.attribution.",
    )
    at.add_argument("--store", required=True, metavar="DIR")
    at.add_argument("--by", default="camp", metavar="COLUMN[,COLUMN]",
                    help="groups: camp (default), outlet or any corpus column; none: the whole selection")
    at.add_argument("--lexicon", metavar="FILE", help="reporting-word lexicon (default: corpus/lexicons/reporting-verbs.yaml)")
    at.add_argument("--top", type=int, default=15, metavar="N", help="sources shown per group (default 15)")
    _analysis_options(at)
    at.add_argument("--out", metavar="FILE.csv", help="write the group x source x class table as CSV (UTF-8 with BOM)")
    at.add_argument("--rows", metavar="FILE.csv", help="write every attribution (word, class, source, sentence) as CSV")
    at.set_defaults(func=cmd_attribution)

    cl = sub.add_parser(
        "collect", help="collect new articles from the registry's outlets' feeds into a store",
        description="Read each outlet's RSS/Atom feeds (registry field feeds:), fetch the article pages not "
        "collected yet (robots.txt obeyed, one request at a time per host with a pause, timeouts, a size cap, "
        "retries), extract title, date, author and main text with trafilatura and import them like "
        "`corpus import` (duplicates dropped, invalid records kept in rejects/). Incremental: the state per "
        "outlet is kept in STORE/collect/. Exit 3 if an outlet's feeds could not be read (the others are "
        "still collected). Python: workbench.collect.",
    )
    cl.add_argument("--store", required=True, metavar="DIR", help="corpus store to add to (created if missing)")
    cl.add_argument("--registry", metavar="FILE", help="registry whose outlets and feeds to collect (default: the "
                    "store's own, else corpus/outlets.yaml)")
    cl.add_argument("--outlets", metavar="ID[,ID]", help="only these outlets")
    cl.add_argument("--since", metavar="YYYY-MM-DD", help="only articles published on or after this day")
    cl.add_argument("--keep-html", action="store_true", help="keep each page's HTML (gzip) in STORE/collect/html/")
    cl.add_argument("--max-per-outlet", type=int, metavar="N", help="fetch at most N new pages per outlet this run")
    cl.add_argument("--commit-every", type=int, default=50, metavar="N",
                    help="articles per import: a killed run loses at most the batch in flight (default 50)")
    cl.add_argument("--delay", type=float, default=2.0, metavar="SECONDS",
                    help="pause between requests to one host (default 2; a longer robots.txt Crawl-delay wins)")
    cl.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS", help="per request (default 20)")
    cl.add_argument("--max-bytes", type=int, default=5_000_000, metavar="N", help="largest page read (default 5,000,000)")
    cl.add_argument("--retries", type=int, default=2, metavar="N", help="retries after a timeout or 5xx (default 2)")
    cl.add_argument("--user-agent", metavar="TEXT", help="User-Agent sent (default names the workbench)")
    cl.add_argument("--json", action="store_true", help="print the run summary as JSON")
    cl.add_argument("-q", "--quiet", action="store_true", help="print nothing unless an outlet failed")
    cl.set_defaults(func=cmd_collect)

    r = sub.add_parser(
        "report", help="run a report notebook with papermill and render it to HTML and PDF",
        description="Run a parameterised notebook (default: notebooks/framing_report.ipynb) in this "
        "environment's kernel, then write reports/<name>/<YYYY-MM-DD_HHMMSS>/ with report.ipynb, "
        "report.html, report.pdf, tables/, figures/ and manifest.json. Parameters are checked before "
        "any kernel starts. A failed, timed-out or interrupted run is kept as <stamp>.failed with "
        "failure.json and listed in reports/index.html; earlier reports are never touched. "
        "Exit codes: 0 success, 2 bad parameters or input, 3 a report failed, 130 interrupted.",
    )
    r.add_argument("notebook", nargs="?", help="the notebook (default: notebooks/framing_report.ipynb)")
    r.add_argument("--store", metavar="DIR", help="corpus store (default: the demo corpus)")
    r.add_argument("--corpus", metavar="FILE", help="a corpus file to import (once) and report on")
    r.add_argument("--registry", metavar="FILE", help="outlet registry for --corpus")
    r.add_argument("-p", nargs=2, action="append", metavar=("NAME", "VALUE"), help="set a parameter (repeatable)")
    r.add_argument("--params", metavar="FILE.yaml", help="parameters from a YAML file (-p wins)")
    r.add_argument("--out", metavar="DIR", help="output root (default: reports/)")
    r.add_argument("--name", help="report name (default: the notebook's name)")
    r.add_argument("--keep", type=int, metavar="N",
                   help="keep only the newest N successful runs of this report, and the newest N failed runs")
    r.add_argument("--cell-timeout", type=int, metavar="SECONDS",
                   help="fail the report if one notebook cell runs longer than this (default 1800; "
                   "overrides a schedule's cell_timeout)")
    r.add_argument("--no-pdf", action="store_true", help="skip the PDF")
    r.add_argument("-q", "--quiet", action="store_true",
                   help="no line per section as the notebook runs (shown only when stderr is a terminal, never in logs)")
    r.add_argument("--schedule", metavar="NAME", help="run reports/schedules/NAME.yaml")
    r.add_argument("--all", action="store_true", help="run every schedule; continue past failures, exit 3 if any failed")
    r.add_argument("--list-parameters", action="store_true", help="print the notebook's parameters and exit")
    r.set_defaults(func=cmd_report)

    lab = sub.add_parser(
        "lab", help="start JupyterLab at notebooks/ (tutorials first) in this environment's kernel",
        description="Start JupyterLab from this environment at the project's notebooks/ folder (opening "
        "notebooks/tutorials/), with the project's kernel for new notebooks. Arguments after -- go to "
        "JupyterLab.")
    lab.add_argument("--port", type=int, help="port (default: JupyterLab's, 8888 or the next free one)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser (print the URL)")
    lab.add_argument("--notebook-dir", metavar="DIR", help="folder to open (default: notebooks/)")
    lab.add_argument("extra", nargs=argparse.REMAINDER, help="after --: options for JupyterLab")
    lab.set_defaults(func=cmd_lab)

    cs = sub.add_parser(
        "cheatsheet", help="write the one-page cheat sheet of commands and functions (HTML and PDF)",
        description="Write cheatsheet.html and, with Chromium, cheatsheet.pdf: the main commands and "
        "Python functions of the workbench on one printable A4 page.")
    cs.add_argument("--out", metavar="DIR", default="build/cheatsheet", help="output folder (default: build/cheatsheet)")
    cs.add_argument("--no-pdf", action="store_true", help="HTML only")
    cs.set_defaults(func=cmd_cheatsheet)
    return p


def cmd_lab(args) -> int:
    from .lab import run_lab

    extra = [a for a in (args.extra or []) if a != "--"]
    return run_lab(notebook_dir=args.notebook_dir, port=args.port, browser=not args.no_browser, extra=extra)


def cmd_cheatsheet(args) -> int:
    from .cheatsheet import write_cheatsheet

    from pathlib import Path

    for path in write_cheatsheet(Path(args.out), pdf=not args.no_pdf):
        print(path)
    return 0


def _show_warning(message, category, filename, lineno, file=None, line=None, _default=None):
    """Workbench notices as one line ``warning: ...``; other warnings as Python prints them."""
    from .errors import WorkbenchWarning

    if issubclass(category, WorkbenchWarning):
        print(f"warning: {message}", file=sys.stderr)
    else:
        _default(message, category, filename, lineno, file, line)


def main(argv: list[str] | None = None) -> int:
    import functools
    import warnings

    parser = build_parser()
    args = parser.parse_args(argv)
    default_show = warnings.showwarning
    warnings.showwarning = functools.partial(_show_warning, _default=default_show)
    try:
        return args.func(args)
    except WorkbenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("interrupted; the store is unchanged unless the import had finished", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # a bug: say so in one line; the traceback goes to a log file
        import os

        from .errors import ENVIRONMENT_ERRNOS, describe_os_error, internal_error_line

        if os.environ.get("WORKBENCH_DEBUG"):
            raise
        if isinstance(e, OSError) and e.errno in ENVIRONMENT_ERRNOS:  # full disk, permissions: not a bug
            # a failed write names no file (f.write); the store being worked on is then the place
            where = e.filename if e.filename is not None else getattr(args, "store", None)
            print(f"error: {describe_os_error(e, where)}", file=sys.stderr)
            return 2
        print(internal_error_line(e), file=sys.stderr)
        return 1
    finally:
        warnings.showwarning = default_show


if __name__ == "__main__":
    sys.exit(main())
