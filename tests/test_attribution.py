"""Attribution and stance (workbench.reading.attribution): the reporting-word lexicon and its errors,
the source finder on hand-made sentences (VSO, SVO, وفق/بحسب, clitics, nouns, phrases, words that must
not match), the real fixture article, corpus tables and the CLI."""
import time

import pandas as pd
import pytest

from conftest import FIXTURE, import_articles, need_shared
from workbench.analysis import Analysis
from workbench.cli import main
from workbench.errors import InputError
from workbench.reading.attribution import (COLUMNS, DEFAULT_REPORTING_LEXICON, attribution_rates,
                                           attribution_table, attributions, corpus_attributions,
                                           load_reporting_lexicon, parse_reporting_lexicon)


def one(text: str, **kw) -> dict:
    """The only attribution of ``text``."""
    df = attributions(text, **kw)
    assert len(df) == 1, df[["word", "class", "source", "rule"]].to_string()
    return df.iloc[0].to_dict()


def found(text: str) -> list[tuple[str, str, str]]:
    """``(word, class, source)`` of every attribution of ``text``."""
    df = attributions(text)
    return list(zip(df["word"], df["class"], df["source"]))


# ------------------------------------------------------------------------------------------ lexicon
def test_default_lexicon_has_three_documented_classes():
    lex = load_reporting_lexicon()
    assert list(lex.classes) == ["neutral", "affirming", "distancing"]
    assert all(lex.classes.values()), "every class has a note"
    by_word = {e.text: (e.cls, e.kind) for e in lex.entries}
    assert by_word["قال"] == ("neutral", "verbs")
    assert by_word["وفق"] == ("neutral", "prepositions")
    assert by_word["نقلا عن"] == ("neutral", "prepositions")
    assert by_word["أكدت"] == ("affirming", "verbs")
    assert by_word["تزعم"] == ("distancing", "verbs")
    assert by_word["مزاعم"] == ("distancing", "nouns")
    assert by_word["ما وصفه"] == ("distancing", "phrases")
    assert "فحسب" in lex.exclude and lex.max_words >= 5
    assert set(lex.describe()["class"]) == {"neutral", "affirming", "distancing"}
    assert lex.fingerprint() == load_reporting_lexicon(DEFAULT_REPORTING_LEXICON).fingerprint()


@pytest.mark.parametrize("body, line, message", [
    ("neutral:\n  verbs: [قال]\ndistancing:\n  verbs:\n    - زعم\n    - قال\n", 6,
     "'قال' is listed twice (first on line 2, class 'neutral')"),
    ("neutral:\n  verbs: [قال]\n  adverbs: [ربما]\n", 3, "unknown key 'adverbs'"),
    ("neutral:\n  phrases: [نقلا]\n", 2, "phrase 'نقلا' is one word"),
    ("neutral: [قال]\n", 1, "class 'neutral': expected a mapping"),
    ("neutral:\n  verbs: قال\n", 2, "must be a list"),
    ("neutral:\n  verbs: [قال]\nmax_words: many\n", 3, "'max_words' must be a whole number"),
    ("neutral:\n  verbs: [قال]\nneutral:\n  verbs: [ذكر]\n", 3, "class 'neutral' is given twice (first on line 1)"),
    ("neutral:\n  verbs: [قال]\nstop: [في, {a: b}]\n", 3, "an entry must be a word or phrase"),
    ("neutral:\n  verbs: [قال\n", 3, ""),  # YAML syntax error: file and line
    ("neutral: !!python/object:os.system {}\n", 1, ""),
])
def test_lexicon_errors_name_file_and_line(tmp_path, body, line, message):
    path = tmp_path / "verbs.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_reporting_lexicon(path)
    assert str(e.value).startswith(f"{path}:{line}"), str(e.value)
    assert message in str(e.value)


def test_lexicon_file_problems(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_reporting_lexicon(tmp_path / "missing.yaml")
    (tmp_path / "empty.yaml").write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty lexicon file"):
        load_reporting_lexicon(tmp_path / "empty.yaml")
    (tmp_path / "cp1256.yaml").write_bytes("neutral:\n  verbs: [قال]\n".encode("cp1256"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_reporting_lexicon(tmp_path / "cp1256.yaml")
    (tmp_path / "nothing.yaml").write_text("lexicon: x\nstop: [في]\n", encoding="utf-8")
    with pytest.raises(InputError, match="no reporting words"):
        load_reporting_lexicon(tmp_path / "nothing.yaml")
    (tmp_path / "punct.yaml").write_text("neutral:\n  verbs:\n    - قال\n    - '،'\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"punct.yaml:4: entry '،' gives no word"):
        attributions("قال مصدر", lexicon=tmp_path / "punct.yaml")


def test_a_custom_lexicon_with_a_new_class():
    lex = parse_reporting_lexicon({"accusing": {"verbs": ["اتهم", "اتهمت"]}, "neutral": {"verbs": ["قال"]}})
    r = one("واتهم بيان للفصائل خلايا النظام بالتنسيق مع داعش.", lexicon=lex)
    assert (r["word"], r["class"], r["source"]) == ("واتهم", "accusing", "بيان للفصائل")


# ------------------------------------------------------------------------------------------ one text
def test_vso_the_source_after_the_verb():
    text = "زعمت قناة سما الموالية أن المسلحين انسحبوا من البلدة."
    r = one(text)
    assert (r["word"], r["class"], r["source"], r["outlet"], r["rule"]) == (
        "زعمت", "distancing", "قناة سما الموالية", "sama-tv", "after")
    assert text[r["start"]:r["end"]] == "زعمت"
    assert text[r["source_start"]:r["source_end"]] == "قناة سما الموالية"
    assert r["sentence"] == text and r["negated"] is False and r["source_key"] == "sama-tv"
    assert list(attributions(text).columns) == COLUMNS


@pytest.mark.parametrize("text, source", [
    ("وقال مصدر عسكري سوري إن الهجوم فشل.", "مصدر عسكري سوري"),           # indefinite nisba adjectives
    ("قال المرصد السوري لحقوق الإنسان إن 12 مدنيا قتلوا.", "المرصد السوري لحقوق الإنسان"),
    ("وأكد الناطق باسم الفصائل أن العملية مستمرة.", "الناطق باسم الفصائل"),
    ("أكدت مصادر إعلام محلية غياب دور قوات النظام في المعارك.", "مصادر إعلام محلية"),  # not the object
    ("نفى اليوم الأحد موقع درعا 24 الخبر.", "موقع درعا 24"),                  # time words passed over
    ("بدورها زعمت قناة سما شبه الرسمية للنظام في تقرير مصور أن ...", "قناة سما شبه الرسمية للنظام"),
    ("يروج النظام السوري لمشاريع إعادة الإعمار في البلدة.", "النظام السوري"),  # not the ل-object
    ("المسؤول الذي قالت عنه الصحيفة إنه استقال.", "الصحيفة"),               # عنه passed over
    ("في المقابل، نفى الدكتور علاء أبو النصر، الأمين العام للحزب، ذلك.", "الدكتور علاء أبو النصر"),  # titles
    ("وقال الرئيس بشار الأسد إن", "الرئيس بشار الأسد"),
    ("ضد ما وصفه النظام بالإرهاب.", "النظام"),                              # not «بالإرهاب»
])
def test_vso_noun_phrase_rules(text, source):
    assert one(text)["source"] == source


def test_svo_and_relative_clauses():
    r = one("رابطة أحرار حوران نفت أن تكون قوات النظام قد شاركت.")
    assert (r["word"], r["class"], r["source"], r["outlet"], r["rule"]) == (
        "نفت", "distancing", "رابطة أحرار حوران", "horan-free-league", "before")
    r = one("وعقدت القناة مقابلة مع أمين “فرع الحزب” الذي ادعى بدوره أن المشاركة واجبة.")
    assert (r["word"], r["source"], r["rule"]) == ("ادعى", "أمين “فرع الحزب”", "relative")
    df = attributions("المسؤول الذي قال إن الوضع هادئ، والمسؤولة التي قالت إنها ستعود.")
    assert list(zip(df["source"], df["rule"], df["source_key"])) == [
        ("المسؤول", "relative", "المسؤول"), ("والمسؤولة", "relative", "المسؤولة")]
    # «التي أعلن»: a feminine antecedent and a masculine verb: the antecedent is the object
    r = one("وهي الحملة التي أعلن مطلع الشهر عن انطلاقها.")
    assert (r["source"], r["rule"]) == ("", "none")
    # a definite word ends a construct chain: not «ختام الجولة بيان مقتضب»
    assert one("وصدر في ختام الجولة بيان مقتضب أشار إلى الاتفاق.")["source"] == "بيان مقتضب"
    assert one("وأكد أن الدولة تعمل على معالجة الصعوبات.")["rule"] == "none"


@pytest.mark.parametrize("text, word, source, outlet", [
    ("وقتل ثلاثة مدنيين، وفق موقع “درعا 24”.", "وفق", "موقع “درعا 24”", "daraa-24"),
    ("وبحسب الموقع فإن القصف استمر.", "وبحسب", "الموقع", ""),
    ("ارتفعت الحصيلة وفقاً لـ“المرصد السوري”.", "وفقاً لـ", "المرصد السوري", ""),
    ("ارتفعت الحصيلة وفقا للمرصد السوري.", "وفقا", "للمرصد السوري", ""),
    ("نقلا عن مصادر مطلعة، وصل الوفد.", "نقلا عن", "مصادر مطلعة", ""),
    ("وفق ما تناقله مواقع التواصل الاجتماعي.", "وفق", "مواقع التواصل الاجتماعي", ""),
    ("جاء ذلك على لسان صحيفة الوطن.", "على لسان", "صحيفة الوطن", "al-watan-sy"),
])
def test_prepositions_of_attribution(text, word, source, outlet):
    r = one(text)
    assert (r["word"], r["class"], r["source"], r["outlet"], r["rule"]) == (word, "neutral", source, outlet, "object")


def test_the_verb_of_waqf_ma_is_part_of_the_attribution():
    r = one("وبحسب ما أفادت به مصادر محلية، فإن القصف استمر.")
    assert (r["word"], r["source"]) == ("وبحسب", "مصادر محلية")


def test_clitics_and_spelling():
    assert found("وزعمت وكالة سانا أن الجيش تقدم، فيما نفت فصائل المعارضة ذلك.") == [
        ("وزعمت", "distancing", "وكالة سانا"), ("نفت", "distancing", "فصائل المعارضة")]
    assert one("وزعمت وكالة سانا أن الجيش تقدم.")["outlet"] == "sana"
    assert one("فأكّد المسؤولُ أن ...")["word"] == "فأكّد"           # diacritics as printed
    assert one("إدّعى المتحدث أن ...")["class"] == "distancing"      # hamza and shadda normalised
    assert one("ويؤكد ناشطون أن ...")["source"] == "ناشطون"
    assert one("وتـزعم الصحيفة أن ...")["class"] == "distancing"     # tatweel


def test_nouns_and_phrases():
    r = one("ورفض النظام مزاعم المعارضة حول الهجوم.")
    assert (r["word"], r["class"], r["source"], r["rule"]) == ("مزاعم", "distancing", "المعارضة", "genitive")
    df = attributions("وتروج وسائل النظام لعملياتها في مزاعمه المتكررة.")
    assert list(zip(df["word"], df["source"], df["rule"])) == [
        ("وتروج", "وسائل النظام", "after"), ("مزاعمه", "وسائل النظام", "carried")]
    r = one("ورفض بالادعاءات الأخيرة.")
    assert (r["class"], r["source"], r["rule"]) == ("distancing", "", "none")
    r = one("ضد ما وصفه النظام بالإرهاب.")
    assert (r["word"], r["source"], r["rule"]) == ("ما وصفه", "النظام", "after")
    r = one("وحذر من ما وصفته بـ\"وباء\" الانتحار.")                     # بـ + the label: no source
    assert (r["word"], r["source"], r["rule"]) == ("ما وصفته", "", "none")
    df = attributions("قال المتحدث عما أسماها “المشاركة الواجبة” إنها حاسمة.")
    assert list(zip(df["word"], df["source"], df["rule"])) == [
        ("قال", "المتحدث", "after"), ("عما أسماها", "المتحدث", "carried")]   # the quoted label is no source


def test_negation_is_marked():
    r = one("ولم ينفِ النظام هذه الأنباء.")
    assert (r["word"], r["source"], r["negated"]) == ("ينفِ", "النظام", True)
    assert one("ونفى النظام هذه الأنباء.")["negated"] is False


@pytest.mark.parametrize("text", [
    "هذا ما حصل فحسب.",                                  # ف + حسب: "only"
    "قالب الحلوى جاهز والزعيم وصل.",                       # words that start like قال / زعم
    "انتهت الجولة دون تقدم يذكر.",                          # «يذكر» is not in the lexicon
    "وكالة الأنباء تعمل منذ سنوات، والمقالات كثيرة.",
    "حسب.",                                               # a preposition without object
    "",
])
def test_words_that_are_not_attributions(text):
    assert attributions(text).empty


def test_outlets_one_word_aliases_need_a_media_head():
    assert one("وقالت مصادر إعلام الثورة إن الوضع سيء.")["outlet"] == ""
    assert one("وقالت صحيفة الثورة إن الوضع سيء.")["outlet"] == "al-thawra"
    assert one("وقالت سما إن الوضع هادئ.")["outlet"] == "sama-tv"
    assert one("وقالت سما إن الوضع هادئ.", registry=False)["outlet"] == ""


def test_every_offset_points_at_what_was_printed():
    text = "زعمت «قناة سما» أن ...\nوبحسب الموقع، فإن ...؛ ونفت رابطة أحرار حوران ذلك."
    df = attributions(text)
    assert len(df) == 3
    for r in df.itertuples():
        assert text[r.start:r.end] == r.word
        assert text[r.source_start:r.source_end] == r.source
    assert df["source"].tolist() == ["«قناة سما»", "الموقع", "رابطة أحرار حوران"]
    assert df["sentence"].tolist()[1] == "وبحسب الموقع، فإن ...؛ ونفت رابطة أحرار حوران ذلك."


# ------------------------------------------------------------------------------------------ the fixture
def test_fixture_article_jasim():
    """The real Syrian opposition article about Jasim: every attribution, exactly."""
    text = need_shared(FIXTURE).read_text(encoding="utf-8")
    df = attributions(text)
    got = list(zip(df["word"], df["class"], df["source"], df["outlet"], df["rule"]))
    assert got == [
        ("أكدت", "affirming", "مصادر إعلام محلية", "", "after"),
        ("ادعاءات", "distancing", "وسائل إعلام النظام الرسمية وشبه الرسمية", "", "genitive"),
        ("نفى", "distancing", "موقع تجمع أحرار حوران الإعلامي", "horan-free-league", "after"),
        ("أكد", "affirming", "الموقع", "", "after"),
        ("بحسب", "neutral", "الموقع", "", "object"),
        ("وفق", "neutral", "موقع “درعا 24”", "daraa-24", "object"),
        ("زعمت", "distancing", "قناة سما شبه الرسمية للنظام", "sama-tv", "after"),
        ("وفق", "neutral", "القناة", "", "object"),
        ("ادعى", "distancing", "أمين “فرع الحزب”", "", "relative"),
        ("عما أسماها", "distancing", "أمين “فرع الحزب”", "", "carried"),
        ("وتروج", "distancing", "وسائل النظام", "", "after"),
        ("مزاعمه", "distancing", "وسائل النظام", "", "carried"),
        ("أعلن", "neutral", "", "", "none"),
        ("وفق", "neutral", "مواقع التواصل الاجتماعي", "", "object"),
    ]
    for r in df.itertuples():
        assert text[r.start:r.end] == r.word
        if r.source:
            assert text[r.source_start:r.source_end] == r.source
            assert r.source_start >= 0 and r.sentence.count(r.source.split()[0])
    assert not df["negated"].any()


# ------------------------------------------------------------------------------------------ a corpus
CAMPS = [
    ("r1", "sawt-al-dawla", "2024-01-01", "زعمت نافذة الشمال أن القصف طال المدنيين. وقال مصدر عسكري إن الوضع هادئ."),
    ("r2", "al-hisn-al-watani", "2024-01-02", "وأكدت وزارة الدفاع أن العملية نجحت، وفق وكالة سانا."),
    ("o1", "nafidhat-al-shimal", "2024-01-01", "وزعمت صوت الدولة أن الهدوء عاد، فيما نفى ناشطون ذلك."),
    ("o2", "sijil-al-huriya", "2024-01-03", "وقال ناشطون إن القصف استمر، بحسب نافذة الشمال."),
]


def test_attribution_table_counts_sources_per_camp(tmp_path):
    store = import_articles(tmp_path, CAMPS)
    a = Analysis(store, cache_dir=tmp_path / "cache")
    counts = corpus_attributions(a)
    assert len(counts.rows) == 8 and set(counts.rows["id"]) == {"r1", "r2", "o1", "o2"}
    assert counts.docs["words"].sum() > 0
    table = attribution_table(counts, by="camp")
    assert table.attrs["groups"] == ["opposition", "regime"]
    assert table.attrs["classes"] == ["neutral", "affirming", "distancing"]

    def row(group, source, cls):
        hit = table[(table["group"] == group) & (table["source"] == source) & (table["class"] == cls)]
        assert len(hit) == 1, (group, source, cls)
        return hit.iloc[0]

    r = row("regime", "nafidhat-al-shimal", "distancing")    # the regime cites the opposition outlet with زعمت
    assert (r["count"], r["outlet"], r["cited_camp"], r["share"]) == (1, "nafidhat-al-shimal", "opposition", 1.0)
    r = row("opposition", "nafidhat-al-shimal", "neutral")   # ... the opposition with بحسب
    assert (r["count"], r["share"], r["source_total"]) == (1, 1.0, 1)
    r = row("opposition", "sawt-al-dawla", "distancing")
    assert r["cited_camp"] == "regime"
    r = row("opposition", "ناشطون", "distancing")
    assert (r["count"], r["source_total"], r["share"]) == (1, 2, 0.5)
    assert row("regime", "وكالة سانا", "neutral")["count"] == 1   # the store's registry is the demo one
    assert table.groupby("group")["group_share"].sum().round(9).tolist() == [1.0, 1.0]

    rates = attribution_rates(counts, by="camp")
    assert rates.shape == (6, 8)
    reg = rates[rates["group"] == "regime"].set_index("class")
    assert reg["count"].to_dict() == {"neutral": 2, "affirming": 1, "distancing": 1}
    words = int(counts.docs.loc[counts.docs["camp"] == "regime", "words"].sum())
    assert reg.loc["distancing", "per_10k"] == pytest.approx(1 / words * 10_000)
    assert table.attrs["rates"] == rates.to_dict(orient="records")
    whole = attribution_rates(counts, by=None)
    assert whole["group"].unique().tolist() == ["all"] and whole["count"].sum() == 8


def test_demo_corpus_table_is_fast(demo_store, tmp_path):
    a = Analysis(demo_store, cache_dir=tmp_path / "cache")
    t0 = time.perf_counter()
    table = attribution_table(a, by="camp")
    seconds = time.perf_counter() - t0
    assert seconds < 15, seconds                   # about 1 s on a laptop; generous for slow CI
    assert set(table["group"]) == {"regime", "opposition"}
    rates = pd.DataFrame(table.attrs["rates"]).set_index(["group", "class"])
    assert rates.loc[("regime", "neutral"), "count"] > 100
    assert rates.loc[("opposition", "neutral"), "count"] > 100
    # distancing: the planted cross-camp sentences (one per chosen article) and a few of the templates
    planted = sum(c["distancing"]["total"] for c in _demo_planted()["per_camp"].values())
    assert planted <= rates.xs("distancing", level="class")["count"].sum() < planted + 5


def test_cli_attribution(tmp_path, capsys):
    store = import_articles(tmp_path, CAMPS)
    out, rows = tmp_path / "table.csv", tmp_path / "rows.csv"
    code = main(["attribution", "--store", str(store), "--cache", str(tmp_path / "cache"), "--top", "3",
                 "--out", str(out), "--rows", str(rows)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "per 10,000 words" in printed and "regime: the 3 sources cited most" in printed
    assert "nafidhat-al-shimal" in printed
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert {"group", "source", "class", "count", "share"} <= set(table.columns)
    every = pd.read_csv(rows, encoding="utf-8-sig")
    assert len(every) == 8 and "sentence" in every.columns
    assert main(["attribution", "--store", str(store), "--by", "nosuchcolumn",
                 "--cache", str(tmp_path / "cache")]) == 2
    assert "cannot group by 'nosuchcolumn'" in capsys.readouterr().err
    (tmp_path / "bad.yaml").write_text("neutral:\n  verbs: [قال, قال]\n", encoding="utf-8")
    assert main(["attribution", "--store", str(store), "--lexicon", str(tmp_path / "bad.yaml"),
                 "--cache", str(tmp_path / "cache")]) == 2
    assert "bad.yaml:2: 'قال' is listed twice" in capsys.readouterr().err


# ------------------------------------------------------------------ the demo corpus' planted stances
def _demo_planted():
    import yaml

    from conftest import ROOT
    return yaml.safe_load((ROOT / "corpus" / "demo" / "planted.yaml").read_text(encoding="utf-8"))["attributions"]


def test_demo_corpus_each_camp_distances_the_other(demo_store, tmp_path):
    """make_demo.py plants, in about a third of each camp's articles, «وزعمت [other camp] أن ... في حين
    أكدت [own source] أن ...»: the table recovers every planted count, per camp, class and source."""
    planted = _demo_planted()
    table = attribution_table(Analysis(demo_store, cache_dir=tmp_path / "cache"), by="camp")
    key = {s["source"]: s["outlet"] or s["source"] for c in planted["sources"].values() for s in c}
    for camp, other in (("regime", "opposition"), ("opposition", "regime")):
        p = planted["per_camp"][camp]
        assert p["articles"] == p["sentences"] >= 40
        t = table[table["group"] == camp]

        def count(source, cls):
            return int(t.loc[(t["source"] == key[source]) & (t["class"] == cls), "count"].sum())

        for source, n in p["distancing"]["by_source"].items():     # the other camp's sources, distanced
            assert (count(source, "distancing"), count(source, "affirming")) == (n, 0), (camp, source)
        for source, n in p["affirming"]["by_source"].items():      # its own sources, affirmed
            assert (count(source, "affirming"), count(source, "distancing")) == (n, 0), (camp, source)
        # sources that resolve to registry outlets: cited_camp says whose outlet it is
        cited = t[t["count"] > 0].groupby(["class", "cited_camp"])["count"].sum()
        assert cited.get(("distancing", other), 0) == p["distancing"]["by_kind"]["outlet"] > 0
        assert cited.get(("distancing", camp), 0) == 0
        assert cited.get(("affirming", camp), 0) == p["affirming"]["by_kind"]["outlet"] > 0
        assert cited.get(("affirming", other), 0) == 0
        # mostly: nearly every distancing verb of the camp is attached to the other camp's sources
        dist = t[t["class"] == "distancing"]
        assert p["distancing"]["total"] >= 0.95 * dist["count"].sum()


def test_corpus_attributions_are_cached_with_everything_they_depend_on(demo_store, tmp_path, monkeypatch):
    """A second run of the same analysis reads the cache (same tables, nothing re-read); another
    lexicon or a damaged cache file computes afresh."""
    from workbench.reading import attribution

    first = corpus_attributions(Analysis(demo_store, cache_dir=tmp_path / "cache"))
    files = sorted(p.name for p in (tmp_path / "cache" / "attributions").iterdir())
    assert len(files) == 2 and files[0].endswith(".npz") and files[1].endswith(".parquet")
    calls = []
    real = attribution._attribute_chunk
    monkeypatch.setattr(attribution, "_attribute_chunk", lambda chunk: calls.append(1) or real(chunk))
    again = corpus_attributions(Analysis(demo_store, cache_dir=tmp_path / "cache"))
    assert not calls
    pd.testing.assert_frame_equal(again.rows, first.rows)
    pd.testing.assert_frame_equal(again.docs, first.docs)
    small = {"neutral": {"verbs": ["قال"]}}
    other = corpus_attributions(Analysis(demo_store, cache_dir=tmp_path / "cache"), small)
    assert calls and set(other.rows["class"]) == {"neutral"}
    calls.clear()
    (tmp_path / "cache" / "attributions" / files[1]).write_bytes(b"not parquet")
    fresh = corpus_attributions(Analysis(demo_store, cache_dir=tmp_path / "cache"))
    assert calls
    pd.testing.assert_frame_equal(fresh.rows, first.rows)
