"""Tests for workbench.plots: Arabic font, rtl(), keyness figures, reproducible saving."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from pathlib import Path

import matplotlib as mpl
import numpy as np
import pytest
import scipy.sparse as sp
from matplotlib import font_manager
from matplotlib.figure import Figure

from workbench.plots import (
    ARABIC_FONT_FAMILY,
    fightin_words_plot,
    font_path,
    has_arabic,
    keyness_plot,
    register_fonts,
    rtl,
    save_figure,
)
from workbench.plots.fonts import RLM
from workbench.stats import keyness

TARGET_TERMS = ["الجيش العربي السوري", "الإرهابيين", "الدولة السورية", "SANA", "المجموعات المسلحة"]
REFERENCE_TERMS = ["قوات النظام", "الفصائل", "الثوار", "SDF / قسد", "نظام الأسد"]
COMMON = ["سوريا", "حلب", "دمشق", "قال", "UN"] + [f"كلمة{i}" for i in range(40)]
VOCAB = TARGET_TERMS + REFERENCE_TERMS + COMMON


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(7)
    n_docs = 60
    lam = np.tile(rng.gamma(1.0, 3.0, len(VOCAB)), (n_docs, 1))
    tgt = np.arange(n_docs) < 25
    lam[np.ix_(tgt, np.arange(5))] *= 8
    lam[np.ix_(~tgt, np.arange(5, 10))] *= 8
    X = sp.csr_array(rng.poisson(lam))
    outlets = np.where(tgt, "SANA", np.where(np.arange(n_docs) % 2, "Enab Baladi", "Orient"))
    return keyness(X, VOCAB, tgt, outlets=outlets, target_name="الإعلام الرسمي", reference_name="Opposition")


# ---------------------------------------------------------------------------
# fonts and rtl()
# ---------------------------------------------------------------------------


def test_font_file_shipped_with_licence():
    regular = font_path()
    bold = font_path(bold=True)
    assert regular.is_file() and bold.is_file()
    assert regular.stat().st_size + bold.stat().st_size < 1_500_000
    licence = regular.parent / "OFL.txt"
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence.read_text(encoding="utf-8")


def test_register_fonts_idempotent_and_sets_family():
    with mpl.rc_context():
        assert register_fonts() == ARABIC_FONT_FAMILY
        n = len(font_manager.fontManager.ttflist)
        register_fonts()
        register_fonts(set_rcparams=False)
        assert len(font_manager.fontManager.ttflist) == n
        assert mpl.rcParams["font.family"] == [ARABIC_FONT_FAMILY, "DejaVu Sans"]
        shipped = {str(font_path().resolve()), str(font_path(True).resolve())}
        paths = {str(Path(f.fname).resolve()) for f in font_manager.fontManager.ttflist}
        assert shipped <= paths


def test_rtl_behaviour():
    assert rtl("قوات النظام") == RLM + "قوات النظام"
    assert rtl("ISIS داعش") == "\u200fISIS داعش"
    assert rtl(rtl("الفصائل")) == RLM + "الفصائل"  # idempotent
    assert rtl("SDF") == "SDF"  # no Arabic: unchanged
    assert rtl(2011) == "2011"
    assert rtl(None) == ""
    assert has_arabic("abc ﻻ")  # presentation form
    assert not has_arabic("abc 123")


def test_rtl_lays_out_right_to_left():
    """With U+200F the first logical character ends up on the right (matplotlib/libraqm bidi)."""
    from matplotlib import _text_helpers

    register_fonts(set_rcparams=False)
    fp = font_manager.FontProperties(family=[ARABIC_FONT_FAMILY, "DejaVu Sans"])
    font = font_manager.get_font(font_manager.fontManager._find_fonts_by_props(fp))
    font.set_size(12, 72)

    def xs(s):
        return {item.char: item.x for item in _text_helpers.layout(s, font)}

    ltr = xs("ISIS داعش")
    assert ltr["I"] < ltr["د"]  # plain: base direction LTR, Latin on the left
    r = xs(rtl("ISIS داعش"))
    assert r["I"] > r["د"]  # with RLM: RTL paragraph, Latin on the right
    ar = xs("قوات النظام")
    assert ar["ق"] > ar["م"]  # pure Arabic reads right to left


# ---------------------------------------------------------------------------
# keyness_plot
# ---------------------------------------------------------------------------


def _label_texts(ax):
    return [t.get_text() for t in ax.texts]


def test_keyness_plot_bars_and_labels(table):
    fig = keyness_plot(table, n=5)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    bars = ax.patches
    assert len(bars) == 10
    widths = np.array([b.get_width() for b in bars])
    assert (widths > 0).sum() == 5 and (widths < 0).sum() == 5
    labels = _label_texts(ax)
    from workbench.stats import top_terms

    expected = top_terms(table, 5)
    assert len(expected) == 10
    for term in expected["term"]:
        assert rtl(term) in labels
    assert rtl("الجيش العربي السوري") in labels and rtl("قوات النظام") in labels
    # target bars point right, their labels are left of zero; reference the opposite
    top = table[table["direction"] == "target"].head(5)
    texts = {t.get_text(): t for t in ax.texts}
    for term in top["term"]:
        assert texts[rtl(term)].get_horizontalalignment() == "right"
    # strongest target term is the top row (y axis inverted -> smallest y)
    ys = np.array([b.get_y() + b.get_height() / 2 for b in bars])
    i_top = int(np.argmin(ys))
    assert widths[i_top] == pytest.approx(top["G2"].iloc[0])
    # group names appear in the title / headers
    all_text = " ".join(labels + [ax.get_title()])
    assert "الإعلام الرسمي" in all_text and "Opposition" in all_text
    assert "G²" in ax.get_xlabel()


def test_keyness_plot_signed_measure_and_size(table):
    fig = keyness_plot(table, n=3, measure="log_ratio")
    ax = fig.axes[0]
    widths = np.array([b.get_width() for b in ax.patches])
    expected = np.sort(np.concatenate([
        table[table["direction"] == "target"].sort_values("log_ratio", ascending=False)["log_ratio"].head(3),
        table[table["direction"] == "reference"].sort_values("log_ratio")["log_ratio"].head(3),
    ]))
    np.testing.assert_allclose(np.sort(widths), expected)
    w, h = fig.get_size_inches()
    assert w <= 8.27  # fits A4 width


def test_keyness_plot_arabic_font_used(table):
    fig = keyness_plot(table, n=5)
    ax = fig.axes[0]
    arabic = [t for t in ax.texts if has_arabic(t.get_text())]
    assert len(arabic) >= 10
    for t in arabic:
        bold = t.get_fontweight() in ("bold", 700)
        files = font_manager.fontManager._find_fonts_by_props(t.get_fontproperties())
        assert str(Path(files[0]).resolve()) == str(font_path(bold).resolve())
        assert any("DejaVuSans" in Path(f).name for f in files[1:])  # Latin fallback
    # and no "missing glyph" warnings when drawing
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.draw_without_rendering()


def test_keyness_plot_does_not_change_global_rcparams(table):
    before = list(mpl.rcParams["font.family"])
    keyness_plot(table, n=3)
    fightin_words_plot(table, n=3)
    assert list(mpl.rcParams["font.family"]) == before


def test_keyness_plot_into_existing_axes(table):
    fig = Figure()
    ax = fig.add_subplot()
    assert keyness_plot(table, n=2, ax=ax) is fig
    assert len(ax.patches) == 4


def test_keyness_plot_rejects_non_table():
    import pandas as pd

    with pytest.raises(ValueError, match="keyness"):
        keyness_plot(pd.DataFrame({"x": [1]}))


# ---------------------------------------------------------------------------
# fightin_words_plot
# ---------------------------------------------------------------------------


def test_fightin_words_plot(table):
    fig = fightin_words_plot(table, n=4)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    offsets = np.concatenate([c.get_offsets() for c in ax.collections])
    assert len(offsets) == len(table)
    annotated = [t for t in ax.texts if t.get_text() in {rtl(x) for x in table["term"]}]
    n_sig_t = int((table["log_odds_z"] >= 1.96).sum())
    n_sig_r = int((table["log_odds_z"] <= -1.96).sum())
    assert len(annotated) == min(4, n_sig_t) + min(4, n_sig_r)
    strongest = table.loc[table["log_odds_z"].idxmax(), "term"]
    assert rtl(strongest) in [t.get_text() for t in annotated]
    # labels do not overlap each other
    fig.draw_without_rendering()
    r = fig._get_renderer()
    boxes = [t.get_window_extent(r) for t in annotated]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not boxes[i].overlaps(boxes[j]), (annotated[i].get_text(), annotated[j].get_text())


# ---------------------------------------------------------------------------
# save_figure
# ---------------------------------------------------------------------------


def test_save_figure_byte_identical(table, tmp_path):
    fig = keyness_plot(table, n=5)
    p1 = save_figure(fig, tmp_path / "a" / "kw", dpi=80)
    p2 = save_figure(fig, tmp_path / "b" / "kw.png", dpi=80)  # suffix is stripped
    assert [p.name for p in p1] == ["kw.png", "kw.svg"] == [p.name for p in p2]
    for x, y in zip(p1, p2):
        assert x.read_bytes() == y.read_bytes()
    # a freshly built figure gives the same bytes too
    p3 = save_figure(keyness_plot(table, n=5), tmp_path / "c" / "kw", dpi=80)
    for x, y in zip(p1, p3):
        assert x.read_bytes() == y.read_bytes()
    svg = p1[1].read_text(encoding="utf-8")
    assert "<dc:date>" not in svg
    assert p1[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"Software" not in p1[0].read_bytes()


def test_save_figure_fightin_words_and_pdf(table, tmp_path):
    fig = fightin_words_plot(table, n=4)
    a = save_figure(fig, tmp_path / "x", formats=("png", "svg", "pdf"), dpi=80)
    b = save_figure(fig, tmp_path / "y", formats=("png", "svg", "pdf"), dpi=80)
    for x, y in zip(a, b):
        assert x.read_bytes() == y.read_bytes(), x.name
    with pytest.raises(ValueError, match="unsupported format"):
        save_figure(fig, tmp_path / "z", formats=("bmp",))
