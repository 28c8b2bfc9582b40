"""Named report configurations in ``reports/schedules/*.yaml``, for unattended regeneration.

Example (``reports/schedules/weekly-demo.yaml``)::

    notebook: notebooks/framing_report.ipynb   # relative to the project root
    store: build/demo-store                    # or  corpus: path/to/articles.jsonl
    window:                                    # a rolling window, resolved at run time
      last: 4 weeks                            # N days | N weeks | N months
      anchor: corpus-end                       # today (default) or corpus-end (the newest article)
    parameters: {group: camp, target: regime, reference: opposition}
    output: reports                            # output root (default: reports/)
    keep: 8                                    # published runs kept, and failed runs kept (oldest pruned)
    cell_timeout: 1800                         # seconds one notebook cell may run (default 1800)
    on_failure: [scripts/notify.sh, --urgent]  # run when the report fails (optional)
    on_failure_timeout: 60                     # seconds the on_failure command may take (default 60)
    collect: true                              # collect new articles from the feeds first (needs store)

``collect`` (``true``, or a mapping of options: ``outlets``, ``since``, ``keep_html``,
``max_per_outlet``, ``delay``, ``timeout``, ``max_bytes``, ``user_agent``) runs
:func:`workbench.collect.collect` on the schedule's ``store`` with its ``registry`` before the
report, so a cron line gives the report on fresh articles. An outlet whose feeds fail is reported
and the report is still made from what the store holds; a collection that cannot run at all (no
feeds, another collection on the store) fails the schedule.

``window`` sets the notebook's ``start`` and ``end`` parameters; anything in ``parameters`` is
checked like ``--params FILE`` values.

``on_failure`` is a list of arguments run without a shell (so no quoting problems; write
``[sh, -c, "..."]`` if a shell is really wanted), from the project root, when the schedule's run
fails for any reason. It gets the environment variables ``WORKBENCH_SCHEDULE`` (the schedule's
name), ``WORKBENCH_REPORT`` (the report's name), ``WORKBENCH_ERROR`` (the error message) and
``WORKBENCH_FAILED_DIR`` (the kept ``<stamp>.failed`` folder, empty if the run failed before it
made one). It is stopped after ``on_failure_timeout`` seconds; its own failure is reported but
never replaces the report's error or exit code.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ScheduleError
from ..paths import PROJECT_ROOT, REPORTS_DIR, SCHEDULES_DIR

SCHEDULES = Path(os.environ.get("WORKBENCH_SCHEDULES", SCHEDULES_DIR))
_KEYS = {"name", "notebook", "store", "corpus", "registry", "window", "parameters", "output", "keep", "pdf",
         "cell_timeout", "on_failure", "on_failure_timeout", "collect"}
#: Options a schedule's ``collect:`` mapping may set.
COLLECT_OPTIONS = {"outlets", "since", "keep_html", "max_per_outlet", "delay", "timeout", "max_bytes", "user_agent"}
ON_FAILURE_TIMEOUT = 60
_WINDOW = re.compile(r"^\s*(\d+)\s*(day|week|month)s?\s*$")


@dataclass
class Schedule:
    name: str
    path: Path
    notebook: Path
    store: Path | None = None
    corpus: Path | None = None
    registry: Path | None = None
    window: dict | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    output: Path = REPORTS_DIR
    keep: int | None = None
    pdf: bool = True
    cell_timeout: int | None = None
    on_failure: list[str] | None = None
    on_failure_timeout: int = ON_FAILURE_TIMEOUT
    collect: dict | None = None


def _path(value, src: Path, fieldname: str) -> Path:
    if not isinstance(value, str) or not value:
        raise ScheduleError(f"{src}: {fieldname}: expected a path")
    p = Path(value)
    return p if p.is_absolute() else PROJECT_ROOT / p


def load_schedule(name_or_path: str | Path, folder: Path | None = None) -> Schedule:
    """Read and check one schedule, by name (``folder/NAME.yaml``) or path."""
    folder = folder or SCHEDULES
    path = Path(name_or_path)
    if not path.suffix:
        path = folder / f"{name_or_path}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in folder.glob("*.yaml"))) or "none"
        raise ScheduleError(f"{path}: no such schedule (schedules in {folder}: {known})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ScheduleError(f"{path}: not valid YAML: {' '.join(str(e).split())}") from None
    if not isinstance(data, dict):
        raise ScheduleError(f"{path}: expected a mapping of settings")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise ScheduleError(f"{path}: unknown field '{unknown[0]}' (fields: {', '.join(sorted(_KEYS))})")
    if "store" in data and "corpus" in data:
        raise ScheduleError(f"{path}: give either 'store' or 'corpus', not both")
    params = data.get("parameters") or {}
    if not isinstance(params, dict):
        raise ScheduleError(f"{path}: parameters: expected a mapping of parameter names to values")
    window = data.get("window")
    if window is not None:
        if not isinstance(window, dict) or "last" not in window:
            raise ScheduleError(f"{path}: window: expected e.g. {{last: 7 days, anchor: today}}")
        if not _WINDOW.match(str(window["last"])):
            raise ScheduleError(f"{path}: window.last: '{window['last']}' is not like '7 days', '4 weeks' or '3 months'")
        if window.get("anchor", "today") not in ("today", "corpus-end"):
            raise ScheduleError(f"{path}: window.anchor: must be 'today' or 'corpus-end'")
        if {"start", "end"} & set(params):
            raise ScheduleError(f"{path}: parameters: 'start'/'end' conflict with 'window'; use one or the other")
    keep = data.get("keep")
    if keep is not None and not _count(keep):
        raise ScheduleError(f"{path}: keep: expected a whole number of runs ≥ 1")
    cell_timeout = data.get("cell_timeout")
    if cell_timeout is not None and not _count(cell_timeout):
        raise ScheduleError(f"{path}: cell_timeout: expected a whole number of seconds ≥ 1 (e.g. 1800)")
    on_failure = data.get("on_failure")
    if on_failure is not None and (not isinstance(on_failure, list) or not on_failure
                                   or not all(isinstance(a, (str, int, float)) and not isinstance(a, bool)
                                              for a in on_failure) or not str(on_failure[0]).strip()):
        raise ScheduleError(f"{path}: on_failure: expected a command as a list of arguments (run without a "
                            "shell), e.g. [scripts/notify.sh, --urgent]")
    on_failure_timeout = data.get("on_failure_timeout", ON_FAILURE_TIMEOUT)
    if not _count(on_failure_timeout):
        raise ScheduleError(f"{path}: on_failure_timeout: expected a whole number of seconds ≥ 1")
    collect = data.get("collect", False)
    if collect is True:
        collect = {}
    elif collect is False or collect is None:
        collect = None
    elif isinstance(collect, dict):
        bad = sorted(set(collect) - COLLECT_OPTIONS)
        if bad:
            raise ScheduleError(f"{path}: collect: unknown option '{bad[0]}' (options: {', '.join(sorted(COLLECT_OPTIONS))})")
        outlets = collect.get("outlets")
        if outlets is not None and (not isinstance(outlets, list) or not all(isinstance(o, str) for o in outlets)):
            raise ScheduleError(f"{path}: collect.outlets: expected a list of outlet ids")
    else:
        raise ScheduleError(f"{path}: collect: expected true, false or a mapping of options, e.g. {{outlets: [sana]}}")
    if collect is not None and "store" not in data:
        raise ScheduleError(f"{path}: collect: needs 'store' (the store the articles are collected into), not 'corpus'")
    return Schedule(
        name=str(data.get("name") or path.stem),
        path=path,
        notebook=_path(data.get("notebook", "notebooks/framing_report.ipynb"), path, "notebook"),
        store=_path(data["store"], path, "store") if "store" in data else None,
        corpus=_path(data["corpus"], path, "corpus") if "corpus" in data else None,
        registry=_path(data["registry"], path, "registry") if "registry" in data else None,
        window=window,
        parameters=params,
        output=_path(data.get("output", "reports"), path, "output"),
        keep=keep,
        pdf=bool(data.get("pdf", True)),
        cell_timeout=cell_timeout,
        on_failure=[str(a) for a in on_failure] if on_failure else None,
        on_failure_timeout=on_failure_timeout,
        collect=collect,
    )


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def run_on_failure(schedule: Schedule, error: str, failed_dir: Path | None = None,
                   report: str | None = None) -> str | None:
    """Run the schedule's ``on_failure`` command (see the module docstring).

    Returns None when there is no command or it succeeded, else a one-line problem to report
    (the report's own error stays the one that counts).
    """
    if not schedule.on_failure:
        return None
    argv = schedule.on_failure
    env = {**os.environ, "WORKBENCH_SCHEDULE": schedule.name, "WORKBENCH_REPORT": report or schedule.name,
           "WORKBENCH_ERROR": error, "WORKBENCH_FAILED_DIR": str(failed_dir) if failed_dir else ""}
    try:
        proc = subprocess.Popen(argv, env=env, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL,
                                start_new_session=True)  # its own process group: a timeout stops all of it
    except OSError as e:
        return f"on_failure command {argv[0]!r} could not be started: {e.strerror or e}"
    try:
        rc = proc.wait(timeout=schedule.on_failure_timeout)
    except BaseException as e:  # its timeout, or Ctrl-C while waiting: stop the whole command
        try:
            if hasattr(os, "killpg"):
                os.killpg(proc.pid, signal.SIGKILL)
            else:  # Windows: no process groups
                proc.kill()
        except OSError:
            pass
        proc.wait()
        if not isinstance(e, subprocess.TimeoutExpired):
            raise
        return f"on_failure command {argv[0]!r} was stopped after {schedule.on_failure_timeout} s (on_failure_timeout)"
    if rc != 0:
        return f"on_failure command {argv[0]!r} failed with exit status {rc}"
    return None


def all_schedules(folder: Path | None = None) -> list[Path]:
    return sorted((folder or SCHEDULES).glob("*.yaml"))


def resolve_window(window: dict, corpus_end: dt.date | None, today: dt.date | None = None) -> tuple[str, str]:
    """``(start, end)`` ISO dates of a rolling window such as ``{last: 7 days}``, both ends included."""
    n, unit = _WINDOW.match(str(window["last"])).groups()
    n = int(n)
    if window.get("anchor", "today") == "corpus-end":
        if corpus_end is None:
            raise ScheduleError("window anchor 'corpus-end' needs a corpus with articles")
        end = corpus_end
    else:
        end = today or dt.date.today()
    if unit == "day":
        start = end - dt.timedelta(days=n - 1)
    elif unit == "week":
        start = end - dt.timedelta(weeks=n) + dt.timedelta(days=1)
    else:
        import pandas as pd

        start = (pd.Timestamp(end) - pd.DateOffset(months=n)).date() + dt.timedelta(days=1)
    return start.isoformat(), end.isoformat()


def run_parameters(schedule: Schedule, today: dt.date | None = None) -> dict[str, Any]:
    """The notebook parameters of one run of ``schedule``: its ``parameters``, the store (its
    ``corpus`` file imported once, see :func:`workbench.corpus.store.import_once`), and ``start``
    and ``end`` from its rolling ``window`` resolved now (against the newest article for
    ``anchor: corpus-end``)."""
    from ..corpus.store import import_once

    params = dict(schedule.parameters)
    store = schedule.store
    if store is None and schedule.corpus is not None:
        store = import_once(schedule.corpus, registry=schedule.registry).path
    if store is not None:
        params["store"] = str(store)
    if schedule.window:
        end = None
        if schedule.window.get("anchor") == "corpus-end":
            from ..analysis import Analysis
            from ..corpus.demo import demo_store

            newest = Analysis(store or demo_store()).metadata["date"].max()
            end = None if newest is None or newest != newest else newest.date()  # NaT != NaT
        params["start"], params["end"] = resolve_window(schedule.window, end, today)
    return params


def collect_for(schedule: Schedule):
    """Collect new articles into the schedule's store (its ``collect:`` options); returns the
    :class:`~workbench.collect.CollectResult`."""
    from ..collect import PoliteClient, collect
    from ..collect.http import USER_AGENT

    opts = dict(schedule.collect or {})
    try:
        client = PoliteClient(user_agent=opts.pop("user_agent", None) or USER_AGENT,
                              **{k: opts.pop(k) for k in ("delay", "timeout", "max_bytes") if k in opts})
    except (TypeError, ValueError) as e:
        raise ScheduleError(f"{schedule.path}: collect: {e}") from None
    since = opts.pop("since", None)
    return collect(schedule.store, schedule.registry, client=client, since=str(since) if since is not None else None,
                   **opts)
