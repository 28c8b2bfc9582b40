"""Reading and naming topics: relevance-ranked terms, typical documents, topic names.

:func:`topic_terms` ranks terms by *relevance* (Sievert & Shirley 2014, "LDAvis: A method for
visualizing and interpreting topics", Workshop on Interactive Language Learning, Visualization,
and Interfaces): ``λ·log φ_kw + (1 − λ)·log(φ_kw / p_w)``, with ``p_w`` the term's share of all
tokens; λ = 1 is plain probability, lower λ favours terms specific to the topic (their user study
found λ ≈ 0.6 best). :func:`typical_documents` gives the articles with the highest θ for each
topic, one article per title (several outlets print the same wire story under the same title).
Researchers name topics in a YAML file ``{topic_id: "name"}``
(:func:`write_topic_names_template`, :func:`load_topic_names`, :func:`save_topic_names`); a topic
without a name is called :func:`default_topic_name` (``"الموضوع 3 — Topic 3"``) in tables.

:func:`topic_flags` marks the topics a reader should not interpret: ``"near-empty"`` (almost no
text is assigned to them; LDA with a K too large for the corpus leaves such topics, their "top
words" are noise) and ``"numeral"`` (most of their top words are numbers: scores, prices, dates).
Reports keep them in their tables and leave them out of the figures.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import TopicError
from .model import TopicModel

__all__ = ["relevance", "topic_terms", "typical_documents", "topic_labels", "topic_table", "topic_flags",
           "default_topic_name", "FLAG_NUMERAL", "FLAG_NEAR_EMPTY", "load_topic_names", "save_topic_names",
           "write_topic_names_template"]

#: Values of the ``flag`` column of :func:`topic_flags` / :func:`topic_table` ("" = an ordinary topic).
FLAG_NEAR_EMPTY = "near-empty"
FLAG_NUMERAL = "numeral"


def default_topic_name(topic: int) -> str:
    """The name of a topic nobody has named: ``"الموضوع 3 — Topic 3"`` (Arabic first, as the reports)."""
    return f"الموضوع {int(topic)} — Topic {int(topic)}"


def _check_lam(lam: float) -> float:
    if not 0.0 <= float(lam) <= 1.0:
        raise TopicError(f"lambda (relevance weight) must be between 0 and 1 (got {lam})")
    return float(lam)


def relevance(tm: TopicModel, lam: float = 0.6) -> np.ndarray:
    """Relevance of every term to every topic (K × V; Sievert & Shirley 2014).

    ``λ·log φ_kw + (1 − λ)·log(φ_kw / p_w)`` with ``p_w`` the term's share of the tokens of the
    matrix. Terms that never occur (``p_w = 0``) get −inf.
    """
    lam = _check_lam(lam)
    phi = tm.phi
    tf = tm.term_frequency.astype(np.float64)
    pw = tf / tf.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        logphi = np.log(phi)
        if lam == 1.0:
            return logphi
        lift = logphi - np.log(pw)[None, :]
        out = lam * logphi + (1.0 - lam) * lift
    return np.where(np.isnan(out), -np.inf, out)


def topic_terms(tm: TopicModel, n: int = 10, lam: float = 0.6) -> pd.DataFrame:
    """Top ``n`` terms of each topic by relevance (λ = ``lam``), tidy.

    Columns: ``topic, rank, term, relevance, probability`` (φ_kw), ``lift`` (φ_kw / p_w).
    Ties are broken by term, so the order is deterministic.
    """
    if int(n) != n or n < 1:
        raise TopicError(f"n must be a positive integer (got {n!r})")
    n = min(int(n), len(tm.vocab))
    rel = relevance(tm, lam)
    phi = tm.phi
    tf = tm.term_frequency.astype(np.float64)
    pw = tf / tf.sum()
    terms = tm.vocab.to_numpy().astype(str)
    rows = []
    for t in range(tm.k):
        # partial sort, then a stable ordering (relevance desc, term asc) of the candidates
        cand = np.argpartition(-rel[t], min(n, len(terms) - 1))[: n + 20] if len(terms) > n + 20 else np.arange(len(terms))
        order = cand[np.lexsort((terms[cand], -rel[t][cand]))][:n]
        for r, j in enumerate(order, 1):
            rows.append((t, r, terms[j], rel[t, j], phi[t, j], phi[t, j] / pw[j] if pw[j] > 0 else np.inf))
    df = pd.DataFrame(rows, columns=["topic", "rank", "term", "relevance", "probability", "lift"])
    df.attrs = {"lambda": float(lam), "n": n}
    return df


def _title_keys(titles: pd.Series) -> np.ndarray:
    """Comparison keys of titles: normalised like the corpus (alef, diacritics, tatweel, spaces);
    a missing or blank title gets a key of its own (None), so it never hides another article."""
    from ..text import TextSettings
    from ..text.normalise import normalise

    s = TextSettings()
    keys = np.empty(len(titles), dtype=object)
    for i, v in enumerate(titles):
        key = " ".join(normalise(str(v), s).split()) if isinstance(v, str) else ""
        keys[i] = key or None
    return keys


def typical_documents(tm: TopicModel, n: int = 5, columns: Sequence[str] = ("id", "title", "outlet", "camp", "date"),
                      *, distinct: str | None = "title") -> pd.DataFrame:
    """The ``n`` documents with the highest θ for each topic (ties by position), tidy.

    ``distinct``: a document column whose value may appear once per topic (default ``"title"``:
    several outlets print the same story under the same title; titles are compared after the
    corpus normalisation, and articles without a title are never dropped); the next most typical
    article takes the place of a repeat. ``None`` keeps every document.
    Columns: ``topic, rank, theta`` and the requested document columns that exist.
    """
    if int(n) != n or n < 1:
        raise TopicError(f"n must be a positive integer (got {n!r})")
    cols = [c for c in columns if c in tm.docs.columns]
    keys = _title_keys(tm.docs[distinct]) if distinct is not None and distinct in tm.docs.columns else None
    parts = []
    for t in range(tm.k):
        order = np.lexsort((np.arange(tm.theta.shape[0]), -tm.theta[:, t]))
        if keys is None:
            order = order[: int(n)]
        else:
            seen, chosen = set(), []
            for i in order:
                key = keys[i]
                if key is None or key not in seen:
                    seen.add(key)
                    chosen.append(i)
                    if len(chosen) == int(n):
                        break
            order = np.asarray(chosen, dtype=np.int64)
        part = tm.docs.iloc[order][cols].reset_index(drop=True)
        part.insert(0, "theta", tm.theta[order, t])
        part.insert(0, "rank", np.arange(1, len(order) + 1))
        part.insert(0, "topic", t)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def topic_labels(tm: TopicModel, names: Mapping[int, str] | None = None, *, n_terms: int = 3,
                 lam: float = 0.6, sep: str = "، ", max_chars: int | None = 40) -> dict[int, str]:
    """A short label per topic: its name from ``names`` if given, else ``"<id>: top terms"``.

    For display (figures, captions): each term is shortened to ``max_chars`` characters and a name
    to 60 (:func:`workbench.display.shorten`; ``max_chars=None``: both kept whole), so one
    megabyte-long token cannot make a label megabytes long.
    """
    from ..display import LABEL_CHARS, shorten

    names = dict(names or {})
    top = topic_terms(tm, n_terms, lam)
    out = {}
    for t, g in top.groupby("topic", sort=True):
        name, terms = names.get(int(t)), list(g["term"])
        if max_chars:
            name = shorten(name, LABEL_CHARS) if name else name
            terms = [shorten(term, max_chars) for term in terms]
        out[int(t)] = name or f"{int(t)}: " + sep.join(terms)
    return out


def _is_numeral(term: str) -> bool:
    """A token made of digits (any script) and number punctuation only: 25, 2013, ٣٠, 10,5."""
    term = str(term)
    return any(c.isdecimal() for c in term) and all(c.isdecimal() or c in ".,،٫٬/%-" for c in term)


def topic_flags(tm: TopicModel, *, n_terms: int = 10, lam: float = 0.6, min_prevalence: float = 0.005,
                numeral_share: float = 0.5) -> pd.Series:
    """Which topics not to interpret, and why: one value per topic (index ``topic``, name ``flag``).

    * ``"near-empty"`` (:data:`FLAG_NEAR_EMPTY`): the topic holds less than ``min_prevalence`` of
      the corpus' tokens (default 0.5 %: on 300 articles, one or two articles' worth). Variational
      LDA leaves such topics when K is too large for the corpus; their word distribution stays
      close to its flat random start, so their "top words" are rare words of one or two articles
      (often numbers) and mean nothing.
    * ``"numeral"`` (:data:`FLAG_NUMERAL`): at least ``numeral_share`` of its top ``n_terms`` words
      by relevance (λ = ``lam``, the words of :func:`topic_table`) are numbers (digits of any
      script, with ``. , / % -``): the model grouped articles by the figures they print.
    * ``""``: an ordinary topic.

    Near-empty wins when both apply. ``attrs`` record the thresholds.
    """
    if not 0.0 <= float(min_prevalence) < 1.0:
        raise TopicError(f"min_prevalence must be in [0, 1) (got {min_prevalence})")
    if not 0.0 < float(numeral_share) <= 1.0:
        raise TopicError(f"numeral_share must be in (0, 1] (got {numeral_share})")
    top = topic_terms(tm, n_terms, lam)
    numerals = top.assign(num=top["term"].map(_is_numeral)).groupby("topic", sort=True)["num"].mean()
    prev = tm.prevalence().to_numpy()
    flags = []
    for t in range(tm.k):
        if prev[t] < float(min_prevalence):
            flags.append(FLAG_NEAR_EMPTY)
        elif numerals.get(t, 0.0) >= float(numeral_share):
            flags.append(FLAG_NUMERAL)
        else:
            flags.append("")
    out = pd.Series(flags, index=pd.RangeIndex(tm.k, name="topic"), name="flag", dtype=object)
    out.attrs = {"min_prevalence": float(min_prevalence), "numeral_share": float(numeral_share),
                 "n_terms": int(n_terms), "lambda": float(lam)}
    return out


def topic_table(tm: TopicModel, n_terms: int = 10, lam: float = 0.6, *,
                names: Mapping[int, str] | None = None, n_titles: int = 3,
                sep: str = "، ", min_prevalence: float = 0.005) -> pd.DataFrame:
    """One row per topic: ``topic, name`` (from ``names``, else :func:`default_topic_name`; never
    blank), ``flag`` (:func:`topic_flags`: ``"near-empty"``, ``"numeral"`` or ``""``),
    ``prevalence`` (share of tokens), ``terms`` (top ``n_terms`` by relevance, joined with ``sep``)
    and ``titles`` (the ``n_titles`` most typical articles with distinct titles, joined with
    " | "). Sorted by topic id."""
    names = {int(t): str(v).strip() for t, v in (names or {}).items() if v is not None and str(v).strip()}
    top = topic_terms(tm, n_terms, lam)
    terms = top.groupby("topic", sort=True)["term"].agg(sep.join)
    prev = tm.prevalence()
    flags = topic_flags(tm, n_terms=n_terms, lam=lam, min_prevalence=min_prevalence)
    rows = {"topic": list(range(tm.k)), "name": [names.get(t) or default_topic_name(t) for t in range(tm.k)],
            "flag": flags.to_numpy(), "prevalence": prev.to_numpy(), "terms": [terms.get(t, "") for t in range(tm.k)]}
    if n_titles and "title" in tm.docs.columns:
        typ = typical_documents(tm, n_titles, columns=("title",))
        titles = typ.groupby("topic", sort=True)["title"].agg(lambda s: " | ".join(map(str, s)))
        rows["titles"] = [titles.get(t, "") for t in range(tm.k)]
    df = pd.DataFrame(rows)
    df.attrs = {"lambda": float(lam), "n_terms": int(n_terms), **{f"flag_{k}": v for k, v in flags.attrs.items()
                                                                    if k in ("min_prevalence", "numeral_share")}}
    return df


def load_topic_names(path: str | os.PathLike) -> dict[int, str]:
    """Read ``{topic_id: "name"}`` from a YAML file; empty names are skipped; a missing file gives {}."""
    import yaml

    path = Path(path)
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise TopicError(f"{path}: not valid YAML ({exc}); the file should map topic ids to names, "
                         'e.g. 3: "الانتخابات المحلية"') from None
    if not isinstance(data, dict):
        raise TopicError(f"{path}: expected a mapping of topic ids to names, e.g. 3: \"elections\"")
    out = {}
    for key, val in data.items():
        try:
            t = int(key)
        except (TypeError, ValueError):
            raise TopicError(f"{path}: topic id {key!r} is not an integer") from None
        if val is not None and str(val).strip():
            out[t] = str(val).strip()
    return out


def save_topic_names(names: Mapping[int, str], path: str | os.PathLike) -> Path:
    """Write ``{topic_id: "name"}`` as YAML (UTF-8, sorted by id)."""
    import yaml

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {int(k): str(v) for k, v in sorted(names.items(), key=lambda kv: int(kv[0]))}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def write_topic_names_template(tm: TopicModel, path: str | os.PathLike, *, n_terms: int = 8,
                               lam: float = 0.6, n_titles: int = 2, overwrite: bool = False) -> Path:
    """Write a YAML file with one empty name per topic, its top terms and typical titles as comments.

    Existing names in ``path`` are kept (so re-running after a refit does not lose work) unless
    ``overwrite``. Edit the file, then pass ``load_topic_names(path)`` to the tables and figures.
    """
    path = Path(path)
    old = {} if overwrite else load_topic_names(path)
    table = topic_table(tm, n_terms, lam, n_titles=n_titles)
    lines = [
        "# Topic names: fill in a short name after each topic id (keep the ids).",
        f"# Model: k={tm.k}, seed={tm.params.get('seed')}, cache key {tm.params.get('cache_key')}; "
        f"terms by relevance (lambda={lam}).",
        "# The ids only mean something for this model: refitting with other data or settings changes them.",
        "",
    ]
    for _, row in table.iterrows():
        t = int(row["topic"])
        lines.append(f"# {t}: {row['terms']}")
        for title in str(row.get("titles", "")).split(" | ")[:n_titles]:
            if title:
                lines.append(f"#    {title}")
        name = old.get(t, "")
        lines.append(f"{t}: {json.dumps(name, ensure_ascii=False)}")
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
