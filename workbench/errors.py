"""Exceptions whose messages tell a researcher what went wrong and what to do next.

Every error the command line can raise derives from :class:`WorkbenchError`; the CLI prints its
message (one line per problem) and exits non-zero. Python users catch the same classes.
"""
from __future__ import annotations

import errno
from dataclasses import dataclass


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
