"""The environment stays lean and locked, and environment.yml describes the same one."""
import re
import subprocess
import sys
import tomllib
from importlib.metadata import requires
from importlib.util import find_spec

import yaml

from conftest import ROOT

DEEP_LEARNING = {"torch", "transformers"}


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins() -> dict[str, set[str]]:
    """Active pins of requirements.lock (entries disabled by the never-true marker are skipped).

    A package may be pinned once per Python version range, hence a set of versions.
    """
    pins: dict[str, set[str]] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9._-]+)==([^ ;\\]+)\s*(;\s*(.*?))?\s*\\?$", line)
        if m and "sys_platform == 'never'" not in (m.group(4) or ""):
            pins.setdefault(norm(m.group(1)), set()).add(m.group(2))
    return pins


def lock_entries() -> dict[str, list[tuple[str, str | None]]]:
    """Every pin of requirements.lock with its environment marker (None: everywhere), never-true ones included."""
    entries: dict[str, list[tuple[str, str | None]]] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9._-]+)==([^ ;\\]+)\s*(;\s*(.*?))?\s*\\?$", line)
        if m:
            entries.setdefault(norm(m.group(1)), []).append((m.group(2), m.group(4) or None))
    return entries


def env_entries() -> list[tuple[str, str, str | None, str]]:
    """(name, version, marker, "conda" | "pip") for every pinned package of environment.yml."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for p in dep["pip"]:
                if p.startswith("-e"):
                    continue
                req, _, marker = p.partition(";")
                name, version = req.strip().split("==")
                out.append((norm(name), version.strip(), marker.strip() or None, "pip"))
        else:
            name, _, version = dep.partition("=")
            out.append((norm(name), version, None, "conda"))
    return out


def env_packages() -> dict[str, str]:
    return {name: version for name, version, _, _ in env_entries()}


def project_dependencies() -> set[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    deps = meta["project"]["dependencies"] + meta["dependency-groups"]["dev"]
    return {norm(re.split(r"[<>=!~;\[ ]", d)[0]) for d in deps}


def test_environment_yml_lists_the_project_dependencies_at_the_locked_versions():
    env, pins = env_packages(), lock_pins()
    missing = project_dependencies() - set(env)
    assert not missing, f"environment.yml lacks {sorted(missing)} (listed in pyproject.toml)"
    for name, version in env.items():
        if name in ("python", "pip"):
            continue
        assert name in pins, f"environment.yml lists {name}, which requirements.lock does not pin"
        assert version in pins[name], f"{name}: environment.yml has {version}, requirements.lock {pins[name]}"


def test_environment_yml_covers_camel_tools_dependencies_without_deep_learning():
    env = env_packages()
    needed = {norm(re.split(r"[<>=!~;\[ ]", r)[0]) for r in requires("camel-tools")}
    assert needed & DEEP_LEARNING == DEEP_LEARNING  # camel-tools does declare them ...
    missing = needed - DEEP_LEARNING - set(env)
    assert not missing, f"environment.yml lacks camel-tools dependencies {sorted(missing)}"
    assert not DEEP_LEARNING & set(env)             # ... and we do not install them


def test_lock_has_no_deep_learning_and_no_download_hosts():
    pins = lock_pins()
    assert not DEEP_LEARNING & set(pins)
    assert "camel-tools" in pins and "gensim" in pins
    assert "://" not in (ROOT / "requirements.lock").read_text()


def test_torch_is_not_installed_and_importing_workbench_does_not_import_it():
    assert find_spec("torch") is None and find_spec("transformers") is None
    code = (
        "import sys, workbench, workbench.corpus, workbench.cli\n"
        "import camel_tools.utils.normalize, camel_tools.tokenizers.word\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def _python_only_and_true_on_311(marker: str | None) -> bool:
    """A marker conda can honour without saying it: none, or one on the Python version only that
    holds for environment.yml's python=3.11 (every 3.11.x)."""
    from packaging.markers import Marker

    if marker is None:
        return True
    if re.search(r"sys_platform|platform_|os_name|implementation", marker):
        return False
    m = Marker(marker)
    return all(m.evaluate({"python_full_version": f"3.11.{patch}", "python_version": "3.11"})
               for patch in range(0, 15))


def test_environment_yml_agrees_with_the_lock_in_version_and_marker():
    from packaging.markers import Marker

    lock = lock_entries()
    for name, version, marker, section in env_entries():
        if name in ("python", "pip"):
            continue
        pins = [(v, m) for v, m in lock.get(name, []) if v == version]
        assert pins, f"environment.yml: {name}=={version} is not pinned in requirements.lock ({lock.get(name)})"
        if marker is not None:
            assert section == "pip", f"{name}: conda entries cannot carry markers"
            assert any(m is not None and Marker(m) == Marker(marker) for _, m in pins), \
                f"{name}: environment.yml has marker {marker!r}, requirements.lock {[m for _, m in pins]}"
        else:
            lock_markers = [m for _, m in pins]
            assert any(_python_only_and_true_on_311(m) for m in lock_markers), (
                f"{name}: requirements.lock pins it only with {lock_markers}; environment.yml must carry "
                "the marker (pip section: \"name==version; marker\")")
        assert all("sys_platform == 'never'" not in (m or "") for _, m in pins), f"{name} is disabled in the lock"


def test_every_platform_marked_project_dependency_keeps_its_marker():
    """A package the lock installs only on some platforms is listed with that marker (e.g. camel-kenlm)."""
    lock, env = lock_entries(), {name: marker for name, _, marker, _ in env_entries()}
    for name, marker in env.items():
        pins = lock.get(name, [])
        platform_marked = [m for _, m in pins if m and re.search(r"sys_platform|platform_|os_name", m)
                           and "never" not in m]
        if platform_marked and len(pins) == 1:
            assert marker is not None, f"{name}: the lock has {platform_marked[0]!r}, environment.yml no marker"
    assert env["camel-kenlm"] == "sys_platform != 'win32'"


# ----------------------------------------------------------------------------- Binder

BINDER = ROOT / "binder"


def _binder_install_lines() -> list[str]:
    text = (BINDER / "postBuild").read_text()
    return [line for line in text.splitlines() if "install" in line and not line.lstrip().startswith(("#", "echo"))]


def test_binder_files_exist_and_are_executable():
    import os

    for name in ("environment.yml", "postBuild", "start"):
        assert (BINDER / name).is_file(), f"binder/{name} is missing"
    for name in ("postBuild", "start"):
        path = BINDER / name
        assert path.read_text().startswith("#!/bin/bash"), f"binder/{name} needs a bash shebang"
        assert os.access(path, os.X_OK), f"binder/{name} is not executable (chmod +x)"
        assert "\r\n" not in path.read_text(), f"binder/{name} has Windows line ends"
    tracked = subprocess.run(["git", "ls-files", "-s", "binder"], cwd=ROOT, capture_output=True, text=True)
    for line in tracked.stdout.splitlines():   # once committed, git must keep the executable bit
        mode, *_, path = line.split()
        if path.endswith(("postBuild", "start")):
            assert mode == "100755", f"{path} is committed without its executable bit"
    assert "exec \"$@\"" in (BINDER / "start").read_text()


def test_binder_installs_the_lock_with_hashes_and_no_deep_learning():
    env = yaml.safe_load((BINDER / "environment.yml").read_text())
    names = {norm(re.split(r"[<>=!~ ]", d)[0]) for d in env["dependencies"] if isinstance(d, str)}
    assert names == {"python", "pip"}, "binder/environment.yml: only python and pip; the rest comes from the lock"
    assert not any(isinstance(d, dict) for d in env["dependencies"]), "no pip section: postBuild installs the lock"
    assert "python=3.11" in env["dependencies"]
    lines = _binder_install_lines()
    locked = [line for line in lines if "-r requirements.lock" in line]
    assert locked and all("--require-hashes" in line for line in locked)
    assert any("--no-deps -e ." in line for line in lines)
    text = (BINDER / "postBuild").read_text()
    from workbench.install import UV_VERSION

    assert f"UV_VERSION={UV_VERSION}" in text, "binder/postBuild installs another uv than workbench.install"
    assert "ensure_kernel()" in text and "UV_PYTHON_DOWNLOADS=never" in text
    assert "corpus import corpus/demo/articles.jsonl --store build/demo-store" in text
    # nothing else gets installed, and nothing brings torch or transformers
    for line in lines:
        assert not re.search(r"\b(torch|transformers)\b", line), line
        if " -r " in line:
            assert "-r requirements.lock" in line, f"binder installs from another file: {line}"
    for path in BINDER.iterdir():
        assert not re.search(r"^[^#]*\b(torch|transformers)\b", path.read_text(), re.M), f"binder/{path.name} names torch"
