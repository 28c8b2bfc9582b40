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
match in a :class:`~workbench.tokens.TokenIndex` at once: each part of the query is tested on the
distinct token forms (Arrow compute kernels, no Python loop over the corpus), and the matches are
found through the code of every token's form.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

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

    def _forms(self, index: TokenIndex, part: tuple[str, str | None]) -> np.ndarray:
        """Codes of the distinct forms of ``index`` that ``part`` matches."""
        kind, arg = part
        try:
            return index.vocabulary().matching(kind, arg)
        except pa.ArrowInvalid as e:
            raise ArgumentError(f"query '{self.query}': not a valid regular expression ({e})") from None

    def starts(self, index: TokenIndex) -> np.ndarray:
        """Flat positions (into ``index.values``, sorted, ``int64``) where a match starts.

        Each part is tested on the distinct forms (:meth:`TokenIndex.vocabulary`), not on every
        token: the first part gives the candidate starts through the forms' codes, each further
        part keeps the candidates whose token at its offset has a matching form.
        """
        n, k = index.n_tokens, len(self.parts)
        if n < k:
            return np.empty(0, np.int64)
        vocab = index.vocabulary()
        if self.parts[0][0] == "any":
            starts = np.arange(n - k + 1, dtype=np.int64)
        else:
            starts = vocab.positions(self._forms(index, self.parts[0]))
            starts = starts[starts <= n - k]
        for j in range(1, k):
            if len(starts) and self.parts[j][0] != "any":
                member = vocab.member(self._forms(index, self.parts[j]))
                starts = starts[member[vocab.codes[starts + j]]]
        if k > 1 and len(starts):  # a phrase never runs over the end of its document
            starts = starts[starts + k <= index.offsets[index.doc_of(starts) + 1]]
        return starts

    def find(self, index: TokenIndex) -> tuple[np.ndarray, np.ndarray]:
        """``(doc_rows, positions)`` of every match: the document (row of the analysis' docs) and the
        position of the match's first token within that document, in corpus order."""
        starts = self.starts(index)
        docs = index.doc_of(starts)
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
