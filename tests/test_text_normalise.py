"""Normalisation: the fast path equals the camel-tools chain, and every switch does what it says."""

from __future__ import annotations

import random

import pytest

from workbench.text.normalise import get_normaliser, normalise, reference_normalise
from workbench.text.settings import TextSettings

DEFAULT = TextSettings()
ALL_OFF = TextSettings(alef=False, alef_maksura=False, teh_marbuta=False, fold_persian=False, digits="keep")
ALL_ON = TextSettings(teh_marbuta=True)
SETTINGS = [DEFAULT, ALL_OFF, ALL_ON]

TRICKY = [
    "",
    " ",
    "مُحَمَّدٌ رَسُولُ اللَّهِ",  # diacritics
    "جـــــاسم الـــعربية",  # tatweel
    "کتاب یک ۀ ە ے ہ ھ ۃ گ پ چ ژ",  # Persian / Urdu / Kurdish letters
    "٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹ 0123456789",  # both Arabic digit sets and ASCII
    "Hello WORLD élan Ærø ß",  # Latin, Latin-1
    "https://www.facebook.com/x/?a=1&b=2 mail@example.com",
    "😀👍🏽 🇪🇬 1️⃣ ❤️",  # emoji, skin tone, flag, keycap, variation selector
    "قال، ثم؛ لماذا؟",  # Arabic punctuation
    "“داعش” ‘x’ «النظام» „y“",  # curly quotes and guillemets
    "می\u200cخواهم a\u200db \u200f\u200e\ufeff",  # ZWNJ, ZWJ, RLM, LRM, BOM
    "Cairo القاهرة 2013 مصر—Egypt",  # mixed scripts
    "ﻻ ﷲ ﷺ ﷼ ﷽ ﺍﻟﻌﺮﺑﻴﺔ",  # ligatures and presentation forms
    "ا\u0653 ا\u0654 ا\u0655 و\u0654 ي\u0654",  # decomposed madda / hamza
    "tab\there\nnew\rline\x85nel\x0bvt\x1cfs",
    "\u00a0nbsp\u2009thin\u3000ideo",
    "إلى أن آمن ٱلله على مدرسة",
    "100% ٪ ٫ ٬ … ‰",
]


@pytest.mark.parametrize("settings", SETTINGS, ids=["default", "all-off", "all-on"])
@pytest.mark.parametrize("text", TRICKY)
def test_fast_equals_reference_on_tricky_strings(text, settings):
    assert normalise(text, settings) == reference_normalise(text, settings)


@pytest.mark.parametrize("settings", [DEFAULT, ALL_OFF], ids=["default", "all-off"])
def test_fast_equals_reference_for_every_bmp_character(settings):
    n = get_normaliser(settings)
    bad = [hex(c) for c in range(0x10000) if 0xD800 > c or c > 0xDFFF
           if n(chr(c)) != reference_normalise(chr(c), settings)]
    assert bad == []


def test_fast_equals_reference_on_random_strings():
    rng = random.Random(2013)
    pools = [
        [chr(c) for c in range(0x0600, 0x0700)],
        [chr(c) for c in range(0x0750, 0x0780)],
        [chr(c) for c in range(0xFB50, 0xFBB2)] + [chr(c) for c in range(0xFE70, 0xFEFD)],
        [chr(c) for c in range(0x20, 0x7F)],
        [chr(c) for c in range(0xA0, 0x180)],
        [chr(c) for c in range(0x2000, 0x2070)],
        list("\u0300\u0301\u0338\u064b\u0651\u0653\u0654\u0655\u0670\ufe0f\u20e3\u200d"),
        ["😀", "👍", "🏽", "🇪", "🇬", "\U000e0067", "ﷲ", "ﷺ", "﷼", "﷽"],
        list(" \t\n\r\x0b\x0c\x1c\x85\xa0\u2028\u3000"),
    ]
    for settings in SETTINGS:
        for _ in range(400):
            s = "".join(rng.choice(rng.choice(pools)) for _ in range(rng.randint(0, 25)))
            assert normalise(s, settings) == reference_normalise(s, settings), repr(s)


def test_diacritics_and_tatweel_removed():
    assert normalise("مُحَمَّدٌ", DEFAULT) == "محمد"
    assert normalise("جـــــاسم", DEFAULT) == "جاسم"


def test_alef_switch():
    assert normalise("أحمد إلى آخر ٱلله", DEFAULT) == "احمد الي اخر الله"
    assert normalise("أحمد إلى آخر", DEFAULT.replace(alef=False)) == "أحمد إلي آخر"


def test_alef_maksura_switch():
    assert normalise("على مصطفى", DEFAULT) == "علي مصطفي"
    assert normalise("على مصطفى", DEFAULT.replace(alef_maksura=False)) == "على مصطفى"


def test_teh_marbuta_switch():
    assert normalise("مدرسة", DEFAULT) == "مدرسة"  # off by default
    assert normalise("مدرسة", DEFAULT.replace(teh_marbuta=True)) == "مدرسه"


def test_persian_folding():
    s = DEFAULT.replace(alef_maksura=False)
    assert normalise("کتاب", s) == "كتاب"
    assert normalise("یک", s) == "يك"  # Farsi yeh -> Arabic yeh
    assert normalise("ە ۀ ہ ھ", s) == "ه ه ه ه"
    off = s.replace(fold_persian=False)
    assert normalise("یک", off) == "ىك"  # arclean alone maps Farsi yeh to alef maksura
    assert normalise("ە", off) == ""  # ... and deletes ae


def test_digits_switch():
    assert normalise("٢٠١٣ ۲۰۱۳", DEFAULT) == "2013 2013"
    assert normalise("٢٠١٣ ۲۰۱۳", DEFAULT.replace(digits="keep")) == "٢٠١٣ ۲۰۱۳"


def test_arclean_punctuation_and_quotes():
    assert normalise("قال، ثم؛ لماذا؟ “داعش” «x»", DEFAULT) == 'قال, ثم; لماذا? "داعش" "x"'


def test_zero_width_joiners_become_spaces_and_emoji_vanish():
    assert normalise("می\u200cخواهم", DEFAULT) == "مي خواهم"
    assert normalise("رائع😀", DEFAULT) == "رائع"


def test_normaliser_is_cached_per_normalisation_options():
    assert get_normaliser(DEFAULT) is get_normaliser(DEFAULT.replace(min_length=5, urls="keep"))
    assert get_normaliser(DEFAULT) is not get_normaliser(ALL_OFF)
