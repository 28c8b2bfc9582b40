"""Distances between topics and the intertopic distance map (a static LDAvis, Sievert & Shirley 2014).

Jensen–Shannon distances between the topics' term distributions (Lin 1991), scaled to two
dimensions by classical multidimensional scaling (Gower 1966).
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from .labels import topic_labels
from .model import TopicModel

__all__ = ["topic_distances", "topic_map"]


def topic_distances(tm: TopicModel) -> np.ndarray:
    """Jensen–Shannon distances (base 2, in [0, 1]) between the topics' term distributions (K × K)."""
    phi = tm.phi
    K = phi.shape[0]
    D = np.zeros((K, K))
    with np.errstate(divide="ignore", invalid="ignore"):
        logphi = np.where(phi > 0, np.log2(phi), 0.0)
        for i in range(K):
            m = 0.5 * (phi[i][None, :] + phi[i + 1:])
            logm = np.where(m > 0, np.log2(m), 0.0)
            kl_i = np.sum(phi[i] * (logphi[i] - logm), axis=1)
            kl_j = np.sum(phi[i + 1:] * (logphi[i + 1:] - logm), axis=1)
            js = np.clip(0.5 * (kl_i + kl_j), 0.0, 1.0)
            D[i, i + 1:] = D[i + 1:, i] = np.sqrt(js)
    return D


def topic_map(tm: TopicModel, names: Mapping[int, str] | None = None, *, n_terms: int = 3,
              lam: float = 0.6) -> pd.DataFrame:
    """2-D coordinates of the topics for an intertopic distance map (as in LDAvis, static).

    Classical multidimensional scaling (principal coordinates, Gower 1966) of the Jensen–Shannon
    distances (:func:`topic_distances`); axes are signed so that the largest coordinate is positive
    (deterministic). Columns: ``topic, x, y, prevalence`` (share of tokens), ``label``.
    """
    D = topic_distances(tm)
    K = D.shape[0]
    J = np.eye(K) - 1.0 / K
    B = -0.5 * J @ (D ** 2) @ J
    vals, vecs = np.linalg.eigh(B)
    order = np.argsort(vals)[::-1][:2]
    coords = vecs[:, order] * np.sqrt(np.clip(vals[order], 0, None))[None, :]
    for a in range(coords.shape[1]):
        j = np.argmax(np.abs(coords[:, a]))
        if coords[j, a] < 0:
            coords[:, a] = -coords[:, a]
    labels = topic_labels(tm, names, n_terms=n_terms, lam=lam)
    df = pd.DataFrame({"topic": np.arange(K), "x": coords[:, 0], "y": coords[:, 1],
                       "prevalence": tm.prevalence().to_numpy(), "label": [labels[t] for t in range(K)]})
    df.attrs = {"distance": "jensen-shannon (base 2)", "scaling": "classical MDS",
                "explained": (np.clip(vals[order], 0, None) / np.clip(vals, 0, None).sum()).tolist()}
    return df
