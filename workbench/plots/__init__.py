"""Figures (matplotlib) with Arabic text support.

Arabic labels are passed to matplotlib as plain Unicode strings: matplotlib
>= 3.11 shapes Arabic and applies the bidi algorithm itself (do not use
arabic-reshaper or python-bidi). See :mod:`workbench.plots.fonts`.
"""

from workbench.plots.fonts import (
    ARABIC_FONT_FAMILY,
    FONT_FAMILIES,
    font_path,
    font_rc,
    has_arabic,
    register_fonts,
    rtl,
)
from workbench.plots.figure import save_figure
from workbench.plots.keyness import fightin_words_plot, keyness_plot

__all__ = [
    "ARABIC_FONT_FAMILY",
    "FONT_FAMILIES",
    "fightin_words_plot",
    "font_path",
    "font_rc",
    "has_arabic",
    "keyness_plot",
    "register_fonts",
    "rtl",
    "save_figure",
]
