"""Clean topics (issue 12): reporting verbs out of counts but not out of reading, near-empty and
numeral topics flagged and left out of figures, names never blank, typical titles without repeats,
K scaled to the corpus, and a too-small selection degrades to a note instead of failing."""
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, import_articles, side_by_side
from workbench.analysis import Analysis
from workbench.matrix import DocumentTermMatrix
from workbench.text import TextSettings
from workbench.text.normalise import normalise
from workbench.text.settings import load_word_list
from workbench.topics import (TopicError, TopicModel, check_topic_data, default_k_range, default_topic_name,
                              fit_topics, topic_flags, topic_table, typical_documents)
from workbench.topics.labels import FLAG_NEAR_EMPTY, FLAG_NUMERAL

FRAMING = ROOT / "notebooks" / "framing_report.ipynb"

#: The boilerplate of issue 12, as printed: each must be a stop word, matched after normalisation.
BOILERPLATE = ["قال", "وقال", "قالت", "وأضاف", "أضاف", "قائلاً", "وأشار", "وأوضح", "مشيراً", "مضيفاً", "وتابع",
               "لافتاً", "أكد", "وأكد", "مؤكداً", "تم", "وتم", "يتم"]
#: Words that must stay: stance verbs (keyness compares them), time words, sources, ambiguous forms.
KEPT = ["زعم", "ادعى", "نفى", "كشف", "اليوم", "أمس", "مصدر", "مصادر", "لافتة", "مشيرة", "مؤكدة", "تابع"]


def _stopwords(settings=None):
    s = settings or TextSettings()
    return {normalise(w, s) for w in load_word_list(None)}


# ---------------------------------------------------------------------------------- stop list

def test_stop_list_holds_reporting_verbs_in_their_normalised_form():
    stop = _stopwords()
    missing = [w for w in BOILERPLATE if normalise(w, TextSettings()) not in stop]
    assert not missing, f"not stop words: {missing}"
    kept = [w for w in KEPT if normalise(w, TextSettings()) in stop]
    assert not kept, f"must not be stop words: {kept}"
    # the folded spellings of the tokeniser are what is matched: وأضاف is listed, واضاف is removed
    assert normalise("وأضاف", TextSettings()) == "واضاف"


TEXTS = [
    "وقال وزير الزراعة إن محصول القمح وفير هذا الموسم، وأضاف أن الحكومة اشترت القمح من المزارعين قائلاً إن الأسعار عادلة.",
    "أكد محافظ المدينة أن المياه عادت إلى الأحياء، مشيراً إلى أن فرق الصيانة أصلحت الأنابيب. وتم افتتاح محطة جديدة.",
    "وأوضح المتحدث أن الانتخابات المحلية تجري في موعدها، لافتاً إلى أن المرشحين سجلوا أسماءهم. وتابع: الإقبال كبير.",
    "قالت مصادر محلية إن القصف استهدف السوق، مضيفاً أن الجرحى نقلوا إلى المستشفى. وأشار ناشطون إلى سقوط ضحايا.",
]


@pytest.fixture(scope="module")
def wire(tmp_path_factory):
    rows = [(f"w{i}", "sawt-al-dawla" if i < len(TEXTS) else "nafidhat-al-shimal", f"2024-01-{i + 1:02d}", t)
            for i, t in enumerate(TEXTS * 2)]  # each text in a regime and an opposition outlet
    return Analysis(import_articles(tmp_path_factory.mktemp("wire"), rows))


def test_reporting_verbs_leave_counts_and_topics_but_stay_in_concordances_and_attribution(wire):
    from workbench.reading.attribution import corpus_attributions
    from workbench.reading.kwic import kwic

    forms = {normalise(w, wire.settings) for w in ["وقال", "وأضاف", "قائلاً", "أكد", "مشيراً", "وأوضح", "لافتاً",
                                                   "وتابع", "قالت", "مضيفاً", "وأشار", "وتم"]}
    for vocab in (set(wire.matrix().vocab), set(wire.topic_matrix(min_df=1, max_df=1.0).vocab)):
        assert not forms & vocab, forms & vocab
        assert {"القمح", "الانتخابات"} <= vocab  # content words are counted
    # concordances read every word
    lines = kwic(wire, "وأضاف")
    assert len(lines) == 2 and set(lines["keyword"]) == {"وأضاف"}
    assert len(kwic(wire, "قائلا")) == 2 and len(kwic(wire, "تم", clitics=True)) == 2
    # attribution finds them in the unfiltered text
    rows = corpus_attributions(wire).rows
    found = {normalise(w, wire.settings) for w in rows["word"]}
    assert {"وقال", "واضاف", "اكد", "واوضح", "قالت"} <= found, found


def test_keyness_drops_them_too(wire):
    table = wire.compare("camp", "regime", "opposition", min_count=1)
    assert not {"وقال", "واضاف", "قائلا", "اكد"} & set(table["term"])


# ---------------------------------------------------------------------------------- flags, names, titles

class _State:
    def __init__(self, lam):
        self.lam = lam

    def get_lambda(self):
        return self.lam


def _model(lam, theta, vocab, titles=None, doc_lengths=None) -> TopicModel:
    """A TopicModel around a hand-made topic-word matrix ``lam`` (K × V) and θ (D × K)."""
    lam, theta = np.asarray(lam, float), np.asarray(theta, float)
    docs = pd.DataFrame({"id": [f"d{i}" for i in range(theta.shape[0])]})
    if titles is not None:
        docs["title"] = titles
    lengths = np.full(theta.shape[0], 100) if doc_lengths is None else np.asarray(doc_lengths)
    tf = np.maximum((lam / lam.sum(axis=1, keepdims=True) * 1000).sum(axis=0).round(), 1).astype(np.int64)
    return TopicModel(model=SimpleNamespace(state=_State(lam)), vocab=pd.Index(vocab, dtype=object), docs=docs,
                      theta=theta, term_frequency=tf, doc_lengths=lengths, params={})


WORDS = [f"كلمة{i}" for i in range(40)]
NUMS = ["25", "2013", "10", "٣٠", "15", "100", "2012", "50", "7", "12"]


def _three_topics(titles=None):
    """Topic 0: words; topic 1: 7 numbers and 3 words on top; topic 2: nothing (flat, almost no θ)."""
    V = len(WORDS) + len(NUMS)
    lam = np.full((3, V), 0.01)
    lam[0, :20] = np.linspace(50, 10, 20)
    lam[1, 40:47] = np.linspace(60, 30, 7)
    lam[1, 20:23] = 20
    theta = np.zeros((12, 3))
    theta[:8] = [0.949, 0.05, 0.001]
    theta[8:] = [0.05, 0.949, 0.001]
    return _model(lam, theta, WORDS + NUMS, titles=titles)


def test_topic_flags_numeral_and_near_empty():
    tm = _three_topics()
    flags = topic_flags(tm)
    assert list(flags) == ["", FLAG_NUMERAL, FLAG_NEAR_EMPTY]
    assert flags.attrs["min_prevalence"] == 0.005
    assert list(topic_flags(tm, numeral_share=0.7)) == ["", FLAG_NUMERAL, FLAG_NEAR_EMPTY]  # 7 of 10 numbers
    assert list(topic_flags(tm, numeral_share=0.8)) == ["", "", FLAG_NEAR_EMPTY]
    assert list(topic_flags(tm, min_prevalence=0.0)) == ["", FLAG_NUMERAL, ""]
    table = topic_table(tm, n_titles=0)
    assert list(table["flag"]) == ["", FLAG_NUMERAL, FLAG_NEAR_EMPTY]
    assert list(table.columns[:4]) == ["topic", "name", "flag", "prevalence"]
    with pytest.raises(TopicError, match="min_prevalence"):
        topic_flags(tm, min_prevalence=2)


def test_numeral_topic_of_a_constructed_corpus_is_flagged():
    """A real LDA fit: articles of prices and scores give a topic made of numbers, and it is flagged."""
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    vocab = WORDS + NUMS
    rows = []
    for d in range(60):
        lo, hi = ((0, 20), (20, 40), (40, 50))[d % 3]
        counts = np.zeros(len(vocab), int)
        counts[lo:hi] = rng.poisson(3, hi - lo)
        rows.append(counts)
    dtm = DocumentTermMatrix(sp.csr_matrix(np.array(rows)), pd.Index(vocab, dtype=object),
                             pd.DataFrame({"id": [f"d{i}" for i in range(60)], "title": [f"t{i}" for i in range(60)]}))
    tm = fit_topics(dtm, 3, seed=1, passes=20)
    flags = topic_flags(tm)
    assert (flags == FLAG_NUMERAL).sum() == 1 and (flags == "").sum() == 2, flags.tolist()


def test_names_are_never_blank():
    tm = _three_topics()
    names = topic_table(tm, n_titles=0, names={1: "أسعار", 2: "   "})["name"].tolist()
    assert names == [default_topic_name(0), "أسعار", default_topic_name(2)]
    assert default_topic_name(2) == "الموضوع 2 — Topic 2"
    assert all(topic_table(tm, n_titles=0)["name"].str.strip())
    from workbench.plots.topics import topic_terms_frame

    assert topic_terms_frame(tm, 3, names={1: "أسعار"})["name"].tolist() == [default_topic_name(0), "أسعار",
                                                                             default_topic_name(2)]


def test_typical_titles_are_not_repeated():
    same = "الجيش يستعيد السيطرة على البلدة"
    titles = [same, same, "الجيش  يستعيد السيطرة على البلدة ", "الجيشُ يستعيد السيطرة على البلدة", "خبر آخر",
              None, None, "ثالث", "a", "b", "c", "d"]
    tm = _three_topics(titles)
    typ = typical_documents(tm, 3, columns=("id", "title"))
    top0 = typ[typ["topic"] == 0]
    assert top0["id"].tolist() == ["d0", "d4", "d5"] and top0["rank"].tolist() == [1, 2, 3]
    raw = typical_documents(tm, 3, columns=("id", "title"), distinct=None)
    assert raw[raw["topic"] == 0]["id"].tolist() == ["d0", "d1", "d2"]
    # articles without a title are never hidden behind each other
    more = typical_documents(tm, 4, columns=("id", "title"))
    assert more[more["topic"] == 0]["id"].tolist() == ["d0", "d4", "d5", "d6"]
    for cell in topic_table(tm, n_titles=3)["titles"]:
        parts = cell.split(" | ")
        assert len(parts) == len(set(parts)), cell


# ---------------------------------------------------------------------------------- figures

def test_figures_leave_flagged_topics_out_and_say_so():
    from workbench.plots.topics import (left_out_note, prevalence_difference_plot, prevalence_heatmap,
                                        prevalence_over_time_plot, prevalence_plot, topic_map_plot)

    flags = pd.Series(["", "numeral", "near-empty", ""], index=range(4))
    labels = {t: f"{t}: موضوع" for t in range(4)}
    prev = pd.DataFrame({"topic": [0, 0, 1, 1, 2, 2, 3, 3], "group": ["a", "b"] * 4,
                         "prevalence": [0.4, 0.3, 0.1, 0.2, 0.001, 0.0, 0.5, 0.5], "lower": 0.0, "upper": 0.6,
                         "n_docs": 5})
    note = left_out_note({1: "numeral", 2: "near-empty"})
    assert note == "left out: topic 1 (numeral), topic 2 (near-empty) — see the topic table"

    def texts(fig):
        return " ".join(t.get_text() for ax in fig.axes for t in ax.get_yticklabels() + ax.texts) + " " + \
            " ".join(t.get_text() for t in fig.texts) + (fig._supxlabel.get_text() if fig._supxlabel else "")

    fig = prevalence_plot(prev, labels, leave_out=flags)
    shown = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(shown) == 2 and not any(s.lstrip("\u200f").startswith(("1:", "2:")) for s in shown), shown
    assert note in texts(fig)
    heat = prevalence_heatmap(prev, labels, leave_out=flags)
    assert heat.axes[0].images[0].get_array().shape == (2, 2) and note in texts(heat)
    diff = pd.DataFrame({"topic": range(4), "difference": [0.1, -0.1, 0.0, 0.2], "lower": -0.1, "upper": 0.3})
    d = prevalence_difference_plot(diff, labels, leave_out=flags)
    assert len(d.axes[0].get_yticklabels()) == 2 and note in texts(d)
    over = pd.DataFrame({"topic": np.repeat(range(4), 2), "period": pd.to_datetime(["2024-01-01", "2024-02-01"] * 4),
                         "group": "a", "prevalence": 0.2})
    o = prevalence_over_time_plot(over, labels, leave_out=flags)
    assert len([ax for ax in o.axes if ax.get_visible()]) == 2 and note in texts(o)
    m = pd.DataFrame({"topic": range(4), "x": [0.0, 1, 2, 3], "y": [0.0, 1, 0, 1], "prevalence": [0.4, 0.1, 0.0, 0.5],
                      "label": [labels[t] for t in range(4)]})
    mp = topic_map_plot(m, leave_out=flags)
    assert len(mp.axes[0].collections[0].get_offsets()) == 2 and note in texts(mp)
    # no flags: nothing is left out and no note
    assert "left out" not in texts(prevalence_plot(prev, labels, leave_out=pd.Series([""] * 4)))


# ---------------------------------------------------------------------------------- K and small selections

def test_default_k_range_scales_with_the_corpus():
    assert default_k_range(300) == [4, 6, 8, 10]
    assert default_k_range(31_214) == [10, 15, 20, 25, 30]
    assert default_k_range(3_000) == [5, 10, 15, 20]
    assert default_k_range(100) == [2, 3, 4, 5]
    uppers = [max(default_k_range(n)) for n in (10, 100, 300, 1_000, 3_000, 10_000, 31_214, 100_000, 10**6)]
    assert uppers == sorted(uppers) and min(min(default_k_range(n)) for n in (0, 1, 50)) >= 2
    for n in (50, 300, 5_000, 31_214, 10**6):
        ks = default_k_range(n)
        assert 2 <= len(ks) <= 6 and ks == sorted(set(ks))
    with pytest.raises(TopicError):
        default_k_range(-1)


def _matrix(n_docs, n_terms, seed=0, empty_from=None):
    import scipy.sparse as sp

    counts = np.random.default_rng(seed).poisson(1.0, (n_docs, n_terms))
    counts[empty_from:] = 0 if empty_from is not None else counts[empty_from:]
    X = sp.csr_matrix(counts)
    return DocumentTermMatrix(X, pd.Index([f"w{i}" for i in range(n_terms)], dtype=object),
                              pd.DataFrame({"id": [f"d{i}" for i in range(n_docs)]}))


def test_check_topic_data_gives_a_reason_on_a_tiny_selection():
    why = check_topic_data(_matrix(12, 400), [4, 6])
    assert why is not None and "only 12 article(s)" in why and "at least 50" in why
    assert check_topic_data(_matrix(300, 400), default_k_range(300)) is None
    why = check_topic_data(_matrix(100, 400), [30])
    assert "K = 30 needs at least 150" in why
    why = check_topic_data(_matrix(300, 60), [10])
    assert "only 60 distinct term(s)" in why and "at least 100" in why
    assert "only 40 article(s)" in check_topic_data(_matrix(80, 400, empty_from=40))  # 40 without a word
    with pytest.raises(TopicError, match="k must be ≥ 2"):
        check_topic_data(_matrix(300, 400), [1])


def test_check_topic_data_on_a_date_window_of_the_demo(demo_store):
    small = Analysis(demo_store, start="2024-03-01", end="2024-03-05")
    why = check_topic_data(small.topic_matrix(min_df=2, max_df=0.5), default_k_range(len(small.docs)))
    assert why is not None and "a topic model needs at least 50" in why


# ---------------------------------------------------------------------------------- the report

def _topics_cell():
    nb = json.loads(FRAMING.read_text(encoding="utf-8"))
    return "".join(next(c["source"] for c in nb["cells"]
                        if "".join(c["source"]).startswith('with report.section("topics"):')))


def test_report_uses_the_scaled_k_range_the_check_and_the_flags():
    from workbench.reports.parameters import declared_parameters

    p = declared_parameters(FRAMING)["k_range"]
    assert p.default is None and p.optional
    src = _topics_cell()
    for needle in ("default_k_range(", "check_topic_data(", "leave_out=flags", "left_out_note("):
        assert needle in src, needle
    assert src.count("leave_out=flags") == 5  # prevalence, heat map, difference, over time, map


@pytest.fixture(scope="module")
def reports(demo_store, tmp_path_factory):
    """The two framing reports of the tests below, run side by side (each in its own folder): on a
    short window (``window``) and with K = 25 (``k25``). Futures: a test raises its run's error."""
    from workbench.reports.run import run_report

    def run(name, params):
        return lambda: run_report(FRAMING, cli_params=[("store", str(demo_store)), *params],
                                  out=tmp_path_factory.mktemp(name), pdf=False)

    window, k25 = side_by_side(run("window", [("start", "2024-03-01"), ("end", "2024-03-10"), ("stories", "false")]),
                               run("k25", [("k", "25"), ("k_range", ""), ("stories", "false"),
                                          # gensim's variational LDA leaves near-empty topics at K = 25 on 300
                                          # articles (tomotopy's Gibbs sampler does not): what the flags are for
                                          ("topic_backend", "gensim")]))
    return SimpleNamespace(window=window, k25=k25)


@pytest.mark.slow
def test_report_on_a_short_window_says_why_there_are_no_topics_and_goes_on(reports):
    res = reports.window.result()
    html = (res.folder / "report.html").read_text(encoding="utf-8")
    assert "no topic model: only" in html and "needs at least 50" in html
    m = json.loads((res.folder / "manifest.json").read_text(encoding="utf-8"))
    assert [s["section"] for s in m["sections"]][-3:] == ["reading", "stories", "reproducibility"]
    assert not (res.folder / "tables" / "topics.csv").exists()
    assert (res.folder / "tables" / "keyness_top_terms.csv").exists()


@pytest.mark.slow
def test_report_k25_on_the_demo_leaves_near_empty_topics_out_of_figures(reports):
    res = reports.k25.result()
    table = pd.read_csv(res.folder / "tables" / "topics.csv", keep_default_na=False)
    assert table["name"].str.strip().all() and (table["flag"] != "").any()
    for cell in table["titles"]:
        assert len(cell.split(" | ")) == len(set(cell.split(" | ")))
    flagged = table.loc[table["flag"] != "", "topic"].tolist()
    html = (res.folder / "report.html").read_text(encoding="utf-8")
    assert "left out: " + ", ".join(f"topic {t}" for t in flagged[:1]) in html
    prev = pd.read_csv(res.folder / "tables" / "topic_prevalence.csv")
    assert set(flagged) <= set(prev["topic"])  # kept in the tables


@pytest.mark.slow
def test_egypt2013_reporting_verbs_are_gone_from_the_topic_matrix_not_from_kwic(egypt_analysis):
    from workbench.reading.kwic import kwic

    a = egypt_analysis  # Analysis(egypt_store), shared with the other tests of the real corpus
    vocab = set(a.topic_matrix(min_df=2, max_df=0.5).vocab)
    assert not {"وقال", "واضاف", "قال", "قائلا", "مشيرا", "واكد", "اكد", "واشار", "واوضح", "تم"} & vocab
    assert {"مصر", "مرسي", "الاخوان"} <= vocab
    assert len(kwic(a, "وأضاف", limit=5)) == 5
