"""Report runs that go wrong: concurrent index writers, killed runs, failures of every kind, cell
timeouts, schedules' on_failure commands, and pruning of failed runs.

Every test uses a tiny notebook (four cells, one that sleeps) in a tmp folder, not the framing
report, so a kernel run costs about two seconds. Tests that only need the runner's bookkeeping
replace papermill by a fake that copies the notebook (no kernel at all).
"""
import hashlib
import html
import json
import multiprocessing
import os
import random
import shutil
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from conftest import ROOT  # noqa: F401  (the shared test helpers resolve from this subfolder too)
from workbench.cli import main
from workbench.reports.parameters import ParameterError
from workbench.reports.index import list_failures, list_reports, write_index
from workbench.reports.run import INTERRUPTED, ReportError, ReportInterrupted, run_report
from workbench.reports.schedules import ScheduleError, load_schedule

SEED = 20240828


def tiny_notebook(folder: Path, name: str = "tiny") -> Path:
    """Parameters ``delay`` (the slow cell sleeps), ``fail`` (raise with this message), ``output_dir``."""
    nb = new_notebook(cells=[
        new_code_cell("delay: float = 0.0  # seconds the slow cell sleeps\n"
                      "fail: str = ''  # raise ValueError(fail) when set\n"
                      "output_dir: str | None = None  # set by the runner", metadata={"tags": ["parameters"]}),
        new_code_cell("import pathlib, time\nout = pathlib.Path(output_dir) if output_dir else None\n"
                      "if out:\n    (out / 'tables').mkdir(exist_ok=True)\n"
                      "    (out / 'tables' / 'a.csv').write_text('x\\n1\\n')"),
        new_code_cell("time.sleep(delay)\nif fail:\n    raise ValueError(fail)"),
        new_code_cell("if out:\n    (out / 'tables' / 'b.csv').write_text('y\\n2\\n')\nprint('done')"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def runs(folder: Path, suffix: str = "") -> list[Path]:
    """Visible run folders of one report: published (``suffix=""``) or failed (``".failed"``)."""
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
                  and (p.name.endswith(".failed") if suffix else not p.name.endswith(".failed")))


class _Page(HTMLParser):
    """Collects the rows of index.html and checks every tag opened is closed in order."""

    VOID = {"meta", "br", "img", "link", "input", "hr"}

    def __init__(self):
        super().__init__()
        self.stack, self.rows, self.errors = [], [], []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)
        if tag == "tr":
            self.rows.append({"class": dict(attrs).get("class"), "text": ""})

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)

    def handle_data(self, data):
        if self.rows and "tr" in self.stack:
            self.rows[-1]["text"] += data


def parse_index(out: Path) -> _Page:
    text = (out / "index.html").read_text(encoding="utf-8")
    assert text.rstrip().endswith("</html>"), "index.html is cut short"
    page = _Page()
    page.feed(text)
    page.close()
    assert not page.errors and not page.stack, f"index.html is not well formed: {page.errors} {page.stack}"
    return page


class FakePapermill:
    """papermill.execute_notebook without a kernel: copies the notebook and writes a table.

    ``raise_`` set to an exception makes the next execution raise it.
    """

    raise_ = None

    def __call__(self, input_path, output_path, parameters=None, **kw):
        shutil.copy(input_path, output_path)
        out = Path(output_path).parent
        (out / "tables").mkdir(exist_ok=True)
        (out / "tables" / "a.csv").write_text("x\n1\n")
        if self.raise_ is not None:
            e, self.raise_ = self.raise_, None
            raise e


@pytest.fixture
def fake_papermill(monkeypatch):
    fake = FakePapermill()
    monkeypatch.setattr("papermill.execute_notebook", fake)
    return fake


@pytest.fixture
def same_second(monkeypatch):
    """Every run of the runner starts in the same second (stamps then differ only by -2, -3 …)."""
    import datetime as dt
    import types

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2024, 5, 1, 12, 0, 0, tzinfo=tz)

    monkeypatch.setattr("workbench.reports.run.dt", types.SimpleNamespace(
        datetime=Frozen, timezone=dt.timezone, timedelta=dt.timedelta))


# ----------------------------------------------------------------------------- the index

def _manifest(run: Path, report: str, started: str) -> None:
    run.mkdir(parents=True, exist_ok=True)
    (run / "report.html").write_text("<p>r</p>", encoding="utf-8")
    (run / "manifest.json").write_text(json.dumps({"report": report, "started": started, "parameters": {"x": 1}}),
                                       encoding="utf-8")


def test_concurrent_index_writers_never_fail_and_leave_a_whole_page(tmp_path):
    """Reports of different names (different locks) write index.html at the same moment while run
    folders appear and disappear; every writer succeeds and the page is always whole."""
    out = tmp_path / "reports"
    for i in range(5):
        _manifest(out / f"stable-{i}" / f"2024-01-0{i + 1}_120000", f"stable-{i}", f"2024-01-0{i + 1}T12:00:00+00:00")
    stop = threading.Event()

    def churn():  # publish, fail and prune runs, and whole reports, while the writers scan
        n = 0
        while not stop.is_set():
            n += 1
            run = out / f"churn-{n}" / f"2024-02-01_{n:06d}"
            _manifest(run, run.parent.name, "2024-02-01T00:00:00+00:00")
            failed = run.with_name(run.name + ".failed")
            failed.mkdir()
            (failed / "failure.json").write_text('{"reason": "boom"}', encoding="utf-8")
            shutil.rmtree(run)
            shutil.rmtree(run.parent)

    def writer(i):
        for j in range(10):  # publish a run of report w<i>, then write the index, as run_report does
            _manifest(out / f"w{i}" / f"2024-03-01_{j:06d}", f"w{i}", f"2024-03-01T00:00:{j:02d}+00:00")
            write_index(out)
            parse_index(out)  # a reader at any moment sees a whole page

    churner = threading.Thread(target=churn)
    churner.start()
    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(writer, range(8)))  # re-raises the first writer's exception, if any
    finally:
        stop.set()
        churner.join()
    page = parse_index(out)
    for i in range(5):
        assert any(f"stable-{i}" in r["text"] for r in page.rows)
    text = (out / "index.html").read_text(encoding="utf-8")
    missing = [f"w{i}/2024-03-01_{j:06d}" for i in range(8) for j in range(10)
               if f"w{i}/2024-03-01_{j:06d}/report.html" not in text]
    assert not missing, f"the last index written lacks runs published before it: {missing[:5]}"
    assert not list(out.glob(".index.html*")), "temporary index files were left behind"
    assert oct((out / "index.html").stat().st_mode & 0o777) == oct(0o644)


def test_the_last_index_written_lists_every_run_published_before_it(tmp_path, monkeypatch):
    """Writer A scans, then report b publishes and writes the index while A is still writing: b's
    run must be in the final page (writers take turns, so A cannot overwrite b's page with its
    older scan)."""
    import workbench.reports.index as index

    out = tmp_path / "reports"
    _manifest(out / "a" / "2024-01-01_120000", "a", "2024-01-01T12:00:00+00:00")
    scan, a_scanned, b_wrote = index.list_reports, threading.Event(), threading.Event()

    def slow_scan(root):
        found = scan(root)
        if threading.current_thread().name == "A":
            a_scanned.set()
            b_wrote.wait(1.0)  # with writers taking turns, b cannot write before A is done
        return found

    def b():
        write_index(out)
        b_wrote.set()

    monkeypatch.setattr(index, "list_reports", slow_scan)
    writer_a = threading.Thread(target=write_index, args=(out,), name="A")
    writer_a.start()
    assert a_scanned.wait(10)
    _manifest(out / "b" / "2024-01-02_120000", "b", "2024-01-02T12:00:00+00:00")  # b publishes
    writer_b = threading.Thread(target=b)
    writer_b.start()
    writer_a.join()
    writer_b.join()
    assert "b/2024-01-02_120000/report.html" in (out / "index.html").read_text(encoding="utf-8")


def test_index_escapes_every_string_and_survives_odd_files(tmp_path):
    out = tmp_path / "reports"
    evil = '<script>alert("x")</script> & \'q\''
    run = out / "r" / "2024-01-01_120000"
    run.mkdir(parents=True)
    (run / "manifest.json").write_text(json.dumps({
        "report": evil, "started": evil, "parameters": {evil: evil, "store": f"/a/{evil}"},
        "corpus": {"registry": evil, "articles": evil, "fingerprint": evil},
    }), encoding="utf-8")
    failed = out / "r" / "2024-01-02_120000.failed"
    failed.mkdir()
    (failed / "failure.json").write_text(json.dumps({"report": evil, "reason": evil, "started": evil,
                                                     "status": "interrupted"}), encoding="utf-8")
    (out / "r" / "2024-01-03_120000.failed").mkdir()          # no failure.json
    bad = out / "r" / "2024-01-04_120000"
    bad.mkdir()
    (bad / "manifest.json").write_text("[1, 2]", encoding="utf-8")  # valid JSON, not a manifest
    text = write_index(out).read_text(encoding="utf-8")
    assert "<script>" not in text and html.escape(evil) in text
    page = parse_index(out)
    statuses = sorted(r["class"] for r in page.rows if r["class"])
    assert statuses == ["failed", "interrupted"]
    assert "reason unknown (no failure.json)" in text
    assert len(list_reports(out)) == 1 and len(list_failures(out)) == 2


# ----------------------------------------------------------------------------- failures of every kind

def test_failed_run_writes_its_reason_and_is_listed_beside_published_ones(tmp_path, monkeypatch, capsys):
    nb = tiny_notebook(tmp_path)
    out = tmp_path / "reports"
    with monkeypatch.context() as m:  # the earlier report needs no kernel; the failing run below does
        m.setattr("papermill.execute_notebook", FakePapermill())
        good = run_report(nb, out=out, pdf=False)
    before = digest(good.folder)
    rc = main(["report", str(nb), "--out", str(out), "--no-pdf", "-p", "fail", "<b>bad</b> & worse"])
    assert rc == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "internal error" not in err[0]
    assert "report 'tiny' failed in cell 3: ValueError: <b>bad</b> & worse (partial notebook:" in err[0]
    [failed] = runs(out / "tiny", ".failed")
    failure = json.loads((failed / "failure.json").read_text(encoding="utf-8"))
    assert err[0] == f"error: {failure['reason']}" and failure["status"] == "failed" and failure["cell"] == 3
    assert digest(good.folder) == before and (out / "tiny" / "latest").resolve() == good.folder.resolve()
    text = (out / "index.html").read_text(encoding="utf-8")
    assert html.escape(failure["reason"]) in text and "<b>bad</b>" not in text
    assert [r["class"] for r in parse_index(out).rows if r["class"]] == ["failed"]
    assert f"tiny/{good.folder.name}/report.html" in text


@pytest.mark.slow
def test_cell_timeout_from_the_command_line(tmp_path, capsys):
    nb = tiny_notebook(tmp_path)
    out = tmp_path / "reports"
    t0 = time.monotonic()
    rc = main(["report", str(nb), "--out", str(out), "--no-pdf", "--cell-timeout", "2", "-p", "delay", "60"])
    assert time.monotonic() - t0 < 30
    assert rc == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "report 'tiny' failed in cell 3: the cell ran longer than the 2-second limit" in err[0]
    assert "--cell-timeout SECONDS" in err[0] and "cell_timeout" in err[0]
    [failed] = runs(out / "tiny", ".failed")
    failure = json.loads((failed / "failure.json").read_text(encoding="utf-8"))
    assert failure["error"] == "CellTimeoutError" and failure["cell_timeout"] == 2
    assert (failed / "tables" / "a.csv").is_file()  # the partial run is kept for debugging
    assert main(["report", str(nb), "--out", str(out), "--cell-timeout", "0"]) == 2
    assert "cell_timeout: expected a whole number ≥ 1" in capsys.readouterr().err


def test_interrupt_and_rendering_errors_fail_cleanly(tmp_path, fake_papermill, monkeypatch, capsys):
    nb = tiny_notebook(tmp_path)
    out = tmp_path / "reports"
    good = run_report(nb, out=out, pdf=False)
    before = digest(good.folder)

    fake_papermill.raise_ = KeyboardInterrupt()
    with pytest.raises(ReportInterrupted) as e:
        run_report(nb, out=out, pdf=False)
    assert isinstance(e.value, KeyboardInterrupt) and e.value.folder.name.endswith(".failed")
    failure = json.loads((e.value.folder / "failure.json").read_text(encoding="utf-8"))
    assert failure["status"] == "interrupted" and failure["reason"] == str(e.value)
    assert "report 'tiny' was interrupted (Ctrl-C)" in str(e.value)

    fake_papermill.raise_ = KeyboardInterrupt()
    assert main(["report", str(nb), "--out", str(out), "--no-pdf"]) == 130
    err = capsys.readouterr().err
    assert err.startswith("interrupted: report 'tiny' was interrupted (Ctrl-C)") and "internal error" not in err

    def broken_render(*a, **k):
        raise RuntimeError("the renderer <exploded>")

    monkeypatch.setattr("workbench.reports.render.render_html", broken_render)
    assert main(["report", str(nb), "--out", str(out), "--no-pdf"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "internal error" not in err[0]
    assert "report 'tiny' failed while rendering: RuntimeError: the renderer <exploded> (kept in" in err[0]

    assert digest(good.folder) == before and (out / "tiny" / "latest").resolve() == good.folder.resolve()
    assert len(runs(out / "tiny", ".failed")) == 3 and not list((out / "tiny").glob(".*.running"))
    classes = [r["class"] for r in parse_index(out).rows if r["class"]]
    assert sorted(classes) == ["failed", "interrupted", "interrupted"]


def test_next_run_marks_stale_running_folders_failed(tmp_path, fake_papermill):
    nb = tiny_notebook(tmp_path)
    out = tmp_path / "reports"
    folder = out / "tiny"
    killed = folder / ".2024-01-01_000000.running"          # killed in the middle of a section
    killed.mkdir(parents=True)
    (killed / "sections.json").write_text('{"running": "keyness", "done": []}', encoding="utf-8")
    dying = folder / ".2024-01-01_000001.running"           # failed, then killed before its rename
    dying.mkdir()
    (dying / "failure.json").write_text('{"status": "failed", "reason": "the first reason"}', encoding="utf-8")
    pruning = folder / ".2023-12-31_000000.pruning"         # killed while pruning
    (pruning / "tables").mkdir(parents=True)
    res = run_report(nb, out=out, pdf=False)
    assert not list(folder.glob(".*.running")) and not pruning.exists()
    f1 = json.loads((folder / "2024-01-01_000000.failed" / "failure.json").read_text(encoding="utf-8"))
    assert f1["status"] == "interrupted" and f1["section"] == "keyness"
    assert f1["reason"] == INTERRUPTED.replace("interrupted", "interrupted in section 'keyness'", 1)
    assert f1["started"].startswith("2024-01-01") or f1["started"].startswith("2023-12-31")  # local → UTC
    f2 = json.loads((folder / "2024-01-01_000001.failed" / "failure.json").read_text(encoding="utf-8"))
    assert f2["reason"] == "the first reason"
    assert any("2024-01-01_000000.failed" in m for m in res.messages)
    text = (out / "index.html").read_text(encoding="utf-8")
    assert "INTERRUPTED" in text and "interrupted in section &#x27;keyness&#x27;" in text and "the first reason" in text


def test_keep_prunes_failed_runs_too_but_a_failure_never_prunes_published_ones(tmp_path, fake_papermill):
    nb = tiny_notebook(tmp_path)
    out = tmp_path / "reports"
    folder = out / "tiny"
    published = [run_report(nb, out=out, pdf=False).folder for _ in range(3)]   # no keep yet
    failed = []
    for _ in range(3):
        fake_papermill.raise_ = RuntimeError("boom")
        with pytest.raises(ReportError) as e:
            run_report(nb, out=out, pdf=False, keep=2)
        failed.append(e.value.folder)
    assert runs(folder) == published                      # failures pruned no published run
    assert runs(folder, ".failed") == failed[-2:]          # but kept only the newest two failed ones
    last = run_report(nb, out=out, pdf=False, keep=2).folder
    assert runs(folder) == [published[-1], last] and runs(folder, ".failed") == failed[-2:]
    assert (folder / "latest").resolve() == last.resolve()
    assert not [p for p in folder.iterdir() if p.name.endswith(".pruning")]
    with pytest.raises(ParameterError, match="keep: expected a whole number ≥ 1"):
        run_report(nb, out=out, pdf=False, keep=0)


def test_a_kill_while_pruning_never_leaves_a_half_deleted_published_report(tmp_path, fake_papermill, same_second,
                                                                          monkeypatch):
    nb = tiny_notebook(tmp_path)
    out = tmp_path / "reports"
    folder = out / "tiny"
    for _ in range(2):
        run_report(nb, out=out, pdf=False)

    class Killed(BaseException):
        pass

    def dies_halfway(path, *a, **k):  # deletes one file, then the process "dies"
        next(p for p in Path(path).rglob("*") if p.is_file()).unlink()
        raise Killed

    rmtree = shutil.rmtree
    monkeypatch.setattr("workbench.reports.run.shutil.rmtree", dies_halfway)  # (that is shutil.rmtree)
    with pytest.raises(Killed):
        run_report(nb, out=out, pdf=False, keep=2)
    for run in runs(folder):  # whatever is visible is whole
        m = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
        assert set(digest(run)) == set(m["outputs"]) | {"manifest.json"}, run
    monkeypatch.setattr("workbench.reports.run.shutil.rmtree", rmtree)
    last = run_report(nb, out=out, pdf=False, keep=2).folder  # the next run finishes the delete
    assert not [p for p in folder.iterdir() if p.name.endswith(".pruning")]
    # the pruned run's stamp (same second) is not reused: the newest run sorts last and is kept
    assert [p.name for p in runs(folder)] == ["2024-05-01_120000-3", "2024-05-01_120000-4"] == \
        sorted(p.name for p in runs(folder)) and last.name.endswith("-4")


# ----------------------------------------------------------------------------- schedules

def test_schedule_fields_are_checked(tmp_path):
    s = tmp_path / "s.yaml"
    for text, message in [
        ("cell_timeout: soon\n", "cell_timeout: expected a whole number of seconds ≥ 1"),
        ("cell_timeout: 0\n", "cell_timeout: expected a whole number of seconds ≥ 1"),
        ("on_failure: notify.sh --urgent\n", "on_failure: expected a command as a list of arguments"),
        ("on_failure: []\n", "on_failure: expected a command as a list of arguments"),
        ("on_failure: [[a]]\n", "on_failure: expected a command as a list of arguments"),
        ("on_failure: [notify]\non_failure_timeout: -1\n", "on_failure_timeout: expected a whole number of seconds"),
    ]:
        s.write_text(text, encoding="utf-8")
        with pytest.raises(ScheduleError) as e:
            load_schedule(s)
        assert str(e.value).startswith(f"{s}: ") and message in str(e.value), text
    s.write_text("cell_timeout: 60\non_failure: [notify.sh, --urgent, 3]\n", encoding="utf-8")
    sch = load_schedule(s)
    assert sch.cell_timeout == 60 and sch.on_failure == ["notify.sh", "--urgent", "3"] and sch.on_failure_timeout == 60


@pytest.mark.slow
def test_all_schedules_name_themselves_and_run_on_failure(tmp_path, monkeypatch, capsys):
    nb = tiny_notebook(tmp_path)
    sched, out, envs = tmp_path / "schedules", tmp_path / "reports", tmp_path / "env"
    sched.mkdir()
    envs.mkdir()
    record = [sys.executable, "-c",
              "import json, os, sys; json.dump({k: v for k, v in os.environ.items() if k.startswith('WORKBENCH_')}, "
              "open(sys.argv[1], 'w'))"]
    (sched / "a-slow.yaml").write_text(json.dumps({   # JSON is YAML: no quoting worries
        "notebook": str(nb), "output": str(out), "pdf": False, "cell_timeout": 2, "parameters": {"delay": 60.0},
        "on_failure": record + [str(envs / "a.json")]}), encoding="utf-8")
    (sched / "b-bad.yaml").write_text(json.dumps({
        "notebook": str(nb), "output": str(out), "parameters": {"colour": "red"},
        "on_failure": [sys.executable, "-c", "import sys; sys.exit(4)"]}), encoding="utf-8")
    (sched / "c-hangs.yaml").write_text(json.dumps({
        "notebook": str(nb), "output": str(out), "parameters": {"colour": "red"}, "on_failure_timeout": 1,
        "on_failure": [sys.executable, "-c", "import time; time.sleep(60)"]}), encoding="utf-8")
    (sched / "d-missing.yaml").write_text(json.dumps({
        "notebook": str(nb), "output": str(out), "parameters": {"colour": "red"},
        "on_failure": [str(tmp_path / "no-such-program")]}), encoding="utf-8")
    (sched / "e-broken.yaml").write_text("colour: red\n", encoding="utf-8")
    monkeypatch.setattr("workbench.reports.schedules.SCHEDULES", sched)
    t0 = time.monotonic()
    assert main(["report", "--all"]) == 3
    assert time.monotonic() - t0 < 40
    err = capsys.readouterr().err.strip().splitlines()
    assert all(line.startswith(("error: schedule '", "5 of 5 scheduled reports failed")) for line in err), err
    assert "internal error" not in "\n".join(err)
    by = {n: [line for line in err if line.startswith(f"error: schedule '{n}': ")]
          for n in ("a-slow", "b-bad", "c-hangs", "d-missing", "e-broken")}
    assert "the cell ran longer than the 2-second limit" in by["a-slow"][0] and len(by["a-slow"]) == 1
    assert "unknown parameter 'colour'" in by["b-bad"][0]
    assert by["b-bad"][1].endswith("on_failure command '" + sys.executable + "' failed with exit status 4")
    assert "was stopped after 1 s (on_failure_timeout)" in by["c-hangs"][1]
    assert "could not be started" in by["d-missing"][1]
    assert "unknown field 'colour'" in by["e-broken"][0] and len(by["e-broken"]) == 1
    env = json.loads((envs / "a.json").read_text())
    assert env["WORKBENCH_SCHEDULE"] == env["WORKBENCH_REPORT"] == "a-slow"
    assert env["WORKBENCH_ERROR"] == by["a-slow"][0].removeprefix("error: schedule 'a-slow': ")
    failed = Path(env["WORKBENCH_FAILED_DIR"])
    assert failed.parent == out / "a-slow" and failed.name.endswith(".failed") and (failed / "failure.json").is_file()


# ----------------------------------------------------------------------------- SIGKILL at random points

PHASES = ("start", "kernel", "cells", "publish")   # what the kill waits for before its random delay


def _kill_tree(proc) -> None:
    """SIGKILL a run (like a power cut), then its kernel, which has a session of its own."""
    try:
        parent = psutil.Process(proc.pid)
        parent.suspend()                         # no new kernel can start between listing and killing
        children = parent.children(recursive=True)
    except psutil.Error:
        children = []
    proc.kill()
    for c in children:
        try:
            c.kill()
        except psutil.Error:
            pass
    proc.join()


def _lane(ctx, nb: Path, out: Path, name: str, rng: random.Random, phases: list[str]) -> list[dict]:
    """One report name: kill a run at each phase (after a seeded random delay), one run after another."""
    folder, kills = out / name, []
    for phase in phases:
        proc = ctx.Process(target=run_report, args=(str(nb),),
                           kwargs={"out": str(out), "name": name, "pdf": False, "cli_params": [("delay", "0.6")]})
        proc.start()
        deadline = time.monotonic() + 30
        want = {"start": None, "kernel": "", "cells": "tables/a.csv", "publish": "report.html"}[phase]
        while want is not None and time.monotonic() < deadline and proc.is_alive():
            if any((r / want).exists() for r in folder.glob(".*.running")):
                break
            time.sleep(0.005)
        time.sleep(rng.uniform(0, {"start": 0.3, "kernel": 1.2, "cells": 0.6, "publish": 0.05}[phase]))
        running = sorted(folder.glob(".*.running"))
        executing = bool(running and (running[-1] / "tables" / "a.csv").exists())
        _kill_tree(proc)
        kills.append({"phase": phase, "executing": executing, "before_cells": not executing,
                      "stale": {p.name for p in folder.glob(".*.running")}})  # the run is dead: final
    return kills


@pytest.mark.slow
def test_sigkill_at_random_points_never_harms_published_reports(tmp_path, monkeypatch):
    """Runs SIGKILLed at seeded random points (some before the kernel starts, some while cells run,
    some while publishing): published reports stay byte-identical, and the next run of each report
    marks the stale ``.running`` folders failed ("interrupted") and lists them in the index.

    The killed runs are real (a kernel, papermill, rendering) in processes forked from a warm
    interpreter; the runs before and after them, which only need the runner's bookkeeping, use the
    fake papermill in this process to keep the test short.
    """
    nb = tiny_notebook(tmp_path)
    out = tmp_path / "reports"
    ctx = multiprocessing.get_context("forkserver")  # each run forks from a warm interpreter
    ctx.set_forkserver_preload(["workbench.reports.run", "workbench.reports.render", "papermill"])
    names = ["k0", "k1"]  # two reports killed side by side (one per core), five kills each

    def run_all():  # one whole run of each report, without a kernel
        with monkeypatch.context() as m:
            m.setattr("papermill.execute_notebook", FakePapermill())
            return [run_report(nb, out=out, name=n, pdf=False) for n in names]

    run_all()
    before = {n: {p.name: digest(p) for p in runs(out / n)} for n in names}
    rng = random.Random(SEED)
    plans = [list(PHASES) + [rng.choice(PHASES)] for _ in names]  # every phase in every report, one more
    with ThreadPoolExecutor(len(names)) as pool:
        lanes = list(pool.map(lambda a: _lane(ctx, nb, out, *a),
                              [(n, random.Random(rng.random()), p) for n, p in zip(names, plans)]))
    kills = [k for lane in lanes for k in lane]
    assert len(kills) == 10
    assert any(k["before_cells"] for k in kills), "no kill before the cells ran"
    assert any(k["executing"] for k in kills), "no kill while the cells ran"
    for n in names:
        for stamp, files in before[n].items():       # earlier reports: byte-identical, never touched
            assert digest(out / n / stamp) == files
    finals = run_all()                                # the next run of each report tidies up
    for n, lane, last in zip(names, lanes, finals):
        folder = out / n
        stale = set().union(*(k["stale"] for k in lane))  # every run a kill left behind
        # the last kill's snapshot is every run still stale: exactly those the final run recovered
        assert len([m for m in last.messages if INTERRUPTED in m]) == len(lane[-1]["stale"])
        assert not list(folder.glob(".*.running")) and not list(folder.glob(".*.pruning"))
        assert {p.name for p in runs(folder, ".failed")} == {s[1:-len(".running")] + ".failed" for s in stale}
        for name in stale:
            failure = json.loads((folder / (name[1:-len(".running")] + ".failed") / "failure.json").read_text())
            assert failure["status"] == "interrupted" and failure["reason"].startswith("interrupted")
        for run in runs(folder):                      # anything published is whole
            m = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
            assert digest(run) == {**m["outputs"], "manifest.json": digest(run)["manifest.json"]}
        assert (folder / "latest").resolve() == last.folder.resolve()
    page = parse_index(out)
    failed = [r for r in page.rows if r["class"] in ("failed", "interrupted")]
    assert len(failed) == sum(len(runs(out / n, ".failed")) for n in names) >= 4
    assert all(r["class"] == "interrupted" for r in failed)
    assert not list(out.glob(".index.html*"))


def test_manifest_git_state_takes_no_repository_lock(tmp_path, monkeypatch):
    """A report killed while reading the git state must not leave .git/index.lock behind."""
    import os
    import stat

    from workbench.reports import run as run_mod

    log = tmp_path / "git-args"
    fake = tmp_path / "bin" / "git"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$@" >> {log}\necho 0123abcd\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    assert run_mod._git()["commit"] == "0123abcd"
    status = [line for line in log.read_text().splitlines() if "status" in line]
    assert status and all(line.startswith("--no-optional-locks") for line in status)
