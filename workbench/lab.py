"""``workbench lab``: JupyterLab in this environment, opened at the notebooks, with the project's kernel.

A workshop participant types one command (``workbench lab``, ``make lab`` or ``python -m workbench
lab``) and gets JupyterLab that

* runs from this environment's own Python (``sys.executable -m jupyter lab``), never another
  Jupyter on the PATH;
* shows the project's ``notebooks/`` folder and opens ``notebooks/tutorials/`` if it exists;
* starts new notebooks in the project's kernel (:func:`workbench.reports.run.ensure_kernel`
  registers it for this interpreter; the notebooks' metadata name it too), so nothing runs in a
  Python without the workbench.

Options go through to JupyterLab after ``--`` (``workbench lab -- --ServerApp.ip=0.0.0.0``).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Sequence

from .errors import ArgumentError
from .paths import NOTEBOOKS_DIR

__all__ = ["lab_command", "run_lab"]


def lab_command(*, notebook_dir: str | Path | None = None, port: int | None = None, browser: bool = True,
                extra: Sequence[str] = ()) -> list[str]:
    """The command line that starts JupyterLab (see the module docstring)."""
    from .reports.run import ensure_kernel

    root = Path(notebook_dir) if notebook_dir is not None else NOTEBOOKS_DIR
    if not root.is_dir():
        raise ArgumentError(f"{root}: no such folder; run `workbench lab` from the project folder, "
                            "or pass --notebook-dir")
    kernel = ensure_kernel()
    cmd = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={root.resolve()}",
           f"--MappingKernelManager.default_kernel_name={kernel}"]
    if (root / "tutorials").is_dir():
        cmd.append("--LabApp.default_url=/lab/tree/tutorials")
    if port is not None:
        cmd.append(f"--ServerApp.port={int(port)}")
    if not browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers (Docker, some JupyterHubs) run as root
        cmd.append("--allow-root")
    return cmd + list(extra)


def run_lab(**kwargs) -> int:
    """Start JupyterLab and wait for it (Ctrl-C stops it); returns its exit code."""
    cmd = lab_command(**kwargs)
    root = next(a.split("=", 1)[1] for a in cmd if a.startswith("--ServerApp.root_dir="))
    print(f"starting JupyterLab in {root} with the kernel 'Python (Arabic media workbench)' (Ctrl-C to stop)",
          file=sys.stderr)
    sys.stderr.flush()
    if os.name == "posix":  # JupyterLab takes this process' place: signals (Ctrl-C, a kill) reach it directly
        os.execv(cmd[0], cmd)
    try:  # Windows: exec would start a new process and return at once
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 130
