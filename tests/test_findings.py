"""The report's "What we found" section, readable tables (p-values, counts, glossary) and their
column names (the same in the CLI, the CSV files and the report)."""
import math

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from workbench.display import format_p
from workbench.glossary import GLOSSARY, glossary_lines, glossary_table
from workbench.reports.findings import (caveats, coverage_findings, findings_frame, findings_markdown,
                                        keyness_findings, naming_findings, topic_findings)
from workbench.reports.notebook import styled
from workbench.reports.render import _prepare
from workbench.stats.measures import COLUMNS, SHOWN_COLUMNS, SHOWN_STRATIFIED_COLUMNS, STRATIFIED_COLUMNS


def check_evidence(folder) -> int:
    """Every number of ``tables/findings.csv`` equals the cell of the table it names; returns how
    many numbers were checked. Used by the report tests on a real run."""
    ev = pd.read_csv(folder / "tables" / "findings.csv", dtype={"key_value": str})
    checked = 0
    for _, e in ev[ev["table"].notna()].iterrows():
        t = pd.read_csv(folder / "tables" / f"{e['table']}.csv", dtype=str)
        if e["column"].startswith("count("):          # a count of rows: "count(story)" where key == value
            got = int((t[e["key"]] == e["key_value"]).sum())
        else:
            keys = e["key"].split("|")
            row = t[t[keys].astype(str).agg("|".join, axis=1) == e["key_value"]]
            assert len(row) == 1, (e["table"], e["key_value"])
            got = float(row.iloc[0][e["column"]])
        assert math.isclose(float(got), float(e["value"]), rel_tol=1e-9, abs_tol=1e-12), dict(e)
        checked += 1
    return checked


# ------------------------------------------------------------------------------- formatting
@pytest.mark.parametrize("p,text", [(3.2e-66, "< 0.001"), (0.000999, "< 0.001"), (0.001, "0.001"),
                                    (0.0123, "0.012"), (1.0, "1.000"), (float("nan"), ""), (None, "")])
def test_p_values_read_as_a_reader_expects(p, text):
    assert format_p(p) == text


def test_styled_tables_show_p_values_and_whole_counts():
    df = pd.DataFrame({"term": ["a", "b"], "n_target": [1234.0, 5.0], "freq_target": [12.3456, 0.5],
                       "p_adj": [3.22e-66, 0.04]})
    html = styled(df, uuid="t").to_html()
    assert "&lt; 0.001" in html and "0.040" in html and "e-66" not in html
    assert ">1,234<" in html and ">12.346<" in html       # counts without decimals, rates with three


def test_one_set_of_column_names_and_a_glossary_for_them():
    assert set(SHOWN_COLUMNS) <= set(COLUMNS) and set(SHOWN_STRATIFIED_COLUMNS) <= set(STRATIFIED_COLUMNS)
    assert all(c in GLOSSARY for c in SHOWN_COLUMNS + SHOWN_STRATIFIED_COLUMNS)
    t = glossary_table(["term", "p_adj", "nonsense", "term"], lang="en")
    assert list(t["column"]) == ["term", "p_adj"] and "Benjamini" in t.loc[1, "meaning"]
    assert glossary_lines(["freq_target"])[0] == "  freq_target: rate per 10,000 words in the target group"


def test_cli_keyness_prints_the_report_columns(demo_store, tmp_path, capsys):
    from workbench.cli import main
    assert main(["keyness", "--store", str(demo_store), "--group", "camp", "--target", "regime",
                 "--reference", "opposition", "--top", "3", "--cache", str(tmp_path / "c")]) == 0
    out, err = capsys.readouterr()
    header = out.splitlines()[1].split()
    assert header == SHOWN_COLUMNS + ["direction"]
    assert "< 0.001" in out and "e-" not in out
    assert "p_adj: p-value corrected" in err


# ------------------------------------------------------------------------------- findings
def _top():
    return pd.DataFrame({
        "term": ["الدولة", "الجهات", "النظام", "قوات"], "direction": ["target", "target", "reference", "reference"],
        "freq_target": [100.85, 98.4, 0.0, 0.4], "freq_reference": [0.0, 0.0, 303.0, 88.8],
        "outlets_target": [3, 1, 0, 1], "outlets_reference": [0, 0, 3, 3]})


def test_keyness_findings_quote_rates_and_outlets():
    f = keyness_findings(_top(), {"target": 3, "reference": 3}, {"target": "regime", "reference": "opposition"}, n=2)
    assert [x.section for x in f] == ["keyness", "keyness"]
    assert "«الدولة» (100.8 vs 0.0 per 10,000 words; 3 of its 3 outlets)" in f[0].en
    assert "«الجهات» (98.4 vs 0.0 per 10,000 words; 1 of its 3 outlets)" in f[0].en
    assert "«النظام» (303.0 مقابل 0.0 لكل 10,000 كلمة؛ 3 من منافذه الـ3)" in f[1].ar
    ev = findings_frame(f)
    assert ev[(ev["key_value"] == "الدولة") & (ev["column"] == "freq_target")]["value"].item() == 100.85


def test_topic_findings_skip_flagged_topics_and_say_when_nothing_differs():
    diff = pd.DataFrame({"topic": [0, 1, 2], "prevalence_target": [0.30, 0.05, 0.1], "prevalence_reference": [0.02, 0.3, 0.1],
                         "difference": [0.28, -0.25, 0.0], "lower": [0.2, -0.3, -0.05], "upper": [0.35, -0.2, 0.05],
                         "excludes_zero": [True, True, False]})
    labels = {"target": "regime", "reference": "opposition"}
    f = topic_findings(diff, {0: "الانتخابات", 1: "المعتقلون"}, labels)
    assert len(f) == 2 and "الانتخابات" in f[0].en and "regime" in f[0].en and "opposition" in f[1].en
    assert "30% of the target group's text against 2%" in f[0].en and "+20 … +35" in f[0].en
    f = topic_findings(diff, {}, labels, exclude=[0])
    assert len(f) == 1 and "Topic 1" in f[0].en                        # a flagged topic is never a finding
    none = topic_findings(diff[diff["topic"] == 2], {}, labels)
    assert none[0].evidence == [] and "No topic" in none[0].en


def test_naming_findings_only_when_the_sides_differ():
    naming = pd.DataFrame({"label": ["الدولة السورية", "النظام", "الدولة السورية", "النظام"],
                           "group": ["regime", "regime", "opposition", "opposition"], "count": [50, 2, 3, 40],
                           "share": [0.96, 0.04, 0.07, 0.93],
                           "preferred_by": ["regime", "opposition", "regime", "opposition"]})
    f = naming_findings(naming, "actor:government", {"target": "regime", "reference": "opposition"}, table="n")
    assert "**regime** says «الدولة السورية» (96% of its mentions), while **opposition** says «النظام» (93%" in f.en
    assert [e["key_value"] for e in f.evidence] == ["الدولة السورية|regime", "النظام|opposition"]
    same = naming.assign(preferred_by="regime")
    assert naming_findings(same, "actor:government", {"target": "regime", "reference": "opposition"}, table="n") is None


def test_coverage_findings_count_one_sided_stories():
    cov = pd.DataFrame({"story": [4, 7, 9, 2], "side": ["both", "only regime", "mostly opposition", "only regime"],
                        "n_target": [5, 6, 1, 2], "n_reference": [4, 0, 7, 0], "title": ["a", "<b>big</b>", "c", "d"]})
    f = coverage_findings(cov, {"target": "regime", "reference": "opposition"})
    assert "Of 4 stories on the two sides, both covered 1; **regime** covered 2 alone or mostly, **opposition** 1." == f[0].en
    assert "«&lt;b&gt;big&lt;/b&gt;» (6 articles against 0)" in f[1].en   # corpus text is escaped
    assert "(7 articles against 1)" in f[2].en


def test_caveats_name_dominant_outlets_thin_months_and_single_outlet_terms():
    by_outlet = pd.DataFrame({"camp": ["regime", "regime", "opposition"], "outlet": ["a", "b", "c"],
                              "articles": [90, 10, 40]})
    monthly = pd.DataFrame({"period": ["2024-01", "2024-02"], "regime": [60, 40], "opposition": [35, 5]})
    f = caveats(by_outlet, monthly, "camp", {"target": "regime", "reference": "opposition"},
                composition_warnings=["section differs (V = 0.45)"], top=_top())
    text = " ".join(x.en for x in f)
    assert "«a» dominates the **regime** side (90 of 100 articles, 90%)" in text
    assert "The **opposition** side is a single outlet («c»)" in text
    assert "**opposition** has fewer than 10 articles in 1 of 2 months (2024-02)" in text
    assert "section differs" in text
    assert "1 of the top 2 key terms of **regime** are used by a single outlet" in text
    quiet = caveats(by_outlet, monthly, "camp", {"target": "regime", "reference": "opposition"},
                    composition_warnings=["x"], stratify="section")
    assert not any("composition" in x.en for x in quiet)                  # stratified: already controlled


def test_findings_markdown_puts_the_report_language_first():
    f = keyness_findings(_top(), {}, {"target": "regime", "reference": "opposition"}, n=1)
    md = findings_markdown(f, lang="en")
    assert md.startswith("**Keywords — الكلمات المفتاحية**") and "over-uses" in md.splitlines()[2]
    assert findings_markdown(f, lang="ar").splitlines()[2].startswith("- يفرط جانب")


def test_rendered_report_shows_findings_right_after_the_title():
    nb = new_notebook(cells=[
        new_code_cell("", metadata={"tags": ["title"]}, outputs=[nbformat.v4.new_output("stream", text="TITLE")]),
        new_markdown_cell("intro"),
        new_code_cell("", outputs=[nbformat.v4.new_output("stream", text="body")]),
        new_code_cell("", metadata={"tags": ["findings"]}, outputs=[nbformat.v4.new_output("stream", text="FOUND")]),
    ])
    cells = _prepare(nb).cells
    assert [c.get("outputs", [{}])[0].get("text", c.get("source")) for c in cells] == ["TITLE", "FOUND", "intro", "body"]
