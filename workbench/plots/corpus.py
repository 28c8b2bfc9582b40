"""Figures describing a corpus: articles per month by group (camp or outlet)."""
from __future__ import annotations

import matplotlib as mpl
import pandas as pd
from matplotlib.figure import Figure

from workbench.display import TERM_CHARS, TITLE_CHARS, shorten
from workbench.plots.figure import A4_WIDTH_IN, PALETTE, freeze_layout
from workbench.plots.fonts import font_rc, rtl


def articles_over_time_plot(monthly: pd.DataFrame, *, title: str | None = None,
                            ylabel: str = "articles", width: float = A4_WIDTH_IN) -> Figure:
    """Stacked bars of articles per period (rows of ``monthly``) and group (its columns).

    ``monthly`` is what :func:`workbench.corpus.summary.articles_per_period` returns.
    """
    with mpl.rc_context(font_rc()):
        fig = Figure(figsize=(width, 3.2), layout="constrained")
        ax = fig.add_subplot()
        bottom = None
        x = range(len(monthly))
        for i, col in enumerate(monthly.columns):
            vals = monthly[col].to_numpy()
            ax.bar(x, vals, bottom=bottom, color=PALETTE[i % len(PALETTE)], label=rtl(shorten(col, TERM_CHARS)), width=0.8)
            bottom = vals if bottom is None else bottom + vals
        ax.set_xticks(list(x), [str(i) for i in monthly.index], rotation=45 if len(monthly) > 8 else 0,
                      ha="right" if len(monthly) > 8 else "center")
        ax.set_ylabel(ylabel)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(frameon=False, ncols=min(4, len(monthly.columns)), loc="upper left", bbox_to_anchor=(0, 1.15))
        if title:
            fig.suptitle(rtl(shorten(title, TITLE_CHARS)))
        freeze_layout(fig)
    return fig
