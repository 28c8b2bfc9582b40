"""Arabic font handling for matplotlib figures.

The workbench ships **Noto Naskh Arabic** (regular and bold, SIL Open Font
Licence 1.1, see ``workbench/data/fonts/OFL.txt``) as package data, so figures
look the same on every machine, whatever fonts the system has.

matplotlib (>= 3.11) lays text out with libraqm, which shapes Arabic
(joining forms, ligatures) and applies the Unicode bidirectional algorithm by
itself. Labels must therefore be passed as plain logical-order Unicode
strings: **never** pre-process them with ``arabic-reshaper`` or
``python-bidi`` -- that would shape/reverse them a second time and print
garbage.

Noto Naskh Arabic covers Arabic script, digits and a little punctuation but no
Latin letters; matplotlib's per-glyph font fallback takes those from DejaVu
Sans, which is why the font family is set to the list
``["Noto Naskh Arabic", "DejaVu Sans"]``.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager

__all__ = [
    "ARABIC_FONT_FAMILY",
    "FALLBACK_FONT_FAMILY",
    "FONT_FAMILIES",
    "font_path",
    "register_fonts",
    "font_rc",
    "has_arabic",
    "rtl",
    "RLM",
]

ARABIC_FONT_FAMILY = "Noto Naskh Arabic"
FALLBACK_FONT_FAMILY = "DejaVu Sans"
#: value for ``rcParams["font.family"]``: Arabic first, Latin fallback second.
FONT_FAMILIES = [ARABIC_FONT_FAMILY, FALLBACK_FONT_FAMILY]

_FONT_FILES = {
    False: "NotoNaskhArabic-Regular.ttf",
    True: "NotoNaskhArabic-Bold.ttf",
}

#: U+200F RIGHT-TO-LEFT MARK: a strong RTL character with no glyph.
RLM = "\u200f"

# Arabic, Arabic Supplement, Arabic Extended-B/-A, Presentation Forms-A/-B.
_ARABIC_RE = re.compile("[\u0600-\u06ff\u0750-\u077f\u0870-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")


def font_path(bold: bool = False) -> Path:
    """Path of the shipped Noto Naskh Arabic ``.ttf`` (regular or bold)."""
    ref = resources.files("workbench").joinpath("data", "fonts", _FONT_FILES[bool(bold)])
    # The package is installed as plain files (no zip import), so this is a real path.
    return Path(str(ref))


def _registered_paths() -> set[str]:
    return {str(Path(f.fname).resolve()) for f in font_manager.fontManager.ttflist}


def register_fonts(set_rcparams: bool = True) -> str:
    """Register the shipped Arabic font with matplotlib; return its family name.

    Adds the regular and bold ``.ttf`` files to
    ``matplotlib.font_manager.fontManager`` (only once: calling this again is a
    no-op) and, if *set_rcparams* is true, sets
    ``rcParams["font.family"] = ["Noto Naskh Arabic", "DejaVu Sans"]`` so that
    Arabic text uses the shipped font and Latin letters fall back to DejaVu
    Sans. The plotting functions in :mod:`workbench.plots` call this with
    ``set_rcparams=False`` and apply :func:`font_rc` locally instead, so they do
    not change global state.
    """
    known = _registered_paths()
    for bold in (False, True):
        path = font_path(bold)
        if str(path.resolve()) not in known:
            font_manager.fontManager.addfont(str(path))
    if set_rcparams:
        mpl.rcParams["font.family"] = list(FONT_FAMILIES)
    return ARABIC_FONT_FAMILY


def font_rc() -> dict:
    """rcParams for a ``matplotlib.rc_context`` using the Arabic font (registers it).

    Also ``text.parse_math = False``: labels are corpus text (terms, titles, group and topic names),
    and with mathtext on, a ``$...$`` in one of them is parsed as TeX -- ``$\\require{x}$`` stops
    the figure with a ParseFatalException. Texts made inside the context keep the setting.
    """
    register_fonts(set_rcparams=False)
    return {"font.family": list(FONT_FAMILIES), "text.parse_math": False}


def has_arabic(text: str) -> bool:
    """True if *text* contains at least one Arabic-script character."""
    return bool(_ARABIC_RE.search(str(text)))


def rtl(label) -> str:
    """Return *label* so that matplotlib lays it out right-to-left if it is Arabic.

    matplotlib determines a string's base direction from its first strong
    character, so a label such as ``"ISIS داعش"`` or ``"SDF / قسد"`` that
    *starts* with Latin would be laid out left-to-right. If *label* contains
    Arabic script, a U+200F RIGHT-TO-LEFT MARK is prefixed (once) to force an
    RTL paragraph direction; labels without Arabic are returned unchanged.
    The text itself stays in logical order and unshaped -- matplotlib shapes
    it. ``None``/NaN and non-strings are converted with ``str``.
    """
    text = "" if label is None else str(label)
    if has_arabic(text) and not text.startswith(RLM):
        return RLM + text
    return text
