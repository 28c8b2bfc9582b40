"""Rendering an executed notebook to the report's RTL HTML and PDF (workbench.reports.render)."""
from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess

import matplotlib

matplotlib.use("Agg")

import nbformat
import pandas as pd
import pytest
from matplotlib.figure import Figure
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from workbench.errors import WorkbenchError
from workbench.plots.fonts import register_fonts, rtl
from workbench.reports.render import (
    PdfUnavailable,
    chromium_path,
    fix_block_direction,
    html_active_content,
    html_is_self_contained,
    render_html,
    render_pdf,
)

MD_MIXED = (
    "# تقرير التأطير: Framing report\n\n"
    "SANA قالت إن الجيش استعاد السيطرة على المدينة بعد معارك عنيفة.\n\n"
    "قالت وكالة SANA إن الجيش استعاد السيطرة على المدينة.\n\n"
    "This paragraph is written in English and mentions داعش once.\n\n"
    "- AFP نقلت عن مصادر محلية أن القصف استمر\n"
    "- وكالة الأنباء الرسمية\n\n"
    "| المنفذ | عدد المقالات |\n|---|---|\n| SANA | 120 |\n| الجزيرة | 95 |\n\n"
    "[المصدر](https://example.org/source)\n"
)
PARAM_SECRET = "PARAM_SECRET_VALUE_1234"
INJECTED_SECRET = "INJECTED_SECRET_VALUE_5678"
CODE_MARK = "CODE_MARK_df_head_call"
REMOVED_CELL = "REMOVED_CELL_OUTPUT_9999"


def _png_figure() -> str:
    register_fonts()
    fig = Figure(figsize=(6, 3), dpi=80)
    ax = fig.add_subplot()
    ax.bar(["SANA", "الجزيرة", "العربية"], [120, 95, 60])
    ax.set_title(rtl("عدد المقالات حسب المنفذ"))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _svg_figure() -> str:
    register_fonts()
    fig = Figure(figsize=(4, 2))
    ax = fig.add_subplot()
    ax.plot([1, 2, 3], [3, 1, 2])
    ax.set_title("SVG figure")
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "workbench-test"}):  # else random clip-path ids
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def make_notebook() -> nbformat.NotebookNode:
    """A small 'executed' notebook; outputs are built by hand so the test needs no kernel."""
    df = pd.DataFrame({
        "المنفذ": ["SANA", "الجزيرة", "العربية"],
        "الإطار": ["إرهاب", "ثورة", "أزمة"],
        "العدد": [120, 95, 60],
    })
    cells = [
        new_code_cell(f'title = "x"\nsecret = "{PARAM_SECRET}"', metadata={"tags": ["parameters"]},
                      execution_count=1),
        new_code_cell(f'secret = "{INJECTED_SECRET}"', metadata={"tags": ["injected-parameters"]},
                      execution_count=2,
                      outputs=[new_output("stream", name="stdout", text=INJECTED_SECRET + "\n")]),
        new_markdown_cell(MD_MIXED),
        new_code_cell(f"# {CODE_MARK}\ndf.head()", execution_count=3, outputs=[
            new_output("execute_result", execution_count=3,
                       data={"text/html": df.to_html(), "text/plain": df.to_string()}),
        ]),
        new_code_cell("fig", execution_count=4, outputs=[
            new_output("display_data", data={"image/png": _png_figure(), "text/plain": "<Figure>"}),
        ]),
        new_code_cell("svg", execution_count=5, outputs=[
            new_output("display_data", data={"image/svg+xml": _svg_figure(), "text/plain": "<Figure>"}),
        ]),
        new_code_cell('print("...")', execution_count=6, outputs=[
            new_output("stream", name="stdout", text="SANA قالت ذلك\nplain English line\n"),
        ]),
        new_code_cell(f'print("{REMOVED_CELL}")', metadata={"tags": ["remove-cell"]}, execution_count=7,
                      outputs=[new_output("stream", name="stdout", text=REMOVED_CELL + "\n")]),
        new_code_cell("x = 1", execution_count=8),
        new_code_cell("widget", execution_count=9, outputs=[
            new_output("display_data", data={"application/javascript": "alert(1)",
                                              "text/plain": "JS_FALLBACK_TEXT"}),
        ]),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):  # stable ids (new_*_cell draws random ones)
        cell["id"] = f"c{i}"
    return nb


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    d = tmp_path_factory.mktemp("render")
    nb = make_notebook()
    path = render_html(nb, d / "report.html", title="تقرير تجريبي")
    return path, path.read_text(encoding="utf-8"), nb


def test_html_is_rtl_with_lang(rendered):
    _, html, _ = rendered
    assert re.search(r'<html[^>]*\bdir="rtl"', html) and re.search(r'<html[^>]*\blang="ar"', html)
    assert re.search(r'<body[^>]*\bdir="rtl"', html)
    assert re.search(r'<body[^>]*\blang="ar"', html)
    assert "<title>تقرير تجريبي</title>" in html
    assert "unicode-bidi: plaintext" in html and "text-align: start" in html
    assert "size: A4" in html


def test_leading_latin_word_gets_explicit_rtl(rendered):
    _, html, _ = rendered
    # "SANA ..." starts with a Latin letter: plaintext alone would make it LTR
    assert re.search(r'<p dir="rtl">SANA قالت', html)
    assert re.search(r'<li dir="rtl">AFP نقلت', html)
    # an Arabic-first paragraph needs nothing; an English paragraph stays LTR by itself
    assert re.search(r"<p>قالت وكالة SANA", html)
    assert re.search(r"<p>This paragraph is written in English", html)


def test_parameter_cells_and_code_are_gone(rendered):
    _, html, _ = rendered
    for secret in (PARAM_SECRET, INJECTED_SECRET, REMOVED_CELL, CODE_MARK, "df.head()"):
        assert secret not in html
    assert "celltag_parameters" not in html and "celltag_injected-parameters" not in html
    body = html.split("<main>", 1)[1]
    assert not re.search(r'class="[^"]*(jp-InputArea-editor|jp-CodeMirrorEditor)', body)
    assert "jp-InputPrompt" not in body and "In&nbsp;[" not in body and "Out[" not in body
    assert "jp-Cell-inputWrapper" not in body.split("jp-CodeCell", 1)[1]  # no input box on code cells


def test_outputs_present(rendered):
    _, html, _ = rendered
    assert "<table" in html and "الجزيرة" in html  # the DataFrame
    assert html.count('src="data:image/png;base64,') == 1
    assert html.count('src="data:image/svg+xml;base64,') == 1
    assert "SANA قالت ذلك" in html
    assert "JS_FALLBACK_TEXT" in html  # JavaScript output replaced by its text fallback
    assert "alert(1)" not in html


def test_self_contained(rendered):
    _, html, _ = rendered
    assert html_is_self_contained(html) == []
    assert "<script" not in html
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*(src|href)=\"(https?:)?//", html)
    # the user's own link stays (a link is not fetched)
    assert '<a href="https://example.org/source">' in html
    for cdn in ("require.js", "mathjax", "cdn.jsdelivr", "unpkg.com", "fonts.googleapis"):
        assert cdn not in html.lower()


def test_font_embedded(rendered):
    _, html, _ = rendered
    faces = re.findall(r"@font-face\s*{[^}]*}", html)
    assert len(faces) == 2
    assert all('font-family: "Noto Naskh Arabic"' in f for f in faces)
    assert all("url(data:font/ttf;base64," in f for f in faces)
    assert re.search(r'"Noto Naskh Arabic", "DejaVu Sans"', html)


def test_deterministic(rendered, tmp_path):
    path, html, nb = rendered
    again = render_html(make_notebook(), tmp_path / "again.html", title="تقرير تجريبي")
    assert again.read_bytes() == path.read_bytes()
    # from a file too; the notebook node is not modified by rendering
    nbformat.write(nb, tmp_path / "nb.ipynb")
    third = render_html(tmp_path / "nb.ipynb", tmp_path / "third.html", title="تقرير تجريبي")
    assert third.read_bytes() == path.read_bytes()
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)


def test_lang_and_title_escaped(tmp_path):
    nb = new_notebook(cells=[new_markdown_cell("Hello")])
    out = render_html(nb, tmp_path / "en.html", title="<b>&x</b>", lang="en")
    html = out.read_text(encoding="utf-8")
    assert re.search(r'<html[^>]*\bdir="ltr"', html) and re.search(r'<html[^>]*\blang="en"', html)
    assert "<title>&lt;b&gt;&amp;x&lt;/b&gt;</title>" in html


def test_remove_input_and_output_tags(tmp_path):
    nb = new_notebook(cells=[
        new_code_cell("print('INPUT_HIDDEN')", metadata={"tags": ["remove-input"]}, execution_count=1,
                      outputs=[new_output("stream", name="stdout", text="VISIBLE_OUT\n")]),
        new_code_cell("print('x')", metadata={"tags": ["remove-output"]}, execution_count=2,
                      outputs=[new_output("stream", name="stdout", text="HIDDEN_OUT\n")]),
    ])
    html = render_html(nb, tmp_path / "t.html", title="t").read_text(encoding="utf-8")
    assert "VISIBLE_OUT" in html
    assert "INPUT_HIDDEN" not in html and "HIDDEN_OUT" not in html


@pytest.mark.parametrize("html, base, expected", [
    # an Arabic sentence that starts with a Latin name is made RTL
    ("<p>SANA قالت وكالة الأنباء</p>", "rtl", '<p dir="rtl">SANA قالت وكالة الأنباء</p>'),
    ("<p>قالت SANA</p>", "rtl", "<p>قالت SANA</p>"),
    # only ever towards the report's direction: an English sentence stays LTR ...
    ("<p>This mentions داعش once</p>", "rtl", "<p>This mentions داعش once</p>"),
    # ... and a block that starts in the report's direction is left to plaintext
    ("<h2>المدونة — The corpus</h2>", "rtl", "<h2>المدونة — The corpus</h2>"),
    ("<p>داعش is a term used in English text</p>", "rtl", "<p>داعش is a term used in English text</p>"),
    ("<p>داعش is a term used in English text</p>", "ltr",
     '<p dir="ltr">داعش is a term used in English text</p>'),
    # words count, not letters: two Arabic and two English words are enough for the base
    ("<h1>Framing report: تقرير التأطير</h1>", "rtl", '<h1 dir="rtl">Framing report: تقرير التأطير</h1>'),
    ("<p>داعش كلمة in English</p>", "ltr", '<p dir="ltr">داعش كلمة in English</p>'),
    # inline code is isolated (CSS), so it neither counts nor is the "first letter"
    ("<p><code>df.groupby(outlet)</code> يجمع</p>", "rtl", "<p><code>df.groupby(outlet)</code> يجمع</p>"),
    ("<p>SANA <code>x</code> قالت وكالة</p>", "rtl", '<p dir="rtl">SANA <code>x</code> قالت وكالة</p>'),
    # so does an inline element with its own dir; an existing dir on the block is respected
    ('<p><span dir="ltr">SANA</span> قالت</p>', "rtl", '<p><span dir="ltr">SANA</span> قالت</p>'),
    ('<td dir="ltr">SANA قالت الكثير</td>', "rtl", '<td dir="ltr">SANA قالت الكثير</td>'),
    # numbers in cells stay LTR (the minus stays in front); a numbers-only paragraph gets the base
    ("<td>-0.5</td>", "rtl", "<td>-0.5</td>"),
    ("<p>2013</p>", "rtl", '<p dir="rtl">2013</p>'),
    ("<p>2013</p>", "ltr", "<p>2013</p>"),
    # nested blocks are judged separately; a list item holding a paragraph has no text of its own
    ("<li><p>AFP نقلت عن مصادر</p></li>", "rtl", '<li><p dir="rtl">AFP نقلت عن مصادر</p></li>'),
    # attributes and entities survive untouched
    ('<p class="x" title="a&amp;b">BBC &amp; قالت وكالة</p>', "rtl",
     '<p dir="rtl" class="x" title="a&amp;b">BBC &amp; قالت وكالة</p>'),
])
def test_fix_block_direction(html, base, expected):
    assert fix_block_direction(html, base=base) == expected


def test_html_is_self_contained_finds_outside_urls():
    page = """<html><head>
    <script src="https://cdn.example.com/require.js"></script>
    <link rel="stylesheet" href="//fonts.example.com/css">
    <link rel="canonical" href="https://example.org/page">
    <style>/* see https://example.org */ @import "https://x.example/a.css";
      body { background: url('http://img.example/bg.png') } .f { src: url(data:font/ttf;base64,AAAA) }</style>
    </head><body>
    <img src="data:image/png;base64,AAAA"><img src='HTTPS://img.example/a.png'>
    <iframe src="https://frame.example/"></iframe>
    <div style="background-image: url(&quot;https://style.example/b.png&quot;)"></div>
    <a href="https://example.org/read-more">link</a>
    </body></html>"""
    assert sorted(html_is_self_contained(page)) == sorted([
        "https://x.example/a.css",
        "http://img.example/bg.png",
        "https://cdn.example.com/require.js",
        "//fonts.example.com/css",
        "HTTPS://img.example/a.png",
        "https://frame.example/",
        "https://style.example/b.png",
    ])
    assert html_is_self_contained("<p>nothing</p>") == []


def test_pdf_unavailable_without_chromium(monkeypatch, tmp_path):
    html = tmp_path / "r.html"
    html.write_text("<p>x</p>", encoding="utf-8")
    monkeypatch.delenv("WORKBENCH_CHROMIUM", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(PdfUnavailable) as e:
        render_pdf(html, tmp_path / "r.pdf")
    assert isinstance(e.value, WorkbenchError)
    assert "sudo apt-get install chromium" in str(e.value) and "WORKBENCH_CHROMIUM" in str(e.value)
    assert not (tmp_path / "r.pdf").exists()


def test_chromium_failure_is_a_workbench_error(monkeypatch, tmp_path):
    fake = tmp_path / "fake-chrome"
    fake.write_text("#!/bin/sh\necho 'some noise' >&2\necho 'ERROR: cannot open display' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("WORKBENCH_CHROMIUM", str(fake))
    html = tmp_path / "r.html"
    html.write_text("<p>x</p>", encoding="utf-8")
    with pytest.raises(WorkbenchError) as e:
        render_pdf(html, tmp_path / "r.pdf")
    assert not isinstance(e.value, PdfUnavailable)
    assert "exit 3" in str(e.value) and "ERROR: cannot open display" in str(e.value)
    assert "\n" not in str(e.value)
    assert list(tmp_path.glob("*.pdf*")) == []  # no partial file left


def _page_count(pdf) -> int:
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))
    return len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))


def test_render_pdf(rendered, tmp_path):
    try:
        found = chromium_path()
    except PdfUnavailable as e:
        found, reason = None, str(e)
    else:
        reason = "no Chromium/Chrome on PATH and WORKBENCH_CHROMIUM unset (install Chromium to test the PDF)"
    if not found:
        pytest.skip(reason)
    path, _, _ = rendered
    pdf = render_pdf(path, tmp_path / "report.pdf")
    assert pdf == tmp_path / "report.pdf"
    assert pdf.read_bytes()[:4] == b"%PDF"
    assert _page_count(pdf) >= 1
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]  # temp file renamed away


def _fake_chrome(tmp_path, body: str):
    fake = tmp_path / "fake-chrome"
    fake.write_text(
        '#!/bin/sh\nfor a in "$@"; do case "$a" in --print-to-pdf=*) out="${a#--print-to-pdf=}";; esac; done\n'
        + body
    )
    fake.chmod(0o755)
    return fake


def test_chromium_timeout_and_non_pdf(monkeypatch, tmp_path):
    html = tmp_path / "r.html"
    html.write_text("<p>x</p>", encoding="utf-8")
    sleep = shutil.which("sleep") or "/bin/sleep"
    monkeypatch.setenv("WORKBENCH_CHROMIUM", str(_fake_chrome(tmp_path, f"{sleep} 30\n")))
    with pytest.raises(WorkbenchError, match="within 1 s"):
        render_pdf(html, tmp_path / "r.pdf", timeout=1)
    monkeypatch.setenv("WORKBENCH_CHROMIUM", str(_fake_chrome(tmp_path, 'echo "<html>" > "$out"\n')))
    with pytest.raises(WorkbenchError, match="not a PDF"):
        render_pdf(html, tmp_path / "r.pdf")
    monkeypatch.setenv("WORKBENCH_CHROMIUM", str(_fake_chrome(tmp_path, 'printf "%%PDF-1.4 fake" > "$out"\n')))
    assert render_pdf(html, tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fake-chrome", "r.html", "r.pdf"]


# --------------------------------------------------------------------------------------------
# active content: nothing in a report runs


@pytest.mark.parametrize("snippet,found", [
    ("<script>alert(1)</script>", "<script>"),
    ("<SCRIPT SRC=//evil.example/x.js></SCRIPT>", "<script>"),
    ('<img src=x onerror="alert(1)">', "onerror= on <img>"),
    ("<svg/onload=alert(1)>", "onload= on <svg>"),
    ("<details open ontoggle=alert(1)>", "ontoggle= on <details>"),
    ('<a href="javascript:alert(1)">x</a>', "javascript: URL in href= of <a>"),
    ('<a href=" &#106;ava&#x09;script:alert(1)">x</a>', "javascript: URL in href= of <a>"),
    ("<a href='VBScript:msgbox(1)'>x</a>", "vbscript: URL in href= of <a>"),
    ('<iframe src="about:blank"></iframe>', "<iframe>"),
    ('<object data="x.swf"></object>', "<object>"),
    ('<embed src="x.swf">', "<embed>"),
    ('<form action="/x"><input></form>', "<form>"),
    ('<base href="http://evil.example/">', "<base>"),
    ('<meta http-equiv="Refresh" content="0;url=http://evil.example/">', '<meta http-equiv="refresh">'),
    ('<p style="background:url(javascript:alert(1))">x</p>', "javascript: URL in style= of <p>"),
])
def test_html_active_content_finds_what_would_run(snippet, found):
    assert found in html_active_content(f"<html><body><p>text</p>{snippet}</body></html>")


def test_html_active_content_lets_text_about_markup_through():
    page = ("<html><head><style>a::after { content: '<script>' }</style><!-- <script> --></head><body>"
            "<p>&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;</p>"
            "<p>javascript: is a URL scheme; online=yes; <code>onload=</code></p>"
            '<a href="#javascript-section" class="anchor-link">¶</a><img src="data:image/png;base64,AAAA" alt="x">'
            '<meta charset="utf-8"><table><tr><td title="javascript">x</td></tr></table></body></html>')
    assert html_active_content(page) == []


def test_rendered_report_template_is_inert(rendered):
    _path, html, _nb = rendered
    assert html_active_content(html) == []


def test_render_refuses_markup_that_escaped_escaping(tmp_path):
    """A future escaping bug fails the render loudly instead of shipping a stored script injection."""
    nb = new_notebook(cells=[
        new_markdown_cell("ok"),
        new_code_cell("table", execution_count=1, outputs=[new_output(
            "display_data", data={"text/html": "<table><tr><td><img src=x onerror=alert(1)></td></tr></table>",
                                  "text/plain": "table"})]),
        new_markdown_cell("[click](javascript:alert(2))"),
    ])
    with pytest.raises(WorkbenchError) as e:
        render_html(nb, tmp_path / "report.html", title="t")
    msg = str(e.value)
    assert "report.html not written: it would contain active content (onerror= on <img>; " in msg
    assert "javascript: URL in href= of <a>" in msg and "\n" not in msg
    assert not (tmp_path / "report.html").exists() and list(tmp_path.iterdir()) == []


def test_pdf_long_tables_flow_across_pages_without_leaving_half_empty_pages(tmp_path):
    """JupyterLab's print CSS keeps each output on one page: a table longer than what is left of
    the page would jump to the next, leaving a half-empty page. Ours lets tables flow (rows whole)."""
    try:
        found = chromium_path()
    except PdfUnavailable:
        found = None
    if not found or not shutil.which("pdftotext"):
        pytest.skip("needs Chromium and pdftotext (poppler-utils) to read the PDF's pages")
    import pandas as pd

    from workbench.reports.notebook import styled
    table = pd.DataFrame({"row": [f"row{i:03d}" for i in range(90)], "value": range(90)})
    nb = new_notebook(cells=[
        new_markdown_cell("# عنوان\n\n" + "نص تمهيدي قصير. " * 20),
        new_code_cell("", outputs=[new_output("display_data", data={"text/html": styled(table, uuid="long").to_html()})]),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    html = render_html(nb, tmp_path / "r.html", title="t")
    pdf = render_pdf(html, tmp_path / "r.pdf")
    page1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "row000" in page1 and "row020" in page1       # the table starts under the text, on page 1
    assert _page_count(pdf) >= 2
