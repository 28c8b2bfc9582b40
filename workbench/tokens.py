"""The ordered token stream of an analysis: each document's tokens, in order, and where they came from.

Counting (the document-term matrix) forgets order; coherence, phrases, concordances and
collocations need it. A :class:`TokenStream` reads the token cache an analysis built (one Parquet
row per stored article: ``id``, ``tokens``) for the analysis' documents only, in storage order,
one batch at a time, so memory does not grow with the corpus (gensim's "streams, not lists").

:meth:`TokenStream.spans` maps each token of one document back to the raw word of the original
text it came from (see :func:`workbench.text.tokenise.tokenise_spans`): a concordance shows what
the outlet printed, not the normalised token.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .corpus.store import Store
from .errors import StoreError
from .text import TextSettings
from .text.cache import iter_tokens

#: The fields of an article that are tokenised, in order, joined by a line break.
TOKEN_FIELDS = ("title", "text")


def document_text(title: str | None, text: str | None) -> str:
    """The text an article's tokens are made from: its title, a line break, its text."""
    return f"{title or ''}\n{text or ''}"


@dataclass
class TokenStream:
    """Tokens of the documents ``ids`` (a subset of ``store``), read from the cache file ``path``."""

    path: Path
    ids: np.ndarray
    settings: TextSettings
    store: Store

    def __len__(self) -> int:
        return len(self.ids)

    def batches(self, ids: Iterable[str] | None = None,
                batch_size: int = 5000) -> Iterator[list[tuple[str, list[str]]]]:
        """Batches of ``(id, tokens)`` in storage order, for every document or only ``ids``."""
        want = set(map(str, self.ids if ids is None else ids))
        for bid, btoks in iter_tokens(self.path, batch_size=batch_size):
            keep = [(i, t) for i, t in zip(bid, btoks) if i in want]
            if keep:
                yield keep

    def __iter__(self) -> Iterator[tuple[str, list[str]]]:
        for batch in self.batches():
            yield from batch

    def texts(self, ids: Iterable[str]) -> dict[str, str]:
        """The original text (title and text, as tokenised) of the documents ``ids``."""
        want = list(dict.fromkeys(map(str, ids)))
        out: dict[str, str] = {}
        for part in self.store.part_paths:
            try:
                table = pq.read_table(part, columns=["id", "title", "text"],
                                      filters=[("id", "in", want)])
            except (OSError, pa.ArrowException) as e:
                raise StoreError(f"{part}: cannot be read ({' '.join(str(e).split())[:200]}); the store "
                                 "is damaged: restore it from a backup or re-import it") from None
            for i, title, text in zip(*(table.column(c).to_pylist() for c in ("id", "title", "text"))):
                out[i] = document_text(title, text)
        return out

    def spans(self, doc_id: str) -> tuple[str, list[tuple[str, int, int]]]:
        """``(original text, [(token, start, end), ...])`` of one document.

        ``text[start:end]`` is the raw word the token came from; the tokens are those of the
        cache (same settings), in order.
        """
        text = self.texts([doc_id]).get(str(doc_id))
        if text is None:
            raise StoreError(f"document '{doc_id}' is not in this analysis' corpus store {self.store.path}")
        from .text.tokenise import tokenise_spans  # camel-tools: imported when text is read

        return text, tokenise_spans(text, self.settings)


@dataclass
class Vocabulary:
    """The distinct token forms of a :class:`TokenIndex` and the code of every token's form.

    ``forms[codes[i]]`` is token ``i``. A query tests the forms (about 190,000 in the 6.3 million
    tokens of the Egyptian corpus, so a regular expression takes a few milliseconds instead of a
    quarter of a second) and then finds the tokens through the codes (:meth:`positions`). Built
    with ``pyarrow.compute.dictionary_encode`` (0.2 s for those 6.3 million tokens, where
    ``numpy.unique(return_inverse=True)`` on Python strings takes 13 s).
    """

    forms: pa.Array
    codes: np.ndarray
    _matched: dict = field(default_factory=dict, init=False, repr=False)
    _scans: int = field(default=0, init=False, repr=False)
    _postings: tuple[np.ndarray, np.ndarray] | None = field(default=None, init=False, repr=False)

    #: Scans of every token's code after which the inverted index is built: by then the scans have
    #: cost about what building it does (an argsort of the codes), so a burst of queries (a lexicon
    #: of hundreds of entries) is never more than twice as slow as the best strategy in hindsight.
    SCANS_BEFORE_POSTINGS = 40

    @classmethod
    def of(cls, values: pa.Array) -> "Vocabulary":
        enc = pc.dictionary_encode(values, null_encoding="encode")
        codes = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int32)
        return cls(enc.dictionary, codes)

    def __len__(self) -> int:
        return len(self.forms)

    def matching(self, kind: str, arg: str) -> np.ndarray:
        """Codes (sorted) of the forms equal to ``arg`` (``kind="equal"``) or in which the RE2
        expression ``arg`` finds a match (``kind="regex"``); memoised. Raises
        ``pyarrow.ArrowInvalid`` for an invalid expression."""
        key = (kind, arg)
        if key not in self._matched:
            if kind == "equal":
                m = pc.equal(self.forms, arg)
            elif kind == "regex":
                m = pc.match_substring_regex(self.forms, pattern=arg)
            else:
                raise ValueError(f"kind must be 'equal' or 'regex', got {kind!r}")
            self._matched[key] = np.flatnonzero(m.fill_null(False).to_numpy(zero_copy_only=False)).astype(np.int32)
        return self._matched[key]

    def member(self, codes: np.ndarray) -> np.ndarray:
        """A boolean over the forms, true for ``codes``."""
        out = np.zeros(len(self.forms), dtype=bool)
        out[codes] = True
        return out

    def positions(self, codes: np.ndarray) -> np.ndarray:
        """Sorted flat positions (``int64``) of the tokens whose form is one of ``codes``.

        Costs a scan of every token's code or, once the inverted index is built (see
        :attr:`SCANS_BEFORE_POSTINGS`) and for forms covering under a sixteenth of the tokens, time
        in proportion to the matches.
        """
        if not len(codes):  # no matching form, no matching token
            return np.empty(0, np.int64)
        if self._postings is None and self._scans >= self.SCANS_BEFORE_POSTINGS:
            sizes = np.bincount(self.codes, minlength=len(self.forms))
            self._postings = np.argsort(self.codes, kind="stable"), np.concatenate([[0], np.cumsum(sizes)])
        if self._postings is not None:
            order, bounds = self._postings
            if int((bounds[codes + 1] - bounds[codes]).sum()) * 16 < len(self.codes):
                if len(codes) == 1:
                    return order[bounds[codes[0]]:bounds[codes[0] + 1]].astype(np.int64)
                return np.sort(np.concatenate([order[bounds[c]:bounds[c + 1]] for c in codes.tolist()])).astype(np.int64)
        self._scans += 1
        return np.flatnonzero(self.member(codes)[self.codes]).astype(np.int64)


@dataclass
class TokenIndex:
    """Every token of an analysis' documents in one flat Arrow array, for vectorised matching.

    ``values[offsets[i]:offsets[i + 1]]`` are the tokens of document ``i`` (the ``i``-th row of
    the analysis' ``docs``). Built from the token cache in one read (4.9 million tokens of the
    31,214-article Egyptian corpus take about half a second), it lets a query test every token at
    once with Arrow compute kernels instead of a Python loop; :meth:`vocabulary` (the distinct
    forms and a code per token) lets it test each distinct form once.
    """

    values: pa.Array
    offsets: np.ndarray
    _vocabulary: Vocabulary | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_cache(cls, path: Path, mask: np.ndarray | None = None) -> "TokenIndex":
        from .errors import CacheError

        try:
            col = pq.read_table(path, columns=["tokens"]).column(0)
        except (OSError, pa.ArrowException) as e:
            raise CacheError(f"cannot read token cache {path}: {' '.join(str(e).split())[:200]}; delete "
                             "the file and run again to rebuild it") from None
        # filter the chunks, then combine what is kept: one copy, and none when every document is kept
        if mask is not None and not np.all(mask):
            col = col.filter(pa.array(np.asarray(mask, dtype=bool)))
        col = col.combine_chunks()
        offsets = np.asarray(col.offsets, dtype=np.int64)
        values = col.flatten()
        return cls(values, offsets - offsets[0])

    @property
    def n_docs(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_tokens(self) -> int:
        return int(self.offsets[-1])

    def doc_lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def doc_of(self, positions: np.ndarray) -> np.ndarray:
        """The document (row) of each flat token position."""
        return np.searchsorted(self.offsets, positions, side="right") - 1

    def vocabulary(self) -> Vocabulary:
        """The distinct forms and the code of every token (memoised; see :class:`Vocabulary`)."""
        if self._vocabulary is None:
            self._vocabulary = Vocabulary.of(self.values)
        return self._vocabulary
