"""Bad input, one kind per case: each is refused with a one-line error naming the file, the line (or
byte offset) and the field, with exit code 2 and the store left byte-identical; or it is a documented
tolerance and imports exactly as given.

Every case runs through the command line (``workbench.cli.main``) into a store that already holds
articles, so "nothing was written" is checked against real content.
"""
import csv
import gzip
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from conftest import ROOT
from workbench.cli import main
from workbench.corpus import import_sources, read_corpus

BASE = [
    {"id": "base1", "outlet": "state-daily", "date": "2023-12-01", "title": "قديم",
     "text": "نص محفوظ في المخزن من قبل"},
    {"id": "base2", "outlet": "free-voice", "date": "2023-12-02", "title": "قديم",
     "text": "نص آخر محفوظ في المخزن"},
]


def art(i, **kw):
    """A valid article (registry of conftest's ``registry_file``)."""
    return {"id": f"a{i}", "outlet": "state-daily" if i % 2 else "free-voice", "date": f"2024-01-{i:02d}",
            "title": f"عنوان {i}", "text": f"أعلن الوزير اليوم الخبر رقم {i} في العاصمة", **kw}


def jsonl(rows) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows)


def csv_bytes(rows, delimiter=",", encoding="utf-8", **kw) -> bytes:
    f = io.StringIO(newline="")
    w = csv.DictWriter(f, list(rows[0]), delimiter=delimiter, lineterminator="\n", **kw)
    w.writeheader()
    w.writerows(rows)
    return f.getvalue().encode(encoding)


def put(d, name, data: bytes):
    (d / name).write_bytes(data)
    return d / name


def txt_folder(d, meta_rows, files=None):
    folder = d / "txt"
    folder.mkdir()
    for name, body in (files or {}).items():
        (folder / name).write_text(body, encoding="utf-8")
    (folder / "metadata.csv").write_bytes(csv_bytes(meta_rows))
    return folder


# --------------------------------------------------------------------------- error cases
# Each builder writes its input under ``d`` and returns (sources, extra CLI flags); the expected
# message is a regular expression in which {src} stands for the first source path (escaped) and
# {d} for the input folder.

def traversal(file_value):
    def build(d):
        (d / "outside").mkdir()
        (d / "outside" / "secret.txt").write_text("كلمة السر", encoding="utf-8")
        return [txt_folder(d, [{"file": file_value, "outlet": "SD", "date": "2024-01-01"}])], []
    return build


def traversal_symlink(d):
    (d / "outside").mkdir()
    (d / "outside" / "secret.txt").write_text("كلمة السر", encoding="utf-8")
    folder = txt_folder(d, [{"file": "link.txt", "outlet": "SD", "date": "2024-01-01"}])
    os.symlink(d / "outside" / "secret.txt", folder / "link.txt")
    return [folder], []


def traversal_id(d):
    return [txt_folder(d, [{"id": "../outside/secret", "outlet": "SD", "date": "2024-01-01"}])], []


def mixed_encodings(d):
    good = jsonl([art(1), art(2)])
    bad = json.dumps(art(3), ensure_ascii=False).encode("cp1256") + b"\n"
    mixed_encodings.offset = len(good) + bad.index(b'"title"') + len('"title": "')
    return [put(d, "a.jsonl", good + bad)], []


def cp1256_as_utf8(d):
    data = csv_bytes([art(1), art(2)], encoding="cp1256")
    cp1256_as_utf8.offset = next(i for i, b in enumerate(data) if b > 127)
    return [put(d, "a.csv", data)], ["--encoding", "utf-8"]


def registry_case(text):
    def build(d):
        (d / "bad.yaml").write_text(text, encoding="utf-8")
        return [put(d, "a.jsonl", jsonl([art(1)]))], ["--registry", str(d / "bad.yaml")]
    return build


def gzip_truncated(d):
    data = gzip.compress(jsonl([art(i) for i in range(1, 30)]))
    return [put(d, "a.jsonl.gz", data[: len(data) // 2])], []


def directory_as_jsonl(d):
    (d / "a.jsonl").mkdir()
    return [d / "a.jsonl"], []


def store_is_file(d):
    return [put(d, "a.jsonl", jsonl([art(1)]))], []


def utf16_odd(d):
    data = "\n".join(json.dumps(art(i), ensure_ascii=False) for i in (1, 2)).encode("utf-16")
    return [put(d, "a.jsonl", data + b"\x00")], []


def unclosed_quote(d):
    rows = csv_bytes([art(1), art(2), art(3)]).decode().split("\n")
    rows[2] = rows[2].replace("عنوان 2", '"عنوان 2')
    return [put(d, "a.csv", "\n".join(rows).encode())], []


ERRORS = {
    # 1-4: path traversal out of a .txt folder
    "traversal-relative": (traversal("../outside/secret.txt"),
                           r"metadata.csv:2: file: '\.\./outside/secret.txt' is outside the corpus folder .*txt"),
    "traversal-absolute": (traversal("/etc/passwd"),
                           r"metadata.csv:2: file: '/etc/passwd' is outside the corpus folder .*txt"),
    "traversal-symlink": (traversal_symlink, r"metadata.csv:2: file: 'link.txt' is outside the corpus folder"),
    "traversal-id": (traversal_id, r"metadata.csv:2: file: '\.\./outside/secret.txt' is outside the corpus folder"),
    # 5-8: empty files
    "empty-0-bytes": (lambda d: ([put(d, "a.jsonl", b"")], []),
                      r"{src}: the file is empty \(0 bytes, 0 articles\); a failed download\?"),
    "empty-blank-lines": (lambda d: ([put(d, "a.jsonl", b"\n  \n\t\r\n\n")], []),
                          r"{src}: the file is empty \(only blank lines, 0 articles\)"),
    "empty-csv-header-only": (lambda d: ([put(d, "a.csv", b"id,outlet,date,title,text\n")], []),
                              r"{src}: the file has a header but no rows \(0 articles\); a failed download\?"),
    "empty-csv-0-bytes": (lambda d: ([put(d, "a.csv", b"")], []), r"{src}: the file is empty \(0 bytes"),
    "empty-gzip": (lambda d: ([put(d, "a.jsonl.gz", gzip.compress(b""))], []), r"{src}: the file is empty"),
    # 9: a lone surrogate escape
    "lone-surrogate": (lambda d: ([put(d, "a.jsonl", jsonl([art(1)]) + b'{"id": "a2", "outlet": "SD", '
                                       b'"date": "2024-01-02", "text": "\\u0646\\ud800\\u0635"}\n')], []),
                       r"{src}:2: text: contains a lone surrogate \(\\ud800\) at position 1, which cannot be "
                       r"stored as UTF-8; fix the JSON escape"),
    "lone-surrogate-in-key": (lambda d: ([put(d, "a.jsonl", b'{"id": "a1", "outlet": "SD", "date": "2024-01-02", '
                                              b'"text": "\\u0646", "\\udc80x": 1}\n')], []),
                              r"{src}:1: \\udc80x: its name contains a lone surrogate"),
    # 10-11: truncated and malformed JSON Lines
    "jsonl-truncated": (lambda d: ([put(d, "a.jsonl", jsonl([art(1), art(2), art(3)])[:-25])], []),
                        r"{src}:3: json: not valid JSON \(.*\); the line is cut short \(a truncated file\?\)"),
    "jsonl-trailing-garbage": (lambda d: ([put(d, "a.jsonl", jsonl([art(1)])[:-1] + b" garbage\n")], []),
                               r"{src}:1: json: not valid JSON \(Extra data at column \d+\); fix or remove the line"),
    "json-array-per-line": (lambda d: ([put(d, "a.jsonl", jsonl([art(1)]) + jsonl([[art(2)]]))], []),
                            r"{src}:2: json: expected a JSON object per line, found an array"),
    "json-array-file": (lambda d: ([put(d, "a.json", json.dumps([art(1), art(2)], indent=1).encode())], []),
                        r"{src}: is one JSON array, not JSON Lines .*; convert it, e.g. jq -c"),
    "json-null-line": (lambda d: ([put(d, "a.jsonl", jsonl([art(1)]) + b"null\n")], []),
                       r"{src}:2: json: expected a JSON object per line, found null"),
    "json-nan": (lambda d: ([put(d, "a.jsonl", jsonl([art(1)])[:-2] + b', "score": NaN}\n')], []),
                 r"{src}:1: json: not valid JSON \(NaN is not JSON; write null\)"),
    "json-duplicate-key": (lambda d: ([put(d, "a.jsonl", jsonl([art(1)])[:-2] + b', "id": "other"}\n')], []),
                           r"{src}:1: id: appears twice in the object; keep one"),
    "jsonl-field-missing-everywhere": (
        lambda d: ([put(d, "a.jsonl", jsonl([{**{k: v for k, v in art(i).items() if k != "text"},
                                              "body": "نص"} for i in (1, 2)]))], []),
        r"{src}: no record has the field 'text' \(fields found: body, date, id, outlet, title\); "
        r"map a differently named one with --column text=NAME"),
    # 12-15: malformed CSV, wrong delimiter, missing and extra columns
    "csv-unclosed-quote": (unclosed_quote,
                           r"{src}:3: csv: expected 5 fields, found \d+ \(the row runs on to line 4: a '\"' "
                           r"without its closing '\"' swallows the following lines\)"),
    "csv-semicolon": (lambda d: ([put(d, "a.csv", csv_bytes([art(1), art(2)], delimiter=";"))], []),
                      r"{src}:1: the header lacks the fields outlet, date, text \(columns found: "
                      r"id;outlet;date;title;text\); the header is one column: is the file separated by ';'\?"),
    "csv-missing-column": (lambda d: ([put(d, "a.csv", csv_bytes([{k: v for k, v in art(1).items() if k != "date"}]))], []),
                           r"{src}:1: the header lacks the field date \(columns found: id, outlet, title, text\); "
                           r"map a differently named column with --column date=NAME"),
    "csv-row-with-extra-field": (lambda d: ([put(d, "a.csv", csv_bytes([art(1)]) + b"a2,SD,2024-01-02,t,x,extra\n")], []),
                                 r"{src}:3: csv: expected 5 fields, found 6"),
    "metadata-without-file-or-id": (lambda d: ([txt_folder(d, [{"outlet": "SD", "date": "2024-01-01"}])], []),
                                    r"metadata.csv:1: the header lacks the field file/id"),
    # 16: empty text, wrong types
    "empty-text": (lambda d: ([put(d, "a.jsonl", jsonl([art(1, text=" \n ")]))], []), r"{src}:1: text: missing text"),
    "text-not-a-string": (lambda d: ([put(d, "a.jsonl", jsonl([art(1, text=42)]))], []),
                          r"{src}:1: text: expected a string, found a number"),
    "id-float": (lambda d: ([put(d, "a.jsonl", jsonl([art(1, id=1.5)]))], []),
                 r"{src}:1: id: expected a string or an integer, found a number \(1.5\); write the id as a string"),
    # 17-18: encodings
    "mixed-encodings": (mixed_encodings,
                        r"{src}:3: byte {offset}: not valid UTF-8 .*; the file mixes encodings \(valid UTF-8 "
                        r"before this byte\): re-export it in one encoding"),
    "cp1256-declared-utf8": (cp1256_as_utf8,
                             r"{src}:2: byte {offset}: cannot be decoded as utf-8 \(invalid .*\); check the file's "
                             r"encoding or omit --encoding to detect it"),
    "utf16-odd-length": (utf16_odd, r"{src}: byte \d+: invalid utf-16 data despite its byte-order mark"),
    "unknown-encoding": (lambda d: ([put(d, "a.jsonl", jsonl([art(1)]))], ["--encoding", "utf-9"]),
                         r"unknown encoding 'utf-9' \(try utf-8"),
    # 19-22: dates
    "date-feb-30": (lambda d: ([put(d, "a.jsonl", jsonl([art(1, date="2024-02-30")]))], []),
                    r"{src}:1: date: cannot parse '2024-02-30' as a date \(expected ISO 8601"),
    "date-month-13": (lambda d: ([put(d, "a.jsonl", jsonl([art(1, date="2024-13-01")]))], []),
                      r"{src}:1: date: cannot parse '2024-13-01' as a date"),
    "date-year-0": (lambda d: ([put(d, "a.jsonl", jsonl([art(1, date="0000-01-01")]))], []),
                    r"{src}:1: date: cannot parse '0000-01-01' as a date"),
    "date-day-first": (lambda d: ([put(d, "a.jsonl", jsonl([art(1, date="01/03/2024")]))], []),
                       r"{src}:1: date: cannot parse '01/03/2024' as a date .*or pass --date-format"),
    # 23: duplicate ids
    "duplicate-id": (lambda d: ([put(d, "a.jsonl", jsonl([art(1), art(1, text="نص مختلف")]))], []),
                     r"{src}:2: id: duplicate id 'a1' with different content \(first at {src}:1\)"),
    "id-in-store-changed": (lambda d: ([put(d, "a.jsonl", jsonl([dict(BASE[0], text="نص معدل")]))], []),
                            r"{src}:1: id: id 'base1' is already in the store with different content"),
    # 24-25: registries
    "registry-syntax": (registry_case("registry: x\noutlets:\n  - id: sd\n    name_en: [oops\n    camp: c\n"),
                        r"bad.yaml:5: not valid YAML \(.* at column \d+\); fix the syntax"),
    "registry-python-tag": (registry_case("registry: x\noutlets:\n  - !!python/object/apply:os.system [\"true\"]\n"),
                            r"bad.yaml:3: the tag '!!python/object/apply:os.system' is not allowed in a registry"),
    "registry-not-utf8": (registry_case("x"), None),   # replaced below: bytes, not text
    # 26-27: gzip and folders
    "gzip-truncated": (gzip_truncated, r"{src}: not a valid gzip file \(.*\); it is truncated or damaged"),
    "directory-as-jsonl": (directory_as_jsonl, r"{src}: is a folder, not a .jsonl file"),
    "no-such-file": (lambda d: ([d / "missing.jsonl"], []), r"{src}: no such file or folder"),
    # 28: unknown outlet
    "unknown-outlet": (lambda d: ([put(d, "a.jsonl", jsonl([art(1, outlet="Nowhere TV")]))], []),
                       r"1 unknown outlet: 'Nowhere TV' \(1 row, first at {src}:1\); add it to registry"),
    # 29-30: NUL characters
    "nul-escaped-in-json": (lambda d: ([put(d, "a.jsonl", jsonl([art(1, text="نص\x00نص")]))], []),
                            r"{src}:1: text: contains a NUL character \(U\+0000\) at position 2; the record is "
                            r"corrupt or binary"),
    "nul-raw-in-csv": (lambda d: ([put(d, "a.csv", csv_bytes([art(1, title="عن\x00وان")]))], []),
                       r"{src}:2: title: contains a NUL character"),
    # the store itself
    "store-is-a-file": (store_is_file, r"store-file: is a file, not a store folder; name a folder with --store"),
}


def _registry_not_utf8(d):
    (d / "bad.yaml").write_bytes("registry: x\noutlets: []\n# تعليق\n".encode("cp1256"))
    return [put(d, "a.jsonl", jsonl([art(1)]))], ["--registry", str(d / "bad.yaml")]


ERRORS["registry-not-utf8"] = (_registry_not_utf8, r"bad.yaml: byte \d+: not UTF-8 .*; save the registry as UTF-8")


def snapshot(store):
    """Every byte of the store that readers see (the lock file and rejects aside)."""
    if store.is_file():
        return {".": store.read_bytes()}
    return {str(p.relative_to(store)): p.read_bytes() for p in sorted(store.rglob("*"))
            if p.is_file() and p.name != ".lock" and "rejects" not in p.parts}


@pytest.fixture(scope="module")
def base_store(tmp_path_factory):
    d = tmp_path_factory.mktemp("base")
    reg = d / "outlets.yaml"
    reg.write_text("""registry: test
camps: {regime: state side, opposition: other side}
outlets:
  - {id: state-daily, name_en: State Daily, camp: regime, aliases: [SD]}
  - {id: free-voice, name_en: Free Voice, camp: opposition}
""", encoding="utf-8")
    (d / "base.jsonl").write_bytes(jsonl(BASE))
    import_sources([d / "base.jsonl"], d / "store", registry=reg)
    return d / "store", reg


@pytest.fixture
def store(base_store, tmp_path):
    src, reg = base_store
    shutil.copytree(src, tmp_path / "store")
    return tmp_path / "store", reg


def run_cli(sources, store, reg, flags, capsys):
    if "--registry" not in flags:
        flags = [*flags, "--registry", str(reg)]
    code = main(["corpus", "import", *map(str, sources), "--store", str(store), "-q", *flags])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("kind", list(ERRORS))
def test_bad_input_is_refused(kind, store, tmp_path, capsys):
    build, expected = ERRORS[kind]
    d = tmp_path / "in"
    d.mkdir()
    st, reg = store
    sources, flags = build(d)
    if kind == "store-is-a-file":
        st = tmp_path / "store-file"
        st.write_bytes(b"not a store")
    before = snapshot(st)
    code, err = run_cli(sources, st, reg, flags, capsys)
    assert code == 2, err
    pattern = expected.format(src=re.escape(str(sources[0])), d=re.escape(str(d)),
                              offset=getattr(build, "offset", ""))
    lines = err.rstrip("\n").split("\n")
    assert any(re.search(pattern, ln) for ln in lines), f"{pattern!r} not in:\n{err}"
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err and "internal error" not in err
    assert snapshot(st) == before


def test_refused_import_into_a_new_store_creates_nothing(tmp_path, registry_file, capsys):
    src = put(tmp_path, "a.jsonl", jsonl([art(1, outlet="Nowhere TV")]))
    code, err = run_cli([src], tmp_path / "new", registry_file, [], capsys)
    assert code == 2 and "unknown outlet" in err
    assert not (tmp_path / "new").exists()


# --------------------------------------------------------------------------- tolerances

def imported(store, reg, sources, capsys, *flags):
    code, err = run_cli(sources, store, reg, list(flags), capsys)
    assert code == 0, err
    df = read_corpus(store)
    return df[~df["id"].isin(["base1", "base2"])].set_index("id")


LINE_BREAKS = "\u2028\u2029\u0085\x0b\x0c\x1c\x1d\x1e"


def test_unicode_line_separators_inside_json_strings(store, tmp_path, capsys):
    """json.dumps(ensure_ascii=False) leaves U+2028, U+2029 and U+0085 raw: not line ends here."""
    st, reg = store
    rows = [art(i, text=f"فقرة أولى{ch}فقرة ثانية {i}", title=f"t{ch}{i}") for i, ch in enumerate(LINE_BREAKS, 1)]
    src = put(tmp_path, "a.jsonl", jsonl(rows))
    assert "\u2028".encode() in src.read_bytes()       # really raw, not escaped
    df = imported(st, reg, [src], capsys)
    for r in rows:
        assert df.loc[r["id"], "text"] == r["text"] and df.loc[r["id"], "title"] == r["title"]


def test_line_numbers_after_unicode_line_separators(store, tmp_path, capsys):
    st, reg = store
    rows = [art(1, text="أ\u2028ب\u2029ج\u0085د"), art(2, text="هـ\u2028و")]
    src = put(tmp_path, "a.jsonl", jsonl(rows) + b"{broken\n")
    before = snapshot(st)
    code, err = run_cli([src], st, reg, [], capsys)
    assert code == 2 and f"{src}:3: json: not valid JSON" in err
    assert "1 problem found" in err              # lines 1 and 2 are whole: nothing split inside them
    assert snapshot(st) == before


@pytest.mark.parametrize("ending", ["\r\n", "\r"])
def test_windows_and_classic_mac_line_ends(store, tmp_path, capsys, ending):
    st, reg = store
    rows = [art(1), art(2, text="نص\r\nبسطرين")]
    src = put(tmp_path, "a.jsonl", ending.join(json.dumps(r, ensure_ascii=False) for r in rows).encode() + ending.encode())
    df = imported(st, reg, [src], capsys)
    assert df.loc["a2", "text"] == "نص\r\nبسطرين" and len(df) == 2


def test_tsv_quotes_are_ordinary_characters(store, tmp_path, capsys):
    """TSV has no quoting: a title with a stray '"' (or one wrapped in quotes) is read exactly."""
    st, reg = store
    titles = ['قال "الوزير', '"عاجل" اليوم', 'نص "بين" علامتين"', '"']
    lines = ["id\toutlet\tdate\ttitle\ttext"] + [
        f"a{i}\tSD\t2024-01-0{i}\t{t}\tنص المقال رقم {i}" for i, t in enumerate(titles, 1)]
    src = put(tmp_path, "a.tsv", ("\n".join(lines) + "\n").encode())
    df = imported(st, reg, [src], capsys)
    assert [df.loc[f"a{i}", "title"] for i in range(1, 5)] == titles


def test_tsv_written_with_csv_quoting_still_reads(store, tmp_path, capsys):
    """pandas / csv.writer with a tab delimiter quote fields holding line breaks: that reading fits."""
    st, reg = store
    rows = [art(1, text="سطر أول\nسطر ثان", title='قال "نعم"'), art(2)]
    src = put(tmp_path, "a.tsv", csv_bytes(rows, delimiter="\t"))
    df = imported(st, reg, [src], capsys)
    assert df.loc["a1", "text"] == "سطر أول\nسطر ثان" and df.loc["a1", "title"] == 'قال "نعم"'


def test_csv_field_longer_than_the_csv_module_limit(store, tmp_path, capsys):
    st, reg = store
    long_text = "كلمة " * 60_000          # 300,000 characters > csv.field_size_limit() == 131072
    src = put(tmp_path, "a.csv", csv_bytes([art(1, text=long_text), art(2)]))
    assert csv.field_size_limit() == 131072
    df = imported(st, reg, [src], capsys)
    assert df.loc["a1", "text"] == long_text
    assert csv.field_size_limit() == 131072       # the limit is restored after reading


def test_html_markup_and_entities_are_stored_as_given(store, tmp_path, capsys):
    st, reg = store
    html = "<p>قال الوزير &amp; أضاف&nbsp;<b>اليوم</b></p>&#1575;"
    df = imported(st, reg, [put(tmp_path, "a.jsonl", jsonl([art(1, text=html)]))], capsys)
    assert df.loc["a1", "text"] == html


def test_presentation_forms_kept_and_normalised_by_the_text_pipeline(store, tmp_path, capsys):
    from workbench.text.normalise import normalise

    st, reg = store
    pf = "\ufe8d\ufedf\ufeb4\ufefc\ufee1 \ufef3\ufe8e"   # ﺍﻟﺴﻼﻡ ﻳﺎ (U+FB50–U+FEFF forms)
    df = imported(st, reg, [put(tmp_path, "a.jsonl", jsonl([art(1, text=pf)]))], capsys)
    assert df.loc["a1", "text"] == pf
    assert normalise(pf) == normalise("السلام يا")


def test_date_formats(store, tmp_path, capsys):
    st, reg = store
    dates = {"a1": ("2024-03-01", "2024-03-01 00:00"), "a2": ("2024-03-01T14:30:00", "2024-03-01 14:30"),
             "a3": ("2024-03-01T14:30:00+02:00", "2024-03-01 12:30"), "a4": ("2024-03-01 14:30", "2024-03-01 14:30"),
             "a5": ("20240301", "2024-03-01"), "a6": ("2024-03-01T14:30:00Z", "2024-03-01 14:30")}
    rows = [art(int(k[1:]), date=v) for k, (v, _) in dates.items()]
    df = imported(st, reg, [put(tmp_path, "a.jsonl", jsonl(rows))], capsys)
    for k, (_, want) in dates.items():
        assert df.loc[k, "date"] == __import__("pandas").Timestamp(want), k


def test_byte_order_marks_in_the_middle(store, tmp_path, capsys):
    """Files joined with cat: a BOM at the start of a later line is ignored (JSON Lines and CSV)."""
    st, reg = store
    j = put(tmp_path, "a.jsonl", b"\xef\xbb\xbf" + jsonl([art(1)]) + b"\xef\xbb\xbf" + jsonl([art(2)]))
    c = put(tmp_path, "b.csv", csv_bytes([art(3)]) + b"\xef\xbb\xbf" + csv_bytes([art(4)]).split(b"\n", 1)[1])
    df = imported(st, reg, [j, c], capsys)
    assert sorted(df.index) == ["a1", "a2", "a3", "a4"]


def test_integer_id_stored_as_string_and_extra_columns_kept(store, tmp_path, capsys):
    st, reg = store
    rows = [art(1, id=123, section="محلي", tags=["أ", "ب"]), art(2, id="0042")]
    df = imported(st, reg, [put(tmp_path, "a.jsonl", jsonl(rows))], capsys)
    assert sorted(df.index) == ["0042", "123"]
    assert df.loc["123", "section"] == "محلي" and json.loads(df.loc["123", "tags"]) == ["أ", "ب"]


def test_raw_control_characters_inside_json_strings_are_kept(store, tmp_path, capsys):
    st, reg = store
    line = '{"id": "a1", "outlet": "SD", "date": "2024-01-01", "text": "عمود\tثان\x0bثالث\x1cرابع"}\n'
    df = imported(st, reg, [put(tmp_path, "a.jsonl", line.encode())], capsys)
    assert df.loc["a1", "text"] == "عمود\tثان\x0bثالث\x1cرابع"


def test_skip_invalid_with_a_lone_surrogate_writes_rejects(store, tmp_path, capsys):
    st, reg = store
    src = put(tmp_path, "a.jsonl", jsonl([art(1)]) + b'{"id": "a2", "outlet": "SD", "date": "2024-01-02", '
                                                     b'"text": "\\ud800"}\n')
    df = imported(st, reg, [src], capsys, "--skip-invalid", "--rejects", str(tmp_path / "rej.jsonl"))
    assert list(df.index) == ["a1"]
    rej = json.loads((tmp_path / "rej.jsonl").read_text(encoding="utf-8"))
    assert rej["record"]["text"] == "\ud800" and "lone surrogate" in rej["problems"][0]


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path, registry_file, capsys):
    """Logs stay clean: the bar is drawn only on a terminal, even without --quiet."""
    src = put(tmp_path, "a.jsonl", jsonl([art(i) for i in range(1, 9)]))
    assert main(["corpus", "import", str(src), "--store", str(tmp_path / "s"), "--registry", str(registry_file)]) == 0
    err = capsys.readouterr().err
    assert err == "imported 8 articles (8 read, 0 exact duplicates dropped, 0 already in the store)\n"
    assert "validating" not in err and "\r" not in err


@pytest.mark.slow
def test_fifty_megabyte_article(tmp_path, registry_file):
    """One 50 MB article imports in reasonable time and memory (measured in a fresh process)."""
    text = "كلمة عربية طويلة " * (50_000_000 // 31)
    src = put(tmp_path, "big.jsonl", jsonl([art(1, text=text)]))
    assert src.stat().st_size >= 50_000_000
    code = (f"import resource, time\nfrom workbench.corpus import import_sources\nt = time.perf_counter()\n"
            f"r = import_sources([{str(src)!r}], {str(tmp_path / 's')!r}, registry={str(registry_file)!r})\n"
            f"print(r.added, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    added, seconds, peak_mb = out.split()
    assert int(added) == 1
    assert float(seconds) < 30, f"import took {seconds} s"
    assert int(peak_mb) < 1500, f"peak memory {peak_mb} MB for a 50 MB article"
    assert time.perf_counter() - start < 60
