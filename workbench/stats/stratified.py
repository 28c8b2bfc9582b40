r"""Stratified keyness: which terms distinguish two groups *within* strata such as newspaper sections.

Ordinary keyness (:func:`workbench.stats.keyness.keyness`) pools every document of a group. When the
groups differ in composition -- one camp's outlets publish a police section and the other's do not --
the words of that section come out as the camp's keywords although, section for section, the two
camps may use them alike (Simpson's paradox; confounding by section). The classical answer for a 2x2
comparison repeated over strata is the Cochran-Mantel-Haenszel test and the Mantel-Haenszel common
odds ratio, which compare target and reference *inside* each stratum and pool the comparisons.

For one term and stratum ``k`` (notation of :mod:`workbench.stats.keyness`, per stratum)::

                    target          reference
    term            a_k             b_k             | m_k = a_k + b_k
    other tokens    c_k - a_k       d_k - b_k       |
                    c_k             d_k             | n_k = c_k + d_k

* **CMH test** (Mantel & Haenszel 1959; Cochran 1954). Under "no association in any stratum",
  conditional on the margins, ``a_k`` is hypergeometric with

  .. math::

      E_k = \frac{m_k c_k}{n_k}, \qquad V_k = \frac{m_k (n_k - m_k)\, c_k d_k}{n_k^2 (n_k - 1)},
      \qquad \chi^2_{MH} = \frac{\left(\left|\sum_k a_k - \sum_k E_k\right| - \tfrac12\right)^2}{\sum_k V_k}

  with 1 degree of freedom; the ``-1/2`` is the continuity correction of Mantel & Haenszel, used
  only with ``correct=True`` (R's ``mantelhaen.test`` uses it by default, statsmodels'
  ``StratifiedTable.test_null_odds`` does not; with word counts in the thousands it changes
  little). The sign of ``Σ a_k - Σ E_k`` gives the ``direction``.
* **Mantel-Haenszel common odds ratio** (Mantel & Haenszel 1959) with
  ``R_k = a_k (d_k - b_k) / n_k`` and ``S_k = b_k (c_k - a_k) / n_k``: ``OR_MH = Σ R_k / Σ S_k``,
  the odds of the term in the target over its odds in the reference, pooled over strata (> 1:
  target). Its confidence interval is ``exp(ln OR_MH ± z·SE)`` with the variance of ``ln OR_MH``
  of Robins, Breslow & Greenland (1986), with ``P_k = (a_k + d_k - b_k) / n_k`` and
  ``Q_k = (b_k + c_k - a_k) / n_k``:

  .. math::

      \widehat{Var}(\ln OR_{MH}) = \frac{\sum P_k R_k}{2 (\sum R_k)^2}
          + \frac{\sum (P_k S_k + Q_k R_k)}{2 \sum R_k \sum S_k} + \frac{\sum Q_k S_k}{2 (\sum S_k)^2}

  ``log_ratio`` is ``log2 OR_MH``: for a word that is a small share of every stratum's tokens the
  odds ratio is the ratio of relative frequencies, so it reads like Hardie's (2014) log ratio,
  adjusted for the strata. A term never used by one side has ``OR_MH = 0`` or ``inf``
  (``log_ratio = ±inf``) and no interval (NaN): no zero-count fudge is applied.
* **Homogeneity** (does the odds ratio differ between strata?): the Breslow-Day statistic
  (Breslow & Day 1980, §4.4) with Tarone's (1985) correction, which is needed when the common odds
  ratio is the Mantel-Haenszel estimate: for each stratum the expected ``x_k`` given the margins and
  ``OR_MH`` solves ``x (d_k - m_k + x) = OR_MH (m_k - x)(c_k - x)``; with
  ``W_k = 1 / (1/x_k + 1/(m_k - x_k) + 1/(c_k - x_k) + 1/(d_k - m_k + x_k))``,
  ``BD = Σ (a_k - x_k)² / W_k - (Σ a_k - Σ x_k)² / Σ W_k``, χ² with (strata used - 1) degrees of
  freedom (statsmodels' ``test_equal_odds(adjust=True)``, DescTools' ``BreslowDayTest(correct=TRUE)``).
  A small ``p_homogeneity`` says the term is key in some sections and not in others: read the
  per-section tables before trusting one pooled odds ratio. Terms with ``OR_MH`` 0 or infinite, or
  used in a single stratum, get NaN.

**Strata where one side has no documents (or no tokens) contribute nothing** to any of these
statistics -- there is nothing to compare inside them -- and their documents are left out of the
counts, frequencies and dispersion columns as well, so every column describes the material the test
compares. ``table.attrs["strata"]`` lists every stratum with its documents and tokens per side and
whether it was used; a section published by one side only is therefore *excluded*, not *adjusted
for* (use :func:`workbench.stats.composition.composition` to see how much that is).

Everything is vectorised over terms: per-stratum sums are one sparse product (stratum indicator ×
document-term matrix), and the statistics are computed on the non-zero (stratum, term) cells and
summed per term with ``numpy.bincount``.

References
----------
* Mantel, N. & Haenszel, W. (1959). Statistical aspects of the analysis of data from retrospective
  studies of disease. *Journal of the National Cancer Institute* 22(4), 719-748.
* Cochran, W. G. (1954). Some methods for strengthening the common χ² tests. *Biometrics* 10(4),
  417-451.
* Robins, J., Breslow, N. & Greenland, S. (1986). Estimators of the Mantel-Haenszel variance
  consistent in both sparse data and large-strata limiting models. *Biometrics* 42(2), 311-323.
* Breslow, N. E. & Day, N. E. (1980). *Statistical Methods in Cancer Research, vol. I: The Analysis
  of Case-Control Studies*. IARC Scientific Publications 32, §4.4.
* Tarone, R. E. (1985). On heterogeneity tests based on efficient scores. *Biometrika* 72(1),
  91-95.
* Agresti, A. (2013). *Categorical Data Analysis*, 3rd ed. Wiley, §6.4 (CMH and the MH estimator).
* Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. *Journal of the Royal
  Statistical Society B* 57(1), 289-300.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import special

from ..errors import StatisticsError
from .keyness import (
    PER,
    _check_correction,
    _check_inputs,
    _check_measure,
    _check_options,
    _count_columns,
    _outlet_codes,
    _outlets_per_term,
    _sort,
    adjust_pvalues,
    g2_pvalue,
    top_terms,
)
from .measures import STRATIFIED_COLUMNS, STRATIFIED_MEASURES

__all__ = ["MISSING", "keyness_stratified", "mantel_haenszel", "breslow_day"]

#: The stratum of documents without a value in the stratifying column.
MISSING = "(missing)"


def _f(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _cells(a, b, c, d, term, n_terms):
    """Flat float cell arrays, the term of each cell (all 0 without ``term``) and the number of terms."""
    a, b, c, d = (v.ravel() for v in np.broadcast_arrays(_f(a), _f(b), _f(c), _f(d)))
    j = np.zeros(a.shape, dtype=np.int64) if term is None else np.asarray(term, dtype=np.int64).ravel()
    if j.size != a.size:
        raise StatisticsError(f"term has {j.size} entries but there are {a.size} (stratum, term) cells")
    size = int(n_terms if n_terms is not None else (j.max() + 1 if j.size else 0))
    return a, b, c, d, j, size


def mantel_haenszel(a, b, c, d, term=None, *, n_terms: int | None = None, correct: bool = False,
                    conf_level: float = 0.95) -> dict[str, np.ndarray]:
    """CMH χ², Mantel-Haenszel odds ratio and its Robins-Breslow-Greenland interval, per term.

    ``a, b, c, d`` are cell values of (stratum, term) pairs: the term's count in the target and the
    reference within the stratum, and the stratum's target and reference token totals. ``term``
    says which term each pair belongs to (``0 .. n_terms - 1``); without it all pairs are the
    strata of one term. Pairs of a stratum with ``c = 0`` or ``d = 0`` must not be passed (they
    carry no comparison). Returns arrays of length ``n_terms``: ``chi2``, ``deviation``
    (``Σ a - Σ E``, whose sign is the direction), ``odds_ratio``, ``or_low``, ``or_high``. See the
    module docstring for the formulas.
    """
    a, b, c, d, j, size = _cells(a, b, c, d, term, n_terms)

    def total(w):
        return np.bincount(j, weights=w, minlength=size)

    n = c + d
    m = a + b
    dev = total(a - m * c / n)
    var = total(m * (n - m) * c * d / (n * n * (n - 1.0)))
    num = np.abs(dev)
    if correct:
        num = np.maximum(num - 0.5, 0.0)
    chi2 = np.zeros(size)
    ok = var > 0
    chi2[ok] = num[ok] ** 2 / var[ok]

    r = a * (d - b) / n
    s = b * (c - a) / n
    p = (a + d - b) / n
    q = (b + c - a) / n
    sr, ss = total(r), total(s)
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = sr / ss
        var_log = (total(p * r) / (2 * sr * sr) + total(p * s + q * r) / (2 * sr * ss)
                   + total(q * s) / (2 * ss * ss))
    finite = (sr > 0) & (ss > 0)
    z = special.ndtri(0.5 + conf_level / 2.0)
    half = z * np.sqrt(np.where(finite, var_log, np.nan))
    log_or = np.log(np.where(finite, odds, np.nan))
    return {"chi2": chi2, "deviation": dev, "odds_ratio": odds,
            "or_low": np.exp(log_or - half), "or_high": np.exp(log_or + half)}


def breslow_day(a, b, c, d, odds_ratio, term=None, *, n_terms: int | None = None,
                tarone: bool = True) -> dict[str, np.ndarray]:
    """Breslow-Day test of a common odds ratio across strata (Tarone-corrected by default), per term.

    Same cell layout as :func:`mantel_haenszel`; ``odds_ratio`` is the common odds ratio of each
    term (an array of length ``n_terms``; normally ``OR_MH``). Strata whose table is fixed by its
    margins (the term in no document of the stratum, say) add nothing and do not count towards the
    degrees of freedom. Returns ``statistic``, ``df`` and ``p`` (NaN where the odds ratio is 0,
    infinite or missing, or fewer than two strata inform the test).
    """
    a, b, c, d, j, size = _cells(a, b, c, d, term, n_terms)
    psi_t = _f(odds_ratio).reshape(-1)
    if psi_t.size == 1 and size != 1:
        psi_t = np.full(size, psi_t[0])
    psi = psi_t[j]
    m = a + b
    lo = np.maximum(0.0, m - d)
    hi = np.minimum(m, c)
    usable = np.isfinite(psi) & (psi > 0) & (hi > lo)
    psi = np.where(usable, psi, 1.0)
    # (1 - ψ) x² + (d - m + ψ (m + c)) x - ψ m c = 0, solved stably: the two roots are q / qa and
    # qc / q; exactly one lies in [lo, hi] (the odds ratio is increasing in x there)
    qa = 1.0 - psi
    qb = d - m + psi * (m + c)
    qc = -psi * m * c
    q = -0.5 * (qb + np.copysign(np.sqrt(np.maximum(qb * qb - 4.0 * qa * qc, 0.0)), qb))
    with np.errstate(divide="ignore", invalid="ignore"):
        r1 = np.where(qa != 0, q / qa, np.nan)
        r2 = np.where(q != 0, qc / q, 0.0)
    tol = 1e-9 * np.maximum(hi, 1.0)
    x = np.where((r2 >= lo - tol) & (r2 <= hi + tol), r2, r1)
    x = np.clip(np.nan_to_num(x, nan=lo), lo, hi)
    cells = np.stack([x, m - x, c - x, d - m + x])
    usable &= (cells > 0).all(axis=0)
    with np.errstate(divide="ignore"):
        w = np.where(usable, 1.0 / (1.0 / np.where(usable, cells, 1.0)).sum(axis=0), 0.0)
    dev = np.where(usable, a - x, 0.0)

    def total(v):
        return np.bincount(j, weights=v, minlength=size)

    sw = total(w)
    stat = total(np.divide(dev * dev, w, out=np.zeros_like(w), where=w > 0))
    if tarone:
        stat = stat - np.divide(total(dev) ** 2, sw, out=np.zeros_like(sw), where=sw > 0)
    df = np.bincount(j, weights=usable.astype(np.float64), minlength=size) - 1.0
    defined = (df >= 1) & np.isfinite(psi_t) & (psi_t > 0)
    stat = np.where(defined, np.maximum(stat, 0.0), np.nan)
    p = np.where(defined, special.chdtrc(np.maximum(df, 1.0), stat), np.nan)  # = scipy.stats.chi2.sf
    return {"statistic": stat, "df": np.where(defined, df, np.nan), "p": p}


def stratum_labels(values) -> np.ndarray:
    """One string label per document; missing values (None, NaN, empty) become :data:`MISSING`."""
    s = pd.Series(values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else np.asarray(values, dtype=object),
                  dtype=object)
    s = s.where(~s.isna(), MISSING).astype(str)
    return s.where(s.str.strip() != "", MISSING).to_numpy(dtype=object)


def keyness_stratified(
    X,
    vocab: Sequence[str] | pd.Index,
    target,
    reference=None,
    strata=None,
    *,
    outlets=None,
    target_name: str = "target",
    reference_name: str = "reference",
    strata_name: str = "stratum",
    correct: bool = False,
    homogeneity: bool = True,
    measure_sort: str = "chi2_mh",
    correction: str | None = "fdr_bh",
    alpha: float = 0.05,
    min_count: int = 1,
    min_docs: int = 1,
    min_outlets: int = 1,
    top: int | None = None,
) -> pd.DataFrame:
    """Keyness of every term for a target against a reference group, compared within strata.

    Parameters
    ----------
    X, vocab, target, reference, outlets, target_name, reference_name
        As for :func:`workbench.stats.keyness.keyness`.
    strata
        The stratum of each row of ``X`` (e.g. its newspaper section), any values; missing values
        form their own stratum :data:`MISSING`. Required.
    strata_name
        What the strata are (a column name such as ``"category"``), for messages and ``attrs``.
    correct
        Mantel-Haenszel continuity correction (``|Σa - ΣE| - 1/2``) in ``chi2_mh``.
    homogeneity
        Also compute the Breslow-Day/Tarone test of a common odds ratio (``breslow_day``,
        ``p_homogeneity``); ``False`` leaves them NaN.
    measure_sort
        ``"chi2_mh"`` (default) or ``"log_ratio"`` (by absolute value).
    correction, alpha
        Multiple-testing correction of ``p`` over the tested terms (``p_adj``); ``alpha`` is the
        significance level of :func:`top_terms` and ``1 - alpha`` the level of the odds ratio
        interval ``or_low``-``or_high``.
    min_count, min_docs, min_outlets
        As in :func:`keyness`, counted in the strata used.
    top
        Keep only the ``top`` strongest terms of each direction.

    Returns
    -------
    pandas.DataFrame
        One row per term, columns :data:`~workbench.stats.measures.STRATIFIED_COLUMNS`: counts,
        frequencies per 10,000 tokens, document and outlet counts of each side (strata used only);
        ``strata_target``/``strata_reference``, the number of strata in which each side uses the
        term; ``chi2_mh`` (CMH, 1 df), ``p``, ``p_adj``; ``odds_ratio_mh`` with its interval
        ``or_low``/``or_high`` (Robins-Breslow-Greenland); ``log_ratio = log2(odds_ratio_mh)``;
        ``breslow_day`` and ``p_homogeneity``; ``direction`` (``"target"``, ``"reference"``,
        ``"none"``). ``attrs`` record the groups, the strata (documents and tokens per side, used or
        not), the tokens compared, the correction and filters. :func:`top_terms` works on it.

    Example
    -------
    >>> from workbench.analysis import Analysis                                   # doctest: +SKIP
    >>> Analysis("build/demo-store").compare("camp", "regime", "opposition", stratify="section")
    """
    X, terms, t_mask, r_mask = _check_inputs(X, vocab, target, reference)
    n_docs, n_terms = X.shape
    if strata is None:
        raise StatisticsError("strata is required: one stratum (e.g. a section) per row of X")
    labels = stratum_labels(strata)
    if labels.size != n_docs:
        raise StatisticsError(f"strata has {labels.size} entries but X has {n_docs} documents")
    measure_sort = _check_measure(measure_sort, STRATIFIED_MEASURES)
    correction = _check_correction(correction)
    _check_options(alpha, min_count, min_docs, min_outlets, top)

    # ------------------------------------------------------------- strata
    codes, names = pd.factorize(pd.Series(labels, dtype=object), sort=True)
    n_strata = len(names)
    lengths = np.asarray(X.sum(axis=1)).ravel().astype(np.float64)
    docs_k_t = np.bincount(codes[t_mask], minlength=n_strata)
    docs_k_r = np.bincount(codes[r_mask], minlength=n_strata)
    tok_k_t = np.bincount(codes[t_mask], weights=lengths[t_mask], minlength=n_strata)
    tok_k_r = np.bincount(codes[r_mask], weights=lengths[r_mask], minlength=n_strata)
    used_k = (tok_k_t > 0) & (tok_k_r > 0)
    strata_info = [
        {"stratum": str(names[k]), "docs_target": int(docs_k_t[k]), "docs_reference": int(docs_k_r[k]),
         "tokens_target": float(tok_k_t[k]), "tokens_reference": float(tok_k_r[k]), "used": bool(used_k[k])}
        for k in range(n_strata) if docs_k_t[k] + docs_k_r[k] > 0  # values of neither group are not strata here
    ]
    if not used_k.any():
        raise StatisticsError(
            f"no {strata_name} has documents (with tokens) of both groups, so there is nothing to compare "
            f"within strata; compare without stratifying, or stratify by another column"
        )
    t_mask = t_mask & used_k[codes]
    r_mask = r_mask & used_k[codes]
    outlet_codes = _outlet_codes(outlets, t_mask | r_mask, min_outlets)

    # ------------------------------------------- per-stratum term counts
    new_code = np.cumsum(used_k) - 1  # used strata renumbered 0 .. K-1
    k_used = int(used_k.sum())

    def stratum_sums(mask):
        rows = np.flatnonzero(mask)
        ind = sp.csr_array((np.ones(rows.size), (new_code[codes[rows]], rows)), shape=(k_used, n_docs))
        return (ind @ X).tocoo()

    A, B = stratum_sums(t_mask), stratum_sums(r_mask)
    c_k = tok_k_t[used_k]
    d_k = tok_k_r[used_k]
    # the (stratum, term) cells where either side uses the term, with both counts
    cell = np.concatenate([A.row.astype(np.int64) * n_terms + A.col, B.row.astype(np.int64) * n_terms + B.col])
    uniq, inv = np.unique(cell, return_inverse=True)
    a_cell = np.bincount(inv[:A.nnz], weights=A.data, minlength=uniq.size)
    b_cell = np.bincount(inv[A.nnz:], weights=B.data, minlength=uniq.size)
    k_cell = uniq // n_terms
    j_cell = uniq % n_terms

    a_all = np.bincount(j_cell, weights=a_cell, minlength=n_terms)
    b_all = np.bincount(j_cell, weights=b_cell, minlength=n_terms)
    strata_t = np.bincount(j_cell, weights=(a_cell > 0), minlength=n_terms).astype(np.int64)
    strata_r = np.bincount(j_cell, weights=(b_cell > 0), minlength=n_terms).astype(np.int64)
    c, d = float(c_k.sum()), float(d_k.sum())

    mh = mantel_haenszel(a_cell, b_cell, c_k[k_cell], d_k[k_cell], j_cell, n_terms=n_terms,
                         correct=correct, conf_level=1.0 - float(alpha))

    # ------------------------------------------------------------- filters
    Xt, Xr = X[t_mask], X[r_mask]
    docs_t = np.asarray((Xt > 0).sum(axis=0)).ravel().astype(np.int64)
    docs_r = np.asarray((Xr > 0).sum(axis=0)).ravel().astype(np.int64)
    sign = np.sign(np.where(np.abs(mh["deviation"]) < 1e-9 * np.maximum(a_all + b_all, 1.0), 0.0, mh["deviation"]))
    keep = (a_all + b_all) >= min_count
    key_docs = np.where(sign > 0, docs_t, np.where(sign < 0, docs_r, np.minimum(docs_t, docs_r)))
    keep &= key_docs >= min_docs
    out_t = out_r = None
    if outlet_codes is not None:
        out_t = _outlets_per_term(Xt, outlet_codes[t_mask])
        out_r = _outlets_per_term(Xr, outlet_codes[r_mask])
        if min_outlets > 1:
            key_out = np.where(sign > 0, out_t, np.where(sign < 0, out_r, np.minimum(out_t, out_r)))
            keep &= key_out >= min_outlets
    idx = np.flatnonzero(keep)
    m = idx.size

    # ------------------------------------------------------------ statistics
    chi2 = mh["chi2"][idx]
    p = g2_pvalue(chi2)  # χ² with 1 df
    p_adj = adjust_pvalues(p, correction)
    odds = mh["odds_ratio"][idx]
    with np.errstate(divide="ignore"):
        lr = np.log2(odds)
    if homogeneity:
        sel = keep[j_cell]
        remap = np.full(n_terms, -1, dtype=np.int64)
        remap[idx] = np.arange(m)
        bd = breslow_day(a_cell[sel], b_cell[sel], c_k[k_cell[sel]], d_k[k_cell[sel]], odds,
                         remap[j_cell[sel]], n_terms=m)
        bd_stat, bd_p = bd["statistic"], bd["p"]
    else:
        bd_stat = bd_p = np.full(m, np.nan)
    direction = np.where(sign[idx] > 0, "target", np.where(sign[idx] < 0, "reference", "none"))

    df = pd.DataFrame(
        {
            **_count_columns(terms, idx, a_all[idx], b_all[idx], c, d, docs_t, docs_r, out_t, out_r),
            "strata_target": strata_t[idx],
            "strata_reference": strata_r[idx],
            "chi2_mh": chi2,
            "p": p,
            "p_adj": p_adj,
            "odds_ratio_mh": odds,
            "or_low": mh["or_low"][idx],
            "or_high": mh["or_high"][idx],
            "log_ratio": lr,
            "breslow_day": bd_stat,
            "p_homogeneity": bd_p,
            "direction": pd.Series(direction.tolist(), dtype="str"),
        },
        columns=STRATIFIED_COLUMNS,
    )
    df = _sort(df, measure_sort).reset_index(drop=True)
    dropped = [s for s in strata_info if not s["used"]]
    df.attrs = {
        "groups": {"target": str(target_name), "reference": str(reference_name)},
        "docs": {"target": int(t_mask.sum()), "reference": int(r_mask.sum())},
        "tokens": {"target": int(c) if c.is_integer() else c, "reference": int(d) if d.is_integer() else d},
        "per": PER,
        "method": "cochran_mantel_haenszel",
        "stratify": str(strata_name),
        "strata": strata_info,
        "strata_used": int(k_used),
        "strata_dropped": [s["stratum"] for s in dropped],
        "docs_dropped": {"target": sum(s["docs_target"] for s in dropped),
                         "reference": sum(s["docs_reference"] for s in dropped)},
        "continuity_correction": bool(correct),
        "homogeneity": "breslow_day_tarone" if homogeneity else None,
        "n_terms_tested": int(m),
        "n_terms_vocab": int(n_terms),
        "measure_sort": measure_sort,
        "measures": STRATIFIED_MEASURES,
        "correction": correction,
        "alpha": float(alpha),
        "or_conf_level": 1.0 - float(alpha),
        "filters": {"min_count": int(min_count), "min_docs": int(min_docs), "min_outlets": int(min_outlets)},
        "has_outlets": outlet_codes is not None,
    }
    if top is not None:
        df = top_terms(df, int(top), by=measure_sort)
    return df
