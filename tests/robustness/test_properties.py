"""Property-based tests (Hypothesis) of the text pipeline and the keyness statistics.

Scraped text holds anything: diacritics, tatweel, presentation forms, bidi controls, zero-width
characters, Latin, digits and symbols side by side. Rather than list cases by hand, these tests let
Hypothesis generate such strings and check laws that must hold for every input:

* normalisation is idempotent (normalising twice changes nothing), for every text setting;
* the fast tokeniser is token-for-token the camel-tools reference chain;
* tokenising never invents an Arabic letter: each token's letters come from the normalised text;
* keyness is antisymmetric: swapping target and reference keeps G² and p, negates every signed
  measure and swaps the direction and the per-side columns.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.stats.keyness import keyness
from workbench.text import TextSettings
from workbench.text.normalise import normalise
from workbench.text.tokenise import reference_tokenise, tokenise, tokenise_spans

# Characters scraped Arabic news is made of, over-weighting the troublesome ones.
_ARABIC = "ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوىي"
_MARKS = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670\u0640"      # harakat, dagger alef, tatweel
_PRESENTATION = "\ufefb\ufef5\ufe8d\ufe8e\ufee1\ufee2\ufb50\ufb51\ufdf2\ufdfa"  # ﻻ ﻵ ﺍ ... ﷲ ﷺ
_PERSIAN = "کگیپچژە"
_INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
_DIGITS = "0123456789٠١٢٣٤٥٦٧٨٩۰۱۲۳"
_PUNCT = "،؛؟.,!?:;\"'«»()[]-_/@#%&*<>\u2028\u2029\u0085\t\n "

_alphabet = st.sampled_from(
    list(_ARABIC) * 4 + list(_MARKS) + list(_PRESENTATION) + list(_PERSIAN) + list(_INVISIBLE)
    + list(_DIGITS) + list(_PUNCT) * 2 + list("abcXYZéü")
)
texts = st.one_of(
    st.text(_alphabet, max_size=80),
    st.text(max_size=40),  # anything at all, surrogates excluded by Hypothesis
)
setting_variants = st.builds(
    TextSettings,
    alef=st.booleans(), alef_maksura=st.booleans(), teh_marbuta=st.booleans(),
    fold_persian=st.booleans(), digits=st.sampled_from(["ascii", "keep"]),
    remove_stopwords=st.booleans(), min_length=st.integers(0, 3),
    latin=st.sampled_from(["keep", "drop"]), numbers=st.sampled_from(["keep", "drop"]),
)

PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _arabic_letters(s: str) -> Counter:
    return Counter(c for c in s if "\u0621" <= c <= "\u064a" or c in "\u0671\u06a9\u06af\u06cc")


@PROFILE
@given(texts, setting_variants)
def test_normalisation_is_idempotent(text, ts):
    once = normalise(text, ts)
    assert normalise(once, ts) == once


@PROFILE
@given(texts, setting_variants)
def test_fast_tokeniser_matches_the_camel_tools_chain(text, ts):
    assert tokenise(text, ts) == reference_tokenise(text, ts)


@PROFILE
@given(texts, setting_variants)
def test_tokenising_never_invents_arabic_letters(text, ts):
    available = _arabic_letters(normalise(text, ts))
    used = Counter()
    for tok in tokenise(text, ts):
        used += _arabic_letters(tok)
    assert not used - available, f"tokens use letters not in the normalised text: {used - available}"


@PROFILE
@given(texts, setting_variants)
def test_token_spans_give_the_same_tokens_and_point_at_their_words(text, ts):
    spans = tokenise_spans(text, ts)
    assert [t for t, _, _ in spans] == tokenise(text, ts)
    for tok, start, end in spans:
        assert 0 <= start < end <= len(text)
        assert tok in tokenise(text[start:end], ts) or (start, end) == (0, len(text))


@st.composite
def two_groups(draw):
    n_docs = draw(st.integers(4, 12))
    n_terms = draw(st.integers(2, 8))  # one term would be every token: log-odds undefined
    counts = draw(st.lists(st.integers(0, 6), min_size=n_docs * n_terms, max_size=n_docs * n_terms))
    X = np.array(counts, dtype=np.int64).reshape(n_docs, n_terms)
    side = np.array(draw(st.lists(st.booleans(), min_size=n_docs, max_size=n_docs)))
    # both groups need documents and tokens, or keyness refuses (with a message) by design
    if side.all() or not side.any() or X[side].sum() == 0 or X[~side].sum() == 0:
        side = np.zeros(n_docs, bool)
        side[: n_docs // 2] = True
        X[0, 0] += 1
        X[-1, -1] += 1
    X[0, 1] += 1  # no term is every token of the corpus (its log-odds would be undefined)
    X[-1, 0] += 1
    outlets = np.array([f"o{i % 3}" for i in range(n_docs)])
    return sp.csr_array(X), side, outlets


SIGNED = ["log_ratio", "lrc", "log_odds", "log_odds_z"]
SAME = ["G2", "p", "p_adj", "chi2_yates"]
SWAPPED = [("n_target", "n_reference"), ("freq_target", "freq_reference"),
           ("docs_target", "docs_reference"), ("outlets_target", "outlets_reference")]


@PROFILE
@given(two_groups())
def test_keyness_is_antisymmetric_when_the_groups_are_swapped(data):
    X, side, outlets = data
    vocab = [f"t{i}" for i in range(X.shape[1])]
    ab = keyness(X, vocab, side, ~side, outlets=outlets).set_index("term").sort_index()
    ba = keyness(X, vocab, ~side, side, outlets=outlets).set_index("term").sort_index()
    assert list(ab.index) == list(ba.index)
    for col in SAME:
        np.testing.assert_allclose(ab[col].astype(float), ba[col].astype(float), rtol=1e-9, atol=1e-12,
                                   err_msg=col)
    for col in SIGNED:
        np.testing.assert_allclose(ab[col].astype(float), -ba[col].astype(float), rtol=1e-9, atol=1e-12,
                                   err_msg=col)
    for a, b in SWAPPED:
        pd.testing.assert_series_equal(ab[a], ba[b], check_names=False, check_dtype=False)
    flip = {"target": "reference", "reference": "target", "none": "none"}
    assert list(ab["direction"]) == [flip[d] for d in ba["direction"]]

