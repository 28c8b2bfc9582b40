"""The fitted topic model (:class:`TopicModel`), saved to and loaded from a signed folder.

Safety. A gensim model file is a pickle: loading it runs whatever code it names; a tomotopy model
(``backend="tomotopy"``) is tomotopy's own binary format, read by C++ code. So every saved
model folder carries a manifest of its files' SHA-256 signed with this user's secret key
(:mod:`workbench.integrity`), and nothing is unpickled unless the manifest verifies: a model
folder copied from another machine or account, or changed since it was written, is refused by
:func:`load_topics` and, in the cache of :func:`workbench.topics.fit.fit_topics`, retrained with a
one-line warning. For a store you may only read, put the cache elsewhere:
``cache_dir=workbench.analysis.cache_root(store) / "topic-models"``.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import TopicError, describe_os_error

__all__ = ["TopicModel", "load_topics"]


@dataclass
class TopicModel:
    """A fitted LDA model with everything needed to label topics and compare groups.

    ``model``: the gensim ``LdaModel`` or the ``tomotopy.LDAModel`` (``backend``); ``vocab``: the matrix' terms (``model`` term ids are their
    positions); ``docs``: one metadata row per document (aligned with ``theta``); ``theta``:
    documents × topics proportions (rows sum to 1); ``term_frequency`` / ``doc_lengths``: counts
    from the matrix (for relevance and token-weighted prevalence); ``params``: the manifest — seed,
    every hyper-parameter, corpus and text-settings fingerprints, matrix filters, cache key —
    deterministic for the same inputs; ``info``: how this object was obtained (training seconds,
    whether it came from the cache, where it is stored); ``topic_word``: φ as stored (tomotopy
    models, whose vocabulary may lack terms of the matrix; gensim's φ is read from the model).
    """

    model: object
    vocab: pd.Index
    docs: pd.DataFrame
    theta: np.ndarray
    term_frequency: np.ndarray
    doc_lengths: np.ndarray
    params: dict
    info: dict = field(default_factory=dict)
    topic_word: np.ndarray | None = field(default=None, repr=False)

    @property
    def k(self) -> int:
        return int(self.theta.shape[1])

    @property
    def manifest(self) -> dict:
        """Alias of ``params`` (what a report manifest records)."""
        return self.params

    @property
    def backend(self) -> str:
        """``"gensim"`` or ``"tomotopy"`` (models saved before backends existed are gensim)."""
        return self.params.get("backend", "gensim")

    @property
    def phi(self) -> np.ndarray:
        """Topic-term distributions φ (K × V, float64, rows sum to 1)."""
        if self.topic_word is not None:
            return self.topic_word
        lam = np.asarray(self.model.state.get_lambda(), dtype=np.float64)
        return lam / lam.sum(axis=1, keepdims=True)

    def theta_frame(self) -> pd.DataFrame:
        """θ as a DataFrame: one row per document (index = document id), one column per topic."""
        return pd.DataFrame(self.theta, index=pd.Index(self.docs["id"].astype(str), name="id"),
                            columns=pd.RangeIndex(self.k, name="topic"))

    def prevalence(self) -> pd.Series:
        """Share of all tokens assigned to each topic (θ weighted by document length)."""
        w = self.doc_lengths.astype(np.float64)
        tot = w.sum()
        share = (w @ self.theta) / tot if tot > 0 else self.theta.mean(axis=0)
        return pd.Series(share, index=pd.RangeIndex(self.k, name="topic"), name="prevalence")

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model to folder ``path`` (replaced atomically if it exists); return it.

        The folder is signed for this user (:mod:`workbench.integrity`): :func:`load_topics` loads
        it on this machine and account, and refuses it anywhere else or once a file is changed.
        """
        return _save(self, Path(path))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "TopicModel":
        return load_topics(path)


_FILES = ("model", "theta.npy", "term_frequency.npy", "doc_lengths.npy", "vocab.json",
          "params.json", "docs.parquet")
_KIND = "topic-model"


def _save(tm: TopicModel, path: Path) -> Path:
    from ..integrity import IntegrityError, write_manifest

    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
    except OSError as e:
        raise TopicError(describe_os_error(e, path.parent, "save the topic model")) from None
    try:
        if tm.backend == "tomotopy":
            tm.model.save(str(tmp / "model"), full=False)  # tomotopy's own format, without the documents
            np.save(tmp / "topic_word.npy", tm.phi)
        else:
            tm.model.save(str(tmp / "model"))
        np.save(tmp / "theta.npy", tm.theta)
        np.save(tmp / "term_frequency.npy", tm.term_frequency)
        np.save(tmp / "doc_lengths.npy", tm.doc_lengths)
        (tmp / "vocab.json").write_text(json.dumps([str(t) for t in tm.vocab], ensure_ascii=False),
                                        encoding="utf-8")
        (tmp / "params.json").write_text(json.dumps(tm.params, ensure_ascii=False, indent=1, default=str),
                                         encoding="utf-8")
        tm.docs.to_parquet(tmp / "docs.parquet", index=False)
        write_manifest(tmp, _KIND)
        if path.exists():
            old = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.old")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise TopicError(describe_os_error(e, path, "save the topic model")) from None
    except IntegrityError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise TopicError(f"{path}: cannot save the topic model: {e}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _verified(path: Path) -> None:
    """Raise TopicError unless ``path`` is a model folder this user's workbench wrote, unchanged."""
    from ..integrity import IntegrityError, verify_manifest

    try:
        verify_manifest(path, _KIND)
    except IntegrityError as e:
        raise TopicError(
            f"{path}: refused to load this topic model: {e}. A gensim model is a pickle, and loading "
            "one runs code stored in it (a tomotopy model is parsed by C++ code), so only models saved by this workbench on this machine and "
            "account, unchanged since, are loaded; retrain it with fit_topics()") from None


def load_topics(path: str | os.PathLike) -> TopicModel:
    """Load a model written by :meth:`TopicModel.save` (or by the cache of :func:`fit_topics`).

    The folder's signed manifest is checked first (:mod:`workbench.integrity`): a folder not
    written by this workbench under this user account, or changed since, raises
    :class:`TopicError` and nothing in it is unpickled.
    """
    path = Path(path)
    missing = [f for f in _FILES if not (path / f).exists()]
    if missing:
        raise TopicError(f"{path}: not a saved topic model (missing {', '.join(missing)}); "
                         "save one with TopicModel.save(path) or fit_topics(..., cache_dir=...)")
    _verified(path)
    try:
        params = json.loads((path / "params.json").read_text(encoding="utf-8"))
        topic_word = None
        if params.get("backend", "gensim") == "tomotopy":
            import tomotopy

            # tomotopy's own binary format, parsed in C++ (no pickle); verified above all the same
            model = tomotopy.LDAModel.load(os.fspath(path / "model"))
            topic_word = np.load(path / "topic_word.npy", allow_pickle=False)
        else:
            from gensim.models import LdaModel

            model = LdaModel.load(str(path / "model"))
        vocab = pd.Index(json.loads((path / "vocab.json").read_text(encoding="utf-8")), dtype=object, name="term")
        return TopicModel(
            model=model, vocab=vocab, docs=pd.read_parquet(path / "docs.parquet"),
            theta=np.load(path / "theta.npy", allow_pickle=False),
            term_frequency=np.load(path / "term_frequency.npy", allow_pickle=False),
            doc_lengths=np.load(path / "doc_lengths.npy", allow_pickle=False), params=params,
            info={"cached": True, "path": str(path)}, topic_word=topic_word,
        )
    except Exception as e:  # signed by us, yet unreadable (e.g. another gensim version)
        raise TopicError(f"{path}: cannot load this topic model ({type(e).__name__}: "
                         f"{' '.join(str(e).split())[:200]}); retrain it with fit_topics()") from None
