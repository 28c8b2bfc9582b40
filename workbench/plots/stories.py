"""Figures of stories across outlets (:mod:`workbench.stories`).

* :func:`coverage_timeline_plot` -- which side covered the stories, over time: stories starting
  each week stacked by side (only / mostly one side, both), and the largest stories as bars from
  their first to their last day, coloured by side and labelled with their representative titles.

Conventions of :mod:`workbench.plots.topics`: :class:`~matplotlib.figure.Figure` objects (no
pyplot), the shipped Arabic font through a local ``rc_context``, Arabic labels right-to-left with
:func:`~workbench.plots.fonts.rtl` and shortened (:func:`workbench.display.shorten`), the layout
frozen so :func:`workbench.plots.figure.save_figure` writes the same bytes every time.
"""
from __future__ import annotations

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from workbench.display import LABEL_CHARS, TITLE_CHARS, shorten
from workbench.plots.figure import A4_WIDTH_IN, REFERENCE_COLOR, TARGET_COLOR, freeze_layout
from workbench.plots.fonts import font_rc, rtl
from workbench.plots.topics import _need

__all__ = ["coverage_timeline_plot", "SIDE_COLORS"]

#: Colour per kind of side (:data:`workbench.stories.coverage.SIDES`): the target's colour, a
#: lighter tint of it, grey for both, a tint of the reference's colour, the reference's colour.
SIDE_COLORS = (TARGET_COLOR, to_rgba(TARGET_COLOR, 0.45), "0.72", to_rgba(REFERENCE_COLOR, 0.45), REFERENCE_COLOR)


def coverage_timeline_plot(cov: pd.DataFrame, *, n: int = 25, freq: str = "W-SUN", title: str | None = None,
                           width: float = A4_WIDTH_IN, row_height: float = 0.2, fontsize: float = 8.0) -> Figure:
    """Stories over time coloured by which side covered them.

    ``cov`` from :func:`workbench.stories.coverage`. Top panel: stories per period (``freq``, a
    pandas frequency; weeks Monday to Sunday by default) by their first day, stacked by side. Bottom
    panel: the ``n`` largest stories (0: none) as bars from first to last day, by first day,
    labelled with their representative title and size.
    """
    _need(cov, ["story", "first_date", "last_date", "size", "side"], "workbench.stories.coverage()")
    sides = list(cov.attrs.get("sides") or dict.fromkeys(cov["side"].astype(str)))
    color = {s: SIDE_COLORS[i % len(SIDE_COLORS)] for i, s in enumerate(sides)}
    first = pd.to_datetime(cov["first_date"])
    starts = first.dt.to_period(freq).dt.start_time if len(cov) else first
    counts = pd.crosstab(starts, cov["side"].astype(str)).reindex(columns=sides, fill_value=0)
    if len(counts):
        full = pd.period_range(counts.index.min(), counts.index.max(), freq=freq).start_time
        counts = counts.reindex(full, fill_value=0)
    big = cov.nlargest(int(n), ["size"], keep="first") if n else cov.iloc[:0]
    big = big.sort_values(["first_date", "story"], kind="stable")
    groups = cov.attrs.get("groups", {})
    with mpl.rc_context(font_rc()):
        heights = [1.0, max(1.0, row_height * len(big) / 1.2)] if len(big) else [1.0]
        fig = Figure(figsize=(width, 1.9 + sum(heights) * 1.2), layout="constrained")
        axes = fig.subplots(len(heights), 1, sharex=True, squeeze=False,
                            gridspec_kw={"height_ratios": heights}).ravel()
        ax = axes[0]
        bottom = np.zeros(len(counts))
        x = mdates.date2num(counts.index.to_pydatetime()) if len(counts) else np.array([])
        step = float(np.median(np.diff(x))) if len(x) > 1 else 7.0
        for s in sides:
            h = counts[s].to_numpy(dtype=float) if len(counts) else np.array([])
            ax.bar(x, h, bottom=bottom, width=0.85 * step, align="edge", color=color[s], label=rtl(shorten(s)),
                   lw=0)
            bottom += h
        ax.set_ylabel("stories started", fontsize=fontsize)
        ax.tick_params(labelsize=fontsize - 1)
        ax.grid(axis="y", color="0.92", lw=0.5)
        ax.spines[["top", "right"]].set_visible(False)
        if len(big):
            bx = axes[1]
            y = np.arange(len(big))
            f = mdates.date2num(pd.to_datetime(big["first_date"]).dt.to_pydatetime())
            last = mdates.date2num(pd.to_datetime(big["last_date"]).dt.to_pydatetime())
            cols = [color[str(s)] for s in big["side"]]
            bx.barh(y, last - f + 1, left=f, height=0.6, color=cols, lw=0)
            labels = [f"{rtl(shorten(t, LABEL_CHARS))} ({int(k)})" for t, k in zip(big["title"], big["size"])]
            bx.set_yticks(y, labels, fontsize=fontsize - 1)
            bx.set_ylim(len(big) - 0.5, -0.5)
            bx.grid(axis="x", color="0.92", lw=0.5)
            bx.spines[["top", "right"]].set_visible(False)
            bx.set_title(f"the {len(big)} largest stories (articles), first to last day", fontsize=fontsize,
                         loc="left")
        loc = mdates.AutoDateLocator(minticks=3, maxticks=8)
        axes[-1].xaxis.set_major_locator(loc)
        axes[-1].xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
        axes[-1].tick_params(axis="x", labelsize=fontsize - 1)
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=min(len(sides), 5),
                   frameon=False, fontsize=fontsize)
        default = (f"Who covered the stories: {rtl(shorten(groups.get('target', 'target')))} vs "
                   f"{rtl(shorten(groups.get('reference', 'reference')))} "
                   f"(mostly: ≥ {cov.attrs.get('share', 0.8):.0%} of the articles"
                   f"{', each side weighted by its volume' if cov.attrs.get('balance') else ''})")
        fig.suptitle(rtl(shorten(title, TITLE_CHARS)) if title is not None else default, fontsize=fontsize + 1.5)
        freeze_layout(fig)
    return fig
