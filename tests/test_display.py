"""Text made safe to show (workbench.display): shortened labels, escaped markdown and tables, and the
figures and tables that use them -- a megabyte-long token draws in seconds, markup stays text."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import html
import re
import time
import unicodedata
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from workbench.display import ELLIPSIS, escape_markdown, shorten
from workbench.plots.corpus import articles_over_time_plot
from workbench.plots.figure import save_figure
from workbench.plots.fonts import RLM, font_rc
from workbench.plots.keyness import fightin_words_plot, keyness_plot
from workbench.plots.topics import (prevalence_difference_plot, prevalence_heatmap, prevalence_over_time_plot,
                                    prevalence_plot, topic_map_plot)
from workbench.reports import notebook as report_notebook
from workbench.reports.notebook import ReportContext
from workbench.topics import TopicModel, topic_labels

MEGA = "ب" * 1_000_000  # one 1 MB "word" (a scraping accident: a page of letters without spaces)
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[اضغط](javascript:alert(1))",
    "![](http://evil.example/pixel.png)",
    "<javascript:alert(1)>",
    "http://evil.example/x and www.evil.example and a@evil.example",
    "# عنوان **عريض** _مائل_ `شيفرة` | جدول |",
    "$\\require{html}\\href{javascript:alert(1)}{x}$",
    "&lt;script&gt; &#60;b&#62; &amp;",
    "- item\n\n1. list\n\n> quote\n\n---",
    "<!-- x --> ]]> \u202eمعكوس\u200b",
]


# ----------------------------------------------------------------------------- shorten

def test_shorten_cuts_to_max_chars_with_an_ellipsis():
    assert shorten("النظام") == "النظام"
    assert shorten("x" * 40) == "x" * 40
    assert shorten("x" * 41) == "x" * 39 + ELLIPSIS
    assert len(shorten(MEGA)) == 40 and shorten(MEGA, 120) == "ب" * 119 + ELLIPSIS
    assert shorten(None) == "" and shorten(12345, 4) == "123" + ELLIPSIS
    with pytest.raises(ValueError, match="at least 2"):
        shorten("abc", 1)


def test_shorten_is_fast_on_a_megabyte():
    t0 = time.perf_counter()
    for _ in range(100):
        shorten(MEGA)
    assert time.perf_counter() - t0 < 1.0


def test_shorten_never_splits_a_grapheme_cluster():
    voweled = "بَّ" * 30  # beh + fatha + shadda: 3 code points, one cluster
    assert shorten(voweled, 10) == "بَّ" * 3 + ELLIPSIS
    assert shorten(voweled, 9) == "بَّ" * 2 + ELLIPSIS  # a cut after 8 would strand a beh's fatha
    family = "👩\u200d👩\u200d👧"  # one ZWJ sequence
    assert shorten("ab" + family * 5, 6) == "ab" + ELLIPSIS
    assert shorten("ab" + family * 5, 8) == "ab" + family + ELLIPSIS
    pairs = "a" * 5 + "\ud83d\ude00" * 5  # surrogate pairs as code points (surrogateescape'd input)
    assert shorten(pairs, 7) == "aaaaa" + ELLIPSIS
    assert shorten(pairs, 8) == "aaaaa\ud83d\ude00" + ELLIPSIS


def test_shorten_turns_control_characters_into_spaces():
    assert shorten("a\x00b\nc\td\x1b[31m") == "a b c d [31m"
    assert shorten("x\n" * 100, 6) == "x x x" + ELLIPSIS


# ----------------------------------------------------------------------------- escape_markdown

def _text_of(rendered: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", rendered)).split())


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_markdown_renders_as_the_literal_text(text):
    for md in (f"**{escape_markdown(text)}**", f"# {escape_markdown(text)}", escape_markdown(text)):
        out = markdown2html_mistune(md)
        body = re.sub(r'<a class="anchor-link".*?</a>', "", out)
        tags = set(re.findall(r"<\s*([a-zA-Z0-9]+)", body))
        assert tags <= {"p", "strong", "h1"}, (text, out)
        assert _text_of(body) == " ".join(text.split()), (text, out)


def test_escape_markdown_keeps_plain_arabic_readable():
    assert escape_markdown("تقرير التأطير — Framing report") == "تقرير التأطير — Framing report"
    assert escape_markdown(None) == ""


# ----------------------------------------------------------------------------- report tables

@pytest.fixture
def shown(monkeypatch):
    """What a ReportContext displays: HTML of tables, markdown text."""
    out: list[str] = []
    monkeypatch.setattr(report_notebook, "_display",
                        lambda obj: out.append(obj.to_html() if hasattr(obj, "to_html") else repr(obj)))
    monkeypatch.setattr(report_notebook, "_markdown", lambda text: out.append(text))
    return out


def test_table_cells_and_labels_are_escaped_and_shortened(tmp_path, shown):
    df = pd.DataFrame({
        "term": [MEGA, "<b>x</b>"],
        "title": ["<img src=x onerror=alert(1)> " + "ت" * 500, "&amp; [l](javascript:alert(1))"],
        "p_adj": [1e-5, 0.03],
        "<i>label</i>": [1.23456, 2.0],
    }, index=pd.Index(["<svg onload=alert(1)>", "r"], name="<u>name</u>"))
    rc = ReportContext(tmp_path)
    rc.table(df, "hostile", caption="<script>alert(1)</script> [c](javascript:x)", index=True)
    caption, table = shown
    assert markdown2html_mistune(caption).count("<") == 4  # <p><strong> ... </strong></p> only
    for raw in ("<img", "<b>", "<i>", "<u>", "<svg"):
        assert raw not in table
    for esc in ("&lt;img src=x onerror=alert(1)&gt;", "&lt;b&gt;x&lt;/b&gt;", "&lt;i&gt;label&lt;/i&gt;",
                "&lt;svg onload=alert(1)&gt;", "&lt;u&gt;name&lt;/u&gt;", "&amp;amp;"):
        assert esc in table
    assert "ب" * 39 + ELLIPSIS in table and "ب" * 40 not in table  # terms: 40 characters
    assert "ت" * 89 + ELLIPSIS in table                               # other text: 120
    assert "&lt; 0.001" in table and "1.235" in table                  # formatting kept (p-values read "< 0.001")
    saved = pd.read_csv(tmp_path / "tables" / "hostile.csv", index_col=0)
    assert saved["term"].iloc[0] == MEGA                               # the CSV keeps everything
    assert len(table) < 20_000


def test_ordinary_tables_look_exactly_as_before(shown):
    df = pd.DataFrame({"term": ["النظام", "الثورة"], "n (t)": [10, 2], "G²": [12.3456, 3.2],
                       "p adj.": [1e-5, 0.03], "outlet": pd.Categorical(["sana", "orient"])})
    ReportContext().table(df, "plain")
    before = (df.style.set_uuid("plain").format(precision=3, thousands=",")
              .format(lambda v: "&lt; 0.001" if v < 0.001 else f"{v:.3f}", subset=["p adj."]))
    assert shown == [before.hide(axis="index").to_html()]


def test_headings_and_figure_captions_are_plain_text(shown):
    rc = ReportContext()
    rc.heading("<img src=x onerror=alert(1)>", "[x](javascript:alert(1))")
    fig = Figure(figsize=(1, 1))
    rc.figure(fig, "f", caption="![](http://evil.example/p.png)")
    heading, _image, caption = shown
    for md in (heading, caption):
        out = re.sub(r'<a class="anchor-link".*?</a>', "", markdown2html_mistune(md))  # the heading's own ¶
        assert not re.search(r"<(img|a|script)\b", out), out


def test_table_and_figure_names_must_be_file_names(shown):
    with pytest.raises(ValueError, match="table name '../x'"):
        ReportContext().table(pd.DataFrame({"a": [1]}), "../x")
    with pytest.raises(ValueError, match="figure name"):
        ReportContext().figure(Figure(), 'x" onmouseover="alert(1)')


# ----------------------------------------------------------------------------- figures

def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


def _keyness_table(term: str) -> pd.DataFrame:
    t = pd.DataFrame({
        "term": [term, "الجيش", "الدولة", "الثوار", "النظام"],
        "direction": ["target", "target", "target", "reference", "reference"],
        "n_target": [50, 40, 30, 1, 2], "n_reference": [0, 2, 3, 40, 45],
        "G2": [60.0, 40.0, 20.0, 35.0, 50.0], "log_odds_z": [6.0, 4.5, 3.0, -4.0, -5.5],
        "p_adj": [1e-6, 1e-5, 1e-3, 1e-4, 1e-6],
    })
    t.attrs = {"groups": {"target": "ت" * 5000, "reference": "opposition"}, "measure_sort": "G2"}
    return t


def test_keyness_figures_with_a_megabyte_term_draw_in_seconds(tmp_path):
    """Without shortening, laying out the 1 MB label takes matplotlib many minutes (>13 min seen)."""
    table = _keyness_table(MEGA)
    t0 = time.perf_counter()
    fig = keyness_plot(table, n=5)
    png, svg = save_figure(fig, tmp_path / "bars")
    fw = fightin_words_plot(table, n=5, z_threshold=1.0)
    save_figure(fw, tmp_path / "fightin", formats=["png"], dpi=60)
    assert time.perf_counter() - t0 < 30
    for f in (fig, fw):
        texts = _texts(f)
        assert max(map(len, texts)) < 100 and any(t.endswith(ELLIPSIS) for t in texts)
        assert RLM + "ب" * 39 + ELLIPSIS in texts  # shortened first, then marked right-to-left
    assert svg.stat().st_size < 500_000


def test_topic_and_corpus_figures_shorten_labels():
    long_label = "0: " + MEGA
    labels = {0: long_label, 1: "1: الجيش، الدولة"}
    groups = ["ت" * 3000, "opposition"]
    prev = pd.DataFrame({"topic": [0, 0, 1, 1], "group": groups * 2, "prevalence": [0.3, 0.2, 0.1, 0.4],
                         "lower": [0.2, 0.1, 0.05, 0.3], "upper": [0.4, 0.3, 0.15, 0.5], "n_docs": [5, 6, 5, 6]})
    diff = pd.DataFrame({"topic": [0, 1], "difference": [0.1, -0.3], "lower": [0.0, -0.4], "upper": [0.2, -0.2]})
    diff.attrs = {"target": groups[0], "reference": groups[1]}
    over = pd.DataFrame({"topic": [0, 0, 1, 1], "period": pd.to_datetime(["2024-01-01", "2024-02-01"] * 2),
                         "group": [groups[0]] * 4, "prevalence": [0.1, 0.2, 0.3, 0.4]})
    tmap = pd.DataFrame({"topic": [0, 1], "x": [0.1, -0.1], "y": [0.0, 0.2], "prevalence": [0.6, 0.4],
                         "label": [long_label, "1: x"]})
    monthly = pd.DataFrame({groups[0]: [3, 4], "opposition": [1, 2]}, index=["2024-01", "2024-02"])
    t0 = time.perf_counter()
    figs = [prevalence_plot(prev, labels), prevalence_difference_plot(diff, labels),
            prevalence_over_time_plot(over, labels), topic_map_plot(tmap), prevalence_heatmap(prev, labels),
            articles_over_time_plot(monthly, title=MEGA)]
    for fig in figs:
        fig.canvas.draw()
        texts = _texts(fig) + [t.get_text() for ax in fig.axes if ax.get_legend()
                               for t in ax.get_legend().get_texts()]
        assert max(map(len, texts)) <= 125, max(texts, key=len)[:50]
    assert time.perf_counter() - t0 < 30


def test_dollar_signs_in_labels_are_text_not_tex(tmp_path):
    """With mathtext on, a topic name like ``$\\require{html}$`` stopped the figure (ParseFatalException)."""
    tex = r"$\require{html}\href{javascript:alert(1)}{x}$ و $$\unicode{x41}$$"
    prev = pd.DataFrame({"topic": [0, 0], "group": [tex, "$b"], "prevalence": [0.3, 0.2],
                         "lower": [0.2, 0.1], "upper": [0.4, 0.3]})
    figs = [prevalence_plot(prev, {0: tex}), keyness_plot(_keyness_table(tex), n=5),
            fightin_words_plot(_keyness_table("$x^2$"), n=5, z_threshold=1.0)]
    for i, fig in enumerate(figs):
        save_figure(fig, tmp_path / f"f{i}", formats=["png"], dpi=50)
    labels = [t.get_text() for t in figs[0].axes[0].get_yticklabels()]
    assert labels == [RLM + shorten(tex, 60)]


def test_topic_labels_shorten_each_term_and_name():
    vocab = pd.Index([MEGA, "الجيش", "الدولة", "الثوار"])
    lam = np.array([[50.0, 10.0, 5.0, 1.0], [1.0, 2.0, 3.0, 40.0]])
    tm = TopicModel(model=SimpleNamespace(state=SimpleNamespace(get_lambda=lambda: lam)), vocab=vocab,
                    docs=pd.DataFrame({"id": ["a", "b"]}), theta=np.array([[0.9, 0.1], [0.2, 0.8]]),
                    term_frequency=np.array([51, 12, 8, 41]), doc_lengths=np.array([60, 52]), params={})
    labels = topic_labels(tm, {1: "اسم " * 100})
    assert labels[0].startswith("0: " + "ب" * 39 + ELLIPSIS + "، ") and len(labels[0]) < 100
    assert len(labels[1]) == 60 and labels[1].endswith(ELLIPSIS)
    assert len(topic_labels(tm, max_chars=None)[0]) > 1_000_000  # whole, when asked


@pytest.mark.parametrize("fonttype", ["path", "none"])
def test_svg_keeps_hostile_labels_as_text(tmp_path, fonttype):
    """matplotlib escapes label text in SVG (as <text> with svg.fonttype none, as comments with path)."""
    evil = ['--><script>alert(1)</script><!--', '"/><svg onload="alert(1)">', "]]><script>alert(2)</script>",
            "<a xlink:href='javascript:alert(3)'>x</a>", "&lt;b&gt; \u202eمعكوس \x1b[31m"]
    with matplotlib.rc_context(font_rc()):
        fig = Figure(figsize=(4, 3))
        ax = fig.add_subplot()
        ax.set_title(evil[0])
        ax.set_xlabel(evil[1])
        ax.set_ylabel(evil[2])
        ax.text(0.1, 0.5, evil[3], gid="<g onload=alert(4)>")
        ax.annotate(shorten(evil[4]), (0.2, 0.2))
    path = tmp_path / "evil.svg"
    with matplotlib.rc_context({"svg.fonttype": fonttype, "svg.hashsalt": "t"}):
        fig.savefig(path, format="svg", metadata={"Date": None})
    root = ET.parse(path).getroot()  # well-formed XML: nothing broke out of a comment or an attribute
    for el in root.iter():
        tag = el.tag.split("}")[-1]
        assert tag not in ("script", "a", "foreignObject"), tag
        for name, value in el.attrib.items():
            assert not name.split("}")[-1].lower().startswith("on"), (tag, name)
            assert "javascript:" not in value.lower() or name == "id", (tag, name, value)
    if fonttype == "none":
        shown = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
        assert "<script>alert(1)</script>" in shown  # the text itself, as text


def test_topics_notebook_tables_are_escaped():
    """notebooks/topics.ipynb shows typical titles from the corpus through its rtl_table()."""
    import ast

    import nbformat

    from conftest import ROOT
    from workbench.reports.notebook import styled

    nb = nbformat.read(ROOT / "notebooks" / "topics.ipynb", as_version=4)
    source = next(c.source for c in nb.cells if "def rtl_table" in c.source)
    func = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == "rtl_table")
    namespace = {"styled": styled}
    exec(compile(ast.Module([func], []), "topics.ipynb", "exec"), namespace)
    out = namespace["rtl_table"](pd.DataFrame({"title": ["<img src=x onerror=alert(1)> " + MEGA]})).to_html()
    assert "&lt;img src=x onerror=alert(1)&gt;" in out and "<img" not in out and len(out) < 5_000
