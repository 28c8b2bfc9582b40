r"""Collocations: what a word keeps company with, per side, and which word sequences act as units.

Three verbs, each returning a tidy :class:`pandas.DataFrame`:

* :func:`collocates` -- words that co-occur with a *node* (a word, or a small set of spellings)
  within ±``window`` tokens, per group of documents (``by="camp"``), scored with MI, G², t-score
  and logDice.
* :func:`compare_collocates` -- what each side puts next to the node: the collocate's share of
  the node's window tokens in a target group against a reference group (G², log ratio), with the
  conventions of :mod:`workbench.stats.keyness`.
* :func:`multiword_expressions` -- adjacent word sequences that behave as units ("تنظيم الدولة",
  "قوات سوريا الديمقراطية"), corpus-wide, scored like quanteda's ``textstat_collocations``.

They read the ordered token stream of an analysis (:meth:`workbench.analysis.Analysis.tokens`)
one batch at a time: memory holds the counts, never the corpus.

Window counting (:func:`collocates`)
-----------------------------------
Tokens are those of the analysis' text settings: by default stopwords and tokens shorter than two
letters are removed before counting, so ``window=5`` means five *remaining* tokens on each side
(set ``remove_stopwords: false`` for raw positions). For every occurrence of the node at position
``i`` of a document, the window is the positions ``i-window … i+window`` of the *same* document
(windows never cross documents), the node position itself excluded ("5L 5R" in #LancsBox,
AntConc's "window span 5L to 5R"). Node tokens are never collocates (with a set of nodes, none of
its spellings is), so the node does not count itself. A token lying in the windows of two nearby
node occurrences is counted **once** (the union of the spans; Evert 2008, §5.2.2), so every
co-occurrence count is a count of distinct token positions and the 2×2 table below is exact.
AntConc and #LancsBox count such a token once per node occurrence; the two agree unless the node
repeats within ``2·window`` tokens.

Per group, with node-occurrence positions set aside (they cannot hold a collocate)::

    N    = tokens of the group - node frequency        (positions that could hold a collocate)
    R    = positions inside the union of node windows   (the node's "window tokens")
    O    = positions inside the windows holding the collocate           (column ``freq``)
    C    = occurrences of the collocate in the group                    (``freq_collocate``)
    f_n  = occurrences of the node in the group                         (``freq_node``)

                        collocate     other tokens
    in a node window    O             R - O            | R
    elsewhere           C - O         N - R - C + O    | N - R
                        C             N - C            | N

* ``expected``  ``E = R·C / N``: the co-occurrence count if the collocate were spread evenly.
  Because ``R`` is the real window size (≈ ``2·window·f_n``), this is the span-adjusted expected
  frequency of Evert (2008) and of R's *corpora* ``am.score(span.size=)``; MI is therefore
  comparable across window sizes.
* ``MI``        ``log2(O / E)``, pointwise mutual information (Church & Hanks 1990). Favours rare
  collocates; use it with ``min_freq``.
* ``G2``        Dunning's (1993) log-likelihood ratio over the four cells of the table (unsigned;
  ``MI < 0`` means the collocate avoids the node).
* ``t_score``   ``(O - E) / sqrt(O)`` (Church, Gale, Hanks & Hindle 1991): favours frequent
  collocates.
* ``log_dice``  ``14 + log2(2·O / (f_n + C))`` (Rychlý 2008): independent of corpus size, the
  default ranking (Sketch Engine's). 14 is its maximum when a window holds the collocate at most
  once; a collocate repeated inside one window (``O > f_n``) can score a little above 14.

``min_freq`` keeps collocates with ``O >= min_freq`` in the group (#LancsBox' collocation
frequency threshold).

References
----------
* Church, K. W. & Hanks, P. (1990). Word association norms, mutual information, and
  lexicography. *Computational Linguistics* 16(1), 22-29.
* Church, K., Gale, W., Hanks, P. & Hindle, D. (1991). Using statistics in lexical analysis. In
  U. Zernik (ed.), *Lexical Acquisition*, 115-164.
* Dunning, T. (1993). Accurate methods for the statistics of surprise and coincidence.
  *Computational Linguistics* 19(1), 61-74.
* Rychlý, P. (2008). A lexicographer-friendly association score. *Proceedings of RASLAN 2008*,
  6-9.
* Evert, S. (2008). Corpora and collocations. In A. Lüdeling & M. Kytö (eds.), *Corpus
  Linguistics. An International Handbook*, article 58. Mouton de Gruyter.
* Brezina, V., McEnery, T. & Wattam, S. (2015). Collocations in context: a new perspective on
  collocation networks. *International Journal of Corpus Linguistics* 20(2), 139-173 (#LancsBox).
* Blaheta, D. & Johnson, M. (2001). Unsupervised learning of multi-word verbs. *Proceedings of
  the ACL/EACL 2001 Workshop on the Computational Extraction, Analysis and Exploitation of
  Collocations*, 54-60.
* Hardie, A. (2014). Log Ratio -- an informal introduction. CASS blog.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import StatisticsError
from .keyness import adjust_pvalues, g2_pvalue, log_likelihood, log_ratio

__all__ = [
    "COLLOCATE_COLUMNS",
    "COMPARE_COLUMNS",
    "MWE_COLUMNS",
    "SORTS",
    "collocates",
    "compare_collocates",
    "multiword_expressions",
    "association",
]

#: Columns of :func:`collocates`, in order.
COLLOCATE_COLUMNS = ["group", "collocate", "freq", "freq_collocate", "freq_node", "expected", "MI", "G2",
                     "t_score", "log_dice"]
#: Columns of :func:`compare_collocates`, in order.
COMPARE_COLUMNS = ["collocate", "freq_target", "freq_reference", "log_dice_target", "log_dice_reference",
                   "G2", "p", "p_adj", "log_ratio", "direction"]
#: Columns of :func:`multiword_expressions`, in order.
MWE_COLUMNS = ["collocation", "count", "length", "lambda", "z"]
#: Measures :func:`collocates` can sort by (descending).
SORTS = ("log_dice", "MI", "G2", "t_score", "freq")
#: The group name when ``by`` is None.
ALL = "all"


# ---------------------------------------------------------------------------
# inputs: an Analysis, or a token stream with its documents
# ---------------------------------------------------------------------------


def _source(source: Any, docs: pd.DataFrame | None, settings: Any):
    """``(stream, docs, settings, analysis or None)`` of an :class:`~workbench.analysis.Analysis` or of
    any object with ``.batches()`` (yielding lists of ``(doc_id, tokens)``)."""
    if hasattr(source, "tokens") and hasattr(source, "docs") and callable(source.tokens):
        return source.tokens(), source.docs if docs is None else docs, \
            source.settings if settings is None else settings, source
    if not hasattr(source, "batches"):
        raise StatisticsError("expected an Analysis or a token stream with a .batches() method "
                              f"(got {type(source).__name__})")
    return source, docs, settings if settings is not None else getattr(source, "settings", None), None


def _nodes(node: str | Iterable[str], settings: Any) -> tuple[str, ...]:
    """The node's spellings, normalised as the tokens were (so "الأسد" finds "الاسد")."""
    from ..text import TextSettings
    from ..text.normalise import normalise

    items = [node] if isinstance(node, str) else list(node)
    if not items:
        raise StatisticsError("node is empty: give a word, e.g. 'مرسي', or a list of spellings")
    settings = TextSettings.coerce(settings)
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise StatisticsError(f"node must be a word or a list of words, got {type(item).__name__}")
        norm = normalise(item, settings).strip()
        if not norm:
            raise StatisticsError(f"node {item!r} is empty after normalisation")
        if len(norm.split()) > 1:
            raise StatisticsError(f"node {item!r} has several words; a node is one token (give alternative "
                                  "spellings as a list; find multi-word names with multiword_expressions())")
        out.append(norm)
    return tuple(dict.fromkeys(out))


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise StatisticsError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _doc_groups(docs: pd.DataFrame | None, by: str | None) -> Callable[[str], Any] | None:
    """A function from document id to group name (None: skip the document), or None for one group."""
    if by is None:
        return None
    if docs is None:
        raise StatisticsError(f"by={by!r} needs the documents' metadata: pass docs= (a DataFrame with 'id' "
                              f"and '{by}') or an Analysis")
    if by not in docs.columns or by in ("id", "text"):
        cols = [c for c in docs.columns if c not in ("id", "title", "url", "text", "text_hash", "content_hash")]
        raise StatisticsError(f"by={by!r} is not a document column (columns: {', '.join(map(str, cols))})")
    values = docs[by].astype("string")
    mapping = {str(i): (None if pd.isna(v) else str(v)) for i, v in zip(docs["id"].astype(str), values)}
    return lambda doc_id: mapping.get(doc_id)


# ---------------------------------------------------------------------------
# one pass over the stream
# ---------------------------------------------------------------------------


@dataclass
class _Counts:
    """What one group contributes: token and node counts, window size, co-occurrences."""

    docs: int = 0
    tokens: int = 0
    node: int = 0
    window: int = 0
    freq: Counter = field(default_factory=Counter)
    cooc: Counter = field(default_factory=Counter)


def _scan(stream: Any, nodes: tuple[str, ...], window: int,
          group_of: Callable[[str], Any] | None) -> dict[str, _Counts]:
    """Count, per group, every token and the tokens in the union of the node windows."""
    node_set = frozenset(nodes)
    groups: dict[str, _Counts] = {}
    for batch in stream.batches():
        for doc_id, toks in batch:
            g = ALL if group_of is None else group_of(str(doc_id))
            if g is None:
                continue
            c = groups.get(g)
            if c is None:
                c = groups[g] = _Counts()
            c.docs += 1
            c.tokens += len(toks)
            c.freq.update(toks)
            if node_set.isdisjoint(toks):
                continue
            pos = [i for i, t in enumerate(toks) if t in node_set]
            c.node += len(pos)
            n = len(toks)
            covered: set[int] = set()
            for i in pos:
                covered.update(range(max(0, i - window), min(n, i + window + 1)))
            covered.difference_update(pos)
            c.window += len(covered)
            c.cooc.update(toks[j] for j in covered)
    return groups


def association(o, c, f_node, r, n) -> dict[str, np.ndarray]:
    """Expected frequency, MI, G², t-score and logDice of co-occurrence counts (vectorised).

    ``o`` co-occurrences (collocate tokens in the node windows), ``c`` collocate frequency,
    ``f_node`` node frequency, ``r`` window tokens, ``n`` tokens that could hold a collocate
    (the group's tokens minus the node's). See the module docstring for the table.
    """
    o, c, f_node, r, n = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (o, c, f_node, r, n)))
    e = r * c / n
    with np.errstate(divide="ignore", invalid="ignore"):
        mi = np.log2(o / e)
        t = (o - e) / np.sqrt(o)
        dice = 14.0 + np.log2(2.0 * o / (f_node + c))
    # collocate inside vs outside the windows, against all tokens inside vs outside: Dunning's 2x2 G²
    g2 = log_likelihood(o, c - o, r, n - r, full_table=True)
    return {"expected": e, "MI": mi, "G2": g2, "t_score": t, "log_dice": dice}


def _not_found(nodes: tuple[str, ...], settings: Any, where: str) -> StatisticsError:
    from ..text import TextSettings
    from ..text.normalise import normalise

    s = TextSettings.coerce(settings)
    head = f"node {' / '.join(nodes)} does not occur in {where}"
    if s.remove_stopwords and set(nodes) & {normalise(w, s) for w in s.stopword_lines()}:
        return StatisticsError(f"{head}: it is a stopword, removed by the text settings (set remove_stopwords "
                               "to false, on the command line --set remove_stopwords=false)")
    if any(len(x) < s.min_length for x in nodes):
        return StatisticsError(f"{head}: it is shorter than min_length={s.min_length} of the text settings")
    return StatisticsError(f"{head}; check its spelling (it is matched as one token, after normalisation)")


# ---------------------------------------------------------------------------
# collocates
# ---------------------------------------------------------------------------


def collocates(
    source: Any,
    node: str | Sequence[str],
    *,
    window: int = 5,
    by: str | None = None,
    min_freq: int = 3,
    sort: str = "log_dice",
    top: int | None = None,
    docs: pd.DataFrame | None = None,
    settings: Any = None,
) -> pd.DataFrame:
    """Collocates of ``node`` within ±``window`` tokens, per group of documents.

    ``source`` is an :class:`~workbench.analysis.Analysis` (its token stream, documents and text
    settings) or a token stream (anything with ``.batches()`` yielding lists of ``(doc_id,
    tokens)``; pass ``docs`` for ``by`` and ``settings`` for the node's normalisation). ``node`` is
    a word or a list of spellings counted as one node, normalised with the analysis' settings
    (``"الأسد"`` finds ``"الاسد"``). ``by`` is a document column (``"camp"``, ``"outlet"``,
    ``"month"``, ...); None treats the selection as one group, ``"all"``; documents without a
    value are left out.

    Returns one row per (group, collocate) with ``freq >= min_freq``: columns
    :data:`COLLOCATE_COLUMNS` (definitions in the module docstring: window span, node excluded,
    union of windows, span-adjusted expected frequency; MI, Church & Hanks 1990; G², Dunning 1993;
    t-score; logDice, Rychlý 2008). Rows are ordered by group name, then ``sort`` (descending),
    then ``freq`` (descending), then collocate; ``top`` keeps the first ``top`` rows per group.
    ``attrs`` records the node, its normalised spellings, the window, the filters and, per group,
    documents, tokens, node frequency and window tokens.

    >>> from workbench.analysis import Analysis                      # doctest: +SKIP
    >>> collocates(Analysis("build/demo-store"), "النظام", by="camp").head()  # doctest: +SKIP
    """
    window = _check_int("window", window, 1)
    min_freq = _check_int("min_freq", min_freq, 1)
    if sort not in SORTS:
        raise StatisticsError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
    if top is not None:
        top = _check_int("top", top, 1)
    stream, docs, settings, analysis = _source(source, docs, settings)
    nodes = _nodes(node, settings)
    groups = _scan(stream, nodes, window, _doc_groups(docs, by))
    if not any(c.node for c in groups.values()):
        raise _not_found(nodes, settings, "the selected documents")

    parts = []
    info = {}
    for g in sorted(groups):
        c = groups[g]
        info[g] = {"docs": c.docs, "tokens": c.tokens, "node_freq": c.node, "window_tokens": c.window}
        words = sorted(w for w, k in c.cooc.items() if k >= min_freq)
        if not words:
            continue
        o = np.array([c.cooc[w] for w in words], dtype=np.float64)
        cf = np.array([c.freq[w] for w in words], dtype=np.float64)
        stats = association(o, cf, c.node, c.window, c.tokens - c.node)
        part = pd.DataFrame({"group": pd.Series([g] * len(words), dtype="str"),
                             "collocate": pd.Series(words, dtype="str"),
                             "freq": o.astype(np.int64), "freq_collocate": cf.astype(np.int64),
                             "freq_node": np.full(len(words), c.node, dtype=np.int64), **stats},
                            columns=COLLOCATE_COLUMNS)
        order = np.lexsort((part["collocate"].to_numpy(dtype=object).astype(str), -part["freq"].to_numpy(),
                            -part[sort].to_numpy()))
        part = part.iloc[order]
        parts.append(part.head(top) if top is not None else part)
    out = (pd.concat(parts, ignore_index=True) if parts else
           pd.DataFrame({c: pd.Series(dtype="str" if c in ("group", "collocate") else "float64")
                         for c in COLLOCATE_COLUMNS}))
    out.attrs = {
        "node": node if isinstance(node, str) else list(node), "node_normalised": list(nodes),
        "window": window, "by": by, "min_freq": min_freq, "sort": sort, "top": top, "groups": info,
        "span": "union of node windows, node positions excluded, within documents",
        "expected": "window_tokens * freq_collocate / (tokens - freq_node)",
        "g2_form": "dunning_full_table",
    }
    _record_analysis(out, analysis, settings)
    return out


def _record_analysis(table: pd.DataFrame, analysis: Any, settings: Any) -> None:
    if analysis is not None:
        table.attrs.update({"store": str(analysis.store.path), "store_fingerprint": analysis.fingerprint,
                            "selection": analysis.selection.to_dict()})
    if settings is not None and hasattr(settings, "to_dict"):
        table.attrs["text_settings"] = settings.to_dict()


# ---------------------------------------------------------------------------
# compare_collocates
# ---------------------------------------------------------------------------


def _side_values(docs: pd.DataFrame, group: str, values: str | Sequence[str], name: str) -> list[str]:
    vals = [values] if isinstance(values, str) else [str(v) for v in values]
    present = sorted(docs[group].astype("string").dropna().unique())
    for v in vals:
        if v not in present:
            raise StatisticsError(f"{name} '{v}' is not a value of '{group}' in these documents "
                                  f"(values: {', '.join(present)})")
    return vals


def compare_collocates(
    source: Any,
    node: str | Sequence[str],
    group: str,
    target: str | Sequence[str],
    reference: str | Sequence[str] | None = None,
    *,
    window: int = 5,
    min_freq: int = 3,
    correction: str = "fdr_bh",
    top: int | None = None,
    docs: pd.DataFrame | None = None,
    settings: Any = None,
) -> pd.DataFrame:
    r"""What ``target`` puts next to the node compared with ``reference``.

    ``group`` is a document column; ``target`` and ``reference`` are values of it (a value or a
    list; ``reference=None``: every other document). Windows are counted as in
    :func:`collocates`. For each collocate, with ``a``/``b`` its co-occurrence counts in the target
    and reference groups and ``c``/``d`` the node's window tokens there, the 2x2 table is::

                          target    reference
        collocate         a         b
        other window      c - a     d - b
        tokens

    and the columns (:data:`COMPARE_COLUMNS`) are ``freq_target = a``, ``freq_reference = b``,
    ``log_dice_*`` (Rychlý 2008, per side; NaN where ``a`` or ``b`` is 0), ``G2`` (Dunning 1993,
    full table; :func:`workbench.stats.keyness.log_likelihood` with ``full_table=True``), ``p``
    (χ², 1 df), ``p_adj`` (``correction``: Benjamini–Hochberg by default), ``log_ratio``
    (``log2((a/c)/(b/d))``, a zero count replaced by 0.5; Hardie 2014) and ``direction``
    (``target``, ``reference`` or ``none``). Collocates with ``a + b >= min_freq`` are kept; rows
    are sorted by G² (descending), then ``|log_ratio|``, then collocate. ``top`` keeps the ``top``
    strongest of each direction (target first).
    """
    window = _check_int("window", window, 1)
    min_freq = _check_int("min_freq", min_freq, 1)
    if top is not None:
        top = _check_int("top", top, 1)
    stream, docs, settings, analysis = _source(source, docs, settings)
    if docs is None:
        raise StatisticsError("compare_collocates needs the documents' metadata: pass docs= or an Analysis")
    if group not in docs.columns or group in ("id", "text"):
        cols = [c for c in docs.columns if c not in ("id", "title", "url", "text")]
        raise StatisticsError(f"group {group!r} is not a document column (columns: {', '.join(map(str, cols))})")
    t_vals = _side_values(docs, group, target, "target")
    r_vals = _side_values(docs, group, reference, "reference") if reference is not None else None
    if r_vals is not None and set(t_vals) & set(r_vals):
        raise StatisticsError(f"target and reference share {', '.join(sorted(set(t_vals) & set(r_vals)))}; "
                              "a document can be on one side only")
    tname = "+".join(t_vals)
    rname = "+".join(r_vals) if r_vals is not None else f"not {tname}"
    values = docs[group].astype("string")
    side = {}
    for i, v in zip(docs["id"].astype(str), values):
        if pd.isna(v):
            continue
        if v in t_vals:
            side[i] = "target"
        elif r_vals is None or v in r_vals:
            side[i] = "reference"
    nodes = _nodes(node, settings)
    counts = _scan(stream, nodes, window, side.get)
    for key, name in (("target", tname), ("reference", rname)):
        if key not in counts or counts[key].node == 0:
            raise _not_found(nodes, settings, f"the {key} group '{name}'")
    ct, cr = counts["target"], counts["reference"]
    words = sorted(w for w in set(ct.cooc) | set(cr.cooc) if ct.cooc[w] + cr.cooc[w] >= min_freq)
    a = np.array([ct.cooc[w] for w in words], dtype=np.float64)
    b = np.array([cr.cooc[w] for w in words], dtype=np.float64)
    c, d = float(ct.window), float(cr.window)
    g2 = log_likelihood(a, b, c, d, full_table=True)
    p = g2_pvalue(g2)
    sign = np.sign(a * d - b * c)
    with np.errstate(divide="ignore"):
        dice_t = np.where(a > 0, 14.0 + np.log2(2.0 * a / (ct.node + np.array([ct.freq[w] for w in words],
                                                                              dtype=np.float64))), np.nan)
        dice_r = np.where(b > 0, 14.0 + np.log2(2.0 * b / (cr.node + np.array([cr.freq[w] for w in words],
                                                                              dtype=np.float64))), np.nan)
    out = pd.DataFrame({
        "collocate": pd.Series(words, dtype="str"), "freq_target": a.astype(np.int64),
        "freq_reference": b.astype(np.int64), "log_dice_target": dice_t, "log_dice_reference": dice_r,
        "G2": g2, "p": p, "p_adj": adjust_pvalues(p, correction), "log_ratio": log_ratio(a, b, c, d),
        "direction": pd.Series(np.where(sign > 0, "target", np.where(sign < 0, "reference", "none")).tolist(),
                               dtype="str"),
    }, columns=COMPARE_COLUMNS)
    if len(out):
        order = np.lexsort((out["collocate"].to_numpy(dtype=object).astype(str), -out["log_ratio"].abs().to_numpy(),
                            -out["G2"].to_numpy()))
        out = out.iloc[order].reset_index(drop=True)
    if top is not None:
        out = pd.concat([out[out["direction"] == s].head(top) for s in ("target", "reference")], ignore_index=True)
    out.attrs = {
        "node": node if isinstance(node, str) else list(node), "node_normalised": list(nodes), "window": window,
        "group": group, "groups": {"target": tname, "reference": rname}, "min_freq": min_freq,
        "correction": correction, "g2_form": "dunning_full_table", "log_ratio_zero_adjust": 0.5,
        "counts": {k: {"docs": v.docs, "tokens": v.tokens, "node_freq": v.node, "window_tokens": v.window}
                   for k, v in (("target", ct), ("reference", cr))},
    }
    _record_analysis(out, analysis, settings)
    return out


# ---------------------------------------------------------------------------
# multi-word expressions
# ---------------------------------------------------------------------------

# K-grams are coded as one int64: token ids (1-based, < 2**21) in 21-bit fields
_BITS = 21
_MAX_VOCAB = (1 << _BITS) - 1


def _merge(keys: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    uniq, inv = np.unique(keys, return_inverse=True)
    return uniq, np.bincount(inv, weights=counts, minlength=len(uniq)).astype(np.int64)


def _count_kgrams(stream: Any, sizes: tuple[int, ...]):
    """Vocabulary and, per size K, the coded K-grams of the stream (within documents) with counts."""
    vocab: dict[str, int] = {}
    pending: dict[int, list[np.ndarray]] = {k: [] for k in sizes}
    total: dict[int, tuple[np.ndarray, np.ndarray]] = {k: (np.zeros(0, np.int64), np.zeros(0, np.int64))
                                                       for k in sizes}
    for batch in stream.batches():
        for _doc, toks in batch:
            if len(toks) < min(sizes):
                continue
            ids = np.fromiter((vocab.setdefault(t, len(vocab) + 1) for t in toks), dtype=np.int64, count=len(toks))
            for k in sizes:
                m = len(ids) - k + 1
                if m <= 0:
                    continue
                code = np.zeros(m, dtype=np.int64)
                for j in range(k):
                    code = (code << _BITS) | ids[j:j + m]
                pending[k].append(code)
        if len(vocab) > _MAX_VOCAB:
            raise StatisticsError(f"more than {_MAX_VOCAB:,} distinct tokens; select fewer documents")
        for k in sizes:  # reduce once per batch: memory holds the distinct K-grams, not the corpus
            if pending[k]:
                keys = np.concatenate([total[k][0], *pending[k]])
                cnts = np.concatenate([total[k][1], np.ones(len(keys) - len(total[k][0]), np.int64)])
                total[k] = _merge(keys, cnts)
                pending[k] = []
    return vocab, total


def _lambda_z(codes: np.ndarray, counts: np.ndarray, k: int, keep: np.ndarray, smoothing: float):
    """λ and z of the K-grams ``codes[keep]`` against all K-gram positions (Blaheta & Johnson 2001).

    For a candidate ``w_1 … w_K`` every K-gram position falls in one of 2^K cells ``b`` (which slots
    match ``w_j``). ``m_S`` (positions matching on the slots ``S``, any word elsewhere) is a marginal
    of the K-gram counts; the cell counts are ``n_b = Σ_{T ⊇ S(b)} (-1)^{|T|-|S(b)|} m_T``.
    """
    mask = (1 << _BITS) - 1
    slots = [(codes >> (_BITS * (k - 1 - j))) & mask for j in range(k)]  # slot j's token id
    n_total = float(counts.sum())
    cand = np.flatnonzero(keep)
    m: dict[tuple[int, ...], np.ndarray] = {(): np.full(len(cand), n_total)}
    for size in range(1, k + 1):
        for subset in combinations(range(k), size):
            if size == k:
                m[subset] = counts[cand].astype(np.float64)
                continue
            sub = np.zeros(len(codes), dtype=np.int64)
            for j in subset:
                sub = (sub << _BITS) | slots[j]
            uniq, inv = np.unique(sub, return_inverse=True)
            sums = np.bincount(inv, weights=counts, minlength=len(uniq))
            m[subset] = sums[inv[cand]]
    lam = np.zeros(len(cand))
    var = np.zeros(len(cand))
    full = frozenset(range(k))
    for size in range(k + 1):
        for s in combinations(range(k), size):
            s_set = frozenset(s)
            n_b = np.zeros(len(cand))
            rest = sorted(full - s_set)
            for extra in range(len(rest) + 1):
                for add in combinations(rest, extra):
                    n_b += (-1) ** extra * m[tuple(sorted(s_set | set(add)))]
            n_b = np.maximum(n_b, 0.0) + smoothing
            lam += (-1) ** (k - size) * np.log(n_b)
            var += 1.0 / n_b
    return lam, lam / np.sqrt(var)


def multiword_expressions(
    source: Any,
    *,
    size: int | Sequence[int] = 2,
    min_count: int = 5,
    smoothing: float = 0.5,
    top: int | None = None,
) -> pd.DataFrame:
    r"""Adjacent word sequences that behave as units, corpus-wide (quanteda's ``textstat_collocations``).

    ``size`` is 2 (bigrams), 3 (trigrams) or ``(2, 3)``. Every K-gram of adjacent tokens of a
    document (tokens of the analysis' text settings: removed stopwords leave no gap, so a pair can
    straddle one) is a position. For a candidate ``w_1 … w_K`` each position falls into one of the
    2^K cells of a contingency table (which of its K slots hold ``w_j``); with ``n_b`` the cell
    counts plus ``smoothing`` (0.5):

    .. math::

        λ = \sum_b (-1)^{K - |b|} \ln n_b, \qquad SE = \sqrt{\sum_b 1/n_b}, \qquad z = λ / SE

    ``|b|`` the number of matching slots. For bigrams λ is the log odds ratio
    ``ln(n_11 n_00 / (n_10 n_01))`` of the 2x2 table; in general it is the K-way interaction
    parameter of the saturated log-linear model (Blaheta & Johnson 2001), as in quanteda (checked
    against a brute-force count of the 2^K cells). Unlike quanteda, sentences are not detected (the
    token cache keeps none): sequences stop only at document boundaries.

    Reading trigrams: their λ is what the three words share *beyond* their pairs. A fixed name whose
    pairs never occur apart ("قوات سوريا الديمقراطية" where "سوريا الديمقراطية" only occurs inside
    it) has λ near 0 or below, because the two-word associations already explain it; quanteda gives
    the same (quanteda issue #803). Find such names through their bigrams (both pairs with a high
    ``z``) and count them with the trigram's ``count``; a high trigram ``z`` means a sequence that is
    more than its pairs (e.g. "الرئيس محمد مرسي").

    Returns :data:`MWE_COLUMNS` (``collocation`` joined with spaces, ``count``, ``length``,
    ``lambda``, ``z``) for sequences with ``count >= min_count``, sorted by ``z`` (descending),
    then ``count``, then collocation. Memory holds the distinct K-grams as 64-bit codes (numpy),
    not the corpus.
    """
    sizes = (size,) if isinstance(size, (int, np.integer)) and not isinstance(size, bool) else tuple(size)
    if not sizes or any(isinstance(s, bool) or s not in (2, 3) for s in sizes):
        raise StatisticsError(f"size must be 2, 3 or (2, 3), got {size!r}")
    sizes = tuple(sorted(set(int(s) for s in sizes)))
    min_count = _check_int("min_count", min_count, 1)
    if not smoothing >= 0:
        raise StatisticsError(f"smoothing must be >= 0, got {smoothing!r}")
    if top is not None:
        top = _check_int("top", top, 1)
    stream, _docs, settings, analysis = _source(source, None, None)
    vocab, total = _count_kgrams(stream, sizes)
    words = np.empty(len(vocab) + 1, dtype=object)
    for w, i in vocab.items():
        words[i] = w
    parts = []
    mask = (1 << _BITS) - 1
    for k in sizes:
        codes, counts = total[k]
        keep = counts >= min_count
        if not keep.any():
            continue
        lam, z = _lambda_z(codes, counts, k, keep, float(smoothing))
        sel = codes[keep]
        text = words[(sel >> (_BITS * (k - 1))) & mask].astype(str)
        for j in range(1, k):
            text = np.char.add(np.char.add(text, " "), words[(sel >> (_BITS * (k - 1 - j))) & mask].astype(str))
        parts.append(pd.DataFrame({"collocation": pd.Series(text.tolist(), dtype="str"), "count": counts[keep],
                                   "length": k, "lambda": lam, "z": z}, columns=MWE_COLUMNS))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        {"collocation": pd.Series(dtype="str"), "count": pd.Series(dtype="int64"),
         "length": pd.Series(dtype="int64"), "lambda": pd.Series(dtype="float64"), "z": pd.Series(dtype="float64")})
    if len(out):
        order = np.lexsort((out["collocation"].to_numpy(dtype=object).astype(str), -out["count"].to_numpy(),
                            -out["z"].to_numpy()))
        out = out.iloc[order].reset_index(drop=True)
    if top is not None:
        out = out.head(top)
    out.attrs = {"size": list(sizes), "min_count": min_count, "smoothing": float(smoothing),
                 "method": "lambda (Blaheta & Johnson 2001), as quanteda textstat_collocations",
                 "positions": {k: int(total[k][1].sum()) for k in sizes}}
    _record_analysis(out, analysis, settings)
    return out
