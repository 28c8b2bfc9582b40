r"""Dispersion: how evenly a term's occurrences are spread over the parts of a corpus.

A term can be frequent because many texts use it or because a few use it a lot; frequency alone
does not tell the two apart. Dispersion measures do. Parts are the documents (articles) of a
group here, so "evenly spread" means "used across the group's articles, in proportion to their
length". Pure functions on count vectors (no file I/O), vectorised over terms: ``counts`` is
parts × terms (or one vector), ``sizes`` the parts' lengths in tokens.

* **Gries' DP** (deviation of proportions; Gries 2008): with :math:`s_i` the share of the corpus
  in part *i* and :math:`v_i` the share of the term's occurrences in part *i*,
  :math:`DP = \tfrac12 \sum_i |v_i - s_i|`. 0 = spread exactly like the text itself; values near 1
  = concentrated in a few small parts.
* **DP_norm** (Lijffijt & Gries 2012): :math:`DP / (1 - \min_i s_i)`, so the maximum is 1
  whatever the parts' sizes.
* **Juilland's D** (Juilland & Chang-Rodríguez 1964; formulated as in Gries 2008): with
  :math:`p_i = c_i / l_i` the term's relative frequency in part *i* (parts of length 0 left out),
  :math:`n` parts, :math:`D = 1 - \frac{\sigma(p)/\mu(p)}{\sqrt{n-1}}` (σ the population standard
  deviation). 1 = perfectly even, 0 = all in one part. With many small parts (thousands of
  articles) D is close to 1 for most words and discriminates poorly (Gries 2008, §3); prefer DP.

A term that never occurs has no dispersion (NaN), nor does D with fewer than two parts.

References
----------
* Juilland, A. & Chang-Rodríguez, E. (1964). *Frequency Dictionary of Spanish Words*. The Hague:
  Mouton.
* Gries, S. Th. (2008). Dispersions and adjusted frequencies in corpora. *International Journal of
  Corpus Linguistics* 13(4), 403-437.
* Lijffijt, J. & Gries, S. Th. (2012). Correction to Stefan Th. Gries' "Dispersions and adjusted
  frequencies in corpora". *International Journal of Corpus Linguistics* 17(1), 147-149.
"""
from __future__ import annotations

import numpy as np

from ..errors import StatisticsError

__all__ = ["gries_dp", "gries_dp_norm", "juilland_d"]


def _inputs(counts, sizes) -> tuple[np.ndarray, np.ndarray, bool]:
    c = np.asarray(counts, dtype=np.float64)
    vector = c.ndim == 1
    c = c[:, None] if vector else c
    s = np.asarray(sizes, dtype=np.float64)
    if c.ndim != 2 or s.ndim != 1 or len(s) != c.shape[0]:
        raise StatisticsError(f"counts must be parts × terms and sizes one length per part "
                              f"(got {np.shape(counts)} and {np.shape(sizes)})")
    if (c < 0).any() or (s < 0).any():
        raise StatisticsError("counts and part sizes must not be negative")
    return c, s, vector


def _out(x: np.ndarray, vector: bool):
    return float(x[0]) if vector else x


def gries_dp(counts, sizes):
    """Gries' (2008) DP of each term (column of ``counts``) over parts of lengths ``sizes``."""
    c, s, vector = _inputs(counts, sizes)
    total = c.sum(axis=0)
    if s.sum() <= 0:
        return _out(np.full(c.shape[1], np.nan), vector)
    share = s / s.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        dp = 0.5 * np.abs(c / total - share[:, None]).sum(axis=0)
    return _out(np.where(total > 0, dp, np.nan), vector)


def gries_dp_norm(counts, sizes):
    """DP normalised to a maximum of 1 (Lijffijt & Gries 2012): ``DP / (1 - min share)``."""
    c, s, vector = _inputs(counts, sizes)
    dp = np.atleast_1d(gries_dp(c, s))
    least = s.min() / s.sum() if len(s) and s.sum() > 0 else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        out = dp / (1.0 - least) if least < 1 else np.full_like(dp, np.nan)
    return _out(out, vector)


def juilland_d(counts, sizes):
    """Juilland's D of each term over the parts with at least one token (NaN below two parts)."""
    c, s, vector = _inputs(counts, sizes)
    keep = s > 0
    c, s = c[keep], s[keep]
    n = len(s)
    if n < 2:
        return _out(np.full(c.shape[1], np.nan), vector)
    p = c / s[:, None]
    mean = p.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = 1.0 - (p.std(axis=0) / mean) / np.sqrt(n - 1)
    return _out(np.where(mean > 0, d, np.nan), vector)
