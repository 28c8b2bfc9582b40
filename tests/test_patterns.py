"""Close-reading queries: words, phrases, wildcards, clitics and regular expressions on normalised tokens."""
import numpy as np
import pyarrow as pa
import pytest

from workbench.errors import ArgumentError
from workbench.reading.patterns import compile_query
from workbench.text import TextSettings
from workbench.tokens import TokenIndex

ALL_WORDS = TextSettings(remove_stopwords=False, min_length=1)


def index_of(*docs: list[str]) -> TokenIndex:
    col = pa.array([list(d) for d in docs], pa.list_(pa.string()))
    return TokenIndex(col.flatten(), np.asarray(col.offsets, dtype=np.int64))


DOCS = index_of(
    ["قوات", "النظام", "قصفت", "البلدة", "وبالنظام", "للنظام"],
    ["الاسد", "قال", "قوات", "سوريا", "الديمقراطية", "فالنظام"],
    ["الميليشيات", "ميليشيا", "قوات"],           # a phrase must not run over into the next document
    ["النظام", "والنظام", "نظام"],
)


def hits(query, **kw):
    docs, pos = compile_query(query, ALL_WORDS, **kw).find(DOCS)
    return list(zip(docs.tolist(), pos.tolist()))


def test_a_word_is_matched_after_the_same_normalisation_as_the_corpus():
    assert hits("الأسد") == hits("الاسد") == hits("الأسدُ") == [(1, 0)]
    assert hits("النظام") == [(0, 1), (3, 0)]


def test_clitics_are_matched_only_when_asked():
    assert hits("النظام", clitics=True) == [(0, 1), (0, 4), (0, 5), (1, 5), (3, 0), (3, 1)]
    assert hits("نظام", clitics=True) == [(0, 1), (0, 4), (0, 5), (1, 5), (3, 0), (3, 1), (3, 2)]
    assert hits("نظام") == [(3, 2)]


def test_phrases_and_wildcards():
    assert hits("قوات النظام") == [(0, 0)]
    assert hits("قوات *") == [(0, 0), (1, 2)]              # not the last word of document 2
    assert hits("قوات * الديمقراطية") == [(1, 2)]
    assert hits("*ميليشي*") == [(2, 0), (2, 1)]
    assert hits("ميليشي*") == [(2, 1)]


def test_regular_expressions_match_whole_tokens():
    assert hits("ال.*ام", regex=True) == [(0, 1), (3, 0)]
    assert hits("[وفل]+النظام|للنظام", regex=True) == [(0, 5), (1, 5), (3, 1)]
    with pytest.raises(ArgumentError, match="not a valid regular expression"):
        compile_query("(", ALL_WORDS, regex=True)


def test_bad_queries_are_one_line_errors():
    for bad in ("", "   ", "* *", "،"):
        with pytest.raises(ArgumentError, match="query|empty"):
            compile_query(bad, ALL_WORDS)


def test_counts_per_document():
    assert compile_query("قوات", ALL_WORDS).count(DOCS).tolist() == [1, 1, 1, 0]
