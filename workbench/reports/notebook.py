"""What a report notebook calls to show and save its results: sections, tables and figures.

A report notebook stays thin: it computes with library functions and hands each result to a
:class:`ReportContext`, which displays it and, when the notebook runs as a report
(``output_dir`` set by ``workbench report``), writes it to ``tables/<name>.csv`` (UTF-8 with BOM, so
Excel opens Arabic right) and ``figures/<name>.png`` / ``.svg`` reproducibly, and records how
long each section took in ``sections.json``. Run interactively (``output_dir`` None) it only
displays.

Nothing from the corpus or the parameters reaches the page as markup: table cells and labels are
HTML-escaped (``Styler.format(escape="html")``), headings and captions are plain text escaped with
:func:`workbench.display.escape_markdown`, and :meth:`ReportContext.note` (markdown) expects its
caller to escape what it interpolates the same way. Shown tables are shortened for display
(:func:`workbench.display.shorten`: terms to 40 characters, other text to 120); the saved CSV files
keep the full values.
"""
from __future__ import annotations

import html
import json
import re
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ..display import TERM_CHARS, TITLE_CHARS, escape_markdown, format_p, shorten
from ..errors import ArgumentError

SECTIONS_FILE = "sections.json"

#: Columns holding p-values: shown as "< 0.001" or three decimals.
P_COLUMNS = frozenset({"p", "p_adj", "p adj.", "p_value", "p_homogeneity", "p_sim"})

#: Table columns holding one term each, shown at most :data:`~workbench.display.TERM_CHARS` long.
TERM_COLUMNS = frozenset({"term", "feature"})


def _display(obj) -> None:
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is part of the stack
        print(obj)
        return
    display(obj)


def _markdown(text: str) -> None:
    try:
        from IPython.display import Markdown
    except ImportError:  # pragma: no cover
        print(text)
        return
    _display(Markdown(text))


def _short(value, n: int):
    return shorten(value, n) if isinstance(value, str) else value


def _short_labels(index: pd.Index) -> pd.Index:
    multi = isinstance(index, pd.MultiIndex)
    labels = [v for t in index for v in (t if multi else (t,)) if isinstance(v, str)]
    if all(_short(v, TITLE_CHARS) == v for v in labels):
        return index
    if multi:
        return pd.MultiIndex.from_tuples([tuple(_short(v, TITLE_CHARS) for v in t) for t in index],
                                         names=index.names)
    return index.map(lambda v: _short(v, TITLE_CHARS))


def display_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of *df* for display: strings shortened with :func:`~workbench.display.shorten`.

    Cells of :data:`TERM_COLUMNS` to ``TERM_CHARS`` (40) characters, other text cells and the index
    and column labels to ``TITLE_CHARS`` (120); control characters become spaces. Columns and
    labels with nothing to shorten are left as they are (same dtype, same formatting).
    """
    out = df.copy()
    for i, col in enumerate(df.columns):
        s = df.iloc[:, i]
        if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)
                or isinstance(s.dtype, pd.CategoricalDtype)):
            continue
        n = TERM_CHARS if str(col) in TERM_COLUMNS else TITLE_CHARS
        values = s.astype(object)
        if any(_short(v, n) != v for v in values if isinstance(v, str)):
            out.isetitem(i, values.map(lambda v: _short(v, n)))
    out.index = _short_labels(df.index)
    out.columns = _short_labels(df.columns)
    out.index.names = [_short(v, TITLE_CHARS) for v in df.index.names]
    out.columns.names = [_short(v, TITLE_CHARS) for v in df.columns.names]
    return out


def styled(df: pd.DataFrame, uuid: str | None = None):
    """*df* as a pandas ``Styler`` that is safe to show: the report's way of displaying a table.

    Strings are shortened (:func:`display_frame`); every cell, index and column label and index
    name is HTML-escaped (``Styler.to_html`` does not escape by default, so a title such as
    ``<img src=x onerror=...>`` would otherwise run in the browser); numbers show 3 decimals,
    whole-valued float columns (counts) none, and p-value columns (:data:`P_COLUMNS`) read
    "< 0.001" or three decimals (:func:`~workbench.display.format_p`). A fixed *uuid* keeps the
    HTML byte-identical across runs.
    """
    shown = display_frame(df)
    pcols = [c for c in shown.columns if str(c).lower() in P_COLUMNS
             and pd.api.types.is_float_dtype(shown[c])]
    whole = [c for c in shown.columns if c not in pcols and pd.api.types.is_float_dtype(shown[c])
             and len(shown[c].dropna()) and (shown[c].dropna() % 1 == 0).all()]
    styler = shown.style if uuid is None else shown.style.set_uuid(uuid)
    return (styler.format(precision=3, thousands=",", escape="html")
            .format(lambda v: html.escape(format_p(v)), subset=pcols)  # a callable's output is not escaped
            .format(precision=0, thousands=",", subset=whole, escape="html")
            .format_index(escape="html", axis=0).format_index(escape="html", axis=1)
            .format_index_names(escape="html", axis=0).format_index_names(escape="html", axis=1))


_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _check_name(name: str, what: str) -> str:
    """A table/figure name becomes a file name and an HTML id: letters, digits, ``_ . -`` only."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise ArgumentError(f"{what} name {name!r}: use ASCII letters, digits, '_', '.' or '-' "
                         "(it becomes a file name), e.g. 'keyness_top_terms'")
    return name


def write_csv(df: pd.DataFrame, path: Path, index: bool = False) -> Path:
    """A CSV that is byte-identical for identical data: UTF-8 with BOM, ``\\n`` line ends, fixed float format."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = df.to_csv(index=index, lineterminator="\n", float_format="%.10g")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(b"\xef\xbb\xbf" + data.encode("utf-8"))
    tmp.replace(path)
    return path


class ReportContext:
    """Displays and saves a report's sections, tables and figures (see the module docstring)."""

    def __init__(self, output_dir: str | Path | None = None, *, lang: str = "ar"):
        self.output_dir = Path(output_dir) if output_dir else None
        self.lang = lang
        self.sections: list[dict] = []
        self.current: str | None = None
        self.tables: list[str] = []
        self.figures: list[str] = []
        self.analysis: dict | None = None
        self.columns_shown: list[str] = []  # column names of the tables shown, for the glossary

    # ------------------------------------------------------------------ sections
    def heading(self, ar: str, en: str, level: int = 2) -> None:
        """A bilingual heading: the report's language first, the other after a separator."""
        first, second = (ar, en) if self.lang == "ar" else (en, ar)
        _markdown(f"{'#' * level} {escape_markdown(first)} — {escape_markdown(second)}")

    @contextmanager
    def section(self, key: str, ar: str | None = None, en: str | None = None):
        """Time a section (recorded in ``sections.json``); show a bilingual heading if given."""
        if ar and en:
            self.heading(ar, en)
        self.current = key
        self._write_sections(running=key)
        t0 = time.perf_counter()
        yield self
        entry = {"section": key, "seconds": round(time.perf_counter() - t0, 3)}
        if ar and en:
            entry.update(title_ar=ar, title_en=en)
        self.sections.append(entry)
        self.current = None
        self._write_sections(running=None)

    def _write_sections(self, running: str | None) -> None:
        if self.output_dir is None:
            return
        self.output_dir.mkdir(parents=True, exist_ok=True)
        (self.output_dir / SECTIONS_FILE).write_text(
            json.dumps({"running": running, "done": self.sections, "tables": self.tables,
                        "figures": self.figures, "analysis": self.analysis}, ensure_ascii=False, indent=1),
            encoding="utf-8")

    def record(self, analysis) -> None:
        """Record what the report's :class:`~workbench.analysis.Analysis` used (store fingerprint,
        selection, text settings) for the run's ``manifest.json``."""
        self.analysis = analysis.manifest()
        self._write_sections(running=self.current)

    # ------------------------------------------------------------------ results
    def table(self, df: pd.DataFrame, name: str, *, caption: str | None = None, index: bool = False,
              show: int | None = None) -> pd.DataFrame:
        """Display ``df`` (its first ``show`` rows; 0: none) and save it whole as ``tables/<name>.csv``.

        Shown as an HTML table with every cell, index and column label HTML-escaped and long
        strings shortened (:func:`styled`); the CSV keeps the full values. ``caption`` is plain
        text (escaped, shown bold).
        """
        _check_name(name, "table")
        if self.output_dir is not None:
            write_csv(df, self.output_dir / "tables" / f"{name}.csv", index=index)
            self.tables.append(f"tables/{name}.csv")
            self._write_sections(running=self.current)
        if show == 0:  # saved, not shown (e.g. the data behind a figure)
            return df
        if caption:
            _markdown(f"**{escape_markdown(caption)}**")
        self.columns_shown += [str(c) for c in df.columns if str(c) not in self.columns_shown]
        # the table's name as Styler uuid keeps report.html byte-identical across runs
        styler = styled(df if show is None else df.head(show), uuid=name)
        _display(styler.hide(axis="index") if not index else styler)
        return df

    def figure(self, fig, name: str, *, caption: str | None = None) -> None:
        """Display ``fig`` as an embedded PNG and save ``figures/<name>.png`` and ``.svg``."""
        _check_name(name, "figure")
        if self.output_dir is not None:
            from ..plots.figure import save_figure  # matplotlib: not needed by `workbench report` itself

            png, _svg = save_figure(fig, self.output_dir / "figures" / name)
            data = png.read_bytes()
            self.figures += [f"figures/{name}.png", f"figures/{name}.svg"]
            self._write_sections(running=self.current)
        else:
            import io

            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=150, metadata={"Software": None})
            data = buf.getvalue()
        self._show_png(data, caption)

    @staticmethod
    def _show_png(data: bytes, caption: str | None) -> None:
        from IPython.display import Image

        _display(Image(data=data, width=700))
        if caption:
            _markdown(f"*{escape_markdown(caption)}*")

    def plot(self, name: str, plot_function, *args, caption: str | None = None, **kwargs) -> None:
        """``figure(plot_function(*args, **kwargs), name, caption=caption)``, memoised.

        A figure of the workbench's plotting functions depends only on its arguments, the
        workbench's code and matplotlib (its version and ``rcParams``). When the notebook runs as a
        report and every argument is plain data (tables, arrays, numbers, strings; see
        :func:`workbench.rendered.fingerprint`), the PNG and SVG are kept in the render cache
        under a key of all of these, and a re-run with the same key copies them instead of
        drawing the figure again (drawing and saving are most of a warm report's time). Any other
        argument, or ``WORKBENCH_RENDER_CACHE=0``, draws the figure as :meth:`figure` does.
        """
        from .. import rendered

        _check_name(name, "figure")
        key = None
        if self.output_dir is not None and rendered.enabled():
            try:
                import matplotlib as mpl

                key = rendered.digest(
                    "report-figure", rendered.code_version(), mpl.__version__,
                    repr(sorted((k, repr(v)) for k, v in mpl.rcParams.items())),
                    f"{plot_function.__module__}.{plot_function.__qualname__}",
                    rendered.fingerprint(list(args)), rendered.fingerprint(kwargs))
            except (rendered.Uncacheable, AttributeError):
                key = None
        if key is not None:
            stem = self.output_dir / "figures" / name
            outs = {"png": stem.with_name(f"{name}.png"), "svg": stem.with_name(f"{name}.svg")}
            outs["png"].parent.mkdir(parents=True, exist_ok=True)
            if rendered.cached_files(key, outs):
                self.figures += [f"figures/{name}.png", f"figures/{name}.svg"]
                self._write_sections(running=self.current)
                self._show_png(outs["png"].read_bytes(), caption)
                return
        self.figure(plot_function(*args, **kwargs), name, caption=caption)
        if key is not None:
            rendered.store_files(key, outs)

    def show(self, obj) -> None:
        """Display an object that renders itself as escaped HTML (e.g. a concordance,
        :func:`workbench.reading.kwic.kwic_table`)."""
        _display(obj)

    def note(self, text: str) -> None:
        """Show *text* as markdown. Escape what is interpolated into it (parameters, corpus text)
        with :func:`workbench.display.escape_markdown`: ``f"# {escape_markdown(title)}"``."""
        _markdown(text)

    def findings(self, findings: list, *, name: str = "findings") -> None:
        """The "What we found" section: each finding in the report's language and the other
        (:func:`workbench.reports.findings.findings_markdown`), and the number behind each one,
        with the table, row and column it was read from, saved as ``tables/<name>.csv``.

        The cell that calls this is tagged ``findings``: the rendered report shows it right after
        the title (:func:`workbench.reports.render.render_html`), though it runs last."""
        from .findings import findings_frame, findings_markdown

        self.heading("ما وجدناه", "What we found")
        if not findings:
            _markdown("*(لا نتائج للعرض — nothing to summarise: every section was off or empty)*")
        else:
            _markdown(findings_markdown(findings, lang=self.lang))
        self.table(findings_frame(findings), name, show=0)

    def glossary(self, *, name: str = "glossary") -> None:
        """A glossary of the column names of every table shown so far (:mod:`workbench.glossary`)."""
        from ..glossary import glossary_table

        table = glossary_table(self.columns_shown, lang=self.lang)
        if len(table):
            self.table(table, name, caption="مسرد أسماء الأعمدة — what the column names mean")
