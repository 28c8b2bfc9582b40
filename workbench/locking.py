"""An exclusive, non-blocking lock on a folder, shared by corpus imports and report runs."""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def folder_lock(folder: Path, busy: Exception):
    """Hold ``folder/.lock`` exclusively for the block; raise ``busy`` at once if another process holds it.

    The lock is released when the process ends, even if it is killed, so a crash never leaves a
    stale lock behind.
    """
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy from None
        yield
    finally:
        os.close(fd)
