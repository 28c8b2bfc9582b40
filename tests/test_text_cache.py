"""On-disk token cache: hit, keying by settings and content, streaming reads, atomic writes."""

from __future__ import annotations

import os

import pyarrow.parquet as pq
import pytest

import workbench.text.cache as cache_mod
from workbench.text.cache import CacheError, TokenCache, fingerprint_texts, iter_tokens, read_cache_metadata
from workbench.text.settings import TextSettings
from workbench.text.tokenise import tokenise

IDS = [f"doc-{i}" for i in range(23)]
TEXTS = [f"قوات النظام في مدينة جاسم، العدد {i} «داعش» https://x.com/{i}" for i in range(23)]


@pytest.fixture()
def counted(monkeypatch):
    """Count how many times the cache tokenises (spy on iter_tokenise as the cache module uses it)."""
    calls = {"n": 0}
    real = cache_mod.iter_tokenise

    def spy(*args, **kwargs):
        calls["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(cache_mod, "iter_tokenise", spy)
    return calls


def test_fingerprint_texts():
    fp = fingerprint_texts(IDS, TEXTS)
    assert fp == fingerprint_texts(iter(IDS), iter(TEXTS)) and len(fp) == 64
    assert fp != fingerprint_texts(IDS[::-1], TEXTS[::-1])
    assert fingerprint_texts(["ab"], ["c"]) != fingerprint_texts(["a"], ["bc"])
    assert fingerprint_texts(["a"], ["x"]) != fingerprint_texts(["a"], ["y"])
    with pytest.raises(ValueError):
        fingerprint_texts(["a", "b"], ["x"])


def test_build_then_hit(tmp_path, counted):
    cache = TokenCache(tmp_path)
    s = TextSettings()
    fp = fingerprint_texts(IDS, TEXTS)
    path = cache.get_or_build(IDS, TEXTS, s, fp, workers=1)
    assert counted["n"] == 1 and cache.builds == 1 and path.is_file()
    table = pq.read_table(path)
    assert table.column_names == ["id", "tokens"]
    assert table.column("id").to_pylist() == IDS
    assert table.column("tokens").to_pylist() == [tokenise(t, s) for t in TEXTS]

    again = TokenCache(tmp_path).get_or_build(IDS, TEXTS, s, fp, workers=1)
    assert again == path and counted["n"] == 1  # second call does not tokenise


def test_keyed_by_settings_and_content(tmp_path, counted):
    cache = TokenCache(tmp_path)
    fp = fingerprint_texts(IDS, TEXTS)
    p1 = cache.get_or_build(IDS, TEXTS, TextSettings(), fp, workers=1)
    p2 = cache.get_or_build(IDS, TEXTS, TextSettings(urls="keep"), fp, workers=1)
    assert p1 != p2 and counted["n"] == 2
    assert any(t.startswith("https://") for row in next(iter_tokens(p2))[1] for t in row)
    texts2 = TEXTS[:-1] + ["نص آخر"]
    p3 = cache.get_or_build(IDS, texts2, TextSettings(), fingerprint_texts(IDS, texts2), workers=1)
    assert p3 not in (p1, p2) and counted["n"] == 3
    assert cache.get_or_build(IDS, TEXTS, TextSettings(), fp) == p1 and counted["n"] == 3


def test_edited_stopword_file_rebuilds(tmp_path, counted):
    stop = tmp_path / "stop.txt"
    stop.write_text("النظام\n", encoding="utf-8")
    s = TextSettings(stopwords_path=str(stop))
    cache = TokenCache(tmp_path / "c")
    fp = fingerprint_texts(IDS, TEXTS)
    p1 = cache.get_or_build(IDS, TEXTS, s, fp, workers=1)
    stop.write_text("النظام\nقوات\n", encoding="utf-8")
    p2 = cache.get_or_build(IDS, TEXTS, s, fp, workers=1)
    assert p1 != p2 and counted["n"] == 2
    assert "قوات" not in next(iter_tokens(p2))[1][0]


def test_streaming_batches_and_row_groups(tmp_path):
    cache = TokenCache(tmp_path)
    path = cache.get_or_build(IDS, TEXTS, TextSettings(), "fp-1", workers=1, row_group_size=5)
    assert pq.ParquetFile(path).num_row_groups == 5
    batches = list(iter_tokens(path, batch_size=4))
    assert [len(ids) for ids, _ in batches] == [4, 4, 4, 4, 4, 3]
    assert [i for ids, _ in batches for i in ids] == IDS
    assert [t for _, toks in batches for t in toks] == [tokenise(t) for t in TEXTS]


def test_parallel_build_equals_serial(tmp_path, monkeypatch):
    import functools

    monkeypatch.setattr(cache_mod, "iter_tokenise",
                        functools.partial(cache_mod.iter_tokenise, chunk_size=10, warmup=20))
    ids = [str(i) for i in range(300)]
    texts = [TEXTS[i % len(TEXTS)] + f" {i}" for i in range(300)]
    cache = TokenCache(tmp_path)
    p1 = cache.get_or_build(ids, texts, TextSettings(), "a", workers=1)
    p2 = cache.get_or_build(ids, iter(texts), TextSettings(), "b", workers=2)
    assert pq.read_table(p1).equals(pq.read_table(p2))


def test_metadata_recorded(tmp_path):
    s = TextSettings(min_length=3)
    path = TokenCache(tmp_path).get_or_build(IDS, TEXTS, s, "content-fp", workers=1)
    meta = read_cache_metadata(path)
    assert meta["settings"] == s.to_dict()
    assert meta["settings_fingerprint"] == s.fingerprint()
    assert meta["content_fingerprint"] == "content-fp"
    assert TextSettings.from_dict(meta["settings"]) == s


def test_empty_corpus(tmp_path):
    path = TokenCache(tmp_path).get_or_build([], [], TextSettings(), "empty", workers=1)
    assert pq.read_table(path).num_rows == 0
    assert list(iter_tokens(path)) == []


def test_atomic_write_goes_through_a_temporary_file(tmp_path, monkeypatch):
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append((str(src), str(dst), os.path.exists(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(cache_mod.os, "replace", spy)
    path = TokenCache(tmp_path).get_or_build(IDS, TEXTS, TextSettings(), "x", workers=1)
    [(src, dst, existed)] = seen
    assert dst == str(path) and not existed
    assert os.path.dirname(src) == str(tmp_path) and src.endswith(".tmp") and not os.path.exists(src)


def test_failed_build_leaves_nothing(tmp_path):
    def texts():
        yield from TEXTS[:10]
        raise RuntimeError("disk on fire")

    cache = TokenCache(tmp_path)
    with pytest.raises(RuntimeError, match="disk on fire"):
        cache.get_or_build(IDS, texts(), TextSettings(), "boom", workers=1, row_group_size=3)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(CacheError, match="different lengths"):
        cache.get_or_build(IDS, TEXTS[:5], TextSettings(), "short", workers=1)
    assert list(tmp_path.iterdir()) == []


def test_content_fingerprint_required(tmp_path):
    with pytest.raises(CacheError, match="content_fingerprint"):
        TokenCache(tmp_path).get_or_build(IDS, TEXTS, TextSettings(), "")
