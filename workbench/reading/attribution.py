"""Attribution and stance: who each text says a claim comes from, and with which reporting word.

News attributes claims ("زعمت قناة سما ...", "رابطة أحرار حوران نفت ...", "وفق موقع درعا 24"), and the
reporting word carries the writer's stance towards the claim: neutral (قال، أعلن، وفق، بحسب),
affirming (أكد، كشف، شدد) or distancing (زعم، ادعى، نفى، مزاعم، ما وصفه). Two camps reporting the
same story differ in whom they cite and in how they frame each other's claims (Bell 1991, *The
Language of News Media*, ch. 9; Caldas-Coulthard 1994, "On reporting reporting"; Thompson & Ye
1991 on evaluation in reporting verbs).

The lexicon (:func:`load_reporting_lexicon`, default ``corpus/lexicons/reporting-verbs.yaml``) lists
words by class and kind (verbs, prepositions, nouns, phrases); it is read with the same safe-YAML
rules and ``file:line`` errors as :mod:`workbench.reading.lexicons`. :func:`attributions` finds every
attribution in one text; :func:`corpus_attributions` in every document of an analysis, and
:func:`attribution_table` / :func:`attribution_rates` tabulate them per group::

    from workbench.analysis import Analysis
    from workbench.reading.attribution import attributions, attribution_table, attribution_rates
    attributions("زعمت قناة سما الموالية أن ...")          # one row: زعمت, distancing, قناة سما الموالية
    a = Analysis("build/demo-store")
    attribution_table(a, by="camp")    # sources cited per camp, with counts and shares per class
    attribution_rates(a, by="camp")    # each class per 10,000 words per camp

**Rules** (rule-based over the tokens of :func:`~workbench.text.tokenise.tokenise_spans`, every
word kept, so each token maps back to what the outlet printed; no parser, no model):

1. *Reporting words.* A token (or run of tokens) matches a lexicon entry after normalisation, with
   attached و/ف; nouns also with ب/ل/ك, the article and a possessive suffix (ه، ها، هم، هما، هن);
   a phrase's first «ما» also as عما/مما/بما/فيما/لما. Longest entry first; no overlaps.
2. *Source phrases* stop at punctuation (، , ; : . ! ? parentheses, line breaks; quotation marks do
   not stop), at a ``stop`` word of the lexicon (particles, prepositions such as أن/إن/عن/على/في,
   pronouns, relative pronouns, time words), at another reporting word, and after ``max_words``.
   Forwards, a light noun-phrase grammar also ends them: a construct chain of indefinite nouns
   («قناة سما», «مصادر إعلام») runs until a definite word («النظام»); after it only definite words
   without ب (adjectives, «الرسمية»; not «بالإرهاب»), «شبه», «باسم» and ل-phrases followed by a
   definite word («لحقوق الإنسان», not «لمشاريع إعادة») continue; after an indefinite nisba
   adjective («محلية», «عسكري») only more of them; a number ends a name («درعا 24»); a name may follow
   a ``titles`` word («الدكتور علاء أبو النصر», «الرئيس بشار الأسد»). So «أكدت مصادر
   إعلام محلية غياب دور ...» gives «مصادر إعلام محلية», not the object after it. Backwards (SVO),
   a definite word left of an indefinite one ends the phrase («في ختام الجولة | بيان مقتضب أشار»).
3. *Verbs*: the source is the phrase after the verb, past ``skip`` words (VSO: «نفى اليوم موقع ...»);
   if there is none (the verb is followed by أن/إن, a preposition or punctuation), the phrase
   before it (SVO: «رابطة أحرار حوران نفت أن ...»); «X الذي/التي/الذين VERB» takes X when the verb
   agrees (الذي: masculine, التي: feminine -ت/ت-, الذين: plural -وا/-ون), so «التي أعلن» (the
   thing he announced) takes no source. ``negated`` marks a verb after لم/لن/لا.
4. *Prepositions*: the source is the object («وفق موقع “درعا 24”»); «وفق ما تناقله X» skips «ما» and
   the verb. A preposition without an object («فحسب», "only") is not an attribution.
5. *Nouns*: the genitive after a bare noun («ادعاءات وسائل إعلام النظام»); with a possessive suffix
   («مزاعمه») the source is carried from the last attribution with a source earlier in the same
   sentence (``rule == "carried"``). *Phrases* («ما وصفه», «عما أسماها»): the phrase after them
   unless it is in quotation marks (then it is the label, not the source), else carried.
6. *Outlets*: the source is matched against the outlet registry's names and aliases (longest
   first, attached proclitics allowed); a one-word alias only at the start of the source or after
   a media head noun («صحيفة الوطن»), so «مصادر إعلام الثورة» is not the newspaper al-Thawra.

**Limits.** No syntax: in VSO order a verb whose subject came before it and that is followed by
its object takes the object as source («الموقع نفى الخبر» is found, «الموقع نفى خبرا» gives «خبرا»);
a subject after a long adverbial is missed; sources are noun phrases as printed, so «الموقع» or
«القناة» (an outlet named in an earlier sentence) is not resolved, and a pronoun subject ("he said")
gives no source (``rule == "none"``). Words with two readings are counted whatever they mean
(«وفق القانون», «حسب» "reckoned", «كذب» "lies"). Precision depends on the lexicon: read the
``sentence`` column before reporting numbers.
"""
from __future__ import annotations

import bisect
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import pandas as pd
import regex
import yaml

from ..errors import ArgumentError, InputError
from ..paths import CORPUS_DIR
from ..text import TextSettings
from ..text.tokenise import tokenise, tokenise_spans
from .lexicons import _by_list, _compose, _groups, _line, _read_text, _text, _Where

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..corpus.registry import Registry

__all__ = ["DEFAULT_REPORTING_LEXICON", "KINDS", "COLUMNS", "ReportingEntry", "ReportingLexicon",
           "AttributionCounts", "load_reporting_lexicon", "parse_reporting_lexicon", "attributions",
           "corpus_attributions", "attribution_table", "attribution_rates"]

#: The default lexicon of reporting words (``corpus/lexicons/reporting-verbs.yaml``).
DEFAULT_REPORTING_LEXICON = CORPUS_DIR / "lexicons" / "reporting-verbs.yaml"
#: Kinds of reporting words; the source is found differently for each (see the module docstring).
KINDS = ("verbs", "prepositions", "nouns", "phrases")
#: Top-level keys of the lexicon file that are settings, not classes.
_SETTINGS = ("lexicon", "description", "language", "note", "max_words", "stop", "skip", "media", "titles",
             "exclude")
#: Keys of a class.
_CLASS_KEYS = ("note",) + KINDS
#: Columns of :func:`attributions`.
COLUMNS = ["word", "class", "source", "outlet", "rule", "kind", "entry", "negated", "sentence", "start", "end",
           "source_start", "source_end", "source_key"]
PER = 10_000


# ---------------------------------------------------------------------------------- the lexicon
@dataclass(frozen=True)
class ReportingEntry:
    """One reporting word or phrase as written in the lexicon (``line``: where, for errors)."""

    text: str
    cls: str
    kind: str
    line: int | None = None


@dataclass
class ReportingLexicon:
    """Reporting words by class, and the word lists of the source finder."""

    name: str
    classes: dict[str, str]  # class name -> note, in file order
    entries: tuple[ReportingEntry, ...]
    stop: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    media: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_words: int = 7
    titles: tuple[str, ...] = ()
    description: str = ""
    source: str = "<lexicon>"
    _compiled: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.entries)

    def to_dict(self) -> dict:
        out: dict = {"lexicon": self.name, "description": self.description}
        for c, note in self.classes.items():
            d: dict = {"note": note} if note else {}
            for kind in KINDS:
                words = [e.text for e in self.entries if e.cls == c and e.kind == kind]
                if words:
                    d[kind] = words
            out[c] = d
        out.update({"max_words": self.max_words, "stop": list(self.stop), "skip": list(self.skip),
                    "media": list(self.media), "titles": list(self.titles), "exclude": list(self.exclude)})
        return out

    def fingerprint(self) -> str:
        """A hash of the classes, entries and word lists (same content, same value)."""
        blob = json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def describe(self) -> pd.DataFrame:
        """One row per class and kind: how many entries."""
        rows = [{"class": c, "kind": k, "entries": sum(e.cls == c and e.kind == k for e in self.entries)}
                for c in self.classes for k in KINDS]
        return pd.DataFrame([r for r in rows if r["entries"]], columns=["class", "kind", "entries"])

    @classmethod
    def coerce(cls, value: "ReportingLexicon | str | Path | Mapping | None") -> "ReportingLexicon":
        """A lexicon from itself, a file, a mapping in the file's format, or None (the default file)."""
        if value is None:
            return load_reporting_lexicon()
        if isinstance(value, ReportingLexicon):
            return value
        if isinstance(value, Mapping):
            return parse_reporting_lexicon(value)
        if isinstance(value, (str, Path)):
            return load_reporting_lexicon(value)
        raise ArgumentError(f"lexicon must be a ReportingLexicon, a file or a mapping, got {type(value).__name__}")

    def compiled(self, settings: TextSettings) -> "_Matcher":
        """The lexicon normalised for ``settings`` (memoised)."""
        key = settings
        if key not in self._compiled:
            self._compiled[key] = _Matcher(self, settings)
        return self._compiled[key]


def _words(node: yaml.Node, err: _Where, what: str) -> tuple[list[str], list[int]]:
    """A list of words (text scalars) with their lines."""
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return [], []
    if not isinstance(node, yaml.SequenceNode):
        raise err(node, f"{what} must be a list (one word per line, '- word', or [word, word])")
    words, lines = [], []
    for item in node.value:
        if not isinstance(item, yaml.ScalarNode) or item.tag == "tag:yaml.org,2002:null":
            raise err(item, f"{what}: an entry must be a word or phrase (text), not a list, a mapping or nothing")
        text = " ".join(str(item.value).split())
        if not text:
            raise err(item, f"{what}: empty entry; remove it")
        words.append(text)
        lines.append(_line(item))
    return words, lines


def parse_reporting_lexicon(data: "Mapping | str", source: str = "<lexicon>") -> ReportingLexicon:
    """A :class:`ReportingLexicon` from YAML text or a parsed mapping (the format of
    ``corpus/lexicons/reporting-verbs.yaml``); every problem is one :class:`InputError` naming
    ``source:line`` and what to do."""
    text = data if isinstance(data, str) else yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False)
    err = _Where(source)
    root = _compose(text, source)
    if root is None:
        raise err(None, "empty lexicon file; see corpus/lexicons/reporting-verbs.yaml for the format")
    if not isinstance(root, yaml.MappingNode):
        raise err(root, "expected a mapping of classes (neutral, affirming, distancing) to their words")
    meta: dict[str, yaml.Node] = {}
    classes: dict[str, str] = {}
    class_line: dict[str, int] = {}
    entries: list[ReportingEntry] = []
    seen: dict[str, tuple[int, str]] = {}
    for k, v in root.value:
        key = " ".join(_text(k, err, "a class name").split())
        if key in _SETTINGS:
            if key in meta:
                raise err(k, f"'{key}' is given twice; keep one")
            meta[key] = v
            continue
        if not key:
            raise err(k, "empty class name")
        if key in classes:
            raise err(k, f"class '{key}' is given twice (first on line {class_line[key]}); merge them")
        if not isinstance(v, yaml.MappingNode):
            raise err(v, f"class '{key}': expected a mapping with 'verbs:', 'prepositions:', 'nouns:' or "
                         "'phrases:' lists (and an optional 'note:')")
        note = ""
        for ok, ov in v.value:
            kind = _text(ok, err, "a kind")
            if kind not in _CLASS_KEYS:
                raise err(ok, f"class '{key}': unknown key '{kind}' (allowed: {', '.join(_CLASS_KEYS)})")
            if kind == "note":
                note = " ".join(_text(ov, err, f"class '{key}': 'note'").split())
                continue
            words, lines = _words(ov, err, f"class '{key}': {kind}")
            for w, line in zip(words, lines):
                if w in seen:
                    first, first_cls = seen[w]
                    raise err(line, f"'{w}' is listed twice (first on line {first}, class '{first_cls}'); "
                                    "a word belongs to one class: remove one")
                if kind == "phrases" and len(w.split()) < 2:
                    raise err(line, f"class '{key}': phrase '{w}' is one word; list it under verbs or nouns")
                seen[w] = (line, key)
                entries.append(ReportingEntry(w, key, kind, line))
        classes[key] = note
        class_line[key] = _line(k)
    if not entries:
        raise err(root, "no reporting words: add e.g. 'neutral: {verbs: [قال, قالت]}'")

    def lst(key: str) -> tuple[str, ...]:
        return tuple(_words(meta[key], err, f"'{key}'")[0]) if key in meta else ()

    max_words = 7
    if "max_words" in meta:
        node = meta["max_words"]
        if not (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:int" and int(node.value) >= 1):
            raise err(node, "'max_words' must be a whole number >= 1 (the longest source, in words)")
        max_words = int(node.value)

    def meta_text(key: str) -> str:
        return " ".join(_text(meta[key], err, f"'{key}'").split()) if key in meta else ""

    return ReportingLexicon(meta_text("lexicon") or Path(source).stem, classes, tuple(entries), lst("stop"),
                            lst("skip"), lst("media"), lst("exclude"), max_words, lst("titles"),
                            meta_text("description"), source)


def load_reporting_lexicon(path: str | Path | None = None) -> ReportingLexicon:
    """Read a reporting-word lexicon (default :data:`DEFAULT_REPORTING_LEXICON`), UTF-8, safe YAML."""
    path = Path(path) if path is not None else DEFAULT_REPORTING_LEXICON
    return parse_reporting_lexicon(_read_text(path), str(path))


# ---------------------------------------------------------------------------------- matching
_CONJ = ("و", "ف")
_NOUN_PREFIXES = tuple(dict.fromkeys(
    c + p + a for c in ("", "و", "ف") for p in ("", "ب", "ل", "ك") for a in ("", "ال")
)) + ("لل", "ولل", "فلل")
_SUFFIXES = ("", "ه", "ها", "هم", "هما", "هن")
_MA_FORMS = {"ما": "", "عما": "عن", "مما": "من", "بما": "ب", "فيما": "في", "لما": "ل"}
_RELATIVE = {"الذي": "m", "التي": "f", "الذين": "p"}
_NEGATION = ("لم", "لن", "لا")
_ARTICLE = ("ال", "وال", "فال", "بال", "لل", "ولل", "فلل", "وبال")  # not كال/وكال: «وكالة»
#: Words that continue a source phrase as a new construct chain: «الناطق باسم الفصائل».
_LINKS = ("باسم",)
_PRONOUN_END = ("ها", "هم", "هما", "هن")
_NISBA_END = ("ي", "ية", "يين", "يون")
#: Clause punctuation between two words (quotation marks excluded), and sentence ends.
_BREAK_RE = re.compile(r"[,،;؛:()\[\]{}]|[.!?؟…](?=[\s\"'”»’)\]]|$)|\n|(?<=\s)[-–—](?=\s)")
_SENTENCE_RE = re.compile(r"[.!?؟](?=[\s\"'”»’)\]]|$)|\n")
_EDGE_RE = regex.compile(r"^[\p{P}\p{S}]*")
_PIECE_RE = regex.compile(r"[^\p{P}\p{S}\s]+")
_EDGE_END_RE = regex.compile(r"[\p{P}\p{S}]*$")
_OPEN_QUOTES = "“«\"‘„'"
_CLOSE_QUOTES = "”»\"’'"


class _Matcher:
    """A lexicon normalised under one set of text settings: surface forms to entries."""

    def __init__(self, lexicon: ReportingLexicon, settings: TextSettings):
        self.lexicon = lexicon
        self.settings = settings

        def norm(word: str, what: str, line: int | None = None) -> tuple[str, ...]:
            toks = tuple(tokenise(word, settings))
            if not toks:
                where = f"{lexicon.source}:{line}" if line else lexicon.source
                raise InputError(f"{where}: {what} '{word}' gives no word after normalisation; remove it")
            return toks

        # surface form of the first token -> [(tokens, entry, prefix, suffix)], longest entry first
        surface: dict[str, list[tuple[tuple[str, ...], ReportingEntry, str, str]]] = {}

        def add(form: str, toks: tuple[str, ...], e: ReportingEntry, prefix: str, suffix: str) -> None:
            lst = surface.setdefault(form, [])
            if all(x[1] is not e for x in lst):
                lst.append((toks, e, prefix, suffix))

        for e in lexicon.entries:
            toks = norm(e.text, "entry", e.line)
            first, rest = toks[0], toks
            if e.kind == "nouns":
                stems = [(first, s) for s in _SUFFIXES]
                if first.endswith("ة"):
                    stems = [(first, "")] + [(first[:-1] + "ت", s) for s in _SUFFIXES[1:]]
                for pre in _NOUN_PREFIXES:
                    for stem, suf in stems:
                        if pre.endswith(("ال", "لل")) and first.startswith("ال"):
                            continue  # an entry written with the article takes no second one
                        add(pre + stem + suf, rest, e, pre, suf)
            elif e.kind == "phrases" and first == "ما":
                for form, pre in _MA_FORMS.items():
                    for c in ("",) + _CONJ:
                        add(c + form, rest, e, c + pre, "")
            else:
                for c in ("",) + _CONJ:
                    add(c + first, rest, e, c, "")
        for lst in surface.values():
            lst.sort(key=lambda x: -len(x[0]))
        self.surface = surface
        self.exclude = frozenset(t for w in lexicon.exclude for t in tokenise(w, settings))
        self.skip = frozenset(t for w in lexicon.skip for t in tokenise(w, settings))
        self.stop = frozenset(t for w in lexicon.stop for t in tokenise(w, settings)) | self.skip
        self.media = frozenset(t for w in lexicon.media for t in tokenise(w, settings))
        self.titles = frozenset(t for w in lexicon.titles for t in tokenise(w, settings))
        self.relative = {tokenise(k, settings)[0]: v for k, v in _RELATIVE.items()}
        self.negation = frozenset(tokenise(" ".join(_NEGATION), settings))
        self.shebh = tokenise("شبه", settings)[0]


@lru_cache(maxsize=4)
def _default_lexicon(mtime: float) -> ReportingLexicon:
    return load_reporting_lexicon()


def _lexicon(value) -> ReportingLexicon:
    if value is None:
        try:
            return _default_lexicon(DEFAULT_REPORTING_LEXICON.stat().st_mtime)
        except OSError:
            return load_reporting_lexicon()
    return ReportingLexicon.coerce(value)


def _settings(settings) -> TextSettings:
    """The settings source finding works under: every word kept, no clitic splitting."""
    s = TextSettings.coerce(settings)
    return s.replace(remove_stopwords=False, min_length=1, clitics="off", clitic_vocabulary_path=None)


# ---------------------------------------------------------------------------------- outlets
class _Outlets:
    """Outlet names and aliases of a registry, as token sequences, longest first."""

    def __init__(self, registry: "Registry", settings: TextSettings):
        names: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self.camp: dict[str, str] = {}
        for o in registry.outlets:
            self.camp[o["id"]] = str(o.get("camp") or "")
            for n in dict.fromkeys([o.get("name_ar"), o.get("name_en"), *(o.get("aliases") or [])]):
                if not n:
                    continue
                toks = tuple(tokenise(str(n), settings))
                if toks:
                    names.setdefault(toks[0], []).append((toks, o["id"]))
        for lst in names.values():
            lst.sort(key=lambda x: -len(x[0]))
        self.names = names

    @staticmethod
    def _forms(tok: str) -> list[str]:
        out = [tok]
        t = tok[1:] if tok[:1] in _CONJ and len(tok) > 3 else tok
        if t != tok:
            out.append(t)
        if t.startswith("لل") and len(t) > 3:
            out.append("ال" + t[2:])
        elif t[:1] in ("ب", "ل", "ك") and len(t) > 3:
            out.append(t[1:])
        return out

    def match(self, toks: Sequence[str], media: frozenset) -> str | None:
        """The outlet named in ``toks`` (a source's normalised tokens), or None."""
        best: tuple[int, int, str] | None = None
        for i, tok in enumerate(toks):
            for form in self._forms(tok):
                for names, oid in self.names.get(form, ()):
                    n = len(names)
                    if tuple(toks[i + 1:i + n]) != names[1:]:
                        continue
                    if n == 1 and i > 0 and not any(f in media for f in self._forms(toks[i - 1])):
                        continue
                    if best is None or n > best[0]:
                        best = (n, -i, oid)
        return best[2] if best else None


def _registry(value, store=None) -> "Registry | None":
    from ..corpus.registry import Registry, load_registry

    if value is False:
        return None
    if isinstance(value, Registry):
        return value
    if value is not None:
        return load_registry(value)
    if store is not None and store.registry is not None:
        return store.registry
    return load_registry()


# ---------------------------------------------------------------------------------- one text
class _Text:
    """One text's tokens with spans, and the punctuation between them."""

    def __init__(self, text: str, settings: TextSettings):
        self.text = text
        spans = tokenise_spans(text, settings)
        self.toks = [t for t, _, _ in spans]
        self.ws = [s for _, s, _ in spans]
        self.we = [e for _, _, e in spans]
        self.n = len(spans)
        self._split_words()
        self._breaks: list[int] | None = None
        self._sents: list[int] | None = None
        self._core: dict[int, tuple[int, int]] = {}

    def _split_words(self) -> None:
        """Give the tokens of one raw word («لـ“المرصد» → ل, المرصد) the pieces of it between
        punctuation, when there are as many pieces as tokens (else they keep the whole word)."""
        k = 0
        while k < self.n:
            j = k
            while j + 1 < self.n and self.ws[j + 1] == self.ws[k]:
                j += 1
            if j > k:
                base = self.ws[k]
                pieces = [(m.start(), m.end())
                          for m in _PIECE_RE.finditer(self.text, base, self.we[k])]
                if len(pieces) == j - k + 1:
                    for i, (a, b) in zip(range(k, j + 1), pieces):
                        self.ws[i], self.we[i] = a, b
            k = j + 1

    @property
    def breaks(self) -> list[int]:
        if self._breaks is None:
            self._breaks = [m.start() for m in _BREAK_RE.finditer(self.text)]
        return self._breaks

    @property
    def sentence_ends(self) -> list[int]:
        if self._sents is None:
            self._sents = [m.start() for m in _SENTENCE_RE.finditer(self.text)]
        return self._sents

    def core(self, k: int) -> tuple[int, int]:
        """Offsets of token ``k``'s raw word without punctuation at its edges."""
        c = self._core.get(k)
        if c is None:
            raw = self.text[self.ws[k]:self.we[k]]
            lead = _EDGE_RE.match(raw).end()
            trail = len(raw) - _EDGE_END_RE.search(raw, lead).start()
            c = self._core[k] = (self.ws[k] + lead, max(self.ws[k] + lead, self.we[k] - trail))
        return c

    def brk(self, k: int) -> bool:
        """Clause punctuation between token ``k`` and token ``k + 1`` (or the text's end)."""
        if k + 1 >= self.n:
            return True
        if self.ws[k] == self.ws[k + 1]:
            return False
        a, b = self.core(k)[1], self.core(k + 1)[0]
        i = bisect.bisect_left(self.breaks, a)
        return i < len(self.breaks) and self.breaks[i] < b

    def sentence(self, k: int) -> tuple[int, int]:
        """Offsets of the sentence holding token ``k`` (from after the previous sentence end)."""
        ends = self.sentence_ends
        pos = self.core(k)[0]
        i = bisect.bisect_left(ends, pos)
        start = ends[i - 1] + 1 if i > 0 else 0
        end = ends[i] + 1 if i < len(ends) else len(self.text)
        return start, end

    def sentence_text(self, k: int) -> str:
        s, e = self.sentence(k)
        return " ".join(self.text[s:e].split())

    def printed(self, first: int, last: int) -> tuple[str, int, int]:
        """The words of tokens ``first..last`` as printed, with balanced quotation marks."""
        s, e = self.core(first)[0], self.core(last)[1]
        frag = self.text[s:e]
        opens = sum(frag.count(q) for q in "“«„‘")
        closes = sum(frag.count(q) for q in "”»’")
        if opens > closes:
            while e < self.we[last] and self.text[e] in _CLOSE_QUOTES:
                e += 1
        elif closes > opens:
            while s > self.ws[first] and self.text[s - 1] in _OPEN_QUOTES:
                s -= 1
        elif (s > self.ws[first] and e < self.we[last] and self.text[s - 1] in _OPEN_QUOTES
              and self.text[e] in _CLOSE_QUOTES):
            s, e = s - 1, e + 1  # «قناة سما»: quoted as a whole
        return self.text[s:e], s, e

    def opens_quote(self, k: int) -> bool:
        return any(q in self.text[self.ws[k]:self.core(k)[0]] for q in _OPEN_QUOTES)


def _strip_conj(tok: str) -> str:
    return tok[1:] if tok[:1] in _CONJ and len(tok) > 2 else tok


def _definite(tok: str) -> bool:
    return len(tok) > 3 and tok.startswith(_ARTICLE)


def _nisba(tok: str) -> bool:
    return len(tok) >= 4 and not _definite(tok) and _strip_conj(tok).endswith(_NISBA_END)


def _gender(form: str) -> str:
    """m, f or p for a verb form without و/ف (a heuristic: -وا/-ون plural, -ت or ت- feminine)."""
    if form.endswith(("وا", "ون")):
        return "p"
    if form.endswith("ت") or form.startswith("ت"):
        return "f"
    return "m"


class _Finder:
    """Attributions of one text (see the module docstring for the rules)."""

    def __init__(self, t: _Text, m: _Matcher):
        self.t, self.m = t, m
        self.max = m.lexicon.max_words

    def is_stop(self, tok: str) -> bool:
        stop = self.m.stop
        return tok in stop or (tok[:1] in _CONJ and len(tok) > 2 and tok[1:] in stop)

    def triggers(self) -> list[tuple[int, int, ReportingEntry, str, str, int]]:
        """``(first, last, entry, prefix, suffix, source_start)``: reporting words in text order."""
        toks, m, out = self.t.toks, self.m, []
        i, n = 0, self.t.n
        while i < n:
            tok = toks[i]
            cands = m.surface.get(tok) if tok not in m.exclude else None
            hit = None
            for etoks, e, pre, suf in cands or ():
                k = len(etoks)
                rest = etoks[1:]
                if not rest:
                    hit = (i, i, e, pre, suf, i + 1)
                    break
                got = tuple(toks[i + 1:i + k])
                if got == rest:
                    hit = (i, i + k - 1, e, pre, suf, i + k)
                    break
                # a final one-letter preposition attached to the next word: «وفقا للمرصد»
                if (len(rest[-1]) == 1 and len(got) == len(rest) and got[:-1] == rest[:-1]
                        and got[-1].startswith(rest[-1]) and len(got[-1]) > 2):
                    hit = (i, i + k - 2, e, pre, suf, i + k - 1)
                    break
            if hit:
                out.append(hit)
                i = hit[1] + 1
            else:
                i += 1
        return out

    # -- noun phrases
    def forward(self, j: int, taken: set[int]) -> list[int]:
        t, toks = self.t, self.t.toks
        out: list[int] = []
        phase = ""
        k = j
        while k < t.n and len(out) < self.max:
            if k > j and t.brk(k - 1):
                break
            tok = toks[k]
            if k in taken or self.is_stop(tok) or len(tok) == 1:  # «بـ», «لـ» written apart
                break
            base = _strip_conj(tok)
            if out and _strip_conj(toks[k - 1]) in self.m.titles and not _definite(tok):
                out.append(k)  # «الدكتور علاء ...», «اللواء محمد ...»: a name follows a title
                phase = "chain"
                k += 1
                continue
            if not out:
                phase = "adj" if _definite(tok) else "chain"
            else:
                if toks[k - 1].isdigit() and not tok.isdigit():
                    break  # a number ends a name: «موقع درعا 24 | الخبر»
                if base == self.m.shebh:
                    pass
                elif base in _LINKS:
                    phase = "chain"
                elif tok.startswith(("ل", "ب")) and tok.endswith(_PRONOUN_END) and len(tok) > 4:
                    break
                elif phase == "chain":
                    if tok.isdigit():
                        pass
                    elif _definite(tok):
                        phase = "adj"
                    elif _nisba(tok):
                        phase = "nisba"
                elif phase == "adj":
                    if _definite(tok) and not tok.startswith(("بال", "وبال")):
                        pass  # an adjective («الرسمية») or a coordinated noun; «بالإرهاب» is not
                    elif (tok.startswith("ل") and len(tok) > 3 and k + 1 < t.n and not t.brk(k)
                          and _definite(toks[k + 1])):
                        phase = "chain"  # «السوري لحقوق الإنسان», not «النظام السوري لمشاريع إعادة ...»
                    else:
                        break
                elif phase == "nisba":
                    if _nisba(tok):
                        pass
                    elif _definite(tok) and tok.startswith(("لل", "ولل")):
                        phase = "adj"
                    else:
                        break
            out.append(k)
            k += 1
        return out

    def backward(self, j: int, taken: set[int]) -> list[int]:
        t, toks = self.t, self.t.toks
        out: list[int] = []
        k = j
        while k >= 0 and len(out) < self.max:
            if k < j and t.brk(k):
                break
            tok = toks[k]
            if k in taken or self.is_stop(tok):
                break
            if out and _definite(tok) and not _definite(toks[out[0]]) and not self._link(toks[out[0]]):
                break  # «في ختام الجولة | بيان مقتضب أشار»: a definite word ends a construct chain
            out.insert(0, k)
            if tok[:1] == "و" and len(tok) > 3:  # a clause or a coordinated phrase starts here
                break
            k -= 1
        return out

    def _link(self, tok: str) -> bool:
        """Words after which a definite word may still belong to the phrase: digits, «شبه»,
        «باسم» and ل-phrases («السوري لحقوق الإنسان»)."""
        base = _strip_conj(tok)
        return tok.isdigit() or base == self.m.shebh or base in _LINKS or (tok.startswith("ل") and len(tok) > 3)

    def pass_skip(self, k: int, step: int) -> int | None:
        """The first token from ``k`` (moving by ``step``) that is not a skip word, or None at a break."""
        t = self.t
        while 0 <= k < t.n and t.toks[k] in self.m.skip:
            if (step > 0 and t.brk(k)) or (step < 0 and k > 0 and t.brk(k - 1)):
                return None
            k += step
        return k if 0 <= k < t.n else None

    def verb_source(self, first: int, last: int, form: str, taken: set[int]) -> tuple[list[int], str]:
        t = self.t
        if not t.brk(last):
            k = self.pass_skip(last + 1, +1)
            if k is not None:
                np_ = self.forward(k, taken)
                if np_:
                    return np_, "after"
        if first == 0 or t.brk(first - 1):
            return [], "none"
        k = self.pass_skip(first - 1, -1)
        if k is None or (k < first - 1 and t.brk(k)):
            return [], "none"
        rel = self.m.relative.get(t.toks[k])
        if rel is not None:
            if rel != _gender(form) or k == 0 or t.brk(k - 1):
                return [], "none"
            np_ = self.backward(k - 1, taken)
            return np_, ("relative" if np_ else "none")
        np_ = self.backward(k, taken)
        return np_, ("before" if np_ else "none")

    def prep_source(self, j: int, taken: set[int]) -> tuple[list[int], int | None]:
        """The object of a preposition starting at token ``j``, and the verb of «وفق ما VERB X»
        (which is part of this attribution, not one of its own), if any."""
        t, toks = self.t, self.t.toks
        if j >= t.n or t.brk(j - 1):
            return [], None
        if toks[j] == "ل" and j + 1 < t.n and not t.brk(j):  # «وفقا لـ X» written apart
            j += 1
        verb = None
        if toks[j] in ("ما", "لما") and j + 2 < t.n and not t.brk(j) and not t.brk(j + 1):
            verb, j = j + 1, j + 2  # «وفق ما تناقله X»: skip ما and the verb
            k = self.pass_skip(j, +1)  # «بحسب ما أفادت به X»
            if k is None or t.brk(k - 1):
                return [], verb
            j = k
        return self.forward(j, taken - {verb}), verb

    def run(self) -> list[dict]:
        t, m = self.t, self.m
        trig = self.triggers()
        taken = {k for a, b, *_ in trig for k in range(a, b + 1)}
        rows: list[dict] = []
        consumed: set[int] = set()
        for first, last, e, pre, suf, after in trig:
            if first in consumed:
                continue
            src: list[int] = []
            rule = "none"
            if e.kind == "verbs":
                src, rule = self.verb_source(first, last, t.toks[first][len(pre):], taken)
            elif e.kind == "prepositions":
                src, verb = self.prep_source(after, taken)
                if verb is not None:
                    consumed.add(verb)
                if not src:
                    continue  # «فحسب», «حسب» without an object: not an attribution
                rule = "object"
            elif e.kind == "nouns":
                if not suf and not pre.endswith(("ال", "لل")) and not t.brk(last):
                    src = self.forward(last + 1, taken)
                    rule = "genitive" if src else "none"
            elif e.kind == "phrases":
                if not t.brk(last) and last + 1 < t.n and not t.opens_quote(last + 1):
                    src = self.forward(last + 1, taken)
                    rule = "after" if src else "none"
            word, start, end = t.printed(first, last)
            negated = (e.kind == "verbs" and first > 0 and not t.brk(first - 1)
                       and _strip_conj(t.toks[first - 1]) in m.negation)
            row = {"word": word, "class": e.cls, "source": "", "outlet": "", "rule": rule, "kind": e.kind,
                   "entry": e.text, "negated": bool(negated), "sentence": t.sentence_text(first),
                   "start": start, "end": end, "source_start": -1, "source_end": -1, "source_key": "",
                   "_sent": t.sentence(first), "_src": src}
            if src:
                row["source"], row["source_start"], row["source_end"] = t.printed(src[0], src[-1])
            elif e.kind in ("nouns", "phrases") and (suf or e.kind == "phrases"):
                for prev in reversed(rows):  # «مزاعمه», «عما أسماها»: the source named before
                    if prev["_sent"] == row["_sent"] and prev["_src"]:
                        for c in ("source", "source_start", "source_end", "_src"):
                            row[c] = prev[c]
                        row["rule"] = "carried"
                        break
            rows.append(row)
        return rows


def _finish(rows: list[dict], t: _Text, m: _Matcher, outlets: _Outlets | None) -> list[dict]:
    for r in rows:
        src = r.pop("_src")
        r.pop("_sent")
        if not src:
            continue
        toks = [t.toks[k] for k in src]
        r["outlet"] = (outlets.match(toks, m.media) or "") if outlets is not None else ""
        key = [_strip_conj(toks[0]) if toks[0][:1] in _CONJ and len(toks[0]) > 3 else toks[0]] + toks[1:]
        r["source_key"] = r["outlet"] or " ".join(key)
    return rows


def _outlets_for(registry, settings: TextSettings, store=None) -> _Outlets | None:
    reg = _registry(registry, store)
    return _Outlets(reg, settings) if reg is not None else None


def attributions(text: str, lexicon: "ReportingLexicon | str | Path | Mapping | None" = None,
                 settings: Any = None, *, registry: "Registry | str | Path | None | bool" = None) -> pd.DataFrame:
    """Every attribution in one text: the reporting word, its class, and the source it names.

    ``lexicon``: a :class:`ReportingLexicon`, a file or a mapping (default
    ``corpus/lexicons/reporting-verbs.yaml``); ``settings``: text settings (anything
    :meth:`TextSettings.coerce` takes) for normalising text and lexicon alike (every word kept);
    ``registry``: outlet registry for the ``outlet`` column (a :class:`Registry` or a file; default
    ``corpus/outlets.yaml``; ``False``: none).

    One row per reporting word, in text order (:data:`COLUMNS`): ``word`` as printed, ``class``,
    ``source`` as printed (``""`` when none was found), ``outlet`` (registry id or None), ``rule``
    (how the source was found: ``after`` (VSO), ``before`` (SVO), ``relative`` («X الذي قال»),
    ``object`` (of وفق/بحسب), ``genitive`` (of مزاعم), ``carried`` (from an earlier attribution in
    the sentence), ``none``), ``kind``, the lexicon ``entry``, ``negated`` (after لم/لن/لا), the
    ``sentence``, offsets ``start``/``end`` of the word and ``source_start``/``source_end`` of the
    source (``-1`` when none) into ``text``, and ``source_key`` (the outlet id, else the normalised
    source: what tables group by).
    """
    lex = _lexicon(lexicon)
    s = _settings(settings)
    m = lex.compiled(s)
    t = _Text(str(text), s)
    rows = _finish(_Finder(t, m).run(), t, m, _outlets_for(registry, s))
    out = pd.DataFrame(rows, columns=COLUMNS)
    out.attrs.update({"lexicon": lex.name, "lexicon_fingerprint": lex.fingerprint(),
                      "settings": s.fingerprint()})
    return out


# ---------------------------------------------------------------------------------- a corpus
@dataclass
class AttributionCounts:
    """Every attribution of an analysis' documents (``rows``: :data:`COLUMNS` plus ``id`` and the
    document's row ``doc``), and the documents with their word counts (``docs``: the analysis' docs
    plus ``words``, every token kept)."""

    rows: pd.DataFrame
    docs: pd.DataFrame
    lexicon: ReportingLexicon
    outlet_camps: dict[str, str]
    meta: dict


def corpus_attributions(analysis: "Analysis", lexicon: "ReportingLexicon | str | Path | Mapping | None" = None,
                        *, registry: "Registry | str | Path | None | bool" = None,
                        batch_size: int = 2000) -> AttributionCounts:
    """:func:`attributions` of every selected document (title and text, as tokenised).

    Texts are streamed from the store in storage order (``batch_size`` rows at a time, as
    :meth:`~workbench.tokens.TokenStream.texts` reads them, without needing a token cache), so
    memory holds one batch and the attributions. ``registry`` defaults to the store's own. The
    articles are read :data:`CHUNK_DOCS` at a time on every core (:func:`workbench.parallel.ordered_map`:
    forked workers, results in storage order, the same table for any number of cores).
    """
    from ..parallel import ordered_map

    global _CORPUS_JOB
    lex = _lexicon(lexicon)
    s = _settings(analysis.settings)
    st = analysis.store
    reg = _registry(registry, st)
    outlets = _Outlets(reg, s) if reg is not None else None
    mask = analysis.mask
    docs = analysis.docs.copy()
    meta = {**analysis.manifest(), "lexicon": lex.name, "lexicon_source": lex.source,
            "lexicon_fingerprint": lex.fingerprint()}
    camps = dict(outlets.camp) if outlets else {}
    cache = _AttributionCache(analysis, lex, s, reg)
    hit = cache.read(len(docs))
    if hit is not None:
        rows, docs["words"] = hit
        return AttributionCounts(rows, docs, lex, camps, meta)
    m = lex.compiled(s)
    words = np.zeros(len(docs), dtype=np.int64)
    found: list[tuple] = []

    def chunks():
        """Selected ``(id, row, title, text)`` in storage order, ``CHUNK_DOCS`` at a time."""
        stored = zip(st.iter_column("id", batch_size), st.iter_column("title", batch_size),
                     st.iter_column("text", batch_size))
        chunk, row = [], -1
        for i, (doc_id, title, text) in enumerate(stored):
            if mask[i]:
                row += 1
                chunk.append((doc_id, row, title, text))
                if len(chunk) == CHUNK_DOCS:
                    yield chunk
                    chunk = []
        if chunk:
            yield chunk

    _CORPUS_JOB = (s, m, outlets)
    try:
        # pure Python, about 1 ms per article: on every core, results in storage order
        for rows_words, rows_found in ordered_map(_attribute_chunk, chunks(), min_items=PARALLEL_MIN_CHUNKS):
            for row, n in rows_words:
                words[row] = n
            found.extend(rows_found)
    finally:
        _CORPUS_JOB = None
    docs["words"] = words
    rows = pd.DataFrame(found, columns=["id", "doc"] + COLUMNS)
    rows["negated"] = rows["negated"].astype(bool)
    if len(rows):
        cache.write(rows, words)
    return AttributionCounts(rows, docs, lex, camps, meta)


class _AttributionCache:
    """:func:`corpus_attributions` of one analysis, kept in ``cache_root/attributions/``: the rows
    as Parquet and the word counts in a :class:`~workbench.resultcache.ArrayCache` (read without
    pickle: data, never code), under :func:`~workbench.resultcache.analysis_key` of the analysis
    with the lexicon and the registry, so any change computes afresh. The Parquet file is written
    last and marks a complete entry; an entry that cannot be written or read is skipped."""

    def __init__(self, analysis, lex, settings, reg):
        from ..resultcache import ArrayCache, analysis_key

        self.folder = analysis.cache_root / "attributions"
        self.key = analysis_key(analysis, "attributions", text_settings=settings.fingerprint(),
                                lexicon=lex.fingerprint(), registry=reg.to_dict() if reg is not None else None)
        self.words = ArrayCache(self.folder, self.key)

    def read(self, n_docs: int):
        import pyarrow as pa
        import pyarrow.parquet as pq

        hit = self.words.read()
        if hit is None or "words" not in hit[0] or hit[0]["words"].shape != (n_docs,):
            return None
        try:
            rows = pq.read_table(self.folder / f"{self.key}.parquet").to_pandas()
        except (OSError, ValueError, pa.ArrowException):
            return None
        if list(rows.columns) != ["id", "doc"] + COLUMNS:
            return None
        return rows, hit[0]["words"].astype(np.int64)

    def write(self, rows: pd.DataFrame, words: np.ndarray) -> None:
        import os
        import uuid

        import pyarrow as pa
        import pyarrow.parquet as pq

        path = self.folder / f"{self.key}.parquet"
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        self.words.write({"words": np.asarray(words, dtype=np.int64)})
        try:
            pq.write_table(pa.Table.from_pandas(rows, preserve_index=False), tmp)
            os.replace(tmp, path)   # last: the rows file marks a complete entry
        except (OSError, pa.ArrowException):
            tmp.unlink(missing_ok=True)


#: Articles per task of :func:`corpus_attributions`, and the fewest tasks worth forking workers for.
CHUNK_DOCS = 250
PARALLEL_MIN_CHUNKS = 8

_CORPUS_JOB = None  # (settings, compiled lexicon, registry outlets) of corpus_attributions, inherited by forked workers


def _attribute_chunk(chunk: list[tuple]) -> tuple[list[tuple[int, int]], list[tuple]]:
    """Words per article and attribution rows of one chunk of :func:`corpus_attributions`."""
    from ..tokens import document_text

    s, m, outlets = _CORPUS_JOB
    words, found = [], []
    for doc_id, row, title, text in chunk:
        t = _Text(document_text(title, text), s)
        words.append((row, t.n))
        if m.surface.keys().isdisjoint(t.toks):
            continue
        for r in _finish(_Finder(t, m).run(), t, m, outlets):
            found.append((str(doc_id), row, *(r[c] for c in COLUMNS)))
    return words, found


def _counts(source, lexicon, registry) -> AttributionCounts:
    if isinstance(source, AttributionCounts):
        if lexicon is not None or registry is not None:
            raise ArgumentError("give the lexicon and registry to corpus_attributions, not with its result")
        return source
    return corpus_attributions(source, lexicon, registry=registry)


def _group_names(counts: AttributionCounts, by) -> tuple[np.ndarray, list[str], list[str]]:
    cols = _by_list(by)
    keys, labels = _groups(counts.docs, cols)
    return keys, [" / ".join(g) if g else "all" for g in labels], cols


def attribution_table(analysis: "Analysis | AttributionCounts", by: str | Sequence[str] | None = "camp",
                      lexicon: "ReportingLexicon | str | Path | Mapping | None" = None, *,
                      registry: "Registry | str | Path | None | bool" = None,
                      min_count: int = 1) -> pd.DataFrame:
    """Which sources each group cites, and with which class of reporting word.

    One row per group × source × class (every class of the lexicon for each source the group
    cites, zeros included, so shares compare): ``group``, ``source`` (the outlet id when the
    registry knows it, else the source as most often printed; ``(no source)`` for reporting words
    whose source was not found), ``outlet``, ``cited_camp`` (the cited outlet's camp in the
    registry), ``class``, ``count``, ``docs`` (documents of the group with such an attribution),
    ``source_total`` (the group's attributions to the source), ``share`` (``count / source_total``:
    how the group frames this source), ``group_total`` and ``group_share`` (``count / group_total``).
    Sources with fewer than ``min_count`` attributions in a group are left out. Rows: groups in
    order, sources by ``source_total`` (largest first). ``attrs`` hold the lexicon, the analysis'
    manifest and ``rates`` (each class per 10,000 words per group, as :func:`attribution_rates`).
    """
    counts = _counts(analysis, lexicon, registry)
    keys, names, cols = _group_names(counts, by)
    classes = list(counts.lexicon.classes)
    out_cols = ["group", "source", "outlet", "cited_camp", "class", "count", "docs", "source_total", "share",
                "group_total", "group_share"]
    rows = counts.rows
    if rows.empty:
        table = pd.DataFrame(columns=out_cols)
    else:
        r = rows.assign(group=np.asarray(names, dtype=object)[keys[rows["doc"].to_numpy(dtype=np.int64)]])
        label = r["source"].where(r["source_key"] != "", "(no source)")
        r = r.assign(key=r["source_key"].where(r["source_key"] != "", "(no source)"), label=label)
        # the most frequent printed form of each key, as the label of sources without an outlet
        shown = (r.groupby(["key", "label"], sort=False).size().reset_index(name="n")
                 .sort_values(["key", "n", "label"], ascending=[True, False, True])
                 .drop_duplicates("key").set_index("key")["label"])
        extra = [c for c in r["class"].unique() if c not in classes]
        grouped = r.groupby(["group", "key", "class"], sort=False).agg(count=("word", "size"), docs=("id", "nunique"))
        # every class of the lexicon for each (group, source), zeros included
        wide = grouped.unstack("class", fill_value=0)
        wide = wide.reindex(columns=pd.MultiIndex.from_product([["count", "docs"], classes + extra],
                                                               names=[None, "class"]),
                            fill_value=0)
        long = wide.stack("class", future_stack=True).reset_index()
        long = long.rename(columns={"key": "source"})
        is_outlet = long["source"].isin(list(counts.outlet_camps))
        outlet = long["source"].where(is_outlet, "")
        table = pd.DataFrame({
            "group": long["group"], "source": long["source"].where(is_outlet, long["source"].map(shown)),
            "outlet": outlet, "cited_camp": outlet.map(counts.outlet_camps).fillna(""), "class": long["class"],
            "count": long["count"].astype(np.int64), "docs": long["docs"].astype(np.int64)})
        table["source_total"] = table.groupby(["group", "source", "outlet"], dropna=False)["count"].transform("sum")
        table["share"] = table["count"] / table["source_total"]
        table["group_total"] = table.groupby("group")["count"].transform("sum")
        table["group_share"] = table["count"] / table["group_total"].where(table["group_total"] > 0)
        table = table[table["source_total"] >= min_count]
        order = {g: i for i, g in enumerate(names)}
        cls_order = {c: i for i, c in enumerate(classes)}
        table = (table.assign(_g=table["group"].map(order), _c=table["class"].map(cls_order).fillna(len(classes)))
                 .sort_values(["_g", "source_total", "source", "_c"], ascending=[True, False, True, True])
                 .drop(columns=["_g", "_c"]).reset_index(drop=True))
    table.attrs.update({**counts.meta, "by": cols, "groups": names, "classes": classes,
                        "rates": attribution_rates(counts, by).to_dict(orient="records")})
    return table


def attribution_rates(analysis: "Analysis | AttributionCounts", by: str | Sequence[str] | None = "camp",
                      lexicon: "ReportingLexicon | str | Path | Mapping | None" = None, *,
                      registry: "Registry | str | Path | None | bool" = None) -> pd.DataFrame:
    """Each class of reporting word per 10,000 words in each group.

    One row per group × class: ``group``, ``class``, ``count`` (attributions), ``with_source``
    (those whose source was found), ``docs`` (documents in the group), ``docs_with`` (documents with
    at least one), ``words`` (every token of the group's documents, title included) and
    ``per_10k = count / words × 10,000``.
    """
    counts = _counts(analysis, lexicon, registry)
    keys, names, cols = _group_names(counts, by)
    classes = list(counts.lexicon.classes)
    rows = counts.rows
    words = np.bincount(keys, weights=counts.docs["words"].to_numpy(), minlength=len(names))
    ndocs = np.bincount(keys, minlength=len(names))
    out = []
    doc_group = keys[rows["doc"].to_numpy(dtype=np.int64)] if len(rows) else np.empty(0, np.int64)
    for g, name in enumerate(names):
        sel = rows[doc_group == g] if len(rows) else rows
        for cls in classes:
            c = sel[sel["class"] == cls] if len(sel) else sel
            n = len(c)
            out.append((name, cls, n, int((c["source_key"] != "").sum()) if n else 0, int(ndocs[g]),
                        int(c["doc"].nunique()) if n else 0, int(words[g]),
                        n / words[g] * PER if words[g] else 0.0))
    table = pd.DataFrame(out, columns=["group", "class", "count", "with_source", "docs", "docs_with", "words",
                                       "per_10k"])
    table.attrs.update({**counts.meta, "by": cols, "groups": names, "per": PER})
    return table
