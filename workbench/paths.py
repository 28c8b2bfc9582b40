"""Where the workbench finds its files: its own package data, and the project folder it works in.

* :data:`PACKAGE_DATA`: files shipped inside the package (``workbench/data``: fonts, stop words,
  the report template); found wherever the package is installed.
* :data:`PROJECT_ROOT`: the folder holding ``corpus/``, ``notebooks/``, ``reports/`` and
  ``build/``. It is ``$WORKBENCH_HOME`` when set; else the checkout the package was loaded from (a
  folder whose ``pyproject.toml`` names ``arabic-media-workbench``: a clone, or an editable
  install); else the current working directory (the package is installed in site-packages and
  the researcher runs the workbench from their project folder).

Everything below the root is derived from it here and nowhere else. The values are fixed when the
module is first imported; :func:`find_project_root` computes the root afresh.
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path

__all__ = ["HOME_ENV", "DISTRIBUTION", "PACKAGE_DIR", "PACKAGE_DATA", "find_project_root",
           "PROJECT_ROOT", "CORPUS_DIR", "DEFAULT_REGISTRY", "NOTEBOOKS_DIR", "REPORTS_DIR",
           "SCHEDULES_DIR", "BUILD_DIR", "STORES_DIR"]

#: Environment variable naming the project folder.
HOME_ENV = "WORKBENCH_HOME"
#: The distribution name a checkout's ``pyproject.toml`` must declare.
DISTRIBUTION = "arabic-media-workbench"

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGE_DATA = PACKAGE_DIR / "data"


def _is_checkout(folder: Path) -> bool:
    """True if ``folder/pyproject.toml`` declares this project (not some other project's)."""
    try:
        with open(folder / "pyproject.toml", "rb") as f:
            project = tomllib.load(f).get("project")
    except (OSError, ValueError):  # missing, unreadable, not TOML (TOMLDecodeError, bad UTF-8)
        return False
    return isinstance(project, dict) and project.get("name") == DISTRIBUTION


def find_project_root() -> Path:
    """``$WORKBENCH_HOME``, else the checkout holding the package, else the working directory."""
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home).expanduser().resolve()
    if _is_checkout(PACKAGE_DIR.parent):
        return PACKAGE_DIR.parent
    return Path.cwd().resolve()


PROJECT_ROOT = find_project_root()
CORPUS_DIR = PROJECT_ROOT / "corpus"
#: The outlet registry used when neither the store nor the source brings one.
DEFAULT_REGISTRY = CORPUS_DIR / "outlets.yaml"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
#: Rendered reports (``reports/<name>/<stamp>/``) and ``reports/index.html``.
REPORTS_DIR = PROJECT_ROOT / "reports"
#: Schedule files (``reports/schedules/*.yaml``); ``$WORKBENCH_SCHEDULES`` overrides it.
SCHEDULES_DIR = REPORTS_DIR / "schedules"
#: Derived files that can be rebuilt: the demo store, stores imported from ``--corpus`` files.
BUILD_DIR = PROJECT_ROOT / "build"
#: Stores imported once per corpus file (``build/stores/<file name>-<content hash>``).
STORES_DIR = BUILD_DIR / "stores"
