"""Install the workbench without make: ``python -m workbench.install`` from the checkout.

Standard library only: it runs before any dependency exists, with any Python >= 3.11 (on Windows,
macOS and Linux alike). It does what ``make install`` does:

1. creates ``.venv`` with the ``venv`` module (scripts in ``.venv/bin``, on Windows ``.venv\\Scripts``);
2. installs ``uv`` (:data:`UV_VERSION`, the Makefile's ``UV_VERSION``) into it with pip;
3. ``uv pip install --compile-bytecode --require-hashes -r requirements.lock`` into it (the
   hash-locked environment: torch and transformers are not in the lock);
4. ``uv pip install --no-deps -e .`` (the workbench itself, editable);
5. registers the environment's Jupyter kernel (:func:`workbench.reports.run.ensure_kernel`);

with ``UV_PYTHON_DOWNLOADS=never`` and ``UV_NO_PROGRESS=1`` like the Makefile, one line per step
(``-v`` shows uv's own output), and a stamp file ``.venv/.installed``: run again, it does nothing
unless ``requirements.lock`` or ``pyproject.toml`` is newer than the stamp (or ``--force``).

For a room without internet::

    python -m workbench.install --wheelhouse wheels     # on a connected machine: every locked wheel + uv
    python -m workbench.install --offline wheels        # on each laptop (the folder copied from a USB stick)

``--wheelhouse`` downloads the wheels for *this* machine's OS and Python (pip evaluates the lock's
platform markers for the running interpreter). ``--platform``/``--python-version`` are passed to
``pip download`` for binary wheels of another OS, but the lock's markers (``colorama`` only on
Windows, ``appnope`` only on macOS, ``camel-kenlm`` not on Windows) are still evaluated for this
machine: make each OS's wheelhouse on a machine of that OS (one laptop per OS is enough).

Exit status: 0 installed (or already up to date), 1 a step failed, 2 unusable Python or options.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

UV_VERSION = "0.13.8"  # keep equal to UV_VERSION in the Makefile (a test checks)
MIN_PYTHON = (3, 11)
VENV = ".venv"
STAMP = ".installed"
LOCK = "requirements.lock"
INPUTS = (LOCK, "pyproject.toml")  # the stamp's prerequisites, as in the Makefile
#: exported for every step, as the Makefile does
ENVIRONMENT = {"UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
#: setuptools builds the editable install (pyproject's build-system); offline it must be in the wheelhouse
BUILD_BACKEND = "setuptools"

ROOT = Path(__file__).resolve().parents[1]


class InstallError(Exception):
    """A step failed or cannot start: the message is the one line printed."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def is_windows(platform: str | None = None) -> bool:
    return (platform or sys.platform) == "win32"


def venv_paths(venv: Path, *, windows: bool | None = None) -> dict[str, Path]:
    """The executables of a venv: ``python``, ``uv``, ``workbench`` (``Scripts\\*.exe`` on Windows)."""
    windows = is_windows() if windows is None else windows
    scripts = venv / ("Scripts" if windows else "bin")
    exe = ".exe" if windows else ""
    return {"scripts": scripts, "python": scripts / f"python{exe}", "uv": scripts / f"uv{exe}",
            "workbench": scripts / f"workbench{exe}"}


def check_python(version_info=None, executable: str | None = None) -> None:
    """Raise :class:`InstallError` (exit 2) for a Python older than :data:`MIN_PYTHON`."""
    version_info = tuple(version_info or sys.version_info)
    if version_info[:2] < MIN_PYTHON:
        have = ".".join(str(v) for v in version_info[:3])
        need = ".".join(str(v) for v in MIN_PYTHON)
        raise InstallError(
            f"Python >= {need} is needed, this is Python {have} ({executable or sys.executable}); "
            f"run: python{need} -m workbench.install (Windows: py -{need} -m workbench.install)", code=2)


def is_up_to_date(root: Path, venv: Path | None = None, *, windows: bool | None = None) -> bool:
    """True when the stamp exists, the venv's Python too, and no input is newer than the stamp."""
    venv = venv or root / VENV
    stamp = venv / STAMP
    if not stamp.is_file() or not venv_paths(venv, windows=windows)["python"].exists():
        return False
    made = stamp.stat().st_mtime
    return all((root / name).stat().st_mtime <= made for name in INPUTS if (root / name).exists())


def touch_stamp(venv: Path) -> Path:
    stamp = venv / STAMP
    stamp.touch()
    os.utime(stamp)  # an existing stamp gets the current time too
    return stamp


def step_commands(root: Path, *, windows: bool | None = None, verbose: bool = False,
                  offline: Path | None = None, have_uv: bool = False) -> list[tuple[str, list[str]]]:
    """The install steps after the venv exists, as (line printed, command), in order."""
    paths = venv_paths(root / VENV, windows=windows)
    py, uv = str(paths["python"]), str(paths["uv"])
    quiet = [] if verbose else ["--quiet"]
    source = ["--offline", "--no-index", "--find-links", str(offline)] if offline else []
    steps = []
    if not have_uv:
        pip_source = ["--no-index", "--find-links", str(offline)] if offline else []
        steps.append((f"installing uv {UV_VERSION} into {VENV}",
                      [py, "-m", "pip", "install", *quiet, "--disable-pip-version-check", *pip_source,
                       f"uv=={UV_VERSION}"]))
    steps += [
        (f"installing the locked environment into {VENV} (the first time takes a few minutes) ...",
         [uv, "pip", "install", *quiet, *source, "--python", py, "--compile-bytecode", "--require-hashes",
          "-r", LOCK]),
        ("installing the workbench (editable)",
         [uv, "pip", "install", *quiet, *source, "--python", py, "--no-deps", "-e", "."]),
        ("registering the Jupyter kernel of this environment",
         [py, "-c", "from workbench.reports.run import ensure_kernel; ensure_kernel()"]),
    ]
    return steps


def lock_entry(lock_text: str, name: str) -> str | None:
    """The lock's entry for *name* (pin and hashes) without its environment marker, or None."""
    lines = lock_text.splitlines()
    for i, line in enumerate(lines):
        if line.lower().startswith(name.lower() + "=="):
            pin = line.split(";")[0].split("\\")[0].strip()
            hashes = []
            for nxt in lines[i + 1:]:
                s = nxt.strip()
                if not s.startswith("--hash="):
                    break
                hashes.append(s.rstrip("\\").strip())
            return " ".join([pin, *hashes])
    return None


def wheelhouse_commands(root: Path, dest: Path, python: str, *, platform: str | None = None,
                        python_version: str | None = None, verbose: bool = False,
                        build_requirements: Path | None = None) -> list[tuple[str, list[str]]]:
    """``pip download`` commands filling *dest* with every locked wheel, uv and setuptools."""
    target = []
    if platform:
        target += ["--platform", platform]
    if python_version:
        target += ["--python-version", python_version]
    if target:
        target += ["--implementation", "cp"]
    quiet = [] if verbose else ["--quiet"]
    base = [python, "-m", "pip", "download", *quiet, "--disable-pip-version-check", "--no-deps", *target,
            "-d", str(dest)]
    steps = [(f"downloading every locked package into {dest} ...",
              [*base, "--require-hashes", "-r", str(root / LOCK)]),
             (f"downloading uv {UV_VERSION}", [*base, f"uv=={UV_VERSION}"])]
    if build_requirements is not None:
        steps.append((f"downloading {BUILD_BACKEND} (builds the editable install)",
                      [*base, "--require-hashes", "-r", str(build_requirements)]))
    return steps


def next_commands(*, windows: bool | None = None) -> list[str]:
    """What to type next, for this OS."""
    windows = is_windows() if windows is None else windows
    s = "\\" if windows else "/"
    scripts = f"{VENV}{s}{'Scripts' if windows else 'bin'}{s}"
    activate = f"{scripts}activate" if windows else f"source {scripts}activate"
    return [f"{scripts}workbench report", f"{scripts}workbench lab",
            f"(or {activate}, then: workbench report / python -m workbench lab)"]


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(ENVIRONMENT)
    return env


def error_lines(stderr: str, limit: int = 8) -> list[str]:
    """The lines of a failed pip/uv run worth showing: errors and their causes, not warnings."""
    lines = [line.rstrip() for line in stderr.splitlines() if line.strip()]
    keep = [line for line in lines if not line.lstrip().lower().startswith(("warning", "deprecation"))]
    return keep[-limit:]


def run_step(n: int, total: int, line: str, cmd: list[str], *, cwd: Path, verbose: bool = False) -> None:
    """Print the step's line, run it; raise :class:`InstallError` with one line if it fails."""
    print(f"[{n}/{total}] {line}" if n else line, flush=True)
    started = time.monotonic()
    try:
        # quiet: uv and pip get --quiet, and their warnings (a pip.conf's missing find-links ...) are
        # kept back; on a failure their error lines are shown above the one-line summary
        proc = subprocess.run(cmd, cwd=cwd, env=_environment(),
                              stdout=None if verbose else subprocess.DEVNULL,
                              stderr=None if verbose else subprocess.PIPE,
                              text=True, encoding="utf-8", errors="replace")
    except OSError as e:
        raise InstallError(f"step {n} ({line.rstrip(' .')}) could not start {cmd[0]}: {e.strerror}") from None
    if proc.returncode != 0:
        if not verbose:
            for shown in error_lines(proc.stderr or ""):
                print(f"      {shown}", file=sys.stderr)
        hint = "" if verbose else "; run again with -v for the full output"
        raise InstallError(f"step {n} failed ({line.rstrip(' .')}): exit {proc.returncode}{hint}")
    if verbose:
        print(f"      {time.monotonic() - started:.0f} s", flush=True)


def install(root: Path | None = None, *, force: bool = False, verbose: bool = False,
            offline: Path | None = None) -> bool:
    """Install into ``root/.venv``; False when it was already up to date (nothing done)."""
    root = Path(root or ROOT)
    venv = root / VENV
    paths = venv_paths(venv)
    for name in INPUTS:
        if not (root / name).is_file():
            raise InstallError(f"{root / name} is missing: run this from the workbench's checkout", code=2)
    if offline is not None and not Path(offline).is_dir():
        raise InstallError(f"--offline {offline}: no such folder (make it with --wheelhouse)", code=2)
    if not force and is_up_to_date(root, venv):
        print(f"{VENV} is up to date (requirements.lock and pyproject.toml unchanged; --force reinstalls)")
        return False
    stamp = venv / STAMP
    if stamp.exists():
        stamp.unlink()  # a failed run must not leave a stamp that says "installed"
    started = time.monotonic()
    steps = step_commands(root, verbose=verbose, offline=Path(offline).resolve() if offline else None,
                          have_uv=paths["uv"].exists())
    total = len(steps) + 1
    if paths["python"].exists():
        print(f"[1/{total}] using {paths['python'].relative_to(root)}", flush=True)
    else:
        run_step(1, total, f"creating {VENV} with Python {sys.version.split()[0]}",
                 [sys.executable, "-m", "venv", VENV], cwd=root, verbose=verbose)
    # the venv's Python may predate this one (an old .venv): the Makefile checks it too
    out = subprocess.run([str(paths["python"]), "-c", "import sys; print(*sys.version_info[:3], sep='.')"],
                         capture_output=True, text=True)
    if out.returncode == 0:
        have = tuple(int(v) for v in out.stdout.split(".") if v.strip().isdigit())
        try:
            check_python(have, str(paths["python"]))
        except InstallError as e:
            raise InstallError(f"{e} (delete {VENV} first)", code=2) from None
    for n, (line, cmd) in enumerate(steps, start=2):
        run_step(n, total, line, cmd, cwd=root, verbose=verbose)
    touch_stamp(venv)
    print(f"installed in {time.monotonic() - started:.0f} s. Next:")
    for line in next_commands():
        print(f"  {line}")
    return True


def make_wheelhouse(dest: Path, root: Path | None = None, *, platform: str | None = None,
                    python_version: str | None = None, verbose: bool = False) -> Path:
    """Download every locked wheel (and uv, and setuptools for the editable build) into *dest*."""
    root = Path(root or ROOT)
    dest = Path(dest).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    python = venv_paths(root / VENV)["python"]
    if not python.exists():  # pip of the venv, not of the system Python (which may lack pip)
        run_step(0, 0, f"creating {VENV} with Python {sys.version.split()[0]} (for its pip)",
                 [sys.executable, "-m", "venv", VENV], cwd=root, verbose=verbose)
    entry = lock_entry((root / LOCK).read_text(encoding="utf-8"), BUILD_BACKEND)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="workbench-wheelhouse-") as tmp:
        build = None
        if entry:
            build = Path(tmp) / "build-requirements.txt"
            build.write_text(entry + "\n", encoding="utf-8")
        steps = wheelhouse_commands(root, dest, str(python), platform=platform,
                                    python_version=python_version, verbose=verbose, build_requirements=build)
        for n, (line, cmd) in enumerate(steps, start=1):
            run_step(n, len(steps), line, cmd, cwd=root, verbose=verbose)
    files = [p for p in dest.iterdir() if p.is_file()]
    size = sum(p.stat().st_size for p in files) / 1e6
    print(f"{len(files)} files ({size:.0f} MB) in {dest} in {time.monotonic() - started:.0f} s. "
          f"On each laptop: python -m workbench.install --offline {dest}")
    return dest


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m workbench.install",
        description="Install the workbench into ./.venv from the hash-locked requirements.lock "
        "(what `make install` does, without make).")
    p.add_argument("-v", "--verbose", action="store_true", help="show pip's and uv's full output")
    p.add_argument("--force", action="store_true", help="reinstall even if .venv/.installed is up to date")
    p.add_argument("--offline", metavar="DIR", help="install from a folder made with --wheelhouse (no internet)")
    p.add_argument("--wheelhouse", metavar="DIR",
                   help="download every locked wheel, uv and setuptools into DIR for offline installs, then stop")
    p.add_argument("--platform", metavar="TAG", help="with --wheelhouse: wheels for another platform, "
                   "e.g. win_amd64, macosx_11_0_arm64 (the lock's platform markers still follow this machine)")
    p.add_argument("--python-version", metavar="X.Y", help="with --wheelhouse: wheels for this Python, e.g. 3.12")
    args = p.parse_args(argv)
    if (args.platform or args.python_version) and not args.wheelhouse:
        p.error("--platform and --python-version go with --wheelhouse")
    if args.wheelhouse and args.offline:
        p.error("give either --wheelhouse or --offline")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        check_python()
        if args.wheelhouse:
            make_wheelhouse(Path(args.wheelhouse), platform=args.platform,
                            python_version=args.python_version, verbose=args.verbose)
        else:
            install(force=args.force, verbose=args.verbose,
                    offline=Path(args.offline) if args.offline else None)
    except InstallError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print("interrupted: run again to finish the install", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
