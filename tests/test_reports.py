"""Reports: parameter checks before any kernel, failure handling, locking, reproducible re-runs, schedules."""
import datetime as dt
import hashlib
import json
import os
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from conftest import ROOT, notebook_outputs, side_by_side
from test_findings import check_evidence
from workbench.cli import main
from workbench.corpus import import_sources
from workbench.reports.parameters import ParameterError, declared_checks, declared_parameters, resolve_parameters
from workbench.reports.run import ReportError, _lock, run_report
from workbench.reports.schedules import ScheduleError, load_schedule, resolve_window

FRAMING = ROOT / "notebooks" / "framing_report.ipynb"


@pytest.fixture
def demo(demo_store):
    return demo_store


def _chromium() -> bool:
    return bool(shutil.which("chromium") or os.environ.get("WORKBENCH_CHROMIUM"))


def copy_notebook(input_path, output_path, **kw):
    """papermill.execute_notebook without a kernel (the notebook is copied as it is): for runs that
    only need the runner's bookkeeping, such as an earlier report that must stay untouched."""
    shutil.copy(input_path, output_path)


def digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# ----------------------------------------------------------------------------- parameters

def test_parameters_are_declared_with_types_and_help():
    params = declared_parameters(FRAMING)
    assert params["start"].type == "date" and params["start"].optional
    assert params["outlets"].type == "list[str]" and params["top_n"].default == 20
    assert "YYYY-MM-DD" in params["start"].help


@pytest.mark.parametrize("pairs,message", [
    ([("colour", "red")], "unknown parameter 'colour' (-p); this notebook takes: store, group"),
    ([("top_n", "many")], "parameter 'top_n': 'many' is not a valid int"),
    ([("top_n", "0")], "parameter 'top_n': must be at least 1"),
    ([("start", "2024-02-30")], "parameter 'start': '2024-02-30' is not a valid date or none (use YYYY-MM-DD)"),
    ([("start", "2024-05-01"), ("end", "2024-04-01")], "parameter 'start' (2024-05-01) is after 'end' (2024-04-01)"),
    ([("lang", "fr")], "parameter 'lang': 'fr' is not valid (valid: ar, en)"),
    ([("group", "")], "parameter 'group': '' is not a valid str (a value is required)"),
    ([("text_settings", "{teh: 1}")], "parameter 'text_settings': unknown text setting 'teh'"),
])
def test_bad_parameters_name_the_parameter(pairs, message):
    # types come from the annotations, ranges and choices from the notebook's parameter-checks cell
    with pytest.raises(ParameterError) as e:
        resolve_parameters(declared_parameters(FRAMING), None, pairs, declared_checks(FRAMING))
    assert message in str(e.value)


def test_parameter_conversion_from_text_and_yaml():
    d = declared_parameters(FRAMING)
    v = resolve_parameters(d, {"outlets": ["a", "b"], "min_count": 3},
                           [("start", "2024-01-05"), ("reference", "none"), ("text_settings", "{teh_marbuta: true}")])
    assert v["outlets"] == ["a", "b"] and v["min_count"] == 3 and v["start"] == "2024-01-05"
    assert v["reference"] is None and v["text_settings"] == {"teh_marbuta": True}
    with pytest.raises(ParameterError, match="parameter 'min_count': '3' is not a valid int"):
        resolve_parameters(d, {"min_count": "3"}, None)  # YAML values must already have the type


def test_corpus_checks_happen_before_any_kernel(demo, tmp_path, capsys):
    out = tmp_path / "reports"
    rc = main(["report", "--store", str(demo), "-p", "group", "outlet", "-p", "target", "sana",
               "--out", str(out), "--no-pdf"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "parameter 'target': 'sana' is not a value of 'outlet' (valid: al-hisn-al-watani" in err
    assert not out.exists()  # nothing was started or written
    rc = main(["report", "--store", str(demo), "-p", "group", "outlet", "-p", "target", "sijil-al-huriya",
               "-p", "reference", "awraq-al-rabi", "-p", "min_outlets", "2", "--out", str(out)])
    assert rc == 2 and "parameter 'min_outlets': 2 outlets are required but the target group" in capsys.readouterr().err


# ----------------------------------------------------------------------------- runs

@pytest.fixture(scope="module")
def framing_runs(demo_store, tmp_path_factory):
    """The framing report run twice with the same parameters, one run after the other in one folder
    (``runs``: ``(out, a, b)``), and, side by side with them, the notebook run as in JupyterLab
    (``interactive``: its outputs). Each is a future: a test raises its run's error, if any.

    The second run also prints its PDF (when Chromium is there): the PDF test reads it, and the
    comparison of the two runs' HTML and tables also shows that printing the PDF changes neither."""
    out = tmp_path_factory.mktemp("framing") / "reports"
    params = [("store", str(demo_store)), ("top_n", "10")]

    def two_runs():
        a = run_report(FRAMING, cli_params=params, out=out, pdf=False)
        b = run_report(FRAMING, cli_params=params, out=out, pdf=_chromium())
        return out, a, b

    runs, interactive = side_by_side(two_runs, lambda: notebook_outputs(FRAMING))
    return SimpleNamespace(runs=runs, interactive=interactive)


@pytest.mark.slow
def test_report_run_outputs_and_byte_identical_tables(framing_runs):
    out, a, b = framing_runs.runs.result()
    assert a.folder != b.folder and a.folder.parent == out / "framing_report"
    for f in ("report.ipynb", "report.html", "manifest.json", "tables/keyness_top_terms.csv",
              "tables/topics.csv", "tables/topic_prevalence_difference.csv", "figures/topic_map.png",
              "tables/articles_by_outlet.csv", "tables/keyness_all_terms.csv",
              "figures/keyness_bars.png", "figures/keyness_bars.svg", "figures/fightin_words.png"):
        assert (a.folder / f).is_file(), f
    da, db = digest(a.folder), digest(b.folder)
    assert da["report.html"] == db["report.html"]  # the whole page is reproducible, not only the tables
    for f in da:
        if f.startswith(("tables/", "figures/")):
            assert da[f] == db[f], f"{f} differs between two identical runs"
    csv = (a.folder / "tables/keyness_top_terms.csv").read_bytes()
    assert csv.startswith(b"\xef\xbb\xbf") and "النظام".encode() in csv
    m = json.loads((a.folder / "manifest.json").read_text(encoding="utf-8"))
    assert m["parameters"]["top_n"] == 10 and m["corpus"]["articles"] == 300
    assert m["corpus"]["fingerprint"] and m["text_settings"]["fingerprint"]
    assert m["packages"]["camel-tools"] == "1.6.0" and "papermill" in m["packages"]
    assert [s["section"] for s in m["sections"]] == ["corpus", "keyness", "topics", "reading", "stories", "reproducibility"]
    assert m["outputs"]["tables/keyness_top_terms.csv"] == da["tables/keyness_top_terms.csv"]
    html = (a.folder / "report.html").read_text(encoding="utf-8")
    assert 'dir="rtl"' in html and "output_dir" not in html and "import pandas" not in html
    # findings first (right after the title), and every number in them read back from its table
    assert html.index("Framing report") < html.index("What we found") < html.index("About this report") < html.index("The corpus")
    assert check_evidence(a.folder) >= 12
    assert not re.search(r">\s*-?\d\.\d+e[-+]\d+\s*<", html) and "&lt; 0.001" in html  # p-values a reader can read
    assert "what the column names mean" in html                             # the glossary
    assert da["explorer.html"] == db["explorer.html"]                       # the interactive explorer, reproducible
    # close reading: the planted naming of the government per camp, its chart, trends and concordance lines
    naming = pd.read_csv(a.folder / "tables" / "naming_actor_government.csv")
    preferred = naming[naming["count"] > 0].set_index("label")["preferred_by"]
    assert preferred["الجيش العربي السوري"] == "regime" and preferred["قوات النظام"] == "opposition"
    assert (a.folder / "figures" / "naming_actor_government.png").exists()
    assert (a.folder / "figures" / "term_trends.png").exists()
    assert any(p.startswith("tables/kwic_target_") for p in da) and "الكلمة" in html
    # same story, two camps: stories, coverage, paired keyness, attribution tables
    for t in ("stories", "story_coverage", "keyness_paired", "reuse_pairs", "attribution_rates", "composition_tests"):
        assert f"tables/{t}.csv" in da, t
    index = (out / "index.html").read_text(encoding="utf-8")
    assert a.folder.name in index and b.folder.name in index
    assert (out / "framing_report" / "latest").resolve() == b.folder.resolve()


def failing_notebook(tmp_path: Path) -> Path:
    nb = new_notebook(cells=[
        new_code_cell("x: int = 1  # a number\noutput_dir: str | None = None  # set by the runner",
                      metadata={"tags": ["parameters"]}),
        new_code_cell("from workbench.reports.notebook import ReportContext\nreport = ReportContext(output_dir)"),
        new_markdown_cell("## Step"),
        new_code_cell("with report.section('arithmetic'):\n    1 / (x - 1)"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_failing_cell_stops_with_summary_and_keeps_earlier_reports(tmp_path, monkeypatch, capsys):
    nb = failing_notebook(tmp_path)
    out = tmp_path / "reports"
    with monkeypatch.context() as m:  # the earlier report needs no kernel; the failing run below does
        m.setattr("papermill.execute_notebook", copy_notebook)
        good = run_report(nb, cli_params=[("x", "2")], out=out, pdf=False)
    before = digest(good.folder)
    rc = main(["report", str(nb), "-p", "x", "1", "--out", str(out), "--no-pdf"])
    assert rc == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "report 'broken' failed in section 'arithmetic', cell 4: ZeroDivisionError: division by zero" in err[0]
    failed = [p for p in (out / "broken").iterdir() if p.name.endswith(".failed")]
    assert len(failed) == 1 and (failed[0] / "report.ipynb").is_file()
    assert digest(good.folder) == before                       # the earlier report is untouched
    assert (out / "broken" / "latest").resolve() == good.folder.resolve()
    assert good.folder.name in (out / "index.html").read_text(encoding="utf-8")


def test_two_runs_cannot_write_the_same_place(tmp_path):
    nb = failing_notebook(tmp_path)
    out = tmp_path / "reports"
    with _lock(out / "broken"):
        with pytest.raises(ReportError, match="another report run is writing here"):
            run_report(nb, cli_params=[("x", "2")], out=out, pdf=False)


@pytest.mark.slow
def test_keep_prunes_old_runs(tmp_path, monkeypatch):
    nb = failing_notebook(tmp_path)
    out = tmp_path / "reports"
    monkeypatch.setattr("papermill.execute_notebook", copy_notebook)  # pruning is the runner's bookkeeping
    for _ in range(3):
        last = run_report(nb, cli_params=[("x", "2")], out=out, pdf=False, keep=2)
    runs = [p for p in (out / "broken").iterdir() if p.is_dir() and not p.is_symlink()]
    assert len(runs) == 2 and last.folder in runs


@pytest.mark.skipif(not _chromium(), reason="Chromium is not installed (make report installs it where it can)")
@pytest.mark.slow
def test_report_pdf(framing_runs):
    # the PDF is what is tested here: the second run of the report above prints it
    out, a, res = framing_runs.runs.result()
    assert not (a.folder / "report.pdf").exists()  # pdf=False prints none
    pdf = (res.folder / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 2


# ----------------------------------------------------------------------------- schedules

def test_window_resolution():
    assert resolve_window({"last": "7 days"}, None, dt.date(2024, 3, 10)) == ("2024-03-04", "2024-03-10")
    assert resolve_window({"last": "2 weeks", "anchor": "corpus-end"}, dt.date(2024, 8, 28)) == ("2024-08-15", "2024-08-28")
    assert resolve_window({"last": "1 month"}, None, dt.date(2024, 3, 31)) == ("2024-03-01", "2024-03-31")


def test_schedule_errors(tmp_path):
    bad = tmp_path / "s.yaml"
    bad.write_text("window: {last: a fortnight}\n", encoding="utf-8")
    with pytest.raises(ScheduleError, match="window.last: 'a fortnight' is not like '7 days'"):
        load_schedule(bad)
    bad.write_text("colour: red\n", encoding="utf-8")
    with pytest.raises(ScheduleError, match="unknown field 'colour'"):
        load_schedule(bad)
    with pytest.raises(ScheduleError, match="no such schedule"):
        load_schedule("nope", folder=tmp_path)


@pytest.mark.slow
def test_run_all_schedules_continues_past_a_failure(demo, tmp_path, monkeypatch, capsys):
    sched = tmp_path / "schedules"
    sched.mkdir()
    out = tmp_path / "reports"
    (sched / "a-good.yaml").write_text(
        f"store: {demo}\nwindow: {{last: 8 weeks, anchor: corpus-end}}\noutput: {out}\npdf: false\n"
        "parameters: {top_n: 5, min_count: 2, topics: false, stories: false, kwic_lines: 0}\n", encoding="utf-8")
    (sched / "b-bad.yaml").write_text(
        f"store: {demo}\noutput: {out}\npdf: false\nparameters: {{target: nobody}}\n", encoding="utf-8")
    monkeypatch.setattr("workbench.reports.schedules.SCHEDULES", sched)
    assert main(["report", "--all"]) == 3
    err = capsys.readouterr().err
    assert "parameter 'target': 'nobody' is not a value of 'camp'" in err and "1 of 2 scheduled reports failed: b-bad" in err
    run = next(p for p in (out / "a-good").iterdir() if p.is_dir() and not p.is_symlink())
    params = json.loads((run / "manifest.json").read_text(encoding="utf-8"))["parameters"]
    assert (params["start"], params["end"]) == ("2024-07-04", "2024-08-28")


def test_shipped_schedule_loads():
    s = load_schedule(ROOT / "reports/schedules/weekly-demo.yaml")
    assert s.notebook == FRAMING and s.window["anchor"] == "corpus-end" and s.keep == 8


@pytest.mark.slow
def test_missing_chromium_still_gives_html_and_says_how_to_get_pdf(tmp_path, monkeypatch):
    monkeypatch.setattr("workbench.reports.render.chromium_path", lambda: None)
    monkeypatch.setattr("papermill.execute_notebook", copy_notebook)  # rendering is tested, not the kernel
    res = run_report(failing_notebook(tmp_path), cli_params=[("x", "2")], out=tmp_path / "r", pdf=True)
    assert (res.folder / "report.html").is_file() and not (res.folder / "report.pdf").exists()
    assert any("apt-get install chromium" in m for m in res.messages)


@pytest.mark.slow
def test_notebook_runs_interactively_with_its_defaults(framing_runs):
    """As in JupyterLab: no papermill, no parameters injected, nothing saved (output_dir None)."""
    outputs = framing_runs.interactive.result()  # notebook_outputs(FRAMING), run beside the reports above
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 8
