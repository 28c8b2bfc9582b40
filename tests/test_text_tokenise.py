"""Tokenisation: fast path == camel-tools chain, filters, stopwords, clitics, settings, parallelism."""

from __future__ import annotations

import gzip
import json
import random
from itertools import islice
from pathlib import Path

import pytest

from workbench.text.settings import SettingsError, TextSettings
from workbench.text.tokenise import (
    _Pipeline,
    build_vocabulary,
    iter_tokenise,
    reference_tokenise,
    split_clitics,
    tokenise,
    tokenise_many,
    write_vocabulary,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpora" / "egypt2013-dev" / "articles.jsonl.gz"
FIXTURE = SHARED / "fixtures" / "000_17c3a0a5953efc9f.txt"
needs_corpus = pytest.mark.skipif(not CORPUS.is_file(), reason=f"shared corpus not available at {CORPUS}")
needs_fixture = pytest.mark.skipif(not FIXTURE.is_file(), reason=f"shared fixture not available at {FIXTURE}")

DEFAULT = TextSettings()
KEEP_ALL = TextSettings(urls="keep", emails="keep", digits="keep", remove_stopwords=False, min_length=0)
DROP_ALL = TextSettings(latin="drop", numbers="drop", teh_marbuta=True, fold_persian=False, min_length=3)
SETTINGS = [DEFAULT, KEEP_ALL, DROP_ALL]

TRICKY = [
    "",
    "   \n\t ",
    "مُحَمَّدٌ رَسُولُ اللَّهِ صَلَّى",
    "جـــــاسم الـــعربية",
    "کتاب یک ۀ ە ے ہ ھ ۃ گ پ چ ژ",
    "٢٠١٣ ۲۰۱۳ 2013 ٣٫٥ 3.5 ٪50",
    "Hello WORLD élan naïve CNN, AFP.",
    "انظر https://www.facebook.com/x/videos/46/?extid=WA-UNK_GK0T&ref=sharing، ثم www.Site.org/a.",
    "راسلونا: info@example.com. أو (a.b-c@mail.co.uk)",
    "😀👍🏽 🇪🇬 1️⃣ ❤️ رائع😀 #مصر @user",
    "قال، ثم؛ لماذا؟ نعم!",
    "“داعش” ‘x’ «النظام» „y“ \"z\"",
    "می\u200cخواهم a\u200db \u200fنص\u200e \ufeffبداية",
    "Cairo القاهرة 2013 مصر—Egypt مصرEgypt",
    "ﻻ ﷲ ﷺ ﷼ ﷽ ﺍﻟﻌﺮﺑﻴﺔ",
    "ا\u0653 ا\u0654 ا\u0655 و\u0654 ي\u0654",
    "a\x85b c\x0bd e\x1cf g\x0ch",  # whitespace that arclean deletes (reference fallback)
    "\u00a0nbsp\u2009thin\u3000ideo\u2028ls",
    "20/1/2013 أ.ف.ب (رويترز)- 2013/1/20 20/1/2013",  # multi-token words, repeated
    "...  ؟؟ —– …",
    "إلى أن آمن ٱلله على مدرسة والحكومة وللشعب بالنظام",
]


@pytest.mark.parametrize("settings", SETTINGS, ids=["default", "keep-all", "drop-all"])
@pytest.mark.parametrize("text", TRICKY)
def test_fast_equals_reference_on_tricky_strings(text, settings):
    assert tokenise(text, settings) == reference_tokenise(text, settings)


def test_fast_equals_reference_on_tricky_strings_in_one_text():
    text = "\n".join(TRICKY * 3)
    for settings in SETTINGS:
        pipe = _Pipeline(settings)  # fresh, empty caches
        assert pipe.tokenise(text) == reference_tokenise(text, settings)
        assert pipe.tokenise(text) == reference_tokenise(text, settings)  # warm caches


def test_fast_equals_reference_on_random_strings():
    rng = random.Random(7)
    atoms = (
        [chr(c) for c in range(0x0621, 0x064B)] * 4
        + list("ًٌٍَُِّْـ،؛؟«»“”‘’.,;:!?()[]\"'-/@#%&*+=_~0123456789٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹")
        + list("abcXYZéß") + ["http://", "https://", "www.", ".com", "@x.org", "😀", "🏽", "\u200c", "\u200d"]
        + ["ﻻ", "ﷲ", "﷼", "\u0654", "\u0301", "\u0338", "<", ">", "="]
        + [" "] * 12 + ["\n", "\t", "\xa0", "\x85", "\x0b", "\u2028"]
    )
    for settings in SETTINGS:
        pipe = _Pipeline(settings)
        for _ in range(300):
            s = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 40)))
            assert pipe.tokenise(s) == reference_tokenise(s, settings), repr(s)


# ---------------------------------------------------------------- switches
def test_punctuation_tokens_removed():
    assert tokenise("قال، ثم؛ لماذا؟ «نعم»!", DEFAULT.replace(remove_stopwords=False)) == ["قال", "ثم", "لماذا", "نعم"]


def test_urls_dropped_or_kept_whole():
    text = "انظر https://x.com/a?b=1&c=2، الآن"
    assert tokenise(text, DEFAULT) == ["انظر", "الان"]
    assert tokenise(text, DEFAULT.replace(urls="keep")) == ["انظر", "https://x.com/a?b=1&c=2", "الان"]
    assert tokenise("www.site.org.", DEFAULT.replace(urls="keep")) == ["www.site.org"]


def test_emails_dropped_or_kept_whole():
    text = "راسلونا info@example.com."
    assert tokenise(text, DEFAULT) == ["راسلونا"]
    assert tokenise(text, DEFAULT.replace(emails="keep")) == ["راسلونا", "info@example.com"]


def test_latin_switch():
    text = "قناة CNN الأمريكية"
    assert tokenise(text, DEFAULT) == ["قناة", "CNN", "الامريكية"]
    assert tokenise(text, DEFAULT.replace(latin="drop")) == ["قناة", "الامريكية"]


def test_numbers_and_digits_switches():
    text = "في عام ٢٠١٣ قتل 15 شخصا"
    assert tokenise(text, DEFAULT) == ["عام", "2013", "قتل", "15", "شخصا"]
    assert tokenise(text, DEFAULT.replace(digits="keep")) == ["عام", "٢٠١٣", "قتل", "15", "شخصا"]
    assert tokenise(text, DEFAULT.replace(numbers="drop")) == ["عام", "قتل", "شخصا"]


def test_min_length():
    text = "و قال إن ب"
    assert tokenise(text, DEFAULT.replace(remove_stopwords=False, min_length=1)) == ["و", "قال", "ان", "ب"]
    assert tokenise(text, DEFAULT.replace(remove_stopwords=False, min_length=3)) == ["قال"]


def test_shipped_stopwords_matched_after_normalisation():
    text = "ذهب إلى القاهرة الى جانب أن هذا"
    assert tokenise(text, DEFAULT) == ["ذهب", "القاهرة", "جانب"]
    off = DEFAULT.replace(alef=False)  # now الى is not the stopword إلى
    assert tokenise(text, off) == ["ذهب", "القاهرة", "الي", "جانب"]  # ى still folded to ي
    assert "هذا" in tokenise(text, DEFAULT.replace(remove_stopwords=False))


def test_custom_stopword_file_is_editable(tmp_path):
    path = tmp_path / "stop.txt"
    path.write_text("# my list\nالنظام\n\nقوات  # trailing comment\n", encoding="utf-8")
    s = DEFAULT.replace(stopwords_path=str(path))
    assert tokenise("قوات النظام في جاسم", s) == ["في", "جاسم"]
    fp = s.fingerprint()
    path.write_text("جاسم\n", encoding="utf-8")
    assert tokenise("قوات النظام في جاسم", s) == ["قوات", "النظام", "في"]
    assert s.fingerprint() != fp


# ---------------------------------------------------------------- clitics
@pytest.fixture()
def vocab_path(tmp_path):
    counts = {"حكومة": 50, "الحكومة": 80, "شعب": 30, "نظام": 40, "هو": 900, "زير": 2, "وزير": 300,
              "والحكومة": 20, "له": 500, "الله": 400, "قط": 3, "فقط": 200}
    return write_vocabulary(counts, tmp_path / "vocab.tsv")


def test_split_clitics_rules():
    vocab = {"حكومة": 50, "شعب": 30, "نظام": 40, "هو": 900, "زير": 2, "وزير": 300, "له": 500, "الله": 400}
    assert split_clitics("والحكومة", vocab) == (("و", "ال"), "حكومة")
    assert split_clitics("للشعب", vocab) == (("ل", "ال"), "شعب")
    assert split_clitics("بالنظام", vocab) == (("ب", "ال"), "نظام")
    assert split_clitics("وهو", vocab) == (("و",), "هو")
    assert split_clitics("وزير", vocab) == ((), "وزير")  # زير is rarer than وزير
    assert split_clitics("الله", vocab) == ((), "الله")  # remainder له too short after ال
    assert split_clitics("الاقتصاد", vocab) == ((), "الاقتصاد")  # remainder unknown


def test_clitics_off_split_strip(vocab_path):
    text = "والحكومة للشعب وزير وهو"
    base = DEFAULT.replace(remove_stopwords=False)
    assert tokenise(text, base) == ["والحكومة", "للشعب", "وزير", "وهو"]
    split = base.replace(clitics="split", clitic_vocabulary_path=str(vocab_path))
    assert tokenise(text, split) == ["و+", "ال+", "حكومة", "ل+", "ال+", "شعب", "وزير", "و+", "هو"]
    strip = base.replace(clitics="strip", clitic_vocabulary_path=str(vocab_path))
    assert tokenise(text, strip) == ["حكومة", "شعب", "وزير", "هو"]
    assert tokenise(text, strip.replace(remove_stopwords=True)) == ["حكومة", "شعب", "وزير"]
    for s in (split, strip):
        assert tokenise(text, s) == reference_tokenise(text, s)


def test_clitics_need_a_vocabulary():
    with pytest.raises(SettingsError, match="clitic_vocabulary_path"):
        TextSettings(clitics="split")


def test_build_vocabulary_counts_tokens_without_filters():
    counts = build_vocabulary(["وهو في الحكومة", "الحكومة"], workers=1)
    assert counts["الحكومة"] == 2 and counts["هو"] == 0 and counts["وهو"] == 1 and counts["في"] == 1


# ---------------------------------------------------------------- settings
def test_settings_round_trip():
    s = TextSettings(alef=False, digits="keep", urls="keep", min_length=3)
    d = s.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert TextSettings.from_dict(d) == s
    assert TextSettings.from_dict({}) == TextSettings()


def test_settings_unknown_key_one_line_error():
    with pytest.raises(SettingsError) as err:
        TextSettings.from_dict({"alef": True, "stemming": True})
    msg = str(err.value)
    assert "'stemming'" in msg and "\n" not in msg


@pytest.mark.parametrize("bad", [{"digits": "roman"}, {"min_length": -1}, {"alef": "yes"}, {"urls": None}])
def test_settings_invalid_values(bad):
    with pytest.raises(SettingsError, match=next(iter(bad))):
        TextSettings.from_dict(bad)


def test_fingerprint_stable_and_sensitive(tmp_path):
    assert TextSettings().fingerprint() == TextSettings().fingerprint()
    assert TextSettings().fingerprint() != TextSettings(min_length=3).fingerprint()
    # The stopword file's content is hashed, not its path.
    from workbench.text.settings import load_word_list
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    words = "\n".join(load_word_list(None))
    a.write_text(words, encoding="utf-8")
    b.write_text(words + "\nجديد", encoding="utf-8")
    assert TextSettings(stopwords_path=str(a)).fingerprint() == TextSettings().fingerprint()
    assert TextSettings(stopwords_path=str(b)).fingerprint() != TextSettings().fingerprint()


def test_missing_stopword_file_is_reported(tmp_path):
    with pytest.raises(SettingsError, match="not found"):
        tokenise("نص", TextSettings(stopwords_path=str(tmp_path / "nope.txt")))


# ---------------------------------------------------------------- many texts
def test_tokenise_many_serial_and_parallel_agree():
    texts = [t + f" رقم {i}" for i, t in enumerate(TRICKY * 6)]
    expected = [reference_tokenise(t, DEFAULT) for t in texts]
    assert tokenise_many(texts, DEFAULT, workers=1) == expected
    assert list(iter_tokenise(texts, DEFAULT, workers=2, chunk_size=7, warmup=10)) == expected
    # a generator (streamed to the workers) as well as a list (read by forked workers)
    assert list(iter_tokenise(iter(texts), DEFAULT, workers=2, chunk_size=7, warmup=0)) == expected


def test_small_inputs_stay_in_process():
    assert tokenise_many(["قوات النظام"], DEFAULT) == [["قوات", "النظام"]]
    assert tokenise_many([], DEFAULT) == []


# ---------------------------------------------------------------- real data
@needs_corpus
def test_fast_equals_reference_on_2000_real_articles():
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] or "" for line in islice(fh, 2000)]
    pipe = _Pipeline(DEFAULT)
    bad = [i for i, t in enumerate(texts) if pipe.tokenise(t) != reference_tokenise(t, DEFAULT)]
    assert bad == []


@needs_fixture
def test_fixture_article():
    text = FIXTURE.read_text(encoding="utf-8")
    toks = tokenise(text, DEFAULT)
    assert toks == reference_tokenise(text, DEFAULT)
    bigrams = list(zip(toks, toks[1:]))
    assert bigrams.count(("قوات", "النظام")) == text.count("قوات النظام") > 0
    assert "داعش" in toks and not any("“" in t or "”" in t for t in toks)
    assert not any("facebook" in t or "http" in t for t in toks)  # URL line dropped by default
    kept = tokenise(text, DEFAULT.replace(urls="keep"))
    urls = [t for t in kept if t.startswith("https://")]
    assert len(urls) == 1 and "facebook.com/syrianpresscenter" in urls[0] and urls[0].endswith("ref=sharing")
    assert kept == reference_tokenise(text, DEFAULT.replace(urls="keep"))
