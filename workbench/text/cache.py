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
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from .settings import PIPELINE_VERSION, TextSettings
from .tokenise import iter_tokenise

__all__ = ["TokenCache", "fingerprint_texts", "iter_tokens", "iter_token_arrays", "read_cache_metadata",
           "CacheError"]

_META_KEY = b"workbench.tokens"
_SCHEMA = pa.schema([("id", pa.string()), ("tokens", pa.list_(pa.string()))])


class CacheError(RuntimeError):
    """Raised when a token cache cannot be built or read (the message says why)."""


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

    def get_or_build(
        self,
        ids: Iterable[object],
        texts: Iterable[str],
        settings: TextSettings,
        content_fingerprint: str,
        *,
        workers: int | None = None,
        row_group_size: int = 5000,
    ) -> Path:
        """Return the Parquet path of the tokenised corpus, tokenising only if it is not cached.

        ``ids`` and ``texts`` are consumed only on a build, and streamingly; they must have the
        same length. ``workers`` is passed to :func:`~workbench.text.tokenise.iter_tokenise`.
        Ids are stored as strings.
        """
        path = self.path_for(settings, content_fingerprint)
        if path.is_file():
            self.hits += 1
            return path
        self.root.mkdir(parents=True, exist_ok=True)
        meta = {
            "settings": settings.to_dict(),
            "settings_fingerprint": settings.fingerprint(),
            "content_fingerprint": content_fingerprint,
            "pipeline_version": PIPELINE_VERSION,
        }
        schema = _SCHEMA.with_metadata({_META_KEY: json.dumps(meta, ensure_ascii=False).encode("utf-8")})
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
                id_buf: list[str] = []
                tok_buf: list[list[str]] = []
                written = 0
                for doc_id, toks in zip(ids, iter_tokenise(texts, settings, workers=workers), strict=True):
                    id_buf.append(str(doc_id))
                    tok_buf.append(toks)
                    if len(id_buf) >= row_group_size:
                        writer.write_table(_table(id_buf, tok_buf, schema))
                        written += len(id_buf)
                        id_buf, tok_buf = [], []
                if id_buf or not written:  # an empty corpus still gets a (empty) table
                    writer.write_table(_table(id_buf, tok_buf, schema))
            os.replace(tmp, path)
        except ValueError as exc:
            _unlink(tmp)
            if "zip()" in str(exc):
                raise CacheError("ids and texts have different lengths") from exc
            raise
        except BaseException:
            _unlink(tmp)
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


def iter_tokens(path: str | os.PathLike[str], batch_size: int = 5000) -> Iterator[tuple[list[str], list[list[str]]]]:
    """Stream a cached tokenisation as ``(ids, token_lists)`` batches of at most ``batch_size`` rows.

    Reads one batch at a time, so memory depends on ``batch_size``, not on the corpus.
    """
    try:
        pf = pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise CacheError(f"cannot read token cache {path}: {exc}") from exc
    for batch in pf.iter_batches(batch_size=batch_size, columns=["id", "tokens"]):
        yield batch.column(0).to_pylist(), batch.column(1).to_pylist()


def iter_token_arrays(path: str | os.PathLike[str], batch_size: int = 5000,
                      mask=None) -> Iterator[pa.Array]:
    """Stream the ``tokens`` column as Arrow ``list<string>`` arrays (no Python objects per token).

    ``mask`` (a boolean array over all rows, in file order) keeps only the selected rows.
    """
    try:
        pf = pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise CacheError(f"cannot read token cache {path}: {exc}") from exc
    pos = 0
    for batch in pf.iter_batches(batch_size=batch_size, columns=["tokens"]):
        col = batch.column(0)
        if mask is not None:
            col = col.filter(pa.array(mask[pos:pos + len(col)]))
        pos += batch.num_rows
        yield col


def read_cache_metadata(path: str | os.PathLike[str]) -> dict:
    """The settings, fingerprints and pipeline version stored in a cache entry."""
    schema = pq.read_schema(path)
    raw = (schema.metadata or {}).get(_META_KEY)
    if raw is None:
        raise CacheError(f"{path} is not a workbench token cache (no {_META_KEY.decode()} metadata)")
    return json.loads(raw)
