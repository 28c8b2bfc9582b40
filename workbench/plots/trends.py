"""Figures for close reading over time (:mod:`workbench.reading.trends`).

* :func:`trends_plot` -- small multiples of term frequency per 10,000 tokens over time: one panel
  per term (a line per group) or one per group (a line per term), with the bootstrap intervals
  shaded. Periods without articles are gaps in the line, not zeros.
* :func:`dispersion_plot` -- a lexical dispersion ("x-ray") plot like quanteda's
  ``textplot_xray``: one row per term (or per group), a tick per occurrence along the corpus
  ordered by date; x is the position in the date-ordered corpus (months marked) or the date.

Conventions of :mod:`workbench.plots.topics`: :class:`~matplotlib.figure.Figure` objects (no
pyplot), the shipped Arabic font through a local ``rc_context``, Arabic labels right-to-left with
:func:`~workbench.plots.fonts.rtl` and shortened (:func:`workbench.display.shorten`), the layout
frozen so :func:`workbench.plots.figure.save_figure` writes the same bytes every time.
"""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from workbench.display import TERM_CHARS, TITLE_CHARS, shorten
from workbench.plots.figure import A4_WIDTH_IN, PALETTE, freeze_layout
from workbench.plots.fonts import font_rc, rtl
from workbench.plots.topics import _need

__all__ = ["trends_plot", "dispersion_plot"]


def _label(text) -> str:
    return rtl(shorten(text, TERM_CHARS))


def _chosen(present: list[str], wanted: Sequence[str] | None, what: str) -> list[str]:
    if wanted is None:
        return present
    wanted = [str(w) for w in wanted]
    unknown = [w for w in wanted if w not in present]
    if unknown:
        raise ValueError(f"{what} '{unknown[0]}' is not in the table ({what}s: {', '.join(present)})")
    return wanted


def _date_axis(ax) -> None:
    loc = mdates.AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))


def trends_plot(
    table: pd.DataFrame,
    *,
    panels: str = "term",
    terms: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    intervals: bool = True,
    ncols: int = 2,
    sharey: bool = False,
    title: str | None = None,
    width: float = A4_WIDTH_IN,
    panel_height: float = 2.0,
    fontsize: float = 8.5,
    colors: Sequence[str] | None = None,
) -> Figure:
    """Term frequency per 10,000 tokens over time, with interval bands.

    ``table`` from :func:`workbench.reading.trends.term_trends`. ``panels="term"``: one panel per
    term, one line per group (compare the sides on each word); ``panels="group"``: one panel per
    group, one line per term (compare words within a side). ``terms`` and ``groups`` choose and
    order them. ``intervals`` shades ``low``–``high``; ``sharey`` puts all panels on one scale.
    """
    _need(table, ["term", "group", "period", "rate"], "workbench.reading.trends.term_trends()")
    if panels not in ("term", "group"):
        raise ValueError(f"panels must be 'term' or 'group' (got {panels!r})")
    terms = _chosen(list(dict.fromkeys(table["term"].astype(str))), terms, "term")
    groups = _chosen(list(dict.fromkeys(table["group"].astype(str))), groups, "group")
    outer, inner = (terms, groups) if panels == "term" else (groups, terms)
    key_outer, key_inner = ("term", "group") if panels == "term" else ("group", "term")
    colors = list(colors) if colors is not None else PALETTE
    band = intervals and {"low", "high"} <= set(table.columns) and table["low"].notna().any()
    ncols = max(1, min(int(ncols), len(outer)))
    nrows = -(-len(outer) // ncols)
    with mpl.rc_context(font_rc()):
        fig = Figure(figsize=(width, 1.0 + panel_height * nrows), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=sharey).ravel()
        for ax in axes[len(outer):]:
            ax.set_visible(False)
        for ax, name in zip(axes, outer):
            sub = table[table[key_outer].astype(str) == name]
            for i, line in enumerate(inner):
                s = sub[sub[key_inner].astype(str) == line].sort_values("period")
                color = colors[i % len(colors)]
                ax.plot(s["period"], s["rate"], "-", marker="o", ms=2.5, lw=1.3, color=color,
                        label=_label(line) if ax is axes[0] else None)
                if band:
                    ax.fill_between(s["period"], s["low"].astype(float), s["high"].astype(float),
                                    color=color, alpha=0.15, lw=0)
            ax.set_title(_label(name), fontsize=fontsize + 0.5, loc="right")
            ax.set_ylim(bottom=0)
            ax.tick_params(labelsize=fontsize - 1)
            ax.grid(color="0.92", lw=0.5)
            ax.spines[["top", "right"]].set_visible(False)
        _date_axis(axes[0])
        fig.supylabel("occurrences per 10,000 tokens", fontsize=fontsize)
        fig.legend(loc="outside lower center", ncols=min(len(inner), 6), frameon=False, fontsize=fontsize)
        freq = table.attrs.get("freq", "period")
        what = f", {table.attrs.get('level', 0.95):.0%} bootstrap interval over articles" if band else ""
        fig.suptitle(rtl(shorten(title, TITLE_CHARS)) if title is not None
                     else f"Term frequency per {freq}{what}", fontsize=fontsize + 2)
        freeze_layout(fig)
    return fig


def _corpus_axis(ax, months: list, fontsize: float) -> None:
    """Ticks at the first token of each month (at most ~12 labelled)."""
    if not months:
        return
    step = max(1, -(-len(months) // 12))
    shown = months[::step]
    ax.set_xticks([float(x) for _, x in shown], [str(m) for m, _ in shown], fontsize=fontsize - 1,
                  rotation=45, ha="right")
    ax.set_xticks([float(x) for _, x in months], minor=True)


def dispersion_plot(
    hits: pd.DataFrame,
    *,
    rows: str = "term",
    x: str = "corpus",
    title: str | None = None,
    width: float = A4_WIDTH_IN,
    row_height: float = 0.45,
    fontsize: float = 8.5,
    colors: Sequence[str] | None = None,
) -> Figure:
    """Lexical dispersion plot: a tick per occurrence, one row per term (or per group).

    ``hits`` from :func:`workbench.reading.trends.dispersion`. ``rows="term"``: a row per term,
    ticks coloured by group; ``rows="group"``: a row per group, ticks coloured by term. ``x``:
    ``"corpus"`` (position in the corpus ordered by date, 0 to 1, months marked: quanteda's
    ``textplot_xray`` with the corpus as one text) or ``"date"``. Terms and groups without any
    occurrence keep their (empty) row; each row label gives its count.
    """
    _need(hits, ["term", "group", "date", "corpus_relative"], "workbench.reading.trends.dispersion()")
    if rows not in ("term", "group"):
        raise ValueError(f"rows must be 'term' or 'group' (got {rows!r})")
    if x not in ("corpus", "date"):
        raise ValueError(f"x must be 'corpus' or 'date' (got {x!r})")
    terms = list(hits.attrs.get("queries") or dict.fromkeys(hits["term"].astype(str)))
    groups = list(hits.attrs.get("groups") or dict.fromkeys(hits["group"].astype(str)))
    outer, inner = (terms, groups) if rows == "term" else (groups, terms)
    key_outer, key_inner = ("term", "group") if rows == "term" else ("group", "term")
    colors = list(colors) if colors is not None else PALETTE
    column = "corpus_relative" if x == "corpus" else "date"
    with mpl.rc_context(font_rc()):
        fig = Figure(figsize=(width, 1.3 + row_height * len(outer)), layout="constrained")
        ax = fig.add_subplot()
        labels = []
        for r, name in enumerate(outer):
            sub = hits[hits[key_outer].astype(str) == name]
            labels.append(f"{_label(name)} ({len(sub):,})")
            for i, each in enumerate(inner):
                at = sub.loc[sub[key_inner].astype(str) == each, column]
                if x == "date":
                    at = mdates.date2num(pd.to_datetime(at))
                ax.eventplot(np.asarray(at, dtype=float), lineoffsets=r, linelengths=0.75, linewidths=0.6,
                             colors=colors[i % len(colors)], alpha=0.85)
        ax.set_yticks(range(len(outer)), labels, fontsize=fontsize)
        ax.set_ylim(len(outer) - 0.5, -0.5)
        if len(inner) > 1:
            for i, each in enumerate(inner):
                ax.plot([], [], "|", ms=9, mew=1.5, color=colors[i % len(colors)], label=_label(each))
            fig.legend(loc="outside lower center", ncols=min(len(inner), 6), frameon=False, fontsize=fontsize)
        if x == "corpus":
            ax.set_xlim(0, 1)
            _corpus_axis(ax, hits.attrs.get("months", []), fontsize)
            ax.set_xlabel("position in the corpus (articles in date order; ticks: first article of each month)",
                          fontsize=fontsize)
        else:
            _date_axis(ax)
            ax.set_xlabel("date", fontsize=fontsize)
        ax.tick_params(axis="x", labelsize=fontsize - 1)
        ax.grid(axis="x", which="both", color="0.9", lw=0.5)
        ax.spines[["top", "right"]].set_visible(False)
        fig.suptitle(rtl(shorten(title, TITLE_CHARS)) if title is not None else "Lexical dispersion",
                     fontsize=fontsize + 2)
        freeze_layout(fig)
    return fig
