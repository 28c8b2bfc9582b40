"""The corpus store: a folder of Parquet files plus a catalogue that records every import.

Layout of a store folder::

    catalogue.json          the single source of truth: registry, parts, imports (written last, atomically)
    parts/part-*.parquet    one columnar file per import that added articles
    rejects/*.jsonl         records refused by ``--skip-invalid`` imports, with the reasons
    .lock                   held while an import writes

An import streams its sources (:func:`~workbench.corpus.readers.open_source`) and validates and
appends each batch of records to its new Parquet part (one row group a batch, so later readers can
stream it too), keeping in memory only the ids and text hashes seen; a source file the catalogue
already records by its SHA-256 is skipped without being read. It writes the part under a
temporary name, renames it into ``parts/``, then
replaces ``catalogue.json`` with ``os.replace`` (atomic on POSIX). A part that the catalogue does not
list is invisible to readers, so an import killed at any moment leaves the store as it was; such
orphans are removed by the next import.

Damage. Reading checks the catalogue's structure (a wrong type names the field, e.g.
``parts[2].file``), refuses part names that are not a plain file name inside ``parts/`` (so a
catalogue never makes the workbench read outside the store), and checks that each listed part is
present, a readable Parquet file and holds the rows the catalogue records; each problem is one
:class:`StoreError` naming the file and saying what to do. The parts' SHA-256 are checked in full
by :meth:`Store.verify`, which runs before a store is tokenised.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import StoreError, ValidationError
from ..locking import folder_lock
from .readers import Record, open_source, prepare_source
from ..paths import DEFAULT_REGISTRY, STORES_DIR
from .registry import Registry, load_registry, parse_registry
from .validation import Validator

CATALOGUE = "catalogue.json"
FORMAT_VERSION = 1
CORE_COLUMNS = ["id", "outlet", "date", "title", "text", "url", "n_words", "text_hash", "content_hash"]
DAMAGED = "the store is damaged: restore it from a backup or re-import into a new store"
#: A part's name: one plain file name inside ``parts/`` (never a path that could leave the store).
_PART_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.parquet")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@dataclass
class ImportResult:
    """What one import did; ``to_dict()`` is what the catalogue records."""

    import_id: str
    sources: list[dict]
    read: int
    added: int
    duplicates: int
    already_in_store: int
    rejected: int
    rejects_file: str | None
    part: str | None
    started: str
    finished: str
    registry: str

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    def summary(self) -> str:
        s = (f"imported {self.added} articles ({self.read} read, {self.duplicates} exact duplicates "
             f"dropped, {self.already_in_store} already in the store")
        if self.rejected:
            s += f", {self.rejected} rejected → {self.rejects_file}"
        s += ")"
        skipped = [src for src in self.sources if src.get("skipped")]
        if skipped:
            s += "; " + "; ".join(f"{Path(src['path']).name} skipped: already imported whole by import "
                                  f"{src.get('imported_by')} (same SHA-256)" for src in skipped)
        return s


@dataclass
class Store:
    """A corpus store folder. Create with :func:`open_store`; read with :meth:`read`."""

    path: Path
    catalogue: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ state
    @property
    def exists(self) -> bool:
        return (self.path / CATALOGUE).is_file()

    def require(self) -> "Store":
        """This store, or the one error every command gives for a folder that holds no store."""
        if not self.exists:
            raise StoreError(f"{self.path}: no corpus store here; create one with "
                             f"`workbench corpus import SOURCE --store {self.path}`")
        return self

    def reload(self) -> "Store":
        """Read ``catalogue.json`` again and check its structure (a damaged one raises StoreError)."""
        cat = self.path / CATALOGUE
        if cat.is_file():
            try:
                self.catalogue = json.loads(cat.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                raise StoreError(f"{cat}: the store's catalogue is damaged ({e})") from None
            except OSError as e:
                raise StoreError(f"{cat}: cannot read the store's catalogue: {e.strerror}") from None
            if not isinstance(self.catalogue, dict):
                raise StoreError(f"{cat}: expected a JSON object, got {type(self.catalogue).__name__}; {DAMAGED}")
            if self.catalogue.get("format") != FORMAT_VERSION:
                raise StoreError(f"{cat}: unsupported store format {self.catalogue.get('format')!r}")
            _check_catalogue(self.catalogue, cat)
        else:
            self.catalogue = {"format": FORMAT_VERSION, "registry": None, "parts": [], "imports": []}
        return self

    @property
    def registry(self) -> Registry | None:
        reg = self.catalogue.get("registry")
        return parse_registry(reg, f"{self.path}/{CATALOGUE} (registry)") if reg else None

    @property
    def part_paths(self) -> list[Path]:
        """The Parquet parts the catalogue lists, in order (names checked: they never leave ``parts/``)."""
        out = []
        for i, p in enumerate(self.catalogue.get("parts", [])):
            name = p.get("file") if isinstance(p, dict) else None
            if not isinstance(name, str) or not _PART_NAME.fullmatch(name) or ".." in name:
                raise StoreError(f"{self.path / CATALOGUE}: field 'parts[{i}].file': {name!r} is not a part "
                                 f"file name (a name like part-00001-ab12cd34.parquet, no folders); {DAMAGED}")
            out.append(self.path / "parts" / name)
        return out

    def _part(self, path: Path) -> pq.ParquetFile:
        """Open a listed part after cheap checks: present, a readable Parquet file, the rows the
        catalogue records. (The SHA-256 is checked by :meth:`verify`.)"""
        listed = f"{path} listed in {CATALOGUE}"
        try:
            if not path.is_file():
                raise StoreError(f"{listed} is missing; {DAMAGED}")
            pf = pq.ParquetFile(path)
        except StoreError:
            raise
        except PermissionError as e:
            raise StoreError(f"{path}: cannot read a part of the store: {e.strerror}") from None
        except (OSError, pa.ArrowException) as e:
            raise StoreError(f"{listed} is not a readable Parquet file ({_short(e)}); {DAMAGED}") from None
        entry = next((p for p in self.catalogue.get("parts", []) if p.get("file") == path.name), None)
        rows = entry.get("rows") if entry else None
        if rows is not None and pf.metadata.num_rows != rows:
            raise StoreError(f"{listed} has {pf.metadata.num_rows} rows but the catalogue records {rows} "
                             f"(the file was replaced or truncated); {DAMAGED}")
        return pf

    def _damaged(self, path: Path, exc: Exception) -> StoreError:
        return StoreError(f"{path} listed in {CATALOGUE} cannot be read ({_short(exc)}); {DAMAGED}")

    def verify(self) -> None:
        """Check every part against the SHA-256 the catalogue records (reads every byte once).

        Raises :class:`StoreError` naming the first missing, unreadable or changed part. Cheap checks
        (present, readable, row count) run on every read; this full check runs before the store is
        tokenised (so cached tokens always match the catalogue) and on request. Hashes are
        remembered per process while a file is unchanged.
        """
        from ..integrity import file_sha256

        for path, entry in zip(self.part_paths, self.catalogue.get("parts", [])):
            self._part(path)
            try:
                digest = file_sha256(path)
            except OSError as e:
                raise StoreError(f"{path}: cannot read a part of the store: {e.strerror}") from None
            if digest != entry["sha256"]:
                raise StoreError(f"{path} listed in {CATALOGUE} has changed since it was imported (its "
                                 f"SHA-256 differs from the catalogue's); {DAMAGED}")

    def fingerprint(self) -> str:
        """Hash of the stored content (the parts' hashes and the registry): same corpus, same value."""
        h = hashlib.sha256()
        for p in self.catalogue.get("parts", []):
            h.update(p["sha256"].encode())
        h.update(json.dumps(self.catalogue.get("registry"), sort_keys=True, ensure_ascii=False).encode())
        return h.hexdigest()

    # ------------------------------------------------------------------ reading
    def column_names(self) -> list[str]:
        """Every stored column (core and extra), in first-seen order."""
        names: list[str] = []
        for path in self.part_paths:
            names += [n for n in self._part(path).schema_arrow.names if n not in names]
        return names or list(CORE_COLUMNS)

    def iter_column(self, column: str, batch_size: int = 5000):
        """Stream one column's values in storage order (the order of ``read(sort=False)``)."""
        for path in self.part_paths:
            pf = self._part(path)
            batches = pf.iter_batches(batch_size=batch_size, columns=[column])
            while True:
                try:
                    batch = next(batches, None)
                except (OSError, pa.ArrowException) as e:
                    raise self._damaged(path, e) from None
                if batch is None:
                    break
                yield from batch.column(0).to_pylist()

    def read(self, columns: list[str] | None = None, *, sort: bool = True,
             exclude: list[str] | None = None) -> pd.DataFrame:
        """The stored articles as a DataFrame, one row per article, sorted by date then id.

        Dtypes: ``date`` datetime64, ``outlet`` and ``camp`` categorical (categories in registry
        order), text columns pandas strings, ``n_words`` int64; extra columns kept as strings.
        ``columns`` limits what is read (``id``, ``outlet``, ``camp`` and ``date`` always come);
        ``exclude`` drops columns (e.g. ``["text"]`` to read metadata only); ``sort=False`` keeps
        storage order, the order of :meth:`iter_column`.
        """
        self.require()
        if exclude:
            columns = [c for c in (columns or self.column_names()) if c not in exclude]
        want = None if columns is None else list(dict.fromkeys(["id", "outlet", "date", *columns]))
        tables = []
        for path in self.part_paths:
            pf = self._part(path)
            names = pf.schema_arrow.names
            cols = None if want is None else [c for c in want if c in names and c != "camp"]
            try:
                tables.append(pf.read(columns=cols))
            except (OSError, pa.ArrowException) as e:
                raise self._damaged(path, e) from None
        if tables:
            table = pa.concat_tables(tables, promote_options="default")
            df = table.to_pandas(types_mapper={pa.string(): pd.StringDtype(), pa.large_string(): pd.StringDtype()}.get)
        else:
            df = pd.DataFrame({c: pd.Series(dtype="string") for c in (want or CORE_COLUMNS)})
            df["date"] = pd.Series(dtype="datetime64[ns]")
        reg = self.registry
        outlet_ids = reg.ids if reg else sorted(df["outlet"].unique())
        camps = {o["id"]: o["camp"] for o in reg.outlets} if reg else {}
        df["outlet"] = pd.Categorical(df["outlet"].astype(object), categories=outlet_ids)
        camp_order = list(dict.fromkeys([*(reg.camps if reg else []), *camps.values()]))
        camp_col = pd.Categorical(df["outlet"].astype(object).map(camps), categories=camp_order)
        df.insert(2, "camp", camp_col)
        df["date"] = pd.to_datetime(df["date"])
        if sort:
            df = df.sort_values(["date", "id"], kind="stable").reset_index(drop=True)
        if columns is not None:
            df = df[[c for c in dict.fromkeys(["id", "outlet", "camp", "date", *columns]) if c in df.columns]]
        return df

    def metadata(self) -> pd.DataFrame:
        """Every article's metadata without its text, in storage order, with a ``month`` column.

        The one reader of a store's metadata: analyses, selections and report checks all start
        here. Columns: ``id, outlet, camp, date`` and every stored column except ``text`` and the
        hashes, plus ``month`` (``YYYY-MM``) for grouping by period.
        """
        docs = self.read(sort=False, exclude=["text", "text_hash", "content_hash"])
        docs["month"] = docs["date"].dt.strftime("%Y-%m")
        return docs

    def stored_keys(self) -> tuple[dict[str, str], set[str]]:
        """``{id: content_hash}`` and the set of text hashes already stored (for de-duplication)."""
        ids: dict[str, str] = {}
        hashes: set[str] = set()
        for path in self.part_paths:
            try:
                for t in self._part(path).iter_batches(batch_size=50_000, columns=["id", "content_hash", "text_hash"]):
                    ids.update(zip(t.column(0).to_pylist(), t.column(1).to_pylist()))
                    hashes.update(t.column(2).to_pylist())
            except (OSError, pa.ArrowException) as e:
                raise self._damaged(path, e) from None
        return ids, hashes

    # ------------------------------------------------------------------ writing
    def lock(self):
        """Exclusive lock on the store for the duration of a write; fails fast if held."""
        return folder_lock(self.path, StoreError(
            f"{self.path}: another import is writing to this store; wait for it to finish"))

    def _remove_orphans(self) -> None:
        listed = {p.name for p in self.part_paths}
        parts = self.path / "parts"
        if parts.is_dir():
            for f in parts.iterdir():
                if f.name not in listed:
                    f.unlink(missing_ok=True)


def _short(exc: Exception) -> str:
    """An exception's message on one line, without a traceback-like tail."""
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _check_catalogue(cat: dict, where: Path) -> None:
    """Raise StoreError naming the first field of the catalogue with a wrong type or value."""
    def bad(field: str, expected: str, got) -> StoreError:
        shown = type(got).__name__ if not isinstance(got, (str, int, float, bool, type(None))) else repr(got)
        return StoreError(f"{where}: field '{field}': expected {expected}, got {shown[:80]}; {DAMAGED}")

    reg = cat.get("registry")
    if reg is not None and not isinstance(reg, dict):
        raise bad("registry", "a mapping (the outlet registry) or null", reg)
    parts = cat.get("parts", [])
    if not isinstance(parts, list):
        raise bad("parts", "a list of parts", parts)
    seen = set()
    for i, p in enumerate(parts):
        if not isinstance(p, dict):
            raise bad(f"parts[{i}]", "a mapping with 'file', 'rows' and 'sha256'", p)
        name = p.get("file")
        if not isinstance(name, str):
            raise bad(f"parts[{i}].file", "a file name", name)
        if not _PART_NAME.fullmatch(name) or ".." in name:
            raise bad(f"parts[{i}].file", "a plain part file name inside parts/ (no folders, no '..')", name)
        if name in seen:
            raise bad(f"parts[{i}].file", "a part listed once", name)
        seen.add(name)
        if not isinstance(p.get("sha256"), str) or not _SHA256.fullmatch(p["sha256"]):
            raise bad(f"parts[{i}].sha256", "a SHA-256 (64 hex digits)", p.get("sha256"))
        rows = p.get("rows")
        if rows is not None and (isinstance(rows, bool) or not isinstance(rows, int) or rows < 0):
            raise bad(f"parts[{i}].rows", "a number of rows", rows)
    imports = cat.get("imports", [])
    if not isinstance(imports, list):
        raise bad("imports", "a list of import records", imports)
    for i, rec in enumerate(imports):
        if not isinstance(rec, dict):
            raise bad(f"imports[{i}]", "a mapping (an import record)", rec)


def open_store(path: str | Path) -> Store:
    """The store at ``path`` (it need not exist yet: the first import creates it)."""
    return Store(Path(path)).reload()


def read_corpus(store: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a corpus store back as a DataFrame (see :meth:`Store.read`)."""
    s = open_store(store)
    return s.read(columns)


def _choose_registry(store: Store, registry: Registry | None, sources: list[Path]) -> Registry:
    if registry is not None:
        return store.registry.merged_with(registry) if store.registry else registry
    if store.registry is not None:
        return store.registry
    for src in sources:
        beside = (src if src.is_dir() else src.parent) / "outlets.yaml"
        if beside.is_file():
            return load_registry(beside)
    return load_registry(DEFAULT_REGISTRY)


def _isatty(stream) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):   # a closed or unusual stream
        return False


#: Records validated and written at a time by an import: peak memory grows with this, not the file.
BATCH_SIZE = 20_000


class _PartWriter:
    """Writes an import's rows to one new Parquet part, batch by batch, under a temporary name.

    The schema is the core columns plus the extra columns seen so far (sorted, as strings); a
    batch bringing a new extra column makes the writer copy what it wrote into a file with the
    wider schema (streamed, rare). ``commit()`` renames the file into ``parts/`` and returns the
    catalogue entry; ``abort()`` deletes it. Nothing is visible to readers before the catalogue
    lists the part.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.parts = store.path / "parts"
        self.name = f"part-{len(store.catalogue['parts']) + 1:05d}-{uuid.uuid4().hex[:8]}.parquet"
        self.tmp = self.parts / f".{self.name}.tmp"
        self.writer: pq.ParquetWriter | None = None
        self.first: pa.Table | None = None
        self.extra: list[str] = []
        self.rows = 0

    def _schema(self, extra: list[str]) -> pa.Schema:
        core = [("id", pa.string()), ("outlet", pa.string()), ("date", pa.timestamp("us")),
                ("title", pa.string()), ("text", pa.string()), ("url", pa.string()),
                ("n_words", pa.int64()), ("text_hash", pa.string()), ("content_hash", pa.string())]
        return pa.schema(core + [(k, pa.string()) for k in extra])

    def write(self, rows: list[dict]) -> None:
        if not rows:
            return
        extra = sorted(set(self.extra) | ({k for r in rows for k in r} - set(CORE_COLUMNS)))
        schema = self._schema(extra)
        table = pa.Table.from_pydict({f.name: pa.array([r.get(f.name) for r in rows], f.type) for f in schema},
                                     schema=schema)
        self.rows += len(rows)
        if self.writer is None and self.first is None:   # held until a second batch comes
            self.first, self.extra = table, extra
            return
        if self.writer is None:
            self.parts.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.tmp, schema, compression="zstd")
            first, self.first = self.first, None
            self.writer.write_table(_widened(first, schema))
        elif extra != self.extra:
            self._widen(schema)
        self.extra = extra
        self.writer.write_table(table)

    def _widen(self, schema: pa.Schema) -> None:
        self.writer.close()
        old = self.tmp.with_name(self.tmp.name + ".old")
        os.replace(self.tmp, old)
        self.writer = pq.ParquetWriter(self.tmp, schema, compression="zstd")
        pf = pq.ParquetFile(old)
        for rg in range(pf.num_row_groups):
            self.writer.write_table(_widened(pf.read_row_group(rg), schema))
        pf.close()
        old.unlink()

    def commit(self) -> dict | None:
        if self.writer is None and self.first is None:
            return None
        if self.writer is None:   # one batch: written in one call
            self.parts.mkdir(parents=True, exist_ok=True)
            pq.write_table(self.first, self.tmp, compression="zstd")
            self.first = None
        else:
            self.writer.close()
        self.writer = None
        with open(self.tmp, "rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
            os.fsync(f.fileno())
        os.replace(self.tmp, self.parts / self.name)
        return {"file": self.name, "rows": self.rows, "sha256": digest}

    def abort(self) -> None:
        if self.writer is not None:
            try:
                self.writer.close()
            except Exception:   # noqa: BLE001 - the file is deleted anyway
                pass
            self.writer = None
        self.first = None
        for f in (self.tmp, self.tmp.with_name(self.tmp.name + ".old")):
            f.unlink(missing_ok=True)


def _widened(t: pa.Table, schema: pa.Schema) -> pa.Table:
    """``t`` with ``schema``'s columns (missing extra columns as nulls)."""
    cols = {f.name: (t.column(f.name) if f.name in t.column_names else pa.nulls(len(t), f.type)) for f in schema}
    return pa.table(cols, schema=schema)


class _RejectsWriter:
    """The rejects file of a ``--skip-invalid`` import, written as records are refused and published
    (renamed into place) only when the import commits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.body = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.records.tmp")
        self.f = None
        self.head: list[str] = []      # problems of whole lines of a source (no record)

    def problem(self, p) -> None:
        self.head.append(json.dumps({"file": p.file, "line": p.line, "problems": [str(p)], "record": None},
                                    ensure_ascii=False))

    def rejected(self, rec: Record, problems: list) -> None:
        if self.f is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.f = open(self.body, "w", encoding="utf-8", errors="backslashreplace")
        self.f.write(json.dumps({"file": rec.file, "line": rec.line, "problems": [str(p) for p in problems],
                                 "record": rec.data}, ensure_ascii=False, default=str) + "\n")

    def commit(self, tail: list) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:8]}.tmp")
        # backslashreplace: a lone surrogate is written as its JSON escape, so the record reads back as it was
        with open(tmp, "wb") as out:
            if self.head:
                out.write(("\n".join(self.head) + "\n").encode("utf-8", "backslashreplace"))
            if self.f is not None:
                self.f.close()
                self.f = None
                with open(self.body, "rb") as body:
                    while block := body.read(1 << 20):
                        out.write(block)
                self.body.unlink()
            lines = [json.dumps({"file": p.file, "line": p.line, "problems": [str(p)], "record": None},
                                ensure_ascii=False) for p in tail]
            if lines:
                out.write(("\n".join(lines) + "\n").encode("utf-8", "backslashreplace"))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path)

    def abort(self) -> None:
        if self.f is not None:
            self.f.close()
            self.f = None
        self.body.unlink(missing_ok=True)


def _progress_bar(quiet: bool):
    """A progress bar on a terminal; never in a log file or a pipe (stderr not a tty)."""
    if quiet or not _isatty(sys.stderr):
        return None
    from tqdm.auto import tqdm
    return tqdm(desc="importing", unit=" articles", leave=False, mininterval=0.5)


def _known_sources(st: Store) -> dict[str, dict]:
    """``{sha256: import record}`` of the source files the store has imported whole (nothing rejected)."""
    known: dict[str, dict] = {}
    for rec in st.catalogue.get("imports", []):
        if not isinstance(rec, dict) or rec.get("rejected"):
            continue
        for s in rec.get("sources") or []:
            if isinstance(s, dict) and isinstance(s.get("sha256"), str) and not s.get("skipped"):
                known.setdefault(s["sha256"], {"import_id": rec.get("import_id"), "source": s})
    return known


def _missing_parents(path: Path) -> Path | None:
    """The topmost folder of ``path`` that does not exist yet (what creating it would add), or None."""
    top = None
    p = path
    while not p.exists():
        top = p
        if p.parent == p:
            break
        p = p.parent
    return top


def import_sources(
    sources: list[str | Path],
    store: str | Path,
    *,
    registry: str | Path | None = None,
    format: str | None = None,
    encoding: str | None = None,
    columns: dict[str, str] | None = None,
    metadata: str | Path | None = None,
    date_format: str | None = None,
    skip_invalid: bool = False,
    rejects: str | Path | None = None,
    quiet: bool = True,
    batch_size: int = BATCH_SIZE,
    skip_known: bool = True,
) -> ImportResult:
    """Import articles from ``sources`` into the store at ``store``, all or nothing.

    Without ``skip_invalid`` any invalid record raises :class:`ValidationError` listing every
    problem as ``file:line: field: message`` and nothing is written. With it, valid rows are
    written and the refused records go to a rejects file (JSON Lines with the reasons).
    Exact duplicates (same outlet, same normalised text) and articles already stored are dropped
    and counted. The registry is, in order: ``registry``; the store's own; ``outlets.yaml`` beside
    the first source; the project's ``corpus/outlets.yaml``.

    Memory is bounded by ``batch_size``: sources are read as streams (:func:`open_source`), and
    each batch of records is validated and appended to the new Parquet part (under a temporary
    name) before the next is read; only the ids and text hashes seen stay in memory. The part and
    the catalogue are published at the end, so a failure at any moment leaves the store as it was
    (a store this import created is removed again). With ``skip_known`` (the default) a source
    file whose SHA-256 the catalogue already records from an import that rejected nothing is not
    read again: its import is recorded with ``skipped`` and counts all its records as already in
    the store.
    """
    started = _now()
    store_path = Path(store)
    if store_path.exists() and not store_path.is_dir():
        raise StoreError(f"{store_path}: is a file, not a store folder; name a folder with --store")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise StoreError(f"batch size must be a positive number of articles (got {batch_size!r})")
    paths = [Path(s) for s in sources]
    # Sources and the named registry are checked before the store is touched: bad input leaves no trace.
    opened = [open_source(p, format=format, encoding=encoding, columns=columns, metadata=metadata, scan=False)
              for p in paths]
    st = open_store(store_path)
    known = _known_sources(st) if skip_known and st.exists else {}
    todo = [s for s in opened if s.sha256 not in known]
    for s in todo:
        prepare_source(s)
    named = load_registry(registry) if registry is not None else None
    created = _missing_parents(store_path)
    locked = False
    writer = rejects_out = None
    try:
        with st.lock():
            locked = True
            st.reload()
            known = _known_sources(st) if skip_known and st.exists else {}
            skipped = [s for s in opened if s.sha256 in known]
            todo = [s for s in opened if s.sha256 not in known]
            for s in todo:
                prepare_source(s)
            reg = _choose_registry(st, named, paths)
            import_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
            stored_ids, stored_hashes = st.stored_keys() if todo else ({}, set())
            validator = Validator(reg, stored_ids=stored_ids, stored_hashes=stored_hashes, date_format=date_format,
                                  registry_label=f"registry '{reg.name}' ({reg.source})")
            st._remove_orphans()
            for tmp in [*st.path.glob(f".{CATALOGUE}.*.tmp"), *st.path.glob("rejects/.*.tmp")]:
                tmp.unlink(missing_ok=True)   # left by an import killed mid-commit
            writer = _PartWriter(st)
            rejects_path = Path(rejects) if rejects else st.path / "rejects" / f"{import_id}.jsonl"
            rejects_out = _RejectsWriter(rejects_path) if skip_invalid else None
            file_problems: list = []
            record_problems: list = []
            n_read = n_dup = n_already = n_rejected = 0
            per_source: list[dict] = []
            bar = _progress_bar(quiet)
            try:
                for src in todo:
                    added = 0
                    for records, problems in src.batches(batch_size):
                        n_rejected += len(problems)
                        if skip_invalid:
                            for p in problems:
                                rejects_out.problem(p)
                        else:
                            file_problems += problems
                        res = validator.feed(records)
                        n_read += res.read
                        n_dup += res.duplicates
                        n_already += res.already_in_store
                        n_rejected += len(res.rejected)
                        added += len(res.rows)
                        if skip_invalid:
                            for rec, ps in res.rejected:
                                rejects_out.rejected(rec, ps)
                        else:
                            record_problems += res.problems
                        if not (file_problems or record_problems):   # invalid: nothing will be written
                            writer.write(res.rows)
                        if bar is not None:
                            bar.update(len(records))
                    per_source.append({"path": str(Path(src.path).resolve()), "format": src.format,
                                       "encoding": src.encoding, "sha256": src.sha256, "bytes": src.size,
                                       "records": src.n_records, "added": added})
            finally:
                if bar is not None:
                    bar.close()
            tail = validator.finish()
            problems = file_problems + record_problems + tail
            if problems and not skip_invalid:
                raise ValidationError(problems, hint="Fix the input, or pass --skip-invalid to import the valid rows.")
            if skip_invalid and (n_rejected or tail):
                rejects_out.commit(tail)
            else:
                rejects_path = None
                if rejects_out is not None:
                    rejects_out.abort()
            for s in skipped:
                prev = known[s.sha256]
                n = int(prev["source"].get("records") or 0)
                n_read += n
                n_already += n
                per_source.append({"path": str(Path(s.path).resolve()), "format": s.format, "encoding":
                                   prev["source"].get("encoding"), "sha256": s.sha256, "bytes": s.size,
                                   "records": n, "added": 0, "skipped": True,
                                   "imported_by": prev["import_id"]})
            part = writer.commit()
            info = ImportResult(
                import_id=import_id, sources=per_source, read=n_read, added=writer.rows, duplicates=n_dup,
                already_in_store=n_already, rejected=n_rejected,
                rejects_file=str(rejects_path) if rejects_path else None,
                part=part["file"] if part else None, started=started, finished=_now(), registry=reg.name,
            )
            cat = dict(st.catalogue)
            cat["registry"] = reg.to_dict()
            cat["parts"] = cat["parts"] + ([part] if part else [])
            cat["imports"] = cat["imports"] + [info.to_dict()]
            _write_atomic(st.path / CATALOGUE, json.dumps(cat, ensure_ascii=False, indent=1).encode("utf-8"))
            st.catalogue = cat
    except BaseException:
        if writer is not None:
            writer.abort()
        if rejects_out is not None:
            rejects_out.abort()
        if locked and created is not None and not (store_path / CATALOGUE).exists():
            shutil.rmtree(created, ignore_errors=True)   # a refused import into a new store leaves no folder
        raise
    return info


def import_records(records: list[dict], store: str | Path, *, registry: str | Path | None = None,
                   name: str = "records", folder: str | Path | None = None) -> tuple[ImportResult, dict[str, str]]:
    """Import articles gathered in memory (a collector's) exactly as a file would be imported.

    The records are written as one JSON Lines source, ``folder/<name>.jsonl`` (default: a new
    temporary folder), imported with :func:`import_sources` and ``skip_invalid`` (duplicates and
    articles already stored dropped, refused records kept in the store's ``rejects/``), and the
    file is deleted. Returns the :class:`ImportResult` and the refused ids with their first reason.
    """
    import tempfile

    own = folder is None
    where = Path(tempfile.mkdtemp(prefix="workbench-import-")) if own else Path(folder)
    where.mkdir(parents=True, exist_ok=True)
    src = where / f"{name}.jsonl"
    try:
        with open(src, "w", encoding="utf-8") as f:
            for rec in records:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        res = import_sources([src], store, registry=registry, skip_invalid=True, quiet=True)
    finally:
        src.unlink(missing_ok=True)
        if own:
            shutil.rmtree(where, ignore_errors=True)
    refused: dict[str, str] = {}
    if res.rejects_file:
        with open(res.rejects_file, encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                rec = row.get("record") or {}
                if rec.get("id") is not None:
                    refused[str(rec["id"])] = (row.get("problems") or ["invalid"])[0][:160]
    return res, refused


def import_once(source: str | Path, *, store: str | Path | None = None,
                registry: str | Path | None = None, quiet: bool = True) -> Store:
    """The store holding the corpus file ``source``, importing it only if that has not been done.

    The one way the workbench turns a file into a store for an analysis (the CLI's ``--corpus``,
    schedules, the demo corpus, notebooks and benchmarks). Without ``store``, the store is
    ``build/stores/<file name>-<hash of the file's content>``, so a changed file gets a new store
    and an unchanged one is never imported twice. With ``store``, a store that exists is used as
    it is (an import into it is incremental anyway: :func:`import_sources` drops what it holds).
    """
    src = Path(source)
    if not src.exists():
        raise StoreError(f"{src}: no such corpus file or folder")
    if store is None:
        if src.is_file():
            with open(src, "rb") as f:
                digest = hashlib.file_digest(f, "sha256").hexdigest()
        else:
            digest = hashlib.sha256(str(src.resolve()).encode()).hexdigest()
        store = STORES_DIR / f"{src.name.split('.')[0]}-{digest[:12]}"
    st = open_store(store)
    if not st.exists:
        import_sources([src], store, registry=registry, quiet=quiet)
        st.reload()
    return st
