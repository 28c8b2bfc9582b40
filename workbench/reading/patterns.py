"""Queries for close reading: words, phrases, wildcards, attached clitics and regular expressions.

A query is matched against the normalised tokens of an analysis (the same normalisation as every
other count), so "الأسد" finds "الاسد" and "الأسدُ" alike. Forms:

* a word: ``النظام`` — the token itself;
* a phrase: ``قوات النظام`` — consecutive tokens;
* wildcards: ``*`` stands for any letters inside one token (``*ميليشي*``) or for a whole token
  (``قوات *``);
* clitics (``clitics=True``): a word also matches with the proclitics Arabic attaches to it —
  conjunctions و/ف, prepositions ب/ك/ل and the article ال — so ``النظام`` also finds ``وبالنظام``,
  ``للنظام`` and ``فالنظام``, and ``نظام`` finds ``والنظام`` (light stemming of prefixes, in the spirit of
  Larkey, Ballesteros & Connell 2002; segmentation by a morphological analyser is issue 13's);
* a regular expression (``regex=True``): each space-separated part is an RE2 expression that must
  match a whole token (``ال.*قراط.*``), for experts.

:func:`compile_query` turns a query into a :class:`Pattern`; :meth:`Pattern.find` returns every
match in a :class:`~workbench.tokens.TokenIndex` at once (Arrow compute kernels over all tokens, no
Python loop over the corpus).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ArgumentError
from ..text import TextSettings
from ..tokens import TokenIndex

WILDCARD = "*"
_CONJ = "[وف]?"


def _clitic_regex(word: str) -> str:
    """RE2 for ``word`` with optional attached proclitics (و/ف, then ب/ك/ل, then the article)."""
    if word.startswith("ال") and len(word) > 2:
        stem = re.escape(word[2:])
        return f"^{_CONJ}(?:[بك]?ال|لل){stem}$"
    # ب/ك with or without the article, ل alone, or ل + article contracted to لل
    return f"^{_CONJ}(?:[بك]?(?:ال)?|لل?){re.escape(word)}$"


@dataclass(frozen=True)
class Pattern:
    """A compiled query: one matcher per token of the phrase.

    Each matcher is ``("equal", token)``, ``("regex", re2)`` or ``("any", None)``.
    """

    query: str
    parts: tuple[tuple[str, str | None], ...]

    def __len__(self) -> int:
        return len(self.parts)

    def _mask(self, values: pa.Array, part: tuple[str, str | None]) -> np.ndarray:
        kind, arg = part
        if kind == "any":
            return np.ones(len(values), dtype=bool)
        if kind == "equal":
            m = pc.equal(values, arg)
        else:
            try:
                m = pc.match_substring_regex(values, pattern=arg)
            except pa.ArrowInvalid as e:
                raise ArgumentError(f"query '{self.query}': not a valid regular expression ({e})") from None
        return np.asarray(m.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)

    def find(self, index: TokenIndex) -> tuple[np.ndarray, np.ndarray]:
        """``(doc_rows, positions)`` of every match: the document (row of the analysis' docs) and the
        position of the match's first token within that document, in corpus order."""
        n = index.n_tokens
        k = len(self.parts)
        if n < k:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        hit = self._mask(index.values, self.parts[0])[: n - k + 1].copy()
        for j in range(1, k):
            if hit.any():
                hit &= self._mask(index.values, self.parts[j])[j:n - k + 1 + j]
        starts = np.flatnonzero(hit)
        docs = index.doc_of(starts)
        if k > 1:  # a phrase never runs over the end of its document
            keep = starts + k <= index.offsets[docs + 1]
            starts, docs = starts[keep], docs[keep]
        return docs.astype(np.int64), (starts - index.offsets[docs]).astype(np.int64)

    def count(self, index: TokenIndex) -> np.ndarray:
        """Matches per document."""
        docs, _ = self.find(index)
        return np.bincount(docs, minlength=index.n_docs)


def _word_part(word: str, settings: TextSettings, clitics: bool, query: str) -> list[tuple[str, str | None]]:
    from ..text.normalise import normalise
    from ..text.tokenise import tokenise

    if word == WILDCARD:
        return [("any", None)]
    if WILDCARD in word:
        pieces = [normalise(p, settings) for p in word.split(WILDCARD)]
        if not any(pieces):
            return [("any", None)]
        return [("regex", "^" + "[^ ]*".join(re.escape(p) for p in pieces) + "$")]
    toks = tokenise(word, settings)
    if not toks:
        raise ArgumentError(f"query '{query}': '{word}' gives no word after normalisation "
                            "(punctuation only, or too short for these text settings)")
    return [("regex", _clitic_regex(t)) if clitics else ("equal", t) for t in toks]


def compile_query(query: str, settings: TextSettings | None = None, *, clitics: bool = False,
                  regex: bool = False) -> Pattern:
    """Compile ``query`` (see the module docstring) for tokens made with ``settings``.

    Raises :class:`~workbench.errors.ArgumentError` for an empty query, a word that normalises to
    nothing, or an invalid regular expression.
    """
    settings = settings or TextSettings()
    words = str(query).split()
    if not words:
        raise ArgumentError("empty query: give a word, a phrase or a pattern such as 'قوات *'")
    parts: list[tuple[str, str | None]] = []
    for word in words:
        if regex:
            try:
                re.compile(word)
            except re.error as e:
                raise ArgumentError(f"query '{query}': '{word}' is not a valid regular expression ({e})") from None
            parts.append(("regex", f"^(?:{word})$"))
        else:
            parts += _word_part(word, settings, clitics, query)
    if all(kind == "any" for kind, _ in parts):
        raise ArgumentError(f"query '{query}': only wildcards; give at least one word")
    return Pattern(str(query), tuple(parts))
