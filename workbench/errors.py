"""Exceptions whose messages tell a researcher what went wrong and what to do next.

Every error the command line can raise derives from :class:`WorkbenchError`; the CLI prints its
message (one line per problem) and exits with its ``exit_code`` (2, or 3 for a failed report).
Python users catch the same classes. Errors in the values a caller passed (:class:`ArgumentError`,
:class:`StatisticsError`, :class:`SettingsError`) are also ``ValueError``. Any other exception
reaching the command line is a bug: :func:`internal_error_line` writes its traceback to a log file
and names that file in one line (exit 1).
"""
from __future__ import annotations

import errno
import os
import sys
from dataclasses import dataclass
from pathlib import Path


class WorkbenchError(Exception):
    """Base class: the message is meant for the researcher, not for a developer."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One problem in one input record: printed as ``file:line: field: message``."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.field}: {self.message}"


class InputError(WorkbenchError):
    """A source file could not be read (missing, undecodable, malformed as a whole)."""


class RegistryError(WorkbenchError):
    """The outlet registry is malformed or does not cover the corpus."""


class ValidationError(WorkbenchError):
    """An import found invalid records; nothing was written.

    ``problems`` holds every :class:`Problem`; the message shows the first ones.
    """

    shown = 50

    def __init__(self, problems: list[Problem], hint: str = ""):
        self.problems = list(problems)
        lines = [str(p) for p in self.problems[: self.shown]]
        more = len(self.problems) - self.shown
        if more > 0:
            lines.append(f"... and {more} more problems")
        n = len(self.problems)
        summary = f"{n} problem{'s' if n != 1 else ''} found; nothing was written to the store."
        if hint:
            summary += " " + hint
        lines.append(summary)
        super().__init__("\n".join(lines))


class StoreError(WorkbenchError):
    """The corpus store is missing, locked by another process, or damaged."""


class ArgumentError(WorkbenchError, ValueError):
    """A library function was given an argument value it cannot use; the message names the argument
    and what it accepts.

    Also a ``ValueError``, so code that catches ``ValueError`` keeps working. A ``TypeError`` or
    ``IndexError`` (a list where a mask was expected, row positions out of range) stays a plain
    Python error: the command line never passes one, so there it means a bug.
    """


class StatisticsError(ArgumentError):
    """A statistic was asked for something impossible: an empty group, mismatched lengths, a
    threshold out of range, an unknown measure or correction (the message names the argument)."""


class IntegrityError(WorkbenchError):
    """A file or folder failed verification; the message says why (callers add what to do)."""


class SettingsError(WorkbenchError, ValueError):
    """Raised for an invalid text-pipeline setting; the message names the offending key.

    A :class:`~workbench.errors.WorkbenchError` (the command line reports it, exit 2) and, as
    before, a ``ValueError``.
    """


class MorphologyUnavailable(SettingsError):
    """Morphology (``tokens`` = d3tok, atbtok or lemma) was asked for but camel-tools' morphology
    database is not installed; the message says how to install it."""


class CacheError(WorkbenchError, RuntimeError):
    """Raised when a token cache cannot be built or read (the message says why).

    A :class:`~workbench.errors.WorkbenchError` (the command line reports it, exit 2); still a
    ``RuntimeError`` for code written before.
    """


class MatrixError(WorkbenchError):
    """A matrix could not be built or grouped as asked (the message says which argument)."""


class AnalysisError(WorkbenchError):
    """An analysis was asked for groups, dates or outlets the corpus does not have."""


class TopicError(WorkbenchError):
    """A topic model was asked for something impossible (the message says which argument)."""


class ParameterError(WorkbenchError):
    """A report parameter is unknown or has a value of the wrong type or range."""


class CollectError(WorkbenchError):
    """A collection cannot start (another one runs on the store, no outlet has feeds, ...)."""


class ScheduleError(WorkbenchError):
    """A schedule file is missing or malformed (the message names the file and field)."""


class PdfUnavailable(WorkbenchError):
    """No Chromium/Chrome was found to print the PDF; the HTML report is still complete."""

    def __init__(self, message: str | None = None):
        super().__init__(
            message
            or "no Chromium to print the PDF: install Chromium: `sudo apt-get install chromium` "
            "(Debian/Ubuntu), or set WORKBENCH_CHROMIUM=/path/to/chrome; "
            "the HTML report is complete without it"
        )


class ReportError(WorkbenchError):
    """A report run failed; the message says which section and which error.

    ``folder`` is the kept ``<stamp>.failed`` folder when the run got as far as creating one.
    """

    exit_code = 3

    def __init__(self, message: str, folder: Path | None = None):
        super().__init__(message)
        self.folder = folder


class ReportInterrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C (a :class:`KeyboardInterrupt`, so callers stop as for any Ctrl-C).

    The run was marked failed like any other; ``str()`` is the one-line reason, ``folder`` the
    kept ``<stamp>.failed`` folder. Not a :class:`WorkbenchError`: the command line exits 130.
    """

    def __init__(self, message: str, folder: Path | None = None):
        super().__init__(message)
        self.folder = folder


class WorkbenchWarning(UserWarning):
    """A one-line notice for the researcher (a cache rebuilt or moved); the command line prints
    it as ``warning: <message>``."""


#: OS errors that describe the machine (full disk, permissions), not a bug in the workbench.
ENVIRONMENT_ERRNOS = frozenset(
    getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EACCES", "EPERM", "EROFS", "EIO", "EMFILE",
                                      "ENFILE", "EFBIG", "ENAMETOOLONG")
    if hasattr(errno, name)
)


def describe_os_error(exc: OSError, path: object = None, doing: str = "") -> str:
    """One line for an OS error: the path, what was being done, the OS reason and what to do.

    ``path`` overrides the error's own file name (a write error from ``f.write`` names none).
    """
    where = path if path is not None else (exc.filename if exc.filename is not None else None)
    reason = exc.strerror or str(exc) or type(exc).__name__
    head = f"{where}: " if where is not None else ""
    if doing:
        head += f"cannot {doing}: "
    hint = ""
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1), errno.EFBIG):
        hint = "; free some disk space or choose a folder on another disk"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "; check the folder's permissions or choose a folder you can write to"
    return f"{head}{reason}{hint}"


def write_error_log(exc: BaseException) -> Path | None:
    """Write ``exc``'s full traceback, with the command line and versions, to a new log file.

    The file is ``<user cache>/logs/error-YYYYmmdd-HHMMSS-PID.log`` (``~/.cache/arabic-media-workbench``,
    see :func:`workbench.integrity.user_cache_dir`), else a file in the system's temporary folder.
    Returns its path, or ``None`` if no file could be written: reporting a failure never fails.
    """
    import datetime
    import platform
    import tempfile
    import traceback

    try:
        from . import __version__

        now = datetime.datetime.now()
        text = "".join([
            f"workbench {__version__}, Python {platform.python_version()}, {platform.platform()}\n",
            f"time: {now.isoformat(timespec='seconds')}\n",
            f"command: {' '.join(sys.argv)}\n",
            f"cwd: {os.getcwd()}\n\n",
            *traceback.format_exception(type(exc), exc, exc.__traceback__),
        ])
        name = f"error-{now:%Y%m%d-%H%M%S}-{os.getpid()}"
    except Exception:  # noqa: BLE001 - never fail while reporting a failure
        return None

    def _write(fd: int, path: str) -> Path:
        try:
            with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as f:
                f.write(text)
        except BaseException:
            Path(path).unlink(missing_ok=True)  # no empty log left behind (a full disk)
            raise
        return Path(path)

    try:
        from .integrity import user_cache_dir

        folder = user_cache_dir() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.log"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # a second failure in the same second of the same process
            fd, path = tempfile.mkstemp(prefix=f"{name}-", suffix=".log", dir=folder)
        return _write(fd, str(path))
    except Exception:  # noqa: BLE001 - a read-only home, a full disk: try the temporary folder
        pass
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"workbench-{name}-", suffix=".log")
        return _write(fd, tmp)
    except Exception:  # noqa: BLE001 - nowhere to write: the line says so
        return None


def internal_error_line(exc: BaseException, limit: int = 500) -> str:
    """The one line the command line prints for an unexpected exception (a bug), after writing its
    traceback with :func:`write_error_log`."""
    try:
        message = " ".join(str(exc).split())
    except Exception:  # noqa: BLE001 - a broken __str__
        message = "(no message)"
    if len(message) > limit:
        message = message[: limit - 1] + "…"
    log = write_error_log(exc)
    where = (f"the traceback is in {log}; please report it with that file" if log is not None else
             "rerun with WORKBENCH_DEBUG=1 for the traceback and please report it")
    return f"internal error: {type(exc).__name__}: {message} (a bug; {where})"
