"""Lexicons (workbench.reading.lexicons): loading three formats, counting without double counts, rates,
naming tables (workbench.stats.counts), their figure and CLI, and the planted namings of the demo corpus."""
import json

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from conftest import ROOT, import_articles
from workbench.analysis import Analysis
from workbench.cli import main
from workbench.errors import AnalysisError, ArgumentError, InputError, WorkbenchWarning
from workbench.plots.figure import save_figure
from workbench.plots.naming import naming_plot
from workbench.reading.lexicons import (DEFAULT_LEXICON, lexicon_counts, lexicon_rates, load_lexicon,
                                        naming_table, parse_lexicon)
from workbench.stats.counts import (adjusted_residuals, bootstrap_rate_interval, independence_test,
                                    poisson_rate_interval)

# ------------------------------------------------------------------------------------------ loading
OURS = """\
lexicon: test
description: a small test lexicon
language: ar
actor:gov:
  note: the government
  clitics: true
  entries:
    - الجيش العربي السوري
    - الجيش السوري
    - قوات النظام
    - النظام
    - نظام الأسد
  exclude: [النظام الدولي]
plain:
  - النظام
frame:terror:
  - إرهابي*
  - الإرهاب
  - مكافحة الإرهاب
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_our_format_is_read_with_options_and_round_trips(tmp_path):
    lex = load_lexicon(write(tmp_path, "lex.yaml", OURS))
    assert (lex.name, lex.description, lex.language, lex.format) == ("test", "a small test lexicon", "ar", "workbench")
    assert lex.names == ["actor:gov", "plain", "frame:terror"]
    gov = lex["actor:gov"]
    assert gov.clitics and not lex["plain"].clitics and gov.note == "the government"
    assert gov.labels[:2] == ["الجيش العربي السوري", "الجيش السوري"] and [e.text for e in gov.exclude] == ["النظام الدولي"]
    assert gov.entries[0].line == 8
    again = parse_lexicon(lex.to_yaml())
    assert again.fingerprint() == lex.fingerprint() and again.names == lex.names
    # the same categories under 'categories:', with a default for clitics
    wrapped = parse_lexicon("lexicon: w\nclitics: true\ncategories:\n  a: [x]\n  b: {entries: [y], clitics: false}\n")
    assert wrapped["a"].clitics and not wrapped["b"].clitics
    with pytest.raises(ArgumentError, match="no category 'actor:nope'.*actor:gov"):
        lex["actor:nope"]


def test_the_starter_lexicon_loads_and_marks_itself_as_a_starting_point():
    lex = load_lexicon()
    assert lex.source == str(DEFAULT_LEXICON) and lex.name == "syria"
    for name in ("actor:government", "actor:armed-opposition", "actor:isis", "actor:kurdish-forces", "actor:russia",
                 "actor:iran", "frame:terrorism", "frame:humanitarian", "frame:sovereignty", "frame:reconciliation"):
        assert name in lex and lex[name].note, name
    assert "STARTING POINT" in DEFAULT_LEXICON.read_text(encoding="utf-8")
    gov = lex["actor:government"].labels
    for label in ("النظام", "قوات النظام", "الحكومة السورية", "الدولة السورية", "الجيش العربي السوري",
                  "الجيش السوري", "قوات الأسد", "ميليشيات الأسد"):
        assert label in gov


def test_quanteda_yaml_nested_keys_and_globs(tmp_path):
    p = write(tmp_path, "dict.yml", "economy:\n  - deficit\n  - tax*\nsocial:\n  family:\n    - parent?\n  "
                                    "religion: [church, 'holy war']\n")
    lex = load_lexicon(p)
    assert lex.format == "quanteda" and lex.names == ["economy", "social.family", "social.religion"]
    assert lex["social.religion"].labels == ["church", "holy war"]
    assert all(e.syntax == "glob" for e in lex["economy"].entries)


def test_liwc_dic_header_entries_and_conditional_lines(tmp_path):
    p = write(tmp_path, "small.dic", "%\n1\tposemo\n2\tnegemo\n3 war\n%\nhappy\t1\nsad*\t2\nbattle*\t2 3\n"
                                     "holy war\t3\nlike\t02 134/125\n")
    with pytest.warns(WorkbenchWarning, match=r"small\.dic:10: 1 conditional LIWC entry"):
        lex = load_lexicon(p)
    assert lex.format == "liwc" and lex.names == ["posemo", "negemo", "war"]
    assert lex["negemo"].labels == ["sad*", "battle*"] and lex["war"].labels == ["battle*", "holy war"]
    assert lex["war"].entries[1].line == 9


@pytest.mark.parametrize("name, text, match", [
    ("a.yaml", "lexicon: x\nactor:\n  - a\n  - [b, c]\n", r"a\.yaml:4: category 'actor': an entry must be"),
    ("b.yaml", "lexicon: x\nactor:\n  entries: [a]\n  clitic: true\n", r"b\.yaml:4: category 'actor': unknown option 'clitic'"),
    ("c.yaml", "lexicon: x\nactor:\n  - a\n  - b\n  - a\n", r"c\.yaml:5: .*'a' is listed twice \(first on line 3\)"),
    ("d.yaml", "lexicon: x\nactor: [a]\nactor: [b]\n", r"d\.yaml:3: category 'actor' is given twice"),
    ("e.yaml", "lexicon: x\nactor:\n  clitics: true\n", r"e\.yaml:3: category 'actor': no 'entries:' list"),
    ("f.yaml", "lexicon: x\nactor: {entries: [a], clitics: maybe}\n", r"f\.yaml:2: category 'actor': 'clitics' must be true or false"),
    ("g.yaml", "lexicon: x\nactor: [a\n", r"g\.yaml:3: not valid YAML"),
    ("h.yaml", "lexicon: x\nactor: !!python/object/apply:os.system [ls]\n",
     r"h\.yaml:2: the tag '!!python/object/apply:os.system' is not allowed in a lexicon"),
    ("i.yaml", "", r"i\.yaml: empty lexicon file"),
    ("j.yaml", "- a\n- b\n", r"j\.yaml:1: expected a mapping of category names"),
    ("k.dic", "1\tposemo\n%\n", r"k\.dic:1: a LIWC dictionary starts with a line '%'"),
    ("l.dic", "%\n1\tposemo\n%\nhappy\t1\nsad\t7\n", r"l\.dic:5: 'sad': category 7 is not in the header"),
    ("m.dic", "%\n1\tposemo\n", r"m\.dic:2: the category header is not closed"),
])
def test_errors_are_one_line_with_file_and_line(tmp_path, name, text, match):
    with pytest.raises(InputError, match=match) as e:
        load_lexicon(write(tmp_path, name, text))
    assert "\n" not in str(e.value)


def test_missing_and_undecodable_files(tmp_path):
    with pytest.raises(InputError, match="lexicon file not found"):
        load_lexicon(tmp_path / "nope.yaml")
    p = tmp_path / "cp.yaml"
    p.write_bytes("lexicon: x\na: [النظام]\n".encode("cp1256"))
    with pytest.raises(InputError, match=r"cp\.yaml: byte \d+: not UTF-8"):
        load_lexicon(p)


# ------------------------------------------------------------------------------------------ counting
# Hand-made corpus. Every article is titled «خبر» (one token).
TINY = [
    ("d1", "sawt-al-dawla", "2024-01-05",
     "تقدم الجيش العربي السوري في الريف. وأكد الجيش السوري أن الإرهاب إلى زوال وأن مجموعات إرهابية فرت."),
    ("d2", "nafidhat-al-shimal", "2024-01-06",
     "قصفت قوات النظام البلدة، وقال ناشطون إن النظام الدولي صامت وإن للنظام سجونا. نظام الأسد مسؤول عن قوات النظام."),
    ("d3", "awraq-al-rabi", "2024-02-01", "لا شيء هنا عن الموضوع."),
    ("d4", "al-hisn-al-watani", "2024-02-03", "مكافحة الإرهاب مهمة الجيش العربي السوري والإرهابيين."),
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return Analysis(import_articles(tmp_path_factory.mktemp("tiny-lexicon"), TINY))


@pytest.fixture(scope="module")
def tiny_lex():
    return parse_lexicon(OURS, "tiny.yaml")


def test_counts_by_hand_phrases_wildcards_clitics_and_no_double_counting(tiny, tiny_lex):
    counts = lexicon_counts(tiny, tiny_lex)
    wide = counts.wide().set_index("id")
    assert list(wide.index) == list(tiny.docs["id"])          # aligned with analysis.docs
    # d1: الجيش العربي السوري + الجيش السوري; d2: قوات النظام ×2 (not also النظام inside them),
    # للنظام (clitics), نظام الأسد; «النظام الدولي» excluded; d4: الجيش العربي السوري
    assert wide["actor:gov"].to_dict() == {"d1": 2, "d2": 4, "d3": 0, "d4": 1}
    # no clitics, no exclusion, another category: النظام inside both «قوات النظام» and in «النظام الدولي»
    assert wide["plain"].to_dict() == {"d1": 0, "d2": 3, "d3": 0, "d4": 0}
    # d1: الإرهاب, إرهابية (wildcard); d4: «مكافحة الإرهاب» once, not also «الإرهاب»;
    # «والإرهابيين» is neither (no clitics, and the wildcard needs a word starting with إرهابي)
    assert wide["frame:terror"].to_dict() == {"d1": 2, "d2": 0, "d3": 0, "d4": 1}
    totals = counts.entry_totals().set_index(["category", "entry"])["count"]
    assert totals[("actor:gov", "قوات النظام")] == 2 and totals[("actor:gov", "النظام")] == 1
    assert totals[("actor:gov", "نظام الأسد")] == 1 and totals[("actor:gov", "الجيش السوري")] == 1
    assert totals[("actor:gov", "الجيش العربي السوري")] == 2
    assert totals[("frame:terror", "مكافحة الإرهاب")] == 1 and totals[("frame:terror", "الإرهاب")] == 1
    m = counts.matches()
    d2 = m[(m["id"] == "d2") & (m["category"] == "actor:gov")]
    assert list(d2["entry"]) == ["قوات النظام", "النظام", "نظام الأسد", "قوات النظام"]
    assert list(d2["length"]) == [2, 1, 2, 2]
    tokens = tiny.reading().tokens()
    toks = dict(iter(tokens))["d2"]
    assert [" ".join(toks[p:p + n]) for p, n in zip(d2["position"], d2["length"])] == \
        ["قوات النظام", "للنظام", "نظام الاسد", "قوات النظام"]
    assert (counts.n_tokens == tiny.reading().token_index().doc_lengths()).all()
    tidy = counts.tidy()
    assert len(tidy) == 4 * 3 and tidy["count"].sum() == wide[["actor:gov", "plain", "frame:terror"]].to_numpy().sum()
    assert lexicon_counts(tiny, tiny_lex) is counts                     # memoised per analysis and lexicon


def test_bad_entries_name_their_line_and_imported_ones_are_skipped(tiny, tmp_path):
    bad = parse_lexicon("lexicon: bad\na:\n  - النظام\n  - '،'\n", "bad.yaml")
    with pytest.raises(InputError, match=r"bad\.yaml:4: category 'a': entry '،': .*fix or remove the entry"):
        lexicon_counts(tiny, bad)
    liwc = load_lexicon(write(tmp_path, "e.dic", "%\n1\tx\n%\nالنظام\t1\n:)\t1\n"))
    with pytest.warns(WorkbenchWarning, match=r"1 entry .*skipped \(first: .*e\.dic:5 ':\)'\)"):
        assert lexicon_counts(tiny, liwc).category_counts[:, 0].sum() == 3


def test_quanteda_globs_match_like_quanteda(tiny, tmp_path):
    lex = load_lexicon(write(tmp_path, "q.yml", "army:\n  - ال?يش\n  - 'قوات *'\nstate:\n  s: ['الدول?']\n"))
    c = lexicon_counts(tiny, lex).wide().set_index("id")
    assert c["army"].to_dict() == {"d1": 2, "d2": 2, "d3": 0, "d4": 1}
    assert c["state.s"].sum() == 1                                     # «الدولي»: one letter after «الدول»


def test_rates_and_intervals(tiny, tiny_lex):
    counts = lexicon_counts(tiny, tiny_lex)
    r = lexicon_rates(counts, by="camp")
    assert list(r.columns) == ["camp", "category", "docs", "docs_with", "tokens", "count", "rate", "rate_low",
                               "rate_high"]
    tok = counts.n_tokens
    camp = tiny.docs["camp"].astype(str).to_numpy()
    gov = r[r["category"] == "actor:gov"].set_index("camp")
    assert gov.loc["regime", "tokens"] == tok[camp == "regime"].sum() and gov.loc["regime", "count"] == 3
    assert gov.loc["opposition", "count"] == 4 and gov.loc["opposition", "docs_with"] == 1
    assert gov.loc["opposition", "docs"] == 2
    assert gov.loc["regime", "rate"] == pytest.approx(3 / tok[camp == "regime"].sum() * 10_000)
    assert (r["rate_low"] <= r["rate"] + 1e-9).all() and (r["rate"] <= r["rate_high"] + 1e-9).all()
    assert r.attrs["method"] == "bootstrap" and r.attrs["seed"] == 0
    pd.testing.assert_frame_equal(r, lexicon_rates(counts, by="camp"))  # seeded
    p = lexicon_rates(counts, by="camp", method="poisson")
    row = p[(p["camp"] == "regime") & (p["category"] == "plain")].iloc[0]   # zero matches
    assert row["rate_low"] == 0 and row["rate_high"] == pytest.approx(3.6889 / row["tokens"] * 10_000, rel=1e-4)
    whole = lexicon_rates(counts, by=None)
    assert len(whole) == 3 and "camp" not in whole and whole["count"].tolist() == [7, 3, 3]
    per_month = lexicon_rates(counts, by=["camp", "month"])
    assert set(zip(per_month["camp"], per_month["month"])) == {("regime", "2024-01"), ("regime", "2024-02"),
                                                              ("opposition", "2024-01"), ("opposition", "2024-02")}
    with pytest.raises(AnalysisError, match="cannot group by 'colour'"):
        lexicon_rates(counts, by="colour")


def test_interval_methods_against_known_values():
    lo, hi = poisson_rate_interval([0, 10], [10_000, 10_000])
    assert lo[0] == 0 and hi[0] == pytest.approx(3.68888, rel=1e-4)
    assert (lo[1], hi[1]) == pytest.approx((4.7954, 18.3904), rel=1e-4)     # Garwood, k = 10
    rng = np.random.default_rng(1)
    counts, tokens = rng.poisson(2, 400), np.full(400, 100)
    low, high = bootstrap_rate_interval(counts, tokens, seed=3)
    rate = counts.sum() / tokens.sum() * 10_000
    assert low < rate < high
    plo, phi = poisson_rate_interval(counts.sum(), tokens.sum())
    assert (high - low) == pytest.approx(phi - plo, rel=0.25)          # Poisson data: about as wide
    clustered = np.where(np.arange(400) < 40, 20, 0)                   # same total, in 10% of the documents
    clo, chi = bootstrap_rate_interval(clustered, tokens, seed=3)
    assert (chi - clo) > 2 * (phi - plo)                               # clustering widens the interval


def test_independence_test_matches_scipy():
    table = np.array([[30, 2], [5, 40], [8, 9], [0, 0]])
    t = independence_test(table)
    chi2, p, dof, _ = stats.chi2_contingency(table[:3], correction=False)
    assert t["chi2"] == pytest.approx(chi2) and t["p"] == pytest.approx(p) and t["df"] == dof == 2
    assert t["cramers_v"] == pytest.approx(np.sqrt(chi2 / 94)) and t["n"] == 94
    assert 0 < t["p_simulated"] <= 2 / 2001
    res = adjusted_residuals(table)
    assert np.isnan(res[3]).all() and res[0, 0] > 1.96 and res[0, 1] < -1.96
    # two groups: the adjusted residual is the pooled two-proportion z of the label
    a, n1, b, n2 = 30, 43, 2, 51
    pp = (a + b) / (n1 + n2)
    z = (a / n1 - b / n2) / np.sqrt(pp * (1 - pp) * (1 / n1 + 1 / n2))
    assert res[0, 0] == pytest.approx(z)
    assert np.isnan(independence_test([[3, 0], [4, 0]])["chi2"])


def test_naming_table_by_hand(tiny, tiny_lex):
    t = naming_table(tiny, tiny_lex, "actor:gov", by="camp")
    assert list(t.columns) == ["category", "label", "group", "count", "group_total", "share", "docs", "residual",
                               "p", "p_adj", "log_ratio", "preferred_by"]
    cell = t.set_index(["label", "group"])
    assert cell.loc[("قوات النظام", "opposition"), "count"] == 2
    assert cell.loc[("قوات النظام", "opposition"), "share"] == pytest.approx(2 / 4)
    assert cell.loc[("الجيش العربي السوري", "regime"), "share"] == pytest.approx(2 / 3)
    assert cell.loc[("الجيش العربي السوري", "regime"), "docs"] == 2
    assert cell.loc[("الجيش العربي السوري", "regime"), "preferred_by"] == "regime"
    assert cell.loc[("قوات النظام", "regime"), "residual"] < 0
    table = np.array([[0, 2], [0, 1], [2, 0], [1, 0], [1, 0]])         # labels in lexicon order × (opp, reg)
    chi2, *_ = stats.chi2_contingency(table, correction=False)
    assert t.attrs["chi2"] == pytest.approx(chi2) and t.attrs["n"] == 7 and t.attrs["groups"] == ["opposition", "regime"]
    assert len(t) == 5 * 2 and t["label"].iloc[-1] != t["label"].iloc[0]
    with pytest.raises(ArgumentError, match="give the category"):
        naming_table(tiny, tiny_lex)


# ------------------------------------------------------------------------------------------ the demo corpus
@pytest.fixture(scope="module")
def demo(demo_store):
    return Analysis(demo_store)


@pytest.fixture(scope="module")
def planted():
    return yaml.safe_load((ROOT / "corpus" / "demo" / "planted.yaml").read_text(encoding="utf-8"))


def test_demo_naming_table_recovers_the_planted_government_labels(demo, planted):
    lex = load_lexicon()
    t = naming_table(demo, lex, "actor:government", by="camp")
    cell = t.set_index(["label", "group"])
    phrases = planted["camp_phrase_counts"]
    for label, camp, other in (("الجيش العربي السوري", "regime", "opposition"), ("الدولة السورية", "regime", "opposition"),
                               ("قوات النظام", "opposition", "regime"), ("نظام الأسد", "opposition", "regime"),
                               ("النظام السوري", "opposition", "regime")):
        assert cell.loc[(label, other), "count"] == 0, label
        assert cell.loc[(label, camp), "count"] >= phrases[camp][label][camp], label
        assert cell.loc[(label, camp), "preferred_by"] == camp
        assert cell.loc[(label, camp), "residual"] > 3 and cell.loc[(label, camp), "p_adj"] < 0.001
    assert t.attrs["p"] < 1e-50 and t.attrs["p_simulated"] < 0.001 and t.attrs["cramers_v"] > 0.9
    top = list(dict.fromkeys(t["label"]))[:4]
    assert {"الجيش العربي السوري", "قوات النظام"} <= set(top)


def test_demo_frames_and_issues_lean_the_planted_way(demo):
    lex = load_lexicon()
    r = lexicon_rates(demo, lex, by="camp").set_index(["category", "camp"])
    for category, camp, other in (("frame:terrorism", "regime", "opposition"),
                                  ("frame:reconciliation", "regime", "opposition"),
                                  ("frame:forced-displacement", "opposition", "regime"),
                                  ("issue:the-conflict", "opposition", "regime")):
        assert r.loc[(category, camp), "rate_low"] > r.loc[(category, other), "rate_high"], category
        assert r.loc[(category, other), "count"] == 0, category
    det = naming_table(demo, lex, "issue:detainees").set_index(["label", "group"])
    assert det.loc[("الموقوفين", "regime"), "preferred_by"] == "regime"
    assert det.loc[("المعتقلين", "opposition"), "preferred_by"] == "opposition"
    assert det.loc[("المعتقلين", "regime"), "count"] == 0


def test_every_planted_camp_phrase_is_a_lexicon_entry_used_by_its_camp_only(demo, planted):
    lex = load_lexicon()
    counts = lexicon_counts(demo, lex)
    by_camp = counts.entry_totals(by="camp")
    for camp, phrases in planted["camp_phrases"].items():
        for phrase in phrases:
            rows = by_camp[by_camp["entry"] == phrase]
            assert len(rows), f"«{phrase}» (planted for {camp}) is in no category of syria.yaml"
            used = rows.groupby("camp")["count"].sum()
            assert used.get(camp, 0) > 0 and all(used.get(c, 0) == 0 for c in used.index if c != camp), phrase


def test_naming_plot_draws_and_saves(demo, tmp_path):
    t = naming_table(demo, load_lexicon(), "actor:government")
    fig = naming_plot(t, n=8)
    labels = [tick.get_text() for tick in fig.axes[0].get_yticklabels()]
    assert len(labels) == 8 and all(lab.startswith("\u200f") for lab in labels)
    paths = save_figure(fig, tmp_path / "naming")
    assert all(p.stat().st_size > 1000 for p in paths)
    with pytest.raises(ValueError, match="naming_table"):
        naming_plot(pd.DataFrame({"label": []}))


def test_cli_naming_table_rates_and_errors(demo_store, tmp_path, capsys):
    out = tmp_path / "gov.csv"
    assert main(["lexicon", "--store", str(demo_store), "--category", "actor:government", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "names for 'actor:government' by camp" in printed and "Cramer's V = 1.00" in printed
    assert "الجيش العربي السوري" in printed
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert {"label", "group", "count", "share", "residual"} <= set(table.columns)
    assert main(["lexicon", "--store", str(demo_store), "--by", "camp", "--where", "camp=regime", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["camp"] for r in rows} == {"regime"} and len(rows) == len(load_lexicon())
    assert main(["lexicon", "--store", str(demo_store), "--category", "actor:nope"]) == 2
    assert "no category 'actor:nope'" in capsys.readouterr().err
    bad = write(tmp_path, "bad.yaml", "lexicon: x\nactor: [a\n")
    assert main(["lexicon", "--store", str(demo_store), "--lexicon", str(bad)]) == 2
    assert "bad.yaml:3: not valid YAML" in capsys.readouterr().err


def test_lexicon_matching_on_distinct_forms_finds_exactly_what_a_scan_of_every_token_finds(demo):
    import pyarrow.compute as pc

    from workbench.reading.patterns import compile_query
    from workbench.tokens import TokenIndex

    def scan(pattern, index):  # every token tested, no vocabulary: the reference
        n, k = index.n_tokens, len(pattern)
        hit = np.ones(n - k + 1, dtype=bool)
        for j, (kind, arg) in enumerate(pattern.parts):
            if kind != "any":
                m = pc.equal(index.values, arg) if kind == "equal" else pc.match_substring_regex(index.values, arg)
                hit &= m.fill_null(False).to_numpy(zero_copy_only=False)[j:n - k + 1 + j]
        starts = np.flatnonzero(hit)
        return starts[starts + k <= index.offsets[index.doc_of(starts) + 1]]

    reading = demo.reading()
    index = reading.token_index()
    queries = [(e.text, c.clitics) for c in load_lexicon() for e in c.entries + c.exclude]
    queries += [("قوات *", False), ("* النظام", True), ("*ميليشي*", False), ("الحصار * *", False)]
    scanning, inverted = TokenIndex(index.values, index.offsets), TokenIndex(index.values, index.offsets)
    scanning.vocabulary().SCANS_BEFORE_POSTINGS = 10 ** 9
    inverted.vocabulary().SCANS_BEFORE_POSTINGS = 0       # through the inverted index from the first query
    for text, clitics in queries:
        pattern = compile_query(text, reading.settings, clitics=clitics)
        want = scan(pattern, index)
        rows, pos = pattern.find(index)
        assert np.array_equal(index.offsets[rows] + pos, want), text
        for ix in (scanning, inverted):
            assert np.array_equal(pattern.starts(ix), want), text