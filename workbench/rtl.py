"""Arabic that reads right-to-left in JupyterLab: tables and text for notebooks and tutorials.

JupyterLab lays out every output left-to-right: a DataFrame of Arabic terms puts its first column
on the left and left-aligns its text, and a markdown line that starts with a Latin word or a number
runs the wrong way. These helpers wrap an output in ``<div dir="rtl" lang="ar">`` (the HTML way to
say "this block is Arabic"; JupyterLab keeps the attribute in trusted and untrusted notebooks
alike), so the browser's bidi algorithm (UAX #9) orders it right-to-left and aligns it right:

* :func:`rtl` -- a DataFrame, Series or Styler shown as the report shows tables (shortened strings,
  every cell escaped: :func:`workbench.reports.notebook.styled`) with its first column on the right;
  a string shown as right-to-left plain text (escaped, never markup);
* :func:`md` -- markdown written by the notebook's author (not corpus text: escape that with
  :func:`workbench.display.escape_markdown`), right-to-left.

Used by the tutorials (``notebooks/tutorials/``) and the widgets (:mod:`workbench.widgets`)::

    from workbench.rtl import rtl, md
    rtl(table.head(10))                 # the keyness table, right-to-left
    md("**الكلمات المفتاحية** — key terms of each side")
"""
from __future__ import annotations

import html

__all__ = ["RTL_STYLE", "rtl", "md", "RtlHTML"]

#: Inline style of the right-to-left block (inline, so no stylesheet has to be allowed).
RTL_STYLE = "direction:rtl;text-align:right;unicode-bidi:isolate"


class RtlHTML:
    """An HTML fragment shown right-to-left (``_repr_html_``); ``str()`` gives the fragment."""

    def __init__(self, inner: str):
        self.inner = inner

    def _repr_html_(self) -> str:
        return f'<div dir="rtl" lang="ar" class="workbench-rtl" style="{RTL_STYLE}">{self.inner}</div>'

    def __str__(self) -> str:
        return self._repr_html_()

    def __repr__(self) -> str:
        return f"RtlHTML({len(self.inner)} characters)"


def rtl(obj, *, rows: int | None = 50) -> RtlHTML:
    """``obj`` right-to-left: a DataFrame/Series (its first ``rows`` rows; ``None`` for all) or a
    pandas Styler as an escaped table, anything else as escaped plain text."""
    import pandas as pd

    from .reports.notebook import styled

    if isinstance(obj, pd.Series):
        obj = obj.to_frame()
    if isinstance(obj, pd.DataFrame):
        shown = obj if rows is None else obj.head(rows)
        styler = styled(shown)
        if not isinstance(shown.index, pd.RangeIndex):
            return RtlHTML(styler.to_html())
        return RtlHTML(styler.hide(axis="index").to_html())
    if hasattr(obj, "to_html") and type(obj).__name__ == "Styler":
        return RtlHTML(obj.to_html())
    text = html.escape(str(obj)).replace("\n", "<br>")
    return RtlHTML(f"<p>{text}</p>")


def md(text: str):
    """Markdown by the notebook's author, right-to-left (an ``IPython.display.Markdown``).

    The blank lines around the text let JupyterLab render markdown inside the HTML block."""
    from IPython.display import Markdown

    return Markdown(f'<div dir="rtl" lang="ar" style="{RTL_STYLE}">\n\n{text}\n\n</div>')
