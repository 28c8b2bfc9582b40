"""Text reuse across outlets (workbench.stories.reuse) on a tiny hand-made corpus."""
import random

import numpy as np
import pandas as pd
import pytest
from conftest import import_articles

from workbench.analysis import Analysis
from workbench.errors import ArgumentError
from workbench.stories.reuse import (OUTLET_PAIR_COLUMNS, REUSE_COLUMNS, find_reuse, flag_reuse,
                                     reuse_by_outlet_pair, shingle_hashes)

# an agency dispatch (sawt-al-dawla), reprinted with small edits by two outlets of the other camp
WIRE = ("أعلنت وزارة الزراعة اليوم عن خطة جديدة لدعم المزارعين في المحافظات الجنوبية تشمل توزيع البذور "
        "والأسمدة بأسعار مخفضة وتقديم قروض ميسرة للموسم القادم وقال الوزير في مؤتمر صحفي إن الخطة "
        "ستنفذ على ثلاث مراحل تبدأ الشهر المقبل وتستمر حتى نهاية العام")
EDIT_B = WIRE.replace("اليوم", "أمس").replace("ميسرة", "طويلة الأجل")
EDIT_C = WIRE.replace("في مؤتمر صحفي", "في بيان") + " بحسب ما نقلت وكالة الأنباء"
# a text printed twice by one outlet, and one printed again after the window
SAME = ("انقطع التيار الكهربائي عن أحياء واسعة من المدينة مساء الخميس بسبب عطل في المحطة الرئيسية "
        "وأكدت الشركة أن فرق الصيانة تعمل على إصلاح العطل خلال ساعات")
LATE = ("افتتحت البلدية حديقة عامة جديدة على الطريق الغربي تضم ملاعب للأطفال ومسارا للدراجات "
        "ومكتبة صغيرة مفتوحة للزوار طوال أيام الأسبوع")
VOCAB = ("سوق مدرسة طريق جسر مطر شتاء نهر جبل قرية مدينة سيارة قطار ميناء مصنع عامل طالب معلم طبيب "
         "مستشفى دواء خبز ماء كهرباء هاتف رسالة كتاب صحيفة شارع بيت حديقة شجرة زيت قمح شعير لجنة "
         "مجلس وزير نائب حزب انتخاب قانون محكمة قاضي شرطة جيش حدود سلام حرب اتفاق").split()


def filler(seed: int, n: int = 40) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(VOCAB) for _ in range(n))


ROWS = [
    ("wire", "sawt-al-dawla", "2024-03-01T09:00:00", WIRE),
    ("b", "nafidhat-al-shimal", "2024-03-02T09:00:00", EDIT_B),        # 1 day after the wire
    ("c", "sijil-al-huriya", "2024-03-03T21:00:00", EDIT_C),           # 2.5 days after the wire
    ("same1", "al-hisn-al-watani", "2024-03-05T08:00:00", SAME),
    ("same2", "al-hisn-al-watani", "2024-03-05T20:00:00", SAME),       # same outlet: not reuse
    ("late1", "nashrat-al-yasmin", "2024-03-01T10:00:00", LATE),
    ("late2", "awraq-al-rabi", "2024-03-12T10:00:00", LATE),          # 11 days later: outside the window
    *[(f"u{k}", outlet, f"2024-03-0{1 + k % 4}T12:00:00", filler(k))
      for k, outlet in enumerate(["nafidhat-al-shimal", "nafidhat-al-shimal", "nafidhat-al-shimal",
                                  "sijil-al-huriya", "sawt-al-dawla", "awraq-al-rabi"])],
]


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):
    return Analysis(import_articles(tmp_path_factory.mktemp("reuse"), ROWS))


@pytest.fixture(scope="module")
def pairs(analysis):
    return find_reuse(analysis, window_days=3, shingle=5, min_overlap=0.5)


def test_reprints_found_with_source_and_lag(pairs):
    assert list(pairs.columns) == REUSE_COLUMNS
    got = {(a, b): lag for a, b, lag in pairs[["id_a", "id_b", "lag_days"]].itertuples(index=False)}
    assert set(got) == {("wire", "b"), ("wire", "c"), ("b", "c")}
    assert got[("wire", "b")] == 1.0 and got[("wire", "c")] == 2.5 and got[("b", "c")] == 1.5
    row = pairs.set_index(["id_a", "id_b"]).loc[("wire", "b")]
    assert (row["outlet_a"], row["outlet_b"], row["camp_a"], row["camp_b"]) == \
        ("sawt-al-dawla", "nafidhat-al-shimal", "regime", "opposition")
    assert 0.5 <= row["containment_a_in_b"] < 1 and 0.5 <= row["containment_b_in_a"] < 1
    assert row["shared_shingles"] == round(row["containment_a_in_b"] * row["shingles_a"])
    # c adds a sentence: more of the wire is in c than of c in the wire
    c = pairs.set_index(["id_a", "id_b"]).loc[("wire", "c")]
    assert c["containment_a_in_b"] > c["containment_b_in_a"]


def test_same_outlet_outside_window_and_unrelated_are_not_pairs(analysis, pairs):
    ids = set(pairs["id_a"]) | set(pairs["id_b"])
    assert not ids & {"same1", "same2", "late1", "late2"}
    assert not any(i.startswith("u") for i in ids)
    # the late reprint is found once the window reaches it
    wide = find_reuse(analysis, window_days=11)
    assert ("late1", "late2") in set(zip(wide["id_a"], wide["id_b"]))
    assert not (set(wide["id_a"]) | set(wide["id_b"])) & {"same1", "same2"}


def test_outlet_pair_shares_hand_counted(analysis, pairs):
    table = reuse_by_outlet_pair(pairs, analysis.docs)
    assert list(table.columns) == OUTLET_PAIR_COLUMNS
    got = {(r.source_outlet, r.reusing_outlet): (r.articles_reusing, r.articles, r.share, r.median_lag_days)
           for r in table.itertuples()}
    # nafidhat-al-shimal: b + u0, u1, u2 = 4 articles; sijil-al-huriya: c + u3 = 2 articles
    assert got == {("sawt-al-dawla", "nafidhat-al-shimal"): (1, 4, 0.25, 1.0),
                   ("sawt-al-dawla", "sijil-al-huriya"): (1, 2, 0.5, 2.5),
                   ("nafidhat-al-shimal", "sijil-al-huriya"): (1, 2, 0.5, 1.5)}
    assert list(table["source_outlet"])[0] == "nafidhat-al-shimal"  # ties on share: by outlet
    assert table.loc[0, "reusing_camp"] == "opposition"


def test_flag_reuse_points_to_earliest_source_and_drops_copies(analysis, pairs):
    flags = flag_reuse(analysis, pairs)
    assert list(flags["id"]) == list(analysis.docs["id"].astype(str))
    assert dict(zip(flags["id"], flags["reused_from"]))["c"] == "wire"
    assert set(flags.loc[flags["reused"], "id"]) == {"b", "c"}
    keep = ~flags["reused"].to_numpy()
    independent = Analysis(analysis.store, where=flags.attrs["exclude"])
    assert sorted(independent.docs["id"]) == sorted(analysis.docs["id"][keep])
    assert "wire" in set(independent.docs["id"])


def test_shingle_hashes_stable_and_checks():
    a = shingle_hashes("أ ب ت ث ج ح".split(), 5)
    assert a.dtype == np.int64 and len(a) == 2
    assert np.array_equal(a, shingle_hashes("أ ب ت ث ج ح".split(), 5, {}))
    assert len(shingle_hashes(["أ", "ب"], 5)) == 0
    for bad in ({"window_days": -1}, {"shingle": 0}, {"min_overlap": 1.5}, {"max_df": 1}):
        with pytest.raises(ArgumentError):
            find_reuse(None, **bad)


def test_cli_reuse(analysis, tmp_path, capsys):
    from workbench.cli import main

    out = tmp_path / "pairs.csv"
    assert main(["reuse", "--store", str(analysis.store.path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "3 pairs" in printed and "sawt-al-dawla" in printed and "50.0%" in printed
    assert out.read_text(encoding="utf-8-sig").splitlines()[0].startswith("id_a,id_b,outlet_a")


def test_cached_reuse_pairs_are_the_pairs(demo_store, tmp_path, monkeypatch):
    from workbench.analysis import Analysis
    from workbench.stories import reuse

    a = Analysis(demo_store, cache_dir=tmp_path / "cache")
    plain = find_reuse(a, window_days=3)
    first = find_reuse(a, window_days=3, cache=True)
    monkeypatch.setattr(reuse, "_incidence", lambda *args, **kw: (_ for _ in ()).throw(AssertionError("recomputed")))
    again = find_reuse(Analysis(demo_store, cache_dir=tmp_path / "cache"), window_days=3, cache=True)
    for got in (first, again):
        pd.testing.assert_frame_equal(got, plain)
        assert got.attrs == plain.attrs
    with pytest.raises(AssertionError, match="recomputed"):
        find_reuse(a, window_days=3, shingle=4, cache=True)
