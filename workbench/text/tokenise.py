"""Arabic tokenisation: the camel-tools chain as a reference, and a fast path proven identical to it.

**Reference** (:func:`reference_tokenise`), the definition of the output:

1. :func:`~workbench.text.normalise.reference_normalise` (NFKC, Persian folding, ``arclean``,
   ``dediac_ar``, tatweel, alef / alef maksura / teh marbuta per settings, digits per settings).
2. URLs and e-mail addresses are found on the normalised text *before* tokenisation (camel-tools'
   ``simple_word_tokenize`` would cut ``https://x.com/a`` into eight pieces). ``urls``/``emails`` =
   ``"drop"`` removes them, ``"keep"`` keeps each as one token that no later filter touches.
   A URL starts with ``http://``, ``https://``, ``ftp://`` or ``www.`` and runs over printable
   ASCII, minus trailing punctuation; Arabic letters in a URL path end it.
3. camel-tools ``simple_word_tokenize`` on the rest.
4. Per token, in this order: punctuation/symbol-only tokens are removed; ``latin="drop"`` removes
   tokens with a Latin letter and no Arabic letter; ``numbers="drop"`` removes all-digit tokens;
   clitics are split/stripped (:func:`split_clitics`, off by default); stopwords are removed
   (the list is normalised with the same settings, so أن, ان and إن are matched alike when alef
   folding is on); tokens shorter than ``min_length`` are removed. Clitic markers made by
   ``clitics="split"`` (``و+``, ``ال+`` …) skip the stopword and length filters.

**Fast path** (:func:`tokenise`, :func:`tokenise_many`, :func:`iter_tokenise`) returns exactly the
same tokens, in the same order, for every input string. How, and why it is identical:

- Every step above works inside whitespace-separated words: NFKC never composes across a
  whitespace character (whitespace is a starter that composes with nothing), the other
  normalisation steps are per character, URLs contain no whitespace, and ``simple_word_tokenize``
  itself starts with ``str.split()``. So the output of a text is the concatenation of the outputs of
  its raw ``str.split()`` words, and the fast path computes each *distinct* raw word once and then
  reuses it from a dict (news text is Zipfian: ~95 % of running words are repeats).
- The one exception is whitespace that the normalisation deletes (``\\x0b \\x0c \\x1c-\\x1f \\x85``:
  ``arclean`` has no entry for them, so ``a\\x85b`` is one word after normalisation). That set is
  computed at import time by running the reference on every whitespace character; a text containing
  one is handed to the reference chain as a whole.
- A word with punctuation glued to its edges (``جاسم،``, ``«داعش»``) shares the entry of its core:
  the edge characters allowed (:func:`_edge_chars`) are checked at import to normalise to
  symbols only (always dropped tokens), to be inert under NFKC next to any neighbour, and unable to
  start, end or extend a URL or e-mail match.
- A new word is normalised with :class:`~workbench.text.normalise.Normaliser` (NFKC plus one
  ``str.translate`` table built from camel-tools' own maps) and split with one compiled regex
  ``[S]|[^S\\s]+`` whose symbol class ``S`` is derived at import time from camel-tools' own
  ``_SYMBOLS_RE`` / ``_SYMBOLS_ALL`` over the characters the normaliser can output. Since
  ``arclean`` deletes emoji, variation selectors, ZWJ and skin-tone modifiers, every symbol match of
  ``simple_word_tokenize`` on normalised text is one character long (checked at import; if a future
  camel-tools breaks that premise, the fast path falls back to ``simple_word_tokenize``).
- The identity is tested on tricky strings (``tests/test_text_tokenise.py``) and on all 31,214
  articles of egypt2013-dev (``benchmarks/bench_tokenise.py``: 0 mismatching documents).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections import Counter, deque
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

import regex
from unicodedata import normalize as _nfkc
from camel_tools.tokenizers import word as _camel_word
from camel_tools.tokenizers.word import simple_word_tokenize
from camel_tools.utils.charsets import EMOJI_ALL_CHARSET, UNICODE_PUNCT_SYMBOL_CHARSET

from .normalise import get_normaliser, reference_normalise
from ..parallel import _freeze, available_cpus
from .settings import TextSettings

__all__ = [
    "reference_tokenise",
    "tokenise",
    "tokenise_spans",
    "word_token_counts",
    "tokenise_many",
    "iter_tokenise",
    "split_clitics",
    "build_vocabulary",
    "write_vocabulary",
    "CLITIC_MARK",
]

#: Suffix marking a split-off proclitic token (``و+``, ``ال+``), as in ATB/D3 tokenisation.
CLITIC_MARK = "+"

_URL = r"(?:(?i:https?|ftp)://|(?i:www)\.)[!-~]*[A-Za-z0-9/=_#&%+~-]"
_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
_SPECIAL_RE = re.compile(f"(?P<url>{_URL})|(?P<email>{_EMAIL})")


def _is_latin_letter(c: str) -> bool:
    o = ord(c)
    return (o < 0x250 or 0x1E00 <= o < 0x1F00) and unicodedata.category(c)[0] == "L"


def _is_arabic_letter(c: str) -> bool:
    o = ord(c)
    return (
        0x0600 <= o < 0x0780 or 0x08A0 <= o < 0x0900 or 0xFB50 <= o < 0xFE00 or 0xFE70 <= o < 0xFF00
    ) and unicodedata.category(c)[0] == "L"


def _is_punct_token(tok: str) -> bool:
    """True for punctuation/symbol-only tokens (every character Unicode P* or S*, or an emoji)."""
    if tok[:1] not in UNICODE_PUNCT_SYMBOL_CHARSET:
        return tok in EMOJI_ALL_CHARSET
    return len(tok) == 1 or tok in EMOJI_ALL_CHARSET or UNICODE_PUNCT_SYMBOL_CHARSET.issuperset(tok)


def _is_latin_token(tok: str) -> bool:
    """True for tokens with a Latin letter and no Arabic letter."""
    return any(map(_is_latin_letter, tok)) and not any(map(_is_arabic_letter, tok))


# --------------------------------------------------------------------------- clitics
_CONJ = ("و", "ف")
_PREP = ("ب", "ك", "ل")
_ART = "ال"


def _clitic_candidates(tok: str) -> Iterator[tuple[tuple[str, ...], str]]:
    """Possible (proclitics, remainder) analyses of ``tok``, longest proclitic chain first."""
    conj = tok[0] if tok[:1] in _CONJ else ""
    rest = tok[len(conj):]
    # [conj] + prep + al + stem ; [conj] + lil (ل+ال with alef elided) + stem
    if rest[:1] in _PREP and rest[1:3] == _ART:
        yield ((conj,) if conj else ()) + (rest[0], _ART), rest[3:]
    if rest[:2] == "لل":
        yield ((conj,) if conj else ()) + ("ل", _ART), rest[2:]
    if rest[:2] == _ART:
        yield ((conj,) if conj else ()) + (_ART,), rest[2:]
    if conj:
        yield (conj,), rest


def split_clitics(tok: str, vocabulary: dict[str, int]) -> tuple[tuple[str, ...], str]:
    """Light proclitic splitting of one normalised token against a known vocabulary.

    Implements: conjunction و/ف, prepositions ب/ك/ل (only together with the article), the article
    ال and ل+ال written لل, e.g. والحكومة → (و, ال) + حكومة, للشعب → (ل, ال) + شعب. An analysis
    is accepted only if its remainder is a *known* word: a key of ``vocabulary`` (e.g. the corpus
    vocabulary, see :func:`build_vocabulary`), at least 3 letters after an article and 2 otherwise.
    For a bare conjunction (وزير → و + زير?) the remainder must also be at least as frequent as
    the whole token when counts are given, which keeps وزير, فقط, وطن whole. Longest analysis wins.
    Returns ``((), tok)`` when nothing applies.
    """
    if len(tok) < 3:
        return (), tok
    for clitics, stem in _clitic_candidates(tok):
        if stem not in vocabulary:
            continue
        if clitics[-1] == _ART:
            if len(stem) >= 3:
                return clitics, stem
        elif len(stem) >= 2 and vocabulary[stem] >= vocabulary.get(tok, 0):
            return clitics, stem
    return (), tok


def _load_vocabulary(path: str, settings: TextSettings) -> dict[str, int]:
    """Read ``word`` or ``word<TAB>count`` lines; words normalised with ``settings``; count 1 if absent."""
    vocab: dict[str, int] = {}
    with open(path, encoding="utf-8-sig") as fh:
        for line in fh:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            word, _, count = line.partition("\t")
            word = reference_normalise(word.strip(), settings)
            try:
                n = int(count) if count.strip() else 1
            except ValueError:
                n = 1
            if word and not any(c.isspace() for c in word):
                vocab[word] = vocab.get(word, 0) + n
    return vocab


# --------------------------------------------------------------------------- token filter
class _Filter:
    """The per-token decisions of step 4, for one settings object."""

    def __init__(self, settings: TextSettings):
        s = settings
        self.drop_latin = s.latin == "drop"
        self.drop_numbers = s.numbers == "drop"
        self.min_length = s.min_length
        self.stopwords = frozenset(
            w for w in (reference_normalise(x, s).strip() for x in s.stopword_lines()) if w
        )
        self.clitics = s.clitics
        self.vocabulary = (
            _load_vocabulary(s.clitic_vocabulary_path, s) if s.clitics != "off" else {}
        )

    def __call__(self, tok: str) -> list[str]:
        """Tokens that ``tok`` (one ``simple_word_tokenize`` token) becomes: usually [] or [tok]."""
        if _is_punct_token(tok):
            return []
        if self.drop_latin and _is_latin_token(tok):
            return []
        if self.drop_numbers and tok.isdecimal():
            return []
        out: list[str] = []
        if self.clitics != "off":
            clitics, tok = split_clitics(tok, self.vocabulary)
            if self.clitics == "split":
                out.extend(c + CLITIC_MARK for c in clitics)
        if tok in self.stopwords or len(tok) < self.min_length:
            return out
        out.append(tok)
        return out


class _MorphFilter:
    """The step-4 decisions with morphology (``settings.tokens`` d3tok, atbtok or lemma).

    Receives tokens normalised *without* the orthographic folds (what camel-tools should see, see
    :mod:`workbench.text.morphology`). A token with an Arabic letter is replaced by its
    morphological tokens or lemma from the word table; each result (and each token without an
    Arabic letter) then gets the user's normalisation and the surface filters. Clitic markers
    (``و+``, ``+ه``) are kept only with ``segment_clitics="keep"``, and then skip the filters."""

    def __init__(self, settings: TextSettings):
        from .morphology import word_table

        self.base = _Filter(settings.replace(tokens="surface", segment_clitics="drop"))
        self.fold = get_normaliser(settings)
        self.table = word_table()
        self.column = ("d3tok", "atbtok", "lemma").index(settings.tokens)
        self.keep_clitics = settings.segment_clitics == "keep"

    def segment(self, seg: str) -> list[str]:
        """The tokens one morphological token (or lemma) becomes."""
        if seg[:1] == "+" or seg[-1:] == "+":
            return [self.fold(seg)] if self.keep_clitics and len(seg) > 1 else []
        return self.base(self.fold(seg))

    def __call__(self, tok: str) -> list[str]:
        from .morphology import needs_analysis

        if not needs_analysis(tok):
            return self.base(self.fold(tok))
        out: list[str] = []
        for seg in self.table.lookup(tok)[self.column].split(" "):
            if seg:
                out.extend(self.segment(seg))
        return out


@lru_cache(maxsize=16)
def _filter_cached(settings: TextSettings, _word_lists: tuple) -> _Filter:
    return _Filter(settings) if settings.tokens == "surface" else _MorphFilter(settings)


def _morph_filter_for(settings: TextSettings) -> "_MorphFilter":
    """The morphology filter of ``settings`` (tokens d3tok, atbtok or lemma)."""
    return _filter_for(settings)


def _filter_for(settings: TextSettings) -> _Filter:
    """The token filter for ``settings``, rebuilt when a word-list file changes."""
    return _filter_cached(settings, settings.word_list_state())


def _pre_morph(settings: TextSettings) -> TextSettings:
    from .morphology import _pre_settings

    return _pre_settings(settings)


# --------------------------------------------------------------------------- reference
def reference_tokenise(text: str, settings: TextSettings | None = None) -> list[str]:
    """Tokenise ``text`` with the plain camel-tools chain (steps 1-4 of the module docstring).

    Slow and obvious on purpose: it defines the output that :func:`tokenise` must reproduce.
    """
    settings = settings or TextSettings()
    keep = _filter_for(settings)
    norm = reference_normalise(text, settings if settings.tokens == "surface" else _pre_morph(settings))
    out: list[str] = []
    last = 0
    for m in _SPECIAL_RE.finditer(norm):
        for tok in simple_word_tokenize(norm[last:m.start()]):
            out.extend(keep(tok))
        kind = m.lastgroup
        if (settings.urls if kind == "url" else settings.emails) == "keep":
            out.append(m.group())
        last = m.end()
    for tok in simple_word_tokenize(norm[last:]):
        out.extend(keep(tok))
    return out


# --------------------------------------------------------------------------- fast path
def _symbol_class(alphabet: frozenset[str]) -> str | None:
    """Characters of ``alphabet`` that ``simple_word_tokenize`` cuts off as one-character tokens.

    Derived from camel-tools' own ``_SYMBOLS_RE`` and ``_SYMBOLS_ALL``. Returns None if some
    character could start or extend a multi-character emoji match (the premise of the fast regex).
    """
    symbols_re = _camel_word._SYMBOLS_RE
    symbols_all = _camel_word._SYMBOLS_ALL
    extenders = regex.compile(r"[\p{EMod}\p{RI}\uFE0F\u20E3\u200D\U000E0020-\U000E007F]")
    if extenders.search("".join(alphabet)):
        return None
    sym = []
    for c in sorted(alphabet):
        if c.isspace():
            continue
        m = symbols_re.match(c)
        if m is not None and m.group() == c and c in symbols_all:
            sym.append(c)
    return "".join(sym)


#: Punctuation often glued to words ("جاسم،", «النظام», (داعش)). A raw word is stripped of these at
#: its edges and shares the cache entry of its core, if each candidate passes :func:`_edge_chars`.
_EDGE_CANDIDATES = "\"'()[]{}!?,;:.\u00ab\u00bb\u201c\u201d\u201e\u2018\u2019\u060c\u061b\u061f\u2026*"


@lru_cache(maxsize=1)
def _composition_elements() -> tuple[frozenset[str], frozenset[str]]:
    """(first, second) characters of every two-character canonical decomposition in Unicode."""
    first, second = set(), set()
    # map/filter keep the scan of all 1.1 M code points in C (4x faster than a Python loop)
    for d in filter(None, map(unicodedata.decomposition, map(chr, range(0x110000)))):
        if d[0] != "<":
            parts = d.split()
            if len(parts) == 2:
                first.add(chr(int(parts[0], 16)))
                second.add(chr(int(parts[1], 16)))
    return frozenset(first), frozenset(second)


def _edge_chars(settings: TextSettings, sym: str, keep: "_Filter") -> tuple[str, str]:
    """Candidates that can be cut off a raw word's start (first) or end (second) without changing
    its output: they normalise to symbol characters only (one dropped token each), NFKC cannot
    combine them with a neighbour, and they cannot start, end or extend a URL or e-mail match."""
    first, second = _composition_elements()
    email_start = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-@")
    url_end = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/=_#&%+~-@")
    pre, suf = [], []
    for c in _EDGE_CANDIDATES:
        n = reference_normalise(c, settings)
        nfkd = unicodedata.normalize("NFKD", c)
        if not n or any(ch not in sym or keep(ch) for ch in n):
            continue
        if any(unicodedata.combining(ch) for ch in nfkd):
            continue
        if not any(ch in first for ch in nfkd) and not any(ch in email_start for ch in n):
            pre.append(c)
        if not any(ch in second for ch in nfkd) and not any(ch in url_end for ch in n):
            suf.append(c)
    return "".join(pre), "".join(suf)


class _Pipeline:
    """Compiled fast tokeniser for one settings object (see the module docstring)."""

    #: Distinct raw words remembered before the word cache is emptied (bounds memory).
    max_cache = 1_000_000

    def __init__(self, settings: TextSettings):
        self.settings = settings
        # with morphology, camel-tools sees the tokens before the orthographic folds (_MorphFilter)
        self.normaliser = get_normaliser(settings if settings.tokens == "surface" else _pre_morph(settings))
        self.keep = _filter_for(settings)
        alphabet = self.normaliser.alphabet
        sym = _symbol_class(alphabet)
        self.splitter = None
        self.edge_pre = self.edge_suf = ""
        self.alnum_shortcut = False
        if sym is not None:
            ws = "".join(c for c in alphabet if c.isspace()) or " "
            cls_sym, cls_ws = re.escape(sym), re.escape(ws)
            self.splitter = re.compile(f"[{cls_sym}]|[^{cls_sym}{cls_ws}\\s]+").findall
            self.edge_pre, self.edge_suf = _edge_chars(settings, sym, self.keep)
            # A normalised word with only letters/digits is one token: skip the regex then.
            self.alnum_shortcut = not any(c.isalnum() for c in sym)
        # Raw whitespace that the reference does not keep as whitespace: texts containing one go
        # to the reference chain whole (see the module docstring).
        unsafe = "".join(
            c for c in map(chr, range(0x3001)) if c.isspace() and not _stays_space(c, settings)
        )
        self.unsafe = re.compile(f"[{re.escape(unsafe)}]").search if unsafe else None
        self.cache = _WordCache(self)
        self.multi: dict[str, tuple[str, ...]] = {}
        self.pending: list[tuple[str, ...]] = []
        self.decisions: dict[str, tuple[str, ...]] = {}
        self.cache_misses = 0
        self._fix_search = self.normaliser._fix_search
        self._fix = self.normaliser._fix
        self._table = self.normaliser._table
        self._www = re.compile(r"(?i:www)\.").search

    def _tokens(self, s: str) -> list[str]:
        if self.splitter is not None:
            return self.splitter(s)
        return simple_word_tokenize(s)  # pragma: no cover - only if camel-tools changes

    def _decide(self, tok: str) -> tuple[str, ...]:
        """Cached step-4 decision for one token (a tuple, shared between identical tokens)."""
        res = self.decisions.get(tok)
        if res is None:
            kept = self.keep(tok)
            res = tuple(kept) if kept else ()
            self.decisions[tok] = res
        return res

    def _tuple_of(self, raw: str) -> tuple[str, ...]:
        """Output tokens of a raw word, from the caches or computed (and then cached)."""
        v = self.cache.get(raw)
        if v is not None:
            return (v,) if v else ()
        m = self.multi.get(raw)
        if m is not None:
            return m
        toks = self._compute(raw)
        if len(toks) <= 1:
            self.cache[raw] = toks[0] if toks else ""
        else:
            self.multi[raw] = toks
        return toks

    def miss(self, raw: str) -> str:
        """Cache-miss hook of the word cache: returns the cache value for ``raw`` (see tokenise)."""
        m = self.multi.get(raw)
        if m is None:
            self.cache_misses += 1
            toks = self._compute(raw)
            if len(toks) <= 1:
                v = self.cache[raw] = toks[0] if toks else ""
                return v
            self.multi[raw] = m = toks
        self.pending.append(m)
        return _MULTI

    def _compute(self, raw: str) -> tuple[str, ...]:
        """Output tokens of one raw whitespace-free word, computed (not looked up)."""
        core = raw.lstrip(self.edge_pre).rstrip(self.edge_suf)
        if core is not raw and core != raw:
            return self._tuple_of(core) if core else ()
        if self._fix_search(raw) is not None:  # inlined Normaliser.__call__
            raw = raw.translate(self._fix)
        norm = _nfkc("NFKC", raw).translate(self._table)
        decisions = self.decisions
        if self.alnum_shortcut and norm.isalnum():
            res = decisions.get(norm)
            return res if res is not None else self._decide(norm)
        if "@" in norm or "://" in norm or ("." in norm and self._www(norm) is not None):
            return self._word_special(norm)
        toks = self._tokens(norm)
        if len(toks) == 1:
            res = decisions.get(toks[0])
            return res if res is not None else self._decide(toks[0])
        out: list[str] = []
        for tok in toks:
            res = decisions.get(tok)
            out.extend(res if res is not None else self._decide(tok))
        return tuple(out)

    def _word_special(self, norm: str) -> tuple[str, ...]:
        """Miss path for a word that may hold a URL or an e-mail address (step 2)."""
        out: list[str] = []
        decide = self._decide
        last = 0
        s = self.settings
        for m in _SPECIAL_RE.finditer(norm):
            for tok in self._tokens(norm[last:m.start()]):
                out.extend(decide(tok))
            if (s.urls if m.lastgroup == "url" else s.emails) == "keep":
                out.append(m.group())
            last = m.end()
        for tok in self._tokens(norm[last:]):
            out.extend(decide(tok))
        return tuple(out)

    def begin(self) -> "_WordCache":
        """The word cache, ready for a new text: no multi-token words left queued by an
        interrupted call, and emptied when it has grown past :attr:`max_cache`."""
        if self.pending:
            self.pending.clear()
        if len(self.cache) > self.max_cache:
            self.cache.clear()
            self.multi.clear()
            self.decisions.clear()
        return self.cache

    def tokenise(self, text: str) -> list[str]:
        """Tokens of one text: per distinct raw word, computed once (see the module docstring).

        The word cache maps a raw word to its only token, or to "" when it yields none (99.9 %
        of running words), so one C-level ``filter(map(...))`` does a whole text. A word that
        yields several tokens is kept out of it: its miss hook queues the tokens and returns the
        placeholder ``_MULTI``, which is replaced afterwards.
        """
        if self.unsafe is not None and self.unsafe(text) is not None:
            return reference_tokenise(text, self.settings)
        cache = self.begin()
        pending = self.pending
        out = list(filter(None, map(cache.__getitem__, text.split())))
        if pending:
            i = 0
            for toks in pending:
                i = out.index(_MULTI, i)
                out[i:i + 1] = toks
                i += len(toks)
            pending.clear()
        return out


#: Placeholder for a multi-token word in the output of the word-cache lookup (a space can never
#: be part of a token, so it cannot be confused with one).
_MULTI = " "


class _WordCache(dict):
    """raw word -> its token ("" for none); a miss asks the pipeline (``_Pipeline.miss``)."""

    __slots__ = ("_miss",)

    def __init__(self, pipeline: "_Pipeline"):
        super().__init__()
        self._miss = pipeline.miss

    def __missing__(self, key: str) -> str:
        return self._miss(key)


def _stays_space(c: str, settings: TextSettings) -> bool:
    n = reference_normalise(c, settings)
    return n != "" and n.isspace()


@lru_cache(maxsize=8)
def _pipeline_cached(settings: TextSettings, _word_lists: tuple) -> _Pipeline:
    return _Pipeline(settings)


_LAST: list = [None, None, None]  # settings object, word-list state, pipeline of the last call


def _pipeline_for(settings: TextSettings) -> _Pipeline:
    """The compiled fast pipeline for ``settings``, rebuilt when a word-list file changes.

    One ``os.stat`` per call; the same settings object as last time skips the cache lookup.
    """
    state = settings.word_list_state()
    last = _LAST
    if last[0] is settings and last[1] == state:
        return last[2]
    pipe = _pipeline_cached(settings, state)
    last[0], last[1], last[2] = settings, state, pipe
    return pipe


def _clear_pipelines() -> None:
    _LAST[:] = [None, None, None]
    _pipeline_cached.cache_clear()


_pipeline_for.cache_clear = _clear_pipelines  # type: ignore[attr-defined]


def tokenise(text: str, settings: TextSettings | None = None) -> list[str]:
    """Tokenise one text (fast path); token-for-token identical to :func:`reference_tokenise`."""
    return _pipeline_for(settings or TextSettings()).tokenise(text)


_WORD_RE = re.compile(r"\S+")


def tokenise_spans(text: str, settings: TextSettings | None = None) -> list[tuple[str, int, int]]:
    """Tokens of ``text`` with where each came from: ``(token, start, end)`` offsets into ``text``.

    The span is the raw whitespace-delimited word of the original text that yielded the token
    ("وبالنظام،" for the token "وبالنظام"), so a concordance can show what the outlet printed,
    diacritics, tatweel and punctuation included. The tokens are exactly :func:`tokenise`'s (the
    property tests check it). A text holding whitespace that normalisation does not keep as
    whitespace is split only at whitespace that stays; if even that would change the tokens, every
    token gets the whole text as its span (never a wrong one).
    """
    settings = settings or TextSettings()
    pipe = _pipeline_for(settings)
    if pipe.unsafe is None or pipe.unsafe(text) is None:
        return [(tok, m.start(), m.end()) for m in _WORD_RE.finditer(text)
                for tok in pipe._tuple_of(m.group())]
    out: list[tuple[str, int, int]] = []
    start = None
    for i, c in enumerate(text + " "):
        if i < len(text) and not (c.isspace() and _stays_space(c, settings)):
            start = i if start is None else start
            continue
        if start is not None:
            out += [(tok, start, i) for tok in reference_tokenise(text[start:i], settings)]
            start = None
    whole = reference_tokenise(text, settings)
    if [t for t, _, _ in out] != whole:
        return [(tok, 0, len(text)) for tok in whole]
    return out


def word_token_counts(text: str, settings: TextSettings | None = None, *,
                      tokens: int | None = None) -> tuple[list[str], list[int]] | None:
    """The raw words of ``text`` (``text.split()``) and how many tokens each yields, in order.

    The fast form of :func:`tokenise_spans` for mapping many token positions back to the words an
    outlet printed (concordances): token ``t`` comes from the word ``i`` with
    ``sum(counts[:i]) <= t < sum(counts[:i + 1])``. One dict lookup per word (the tokeniser's own
    word cache), no tuple per token. With ``tokens``, words are looked at only until the first
    ``tokens`` tokens are placed (``counts`` may then be shorter than ``words``). Returns None
    when ``text`` holds whitespace that normalisation deletes (then a token can come from several
    words: use :func:`tokenise_spans`).
    """
    pipe = _pipeline_for(settings or TextSettings())
    if pipe.unsafe is not None and pipe.unsafe(text) is not None:
        return None
    cache = pipe.begin()
    pending = pipe.pending
    words = text.split()
    counts: list[int] = []
    placed, done = 0, 0
    # most words give one token: guess how many words hold ``tokens`` tokens, extend if short
    step = len(words) if tokens is None else tokens + 16 + tokens // 8
    while done < len(words) and (tokens is None or placed < tokens):
        values = list(map(cache.__getitem__, words[done:done + step]))
        part = list(map(bool, values))  # "" -> no token; a token or the multi-token placeholder -> 1
        if pending:
            i = 0
            for toks in pending:
                i = values.index(_MULTI, i)
                part[i] = len(toks)
                i += 1
            pending.clear()
        counts += part
        placed += sum(part)
        done += len(values)
        step = max(64, step // 2)
    return words, counts


# --------------------------------------------------------------------------- many texts
#: Below this many texts, :func:`iter_tokenise` stays in-process (a pool costs more than it saves).
PARALLEL_MIN_TEXTS = 2000
#: Texts the calling process tokenises alone before forking workers (they inherit its word cache).
PARALLEL_WARMUP = 2000
_CHUNK = 400


# the cores a pool may use, and its initializer (gc.freeze: see workbench.parallel)
_available_cpus = available_cpus
_worker_init = _freeze


#: Work weight of the calling process relative to one worker (see iter_tokenise).
_LOCAL_SHARE = 1.0

#: List input of the running parallel call; forked workers inherit it, so texts are not pickled.
_SHARED_TEXTS: list[str] | tuple[str, ...] | None = None


def _worker_chunk(args: tuple[TextSettings, list[str] | tuple[int, int]]) -> str:
    """Tokenise one chunk in a worker; returns one string: texts joined by "\\n", tokens by " "."""
    settings, chunk = args
    if isinstance(chunk, tuple):  # (start, stop) into the list inherited through fork
        chunk = _SHARED_TEXTS[chunk[0]:chunk[1]]  # type: ignore[index]
    tok = _pipeline_for(settings).tokenise
    # Tokens never contain whitespace, so this round-trips exactly and pickles far faster than
    # a list of lists.
    return "\n".join([" ".join(tok(t)) for t in chunk])


def iter_tokenise(
    texts: Iterable[str],
    settings: TextSettings | None = None,
    workers: int | None = None,
    chunk_size: int = _CHUNK,
    warmup: int = PARALLEL_WARMUP,
    scheduler: object = None,
) -> Iterator[list[str]]:
    """Yield the token list of each text (as :func:`tokenise`), in input order, streaming.

    ``workers`` is the number of processes that tokenise, the calling one included:
    ``None`` = every available core, but only for at least :data:`PARALLEL_MIN_TEXTS` texts
    (else in-process); ``1`` = in-process. With ``workers=N > 1`` the caller first tokenises
    ``warmup`` texts itself, filling its word cache with the common vocabulary, then forks
    ``N - 1`` worker processes (which inherit that cache) and from there on tokenises every N-th
    chunk of ``chunk_size`` texts itself while the workers do the others. A few chunks are in
    flight at a time, so memory does not grow with the input. A list or tuple input is read by
    forked workers directly instead of being sent to them.

    ``scheduler`` (``"local"``, a ``dask.distributed`` address, client or cluster; None = no
    Dask) tokenises the chunks on Dask workers instead (:func:`workbench.cluster.iter_tokenise_dask`,
    the same tokens in the same order); ``workers`` is then ignored.
    """
    global _SHARED_TEXTS
    if scheduler is not None:
        from ..cluster import iter_tokenise_dask

        yield from iter_tokenise_dask(texts, settings or TextSettings(), scheduler)
        return
    settings = settings or TextSettings()
    n_proc = _available_cpus() if workers is None else max(1, int(workers))
    tok = _pipeline_for(settings).tokenise
    if n_proc <= 1:
        for t in texts:
            yield tok(t)
        return
    threshold = PARALLEL_MIN_TEXTS if workers is None else 2 * chunk_size
    warm = max(0, int(warmup))
    seq = texts if isinstance(texts, (list, tuple)) else None
    it = iter(texts)
    head = list(islice(it, max(threshold, warm + 1)))
    if len(head) < threshold or len(head) <= warm:
        for t in head:
            yield tok(t)
        return
    for t in head[:warm]:
        yield tok(t)

    import multiprocessing as mp

    use_fork = "fork" in mp.get_all_start_methods()
    ctx = mp.get_context("fork" if use_fork else "spawn")
    chunks: Iterator[list[str] | tuple[int, int]]
    if seq is not None and use_fork:
        n = len(seq)
        chunks = ((i, min(i + chunk_size, n)) for i in range(warm, n, chunk_size))
    else:
        rest = head[warm:]

        def _blocks() -> Iterator[list[str]]:
            for i in range(0, len(rest), chunk_size):
                yield rest[i:i + chunk_size]
            while block := list(islice(it, chunk_size)):
                yield block

        chunks = _blocks()

    if seq is not None and use_fork:
        _SHARED_TEXTS = seq
    pool = ctx.Pool(n_proc - 1, initializer=_worker_init)
    # Chunks the caller keeps, relative to one worker (measured best at 1.0 on 2 cores).
    share = _LOCAL_SHARE / (n_proc - 1 + _LOCAL_SHARE)
    window: deque = deque()
    numbered = enumerate(chunks)

    def fill() -> None:
        while len(window) < 2 * n_proc:
            nxt = next(numbered, None)
            if nxt is None:
                return
            i, chunk = nxt
            if int((i + 1) * share) > int(i * share):
                window.append((True, chunk))
            else:
                window.append((False, pool.apply_async(_worker_chunk, ((settings, chunk),))))

    try:
        fill()
        while window:
            local, item = window.popleft()
            if local:
                block = seq[item[0]:item[1]] if isinstance(item, tuple) else item  # type: ignore[index]
                for t in block:
                    yield tok(t)
            else:
                for s in item.get().split("\n"):
                    yield s.split()
            fill()
        pool.close()
        pool.join()
    finally:
        pool.terminate()
        if seq is not None:
            _SHARED_TEXTS = None


def tokenise_many(
    texts: Iterable[str], settings: TextSettings | None = None, workers: int | None = None
) -> list[list[str]]:
    """Tokenise many texts (see :func:`iter_tokenise` for ``workers``); returns one list per text."""
    return list(iter_tokenise(texts, settings, workers=workers))


# --------------------------------------------------------------------------- vocabulary
def build_vocabulary(
    texts: Iterable[str], settings: TextSettings | None = None, workers: int | None = None
) -> Counter:
    """Count the tokens of ``texts`` with clitics off, stopwords kept and no length limit.

    The result is what ``clitics`` needs as its vocabulary (write it with :func:`write_vocabulary`).
    """
    base = (settings or TextSettings()).replace(
        clitics="off", clitic_vocabulary_path=None, remove_stopwords=False, min_length=1
    )
    counts: Counter = Counter()
    for toks in iter_tokenise(texts, base, workers=workers):
        counts.update(toks)
    return counts


def write_vocabulary(counts: dict[str, int], path: str | Path, min_count: int = 1) -> Path:
    """Write ``word<TAB>count`` lines (most frequent first) for ``clitic_vocabulary_path``."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("# word<TAB>count, written by workbench.text.tokenise.write_vocabulary\n")
        for word, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            if n >= min_count:
                fh.write(f"{word}\t{n}\n")
    os.replace(tmp, path)
    return path
