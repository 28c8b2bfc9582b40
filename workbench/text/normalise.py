"""Arabic text normalisation on top of camel-tools, as a plain reference chain and a fast equivalent.

The reference chain (:func:`reference_normalise`) is the obvious sequence of camel-tools calls, in
this order:

1. ``normalize_unicode`` (camel-tools: ﷼/﷽ expanded, then Unicode NFKC: presentation forms,
   ligatures such as ﻻ, full-width and compatibility characters become ordinary ones, decomposed
   hamza/madda sequences are composed).
2. Persian/Urdu/Kurdish letter folding (``fold_persian``, :data:`PERSIAN_MAP`). It runs *before*
   ``arclean`` because ``arclean`` would otherwise map ی (Farsi yeh) to ى and delete ە (ae).
3. camel-tools ``arclean`` (``CharMapper.builtin_mapper('arclean')``): keeps Arabic letters, ASCII and
   Latin-1 letters; maps Arabic punctuation to ASCII (، → ``,``, ؛ → ``;``, ؟ → ``?``), curly quotes
   and «» to ``"``, ZWNJ/ZWJ and other odd spaces to a space, Arabic-Indic and Extended
   Arabic-Indic digits to 0-9, remaining Arabic-script letters to their Arabic base letters; deletes
   diacritics, tatweel and every character it has no entry for (emoji, other scripts). With
   ``digits="keep"`` the two Arabic digit sets are exempted from ``arclean`` and kept as written.
4. ``dediac_ar`` (diacritics; already removed by ``arclean``, kept so the chain says what it does).
5. Tatweel (U+0640) removal (likewise already done by ``arclean``).
6. ``normalize_alef_ar``, ``normalize_alef_maksura_ar``, ``normalize_teh_marbuta_ar``, each if
   switched on in :class:`~workbench.text.settings.TextSettings`.

Fast path (:func:`normalise`): steps 2-6 are all per-character mappings, so their composition is one
per-character mapping. :class:`Normaliser` builds it once as a ``str.translate`` table *by running
the camel-tools functions of the reference chain on every character they have an entry for* (so the
table follows camel-tools if its maps change); characters that ``arclean`` has no entry for map to
nothing, which is ``arclean``'s own default. Step 1 stays a real ``unicodedata.normalize`` call
(NFKC is not per-character). The result is character-for-character identical to the reference.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from camel_tools.utils.charmap import CharMapper
from camel_tools.utils.dediac import dediac_ar
from camel_tools.utils.normalize import (
    normalize_alef_ar,
    normalize_alef_maksura_ar,
    normalize_teh_marbuta_ar,
    normalize_unicode,
)

from .settings import TextSettings

__all__ = [
    "PERSIAN_MAP",
    "ARABIC_INDIC_DIGITS",
    "Normaliser",
    "get_normaliser",
    "normalise",
    "reference_normalise",
]

TATWEEL = "\u0640"

#: Persian, Urdu and Kurdish letter forms folded to the Arabic letters an Arabic reader expects.
PERSIAN_MAP: dict[str, str] = {
    "\u06a9": "\u0643",  # ک keheh -> ك
    "\u06aa": "\u0643",  # ڪ swash kaf -> ك
    "\u06cc": "\u064a",  # ی farsi yeh -> ي (arclean would give ى)
    "\u06d0": "\u064a",  # ې e -> ي
    "\u06d2": "\u064a",  # ے yeh barree -> ي
    "\u06c0": "\u0647",  # ۀ heh with yeh above -> ه
    "\u06c1": "\u0647",  # ہ heh goal -> ه
    "\u06c2": "\u0647",  # ۂ heh goal with hamza -> ه
    "\u06d5": "\u0647",  # ە ae -> ه (arclean would delete it)
    "\u06be": "\u0647",  # ھ heh doachashmee -> ه
    "\u06c3": "\u0629",  # ۃ teh marbuta goal -> ة
}

#: Arabic-Indic (U+0660-0669) and Extended Arabic-Indic (U+06F0-06F9) digits.
ARABIC_INDIC_DIGITS = "".join(chr(c) for c in range(0x0660, 0x066A)) + "".join(
    chr(c) for c in range(0x06F0, 0x06FA)
)
_DIGIT_RUN_RE = re.compile(f"([{ARABIC_INDIC_DIGITS}]+)")

_ARCLEAN = CharMapper.builtin_mapper("arclean")
_PERSIAN_TABLE = str.maketrans(PERSIAN_MAP)


def _norm_key(settings: TextSettings) -> tuple:
    return (settings.alef, settings.alef_maksura, settings.teh_marbuta, settings.fold_persian, settings.digits)


# --------------------------------------------------------------------------- reference chain
def _arclean(s: str, keep_digits: bool) -> str:
    if not keep_digits:
        return _ARCLEAN(s)
    parts = _DIGIT_RUN_RE.split(s)  # odd indices are digit runs, exempted from arclean
    return "".join(p if i % 2 else _ARCLEAN(p) for i, p in enumerate(parts))


def _after_unicode(s: str, key: tuple) -> str:
    """Steps 2-6 of the reference chain (all per-character)."""
    alef, alef_maksura, teh_marbuta, fold_persian, digits = key
    if fold_persian:
        s = s.translate(_PERSIAN_TABLE)
    s = _arclean(s, digits == "keep")
    s = dediac_ar(s)
    s = s.replace(TATWEEL, "")
    if alef:
        s = normalize_alef_ar(s)
    if alef_maksura:
        s = normalize_alef_maksura_ar(s)
    if teh_marbuta:
        s = normalize_teh_marbuta_ar(s)
    return s


def reference_normalise(text: str, settings: TextSettings) -> str:
    """Normalise ``text`` with the plain camel-tools chain (steps 1-6 of the module docstring).

    Slow and obvious on purpose: it is the definition that :func:`normalise` must reproduce.
    """
    return _after_unicode(normalize_unicode(text), _norm_key(settings))


# --------------------------------------------------------------------------- fast path
def _unicode_fix_table() -> dict[int, str]:
    """camel-tools' pre-NFKC character fixes (﷼, ﷽) as a translate table, read from camel-tools."""
    charmap = getattr(normalize_unicode.__globals__.get("_UNICODE_CHAR_FIX"), "_charmap", None)
    if not charmap:  # pragma: no cover - camel-tools internals moved; fall back to probing
        charmap = {c: normalize_unicode(c) for c in "\ufdfc\ufdfd"}
    return {ord(k): v for k, v in charmap.items() if v is not None}


class Normaliser:
    """Fast, identical equivalent of :func:`reference_normalise` for one set of options.

    ``Normaliser(settings)(text)`` = ``reference_normalise(text, settings)`` for every string.
    Attributes useful to the tokeniser: ``alphabet`` (every character an output can contain).
    """

    def __init__(self, settings: TextSettings):
        key = _norm_key(settings)
        self.key = key
        self._fix = _unicode_fix_table()
        fix_chars = "".join(chr(c) for c in self._fix) or "\U0010ffff"
        self._fix_search = re.compile(f"[{re.escape(fix_chars)}]").search
        if getattr(_ARCLEAN, "_default", "") != "":  # pragma: no cover - guards the table's premise
            raise RuntimeError("camel-tools arclean no longer deletes unmapped characters")
        domain = set(getattr(_ARCLEAN, "_charmap", {})) | set(PERSIAN_MAP) | set(ARABIC_INDIC_DIGITS)
        domain |= set(PERSIAN_MAP.values())
        # Table as a list indexed by code point: None deletes (arclean's default for unmapped chars).
        table: list = [None] * 0x110000
        alphabet: set[str] = set()
        for ch in domain:
            out = _after_unicode(ch, key)
            table[ord(ch)] = out if len(out) != 1 else ord(out)
            alphabet.update(out)
        self._table = table
        self.alphabet = frozenset(alphabet)

    def __call__(self, text: str) -> str:
        if self._fix_search(text) is not None:
            text = text.translate(self._fix)
        return unicodedata.normalize("NFKC", text).translate(self._table)


@lru_cache(maxsize=16)
def _normaliser_for_key(key: tuple) -> Normaliser:
    alef, alef_maksura, teh_marbuta, fold_persian, digits = key
    return Normaliser(
        TextSettings(alef=alef, alef_maksura=alef_maksura, teh_marbuta=teh_marbuta,
                     fold_persian=fold_persian, digits=digits)
    )


def get_normaliser(settings: TextSettings) -> Normaliser:
    """Return the (cached) :class:`Normaliser` for the normalisation options of ``settings``."""
    return _normaliser_for_key(_norm_key(settings))


def normalise(text: str, settings: TextSettings | None = None) -> str:
    """Normalise ``text`` (fast path); identical to :func:`reference_normalise`."""
    return get_normaliser(settings or TextSettings())(text)
