"""An exclusive, non-blocking lock on a folder, shared by corpus imports and report runs.

The lock is the operating system's own lock on ``folder/.lock`` (``flock`` on Linux and macOS,
``LockFileEx`` on Windows, through the ``filelock`` library), so it works on every platform and is
released when the process ends, even if it is killed: a crash never leaves a stale lock behind.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout


@contextmanager
def folder_lock(folder: Path, busy: Exception):
    """Hold ``folder/.lock`` exclusively for the block; raise ``busy`` at once if another process
    (or another lock object of this process) holds it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / ".lock", timeout=0, is_singleton=False, thread_local=False, fallback_to_soft=False,
                    preserve_lock_file=True)
    try:
        lock.acquire(timeout=0, blocking=False)
    except Timeout:
        raise busy from None
    try:
        yield
    finally:
        lock.release(force=True)
