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
"""
from __future__ import annotations

import hashlib
import json
import os
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
from .registry import DEFAULT_REGISTRY, Registry, load_registry, parse_registry
from .validation import Validated, validate

CATALOGUE = "catalogue.json"
FORMAT_VERSION = 1
CORE_COLUMNS = ["id", "outlet", "date", "title", "text", "url", "n_words", "text_hash", "content_hash"]


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

    def reload(self) -> "Store":
        cat = self.path / CATALOGUE
        if cat.is_file():
            try:
                self.catalogue = json.loads(cat.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                raise StoreError(f"{cat}: the store's catalogue is damaged ({e})") from None
            if self.catalogue.get("format") != FORMAT_VERSION:
                raise StoreError(f"{cat}: unsupported store format {self.catalogue.get('format')!r}")
        else:
            self.catalogue = {"format": FORMAT_VERSION, "registry": None, "parts": [], "imports": []}
        return self

    @property
    def registry(self) -> Registry | None:
        reg = self.catalogue.get("registry")
        return parse_registry(reg, f"{self.path}/{CATALOGUE} (registry)") if reg else None

    @property
    def part_paths(self) -> list[Path]:
        return [self.path / "parts" / p["file"] for p in self.catalogue.get("parts", [])]

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
            names += [n for n in pq.read_schema(path).names if n not in names]
        return names or list(CORE_COLUMNS)

    def iter_column(self, column: str, batch_size: int = 5000):
        """Stream one column's values in storage order (the order of ``read(sort=False)``)."""
        for path in self.part_paths:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size, columns=[column]):
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
        if not self.exists:
            raise StoreError(f"{self.path}: no corpus store here (run `workbench corpus import ... --store {self.path}`)")
        if exclude:
            columns = [c for c in (columns or self.column_names()) if c not in exclude]
        want = None if columns is None else list(dict.fromkeys(["id", "outlet", "date", *columns]))
        tables = []
        for path in self.part_paths:
            schema = pq.read_schema(path)
            cols = None if want is None else [c for c in want if c in schema.names and c != "camp"]
            tables.append(pq.read_table(path, columns=cols))
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

    def stored_keys(self) -> tuple[dict[str, str], set[str]]:
        """``{id: content_hash}`` and the set of text hashes already stored (for de-duplication)."""
        ids: dict[str, str] = {}
        hashes: set[str] = set()
        for path in self.part_paths:
            t = pq.read_table(path, columns=["id", "content_hash", "text_hash"])
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


def open_store(path: str | Path) -> Store:
    """The store at ``path`` (it need not exist yet: the first import creates it)."""
    return Store(Path(path)).reload()


def read_corpus(store: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a corpus store back as a DataFrame (see :meth:`Store.read`)."""
    s = open_store(store)
    return s.read(columns)


def _choose_registry(store: Store, registry: str | Path | None, sources: list[Path]) -> Registry:
    if registry is not None:
        new = load_registry(registry)
        return store.registry.merged_with(new) if store.registry else new
    if store.registry is not None:
        return store.registry
    for src in sources:
        beside = (src if src.is_dir() else src.parent) / "outlets.yaml"
        if beside.is_file():
            return load_registry(beside)
    return load_registry(DEFAULT_REGISTRY)


def _progress(records: list[Record], quiet: bool) -> Iterable[Record]:
    if quiet:
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
    st = open_store(store)
    paths = [Path(s) for s in sources]
    with st.lock():
        st.reload()
        reg = _choose_registry(st, registry, paths)
        read = [read_source(p, format=format, encoding=encoding, columns=columns, metadata=metadata)
                for p in paths]
        records = [r for s in read for r in s.records]
        stored_ids, stored_hashes = st.stored_keys()
        result: Validated = validate(
            _progress(records, quiet), reg, stored_ids=stored_ids, stored_hashes=stored_hashes,
            date_format=date_format, registry_label=f"registry '{reg.name}' ({reg.source})",
        )
        file_problems = [p for s in read for p in s.problems]
        problems = file_problems + result.problems
        if problems and not skip_invalid:
            raise ValidationError(problems, hint="Fix the input, or pass --skip-invalid to import the valid rows.")
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
            _write_atomic(rejects_path, ("\n".join(lines) + "\n").encode("utf-8"))
        st._remove_orphans()
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
