"""An offline, interactive term explorer of a keyness comparison: one self-contained ``explorer.html``.

The design follows Scattertext (Kessler, J. S. 2017, "Scattertext: a browser-based tool for
visualizing how corpora differ", *Proceedings of ACL 2017, System Demonstrations*, 85-90): every
term of a comparison is a point, placed by how frequent it is (x: the log10 of its rate per
10,000 tokens over both groups) and by how strongly it leans to one side (y: by default
the weighted log-odds z-score with an informative Dirichlet prior of Monroe, Colaresi & Quinn
2008, "Fightin' words", *Political Analysis* 16(4), 372-403; also log ratio, LRC or log-odds),
coloured by the side it leans to. Clicking a point, or a row of the term table, shows the term's
counts and rates per 10,000 tokens in each group, its rate in every outlet, and concordance lines
(keyword in context) from both groups, so every number leads back to what the outlets printed.

What the page holds, and why it is safe to open:

* **One file, offline**: the data is JSON inside ``<script type="application/json" id="data">``,
  the code one inline script of plain JavaScript (``workbench/data/templates/explorer/``), the
  scatter inline SVG drawn by that script. No library, font, image, stylesheet or request of any
  kind; a Content-Security-Policy ``<meta>`` (``default-src 'none'``) stops the page from loading
  anything even if a bug tried to. It works from ``file://``.
* **Corpus text is data, never markup**: in the JSON, ``<``, ``>``, ``&``, U+2028 and U+2029 are
  written as ``\\u003c`` ... (:func:`script_json`), so no title or token can close the script
  element; the script puts corpus strings into the page only through ``textContent`` and
  ``createTextNode`` (and numbers into ``setAttribute``), never as HTML, and isolates each one
  (``unicode-bidi: isolate``) so bidi controls cannot reorder the page around it. Terms are
  shortened to :data:`~workbench.display.TERM_CHARS` characters and titles to
  :data:`~workbench.display.TITLE_CHARS` (:func:`~workbench.display.shorten`); a megabyte-long
  token costs the page 40 characters. :func:`write_explorer` checks the page it built (exactly its
  own two script elements, nothing fetched) before writing it.
* **Bounded**: at most ``max_terms`` terms (the most key by ``|log_odds_z|``, by G² and the most
  frequent, interleaved), at most ``lines_per_term`` concordance lines per term (half from each
  group when both have them; a seeded sample), each side of a line cut to ``context_chars``
  characters. 1,500 terms of the 31,214-article Egyptian corpus make a page of about 4 MB.
* **Deterministic**: the same analysis, table and options give a byte-identical file (sorted JSON
  keys, rounded numbers, seeded samples, no timestamps).

Columns of the term table are those of the keyness table (:func:`workbench.stats.keyness.keyness`),
with the same names as the command line and the CSV files. A stratified table
(``Analysis.compare(..., stratify=...)``) works too; its y axis is ``log_ratio``.

Concordances are found on the analysis' reading tokens (every word kept,
:meth:`~workbench.analysis.Analysis.reading`), as :func:`workbench.reading.kwic.kwic` finds them,
for all terms in one pass over the documents. A bigram term (``ngrams=2``) is counted over the
tokens left after stop-word removal, but its concordance shows where its two words stand next to
each other in the text: a bigram formed across a removed stop word may have fewer lines than its
count, or none (the page says how many occurrences it found).

Example on the bundled demo corpus::

    from workbench.analysis import Analysis
    from workbench.reports.explorer import write_explorer
    a = Analysis("build/demo-store")
    table = a.compare("camp", "regime", "opposition")
    write_explorer(a, table, "explorer.html")      # group, target and reference from the table
"""
from __future__ import annotations

import html
import json
import math
import os
import re
import tempfile
import zlib
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..display import LABEL_CHARS, TERM_CHARS, TITLE_CHARS, shorten
from ..errors import ArgumentError, WorkbenchError
from ..paths import PACKAGE_DATA

__all__ = ["CSP", "TEMPLATE_DIR", "explorer_data", "explorer_html", "script_json", "write_explorer"]

#: Where the page's skeleton, stylesheet and script live.
TEMPLATE_DIR = PACKAGE_DATA / "templates" / "explorer"
#: The page's Content-Security-Policy: nothing may be loaded; only its own inline script and style run.
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
       "base-uri 'none'; form-action 'none'")
#: Default title of the page.
TITLE = "مستكشف المصطلحات — Term explorer"
#: Measures the vertical axis can show, in the order offered (those in the table).
Y_MEASURES = ("log_odds_z", "log_ratio", "lrc", "log_odds")
#: A term longer than this is kept in the page only shortened (no full form in its tooltip).
FULL_TERM_CHARS = 400

_SIDES = ("target", "reference")
_SURROGATE = re.compile("[\ud800-\udfff]")
_PLACEHOLDER = re.compile(r"\{\{(TITLE|CSP|CSS|DATA|JS)\}\}")
_SCRIPT_TAG = re.compile(r"<\s*/?\s*script\b", re.I)


# --------------------------------------------------------------------------------------------
# checks

def _count_arg(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ArgumentError(f"{name}={value!r}: give a whole number, {minimum} or more")
    return int(value)


def _check_table(analysis, table: pd.DataFrame) -> None:
    if not isinstance(table, pd.DataFrame):
        raise ArgumentError("table: give the keyness table of Analysis.compare(group, target, reference)")
    missing = [c for c in ("term", "n_target", "n_reference", "freq_target", "freq_reference", "direction")
               if c not in table.columns]
    if missing:
        raise ArgumentError(f"table: not a keyness table (no column {', '.join(missing)}); give the table "
                            "of Analysis.compare(group, target, reference)")
    attrs = table.attrs
    checks = (
        ("store_fingerprint", analysis.fingerprint, "another corpus store"),
        ("text_settings_fingerprint", analysis.settings.fingerprint(), "other text settings"),
        ("selection", analysis.selection.to_dict(), "another selection of documents"),
    )
    for key, value, what in checks:
        if key in attrs and attrs[key] != value:
            raise ArgumentError(f"table: it was computed on {what} than this analysis; give the table "
                                "of this analysis' compare()")


def _groups(table: pd.DataFrame, group, target, reference) -> tuple[str, Any, Any]:
    """The groups to show: those given, the rest from what the table records."""
    attrs = table.attrs
    if group is None or group == attrs.get("group"):
        group = attrs.get("group")
        if target is None or target == attrs.get("target"):
            target = attrs.get("target")
            reference = reference if reference is not None else attrs.get("reference")
    if group is None or target is None:
        raise ArgumentError("the table does not record its groups: give group= and target= "
                            "(and reference=, else every other document)")
    return str(group), target, reference


def _name(value, fallback: str) -> str:
    if value is None:
        return fallback
    return str(value) if isinstance(value, str) else "+".join(map(str, value))


# --------------------------------------------------------------------------------------------
# values for JSON

def _number(value) -> float | int | None:
    """A finite number rounded to 6 significant digits (ints stay ints); None for NA and infinities."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(v):
        return None
    if v.is_integer() and abs(v) < 2 ** 53:
        return int(v)
    return float(f"{v:.6g}")


def _cell(value, column: str):
    if column == "term":
        return shorten(value, TERM_CHARS)
    if isinstance(value, str) or column == "direction":
        return shorten(value, LABEL_CHARS)
    return _number(value)


def _date(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return value[:10] if isinstance(value, str) else pd.Timestamp(value).strftime("%Y-%m-%d")


# --------------------------------------------------------------------------------------------
# the data

def _select_terms(table: pd.DataFrame, max_terms: int) -> np.ndarray:
    """Row positions of at most ``max_terms`` terms, in the table's order: the most key by
    ``|log_odds_z|`` (or ``|log_ratio|``), by G² (or χ²_MH), and the most frequent, interleaved
    (a term's place is its best rank on any of the three; ties by term)."""
    n = len(table)
    if n <= max_terms:
        return np.arange(n)
    terms = table["term"].astype(str).to_numpy(dtype=object)
    by_term = np.argsort(terms, kind="stable")
    keys = []
    for choices, absolute in ((("log_odds_z", "log_ratio"), True), (("G2", "chi2_mh"), False)):
        col = next((c for c in choices if c in table.columns), None)
        if col is not None:
            keys.append((table[col].to_numpy(dtype=float), absolute))
    keys.append(((table["n_target"] + table["n_reference"]).to_numpy(dtype=float), False))
    best = np.full(n, n, dtype=np.int64)
    for values, absolute in keys:
        v = np.abs(values) if absolute else values
        v = np.where(np.isfinite(v), v, -np.inf)
        order = by_term[np.argsort(-v[by_term], kind="stable")]
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        best = np.minimum(best, rank)
    chosen = by_term[np.argsort(best[by_term], kind="stable")][:max_terms]
    return np.sort(chosen)


def _outlet_rates(dtm, cols: np.ndarray, side: np.ndarray, registry) -> tuple[list[dict], np.ndarray, np.ndarray]:
    """The (side, outlet) pairs of the compared documents, their tokens and the counts of the
    terms ``cols`` in each: ``(outlets, pair of every document or -1, counts pairs × terms)``."""
    outlets = dtm.docs["outlet"].astype(str).to_numpy(dtype=object)
    used = np.flatnonzero(side >= 0)
    keys = sorted({(int(side[i]), outlets[i]) for i in used})
    code = {k: j for j, k in enumerate(keys)}
    pair = np.full(len(side), -1, dtype=np.int64)
    pair[used] = [code[(int(side[i]), outlets[i])] for i in used]
    ind = sp.csr_array((np.ones(len(used), dtype=np.int64), (pair[used], used)), shape=(len(keys), len(side)))
    X = sp.csr_array(dtm.X)
    tokens = np.asarray(ind @ np.asarray(X.sum(axis=1)).ravel()).ravel()
    docs = np.bincount(pair[used], minlength=len(keys))
    counts = (ind @ X[:, cols]).toarray() if len(cols) else np.zeros((len(keys), 0), dtype=np.int64)
    names = {}
    if registry is not None:
        for o in registry.outlets:
            names[str(o["id"])] = o.get("name_ar") or o.get("name_en") or ""
    out = [{"outlet": shorten(o, LABEL_CHARS), "name": shorten(names.get(o, ""), LABEL_CHARS),
            "side": _SIDES[s], "tokens": int(tokens[j]), "docs": int(docs[j])} for j, (s, o) in enumerate(keys)]
    return out, pair, counts


def _concordances(analysis, terms: Sequence[str], side: np.ndarray, pair: np.ndarray, *, lines_per_term: int,
                  window: int, context_chars: int, seed: int):
    """Concordance lines of every term in one pass: ``(lines, matches, articles)``.

    ``lines[i]`` is a list of ``[article, left, keyword, right]``; ``matches[i]`` is
    ``[occurrences, documents]`` in the compared documents; ``articles`` is the list of
    ``[pair, date, id, title]`` the lines point into (each article once).
    """
    from ..reading.kwic import _contexts, _head, _tail
    from ..reading.patterns import compile_query

    reading = analysis.reading()
    index = reading.token_index()
    chosen_rows, chosen_pos, owner, length = [], [], [], []
    matches = []
    for i, term in enumerate(terms):
        try:
            pattern = compile_query(term, reading.settings)
        except ArgumentError:
            matches.append([0, 0])
            continue
        rows, pos = pattern.find(index)
        keep = side[rows] >= 0
        rows, pos = rows[keep], pos[keep]
        matches.append([int(len(rows)), int(len(np.unique(rows)))])
        if not len(rows) or lines_per_term == 0:
            continue
        rng = np.random.default_rng([int(seed), zlib.crc32(str(term).encode("utf-8", "surrogatepass"))])
        where = [np.flatnonzero(side[rows] == s) for s in (0, 1)]
        want_t = min(len(where[0]), lines_per_term - min(len(where[1]), lines_per_term // 2))
        want_r = min(len(where[1]), lines_per_term - want_t)
        picked = []
        for idx, want in zip(where, (want_t, want_r)):
            if len(idx) > want:
                idx = np.sort(rng.choice(idx, size=want, replace=False))
            picked.append(idx)
        sel = np.concatenate(picked)  # target lines first, each side in corpus order
        chosen_rows.append(rows[sel])
        chosen_pos.append(pos[sel])
        owner.append(np.full(len(sel), i, dtype=np.int64))
        length.append(np.full(len(sel), len(pattern), dtype=np.int64))
    lines: list[list] = [[] for _ in terms]
    if not chosen_rows:
        return lines, matches, []
    rows, pos = np.concatenate(chosen_rows), np.concatenate(chosen_pos)
    owner, length = np.concatenate(owner), np.concatenate(length)
    left, keyword, right = [""] * len(rows), [""] * len(rows), [""] * len(rows)
    for k in np.unique(length).tolist():  # one reading of the documents per phrase length
        at = np.flatnonzero(length == k)
        lt, kw, rt = _contexts(reading, index, rows[at], pos[at], int(k), int(window))
        for j, a, b, c in zip(at.tolist(), lt, kw, rt):
            left[j], keyword[j], right[j] = a, b, c
    docs = reading.docs
    article_rows = np.unique(rows)
    number = {int(r): n for n, r in enumerate(article_rows.tolist())}
    ids = docs["id"].astype(str).to_numpy(dtype=object)
    titles = docs["title"].astype("string").fillna("").to_numpy(dtype=object) if "title" in docs \
        else np.full(len(docs), "", dtype=object)
    dates = docs["date"].to_numpy()
    articles = [[int(pair[r]), _date(dates[r]), shorten(ids[r], LABEL_CHARS), shorten(titles[r], TITLE_CHARS)]
                for r in article_rows.tolist()]
    for j in range(len(rows)):
        lines[int(owner[j])].append([
            number[int(rows[j])], _tail(left[j], context_chars),
            shorten(" ".join(str(keyword[j]).split()), TERM_CHARS), _head(right[j], context_chars),
        ])
    return lines, matches, articles


def explorer_data(analysis, table: pd.DataFrame, *, group: str | None = None,
                  target: str | Sequence[str] | None = None, reference: str | Sequence[str] | None = None,
                  max_terms: int = 1500, lines_per_term: int = 8, window: int = 8, context_chars: int = 60,
                  seed: int = 0, title: str = TITLE, dtm=None) -> dict:
    """Everything the explorer page shows, as a JSON-ready dict (see the module docstring).

    ``analysis`` is the :class:`~workbench.analysis.Analysis` and ``table`` the keyness table of
    its ``compare(group, target, reference)`` (checked: same store, text settings and selection);
    ``group``, ``target`` and ``reference`` default to what the table records. ``dtm`` is the
    matrix the table was computed on when it was not the analysis' own (``compare(dtm=...)``);
    by default the analysis' memoised matrix with the table's n-gram options.

    At most ``max_terms`` terms (the most key by ``|log_odds_z|`` and G², and the most frequent,
    interleaved), each with its counts, rates per outlet and at most ``lines_per_term``
    concordance lines (``window`` words a side, cut to ``context_chars`` characters; half from
    each group when both have them, a sample seeded by ``seed`` and the term). Terms are
    shortened to 40 characters, titles to 120; numbers are rounded to 6 significant digits.
    """
    from ..analysis import group_mask

    max_terms = _count_arg("max_terms", max_terms, 1)
    lines_per_term = _count_arg("lines_per_term", lines_per_term, 0)
    window = _count_arg("window", window, 0)
    context_chars = _count_arg("context_chars", context_chars, 2)
    seed = _count_arg("seed", seed, 0)
    _check_table(analysis, table)
    group, target, reference = _groups(table, group, target, reference)

    attrs = table.attrs
    if dtm is None:
        ngrams = attrs.get("ngrams", [1])
        ngrams = ngrams if isinstance(ngrams, int) else (int(ngrams[0]) if len(ngrams) == 1 else tuple(ngrams))
        dtm = analysis.matrix(ngrams, min_count=attrs.get("min_count", 1), min_df=attrs.get("min_df", 1),
                              max_df=attrs.get("max_df", 1.0))
    if len(dtm.docs) != len(analysis.docs):
        raise ArgumentError("dtm: its documents are not this analysis' documents")
    t = group_mask(dtm.docs, group, target)
    r = group_mask(dtm.docs, group, reference) if reference is not None else ~t
    if (t & r).any():
        raise ArgumentError("target and reference share documents: give groups that do not overlap")
    if "docs" in attrs and attrs["docs"] != {"target": int(t.sum()), "reference": int(r.sum())}:
        raise ArgumentError(f"the groups {group}={_name(target, '?')} / {_name(reference, 'the rest')} are not "
                            "those of the table; give the group, target and reference it was computed for")
    side = np.where(t, 0, np.where(r, 1, -1))

    rows = _select_terms(table, max_terms)
    shown = table.iloc[rows]
    full_terms = shown["term"].astype(str).tolist()
    cols = dtm.vocab.get_indexer(full_terms)
    if (cols < 0).any():
        missing = full_terms[int(np.flatnonzero(cols < 0)[0])]
        raise ArgumentError(f"table: term {shorten(missing, TERM_CHARS)!r} is not in the matrix; give the "
                            "dtm= the table was computed on")
    outlets, pair, counts = _outlet_rates(dtm, cols, side, analysis.store.registry)
    lines, matches, articles = _concordances(
        analysis, full_terms, side, pair, lines_per_term=lines_per_term, window=window,
        context_chars=context_chars, seed=seed)

    columns = [str(c) for c in table.columns]
    tokens = {s: _number(attrs.get("tokens", {}).get(s)) for s in _SIDES}
    if any(v is None for v in tokens.values()):
        tokens = {"target": int(np.asarray(dtm.X[t].sum())), "reference": int(np.asarray(dtm.X[r].sum()))}
    per = _number(attrs.get("per", 10_000))
    total = shown["n_target"].to_numpy(dtype=float) + shown["n_reference"].to_numpy(dtype=float)
    with np.errstate(divide="ignore"):
        x = np.log10(total / max(tokens["target"] + tokens["reference"], 1) * per)
    y_measures = [m for m in Y_MEASURES if m in columns]
    tname = _name(target, str(target))
    rname = _name(reference, f"not {tname}")
    return {
        "title": shorten(title, TITLE_CHARS),
        "groups": {"column": shorten(group, LABEL_CHARS), "target": shorten(tname, LABEL_CHARS),
                   "reference": shorten(rname, LABEL_CHARS)},
        "n_docs": {"target": int(t.sum()), "reference": int(r.sum())},
        "tokens": tokens,
        "per": per,
        "columns": columns,
        "terms": [[_cell(v, c) for v, c in zip(rec, columns)] for rec in shown.itertuples(index=False, name=None)],
        "full": {str(i): term for i, term in enumerate(full_terms) if TERM_CHARS < len(term) <= FULL_TERM_CHARS},
        "x": [_number(v) for v in x],
        "y_measures": y_measures,
        "outlets": outlets,
        "outlet_counts": [[int(v) for v in counts[:, i]] for i in range(counts.shape[1])],
        "lines": lines,
        "matches": matches,
        "articles": articles,
        "settings": {
            "terms_in_table": int(len(table)), "max_terms": max_terms, "lines_per_term": lines_per_term,
            "window": window, "context_chars": context_chars, "seed": seed,
            "measure_sort": shorten(attrs.get("measure_sort", ""), LABEL_CHARS),
            "ngrams": [int(n) for n in np.atleast_1d(dtm.meta.get("ngrams", [1]))],
            "selection": shorten(analysis.selection.describe(), TITLE_CHARS),
        },
    }


# --------------------------------------------------------------------------------------------
# the page

def script_json(data: Any) -> str:
    """``data`` as JSON that can sit inside a ``<script>`` element: sorted keys, compact, UTF-8
    text; ``<``, ``>``, ``&``, U+2028, U+2029 and lone surrogates written as ``\\uXXXX`` escapes
    (still the same JSON), so no string can end the element, open a comment or break a line of
    JavaScript. NaN and infinities are refused (``ValueError``)."""
    s = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    s = s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    s = s.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", s)


def _template(name: str) -> str:
    return (TEMPLATE_DIR / name).read_text(encoding="utf-8")


def explorer_html(data: dict) -> str:
    """The page for :func:`explorer_data`'s ``data``: skeleton, stylesheet, data and script in one string."""
    js, css = _template("explorer.js"), _template("explorer.css")
    if _SCRIPT_TAG.search(js) or "</style" in css.lower():
        raise WorkbenchError("the explorer template would close its own element; please report this "
                             "as a workbench bug")
    title = _SURROGATE.sub("\ufffd", shorten(data.get("title", TITLE), TITLE_CHARS))
    parts = {"TITLE": html.escape(title), "CSP": html.escape(CSP), "CSS": css, "DATA": script_json(data), "JS": js}
    # one substitution pass: a value is never searched for placeholders again
    return _PLACEHOLDER.sub(lambda m: parts[m.group(1)], _template("explorer.html"))


def _check_page(page: str) -> None:
    """Refuse a page with anything but its own two script elements, or fetching anything."""
    from .render import html_is_self_contained

    found = [m.group().lower().replace(" ", "") for m in _SCRIPT_TAG.finditer(page)]
    outside = html_is_self_contained(page)
    if found != ["<script", "</script", "<script", "</script"] or outside:
        what = f"outside URLs {outside[:3]}" if outside else f"{len(found)} script tags"
        raise WorkbenchError(f"explorer.html not written: the page holds {what}; some text was not "
                             "escaped -- please report this as a workbench bug")


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_explorer(analysis, table: pd.DataFrame, path: str | os.PathLike = "explorer.html", *,
                   title: str = TITLE, **kwargs) -> Path:
    """Write the explorer of ``table`` (a keyness table of ``analysis``) to ``path``; return the path.

    A Scattertext-style page (Kessler 2017, ACL system demonstrations): terms placed by frequency
    and by keyness (by default the log-odds z-score of Monroe, Colaresi & Quinn 2008), a search
    box, a sortable and filterable term table, and for a clicked term its rates per outlet and
    its concordance lines. One self-contained HTML file that fetches nothing (see the module
    docstring).

    ``kwargs`` go to :func:`explorer_data` (``group``, ``target``, ``reference``, ``max_terms``,
    ``lines_per_term``, ``window``, ``context_chars``, ``seed``, ``dtm``). The page is checked
    (its own two script elements only, no outside URL) and written atomically (a temporary file
    in the same folder, then renamed), so a reader never sees half a page.
    """
    page = explorer_html(explorer_data(analysis, table, title=title, **kwargs))
    _check_page(page)
    path = Path(path)
    _write_atomic(path, page.encode("utf-8"))
    return path
