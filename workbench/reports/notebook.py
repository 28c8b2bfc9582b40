"""What a report notebook calls to show and save its results: sections, tables and figures.

A report notebook stays thin: it computes with library functions and hands each result to a
:class:`ReportContext`, which displays it and, when the notebook runs as a report
(``output_dir`` set by ``workbench report``), writes it to ``tables/<name>.csv`` (UTF-8 with BOM, so
Excel opens Arabic right) and ``figures/<name>.png`` / ``.svg`` reproducibly, and records how
long each section took in ``sections.json``. Run interactively (``output_dir`` None) it only
displays.
"""
from __future__ import annotations

import json
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ..plots.keyness import save_figure

SECTIONS_FILE = "sections.json"


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

    # ------------------------------------------------------------------ sections
    def heading(self, ar: str, en: str, level: int = 2) -> None:
        """A bilingual heading: the report's language first, the other after a separator."""
        first, second = (ar, en) if self.lang == "ar" else (en, ar)
        _markdown(f"{'#' * level} {first} — {second}")

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
                        "figures": self.figures}, ensure_ascii=False, indent=1), encoding="utf-8")

    # ------------------------------------------------------------------ results
    def table(self, df: pd.DataFrame, name: str, *, caption: str | None = None, index: bool = False,
              show: int | None = None) -> pd.DataFrame:
        """Display ``df`` (its first ``show`` rows; 0: none) and save it whole as ``tables/<name>.csv``."""
        if self.output_dir is not None:
            write_csv(df, self.output_dir / "tables" / f"{name}.csv", index=index)
            self.tables.append(f"tables/{name}.csv")
            self._write_sections(running=self.current)
        if show == 0:  # saved, not shown (e.g. the data behind a figure)
            return df
        if caption:
            _markdown(f"**{caption}**")
        shown = df if show is None else df.head(show)
        # a fixed Styler uuid keeps report.html byte-identical across runs
        pcols = [c for c in shown.columns if str(c).lower() in ("p", "p_adj", "p adj.", "p_value")
                 and pd.api.types.is_float_dtype(shown[c])]
        styler = shown.style.set_uuid(name).format(precision=3).format("{:.2e}", subset=pcols)
        _display(styler.hide(axis="index") if not index else styler)
        return df

    def figure(self, fig, name: str, *, caption: str | None = None) -> None:
        """Display ``fig`` as an embedded PNG and save ``figures/<name>.png`` and ``.svg``."""
        from IPython.display import Image

        if self.output_dir is not None:
            png, _svg = save_figure(fig, self.output_dir / "figures" / name)
            data = png.read_bytes()
            self.figures += [f"figures/{name}.png", f"figures/{name}.svg"]
            self._write_sections(running=self.current)
        else:
            import io

            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=150, metadata={"Software": None})
            data = buf.getvalue()
        _display(Image(data=data, width=700))
        if caption:
            _markdown(f"*{caption}*")

    def note(self, text: str) -> None:
        _markdown(text)
