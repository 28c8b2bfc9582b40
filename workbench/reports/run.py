"""Run a report: check parameters, execute the notebook with papermill, render, publish atomically.

A run works in a hidden folder ``reports/<name>/.<stamp>.running/`` and is published by renaming
it to ``reports/<name>/<YYYY-MM-DD_HHMMSS>/`` only when everything succeeded; a failed run (a cell
error, a cell running longer than ``cell_timeout`` seconds, a rendering error, Ctrl-C) is renamed
``<stamp>.failed``, keeps the partially executed notebook for debugging and gets a ``failure.json``
whose ``reason`` is the one-line message of the :class:`ReportError`. A run that was killed (or
whose machine stopped) leaves its ``.running`` folder behind; the next run of the same report finds
it under the lock (so no live run can own it) and renames it ``<stamp>.failed`` with the reason
"interrupted". ``reports/index.html`` lists published, failed and interrupted runs.

Earlier reports are never touched, except that ``keep`` (``--keep N``, a schedule's ``keep``) prunes
the oldest published runs after a success, and the oldest failed runs after any run: the newest
``keep`` published runs and the newest ``keep`` failed runs are kept. Pruning renames a folder to a
hidden ``.<stamp>.pruning`` before deleting it, so a kill mid-prune never leaves a half-deleted
report that looks published. One run per report name at a time (a lock file).

The notebook runs in a kernel of the running interpreter: :func:`ensure_kernel` installs a
kernelspec named ``arabic-media-workbench`` inside this environment (``sys.prefix``), so papermill
can never pick a mismatched ``python3`` kernel from elsewhere (the classic ``NoSuchKernel`` or
wrong-environment failure).

Progress. While the notebook runs, :class:`SectionLines` reads the ``sections.json`` its
:class:`~workbench.reports.notebook.ReportContext` keeps up to date and prints a line to standard
error as each section starts and ends (``  keyness started``, ``  keyness done in 12.4 s``), on a
terminal only (or with ``WORKBENCH_PROGRESS=1``; see :mod:`workbench.progress`) and never with
``quiet``. Nothing is printed from the kernel, so nothing of it reaches the report.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import nbformat

from ..errors import ReportError, ReportInterrupted, WorkbenchError
from ..locking import folder_lock
from ..paths import NOTEBOOKS_DIR, PROJECT_ROOT, REPORTS_DIR
from ..progress import enabled as progress_enabled
from .index import FAILURE_FILE
from .notebook import SECTIONS_FILE
from .parameters import (ParameterError, check_against_corpus, declared_checks, declared_parameters,
                         resolve_parameters)

KERNEL_NAME = "arabic-media-workbench"
DEFAULT_NOTEBOOK = NOTEBOOKS_DIR / "framing_report.ipynb"
DEFAULT_OUT = REPORTS_DIR
DEFAULT_CELL_TIMEOUT = 1800  # seconds one cell may run before the report fails
INTERRUPTED = "interrupted (the run was killed or the machine stopped)"
PACKAGES = ("workbench", "camel-tools", "pandas", "numpy", "scipy", "pyarrow", "matplotlib", "gensim",
            "papermill", "nbconvert", "nbclient", "ipykernel")


@dataclass
class RunResult:
    """Where a run's outputs are and what happened."""

    name: str
    folder: Path
    ok: bool
    manifest: dict = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- kernel

def ensure_kernel() -> str:
    """Install (once) a kernelspec for *this* interpreter inside this environment; return its name."""
    spec_dir = Path(sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME
    spec = spec_dir / "kernel.json"
    want = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 "--IPKernelApp.log_level=ERROR"],
        "display_name": "Python (Arabic media workbench)",
        "language": "python",
        "metadata": {"debugger": True},
    }
    try:
        if json.loads(spec.read_text()) == want:
            return KERNEL_NAME
    except (OSError, ValueError):
        pass
    spec_dir.mkdir(parents=True, exist_ok=True)
    tmp = spec.with_name(".kernel.json.tmp")
    tmp.write_text(json.dumps(want, indent=1))
    tmp.replace(spec)
    return KERNEL_NAME


# --------------------------------------------------------------------------- helpers

def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for p in PACKAGES:
        try:
            out[p] = version("arabic-media-workbench" if p == "workbench" else p)
        except PackageNotFoundError:
            out[p] = None
    return out


def _git() -> dict[str, Any]:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                                text=True, timeout=10)
        if commit.returncode != 0:
            return {"commit": None}
        # --no-optional-locks: `git status` would otherwise refresh the index under .git/index.lock,
        # and a report killed at that moment would leave the lock behind, breaking the user's git.
        dirty = subprocess.run(["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
                               cwd=PROJECT_ROOT, capture_output=True, text=True,
                               timeout=10).stdout.strip() != ""
        return {"commit": commit.stdout.strip(), "dirty": dirty}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None}


def _lock(folder: Path):
    return folder_lock(folder, ReportError(f"{folder}: another report run is writing here; wait for it to finish"))


def _stamp(folder: Path) -> str:
    """``YYYY-MM-DD_HHMMSS``, with ``-2``, ``-3`` … after any run of the same second, so stamps sort
    in the order the runs started (even when an earlier one of that second was pruned)."""
    base = dt.datetime.now().strftime("%Y-%m-%d_%H%M%S")
    used = [n for b, n in (_stamp_key(p.name) for p in _entries(folder)) if b == base]
    n = max(used, default=0) + 1
    return base if n == 1 else f"{base}-{n}"


def _failed_section(run_dir: Path) -> str | None:
    try:
        return json.loads((run_dir / SECTIONS_FILE).read_text(encoding="utf-8")).get("running")
    except (OSError, ValueError):
        return None


class SectionLines:
    """Prints a line to standard error as each section of a running report starts and ends.

    A background thread reads ``path`` (the run's ``sections.json``, rewritten by the notebook's
    :class:`~workbench.reports.notebook.ReportContext` as sections start and end) every
    ``interval`` seconds; a file caught half-written is read again at the next look. Use it as a
    context manager around the notebook's execution: leaving it, however the execution ended
    (error, timeout, Ctrl-C), stops and joins the thread and prints what the file says last. A
    section that starts and ends between two looks gets only its ``done`` line. With
    ``show=False`` it does nothing.
    """

    #: Seconds between two looks at the sections file.
    INTERVAL = 0.5

    def __init__(self, path: Path, *, show: bool = True, interval: float | None = None, out: TextIO | None = None):
        self.path, self.show, self.out = Path(path), show, out
        self.interval = self.INTERVAL if interval is None else interval
        self.lines: list[str] = []      # everything printed, for callers and tests
        self._done = 0                  # entries of "done" already printed
        self._started: tuple | None = None  # (section, its position) last printed as started
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="report-sections", daemon=True)

    def __enter__(self) -> "SectionLines":
        if self.show:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> bool:
        if self.show:
            self._stop.set()
            self._thread.join(timeout=10)
            if not self._thread.is_alive():  # never read the file from two threads at once
                self.poll()
        return False

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll()

    def poll(self) -> None:
        """Print the lines for what changed in the sections file since the last look."""
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
            done = state.get("done") or []
            running = state.get("running")
        except (OSError, ValueError, AttributeError):  # not written yet, half-written, or not ours
            return
        if not isinstance(done, list):
            return
        for i in range(self._done, len(done)):
            entry = done[i] if isinstance(done[i], dict) else {}
            seconds = entry.get("seconds")
            took = f" in {seconds:.1f} s" if isinstance(seconds, (int, float)) else ""
            self._print(f"  {entry.get('section', '?')} done{took}")
        self._done = max(self._done, len(done))
        if isinstance(running, str) and (running, len(done)) != self._started:
            self._started = (running, len(done))
            self._print(f"  {running} started")

    def _print(self, line: str) -> None:
        self.lines.append(line)
        _say(line, self.out)


def _say(line: str, out: TextIO | None = None) -> None:
    """Print a progress line to standard error; a closed or broken stream never fails the report."""
    try:
        print(line, file=out or sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def _resolve_store(values: dict[str, Any], checks: dict[str, dict[str, Any]]):
    """The analysis of the store a report reads (the demo store when ``store`` is None), after
    checking the parameters that need the corpus."""
    from ..analysis import Analysis
    from ..corpus.demo import demo_store
    from ..errors import StoreError

    store = values.get("store")
    path = Path(store).resolve() if store else demo_store()
    try:
        analysis = Analysis(path)
    except StoreError as e:
        raise ParameterError(f"parameter 'store': {e}") from None
    check_against_corpus(values, checks, analysis.metadata)
    return analysis


# --------------------------------------------------------------------------- run

def prepare(notebook: str | Path | None = None, params_file: dict | None = None,
            cli_params: list[tuple[str, str]] | None = None):
    """Resolve and check everything a run needs, before any kernel starts.

    Returns the notebook's path, its declared parameters, their checked values and the
    :class:`~workbench.analysis.Analysis` of its store (None for a notebook without ``store``).
    """
    nb_path = Path(notebook) if notebook else DEFAULT_NOTEBOOK
    if not nb_path.is_file():
        raise ParameterError(f"{nb_path}: notebook not found")
    declared = declared_parameters(nb_path)
    checks = declared_checks(nb_path)
    values = resolve_parameters(declared, params_file, cli_params, checks)
    analysis = _resolve_store(values, checks) if "store" in declared else None
    if analysis is not None:
        values["store"] = str(analysis.store.path.resolve())
    return nb_path, declared, values, analysis


def _check_count(value, what: str) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ParameterError(f"{what}: expected a whole number ≥ 1 (got {value!r})")


def run_report(
    notebook: str | Path | None = None,
    *,
    params_file: dict | None = None,
    cli_params: list[tuple[str, str]] | None = None,
    out: str | Path | None = None,
    name: str | None = None,
    keep: int | None = None,
    pdf: bool = True,
    cell_timeout: int | None = None,
    quiet: bool = False,
) -> RunResult:
    """Run one report end to end (see the module docstring); raises on failure after cleaning up.

    Returns the :class:`RunResult` of a successful run; a failed run raises :class:`ReportError`
    whose message is a one-line summary, with the failed folder kept for debugging (Ctrl-C raises
    :class:`ReportInterrupted` after the same clean-up). ``cell_timeout`` is the most seconds one
    cell may run (default :data:`DEFAULT_CELL_TIMEOUT`); ``keep`` keeps the newest ``keep``
    published and the newest ``keep`` failed runs of this report. Unless ``quiet``, a terminal
    shows a line as each section starts and ends (:class:`SectionLines`).
    """
    _check_count(keep, "keep")
    _check_count(cell_timeout, "cell_timeout")
    cell_timeout = cell_timeout or DEFAULT_CELL_TIMEOUT
    nb_path, declared, values, analysis = prepare(notebook, params_file, cli_params)
    from .render import PdfUnavailable, render_html, render_pdf  # after the checks: bad parameters fail fast

    name = name or nb_path.stem
    out_root = Path(out) if out else DEFAULT_OUT
    folder = out_root / name
    started = dt.datetime.now(dt.timezone.utc)
    with _lock(folder):
        messages = [f"report '{name}': an earlier run was {INTERRUPTED}; kept as {p}" for p in _recover(folder)]
        stamp = _stamp(folder)
        run_dir = folder / f".{stamp}.running"
        run_dir.mkdir(parents=True)
        values = {**values, "output_dir": str(run_dir.resolve())} if "output_dir" in declared else values
        stage = "setup"
        try:
            kernel = ensure_kernel()
            t0 = time.perf_counter()
            import logging

            import papermill as pm

            # papermill's own parameter inspection does not read annotated parameters and would warn
            # "Passed unknown parameter" for valid ones; ours were checked above.
            # Its error logs (e.g. "Timeout waiting for execute reply") repeat what our one-line
            # ReportError says.
            logging.getLogger("papermill").setLevel(logging.CRITICAL)

            stage = "execute"
            show = not quiet and progress_enabled()
            if show:
                _say(f"report '{name}': running {nb_path.name}")
            with SectionLines(run_dir / SECTIONS_FILE, show=show):
                pm.execute_notebook(str(nb_path), str(run_dir / "report.ipynb"), parameters=values,
                                    kernel_name=kernel, cwd=str(nb_path.parent), progress_bar=False,
                                    log_output=False, request_save_on_cell_execute=True,
                                    execution_timeout=cell_timeout, shutdown_kernel="immediate")
            executed = time.perf_counter() - t0
            stage = "render"
            if show:
                _say(f"report '{name}': notebook done in {executed:.1f} s; rendering HTML" + (" and PDF" if pdf else ""))
            nb = nbformat.read(run_dir / "report.ipynb", as_version=4)
            title = values.get("title") or name
            html = render_html(nb, run_dir / "report.html", title=title, lang=values.get("lang", "ar"))
            if pdf:
                try:
                    render_pdf(html, run_dir / "report.pdf")
                except PdfUnavailable as e:
                    messages.append(f"no PDF: {e}")
            sections = json.loads((run_dir / SECTIONS_FILE).read_text(encoding="utf-8")) \
                if (run_dir / SECTIONS_FILE).exists() else {"done": []}
            finished = dt.datetime.now(dt.timezone.utc)
            manifest = {
                "report": name,
                "notebook": str(nb_path.resolve()),
                "notebook_sha256": _sha256(nb_path),
                "parameters": {k: v for k, v in values.items() if k != "output_dir"},
                "corpus": None if analysis is None else {
                    k: v for k, v in analysis.manifest().items() if k in ("store", "fingerprint", "registry", "articles")
                },
                # what the notebook's own analysis used (ReportContext.record), not a second parse here
                "analysis": sections.get("analysis"),
                "text_settings": (sections.get("analysis") or {}).get("text_settings"),
                "packages": _versions(),
                "git": _git(),
                "started": started.isoformat(timespec="seconds"),
                "finished": finished.isoformat(timespec="seconds"),
                "duration_seconds": round((finished - started).total_seconds(), 2),
                "execution_seconds": round(executed, 2),
                "cell_timeout": cell_timeout,
                "sections": sections.get("done", []),
                "outputs": {},
            }
            (run_dir / SECTIONS_FILE).unlink(missing_ok=True)
            for p in sorted(run_dir.rglob("*")):
                if p.is_file() and p.name != "manifest.json":
                    manifest["outputs"][str(p.relative_to(run_dir))] = _sha256(p)
            _write_json(run_dir / "manifest.json", manifest)
        except BaseException as e:
            failed = folder / f"{stamp}.failed"
            status, reason, section, cell = _describe_failure(e, stage, name, run_dir, failed, cell_timeout)
            failed = _fail(run_dir, failed, {
                "report": name, "status": status, "reason": reason, "stage": stage, "section": section,
                "cell": cell, "error": type(e).__name__, "started": started.isoformat(timespec="seconds"),
                "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "cell_timeout": cell_timeout,
                "parameters": {k: v for k, v in values.items() if k != "output_dir"},
            })
            _after_run(out_root, folder, keep, published=False, messages=messages)
            if isinstance(e, KeyboardInterrupt):
                raise ReportInterrupted(reason, failed) from None
            if not isinstance(e, Exception):  # SystemExit and the like: cleaned up, now let it through
                raise
            # an unexpected exception keeps its traceback as the cause (shown with WORKBENCH_DEBUG=1)
            expected = isinstance(e, WorkbenchError) or stage == "execute"
            raise ReportError(reason, failed) from (None if expected else e)
        final = folder / stamp
        run_dir.rename(final)
        _point_latest(folder, stamp)
        _after_run(out_root, folder, keep, published=True, messages=messages)
    return RunResult(name, final, True, manifest, messages)


def _one_line(text: object, limit: int = 300) -> str:
    return " ".join(str(text).split())[:limit]


def _timed_out_cell(run_dir: Path) -> int | None:
    """Index (as in the executed notebook) of the last cell papermill started."""
    try:
        nb = nbformat.read(run_dir / "report.ipynb", as_version=4)
    except Exception:  # noqa: BLE001 - an unreadable partial notebook only loses the cell number
        return None
    started = [i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("papermill", {}).get("start_time")]
    return started[-1] if started else None


def _describe_failure(e: BaseException, stage: str, name: str, run_dir: Path, failed: Path,
                      cell_timeout: int) -> tuple[str, str, str | None, int | None]:
    """``(status, one-line reason, section, cell)`` of a failed run (``status``: failed or interrupted)."""
    from nbclient.exceptions import CellTimeoutError

    section = _failed_section(run_dir) if stage == "execute" else None
    cell = getattr(e, "cell_index", None)
    if isinstance(e, CellTimeoutError) and cell is None:
        cell = _timed_out_cell(run_dir)
    where = ", ".join(([f"section '{section}'"] if section else []) + ([f"cell {cell}"] if cell is not None else [])) \
        or "setup"
    doing = "while rendering" if stage == "render" else f"in {where}"
    kept = f"partial notebook: {failed / 'report.ipynb'}" if stage == "execute" else f"kept in {failed}"
    if isinstance(e, KeyboardInterrupt):
        return "interrupted", f"report '{name}' was interrupted (Ctrl-C) {doing} ({kept})", section, cell
    if not isinstance(e, Exception):
        return "interrupted", f"report '{name}' was stopped ({type(e).__name__}) {doing} ({kept})", section, cell
    if isinstance(e, CellTimeoutError):
        return "failed", (
            f"report '{name}' failed in {where}: the cell ran longer than the {cell_timeout}-second limit "
            f"(raise it with --cell-timeout SECONDS or a schedule's cell_timeout; {kept})"
        ), section, cell
    if stage == "render" and isinstance(e, WorkbenchError):
        return "failed", f"report '{name}' failed while rendering: {_one_line(e)} ({kept})", section, cell
    if isinstance(e, OSError) and e.strerror:
        detail = f"{e.strerror}" + (f": {e.filename}" if e.filename else "")
    else:
        detail = getattr(e, "evalue", e)
    ename = getattr(e, "ename", type(e).__name__)
    return "failed", f"report '{name}' failed {doing}: {ename}: {_one_line(detail)} ({kept})", section, cell


def _write_json(path: Path, data: dict) -> None:
    """Write ``path`` atomically (a reader sees the old file or the whole new one)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _fail(run_dir: Path, failed: Path, failure: dict) -> Path:
    """Write ``failure.json`` into the run folder, then rename it ``<stamp>.failed``; return where it is.

    In this order a kill between the two steps leaves a ``.running`` folder that already says why
    it failed, which :func:`_recover` keeps.
    """
    try:
        _write_json(run_dir / FAILURE_FILE, failure)
    except OSError:
        pass  # a full disk must not hide the report's own error; the index then says "reason unknown"
    try:
        run_dir.rename(failed)
    except OSError:
        return run_dir  # left as .running: the next run of this report marks it failed
    return failed


_STAMP = re.compile(r"^\.?(\d{4}-\d{2}-\d{2}_\d{6})(?:-(\d+))?(?:\.failed(?:-\d+)?|\.running|\.pruning)?$")


def _stamp_key(name: str) -> tuple[str, int]:
    """Sort key of a run folder name: by time, then by the ``-2``, ``-3`` … suffix of same-second runs."""
    m = _STAMP.match(name)
    return (m.group(1), int(m.group(2) or 1)) if m else (name, 0)


def _entries(folder: Path) -> list[Path]:
    try:
        return [folder / n for n in os.listdir(folder)]
    except OSError:
        return []


def _recover(folder: Path) -> list[Path]:
    """Under the report's lock: mark runs left ``.running`` by a killed process as failed.

    Safe because the lock is held: no other run of this report is alive, so every ``.running``
    folder belongs to a run that will never finish. Also finishes deleting folders whose pruning was
    interrupted. Returns the ``<stamp>.failed`` folders made.
    """
    made = []
    for p in sorted(_entries(folder), key=lambda p: _stamp_key(p.name)):
        if p.is_symlink() or not p.is_dir() or not p.name.startswith("."):
            continue
        if p.name.endswith(".pruning"):
            shutil.rmtree(p, ignore_errors=True)
            continue
        if not p.name.endswith(".running"):
            continue
        stamp = p.name[1:-len(".running")]
        if not (p / FAILURE_FILE).exists():  # a run that failed but was killed before its rename keeps its reason
            section = _failed_section(p)
            started = None
            m = _STAMP.match(p.name)
            if m:
                started = dt.datetime.strptime(m.group(1), "%Y-%m-%d_%H%M%S").astimezone(dt.timezone.utc)
            try:
                _write_json(p / FAILURE_FILE, {
                    "report": folder.name, "status": "interrupted",
                    "reason": INTERRUPTED if not section else INTERRUPTED.replace(
                        "interrupted", f"interrupted in section '{section}'", 1),
                    "section": section,
                    "started": started.isoformat(timespec="seconds") if started else None,
                    "detected": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                })
            except OSError:
                pass
        target, i = folder / f"{stamp}.failed", 1
        while target.exists():
            i += 1
            target = folder / f"{stamp}.failed-{i}"
        try:
            p.rename(target)
        except OSError:
            continue
        made.append(target)
    return made


def _after_run(out_root: Path, folder: Path, keep: int | None, *, published: bool, messages: list[str]) -> None:
    """Prune (if ``keep``) and rewrite the index; a problem here is a message, never a failed run."""
    from .index import write_index

    try:
        if keep:
            _prune(folder, keep, published=published)
        write_index(out_root)
    except OSError as e:
        messages.append(f"reports index not updated: {e}")


LATEST_FILE = "latest.txt"
LATEST_PAGE = "latest.html"


def _point_latest(folder: Path, stamp: str) -> None:
    """Point at the newest published run in three ways: ``latest.txt`` (its folder name, for
    scripts; every platform), ``latest.html`` (a page that opens its report; every platform) and,
    where the system allows symbolic links (not on Windows without developer mode), ``latest/``."""
    import html as _html

    for name, text in ((LATEST_FILE, stamp + "\n"),
                       (LATEST_PAGE, '<!DOCTYPE html><html><head><meta charset="utf-8">'
                                     f'<meta http-equiv="refresh" content="0; url={_html.escape(stamp)}/report.html">'
                                     f'<title>latest</title></head><body><a href="{_html.escape(stamp)}/report.html">'
                                     f"{_html.escape(stamp)}</a></body></html>\n")):
        tmp = folder / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8", newline="\n")
        os.replace(tmp, folder / name)
    link = folder / "latest"
    tmp = folder / ".latest.tmp"
    tmp.unlink(missing_ok=True)
    try:
        tmp.symlink_to(stamp, target_is_directory=True)
        os.replace(tmp, link)
    except (OSError, NotImplementedError):  # no symbolic links here: latest.txt and latest.html still point
        tmp.unlink(missing_ok=True)
        if link.is_symlink():
            link.unlink()


def latest_run(folder: str | os.PathLike) -> Path | None:
    """The newest published run of the report folder ``folder`` (``reports/<name>``), or None."""
    folder = Path(folder)
    try:
        stamp = (folder / LATEST_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        stamp = ""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}_\d{6}(?:-\d+)?", stamp) and (folder / stamp).is_dir():
        return folder / stamp
    try:
        return (folder / "latest").resolve(strict=True)
    except OSError:
        return None


def _prune(folder: Path, keep: int, *, published: bool = True) -> None:
    """Keep the newest ``keep`` published runs and the newest ``keep`` failed runs of a report.

    After a failure (``published=False``) only failed runs are pruned: a failure never removes a
    published report. The folder ``latest`` points to is never removed. Each victim is first renamed
    to a hidden ``.<name>.pruning`` so a kill mid-delete leaves nothing that looks published
    (:func:`_recover` finishes the delete).
    """
    entries = [p for p in _entries(folder) if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")]
    runs = sorted((p for p in entries if (p / "manifest.json").exists() and _STAMP.match(p.name)
                   and not p.name.endswith(".failed")), key=lambda p: _stamp_key(p.name))
    failed = sorted((p for p in entries if ".failed" in p.name), key=lambda p: _stamp_key(p.name))
    latest = latest_run(folder)
    latest = latest.resolve() if latest is not None else None
    victims = (runs[:-keep] if published else []) + failed[:-keep]
    for old in victims:
        if latest is not None and old.resolve() == latest:
            continue
        doomed = folder / f".{old.name}.pruning"
        old.rename(doomed)
        shutil.rmtree(doomed)
