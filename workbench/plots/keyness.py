"""Figures for keyness tables (:func:`workbench.stats.keyness`).

* :func:`keyness_plot` -- diverging horizontal bar chart of the strongest
  keywords of each side.
* :func:`fightin_words_plot` -- Monroe, Colaresi & Quinn (2008) style scatter
  of term frequency against the z-score of the weighted log-odds.

Save them with :func:`workbench.plots.figure.save_figure` (byte-for-byte reproducible files).

The functions build :class:`matplotlib.figure.Figure` objects directly (not via
``pyplot``), so they never show anything, never touch pyplot's list of open
figures and do not change global rcParams: the shipped Arabic font is applied
through a local ``rc_context`` (see :mod:`workbench.plots.fonts`). Labels are
passed to matplotlib as plain Unicode -- matplotlib >= 3.11 shapes Arabic and
applies the bidi algorithm itself. Every term and group name is shortened for display
(:func:`workbench.display.shorten`, 40 characters): laying out a megabyte-long "word" would
take matplotlib many minutes.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from workbench.display import TERM_CHARS, TITLE_CHARS, shorten
from workbench.plots.figure import (
    A4_WIDTH_IN,
    REFERENCE_COLOR,
    TARGET_COLOR,
    freeze_layout,
    place_labels,
)
from workbench.plots.fonts import font_rc, rtl
from workbench.stats.keyness import MEASURES, top_terms

__all__ = ["keyness_plot", "fightin_words_plot", "MEASURE_LABELS"]

#: Axis labels for the measures of a keyness table.
MEASURE_LABELS = {
    "G2": "log-likelihood G²",
    "log_ratio": "Log Ratio (log₂ of relative-frequency ratio)",
    "lrc": "conservative Log Ratio (LRC)",
    "log_odds": "weighted log-odds (informative Dirichlet prior)",
    "log_odds_z": "z-score of weighted log-odds",
    "chi2_yates": "χ² (Yates)",
}

_UNSIGNED = {"G2", "chi2_yates", "chi2_mh"}


def _group_names(table: pd.DataFrame, target_name, reference_name) -> tuple[str, str]:
    groups = table.attrs.get("groups", {}) if hasattr(table, "attrs") else {}
    t = target_name if target_name is not None else groups.get("target", "target")
    r = reference_name if reference_name is not None else groups.get("reference", "reference")
    return shorten(t, TERM_CHARS), shorten(r, TERM_CHARS)


def _check_table(table: pd.DataFrame, needed: Sequence[str]) -> None:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"expected a keyness table (pandas.DataFrame), got {type(table).__name__}")
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ValueError(
            f"table lacks column(s) {', '.join(missing)}; pass the DataFrame returned by "
            "workbench.stats.keyness()"
        )


def _signed(values: np.ndarray, direction: np.ndarray, measure: str) -> np.ndarray:
    if measure in _UNSIGNED:
        return np.where(direction == "reference", -np.abs(values), np.abs(values))
    return values


def keyness_plot(
    table: pd.DataFrame,
    n: int = 20,
    *,
    measure: str | None = None,
    target_name: str | None = None,
    reference_name: str | None = None,
    title: str | None = None,
    significant_only: bool = False,
    width: float = A4_WIDTH_IN,
    row_height: float = 0.24,
    fontsize: float = 10.0,
    colors: tuple[str, str] = (TARGET_COLOR, REFERENCE_COLOR),
    ax=None,
) -> Figure:
    """Diverging horizontal bar chart of the top ``n`` keywords of each side.

    Target keywords are drawn as bars to the right of zero (top block, strongest
    first), reference keywords as bars to the left (bottom block, strongest at
    the bottom); the bar length is ``measure`` (default: the table's
    ``measure_sort``, e.g. G² or ``log_ratio``; unsigned measures are given the
    sign of the direction). Each term is written beside the zero line on the
    side opposite its bar, right-to-left if it is Arabic. Tick labels show
    absolute values. Group names come from ``table.attrs["groups"]`` unless
    given. ``significant_only`` keeps terms with ``p_adj < alpha``.

    The default size is for print at A4 text width (7 in); the height grows
    with the number of rows. Pass ``ax`` to draw into an existing Axes (its
    figure is returned). Returns the :class:`~matplotlib.figure.Figure`.
    """
    _check_table(table, ["term", "direction", "p_adj"])
    measure = measure or table.attrs.get("measure_sort", "G2")
    measures = table.attrs.get("measures", MEASURES)  # a stratified table has its own
    if measure not in measures:
        raise ValueError(f"unknown measure {measure!r}; use one of {', '.join(measures)}")
    _check_table(table, [measure])
    tname, rname = _group_names(table, target_name, reference_name)

    top = top_terms(table, n, by=measure, significant=significant_only)
    tgt = top[top["direction"] == "target"]
    ref = top[top["direction"] == "reference"]
    vals_t = _signed(tgt[measure].to_numpy(float), tgt["direction"].to_numpy(), measure)
    vals_r = _signed(ref[measure].to_numpy(float), ref["direction"].to_numpy(), measure)
    # rows top to bottom: target strongest .. weakest, gap, reference weakest .. strongest
    terms = [shorten(t, TERM_CHARS) for t in list(tgt["term"]) + list(ref["term"])[::-1]]
    values = np.concatenate([vals_t, vals_r[::-1]])
    is_target = np.array([True] * len(tgt) + [False] * len(ref), dtype=bool)
    gap = 0.6 if len(tgt) and len(ref) else 0.0
    y = np.concatenate([np.arange(len(tgt), dtype=float), len(tgt) + gap + np.arange(len(ref), dtype=float)])
    n_rows = len(terms)

    with mpl.rc_context(font_rc()):
        own = ax is None
        if own:
            height = max(2.0, 1.3 + row_height * (n_rows + gap))
            fig = Figure(figsize=(width, height), layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        c_t, c_r = colors
        bar_colors = np.where(is_target, c_t, c_r)
        ax.barh(y, values, height=0.72, color=bar_colors, edgecolor="none", zorder=2)
        ax.axvline(0, color="0.25", lw=0.8, zorder=3)

        vmax = float(np.max(np.abs(values))) if n_rows else 1.0
        vmax = vmax if vmax > 0 else 1.0
        ax.set_xlim(-1.08 * vmax, 1.08 * vmax)
        ax.set_ylim(-0.7, (y[-1] if n_rows else 0) + 0.7)
        ax.invert_yaxis()
        ax.set_yticks([])
        for yi, term, tg in zip(y, terms, is_target):
            ax.annotate(
                rtl(term),
                xy=(0, yi),
                xytext=(-5 if tg else 5, 0),
                textcoords="offset points",
                ha="right" if tg else "left",
                va="center",
                fontsize=fontsize,
                zorder=4,
            )
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{abs(v):g}"))
        ax.tick_params(axis="x", labelsize=fontsize - 1)
        ax.grid(axis="x", color="0.88", lw=0.6, zorder=0)
        ax.set_axisbelow(True)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.set_xlabel(MEASURE_LABELS.get(measure, measure), fontsize=fontsize)
        # column headers above each half instead of a legend: which side is which group
        head = dict(transform=ax.transAxes, va="bottom", fontsize=fontsize + 0.5, fontweight="bold")
        ax.text(0.25, 1.01, f"← more in {rname}", ha="center", color=c_r, **head)
        ax.text(0.75, 1.01, f"more in {tname} →", ha="center", color=c_t, **head)
        ax.set_title(
            shorten(title, TITLE_CHARS) if title is not None else f"Keywords: {tname} vs {rname}",
            fontsize=fontsize + 2,
            pad=fontsize * 2.4,
        )
        if n_rows == 0:
            ax.text(0.5, 0.5, "no keywords to show", ha="center", va="center", transform=ax.transAxes)
        if own:
            freeze_layout(fig)
    return fig


# ---------------------------------------------------------------------------
# Fightin' words scatter
# ---------------------------------------------------------------------------


def fightin_words_plot(
    table: pd.DataFrame,
    n: int = 15,
    *,
    target_name: str | None = None,
    reference_name: str | None = None,
    title: str | None = None,
    z_threshold: float = 1.96,
    width: float = A4_WIDTH_IN,
    height: float = 5.5,
    fontsize: float = 9.0,
    colors: tuple[str, str] = (TARGET_COLOR, REFERENCE_COLOR),
    ax=None,
) -> Figure:
    """Scatter of term frequency vs z-score of the weighted log-odds (Monroe et al. 2008, fig. 5 style).

    x: total frequency ``n_target + n_reference`` (log scale); y: ``log_odds_z``
    (positive = target). Terms beyond ``±z_threshold`` (dashed lines) are
    coloured by side, the rest grey. The ``n`` terms with the largest ``|z|`` on
    each side (among those beyond the threshold) are labelled; labels are placed greedily and deterministically to
    avoid overlapping each other, with leader lines when moved away from their
    point. Returns the :class:`~matplotlib.figure.Figure`.
    """
    _check_table(table, ["term", "n_target", "n_reference", "log_odds_z", "direction"])
    tname, rname = _group_names(table, target_name, reference_name)
    freq = (table["n_target"].to_numpy(float) + table["n_reference"].to_numpy(float))
    z = table["log_odds_z"].to_numpy(float)
    c_t, c_r = colors

    with mpl.rc_context(font_rc()):
        own = ax is None
        if own:
            fig = Figure(figsize=(width, height), layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        hi = z >= z_threshold
        lo = z <= -z_threshold
        mid = ~(hi | lo)
        many = len(z) > 5000
        ax.scatter(freq[mid], z[mid], s=4, color="0.72", lw=0, rasterized=many, zorder=1)
        ax.scatter(freq[hi], z[hi], s=7, color=c_t, lw=0, rasterized=many, zorder=2, label=rtl(tname))
        ax.scatter(freq[lo], z[lo], s=7, color=c_r, lw=0, rasterized=many, zorder=2, label=rtl(rname))
        for yv in (z_threshold, -z_threshold):
            ax.axhline(yv, color="0.5", lw=0.6, ls="--", zorder=0)
        ax.axhline(0, color="0.3", lw=0.6, zorder=0)
        ax.set_xscale("log")
        if len(z):
            fmin, fmax = float(freq.min()), float(freq.max())
            ax.set_xlim(max(fmin, 0.5) / 1.4, fmax * 2.2)  # room on the right for labels
            zmax = float(np.max(np.abs(z))) or 1.0
            ax.set_ylim(-1.15 * zmax, 1.15 * zmax)
        else:
            ax.set_xlim(1, 10)
            ax.set_ylim(-3, 3)
            ax.text(0.5, 0.5, "no terms to show", ha="center", va="center", transform=ax.transAxes)
        ax.set_xlabel("frequency in target + reference (log scale)", fontsize=fontsize)
        ax.set_ylabel("z-score of weighted log-odds", fontsize=fontsize)
        ax.tick_params(labelsize=fontsize - 1)
        ax.set_title(
            shorten(title, TITLE_CHARS) if title is not None else f"Fightin' words: {tname} vs {rname}",
            fontsize=fontsize + 3,
        )
        ax.text(0.01, 0.99, f"↑ more in {tname}", transform=ax.transAxes, ha="left", va="top",
                fontsize=fontsize, color=c_t)
        ax.text(0.01, 0.01, f"↓ more in {rname}", transform=ax.transAxes, ha="left", va="bottom",
                fontsize=fontsize, color=c_r)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)

        # labels: top-n by |z| on each side among |z| >= threshold, most extreme placed first
        top = top_terms(table[np.abs(z) >= z_threshold], n, by="log_odds_z")
        top = top.iloc[np.argsort(-np.abs(top["log_odds_z"].to_numpy(float)), kind="stable")]
        # fix the layout (constrained layout, limits) before measuring display positions;
        # labels are added with in_layout=False, so the layout stays valid afterwards
        if own:
            freeze_layout(fig)
        else:
            fig.draw_without_rendering()
        anns, anchors = [], []
        for term, fx, zy in zip(
            top["term"], top["n_target"].to_numpy(float) + top["n_reference"].to_numpy(float),
            top["log_odds_z"].to_numpy(float),
        ):
            anns.append(ax.annotate(
                rtl(shorten(term, TERM_CHARS)), xy=(fx, zy), xytext=(0, 0), textcoords="offset points",
                ha="left", va="bottom", fontsize=fontsize, color="0.1", zorder=5,
                annotation_clip=False, in_layout=False,
            ))
            anchors.append(ax.transData.transform((fx, zy)))
        if anns:
            offsets = place_labels(ax, np.asarray(anchors), anns, pad_px=3.0 * fig.dpi / 72.0)
            for ann, (dx, dy, leader) in zip(anns, offsets):
                if leader:
                    xy, text = ann.xy, ann.get_text()
                    ann.remove()
                    ax.annotate(
                        text, xy=xy, xytext=(dx, dy), textcoords="offset points",
                        ha="left", va="bottom", fontsize=fontsize, color="0.1", zorder=5,
                        annotation_clip=False, in_layout=False,
                        arrowprops=dict(arrowstyle="-", lw=0.4, color="0.45", shrinkA=0, shrinkB=2),
                    )
                else:
                    ann.set_position((dx, dy))
    return fig
