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


def env_packages() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for p in dep["pip"]:
                if p.startswith("-e"):
                    continue
                name, version = p.split("==")
                out[norm(name)] = version
        else:
            name, _, version = dep.partition("=")
            out[norm(name)] = version
    return out


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
