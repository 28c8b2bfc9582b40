"""``python -m workbench.install``: the install without make (workbench/install.py)."""
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import ROOT
from workbench import install as inst


def fake_project(tmp_path: Path) -> Path:
    for name in ("pyproject.toml", "requirements.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def make_venv(root: Path, windows: bool = False) -> Path:
    py = inst.venv_paths(root / ".venv", windows=windows)["python"]
    py.parent.mkdir(parents=True)
    py.touch()
    return py


# ----------------------------------------------------------------------------- pure parts

def test_make_install_is_this_installer():
    """`make install` runs `python -m workbench.install`: one install path, with or without make."""
    recipe = (ROOT / "Makefile").read_text()
    assert re.search(r"^\t@\$\(PYTHON\) -m workbench\.install --force", recipe, re.M)


def test_environment_is_the_makefiles():
    exported = dict(re.findall(r"^export (\w+)\s*:=\s*(\S+)", (ROOT / "Makefile").read_text(), re.M))
    assert inst.ENVIRONMENT == exported


def test_venv_paths_per_os():
    posix = inst.venv_paths(Path(".venv"), windows=False)
    win = inst.venv_paths(Path(".venv"), windows=True)
    assert posix["python"] == Path(".venv/bin/python") and posix["uv"] == Path(".venv/bin/uv")
    assert win["python"] == Path(".venv/Scripts/python.exe") and win["uv"] == Path(".venv/Scripts/uv.exe")
    assert win["workbench"] == Path(".venv/Scripts/workbench.exe")


def test_next_commands_per_os():
    assert inst.next_commands(windows=False)[0] == ".venv/bin/workbench report"
    assert inst.next_commands(windows=True)[0] == ".venv\\Scripts\\workbench report"
    assert any("python -m workbench lab" in c for c in inst.next_commands(windows=True))


def test_old_python_is_one_clear_error():
    with pytest.raises(inst.InstallError) as e:
        inst.check_python((3, 10, 12), "/usr/bin/python3")
    assert e.value.code == 2
    assert "Python >= 3.11 is needed, this is Python 3.10.12" in str(e.value) and "\n" not in str(e.value)
    inst.check_python((3, 11, 0))
    inst.check_python((3, 13, 1))


def test_main_refuses_old_python(monkeypatch, capsys):
    monkeypatch.setattr(inst.sys, "version_info", (3, 10, 4, "final", 0))
    monkeypatch.setattr(inst, "install", lambda **kw: pytest.fail("must not install"))
    assert inst.main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Python >= 3.11 is needed") and err.count("\n") == 1


def test_step_commands_match_the_makefile():
    root = Path("/project")
    steps = inst.step_commands(root, windows=False)
    cmds = [c for _, c in steps]
    py, uv = "/project/.venv/bin/python", "/project/.venv/bin/uv"
    assert cmds[0] == [py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "uv==0.13.8"]
    assert cmds[1] == [uv, "pip", "install", "--quiet", "--python", py, "--compile-bytecode",
                       "--require-hashes", "-r", "requirements.lock"]
    assert cmds[2] == [uv, "pip", "install", "--quiet", "--python", py, "--no-deps", "-e", "."]
    assert cmds[3] == [py, "-c", "from workbench.reports.run import ensure_kernel; ensure_kernel()"]


def test_step_commands_verbose_windows_and_existing_uv():
    steps = inst.step_commands(Path("C:/p"), windows=True, verbose=True, have_uv=True)
    assert len(steps) == 3  # uv is there: not installed again
    assert all("--quiet" not in c for _, c in steps)
    assert steps[0][1][0].endswith("uv.exe") and "python.exe" in steps[0][1][steps[0][1].index("--python") + 1]


def test_offline_commands_use_only_the_folder():
    steps = inst.step_commands(Path("/p"), windows=False, offline=Path("/usb/wheels"))
    pip, lock, editable, _ = (c for _, c in steps)
    assert pip[-4:] == ["--no-index", "--find-links", "/usb/wheels", "uv==0.13.8"]
    for cmd in (lock, editable):
        assert cmd[3:8] == ["--quiet", "--offline", "--no-index", "--find-links", "/usb/wheels"]
    assert "--require-hashes" in lock  # offline, the hashes are still checked


def test_wheelhouse_commands(tmp_path):
    build = tmp_path / "build.txt"
    steps = inst.wheelhouse_commands(ROOT, Path("/w"), "py", build_requirements=build)
    cmds = [c for _, c in steps]
    assert cmds[0][:3] == ["py", "-m", "pip"] and "download" in cmds[0]
    assert cmds[0][-3:] == ["--require-hashes", "-r", str(ROOT / "requirements.lock")]
    assert "--no-deps" in cmds[0] and cmds[0][cmds[0].index("-d") + 1] == "/w"
    assert cmds[1][-1] == "uv==0.13.8" and cmds[2][-1] == str(build)
    other = inst.wheelhouse_commands(ROOT, Path("/w"), "py", platform="win_amd64", python_version="3.12")[0][1]
    assert other[other.index("--platform") + 1] == "win_amd64"
    assert other[other.index("--python-version") + 1] == "3.12"


def test_lock_entry_of_setuptools_keeps_hashes_drops_marker():
    entry = inst.lock_entry((ROOT / "requirements.lock").read_text(), "setuptools")
    assert entry and entry.startswith("setuptools==") and ";" not in entry
    assert entry.count("--hash=sha256:") >= 1 and "\\" not in entry
    assert inst.lock_entry("a==1 \\\n    --hash=sha256:00\n", "b") is None


def test_stamp_logic(tmp_path):
    root = fake_project(tmp_path)
    assert not inst.is_up_to_date(root, windows=False)          # no venv
    make_venv(root)
    assert not inst.is_up_to_date(root, windows=False)          # no stamp
    stamp = inst.touch_stamp(root / ".venv")
    assert inst.is_up_to_date(root, windows=False)
    later = time.time() + 10
    os.utime(root / "requirements.lock", (later, later))         # the lock changed after the install
    assert not inst.is_up_to_date(root, windows=False)
    os.utime(stamp, (later + 1, later + 1))
    assert inst.is_up_to_date(root, windows=False)
    os.utime(root / "pyproject.toml", (later + 5, later + 5))
    assert not inst.is_up_to_date(root, windows=False)


class Recorder:
    """subprocess.run stand-in: records commands; the venv step creates the venv's python."""

    def __init__(self, root: Path, fail_at: str | None = None):
        self.root, self.fail_at, self.calls = root, fail_at, []

    def __call__(self, cmd, **kw):
        self.calls.append(cmd)
        if cmd[1:3] == ["-m", "venv"]:
            make_venv(self.root, windows=sys.platform == "win32")
        if "sys.version_info" in " ".join(cmd):
            return SimpleNamespace(returncode=0, stdout="3.11.7\n", stderr="")
        if self.fail_at and self.fail_at in cmd:
            return SimpleNamespace(returncode=1, stdout="", stderr="WARNING: Location 'file:///opt/x' is ignored\n"
                                   "error: Failed to download `numpy==2.4.6`\n  Caused by: network unreachable\n")
        return SimpleNamespace(returncode=0, stdout="", stderr="WARNING: noise\n")


def test_install_runs_the_steps_then_stamps_and_skips_next_time(tmp_path, monkeypatch, capsys):
    root = fake_project(tmp_path)
    rec = Recorder(root)
    monkeypatch.setattr(inst.subprocess, "run", rec)
    assert inst.install(root) is True
    out = capsys.readouterr().out
    assert [line[:5] for line in out.splitlines()[:5]] == ["[1/5]", "[2/5]", "[3/5]", "[4/5]", "[5/5]"]
    assert "workbench report" in out and "workbench lab" in out
    assert (root / ".venv" / ".installed").is_file()
    assert rec.calls[0][1:] == ["-m", "venv", ".venv"]
    n = len(rec.calls)
    assert inst.install(root) is False                  # stamp newer than the inputs: nothing run
    assert len(rec.calls) == n and "up to date" in capsys.readouterr().out
    assert inst.install(root, force=True) is True       # --force runs the steps (the venv is reused)
    assert not any(c[1:3] == ["-m", "venv"] for c in rec.calls[n:])


def test_failed_step_is_one_line_and_leaves_no_stamp(tmp_path, monkeypatch, capsys):
    root = fake_project(tmp_path)
    monkeypatch.setattr(inst.subprocess, "run", Recorder(root, fail_at="--compile-bytecode"))
    monkeypatch.setattr(inst, "ROOT", root)
    assert inst.main([]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("error: step 3 failed (installing the locked environment") and "-v" in err[-1]
    assert [e.strip() for e in err[:-1]] == ["error: Failed to download `numpy==2.4.6`",
                                             "Caused by: network unreachable"]    # no warnings
    assert not (root / ".venv" / ".installed").exists()


def test_options(tmp_path, monkeypatch, capsys):
    with pytest.raises(SystemExit):
        inst.parse_args(["--platform", "win_amd64"])            # only with --wheelhouse
    with pytest.raises(SystemExit):
        inst.parse_args(["--wheelhouse", "w", "--offline", "w"])
    capsys.readouterr()
    monkeypatch.setattr(inst, "ROOT", fake_project(tmp_path))
    assert inst.main(["--offline", str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_module_parses_without_newer_syntax():
    """Old Pythons must reach the version check: no syntax newer than 3.7 (with future annotations)."""
    import ast

    tree = ast.parse((ROOT / "workbench" / "install.py").read_text(), feature_version=(3, 7))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}


# ----------------------------------------------------------------------------- a real install

def _user_uv_cache() -> Path:
    if os.environ.get("UV_CACHE_DIR"):
        return Path(os.environ["UV_CACHE_DIR"])
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "uv" / "cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "uv"   # older uv; newer ones use ~/.cache/uv too
    return Path.home() / ".cache" / "uv"   # conftest points XDG_CACHE_HOME elsewhere


def _online() -> bool:
    import socket

    try:
        socket.create_connection(("pypi.org", 443), timeout=3).close()
        return True
    except OSError:
        return False


def _copy_project(dest: Path) -> Path:
    for name in ("pyproject.toml", "requirements.lock", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for folder in ("workbench", "notebooks", "corpus/demo"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=ignore)
    shutil.copy2(ROOT / "corpus" / "outlets.yaml", dest / "corpus" / "outlets.yaml")
    return dest


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("WORKBENCH_TEST_INSTALL") != "1",
                    reason="a real install takes a minute or more: .ci/run installs without make on every run; "
                    "WORKBENCH_TEST_INSTALL=1 runs this test too")
def test_real_install_into_a_copy_of_the_project(tmp_path):
    cache = _user_uv_cache()
    if not _online() and not (cache.is_dir() and any(cache.iterdir())):
        pytest.skip("no network and no uv cache: the locked wheels cannot be had")
    (tmp_path / "project").mkdir()
    root = _copy_project(tmp_path / "project")
    env = {**os.environ, "UV_CACHE_DIR": str(cache)}
    env.pop("VIRTUAL_ENV", None)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "workbench.install"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=1800)
    seconds = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout + proc.stderr
    print(f"install into a copy took {seconds:.0f} s")
    assert "[5/5]" in proc.stdout and (root / ".venv" / ".installed").is_file()
    paths = inst.venv_paths(root / ".venv")
    # the copy's own environment: torch stays out, the workbench imports, its CLI runs
    check = subprocess.run([str(paths["python"]), "-c",
                            "import importlib.util as u, workbench, sys; "
                            "assert u.find_spec('torch') is None; print(workbench.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, env=env)
    assert check.returncode == 0, check.stderr
    assert Path(check.stdout.strip()).is_relative_to(root)   # editable: the copy, not this checkout
    store = tmp_path / "store"
    imp = subprocess.run([str(paths["python"]), "-m", "workbench", "corpus", "import",
                          str(root / "corpus/demo/articles.jsonl"), "--store", str(store), "--quiet"],
                         cwd=root, capture_output=True, text=True, env=env)
    assert imp.returncode == 0, imp.stderr
    info = subprocess.run([str(paths["workbench"]), "corpus", "info", "--store", str(store)],
                          cwd=root, capture_output=True, text=True, env=env)
    assert info.returncode == 0 and "articles" in info.stdout.lower(), info.stderr
    # run again: nothing to do
    again = subprocess.run([sys.executable, "-m", "workbench.install"], cwd=root, env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "up to date" in again.stdout
