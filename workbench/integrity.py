"""What the workbench trusts on disk: file hashes, signed manifests and the per-user folders.

Some of what the workbench writes is later *executed* when read back: a gensim topic model is a
pickle, and unpickling runs whatever code the file names. So a folder the workbench will unpickle
carries a manifest (:func:`write_manifest`) listing the SHA-256 of every file in it, authenticated
with an HMAC-SHA256 under a secret key that only this user account holds (:func:`secret_key`,
created on first use with mode 0600). :func:`verify_manifest` refuses a folder with a missing,
extra, changed or unsigned file: a folder copied from another machine or account, or edited since
it was written, is never unpickled.

Where things live (XDG Base Directory conventions):

* the secret key: ``$WORKBENCH_KEY_FILE``, else ``$XDG_CONFIG_HOME/arabic-media-workbench/cache.key``
  (``~/.config/...``);
* the per-user cache (:func:`user_cache_dir`): ``$XDG_CACHE_HOME/arabic-media-workbench``
  (``~/.cache/...``), used when a store's own ``cache/`` folder cannot be written.

Hashes of large files are remembered per process (keyed by device, inode, size and modification
time), so checking the same unchanged file twice costs one hash.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
import uuid
from pathlib import Path

from .errors import IntegrityError, describe_os_error

__all__ = ["APP", "KEY_ENV", "IntegrityError", "user_cache_dir", "user_config_dir", "key_path",
           "secret_key", "file_sha256", "write_manifest", "verify_manifest", "MANIFEST"]

APP = "arabic-media-workbench"
KEY_ENV = "WORKBENCH_KEY_FILE"
MANIFEST = "workbench-manifest.json"
_MANIFEST_FORMAT = 1


def _xdg(var: str, default: str) -> Path:
    base = os.environ.get(var)
    return Path(base) if base and os.path.isabs(base) else Path.home() / default


def user_cache_dir() -> Path:
    """The per-user cache folder (``$XDG_CACHE_HOME/arabic-media-workbench``; not created)."""
    return _xdg("XDG_CACHE_HOME", ".cache") / APP


def user_config_dir() -> Path:
    """The per-user configuration folder (``$XDG_CONFIG_HOME/arabic-media-workbench``; not created)."""
    return _xdg("XDG_CONFIG_HOME", ".config") / APP


def key_path() -> Path:
    """Where the secret key that signs manifests is kept (``$WORKBENCH_KEY_FILE`` overrides)."""
    env = os.environ.get(KEY_ENV)
    return Path(env) if env else user_config_dir() / "cache.key"


_KEYS: dict[str, bytes] = {}


def _read_key(path: Path) -> bytes:
    raw = path.read_text(encoding="ascii").strip()
    if len(raw) != 64 or any(c not in "0123456789abcdef" for c in raw):
        raise IntegrityError(f"{path}: the workbench's secret key is damaged; delete it (a new one is made, "
                             "and models cached before are retrained)")
    return bytes.fromhex(raw)


def secret_key() -> bytes:
    """This user's secret key (32 random bytes), created on first use readable by this user only.

    Raises :class:`IntegrityError` (one line, with the path and the OS reason) if it can be neither
    read nor created.
    """
    path = key_path()
    cached = _KEYS.get(str(path))
    if cached is not None:
        return cached
    try:
        try:
            key = _read_key(path)
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "w", encoding="ascii") as f:
                    f.write(secrets.token_hex(32) + "\n")
                    f.flush()
                    os.fsync(f.fileno())
                try:
                    os.link(tmp, path)  # atomic and never overwrites a key another process just made
                except FileExistsError:
                    pass
            finally:
                tmp.unlink(missing_ok=True)
            key = _read_key(path)
    except OSError as e:
        raise IntegrityError(describe_os_error(e, path, "read or create the workbench's secret key")) from None
    _KEYS[str(path)] = key
    return key


_HASHES: dict[str, tuple[tuple, str]] = {}


def _signature(st: os.stat_result) -> tuple:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, remembered while the file is unchanged (same inode, size, times)."""
    path = Path(path)
    sig = _signature(path.stat())
    hit = _HASHES.get(str(path))
    if hit is not None and hit[0] == sig:
        return hit[1]
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
        after = _signature(os.fstat(f.fileno()))
    if after == sig:
        _HASHES[str(path)] = (sig, digest)
    return digest


def _mac(key: bytes, kind: str, files: dict[str, str]) -> str:
    body = json.dumps({"format": _MANIFEST_FORMAT, "kind": kind, "files": files}, sort_keys=True,
                      ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name != MANIFEST)


def write_manifest(folder: str | os.PathLike, kind: str) -> Path:
    """Sign every file of ``folder`` (flat; no sub-folders) into ``folder/workbench-manifest.json``."""
    folder = Path(folder)
    key = secret_key()
    files = {}
    for p in _entries(folder):
        if not p.is_file() or p.is_symlink():
            raise IntegrityError(f"{p}: only plain files can be signed")
        files[p.name] = file_sha256(p)
    doc = {"format": _MANIFEST_FORMAT, "kind": kind, "files": files, "hmac": _mac(key, kind, files)}
    out = folder / MANIFEST
    out.write_text(json.dumps(doc, indent=1, sort_keys=True), encoding="utf-8")
    return out


def verify_manifest(folder: str | os.PathLike, kind: str) -> None:
    """Check that ``folder`` is exactly what this user's workbench signed; raise :class:`IntegrityError`.

    Refused: no manifest or an unreadable one; a signature made with another key (another machine
    or user account) or a changed manifest; a file missing, added, replaced by a link or a folder,
    or whose bytes changed. The message is the reason only; callers say what it means.
    """
    folder = Path(folder)
    mpath = folder / MANIFEST
    try:
        doc = json.loads(mpath.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IntegrityError("it has no workbench manifest (it was not written by this version of the "
                             "workbench)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise IntegrityError(f"its manifest cannot be read ({e})") from None
    files = doc.get("files") if isinstance(doc, dict) else None
    if (not isinstance(files, dict) or not isinstance(doc.get("hmac"), str)
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items())):
        raise IntegrityError("its manifest is malformed")
    if doc.get("kind") != kind or doc.get("format") != _MANIFEST_FORMAT:
        raise IntegrityError(f"its manifest is for a {doc.get('kind')!r}, not a {kind!r}")
    if not hmac.compare_digest(_mac(secret_key(), kind, files), doc["hmac"]):
        raise IntegrityError("its manifest is not signed with this user's workbench key (it was written on "
                             "another machine or account, or edited)")
    present = {p.name: p for p in _entries(folder)}
    extra = sorted(set(present) - set(files))
    if extra:
        raise IntegrityError(f"it holds a file the manifest does not list ({extra[0]})")
    for name, digest in sorted(files.items()):
        p = present.get(name)
        if p is None:
            raise IntegrityError(f"{name} is missing")
        try:
            mode = p.lstat().st_mode
            if not stat.S_ISREG(mode):
                raise IntegrityError(f"{name} is not a plain file")
            actual = file_sha256(p)
        except OSError as e:
            raise IntegrityError(f"{name} cannot be read ({e.strerror})") from None
        if not hmac.compare_digest(actual, digest):
            raise IntegrityError(f"{name} was changed after it was written (its SHA-256 differs)")
