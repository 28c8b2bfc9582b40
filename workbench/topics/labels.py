"""Reading and naming topics: relevance-ranked terms, typical documents, topic names.

:func:`topic_terms` ranks terms by *relevance* (Sievert & Shirley 2014, "LDAvis: A method for
visualizing and interpreting topics", Workshop on Interactive Language Learning, Visualization,
and Interfaces): ``λ·log φ_kw + (1 − λ)·log(φ_kw / p_w)``, with ``p_w`` the term's share of all
tokens; λ = 1 is plain probability, lower λ favours terms specific to the topic (their user study
found λ ≈ 0.6 best). :func:`typical_documents` gives the articles with the highest θ for each
topic. Researchers name topics in a YAML file ``{topic_id: "name"}``
(:func:`write_topic_names_template`, :func:`load_topic_names`, :func:`save_topic_names`).
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

__all__ = ["relevance", "topic_terms", "typical_documents", "topic_labels", "topic_table",
           "load_topic_names", "save_topic_names", "write_topic_names_template"]


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


def typical_documents(tm: TopicModel, n: int = 5, columns: Sequence[str] = ("id", "title", "outlet", "camp", "date")
                      ) -> pd.DataFrame:
    """The ``n`` documents with the highest θ for each topic (ties by position), tidy.

    Columns: ``topic, rank, theta`` and the requested document columns that exist.
    """
    if int(n) != n or n < 1:
        raise TopicError(f"n must be a positive integer (got {n!r})")
    cols = [c for c in columns if c in tm.docs.columns]
    parts = []
    for t in range(tm.k):
        order = np.lexsort((np.arange(tm.theta.shape[0]), -tm.theta[:, t]))[: int(n)]
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


def topic_table(tm: TopicModel, n_terms: int = 10, lam: float = 0.6, *,
                names: Mapping[int, str] | None = None, n_titles: int = 3,
                sep: str = "، ") -> pd.DataFrame:
    """One row per topic: ``topic, name, prevalence`` (share of tokens), ``terms`` (top ``n_terms``
    by relevance, joined with ``sep``) and ``titles`` (the ``n_titles`` most typical articles'
    titles, joined with " | "). Sorted by topic id."""
    names = dict(names or {})
    top = topic_terms(tm, n_terms, lam)
    terms = top.groupby("topic", sort=True)["term"].agg(sep.join)
    prev = tm.prevalence()
    rows = {"topic": list(range(tm.k)), "name": [names.get(t, "") for t in range(tm.k)],
            "prevalence": prev.to_numpy(), "terms": [terms.get(t, "") for t in range(tm.k)]}
    if n_titles and "title" in tm.docs.columns:
        typ = typical_documents(tm, n_titles, columns=("title",))
        titles = typ.groupby("topic", sort=True)["title"].agg(lambda s: " | ".join(map(str, s)))
        rows["titles"] = [titles.get(t, "") for t in range(tm.k)]
    df = pd.DataFrame(rows)
    df.attrs = {"lambda": float(lam), "n_terms": int(n_terms)}
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
