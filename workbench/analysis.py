"""From a corpus store to statistics: select documents, tokenise (cached), count, compare.

This is the one place that joins the stages of the data flow (corpus → tokens → matrix →
statistics); the CLI, the notebooks and the benchmarks all call it, so an analysis gives the same
numbers wherever it is run.

Where caches live (:func:`cache_root`): the ``cache_dir`` argument (``workbench keyness --cache
DIR``); else the ``WORKBENCH_CACHE`` environment variable; else the store's own ``STORE/cache``;
and if that folder cannot be written (a read-only shared store), a per-user folder
``~/.cache/arabic-media-workbench/<store fingerprint>`` with a one-line notice — an analysis of a
store you may only read still runs. Cache entries are keyed by content, so one cache folder can
serve many stores.
"""
from __future__ import annotations

import errno
import hashlib
import os
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .corpus.store import Store, open_store
from .errors import StoreError, WorkbenchError, WorkbenchWarning
from .matrix import DocumentTermMatrix, build_matrix
from .text import TextSettings, TokenCache
from .text.cache import iter_token_arrays

TOKEN_FIELDS = ("title", "text")
#: Environment variable naming a cache folder for every store (overridden by ``cache_dir``).
CACHE_ENV = "WORKBENCH_CACHE"


class AnalysisError(WorkbenchError):
    """An analysis was asked for groups, dates or outlets the corpus does not have."""


@dataclass
class Selection:
    """Which documents an analysis uses: a date range and/or a list of outlets (None = all)."""

    start: str | None = None
    end: str | None = None
    outlets: Sequence[str] | None = None

    def apply(self, docs: pd.DataFrame) -> np.ndarray:
        """Boolean mask over ``docs`` (validated: unknown outlets or bad dates raise)."""
        mask = np.ones(len(docs), dtype=bool)
        for name, value in (("start", self.start), ("end", self.end)):
            if value is None:
                continue
            try:
                ts = pd.Timestamp(value)
            except (ValueError, TypeError):
                raise AnalysisError(f"{name} date '{value}' is not a date (use YYYY-MM-DD)") from None
            if name == "start":
                mask &= (docs["date"] >= ts).to_numpy()
            else:  # an end date without a time includes the whole day
                if ts == ts.normalize() and len(str(value)) <= 10:
                    ts = ts + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
                mask &= (docs["date"] <= ts).to_numpy()
        if self.outlets:
            known = set(map(str, docs["outlet"].cat.categories))
            unknown = [o for o in self.outlets if o not in known]
            if unknown:
                raise AnalysisError(
                    f"unknown outlet '{unknown[0]}' (outlets: {', '.join(sorted(known))})"
                )
            mask &= docs["outlet"].isin(list(self.outlets)).to_numpy()
        return mask

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "outlets": list(self.outlets) if self.outlets else None}


def _store(store: str | Path | Store) -> Store:
    st = store if isinstance(store, Store) else open_store(store)
    if not st.exists:
        raise StoreError(f"{st.path}: no corpus store here (run `workbench corpus import ... --store {st.path}`)")
    return st


def _unwritable(folder: Path) -> OSError | None:
    """Why ``folder`` (created if missing) cannot take new files, or None if it can.

    Tries for real (create and delete a file): permission bits do not tell the whole story
    (read-only mounts, ACLs, the superuser).
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        return e
    return None


def user_cache_root(store: str | Path | Store) -> Path:
    """The per-user cache folder of a store: ``~/.cache/arabic-media-workbench/<fingerprint[:16]>``
    (``$XDG_CACHE_HOME`` is honoured). Same content, same folder, wherever the store is mounted."""
    from .integrity import user_cache_dir

    return user_cache_dir() / _store(store).fingerprint()[:16]


def cache_root(store: str | Path | Store, cache_dir: str | os.PathLike | None = None) -> Path:
    """The folder for a store's caches: ``tokens/`` (tokenised texts) and ``topic-models/``.

    In order: ``cache_dir`` if given; else ``$WORKBENCH_CACHE``; else ``STORE/cache`` if it can be
    written; else (a read-only store, or a full disk) the per-user :func:`user_cache_root`, with a
    one-line :class:`~workbench.errors.WorkbenchWarning` saying so. A given folder is used as it
    is: if it cannot be written, building a cache there raises a one-line error naming it.

    In a notebook: ``fit_topics(dtm, k, cache_dir=cache_root(st) / "topic-models")``.
    """
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    st = _store(store)
    own = st.path / "cache"
    why = _unwritable(own)
    if why is None:
        return own
    fallback = user_cache_root(st)
    reason = why.strerror or str(why)
    if why.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = f"the store is read-only for you ({reason})"
    warnings.warn(f"cannot write caches in {own}: {reason}; using {fallback} instead "
                  f"(choose the folder with --cache DIR or {CACHE_ENV})", WorkbenchWarning, stacklevel=2)
    return fallback


def token_cache_path(store: str | Path | Store, settings: TextSettings | None = None,
                     *, workers: int | None = None, cache_dir: str | os.PathLike | None = None) -> Path:
    """Tokenise the whole store (title and text of each article) once per settings; return the cache file.

    The cache lives in ``ROOT/tokens`` (``ROOT`` from :func:`cache_root`: ``cache_dir``,
    ``$WORKBENCH_CACHE``, ``STORE/cache``, or the per-user cache when the store is read-only),
    keyed by the store's content and the settings, so a second analysis with the same settings
    does not tokenise again (nor read any text). Without ``cache_dir``/``$WORKBENCH_CACHE``, a
    verified entry already in ``STORE/cache/tokens`` is used even when that folder is read-only.
    Entries are verified before use (see :mod:`workbench.text.cache`); a damaged one is rebuilt
    with a warning. Before tokenising, every part of the store is checked against its catalogue
    SHA-256 (:meth:`Store.verify`), so the tokens always match the catalogue that keys them.
    Rows are in storage order (``Store.read(sort=False)``); texts are streamed from the Parquet parts.
    """
    st = _store(store)
    settings = settings or TextSettings()
    content = hashlib.sha256(
        ("\n".join(p["sha256"] for p in st.catalogue["parts"]) + "|" + ",".join(TOKEN_FIELDS)).encode()
    ).hexdigest()
    if cache_dir is None and not os.environ.get(CACHE_ENV):
        hit = TokenCache(st.path / "cache" / "tokens").lookup(settings, content)
        if hit is not None:
            return hit
    cache = TokenCache(cache_root(st, cache_dir) / "tokens")
    path = cache.lookup(settings, content)
    if path is not None:
        return path
    st.verify()
    texts = (f"{title or ''}\n{text or ''}"
             for title, text in zip(st.iter_column("title"), st.iter_column("text")))
    return cache.get_or_build(st.iter_column("id"), texts, settings, content, workers=workers)


def corpus_matrix(
    store: str | Path | Store,
    settings: TextSettings | None = None,
    selection: Selection | None = None,
    *,
    ngrams: int | Sequence[int] = 1,
    min_count: int = 1,
    min_df: int | float = 1,
    max_df: int | float = 1.0,
    workers: int | None = None,
    cache_dir: str | os.PathLike | None = None,
) -> DocumentTermMatrix:
    """Document-term matrix of the selected documents of a store (quanteda's ``dfm`` on a corpus).

    ``docs`` of the result holds every metadata column except the text, plus ``month``.
    ``cache_dir``: where the token cache goes (see :func:`cache_root`); recorded in ``meta`` so
    later steps (coherence, phrases) read the same cache.
    """
    st = _store(store)
    settings = settings or TextSettings()
    path = token_cache_path(st, settings, workers=workers, cache_dir=cache_dir)
    meta = st.read(sort=False, exclude=["text", "text_hash", "content_hash"])
    mask = (selection or Selection()).apply(meta)
    if not mask.any():
        raise AnalysisError("the selection (dates/outlets) leaves no documents")
    docs = meta[mask].reset_index(drop=True)
    docs["month"] = docs["date"].dt.strftime("%Y-%m")
    dtm = build_matrix(iter_token_arrays(path, mask=mask), docs, ngrams=ngrams,
                       min_count=min_count, min_df=min_df, max_df=max_df)
    dtm.meta.update({
        "store": str(st.path), "store_fingerprint": st.fingerprint(), "text_settings": settings.to_dict(),
        "text_settings_fingerprint": settings.fingerprint(), "token_fields": list(TOKEN_FIELDS),
        "selection": (selection or Selection()).to_dict(),
        "cache_dir": None if cache_dir is None else str(cache_dir),
    })
    return dtm


def group_mask(docs: pd.DataFrame, column: str, values: str | Sequence[str]) -> np.ndarray:
    """Documents whose ``column`` is one of ``values``; unknown columns or values raise with the valid ones."""
    if column not in docs.columns:
        cols = [c for c in docs.columns if c not in ("id", "title", "url", "n_words", "date")]
        raise AnalysisError(f"cannot group by '{column}': not a corpus column (try: {', '.join(cols)})")
    vals = [values] if isinstance(values, str) else list(values)
    present = docs[column].astype("string")
    valid = sorted(present.dropna().unique())
    for v in vals:
        if v not in valid:
            raise AnalysisError(f"'{v}' is not a value of '{column}' in this corpus (values: {', '.join(valid)})")
    return present.isin(vals).fillna(False).to_numpy(dtype=bool)


def compare(
    store: str | Path | Store,
    group: str,
    target: str | Sequence[str],
    reference: str | Sequence[str] | None = None,
    *,
    settings: TextSettings | None = None,
    selection: Selection | None = None,
    ngrams: int | Sequence[int] = 1,
    min_count: int = 5,
    min_outlets: int = 1,
    measure_sort: str = "G2",
    correction: str = "fdr_bh",
    prior: str | np.ndarray | None = None,
    dtm: DocumentTermMatrix | None = None,
    workers: int | None = None,
    cache_dir: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Keyness of the ``target`` group against the ``reference`` group (default: all other documents).

    Groups are values of a document column (``camp``, ``outlet``, ``month``, or any imported extra
    column). Returns the table of :func:`workbench.stats.keyness.keyness` with the analysis'
    inputs (store fingerprint, text settings, selection, groups) recorded in ``table.attrs``.
    ``cache_dir``: where the token cache goes (see :func:`cache_root`).
    """
    from .stats.keyness import keyness

    dtm = dtm or corpus_matrix(store, settings, selection, ngrams=ngrams, workers=workers,
                               cache_dir=cache_dir)
    t = group_mask(dtm.docs, group, target)
    r = group_mask(dtm.docs, group, reference) if reference is not None else ~t
    outlets = dtm.docs["outlet"].astype(str)
    for side, mask, value in (("target", t, target), ("reference", r, reference)):
        n = outlets[mask].nunique()
        if min_outlets > 1 and n < min_outlets:
            raise AnalysisError(
                f"min_outlets={min_outlets} but the {side} group '{value if value is not None else 'rest'}' "
                f"has only {n} outlet(s), so no term could be key for it; lower min_outlets"
            )
    tname = target if isinstance(target, str) else "+".join(target)
    rname = (reference if isinstance(reference, str) else "+".join(reference)) if reference is not None else f"not {tname}"
    table = keyness(
        dtm.X, dtm.vocab, t, r, outlets=dtm.docs["outlet"].astype(str).to_numpy(),
        target_name=tname, reference_name=rname, measure_sort=measure_sort, correction=correction,
        prior=prior, min_count=min_count, min_outlets=min_outlets,
    )
    table.attrs.update({
        "group": group, "target": target, "reference": reference,
        **{k: v for k, v in dtm.meta.items()},
    })
    return table
