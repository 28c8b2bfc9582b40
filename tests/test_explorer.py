"""The offline term explorer (``workbench/reports/explorer.py``): data, safety, and a click in Chromium.

Two pages are built once per module: the demo corpus (regime vs opposition, default options) and
the hostile corpus (``robustness/data/hostile.jsonl``: script tags, event handlers, ``javascript:``
links, bidi overrides ... in every title and text), grouped by its hostile ``section`` column, with
a hostile page title and a 1,000,000-character "word" added to two regime articles. The pages must
fetch nothing, hold no markup from the corpus, and, driven in headless Chromium by a test-only
script (search a term, click it), show the term's rates per outlet and its concordance lines
without running any payload.
"""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import ROOT
from workbench.analysis import Analysis
from workbench.corpus import import_sources
from workbench.errors import ArgumentError
from workbench.reports.explorer import CSP, explorer_data, explorer_html, script_json, write_explorer
from workbench.reports.render import chromium_path, html_is_self_contained
from workbench.text.tokenise import tokenise

from robustness.test_hostile_text import MARKER, _dump_dom, mh  # the hostile corpus and its Chromium check

LONG = "بلا" * 333_334  # 1,000,002 characters, no space
HOSTILE_TITLE = "</title><script>" + mh.JS + "</script> " + " ".join(mh.PAYLOADS)
DATA_RE = re.compile(r'<script type="application/json" id="data">(.*?)</script>', re.S)
PAGE_TAGS = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "span", "section",
             "label", "input", "select", "option", "div", "svg", "line", "text", "circle", "table", "thead",
             "tbody", "tr", "th", "td", "button", "footer", "noscript", "script"}

needs_chromium = pytest.mark.skipif(chromium_path() is None,
                                    reason="Chromium is not installed (sudo apt-get install chromium)")


# --------------------------------------------------------------------------------------------
# fixtures: one page per corpus

@pytest.fixture(scope="module")
def demo(demo_store, tmp_path_factory):
    """The demo corpus' analysis, keyness table and explorer page (default options)."""
    a = Analysis(demo_store)
    table = a.compare("camp", "regime", "opposition")
    path = write_explorer(a, table, tmp_path_factory.mktemp("explorer-demo") / "explorer.html")
    return a, table, path


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The hostile corpus (plus LONG in one regime title and one regime text), grouped by its hostile
    ``section`` column, and its explorer page with a hostile title."""
    records = mh.articles()
    regime = [r for r in records if r["section"] == mh.SECTIONS["regime"]]
    regime[0]["title"] = f"{LONG} {regime[0]['title']}"
    regime[3]["text"] += "\n" + LONG
    folder = tmp_path_factory.mktemp("explorer-hostile")
    (folder / "hostile.jsonl").write_text(mh.jsonl(records), encoding="utf-8")
    import_sources([folder / "hostile.jsonl"], folder / "store", registry=ROOT / "corpus" / "demo" / "outlets.yaml")
    a = Analysis(folder / "store")
    table = a.compare("section", mh.SECTIONS["regime"], mh.SECTIONS["opposition"], min_count=2)
    path = write_explorer(a, table, folder / "explorer.html", title=HOSTILE_TITLE)
    return a, table, path


def _data(page: str) -> dict:
    return json.loads(DATA_RE.search(page).group(1))


def _norm(text: str, analysis) -> list[str]:
    return tokenise(text, analysis.reading().settings)


def _planted_term(analysis) -> tuple[str, str]:
    """A planted single-word habit term of one outlet (corpus/demo/planted.yaml), normalised, and
    that outlet: the rarest of those the other camp never uses, the likeliest to be the outlet's
    alone (e.g. «البواسل» of al-hisn-al-watani)."""
    planted = yaml.safe_load((ROOT / "corpus" / "demo" / "planted.yaml").read_text(encoding="utf-8"))
    counts = planted.get("camp_term_counts", {})
    found = []
    for outlet in planted["outlets"]:
        other = "opposition" if outlet["camp"] == "regime" else "regime"
        for term in outlet.get("habit_terms", []):
            if " " in term:
                continue
            folded = counts.get(outlet["camp"], {}).get(term, {}).get("folded", {})
            found.append((folded.get(other, 1) != 0, folded.get(outlet["camp"], 10**9), _norm(term, analysis)[0],
                          outlet["id"]))
    assert found, "planted.yaml names no single-word habit term"
    return min(found)[2:]


# --------------------------------------------------------------------------------------------
# the page as a file

@pytest.mark.parametrize("which", ["demo", "hostile"])
def test_page_fetches_nothing_and_holds_only_its_own_scripts(which, request):
    _, _, path = request.getfixturevalue(which)
    page = path.read_text(encoding="utf-8")
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP.replace(chr(39), "&#x27;")}">' in page
    assert "default-src &#x27;none&#x27;" in page and page.index("Content-Security-Policy") < page.index("<script")
    assert html_is_self_contained(page) == []
    assert [m.lower() for m in re.findall(r"<\s*/?\s*script", page, re.I)] == ["<script", "</script"] * 2
    assert re.findall(r"<script[^>]*>", page) == ['<script type="application/json" id="data">', "<script>"]
    data = DATA_RE.search(page).group(1)
    assert "<" not in data and ">" not in data and "&" not in data and "\u2028" not in data
    # outside the (inert) data: nothing that fetches
    rest = page.replace(data, "")
    assert not re.search(r"""(?:src|href|action|data|poster)\s*=\s*["']?\s*(?:[a-z]+:)?//""", rest, re.I)
    assert "@import" not in rest
    assert all(u.startswith("data:") for u in re.findall(r"url\(\s*['\"]?([^)'\"]*)", rest))
    script = page[page.rindex("<script>"):]
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function(",
                 "srcdoc", "location", "fetch(", "XMLHttpRequest", "import("):
        assert sink not in script, sink


def test_hostile_strings_are_data_never_markup(hostile):
    _, table, path = hostile
    page = path.read_text(encoding="utf-8")
    assert "<img" not in page and "<iframe" not in page and "<svg" not in page and "<form" not in page
    outside = re.sub(r"<title>.*?</title>", "", DATA_RE.sub("", page), flags=re.S)
    assert "javascript:" not in outside and "evil.example" not in outside  # only in the data and the title
    assert "\\u003cscript\\u003edocument.body.setAttribute" in page  # the payloads are in the data, escaped
    assert "<title>&lt;/title&gt;&lt;script&gt;" in page
    assert "PWNED" not in page
    data = _data(page)
    assert data["groups"]["target"].startswith('<img src=y onerror="document') and data["title"].startswith("</title>")
    titles = [a[3] for a in data["articles"]]
    assert any(t.startswith("<script>document.body") for t in titles)
    assert any("\u202e" in line[1] + line[3] for lines in data["lines"] for line in lines)  # kept, isolated on show
    # the 1,000,000-character word: in the table, shortened to 40 characters wherever it is shown
    assert LONG in set(table["term"])
    assert "بلا" * 13 + "…" in {row[0] for row in data["terms"]}
    assert "بلا" * 50 not in page and path.stat().st_size < 1_000_000


# --------------------------------------------------------------------------------------------
# the data

def test_demo_data_counts_rates_and_concordances(demo):
    a, table, path = demo
    data = _data(path.read_text(encoding="utf-8"))
    assert data["columns"] == list(table.columns)  # the same column names as the CLI and the CSV files
    assert data["groups"] == {"column": "camp", "target": "regime", "reference": "opposition"}
    assert len(data["terms"]) == min(1500, len(table)) == len(data["lines"]) == len(data["outlet_counts"])
    term, outlet = _planted_term(a)
    terms = [row[0] for row in data["terms"]]
    i = terms.index(term)
    row = table.set_index("term").loc[term]
    assert data["terms"][i][1:3] == [int(row["n_target"]), int(row["n_reference"])]
    # rate per outlet: the planting outlet has the highest; the counts add up to the table's
    counts = np.array(data["outlet_counts"][i])
    rates = counts / np.array([o["tokens"] for o in data["outlets"]]) * data["per"]
    assert data["outlets"][int(np.argmax(rates))]["outlet"] == outlet
    sides = np.array([o["side"] for o in data["outlets"]])
    assert counts[sides == "target"].sum() == row["n_target"]
    assert counts[sides == "reference"].sum() == row["n_reference"]
    assert sum(o["tokens"] for o in data["outlets"]) == sum(table.attrs["tokens"].values())
    # concordance lines: at most 8, each with the term as its keyword, from the articles listed
    lines = data["lines"][i]
    assert 0 < len(lines) <= 8 and data["matches"][i][0] >= row["n_target"] + row["n_reference"] - 1
    for article, left, keyword, right in lines:
        assert term in _norm(keyword, a) and data["articles"][article][2].startswith("demo-")
        assert len(left) <= 62 and len(right) <= 62
    assert all(len(ls) <= 8 for ls in data["lines"])


def test_bounds_selection_and_both_sides(demo):
    a, table, _ = demo
    data = explorer_data(a, table, max_terms=40, lines_per_term=4, seed=3)
    terms = [row[0] for row in data["terms"]]
    assert len(terms) == 40 and data["settings"]["terms_in_table"] == len(table)
    assert terms == [t for t in table["term"] if t in set(terms)]  # in the table's order
    z = table["log_odds_z"]
    assert table.loc[z.idxmax(), "term"] in terms and table.loc[z.idxmin(), "term"] in terms
    assert table.loc[(table["n_target"] + table["n_reference"]).idxmax(), "term"] in terms
    sides = [o["side"] for o in data["outlets"]]
    for i, lines in enumerate(data["lines"]):
        assert len(lines) <= 4
        n_t, n_r = data["terms"][i][1:3]
        got = {sides[data["articles"][line[0]][0]] for line in lines}
        if n_t >= 2 and n_r >= 2:
            assert got == {"target", "reference"}, terms[i]  # half from each group
    again = explorer_data(Analysis(a.store.path), table, max_terms=40, lines_per_term=4, seed=3)
    assert script_json(again) == script_json(data)
    assert script_json(explorer_data(a, table, max_terms=40, lines_per_term=4, seed=4)) != script_json(data)


def test_same_inputs_same_bytes(demo, tmp_path):
    a, table, path = demo
    other = write_explorer(Analysis(a.store.path), table, tmp_path / "new" / "explorer.html")
    assert other.read_bytes() == path.read_bytes()
    assert [p.name for p in other.parent.iterdir()] == ["explorer.html"]  # no temporary file left


def test_bigram_terms_have_their_phrase_as_keyword(demo):
    a, _, _ = demo
    table = a.compare("camp", "regime", "opposition", ngrams=2)
    data = explorer_data(a, table, max_terms=30, lines_per_term=3)
    with_lines = 0
    for row, lines in zip(data["terms"], data["lines"]):
        for _, _, keyword, _ in lines:
            assert _norm(keyword, a) == row[0].split()
        with_lines += bool(lines)
    assert with_lines >= 20  # a bigram across a removed stop word may have none


def test_script_json_cannot_end_its_element():
    value = {"t": "</script><!--<script>\u2028\u2029&amp;\ud800", "n": [1, 2.5, None]}
    text = script_json(value)
    assert not re.search(r"[<>&\u2028\u2029\ud800-\udfff]", text)
    assert json.loads(text) == value
    with pytest.raises(ValueError):
        script_json({"x": float("nan")})
    page = explorer_html({"title": "</title><script>x</script>", "terms": []})
    assert page.count("<script") == 2 and "<title>&lt;/title&gt;&lt;script&gt;x" in page


def test_wrong_inputs_say_what_to_give(demo):
    a, table, _ = demo
    with pytest.raises(ArgumentError, match="max_terms"):
        explorer_data(a, table, max_terms=0)
    with pytest.raises(ArgumentError, match="lines_per_term"):
        explorer_data(a, table, lines_per_term=-1)
    with pytest.raises(ArgumentError, match="not a keyness table"):
        explorer_data(a, table[["term", "G2"]])
    with pytest.raises(ArgumentError, match="other text settings"):
        explorer_data(Analysis(a.store.path, {"teh_marbuta": True}), table)
    bare = table.copy()
    bare.attrs = {}
    with pytest.raises(ArgumentError, match="group="):
        explorer_data(a, bare)
    given = explorer_data(a, bare.head(5), group="camp", target="regime", reference="opposition")
    assert given["groups"]["target"] == "regime"
    with pytest.raises(ArgumentError, match="not those of the table"):
        explorer_data(a, table, target="opposition", reference="regime")
    empty = explorer_data(a, table.head(0))
    assert empty["terms"] == [] and explorer_html(empty).count("<script") == 2


def test_stratified_table(demo):
    a, _, _ = demo
    table = a.compare("camp", "regime", "opposition", stratify="section")
    data = explorer_data(a, table, max_terms=20, lines_per_term=2)
    assert data["columns"] == list(table.columns) and data["y_measures"] == ["log_ratio"]
    assert len(data["terms"]) == 20 and any(data["lines"])


# --------------------------------------------------------------------------------------------
# in Chromium: search, click, read the DOM

class _Dom(HTMLParser):
    """The dumped DOM as a small tree: every element as [tag, attrs, children, text]."""

    VOID = {"meta", "input", "br", "img", "link", "col", "hr", "source", "wbr"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.root = ["#root", {}, [], ""]
        self.stack = [self.root]
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        node = [tag, dict(attrs), [], ""]
        self.stack[-1][2].append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for k in range(len(self.stack) - 1, 0, -1):
            if self.stack[k][0] == tag:
                del self.stack[k:]
                break

    def handle_data(self, data):
        self.stack[-1][2].append(data)

    def all(self, node=None):
        node = node or self.root
        for child in node[2]:
            if isinstance(child, list):
                yield child
                yield from self.all(child)

    def find(self, id_: str):
        return next(n for n in self.all() if n[1].get("id") == id_)

    @staticmethod
    def text(node) -> str:
        return "".join(c if isinstance(c, str) else _Dom.text(c) for c in node[2])

    def rows(self, id_: str) -> list[list[str]]:
        return [[self.text(td) for td in tr[2] if isinstance(td, list) and td[0] in ("td", "th")]
                for tr in self.all(self.find(id_)) if tr[0] == "tr"]


def _click(page: Path, out: Path, term: str) -> str:
    """A copy of ``page`` with a TEST-ONLY script that types ``term`` into the search box and clicks
    the term in the table (a real click event); the DOM Chromium holds afterwards."""
    test_script = """<script>
setTimeout(function () {
  var box = document.getElementById("search");
  box.value = %s;
  box.dispatchEvent(new Event("input", {bubbles: true}));
  setTimeout(function () {
    var hit = Array.prototype.filter.call(document.querySelectorAll("#t-body button.term"),
      function (b) { return b.textContent === box.value; });
    document.body.setAttribute("data-test-rows", String(document.getElementById("t-body").children.length));
    document.body.setAttribute("data-test-hits", String(document.querySelectorAll("#plot-holder circle.hit").length));
    if (hit.length) { hit[0].dispatchEvent(new MouseEvent("click", {bubbles: true, cancelable: true, view: window})); }
  }, 100);
}, 100);
</script>""" % json.dumps(term)
    html = page.read_text(encoding="utf-8")
    out.write_text(html.replace("</body>", test_script + "\n</body>"), encoding="utf-8")
    return _dump_dom(out)


@needs_chromium
def test_click_shows_rates_per_outlet_and_concordance(demo, tmp_path):
    a, table, path = demo
    term, outlet = _planted_term(a)
    dom_text = _click(path, tmp_path / "explorer.html", term)
    dom = _Dom(dom_text)
    body = next(n for n in dom.all() if n[0] == "body")[1]
    assert body.get("data-explorer") == "ready"  # the page's own script ran under its CSP
    assert int(body["data-test-rows"]) >= 1 and int(body["data-test-hits"]) >= 1  # the search filtered
    assert dom.text(dom.find("d-term")) == term and "hidden" not in dom.find("details-body")[1]
    counts = dom.rows("d-counts")
    row = table.set_index("term").loc[term]
    assert counts[1][0] == "regime" and counts[1][1] == str(row["n_target"])
    assert float(counts[1][2]) == pytest.approx(row["freq_target"], abs=0.06)
    assert counts[2][0] == "opposition" and counts[2][1] == str(row["n_reference"])
    outlets = dom.rows("d-outlets")[1:]
    assert len(outlets) == 6 and {r[1] for r in outlets} == {"regime", "opposition"}
    best = max(outlets, key=lambda r: float(r[4]))
    assert outlet in best[0] and float(best[4]) > 0  # the planting outlet has the highest rate
    kwic = [tr for tr in dom.all(dom.find("d-kwic")) if tr[0] == "tr" and "line" in tr[1].get("class", "")]
    sources = [dom.text(tr) for tr in dom.all(dom.find("d-kwic")) if tr[0] == "tr" and tr[1].get("class") == "src"]
    assert 0 < len(kwic) == len(sources) <= 8
    for tr in kwic:
        before, keyword, after = (dom.text(td) for td in tr[2] if isinstance(td, list))
        assert term in _norm(keyword, a) and before and after
    assert all(re.search(r"demo-\d{4}", s) and re.search(r"2024-\d\d-\d\d", s) for s in sources)
    assert any(outlet in s for s in sources)


@needs_chromium
def test_no_payload_runs_in_chromium(hostile, tmp_path):
    a, table, path = hostile
    control = tmp_path / "control.html"  # the payloads are live: raw in a page, they run
    control.write_text("<!DOCTYPE html><html><head><title>t</title></head><body>" + "\n".join(mh.PAYLOADS)
                       + "</body></html>", encoding="utf-8")
    dom = _dump_dom(control)
    assert MARKER[0] in dom and MARKER[1] in dom
    term = table["term"].iloc[0]  # the most key term: its lines come from payload-titled articles
    dom_text = _click(path, tmp_path / "explorer.html", term)
    assert MARKER[0] not in dom_text and MARKER[1] not in dom_text
    dom = _Dom(dom_text)
    assert {n[0] for n in dom.all()} <= PAGE_TAGS
    assert all(not name.startswith("on") for n in dom.all() for name in n[1])
    title = next(n for n in dom.all() if n[0] == "title")
    assert dom.text(title).startswith("</title><script>document.body")  # shown as text
    assert dom.text(dom.find("d-term")) == term
    sources = " ".join(dom.text(tr) for tr in dom.all(dom.find("d-kwic")) if tr[0] == "tr")
    assert "<script>document.body.setAttribute" in sources or "<img src=x onerror=" in sources
    assert dom.text(dom.find("subtitle")).count("document.body.setAttribute") == 2  # hostile group names, as text
