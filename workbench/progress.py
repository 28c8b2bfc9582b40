"""Progress on the terminal: when to show it, and the bar that shows it.

One policy for everything that reports progress (the tokenising and counting bars, the topic
training bar, a report's section lines): progress goes to standard error, and only when standard
error is a terminal. A log file, a pipe, CI, cron and a notebook get none of it, so no ``\\r`` bar
ever lands in a log or in a report's HTML.

``WORKBENCH_PROGRESS`` overrides the terminal test: ``0`` (or ``false``/``no``/``off``) never shows
progress, ``1`` (or ``true``/``yes``/``on``) always does, e.g. to watch a long run through ``tee``.
Inside a Jupyter kernel (a report running under papermill, or an interactive notebook) bars are
never drawn whatever the variable says, because the kernel's standard error is the notebook.

:func:`progress_bar` is a context manager giving a bar (a ``tqdm`` on ``sys.stderr``) or, when
progress is off, an object whose ``update`` does nothing; :func:`progress` wraps an iterable the
same way and returns it unchanged when progress is off. Bars appear only for work that lasts more
than :data:`DELAY` seconds and are erased when it ends.

Example::

    with progress_bar(total=len(texts), desc="tokenising", unit=" articles") as bar:
        for text in texts:
            ...
            bar.update()
"""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Iterable, Iterator, TextIO

__all__ = ["ENV", "DELAY", "NO_BAR", "enabled", "in_kernel", "progress", "progress_bar"]

#: The environment variable that turns progress output on (``1``) or off (``0``) regardless of the terminal.
ENV = "WORKBENCH_PROGRESS"

#: Seconds of work before a bar appears (shorter work shows none).
DELAY = 1.0

_ON = frozenset({"1", "true", "yes", "on"})
_OFF = frozenset({"0", "false", "no", "off"})


def _isatty(stream) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def _columns(stream) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):  # not a terminal, or no file descriptor
        return 0


def in_kernel() -> bool:
    """True inside a Jupyter kernel, where standard error is shown in (and saved with) the notebook."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # noqa: BLE001 - a half-imported IPython is no kernel
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def enabled(stream: TextIO | None = None) -> bool:
    """Whether progress is shown on ``stream`` (default ``sys.stderr``): ``WORKBENCH_PROGRESS``
    if set to a yes or no, else whether the stream is a terminal."""
    value = os.environ.get(ENV, "").strip().lower()
    if value in _OFF:
        return False
    if value in _ON:
        return True
    return _isatty(sys.stderr if stream is None else stream)


class _NoBar:
    """What :func:`progress_bar` gives when progress is off: every method does nothing."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        pass


#: The bar :func:`progress_bar` gives when progress is off (``bar is NO_BAR``: nothing is shown).
NO_BAR = _NoBar()


@contextmanager
def progress_bar(total: int | None = None, *, desc: str | None = None, unit: str = " docs",
                 quiet: bool = False) -> Iterator:
    """A progress bar on standard error while the ``with`` block runs, erased at its end.

    Gives a ``tqdm`` bar (``update(n)``, ``set_postfix_str(s)``) when :func:`enabled` and not in a
    Jupyter kernel, otherwise :data:`NO_BAR`, whose methods do nothing. The bar is closed however the
    block ends, so an error message never lands on the bar's line.
    """
    if quiet or in_kernel() or not enabled():
        yield NO_BAR
        return
    from tqdm.std import tqdm  # never tqdm.auto: its notebook widget would be saved in the notebook

    # a terminal that reports no width (0 columns, e.g. under `script`) would get an empty bar
    size = {"dynamic_ncols": True} if _columns(sys.stderr) > 0 else {"ncols": 80, "nrows": 24}
    bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False, mininterval=0.5,
               delay=DELAY, **size)
    try:
        yield bar
    finally:
        bar.close()


def progress(iterable: Iterable, *, total: int | None = None, desc: str | None = None,
             unit: str = " docs", quiet: bool = False) -> Iterable:
    """``iterable`` with a progress bar (see :func:`progress_bar`), or ``iterable`` itself when
    progress is off. ``total`` defaults to ``len(iterable)`` when it has one."""
    if quiet or in_kernel() or not enabled():
        return iterable
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            total = None
    return _wrapped(iterable, total, desc, unit)


def _wrapped(iterable: Iterable, total: int | None, desc: str | None, unit: str) -> Iterator:
    with progress_bar(total, desc=desc, unit=unit) as bar:
        for item in iterable:
            yield item
            bar.update()
