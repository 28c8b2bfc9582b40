"""Run a report: check parameters, execute the notebook with papermill, render, publish atomically.

A run works in a hidden folder ``reports/<name>/.<stamp>.running/`` and is published by renaming
it to ``reports/<name>/<YYYY-MM-DD_HHMMSS>/`` only when everything succeeded; a failed run is
renamed ``<stamp>.failed`` and keeps the partially executed notebook for debugging. Earlier reports
are never touched, except that a schedule's ``keep`` prunes the oldest successful ones after a
success. One run per report name at a time (a lock file).

The notebook runs in a kernel of the running interpreter: :func:`ensure_kernel` installs a
kernelspec named ``arabic-media-workbench`` inside this environment (``sys.prefix``), so papermill
can never pick a mismatched ``python3`` kernel from elsewhere (the classic ``NoSuchKernel`` or
wrong-environment failure).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from ..corpus.registry import PROJECT_ROOT
from ..errors import WorkbenchError
from ..locking import folder_lock
from .notebook import SECTIONS_FILE
from .parameters import ParameterError, check_against_corpus, declared_parameters, resolve_parameters

KERNEL_NAME = "arabic-media-workbench"
DEFAULT_NOTEBOOK = PROJECT_ROOT / "notebooks" / "framing_report.ipynb"
DEFAULT_OUT = PROJECT_ROOT / "reports"
PACKAGES = ("workbench", "camel-tools", "pandas", "numpy", "scipy", "pyarrow", "matplotlib", "gensim",
            "papermill", "nbconvert", "nbclient", "ipykernel")


class ReportError(WorkbenchError):
    """A report run failed; the message says which section and which error."""

    exit_code = 3


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
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip() != ""
        return {"commit": commit.stdout.strip(), "dirty": dirty}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None}


def _lock(folder: Path):
    return folder_lock(folder, ReportError(f"{folder}: another report run is writing here; wait for it to finish"))


def _stamp(folder: Path) -> str:
    base = dt.datetime.now().strftime("%Y-%m-%d_%H%M%S")
    stamp, i = base, 1
    while any((folder / n).exists() for n in (stamp, f"{stamp}.failed", f".{stamp}.running")):
        i += 1
        stamp = f"{base}-{i}"
    return stamp


def _failed_section(run_dir: Path) -> str | None:
    try:
        return json.loads((run_dir / SECTIONS_FILE).read_text(encoding="utf-8")).get("running")
    except (OSError, ValueError):
        return None


def _resolve_store(values: dict[str, Any]):
    """Open the store a report reads (the demo store when ``store`` is None) and check the parameters."""
    from ..corpus.demo import demo_store
    from ..corpus.store import open_store

    store = values.get("store")
    path = Path(store).resolve() if store else demo_store()
    st = open_store(path)
    if not st.exists:
        raise ParameterError(f"parameter 'store': {path} is not a corpus store (create it with `workbench corpus import`)")
    docs = st.read(exclude=["text", "text_hash", "content_hash"])
    docs["month"] = docs["date"].dt.strftime("%Y-%m")
    check_against_corpus(values, docs)
    return st, docs


# --------------------------------------------------------------------------- run

def prepare(notebook: str | Path | None = None, params_file: dict | None = None,
            cli_params: list[tuple[str, str]] | None = None):
    """Resolve and check everything a run needs, before any kernel starts."""
    nb_path = Path(notebook) if notebook else DEFAULT_NOTEBOOK
    if not nb_path.is_file():
        raise ParameterError(f"{nb_path}: notebook not found")
    declared = declared_parameters(nb_path)
    values = resolve_parameters(declared, params_file, cli_params)
    st, docs = _resolve_store(values) if "store" in declared else (None, None)
    if st is not None:
        values["store"] = str(st.path.resolve())
    return nb_path, declared, values, st, docs


def run_report(
    notebook: str | Path | None = None,
    *,
    params_file: dict | None = None,
    cli_params: list[tuple[str, str]] | None = None,
    out: str | Path | None = None,
    name: str | None = None,
    keep: int | None = None,
    pdf: bool = True,
) -> RunResult:
    """Run one report end to end (see the module docstring); raises on failure after cleaning up.

    Returns the :class:`RunResult` of a successful run; a failed run raises :class:`ReportError`
    whose message is a one-line summary, with the failed folder kept for debugging.
    """
    nb_path, declared, values, st, docs = prepare(notebook, params_file, cli_params)
    from .index import write_index  # imported after the checks: a bad parameter fails fast
    from .render import PdfUnavailable, render_html, render_pdf

    name = name or nb_path.stem
    out_root = Path(out) if out else DEFAULT_OUT
    folder = out_root / name
    started = dt.datetime.now(dt.timezone.utc)
    with _lock(folder):
        stamp = _stamp(folder)
        run_dir = folder / f".{stamp}.running"
        run_dir.mkdir(parents=True)
        values = {**values, "output_dir": str(run_dir.resolve())} if "output_dir" in declared else values
        kernel = ensure_kernel()
        t0 = time.perf_counter()
        import logging

        import papermill as pm

        # papermill's own parameter inspection does not read annotated parameters and would warn
        # "Passed unknown parameter" for valid ones; ours were checked above.
        logging.getLogger("papermill").setLevel(logging.ERROR)

        try:
            pm.execute_notebook(str(nb_path), str(run_dir / "report.ipynb"), parameters=values,
                                kernel_name=kernel, cwd=str(nb_path.parent), progress_bar=False,
                                log_output=False, request_save_on_cell_execute=True)
        except Exception as e:  # papermill wraps cell errors; anything else is a failure too
            failed = folder / f"{stamp}.failed"
            run_dir.rename(failed)
            section = _failed_section(failed)
            ename = getattr(e, "ename", type(e).__name__)
            evalue = " ".join(str(getattr(e, "evalue", e)).split())[:300]
            cell = getattr(e, "cell_index", None)
            where = f"section '{section}'" if section else "setup"
            where += f", cell {cell}" if cell is not None else ""
            raise ReportError(
                f"report '{name}' failed in {where}: {ename}: {evalue} (partial notebook: {failed / 'report.ipynb'})"
            ) from None
        executed = time.perf_counter() - t0
        messages = []
        try:
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
                "corpus": None if st is None else {
                    "store": str(st.path.resolve()), "fingerprint": st.fingerprint(),
                    "registry": st.registry.name if st.registry else None,
                    "articles": int(len(docs)),
                },
                "text_settings": None,
                "packages": _versions(),
                "git": _git(),
                "started": started.isoformat(timespec="seconds"),
                "finished": finished.isoformat(timespec="seconds"),
                "duration_seconds": round((finished - started).total_seconds(), 2),
                "execution_seconds": round(executed, 2),
                "sections": sections.get("done", []),
                "outputs": {},
            }
            if "text_settings" in values:
                from ..text import TextSettings

                ts = TextSettings.from_dict(values["text_settings"] or {})
                manifest["text_settings"] = {**ts.to_dict(), "fingerprint": ts.fingerprint()}
            (run_dir / SECTIONS_FILE).unlink(missing_ok=True)
            for p in sorted(run_dir.rglob("*")):
                if p.is_file() and p.name != "manifest.json":
                    manifest["outputs"][str(p.relative_to(run_dir))] = _sha256(p)
            (run_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                                                   encoding="utf-8")
        except BaseException as e:
            failed = folder / f"{stamp}.failed"
            run_dir.rename(failed)
            if isinstance(e, WorkbenchError):
                raise ReportError(f"report '{name}' failed while rendering: {e} (kept in {failed})") from None
            raise
        final = folder / stamp
        run_dir.rename(final)
        _point_latest(folder, stamp)
        if keep:
            _prune(folder, keep)
        write_index(out_root)
    return RunResult(name, final, True, manifest, messages)


def _point_latest(folder: Path, stamp: str) -> None:
    link = folder / "latest"
    tmp = folder / ".latest.tmp"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(stamp)
    os.replace(tmp, link)


def _prune(folder: Path, keep: int) -> None:
    runs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")
                  and not p.name.endswith(".failed") and (p / "manifest.json").exists() and not p.is_symlink())
    for old in runs[:-keep]:
        shutil.rmtree(old)
