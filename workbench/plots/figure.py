"""What every figure of the workbench shares: page width, colours, layout, labels and saving.

* :data:`A4_WIDTH_IN` -- the width figures are drawn for (A4 text width);
* :data:`TARGET_COLOR`, :data:`REFERENCE_COLOR`, :data:`PALETTE` -- colour-blind-safe colours
  (Okabe & Ito 2008, "Color Universal Design");
* :func:`freeze_layout` -- run the layout engine once, so saving is deterministic;
* :func:`place_labels` -- greedy, deterministic placement of point labels without overlaps;
* :func:`save_figure` -- write PNG and SVG (optionally PDF) byte-for-byte reproducibly.

Arabic text in figures: the font and :func:`~workbench.plots.fonts.rtl` are in
:mod:`workbench.plots.fonts`. The figure families are :mod:`workbench.plots.keyness`,
:mod:`workbench.plots.topics` and :mod:`workbench.plots.corpus`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from ..rendered import digest, rendered

__all__ = ["A4_WIDTH_IN", "TARGET_COLOR", "REFERENCE_COLOR", "PALETTE", "freeze_layout", "place_labels",
           "save_figure"]

#: Usable text width of an A4 page with ~2 cm margins, in inches.
A4_WIDTH_IN = 7.0

#: Colour-blind-safe pair (Okabe & Ito): vermillion for the target, blue for the reference.
TARGET_COLOR = "#D55E00"
REFERENCE_COLOR = "#0072B2"

#: Okabe & Ito colour-blind-safe palette, used in order for groups.
PALETTE = [TARGET_COLOR, REFERENCE_COLOR, "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]


def freeze_layout(fig: Figure) -> None:
    """Compute the layout (e.g. constrained layout) once, then switch the engine off.

    Constrained layout is iterative, so every draw can move the axes by ~1e-12,
    which changes SVG clip-path ids. Freezing it makes repeated saves of the
    same figure byte-identical. Re-enable with ``fig.set_layout_engine("constrained")``
    after resizing a figure.
    """
    if fig.get_layout_engine() is not None and not isinstance(
        fig.get_layout_engine(), mpl.layout_engine.PlaceHolderLayoutEngine
    ):
        fig.draw_without_rendering()
        fig.set_layout_engine("none")


def place_labels(ax, anchors_px: np.ndarray, texts, pad_px: float) -> list[tuple[float, float, bool]]:
    """Greedy, deterministic label placement avoiding overlaps between labels.

    ``texts`` are Text/Annotation artists (``ha="left", va="bottom"``) in
    priority order, used only to measure each label's size; ``anchors_px`` are
    their points in display coordinates. Each label goes to the first candidate
    position (right, left, above, below of its point, then further up/down)
    whose box overlaps no label placed before it and stays inside the axes; if
    none is free, the least-bad candidate is taken. Returns, per label, the
    offset in points of its lower-left corner from its point and whether a
    leader line is needed (label moved away from its point).
    """
    fig = ax.figure
    renderer = fig._get_renderer()
    result: list[tuple[float, float, bool]] = []
    r = pad_px * 0.8  # the labelled points themselves are obstacles too
    obstacles = [(px - r, py - r, px + r, py + r) for px, py in anchors_px]
    ax_box = ax.get_window_extent(renderer)
    placed: list[tuple[float, float, float, float]] = []
    to_pt = 72.0 / fig.dpi

    def overlap(b1, b2) -> float:
        w = min(b1[2], b2[2]) - max(b1[0], b2[0])
        h = min(b1[3], b2[3]) - max(b1[1], b2[1])
        return w * h if (w > 0 and h > 0) else 0.0

    def outside(b) -> float:
        # area of the box that lies outside the axes
        inside = overlap(b, (ax_box.x0, ax_box.y0, ax_box.x1, ax_box.y1))
        return (b[2] - b[0]) * (b[3] - b[1]) - inside

    for (px, py), text in zip(anchors_px, texts):
        bb = text.get_window_extent(renderer)
        w, h = bb.width, bb.height
        g = pad_px
        cands = [
            (px + g, py - h / 2),
            (px - g - w, py - h / 2),
            (px - w / 2, py + g),
            (px - w / 2, py - g - h),
        ]
        for k in range(1, 9):
            for sgn in (1, -1):
                dy = sgn * k * (h * 0.95)
                cands.append((px + g, py - h / 2 + dy))
                cands.append((px - g - w, py - h / 2 + dy))
        best, best_cost = None, None
        for x0, y0 in cands:
            box = (x0, y0, x0 + w, y0 + h)
            cost = sum(overlap(box, p) for p in placed) + sum(overlap(box, o) for o in obstacles)
            cost += 4.0 * outside(box)
            if cost == 0:
                best = box
                break
            if best_cost is None or cost < best_cost:
                best, best_cost = box, cost
        placed.append(best)
        dx_pt = (best[0] - px) * to_pt
        dy_pt = (best[1] - py) * to_pt
        # leader line if the label's box ended up away from its point
        cx = min(max(px, best[0]), best[2])
        cy = min(max(py, best[1]), best[3])
        result.append((dx_pt, dy_pt, bool(np.hypot(cx - px, cy - py) > 2.5 * g)))
    return result


def save_figure(
    fig: Figure,
    path_stem: str | Path,
    *,
    formats: Sequence[str] = ("png", "svg"),
    dpi: int = 300,
) -> list[Path]:
    """Save ``fig`` as ``<path_stem>.png`` and ``.svg`` (and ``.pdf`` if asked), reproducibly.

    Saving the same figure twice gives byte-identical files: the figure's
    layout engine is run once and then switched off (see :func:`freeze_layout`;
    figures of :mod:`workbench.plots` are already
    frozen); PNG is written without the ``Software`` text chunk, SVG without
    ``Date``/``Creator`` metadata and with a fixed ``svg.hashsalt`` (so element
    ids do not depend on randomness), PDF without creation/modification dates. Fonts are embedded as glyph paths in
    SVG (``svg.fonttype = "path"``), so the SVG renders the same without the font
    installed. Parent directories are created. Returns the written paths.

    The PNG is taken from the render cache (:mod:`workbench.rendered`) when a figure with the
    same SVG was rasterised before at the same dpi by the same matplotlib: rasterising at 300 dpi
    is the slowest part of saving, and a warm report re-run saves the same figures again.
    """
    stem = Path(path_stem)
    if stem.suffix.lower() in {".png", ".svg", ".pdf"}:
        stem = stem.with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    metadata = {
        "png": {"Software": None},
        "svg": {"Date": None, "Creator": None},
        "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
    }
    formats = [f.lower().lstrip(".") for f in formats]
    for fmt in formats:
        if fmt not in metadata:
            raise ValueError(f"unsupported format {fmt!r}; use png, svg or pdf")
    freeze_layout(fig)
    rc = {"svg.hashsalt": "workbench", "svg.fonttype": "path", "pdf.fonttype": 42}
    paths = {fmt: stem.with_name(stem.name + "." + fmt) for fmt in formats}
    with mpl.rc_context(rc):
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", dpi=dpi, metadata=metadata["svg"])
        svg = buf.getvalue()
        if "svg" in paths:
            _write_bytes(paths["svg"], svg)

        def save(fmt: str, path: Path) -> None:
            fig.savefig(path, format=fmt, dpi=dpi, metadata=metadata[fmt])

        for fmt, path in paths.items():
            if fmt == "png":
                key = digest("figure-png", mpl.__version__, str(dpi), repr(sorted(mpl.rcParams.find_all("^agg|^path").items())), svg)
                rendered("png", key, path, lambda p: save("png", p))
            elif fmt == "pdf":
                save(fmt, path)
    return [paths[f] for f in formats]


def _write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
