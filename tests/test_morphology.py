"""Arabic morphology (camel-tools): d3tok/atbtok segmentation and lemmas, the persistent word table,
identity with camel-tools' own per-token path, and every analysis on morphological tokens.

Needs camel-tools' morphology database (``../shared/camel_data`` here, set as CAMELTOOLS_DATA by
conftest.py); without it these tests skip, except those that check the error a user gets."""
import gzip
import json
import os
import time

import pytest

from conftest import CAMEL_DATA, EGYPT, need_shared
from workbench.errors import MorphologyUnavailable, SettingsError
from workbench.text.settings import TextSettings
from workbench.text.tokenise import reference_tokenise, tokenise, tokenise_spans


def _have_data() -> bool:
    d = os.environ.get("CAMELTOOLS_DATA")
    return bool(d) and (os.path.isfile(os.path.join(d, "data", "morphology_db", "calima-msa-r13", "morphology.db")))


needs_data = pytest.mark.skipif(not _have_data(), reason=f"camel-tools' morphology database is absent "
                                f"(set CAMELTOOLS_DATA; here it would be {CAMEL_DATA}; or `camel_data -i light`)")

TEXT = "وقال المتحدث إن «وبالنظام» والعدالة، العدالة للنظام الإخوان Facebook 2013 زعمت ادعاءات."


# --------------------------------------------------------------------------------- settings
def test_missing_data_is_a_one_line_error_that_says_how_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CAMELTOOLS_DATA", str(tmp_path))
    with pytest.raises(MorphologyUnavailable, match=r"camel_data -i light"):
        TextSettings(tokens="lemma").fingerprint()
    assert TextSettings().fingerprint()        # surface tokens never need the data
    from workbench.cli import main
    rc = main(["keyness", "--store", str(tmp_path / "nostore"), "--group", "camp", "--target", "a",
               "--set", "tokens=lemma"])
    assert rc == 2
    # a report asking for lemmas stops before any kernel starts, with the same advice
    from conftest import ROOT
    from workbench.reports.parameters import ParameterError, declared_checks, declared_parameters, resolve_parameters
    nb = ROOT / "notebooks" / "framing_report.ipynb"
    with pytest.raises(ParameterError, match=r"parameter 'text_settings': morphology .* `camel_data -i light`"):
        resolve_parameters(declared_parameters(nb), None, [("text_settings", "{tokens: lemma}")], declared_checks(nb))


def test_settings_choices_and_conflicts():
    with pytest.raises(SettingsError, match="'tokens' must be one of surface, d3tok, atbtok, lemma"):
        TextSettings(tokens="stem")
    with pytest.raises(SettingsError, match="'clitics' must be off with tokens = d3tok"):
        TextSettings(tokens="d3tok", clitics="split", clitic_vocabulary_path="x")
    with pytest.raises(SettingsError, match="'urls' = keep is not available"):
        TextSettings(tokens="lemma", urls="keep")
    assert TextSettings.coerce({"tokens": "atbtok", "segment_clitics": "keep"}).tokens == "atbtok"


def test_surface_fingerprints_did_not_change():
    # morphology added two settings; surface settings keep the fingerprints (and caches) they had
    a, b = TextSettings(), TextSettings(segment_clitics="keep")
    assert a.fingerprint() == b.fingerprint()   # segment_clitics means nothing for surface tokens


# --------------------------------------------------------------------------------- tokens
@needs_data
def test_segmentation_and_lemmas_of_a_sentence():
    d3 = tokenise(TEXT, TextSettings(tokens="d3tok"))
    assert d3 == ["متحدث", "نظام", "عدالة", "عدالة", "نظام", "اخوان", "Facebook", "2013", "زعمت", "ادعاءات"]
    # وقال -> و+ قال: the reporting verb is a stop word once its clitic is split off
    atb = tokenise(TEXT, TextSettings(tokens="atbtok"))
    assert atb[:3] == ["المتحدث", "النظام", "العدالة"] and "قال" not in atb
    lemma = tokenise(TEXT, TextSettings(tokens="lemma"))
    assert lemma.count("عدالة") == 2 and lemma.count("نظام") == 2 and "ادعاء" in lemma and "زعم" in lemma
    kept = tokenise(TEXT, TextSettings(tokens="d3tok", segment_clitics="keep", remove_stopwords=False))
    assert kept[:6] == ["و+", "قال", "ال+", "متحدث", "ان", "و+"] and kept.count("ال+") == 6


@needs_data
@pytest.mark.parametrize("scheme", ["d3tok", "atbtok", "lemma"])
def test_fast_path_equals_the_reference_chain(scheme):
    from workbench.text.morphology import reference_morph_tokenise
    for settings in (TextSettings(tokens=scheme), TextSettings(tokens=scheme, alef=False, segment_clitics="keep",
                                                              remove_stopwords=False, min_length=1)):
        assert tokenise(TEXT, settings) == reference_morph_tokenise(TEXT, settings) == reference_tokenise(TEXT, settings)


@needs_data
def test_spans_point_at_the_words_the_outlet_printed():
    spans = tokenise_spans(TEXT, TextSettings(tokens="lemma"))
    assert [(t, TEXT[a:b]) for t, a, b in spans[:3]] == [("متحدث", "المتحدث"), ("نظام", "«وبالنظام»"), ("عدالة", "والعدالة،")]


@needs_data
def test_word_table_persists_and_survives_damage(tmp_path, monkeypatch):
    from workbench.text import morphology as m
    monkeypatch.setenv("WORKBENCH_MORPHOLOGY_CACHE", str(tmp_path))
    info = m.morphology_info()
    t = m.WordTable(info)
    t.add(m.analyse_words(["والعدالة", "للنظام"], info, workers=1))
    again = m.WordTable(info)                        # a new process would read the same table
    assert again.words["والعدالة"] == ("و+ ال+ عدالة", "و+ العدالة", "عدالة")
    assert again.words["للنظام"][2] == "نظام"
    (t.folder / "words-damaged.jsonl").write_text('["x", "y"\n', encoding="utf-8")
    assert len(m.WordTable(info).words) == 2         # the damaged part is ignored, not fatal
    assert json.loads((t.folder / "info.json").read_text())["ranking"] == "database-probabilities"


@needs_data
def test_parallel_analysis_equals_one_process():
    from workbench.text import morphology as m
    words = sorted({w for w in reference_tokenise(TEXT * 3, m._pre_settings(TextSettings())) if m.needs_analysis(w)})
    words += [f"{w}ها" for w in words] + [f"و{w}" for w in words]
    one = m.analyse_words(words, workers=1)
    two = m.analyse_words(words, workers=2, chunk=4)
    assert one == two and len(one) == len(set(words))


# --------------------------------------------------------------------------------- identity
@pytest.fixture(scope="module")
def egypt_words():
    """The Arabic pipeline tokens (before folds, what camel-tools sees) of the first Egyptian
    articles, at least 200,000 of them."""
    from workbench.text.morphology import _pre_settings, needs_analysis
    need_shared(EGYPT)
    pre = _pre_settings(TextSettings())
    words: list[str] = []
    with gzip.open(EGYPT, "rt", encoding="utf-8") as f:
        for line in f:
            a = json.loads(line)
            words += [w for w in tokenise(f"{a.get('title') or ''}\n{a.get('text') or ''}", pre) if needs_analysis(w)]
            if len(words) >= 200_000:
                break
    return words


@needs_data
@pytest.mark.slow
def test_identical_to_camel_tools_per_token_path_on_200000_real_tokens(egypt_words, tmp_path, monkeypatch):
    """camel-tools' own path (MorphologicalTokenizer over MLEDisambiguator, every token in order)
    against the workbench's (each distinct word analysed once, in two processes, then looked up)."""
    from camel_tools.disambig.mle import MLEDisambiguator
    from camel_tools.morphology.analyzer import Analyzer
    from camel_tools.morphology.database import MorphologyDB
    from camel_tools.tokenizers.morphological import MorphologicalTokenizer
    from camel_tools.utils.dediac import dediac_ar

    from workbench.text import morphology as m
    monkeypatch.setenv("WORKBENCH_MORPHOLOGY_CACHE", str(tmp_path))
    info = m.morphology_info()
    words = egypt_words
    assert len(words) >= 200_000

    t0 = time.perf_counter()
    table = m.analyse_words(words, info, workers=2)
    ours = time.perf_counter() - t0

    # camel-tools' path; the analyser's own cache (cache_size) only saves repeated lookups
    dis = MLEDisambiguator(Analyzer(MorphologyDB(info.db_path, "a"), m.BACKOFF, cache_size=400_000), mle_path=None)
    t0 = time.perf_counter()
    disambiguated = dis.disambiguate(words)    # the whole sequence at once, as camel-tools' tokenizer does

    class Replay:                              # hands that same disambiguation to camel-tools' tokenizer code
        def disambiguate(self, ws):
            assert ws is words
            return disambiguated

    for i, scheme in enumerate(("d3tok", "atbtok")):
        camel = MorphologicalTokenizer(Replay(), scheme, split=True).tokenize(words)
        assert [t for w in words for t in table[w][i].split(" ") if t] == [t for t in camel if t], scheme
    lemmas = []
    for dw in disambiguated:
        lex = dw.analyses[0].analysis.get("lex") if dw.analyses else None
        lemmas.append(dw.word if not lex or lex == "NOAN" else dediac_ar(lex) or dw.word)
    assert [table[w][2] for w in words] == lemmas
    theirs = time.perf_counter() - t0
    print(f"{len(words):,} tokens, {len(table):,} distinct: workbench {ours:.1f} s, camel-tools {theirs:.1f} s")


# --------------------------------------------------------------------------------- analyses
@pytest.fixture(scope="module")
def lemma_analysis(demo_store, tmp_path_factory):
    from workbench.analysis import Analysis
    return Analysis(demo_store, {"tokens": "lemma"}, cache_dir=tmp_path_factory.mktemp("lemma-cache"))


@needs_data
def test_keyness_concordance_and_manifest_on_lemmas(lemma_analysis):
    from workbench.reading.kwic import kwic
    table = lemma_analysis.compare("camp", "regime", "opposition")
    terms = set(table["term"])
    assert "نظام" in terms and "النظام" not in terms and "للنظام" not in terms
    row = table.set_index("term").loc["نظام"]
    assert row["direction"] == "reference" and row["n_reference"] > 600
    lines = kwic(lemma_analysis, "نظام", sample=50, seed=1)
    shown = set(lines["keyword"])
    assert any("النظام" in k for k in shown) and any(k != "النظام" for k in shown)   # all forms, as printed
    m = lemma_analysis.manifest()
    assert m["text_settings"]["tokens"] == "lemma" and m["morphology"]["ranking"] == "database-probabilities"
    from workbench.stories import find_stories
    assert len(find_stories(lemma_analysis, window_days=7).table) > 10   # stories work on lemmas too


@needs_data
def test_a_surface_concordance_can_ask_for_every_form_of_a_lemma(demo_store, tmp_path):
    from workbench.analysis import Analysis
    from workbench.reading.kwic import kwic
    surface = Analysis(demo_store, cache_dir=tmp_path / "c")
    plain = kwic(surface, "النظام")
    forms = kwic(surface, "lemma:الأنظمة")                 # the lemma of the query word: نظام
    from workbench.text.normalise import normalise
    assert {tokenise(k)[0] for k in plain["keyword"]} == {"النظام"}       # printed with tatweel, quotes...
    assert normalise("النظام") == "النظام"
    printed = set(forms["keyword"])
    assert len(forms) > len(plain) and any("للنظام" in k for k in printed) and any("والنظام" in k for k in printed)
    assert forms.attrs["query"] == "lemma:الأنظمة"
