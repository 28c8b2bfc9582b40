"""The bundled demo corpus: imports cleanly, is as rich as promised, and holds what it says it plants."""
import importlib.util
import json
import re

import pytest
import yaml

from conftest import ROOT
from workbench.corpus import import_sources, read_corpus

DEMO = ROOT / "corpus" / "demo"
DIAC = re.compile("[\u0640\u064b-\u065f\u0670]")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    store = tmp_path_factory.mktemp("demo") / "store"
    res = import_sources([DEMO / "articles.jsonl"], store)  # picks corpus/demo/outlets.yaml itself
    return res, read_corpus(store)


@pytest.fixture(scope="module")
def planted():
    return yaml.safe_load((DEMO / "planted.yaml").read_text(encoding="utf-8"))


def test_demo_imports_with_its_own_registry(demo):
    res, df = demo
    assert res.registry == "demo" and res.added == res.read == len(df) >= 240
    assert df["outlet"].nunique() >= 6
    assert set(df["camp"].unique()) == {"regime", "opposition"}
    words = df["text"].str.split().str.len()
    assert words.min() >= 80 and words.max() <= 250
    assert df["date"].dt.to_period("M").nunique() >= 6
    assert df["event"].nunique() >= 18  # extra columns are kept


def test_demo_is_labelled_constructed():
    assert "constructed" in (DEMO / "README.md").read_text(encoding="utf-8").lower()
    reg = yaml.safe_load((DEMO / "outlets.yaml").read_text(encoding="utf-8"))
    assert all("fictional" in (o.get("notes") or "").lower() for o in reg["outlets"])


def test_planted_namings_are_camp_specific(demo, planted):
    _, df = demo
    text = {camp: DIAC.sub("", " ".join(g["title"].fillna("") + " " + g["text"]))
            for camp, g in df.groupby("camp", observed=True)}
    other = {"regime": "opposition", "opposition": "regime"}
    for camp, phrases in planted["camp_phrases"].items():
        for phrase in phrases:
            assert text[camp].count(phrase) >= 5, (camp, phrase)
            assert text[other[camp]].count(phrase) == 0, (camp, phrase)


def test_planted_noise_is_present(demo):
    _, df = demo
    allt = " ".join(df["text"])
    assert re.search("[\u064b-\u0652]", allt)  # diacritics
    for ch in ["\u0640", "\u06a9", "\u06cc", "٢", "،", "؛", "“"]:
        assert ch in allt, repr(ch)
    assert re.search(r"\b[A-Za-z]{3,}\b", allt)


def test_generator_is_deterministic(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("make_demo", DEMO / "make_demo.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    articles, _ = mod.build()
    lines = "\n".join(json.dumps(a, ensure_ascii=False) for a in articles) + "\n"
    assert lines == (DEMO / "articles.jsonl").read_text(encoding="utf-8")
