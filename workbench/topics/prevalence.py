"""Comparing groups of documents by their topics: prevalence with bootstrap intervals, over time,
and keyness of words within a topic.

The quantity compared is the **document-topic proportion θ_dk** of a fitted model (Blei, Ng &
Jordan 2003): the share of article d's words the model attributes to topic k. The *prevalence* of
topic k in a group (a camp, an outlet) is the mean of θ_dk over the group's articles — each article
counts once, whatever its length.

Intervals are percentile bootstrap intervals (Efron & Tibshirani 1993, *An Introduction to the
Bootstrap*, ch. 13): articles are resampled with replacement within each group ``n_boot`` times
(seeded, vectorised with numpy), the group mean of θ is recomputed each time, and the 2.5 % and
97.5 % quantiles of those means form the 95 % interval. For the difference between two groups each
group is resampled independently and the interval is taken over the replicate differences.

How this relates to stm. The Structural Topic Model (Roberts et al. 2014, "Structural Topic Models
for Open-Ended Survey Responses", AJPS 58(4); Roberts, Stewart & Tingley 2019, "stm: An R Package
for Structural Topic Models", JSS 91(2)) lets covariates such as the camp *enter the model* as a
prior on θ, and its ``estimateEffect`` regresses θ on the covariates, propagating the uncertainty
of θ by sampling from its approximate posterior ("method of composition"). Here LDA is fitted
without covariates and we bootstrap the group means of the point estimates of θ: the interval
reflects which articles happen to be in the corpus (sampling variability), not the uncertainty of θ
within each article, so it is somewhat narrower than stm's; and with no regression there is no
adjustment for other covariates (compare within one period or outlet set if that matters). For two
groups with no other covariate, the regression coefficient of a group dummy is exactly this
difference in means.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import TopicError
from .model import TopicModel

__all__ = ["bootstrap_means", "topic_prevalence", "prevalence_difference", "prevalence_over_time",
           "topic_keyness", "dominant_topic", "period_starts"]


def _theta_docs(theta, docs) -> tuple[np.ndarray, pd.DataFrame]:
    if isinstance(theta, TopicModel):
        docs = theta.docs if docs is None else docs
        theta = theta.theta
    elif isinstance(theta, pd.DataFrame):
        theta = theta.to_numpy(dtype=np.float64)
    theta = np.asarray(theta, dtype=np.float64)
    if theta.ndim != 2:
        raise TopicError(f"theta must be a documents × topics array (got {theta.ndim} dimension(s))")
    if docs is None:
        raise TopicError("docs (the documents' metadata, e.g. TopicModel.docs) is needed to form groups")
    if len(docs) != theta.shape[0]:
        raise TopicError(f"theta has {theta.shape[0]} documents but docs has {len(docs)} rows")
    return theta, docs.reset_index(drop=True)


def _group_codes(docs: pd.DataFrame, by: str | None, groups: Sequence[str] | None = None,
                 *, error: type[Exception] = TopicError) -> tuple[np.ndarray, list[str]]:
    """Integer group code per document (-1 = not in any requested group) and the group names
    (``error`` is the exception class raised for an unknown column or value)."""
    if by is None:
        return np.zeros(len(docs), dtype=np.int64), ["all"]
    if by not in docs.columns:
        raise error(f"cannot group by '{by}': not a document column (columns: {', '.join(map(str, docs.columns))})")
    col = docs[by].astype("string")
    present = sorted(col.dropna().unique())
    if groups is None:
        names = present
    else:
        names = [groups] if isinstance(groups, str) else list(groups)
        for g in names:
            if g not in present:
                raise error(f"group '{g}' not in column {by} (values: {', '.join(present)})")
    if not names:
        raise error(f"column {by} has no values to group by")
    lookup = {g: i for i, g in enumerate(names)}
    codes = col.map(lambda v: lookup.get(v, -1) if v is not pd.NA else -1).to_numpy(dtype=np.int64, na_value=-1)
    return codes, names


def _check_boot(n_boot: int, level: float) -> None:
    if isinstance(n_boot, bool) or int(n_boot) != n_boot or n_boot < 0:
        raise TopicError(f"n_boot must be a non-negative integer (got {n_boot!r})")
    if not 0.0 < float(level) < 1.0:
        raise TopicError(f"level must be between 0 and 1, e.g. 0.95 (got {level})")


def bootstrap_means(x: np.ndarray, n_boot: int = 1000, rng: np.random.Generator | int | None = 0,
                    *, block: int = 64) -> np.ndarray:
    """Means of ``n_boot`` bootstrap resamples of the rows of ``x`` (n × K) → (n_boot × K).

    Vectorised: for a block of resamples, draw n row indices each, count them per row
    (``np.bincount`` on offset indices) and multiply the count matrix by ``x``; memory is
    ``block × n`` counts, not ``n_boot × n × K`` (Efron & Tibshirani 1993).
    """
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    if n == 0:
        return np.full((n_boot, x.shape[1]), np.nan)
    out = np.empty((n_boot, x.shape[1]))
    for b0 in range(0, n_boot, block):
        b = min(block, n_boot - b0)
        idx = rng.integers(0, n, size=(b, n))
        counts = np.bincount((idx + (np.arange(b) * n)[:, None]).ravel(), minlength=b * n).reshape(b, n)
        out[b0:b0 + b] = counts @ x / n
    return out


def topic_prevalence(
    theta,
    docs: pd.DataFrame | None = None,
    by: str | None = "camp",
    *,
    groups: Sequence[str] | None = None,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 42,
) -> pd.DataFrame:
    """Mean topic proportion per group of documents, with percentile bootstrap intervals.

    ``theta``: documents × topics (array, DataFrame, or a :class:`TopicModel`, whose ``docs`` are
    then used); ``docs``: their metadata; ``by``: the grouping column (``"camp"``, ``"outlet"``,
    ...; None = all documents); ``groups``: only these values. Each group is resampled ``n_boot``
    times (seeded by ``seed``); ``n_boot=0`` gives no interval.

    Returns tidy rows ``topic, group, n_docs, prevalence, lower, upper``, groups in the order of
    ``groups`` (else sorted) within each topic (``attrs``: by, level, n_boot, seed).
    """
    theta, docs = _theta_docs(theta, docs)
    _check_boot(n_boot, level)
    codes, names = _group_codes(docs, by, groups)
    rng = np.random.default_rng(int(seed))
    K = theta.shape[1]
    a = (1.0 - float(level)) / 2.0
    parts = []
    for g, name in enumerate(names):
        x = theta[codes == g]
        mean = x.mean(axis=0) if len(x) else np.full(K, np.nan)
        if n_boot and len(x):
            bm = bootstrap_means(x, n_boot, rng)
            lo, hi = np.quantile(bm, [a, 1.0 - a], axis=0)
        else:
            lo = hi = np.full(K, np.nan)
        parts.append(pd.DataFrame({"topic": np.arange(K), "group": name, "n_docs": len(x),
                                   "prevalence": mean, "lower": lo, "upper": hi, "_g": g}))
    # groups in the order asked for (or sorted), within each topic
    df = (pd.concat(parts, ignore_index=True).sort_values(["topic", "_g"], kind="stable")
          .drop(columns="_g").reset_index(drop=True))
    df.attrs = {"by": by, "level": float(level), "n_boot": int(n_boot), "seed": int(seed),
                "method": "percentile bootstrap over articles of the group mean of theta"}
    return df


def prevalence_difference(
    theta,
    docs: pd.DataFrame | None = None,
    by: str = "camp",
    target: str = "regime",
    reference: str | None = None,
    *,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 42,
) -> pd.DataFrame:
    """Difference in mean topic proportion between two groups (target − reference), with intervals.

    ``reference=None`` means every document not in ``target``. Each group is resampled
    independently ``n_boot`` times (seeded); the interval is the percentile interval of the
    replicate differences (Efron & Tibshirani 1993). The question is the one stm's
    ``estimateEffect`` answers for a binary covariate (Roberts et al. 2014), see the module notes.

    Returns one row per topic: ``topic, target, reference, n_target, n_reference,
    prevalence_target, prevalence_reference, difference, lower, upper, excludes_zero``.
    """
    theta, docs = _theta_docs(theta, docs)
    _check_boot(n_boot, level)
    if n_boot < 1:
        raise TopicError("prevalence_difference needs n_boot ≥ 1 resamples for its interval")
    t_codes, _ = _group_codes(docs, by, [target])
    t_mask = t_codes == 0
    if reference is None:
        r_mask = ~t_mask
        rname = f"not {target}"
    else:
        if reference == target:
            raise TopicError(f"target and reference are the same group ('{target}')")
        r_codes, _ = _group_codes(docs, by, [reference])
        r_mask = r_codes == 0
        rname = reference
    if not r_mask.any():
        raise TopicError(f"the reference group ({rname}) has no documents")
    rng = np.random.default_rng(int(seed))
    xt, xr = theta[t_mask], theta[r_mask]
    bt = bootstrap_means(xt, n_boot, rng)
    br = bootstrap_means(xr, n_boot, rng)
    diff = bt - br
    a = (1.0 - float(level)) / 2.0
    lo, hi = np.quantile(diff, [a, 1.0 - a], axis=0)
    mt, mr = xt.mean(axis=0), xr.mean(axis=0)
    K = theta.shape[1]
    df = pd.DataFrame({
        "topic": np.arange(K), "target": str(target), "reference": rname,
        "n_target": int(t_mask.sum()), "n_reference": int(r_mask.sum()),
        "prevalence_target": mt, "prevalence_reference": mr, "difference": mt - mr,
        "lower": lo, "upper": hi, "excludes_zero": (lo > 0) | (hi < 0),
    })
    df.attrs = {"by": by, "target": str(target), "reference": rname, "level": float(level),
                "n_boot": int(n_boot), "seed": int(seed)}
    return df


_FREQS = {"month": "M", "week": "W-SUN", "day": "D", "quarter": "Q", "year": "Y"}


def period_starts(dates: pd.Series, freq: str) -> pd.Series:
    """The first day of the period (``freq``: one of :data:`_FREQS`) each date falls in.

    Weeks run Monday to Sunday; a timezone is dropped first (the local calendar day counts).
    """
    dates = pd.to_datetime(dates)
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    return dates.dt.to_period(_FREQS[freq]).dt.start_time


def prevalence_over_time(
    theta,
    docs: pd.DataFrame | None = None,
    by: str | None = "camp",
    *,
    freq: str = "month",
    date_column: str = "date",
    groups: Sequence[str] | None = None,
    n_boot: int = 0,
    level: float = 0.95,
    seed: int = 42,
) -> pd.DataFrame:
    """Mean topic proportion per period (``freq``: day, week, month, quarter, year) and group, tidy.

    Weeks run Monday to Sunday. Returns ``topic, period`` (the period's first day, a Timestamp),
    ``group, n_docs, prevalence`` and, with ``n_boot > 0``, bootstrap ``lower, upper`` per cell.
    Periods without documents of a group are absent (not zero).
    """
    theta, docs = _theta_docs(theta, docs)
    _check_boot(n_boot, level)
    if freq not in _FREQS:
        raise TopicError(f"freq must be one of {', '.join(_FREQS)} (got {freq!r})")
    if date_column not in docs.columns:
        raise TopicError(f"no date column '{date_column}' in docs (columns: {', '.join(map(str, docs.columns))})")
    dates = pd.to_datetime(docs[date_column])
    if dates.isna().all():
        raise TopicError(f"column '{date_column}' has no dates")
    periods = period_starts(dates, freq)
    codes, names = _group_codes(docs, by, groups)
    K = theta.shape[1]
    rng = np.random.default_rng(int(seed))
    a = (1.0 - float(level)) / 2.0
    keys = pd.DataFrame({"period": periods, "g": codes})
    keep = (keys["g"] >= 0) & keys["period"].notna()
    parts = []
    for (period, g), idx in keys[keep].groupby(["period", "g"], sort=True).groups.items():
        x = theta[np.asarray(idx)]
        row = {"topic": np.arange(K), "period": period, "group": names[int(g)], "_g": int(g),
               "n_docs": len(x), "prevalence": x.mean(axis=0)}
        if n_boot:
            lo, hi = np.quantile(bootstrap_means(x, n_boot, rng), [a, 1.0 - a], axis=0)
            row.update({"lower": lo, "upper": hi})
        parts.append(pd.DataFrame(row))
    cols = ["topic", "period", "group", "n_docs", "prevalence"] + (["lower", "upper"] if n_boot else [])
    df = (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols + ["_g"]))
    df = df.sort_values(["topic", "_g", "period"], kind="stable").reset_index(drop=True)[cols]
    df.attrs = {"by": by, "freq": freq, "n_boot": int(n_boot), "level": float(level), "seed": int(seed)}
    return df


def dominant_topic(theta) -> np.ndarray:
    """The topic with the largest θ in each document (ties: the lowest topic id)."""
    theta = theta.theta if isinstance(theta, TopicModel) else np.asarray(theta)
    return np.argmax(theta, axis=1)


def topic_keyness(
    dtm,
    theta,
    topic: int,
    by: str = "camp",
    target: str = "regime",
    reference: str | None = None,
    *,
    weighting: str = "theta",
    min_theta: float = 0.0,
    min_count: int = 5,
    **keyness_kwargs,
) -> pd.DataFrame:
    """Keyness of words *within one topic* between two groups (e.g. how each camp writes about it).

    ``weighting="theta"`` (default): every document's counts are multiplied by its θ for the topic
    (documents below ``min_theta`` are dropped), i.e. the expected number of each word's tokens
    written in articles "about" the topic, using every article in proportion to how much it is
    about it. The framing words a camp uses in such articles are kept, even if the model put them
    in another (camp-wide) topic — this is what "how does each camp talk about this topic" needs.
    Counts become fractional; G² and the other measures are defined for them.
    ``weighting="dominant"``: only documents whose dominant topic (largest θ) is ``topic``, with
    their plain counts — easier to explain, but discards mixed articles.

    Then :func:`workbench.stats.keyness.keyness` compares ``target`` with ``reference`` (values of
    column ``by``; None = all other documents); ``keyness_kwargs`` are passed on. The table's attrs
    record the topic, weighting and the documents' effective size.
    """
    from ..stats.keyness import keyness

    theta_arr, docs = _theta_docs(theta, dtm.docs)
    K = theta_arr.shape[1]
    if isinstance(topic, bool) or int(topic) != topic or not 0 <= topic < K:
        raise TopicError(f"topic must be a topic id between 0 and {K - 1} (got {topic!r})")
    topic = int(topic)
    if weighting not in ("theta", "dominant"):
        raise TopicError(f"weighting must be 'theta' or 'dominant' (got {weighting!r})")
    if dtm.n_docs != theta_arr.shape[0]:
        raise TopicError(f"the matrix has {dtm.n_docs} documents but theta has {theta_arr.shape[0]}")
    t_codes, _ = _group_codes(docs, by, [target])
    t_mask = t_codes == 0
    if reference is None:
        r_mask, rname = ~t_mask, f"not {target}"
    else:
        r_codes, _ = _group_codes(docs, by, [reference])
        r_mask, rname = r_codes == 0, reference
    w = theta_arr[:, topic]
    if weighting == "theta":
        used = w >= float(min_theta)
        X = sp.diags(np.where(used, w, 0.0)) @ dtm.X.astype(np.float64)
    else:
        used = dominant_topic(theta_arr) == topic
        X = dtm.X
    t_mask, r_mask = t_mask & used, r_mask & used
    for name, m in ((target, t_mask), (rname, r_mask)):
        if not m.any():
            raise TopicError(f"group '{name}' has no documents {'dominated by' if weighting == 'dominant' else 'weighted on'} "
                             f"topic {topic}; try weighting='theta' or another topic")
    outlets = dtm.docs["outlet"].astype(str).to_numpy() if "outlet" in dtm.docs.columns else None
    table = keyness(X.tocsr(), dtm.vocab, t_mask, r_mask, outlets=outlets, target_name=str(target),
                    reference_name=rname, min_count=min_count, **keyness_kwargs)
    table.attrs.update({
        "topic": topic, "weighting": weighting, "min_theta": float(min_theta), "by": by,
        "effective_docs": {"target": float(w[t_mask].sum()) if weighting == "theta" else int(t_mask.sum()),
                           "reference": float(w[r_mask].sum()) if weighting == "theta" else int(r_mask.sum())},
    })
    return table
