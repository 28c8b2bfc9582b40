"""Lexicons: named lists of words and phrases, counted in every document, compared across groups.

A :class:`Lexicon` maps category names (``actor:government``, ``frame:terrorism``) to entries:
words, phrases, wildcards (``*``) and, per category, attached proclitics (``clitics: true``), as in
:mod:`workbench.reading.patterns`. Entries are written in ordinary spelling (hamza, ة, ى) and
normalised like the corpus, so «الإرهابيين» also finds «الارهابيين».

Three file formats are read (:func:`load_lexicon`), all with ``yaml.safe_load`` rules (no tags, no
code) and one-line errors naming ``file:line`` and what to do:

* **ours** (``corpus/lexicons/*.yaml``): top-level ``lexicon: NAME``, ``description``, ``language``,
  an optional default ``clitics``, and one key per category whose value is either a list of entries
  or a mapping ``{entries: [...], clitics: bool, exclude: [...], note: text}``;
* **quanteda YAML** dictionaries (``quanteda::dictionary(file = "x.yml")``): nested mappings of keys
  to lists, nested keys joined with ``.``; globs ``*`` (any letters) and ``?`` (one letter);
* **LIWC** ``.dic`` files: a ``%`` header of numbered categories, then ``word<TAB>1 4 ...`` lines,
  ``*`` suffix globs (Pennebaker et al. 2015).

Counting (:func:`lexicon_counts`) matches every entry on the analysis' reading tokens
(:meth:`Analysis.reading`: every word kept). **Overlaps are counted once per category**: all
matches of a category's entries are collected and taken longest first (then leftmost, then in the
order the entries are listed); a match is kept only if none of its tokens is already taken. So in
«قوات النظام» the phrase counts and the word «النظام» inside it does not, and «مكافحة الإرهاب» is
one mention of the terrorism frame, not two. A category's ``exclude`` entries take part
in this and are then dropped: ``exclude: [النظام الدولي]`` keeps «the international order» out of
the regime's names. Different categories are counted independently (one token may be an actor and
part of a frame), as quanteda's ``tokens_lookup(nested_scope = "key")`` does.

From the counts: :func:`lexicon_rates` (rate per 10,000 tokens per group with 95% intervals) and
:func:`naming_table` (which label each group uses for one actor: χ² test of independence,
Cramér's V, adjusted residuals; :mod:`workbench.stats.counts` has the methods and citations).
``corpus/lexicons/syria.yaml`` is a starter lexicon of the Syrian conflict's contested names::

    from workbench.analysis import Analysis
    from workbench.reading.lexicons import load_lexicon, naming_table
    analysis = Analysis("build/demo-store")
    naming_table(analysis, load_lexicon("corpus/lexicons/syria.yaml"), "actor:government", by="camp")

References: Pennebaker, J. W., Boyd, R. L., Jordan, K. & Blackburn, K. (2015), *The development
and psychometric properties of LIWC2015*, University of Texas at Austin (the ``.dic`` format);
Benoit, K. et al. (2018), quanteda: An R package for the quantitative analysis of textual data,
*Journal of Open Source Software* 3(30), 774 (dictionaries, ``tokens_lookup``).
"""
from __future__ import annotations

import hashlib
import json
import re
import warnings
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
import yaml

from ..errors import AnalysisError, ArgumentError, InputError, WorkbenchWarning
from ..paths import CORPUS_DIR
from .patterns import Pattern, compile_query

if TYPE_CHECKING:
    from ..analysis import Analysis

__all__ = ["DEFAULT_LEXICON", "FORMATS", "Entry", "Category", "Lexicon", "LexiconCounts", "load_lexicon",
           "parse_lexicon", "lexicon_counts", "lexicon_rates", "naming_table"]

#: The starter lexicon of the Syrian conflict (``corpus/lexicons/syria.yaml``).
DEFAULT_LEXICON = CORPUS_DIR / "lexicons" / "syria.yaml"
#: Lexicon file formats: ours (YAML), quanteda's YAML dictionaries, LIWC ``.dic``.
FORMATS = ("workbench", "quanteda", "liwc")
#: Top-level keys of our format that are not categories.
_META = ("lexicon", "description", "language", "clitics", "note", "categories")
#: Keys of a category written as a mapping.
_CATEGORY_KEYS = ("entries", "clitics", "exclude", "note")


# ---------------------------------------------------------------------------------- the lexicon
@dataclass(frozen=True)
class Entry:
    """One entry as written in the lexicon file (``line``: where, for error messages)."""

    text: str
    line: int | None = None
    #: ``"query"`` (our syntax: ``*`` wildcards) or ``"glob"`` (quanteda/LIWC: ``*`` and ``?``).
    syntax: str = "query"


@dataclass(frozen=True)
class Category:
    """A named list of entries; ``exclude`` entries are matched (longest first) but never counted."""

    name: str
    entries: tuple[Entry, ...]
    clitics: bool = False
    exclude: tuple[Entry, ...] = ()
    note: str = ""
    line: int | None = None

    @property
    def labels(self) -> list[str]:
        return [e.text for e in self.entries]


@dataclass
class Lexicon:
    """Categories of entries, with where they came from (``source``) and the file ``format``."""

    name: str
    categories: dict[str, Category]
    description: str = ""
    language: str = ""
    source: str = "<lexicon>"
    format: str = "workbench"

    def __len__(self) -> int:
        return len(self.categories)

    def __iter__(self):
        return iter(self.categories.values())

    def __contains__(self, name: object) -> bool:
        return name in self.categories

    def __getitem__(self, name: str) -> Category:
        try:
            return self.categories[name]
        except KeyError:
            raise ArgumentError(f"lexicon '{self.name}' has no category '{name}' "
                                f"(categories: {', '.join(self.categories)})") from None

    @property
    def names(self) -> list[str]:
        return list(self.categories)

    def select(self, categories: str | Iterable[str] | None) -> "Lexicon":
        """The same lexicon with only ``categories`` (unknown names raise, listing the known ones)."""
        if categories is None:
            return self
        names = [categories] if isinstance(categories, str) else list(categories)
        return Lexicon(self.name, {n: self[n] for n in names}, self.description, self.language, self.source,
                       self.format)

    def to_dict(self) -> dict:
        """Our YAML format as a plain dict (:func:`parse_lexicon` reads it back)."""
        out: dict = {"lexicon": self.name, "description": self.description, "language": self.language}
        for c in self:
            d: dict = {"entries": c.labels}
            if c.clitics:
                d["clitics"] = True
            if c.exclude:
                d["exclude"] = [e.text for e in c.exclude]
            if c.note:
                d["note"] = c.note
            out[c.name] = d
        return out

    def to_yaml(self) -> str:
        """The lexicon in our format (e.g. to save an imported quanteda or LIWC dictionary)."""
        return yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False, width=100)

    def fingerprint(self) -> str:
        """A hash of the categories and entries (same content, same value)."""
        syntax = {c.name: [e.syntax for e in c.entries] for c in self}
        blob = json.dumps([self.to_dict(), syntax], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def describe(self) -> pd.DataFrame:
        """One row per category: name, entries, exclusions, clitics, note."""
        return pd.DataFrame([{"category": c.name, "entries": len(c.entries), "exclude": len(c.exclude),
                              "clitics": c.clitics, "note": c.note} for c in self],
                            columns=["category", "entries", "exclude", "clitics", "note"])

    @classmethod
    def coerce(cls, value: "Lexicon | str | Path | Mapping") -> "Lexicon":
        """A lexicon from a :class:`Lexicon`, a file path, or a mapping in our format."""
        if isinstance(value, Lexicon):
            return value
        if isinstance(value, Mapping):
            return parse_lexicon(value)
        if isinstance(value, (str, Path)):
            return load_lexicon(value)
        raise ArgumentError(f"lexicon must be a Lexicon, a file or a mapping, got {type(value).__name__}")


# ---------------------------------------------------------------------------------- reading files
def _read_text(path: Path) -> str:
    if not path.is_file():
        raise InputError(f"{path}: lexicon file not found")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: byte {e.start}: not UTF-8 ({e.reason}); save the lexicon as UTF-8 "
                         "(e.g. iconv -f WINDOWS-1256 -t UTF-8)") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read the lexicon ({e.strerror})") from None


def _compose(text: str, source: str) -> yaml.Node | None:
    """The YAML node tree (with line numbers), after a safe construction of the whole document."""
    from ..corpus.registry import _yaml_error

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            loader.construct_document(node)  # refuses tags such as !!python/object, like safe_load
        return node
    except yaml.YAMLError as e:
        raise InputError(_yaml_error(Path(source), e, "lexicon")) from None
    finally:
        loader.dispose()


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


class _Where:
    """Builds ``file:line: what: problem; what to do`` messages."""

    def __init__(self, source: str):
        self.source = source

    def __call__(self, node: yaml.Node | int | None, message: str) -> InputError:
        line = node if isinstance(node, int) or node is None else _line(node)
        where = f"{self.source}:{line}" if line is not None else self.source
        return InputError(f"{where}: {message}")


def _text(node: yaml.Node, err: _Where, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
        raise err(node, f"{what} must be text")
    return str(node.value)


def _bool(node: yaml.Node, err: _Where, what: str) -> bool:
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:bool":
        return node.value.lower() in ("true", "yes", "on", "y")
    raise err(node, f"{what} must be true or false")


def _entries(node: yaml.Node, err: _Where, category: str, syntax: str, what: str = "entries") -> tuple[Entry, ...]:
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return ()
    if not isinstance(node, yaml.SequenceNode):
        raise err(node, f"category '{category}': {what} must be a list (one entry per line, '- word')")
    out: list[Entry] = []
    seen: dict[str, int] = {}
    for item in node.value:
        if not isinstance(item, yaml.ScalarNode) or item.tag == "tag:yaml.org,2002:null":
            raise err(item, f"category '{category}': an entry must be a word or phrase (text), "
                            "not a list, a mapping or nothing")
        text = " ".join(str(item.value).split())
        if not text:
            raise err(item, f"category '{category}': empty entry; remove it")
        if text in seen:
            raise err(item, f"category '{category}': '{text}' is listed twice (first on line {seen[text]}); "
                            "remove one")
        seen[text] = _line(item)
        out.append(Entry(text, _line(item), syntax))
    return tuple(out)


def _ours(root: yaml.MappingNode, err: _Where, source: str) -> Lexicon:
    meta: dict[str, yaml.Node] = {}
    cats: list[tuple[yaml.Node, yaml.Node]] = []
    for k, v in root.value:
        key = _text(k, err, "a category name")
        if key in _META:
            if key in meta:
                raise err(k, f"'{key}' is given twice; keep one")
            meta[key] = v
        else:
            cats.append((k, v))
    if "categories" in meta:
        if cats:
            raise err(cats[0][0], f"'{_text(cats[0][0], err, 'a key')}': put every category under "
                                  "'categories:' or none of them")
        if not isinstance(meta["categories"], yaml.MappingNode):
            raise err(meta["categories"], "'categories' must map category names to entries")
        cats = list(meta["categories"].value)
    default = _bool(meta["clitics"], err, "'clitics'") if "clitics" in meta else False
    categories: dict[str, Category] = {}
    for k, v in cats:
        name = " ".join(_text(k, err, "a category name").split())
        if not name:
            raise err(k, "empty category name")
        if name in categories:
            raise err(k, f"category '{name}' is given twice (first on line {categories[name].line}); merge them")
        clitics, exclude, note = default, (), ""
        if isinstance(v, yaml.MappingNode):
            opts: dict[str, yaml.Node] = {}
            for ok, ov in v.value:
                o = _text(ok, err, "a category option")
                if o not in _CATEGORY_KEYS:
                    raise err(ok, f"category '{name}': unknown option '{o}' (allowed: {', '.join(_CATEGORY_KEYS)})")
                opts[o] = ov
            if "entries" not in opts:
                raise err(v, f"category '{name}': no 'entries:' list")
            entries = _entries(opts["entries"], err, name, "query")
            if "clitics" in opts:
                clitics = _bool(opts["clitics"], err, f"category '{name}': 'clitics'")
            if "exclude" in opts:
                exclude = _entries(opts["exclude"], err, name, "query", "exclude")
            if "note" in opts:
                note = " ".join(_text(opts["note"], err, f"category '{name}': 'note'").split())
        else:
            entries = _entries(v, err, name, "query")
        categories[name] = Category(name, entries, clitics, exclude, note, _line(k))
    if not categories:
        raise err(root, "no categories: add e.g. 'actor:government: [النظام, الحكومة السورية]'")

    def meta_text(key: str) -> str:
        return " ".join(_text(meta[key], err, f"'{key}'").split()) if key in meta else ""

    return Lexicon(meta_text("lexicon") or Path(source).stem, categories, meta_text("description"),
                   meta_text("language"), source, "workbench")


def _quanteda(root: yaml.MappingNode, err: _Where, source: str) -> Lexicon:
    categories: dict[str, Category] = {}

    def walk(node: yaml.MappingNode, prefix: str) -> None:
        for k, v in node.value:
            key = " ".join(_text(k, err, "a dictionary key").split())
            name = f"{prefix}.{key}" if prefix else key
            if isinstance(v, yaml.MappingNode):
                walk(v, name)
                continue
            if isinstance(v, yaml.ScalarNode) and v.tag != "tag:yaml.org,2002:null":  # key: single entry
                v = yaml.SequenceNode("tag:yaml.org,2002:seq", [v], v.start_mark, v.end_mark)
            if name in categories:
                raise err(k, f"key '{name}' is given twice (first on line {categories[name].line}); merge them")
            categories[name] = Category(name, _entries(v, err, name, "glob"), line=_line(k))

    walk(root, "")
    if not categories:
        raise err(root, "no dictionary keys with entries")
    return Lexicon(Path(source).stem, categories, "", "", source, "quanteda")


def parse_lexicon(data: "Mapping | str", source: str = "<lexicon>", format: str | None = None) -> Lexicon:
    """A :class:`Lexicon` from YAML text or an already-parsed mapping (ours or quanteda's).

    ``format``: ``"workbench"`` (ours), ``"quanteda"`` or ``None`` (ours when there is a top-level
    ``lexicon:`` key or a category written as a mapping with ``entries:``, else quanteda).
    """
    if format not in (None, "workbench", "quanteda"):
        raise ArgumentError(f"format must be 'workbench' or 'quanteda' for YAML (got {format!r})")
    text = data if isinstance(data, str) else yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False)
    err = _Where(source)
    root = _compose(text, source)
    if root is None:
        raise err(None, "empty lexicon file; see corpus/lexicons/README.md for the format")
    if not isinstance(root, yaml.MappingNode):
        raise err(root, "expected a mapping of category names to lists of entries "
                        "(e.g. 'actor:government: [النظام, الحكومة السورية]')")
    if format is None:
        keys = {str(k.value) for k, _ in root.value if isinstance(k, yaml.ScalarNode)}
        mapped = any(isinstance(v, yaml.MappingNode) and any(str(ok.value) == "entries" for ok, _ in v.value)
                     for _, v in root.value)
        format = "workbench" if ("lexicon" in keys or mapped) else "quanteda"
    return _ours(root, err, source) if format == "workbench" else _quanteda(root, err, source)


_CONDITIONAL = re.compile(r"[/<>()]")


def _liwc(text: str, source: str) -> Lexicon:
    """A LIWC ``.dic``: ``%``, ``NUMBER<TAB>NAME`` lines, ``%``, then ``ENTRY<TAB>NUMBER NUMBER ...``."""
    err = _Where(source)
    lines = text.splitlines()
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i == len(lines) or lines[i].strip() != "%":
        raise err(i + 1 if i < len(lines) else None,
                  "a LIWC dictionary starts with a line '%', then 'NUMBER<TAB>CATEGORY' lines and another '%'")
    names: dict[str, str] = {}
    order: list[str] = []
    first_line: dict[str, int] = {}
    i += 1
    while True:
        if i == len(lines):
            raise err(i, "the category header is not closed by a line '%'")
        raw = lines[i].strip()
        i += 1
        if raw == "%":
            break
        if not raw:
            continue
        parts = raw.split(None, 1)
        if len(parts) != 2 or not parts[0].isdigit():
            raise err(i, f"'{raw}': expected 'NUMBER<TAB>CATEGORY' in the header")
        if parts[0] in names:
            raise err(i, f"category number {parts[0]} is given twice; number each category once")
        names[parts[0]] = parts[1].split()[0]
        order.append(parts[0])
        first_line[parts[0]] = i
    entries: dict[str, list[Entry]] = {n: [] for n in order}
    seen: dict[tuple[str, str], int] = {}
    skipped: list[int] = []
    for j in range(i, len(lines)):
        raw = lines[j].strip()
        if not raw:
            continue
        fields = raw.split("\t") if "\t" in raw else [raw]
        tokens = (" ".join(fields[1:]) if len(fields) > 1 else "").split()
        word = fields[0].strip()
        if len(fields) == 1:  # space-separated: trailing numbers are the categories
            tokens = raw.split()
            k = len(tokens)
            while k > 1 and tokens[k - 1].isdigit():
                k -= 1
            word, tokens = " ".join(tokens[:k]), tokens[k:]
        if any(_CONDITIONAL.search(t) for t in tokens):
            skipped.append(j + 1)
            continue
        if not tokens:
            raise err(j + 1, f"'{word}' has no category numbers (expected 'word<TAB>1 2 ...')")
        for t in tokens:
            if not t.isdigit():
                raise err(j + 1, f"'{word}': '{t}' is not a category number")
            if t not in names:
                raise err(j + 1, f"'{word}': category {t} is not in the header (categories: {', '.join(order)})")
            if (t, word) in seen:
                continue
            seen[(t, word)] = j + 1
            entries[t].append(Entry(" ".join(word.split()), j + 1, "glob"))
    if skipped:
        warnings.warn(f"{source}:{skipped[0]}: {len(skipped)} conditional LIWC entr{'y' if len(skipped) == 1 else 'ies'} "
                      "(with '/', '<>' or '()') skipped: they are not supported", WorkbenchWarning, stacklevel=3)
    cats = {}
    for n in order:
        name = names[n]
        if name in cats:
            raise err(first_line[n], f"category name '{name}' is used by two numbers; rename one")
        cats[name] = Category(name, tuple(entries[n]), line=first_line[n])
    return Lexicon(Path(source).stem, cats, "", "", source, "liwc")


def load_lexicon(path: str | Path | None = None, format: str | None = None) -> Lexicon:
    """Read a lexicon file (default: ``corpus/lexicons/syria.yaml``).

    ``format``: ``"workbench"``, ``"quanteda"``, ``"liwc"`` or ``None`` (``.dic`` files are LIWC; a
    YAML file is ours if it has a top-level ``lexicon:`` key, else a quanteda dictionary). Errors
    are :class:`~workbench.errors.InputError` lines naming ``file:line``.
    """
    path = Path(path) if path is not None else DEFAULT_LEXICON
    if format is not None and format not in FORMATS:
        raise ArgumentError(f"unknown lexicon format {format!r} (formats: {', '.join(FORMATS)})")
    text = _read_text(path)
    if format == "liwc" or (format is None and path.suffix.lower() == ".dic"):
        return _liwc(text, str(path))
    return parse_lexicon(text, str(path), format)


# ---------------------------------------------------------------------------------- matching
def _glob_query(entry: Entry, settings) -> tuple[str, bool]:
    """A quanteda/LIWC glob as our query (``*`` only) or, with ``?``, as a regular expression."""
    if "?" not in entry.text:
        return entry.text, False
    from ..text.normalise import normalise

    words = []
    for word in entry.text.split():
        pieces = re.split(r"([*?])", word)
        words.append("".join("[^ ]*" if p == "*" else "." if p == "?" else re.escape(normalise(p, settings))
                             for p in pieces))
    return " ".join(words), True


def _compile(entry: Entry, category: Category, settings, lexicon: Lexicon) -> Pattern:
    query, regex = (entry.text, False) if entry.syntax == "query" else _glob_query(entry, settings)
    try:
        return compile_query(query, settings, clitics=category.clitics, regex=regex)
    except ArgumentError as e:
        where = f"{lexicon.source}:{entry.line}" if entry.line else lexicon.source
        raise InputError(f"{where}: category '{category.name}': entry '{entry.text}': {e}; "
                         "fix or remove the entry") from None


def _resolve(n_tokens: int, starts: np.ndarray, lengths: np.ndarray, entry: np.ndarray,
             priority: np.ndarray) -> np.ndarray:
    """Indices of the matches kept: longest first, then leftmost, then lowest ``priority``; a match
    is kept only if none of its tokens is taken by a match kept before it."""
    claimed = np.zeros(n_tokens + 1, dtype=bool)
    kept: list[np.ndarray] = []
    for length in sorted(set(lengths.tolist()), reverse=True):
        idx = np.flatnonzero(lengths == length)
        idx = idx[np.lexsort((priority[idx], starts[idx]))]
        s = starts[idx]
        first = np.r_[True, s[1:] != s[:-1]]  # several entries on the same span: the first listed
        idx, s = idx[first], s[first]
        free = np.ones(len(s), dtype=bool)
        for off in range(length):
            free &= ~claimed[s + off]
        idx, s = idx[free], s[free]
        if length > 1 and len(s) > 1 and (np.diff(s) < length).any():
            keep, end = [], -1
            for i, st in enumerate(s.tolist()):
                if st >= end:
                    keep.append(i)
                    end = st + length
            idx, s = idx[keep], s[keep]
        for off in range(length):
            claimed[s + off] = True
        kept.append(idx)
    return np.concatenate(kept) if kept else np.empty(0, np.int64)


# ---------------------------------------------------------------------------------- counting
@dataclass
class LexiconCounts:
    """Matches of a lexicon in the documents of an analysis (rows aligned with ``analysis.docs``).

    * :attr:`category_counts` -- documents × categories (``numpy``), :meth:`wide` and :meth:`tidy`
      as DataFrames;
    * :attr:`entry_counts` -- documents × entries (``scipy.sparse``), described by :attr:`entries`
      (``category, entry``), and :meth:`entry_totals` per group;
    * :meth:`matches` -- every counted match: document row, id, token position, length, category,
      entry (for concordances);
    * :attr:`n_tokens` -- every token of each document in the reading index (the denominator).
    """

    lexicon: Lexicon
    docs: pd.DataFrame
    n_tokens: np.ndarray
    categories: list[str]
    category_counts: np.ndarray
    entries: pd.DataFrame
    entry_counts: sp.csr_matrix
    match_rows: np.ndarray
    match_positions: np.ndarray
    match_lengths: np.ndarray
    match_entries: np.ndarray
    meta: dict = field(default_factory=dict)

    _DOC_COLUMNS = ("id", "outlet", "camp", "date", "month")

    def _doc_columns(self) -> pd.DataFrame:
        cols = [c for c in self._DOC_COLUMNS if c in self.docs.columns]
        return self.docs[cols].reset_index(drop=True)

    def wide(self) -> pd.DataFrame:
        """One row per document (``id, outlet, camp, date, month, n_tokens``) and one count column per
        category, in the row order of ``analysis.docs``."""
        out = self._doc_columns().assign(n_tokens=self.n_tokens)
        counts = pd.DataFrame(self.category_counts, columns=self.categories)
        out = pd.concat([out, counts], axis=1)
        out.attrs.update(self.meta)
        return out

    def tidy(self) -> pd.DataFrame:
        """One row per document × category: ``id, category, count, n_tokens``."""
        n_docs, n_cat = self.category_counts.shape
        out = pd.DataFrame({
            "id": np.repeat(self.docs["id"].astype(str).to_numpy(), n_cat),
            "category": np.tile(np.array(self.categories, dtype=object), n_docs),
            "count": self.category_counts.ravel(),
            "n_tokens": np.repeat(self.n_tokens, n_cat),
        })
        out.attrs.update(self.meta)
        return out

    def entry_totals(self, by: str | Sequence[str] | None = None) -> pd.DataFrame:
        """Per entry (and group, with ``by``): ``category, entry, count, docs`` (documents using it)."""
        keys, labels = _groups(self.docs, by)
        rows = []
        for g, label in enumerate(labels):
            m = self.entry_counts[keys == g]
            counts = np.asarray(m.sum(axis=0)).ravel()
            docs = np.asarray((m > 0).sum(axis=0)).ravel()
            part = self.entries.assign(count=counts, docs=docs)
            for col, value in zip(_by_list(by), label):
                part.insert(0, col, value)
            rows.append(part)
        out = pd.concat(rows, ignore_index=True)
        out.attrs.update(self.meta)
        return out

    def matches(self) -> pd.DataFrame:
        """Every counted match: ``row`` (of ``analysis.docs``), ``id``, ``position`` (first token, in
        the document's reading tokens), ``length`` (tokens), ``category``, ``entry``."""
        e = self.entries.iloc[self.match_entries]
        return pd.DataFrame({
            "row": self.match_rows, "id": self.docs["id"].astype(str).to_numpy()[self.match_rows],
            "position": self.match_positions, "length": self.match_lengths,
            "category": e["category"].to_numpy(), "entry": e["entry"].to_numpy(),
        })


_MEMO: "weakref.WeakKeyDictionary[Analysis, dict]" = weakref.WeakKeyDictionary()


def lexicon_counts(analysis: "Analysis", lexicon: "Lexicon | str | Path | Mapping",
                   categories: str | Iterable[str] | None = None) -> LexiconCounts:
    """Count every entry of ``lexicon`` (or only ``categories``) in the analysis' documents.

    Matching uses :meth:`Analysis.reading` (every word kept, the analysis' normalisation) and
    :func:`~workbench.reading.patterns.compile_query` (per-category ``clitics``). Overlapping
    matches within a category count once, longest first (see the module docstring). Memoised per
    analysis and lexicon content. Returns a :class:`LexiconCounts`.
    """
    lexicon = Lexicon.coerce(lexicon).select(categories)
    reading = analysis.reading()
    key = lexicon.fingerprint()
    memo = _MEMO.setdefault(reading, {})
    if key in memo:
        return memo[key]
    index = reading.token_index()
    settings = reading.settings
    n_docs = index.n_docs
    entry_rows: list[tuple[str, str]] = []
    cat_counts = np.zeros((n_docs, len(lexicon)), dtype=np.int64)
    rows_all, pos_all, len_all, ent_all = [], [], [], []
    skipped: list[str] = []
    for ci, cat in enumerate(lexicon):
        starts, lengths, entry, priority = [], [], [], []
        items = [(e, False) for e in cat.exclude] + [(e, True) for e in cat.entries]
        for pi, (e, counted) in enumerate(items):
            try:
                pattern = _compile(e, cat, settings, lexicon)
            except InputError:
                if lexicon.format == "workbench":
                    raise
                skipped.append(f"{lexicon.source}:{e.line} '{e.text}'")
                continue
            s = pattern.starts(index)
            starts.append(s)
            lengths.append(np.full(len(s), len(pattern), np.int64))
            eid = len(entry_rows) + pi - len(cat.exclude) if counted else -1
            entry.append(np.full(len(s), eid, np.int64))
            priority.append(np.full(len(s), pi, np.int64))
        entry_rows += [(cat.name, e.text) for e in cat.entries]
        if not starts:
            continue
        s, ln, en, pr = (np.concatenate(a) for a in (starts, lengths, entry, priority))
        keep = _resolve(index.n_tokens, s, ln, en, pr)
        keep = keep[en[keep] >= 0]  # exclusions took their tokens; they are not counted
        s, ln, en = s[keep], ln[keep], en[keep]
        rows = index.doc_of(s)
        cat_counts[:, ci] = np.bincount(rows, minlength=n_docs)
        rows_all.append(rows)
        pos_all.append(s - index.offsets[rows])
        len_all.append(ln)
        ent_all.append(en)
    if skipped:
        one = len(skipped) == 1
        warnings.warn(f"{len(skipped)} entr{'y' if one else 'ies'} of {lexicon.source} give{'s' if one else ''} no "
                      f"word after normalisation and {'was' if one else 'were'} skipped (first: {skipped[0]})",
                      WorkbenchWarning, stacklevel=2)

    def cat(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts) if parts else np.empty(0, np.int64)

    rows, pos, lens, ents = cat(rows_all), cat(pos_all), cat(len_all), cat(ent_all)
    order = np.lexsort((pos, rows))
    rows, pos, lens, ents = rows[order], pos[order], lens[order], ents[order]
    n_entries = len(entry_rows)
    entry_counts = sp.csr_matrix((np.ones(len(rows), np.int64), (rows, ents)), shape=(n_docs, n_entries))
    entry_counts.sum_duplicates()
    meta = {"lexicon": lexicon.name, "lexicon_source": lexicon.source, "lexicon_fingerprint": key,
            "lexicon_format": lexicon.format, "store_fingerprint": reading.fingerprint, "selection": reading.selection.to_dict(),
            "text_settings": settings.to_dict()}
    result = LexiconCounts(
        lexicon=lexicon, docs=reading.docs, n_tokens=index.doc_lengths().astype(np.int64),
        categories=lexicon.names, category_counts=cat_counts,
        entries=pd.DataFrame(entry_rows, columns=["category", "entry"]), entry_counts=entry_counts,
        match_rows=rows, match_positions=pos, match_lengths=lens, match_entries=ents, meta=meta,
    )
    memo[key] = result
    return result


def _counts(analysis, lexicon, categories=None) -> LexiconCounts:
    if isinstance(analysis, LexiconCounts):
        return analysis if categories is None else _subset(analysis, categories)
    if lexicon is None:
        raise ArgumentError("give a lexicon (a Lexicon, a file such as corpus/lexicons/syria.yaml, or a mapping)")
    return lexicon_counts(analysis, lexicon, categories)


def _subset(counts: LexiconCounts, categories) -> LexiconCounts:
    names = [categories] if isinstance(categories, str) else list(categories)
    counts.lexicon.select(names)  # unknown names raise
    cols = [counts.categories.index(n) for n in names]
    keep = counts.entries["category"].isin(names).to_numpy()
    new_id = np.cumsum(keep) - 1
    hit = keep[counts.match_entries]
    return LexiconCounts(counts.lexicon.select(names), counts.docs, counts.n_tokens, names,
                         counts.category_counts[:, cols], counts.entries[keep].reset_index(drop=True),
                         counts.entry_counts[:, np.flatnonzero(keep)], counts.match_rows[hit],
                         counts.match_positions[hit], counts.match_lengths[hit],
                         new_id[counts.match_entries[hit]], counts.meta)


# ---------------------------------------------------------------------------------- groups
def _by_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [b.strip() for b in by.split(",")] if isinstance(by, str) else [str(b) for b in by]


def _groups(docs: pd.DataFrame, by: str | Sequence[str] | None) -> tuple[np.ndarray, list[tuple]]:
    """Group code of each document and the groups' values (tuples, in sorted order)."""
    cols = _by_list(by)
    if not cols:
        return np.zeros(len(docs), dtype=np.int64), [()]
    for c in cols:
        if c not in docs.columns or c in ("id", "title", "text", "url"):
            valid = [x for x in docs.columns if x not in ("id", "title", "url", "n_words", "date", "text_hash",
                                                           "content_hash")]
            raise AnalysisError(f"cannot group by '{c}': not a corpus column (try: {', '.join(valid)})")
    frame = pd.DataFrame({c: docs[c].astype("string").fillna("(none)").to_numpy() for c in cols})
    codes, uniques = pd.MultiIndex.from_frame(frame).factorize(sort=True)
    return codes.astype(np.int64), [tuple(u) for u in uniques]


def lexicon_rates(analysis: "Analysis | LexiconCounts", lexicon: "Lexicon | str | Path | Mapping | None" = None,
                  by: str | Sequence[str] | None = "camp", *, categories: str | Iterable[str] | None = None,
                  method: str = "bootstrap", level: float = 0.95, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Rate of every category per 10,000 tokens in each group, with an interval.

    ``by``: a document column (``camp``, ``outlet``, ``month``, an imported column), a list of them
    (``["camp", "month"]`` or ``"camp,month"``), or None for the whole selection. The denominator is
    every token of the group's documents in the reading index (stopwords included). ``method``:

    * ``"bootstrap"`` (default): percentile interval from ``n_boot`` resamples of the group's
      documents, seeded with ``seed`` (Efron & Tibshirani 1993; Lijffijt et al. 2016), which
      allows for words clustering in documents;
    * ``"poisson"``: exact Poisson interval of the count over the tokens (Garwood 1936), which
      treats every token as independent and is narrower.

    Returns a tidy table: the ``by`` columns, ``category, docs, docs_with`` (documents with at least
    one match), ``tokens, count, rate, rate_low, rate_high``; the method is in ``table.attrs``.
    ``analysis`` may be a :class:`LexiconCounts` (then ``lexicon`` is not needed).
    """
    from ..stats.counts import PER, bootstrap_rate_interval, poisson_rate_interval

    if method not in ("bootstrap", "poisson"):
        raise ArgumentError(f"method must be 'bootstrap' or 'poisson', got {method!r}")
    counts = _counts(analysis, lexicon, categories)
    keys, labels = _groups(counts.docs, by)
    cols = _by_list(by)
    rng = np.random.default_rng(seed)
    parts = []
    for g, label in enumerate(labels):
        rows = keys == g
        c = counts.category_counts[rows]
        t = counts.n_tokens[rows]
        total, tokens = c.sum(axis=0), int(t.sum())
        if tokens == 0:
            low = high = np.zeros(len(counts.categories))
        elif method == "bootstrap":
            low, high = bootstrap_rate_interval(c, t, level, n_boot=n_boot, rng=rng)
        else:
            low, high = poisson_rate_interval(total, tokens, level)
        part = pd.DataFrame({
            "category": counts.categories, "docs": int(rows.sum()), "docs_with": (c > 0).sum(axis=0),
            "tokens": tokens, "count": total, "rate": total / tokens * PER if tokens else 0.0,
            "rate_low": low, "rate_high": high,
        })
        for col, value in zip(reversed(cols), reversed(label)):
            part.insert(0, col, value)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out.attrs.update({**counts.meta, "by": cols, "per": PER, "method": method, "level": level,
                      "n_boot": n_boot if method == "bootstrap" else None,
                      "seed": seed if method == "bootstrap" else None,
                      "interval": ("percentile bootstrap over documents (Efron & Tibshirani 1993)"
                                   if method == "bootstrap" else "exact Poisson (Garwood 1936)")})
    return out


# ---------------------------------------------------------------------------------- naming tables
def naming_table(analysis: "Analysis | LexiconCounts", lexicon: "Lexicon | str | Path | Mapping | None" = None,
                 category: str | None = None, by: str | Sequence[str] = "camp", *,
                 correction: str = "fdr_bh", n_sim: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Which label (entry) of one category each group uses: counts, shares and a test.

    For the label × group table of ``category`` (e.g. ``actor:government`` by ``camp``):

    * ``count`` of the label in the group, ``group_total`` (mentions of the category in the group),
      ``share = count / group_total``, ``docs`` (documents of the group using the label);
    * ``residual``: adjusted standardised residual (Haberman 1973), with its two-sided ``p`` and
      ``p_adj`` (``correction``: Benjamini-Hochberg by default, over every cell); positive = the
      group uses the label more than independence predicts. With two groups it is the pooled
      two-proportion z of the label's share in one group against the other;
    * ``log_ratio``: log₂ of the label's share in this group over its share in the other groups
      (Hardie 2014; a zero count is taken as 0.5);
    * ``preferred_by``: the group with the largest residual of the label.

    Rows are labels × groups, the most distinctive labels (largest ``|residual|``) first; labels
    nobody used come last with NaN residuals. The χ² test of independence (Pearson 1900), its Monte
    Carlo p-value from ``n_sim`` random tables with the same margins (``seed``; use it when
    ``expected_below_5`` is above 0.2, Cochran 1954) and Cramér's V are in ``table.attrs``
    (``chi2, df, p, p_simulated, cramers_v, n, expected_below_5``); see :mod:`workbench.stats.counts`.
    """
    from ..stats.counts import adjusted_residuals, independence_test, normal_pvalue
    from ..stats.keyness import adjust_pvalues, log_ratio

    if category is None:
        raise ArgumentError("give the category to tabulate, e.g. category='actor:government'")
    counts = _counts(analysis, lexicon, category)
    cat = counts.lexicon[category]
    keys, labels = _groups(counts.docs, by)
    group_names = [" / ".join(g) for g in labels]
    if not group_names or group_names == [""]:
        raise ArgumentError("naming_table needs groups: give by='camp' (or another column)")
    m = counts.entry_counts.tocsc()
    n_labels = m.shape[1]
    table = np.zeros((n_labels, len(labels)), dtype=np.int64)
    docs = np.zeros_like(table)
    for g in range(len(labels)):
        sub = m[keys == g]
        table[:, g] = np.asarray(sub.sum(axis=0)).ravel()
        docs[:, g] = np.asarray((sub > 0).sum(axis=0)).ravel()
    test = independence_test(table, n_sim=n_sim, seed=seed)
    res = adjusted_residuals(table)
    used = table.sum(axis=1) > 0
    res[~used] = np.nan
    group_total = table.sum(axis=0)
    other = table.sum(axis=1, keepdims=True) - table
    other_total = group_total.sum() - group_total
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(group_total > 0, table / np.maximum(group_total, 1), np.nan)
        lr = log_ratio(table, other, np.maximum(group_total, 1), np.maximum(other_total, 1))
    lr = np.where(used[:, None] & (group_total > 0) & (other_total > 0), lr, np.nan)
    p = normal_pvalue(res)
    finite = np.isfinite(p)
    p_adj = np.full(p.shape, np.nan)
    p_adj[finite] = adjust_pvalues(p[finite], correction)
    distinct = np.where(used, np.nanmax(np.abs(np.nan_to_num(res, nan=0.0)), axis=1), -1.0)
    preferred = np.array([group_names[int(np.nanargmax(r))] if u and np.isfinite(r).any() else ""
                          for r, u in zip(res, used)], dtype=object)
    order = np.lexsort((np.arange(n_labels), -table.sum(axis=1), -distinct))
    rows = []
    for i in order:
        for g, gname in enumerate(group_names):
            rows.append((category, cat.entries[i].text, gname, int(table[i, g]), int(group_total[g]), share[i, g],
                         int(docs[i, g]), res[i, g], p[i, g], p_adj[i, g], lr[i, g], preferred[i]))
    out = pd.DataFrame(rows, columns=["category", "label", "group", "count", "group_total", "share", "docs",
                                      "residual", "p", "p_adj", "log_ratio", "preferred_by"])
    out.attrs.update({**counts.meta, **test, "category": category, "by": _by_list(by), "groups": group_names,
                      "correction": correction, "note": cat.note,
                      "test": "Pearson χ² test of independence (labels × groups), Cramér's V; "
                              "adjusted residuals (Haberman 1973)"})
    return out
