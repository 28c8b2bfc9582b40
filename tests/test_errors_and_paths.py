"""One exception hierarchy, internal errors logged with their traceback, the project folder found
from paths.py, ``python -m workbench``, and CLI choices taken from the library."""
import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pytest

from conftest import ROOT
from workbench import cli, errors, paths
from workbench.errors import ArgumentError, StatisticsError, WorkbenchError

# (module, class) pairs that moved to workbench.errors and stay importable where they were
MOVED = [
    ("workbench.integrity", "IntegrityError"),
    ("workbench.text.settings", "SettingsError"),
    ("workbench.text.cache", "CacheError"),
    ("workbench.matrix", "MatrixError"),
    ("workbench.reports.render", "PdfUnavailable"),
    ("workbench.reports.parameters", "ParameterError"),
    ("workbench.reports.run", "ReportError"),
    ("workbench.reports.run", "ReportInterrupted"),
    ("workbench.reports.schedules", "ScheduleError"),
]


@pytest.mark.parametrize("module, name", MOVED)
def test_moved_exceptions_are_the_errors_module_classes(module, name):
    assert getattr(importlib.import_module(module), name) is getattr(errors, name)


def test_every_workbench_error_has_an_exit_code_and_a_docstring():
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, WorkbenchError)]
    assert len(classes) >= 15
    for c in classes:
        assert c.__doc__, c
        assert c.exit_code in (2, 3), c
    assert errors.ReportError.exit_code == 3
    assert errors.ReportError("x", folder=ROOT).folder == ROOT
    assert issubclass(errors.ReportInterrupted, KeyboardInterrupt)
    assert not issubclass(errors.ReportInterrupted, WorkbenchError)


@pytest.mark.parametrize("cls", [ArgumentError, StatisticsError, errors.SettingsError])
def test_user_input_errors_are_also_value_errors(cls):
    assert issubclass(cls, WorkbenchError) and issubclass(cls, ValueError)


def test_keyness_bad_input_is_a_statistics_error():
    from workbench.stats.keyness import keyness

    X = np.array([[1, 2], [3, 4]])
    with pytest.raises(StatisticsError, match="target has no documents"):
        keyness(X, ["a", "b"], target=np.zeros(2, dtype=bool))
    with pytest.raises(ValueError, match="target has no documents"):  # as before
        keyness(X, ["a", "b"], target=np.zeros(2, dtype=bool))


# ---------------------------------------------------------------------------------------------
# the command line: user errors exit 2, bugs exit 1 with the traceback in a log file


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv("WORKBENCH_DEBUG", raising=False)
    return home


def _raising(exc):
    def cmd(args):
        def deep_in_the_library():
            raise exc
        deep_in_the_library()
    return cmd


def test_a_user_error_exits_2_with_one_line(monkeypatch, capsys, cache_home):
    monkeypatch.setattr(cli, "cmd_corpus_info", _raising(StatisticsError("target has no documents")))
    assert cli.main(["corpus", "info", "--store", "x"]) == 2
    assert capsys.readouterr().err == "error: target has no documents\n"
    assert not (cache_home / "arabic-media-workbench" / "logs").exists()


@pytest.mark.parametrize("exc", [RuntimeError("boom\nsecond line"), ValueError("a bug, not bad input")])
def test_an_internal_error_exits_1_and_writes_the_traceback_to_a_log(monkeypatch, capsys, cache_home, exc):
    monkeypatch.setattr(cli, "cmd_corpus_info", _raising(exc))
    assert cli.main(["corpus", "info", "--store", "x"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"internal error: {type(exc).__name__}: ")
    assert "a bug" in err
    logs = list((cache_home / "arabic-media-workbench" / "logs").glob("error-*.log"))
    assert len(logs) == 1
    assert str(logs[0]) in err
    assert logs[0].name.endswith(f"-{os.getpid()}.log")
    text = logs[0].read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "deep_in_the_library" in text
    assert str(exc).splitlines()[0] in text


def test_the_log_falls_back_to_the_temp_folder(monkeypatch, capsys, tmp_path, cache_home):
    cache_home.write_text("a file where the cache folder should be")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setattr(cli, "cmd_corpus_info", _raising(RuntimeError("boom")))
    assert cli.main(["corpus", "info", "--store", "x"]) == 1
    err = capsys.readouterr().err
    logs = list(tmp.glob("workbench-error-*.log"))
    assert len(logs) == 1 and str(logs[0]) in err
    assert "RuntimeError: boom" in logs[0].read_text(encoding="utf-8")


def test_reporting_never_fails_when_no_log_can_be_written(monkeypatch, capsys, cache_home):
    cache_home.write_text("not a folder")
    monkeypatch.setattr(tempfile, "tempdir", str(cache_home / "nowhere"))
    monkeypatch.setattr(cli, "cmd_corpus_info", _raising(RuntimeError("boom")))
    assert cli.main(["corpus", "info", "--store", "x"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "WORKBENCH_DEBUG=1" in err


def test_workbench_debug_reraises(monkeypatch, cache_home):
    monkeypatch.setenv("WORKBENCH_DEBUG", "1")
    monkeypatch.setattr(cli, "cmd_corpus_info", _raising(RuntimeError("boom")))
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(["corpus", "info", "--store", "x"])
    assert not (cache_home / "arabic-media-workbench" / "logs").exists()


def test_cli_choices_come_from_the_library(capsys):
    from workbench.corpus.readers import FORMATS, MAPPABLE_FIELDS
    from workbench.stats.keyness import CORRECTIONS, MEASURES

    sub = cli.build_parser()._subparsers._group_actions[0].choices
    opts = {a.dest: a for a in sub["keyness"]._actions}
    assert tuple(opts["sort"].choices) == MEASURES and "log_odds" in MEASURES
    assert tuple(opts["correction"].choices) == CORRECTIONS
    imp = sub["corpus"]._subparsers._group_actions[0].choices["import"]
    assert tuple({a.dest: a for a in imp._actions}["format"].choices) == FORMATS
    assert cli._mapping(["file=name", "text = body"]) == {"file": "name", "text": "body"}
    with pytest.raises(WorkbenchError, match=", ".join(MAPPABLE_FIELDS)):
        cli._mapping(["txet=body"])


# ---------------------------------------------------------------------------------------------
# python -m workbench


def _run(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=120)


def test_python_dash_m_workbench():
    from workbench import __version__

    out = _run("-m", "workbench", "--version")
    assert out.returncode == 0 and out.stdout.strip() == f"workbench {__version__}"
    out = _run("-m", "workbench", "--help")
    assert out.returncode == 0
    assert "usage: workbench" in out.stdout and "keyness" in out.stdout and "report" in out.stdout
    out = _run("-m", "workbench", "no-such-command")
    assert out.returncode == 2


# ---------------------------------------------------------------------------------------------
# the project folder


def _load_paths(monkeypatch, env_home=None):
    """A fresh copy of workbench.paths evaluated under the given environment."""
    if env_home is None:
        monkeypatch.delenv(paths.HOME_ENV, raising=False)
    else:
        monkeypatch.setenv(paths.HOME_ENV, str(env_home))
    spec = importlib.util.spec_from_file_location("_paths_under_test", paths.__file__)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_checkout_is_the_project_root(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    p = _load_paths(monkeypatch)
    assert p.PROJECT_ROOT == ROOT
    assert p.DEFAULT_REGISTRY == ROOT / "corpus" / "outlets.yaml" and p.DEFAULT_REGISTRY.is_file()
    assert (p.PACKAGE_DATA / "stopwords_ar.txt").is_file()
    assert p.SCHEDULES_DIR == ROOT / "reports" / "schedules"
    assert p.STORES_DIR == ROOT / "build" / "stores"


def test_workbench_home_sets_the_project_root(monkeypatch, tmp_path):
    p = _load_paths(monkeypatch, env_home=tmp_path / "project")
    assert p.PROJECT_ROOT == (tmp_path / "project").resolve()
    assert p.CORPUS_DIR == p.PROJECT_ROOT / "corpus"
    assert p.DEFAULT_REGISTRY == p.PROJECT_ROOT / "corpus" / "outlets.yaml"
    assert p.NOTEBOOKS_DIR == p.PROJECT_ROOT / "notebooks"
    assert p.REPORTS_DIR == p.PROJECT_ROOT / "reports"
    assert p.BUILD_DIR == p.PROJECT_ROOT / "build"
    assert p.PACKAGE_DATA == paths.PACKAGE_DATA  # package data stays with the package


def test_another_projects_pyproject_is_not_a_checkout(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "something-else"\n')
    assert not paths._is_checkout(tmp_path)
    (tmp_path / "pyproject.toml").write_text("not = [toml")
    assert not paths._is_checkout(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "arabic-media-workbench"\n')
    assert paths._is_checkout(tmp_path)


def test_an_installed_package_works_in_the_current_folder(tmp_path):
    """A non-editable install: the package sits in site-packages (no pyproject.toml beside it)."""
    site = tmp_path / "site-packages"
    shutil.copytree(ROOT / "workbench", site / "workbench", ignore=shutil.ignore_patterns("__pycache__"))
    project = tmp_path / "my project"
    project.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in (paths.HOME_ENV, "PYTHONPATH")}
    env["PYTHONPATH"] = str(site)
    code = ("import workbench, workbench.paths as p, workbench.corpus.registry as r; "
            "print(workbench.__file__); print(p.PROJECT_ROOT); print(r.PROJECT_ROOT); print(r.DEFAULT_REGISTRY)")
    out = _run("-c", code, cwd=project, env=env)
    assert out.returncode == 0, out.stderr
    pkg, root, reexported, registry = out.stdout.splitlines()
    assert pkg == str(site / "workbench" / "__init__.py")
    assert root == reexported == str(project.resolve())
    assert registry == str(project.resolve() / "corpus" / "outlets.yaml")
    env[paths.HOME_ENV] = str(tmp_path / "elsewhere")
    out = _run("-c", code, cwd=project, env=env)
    assert out.stdout.splitlines()[1] == str((tmp_path / "elsewhere").resolve())
