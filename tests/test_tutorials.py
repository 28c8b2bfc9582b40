"""The workshop tutorials (``notebooks/tutorials/``) and their solutions (``notebooks/tutorials/solutions/``).

Six short notebooks for teachers and learners new to Python, each with goals, exercises and a
solutions notebook of the same name. Checked here:

* their shape, without running anything: a bilingual title, "Goals" with three bullets, at least two
  numbered exercises whose learner cells hold only comments, "What you learned", no outputs, the
  project's kernel; every solution file matches a tutorial and solves its exercises;
* every tutorial and every solution runs top to bottom in the project's kernel, as JupyterLab would
  run it from its own folder, without an error and in under 60 s each (two notebooks side by side,
  one per core);
* an executed tutorial converted to HTML (nbconvert, template "lab") and opened in headless
  Chromium lays out its Arabic right-to-left: the markdown inside ``<div dir="rtl">`` and the
  tables shown with :func:`workbench.rtl.rtl` (skipped without Chromium).
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT, side_by_side
from workbench.reports.render import chromium_path

TUTORIALS = ROOT / "notebooks" / "tutorials"
SOLUTIONS = TUTORIALS / "solutions"
EXPECTED = ["01_corpus.ipynb", "02_keywords.ipynb", "03_reading.ipynb", "04_topics.ipynb",
            "05_same_story.ipynb", "06_reports.ipynb"]
ARABIC = re.compile(r"[\u0600-\u06FF]")
EXERCISE = re.compile(r"^#+\s*Exercise (\d+):", re.M)
RTL_WRAPPER = '<div dir="rtl" lang="ar">'
MAX_SECONDS = 60

needs_chromium = pytest.mark.skipif(chromium_path() is None,
                                    reason="Chromium is not installed (sudo apt-get install chromium)")


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _markdown(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


def _exercises(nb) -> list[tuple[int, str]]:
    """``(number, heading line)`` of every "Exercise N:" heading, in order."""
    found = []
    for source in _markdown(nb):
        for m in EXERCISE.finditer(source):
            found.append((int(m.group(1)), source[m.start():].splitlines()[0]))
    return found


# --------------------------------------------------------------------------------------------
# shape (nothing runs)

def test_six_tutorials_and_a_solution_for_each():
    assert sorted(p.name for p in TUTORIALS.glob("*.ipynb")) == EXPECTED
    solutions = sorted(p.name for p in SOLUTIONS.glob("*.ipynb"))
    assert solutions == EXPECTED  # every solution file matches a tutorial, and every tutorial has one


@pytest.mark.parametrize("name", EXPECTED)
def test_tutorial_shape(name):
    nb = _read(TUTORIALS / name)
    nbformat.validate(nb)
    reading = _read(ROOT / "notebooks" / "reading.ipynb")
    assert nb.metadata["kernelspec"] == reading.metadata["kernelspec"]
    md = _markdown(nb)
    # a title in Arabic and English
    title = md[0].splitlines()[0]
    assert title.startswith("# ") and ARABIC.search(title) and re.search(r"[A-Za-z]{4}", title), title
    # Goals, with three bullets
    goals = next(s for s in md if re.match(r"##\s*Goals", s))
    assert len(re.findall(r"^- ", goals, re.M)) == 3, goals
    # Arabic explanations wrapped right-to-left, with blank lines inside the wrapper
    assert any(RTL_WRAPPER + "\n\n" in s for s in md)
    for s in md:
        for block in re.findall(r'<div dir="rtl" lang="ar">(.*?)</div>', s, re.S):
            assert block.startswith("\n\n") and block.endswith("\n\n"), block[:60]
    # 2-3 exercises, numbered 1.., each followed by a learner cell that holds only comments
    numbers = [n for n, _ in _exercises(nb)]
    assert len(numbers) >= 2 and numbers == list(range(1, len(numbers) + 1)), numbers
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and EXERCISE.search(cell.source):
            learner = nb.cells[i + 1]
            assert learner.cell_type == "code"
            assert all(not line.strip() or line.lstrip().startswith("#") for line in learner.source.splitlines())
    assert re.match(r"##\s*What you learned", md[-1])
    # saved without outputs
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("name", EXPECTED)
def test_solutions_solve_the_tutorials_exercises(name):
    tutorial, solution = _read(TUTORIALS / name), _read(SOLUTIONS / name)
    nbformat.validate(solution)
    assert solution.metadata["kernelspec"] == tutorial.metadata["kernelspec"]
    assert _exercises(solution) == _exercises(tutorial)  # the same exercises, in the same order
    for i, cell in enumerate(solution.cells):
        if cell.cell_type == "markdown" and EXERCISE.search(cell.source):
            answer = solution.cells[i + 1]
            assert answer.cell_type == "code" and "your code here" not in answer.source
            assert any(line.strip() and not line.lstrip().startswith("#") for line in answer.source.splitlines())
    assert all(c.outputs == [] for c in solution.cells if c.cell_type == "code")


# --------------------------------------------------------------------------------------------
# running them

def _execute(path: Path) -> dict:
    """Run a notebook top to bottom in the project's kernel from its own folder (as JupyterLab
    would; see ``conftest.notebook_outputs``): the executed notebook, its seconds, the error if any."""
    import nbclient

    from workbench.reports.run import ensure_kernel

    nb = _read(path)
    start = time.perf_counter()
    error = None
    try:
        nbclient.NotebookClient(nb, kernel_name=ensure_kernel(), timeout=2 * MAX_SECONDS,
                                resources={"metadata": {"path": str(path.parent)}}).execute()
    except Exception as e:  # kept for the test of this notebook to report
        error = e
    return {"nb": nb, "seconds": time.perf_counter() - start, "error": error}


def _lane(paths: list[Path]) -> dict[Path, dict]:
    return {p: _execute(p) for p in paths}


@pytest.fixture(scope="module")
def executed():
    """Every tutorial and solution executed once, in two lanes side by side (one per core).

    The demo store, its token caches and the tutorials' topic model are made first, in this process,
    so that no two kernels build the same cache at once. The lanes are offset (tutorial 01 beside
    solution 04 ...) so a tutorial and its own solution never run at the same time."""
    from workbench.analysis import Analysis
    from workbench.corpus.demo import demo_store

    a = Analysis(demo_store())
    a.matrix()
    a.reading().token_index()
    a.fit_topics(5, seed=1, backend="tomotopy")

    lane_a = [TUTORIALS / n for n in EXPECTED]
    lane_b = [SOLUTIONS / n for n in EXPECTED[3:] + EXPECTED[:3]]
    start = time.perf_counter()
    futures = side_by_side(lambda: _lane(lane_a), lambda: _lane(lane_b))
    results = {}
    for f in futures:
        results.update(f.result())
    wall = time.perf_counter() - start
    print(f"\n{len(results)} notebooks in {wall:.1f} s (two side by side): "
          + ", ".join(f"{p.parent.name}/{p.stem} {r['seconds']:.1f} s" for p, r in results.items()))
    return results


def _error_outputs(nb) -> list[str]:
    out = []
    for i, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []):
            if o.output_type == "error":
                out.append(f"cell {i}: {o.ename}: {o.evalue}")
            elif o.output_type == "stream" and o.name == "stderr" and re.search(r"Traceback|Error", o.text):
                out.append(f"cell {i} (stderr): {o.text[-300:]}")
    return out


@pytest.mark.slow
@pytest.mark.parametrize("folder", ["tutorials", "solutions"])
@pytest.mark.parametrize("name", EXPECTED)
def test_runs_top_to_bottom_quickly(executed, folder, name):
    path = (TUTORIALS if folder == "tutorials" else SOLUTIONS) / name
    run = executed[path]
    if run["error"] is not None:
        raise AssertionError(f"{path.relative_to(ROOT)} failed: {str(run['error'])[-1500:]}")
    assert _error_outputs(run["nb"]) == []
    assert run["seconds"] < MAX_SECONDS, f"{name} took {run['seconds']:.1f} s"
    code = [c for c in run["nb"].cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)  # every cell ran
    if folder == "tutorials":
        # the learner's empty exercise cells run and show nothing
        cells = run["nb"].cells
        for i, cell in enumerate(cells):
            if cell.cell_type == "markdown" and EXERCISE.search(cell.source):
                assert cells[i + 1].outputs == []
        # something was shown: tables, charts, printed lines
        assert sum(len(c.outputs) for c in code) >= 5


# --------------------------------------------------------------------------------------------
# right-to-left in a browser

_RTL_PROBE = """<script>
/* TEST-ONLY: record how the browser lays out the Arabic text, as attributes of <body>. */
window.addEventListener("load", function () {
  var arabic = /[\\u0600-\\u06FF]/;
  function ownArabic(el) {
    return Array.prototype.some.call(el.childNodes, function (n) {
      return n.nodeType === 3 && arabic.test(n.nodeValue);
    });
  }
  function probe(wrapperSelector, key) {
    var wrappers = document.querySelectorAll(wrapperSelector), checked = 0, wrong = [];
    Array.prototype.forEach.call(wrappers, function (w) {
      [w].concat(Array.prototype.slice.call(w.querySelectorAll("*"))).forEach(function (el) {
        if (!ownArabic(el)) { return; }
        checked += 1;
        if (getComputedStyle(el).direction !== "rtl") { wrong.push(el.tagName + ": " + el.textContent.slice(0, 40)); }
      });
    });
    document.body.setAttribute("data-test-" + key + "-wrappers", String(wrappers.length));
    document.body.setAttribute("data-test-" + key + "-checked", String(checked));
    document.body.setAttribute("data-test-" + key + "-wrong", String(wrong.length));
    document.body.setAttribute("data-test-" + key + "-examples", wrong.slice(0, 3).join(" | "));
  }
  probe(".jp-MarkdownCell div[dir=rtl]", "markdown");
  probe(".jp-OutputArea-output div.workbench-rtl", "table");
  /* control: Arabic words quoted inside English paragraphs, outside any wrapper, stay left-to-right */
  var control = 0;
  Array.prototype.forEach.call(document.querySelectorAll(".jp-MarkdownCell p"), function (p) {
    if (!p.closest("[dir=rtl]") && ownArabic(p) && getComputedStyle(p).direction === "ltr") { control += 1; }
  });
  document.body.setAttribute("data-test-control-ltr", String(control));
  document.body.setAttribute("data-test-tables", String(document.querySelectorAll(".jp-OutputArea-output div.workbench-rtl table td").length));
  document.body.setAttribute("data-test-done", "yes");
});
</script>"""


@pytest.mark.slow
@needs_chromium
def test_arabic_is_right_to_left_in_chromium(executed, tmp_path):
    from nbconvert import HTMLExporter

    from robustness.test_hostile_text import _dump_dom  # headless Chromium, --dump-dom

    nb = executed[TUTORIALS / "03_reading.ipynb"]["nb"]
    html, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    # the page's CDN scripts (MathJax, require.js) play no part in the layout: left out, so that
    # the test neither waits for nor asks for any outside address
    html = re.sub(r'<script[^>]*\ssrc="https?://[^"]*"[^>]*>\s*</script>', "", html)
    page = tmp_path / "03_reading.html"
    page.write_text(html.replace("</body>", _RTL_PROBE + "\n</body>"), encoding="utf-8")
    dom = _dump_dom(page)
    body = re.search(r"<body([^>]*)>", dom).group(1)
    attrs = dict(re.findall(r'data-test-([a-z-]+)="([^"]*)"', body))
    assert attrs.get("done") == "yes", body[:500]
    # markdown: the Arabic paragraphs of the tutorial
    assert int(attrs["markdown-wrappers"]) >= 5 and int(attrs["markdown-checked"]) >= 5
    assert attrs["markdown-wrong"] == "0", attrs["markdown-examples"]
    # a table output: rtl(naming table) -- its cells hold Arabic labels
    assert int(attrs["table-wrappers"]) >= 1 and int(attrs["tables"]) >= 10
    assert int(attrs["table-checked"]) >= 5
    assert attrs["table-wrong"] == "0", attrs["table-examples"]
    # the probe can tell the difference: Arabic quoted in English paragraphs is laid out left-to-right
    assert int(attrs["control-ltr"]) >= 1
