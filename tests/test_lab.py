"""`workbench lab` starts JupyterLab of this environment at notebooks/ with the project's kernel;
`python -m workbench` is the command line without the script on PATH."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from workbench.lab import lab_command

ROOT = Path(__file__).resolve().parents[1]


def test_python_dash_m_workbench_is_the_command_line():
    out = subprocess.run([sys.executable, "-m", "workbench", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and "report" in out.stdout and "lab" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "workbench", "report", "--store", "/nonexistent/store"],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and len(bad.stderr.strip().splitlines()) == 1


def test_lab_command_uses_this_python_and_the_project_kernel(tmp_path):
    cmd = lab_command(browser=False, port=8899, extra=["--ServerApp.ip=127.0.0.1"])
    assert cmd[:4] == [sys.executable, "-m", "jupyter", "lab"]
    assert f"--ServerApp.root_dir={(ROOT / 'notebooks').resolve()}" in cmd
    assert "--MappingKernelManager.default_kernel_name=arabic-media-workbench" in cmd
    assert "--no-browser" in cmd and "--ServerApp.port=8899" in cmd and cmd[-1] == "--ServerApp.ip=127.0.0.1"
    with pytest.raises(Exception, match="no such folder"):
        lab_command(notebook_dir=tmp_path / "missing")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


@pytest.mark.slow
def test_lab_serves_the_notebooks_with_the_project_kernel(tmp_path):
    port = _free_port()
    env_home = tmp_path / "home"
    env_home.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "lab", "--no-browser", "--port", str(port), "--",
         "--IdentityProvider.token=workshop-test", "--ServerApp.ip=127.0.0.1"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**__import__("os").environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")})
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                specs = _get(f"{base}/api/kernelspecs?token=workshop-test")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"JupyterLab did not start: {proc.stderr.read().decode()[-2000:]}")
                time.sleep(0.5)
        assert specs["default"] == "arabic-media-workbench"
        assert sys.executable in specs["kernelspecs"]["arabic-media-workbench"]["spec"]["argv"][0] or \
            Path(specs["kernelspecs"]["arabic-media-workbench"]["spec"]["argv"][0]).resolve() == Path(sys.executable).resolve()
        names = {c["name"] for c in _get(f"{base}/api/contents?token=workshop-test")["content"]}
        assert {"framing_report.ipynb", "reading.ipynb"} <= names
        if (ROOT / "notebooks" / "tutorials").is_dir():
            assert "tutorials" in names
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_latest_run_without_symbolic_links(tmp_path, monkeypatch):
    """Where symbolic links cannot be made (Windows without developer mode), latest.txt and
    latest.html still point at the newest run, and pruning still spares it."""
    from workbench.reports import run as R

    folder = tmp_path / "rep"
    for stamp in ("2026-01-01_000000", "2026-01-02_000000"):
        (folder / stamp).mkdir(parents=True)
        (folder / stamp / "manifest.json").write_text("{}")
    R._point_latest(folder, "2026-01-01_000000")
    assert (folder / "latest").resolve() == (folder / "2026-01-01_000000").resolve()

    def no_symlinks(self, *a, **k):
        raise OSError("symbolic link privilege not held")

    monkeypatch.setattr(Path, "symlink_to", no_symlinks)
    R._point_latest(folder, "2026-01-02_000000")
    assert not (folder / "latest").exists()  # no stale link to the older run
    assert (folder / "latest.txt").read_text().strip() == "2026-01-02_000000"
    assert 'url=2026-01-02_000000/report.html' in (folder / "latest.html").read_text()
    assert R.latest_run(folder) == folder / "2026-01-02_000000"
    (folder / "latest.txt").write_text("../../etc\n")  # a damaged pointer is not followed outside
    assert R.latest_run(folder) is None
    (folder / "latest.txt").write_text("2026-01-01_000000\n")
    R._prune(folder, 1)
    assert (folder / "2026-01-01_000000").is_dir()  # the latest run survives pruning


def test_no_posix_only_module_in_the_workbench():
    """Windows laptops: nothing imports fcntl (locks go through filelock), process groups are
    signalled only where they exist."""
    for path in (ROOT / "workbench").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import fcntl" not in text and "from fcntl" not in text, path
        for line in (ln for ln in text.splitlines() if "os.killpg(" in ln):
            assert 'hasattr(os, "killpg")' in text, f"{path}: os.killpg without a Windows fallback"
