"""A content-addressed cache of rendered files: the same input bytes give back the same output bytes.

Two steps of a report are slow, deterministic functions of bytes the workbench already holds:
rasterising a figure to PNG at 300 dpi (a function of the figure, whose SVG describes it fully:
fonts are embedded as glyph paths, element ids are salted with a fixed string) and printing the
self-contained report HTML to PDF with headless Chromium (a function of the page). On a warm re-run
with nothing changed they were about half of the time spent outside the kernel's start. So each
output is kept under ``<user cache>/rendered/<kind>/<sha256 of key>`` (see
:func:`workbench.integrity.user_cache_dir`), where the key holds the input's bytes and everything
else the output depends on (the renderer's version, dpi, the Chromium binary), and a run whose key
is known copies the file instead of rendering it again.

A side effect researchers want: a re-run of an unchanged report gives a byte-identical PDF
(Chromium writes a creation date into every PDF it prints, so two prints of one page differ).

Nothing is executed or unpickled from the cache: an entry is a PNG or PDF file, checked for its
format's signature before it is used (a damaged entry is rendered again and replaced). Each kind
keeps its newest :data:`KEEP` entries. ``WORKBENCH_RENDER_CACHE=0`` turns the cache off.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

__all__ = ["CACHE_ENV", "KEEP", "Uncacheable", "enabled", "cache_dir", "digest", "rendered", "code_version",
           "fingerprint", "cached_files", "store_files"]

#: Set to ``0`` to render every file afresh.
CACHE_ENV = "WORKBENCH_RENDER_CACHE"
#: Entries kept per kind (the newest by use).
KEEP = 400
_SIGNATURES = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF", "svg": b"<?xml"}


def enabled() -> bool:
    return os.environ.get(CACHE_ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


def cache_dir(kind: str) -> Path:
    from .integrity import user_cache_dir

    return user_cache_dir() / "rendered" / kind


def digest(*parts: bytes | str) -> str:
    """SHA-256 of ``parts``, each length-prefixed (so ``("ab", "c")`` and ``("a", "bc")`` differ)."""
    h = hashlib.sha256()
    for p in parts:
        b = p.encode("utf-8") if isinstance(p, str) else p
        h.update(len(b).to_bytes(8, "big"))
        h.update(b)
    return h.hexdigest()


def _valid(path: Path, kind: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(_SIGNATURES[kind])) == _SIGNATURES[kind]
    except OSError:
        return False


def _copy_atomic(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _prune(folder: Path, keep: int) -> None:
    try:
        entries = sorted(folder.glob("*.*"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for p in entries[keep:]:
        p.unlink(missing_ok=True)


def rendered(kind: str, key: str, out: str | os.PathLike, render: Callable[[Path], object]) -> Path:
    """Write ``out`` from the cache entry ``key`` of ``kind`` (``png`` or ``pdf``), else by
    ``render(out)`` and keep a copy. ``key`` comes from :func:`digest` over every input of the
    output. The cache is best effort: a cache that cannot be read or written only costs time."""
    out = Path(out)
    if kind not in _SIGNATURES:
        raise ValueError(f"unknown rendered kind {kind!r}")
    if not enabled():
        render(out)
        return out
    entry = cache_dir(kind) / f"{key}.{kind}"
    if _valid(entry, kind):
        try:
            _copy_atomic(entry, out)
            os.utime(entry)  # newest by use survive pruning
            return out
        except OSError:
            pass
    render(out)
    if _valid(out, kind):
        try:
            _copy_atomic(out, entry)
            _prune(entry.parent, KEEP)
        except OSError:
            pass
    return out


# ---------------------------------------------------------------------------------------------
# Memoised figures: a figure of the workbench's plotting functions is a function of its arguments,
# of the workbench's code and of matplotlib (version and rcParams); see ReportContext.plot.


class Uncacheable(TypeError):
    """An argument the cache cannot fingerprint (the result is computed, not cached)."""


@lru_cache(maxsize=1)
def code_version() -> str:
    """SHA-256 over every file of the installed ``workbench`` package (sources, templates, fonts):
    any change to the code invalidates what was cached with it. Computed once per process."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(root)).encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def fingerprint(obj: Any) -> str:
    """A stable digest of plain data (what plotting functions take): None, numbers, strings,
    dates, lists, tuples, dicts, sets, numpy arrays, pandas Series, Index and DataFrames (values,
    index, columns, dtypes and ``attrs``). Anything else raises :class:`Uncacheable`."""
    return digest(*_parts(obj))


def _parts(obj: Any) -> list[str | bytes]:
    import datetime as dt

    import numpy as np
    import pandas as pd

    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes, np.generic, dt.date,
                                       dt.time, dt.timedelta, pd.Timestamp, pd.Timedelta, pd.Period)):
        return [type(obj).__name__, repr(obj)]
    if isinstance(obj, (list, tuple)):
        return [type(obj).__name__, str(len(obj)), *[x for o in obj for x in _parts(o)]]
    if isinstance(obj, (set, frozenset)):
        return ["set", *sorted(fingerprint(o) for o in obj)]
    if isinstance(obj, dict):
        items = sorted((fingerprint(k), fingerprint(v)) for k, v in obj.items())
        return ["dict", str(len(items)), *[x for kv in items for x in kv]]
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            return ["ndarray-object", repr(obj.shape), *_parts(obj.tolist())]
        return ["ndarray", obj.dtype.str, repr(obj.shape), np.ascontiguousarray(obj).tobytes()]
    if isinstance(obj, pd.Index):
        return ["index", type(obj).__name__, str(obj.dtype), repr(obj.names), *_parts(obj.tolist())]
    if isinstance(obj, pd.Series):
        return ["series", repr(obj.name), str(obj.dtype), *_parts(obj.index), *_parts(obj.to_numpy()),
                *_parts(dict(obj.attrs))]
    if isinstance(obj, pd.DataFrame):
        cols = [x for name in obj.columns for x in _parts(obj[name].to_numpy())] if obj.columns.is_unique \
            else _parts(obj.to_numpy())
        return ["frame", repr(obj.shape), *_parts(obj.columns), *_parts([str(t) for t in obj.dtypes]),
                *_parts(obj.index), *cols, *_parts(dict(obj.attrs))]
    raise Uncacheable(f"cannot fingerprint a {type(obj).__name__}")


def cached_files(key: str, outs: dict[str, Path]) -> bool:
    """Copy the entries ``<key>.<kind>`` to ``outs[kind]`` if every one is in the cache."""
    if not enabled():
        return False
    entries = {kind: cache_dir(kind) / f"{key}.{kind}" for kind in outs}
    if not all(_valid(e, kind) for kind, e in entries.items()):
        return False
    try:
        for kind, e in entries.items():
            _copy_atomic(e, outs[kind])
            os.utime(e)
    except OSError:
        return False
    return True


def store_files(key: str, outs: dict[str, Path]) -> None:
    """Keep copies of ``outs[kind]`` as the entries ``<key>.<kind>`` (best effort)."""
    if not enabled():
        return
    for kind, path in outs.items():
        if _valid(path, kind):
            try:
                entry = cache_dir(kind) / f"{key}.{kind}"
                _copy_atomic(path, entry)
                _prune(entry.parent, KEEP)
            except OSError:
                pass
