"""Import formats, encodings, validation errors, de-duplication and atomicity of the corpus store."""
import csv
import gzip
import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from conftest import ROOT
from workbench.cli import main
from workbench.corpus import import_sources, load_registry, open_store, read_corpus
from workbench.corpus.readers import decode
from workbench.errors import InputError, RegistryError, StoreError, ValidationError

ARTICLES = [
    {"id": "a1", "outlet": "state-daily", "date": "2024-01-05", "title": "عنوان",
     "text": "أعلن الجيش العربي السوري تحرير البلدة من الإرهابيين", "url": None, "section": "local"},
    {"id": "a2", "outlet": "Free Voice", "date": "2024-01-06T10:30:00", "title": "خبر",
     "text": "قصفت قوات النظام البلدة وتهجير الأهالي", "url": "https://example.org/2", "section": "news"},
    {"id": "a3", "outlet": "SD", "date": "2024-02-01", "title": "ثالث",
     "text": "المصالحة الوطنية في ريف دمشق", "url": None, "section": "politics"},
]


def write_jsonl(path, rows, encoding="utf-8"):
    path.write_bytes("\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode(encoding) + b"\n")
    return path


def write_csv(path, rows, delimiter=",", encoding="utf-8"):
    cols = list(rows[0])
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.DictWriter(f, cols, delimiter=delimiter)
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if v is None else v) for k, v in r.items()})
    return path


# ----------------------------------------------------------------------------- formats

def test_jsonl_roundtrip_dtypes_and_camps(tmp_path, registry_file):
    src = write_jsonl(tmp_path / "a.jsonl", ARTICLES)
    res = import_sources([src], tmp_path / "store", registry=registry_file)
    assert res.added == 3
    df = read_corpus(tmp_path / "store")
    assert list(df["id"]) == ["a1", "a2", "a3"]
    assert list(df["outlet"]) == ["state-daily", "free-voice", "state-daily"]  # aliases resolved
    assert list(df["camp"]) == ["regime", "opposition", "regime"]
    assert isinstance(df["outlet"].dtype, pd.CategoricalDtype)
    assert isinstance(df["camp"].dtype, pd.CategoricalDtype)
    assert pd.api.types.is_datetime64_any_dtype(df["date"])
    assert df.loc[1, "date"] == pd.Timestamp("2024-01-06 10:30")
    assert df.loc[1, "url"] == "https://example.org/2"
    assert list(df["section"]) == ["local", "news", "politics"]  # extra column kept
    assert df.loc[0, "text"] == ARTICLES[0]["text"]


def test_gzip_jsonl(tmp_path, registry_file):
    src = tmp_path / "a.jsonl.gz"
    src.write_bytes(gzip.compress("\n".join(json.dumps(r, ensure_ascii=False) for r in ARTICLES).encode()))
    assert import_sources([src], tmp_path / "s", registry=registry_file).added == 3


@pytest.mark.parametrize("ext,delim", [("csv", ","), ("tsv", "\t")])
def test_csv_and_tsv(tmp_path, registry_file, ext, delim):
    rows = [dict(r, text=r["text"] + "\nسطر ثان، مع فاصلة") for r in ARTICLES]
    src = write_csv(tmp_path / f"a.{ext}", rows, delimiter=delim)
    import_sources([src], tmp_path / "s", registry=registry_file)
    df = read_corpus(tmp_path / "s")
    assert len(df) == 3 and df.loc[0, "text"].endswith("سطر ثان، مع فاصلة")
    assert df.loc[0, "url"] is pd.NA or pd.isna(df.loc[0, "url"])


def test_txt_folder_with_metadata(tmp_path, registry_file):
    folder = tmp_path / "txt"
    folder.mkdir()
    meta = []
    for r in ARTICLES:
        (folder / f"{r['id']}.txt").write_text(r["text"], encoding="utf-8")
        meta.append({"file": f"{r['id']}.txt", "outlet": r["outlet"], "date": r["date"], "title": r["title"]})
    write_csv(folder / "metadata.csv", meta)
    import_sources([folder], tmp_path / "s", registry=registry_file)
    df = read_corpus(tmp_path / "s")
    assert sorted(df["id"]) == ["a1", "a2", "a3"]  # ids default to the file name
    assert df.set_index("id").loc["a2", "text"] == ARTICLES[1]["text"]


def test_txt_folder_unlisted_file_is_an_error(tmp_path, registry_file):
    folder = tmp_path / "txt"
    folder.mkdir()
    (folder / "a1.txt").write_text("نص", encoding="utf-8")
    (folder / "stray.txt").write_text("نص آخر", encoding="utf-8")
    write_csv(folder / "metadata.csv", [{"file": "a1.txt", "outlet": "SD", "date": "2024-01-01"}])
    with pytest.raises(ValidationError, match="stray.txt: file: not listed in metadata.csv"):
        import_sources([folder], tmp_path / "s", registry=registry_file)


def test_column_mapping(tmp_path, registry_file):
    rows = [{"article_id": r["id"], "source": r["outlet"], "published": r["date"], "body": r["text"]}
            for r in ARTICLES]
    src = write_csv(tmp_path / "a.csv", rows)
    import_sources([src], tmp_path / "s", registry=registry_file,
                   columns={"id": "article_id", "outlet": "source", "date": "published", "text": "body"})
    assert len(read_corpus(tmp_path / "s")) == 3
    with pytest.raises(InputError, match="column 'nope' .* is not in the file"):
        import_sources([src], tmp_path / "s2", registry=registry_file, columns={"text": "nope"})


# ----------------------------------------------------------------------------- encodings

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1256"])
def test_encodings_detected(tmp_path, registry_file, encoding):
    rows = [dict(r, url=None) for r in ARTICLES]  # cp1256 has no room for every URL character issue
    src = write_csv(tmp_path / "a.csv", rows, encoding=encoding)
    res = import_sources([src], tmp_path / "s", registry=registry_file)
    assert res.added == 3
    expected = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "utf-16": "utf-16",
                "utf-16-le": "utf-16-le", "cp1256": "cp1256"}[encoding]
    assert res.sources[0]["encoding"] == expected
    assert read_corpus(tmp_path / "s").loc[0, "text"] == ARTICLES[0]["text"]


def test_named_encoding(tmp_path, registry_file):
    src = write_jsonl(tmp_path / "a.jsonl", ARTICLES, encoding="cp1256")
    res = import_sources([src], tmp_path / "s", registry=registry_file, encoding="windows-1256")
    assert res.sources[0]["encoding"] == "cp1256"
    with pytest.raises(InputError, match=r"a.jsonl:1: byte \d+: cannot be decoded as utf-8"):
        import_sources([src], tmp_path / "s2", registry=registry_file, encoding="utf-8")


def test_corrupt_utf8_names_file_and_offset(tmp_path, registry_file):
    good = "\n".join(json.dumps(r, ensure_ascii=False) for r in ARTICLES).encode()
    bad = good[:40] + b"\xff\xfe\xfa" + good[40:]
    offset = 40
    src = tmp_path / "bad.jsonl"
    src.write_bytes(bad)
    with pytest.raises(InputError, match=rf"bad.jsonl:1: byte {offset}: not valid UTF-8"):
        import_sources([src], tmp_path / "s", registry=registry_file)
    assert not (tmp_path / "s" / "catalogue.json").exists()


def test_decode_never_guesses_cp1256_for_latin_bytes():
    with pytest.raises(InputError, match="byte 5"):
        decode(b"hello\xe9\xe8 world caf\xe9", "latin.txt")


# ----------------------------------------------------------------------------- validation

def test_every_validation_problem_reported_and_nothing_written(tmp_path, registry_file):
    rows = [
        ARTICLES[0],
        dict(ARTICLES[1], text="   "),                          # line 2: missing text
        dict(ARTICLES[2], date="next tuesday"),                  # line 3: bad date
        dict(ARTICLES[2], id="a4", outlet="Unknown TV"),         # line 4: unknown outlet
        dict(ARTICLES[0], text="نص مختلف تماما"),                # line 5: duplicate id, other content
        dict(ARTICLES[2], id="", text="نص"),                     # line 6: missing id
        dict(ARTICLES[2], id="a7", date=None),                   # line 7: missing date
        dict(ARTICLES[2], id="a8", outlet="Another TV"),         # line 8: unknown outlet
    ]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    store = tmp_path / "s"
    with pytest.raises(ValidationError) as e:
        import_sources([src], store, registry=registry_file)
    msg = str(e.value)
    assert f"{src}:2: text: missing text" in msg
    assert f"{src}:3: date: cannot parse 'next tuesday' as a date" in msg
    assert f"{src}:4: outlet: 'Unknown TV' is not in registry 'test'" in msg
    assert f"{src}:5: id: duplicate id 'a1' with different content (first at {src}:1)" in msg
    assert f"{src}:6: id: missing id" in msg
    assert f"{src}:7: date: missing date" in msg
    assert "2 unknown outlets: 'Another TV' (1 row, first at" in msg and "'Unknown TV'" in msg
    assert "nothing was written" in msg
    assert not (store / "catalogue.json").exists()
    assert not list(store.glob("parts/*.parquet"))


def test_bad_json_line_and_bad_csv_row(tmp_path, registry_file):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(ARTICLES[0], ensure_ascii=False) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"in.jsonl:2: json: not valid JSON"):
        import_sources([src], tmp_path / "s", registry=registry_file)
    csvf = tmp_path / "in.csv"
    csvf.write_text("id,outlet,date,text\na1,SD,2024-01-01,نص\na2,SD,2024-01-02\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"in.csv:3: csv: expected 4 fields, found 3"):
        import_sources([csvf], tmp_path / "s", registry=registry_file)


def test_skip_invalid_writes_valid_rows_and_rejects(tmp_path, registry_file):
    rows = ARTICLES + [dict(ARTICLES[0], id="bad", date="31/31/2024")]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    res = import_sources([src], tmp_path / "s", registry=registry_file, skip_invalid=True)
    assert res.added == 3 and res.rejected == 1
    rejects = [json.loads(l) for l in open(res.rejects_file, encoding="utf-8")]
    assert rejects[0]["line"] == 4 and rejects[0]["record"]["id"] == "bad"
    assert "date: cannot parse '31/31/2024'" in rejects[0]["problems"][0]


def test_date_format_option(tmp_path, registry_file):
    rows = [dict(r, date="05/01/2024") for r in ARTICLES]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    import_sources([src], tmp_path / "s", registry=registry_file, date_format="%d/%m/%Y")
    assert read_corpus(tmp_path / "s")["date"].iloc[0] == pd.Timestamp("2024-01-05")


def test_registry_errors_are_specific(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("outlets:\n  - id: Bad Id\n    name_en: X\n    camp: c\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="outlet #1 'Bad Id': id must be lowercase"):
        load_registry(p)
    p.write_text("camps: {a: A}\noutlets:\n  - id: x\n    name_en: X\n    camp: b\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="camp 'b' is not listed under 'camps:'"):
        load_registry(p)


# ----------------------------------------------------------------------------- duplicates

def test_duplicates_dropped_and_reimport_adds_nothing(tmp_path, registry_file):
    rows = ARTICLES + [
        dict(ARTICLES[0]),                                                   # same id, same content
        dict(ARTICLES[1], id="a2-copy", text="قصفت  قوات ـالنظامَ البلدة وتهجير الأهالي"),  # same text once normalised
        dict(ARTICLES[1], id="a2-other-outlet", outlet="SD"),                # same text, other outlet: kept
    ]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    res = import_sources([src], tmp_path / "s", registry=registry_file)
    assert (res.added, res.duplicates) == (4, 2)
    again = import_sources([src], tmp_path / "s", registry=registry_file)
    assert again.added == 0 and again.already_in_store + again.duplicates == len(rows)
    st = open_store(tmp_path / "s")
    assert len(st.read()) == 4 and len(st.catalogue["imports"]) == 2 and len(st.part_paths) == 1


def test_stored_id_with_new_content_is_an_error(tmp_path, registry_file):
    import_sources([write_jsonl(tmp_path / "a.jsonl", ARTICLES)], tmp_path / "s", registry=registry_file)
    changed = write_jsonl(tmp_path / "b.jsonl", [dict(ARTICLES[0], text="نص معدل")])
    with pytest.raises(ValidationError, match="id 'a1' is already in the store with different content"):
        import_sources([changed], tmp_path / "s", registry=registry_file)


# ----------------------------------------------------------------------------- atomicity

def _store_state(path):
    return {p.relative_to(path): p.read_bytes() for p in sorted(path.rglob("*"))
            if p.is_file() and p.name != ".lock" and "rejects" not in p.parts}


def test_import_dying_before_commit_leaves_store_unchanged(tmp_path, registry_file):
    store = tmp_path / "s"
    import_sources([write_jsonl(tmp_path / "a.jsonl", ARTICLES[:2])], store, registry=registry_file)
    before = _store_state(store)
    second = write_jsonl(tmp_path / "b.jsonl", ARTICLES[2:])
    # A child process writes its new part, then dies just before replacing the catalogue.
    code = f"""
import os, workbench.corpus.store as s
real = s._write_atomic
def die(path, data):
    if path.name == "catalogue.json":
        os._exit(9)
    real(path, data)
s._write_atomic = die
s.import_sources([{str(second)!r}], {str(store)!r}, registry={str(registry_file)!r})
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT)
    assert proc.returncode == 9
    assert len(list((store / "parts").glob("*.parquet"))) == 2  # the orphan part exists ...
    assert len(read_corpus(store)) == 2                         # ... but readers never see it
    catalogue = {k: v for k, v in _store_state(store).items() if k.name == "catalogue.json"}
    assert catalogue == {k: v for k, v in before.items() if k.name == "catalogue.json"}
    import_sources([second], store, registry=registry_file)     # the next import cleans up
    assert len(read_corpus(store)) == 3
    assert len(list((store / "parts").glob("*.parquet"))) == 2


@pytest.mark.slow
def test_sigkilled_import_leaves_store_whole(tmp_path, registry_file):
    store = tmp_path / "s"
    import_sources([write_jsonl(tmp_path / "a.jsonl", ARTICLES)], store, registry=registry_file)
    before = read_corpus(store)
    big = [dict(ARTICLES[i % 3], id=f"b{i}", text=f"{ARTICLES[i % 3]['text']} رقم {i} " * 30)
           for i in range(60_000)]
    src = write_jsonl(tmp_path / "big.jsonl", big)
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli", "corpus", "import", str(src),
                             "--store", str(store), "--registry", str(registry_file), "-q"], cwd=ROOT)
    time.sleep(1.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    after = read_corpus(store)
    assert len(after) in (len(before), len(before) + 60_000)
    if len(after) == len(before):
        pd.testing.assert_frame_equal(after, before)


def test_concurrent_import_is_refused(tmp_path, registry_file):
    st = open_store(tmp_path / "s")
    with st.lock():
        with pytest.raises(StoreError, match="another import is writing to this store"):
            import_sources([write_jsonl(tmp_path / "a.jsonl", ARTICLES)], tmp_path / "s", registry=registry_file)


# ----------------------------------------------------------------------------- CLI

def test_cli_import_and_info_json(tmp_path, registry_file, capsys):
    src = write_jsonl(tmp_path / "a.jsonl", ARTICLES)
    assert main(["corpus", "import", str(src), "--store", str(tmp_path / "s"),
                 "--registry", str(registry_file), "-q"]) == 0
    capsys.readouterr()
    assert main(["corpus", "info", "--store", str(tmp_path / "s"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["articles"] == 3 and info["outlets"] == 2
    assert {c["camp"]: c["articles"] for c in info["by_camp"]} == {"regime": 2, "opposition": 1}
    assert info["first_date"].startswith("2024-01-05") and info["last_date"].startswith("2024-02-01")
    assert info["words"] == sum(len(r["text"].split()) for r in ARTICLES)


def test_cli_errors_are_one_line_and_nonzero(tmp_path, registry_file, capsys):
    src = write_jsonl(tmp_path / "a.jsonl", [dict(ARTICLES[0], outlet="Nope")])
    assert main(["corpus", "import", str(src), "--store", str(tmp_path / "s"),
                 "--registry", str(registry_file), "-q"]) == 2
    err = capsys.readouterr().err
    assert f"error: {src}:1: outlet: 'Nope' is not in registry 'test'" in err
    assert main(["corpus", "info", "--store", str(tmp_path / "missing")]) == 2
    assert "no corpus store here" in capsys.readouterr().err
    assert main(["corpus", "import", str(tmp_path / "nope.jsonl"), "--store", str(tmp_path / "s")]) == 2
    assert "nope.jsonl: no such file or folder" in capsys.readouterr().err


# ----------------------------------------------------------------------------- real data

@pytest.mark.slow
def test_egypt2013_import_and_summary(egypt_import):
    # the session's import of the real corpus (conftest.egypt_import) is the import tested here
    store, res = egypt_import
    assert res.read == 31214 and res.added + res.duplicates == 31214
    st = open_store(store)
    df = st.read(columns=["n_words"])
    counts = df["outlet"].value_counts()
    assert counts["fjp"] == 1726 and counts["al-ahram"] == 151 and counts["cnn-arabic"] == 524
    assert set(df["camp"].unique()) == {"brotherhood", "state", "private", "international"}
    assert df["date"].min() >= pd.Timestamp("2013-01-01") and df["date"].max() < pd.Timestamp("2013-04-01")
    assert 5_500_000 < df["n_words"].sum() < 6_500_000
