"""One owner for an analysis: a corpus store, text settings and a selection, set up once.

:class:`Analysis` is where the stages of the data flow meet (corpus → tokens → matrix → statistics):
it checks the store once, reads its metadata once (:meth:`Store.metadata`), selects documents
(:class:`Selection`: dates, outlets, and conditions on any column such as ``category!=accidents``),
tokenises once per settings into a verified on-disk cache, exposes the ordered token stream
(:class:`~workbench.tokens.TokenStream`), memoises document-term matrices, and runs keyness and
topic models on them. The CLI, the report notebooks, the report runner and the benchmarks all go
through it, so an analysis gives the same numbers wherever it is run::

    from workbench.analysis import Analysis
    a = Analysis("build/demo-store", {"teh_marbuta": True}, where=["category!=accidents"])
    a.compare("camp", "regime", "opposition")

Where caches live (:func:`cache_root`): the ``cache_dir`` argument (``workbench keyness --cache
DIR``); else the ``WORKBENCH_CACHE`` environment variable; else the store's own ``STORE/cache``;
and if that folder cannot be written (a read-only shared store), a per-user folder
``~/.cache/arabic-media-workbench/<store fingerprint>`` with a one-line notice — an analysis of a
store you may only read still runs. Cache entries are keyed by content, so one cache folder can
serve many stores.

The functions :func:`corpus_matrix`, :func:`compare` and :func:`token_cache_path` are the same
steps for one-off calls.
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
import uuid
import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .corpus.store import Store, open_store
from .errors import AnalysisError, WorkbenchWarning
from .matrix import DocumentTermMatrix, build_matrix
from .text import TextSettings, TokenCache
from .text.cache import iter_token_arrays
from .tokens import TOKEN_FIELDS, TokenIndex, TokenStream, document_text

#: Environment variable naming a cache folder for every store (overridden by ``cache_dir``).
CACHE_ENV = "WORKBENCH_CACHE"
#: Columns a selection condition may not use (the text itself and internal hashes).
_NOT_SELECTABLE = {"text", "text_hash", "content_hash"}
_CONDITION = re.compile(r"^\s*([^=!]+?)\s*(!=|=)\s*(.*)$", re.S)


@dataclass(frozen=True)
class Condition:
    """Keep documents whose ``column`` is one of ``values`` (or, ``negate``: none of them)."""

    column: str
    values: tuple[str, ...]
    negate: bool = False

    def __str__(self) -> str:
        return f"{self.column}{'!=' if self.negate else '='}{','.join(self.values)}"


def parse_where(where: "str | Mapping[str, Any] | Iterable[str | Condition] | None") -> tuple[Condition, ...]:
    """Conditions from ``"category=politics,egypt"``, ``"category!=accidents"``, a list of them, or a
    mapping ``{column: value or [values]}`` (equality).

    In a list, an item without ``=`` continues the values of the condition before it, so
    ``["category=politics", "egypt"]`` (what a comma-separated command-line list becomes) is
    ``category=politics,egypt``.
    """
    if where is None:
        return ()
    if isinstance(where, Mapping):
        return tuple(Condition(str(k), tuple(map(str, v if isinstance(v, (list, tuple)) else [v])))
                     for k, v in where.items())
    items = [where] if isinstance(where, (str, Condition)) else list(where)
    out: list[Condition] = []
    for item in items:
        if isinstance(item, Condition):
            out.append(item)
            continue
        m = _CONDITION.match(str(item))
        if m is None:
            if out and str(item).strip():
                last = out.pop()
                out.append(Condition(last.column, last.values + (str(item).strip(),), last.negate))
                continue
            raise AnalysisError(f"where '{item}': expected COLUMN=VALUE[,VALUE] or COLUMN!=VALUE[,VALUE], "
                                "e.g. category!=accidents")
        column, op, values = m.groups()
        vals = tuple(v.strip() for v in values.split(",") if v.strip())
        if not vals:
            raise AnalysisError(f"where '{item}': no value after '{op}' (e.g. {column}{op}VALUE)")
        out.append(Condition(column.strip(), vals, op == "!="))
    return tuple(out)


def _valid_values(series: pd.Series, limit: int = 25) -> str:
    vals = sorted(series.dropna().astype(str).unique())
    more = f", … ({len(vals) - limit} more)" if len(vals) > limit else ""
    return ", ".join(vals[:limit]) + more


@dataclass
class Selection:
    """Which documents an analysis uses: a date range, outlets, and conditions on any column.

    ``where`` takes what :func:`parse_where` does (``"category!=accidents"``,
    ``["category=politics,egypt", "country=EG"]``, ``{"category": ["politics"]}``); conditions are
    combined with AND. Extra columns imported with a corpus (section, author, country) are
    selectable like ``outlet`` or ``camp``; ``month`` (``YYYY-MM``) too.
    """

    start: str | None = None
    end: str | None = None
    outlets: Sequence[str] | None = None
    where: Any = None

    def __post_init__(self) -> None:
        self.where = parse_where(self.where)

    def apply(self, docs: pd.DataFrame) -> np.ndarray:
        """Boolean mask over ``docs`` (validated: unknown outlets, columns or values, bad dates raise)."""
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
        for cond in self.where:
            if cond.column not in docs.columns or cond.column in _NOT_SELECTABLE:
                cols = [c for c in docs.columns if c not in _NOT_SELECTABLE | {"title", "url"}]
                raise AnalysisError(f"where '{cond}': '{cond.column}' is not a corpus column "
                                    f"(columns: {', '.join(cols)})")
            col = docs[cond.column]
            if cond.column == "date":
                col = col.dt.strftime("%Y-%m-%d")
            values = col.astype("string")
            present = set(values.dropna().unique())
            missing = [v for v in cond.values if v not in present]
            if missing:
                raise AnalysisError(f"where '{cond}': '{missing[0]}' is not a value of '{cond.column}' "
                                    f"(values: {_valid_values(values)})")
            hit = values.isin(list(cond.values)).fillna(False).to_numpy(dtype=bool)
            mask &= ~hit if cond.negate else hit
        return mask

    def to_dict(self) -> dict:
        out = {"start": self.start, "end": self.end, "outlets": list(self.outlets) if self.outlets else None}
        if self.where:
            out["where"] = [str(c) for c in self.where]
        return out

    def describe(self) -> str:
        """The selection in words, for tables and reports (``all documents`` when empty)."""
        parts = []
        if self.start or self.end:
            parts.append(f"dates {self.start or '…'} to {self.end or '…'}")
        if self.outlets:
            parts.append(f"outlets {', '.join(self.outlets)}")
        parts += [str(c) for c in self.where]
        return "; ".join(parts) or "all documents"


def _store(store: str | Path | Store) -> Store:
    return (store if isinstance(store, Store) else open_store(store)).require()


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
                     *, workers: int | None = None, cache_dir: str | os.PathLike | None = None,
                     scheduler: Any = None) -> Path:
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

    ``scheduler`` tokenises on a Dask cluster (``"local"``, an address such as ``tcp://host:8786``,
    a ``distributed.Client`` or cluster object; default ``$WORKBENCH_DASK_SCHEDULER``, else no Dask):
    the texts go to the workers in chunks and the client writes the same cache file, in the same
    order (see :mod:`workbench.cluster`). A cache hit starts no cluster.
    """
    from .cluster import resolve_scheduler

    scheduler = resolve_scheduler(scheduler)
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
    if settings.tokens != "surface":  # analyse the corpus' distinct words once, in parallel, before tokenising
        from .text.morphology import prepare

        prepare((document_text(title, text) for title, text in zip(st.iter_column("title"), st.iter_column("text"))),
                settings, workers=workers)
    texts = (document_text(title, text) for title, text in zip(st.iter_column("title"), st.iter_column("text")))
    total = sum(int(p.get("rows") or 0) for p in st.catalogue["parts"]) or None  # for the progress bar
    return cache.get_or_build(st.iter_column("id"), texts, settings, content, workers=workers, total=total,
                              scheduler=scheduler)


class Analysis:
    """A corpus store, text settings and a selection: every stage of an analysis, set up once.

    ``store`` is a store folder or :class:`~workbench.corpus.store.Store` (checked once: a missing
    store is a one-line error); :meth:`from_source` imports a file first. ``settings`` is anything
    :meth:`TextSettings.coerce` takes (settings, a dict, a YAML file, None for defaults).
    ``selection`` is a :class:`Selection` (or its fields as keywords: ``start``, ``end``,
    ``outlets``, ``where``). ``cache_dir`` and ``workers`` go to the token cache (see
    :func:`cache_root`). ``scheduler`` runs the parallel stages (tokenising, story similarity) on
    Dask: ``"local"`` for a local cluster, or any ``dask.distributed`` scheduler address, client or
    cluster object; default ``$WORKBENCH_DASK_SCHEDULER``, else none (see :mod:`workbench.cluster`).
    The results are the same either way.

    Everything is computed on first use and kept: :attr:`metadata` (every stored article, no text,
    storage order), :attr:`docs` (the selected ones), :meth:`tokens` (the ordered token stream),
    :meth:`matrix` (one per set of matrix options), :meth:`compare`, :meth:`fit_topics`,
    :meth:`manifest`.
    """

    def __init__(self, store: str | os.PathLike | Store, settings: Any = None,
                 selection: Selection | None = None, *, start: str | None = None, end: str | None = None,
                 outlets: Sequence[str] | None = None, where: Any = None,
                 cache_dir: str | os.PathLike | None = None, workers: int | None = None,
                 scheduler: Any = None):
        from .cluster import resolve_scheduler

        self.store = _store(store)
        self.settings = TextSettings.coerce(settings)
        if selection is not None and any(v is not None for v in (start, end, outlets, where)):
            raise AnalysisError("give either a Selection or start/end/outlets/where, not both")
        self.selection = selection or Selection(start=start, end=end, outlets=outlets, where=where)
        self.cache_dir = cache_dir
        self.workers = workers
        self.scheduler = resolve_scheduler(scheduler)
        self._matrices: dict[tuple, DocumentTermMatrix] = {}

    @classmethod
    def from_source(cls, source: str | os.PathLike, *, registry: str | os.PathLike | None = None,
                    store: str | os.PathLike | None = None, **kwargs) -> "Analysis":
        """An analysis of a corpus file (JSONL, CSV, TSV or a .txt folder), imported once.

        Without ``store`` the file is imported into ``build/stores/<name>-<hash of its content>``
        the first time and reused after (see :func:`workbench.corpus.store.import_once`).
        """
        from .corpus.store import import_once

        return cls(import_once(source, store=store, registry=registry), **kwargs)

    def __repr__(self) -> str:
        return (f"Analysis(store={str(self.store.path)!r}, settings={self.settings.fingerprint()}, "
                f"selection={self.selection.describe()!r})")

    # ------------------------------------------------------------------ documents
    @cached_property
    def fingerprint(self) -> str:
        """The store's content fingerprint (same corpus, same value)."""
        return self.store.fingerprint()

    @cached_property
    def metadata(self) -> pd.DataFrame:
        """Every stored article's metadata (no text), storage order, with ``month``."""
        return self.store.metadata()

    @cached_property
    def mask(self) -> np.ndarray:
        """The selected rows of :attr:`metadata`."""
        mask = self.selection.apply(self.metadata)
        if not mask.any():
            raise AnalysisError(f"the selection ({self.selection.describe()}) leaves no documents")
        return mask

    @cached_property
    def docs(self) -> pd.DataFrame:
        """The selected documents' metadata (the rows of every matrix), storage order."""
        return self.metadata[self.mask].reset_index(drop=True)

    # ------------------------------------------------------------------ tokens
    @cached_property
    def cache_root(self) -> Path:
        """Where this analysis' caches go (see :func:`cache_root`)."""
        return cache_root(self.store, self.cache_dir)

    @cached_property
    def token_cache(self) -> Path:
        """The token cache file of the whole store under these settings (built on first use)."""
        return token_cache_path(self.store, self.settings, workers=self.workers, cache_dir=self.cache_dir,
                                scheduler=False if self.scheduler is None else self.scheduler)

    def with_settings(self, settings: Any = None, **changes: Any) -> "Analysis":
        """The same documents under other text settings (``changes`` override single options).

        The new analysis shares this one's store, selection, cache folder and already-read
        metadata; it has its own token cache. Concordances and lexicons use it to keep every word
        (``remove_stopwords=False, min_length=1``).
        """
        base = self.settings if settings is None else TextSettings.coerce(settings)
        new = TextSettings.coerce(base, **changes)
        if new == self.settings:
            return self
        other = Analysis(self.store, new, self.selection, cache_dir=self.cache_dir, workers=self.workers,
                         scheduler=False if self.scheduler is None else self.scheduler)
        for name in ("fingerprint", "metadata", "mask", "docs", "cache_root"):
            if name in self.__dict__:
                other.__dict__[name] = self.__dict__[name]
        return other

    def reading(self) -> "Analysis":
        """This analysis keeping every word (no stopword removal, no minimum length), memoised:
        what concordances, lexicon counts and term trends match against."""
        if "_reading" not in self.__dict__:
            self.__dict__["_reading"] = self.with_settings(remove_stopwords=False, min_length=1)
        return self.__dict__["_reading"]

    def token_index(self) -> TokenIndex:
        """All tokens of the selected documents as one flat array (memoised), for fast matching."""
        if "_token_index" not in self.__dict__:
            self.__dict__["_token_index"] = TokenIndex.from_cache(self.token_cache, self.mask)
        return self.__dict__["_token_index"]

    def tokens(self) -> TokenStream:
        """The ordered token stream of the selected documents (see :class:`~workbench.tokens.TokenStream`)."""
        return TokenStream(self.token_cache, self.docs["id"].astype(str).to_numpy(), self.settings, self.store)

    # ------------------------------------------------------------------ counts and statistics
    def matrix(self, ngrams: int | Sequence[int] = 1, *, min_count: int = 1, min_df: int | float = 1,
               max_df: int | float = 1.0) -> DocumentTermMatrix:
        """Document-term matrix of the selected documents (quanteda's ``dfm``), memoised per options.

        ``docs`` of the result holds every metadata column except the text, plus ``month``; its
        ``tokens`` is the ordered token stream, and ``meta`` records the store, settings, selection
        and cache folder.
        """
        key = (ngrams if isinstance(ngrams, int) else tuple(ngrams), min_count, min_df, max_df)
        if key not in self._matrices:
            dtm = build_matrix(iter_token_arrays(self.token_cache, mask=self.mask), self.docs, ngrams=ngrams,
                               min_count=min_count, min_df=min_df, max_df=max_df,
                               scheduler=False if self.scheduler is None else self.scheduler)
            dtm.meta.update({
                "store": str(self.store.path), "store_fingerprint": self.fingerprint,
                "text_settings": self.settings.to_dict(), "text_settings_fingerprint": self.settings.fingerprint(),
                "token_fields": list(TOKEN_FIELDS), "selection": self.selection.to_dict(),
                "cache_dir": None if self.cache_dir is None else str(self.cache_dir),
            })
            dtm.tokens = self.tokens()
            self._matrices[key] = dtm
        return self._matrices[key]

    def compare(self, group: str, target: str | Sequence[str], reference: str | Sequence[str] | None = None,
                *, ngrams: int | Sequence[int] = 1, min_count: int = 5, min_outlets: int = 1,
                measure_sort: str = "G2", correction: str = "fdr_bh", prior: str | np.ndarray | None = None,
                dtm: DocumentTermMatrix | None = None, stratify: str | None = None) -> pd.DataFrame:
        """Keyness of the ``target`` group against ``reference`` (default: all other documents).

        Groups are values of a document column (``camp``, ``outlet``, ``month``, or any imported
        extra column). Returns the table of :func:`workbench.stats.keyness.keyness` (G², Dunning
        1993; log ratio, Hardie 2014; weighted log-odds, Monroe, Colaresi & Quinn 2008) with the
        analysis' inputs (store fingerprint, text settings, selection, groups) in ``table.attrs``.

        ``stratify="category"`` compares the groups within each value of that column instead
        (Cochran-Mantel-Haenszel test and Mantel-Haenszel odds ratio, see
        :func:`workbench.stats.stratified.keyness_stratified`; documents without a value form the
        stratum ``(missing)``; values only one group has are left out); ``measure_sort`` is then
        ``chi2_mh`` (``G2`` is taken to mean it) or ``log_ratio``, and ``prior`` is not used.
        """
        from .stats.keyness import keyness

        dtm = dtm if dtm is not None else self.matrix(ngrams)
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
        rname = (reference if isinstance(reference, str) else "+".join(reference)) if reference is not None \
            else f"not {tname}"
        if stratify is not None:
            from .stats.stratified import keyness_stratified

            if stratify not in dtm.docs.columns:
                cols = [c for c in dtm.docs.columns if c not in ("id", "title", "url", "n_words", "date")]
                raise AnalysisError(f"cannot stratify by '{stratify}': not a corpus column (try: {', '.join(cols)})")
            if stratify == group:
                raise AnalysisError(f"cannot stratify by '{group}', the column that defines the groups: "
                                    "every stratum would hold one group only")
            table = keyness_stratified(
                dtm.X, dtm.vocab, t, r, dtm.docs[stratify], outlets=outlets.to_numpy(), target_name=tname,
                reference_name=rname, strata_name=stratify, correction=correction, min_count=min_count,
                min_outlets=min_outlets, measure_sort="chi2_mh" if measure_sort == "G2" else measure_sort,
            )
        else:
            table = keyness(
                dtm.X, dtm.vocab, t, r, outlets=outlets.to_numpy(),
                target_name=tname, reference_name=rname, measure_sort=measure_sort, correction=correction,
                prior=prior, min_count=min_count, min_outlets=min_outlets,
            )
        table.attrs.update({"group": group, "target": target, "reference": reference, **dtm.meta})
        return table

    def topic_matrix(self, *, min_df: int | float = 2, max_df: int | float = 0.5) -> DocumentTermMatrix:
        """The unigram matrix trimmed for topic models (rare and ubiquitous words out), memoised.

        Trimmed from :meth:`matrix` when that is already counted; otherwise counted with the bounds
        (:func:`~workbench.matrix.build_matrix` drops the columns before stacking), so on a large
        corpus the untrimmed matrix is never held beside it. The two give the same matrix."""
        from .matrix import trim

        key = ("topics", min_df, max_df)
        if key not in self._matrices:
            full = self._matrices.get((1, 1, 1, 1.0))
            self._matrices[key] = trim(full, min_df=min_df, max_df=max_df) if full is not None \
                else self.matrix(1, min_df=min_df, max_df=max_df)
        return self._matrices[key]

    def fit_topics(self, k: int, *, dtm: DocumentTermMatrix | None = None, **kwargs):
        """An LDA topic model of the selected documents (Blei, Ng & Jordan 2003), cached.

        ``dtm`` defaults to :meth:`topic_matrix`; ``kwargs`` go to
        :func:`workbench.topics.fit_topics` (``seed``, ``passes``, ...). Models are cached in
        ``cache_root/topic-models``.
        """
        from .topics import fit_topics

        kwargs.setdefault("cache_dir", self.cache_root / "topic-models")
        kwargs.setdefault("scheduler", False if self.scheduler is None else self.scheduler)
        return fit_topics(dtm if dtm is not None else self.topic_matrix(), k, **kwargs)

    def select_k(self, k_range: Sequence[int], *, dtm: DocumentTermMatrix | None = None, **kwargs) -> pd.DataFrame:
        """Coherence and held-out perplexity per K (see :func:`workbench.topics.selection.select_k`)."""
        from .topics.selection import select_k

        kwargs.setdefault("cache_dir", self.cache_root / "topic-models")
        return select_k(dtm if dtm is not None else self.topic_matrix(), list(k_range), **kwargs)

    def manifest(self) -> dict:
        """What a result of this analysis depends on, for a report's ``manifest.json``."""
        reg = self.store.registry
        return {
            "store": str(self.store.path.resolve()), "fingerprint": self.fingerprint,
            "registry": reg.name if reg else None, "articles": int(len(self.metadata)),
            "selected": int(self.mask.sum()), "selection": self.selection.to_dict(),
            "text_settings": {**self.settings.to_dict(), "fingerprint": self.settings.fingerprint()},
            **({"morphology": _morphology_manifest()} if self.settings.tokens != "surface" else {}),
        }


def _morphology_manifest() -> dict:
    from .text.morphology import morphology_info

    return morphology_info().to_dict()


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
    """Document-term matrix of the selected documents of a store: :meth:`Analysis.matrix` in one call."""
    return Analysis(store, settings, selection, cache_dir=cache_dir, workers=workers).matrix(
        ngrams, min_count=min_count, min_df=min_df, max_df=max_df)


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
    stratify: str | None = None,
) -> pd.DataFrame:
    """Keyness of ``target`` against ``reference`` in a store: :meth:`Analysis.compare` in one call."""
    return Analysis(store, settings, selection, cache_dir=cache_dir, workers=workers).compare(
        group, target, reference, ngrams=ngrams, min_count=min_count, min_outlets=min_outlets,
        measure_sort=measure_sort, correction=correction, prior=prior, dtm=dtm, stratify=stratify)
