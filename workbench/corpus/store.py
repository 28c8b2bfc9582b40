"""The corpus store: a folder of Parquet files plus a catalogue that records every import.

Layout of a store folder::

    catalogue.json          the single source of truth: registry, parts, imports (written last, atomically)
    parts/part-*.parquet    one columnar file per import that added articles
    rejects/*.jsonl         records refused by ``--skip-invalid`` imports, with the reasons
    .lock                   held while an import writes

An import writes its new Parquet part under a temporary name, renames it into ``parts/``, then
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
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import StoreError, ValidationError
from ..locking import folder_lock
from .readers import Record, read_source
from ..paths import DEFAULT_REGISTRY, STORES_DIR
from .registry import Registry, load_registry, parse_registry
from .validation import Validated, validate

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
        return s + ")"


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
                t = self._part(path).read(columns=["id", "content_hash", "text_hash"])
            except (OSError, pa.ArrowException) as e:
                raise self._damaged(path, e) from None
            ids.update(zip(t.column("id").to_pylist(), t.column("content_hash").to_pylist()))
            hashes.update(t.column("text_hash").to_pylist())
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

    def _write_part(self, rows: list[dict]) -> dict:
        extra = sorted({k for r in rows for k in r} - set(CORE_COLUMNS))
        arrays = {
            "id": pa.array([r["id"] for r in rows], pa.string()),
            "outlet": pa.array([r["outlet"] for r in rows], pa.string()),
            "date": pa.array([r["date"] for r in rows], pa.timestamp("us")),
            "title": pa.array([r["title"] for r in rows], pa.string()),
            "text": pa.array([r["text"] for r in rows], pa.string()),
            "url": pa.array([r["url"] for r in rows], pa.string()),
            "n_words": pa.array([r["n_words"] for r in rows], pa.int64()),
            "text_hash": pa.array([r["text_hash"] for r in rows], pa.string()),
            "content_hash": pa.array([r["content_hash"] for r in rows], pa.string()),
        }
        for k in extra:
            arrays[k] = pa.array([r.get(k) for r in rows], pa.string())
        table = pa.table(arrays)
        parts = self.path / "parts"
        parts.mkdir(parents=True, exist_ok=True)
        name = f"part-{len(self.catalogue['parts']) + 1:05d}-{uuid.uuid4().hex[:8]}.parquet"
        tmp = parts / f".{name}.tmp"
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
            os.fsync(f.fileno())
        os.replace(tmp, parts / name)
        return {"file": name, "rows": len(rows), "sha256": digest}


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


def _validate_import(st: Store, read: list, registry: Registry | None, paths: list[Path], *,
                     date_format, skip_invalid: bool, quiet: bool) -> tuple[Registry, Validated, list]:
    """Validate what was read against the store as it is now; raise unless valid or ``skip_invalid``."""
    reg = _choose_registry(st, registry, paths)
    records = [r for s in read for r in s.records]
    stored_ids, stored_hashes = st.stored_keys()
    result: Validated = validate(
        _progress(records, quiet), reg, stored_ids=stored_ids, stored_hashes=stored_hashes,
        date_format=date_format, registry_label=f"registry '{reg.name}' ({reg.source})",
    )
    problems = [p for s in read for p in s.problems] + result.problems
    if problems and not skip_invalid:
        raise ValidationError(problems, hint="Fix the input, or pass --skip-invalid to import the valid rows.")
    return reg, result, problems


def _progress(records: list[Record], quiet: bool) -> Iterable[Record]:
    """A progress bar on a terminal; never in a log file or a pipe (stderr not a tty)."""
    if quiet or not _isatty(sys.stderr):
        return records
    from tqdm.auto import tqdm
    return tqdm(records, desc="validating", unit=" articles", leave=False, mininterval=0.5)


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
) -> ImportResult:
    """Import articles from ``sources`` into the store at ``store``, all or nothing.

    Without ``skip_invalid`` any invalid record raises :class:`ValidationError` listing every
    problem as ``file:line: field: message`` and nothing is written. With it, valid rows are
    written and the refused records go to a rejects file (JSON Lines with the reasons).
    Exact duplicates (same outlet, same normalised text) and articles already stored are dropped
    and counted. The registry is, in order: ``registry``; the store's own; ``outlets.yaml`` beside
    the first source; the project's ``corpus/outlets.yaml``.
    """
    started = _now()
    store_path = Path(store)
    if store_path.exists() and not store_path.is_dir():
        raise StoreError(f"{store_path}: is a file, not a store folder; name a folder with --store")
    paths = [Path(s) for s in sources]
    # Sources and the named registry are read before the store is touched: bad input leaves no trace.
    read = [read_source(p, format=format, encoding=encoding, columns=columns, metadata=metadata)
            for p in paths]
    named = load_registry(registry) if registry is not None else None
    st = open_store(store_path)
    check = dict(date_format=date_format, skip_invalid=skip_invalid, quiet=quiet)
    fresh = not store_path.exists()
    if fresh:  # a new store: validate before creating its folder, so a refused import creates nothing
        reg, result, problems = _validate_import(st, read, named, paths, **check)
    with st.lock():
        st.reload()
        if not fresh or st.exists:  # (a store created meanwhile by another import: validate again)
            reg, result, problems = _validate_import(st, read, named, paths, **check)
        file_problems = [p for s in read for p in s.problems]
        import_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        rejects_path = None
        n_rejected = len(result.rejected) + len(file_problems)
        if problems:
            rejects_path = Path(rejects) if rejects else st.path / "rejects" / f"{import_id}.jsonl"
            rejects_path.parent.mkdir(parents=True, exist_ok=True)
            lines = [json.dumps({"file": p.file, "line": p.line, "problems": [str(p)], "record": None},
                                ensure_ascii=False) for p in file_problems]
            lines += [json.dumps({"file": rec.file, "line": rec.line, "problems": [str(p) for p in ps],
                                  "record": rec.data}, ensure_ascii=False, default=str)
                      for rec, ps in result.rejected]
            lines += [json.dumps({"file": p.file, "line": p.line, "problems": [str(p)], "record": None},
                                 ensure_ascii=False) for p in result.problems if p.line is None]
            # backslashreplace: a lone surrogate is written as its JSON escape, so the record reads back as it was
            _write_atomic(rejects_path, ("\n".join(lines) + "\n").encode("utf-8", "backslashreplace"))
        st._remove_orphans()
        for tmp in st.path.glob(f".{CATALOGUE}.*.tmp"):   # left by an import killed mid-commit
            tmp.unlink(missing_ok=True)
        part = st._write_part(result.rows) if result.rows else None
        info = ImportResult(
            import_id=import_id,
            sources=[{"path": str(Path(s.path).resolve()), "format": s.format, "encoding": s.encoding,
                      "sha256": s.sha256, "bytes": s.size, "records": len(s.records),
                      "added": sum(result.per_file[f] for f in {r.file for r in s.records})}
                     for s in read],
            read=result.read, added=len(result.rows), duplicates=result.duplicates,
            already_in_store=result.already_in_store, rejected=n_rejected,
            rejects_file=str(rejects_path) if rejects_path else None,
            part=part["file"] if part else None, started=started, finished=_now(), registry=reg.name,
        )
        cat = dict(st.catalogue)
        cat["registry"] = reg.to_dict()
        cat["parts"] = cat["parts"] + ([part] if part else [])
        cat["imports"] = cat["imports"] + [info.to_dict()]
        _write_atomic(st.path / CATALOGUE, json.dumps(cat, ensure_ascii=False, indent=1).encode("utf-8"))
        st.catalogue = cat
    return info


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
