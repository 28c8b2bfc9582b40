"""A corpus that attacks the report: hostile titles, texts, group names, topic names and report title.

The corpus is ``data/hostile.jsonl`` (made by ``data/make_hostile.py``: script tags, event handlers,
``javascript:`` links, markdown, LaTeX, entities, bidi overrides, terminal escapes, next to ordinary
Arabic), plus, added here, a 100,000-character "word" in every regime article. One framing report is
run on it (small settings), grouped by the hostile ``section`` column, with a hostile title and
hostile topic names. Then: nothing of it is live markup in ``report.html``; in Chromium no payload
runs; long tokens are shortened wherever they are shown, kept whole in the CSV files; and
``workbench keyness`` prints a small table.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT
from workbench.cli import main
from workbench.corpus import import_sources
from workbench.reports.render import CHROMIUM_NAMES, html_active_content, html_is_self_contained
from workbench.reports.run import run_report

pytestmark = pytest.mark.slow  # renders a whole report (one shared run) and opens it in Chromium

DATA = Path(__file__).resolve().parent / "data"
FRAMING = ROOT / "notebooks" / "framing_report.ipynb"
LONG = "بلا" * 33_334  # 100,002 characters, no space: laid out whole, one label takes matplotlib ~25 s
MARKER = ("PW" + "NED", "data-" + "pwned")  # what a payload that ran leaves in the DOM


def _generator():
    spec = importlib.util.spec_from_file_location("make_hostile", DATA / "make_hostile.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mh = _generator()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """The hostile corpus with LONG in every regime text and a few titles, imported into a store."""
    records = mh.articles()
    for i, rec in enumerate(records):
        if rec["section"] == mh.SECTIONS["regime"]:
            rec["text"] += "\n" + LONG
            if i % 10 == 0:
                rec["title"] = f"{LONG} {rec['title']}"
    folder = tmp_path_factory.mktemp("hostile")
    source = folder / "hostile-long.jsonl"
    source.write_text(mh.jsonl(records), encoding="utf-8")
    import_sources([source], folder / "store", registry=ROOT / "corpus" / "demo" / "outlets.yaml")
    return folder / "store"


@pytest.fixture(scope="module")
def report(store, tmp_path_factory):
    """One framing report on the hostile store (K = 3, one pass, no K search, no PDF)."""
    out = tmp_path_factory.mktemp("hostile-reports")
    names = out / "topic-names.yaml"
    names.write_text(yaml.safe_dump({0: mh.PAYLOADS[2], 1: mh.PAYLOADS[11], 2: mh.PAYLOADS[22]},  # 22: LaTeX
                                    allow_unicode=True), encoding="utf-8")
    title = "تقرير — " + " ".join(mh.PAYLOADS)  # every payload, through the markdown heading
    params = {"store": str(store), "group": "section", "target": mh.SECTIONS["regime"],
              "reference": mh.SECTIONS["opposition"], "k": 3, "k_range": [], "topic_passes": 1,
              "min_count": 3, "top_n": 10, "title": title, "topic_names": str(names)}
    return run_report(FRAMING, params_file=params, out=out, pdf=False).folder


class _Tags(HTMLParser):
    """Every tag and attribute of a page, and the text of its <h1> (the report's title)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str, str]] = []
        self.open: list[str] = []
        self.h1 = ""

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += [(tag, name, value or "") for name, value in attrs]
        self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag):]

    def handle_data(self, data):
        if self.open[-1:] == ["h1"]:
            self.h1 += data


def _as_shown(text: str) -> str:
    """*text* as a markdown line shows it: control characters and whitespace runs as one space."""
    return " ".join(re.sub("[\x00-\x1f\x7f-\x9f]", " ", text).split())


def test_committed_corpus_is_what_the_generator_writes():
    assert (DATA / "hostile.jsonl").read_text(encoding="utf-8") == mh.jsonl(mh.articles())


def test_report_html_shows_hostile_text_as_text(report):
    html = (report / "report.html").read_text(encoding="utf-8")
    assert html_active_content(html) == [] and html_is_self_contained(html) == []
    page = _Tags()
    page.feed(html)
    # only what the template and ReportContext write: no tag from a payload
    assert page.tags <= {"html", "head", "meta", "title", "style", "body", "main", "div", "p", "h1", "h2",
                         "strong", "em", "code", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
                         "colgroup", "col", "span", "br",   # these four: concordance tables (kwic_table)
                         "ul", "li"}                        # the findings' bullet list
    for tag, name, value in page.attrs:
        assert not name.startswith("on"), (tag, name)
        if name in ("href", "src"):
            assert value.startswith(("#", "data:image/png;base64,")), (tag, name, value[:80])
    assert "<script" not in html.lower()
    # every payload reached the page as text: in the title (markdown), and some in the tables
    # (typical titles, topic names, group names: Styler) and captions
    for payload in mh.PAYLOADS:
        assert _as_shown(payload) in page.h1, payload
    assert html.count("&lt;script&gt;document.body.setAttribute") >= 2
    assert "&lt;img src=y onerror=" in html and "[قسم](javascript:document" in html
    assert "&lt;svg onload=" in html
    index = (report.parent.parent / "index.html").read_text(encoding="utf-8")
    assert html_active_content(index) == []


def test_long_tokens_are_shortened_where_shown_and_whole_in_the_tables(report):
    html = (report / "report.html").read_text(encoding="utf-8")
    assert "بلا" * 13 + "…" in html  # the keyness tables: 40 characters
    assert "بلا" * 50 not in html     # nowhere longer than 120 (topic titles, labels in captions)
    top = pd.read_csv(report / "tables" / "keyness_top_terms.csv")
    assert LONG in set(top["term"])   # the CSV keeps it whole
    # the topic table never holds a shortened token (whether the token is among a topic's top words
    # depends on the fit: with reporting verbs in the stop list it no longer is at K=3)
    assert not any("…" in terms for terms in pd.read_csv(report / "tables" / "topics.csv")["terms"])
    for figure in ("keyness_bars", "fightin_words", "topic_map", "topic_prevalence"):
        assert (report / "figures" / f"{figure}.svg").stat().st_size < 1_000_000
    sections = {s["section"]: s["seconds"] for s in
                json.loads((report / "manifest.json").read_text(encoding="utf-8"))["sections"]}
    assert sections["keyness"] < 60  # minutes without shortening (each layout of LONG takes ~25 s)


def _chromium() -> str | None:
    return next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)


def _dump_dom(page: Path) -> str:
    with tempfile.TemporaryDirectory(prefix="workbench-test-chromium-") as profile:
        run = subprocess.run(
            [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             "--virtual-time-budget=2000", "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=90, env={**os.environ, "HOME": profile})
    assert run.returncode == 0 and "</html>" in run.stdout, run.stderr[-500:]
    return run.stdout


@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed (sudo apt-get install chromium)")
def test_no_payload_runs_in_chromium(report, tmp_path):
    # the payloads are live: put raw into a page, they run and leave the marker
    control = tmp_path / "control.html"
    control.write_text("<!DOCTYPE html><html><head><title>t</title></head><body>"
                       + "\n".join(mh.PAYLOADS) + "</body></html>", encoding="utf-8")
    dom = _dump_dom(control)
    assert MARKER[0] in dom and MARKER[1] in dom
    # the report holds every one of them, and none runs
    dom = _dump_dom(report / "report.html")
    assert "&lt;script&gt;document.body.setAttribute" in dom
    assert MARKER[0] not in dom and MARKER[1] not in dom


def test_cli_keyness_prints_a_small_table(store, capsys):
    rc = main(["keyness", "--store", str(store), "--group", "camp", "--target", "regime",
               "--reference", "opposition", "--min-count", "3", "--top", "10"])
    out = capsys.readouterr().out
    assert rc == 0 and "بلا" * 13 + "…" in out
    assert len(out) < 20_000  # 20 rows padded to LONG would be 2,000,000 characters
    assert max(map(len, out.splitlines())) < 400
