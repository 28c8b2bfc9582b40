"""Figures for naming tables (:func:`workbench.reading.lexicons.naming_table`).

* :func:`naming_plot` -- grouped horizontal bars: for each label of an actor (or frame), its share
  of the category's mentions in each group (e.g. «الجيش العربي السوري» 30% of the regime side's
  mentions of the government, 0% of the opposition's), most distinctive labels on top; a label
  used significantly more by a group than independence predicts (adjusted residual, adjusted
  p < ``alpha``) is marked with a dot at the end of its bar. The χ² test and Cramér's V are in the
  subtitle.

As the other figure families, built as a :class:`matplotlib.figure.Figure` (no pyplot) with the
shipped Arabic font in a local ``rc_context``; labels are plain Unicode prefixed by
:func:`~workbench.plots.fonts.rtl` and shortened (:func:`workbench.display.shorten`). Save with
:func:`workbench.plots.figure.save_figure`.
"""
from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from workbench.display import TERM_CHARS, TITLE_CHARS, shorten
from workbench.plots.figure import A4_WIDTH_IN, PALETTE, freeze_layout
from workbench.plots.fonts import font_rc, rtl

__all__ = ["naming_plot"]

_NEEDED = ("label", "group", "count", "share", "p_adj", "residual")


def _subtitle(attrs: dict) -> str:
    chi2, p, v = attrs.get("chi2"), attrs.get("p_simulated"), attrs.get("cramers_v")
    if chi2 is None or chi2 != chi2:
        return f"{attrs.get('n', 0):,} mentions; no test (fewer than two groups or labels in use)"
    p = attrs.get("p") if p is None or p != p else p
    sim = attrs.get("n_sim")
    ptext = f"p < {1 / (sim + 1):.1g}" if sim and p <= 1 / (sim + 1) + 1e-15 else f"p = {p:.2g}"
    return (f"{attrs.get('n', 0):,} mentions · χ²({attrs.get('df')}) = {chi2:,.0f}, {ptext}"
            f"{' (Monte Carlo)' if sim else ''} · Cramér's V = {v:.2f}")


def naming_plot(table: pd.DataFrame, n: int = 15, *, title: str | None = None, alpha: float = 0.05,
                width: float = A4_WIDTH_IN, row_height: float = 0.22, fontsize: float = 10.0,
                colors: list[str] | None = None, ax=None) -> Figure:
    """Grouped horizontal bars of each label's share of the category's mentions, per group.

    ``table`` is a :func:`~workbench.reading.lexicons.naming_table`; the ``n`` most distinctive
    labels used at least once are drawn in the table's order (most distinctive on top). Bars of
    one group share a colour (Okabe & Ito palette); a dot at a bar's end marks a label the group
    uses significantly more than independence predicts (``residual > 0`` and ``p_adj < alpha``).
    The height grows with the number of labels; pass ``ax`` to draw into an existing Axes.
    Returns the :class:`~matplotlib.figure.Figure`.
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"expected a naming table (pandas.DataFrame), got {type(table).__name__}")
    missing = [c for c in _NEEDED if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks column(s) {', '.join(missing)}; pass the DataFrame returned by "
                         "workbench.reading.lexicons.naming_table()")
    used = table.groupby("label", sort=False)["count"].transform("sum") > 0
    t = table[used]
    labels = list(dict.fromkeys(t["label"]))[:n]
    groups = list(dict.fromkeys(table["group"]))
    t = t[t["label"].isin(labels)]
    share = t.pivot(index="label", columns="group", values="share").reindex(index=labels, columns=groups)
    mark = ((t["residual"] > 0) & (t["p_adj"] < alpha)).to_numpy()
    marked = pd.Series(mark, index=pd.MultiIndex.from_frame(t[["label", "group"]]))
    colors = list(colors or PALETTE)
    n_rows, k = len(labels), max(len(groups), 1)
    bar = 0.8 / k

    with mpl.rc_context(font_rc()):
        own = ax is None
        if own:
            height = max(2.2, 1.5 + row_height * n_rows * max(k, 2) * 0.6)
            fig = Figure(figsize=(width, height), layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        y = np.arange(n_rows, dtype=float)
        for j, g in enumerate(groups):
            yy = y - 0.4 + bar * (j + 0.5)
            vals = np.nan_to_num(share[g].to_numpy(float)) if n_rows else np.array([])
            ax.barh(yy, vals, height=bar * 0.92, color=colors[j % len(colors)], edgecolor="none", zorder=2,
                    label=rtl(shorten(g, TERM_CHARS)))
            for yi, v, lab in zip(yy, vals, labels):
                if bool(marked.get((lab, g), False)):
                    ax.plot([v], [yi], marker="o", ms=3.2, color="0.15", zorder=3, lw=0)
        ax.set_yticks(y, [rtl(shorten(lab, TERM_CHARS)) for lab in labels], fontsize=fontsize)
        ax.set_ylim(n_rows - 0.5, -0.5)
        vmax = float(np.nanmax(share.to_numpy(float))) if n_rows else 1.0
        ax.set_xlim(0, min(1.0, 1.1 * vmax) if vmax > 0 else 1.0)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.tick_params(axis="x", labelsize=fontsize - 1)
        ax.grid(axis="x", color="0.88", lw=0.6, zorder=0)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        by = ", ".join(table.attrs.get("by", [])) or "group"
        ax.set_xlabel(f"share of the category's mentions in each {by}\n"
                      f"● used significantly more than independence predicts (adjusted p < {alpha:g})",
                      fontsize=fontsize - 1)
        if n_rows:
            ax.legend(loc="lower right", fontsize=fontsize - 1, frameon=False)
        else:
            ax.text(0.5, 0.5, "no label of this category occurs", ha="center", va="center", transform=ax.transAxes)
        category = table.attrs.get("category") or (table["category"].iloc[0] if len(table) else "")
        head = shorten(title, TITLE_CHARS) if title is not None else f"Names for {shorten(category, TERM_CHARS)} by {by}"
        ax.set_title(rtl(head), fontsize=fontsize + 1.5, loc="left", pad=fontsize * 1.8)
        ax.text(0, 1.015, _subtitle(table.attrs), transform=ax.transAxes, ha="left", va="bottom",
                fontsize=fontsize - 1, color="0.3")
        if own:
            freeze_layout(fig)
    return fig
