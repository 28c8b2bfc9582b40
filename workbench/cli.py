"""The ``workbench`` command: a thin layer over the library functions.

Exit codes: 0 success; 1 unexpected internal error (a bug: please report it); 2 bad input or
usage (the message says which file, line or option, and what to do).
"""
from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .errors import WorkbenchError


def _mapping(values: list[str] | None) -> dict[str, str]:
    out = {}
    for v in values or []:
        if "=" not in v:
            raise WorkbenchError(f"--column {v}: expected FIELD=SOURCE_COLUMN, e.g. --column text=body")
        ours, theirs = v.split("=", 1)
        ours = ours.strip()
        if ours not in ("id", "outlet", "date", "title", "text", "url", "file"):
            raise WorkbenchError(
                f"--column {v}: '{ours}' is not a field (id, outlet, date, title, text, url, file)"
            )
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
    from .errors import StoreError

    st = open_store(args.store)
    if not st.exists:
        raise StoreError(f"{args.store}: no corpus store here; create one with "
                         f"`workbench corpus import SOURCE --store {args.store}`")
    s = corpus_summary(st)
    print(json.dumps(s, ensure_ascii=False, indent=1) if args.json else format_summary(s))
    return 0


def build_parser() -> argparse.ArgumentParser:
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
    imp.add_argument("--format", choices=["jsonl", "csv", "tsv", "txt"], help="source format (default: from the file name)")
    imp.add_argument("--encoding", metavar="NAME", help="text encoding (default: detect UTF-8, UTF-8 BOM, UTF-16, Windows-1256)")
    imp.add_argument("--column", action="append", metavar="FIELD=COLUMN",
                     help="map a differently named source column, e.g. --column text=body (repeatable)")
    imp.add_argument("--metadata", metavar="CSV", help="metadata CSV of a .txt folder (default: FOLDER/metadata.csv)")
    imp.add_argument("--date-format", metavar="FMT", help="strptime format for non-ISO dates, e.g. %%d/%%m/%%Y")
    imp.add_argument("--skip-invalid", action="store_true", help="write the valid rows and a rejects file with reasons")
    imp.add_argument("--rejects", metavar="FILE", help="where --skip-invalid writes rejected records (default: STORE/rejects/)")
    imp.add_argument("--json", action="store_true", help="print the import record as JSON")
    imp.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    imp.set_defaults(func=cmd_corpus_import)

    info = csub.add_parser("info", help="articles per outlet and camp, date range, words, duplicates dropped")
    info.add_argument("--store", required=True, metavar="DIR")
    info.add_argument("--json", action="store_true", help="machine-readable output")
    info.set_defaults(func=cmd_corpus_info)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
