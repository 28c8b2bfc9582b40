"""Named report configurations in ``reports/schedules/*.yaml``, for unattended regeneration.

Example (``reports/schedules/weekly-demo.yaml``)::

    notebook: notebooks/framing_report.ipynb   # relative to the project root
    store: build/demo-store                    # or  corpus: path/to/articles.jsonl
    window:                                    # a rolling window, resolved at run time
      last: 4 weeks                            # N days | N weeks | N months
      anchor: corpus-end                       # today (default) or corpus-end (the newest article)
    parameters: {group: camp, target: regime, reference: opposition}
    output: reports                            # output root (default: reports/)
    keep: 8                                    # successful runs kept (oldest pruned)

``window`` sets the notebook's ``start`` and ``end`` parameters; anything in ``parameters`` is
checked like ``--params FILE`` values.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..corpus.registry import PROJECT_ROOT
from ..errors import WorkbenchError

SCHEDULES = Path(os.environ.get("WORKBENCH_SCHEDULES", PROJECT_ROOT / "reports" / "schedules"))
_KEYS = {"name", "notebook", "store", "corpus", "registry", "window", "parameters", "output", "keep", "pdf"}
_WINDOW = re.compile(r"^\s*(\d+)\s*(day|week|month)s?\s*$")


class ScheduleError(WorkbenchError):
    """A schedule file is missing or malformed (the message names the file and field)."""


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
    output: Path = PROJECT_ROOT / "reports"
    keep: int | None = None
    pdf: bool = True


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
    if keep is not None and (not isinstance(keep, int) or isinstance(keep, bool) or keep < 1):
        raise ScheduleError(f"{path}: keep: expected a whole number of runs ≥ 1")
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
    )


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
