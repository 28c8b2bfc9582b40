r"""Keyness statistics: which terms distinguish a target group of documents from a reference group.

Everything here is a pure function on in-memory objects (no file I/O). The core is
:func:`keyness`, which takes a document-term matrix and two groups of documents and
returns a tidy :class:`pandas.DataFrame` with one row per term. The per-statistic
functions it uses work on plain count vectors and can be called on their own.

Notation (Rayson & Garside 2000), per term, vectorised over the vocabulary:

==========  ==========================================================
``a``       frequency of the term in the target group
``b``       frequency of the term in the reference group
``c``       total number of tokens in the target group
``d``       total number of tokens in the reference group
==========  ==========================================================

so the 2x2 contingency table of a term is::

                    target      reference
    term            a           b             | a + b
    other terms     c - a       d - b         | c + d - a - b
                    c           d             | N = c + d

References
----------
* Dunning, T. (1993). Accurate methods for the statistics of surprise and
  coincidence. *Computational Linguistics* 19(1), 61-74.
* Rayson, P. & Garside, R. (2000). Comparing corpora using frequency profiling.
  *Proceedings of the Workshop on Comparing Corpora* (ACL 2000), 1-6.
* Hardie, A. (2014). Log Ratio - an informal introduction. ESRC Centre for
  Corpus Approaches to Social Science (CASS) blog, 28 April 2014.
* Evert, S. Conservative log ratio (LRC), as implemented in CQPweb and in the R
  package *corpora* (``keyness(..., measure="LRC")``); see also Evert, S. (2023),
  *Measuring keyness*, OSF preprint.
* Monroe, B. L., Colaresi, M. P. & Quinn, K. M. (2008). Fightin' words:
  lexical feature selection and evaluation for identifying the content of
  political conflict. *Political Analysis* 16(4), 372-403.
* Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate: a
  practical and powerful approach to multiple testing. *Journal of the Royal
  Statistical Society B* 57(1), 289-300.
* Yates, F. (1934). Contingency tables involving small numbers and the chi-square
  test. *Supplement to the Journal of the Royal Statistical Society* 1(2), 217-235.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import special

from ..errors import StatisticsError

__all__ = [
    "MEASURES",
    "COLUMNS",
    "CORRECTIONS",
    "keyness",
    "top_terms",
    "log_likelihood",
    "g2_pvalue",
    "log_ratio",
    "conservative_log_ratio",
    "clopper_pearson",
    "dirichlet_prior",
    "weighted_log_odds",
    "chi2_yates",
    "benjamini_hochberg",
    "adjust_pvalues",
]

from .measures import COLUMNS, CORRECTIONS, MEASURES, UNSIGNED  # noqa: E402 (names only: the CLI reads them cheaply)

PER = 10_000  # relative frequencies are per 10,000 tokens


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def _f(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _xlogy_ratio(o: np.ndarray, e: np.ndarray) -> np.ndarray:
    """``o * ln(o / e)`` with the convention ``0 * ln 0 = 0`` (no warnings)."""
    o, e = np.broadcast_arrays(_f(o), _f(e))
    out = np.zeros(o.shape, dtype=np.float64)
    pos = o > 0
    out[pos] = o[pos] * np.log(o[pos] / e[pos])
    return out


# ---------------------------------------------------------------------------
# per-statistic functions on count vectors
# ---------------------------------------------------------------------------


def log_likelihood(a, b, c, d, *, full_table: bool = False) -> np.ndarray:
    r"""Log-likelihood G² of a term's frequency in two corpora (unsigned).

    Dunning (1993) introduced the likelihood-ratio statistic G² for corpus
    comparison; the form used by default here is the one of Rayson & Garside
    (2000) (and of the UCREL log-likelihood wizard), which sums over the two
    cells of the term's row only:

    .. math::

        E_1 = c\,\frac{a+b}{c+d},\qquad E_2 = d\,\frac{a+b}{c+d},\qquad
        G^2 = 2\left(a \ln\frac{a}{E_1} + b \ln\frac{b}{E_2}\right)

    With ``full_table=True`` the two "other terms" cells are added,
    ``(c-a)\ln\frac{c-a}{c-E_1} + (d-b)\ln\frac{d-b}{d-E_2}``, which gives Dunning's
    full 2x2 likelihood-ratio statistic (as in Evert's *corpora* package and
    quanteda). For a term that is rare relative to the corpora the two agree
    closely. ``0 * ln 0`` is taken as 0, so zero counts give finite values.
    Returns ``G2 >= 0``; see ``keyness()[\"direction\"]`` for the sign.
    """
    a, b, c, d = np.broadcast_arrays(_f(a), _f(b), _f(c), _f(d))
    n = c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        e1 = c * (a + b) / n
        e2 = d * (a + b) / n
    g2 = _xlogy_ratio(a, e1) + _xlogy_ratio(b, e2)
    if full_table:
        g2 = g2 + _xlogy_ratio(c - a, c - e1) + _xlogy_ratio(d - b, d - e2)
    g2 = 2.0 * g2
    # rounding can make an exact-zero statistic come out as -1e-16
    return np.maximum(g2, 0.0)


def g2_pvalue(g2) -> np.ndarray:
    """p-value of a G² (or χ²) statistic under the χ² distribution with 1 degree of freedom.

    Uses the identity ``P(χ²₁ > x) = erfc(sqrt(x / 2))``.
    """
    return special.erfc(np.sqrt(np.maximum(_f(g2), 0.0) / 2.0))


def log_ratio(a, b, c, d, *, zero_adjust: float = 0.5) -> np.ndarray:
    r"""Log Ratio (Hardie 2014): binary log of the ratio of relative frequencies.

    .. math:: \mathrm{LR} = \log_2 \frac{a / c}{b / d}

    Each doubling of the relative frequency in the target adds 1; positive values
    mean the term is relatively more frequent in the target, negative values in the
    reference. Following Hardie (2014), a **zero frequency is replaced by**
    ``zero_adjust = 0.5`` before dividing (only the zero count is changed, not the
    corpus sizes; CQPweb and the UCREL log-likelihood wizard do the same), so the
    measure stays finite. If both counts are zero the result is 0.
    """
    a, b, c, d = np.broadcast_arrays(_f(a), _f(b), _f(c), _f(d))
    a_adj = np.where(a == 0, zero_adjust, a)
    b_adj = np.where(b == 0, zero_adjust, b)
    lr = np.log2(a_adj / c) - np.log2(b_adj / d)
    return np.where((a == 0) & (b == 0), 0.0, lr)


def clopper_pearson(k, n, conf_level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    r"""Two-sided Clopper–Pearson (exact binomial) confidence interval for ``k / n``.

    ``lower = B^{-1}(\alpha/2;\ k,\ n-k+1)`` (0 when ``k = 0``) and
    ``upper = B^{-1}(1-\alpha/2;\ k+1,\ n-k)`` (1 when ``k = n``), with
    ``α = 1 - conf_level`` and ``B^{-1}`` the inverse regularised incomplete beta
    function. ``n`` must be positive.
    """
    k, n = np.broadcast_arrays(_f(k), _f(n))
    alpha = 1.0 - conf_level
    lower = np.zeros(k.shape)
    upper = np.ones(k.shape)
    lo = k > 0
    hi = k < n
    lower[lo] = special.betaincinv(k[lo], n[lo] - k[lo] + 1.0, alpha / 2.0)
    upper[hi] = special.betaincinv(k[hi] + 1.0, n[hi] - k[hi], 1.0 - alpha / 2.0)
    return lower, upper


def conservative_log_ratio(
    a, b, c, d, *, conf_level: float = 0.95, family_size: int | None = None
) -> np.ndarray:
    r"""Conservative log ratio LRC (Evert; CQPweb, R package *corpora*).

    LRC is the end of a confidence interval for the log ratio that is closest to 0,
    and 0 if the interval contains 0 -- a log ratio that is only as large as the
    evidence allows. Exactly as in Evert's ``corpora::keyness(measure="LRC")``:

    1. Conditional on ``a + b``, the target count is binomial,
       ``a ~ Bin(a + b, τ)`` with ``τ = c·r / (c·r + d)`` where ``r`` is the ratio of
       the relative frequencies (target/reference). Compute the two-sided
       Clopper–Pearson interval ``[τ_lo, τ_hi]`` for ``τ`` (:func:`clopper_pearson`)
       at confidence level ``1 - (1 - conf_level) / m`` -- Bonferroni over the
       ``m = family_size`` terms tested (default: the number of terms passed).
       Use ``family_size=1`` for no correction.
    2. Convert each bound to a log ratio: ``LR(τ) = log2( (d / c) · τ / (1 - τ) )``.
    3. If ``a / c >= b / d``: ``LRC = max(LR(τ_lo), 0)``; otherwise
       ``LRC = min(LR(τ_hi), 0)``.

    So LRC has the sign of the log ratio, is 0 when the counts are too small to
    tell the groups apart, and (unlike :func:`log_ratio`) needs no zero-count fudge.
    Terms with ``a + b = 0`` get 0.
    """
    a, b, c, d = np.broadcast_arrays(_f(a), _f(b), _f(c), _f(d))
    m = a.size if family_size is None else int(family_size)
    if m < 1:
        raise StatisticsError(f"family_size must be >= 1, got {family_size}")
    level = 1.0 - (1.0 - conf_level) / m
    n = a + b
    out = np.zeros(a.shape)
    ok = n > 0
    lower, upper = clopper_pearson(a[ok], n[ok], level)
    ratio = (d / c)[ok]
    up = (a * d >= b * c)[ok]  # a/c >= b/d without division
    with np.errstate(divide="ignore"):
        lr_lo = np.log2(ratio * lower / (1.0 - lower))  # lower < 1 always; may be -inf
        lr_hi = np.log2(ratio * upper / np.where(upper < 1.0, 1.0 - upper, 1.0))
    lr_hi = np.where(upper >= 1.0, np.inf, lr_hi)
    out[ok] = np.where(up, np.maximum(lr_lo, 0.0), np.minimum(lr_hi, 0.0))
    return out + 0.0  # turn -0.0 into 0.0


def dirichlet_prior(background, prior_size: float | None = None) -> np.ndarray:
    r"""Informative Dirichlet prior ``α_w`` from background counts (Monroe et al. 2008).

    ``α_w = α_0 · y_w / Σ y`` where ``y`` are background counts (e.g. the whole
    corpus) and ``α_0 = prior_size``; with ``prior_size=None`` the counts are used
    as they are (``α_0 = Σ y``). Terms with a zero background count get a tiny
    pseudo-count (``1e-9 · α_0 / V``) so that every ``α_w > 0`` and the log-odds stay
    finite.
    """
    y = _f(background).ravel()
    if y.size == 0:
        raise StatisticsError("prior has no terms")
    if not np.all(np.isfinite(y)) or (y < 0).any():
        raise StatisticsError("prior counts must be finite and non-negative")
    total = y.sum()
    if total <= 0:
        raise StatisticsError("prior counts sum to 0; the prior needs at least one positive count")
    a0 = total if prior_size is None else float(prior_size)
    if not a0 > 0:
        raise StatisticsError(f"prior_size must be > 0, got {prior_size}")
    alpha = a0 * y / total
    return np.where(alpha > 0, alpha, 1e-9 * a0 / y.size)


def weighted_log_odds(a, b, c, d, prior, *, alpha_0: float | None = None):
    r"""Weighted log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008).

    For target group ``i`` and reference group ``j`` (MCQ eqs. 16, 18–22), with
    ``y_w^i = a``, ``y_w^j = b``, ``n^i = c``, ``n^j = d``, prior pseudo-counts
    ``α_w = prior`` (see :func:`dirichlet_prior`) and ``α_0 = Σ_w α_w``:

    .. math::

        \hat\delta_w^{(i-j)} = \ln\frac{y_w^i + α_w}{n^i + α_0 - y_w^i - α_w}
                             - \ln\frac{y_w^j + α_w}{n^j + α_0 - y_w^j - α_w}

        σ^2\!\left(\hat\delta_w^{(i-j)}\right) \approx \frac{1}{y_w^i + α_w} + \frac{1}{y_w^j + α_w}

        z_w = \hat\delta_w^{(i-j)} \big/ \sqrt{σ^2}

    ``α_0`` must be the sum over the *whole* vocabulary; pass it explicitly when
    ``prior`` is only a slice of it. Returns ``(delta, variance, z)``; positive
    values favour the target.
    """
    a, b, c, d, alpha = np.broadcast_arrays(_f(a), _f(b), _f(c), _f(d), _f(prior))
    a0 = float(np.sum(alpha)) if alpha_0 is None else float(alpha_0)
    ya = a + alpha
    yb = b + alpha
    delta = np.log(ya / (c + a0 - ya)) - np.log(yb / (d + a0 - yb))
    var = 1.0 / ya + 1.0 / yb
    return delta, var, delta / np.sqrt(var)


def chi2_yates(a, b, c, d) -> np.ndarray:
    r"""Pearson χ² with Yates' continuity correction on the term's 2x2 table.

    With ``O11 = a, O12 = b, O21 = c - a, O22 = d - b`` and ``N = c + d``:

    .. math::

        χ^2 = \frac{N\,\max\left(|O_{11}O_{22} - O_{12}O_{21}| - N/2,\ 0\right)^2}
                   {(a+b)\,(N-a-b)\,c\,d}

    which equals ``scipy.stats.chi2_contingency(table, correction=True)`` (the
    correction never pushes ``|O - E|`` below 0). Degenerate tables (a zero margin)
    give 0.
    """
    a, b, c, d = np.broadcast_arrays(_f(a), _f(b), _f(c), _f(d))
    n = c + d
    r1 = a + b
    r2 = n - r1
    num = n * np.maximum(np.abs(a * (d - b) - b * (c - a)) - n / 2.0, 0.0) ** 2
    den = r1 * r2 * c * d
    out = np.zeros(a.shape)
    ok = den > 0
    out[ok] = num[ok] / den[ok]
    return out


def benjamini_hochberg(p) -> np.ndarray:
    """Benjamini–Hochberg (1995) adjusted p-values ("q-values"), FDR step-up.

    ``p_adj[(k)] = min_{j >= k} min(1, m · p_(j) / j)`` over the sorted p-values;
    NaNs are not allowed. Same result as ``scipy.stats.false_discovery_control(p)``.
    """
    p = _f(p)
    shape = p.shape
    p = p.ravel()
    m = p.size
    if m == 0:
        return p.reshape(shape)
    if np.isnan(p).any():
        raise StatisticsError("p-values contain NaN")
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(ranked, 1.0)
    return out.reshape(shape)


def adjust_pvalues(p, method: str | None = "fdr_bh") -> np.ndarray:
    """Adjust p-values for multiple testing over the family ``p``.

    ``method``: ``"fdr_bh"`` (Benjamini–Hochberg 1995), ``"bonferroni"``
    (``min(1, m·p)``) or ``"none"``/``None`` (unchanged).
    """
    p = _f(p)
    method = _check_correction(method)
    if method == "fdr_bh":
        return benjamini_hochberg(p)
    if method == "bonferroni":
        return np.minimum(p * p.size, 1.0)
    return p.copy()


def _check_correction(method: str | None) -> str:
    if method is None:
        return "none"
    m = str(method).lower()
    aliases = {"bh": "fdr_bh", "fdr": "fdr_bh", "benjamini-hochberg": "fdr_bh"}
    m = aliases.get(m, m)
    if m not in CORRECTIONS:
        raise StatisticsError(
            f"unknown correction {method!r}; use one of 'fdr_bh' (Benjamini-Hochberg), "
            "'bonferroni' or 'none'"
        )
    return m


# ---------------------------------------------------------------------------
# input validation for keyness()
# ---------------------------------------------------------------------------


def _as_csr(X) -> sp.csr_array:
    if isinstance(X, pd.DataFrame):
        X = X.to_numpy()
    if sp.issparse(X):
        X = sp.csr_array(X)
    else:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise StatisticsError(f"X must be a 2-d documents x terms matrix, got {arr.ndim} dimension(s)")
        X = sp.csr_array(arr)
    if X.dtype.kind not in "biuf":
        raise TypeError(f"X must hold numeric counts, got dtype {X.dtype}")
    if X.nnz:
        data = X.data
        if X.dtype.kind == "f" and not np.all(np.isfinite(data)):
            raise StatisticsError("X contains NaN or infinite counts")
        if (data < 0).any():
            raise StatisticsError(f"X contains {int((data < 0).sum())} negative counts; counts must be >= 0")
    return X


def _group_mask(sel, n_docs: int, name: str) -> np.ndarray:
    """Turn a boolean mask or an array of row positions into a boolean mask."""
    if isinstance(sel, (pd.Series, pd.Index)):
        sel = sel.to_numpy()
    arr = np.asarray(sel)
    if arr.dtype == bool:
        if arr.ndim != 1 or arr.size != n_docs:
            raise StatisticsError(
                f"{name} mask has length {arr.size} but X has {n_docs} documents; "
                "pass a boolean mask with one entry per row of X, or an array of row positions"
            )
        return arr.copy()
    if arr.dtype == object and arr.size and all(isinstance(v, (bool, np.bool_)) for v in arr.ravel()):
        return _group_mask(arr.astype(bool), n_docs, name)
    if arr.size == 0:
        return np.zeros(n_docs, dtype=bool)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must be a boolean mask or an array of integer row positions, got dtype {arr.dtype}"
        )
    idx = arr.ravel().astype(np.int64)
    bad = (idx < -n_docs) | (idx >= n_docs)
    if bad.any():
        raise IndexError(
            f"{name} has {int(bad.sum())} row position(s) out of range for X with {n_docs} documents "
            f"(e.g. {int(idx[bad][0])})"
        )
    mask = np.zeros(n_docs, dtype=bool)
    mask[idx] = True
    return mask


def _check_inputs(X, vocab, target, reference) -> tuple[sp.csr_array, pd.Index, np.ndarray, np.ndarray]:
    """Validated ``(X as CSR, vocab as an Index, target mask, reference mask)`` of a comparison.

    ``reference=None`` is every document not in ``target``; the groups must be non-empty and
    disjoint, the vocabulary unique and as long as ``X`` is wide.
    """
    X = _as_csr(X)
    n_docs, n_terms = X.shape
    if isinstance(vocab, (str, bytes)):
        raise TypeError("vocab must be a sequence of terms, not a single string")
    terms = pd.Index(vocab)
    if len(terms) != n_terms:
        raise StatisticsError(f"vocab has {len(terms)} terms but X has {n_terms} columns")
    if not terms.is_unique:
        dups = terms[terms.duplicated()].unique()
        raise StatisticsError(f"vocab has {len(dups)} duplicated term(s), e.g. {dups[0]!r}; terms must be unique")

    t_mask = _group_mask(target, n_docs, "target")
    if reference is None:
        r_mask = ~t_mask
    else:
        r_mask = _group_mask(reference, n_docs, "reference")
    if not t_mask.any():
        raise StatisticsError("target has no documents")
    if not r_mask.any():
        raise StatisticsError(
            "reference has no documents"
            + (" (target covers every row of X)" if reference is None else "")
        )
    overlap = int((t_mask & r_mask).sum())
    if overlap:
        raise StatisticsError(
            f"target and reference overlap in {overlap} document{'s' if overlap != 1 else ''}; "
            "each document must belong to at most one group"
        )
    return X, terms, t_mask, r_mask


def _check_options(alpha, min_count, min_docs, min_outlets, top) -> None:
    """The significance level, the ``min_*`` filters and ``top`` of a comparison, or a named error."""
    if not (0.0 < float(alpha) < 1.0):
        raise StatisticsError(f"alpha must be between 0 and 1, got {alpha}")
    for name, val in (("min_count", min_count), ("min_docs", min_docs), ("min_outlets", min_outlets)):
        if int(val) != val or val < 1:
            raise StatisticsError(f"{name} must be an integer >= 1, got {val!r}")
    if top is not None and (int(top) != top or top < 1):
        raise StatisticsError(f"top must be a positive integer or None, got {top!r}")


def _outlet_codes(outlets, used: np.ndarray, min_outlets: int) -> np.ndarray | None:
    """Integer outlet codes of the ``used`` rows (-1 elsewhere), or None without ``outlets``."""
    n_docs = used.size
    if outlets is None:
        if min_outlets > 1:
            raise StatisticsError("min_outlets > 1 needs outlets (one outlet per document)")
        return None
    out_arr = outlets.to_numpy() if isinstance(outlets, (pd.Series, pd.Index)) else np.asarray(outlets)
    out_arr = out_arr.ravel()
    if out_arr.size != n_docs:
        raise StatisticsError(f"outlets has {out_arr.size} entries but X has {n_docs} documents")
    missing = pd.isna(out_arr) & used
    if missing.any():
        raise StatisticsError(
            f"outlets is missing for {int(missing.sum())} document(s) in target/reference; "
            "give every document an outlet (e.g. 'unknown')"
        )
    codes = np.full(n_docs, -1, dtype=np.int64)
    codes[used] = pd.factorize(pd.Series(out_arr[used], dtype=object).astype(str))[0]
    return codes


def _resolve_prior(prior, X, target_mask, reference_mask, n_terms) -> tuple[np.ndarray, str]:
    if prior is None or (isinstance(prior, str) and prior == "groups"):
        rows = target_mask | reference_mask
        return np.asarray(X[rows].sum(axis=0)).ravel().astype(np.float64), "groups"
    if isinstance(prior, str):
        if prior == "corpus":
            return np.asarray(X.sum(axis=0)).ravel().astype(np.float64), "corpus"
        raise StatisticsError(
            f"unknown prior {prior!r}; use None/'groups' (counts of target + reference), "
            "'corpus' (all rows of X) or an array of background counts, one per term"
        )
    vec = np.asarray(prior.to_numpy() if isinstance(prior, pd.Series) else prior, dtype=np.float64).ravel()
    if vec.size != n_terms:
        raise StatisticsError(f"prior has {vec.size} counts but the vocabulary has {n_terms} terms")
    return vec, "user"


# ---------------------------------------------------------------------------
# the main function
# ---------------------------------------------------------------------------


def keyness(
    X,
    vocab: Sequence[str] | pd.Index,
    target,
    reference=None,
    *,
    outlets=None,
    target_name: str = "target",
    reference_name: str = "reference",
    prior=None,
    prior_size: float | None = None,
    measure_sort: str = "G2",
    correction: str | None = "fdr_bh",
    alpha: float = 0.05,
    full_table: bool = False,
    min_count: int = 1,
    min_docs: int = 1,
    min_outlets: int = 1,
    top: int | None = None,
) -> pd.DataFrame:
    """Keyness of every term for a target group of documents against a reference group.

    Parameters
    ----------
    X
        Document-term matrix, documents x terms, non-negative counts: any
        ``scipy.sparse`` matrix/array (converted to CSR) or a dense 2-d array.
    vocab
        Term of each column of ``X`` (list, array or ``pandas.Index``); unique.
    target, reference
        The two groups of documents: each a boolean mask over the rows of ``X``
        or an array of row positions. They must not overlap. ``reference=None``
        means "every document not in target" (as in quanteda).
    outlets
        Optional outlet (source) of each row of ``X``. Used for the dispersion
        columns ``outlets_target``/``outlets_reference`` (number of distinct
        outlets whose documents use the term) and the ``min_outlets`` filter.
        Without it those columns are missing values (``<NA>``).
    target_name, reference_name
        Human-readable group names, stored in ``df.attrs["groups"]`` and used by
        the plots. The ``direction`` column always says ``"target"``/``"reference"``.
    prior, prior_size
        Background counts for the Monroe et al. (2008) log-odds: ``None`` or
        ``"groups"`` (counts of target + reference documents), ``"corpus"`` (all
        rows of ``X``), or an array with one count per term. ``prior_size`` is
        ``α_0``, the total number of pseudo-counts the background is scaled to;
        ``None`` uses the counts unscaled (``α_0`` = their sum). See
        :func:`dirichlet_prior`, :func:`weighted_log_odds`.
    measure_sort
        Column to rank by, one of :data:`MEASURES`; signed measures are ranked by
        absolute value (strongest keywords of either side first). Ties are broken
        by G², then by term, so the order is deterministic.
    correction
        Multiple-testing correction of the G² p-values in ``p_adj``:
        ``"fdr_bh"`` (Benjamini–Hochberg), ``"bonferroni"`` or ``"none"``. The
        family is the set of terms tested, i.e. those that pass the
        ``min_*`` filters (before ``top``).
    alpha
        Significance level: ``p_adj < alpha`` gives the ``significant`` flag in
        :func:`top_terms`; the LRC interval is at confidence ``1 - alpha`` with a
        Bonferroni correction over the tested terms (as in CQPweb).
    full_table
        G² over the full 2x2 table (Dunning) instead of the two-cell
        Rayson & Garside form; see :func:`log_likelihood`.
    min_count
        Minimum total frequency ``n_target + n_reference`` (>= 1; terms absent
        from both groups are always dropped).
    min_docs, min_outlets
        Minimum number of documents / distinct outlets using the term **on the
        side it is key for** (its ``direction``), so that one prolific document or
        one outlet cannot make a camp's keyword on its own. ``min_outlets > 1``
        requires ``outlets``.
    top
        If given, keep only the ``top`` strongest terms of each direction
        (see :func:`top_terms`).

    Returns
    -------
    pandas.DataFrame
        One row per term, columns :data:`COLUMNS`: counts ``n_target``,
        ``n_reference``; relative frequencies per 10,000 tokens
        ``freq_target``, ``freq_reference``; dispersion ``docs_*``, ``outlets_*``;
        ``G2`` (unsigned), ``p`` (χ², 1 df), ``p_adj``; ``log_ratio`` (Hardie),
        ``lrc`` (Evert), ``log_odds`` and ``log_odds_z`` (Monroe et al.),
        ``chi2_yates``; ``direction`` = ``"target"`` if the term is relatively
        more frequent in the target, ``"reference"`` if less, ``"none"`` if exactly
        equal. Signed measures are positive for the target. ``df.attrs`` records
        the groups, document and token totals, correction, alpha, prior and filters.

    Raises
    ------
    StatisticsError (also a ValueError), IndexError, TypeError
        With a specific message for bad input, e.g. "target and reference
        overlap in 3 documents", "target has no documents", "reference has no
        tokens".
    """
    # ---------------------------------------------------------------- validate
    X, terms, t_mask, r_mask = _check_inputs(X, vocab, target, reference)
    n_terms = X.shape[1]

    measure_sort = _check_measure(measure_sort)
    correction = _check_correction(correction)
    _check_options(alpha, min_count, min_docs, min_outlets, top)

    outlet_codes = _outlet_codes(outlets, t_mask | r_mask, min_outlets)

    a_all, b_all, docs_t, docs_r, out_t, out_r = _group_columns(X, t_mask, r_mask, outlet_codes)
    c = float(a_all.sum())
    d = float(b_all.sum())
    if c <= 0:
        raise StatisticsError(f"target has no tokens (all {int(t_mask.sum())} of its documents are empty)")
    if d <= 0:
        raise StatisticsError(f"reference has no tokens (all {int(r_mask.sum())} of its documents are empty)")

    if (prior is None or (isinstance(prior, str) and prior == "groups")) and not (t_mask & r_mask).any():
        background, prior_kind = a_all + b_all, "groups"  # the counts of target + reference, already summed
    else:
        background, prior_kind = _resolve_prior(prior, X, t_mask, r_mask, n_terms)
    alpha_w = dirichlet_prior(background, prior_size)
    alpha_0 = float(alpha_w.sum())

    # ------------------------------------------------------------- filtering
    total = a_all + b_all
    direction_sign = np.sign(a_all * d - b_all * c)  # +1 target, -1 reference, 0 equal
    keep = total >= min_count
    key_docs = np.where(direction_sign >= 0, docs_t, docs_r)
    # a tie ("none") must reach the threshold on both sides
    key_docs = np.where(direction_sign == 0, np.minimum(docs_t, docs_r), key_docs)
    keep &= key_docs >= min_docs
    if out_t is not None and min_outlets > 1:
        key_out = np.where(direction_sign > 0, out_t, np.where(direction_sign < 0, out_r, np.minimum(out_t, out_r)))
        keep &= key_out >= min_outlets
    idx = np.flatnonzero(keep)

    a = a_all[idx]
    b = b_all[idx]
    m = idx.size

    # ------------------------------------------------------------ statistics
    g2 = log_likelihood(a, b, c, d, full_table=full_table)
    p = g2_pvalue(g2)
    p_adj = adjust_pvalues(p, correction)
    lr = log_ratio(a, b, c, d)
    lrc = conservative_log_ratio(a, b, c, d, conf_level=1.0 - alpha, family_size=max(m, 1))
    delta, _var, z = weighted_log_odds(a, b, c, d, alpha_w[idx], alpha_0=alpha_0)
    chi2 = chi2_yates(a, b, c, d)
    sign = direction_sign[idx]
    direction = np.where(sign > 0, "target", np.where(sign < 0, "reference", "none"))

    df = pd.DataFrame(
        {
            **_count_columns(terms, idx, a, b, c, d, docs_t, docs_r, out_t, out_r),
            "G2": g2,
            "p": p,
            "p_adj": p_adj,
            "log_ratio": lr,
            "lrc": lrc,
            "log_odds": delta,
            "log_odds_z": z,
            "chi2_yates": chi2,
            "direction": pd.Series(direction.tolist(), dtype="str"),
        },
        columns=COLUMNS,
    )
    df = _sort(df, measure_sort).reset_index(drop=True)

    df.attrs = {
        "groups": {"target": str(target_name), "reference": str(reference_name)},
        "docs": {"target": int(t_mask.sum()), "reference": int(r_mask.sum())},
        "tokens": {"target": int(c) if c.is_integer() else c, "reference": int(d) if d.is_integer() else d},
        "per": PER,
        "n_terms_tested": int(m),
        "n_terms_vocab": int(n_terms),
        "measure_sort": measure_sort,
        "correction": correction,
        "alpha": float(alpha),
        "g2_form": "dunning_full_table" if full_table else "rayson_garside",
        "log_ratio_zero_adjust": 0.5,
        "lrc": {"conf_level": 1.0 - float(alpha), "bonferroni_family": int(max(m, 1))},
        "prior": prior_kind,
        "prior_size": alpha_0,
        "filters": {"min_count": int(min_count), "min_docs": int(min_docs), "min_outlets": int(min_outlets)},
        "has_outlets": outlet_codes is not None,
    }
    if top is not None:
        df = top_terms(df, int(top), by=measure_sort)
    return df


def _count_columns(terms, idx, a, b, c, d, docs_t, docs_r, out_t, out_r) -> dict:
    """The columns every comparison table starts with, for the terms ``idx``: term, counts ``a``/``b``
    (already taken at ``idx``), frequencies per 10,000 of the ``c``/``d`` tokens, documents and
    outlets of each side (``<NA>`` without outlets)."""
    def whole(v):
        return v.astype(np.int64) if np.all(np.equal(np.mod(v, 1), 0)) else v

    def outlets(v):
        return pd.array([pd.NA] * idx.size if v is None else v[idx], dtype="Int64")

    return {
        "term": pd.Series(terms.take(idx).astype(str), dtype="str"),
        "n_target": whole(a),
        "n_reference": whole(b),
        "freq_target": a / c * PER,
        "freq_reference": b / d * PER,
        "docs_target": docs_t[idx],
        "docs_reference": docs_r[idx],
        "outlets_target": outlets(out_t),
        "outlets_reference": outlets(out_r),
    }


#: Rows of the document-term matrix handled at once by :func:`_group_columns` (bounds its memory).
GROUP_BLOCK = 50_000


def _group_columns(X: sp.csr_array, t_mask: np.ndarray, r_mask: np.ndarray, outlet_codes: np.ndarray | None,
                   block: int | None = None):
    """Per term: counts (``a``, ``b``), documents (``docs_t``, ``docs_r``) and outlets (``out_t``,
    ``out_r``; None without outlets) of the target and reference rows of ``X``.

    The rows are read ``block`` at a time (:data:`GROUP_BLOCK`): the groups are never copied out
    of the matrix whole, so memory stays near the matrix's own size however large the corpus
    (copying both groups and their presence masks used to add ~40 bytes per stored count)."""
    n_docs, n_terms = X.shape
    block = int(block or GROUP_BLOCK)
    a = np.zeros(n_terms, np.float64)
    b = np.zeros(n_terms, np.float64)
    docs_t = np.zeros(n_terms, np.int64)
    docs_r = np.zeros(n_terms, np.int64)
    per_outlet = {"t": None, "r": None}
    if outlet_codes is not None:
        uniq = {k: np.unique(outlet_codes[m]) for k, m in (("t", t_mask), ("r", r_mask))}
    for start in range(0, n_docs, block):
        stop = min(start + block, n_docs)
        for key, mask, sums, docs in (("t", t_mask, a, docs_t), ("r", r_mask, b, docs_r)):
            rows = np.flatnonzero(mask[start:stop])
            if rows.size == 0:
                continue
            Xg = X[start + rows] if rows.size < stop - start else X[start:stop]
            sums += np.bincount(Xg.indices, weights=Xg.data, minlength=n_terms)
            nz = Xg.data != 0
            docs += np.bincount(Xg.indices[nz], minlength=n_terms)
            if outlet_codes is not None and Xg.shape[0]:
                codes = np.searchsorted(uniq[key], outlet_codes[start + rows])
                ind = sp.csr_array((np.ones(len(codes), np.float32), (codes, np.arange(len(codes)))),
                                   shape=(len(uniq[key]), Xg.shape[0]))
                pres = sp.csr_array((nz.astype(np.float32), Xg.indices, Xg.indptr), shape=Xg.shape)
                part = (ind @ pres) > 0
                per_outlet[key] = part if per_outlet[key] is None else (per_outlet[key] + part) > 0
    if outlet_codes is None:
        return a, b, docs_t, docs_r, None, None

    def count(m):
        return np.zeros(n_terms, np.int64) if m is None else np.asarray(m.sum(axis=0)).ravel().astype(np.int64)
    return a, b, docs_t, docs_r, count(per_outlet["t"]), count(per_outlet["r"])


def _outlets_per_term(Xg: sp.csr_array, codes: np.ndarray) -> np.ndarray:
    """Number of distinct outlets (``codes``, one per row of ``Xg``) using each term."""
    if Xg.shape[0] == 0:
        return np.zeros(Xg.shape[1], dtype=np.int64)
    uniq, inv = np.unique(codes, return_inverse=True)
    # outlets x docs indicator, times docs x terms presence -> outlets x terms doc counts
    ind = sp.csr_array(
        (np.ones(len(inv), dtype=np.int64), (inv, np.arange(len(inv)))), shape=(len(uniq), Xg.shape[0])
    )
    pres = (Xg > 0).astype(np.int64)
    per_outlet = ind @ pres
    return np.asarray((per_outlet > 0).sum(axis=0)).ravel().astype(np.int64)


def _check_measure(measure: str, measures: Sequence[str] = MEASURES) -> str:
    if measure not in measures:
        raise StatisticsError(f"unknown measure {measure!r}; use one of {', '.join(measures)}")
    return measure


def _sort(df: pd.DataFrame, by: str) -> pd.DataFrame:
    """Strongest first by ``by`` (signed measures by absolute value), then by the table's main
    statistic (G², or χ²_MH of a stratified table), then by term."""
    if df.empty:
        return df
    key = df[by] if by in UNSIGNED else df[by].abs()
    tie = "G2" if "G2" in df.columns else "chi2_mh"
    order = np.lexsort((df["term"].to_numpy(dtype=object).astype(str), -df[tie].to_numpy(), -key.to_numpy()))
    return df.iloc[order]


def top_terms(
    table: pd.DataFrame,
    n: int = 20,
    *,
    by: str | None = None,
    direction: str | None = None,
    significant: bool = False,
    alpha: float | None = None,
) -> pd.DataFrame:
    """The ``n`` strongest keywords of each direction of a :func:`keyness` table.

    Returns the target terms first (strongest first), then the reference terms,
    ranked by ``by`` (default: the table's ``measure_sort``; signed measures by
    absolute value) and tie-broken by G² then term. ``direction="target"`` or
    ``"reference"`` keeps one side only. ``significant=True`` first drops terms
    with ``p_adj >= alpha`` (default: the table's alpha). Terms with direction
    ``"none"`` are never returned. ``attrs`` are preserved.
    """
    by = _check_measure(by or table.attrs.get("measure_sort", "G2"), table.attrs.get("measures", MEASURES))
    if int(n) != n or n < 0:
        raise StatisticsError(f"n must be a non-negative integer, got {n!r}")
    if direction is None:
        sides = ["target", "reference"]
    elif direction in ("target", "reference"):
        sides = [direction]
    else:
        raise StatisticsError(f"direction must be 'target', 'reference' or None, got {direction!r}")
    t = table
    if significant:
        a = float(alpha if alpha is not None else table.attrs.get("alpha", 0.05))
        t = t[t["p_adj"] < a]
    parts = [_sort(t[t["direction"] == side], by).head(int(n)) for side in sides]
    out = pd.concat(parts, ignore_index=True) if parts else t.iloc[:0]
    out.attrs = dict(table.attrs)
    return out
