"""Concordances (keyword in context, KWIC): every occurrence of a query with the words around it.

A concordance line shows one occurrence of a query (a word, phrase, wildcard, clitic or regular
expression pattern, see :mod:`workbench.reading.patterns`) with the words before and after it, as
the outlet printed them -- the close reading behind every count (Sinclair 1991, *Corpus,
Concordance, Collocation*). Lines can be sorted by the context left or right of the keyword,
word by word, as AntConc does (Anthony 2005), or sampled per group (camp, outlet, month) with a
fixed seed, so that a reader sees the same lines on every run.

Matching is done on the normalised tokens of the analysis' reading tokens (every word kept, see
:meth:`~workbench.analysis.Analysis.reading`): ``الأسد`` finds ``الاسد`` and ``الأسدُ``. Only the
documents with a line to show are read again from the store, and each matched token is mapped
back to the whitespace-delimited word it came from (:func:`~workbench.text.tokenise.word_token_counts`,
the fast form of :func:`~workbench.text.tokenise.tokenise_spans`), so ``keyword`` is what was
printed -- diacritics, hamza, tatweel and attached punctuation included -- and ``left``/``right``
are the ``window`` printed words before and after it (line breaks shown as spaces).

* :func:`kwic` -- the concordance as a DataFrame (``id, outlet, camp, date, title, left, keyword,
  right, position``), corpus order unless sorted;
* :func:`kwic_table` -- an escaped, right-to-left HTML table for notebooks and reports (keywords
  aligned in one column);
* :func:`kwic_lines` -- plain-text lines for the terminal (``workbench kwic``);
* :func:`write_kwic_csv` -- the whole concordance as CSV (UTF-8 with BOM, Excel-friendly).

Example on the bundled demo corpus::

    from workbench.analysis import Analysis
    from workbench.reading.kwic import kwic, kwic_table
    a = Analysis("build/demo-store")
    lines = kwic(a, "قوات النظام", window=6, sort="right")
    kwic_table(lines)                                     # in a notebook
    kwic(a, "النظام", clitics=True, sample=10, by="camp")  # 10 random lines per camp, seed 0
"""
from __future__ import annotations

import html
import os
import re
import unicodedata
import zlib
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..display import TERM_CHARS, shorten
from ..errors import ArgumentError, CacheError
from ..text.tokenise import tokenise_spans, word_token_counts
from .patterns import compile_query

__all__ = ["COLUMNS", "SORTS", "kwic", "kwic_table", "kwic_lines", "write_kwic_csv", "KwicTable"]

#: Columns of a concordance, in order (a ``by`` column that is not one of them comes after).
COLUMNS = ("id", "outlet", "camp", "date", "title", "left", "keyword", "right", "position")
#: Ways to sort a concordance: corpus order (None), by the left context, by the right context.
SORTS = (None, "left", "right")


# --------------------------------------------------------------------------------------------
# the concordance

def _check(window, sort, sample, limit, seed) -> None:
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 0:
        raise ArgumentError(f"window={window!r}: give the number of words shown on each side (0 or more, e.g. 8)")
    if sort not in SORTS:
        raise ArgumentError(f"sort={sort!r}: use 'left' (by the words before the keyword), 'right' "
                            "(by the words after it) or None (corpus order)")
    for name, value in (("sample", sample), ("limit", limit)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                                  or value < 1):
            raise ArgumentError(f"{name}={value!r}: give a number of lines (1 or more), or None for all")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ArgumentError(f"seed={seed!r}: give a whole number (0 or more)")


def _groups(docs: pd.DataFrame, by: str, rows: np.ndarray) -> np.ndarray:
    if by not in docs.columns or by == "text":
        cols = [c for c in docs.columns if c not in ("title", "url", "n_words")]
        raise ArgumentError(f"by={by!r}: not a corpus column (try: {', '.join(map(str, cols))})")
    col = docs[by]
    if by == "date":
        col = col.dt.strftime("%Y-%m-%d")
    return col.astype("string").fillna("").to_numpy(dtype=object)[rows]


def _sample(groups: np.ndarray | None, n_lines: int, n: int, seed: int) -> np.ndarray:
    """Indices of a seeded random sample of ``n`` lines per group (all lines of a smaller group),
    in corpus order. Each group draws from its own generator, seeded by ``seed`` and the group's
    name, so adding or removing a group never changes the lines of another."""
    if groups is None:
        groups = np.full(n_lines, "", dtype=object)
    picked = []
    for value in sorted(set(groups.tolist())):
        idx = np.flatnonzero(groups == value)
        if len(idx) > n:
            rng = np.random.default_rng([int(seed), zlib.crc32(str(value).encode("utf-8"))])
            idx = rng.choice(idx, size=n, replace=False)
        picked.append(idx)
    return np.sort(np.concatenate(picked)) if picked else np.empty(0, np.int64)


def _sort_order(index, rows: np.ndarray, pos: np.ndarray, k: int, side: str, levels: int) -> np.ndarray:
    """Line order by the normalised context tokens: the first word left (or right) of the keyword,
    then the next, ... (AntConc's L1, L2, ... / R1, R2, ...); ties keep corpus order. A line with
    fewer context words sorts before one with more."""
    starts = index.offsets[rows]
    lengths = index.offsets[rows + 1] - starts
    keys = {}
    for j in range(1, levels + 1):
        at = pos - j if side == "left" else pos + k - 1 + j
        valid = (at >= 0) & (at < lengths)
        flat = np.where(valid, starts + at, 0)
        words = index.values.take(pa.array(flat)).to_numpy(zero_copy_only=False).astype(object)
        words[~valid] = ""
        keys[f"k{j}"] = words
    keys["order"] = np.arange(len(rows))
    frame = pd.DataFrame(keys)
    return frame.sort_values(list(frame.columns), kind="stable").index.to_numpy()


def _word_ranges(text: str, settings, doc_id: str, n_tokens: int, needed: int):
    """``(words, first, last)``: the raw words of ``text`` and, for (at least) its first ``needed``
    tokens, the first and last word each came from (the same word, but in a text with unusual
    whitespace)."""
    res = word_token_counts(text, settings, tokens=needed)
    if res is not None:
        words, counts = res
        placed = sum(counts)
        if placed == n_tokens or (len(counts) < len(words) and needed <= placed < n_tokens):
            of_token = np.repeat(np.arange(len(counts)), np.asarray(counts, dtype=np.int64))
            return words, of_token, of_token
    # whitespace that normalisation deletes (or a mismatch): the general, slower mapping
    found = list(re.finditer(r"\S+", text))
    words = [m.group() for m in found]
    starts = [m.start() for m in found]
    spans = tokenise_spans(text, settings)
    if len(spans) != n_tokens:
        raise CacheError(f"document '{doc_id}': its text gives {len(spans)} tokens but the token cache holds "
                         f"{n_tokens}; the cache does not match the store: delete the store's cache/tokens "
                         "folder and run again to rebuild it")
    first = np.array([bisect_right(starts, s) - 1 for _, s, _ in spans], dtype=np.int64)
    last = np.array([bisect_right(starts, max(e - 1, s)) - 1 for _, s, e in spans], dtype=np.int64)
    return words, first, last


def _contexts(reading, index, rows: np.ndarray, pos: np.ndarray, k: int, window: int):
    """Left context, keyword and right context (as printed) of every line."""
    n = len(rows)
    left, keyword, right = [""] * n, [""] * n, [""] * n
    if n == 0:
        return left, keyword, right
    ids = reading.docs["id"].astype(str).to_numpy()
    order = np.argsort(rows, kind="stable")
    bounds = np.flatnonzero(np.diff(rows[order])) + 1
    groups = np.split(order, bounds)
    doc_rows = [int(rows[g[0]]) for g in groups]
    texts = reading.tokens().texts(ids[doc_rows])
    lengths = index.doc_lengths()
    settings = reading.settings
    for row, lines in zip(doc_rows, groups):
        doc_id = ids[row]
        text = texts.get(doc_id)
        if text is None:
            raise CacheError(f"document '{doc_id}' is in the token cache but not in the store {reading.store.path}; "
                             "delete the store's cache/tokens folder and run again to rebuild it")
        p = pos[lines]
        words, first, last = _word_ranges(text, settings, doc_id, int(lengths[row]), int(p.max()) + k)
        a, b = first[p], last[p + k - 1]
        for line, wa, wb in zip(lines.tolist(), a.tolist(), b.tolist()):
            left[line] = " ".join(words[max(wa - window, 0):wa])
            keyword[line] = " ".join(words[wa:wb + 1])
            right[line] = " ".join(words[wb + 1:wb + 1 + window])
    return left, keyword, right


#: A query that starts with this asks for every form of a lemma: ``lemma:نظام``.
LEMMA_PREFIX = "lemma:"


def lemma_query(query: str, analysis):
    """``(query, analysis)`` to match: for ``lemma:WORD``, WORD's lemma in the same documents
    tokenised as lemmas (camel-tools morphology; the lemma token cache is built once per corpus),
    otherwise both unchanged. Lines still show the words as printed: every token, lemma or not,
    keeps the span of the word it came from."""
    q = str(query).strip()
    if not q.startswith(LEMMA_PREFIX):
        return query, analysis
    q = q[len(LEMMA_PREFIX):].strip()
    if not q:
        raise ArgumentError("query 'lemma:' names no word: write e.g. 'lemma:نظام'")
    if analysis.settings.tokens != "lemma":
        analysis = analysis.with_settings(tokens="lemma", segment_clitics="drop", clitics="off",
                                          clitic_vocabulary_path=None, urls="drop", emails="drop")
    return q, analysis


def kwic(analysis, query: str, *, window: int = 8, clitics: bool = False, regex: bool = False,
         sort: str | None = None, sample: int | None = None, by: str | None = None, seed: int = 0,
         limit: int | None = None) -> pd.DataFrame:
    """The concordance of ``query`` in an :class:`~workbench.analysis.Analysis`: one row per occurrence.

    ``query`` is a word, a phrase, wildcards (``قوات *``, ``*ميليشي*``) or, with ``regex=True``,
    regular expressions (see :mod:`workbench.reading.patterns`); ``clitics=True`` also finds the
    word with attached و/ف, ب/ك/ل and the article (``النظام`` → ``وبالنظام``, ``للنظام``).
    ``lemma:نظام`` finds every form whose lemma (camel-tools morphology, :mod:`workbench.text.morphology`)
    is نظام -- النظام، للنظام، وبالنظام، أنظمة -- whatever the analysis' own tokens, and shows the
    text as printed (:func:`lemma_query`).
    It is matched on the analysis' tokens keeping every word (:meth:`Analysis.reading`), so
    spelling variants that normalise alike are found together.

    Columns: ``id, outlet, camp, date, title`` of the document, ``left`` (the ``window``
    whitespace-delimited words before the match, as printed), ``keyword`` (the printed words the
    match came from), ``right`` (the ``window`` words after it) and ``position`` (the token
    position of the match in its document, title first), plus the ``by`` column if it is not one
    of those.

    Order: corpus order (the analysis' documents, then position in the document); ``sort="left"``
    sorts by the word just before the keyword, then the one before it, ...; ``sort="right"`` by
    the words after it -- compared on their normalised forms, ties in corpus order (AntConc's
    L1-L2-... and R1-R2-... sorts). ``sample=N`` keeps a seeded random sample of ``N`` lines of
    each ``by`` group (``camp``, ``outlet``, ``month``, any corpus column; all lines as one group
    without ``by``): the same ``seed`` gives the same lines. ``limit=N`` keeps the first ``N``
    lines after sorting and sampling (only their documents are read).

    No match gives an empty DataFrame with these columns. ``table.attrs`` records the query, its
    options, the number of matches and documents before sampling and limiting, and the analysis.
    """
    _check(window, sort, sample, limit, seed)
    asked = str(query)
    query, analysis = lemma_query(query, analysis)
    reading = analysis.reading()
    pattern = compile_query(query, reading.settings, clitics=clitics, regex=regex)
    index = reading.token_index()
    docs = reading.docs
    rows, pos = pattern.find(index)
    n_matches, n_docs = len(rows), int(len(np.unique(rows)))
    groups = _groups(docs, by, rows) if by is not None else None

    chosen = np.arange(len(rows))
    if sample is not None:
        chosen = _sample(groups, len(rows), int(sample), int(seed))
    if sort is not None and len(chosen):
        chosen = chosen[_sort_order(index, rows[chosen], pos[chosen], len(pattern), sort, max(int(window), 1))]
    if limit is not None:
        chosen = chosen[: int(limit)]
    rows, pos = rows[chosen], pos[chosen]

    left, keyword, right = _contexts(reading, index, rows, pos, len(pattern), int(window))
    meta = docs.iloc[rows].reset_index(drop=True)
    out = pd.DataFrame({
        "id": meta["id"].astype(str).to_numpy(dtype=object),
        "outlet": meta["outlet"], "camp": meta["camp"], "date": meta["date"],
        "title": meta["title"].astype("string").fillna("").to_numpy(dtype=object) if "title" in meta
        else np.full(len(meta), "", dtype=object),
        "left": pd.Series(left, dtype=object), "keyword": pd.Series(keyword, dtype=object),
        "right": pd.Series(right, dtype=object), "position": pos.astype(np.int64),
    })
    if by is not None and by not in out.columns:
        out[by] = groups[chosen]
    out.attrs.update({
        "query": asked, "clitics": bool(clitics), "regex": bool(regex), "window": int(window),
        "sort": sort, "sample": None if sample is None else int(sample), "by": by, "seed": int(seed),
        "limit": None if limit is None else int(limit), "matches": n_matches, "documents": n_docs,
        "analysis": analysis.manifest(),
    })
    return out


# --------------------------------------------------------------------------------------------
# showing it

def _words_shortened(text: str, max_word: int) -> list[str]:
    return [shorten(w, max_word) for w in str(text or "").split()]


def _tail(text: str, max_chars: int, max_word: int = TERM_CHARS) -> str:
    """The end of ``text`` (the words nearest a keyword on its left), whole words, at most
    ``max_chars`` characters; "…" where words were left out."""
    words, out, size = _words_shortened(text, max_word), [], 0
    for w in reversed(words):
        if out and size + 1 + len(w) > max_chars:
            return "… " + " ".join(reversed(out))
        out.append(w)
        size += len(w) + (1 if len(out) > 1 else 0)
    return " ".join(reversed(out))


def _head(text: str, max_chars: int, max_word: int = TERM_CHARS) -> str:
    """The start of ``text`` (the words nearest a keyword on its right), whole words, at most
    ``max_chars`` characters; "…" where words were left out."""
    words, out, size = _words_shortened(text, max_word), [], 0
    for w in words:
        if out and size + 1 + len(w) > max_chars:
            return " ".join(out) + " …"
        out.append(w)
        size += len(w) + (1 if len(out) > 1 else 0)
    return " ".join(out)


def _date(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return pd.Timestamp(value).strftime("%Y-%m-%d") if not isinstance(value, str) else value


_LABELS = {
    "ar": ("السياق السابق", "الكلمة", "السياق اللاحق", "المصدر", "لا نتائج"),
    "en": ("before", "keyword", "after", "source", "no matches"),
}

_CELL = "white-space:nowrap;overflow:hidden;padding:0.15em 0.4em;vertical-align:baseline"


@dataclass
class KwicTable:
    """A concordance ready to show: HTML (``_repr_html_``, for notebooks and reports) and plain text.

    Made by :func:`kwic_table`. The HTML is a right-to-left table of four columns: the words
    before the keyword (on the right, aligned towards the keyword), the keyword (bold, centred),
    the words after it (aligned towards the keyword) and the source (outlet and date). Every
    string is HTML-escaped; there is no script, event handler or outside URL.
    """

    frame: pd.DataFrame
    context_chars: int = 60
    keyword_chars: int = TERM_CHARS
    lang: str = "ar"

    def _rows(self):
        for rec in self.frame.itertuples(index=False):
            r = rec._asdict()
            yield (_tail(r.get("left", ""), self.context_chars),
                   shorten(" ".join(str(r.get("keyword", "") or "").split()), self.keyword_chars),
                   _head(r.get("right", ""), self.context_chars),
                   shorten(str(r.get("outlet", "") or ""), 30), _date(r.get("date")),
                   shorten(f"{r.get('id', '')}: {r.get('title', '') or ''}", 160))

    def to_html(self) -> str:
        esc = html.escape
        before, kw, after, source, none = _LABELS.get(str(self.lang).split("-")[0], _LABELS["en"])
        th = "padding:0.15em 0.4em;border-bottom:1px solid #888;white-space:nowrap"
        parts = [
            '<table class="wb-kwic" dir="rtl" lang="ar" style="table-layout:fixed;width:100%;'
            'border-collapse:collapse;margin:0 0 1em">',
            '<colgroup><col style="width:36%"><col style="width:16%"><col style="width:36%">'
            '<col style="width:12%"></colgroup>',
            "<thead><tr>",
            f'<th dir="rtl" style="{th};text-align:left">{esc(before)}</th>',
            f'<th dir="rtl" style="{th};text-align:center">{esc(kw)}</th>',
            f'<th dir="rtl" style="{th};text-align:right">{esc(after)}</th>',
            f'<th dir="rtl" style="{th};text-align:right">{esc(source)}</th>',
            "</tr></thead><tbody>",
        ]
        n = 0
        for left, keyword, right, outlet, date, title in self._rows():
            n += 1
            # The words before the keyword sit on its right. Their cell is laid out left-to-right
            # around an isolated right-to-left span, so the word next to the keyword touches the
            # keyword's column and a line too long for the cell loses its far end, not its near one.
            parts.append(
                "<tr>"
                f'<td dir="ltr" style="{_CELL};text-align:left"><span dir="rtl">{esc(left)}</span></td>'
                f'<td dir="rtl" style="{_CELL};text-align:center;font-weight:bold">{esc(keyword)}</td>'
                f'<td dir="rtl" style="{_CELL};text-align:right">{esc(right)}</td>'
                f'<td dir="ltr" title="{esc(title)}" style="padding:0.15em 0.4em;text-align:left;'
                f'font-size:75%;line-height:1.25;color:#555;overflow-wrap:anywhere">{esc(outlet)}<br>{esc(date)}</td>'
                "</tr>"
            )
        if n == 0:
            parts.append(f'<tr><td colspan="4" dir="rtl" style="text-align:center">{esc(none)}</td></tr>')
        parts.append("</tbody></table>")
        return "".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        return "\n".join(kwic_lines(self.frame, context_chars=self.context_chars))

    def __repr__(self) -> str:
        return str(self)


def kwic_table(frame: pd.DataFrame, *, context_chars: int = 60, keyword_chars: int = TERM_CHARS,
               lang: str = "ar") -> KwicTable:
    """A concordance (:func:`kwic`) as a right-to-left HTML table with the keywords in one column.

    Display it in a notebook (``display(kwic_table(lines))``); the report renders it as it is,
    in HTML and PDF. Contexts are cut to whole words, at most ``context_chars`` characters on each
    side (the words nearest the keyword kept), every word to at most 40 characters, the keyword to
    ``keyword_chars`` (:func:`~workbench.display.shorten`); everything is HTML-escaped. The full
    lines stay in the DataFrame (save them with :func:`write_kwic_csv`). ``lang`` chooses the
    column headings (``ar`` or ``en``).
    """
    if context_chars < 2 or keyword_chars < 2:
        raise ArgumentError("context_chars and keyword_chars must be at least 2")
    return KwicTable(frame, int(context_chars), int(keyword_chars), str(lang))


def _width(s: str) -> int:
    """Terminal columns of ``s``: combining marks (harakat) and format characters take none."""
    return sum(1 for c in s if unicodedata.category(c) not in ("Mn", "Me", "Cf"))


def kwic_lines(frame: pd.DataFrame, *, context_chars: int = 50, keyword_chars: int = TERM_CHARS) -> list[str]:
    """One plain-text line per concordance line: ``DATE OUTLET  before [keyword] after``.

    The words before the keyword are padded to one width, so keywords line up when the text is
    shown in logical order (files, most terminals); a terminal that applies the bidirectional
    algorithm shows each Arabic run right to left, the words before the keyword on its right.
    Strings are shortened (whole words, at most ``context_chars`` a side) and control characters
    made spaces (:func:`~workbench.display.shorten`).
    """
    rows = list(KwicTable(frame, context_chars, keyword_chars)._rows())
    if not rows:
        return []
    width_left = max(_width(r[0]) for r in rows)
    width_outlet = max(len(r[3]) for r in rows)
    out = []
    for left, keyword, right, outlet, date, _ in rows:
        pad = " " * (width_left - _width(left))
        out.append(f"{date:<10} {outlet:<{width_outlet}}  {pad}{left} [{keyword}] {right}".rstrip())
    return out


def write_kwic_csv(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a concordance as CSV (UTF-8 with BOM, so Excel shows Arabic; dates ``YYYY-MM-DD``),
    full lines, byte-identical for identical lines."""
    from ..reports.notebook import write_csv

    out = frame.copy()
    if "date" in out.columns and pd.api.types.is_datetime64_any_dtype(out["date"]):
        out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    return write_csv(out, Path(path))
