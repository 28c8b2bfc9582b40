r"""Counts in groups of documents: rates with intervals, and whether label choice differs between groups.

Pure functions on in-memory arrays (no file I/O), used by the lexicon counts and naming tables of
:mod:`workbench.reading.lexicons`:

* :func:`poisson_rate_interval` -- exact (Garwood 1936) interval of a rate ``count / exposure``,
  treating every token as an independent chance of a match;
* :func:`bootstrap_rate_interval` -- percentile interval of the same rate from resampling whole
  *documents* (Efron & Tibshirani 1993). Words cluster in documents (an article on a massacre says
  «قوات النظام» ten times), so the Poisson interval is too narrow for corpus frequencies;
  resampling documents respects that (Lijffijt et al. 2016). This is the default of
  :func:`~workbench.reading.lexicons.lexicon_rates`;
* :func:`independence_test` -- Pearson's χ² test of independence on a label × group table with
  Cramér's V as its effect size (and a Monte Carlo p-value for sparse tables), and :func:`adjusted_residuals`, the per-cell standardised
  residuals that say which label is over-used by which group (Haberman 1973). For two groups the
  adjusted residual of a label is the pooled two-proportion z statistic of its share in one group
  against the other (Agresti 2013, §2.4.5).

References
----------
* Garwood, F. (1936). Fiducial limits for the Poisson distribution. *Biometrika* 28(3/4), 437-442.
* Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall,
  ch. 13 (percentile intervals).
* Lijffijt, J., Nevalainen, T., Säily, T., Papapetrou, P., Puolamäki, K. & Mannila, H. (2016).
  Significance testing of word frequencies in corpora. *Digital Scholarship in the Humanities*
  31(2), 374-397.
* Pearson, K. (1900). On the criterion that a given system of deviations from the probable ...
  *Philosophical Magazine* 50(302), 157-175.
* Cramér, H. (1946). *Mathematical Methods of Statistics*. Princeton University Press, p. 282.
* Haberman, S. J. (1973). The analysis of residuals in cross-classified tables. *Biometrics*
  29(1), 205-220.
* Hope, A. C. A. (1968). A simplified Monte Carlo significance test procedure. *Journal of the
  Royal Statistical Society B* 30(3), 582-598.
* Patefield, W. M. (1981). Algorithm AS 159: an efficient method of generating random r × c tables
  with given row and column totals. *Applied Statistics* 30(1), 91-97.
* Cochran, W. G. (1954). Some methods for strengthening the common χ² tests. *Biometrics* 10(4),
  417-451 (expected counts below 5 in more than 20% of the cells make the χ² approximation poor).
* Agresti, A. (2013). *Categorical Data Analysis*, 3rd ed. Wiley.
"""
from __future__ import annotations

import numpy as np
from scipy import special

from ..errors import StatisticsError

__all__ = ["PER", "poisson_rate_interval", "bootstrap_rate_interval", "independence_test", "adjusted_residuals",
           "normal_pvalue"]

PER = 10_000  # rates are per 10,000 tokens, like the frequencies of the keyness table


def _level(level: float) -> float:
    if not 0 < level < 1:
        raise StatisticsError(f"level must be between 0 and 1 (e.g. 0.95), got {level!r}")
    return float(level)


def poisson_rate_interval(count, exposure, level: float = 0.95, per: float = PER) -> tuple[np.ndarray, np.ndarray]:
    r"""Exact two-sided interval for the rate ``count / exposure * per`` (Garwood 1936).

    ``lower = χ²_{α/2}(2k) / 2``, ``upper = χ²_{1-α/2}(2k + 2) / 2`` (``lower = 0`` when ``k = 0``),
    divided by ``exposure`` (tokens). Assumes every token is an independent trial, which
    understates the spread of word counts over documents; see :func:`bootstrap_rate_interval`.
    """
    alpha = 1.0 - _level(level)
    k = np.asarray(count, dtype=np.float64)
    n = np.asarray(exposure, dtype=np.float64)
    if np.any(n <= 0):
        raise StatisticsError("exposure (tokens) must be positive for every group")
    # chi2.ppf(q, df) = chdtri(df, 1 - q): scipy.special, not the heavy scipy.stats import
    lower = np.where(k > 0, special.chdtri(2 * np.maximum(k, 1), 1 - alpha / 2) / 2, 0.0)
    upper = special.chdtri(2 * k + 2, alpha / 2) / 2
    return lower / n * per, upper / n * per


def bootstrap_rate_interval(counts, tokens, level: float = 0.95, *, n_boot: int = 1000, seed: int = 0,
                            per: float = PER, rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Percentile bootstrap interval of ``sum(counts) / sum(tokens) * per`` over documents.

    ``counts`` is a documents × categories array (or one vector), ``tokens`` the documents'
    lengths. Each of ``n_boot`` resamples draws as many documents as there are, with replacement,
    and recomputes the ratio of sums; the interval is the ``α/2`` and ``1-α/2`` quantiles of the
    resampled rates (Efron & Tibshirani 1993, ch. 13; document resampling as recommended for
    corpus frequencies by Lijffijt et al. 2016). Seeded (``seed`` or a given ``rng``), so the same
    input gives the same interval. A single document gives a zero-width interval; a category with
    no match gives ``[0, 0]`` (use :func:`poisson_rate_interval` for an upper bound then).

    A resample that drew only empty documents (no token) has no rate and is left out of the
    quantiles, not counted as a rate of 0, which would pull the lower bound down. ``n_boot`` is any
    positive number of resamples: a quick look may take 50, a reported interval wants 1,000 or more
    (Efron & Tibshirani 1993). This is the interval of :func:`lexicon_rates
    <workbench.reading.lexicons.lexicon_rates>` and, per period and group, of :func:`term_trends
    <workbench.reading.trends.term_trends>`.
    """
    alpha = 1.0 - _level(level)
    if isinstance(n_boot, bool) or int(n_boot) != n_boot or n_boot < 1:
        raise StatisticsError(f"n_boot must be a positive number of resamples, e.g. 1000 (got {n_boot!r})")
    n_boot = int(n_boot)
    c = np.asarray(counts, dtype=np.float64)
    vector = c.ndim == 1
    c = c.reshape(len(c), -1)
    t = np.asarray(tokens, dtype=np.float64)
    if len(t) != len(c):
        raise StatisticsError(f"counts has {len(c)} documents but tokens has {len(t)}")
    if len(t) == 0 or t.sum() <= 0:
        raise StatisticsError("a group without documents or tokens has no rate")
    rng = rng if rng is not None else np.random.default_rng(seed)
    n = len(t)
    chunk = max(1, min(n_boot, 2_000_000 // n))
    rates = np.empty((n_boot, c.shape[1]))
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        draws = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
        weights = np.bincount(draws.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)
        tok = weights @ t
        with np.errstate(invalid="ignore", divide="ignore"):
            rates[done:done + b] = (weights @ c) / tok[:, None] * per
        done += b
    # a resample of empty documents only (0 / 0) has no rate: left out, as nanquantile does
    lower, upper = np.nanquantile(rates, [alpha / 2, 1 - alpha / 2], axis=0)
    return (lower[0], upper[0]) if vector else (lower, upper)


def _table(table) -> np.ndarray:
    t = np.asarray(table, dtype=np.float64)
    if t.ndim != 2:
        raise StatisticsError(f"expected a two-way table (labels × groups), got {t.ndim} dimension(s)")
    if np.any(t < 0) or not np.all(np.isfinite(t)):
        raise StatisticsError("a contingency table holds counts: no negative or missing values")
    return t


def _expected(t: np.ndarray) -> np.ndarray:
    n = t.sum()
    return np.outer(t.sum(axis=1), t.sum(axis=0)) / n if n > 0 else np.zeros_like(t)


def _chi2(t: np.ndarray) -> np.ndarray:
    """Pearson's χ² of one table or a stack of tables (the last two axes), margins all positive."""
    n = t.sum(axis=(-2, -1), keepdims=True)
    e = t.sum(axis=-1, keepdims=True) * t.sum(axis=-2, keepdims=True) / n
    return ((t - e) ** 2 / e).sum(axis=(-2, -1))


def independence_test(table, *, n_sim: int = 2000, seed: int = 0) -> dict:
    r"""Pearson's χ² test of independence of rows (labels) and columns (groups), with Cramér's V.

    Rows and columns that sum to zero are left out (they carry no information and would give a
    zero expected count). ``χ² = Σ (O - E)² / E`` with ``E = row total × column total / N`` and
    ``(r - 1)(c - 1)`` degrees of freedom (Pearson 1900); ``V = sqrt(χ² / (N · (min(r, c) - 1)))``
    (Cramér 1946), 0 for no association and 1 when each label is used by one group only.

    The χ² distribution is an approximation that is poor when many expected counts are small
    (more than 20% of the cells below 5, Cochran 1954; ``expected_below_5`` gives the share), which
    is common for rare labels. So a Monte Carlo p-value is computed as well, ``p_simulated``: the
    share of ``n_sim`` random tables with the same margins (Patefield 1981's algorithm,
    ``scipy.stats.random_table``; seeded) whose χ² is at least the observed one, ``(1 + k) /
    (n_sim + 1)`` (Hope 1968; R's ``chisq.test(simulate.p.value = TRUE)``). Its smallest value is
    ``1 / (n_sim + 1)``.

    Returns ``chi2, df, p, p_simulated, n_sim, cramers_v, n, rows, columns, expected_below_5``.
    With fewer than two non-empty rows or columns the test is undefined: ``chi2``, the p-values
    and ``cramers_v`` are NaN.
    """
    t = _table(table)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    r, c = t.shape
    n = float(t.sum())
    out = {"chi2": np.nan, "df": max(r - 1, 0) * max(c - 1, 0), "p": np.nan, "p_simulated": np.nan,
           "n_sim": n_sim, "cramers_v": np.nan, "n": int(n), "rows": r, "columns": c, "expected_below_5": np.nan}
    if r < 2 or c < 2:
        return out
    chi2 = float(_chi2(t))
    out.update(chi2=chi2, p=float(special.chdtrc(out["df"], chi2)),
               cramers_v=float(np.sqrt(chi2 / (n * (min(r, c) - 1)))),
               expected_below_5=float((_expected(t) < 5).mean()))
    if n_sim:
        from scipy import stats  # only for the simulated p-value

        sims = stats.random_table(t.sum(axis=1), t.sum(axis=0)).rvs(n_sim, random_state=np.random.default_rng(seed))
        exceed = int((_chi2(sims.astype(np.float64)) >= chi2 * (1 - 1e-12)).sum())
        out["p_simulated"] = (1 + exceed) / (n_sim + 1)
    return out


def adjusted_residuals(table) -> np.ndarray:
    r"""Adjusted standardised residuals of a two-way table (Haberman 1973).

    ``(O - E) / sqrt(E · (1 - row total / N) · (1 - column total / N))``: approximately standard
    normal under independence, so ``|r| > 1.96`` marks a cell used more (positive) or less
    (negative) than independence predicts at the 5% level. Cells of a zero row or column are NaN.
    """
    t = _table(table)
    n = t.sum()
    if n <= 0:
        return np.full(t.shape, np.nan)
    e = _expected(t)
    rows = t.sum(axis=1, keepdims=True) / n
    cols = t.sum(axis=0, keepdims=True) / n
    with np.errstate(invalid="ignore", divide="ignore"):
        res = (t - e) / np.sqrt(e * (1 - rows) * (1 - cols))
    return np.where(np.isfinite(res), res, np.nan)


def normal_pvalue(z) -> np.ndarray:
    """Two-sided p-value of a standard normal statistic (NaN stays NaN)."""
    z = np.asarray(z, dtype=np.float64)
    return special.erfc(np.abs(z) / np.sqrt(2.0))
