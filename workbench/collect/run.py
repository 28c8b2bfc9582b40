"""Collect articles from the registry's outlets into a store: feeds → pages → main text → import.

:func:`collect` reads each outlet's feeds (RSS/Atom, or sitemaps; :mod:`workbench.collect.feeds`),
fetches every article page it has not stored yet through one :class:`~workbench.collect.http.PoliteClient`
(robots.txt, a pause between requests to a host, timeouts, a size cap, retries, http(s) redirects
only), extracts title, date, author and main text (:mod:`workbench.collect.extract`) and imports
the articles through :func:`workbench.corpus.store.import_sources`, the same validation and atomic
store as ``workbench corpus import``: exact duplicates and articles already stored are dropped,
invalid records are kept in the store's ``rejects/`` with their reasons.

**Incremental and resumable.** Each outlet has a state file, ``<store>/collect/<outlet>.json``: the
URLs already handled (stored, or failed with the reason; a failure that may pass — a timeout, a
5xx — is tried again on the next runs, at most :data:`MAX_TRIES` times) and each feed's ``ETag``
and ``Last-Modified``, sent back so that an unchanged feed answers 304 and costs nothing. Articles
are imported ``commit_every`` at a time and the state is written (atomically) right after each
import, so a run that is killed loses at most the articles of the batch in flight; the next run
fetches them again (an article imported just before the kill is then dropped as already stored).
A feed's validators are saved only once every item it listed has been handled.

**Provenance.** Every article carries, as store columns, its ``url`` (after redirects),
``feed_url``, ``fetched_at`` (UTC), ``http_status``, ``html_sha256`` (SHA-256 of the page's bytes
as received), ``encoding`` (how the page was decoded), ``extractor`` (trafilatura and its
version) and ``collect_run``. With ``keep_html`` the page itself is kept, gzip-compressed and named
by its hash, in ``<store>/collect/html/``, so that an extraction can be re-run later with a newer
extractor. Each run's summary is written to ``<store>/collect/runs/<run>.json``.

**One outlet failing never stops the others**: outlets are collected side by side (one thread
each, at most ``workers``; requests to one host never overlap), and an outlet whose feeds all
fail is reported as failed with the reason.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ..errors import ArgumentError, CollectError, RegistryError, StoreError, WorkbenchError
from .extract import MIN_WORDS, ExtractError, extract_article
from .feeds import FeedItem, FeedSpec, feed_specs, read_feed, read_sitemap
from .http import FetchError, PoliteClient

__all__ = ["collect", "CollectResult", "MAX_TRIES", "SUMMARY_COLUMNS"]

#: Runs in which a page that failed for a reason that may pass (timeout, 5xx) is tried.
MAX_TRIES = 3
#: Sitemaps of a sitemap index read per run and outlet (the newest are usually listed first).
MAX_SITEMAPS = 20
#: Columns of :attr:`CollectResult.table`.
SUMMARY_COLUMNS = ["outlet", "status", "feeds", "feeds_unchanged", "items", "fetched", "new", "duplicate",
                   "failed", "reasons"]

_STATE_VERSION = 1


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@dataclass
class CollectResult:
    """What a :func:`collect` run did: one row per outlet (:data:`SUMMARY_COLUMNS`), the run id and
    the import results. ``failed_outlets`` lists the outlets whose feeds could not be read at all."""

    run: str
    table: pd.DataFrame
    imports: list = field(default_factory=list)
    started: str = ""
    finished: str = ""

    @property
    def failed_outlets(self) -> list[str]:
        return list(self.table.loc[self.table["status"] == "failed", "outlet"])

    @property
    def new(self) -> int:
        return int(self.table["new"].sum()) if len(self.table) else 0

    def summary(self) -> str:
        lines = [f"collect run {self.run}: {self.new:,} new article(s) from {len(self.table)} outlet(s)"]
        for r in self.table.itertuples(index=False):
            line = (f"  {r.outlet}: {r.status}; {r.items} item(s) in {r.feeds} feed(s)"
                    f"{f' ({r.feeds_unchanged} unchanged)' if r.feeds_unchanged else ''}, {r.fetched} fetched, "
                    f"{r.new} new, {r.duplicate} duplicate, {r.failed} failed")
            if r.reasons:
                line += f" — {r.reasons}"
            lines.append(line)
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"run": self.run, "started": self.started, "finished": self.finished,
                "outlets": self.table.to_dict(orient="records"), "imports": self.imports}


# ---------------------------------------------------------------------------- state
class _State:
    """The collection state of one outlet in the store (see the module docstring)."""

    def __init__(self, path: Path, outlet: str):
        self.path = path
        self.outlet = outlet
        data = {}
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                raise StoreError(f"{path}: the collection state cannot be read ({' '.join(str(e).split())[:100]}); "
                                 "delete it to collect this outlet from scratch") from None
            if not isinstance(data, dict) or data.get("version") != _STATE_VERSION:
                raise StoreError(f"{path}: not a collection state of this workbench version; delete it to "
                                 "collect this outlet from scratch")
        self.feeds: dict = dict(data.get("feeds") or {})
        self.urls: dict = dict(data.get("urls") or {})

    def wants(self, url: str, since: str | None = None) -> bool:
        """Whether ``url`` should be fetched in a run with ``since``: never seen; failed for a
        reason that may pass (fewer than :data:`MAX_TRIES` times); or left out by an earlier
        ``--since`` and published on or after this run's ``since``."""
        seen = self.urls.get(url)
        if seen is None:
            return True
        if seen.get("status") == "skipped":
            return since is None or str(seen.get("published", "")) >= since
        return bool(seen.get("status") == "failed" and seen.get("transient") and int(seen.get("tries", 0)) < MAX_TRIES)

    def retries(self, since: str | None = None) -> list[FeedItem]:
        """Items to try again even if their feed is unchanged (see :meth:`wants`)."""
        return [FeedItem(u, **v["item"]) for u, v in self.urls.items() if "item" in v and self.wants(u, since)]

    def save(self) -> None:
        _write_json(self.path, {"version": _STATE_VERSION, "outlet": self.outlet, "feeds": self.feeds,
                                "urls": self.urls})


# ---------------------------------------------------------------------------- one outlet
class _Outlet:
    def __init__(self, outlet: dict, specs: list[FeedSpec], ctx: "_Run"):
        self.id = outlet["id"]
        self.specs = specs
        self.ctx = ctx
        self.state = _State(ctx.root / f"{self.id}.json", self.id)
        self.row = {"outlet": self.id, "status": "ok", "feeds": len(specs), "feeds_unchanged": 0, "items": 0,
                    "fetched": 0, "new": 0, "duplicate": 0, "failed": 0, "reasons": ""}
        self.reasons: Counter = Counter()
        self.pending: list[tuple[FeedItem, dict]] = []   # (item, record) waiting for the next import

    # feeds ----------------------------------------------------------------
    def _read_feeds(self) -> tuple[list[FeedItem], dict]:
        items, validators, errors = [], {}, []
        for spec in self.specs:
            try:
                got, v = self._read_one(spec)
            except (FetchError, ValueError) as e:
                hint = "" if spec.verified else " — the registry marks this feed unverified: check its address"
                errors.append(f"{spec.url[:80]}: {getattr(e, 'reason', None) or e}{hint}")
                continue
            if got is None:
                self.row["feeds_unchanged"] += 1
            else:
                for it in got:
                    it.feed = it.feed or spec.url
                items += got
            if v:
                validators[spec.url] = v
        if errors and len(errors) == len(self.specs):
            raise FetchError("; ".join(errors))
        for e in errors:
            self.reasons[f"feed failed ({e})"] += 1
        return items, validators

    def _read_one(self, spec: FeedSpec) -> tuple[list[FeedItem] | None, dict]:
        client = self.ctx.client
        prev = self.state.feeds.get(spec.url, {})
        headers = {}
        if prev.get("etag"):
            headers["If-None-Match"] = prev["etag"]
        if prev.get("last_modified"):
            headers["If-Modified-Since"] = prev["last_modified"]
        r = client.get(spec.url, headers)
        v = {"etag": r.headers.get("etag"), "last_modified": r.headers.get("last-modified"), "checked": r.fetched_at}
        if r.status == 304:
            return None, {**prev, "checked": r.fetched_at}
        if spec.kind == "feed":
            return read_feed(r.body, r.url), v
        pages, maps = read_sitemap(r.body, r.url)
        for sub in maps[:MAX_SITEMAPS]:
            try:
                more, _ = read_sitemap(client.get(sub).body, sub)
                pages += more
            except (FetchError, ValueError) as e:
                self.reasons[f"sitemap failed ({getattr(e, 'reason', None) or e})"] += 1
        return pages, v

    # pages ----------------------------------------------------------------
    def _fail(self, item: FeedItem, reason: str, transient: bool) -> None:
        prev = self.state.urls.get(item.url, {})
        self.state.urls[item.url] = {"status": "failed", "reason": reason, "transient": transient,
                                     "tries": int(prev.get("tries", 0)) + 1, "at": _now(),
                                     "item": {"title": item.title, "published": item.published, "author": item.author,
                                              "feed": item.feed}}
        self.row["failed"] += 1
        self.reasons[reason.split(" (")[0] if not reason.startswith("too short") else "too short"] += 1

    def _fetch(self, item: FeedItem, feed_url: str) -> None:
        ctx = self.ctx
        try:
            r = ctx.client.get(item.url)
        except FetchError as e:
            self._fail(item, e.reason, e.transient)
            return
        self.row["fetched"] += 1
        if r.status != 200 or not r.body:
            self._fail(item, f"HTTP {r.status} without a page", False)
            return
        try:
            art = extract_article(r.body, r.url, charset=r.charset, feed_date=item.published,
                                  feed_title=item.title, feed_author=item.author, min_words=ctx.min_words)
        except ExtractError as e:
            self._fail(item, e.reason, False)
            return
        except Exception as e:   # scraped pages are hostile: an extractor crash refuses the page, not the run
            self._fail(item, f"extraction failed ({type(e).__name__}: {' '.join(str(e).split())[:100]})", False)
            return
        if ctx.since and art["date"][:10] < ctx.since:
            self.state.urls[item.url] = {"status": "skipped", "reason": f"published {art['date'][:10]}, before "
                                         f"--since {ctx.since}", "published": art["date"][:10], "at": _now(),
                                         "item": {"title": item.title, "published": item.published,
                                                  "author": item.author, "feed": item.feed}}
            return
        digest = hashlib.sha256(r.body).hexdigest()
        if ctx.keep_html:
            ctx.keep(digest, r.body)
        record = {
            "id": f"{self.id}-{hashlib.sha256(item.url.encode('utf-8')).hexdigest()[:16]}",
            "outlet": self.id, "date": art["date"], "title": art["title"], "text": art["text"],
            "url": r.url, "author": art["author"] or None, "feed_url": feed_url, "fetched_at": r.fetched_at,
            "http_status": str(r.status), "html_sha256": digest, "encoding": art["encoding"],
            "extractor": ctx.extractor, "collect_run": ctx.run,
        }
        self.pending.append((item, record))
        if len(self.pending) >= ctx.commit_every:
            self._commit()

    def _commit(self) -> None:
        """Import the pending articles, then write the state (see the module docstring)."""
        if self.pending:
            res, refused = self.ctx.import_records(self.id, [rec for _, rec in self.pending])
            self.row["new"] += res.added
            self.row["duplicate"] += res.duplicates + res.already_in_store
            for item, rec in self.pending:
                if rec["id"] in refused:
                    self._fail(item, f"refused by the import ({refused[rec['id']]})", False)
                else:
                    self.state.urls[item.url] = {"status": "stored", "id": rec["id"], "at": _now()}
            self.pending = []
        self.state.save()

    def run(self) -> dict:
        ctx = self.ctx
        try:
            try:
                items, validators = self._read_feeds()
            except FetchError as e:
                self.row["status"] = "failed"
                self.reasons[f"no feed could be read: {e.reason}"] += 1
                return self._finish()
            retry = self.state.retries(ctx.since)
            listed = {it.url for it in items}
            wanted = [it for it in items if self.state.wants(it.url, ctx.since)] + [it for it in retry if it.url not in listed]
            first = {}
            for it in wanted:
                first.setdefault(it.url, it)   # an article listed twice: its first mention
            wanted = list(first.values())
            todo = wanted
            if ctx.since:
                todo = [it for it in todo if not it.published or it.published[:10] >= ctx.since]
            if ctx.max_per_outlet is not None:
                todo = todo[:ctx.max_per_outlet]
            self.row["items"] = len(items)
            for it in todo:
                self._fetch(it, it.feed)
            self._commit()
            # an unchanged feed answers 304 next time: keep its validators only if every item it
            # listed was handled (not cut by --since or --max-per-outlet), else they would be lost
            if len(todo) == len(wanted):
                self.state.feeds.update(validators)
                self.state.save()
        except WorkbenchError as e:   # the store refused an import: this outlet stops, the others go on
            self.row["status"] = "failed"
            self.reasons[f"import failed: {' '.join(str(e).split())[:160]}"] += 1
        return self._finish()

    def _finish(self) -> dict:
        self.row["reasons"] = "; ".join(f"{r} ×{n}" if n > 1 else r for r, n in self.reasons.most_common(6))
        return self.row


# ---------------------------------------------------------------------------- the run
class _Run:
    def __init__(self, store: Path, registry_path, client, *, since, keep_html, max_per_outlet, commit_every,
                 min_words):
        import trafilatura

        self.store = store
        self.root = store / "collect"
        self.registry_path = registry_path
        self.client = client
        self.since = since
        self.keep_html = keep_html
        self.max_per_outlet = max_per_outlet
        self.commit_every = commit_every
        self.min_words = min_words
        self.run = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        self.extractor = f"trafilatura {trafilatura.__version__}"
        self.imports: list[dict] = []
        self._import_lock = threading.Lock()

    def keep(self, digest: str, body: bytes) -> None:
        path = self.root / "html" / digest[:2] / f"{digest}.html.gz"
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        with open(tmp, "wb") as f:
            f.write(gzip.compress(body, mtime=0))
        os.replace(tmp, path)

    def import_records(self, outlet: str, records: list[dict]):
        """Import ``records`` as one JSON Lines source (one import at a time); returns the
        :class:`ImportResult` and the ids the validation refused, with the first reason."""
        from ..corpus.store import import_records

        with self._import_lock:
            res, refused = import_records(records, self.store, registry=self.registry_path,
                                          name=f"{self.run}-{outlet}-{len(self.imports):04d}",
                                          folder=self.root / "incoming")
            self.imports.append({"outlet": outlet, **res.to_dict()})
            return res, refused


def collect(store: str | os.PathLike, registry: str | os.PathLike | None = None, *,
            outlets: list[str] | None = None, since: str | None = None, keep_html: bool = False,
            client: PoliteClient | None = None, max_per_outlet: int | None = None, commit_every: int = 50,
            workers: int = 4, min_words: int = MIN_WORDS) -> CollectResult:
    """Collect new articles of the registry's outlets into ``store`` (see the module docstring).

    ``registry``: the registry file whose outlets (and ``feeds``) to collect; default: the store's
    own registry if it exists, else the project's ``corpus/outlets.yaml``. ``outlets``: only these
    outlet ids. ``since``: only articles published on or after this day (YYYY-MM-DD).
    ``client``: the :class:`PoliteClient` (its User-Agent, delay, timeout and size cap).
    ``max_per_outlet``: fetch at most this many new pages per outlet in this run.
    """
    from ..corpus.registry import load_registry
    from ..corpus.store import open_store
    from ..locking import folder_lock

    store_path = Path(store)
    if store_path.exists() and not store_path.is_dir():
        raise StoreError(f"{store_path}: is a file, not a store folder; name a folder with --store")
    if since is not None:
        try:
            since = datetime.strptime(str(since), "%Y-%m-%d").strftime("%Y-%m-%d")
        except ValueError:
            raise ArgumentError(f"--since must be a day as YYYY-MM-DD (got {since!r})") from None
    for name, v, low in (("max_per_outlet", max_per_outlet, 1), ("commit_every", commit_every, 1),
                         ("workers", workers, 1), ("min_words", min_words, 1)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < low):
            raise ArgumentError(f"{name} must be a whole number, {low} or more (got {v!r})")
    st = open_store(store_path)
    if registry is not None:
        reg = load_registry(registry)
    elif st.exists and st.registry is not None:
        reg = st.registry
    else:
        reg = load_registry()
    chosen = reg.outlets
    if outlets:
        unknown = [o for o in outlets if reg.resolve(o) is None]
        if unknown:
            raise ArgumentError(f"outlet '{unknown[0]}' is not in registry '{reg.name}' ({reg.source}); "
                                f"known: {', '.join(reg.ids[:12])}{' ...' if len(reg.ids) > 12 else ''}")
        want = {reg.resolve(o) for o in outlets}
        chosen = [o for o in reg.outlets if o["id"] in want]
    plans = []
    for o in chosen:
        try:
            specs = feed_specs(o, reg.source or reg.name)
        except ValueError as e:
            raise RegistryError(str(e)) from None
        if specs:
            plans.append((o, specs))
        elif outlets:
            raise ArgumentError(f"outlet '{o['id']}' has no feeds in registry '{reg.name}' ({reg.source}); add its "
                                "RSS/Atom feed URLs under feeds: (see the README, 'Collecting a corpus')")
    if not plans:
        raise CollectError(f"no outlet of registry '{reg.name}' ({reg.source}) has feeds to collect; add RSS/Atom "
                           "feed URLs under an outlet's feeds: (see the README, 'Collecting a corpus')")
    client = client or PoliteClient()
    ctx = _Run(store_path, registry, client, since=since, keep_html=keep_html, max_per_outlet=max_per_outlet,
               commit_every=commit_every, min_words=min_words)
    started = _now()
    with folder_lock(store_path / "collect", CollectError(
            f"{store_path}: another collection is running on this store; wait for it to finish")):
        for left in (ctx.root / "incoming").glob("*.jsonl") if (ctx.root / "incoming").is_dir() else []:
            left.unlink(missing_ok=True)   # written by a run killed before its import: fetched again
        runs = [_Outlet(o, specs, ctx) for o, specs in plans]
        with ThreadPoolExecutor(max(1, min(int(workers), len(runs)))) as pool:
            rows = list(pool.map(lambda r: r.run(), runs))
        result = CollectResult(ctx.run, pd.DataFrame(rows, columns=SUMMARY_COLUMNS), ctx.imports, started, _now())
        _write_json(ctx.root / "runs" / f"{ctx.run}.json", result.to_dict())
    return result
