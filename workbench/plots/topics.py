"""Figures for topic models (:mod:`workbench.topics`).

* :func:`coherence_plot` -- coherence (c_v, c_npmi) and held-out perplexity against K.
* :func:`topic_terms_frame` -- the topic table: one row per topic, its top Arabic terms in columns.
* :func:`prevalence_plot` -- dot-and-whisker chart of topic prevalence per group (e.g. the two
  camps side by side) with bootstrap intervals.
* :func:`prevalence_difference_plot` -- the difference between two groups per topic, with intervals.
* :func:`prevalence_over_time_plot` -- small multiples, one panel per topic, one line per group.
* :func:`topic_map_plot` -- intertopic distance map (Jensen–Shannon distances scaled to 2-D,
  circle area ∝ prevalence), a static version of LDAvis (Sievert & Shirley 2014).

As in :mod:`workbench.plots.keyness`, figures are built as :class:`matplotlib.figure.Figure`
objects (no pyplot), with the shipped Arabic font applied through a local ``rc_context``; Arabic
labels are passed as plain Unicode (matplotlib >= 3.11 shapes them and applies the bidi
algorithm) and prefixed with an RLM by :func:`~workbench.plots.fonts.rtl`; labels and group names
are shortened for display (:func:`workbench.display.shorten`: topic labels to 60 characters, group
names to 40), so a corpus with megabyte-long "words" still draws in seconds. Save them with
:func:`workbench.plots.figure.save_figure` (deterministic files).

Every figure of topics takes ``leave_out``: topics not to draw, usually the flags of
:func:`workbench.topics.topic_flags` (near-empty and numeral topics, whose words are noise or
figures); the figure then says at its foot which topics it leaves out and why, and they stay in
the tables.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from workbench.display import LABEL_CHARS, TERM_CHARS, TITLE_CHARS, shorten
from workbench.plots.figure import (A4_WIDTH_IN, PALETTE, REFERENCE_COLOR, TARGET_COLOR, freeze_layout,
                                    place_labels)
from workbench.plots.fonts import font_rc, rtl

__all__ = ["coherence_plot", "topic_terms_frame", "prevalence_plot", "prevalence_heatmap", "prevalence_difference_plot",
           "prevalence_over_time_plot", "topic_map_plot", "left_out_topics", "left_out_note"]

_MEASURE_LABELS = {
    "c_v": "coherence c_v ↑",
    "c_npmi": "coherence NPMI ↑",
    "u_mass": "coherence UMass ↑",
    "c_uci": "coherence UCI ↑",
    "perplexity": "held-out perplexity ↓",
}


def _need(table: pd.DataFrame, cols: Sequence[str], made_by: str) -> None:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"expected a pandas.DataFrame from {made_by}, got {type(table).__name__}")
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks column(s) {', '.join(missing)}; pass the DataFrame returned by {made_by}")


def _label_of(labels: Mapping[int, str] | None, topic: int) -> str:
    if labels and int(topic) in labels:
        return shorten(labels[int(topic)], LABEL_CHARS)
    return f"topic {int(topic)}"


def left_out_topics(leave_out) -> dict[int, str]:
    """``leave_out`` as ``{topic: reason}``: from a mapping or Series of reasons such as
    :func:`workbench.topics.topic_flags` (topics with an empty reason are kept), or from topic ids."""
    if leave_out is None:
        return {}
    if isinstance(leave_out, (Mapping, pd.Series)):
        return {int(tp): str(why) for tp, why in leave_out.items() if isinstance(why, str) and why}
    return {int(tp): "" for tp in leave_out}


def left_out_note(left: Mapping[int, str]) -> str:
    """One line naming the topics left out of a figure: ``left out: topic 3 (numeral), topic 12
    (near-empty) — see the topic table``; empty when none is."""
    if not left:
        return ""
    parts = [f"topic {tp}" + (f" ({why})" if why else "") for tp, why in sorted(left.items())]
    return "left out: " + ", ".join(parts) + " — see the topic table"


def _without(table: pd.DataFrame, left: Mapping[int, str]) -> pd.DataFrame:
    """``table`` without the rows of the topics in ``left`` (attrs kept)."""
    if not left:
        return table
    out = table[~table["topic"].astype(int).isin(list(left))]
    out.attrs = dict(table.attrs)
    return out


def _foot(fig: Figure, left: Mapping[int, str], fontsize: float) -> None:
    if left:
        fig.supxlabel(left_out_note(left), fontsize=fontsize - 1, color="0.35")


# ---------------------------------------------------------------------------
# choosing K
# ---------------------------------------------------------------------------


def coherence_plot(table: pd.DataFrame, *, measures: Sequence[str] | None = None, title: str | None = None,
                   width: float = A4_WIDTH_IN, height: float = 2.6, fontsize: float = 9.0) -> Figure:
    """One panel per measure (coherence c_v, c_npmi, held-out perplexity) against the number of topics K.

    ``table`` is what :func:`workbench.topics.selection.select_k` returns. The best K of each
    measure (↑ higher is better, ↓ lower is better) is marked with a filled marker.
    """
    _need(table, ["k"], "workbench.topics.selection.select_k()")
    measures = list(measures) if measures is not None else [
        m for m in ("c_v", "c_npmi", "u_mass", "c_uci", "perplexity") if m in table.columns]
    _need(table, measures, "workbench.topics.selection.select_k()")
    if not measures:
        raise ValueError("no measure to plot (the table has no c_v, c_npmi or perplexity column)")
    t = table.sort_values("k")
    ks = t["k"].to_numpy()
    with mpl.rc_context(font_rc()):
        fig = Figure(figsize=(width, height), layout="constrained")
        axes = fig.subplots(1, len(measures), squeeze=False)[0]
        for ax, m in zip(axes, measures):
            v = t[m].to_numpy(dtype=float)
            ax.plot(ks, v, "-o", color=REFERENCE_COLOR, ms=4, lw=1.3, mfc="white")
            if np.isfinite(v).any():
                best = int(np.nanargmin(v) if m == "perplexity" else np.nanargmax(v))
                ax.plot(ks[best], v[best], "o", color=TARGET_COLOR, ms=6, zorder=3)
            ax.set_xlabel("number of topics K", fontsize=fontsize)
            ax.set_title(_MEASURE_LABELS.get(m, m), fontsize=fontsize)
            ax.set_xticks(ks)
            ax.tick_params(labelsize=fontsize - 1)
            ax.grid(color="0.9", lw=0.6)
            ax.spines[["top", "right"]].set_visible(False)
        on = t["coherence_on"].iloc[0] if "coherence_on" in t.columns else None
        sub = f" (coherence on {on} documents)" if on else ""
        fig.suptitle(title if title is not None else f"Choosing the number of topics{sub}", fontsize=fontsize + 2)
        freeze_layout(fig)
    return fig


# ---------------------------------------------------------------------------
# topic table
# ---------------------------------------------------------------------------


def topic_terms_frame(tm, n: int = 10, lam: float = 0.6, *, names: Mapping[int, str] | None = None,
                      prevalence: bool = True) -> pd.DataFrame:
    """The topic table for display: one row per topic (index ``topic``), optional ``name`` and
    ``prevalence`` columns, then columns ``1 … n`` with the top terms by relevance (λ = ``lam``,
    Sievert & Shirley 2014). In a notebook, ``.style.set_properties(direction="rtl")`` shows the
    Arabic cells right to left."""
    from workbench.topics.labels import topic_terms

    top = topic_terms(tm, n, lam)
    wide = top.pivot(index="topic", columns="rank", values="term")
    wide.columns = [int(c) for c in wide.columns]
    if prevalence:
        wide.insert(0, "prevalence", tm.prevalence().round(3).to_numpy())
    if names:
        from workbench.topics.labels import default_topic_name

        wide.insert(0, "name", [names.get(int(t)) or default_topic_name(int(t)) for t in wide.index])
    wide.attrs = {"lambda": float(lam)}
    return wide


# ---------------------------------------------------------------------------
# prevalence
# ---------------------------------------------------------------------------


def _topic_order(table: pd.DataFrame, groups: list[str], topics, order: str) -> list[int]:
    if topics is not None:
        return [int(t) for t in topics]
    piv = table.pivot(index="topic", columns="group", values="prevalence")
    if order == "difference" and len(groups) >= 2:
        key = (piv[groups[0]] - piv[groups[1]]).to_numpy()
    elif order == "topic":
        return [int(t) for t in piv.index]
    else:
        key = piv.mean(axis=1).to_numpy()
    idx = np.lexsort((piv.index.to_numpy(), -key))
    return [int(t) for t in piv.index.to_numpy()[idx]]


def prevalence_plot(
    table: pd.DataFrame,
    labels: Mapping[int, str] | None = None,
    *,
    groups: Sequence[str] | None = None,
    topics: Sequence[int] | None = None,
    order: str = "difference",
    title: str | None = None,
    width: float = A4_WIDTH_IN,
    row_height: float = 0.32,
    fontsize: float = 9.0,
    colors: Sequence[str] | None = None,
    leave_out=None,
) -> Figure:
    """Dot-and-whisker chart: mean topic proportion per group with its bootstrap interval.

    ``table`` from :func:`workbench.topics.prevalence.topic_prevalence`; ``labels`` maps topic ids
    to labels (e.g. :func:`workbench.topics.topic_labels`); the groups of a topic are drawn side by
    side on its row. ``order``: ``"difference"`` (first group minus second, largest first),
    ``"prevalence"`` (mean over groups) or ``"topic"``; or give ``topics`` explicitly.
    ``leave_out``: topics not drawn (e.g. :func:`workbench.topics.topic_flags`), named at the foot.
    """
    _need(table, ["topic", "group", "prevalence", "lower", "upper"],
          "workbench.topics.prevalence.topic_prevalence()")
    left = left_out_topics(leave_out)
    table = _without(table, left)
    topics = None if topics is None else [tp for tp in topics if int(tp) not in left]
    present = list(dict.fromkeys(table["group"].astype(str)))
    groups = [str(g) for g in groups] if groups is not None else present
    unknown = [g for g in groups if g not in present]
    if unknown:
        raise ValueError(f"group '{unknown[0]}' is not in the table (groups: {', '.join(present)})")
    tab = table[table["group"].astype(str).isin(groups)]
    rows = _topic_order(tab, groups, topics, order)
    colors = list(colors) if colors is not None else PALETTE
    G = len(groups)
    step = min(0.6 / max(G - 1, 1), 0.3)
    with mpl.rc_context(font_rc()):
        fig = Figure(figsize=(width, max(2.2, 1.2 + row_height * len(rows))), layout="constrained")
        ax = fig.add_subplot()
        pos = {t: i for i, t in enumerate(rows)}
        for gi, g in enumerate(groups):
            sub = tab[(tab["group"].astype(str) == g) & tab["topic"].isin(rows)]
            y = sub["topic"].map(pos).to_numpy(dtype=float) + (gi - (G - 1) / 2) * step
            x = sub["prevalence"].to_numpy(float)
            lo, hi = sub["lower"].to_numpy(float), sub["upper"].to_numpy(float)
            n = int(sub["n_docs"].iloc[0]) if "n_docs" in sub.columns and len(sub) else None
            lab = rtl(shorten(g, TERM_CHARS)) + (f" (n = {n})" if n is not None else "")
            ax.errorbar(x, y, xerr=[x - lo, hi - x], fmt="o", ms=4.5, color=colors[gi % len(colors)],
                        ecolor=colors[gi % len(colors)], elinewidth=1.2, capsize=0, label=lab, zorder=3)
        ax.set_yticks(range(len(rows)), [rtl(_label_of(labels, t)) for t in rows], fontsize=fontsize)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlim(left=0)
        ax.grid(axis="x", color="0.9", lw=0.6)
        for i in range(len(rows)):
            if i % 2 == 0:
                ax.axhspan(i - 0.5, i + 0.5, color="0.965", zorder=0, lw=0)
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(axis="x", labelsize=fontsize - 1)
        lvl = table.attrs.get("level", 0.95)
        ax.set_xlabel(f"mean topic proportion θ (dots) with {lvl:.0%} bootstrap interval", fontsize=fontsize)
        ax.legend(frameon=False, fontsize=fontsize, loc="lower right")
        by = table.attrs.get("by")
        fig.suptitle(title if title is not None else f"Topic prevalence by {shorten(by or 'group', TERM_CHARS)}", fontsize=fontsize + 2)
        _foot(fig, left, fontsize)
        freeze_layout(fig)
    return fig


def prevalence_difference_plot(
    table: pd.DataFrame,
    labels: Mapping[int, str] | None = None,
    *,
    topics: Sequence[int] | None = None,
    title: str | None = None,
    width: float = A4_WIDTH_IN,
    row_height: float = 0.3,
    fontsize: float = 9.0,
    colors: tuple[str, str] = (TARGET_COLOR, REFERENCE_COLOR),
    leave_out=None,
) -> Figure:
    """Difference in mean topic proportion (target − reference) per topic with its interval.

    ``table`` from :func:`workbench.topics.prevalence.prevalence_difference`; topics sorted by the
    difference; dots in the target's colour when the interval is above 0, the reference's when
    below, grey when it includes 0. ``leave_out``: topics not drawn, named at the foot.
    """
    _need(table, ["topic", "difference", "lower", "upper"], "workbench.topics.prevalence.prevalence_difference()")
    left = left_out_topics(leave_out)
    t = _without(table if topics is None else table[table["topic"].isin(list(topics))], left)
    t = t.iloc[np.lexsort((t["topic"].to_numpy(), -t["difference"].to_numpy()))]
    tname = shorten(t.attrs.get("target", table.attrs.get("target", "target")), TERM_CHARS)
    rname = shorten(t.attrs.get("reference", table.attrs.get("reference", "reference")), TERM_CHARS)
    y = np.arange(len(t))
    x = t["difference"].to_numpy(float)
    lo, hi = t["lower"].to_numpy(float), t["upper"].to_numpy(float)
    col = np.where(lo > 0, colors[0], np.where(hi < 0, colors[1], "0.55"))
    with mpl.rc_context(font_rc()):
        fig = Figure(figsize=(width, max(2.2, 1.3 + row_height * len(t))), layout="constrained")
        ax = fig.add_subplot()
        ax.axvline(0, color="0.3", lw=0.8, zorder=1)
        for yi, xi, l, h, c in zip(y, x, lo, hi, col):
            ax.plot([l, h], [yi, yi], color=c, lw=1.3, zorder=2)
            ax.plot([xi], [yi], "o", color=c, ms=4.5, zorder=3)
        ax.set_yticks(y, [rtl(_label_of(labels, tp)) for tp in t["topic"]], fontsize=fontsize)
        ax.set_ylim(len(t) - 0.5, -0.5)
        m = float(np.nanmax(np.abs(np.concatenate([lo, hi])))) if len(t) else 1.0
        ax.set_xlim(-1.1 * m, 1.1 * m)
        ax.grid(axis="x", color="0.9", lw=0.6)
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(axis="x", labelsize=fontsize - 1)
        lvl = table.attrs.get("level", 0.95)
        ax.set_xlabel(f"difference in mean topic proportion, with {lvl:.0%} bootstrap interval", fontsize=fontsize)
        head = dict(transform=ax.transAxes, va="bottom", fontsize=fontsize, fontweight="bold")
        ax.text(0.25, 1.01, f"← more in {rtl(rname)}", ha="center", color=colors[1], **head)
        ax.text(0.75, 1.01, f"more in {rtl(tname)} →", ha="center", color=colors[0], **head)
        fig.suptitle(title if title is not None else f"Topic prevalence: {tname} − {rname}", fontsize=fontsize + 2)
        _foot(fig, left, fontsize)
        freeze_layout(fig)
    return fig


def prevalence_over_time_plot(
    table: pd.DataFrame,
    labels: Mapping[int, str] | None = None,
    *,
    topics: Sequence[int] | None = None,
    groups: Sequence[str] | None = None,
    ncols: int = 4,
    sharey: bool = True,
    title: str | None = None,
    width: float = A4_WIDTH_IN,
    panel_height: float = 1.5,
    fontsize: float = 8.0,
    colors: Sequence[str] | None = None,
    leave_out=None,
) -> Figure:
    """Small multiples: one panel per topic, one line per group, mean θ per period.

    ``table`` from :func:`workbench.topics.prevalence.prevalence_over_time`; with ``lower/upper``
    columns the intervals are shaded. ``sharey`` keeps one y scale so panels compare.
    ``leave_out``: topics not drawn, named at the foot.
    """
    _need(table, ["topic", "period", "group", "prevalence"], "workbench.topics.prevalence.prevalence_over_time()")
    left = left_out_topics(leave_out)
    tops = [int(t) for t in (topics if topics is not None else sorted(table["topic"].unique())) if int(t) not in left]
    if not tops:
        raise ValueError("no topic left to draw (every topic is in leave_out)")
    present = list(dict.fromkeys(table["group"].astype(str)))
    groups = [str(g) for g in groups] if groups is not None else present
    colors = list(colors) if colors is not None else PALETTE
    ncols = max(1, min(int(ncols), len(tops)))
    nrows = int(np.ceil(len(tops) / ncols))
    with mpl.rc_context(font_rc()):
        fig = Figure(figsize=(width, 0.9 + panel_height * nrows), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=sharey)
        for i, ax in enumerate(axes.ravel()):
            if i >= len(tops):
                ax.set_visible(False)
                continue
            tp = tops[i]
            sub = table[table["topic"] == tp]
            for gi, g in enumerate(groups):
                s = sub[sub["group"].astype(str) == g].sort_values("period")
                c = colors[gi % len(colors)]
                ax.plot(s["period"], s["prevalence"], "-", color=c, lw=1.3, marker="o", ms=2.2,
                        label=rtl(shorten(g, TERM_CHARS)) if i == 0 else None)
                if "lower" in s.columns and s["lower"].notna().any():
                    ax.fill_between(s["period"], s["lower"], s["upper"], color=c, alpha=0.15, lw=0)
            ax.set_title(rtl(_label_of(labels, tp)), fontsize=fontsize, loc="right")
            ax.tick_params(labelsize=fontsize - 1.5)
            ax.grid(color="0.92", lw=0.5)
            ax.spines[["top", "right"]].set_visible(False)
        for ax in axes[-1]:
            for lab in ax.get_xticklabels():
                lab.set_rotation(45)
                lab.set_ha("right")
        freq = table.attrs.get("freq", "period")
        fig.supylabel("mean topic proportion θ", fontsize=fontsize)
        fig.legend(loc="outside upper left", ncols=min(len(groups), 6), frameon=False, fontsize=fontsize)
        fig.suptitle(title if title is not None else f"Topics over time (per {freq})", fontsize=fontsize + 3)
        _foot(fig, left, fontsize + 1)
        import matplotlib.dates as mdates

        loc = mdates.AutoDateLocator(minticks=3, maxticks=6)
        axes[0, 0].xaxis.set_major_locator(loc)
        axes[0, 0].xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
        freeze_layout(fig)
    return fig


# ---------------------------------------------------------------------------
# intertopic distance map
# ---------------------------------------------------------------------------


def topic_map_plot(
    table: pd.DataFrame,
    *,
    title: str | None = None,
    width: float = A4_WIDTH_IN,
    height: float = 6.0,
    fontsize: float = 8.0,
    max_size: float = 2500.0,
    color: str = REFERENCE_COLOR,
    leave_out=None,
) -> Figure:
    """Intertopic distance map: each topic a circle at its 2-D position, area ∝ prevalence.

    ``table`` from :func:`workbench.topics.topic_map` (classical MDS of Jensen–Shannon distances,
    as in LDAvis by Sievert & Shirley 2014). Close circles are topics with similar words. Each
    circle shows its topic id; labels (``table["label"]``) are placed beside the circles without
    overlapping each other, with leader lines when moved away. ``leave_out``: topics not drawn
    (the others keep the positions computed with them), named at the foot.
    """
    _need(table, ["topic", "x", "y", "prevalence", "label"], "workbench.topics.topic_map()")
    left = left_out_topics(leave_out)
    table = _without(table, left)
    if not len(table):
        raise ValueError("no topic left to draw (every topic is in leave_out)")
    x, y = table["x"].to_numpy(float), table["y"].to_numpy(float)
    prev = table["prevalence"].to_numpy(float)
    sizes = max_size * prev / (prev.max() if prev.max() > 0 else 1.0)
    with mpl.rc_context(font_rc()):
        fig = Figure(figsize=(width, height), layout="constrained")
        ax = fig.add_subplot()
        order = np.argsort(-sizes, kind="stable")  # big circles first, small ones on top
        ax.scatter(x[order], y[order], s=sizes[order], color=color, alpha=0.28, edgecolor=color, lw=0.8, zorder=2)
        for t, xi, yi in zip(table["topic"], x, y):
            ax.text(xi, yi, str(int(t)), ha="center", va="center", fontsize=fontsize, color="0.1", zorder=4)
        span_x = (x.max() - x.min()) or 1.0
        span_y = (y.max() - y.min()) or 1.0
        ax.set_xlim(x.min() - 0.35 * span_x, x.max() + 0.35 * span_x)
        ax.set_ylim(y.min() - 0.2 * span_y, y.max() + 0.2 * span_y)
        ax.axhline(0, color="0.85", lw=0.6, zorder=0)
        ax.axvline(0, color="0.85", lw=0.6, zorder=0)
        ax.set_xticks([])
        ax.set_yticks([])
        ex = table.attrs.get("explained")
        ax.set_xlabel("PC1" + (f" ({ex[0]:.0%} of the distances' variance)" if ex else ""), fontsize=fontsize)
        ax.set_ylabel("PC2" + (f" ({ex[1]:.0%})" if ex and len(ex) > 1 else ""), fontsize=fontsize)
        ax.set_title(title if title is not None else
                     "Intertopic distance map (Jensen–Shannon distance, classical MDS; area ∝ prevalence)",
                     fontsize=fontsize + 2)
        _foot(fig, left, fontsize + 1)
        freeze_layout(fig)
        # labels: largest topics placed first; they avoid each other and the circles' centres
        anns, anchors = [], []
        for i in order:
            label = shorten(table["label"].iloc[i], LABEL_CHARS)
            anns.append(ax.annotate(rtl(label), xy=(x[i], y[i]), xytext=(0, 0), textcoords="offset points",
                                    ha="left", va="bottom", fontsize=fontsize, color="0.15", zorder=5,
                                    annotation_clip=False, in_layout=False))
            anchors.append(ax.transData.transform((x[i], y[i])))
        if anns:
            radius_px = np.sqrt(sizes[order] / np.pi) * fig.dpi / 72.0
            pad = float(np.median(radius_px)) + 2.0
            offsets = place_labels(ax, np.asarray(anchors), anns, pad_px=pad)
            for ann, (dx, dy, leader) in zip(anns, offsets):
                if leader:
                    xy, text = ann.xy, ann.get_text()
                    ann.remove()
                    ax.annotate(text, xy=xy, xytext=(dx, dy), textcoords="offset points", ha="left",
                                va="bottom", fontsize=fontsize, color="0.15", zorder=5,
                                annotation_clip=False, in_layout=False,
                                arrowprops=dict(arrowstyle="-", lw=0.4, color="0.5", shrinkA=0, shrinkB=2))
                else:
                    ann.set_position((dx, dy))
    return fig


def prevalence_heatmap(table: pd.DataFrame, labels: Mapping[int, str] | None = None, *,
                       groups: Sequence[str] | None = None, title: str | None = None,
                       width: float = A4_WIDTH_IN, row_height: float = 0.26, fontsize: float = 7.5,
                       leave_out=None) -> Figure:
    """Topics × groups (e.g. outlets) heat map of mean topic proportion, each cell annotated.

    For many groups, where :func:`prevalence_plot`'s whiskers would pile up; the intervals stay in
    the table from :func:`workbench.topics.prevalence.topic_prevalence`. ``leave_out``: topics not
    drawn, named at the foot.
    """
    _need(table, ["topic", "group", "prevalence"], "topic_prevalence")
    left = left_out_topics(leave_out)
    wide = _without(table, left).pivot(index="topic", columns="group", values="prevalence")
    if groups is not None:
        wide = wide[[g for g in groups if g in wide.columns]]
    wide = wide.loc[wide.max(axis=1).sort_values(ascending=False).index]
    with mpl.rc_context(font_rc()):
        fig = Figure(figsize=(width, 1.6 + row_height * len(wide)), layout="constrained")
        ax = fig.add_subplot()
        vals = wide.to_numpy()
        im = ax.imshow(vals, aspect="auto", cmap="Blues", vmin=0, vmax=max(float(np.nanmax(vals)), 1e-9))
        ax.set_yticks(range(len(wide)), [rtl(_label_of(labels, int(t))) for t in wide.index], fontsize=fontsize)
        ax.set_xticks(range(wide.shape[1]), [rtl(shorten(g, TERM_CHARS)) for g in wide.columns], rotation=40, ha="right",
                      fontsize=fontsize)
        top = np.nanmax(vals) if vals.size else 1
        for i in range(vals.shape[0]):
            for j in range(vals.shape[1]):
                v = vals[i, j]
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=fontsize - 1.5,
                        color="white" if v > 0.6 * top else "black")
        fig.colorbar(im, ax=ax, shrink=0.6, label="mean topic proportion θ")
        if title:
            ax.set_title(rtl(shorten(title, TITLE_CHARS)))
        _foot(fig, left, fontsize + 1)
        freeze_layout(fig)
    return fig
