"""Concordances (workbench.reading.kwic): lines hand-counted on a tiny corpus, the printed words kept,
sorting, seeded sampling, the RTL HTML table through the report renderer, CSV and the command line."""
import json
import re

import numpy as np
import pandas as pd
import pytest

from workbench.analysis import Analysis
from workbench.errors import ArgumentError
from workbench.reading.kwic import COLUMNS, _word_ranges, kwic, kwic_lines, kwic_table, write_kwic_csv
from workbench.text import TextSettings
from workbench.text.tokenise import tokenise_spans, word_token_counts

from conftest import ROOT

# Hand-made articles (outlets of corpus/demo/outlets.yaml). Title and text are tokenised together,
# title first, so a token position counts the title's words too.
ARTICLES = [
    dict(id="d1", outlet="sawt-al-dawla", date="2024-01-01", title="الأسد يستقبل الوفد",
         text="استقبل الرئيس الأسدُ اليوم وفدا. وقال الاسد إن قوات الجيش صامدة."),
    dict(id="d2", outlet="nafidhat-al-shimal", date="2024-01-02", title="قصف جديد",
         text="قصفت قوات النظام البلدة، وبالنظام نفسه تعمل للنظام ميليشيات فالنظام لا يرحم.\n"
              "وقالت مصادر إن قوات الأسد تقدمت."),
    dict(id="d3", outlet="awraq-al-rabi", date="2024-01-03", title="الميليشيات في المدينة",
         text="انتشرت ميليشيا جديدة، ودخلت الميليشيات المدينة. قـوات النظامِ قصفت السوق."),
    dict(id="d5", outlet="awraq-al-rabi", date="2024-02-05", title="بيانات",
         text=" ".join(f"بيان رقم {i}" for i in range(1, 11))),
    dict(id="d6", outlet="sawt-al-dawla", date="2024-02-06", title="تصريحات",
         text="قال المتحدث أمس إن الوضع هادئ. ثم قال المتحدث إعلان الهدنة قريب. "
              "ثم أعلن المتحدث اعتقال المشتبه به."),
    dict(id="d7", outlet="al-hisn-al-watani", date="2024-02-07", title="<img src=x onerror=alert(1)>",
         text="بيان أول بيان ثان بيان ثالث عن <script>alert(1)</script> الوضع"),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from workbench.corpus import import_sources

    d = tmp_path_factory.mktemp("kwic")
    src = d / "articles.jsonl"
    src.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in ARTICLES) + "\n", encoding="utf-8")
    import_sources([src], d / "store", registry=ROOT / "corpus" / "demo" / "outlets.yaml")
    return d / "store"


@pytest.fixture(scope="module")
def analysis(store):
    return Analysis(store)


def lines(analysis, query, **kw):
    df = kwic(analysis, query, **kw)
    return list(zip(df["id"], df["keyword"]))


def test_a_word_is_found_in_every_spelling_and_shown_as_printed(analysis):
    expected = [("d1", "الأسد"), ("d1", "الأسدُ"), ("d1", "الاسد"), ("d2", "الأسد")]
    assert lines(analysis, "الأسد") == lines(analysis, "الاسد") == lines(analysis, "الأسدُ") == expected


def test_the_columns_and_the_contexts_are_the_printed_words(analysis):
    df = kwic(analysis, "الأسد", window=2)
    assert tuple(df.columns) == COLUMNS
    assert df.iloc[0][["left", "keyword", "right", "position"]].tolist() == ["", "الأسد", "يستقبل الوفد", 0]
    assert df.iloc[1][["left", "keyword", "right", "position"]].tolist() == [
        "استقبل الرئيس", "الأسدُ", "اليوم وفدا.", 5]
    # the line break between title and text (and inside a text) is shown as a space
    assert kwic(analysis, "الأسد", window=4).iloc[0]["right"] == "يستقبل الوفد استقبل الرئيس"
    assert kwic(analysis, "قوات الأسد", window=4).iloc[0]["left"] == "يرحم. وقالت مصادر إن"
    # punctuation attached to a word stays with it
    row = kwic(analysis, "البلدة", window=1).iloc[0]
    assert (row["left"], row["keyword"], row["right"]) == ("النظام", "البلدة،", "وبالنظام")
    assert df["outlet"].tolist()[:1] == ["sawt-al-dawla"] and df["camp"].tolist()[-1] == "opposition"
    assert str(df["date"].iloc[0].date()) == "2024-01-01" and df["title"].iloc[0] == "الأسد يستقبل الوفد"
    assert kwic(analysis, "الأسد", window=0).iloc[1][["left", "right"]].tolist() == ["", ""]


def test_clitics_only_when_asked(analysis):
    assert lines(analysis, "النظام") == [("d2", "النظام"), ("d3", "النظامِ")]
    assert lines(analysis, "النظام", clitics=True) == [
        ("d2", "النظام"), ("d2", "وبالنظام"), ("d2", "للنظام"), ("d2", "فالنظام"), ("d3", "النظامِ")]


def test_phrases_wildcards_and_regular_expressions(analysis):
    assert lines(analysis, "قوات النظام") == [("d2", "قوات النظام"), ("d3", "قـوات النظامِ")]
    assert lines(analysis, "قوات *") == [("d1", "قوات الجيش"), ("d2", "قوات النظام"), ("d2", "قوات الأسد"),
                                         ("d3", "قـوات النظامِ")]
    assert lines(analysis, "*ميليشي*") == [("d2", "ميليشيات"), ("d3", "الميليشيات"), ("d3", "ميليشيا"),
                                           ("d3", "الميليشيات")]
    assert lines(analysis, "ال.*يات", regex=True) == [("d3", "الميليشيات"), ("d3", "الميليشيات")]
    assert lines(analysis, "[وفل]+النظام|للنظام", regex=True) == [("d2", "للنظام"), ("d2", "فالنظام")]


def test_sorting_by_the_context_compares_normalised_words(analysis):
    # right: R1 normalised is امس / اعلان / اعتقال, so اعتقال < اعلان < امس (as printed, أ < إ < ا
    # would give the reverse)
    right = kwic(analysis, "المتحدث", sort="right")
    assert [r.split()[0] for r in right["right"]] == ["اعتقال", "إعلان", "أمس"]
    # left: L1 اعلن < قال; the two قال lines are ordered by L2: تصريحات (the title) < ثم
    left = kwic(analysis, "المتحدث", sort="left", window=2)
    assert left["left"].tolist() == ["ثم أعلن", "تصريحات قال", "ثم قال"]
    assert left["position"].tolist() == [15, 2, 9]
    # corpus order without sort; fewer context words sort first
    assert kwic(analysis, "المتحدث")["position"].tolist() == [2, 9, 15]
    assert kwic(analysis, "الأسد", sort="left")["position"].tolist()[0] == 0
    with pytest.raises(ArgumentError, match="sort='middle'"):
        kwic(analysis, "المتحدث", sort="middle")


def test_seeded_sample_per_group(analysis):
    everything = kwic(analysis, "بيان")
    assert everything.groupby("camp", observed=True).size().to_dict() == {"regime": 3, "opposition": 10}
    a = kwic(analysis, "بيان", sample=4, by="camp", seed=0)
    assert a.groupby("camp", observed=True).size().to_dict() == {"regime": 3, "opposition": 4}
    assert a.equals(kwic(analysis, "بيان", sample=4, by="camp", seed=0))   # same seed, same lines
    full = set(zip(everything["id"], everything["position"]))
    assert set(zip(a["id"], a["position"])) <= full
    assert list(zip(a["id"], a["position"])) == sorted(zip(a["id"], a["position"]),
                                                       key=list(zip(everything["id"], everything["position"])).index)
    draws = {tuple(kwic(analysis, "بيان", sample=4, by="camp", seed=s)["position"]) for s in range(6)}
    assert len(draws) > 1                                                       # the seed matters
    # sampling without a group samples all lines; a by column that is not shown is added
    assert len(kwic(analysis, "بيان", sample=5)) == 5
    assert kwic(analysis, "بيان", by="month")["month"].tolist() == ["2024-02"] * 13
    with pytest.raises(ArgumentError, match="by='section'.*not a corpus column"):
        kwic(analysis, "بيان", sample=2, by="section")
    with pytest.raises(ArgumentError, match="sample=0"):
        kwic(analysis, "بيان", sample=0)
    lim = kwic(analysis, "بيان", sort="right", limit=2)
    assert len(lim) == 2 and lim.attrs["matches"] == 13 and lim.attrs["documents"] == 2


def test_no_match_is_an_empty_table(analysis):
    df = kwic(analysis, "غيرموجود")
    assert df.empty and tuple(df.columns) == COLUMNS and df.attrs["matches"] == 0
    assert kwic_lines(df) == [] and "لا نتائج" in kwic_table(df)._repr_html_()
    with pytest.raises(ArgumentError, match="empty query"):
        kwic(analysis, "  ")
    with pytest.raises(ArgumentError, match="not a valid regular expression"):
        kwic(analysis, "(", regex=True)


def test_a_narrower_selection_narrows_the_lines(store):
    a = Analysis(store, outlets=["awraq-al-rabi"])
    assert lines(a, "قوات *") == [("d3", "قـوات النظامِ")]


TRICKY = ["قوات/النظام قصفت 2013-07-03 «الأسد» ، - www.example.com/a?b=1 مرحبا",
          "  \n\t  الأسدُ  \n", "", "،،، ... ---", "وقال: \"النظام\"—فالنظام (للنظام) ميليشيات؛ داعش!"]


@pytest.mark.parametrize("text", [a["title"] + "\n" + a["text"] for a in ARTICLES] + TRICKY)
def test_word_token_counts_agrees_with_tokenise_spans(text):
    s = TextSettings(remove_stopwords=False, min_length=1)
    words, counts = word_token_counts(text, s)
    assert words == text.split() and len(counts) == len(words)
    starts = [m.start() for m in re.finditer(r"\S+", text)]
    expected = [0] * len(words)
    for _, start, _ in tokenise_spans(text, s):
        expected[starts.index(start)] += 1
    assert list(map(int, counts)) == expected
    # counting can stop once the first tokens are placed
    words2, part = word_token_counts(text, s, tokens=1)
    assert words2 == words and list(map(int, part)) == expected[:len(part)]
    assert sum(expected) == 0 or sum(part) >= 1


def test_text_with_whitespace_that_normalisation_deletes_falls_back_to_spans():
    s = TextSettings(remove_stopwords=False, min_length=1)
    text = "قوات\x85النظام قصفت البلدة"          # NEL is deleted by normalisation: one token "قواتالنظام"
    assert word_token_counts(text, s) is None
    n = len(tokenise_spans(text, s))
    words, first, last = _word_ranges(text, s, "x", n, n)
    assert words == ["قوات", "النظام", "قصفت", "البلدة"]
    assert (first.tolist(), last.tolist()) == ([0, 2, 3], [1, 2, 3])


def test_html_table_is_escaped_rtl_and_renders_in_the_report(analysis, tmp_path):
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from workbench.reports.render import html_active_content, html_is_self_contained, render_html

    df = kwic(analysis, "بيان", window=3)
    table = kwic_table(df)
    html = table._repr_html_()
    assert html.startswith('<table class="wb-kwic" dir="rtl"')
    # the title <img src=x onerror=...> and the <script> in the text are shown, never run
    assert "<script" not in html and "<img" not in html and html_active_content(html) == []
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # keyword bold and centred; the words before it aligned towards it (left), those after too (right)
    assert re.search(r'<td dir="ltr" style="[^"]*text-align:left"><span dir="rtl">أول بيان ثان</span></td>'
                     r'<td dir="rtl" style="[^"]*text-align:center;font-weight:bold">بيان</td>'
                     r'<td dir="rtl" style="[^"]*text-align:right">ثالث عن &lt;script&gt;alert\(1\)&lt;/script&gt;'
                     r'</td>', html)
    long = df.copy()
    long.loc[0, "left"] = "ك" * 500 + " قبل"
    assert "ك" * 39 + "…" in kwic_table(long)._repr_html_() and "ك" * 41 not in kwic_table(long)._repr_html_()

    nb = new_notebook(cells=[
        new_markdown_cell("## سياقات"),
        new_code_cell("kwic_table(df)", execution_count=1, outputs=[new_output(
            "display_data", data={"text/html": html, "text/plain": str(table)})]),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i}"
    page = render_html(nb, tmp_path / "kwic.html", title="سياقات").read_text(encoding="utf-8")
    assert '<table class="wb-kwic" dir="rtl"' in page and page.count("font-weight:bold") >= 13
    assert html_active_content(page) == [] and html_is_self_contained(page) == []
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page


def test_terminal_lines_line_up_the_keywords(analysis):
    out = kwic_lines(kwic(analysis, "قوات", window=2))
    assert len(out) == 4 and all("[قوات]" in line or "[قـوات]" in line for line in out)
    assert out[0].startswith("2024-01-01 sawt-al-dawla")
    cols = {line.index("[") for line in out if "[قوات]" in line}
    assert len(cols) == 1                         # no harakat before these keywords: same column
    assert "\n" not in "".join(out)


def test_csv_keeps_whole_lines(analysis, tmp_path):
    df = kwic(analysis, "بيان", by="outlet")
    path = write_kwic_csv(df, tmp_path / "kwic.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert back.columns.tolist() == list(COLUMNS) and len(back) == 13
    assert back["date"].iloc[0] == "2024-02-05" and back["keyword"].tolist() == ["بيان"] * 13
    assert back["right"].fillna("").tolist() == df["right"].tolist()


def test_cli(store, tmp_path, capsys):
    from workbench.cli import main

    rc = main(["kwic", "قوات *", "--store", str(store), "--window", "2", "--limit", "3"])
    out, err = capsys.readouterr()
    assert rc == 0 and len(out.strip().splitlines()) == 3
    assert "[قوات الجيش]" in out.splitlines()[0] and "4 matches in 3 documents" in err
    rc = main(["kwic", "النظام", "--clitics", "--store", str(store), "--sort", "right",
               "--out", str(tmp_path / "k.csv"), "--outlets", "nafidhat-al-shimal"])
    out, err = capsys.readouterr()
    assert rc == 0 and len(pd.read_csv(tmp_path / "k.csv", encoding="utf-8-sig")) == 4
    assert f"wrote 4 lines to {tmp_path / 'k.csv'}" in err
    rc = main(["kwic", "بيان", "--store", str(store), "--sample", "2", "--by", "camp", "--seed", "3"])
    out, _ = capsys.readouterr()
    assert rc == 0 and len(out.strip().splitlines()) == 4
    for args, message in [(["(", "--regex"], "not a valid regular expression"), ([""], "empty query"),
                          (["بيان", "--sort", "left", "--by", "nope", "--sample", "1"], "not a corpus column"),
                          (["بيان", "--where", "camp=nope"], "'nope' is not a value of 'camp'")]:
        rc = main(["kwic", *args, "--store", str(store)])
        err = capsys.readouterr().err
        assert rc == 2 and err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1
    rc = main(["kwic", "غيرموجود", "--store", str(store)])
    out, err = capsys.readouterr()
    assert rc == 0 and out == "" and "0 matches" in err


def test_demo_corpus_regime_and_opposition_name_the_army_differently(demo_store):
    a = Analysis(demo_store)
    forces = kwic(a, "قوات النظام", clitics=True)            # planted: regime 0, opposition 234
    assert len(forces) == 234 and set(forces["camp"]) == {"opposition"}
    army = kwic(a, "الجيش العربي السوري")
    assert len(army) > 0 and set(army["camp"]) == {"regime"}
    sample = kwic(a, "قوات النظام", clitics=True, sample=5, by="outlet", seed=0)
    assert sample.groupby("outlet", observed=True).size().max() == 5
    assert np.array_equal(sample["position"], kwic(a, "قوات النظام", clitics=True, sample=5, by="outlet",
                                                   seed=0)["position"])
