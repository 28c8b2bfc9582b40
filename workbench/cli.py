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
        quiet=args.quiet,
    )
    if args.json:
        print(json.dumps(res.to_dict(), ensure_ascii=False, indent=1))
    elif not args.quiet or res.added:
        print(res.summary(), file=sys.stderr)
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
    from .analysis import Analysis
    from .stats.keyness import top_terms

    analysis = Analysis(args.store, _text_settings(args), start=args.start, end=args.end,
                        outlets=[o.strip() for o in args.outlets.split(",")] if args.outlets else None,
                        where=args.where, cache_dir=args.cache)
    target = args.target.split(",") if "," in args.target else args.target
    reference = None
    if args.reference:
        reference = args.reference.split(",") if "," in args.reference else args.reference
    table = analysis.compare(args.group, target, reference, ngrams=args.ngrams, min_count=args.min_count,
                             min_outlets=args.min_outlets, measure_sort=args.sort, correction=args.correction)
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
        cols = ["term", "n_target", "n_reference", "freq_target", "freq_reference", "outlets_target",
                "outlets_reference", "G2", "p_adj", "log_ratio", "lrc", "log_odds_z", "direction"]
        import pandas as pd

        from .display import shorten

        # terms shortened for the terminal (40 characters): one megabyte-long token would pad every
        # row to a megabyte; --out and --json keep them whole
        shown = top[cols].assign(term=top["term"].map(shorten))
        groups = table.attrs["groups"]
        with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.3g}".format):
            print(f"{shorten(groups['target'])} vs {shorten(groups['reference'])} "
                  f"(group '{shorten(args.group)}', sorted by {args.sort}, top {args.top} per side)")
            print(shown.to_string(index=False))
    return 0


def _corpus_store(corpus: str, registry: str | None = None) -> str:
    """A store for a corpus file, imported once into build/stores/ (keyed by the file's content)."""
    from .corpus.store import import_once

    return str(import_once(corpus, registry=registry).path)


def _run_one(notebook, params_file, cli_params, out, name, keep, pdf, cell_timeout=None) -> int:
    from .reports.run import run_report

    res = run_report(notebook, params_file=params_file, cli_params=cli_params, out=out, name=name,
                     keep=keep, pdf=pdf, cell_timeout=cell_timeout)
    for m in res.messages:
        print(m, file=sys.stderr)
    print(f"report '{res.name}' written to {res.folder}")
    return 0


def _run_schedule(name: str, cell_timeout: int | None = None) -> int:
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
        return _run_one(sch.notebook, run_parameters(sch), None, sch.output, sch.name, sch.keep, sch.pdf,
                        cell_timeout or sch.cell_timeout)
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
            if _run_schedule(str(path), args.cell_timeout) != 0:
                failed.append(path.stem)
        if failed:
            print(f"{len(failed)} of {len(paths)} scheduled reports failed: {', '.join(failed)}", file=sys.stderr)
            return 3
        return 0
    if args.schedule:
        return _run_schedule(args.schedule, args.cell_timeout)
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
                    args.cell_timeout)


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
    imp.add_argument("-q", "--quiet", action="store_true",
                     help="no progress bar (one is shown only when stderr is a terminal, never in logs)")
    imp.set_defaults(func=cmd_corpus_import)

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
    k.add_argument("--store", required=True, metavar="DIR")
    k.add_argument("--group", required=True, metavar="COLUMN", help="column defining the groups, e.g. camp, outlet, month")
    k.add_argument("--target", required=True, metavar="VALUE[,VALUE]", help="target group value(s)")
    k.add_argument("--reference", metavar="VALUE[,VALUE]", help="reference group value(s) (default: all other documents)")
    k.add_argument("--from", dest="start", metavar="DATE", help="first date to include (YYYY-MM-DD)")
    k.add_argument("--to", dest="end", metavar="DATE", help="last date to include (YYYY-MM-DD)")
    k.add_argument("--outlets", metavar="ID,ID", help="only these outlets")
    k.add_argument("--where", action="append", metavar="COLUMN=VALUE[,VALUE]",
                   help="only documents whose COLUMN has one of the values (COLUMN!=VALUE: none of them), "
                        "on any corpus column, e.g. --where category!=accidents (repeatable: all must hold)")
    k.add_argument("--ngrams", type=_ngrams, default=1, metavar="N", help="1 (words), 2 (bigrams) or 1,2")
    k.add_argument("--min-count", type=int, default=5, metavar="N", help="minimum total count of a term (default 5)")
    k.add_argument("--min-outlets", type=int, default=1, metavar="N",
                   help="a key term must be used by at least N outlets of its side (default 1)")
    k.add_argument("--sort", default="G2", choices=MEASURES,
                   help="measure the top terms are ranked by (signed ones by absolute value; default G2)")
    k.add_argument("--correction", default="fdr_bh", choices=CORRECTIONS,
                   help="multiple-testing correction of p_adj (default fdr_bh, Benjamini-Hochberg)")
    k.add_argument("--top", type=int, default=20, metavar="N", help="terms shown per side (default 20)")
    k.add_argument("--settings", metavar="FILE.yaml", help="text settings (see workbench.text.TextSettings)")
    k.add_argument("--set", action="append", metavar="NAME=VALUE", help="one text setting, e.g. --set teh_marbuta=true")
    k.add_argument("--out", metavar="FILE.csv", help="write the whole table as CSV (UTF-8 with BOM)")
    k.add_argument("--plot", metavar="FILE.png", help="write the diverging bar chart (PNG and SVG)")
    k.add_argument("--json", action="store_true", help="print the top terms as JSON")
    k.add_argument("--cache", metavar="DIR", help="folder for the token cache (default: $WORKBENCH_CACHE, "
                   "else STORE/cache, else ~/.cache/arabic-media-workbench/ when the store is read-only)")
    k.set_defaults(func=cmd_keyness)

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
    r.add_argument("--schedule", metavar="NAME", help="run reports/schedules/NAME.yaml")
    r.add_argument("--all", action="store_true", help="run every schedule; continue past failures, exit 3 if any failed")
    r.add_argument("--list-parameters", action="store_true", help="print the notebook's parameters and exit")
    r.set_defaults(func=cmd_report)
    return p


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
