"""Progress: bars only on a terminal (or WORKBENCH_PROGRESS=1), never in a kernel; a report's section lines."""
import io
import json
import sys
import threading
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import workbench.progress as wp
from workbench.analysis import corpus_matrix
from workbench.cli import main
from workbench.matrix import build_matrix
from workbench.reports.run import ReportError, SectionLines, run_report
from workbench.text import TextSettings
from workbench.text.cache import TokenCache, fingerprint_texts, iter_tokens
from workbench.topics import fit_topics

BAR = ("\r", "█", "|")  # what a tqdm bar writes


class Terminal(io.StringIO):
    """A standard error that says it is a terminal."""

    def isatty(self):
        return True


def _stderr(monkeypatch, stream, env=None):
    """Make ``stream`` standard error. Called in the test itself: pytest's own capture replaces
    ``sys.stderr`` after fixtures are set up."""
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.setattr(wp, "DELAY", 0)  # show bars at once, however short the work
    if env is None:
        monkeypatch.delenv(wp.ENV, raising=False)
    else:
        monkeypatch.setenv(wp.ENV, env)
    return stream


def _work(n=200):
    with wp.progress_bar(n, desc="working", unit=" items") as bar:
        for _ in range(n):
            bar.update()
    return list(wp.progress(range(n), desc="looping"))


# ----------------------------------------------------------------------------- the policy

def test_no_bar_when_stderr_is_not_a_terminal(monkeypatch):
    log = _stderr(monkeypatch, io.StringIO())
    items = list(range(5))
    assert wp.progress(items) is items  # returned unchanged: no wrapper, no cost
    assert _work() == list(range(200))
    assert log.getvalue() == ""
    with wp.progress_bar(10) as bar:
        assert bar is wp.NO_BAR


def test_a_terminal_gets_a_bar_that_is_erased_at_the_end(monkeypatch):
    terminal = _stderr(monkeypatch, Terminal())
    assert _work() == list(range(200))
    out = terminal.getvalue()
    assert "working" in out and "looping" in out and "\r" in out
    assert out.rstrip(" ").endswith("\r")  # leave=False: the last thing written clears the line


def test_short_work_shows_no_bar_even_on_a_terminal(monkeypatch):
    terminal = _stderr(monkeypatch, Terminal())
    monkeypatch.setattr(wp, "DELAY", 5.0)
    _work()
    assert terminal.getvalue() == ""


@pytest.mark.parametrize("value,stream,shown", [
    ("1", io.StringIO, True), ("yes", io.StringIO, True), ("0", Terminal, False), ("off", Terminal, False),
    ("", Terminal, True), ("", io.StringIO, False), ("maybe", io.StringIO, False),
])
def test_environment_variable_overrides_the_terminal_test(monkeypatch, value, stream, shown):
    err = _stderr(monkeypatch, stream(), env=value)
    assert wp.enabled() is shown
    _work()
    assert any(c in err.getvalue() for c in BAR) is shown


def test_never_a_bar_inside_a_jupyter_kernel(monkeypatch):
    terminal = _stderr(monkeypatch, Terminal())
    monkeypatch.setenv(wp.ENV, "1")
    monkeypatch.setattr(wp, "in_kernel", lambda: True)
    _work()
    assert terminal.getvalue() == ""


def test_not_in_a_kernel_here():
    assert wp.in_kernel() is False


# ----------------------------------------------------------------------------- where the bars are

TEXTS = ["قال المتحدث باسم الحكومة إن الوضع مستقر في المدينة", "أعلنت المعارضة عن مؤتمر صحفي اليوم"] * 40


def _build_cache(root):
    ids = [f"d{i}" for i in range(len(TEXTS))]
    path = TokenCache(root).get_or_build(ids, TEXTS, TextSettings(), fingerprint_texts(ids, TEXTS), workers=1)
    return [t for _, toks in iter_tokens(path) for t in toks]


def test_tokenising_shows_a_bar_on_a_terminal_only_and_tokens_are_the_same(tmp_path, monkeypatch):
    err = _stderr(monkeypatch, io.StringIO())
    quiet = _build_cache(tmp_path / "a")
    assert err.getvalue() == ""
    err = _stderr(monkeypatch, Terminal())
    shown = _build_cache(tmp_path / "b")
    assert "tokenising" in err.getvalue() and f"/{len(TEXTS)} [" in err.getvalue()
    assert shown == quiet


def test_counting_shows_a_bar_on_a_terminal(monkeypatch):
    import pandas as pd

    terminal = _stderr(monkeypatch, Terminal())

    docs = pd.DataFrame({"id": [f"d{i}" for i in range(30)]})
    dtm = build_matrix([[["a", "b"], ["b"]] * 5] * 3, docs, ngrams=(1, 2))
    assert dtm.n_docs == 30 and "counting" in terminal.getvalue()


class Recorder:
    """A bar that remembers what it was told."""

    def __init__(self, total):
        self.total, self.n, self.postfixes = total, 0, []

    def update(self, n=1):
        self.n += n

    def set_postfix_str(self, s="", refresh=True):
        self.postfixes.append(s)


def test_topic_fit_is_identical_with_and_without_its_progress_bar(demo_store, monkeypatch):
    from contextlib import contextmanager

    dtm = corpus_matrix(demo_store, min_df=2, max_df=0.5)
    kw = dict(seed=7, passes=3, chunksize=100)  # three chunks a pass: several updates per pass
    err = _stderr(monkeypatch, io.StringIO())
    plain = fit_topics(dtm, 5, **kw)
    assert err.getvalue() == ""
    err = _stderr(monkeypatch, io.StringIO(), env="1")
    shown = fit_topics(dtm, 5, **kw)
    assert "training 5 topics" in err.getvalue()
    bars = []

    @contextmanager
    def recording(total, **_):
        bars.append(Recorder(total))
        yield bars[-1]

    monkeypatch.setattr("workbench.topics.fit.progress_bar", recording)
    recorded = fit_topics(dtm, 5, **kw)
    [bar] = bars
    assert bar.n == bar.total == 4 * dtm.n_docs  # every document of 3 passes and of the θ inference
    assert bar.postfixes == ["pass 1/3", "pass 2/3", "pass 3/3", "θ"]
    for other in (shown, recorded):
        np.testing.assert_array_equal(plain.model.get_topics(), other.model.get_topics())
        np.testing.assert_array_equal(plain.theta, other.theta)


# ----------------------------------------------------------------------------- a report's section lines

def _sections(path, running, done):
    path.write_text(json.dumps({"running": running, "done": [{"section": k, "seconds": s} for k, s in done]}),
                    encoding="utf-8")


def _watchers():
    return [t for t in threading.enumerate() if t.name == "report-sections"]


def test_section_lines_follow_the_sections_file(tmp_path):
    f = tmp_path / "sections.json"
    err = io.StringIO()
    with SectionLines(f, interval=0.02, out=err) as lines:
        time.sleep(0.1)                      # no file yet: nothing
        f.write_text('{"running": "cor', encoding="utf-8")  # caught half-written: read again later
        time.sleep(0.1)
        _sections(f, "corpus", [])
        time.sleep(0.1)
        _sections(f, "keyness", [("corpus", 1.25)])
        time.sleep(0.1)
        _sections(f, None, [("corpus", 1.25), ("keyness", 12.4), ("quick", 0.01)])  # quick: never seen running
    assert lines.lines == ["  corpus started", "  corpus done in 1.2 s", "  keyness started",
                           "  keyness done in 12.4 s", "  quick done in 0.0 s"]
    assert err.getvalue().splitlines() == lines.lines
    assert not _watchers()


def test_section_lines_stop_when_the_notebook_fails(tmp_path):
    f = tmp_path / "sections.json"
    err = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        with SectionLines(f, interval=10, out=err):  # a long interval: only the last look sees the file
            _sections(f, "topics", [("corpus", 0.5)])
            raise KeyboardInterrupt
    assert err.getvalue().splitlines() == ["  corpus done in 0.5 s", "  topics started"]
    assert not _watchers()
    with SectionLines(f, show=False, out=err) as quiet:
        pass
    assert quiet.lines == [] and not _watchers()


class FakeKernel:
    """papermill.execute_notebook without a kernel: writes sections.json as a notebook would, then
    copies the notebook, or raises ``raise_``. Each section lasts ``pause`` seconds (the sections
    file says 0.8 s whatever ``pause`` is)."""

    raise_ = None
    pause = 0.8

    def __call__(self, input_path, output_path, parameters=None, **kw):
        import shutil

        f = Path(parameters["output_dir"]) / "sections.json"
        _sections(f, "first", [])
        time.sleep(self.pause)
        _sections(f, "second", [("first", 0.8)])
        time.sleep(self.pause)
        if self.raise_ is not None:
            e, self.raise_ = self.raise_, None
            raise e
        _sections(f, None, [("first", 0.8), ("second", 0.8)])
        shutil.copy(input_path, output_path)


def _notebook(tmp_path, cells):
    nb = new_notebook(cells=[new_code_cell("output_dir: str | None = None  # set by the runner",
                                           metadata={"tags": ["parameters"]}), *map(new_code_cell, cells)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "sectioned.ipynb"
    nbformat.write(nb, path)
    return path


def test_runner_prints_section_lines_and_stops_watching_on_failure(tmp_path, monkeypatch, capsys):
    nb = _notebook(tmp_path, ["print('hello')"])
    fake = FakeKernel()
    fake.pause = 0.5  # five looks of the watcher (every 0.1 s) per section: each is seen running
    monkeypatch.setattr("papermill.execute_notebook", fake)
    monkeypatch.setattr(SectionLines, "INTERVAL", 0.1)
    monkeypatch.setenv(wp.ENV, "1")
    res = run_report(nb, out=tmp_path / "reports", pdf=False)
    err = capsys.readouterr().err.splitlines()
    assert err == ["report 'sectioned': running sectioned.ipynb", "  first started", "  first done in 0.8 s",
                   "  second started", "  second done in 0.8 s",
                   "report 'sectioned': notebook done in " + err[-1].split("done in ")[1]]
    assert err[-1].endswith("s; rendering HTML")
    assert not (res.folder / "sections.json").exists() and not _watchers()

    # the runs below check the last look at the sections file (the one made when the run ends) and
    # that nothing is printed: neither needs sections that last
    fake.pause = 0
    fake.raise_ = RuntimeError("boom")
    with pytest.raises(ReportError, match="failed in section 'second'"):
        run_report(nb, out=tmp_path / "reports", pdf=False)
    assert capsys.readouterr().err.splitlines()[-1] == "  second started" and not _watchers()

    run_report(nb, out=tmp_path / "reports", pdf=False, quiet=True)
    assert capsys.readouterr().err == "" and not _watchers()
    monkeypatch.delenv(wp.ENV)  # capsys' stderr is no terminal: nothing unless forced
    run_report(nb, out=tmp_path / "reports", pdf=False)
    assert capsys.readouterr().err == ""


@pytest.mark.slow
def test_report_command_prints_a_line_per_section_and_the_kernel_draws_no_bar(tmp_path, monkeypatch, capsys):
    nb = _notebook(tmp_path, [
        "import time\nimport workbench.progress as wp\nfrom workbench.reports.notebook import ReportContext\n"
        "report = ReportContext(output_dir)",
        # the kernel inherits WORKBENCH_PROGRESS=1; a bar drawn here would land in the notebook
        "wp.DELAY = 0\nwith report.section('bars'):\n    time.sleep(1.2)\n"
        "    print(len(list(wp.progress(range(5000), desc='kernelbar'))))",
        "with report.section('quick'):\n    pass",
    ])
    monkeypatch.setenv(wp.ENV, "1")
    out = tmp_path / "reports"
    assert main(["report", str(nb), "--out", str(out), "--no-pdf"]) == 0
    captured = capsys.readouterr()
    err = captured.err.splitlines()
    assert err[0] == "report 'sectioned': running sectioned.ipynb"
    assert err[1] == "  bars started" and err[2].startswith("  bars done in 1.")
    assert "  quick done in 0.0 s" in err and err[-1].startswith("report 'sectioned': notebook done in ")
    assert "written to" in captured.out
    folder = out / "sectioned" / "latest"
    outputs = json.dumps([o for c in nbformat.read(folder / "report.ipynb", as_version=4).cells
                          if c.cell_type == "code" for o in c.outputs])
    assert "5000" in outputs and "kernelbar" not in outputs and "\\r" not in outputs
    assert "kernelbar" not in (folder / "report.html").read_text(encoding="utf-8")  # code is hidden there
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert [s["section"] for s in manifest["sections"]] == ["bars", "quick"]
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "report.html", "report.ipynb"]

    # --quiet: not a line, whatever the notebook does (a kernel's own output never reaches our
    # standard error, so the runner's bookkeeping is what is checked; sections as a notebook writes them)
    fake = FakeKernel()
    fake.pause = 0
    monkeypatch.setattr("papermill.execute_notebook", fake)
    assert main(["report", str(nb), "--out", str(out), "--no-pdf", "--quiet"]) == 0
    assert capsys.readouterr().err == "" and not _watchers()
