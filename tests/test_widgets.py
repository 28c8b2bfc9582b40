"""The workshop widgets (workbench.widgets) driven without a kernel: set a child widget's value, read
the HTML and PNG shown. Keyness on the demo corpus (planted camp terms change sides when target and
reference swap), concordances (lines of a typed word, messages for no match and bad patterns),
naming tables per actor, and escaping of every corpus string on a hostile store."""
import html
import json
import re
import subprocess
import sys
import unicodedata

import ipywidgets
import pytest

from workbench.analysis import Analysis
from workbench.widgets import (ALL_OTHERS, ConcordanceView, KeynessView, concordance_view, concordance_widget,
                               keyness_view, keyness_widget, naming_widget)

from conftest import ROOT

PNG = b"\x89PNG\r\n\x1a\n"
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def analysis(demo_store):
    """One analysis of the demo corpus for the module: tokens, matrix and lexicon counts are memoised."""
    return Analysis(demo_store)


def cells(fragment: str) -> list[str]:
    """The text of every table cell of an HTML fragment, unescaped."""
    return [html.unescape(re.sub(r"<[^>]*>", "", c)).strip()
            for c in re.findall(r"<td\b[^>]*>(.*?)</td>", fragment, flags=re.S)]


def rows(fragment: str) -> int:
    body = fragment.split("<tbody>", 1)[-1]
    return len(re.findall(r"<tr\b", body))


def png_width(data) -> int:
    data = bytes(data)
    assert data.startswith(PNG)
    return int.from_bytes(data[16:20], "big")


def html_values(widget) -> list[str]:
    """Every HTML widget value in a widget tree."""
    out = [widget.value] if isinstance(widget, ipywidgets.HTML) else []
    for child in getattr(widget, "children", ()):
        out += html_values(child)
    return out


def text(s: str) -> str:
    """Printed Arabic without diacritics and tatweel (the demo's noise), for comparing words."""
    return "".join(c for c in s if unicodedata.category(c) != "Mn" and c != "ـ")


# ---------------------------------------------------------------------------------------------- import

def test_module_imports_quickly_without_the_heavy_modules():
    code = ("import sys, time; t = time.perf_counter(); import workbench.widgets; t = time.perf_counter() - t; "
            "print(t, [m for m in ('matplotlib', 'pandas', 'workbench.analysis', 'workbench.reading.kwic') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    seconds, heavy = out.stdout.split(" ", 1)
    assert heavy.strip() == "[]"
    assert float(seconds) < 3.0  # about 0.2 s for ipywidgets itself


# ---------------------------------------------------------------------------------------------- keyness

def test_keyness_widget_is_a_vbox_with_its_controls(analysis):
    w = keyness_widget(analysis, chart=False)
    assert isinstance(w, ipywidgets.VBox)
    assert w.group.value == "camp"
    assert {"camp", "outlet", "month", "section"} <= set(w.group.options)
    assert not {"id", "title", "date", "url", "n_words"} & set(w.group.options)
    assert list(w.target.options) == ["opposition", "regime"]
    assert list(w.reference.options) == [ALL_OTHERS, "opposition", "regime"]
    assert (w.target.value, w.reference.value) == ("opposition", "regime")  # two groups: one against the other


def test_changing_target_and_reference_moves_the_planted_terms(analysis):
    w = keyness_widget(analysis, chart=False, n=15)
    w.target.value, w.reference.value = "regime", "opposition"
    target, reference = cells(w.target_table.value), cells(w.reference_table.value)
    assert "الدولة" in target and "المختصة" in target  # planted regime terms
    assert "النظام" in reference and "النظام" not in target
    assert "regime ↔ opposition" in html.unescape(w.message.value)
    assert rows(w.target_table.value) == 15

    w.target.value, w.reference.value = "opposition", "regime"
    target, reference = cells(w.target_table.value), cells(w.reference_table.value)
    assert "النظام" in target and "الدولة" in reference
    assert "الدولة" not in target


def test_same_target_and_reference_is_a_message_not_an_error(analysis):
    w = keyness_widget(analysis)
    assert bytes(w.chart.value).startswith(PNG)
    w.reference.value = w.target.value
    assert "both «opposition»" in html.unescape(w.message.value)
    assert w.target_table.value == w.reference_table.value == ""
    assert w.chart.layout.display == "none" and bytes(w.chart.value) == b""
    view = keyness_view(analysis, "camp", "regime", "regime")
    assert isinstance(view, KeynessView) and "both «regime»" in view.message and view.png is None


def test_all_others_and_another_group_column(analysis):
    w = keyness_widget(analysis, chart=False)
    w.target.value, w.reference.value = "regime", ALL_OTHERS
    assert "not regime" in html.unescape(w.message.value)
    assert "الدولة" in cells(w.target_table.value)

    w.group.value = "outlet"
    outlets = sorted(analysis.docs["outlet"].astype(str).unique())
    assert list(w.target.options) == outlets and list(w.reference.options) == [ALL_OTHERS] + outlets
    assert (w.target.value, w.reference.value) == (outlets[0], ALL_OTHERS)  # six outlets: one against the rest
    assert f"more used by {outlets[0]}" in w.target_table.value
    w.target.value = "al-hisn-al-watani"  # the military outlet: «البواسل» only here
    assert "البواسل" in cells(w.target_table.value)


def test_each_choice_is_computed_once(analysis):
    calls = []

    class Counting:
        docs = analysis.docs

        def compare(self, *args, **kwargs):
            calls.append(args)
            return analysis.compare(*args, **kwargs)

    w = keyness_widget(Counting(), chart=False)
    first = w.target_table.value
    w.target.value, w.reference.value = "regime", "opposition"
    w.target.value, w.reference.value = "opposition", "regime"
    assert w.target_table.value == first
    assert calls == [("camp", "opposition", "regime"), ("camp", "regime", "opposition")]


def test_the_chart_is_a_screen_png_that_follows_the_choice(analysis):
    w = keyness_widget(analysis, n=10)
    before = bytes(w.chart.value)
    assert 600 <= png_width(before) <= 800  # 7 in at 100 dpi
    w.target.value, w.reference.value = "regime", "opposition"
    after = bytes(w.chart.value)
    assert after.startswith(PNG) and after != before
    assert w.chart.layout.display is None


# ---------------------------------------------------------------------------------------------- concordance

def test_concordance_shows_lines_of_the_typed_words(analysis):
    w = concordance_widget(analysis)
    assert isinstance(w, ipywidgets.VBox) and w.query.continuous_update is False
    assert "Type a word" in html.unescape(w.message.value) and w.table.value == ""

    w.query.value = "قوات النظام"
    shown = w.table.value
    assert rows(shown) == 20  # 202 matches, the first 20 lines
    keywords = cells(shown)[1::4]
    assert len(keywords) == 20 and all("قوات النظام" in text(k) for k in keywords)
    assert "202 matches in" in html.unescape(w.message.value)
    assert 'dir="rtl"' in shown


def test_concordance_window_and_lines(analysis):
    w = concordance_widget(analysis, window=2, lines=3, query="الحصار الجائر")
    assert rows(w.table.value) == 3
    for left in cells(w.table.value)[0::4]:
        assert len(left.split()) <= 2


def test_concordance_messages_for_nothing_to_show(analysis):
    w = concordance_widget(analysis, query="قوات النظام")
    w.query.value = "   "
    assert "Type a word" in html.unescape(w.message.value) and w.table.value == ""
    w.query.value = "كلمةلاتوجد"
    assert html.unescape(w.message.value).count("No match for «كلمةلاتوجد»") == 1
    assert w.table.value == ""


@pytest.mark.parametrize("query, regex, expected", [
    ("*", False, "only wildcards"),
    ("(النظام", True, "not a valid regular expression"),
])
def test_a_bad_query_gives_its_one_line_message(analysis, query, regex, expected):
    w = concordance_widget(analysis)
    w.regex.value = regex
    w.query.value = query  # no exception escapes the observer
    message = html.unescape(re.sub(r"<[^>]*>", "", w.message.value))
    assert expected in message and "Traceback" not in message and "\n" not in message
    assert w.table.value == ""
    assert concordance_view(analysis, query, regex=regex).error


def test_concordance_view_is_a_plain_function(analysis):
    view = concordance_view(analysis, "الثورة السورية", lines=2)
    assert isinstance(view, ConcordanceView) and view.lines == 2 and not view.error
    assert "الثورة السورية" in text(" ".join(cells(view.table_html)))


# ---------------------------------------------------------------------------------------------- naming

def test_naming_widget_shows_an_actor_and_follows_the_menu(analysis):
    w = naming_widget(analysis)
    assert isinstance(w, ipywidgets.VBox)
    assert w.actor.value == "actor:government"
    assert all(a.startswith("actor:") for a in w.actor.options)
    shown = cells(w.table.value)
    assert {"الدولة السورية", "الجيش العربي السوري", "قوات النظام", "نظام الأسد"} <= set(shown)
    assert {"regime", "opposition"} <= set(shown)
    assert "actor:government" in html.unescape(w.table.value)
    assert bytes(w.chart.value).startswith(PNG)
    government = w.table.value, bytes(w.chart.value)

    other = "actor:security-services"
    w.actor.value = other
    assert other in html.unescape(w.table.value) and "actor:government" not in html.unescape(w.table.value)
    assert "الأفرع الأمنية" in cells(w.table.value)  # planted opposition phrase
    assert (w.table.value, bytes(w.chart.value)) != government
    w.actor.value = "actor:government"
    assert (w.table.value, bytes(w.chart.value)) == government  # recalled, not recomputed


def test_an_actor_nobody_mentions_is_a_message(analysis):
    lexicon = {"lexicon": "test", "actor:government": ["النظام", "الدولة السورية"],
               "actor:nobody": ["كلمةلاتوجد"], "frame:other": ["الحصار"]}
    w = naming_widget(analysis, lexicon, actor="actor:nobody", chart=False)
    assert list(w.actor.options) == ["actor:government", "actor:nobody"]  # actors only
    assert "not mentioned" in html.unescape(w.message.value) and w.table.value == ""
    w.actor.value = "actor:government"
    assert {"النظام", "الدولة السورية"} <= set(cells(w.table.value))


# ---------------------------------------------------------------------------------------------- escaping

@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A tiny store whose titles, texts and an extra column hold markup."""
    from workbench.corpus import import_sources

    folder = tmp_path_factory.mktemp("hostile-widgets")
    rows_ = []
    for i in range(8):
        regime = i % 2 == 0
        word = "الدولة" if regime else "النظام"
        rows_.append({
            "id": f"h{i}", "outlet": "sawt-al-dawla" if regime else "nafidhat-al-shimal",
            "date": f"2024-01-0{i + 1}", "title": f"{HOSTILE} <b>خبر {i}</b> &amp;",
            "text": f"قال المصدر {i} إن {word} {HOSTILE} أعلن {word} <script>alert(2)</script> {word} {word} "
                    f"{word} في المدينة رقم {i} {word}",
            "section": HOSTILE if regime else "<b>bold</b>",
        })
    src = folder / "articles.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows_), encoding="utf-8")
    import_sources([src], folder / "store", registry=ROOT / "corpus" / "demo" / "outlets.yaml")
    return Analysis(folder / "store")


def assert_escaped(widget):
    shown = "".join(html_values(widget))
    assert "&lt;img src=x onerror=alert(1)&gt;" in shown
    for raw in ("<img", "<script", "<b>", "onerror=alert(1)>"):
        assert raw not in shown


def test_keyness_escapes_group_values(hostile):
    w = keyness_widget(hostile, group="section", min_count=1)
    assert set(w.target.options) == {HOSTILE, "<b>bold</b>"}
    assert cells(w.target_table.value)
    assert_escaped(w)
    w.target.value = w.reference.value = HOSTILE  # the message names the group
    assert "both «&lt;img src=x onerror=alert(1)&gt;»" in w.message.value
    assert_escaped(w)


def test_concordance_escapes_titles_and_texts(hostile):
    w = concordance_widget(hostile, query="المصدر")
    assert rows(w.table.value) == 8
    assert_escaped(w)
    w.query.value = HOSTILE  # the query itself is echoed in the message
    assert "<img" not in w.message.value


def test_naming_escapes_categories_and_notes(hostile):
    lexicon = {"lexicon": "hostile", f"actor:{HOSTILE}": {"entries": ["الدولة", "النظام"], "note": HOSTILE}}
    w = naming_widget(hostile, lexicon)
    assert w.actor.value == f"actor:{HOSTILE}"
    assert {"الدولة", "النظام"} <= set(cells(w.table.value))
    assert_escaped(w)
