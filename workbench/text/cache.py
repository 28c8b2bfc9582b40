"""On-disk cache of tokenised corpora, so a second analysis does not tokenise again.

A cache entry is one Parquet file with columns ``id`` (string) and ``tokens`` (list<string>), one row
per document in input order, written in row groups as the tokens stream out of
:func:`workbench.text.tokenise.iter_tokenise` (memory does not grow with the corpus) and published
atomically (temporary file in the same folder, then ``os.replace``): a reader never sees a partial
file, and an interrupted build leaves no entry behind.

The entry's name is a hash of the *content fingerprint* (from the caller, e.g. the corpus store's hash
of ids and texts; :func:`fingerprint_texts` computes one) and of
:meth:`TextSettings.fingerprint <workbench.text.settings.TextSettings.fingerprint>` (options, stopword
list content, pipeline and camel-tools versions). Change any of them and a new entry is built. The
settings, both fingerprints and the pipeline version are stored in the file's Parquet metadata
(:func:`read_cache_metadata`), so every result can record exactly how its tokens were made.

Integrity. Beside each entry ``tokens-KEY.parquet`` a small record ``tokens-KEY.json`` holds the
entry's size and SHA-256, written just before the entry is published. An entry is used only if
its record exists, its bytes hash to the recorded SHA-256 and its Parquet metadata names the
expected fingerprints; otherwise (damaged, truncated, replaced, or written by an older version)
it is rebuilt with a one-line :class:`~workbench.errors.WorkbenchWarning`, never trusted. Hashes
are remembered per process while the file is unchanged. A full disk or a folder that cannot be
written raises :class:`CacheError` naming the path and the OS reason.

Example::

    cache = TokenCache("build/token-cache")
    path = cache.get_or_build(ids, texts, TextSettings(), fingerprint_texts(ids, texts))
    for ids, tokens in iter_tokens(path, batch_size=5000):
        ...
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
import warnings
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import CacheError, WorkbenchWarning, describe_os_error
from ..progress import progress_bar
from .settings import PIPELINE_VERSION, TextSettings


def iter_tokenise(texts, settings, **kwargs):
    """:func:`workbench.text.tokenise.iter_tokenise`, imported when first needed: the tokeniser
    imports camel-tools (~0.6 s), which reading a warm cache does not need."""
    from .tokenise import iter_tokenise as tokenise_texts

    return tokenise_texts(texts, settings, **kwargs)


__all__ = ["TokenCache", "fingerprint_texts", "iter_tokens", "iter_token_arrays", "read_cache_metadata",
           "CacheError"]

_META_KEY = b"workbench.tokens"
_SCHEMA = pa.schema([("id", pa.string()), ("tokens", pa.list_(pa.string()))])


def fingerprint_texts(ids: Iterable[object], texts: Iterable[str]) -> str:
    """Stable hex SHA-256 of a corpus' ids and texts, computed streamingly (constant memory).

    Each id and text is length-prefixed, so ("ab", "c") and ("a", "bc") differ, and order matters.
    Raises :class:`ValueError` if ``ids`` and ``texts`` have different lengths.
    """
    h = hashlib.sha256(b"workbench.texts.v1\n")
    for doc_id, text in zip(ids, texts, strict=True):
        for part in (str(doc_id).encode("utf-8"), text.encode("utf-8", "surrogatepass")):
            h.update(len(part).to_bytes(8, "little"))
            h.update(part)
    return h.hexdigest()


class TokenCache:
    """A folder of tokenised corpora keyed by (content fingerprint, settings fingerprint).

    ``builds`` and ``hits`` count what :meth:`get_or_build` did in this object's lifetime.
    """

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self.builds = 0
        self.hits = 0

    def key(self, settings: TextSettings, content_fingerprint: str) -> str:
        """Cache key: hash of the content fingerprint and the settings fingerprint."""
        if not content_fingerprint or not isinstance(content_fingerprint, str):
            raise CacheError("content_fingerprint must be a non-empty string (see fingerprint_texts)")
        blob = f"{content_fingerprint}\n{settings.fingerprint()}".encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:32]

    def path_for(self, settings: TextSettings, content_fingerprint: str) -> Path:
        """Where the entry for these settings and content lives (whether or not it exists yet)."""
        return self.root / f"tokens-{self.key(settings, content_fingerprint)}.parquet"

    def lookup(self, settings: TextSettings, content_fingerprint: str) -> Path | None:
        """The verified entry for these settings and content, or None if there is none to trust.

        An entry that fails verification is removed (when the folder allows it) with a one-line
        :class:`~workbench.errors.WorkbenchWarning` saying which entry, why, and that it is rebuilt.
        """
        path = self.path_for(settings, content_fingerprint)
        if not path.is_file():
            return None
        problem = _verify_entry(path, settings, content_fingerprint)
        if problem is None:
            self.hits += 1
            return path
        warnings.warn(f"token cache entry {path} {problem}; it is not used and is rebuilt",
                      WorkbenchWarning, stacklevel=3)
        for p in (path, _record_path(path)):
            try:
                _unlink(p)
            except OSError:
                pass  # a read-only cache: the rebuild reports where it could not write
        return None

    def get_or_build(
        self,
        ids: Iterable[object],
        texts: Iterable[str],
        settings: TextSettings,
        content_fingerprint: str,
        *,
        workers: int | None = None,
        row_group_size: int = 5000,
        total: int | None = None,
        scheduler: object = None,
    ) -> Path:
        """Return the Parquet path of the tokenised corpus, tokenising only if it is not cached.

        ``ids`` and ``texts`` are consumed only on a build, and streamingly; they must have the
        same length. ``workers`` goes to :func:`~workbench.text.tokenise.iter_tokenise`.
        ``scheduler`` (Dask: ``"local"`` or an address; None = no Dask) has the row groups
        tokenised on Dask workers instead (:func:`workbench.cluster.iter_token_tables`); the file
        is the same byte for byte.
        Ids are stored as strings. A build shows a progress bar on a terminal
        (:mod:`workbench.progress`), out of ``total`` documents (default ``len(ids)`` if it has one).
        """
        path = self.lookup(settings, content_fingerprint)
        if path is not None:
            return path
        path = self.path_for(settings, content_fingerprint)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(describe_os_error(exc, self.root, "create the token cache folder")
                             + _CACHE_HINT) from None
        meta = {
            "settings": settings.to_dict(),
            "settings_fingerprint": settings.fingerprint(),
            "content_fingerprint": content_fingerprint,
            "pipeline_version": PIPELINE_VERSION,
        }
        schema = _SCHEMA.with_metadata({_META_KEY: json.dumps(meta, ensure_ascii=False).encode("utf-8")})
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        record = _record_path(path)
        try:
            if total is None and hasattr(ids, "__len__"):
                total = len(ids)
            with pq.ParquetWriter(tmp, schema, compression="zstd") as writer, \
                    progress_bar(total, desc="tokenising", unit=" articles") as bar:
                id_buf: list[str] = []
                tok_buf: list[list[str]] = []
                written = 0
                if scheduler is not None:  # Dask: the workers return the same row groups, in order
                    from ..cluster import iter_token_tables

                    for table in iter_token_tables(zip(ids, texts, strict=True), settings, schema, scheduler,
                                                   rows=row_group_size, progress=bar.update):
                        writer.write_table(table)
                        written += table.num_rows
                else:
                    for doc_id, toks in zip(ids, iter_tokenise(texts, settings, workers=workers), strict=True):
                        id_buf.append(str(doc_id))
                        tok_buf.append(toks)
                        bar.update()
                        if len(id_buf) >= row_group_size:
                            writer.write_table(_table(id_buf, tok_buf, schema))
                            written += len(id_buf)
                            id_buf, tok_buf = [], []
                if id_buf or not written:  # an empty corpus still gets a (empty) table
                    writer.write_table(_table(id_buf, tok_buf, schema))
            with open(tmp, "rb") as f:
                digest = hashlib.file_digest(f, "sha256").hexdigest()
                size = os.fstat(f.fileno()).st_size
            # the record goes first: a published entry always has one (a crash in between leaves a
            # record without an entry, which is a plain miss)
            with open(record, "w", encoding="utf-8") as f:
                json.dump({"file": path.name, "bytes": size, "sha256": digest}, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except ValueError as exc:
            _unlink(tmp)
            _unlink(record)
            if "zip()" in str(exc):
                raise CacheError("ids and texts have different lengths") from exc
            raise
        except OSError as exc:  # full disk, no permission, read-only folder (pyarrow's too)
            _unlink(tmp)
            _unlink(record)
            raise CacheError(describe_os_error(exc, path, "write the token cache") + _CACHE_HINT) from None
        except BaseException:
            _unlink(tmp)
            _unlink(record)
            raise
        self.builds += 1
        return path


def _table(ids: list[str], tokens: list[list[str]], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_arrays(
        [pa.array(ids, type=pa.string()), pa.array(tokens, type=pa.list_(pa.string()))],
        schema=schema,
    )


def _unlink(p: Path) -> None:
    try:
        p.unlink()
    except FileNotFoundError:
        pass
    except OSError:
        pass  # cleaning up after a failure must not hide the failure


_CACHE_HINT = " (or put the cache elsewhere: --cache DIR or the WORKBENCH_CACHE environment variable)"


def _record_path(path: Path) -> Path:
    return path.with_suffix(".json")


def _verify_entry(path: Path, settings: TextSettings, content_fingerprint: str) -> str | None:
    """Why the entry at ``path`` cannot be trusted, or None if it checks out."""
    from ..integrity import file_sha256

    try:
        rec = json.loads(_record_path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "has no integrity record (written by an older version, or its build was interrupted)"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"has an unreadable integrity record ({' '.join(str(exc).split())})"
    if not isinstance(rec, dict) or not isinstance(rec.get("sha256"), str) or not isinstance(rec.get("bytes"), int):
        return "has a malformed integrity record"
    try:
        size = path.stat().st_size
        if size != rec["bytes"]:
            return f"has {size} bytes, not the {rec['bytes']} recorded (truncated or replaced)"
        if file_sha256(path) != rec["sha256"]:
            return "does not match its recorded SHA-256 (damaged or changed)"
        meta = read_cache_metadata(path)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    except CacheError as exc:
        return f"is not a readable token cache ({exc})"
    if (meta.get("content_fingerprint") != content_fingerprint
            or meta.get("settings_fingerprint") != settings.fingerprint()):
        return "was made from other texts or settings than its name says"
    return None


def iter_tokens(path: str | os.PathLike[str], batch_size: int = 5000) -> Iterator[tuple[list[str], list[list[str]]]]:
    """Stream a cached tokenisation as ``(ids, token_lists)`` batches of at most ``batch_size`` rows.

    Reads one batch at a time, so memory depends on ``batch_size``, not on the corpus.
    """
    for batch in _batches(path, batch_size, ["id", "tokens"]):
        yield batch.column(0).to_pylist(), batch.column(1).to_pylist()


def iter_token_arrays(path: str | os.PathLike[str], batch_size: int = 5000,
                      mask=None) -> Iterator[pa.Array]:
    """Stream the ``tokens`` column as Arrow ``list<string>`` arrays (no Python objects per token).

    ``mask`` (a boolean array over all rows, in file order) keeps only the selected rows.
    """
    pos = 0
    for batch in _batches(path, batch_size, ["tokens"]):
        col = batch.column(0)
        if mask is not None:
            col = col.filter(pa.array(mask[pos:pos + len(col)]))
        pos += batch.num_rows
        yield col


def _batches(path, batch_size: int, columns: list[str]) -> Iterator[pa.RecordBatch]:
    """Record batches of a cache file; any read error is a :class:`CacheError` naming the file."""
    try:
        it = pq.ParquetFile(path).iter_batches(batch_size=batch_size, columns=columns)
        while True:
            batch = next(it, None)
            if batch is None:
                return
            yield batch
    except (OSError, pa.ArrowException) as exc:
        raise CacheError(f"cannot read token cache {path}: {' '.join(str(exc).split())[:200]}; delete the "
                         "file and run again to rebuild it") from None


def read_cache_metadata(path: str | os.PathLike[str]) -> dict:
    """The settings, fingerprints and pipeline version stored in a cache entry."""
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as exc:
        raise CacheError(f"cannot read token cache {path}: {' '.join(str(exc).split())[:200]}") from None
    raw = (schema.metadata or {}).get(_META_KEY)
    if raw is None:
        raise CacheError(f"{path} is not a workbench token cache (no {_META_KEY.decode()} metadata)")
    try:
        meta = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        meta = None
    if not isinstance(meta, dict):
        raise CacheError(f"{path}: the token cache's metadata is damaged")
    return meta
