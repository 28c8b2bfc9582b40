"""Bounded memory end to end (issue 14): batched imports, skipping known files, DuckDB queries, and
the matrix counted from Arrow batches. Constructed or demo data only; nothing here is timed."""
import csv
import gzip
import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from conftest import ROOT
from workbench.cli import main
from workbench.corpus import import_sources, open_store
from workbench.corpus import store as store_mod
from workbench.corpus.readers import open_source, read_source
from workbench.corpus.validation import Validator
from workbench.errors import StoreError, ValidationError
from workbench.query import query_store

DEMO = ROOT / "corpus" / "demo" / "articles.jsonl"
OUTLETS = ["state-daily", "SD", "free-voice"]


def articles(n, prefix="a"):
    """``n`` articles; every 7th repeats an earlier text (an exact duplicate), later ones bring an
    extra column (``section``) and then another (``author``) that earlier batches lack."""
    out = []
    for i in range(n):
        a = {"id": f"{prefix}{i}", "outlet": OUTLETS[i % 3], "date": f"2024-0{1 + i % 9}-{1 + i % 28:02d}",
             "title": f"عنوان {i}", "text": f"نص المقال رقم {i} عن الأحداث في المدينة {prefix}",
             "url": f"https://example.org/{prefix}/{i}"}
        if i % 7 == 6:
            a["text"] = out[i - 3]["text"]
            a["outlet"] = out[i - 3]["outlet"]
        if i > n // 2:
            a["section"] = "سياسة" if i % 2 else "محليات"
        if i > 3 * n // 4:
            a["author"] = f"كاتب {i % 5}"
        out.append(a)
    return out


def write_jsonl(path, rows, gz=False):
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def committed(store):
    """The catalogue and every file under parts/ and rejects/, byte for byte."""
    files = {}
    for f in sorted(store.rglob("*")):
        if f.is_file() and f.name != ".lock":
            files[str(f.relative_to(store))] = f.read_bytes()
    return files


def content(store):
    st = open_store(store)
    return st.read(), [{k: v for k, v in i.items() if k in ("read", "added", "duplicates", "already_in_store",
                                                              "rejected")} for i in st.catalogue["imports"]]


# ----------------------------------------------------------------------------- batched import

@pytest.mark.parametrize("gz", [False, True])
def test_batched_import_equals_one_shot_import(tmp_path, registry_file, gz):
    src = write_jsonl(tmp_path / ("in.jsonl.gz" if gz else "in.jsonl"), articles(230), gz=gz)
    import_sources([src], tmp_path / "one", registry=registry_file, batch_size=100_000)
    import_sources([src], tmp_path / "many", registry=registry_file, batch_size=7)
    one, one_counts = content(tmp_path / "one")
    many, many_counts = content(tmp_path / "many")
    pd.testing.assert_frame_equal(one, many)
    assert one_counts == many_counts and one_counts[0]["duplicates"] > 0
    assert {"section", "author"} <= set(many.columns)       # columns first seen in a later batch
    schema = open_store(tmp_path / "many").column_names()
    assert schema[-2:] == ["author", "section"]             # extra columns sorted, as before


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_batched_csv_and_tsv_equal_the_whole_file_reader(tmp_path, registry_file, fmt):
    rows = articles(60)
    path = tmp_path / f"in.{fmt}"
    fields = ["id", "outlet", "date", "title", "text", "url", "section"]
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="," if fmt == "csv" else "\t",
                       quoting=csv.QUOTE_MINIMAL if fmt == "csv" else csv.QUOTE_NONE)
        w.writerow(fields)
        for r in rows:
            w.writerow([r.get(k, "") for k in fields])
    whole = read_source(path)
    streamed = [rec for recs, _ in open_source(path).batches(batch_size=8) for rec in recs]
    assert [(r.line, r.data) for r in streamed] == [(r.line, r.data) for r in whole.records]
    import_sources([path], tmp_path / "s", registry=registry_file, batch_size=8)
    assert len(open_store(tmp_path / "s").read()) == len(whole.records) - sum(i % 7 == 6 for i in range(60))


def test_memory_is_bounded_by_the_batch(tmp_path, registry_file, monkeypatch):
    """A file many batches long is validated and written a batch at a time."""
    n, batch = 2000, 64
    src = write_jsonl(tmp_path / "big.jsonl", articles(n))
    fed, written = [], []
    real_feed, real_write = Validator.feed, store_mod._PartWriter.write
    monkeypatch.setattr(Validator, "feed", lambda self, recs: fed.append(len(recs)) or real_feed(self, recs))
    monkeypatch.setattr(store_mod._PartWriter, "write",
                        lambda self, rows: written.append(len(rows)) or real_write(self, rows))
    res = import_sources([src], tmp_path / "s", registry=registry_file, batch_size=batch)
    assert sum(fed) == n and max(fed) <= batch and len(fed) >= n // batch
    assert max(written) <= batch and sum(written) == res.added
    assert res.added + res.duplicates == n
    pf = open_store(tmp_path / "s")._part(open_store(tmp_path / "s").part_paths[0])
    assert pf.metadata.num_row_groups > 1                  # written batch by batch, not at once


def test_bad_batch_size_is_refused(tmp_path, registry_file):
    with pytest.raises(StoreError, match="batch size must be a positive number"):
        import_sources([write_jsonl(tmp_path / "a.jsonl", articles(3))], tmp_path / "s",
                       registry=registry_file, batch_size=0)


# ----------------------------------------------------------------------------- known files

def test_reimport_of_a_known_file_is_skipped(tmp_path, registry_file, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", articles(50))
    store = tmp_path / "s"
    first = import_sources([src], store, registry=registry_file)
    before = committed(store)
    calls = []
    monkeypatch_feed = Validator.feed
    try:
        Validator.feed = lambda self, recs: calls.append(1) or monkeypatch_feed(self, recs)
        again = import_sources([src], store, registry=registry_file)
    finally:
        Validator.feed = monkeypatch_feed
    assert calls == []                                       # not parsed, not validated
    assert again.added == 0 and again.part is None and again.already_in_store == 50
    assert again.sources[0]["skipped"] and again.sources[0]["imported_by"] == first.import_id
    assert "skipped: already imported whole" in again.summary()
    after = committed(store)
    assert {k: v for k, v in after.items() if k != "catalogue.json"} == \
           {k: v for k, v in before.items() if k != "catalogue.json"}   # no part, nothing else written
    assert len(open_store(store).catalogue["imports"]) == 2
    # --again reads it anyway (and finds everything already stored)
    rc = main(["corpus", "import", str(src), "--store", str(store), "--registry", str(registry_file),
               "--again", "--json"])
    rec = json.loads(capsys.readouterr().out)
    assert rc == 0 and rec["added"] == 0 and rec["already_in_store"] + rec["duplicates"] == 50
    assert not rec["sources"][0].get("skipped")


def test_a_file_imported_with_rejects_is_not_skipped(tmp_path, registry_file):
    rows = articles(20) + [{"id": "x", "outlet": "nowhere", "date": "2024-01-01", "text": "نص"}]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    import_sources([src], tmp_path / "s", registry=registry_file, skip_invalid=True)
    again = import_sources([src], tmp_path / "s", registry=registry_file, skip_invalid=True)
    assert not again.sources[0].get("skipped") and again.rejected == 1


# ----------------------------------------------------------------------------- atomicity

def test_invalid_record_late_in_the_stream_leaves_the_store_unchanged(tmp_path, registry_file):
    store = tmp_path / "s"
    import_sources([write_jsonl(tmp_path / "base.jsonl", articles(30, "base"))], store, registry=registry_file)
    before = committed(store)
    rows = articles(500, "new")
    rows[450]["date"] = "2024-02-30"
    with pytest.raises(ValidationError, match=r"new\.jsonl:451: date: cannot parse '2024-02-30'"):
        import_sources([write_jsonl(tmp_path / "new.jsonl", rows)], store, registry=registry_file, batch_size=16)
    assert committed(store) == before
    # and into a new store: no folder at all
    with pytest.raises(ValidationError):
        import_sources([tmp_path / "new.jsonl"], tmp_path / "fresh" / "store", registry=registry_file,
                       batch_size=16)
    assert not (tmp_path / "fresh").exists()


def test_failure_mid_stream_leaves_the_store_unchanged(tmp_path, registry_file, monkeypatch):
    store = tmp_path / "s"
    import_sources([write_jsonl(tmp_path / "base.jsonl", articles(30, "base"))], store, registry=registry_file)
    before = committed(store)
    real = Validator.feed
    seen = []

    def failing(self, recs):
        seen.append(1)
        if len(seen) == 5:
            raise OSError(28, "No space left on device")
        return real(self, recs)

    monkeypatch.setattr(Validator, "feed", failing)
    with pytest.raises(OSError):
        import_sources([write_jsonl(tmp_path / "new.jsonl", articles(400, "new"))], store,
                       registry=registry_file, batch_size=16)
    assert committed(store) == before                       # no orphan part, no temporary file
    monkeypatch.setattr(Validator, "feed", real)
    res = import_sources([tmp_path / "new.jsonl"], store, registry=registry_file, batch_size=16)
    assert res.added > 0 and len(open_store(store).part_paths) == 2


def test_skip_invalid_streams_its_rejects(tmp_path, registry_file):
    rows = articles(100)
    rows[10]["outlet"] = "nowhere"
    rows[90]["text"] = ""
    path = write_jsonl(tmp_path / "in.jsonl", rows)
    with open(path, "a", encoding="utf-8") as f:
        f.write('{"id": "cut", "outlet": "SD", "te\n')
    small = import_sources([path], tmp_path / "a", registry=registry_file, skip_invalid=True, batch_size=9)
    large = import_sources([path], tmp_path / "b", registry=registry_file, skip_invalid=True)
    assert (small.added, small.rejected) == (large.added, large.rejected) and small.rejected == 3
    lines = open(small.rejects_file, encoding="utf-8").read().splitlines()
    assert lines == open(large.rejects_file, encoding="utf-8").read().splitlines()
    assert [json.loads(x)["line"] for x in lines] == [101, 11, 91, None]


# ----------------------------------------------------------------------------- DuckDB

def _pandas_filter(full, where):
    mask = np.ones(len(full), dtype=bool)
    for col, vals, neg in where:
        values = full[col].astype("string")
        hit = values.isin(vals).fillna(False).to_numpy(dtype=bool)
        mask &= ~hit if neg else hit
    return mask


@pytest.mark.parametrize("kwargs, where", [
    ({}, []),
    ({"where": "camp=regime"}, [("camp", ["regime"], False)]),
    ({"where": ["section!=اقتصاد", "outlet=sawt-al-dawla,sijil-al-huriya"]},
     [("section", ["اقتصاد"], True), ("outlet", ["sawt-al-dawla", "sijil-al-huriya"], False)]),
    ({"outlets": ["al-hisn-al-watani"], "camps": ["regime"]},
     [("outlet", ["al-hisn-al-watani"], False), ("camp", ["regime"], False)]),
])
def test_duckdb_query_equals_pandas_filtering(demo_store, kwargs, where):
    st = open_store(demo_store)
    full = st.read(sort=False)
    cols = [c for c in full.columns if c not in ("text", "text_hash", "content_hash")]
    got = query_store(st, **kwargs)
    want = full.loc[_pandas_filter(full, where), cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)
    assert len(got) > 0


def test_duckdb_text_dates_columns_and_sort(demo_store):
    st = open_store(demo_store)
    full = st.read(sort=False)
    got = query_store(st, text_contains=["النظام", "الجيش"], start="2024-01-10", end="2024-02-15",
                      columns=["title", "text", "month"], sort=True)
    hit = full["text"].str.contains("النظام", regex=False) | full["text"].str.contains("الجيش", regex=False)
    keep = hit.to_numpy(bool) & (full["date"] >= "2024-01-10").to_numpy() & \
        (full["date"] < "2024-02-16").to_numpy()
    want = full[keep].sort_values(["date", "id"], kind="stable")
    want = want.assign(month=want["date"].dt.strftime("%Y-%m"))[["id", "outlet", "camp", "date", "title",
                                                                   "text", "month"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)
    assert 0 < len(got) < len(full)
    assert query_store(st, where="date=2024-01-08")["id"].tolist() == \
        full.loc[full["date"].dt.strftime("%Y-%m-%d") == "2024-01-08", "id"].tolist()
    meta = st.metadata()
    pd.testing.assert_frame_equal(query_store(st, columns=[c for c in meta.columns if c not in
                                                           ("id", "outlet", "camp", "date")]), meta)
    with pytest.raises(StoreError, match="'nope' is not a column"):
        query_store(st, columns=["nope"])


def test_corpus_query_command(demo_store, capsys):
    rc = main(["corpus", "query", "--store", str(demo_store), "--camp", "opposition", "--contains", "النظام",
               "--count"])
    n = int(capsys.readouterr().out)
    assert rc == 0 and n == len(query_store(demo_store, camps=["opposition"], text_contains="النظام")) > 0


# ----------------------------------------------------------------------------- matrix

def test_matrix_from_arrow_batches_equals_the_one_from_token_lists(demo_store):
    from workbench.analysis import Analysis
    from workbench.matrix import build_matrix
    from workbench.text.cache import iter_token_arrays

    a = Analysis(demo_store)
    dtm = a.matrix()
    lists = [toks for arr in iter_token_arrays(a.token_cache, batch_size=10_000) for toks in arr.to_pylist()]
    old = build_matrix([lists], a.docs)                       # every token list at once, as before
    for size in (1, 7, 1000):
        new = build_matrix(iter_token_arrays(a.token_cache, batch_size=size, mask=a.mask), a.docs)
        assert new.vocab.tolist() == old.vocab.tolist()
        assert (new.X != old.X).nnz == 0 and new.X.dtype == old.X.dtype
    assert dtm.vocab.tolist() == old.vocab.tolist() and (dtm.X != old.X).nnz == 0
    assert sp.isspmatrix_csr(dtm.X) and dtm.X.dtype == np.int64 and dtm.X.has_sorted_indices
    # and both equal counts made by hand: terms by descending count, then alphabetically
    from collections import Counter
    docs = [Counter(t) for t in lists]
    total = Counter()
    for c in docs:
        total.update(c)
    vocab = sorted(total, key=lambda t: (-total[t], t))
    assert old.vocab.tolist() == vocab
    col = {t: j for j, t in enumerate(vocab)}
    dense = np.zeros((len(docs), len(vocab)), dtype=np.int64)
    for i, c in enumerate(docs):
        for t, k in c.items():
            dense[i, col[t]] = k
    assert np.array_equal(old.X.toarray(), dense)
    trimmed = build_matrix(iter_token_arrays(a.token_cache, batch_size=13), a.docs, min_count=3, max_df=0.5)
    keep = [j for j, t in enumerate(vocab) if total[t] >= 3 and (dense[:, j] > 0).sum() <= len(docs) // 2]
    assert trimmed.vocab.tolist() == [vocab[j] for j in keep]
    assert np.array_equal(trimmed.X.toarray(), dense[:, keep])


def test_streamed_lines_equal_split_lines():
    import random

    from workbench.corpus.readers import _split_stream, split_lines

    rng = random.Random(14)
    for _ in range(300):
        text = "".join(rng.choice(["a", "ب", "\n", "\r", "\r\n", "\u2028", "\x85", "{}", " "])
                       for _ in range(rng.randint(0, 40)))
        sep = "\n" if "\n" in text or "\r" not in text else "\r"
        cuts = sorted(rng.sample(range(len(text) + 1), min(len(text) + 1, rng.randint(0, 6))))
        chunks = [text[i:j] for i, j in zip([0] + cuts, cuts + [len(text)]) if j > i]
        assert list(_split_stream(chunks, sep)) == split_lines(text), repr(text)
