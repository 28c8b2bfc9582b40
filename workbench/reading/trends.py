"""Trends, dispersion and frequency lists: when, where and how evenly each side uses a word.

* :func:`term_trends` -- how often chosen terms (words, phrases, wildcards, or a lexicon category
  followed as one series) occur per period and group, per 10,000 tokens, with 95 % intervals.
* :func:`dispersion` -- every occurrence of a term, placed in the corpus ordered by date
  (quanteda's ``kwic`` positions as drawn by ``textplot_xray``; figure:
  :func:`workbench.plots.trends.dispersion_plot`).
* :func:`dispersion_stats` -- how evenly a term is spread over a group's articles: Gries' DP,
  DP_norm and Juilland's D (:mod:`workbench.stats.dispersion`).
* :func:`frequency_list` -- quanteda's ``textstat_frequency``: each group's terms with frequency,
  rank, document frequency and rate.

Terms are queries (:mod:`workbench.reading.patterns`) matched against the analysis' *reading*
tokens (:meth:`Analysis.reading`: the same normalisation, every word kept), so a rate's
denominator is every token the group's articles have in the period (title and text), stopwords
included: "per 10,000 words printed". :func:`frequency_list` instead counts the analysis' own
document-term matrix (its settings, stopwords removed), like keyness.

**One series from several queries.** ``terms`` may be a mapping ``{label: [queries]}`` (a lexicon
category). Its matches are pooled; a match *nested* in another match of the same label (same or
later start, same or earlier end: ``الجيش`` inside ``الجيش العربي السوري``, or two entries matching
the same token) is not counted again -- the rule of quanteda's ``tokens_lookup(nested_scope =
"key")`` (Benoit et al. 2018). Matches that only partly overlap both count. Different labels are
counted independently.

**Intervals.** A word's occurrences cluster in articles (an article about a massacre says
"massacre" ten times), so tokens are not independent draws and binomial intervals are far too
narrow (Lijffijt et al. 2016). The interval of a rate is therefore a percentile bootstrap over
*articles* (Efron & Tibshirani 1993, ch. 13): the articles of a period × group cell are resampled
with replacement ``n_boot`` times, the rate (sum of counts / sum of tokens, a ratio estimator) is
recomputed each time, and the 2.5 % and 97.5 % quantiles form the 95 % interval
(:func:`workbench.stats.counts.bootstrap_rate_interval`, the interval of the lexicon rates too;
a resample of empty articles only has no rate and is left out). Each cell has its
own random stream, seeded from ``seed``, the group and the period, so a cell's interval does not
change when other terms, groups or periods are added. A cell with one article has a zero-width
interval, and a term absent from every article of a cell has ``[0, 0]``: the bootstrap cannot see
beyond the articles it has; read such cells with their ``docs`` count.

References
----------
* Benoit, K., Watanabe, K., Wang, H., Nulty, P., Obeng, A., Müller, S. & Matsuo, A. (2018).
  quanteda: An R package for the quantitative analysis of textual data. *Journal of Open Source
  Software* 3(30), 774 (``tokens_lookup``, ``textplot_xray``, ``textstat_frequency``).
* Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall.
* Lijffijt, J., Nevalainen, T., Säily, T., Papapetrou, P., Puolamäki, K. & Mannila, H. (2016).
  Significance testing of word frequencies in corpora. *Digital Scholarship in the Humanities*
  31(2), 374-397.
* Gries, S. Th. (2008); Lijffijt & Gries (2012); Juilland & Chang-Rodríguez (1964): see
  :mod:`workbench.stats.dispersion`.

Example (the bundled demo corpus)::

    from workbench.analysis import Analysis
    from workbench.reading.trends import term_trends
    a = Analysis("build/demo-store")
    term_trends(a, ["النظام", "قوات *"], by="camp", freq="month")
    term_trends(a, {"terror": ["الإرهابيين", "المجموعات الإرهابية المسلحة"]})
"""
from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import AnalysisError, ArgumentError
from ..stats.counts import bootstrap_rate_interval
from ..stats.dispersion import gries_dp, gries_dp_norm, juilland_d
from ..stats.keyness import PER
from ..topics.prevalence import _FREQS, _group_codes, period_starts
from .patterns import compile_query

__all__ = ["TREND_COLUMNS", "term_series", "term_trends", "dispersion", "dispersion_stats", "frequency_list"]

#: Columns of :func:`term_trends`.
TREND_COLUMNS = ["term", "group", "period", "count", "tokens", "docs", "rate", "low", "high"]
_HIT_COLUMNS = ["term", "group", "doc_id", "date", "doc_rank", "position", "doc_tokens", "relative",
                "corpus_position", "corpus_relative"]


# ---------------------------------------------------------------------------
# terms and their matches
# ---------------------------------------------------------------------------


def term_series(terms: str | Sequence[str] | Mapping[str, Any]) -> dict[str, list[str]]:
    """``{label: [queries]}`` from a query, a list of queries (each its own series, labelled by
    itself) or a mapping ``{label: query or [queries]}`` (a lexicon category as one series)."""
    if isinstance(terms, str):
        terms = [terms]
    if isinstance(terms, Mapping):
        out: dict[str, list[str]] = {}
        for label, queries in terms.items():
            qs = [queries] if isinstance(queries, str) else [str(q) for q in queries]
            if not qs:
                raise ArgumentError(f"term '{label}' has no queries; give it a list of words or phrases")
            out[str(label)] = qs
    else:
        out = {str(q): [str(q)] for q in terms}
    if not out:
        raise ArgumentError("no terms: give words, phrases or patterns (e.g. ['النظام', 'قوات *']) "
                            "or a mapping {label: [queries]}")
    return out


def _label_hits(index, queries: Sequence[str], settings, clitics: bool, regex: bool) -> np.ndarray:
    """Flat token positions (sorted) where the counted matches of one label start.

    Matches of all ``queries`` are pooled; one nested in another (start ≥ and end ≤ those of an
    earlier-sorted match) is dropped, as in quanteda's ``tokens_lookup(nested_scope = "key")``.
    """
    starts, ends = [], []
    for q in queries:
        pattern = compile_query(q, settings, clitics=clitics, regex=regex)
        s = pattern.starts(index)
        starts.append(s)
        ends.append(s + len(pattern))
    s, e = np.concatenate(starts), np.concatenate(ends)
    if len(queries) == 1 or not len(s):
        return s
    order = np.lexsort((-e, s))  # by start, the longest first
    s, e = s[order], e[order]
    reach = np.maximum.accumulate(np.concatenate([[-1], e[:-1]]))  # furthest end of the matches before
    return s[e > reach]


def _matches(analysis, terms, clitics: bool, regex: bool):
    """The reading analysis, its token index, the series and each label's match starts."""
    series = term_series(terms)
    reading = analysis.reading()
    index = reading.token_index()
    hits = {label: _label_hits(index, qs, reading.settings, clitics, regex) for label, qs in series.items()}
    return reading, index, series, hits


def _codes(docs: pd.DataFrame, by: str | None, groups) -> tuple[np.ndarray, list[str]]:
    return _group_codes(docs, by, groups, error=AnalysisError)


def _check(freq: str | None = None, n_boot: int | None = None, level: float | None = None) -> None:
    if freq is not None and freq not in _FREQS:
        raise ArgumentError(f"freq must be one of {', '.join(_FREQS)} (got {freq!r})")
    if n_boot is not None and (isinstance(n_boot, bool) or int(n_boot) != n_boot or n_boot < 0):
        raise ArgumentError(f"n_boot must be a non-negative integer, e.g. 1000 (got {n_boot!r})")
    if level is not None and not 0.0 < float(level) < 1.0:
        raise ArgumentError(f"level must be between 0 and 1, e.g. 0.95 (got {level})")


def _record(table: pd.DataFrame, reading, **extra) -> pd.DataFrame:
    table.attrs.update({**extra, "text_settings": reading.settings.to_dict(),
                        "selection": reading.selection.to_dict(), "store": str(reading.store.path)})
    return table


# ---------------------------------------------------------------------------
# trends
# ---------------------------------------------------------------------------


def _cell_rng(seed: int, group: str, period: pd.Timestamp) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(str(group).encode("utf-8")),
                                  int(period.strftime("%Y%m%d"))])


def term_trends(
    analysis,
    terms: str | Sequence[str] | Mapping[str, Any],
    *,
    by: str | None = "camp",
    freq: str = "month",
    groups: Sequence[str] | None = None,
    clitics: bool = False,
    regex: bool = False,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """How often each term occurs per period and group, per 10,000 tokens, with bootstrap intervals.

    ``terms``: queries (``["النظام", "قوات *"]``, each compiled with
    :func:`~workbench.reading.patterns.compile_query` under the reading settings, with
    ``clitics``/``regex``) or a mapping ``{label: [queries]}`` followed as one series (nested
    matches counted once, see the module notes). ``by``: the grouping column (``camp``,
    ``outlet``, any corpus column; None = all documents as ``"all"``); ``groups``: only these
    values, in this order. ``freq``: ``day``, ``week`` (Monday to Sunday), ``month``, ``quarter``
    or ``year``, as :func:`workbench.topics.prevalence.prevalence_over_time`.

    Returns tidy rows ``term, group, period`` (the period's first day) ``, count`` (matches),
    ``tokens`` (all tokens of the cell's articles), ``docs`` (articles), ``rate`` (count per
    10,000 tokens) and ``low, high`` (the ``level`` percentile bootstrap interval over articles,
    ``n_boot`` resamples, seeded; ``n_boot=0``: no interval). Every period from the first to the
    last dated article of the selection is listed for every group; where a group has no article
    (or no token) in a period, ``docs``/``tokens``/``count`` are 0 and ``rate``, ``low``, ``high``
    are NaN -- a gap, not a zero. Articles without a date are left out (counted in
    ``attrs["undated"]``). ``attrs`` record the inputs.
    """
    _check(freq, n_boot, level)
    reading, index, series, hits = _matches(analysis, terms, clitics, regex)
    docs = reading.docs
    codes, names = _codes(docs, by, groups)
    labels = list(series)
    counts = np.column_stack([np.bincount(index.doc_of(hits[t]), minlength=index.n_docs) for t in labels])
    lengths = index.doc_lengths()
    periods = period_starts(docs["date"], freq)
    dated = periods.notna().to_numpy()
    if not dated.any():
        raise AnalysisError("no selected document has a date, so there is no trend over time")
    grid = pd.period_range(periods[dated].min(), periods[dated].max(), freq=_FREQS[freq]).start_time
    slot = np.full(len(docs), -1, dtype=np.int64)
    slot[dated] = grid.get_indexer(periods[dated])
    use = (codes >= 0) & (slot >= 0)
    cell = codes[use] * len(grid) + slot[use]
    rows = np.flatnonzero(use)[np.argsort(cell, kind="stable")]
    bounds = np.searchsorted(np.sort(cell), np.arange(len(names) * len(grid) + 1))
    L, P = len(labels), len(grid)
    out = {k: np.zeros((len(names), P, L)) for k in ("count", "rate", "low", "high")}
    tokens = np.zeros((len(names), P), dtype=np.int64)
    ndocs = np.zeros((len(names), P), dtype=np.int64)
    for g, name in enumerate(names):
        for p, period in enumerate(grid):
            idx = rows[bounds[g * P + p]:bounds[g * P + p + 1]]
            c, t = counts[idx].sum(axis=0), int(lengths[idx].sum())
            tokens[g, p], ndocs[g, p] = t, len(idx)
            out["count"][g, p] = c
            if t == 0:
                for k in ("rate", "low", "high"):
                    out[k][g, p] = np.nan
                continue
            out["rate"][g, p] = c / t * PER
            if not n_boot:
                out["low"][g, p] = out["high"][g, p] = np.nan
                continue
            out["low"][g, p], out["high"][g, p] = bootstrap_rate_interval(
                counts[idx], lengths[idx], float(level), n_boot=int(n_boot), per=PER, rng=_cell_rng(seed, name, period))
    G = len(names)
    table = pd.DataFrame({
        "term": np.repeat(labels, G * P),
        "group": np.tile(np.repeat(names, P), L),
        "period": np.tile(grid.to_numpy(), G * L),
        "count": out["count"].transpose(2, 0, 1).ravel().astype(np.int64),
        "tokens": np.tile(tokens.ravel(), L),
        "docs": np.tile(ndocs.ravel(), L),
        **{k: out[k].transpose(2, 0, 1).ravel() for k in ("rate", "low", "high")},
    })[TREND_COLUMNS]
    return _record(table, reading, by=by, freq=freq, groups=names, queries=series, clitics=clitics,
                   regex=regex, n_boot=int(n_boot), level=float(level), seed=int(seed), per=PER,
                   undated=int((~dated).sum()),
                   method="rate per 10,000 tokens; percentile bootstrap over articles within period and group "
                          "(Efron & Tibshirani 1993; Lijffijt et al. 2016)")


# ---------------------------------------------------------------------------
# dispersion
# ---------------------------------------------------------------------------


def _date_order(docs: pd.DataFrame) -> np.ndarray:
    """Rows in date order (ties and undated articles: by id; undated last)."""
    return np.lexsort((docs["id"].astype(str).to_numpy(), docs["date"].to_numpy()))


def dispersion(
    analysis,
    terms: str | Sequence[str] | Mapping[str, Any],
    *,
    by: str | None = "camp",
    groups: Sequence[str] | None = None,
    clitics: bool = False,
    regex: bool = False,
) -> pd.DataFrame:
    """Where every occurrence of each term stands in the corpus ordered by date (a lexical dispersion
    or "x-ray" plot's data, quanteda's ``textplot_xray``).

    ``terms``, ``clitics``, ``regex`` as in :func:`term_trends` (a mapping pools its queries;
    nested matches once). Articles are put in date order (ties by id) and their tokens laid end to
    end. One row per occurrence: ``term, group`` (value of ``by``; ``"all"`` for None),
    ``doc_id, date, doc_rank`` (0 = the earliest article), ``position`` (token index of the match's
    first token in its article), ``doc_tokens``, ``relative`` (``position / doc_tokens``, in
    [0, 1)), ``corpus_position`` (token index in the date-ordered corpus) and ``corpus_relative``
    (that over all tokens of the selection). Sorted by term, then corpus position. ``attrs`` add
    ``n_docs``, ``n_tokens`` and ``months``: ``[(YYYY-MM, corpus_relative of its first token),
    ...]`` for the axis of :func:`workbench.plots.trends.dispersion_plot`.
    """
    reading, index, series, hits = _matches(analysis, terms, clitics, regex)
    docs = reading.docs
    codes, names = _codes(docs, by, groups)
    lengths = index.doc_lengths()
    order = _date_order(docs)
    rank = np.empty(len(docs), dtype=np.int64)
    rank[order] = np.arange(len(docs))
    start = np.empty(len(docs), dtype=np.int64)
    start[order] = np.concatenate([[0], np.cumsum(lengths[order])[:-1]])
    total = max(index.n_tokens, 1)
    parts = []
    for label in series:
        flat = hits[label]
        rows = index.doc_of(flat)
        keep = codes[rows] >= 0
        flat, rows = flat[keep], rows[keep]
        pos = flat - index.offsets[rows]
        where = start[rows] + pos
        parts.append(pd.DataFrame({
            "term": label, "group": np.asarray(names, dtype=object)[codes[rows]],
            "doc_id": docs["id"].astype(str).to_numpy()[rows], "date": docs["date"].to_numpy()[rows],
            "doc_rank": rank[rows], "position": pos, "doc_tokens": lengths[rows],
            "relative": pos / np.maximum(lengths[rows], 1), "corpus_position": where,
            "corpus_relative": where / total,
        }).sort_values("corpus_position", kind="stable"))
    table = pd.concat(parts, ignore_index=True)[_HIT_COLUMNS]
    months = docs["date"].dt.strftime("%Y-%m").to_numpy()[order]
    firsts = [(m, float(start[order][i] / total)) for i, m in enumerate(months)
              if isinstance(m, str) and (i == 0 or m != months[i - 1])]
    return _record(table, reading, by=by, groups=names, queries=series, clitics=clitics, regex=regex,
                   n_docs=int(index.n_docs), n_tokens=int(index.n_tokens), months=firsts)


def dispersion_stats(
    analysis,
    terms: str | Sequence[str] | Mapping[str, Any],
    *,
    by: str | None = "camp",
    groups: Sequence[str] | None = None,
    clitics: bool = False,
    regex: bool = False,
) -> pd.DataFrame:
    """How evenly each term is spread over the articles of each group (articles are the parts).

    Returns one row per term and group: ``term, group, count, tokens`` (the group's tokens),
    ``parts`` (its articles), ``docs`` (articles using the term), ``range`` (``docs / parts``),
    ``rate`` (per 10,000 tokens), ``DP`` (Gries 2008), ``DP_norm`` (Lijffijt & Gries 2012) and
    ``D`` (Juilland & Chang-Rodríguez 1964) -- see :mod:`workbench.stats.dispersion`. DP near 0:
    used throughout the group in proportion to article length; near 1: a few articles' word.
    """
    reading, index, series, hits = _matches(analysis, terms, clitics, regex)
    codes, names = _codes(reading.docs, by, groups)
    labels = list(series)
    counts = np.column_stack([np.bincount(index.doc_of(hits[t]), minlength=index.n_docs) for t in labels])
    lengths = index.doc_lengths()
    rows = []
    for g, name in enumerate(names):
        c, s = counts[codes == g], lengths[codes == g]
        tot, t = c.sum(axis=0), int(s.sum())
        docs_with = (c > 0).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = tot / t * PER if t else np.full(len(labels), np.nan)
        dp, dpn, d = (np.atleast_1d(f(c, s)) for f in (gries_dp, gries_dp_norm, juilland_d))
        for j, label in enumerate(labels):
            rows.append({"term": label, "group": name, "count": int(tot[j]), "tokens": t, "parts": len(s),
                         "docs": int(docs_with[j]), "range": docs_with[j] / len(s) if len(s) else np.nan,
                         "rate": rate[j], "DP": dp[j], "DP_norm": dpn[j], "D": d[j]})
    table = pd.DataFrame(rows).sort_values("term", key=lambda s: s.map(labels.index), kind="stable")
    return _record(table.reset_index(drop=True), reading, by=by, groups=names, queries=series,
                   clitics=clitics, regex=regex, parts="articles", per=PER)


# ---------------------------------------------------------------------------
# frequency lists
# ---------------------------------------------------------------------------


def frequency_list(
    analysis,
    *,
    by: str | None = None,
    n: int | None = None,
    min_count: int = 1,
    ngrams: int | Sequence[int] = 1,
) -> pd.DataFrame:
    """The most frequent terms of each group, like quanteda's ``textstat_frequency``.

    Counted on :meth:`Analysis.matrix` (the analysis' own text settings, so stopwords removed
    as in keyness), summed per value of ``by`` (:func:`workbench.matrix.group`; None = one group
    ``"all"``). Returns ``group, term, frequency, rank`` (1 = most frequent in the group; ties
    share the lowest rank), ``docfreq`` (articles of the group using the term) and ``rate``
    (frequency per 10,000 counted tokens of the group). Sorted by group, then frequency
    (descending), then term; only terms with ``frequency >= min_count``, at most ``n`` per group.
    """
    from ..matrix import DocumentTermMatrix, group

    if isinstance(min_count, bool) or int(min_count) != min_count or min_count < 1:
        raise ArgumentError(f"min_count must be a positive integer (got {min_count!r})")
    if n is not None and (isinstance(n, bool) or int(n) != n or n < 1):
        raise ArgumentError(f"n must be a positive integer or None for every term (got {n!r})")
    dtm = analysis.matrix(ngrams)
    docs = dtm.docs
    _codes(docs, by, None)  # an unknown column is a one-line error naming the columns
    column = by if by is not None else "_all"
    if by is None:
        docs = docs.assign(_all="all")
    counts = group(DocumentTermMatrix(dtm.X, dtm.vocab, docs), column)
    present = group(DocumentTermMatrix((dtm.X > 0).astype(np.int64).tocsr(), dtm.vocab, docs), column)
    vocab = dtm.vocab.to_numpy()
    parts = []
    for i, name in enumerate(counts.docs[column].astype(str)):
        row = counts.X.getrow(i)
        freq = row.toarray().ravel()
        total = int(freq.sum())
        keep = np.flatnonzero(freq >= int(min_count))
        order = keep[np.lexsort((vocab[keep].astype(str), -freq[keep]))]
        f = freq[order]
        rank = 1 + np.searchsorted(-f, -f, side="left")  # ties share the lowest rank ("min")
        part = pd.DataFrame({"group": name, "term": vocab[order], "frequency": f, "rank": rank,
                             "docfreq": present.X.getrow(i).toarray().ravel()[order],
                             "rate": f / total * PER if total else np.nan})
        parts.append(part.head(n) if n else part)
    cols = ["group", "term", "frequency", "rank", "docfreq", "rate"]
    table = pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
    table.attrs.update({"by": by, "n": n, "min_count": int(min_count), "per": PER, **dtm.meta})
    return table
