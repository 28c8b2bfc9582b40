"""Damaged stores, full disks, read-only stores and untrusted caches: a one-line diagnosis, never
"internal error ... a bug", and nothing unpickled that this workbench did not write."""
from __future__ import annotations

import errno
import json
import os
import pickle
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import scipy.sparse as sp

from conftest import ROOT
from workbench.analysis import cache_root, corpus_matrix, token_cache_path
from workbench.cli import main
from workbench.corpus import open_store
from workbench.corpus.store import Store
from workbench.errors import StoreError, WorkbenchError, WorkbenchWarning
from workbench.matrix import DocumentTermMatrix
from workbench.text import TextSettings
from workbench.text.cache import CacheError, TokenCache, iter_tokens
from workbench.text.settings import SettingsError
from workbench.topics import TopicError, fit_topics, load_topics

DEMO = ROOT / "corpus" / "demo" / "articles.jsonl"
DAMAGED = "the store is damaged: restore it from a backup or re-import into a new store"


@pytest.fixture(autouse=True)
def private_user_folders(tmp_path, monkeypatch):
    """Each test gets its own ~/.cache, ~/.config (secret key) and no WORKBENCH_CACHE."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.delenv("WORKBENCH_CACHE", raising=False)
    monkeypatch.delenv("WORKBENCH_KEY_FILE", raising=False)


@pytest.fixture
def store(demo_store, tmp_path):
    """A private copy of the demo store (without its caches) that a test may damage."""
    dst = tmp_path / "store"
    shutil.copytree(demo_store, dst, ignore=shutil.ignore_patterns("cache", ".lock"))
    return dst


def _part(store: Path) -> Path:
    [part] = sorted((store / "parts").glob("part-*.parquet"))
    return part


def _cli(capsys, *argv) -> tuple[int, str]:
    rc = main([str(a) for a in argv])
    err = capsys.readouterr().err
    return rc, err


def _one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "internal error" not in err and "a bug" not in err
    return lines[0]


def _keyness(store, *extra):
    return ["keyness", "--store", store, "--group", "camp", "--target", "regime", "--top", "2", *extra]


# ----------------------------------------------------------------------------- damaged stores


def test_deleted_part_is_a_damaged_store(store, capsys):
    part = _part(store)
    part.unlink()
    rc, err = _cli(capsys, "corpus", "info", "--store", store)
    assert rc == 2
    assert _one_error_line(err) == f"error: {part} listed in catalogue.json is missing; {DAMAGED}"
    rc, err = _cli(capsys, *_keyness(store))
    assert rc == 2 and "is missing" in _one_error_line(err)


def test_truncated_part_is_a_damaged_store(store, capsys):
    part = _part(store)
    data = part.read_bytes()
    part.write_bytes(data[: len(data) // 2])
    rc, err = _cli(capsys, "corpus", "info", "--store", store)
    line = _one_error_line(err)
    assert rc == 2 and line.startswith(f"error: {part} listed in catalogue.json is not a readable Parquet file")
    assert line.endswith(DAMAGED)
    with pytest.raises(StoreError, match="not a readable Parquet file"):
        list(open_store(store).iter_column("id"))


def test_part_with_other_rows_is_refused(store):
    part = _part(store)
    table = pq.read_table(part)
    pq.write_table(table.slice(0, 10), part, compression="zstd")
    with pytest.raises(StoreError, match=r"has 10 rows but the catalogue records \d+ .*damaged"):
        open_store(store).read()


def test_part_whose_sha256_differs_is_refused_before_tokenising(store, capsys):
    part = _part(store)
    table = pq.read_table(part)
    titles = table.column("title").to_pylist()
    titles[0] = "عنوان آخر"  # same rows, same schema: only the hash tells
    table = table.set_column(table.schema.get_field_index("title"), "title",
                             pd.array(titles, dtype="string").__arrow_array__())
    pq.write_table(table, part, compression="zstd")
    st = open_store(store)
    with pytest.raises(StoreError, match="has changed since it was imported"):
        st.verify()
    rc, err = _cli(capsys, *_keyness(store))
    line = _one_error_line(err)
    assert rc == 2 and str(part) in line and "SHA-256 differs" in line and line.endswith(DAMAGED)
    assert not (store / "cache" / "tokens").exists() or not list((store / "cache" / "tokens").glob("*.parquet"))


def _edit_catalogue(store: Path, edit) -> None:
    cat = json.loads((store / "catalogue.json").read_text(encoding="utf-8"))
    edit(cat)
    (store / "catalogue.json").write_text(json.dumps(cat), encoding="utf-8")


@pytest.mark.parametrize("edit, field, expected", [
    (lambda c: c.update(parts={"file": "x"}), "parts", "a list of parts"),
    (lambda c: c["parts"].__setitem__(0, "part.parquet"), "parts[0]", "a mapping"),
    (lambda c: c["parts"][0].pop("file"), "parts[0].file", "a file name"),
    (lambda c: c["parts"][0].__setitem__("file", 5), "parts[0].file", "a file name"),
    (lambda c: c["parts"][0].pop("sha256"), "parts[0].sha256", "a SHA-256"),
    (lambda c: c["parts"][0].__setitem__("rows", "many"), "parts[0].rows", "a number of rows"),
    (lambda c: c.update(registry=["outlets"]), "registry", "a mapping"),
    (lambda c: c.update(imports={"a": 1}), "imports", "a list"),
    (lambda c: c["parts"].append(dict(c["parts"][0])), "parts[1].file", "a part listed once"),
])
def test_catalogue_with_wrong_types(store, capsys, edit, field, expected):
    _edit_catalogue(store, edit)
    with pytest.raises(StoreError) as e:
        open_store(store)
    msg = str(e.value)
    assert msg.startswith(f"{store / 'catalogue.json'}: field '{field}': expected {expected}")
    assert msg.endswith(DAMAGED) and "\n" not in msg
    rc, err = _cli(capsys, "corpus", "info", "--store", store)
    assert rc == 2 and f"field '{field}'" in _one_error_line(err)


@pytest.mark.parametrize("name", ["../../outside.parquet", "/tmp/outside.parquet", "sub/part.parquet",
                                  "..\\outside.parquet", "..", "part-1.parquet/", ".hidden.parquet",
                                  "part..parquet"])
def test_part_names_never_leave_the_store(store, tmp_path, name):
    # a perfectly readable Parquet file outside the store, which a hostile catalogue points at
    shutil.copy(_part(store), tmp_path / "outside.parquet")
    _edit_catalogue(store, lambda c: c["parts"][0].__setitem__("file", name))
    with pytest.raises(StoreError, match=r"field 'parts\[0\]\.file': expected a plain part file name"):
        open_store(store)
    # a catalogue set in code (not read from disk) is refused too, before any file is opened
    st = Store(store, {"format": 1, "registry": None, "parts": [{"file": name, "sha256": "0" * 64}]})
    with pytest.raises(StoreError, match="is not a part file name"):
        st.read()


# ----------------------------------------------------------------------------- full disk, permissions


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_disk_full_while_writing_the_token_cache(store, tmp_path, capsys, monkeypatch):
    class FullDiskWriter(pq.ParquetWriter):
        def write_table(self, *args, **kwargs):
            _enospc()

    monkeypatch.setattr(pq, "ParquetWriter", FullDiskWriter)
    cache = tmp_path / "c"
    rc, err = _cli(capsys, *_keyness(store, "--cache", cache))
    line = _one_error_line(err)
    assert rc == 2
    assert re.fullmatch(rf"error: {re.escape(str(cache))}/tokens/tokens-\w+\.parquet: cannot write the token "
                        r"cache: No space left on device; free some disk space .*--cache DIR.*WORKBENCH_CACHE.*",
                        line), line
    assert list((cache / "tokens").iterdir()) == []  # no partial entry, no stray record


def test_disk_full_while_importing_names_the_store(tmp_path, capsys, monkeypatch):
    import workbench.corpus.store as store_mod

    monkeypatch.setattr(store_mod.pq, "write_table", _enospc)
    new = tmp_path / "new-store"
    rc, err = _cli(capsys, "corpus", "import", DEMO, "--store", new, "-q")
    assert rc == 2
    assert _one_error_line(err) == (f"error: {new}: No space left on device; free some disk space or "
                                    "choose a folder on another disk")
    assert not open_store(new).exists


def test_permission_denied_while_importing(tmp_path, capsys, monkeypatch):
    real_open = os.open
    new = tmp_path / "new-store"

    def no_write(path, flags, *args, **kwargs):
        if str(path).startswith(str(new)) and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", no_write)  # the lock file is the first file an import creates
    rc, err = _cli(capsys, "corpus", "import", DEMO, "--store", new, "-q")
    assert rc == 2
    assert _one_error_line(err) == (f"error: {new / '.lock'}: Permission denied; check the folder's "
                                    "permissions or choose a folder you can write to")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="the superuser writes through chmod; simulated in test_permission_denied_while_importing")
def test_read_only_folder_while_importing(tmp_path, capsys):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        rc, err = _cli(capsys, "corpus", "import", DEMO, "--store", folder / "store", "-q")
    finally:
        folder.chmod(0o755)
    assert rc == 2 and "Permission denied" in _one_error_line(err)


# ----------------------------------------------------------------------------- read-only stores


def _refuse_writes_under(monkeypatch, root: Path):
    """Make ``root`` read-only for Python's os.mkdir/os.open (chmod does not stop the superuser)."""
    real_open, real_mkdir = os.open, os.mkdir

    def inside(p) -> bool:
        return os.path.abspath(p).startswith(str(root) + os.sep)

    def ro_open(path, flags, *args, **kwargs):
        if inside(path) and flags & (os.O_CREAT | os.O_WRONLY | os.O_RDWR):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kwargs)

    def ro_mkdir(path, *args, **kwargs):
        if inside(path):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", ro_open)
    monkeypatch.setattr(os, "mkdir", ro_mkdir)


def test_keyness_on_a_read_only_store_uses_the_user_cache(store, tmp_path, capsys, monkeypatch):
    _refuse_writes_under(monkeypatch, store)
    rc, err = _cli(capsys, *_keyness(store, "--json"))
    assert rc == 0, err
    fallback = tmp_path / "xdg-cache" / "arabic-media-workbench" / open_store(store).fingerprint()[:16]
    [line] = [ln for ln in err.splitlines() if ln.startswith("warning:")]
    assert line == (f"warning: cannot write caches in {store / 'cache'}: the store is read-only for you "
                    f"(Read-only file system); using {fallback} instead (choose the folder with --cache DIR "
                    "or WORKBENCH_CACHE)")
    assert len(list((fallback / "tokens").glob("tokens-*.parquet"))) == 1
    assert not (store / "cache").exists()
    with pytest.warns(WorkbenchWarning, match="read-only"):
        assert cache_root(store) == fallback  # what a notebook passes on to the topic-model cache


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="the superuser writes through chmod; simulated in test_keyness_on_a_read_only_store_uses_the_user_cache")
def test_keyness_on_a_chmod_read_only_store(store, tmp_path, capsys):
    for p in [store, *store.rglob("*")]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        rc, err = _cli(capsys, *_keyness(store))
    finally:
        for p in [store, *store.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
    assert rc == 0 and "warning: cannot write caches in" in err


def test_a_given_cache_folder_that_cannot_be_written(store, tmp_path, capsys, monkeypatch):
    locked = tmp_path / "locked"
    _refuse_writes_under(monkeypatch, locked)
    rc, err = _cli(capsys, *_keyness(store, "--cache", locked / "c"))
    assert rc == 2 and _one_error_line(err) == (
        f"error: {locked / 'c' / 'tokens'}: cannot create the token cache folder: Read-only file system; check "
        "the folder's permissions or choose a folder you can write to (or put the cache elsewhere: --cache DIR "
        "or the WORKBENCH_CACHE environment variable)")


def test_a_read_only_store_still_uses_its_own_verified_cache(store, monkeypatch):
    built = token_cache_path(store)  # made by whoever could write the store
    _refuse_writes_under(monkeypatch, store)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback notice: the store's entry is used
        assert token_cache_path(store) == built


def test_cache_folder_from_option_and_environment(store, tmp_path, capsys, monkeypatch):
    rc, _ = _cli(capsys, *_keyness(store, "--cache", tmp_path / "opt"))
    assert rc == 0 and len(list((tmp_path / "opt" / "tokens").glob("tokens-*.parquet"))) == 1
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "env"))
    path = token_cache_path(store)
    assert path.parent == tmp_path / "env" / "tokens" and cache_root(store) == tmp_path / "env"
    assert token_cache_path(store, cache_dir=tmp_path / "arg").parent == tmp_path / "arg" / "tokens"
    dtm = corpus_matrix(store, cache_dir=tmp_path / "arg")
    assert dtm.meta["cache_dir"] == str(tmp_path / "arg")
    assert not (store / "cache").exists()


# ----------------------------------------------------------------------------- token cache entries


def test_damaged_token_cache_entry_is_rebuilt_with_a_warning(store):
    good = token_cache_path(store)
    want = [t for _, toks in iter_tokens(good) for t in toks]
    data = good.read_bytes()
    mid = len(data) // 2
    good.write_bytes(data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1:])  # same size, one byte off
    with pytest.warns(WorkbenchWarning, match=rf"token cache entry {re.escape(str(good))} does not match its "
                                              "recorded SHA-256 .*rebuilt"):
        again = token_cache_path(store)
    assert again == good and [t for _, toks in iter_tokens(again) for t in toks] == want

    good.write_bytes(data[: mid])  # truncated
    with pytest.warns(WorkbenchWarning, match="truncated or replaced"):
        token_cache_path(store)
    good.with_suffix(".json").unlink()  # an entry without its integrity record (older version)
    with pytest.warns(WorkbenchWarning, match="has no integrity record"):
        token_cache_path(store)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert token_cache_path(store) == good  # rebuilt entries verify


def test_token_cache_entry_for_other_settings_is_not_trusted(tmp_path):
    cache = TokenCache(tmp_path)
    ids, texts = ["a", "b"], ["قوات النظام", "مدينة جاسم"]
    p1 = cache.get_or_build(ids, texts, TextSettings(), "fp", workers=1)
    p2 = cache.path_for(TextSettings(min_length=4), "fp")
    shutil.copy(p1, p2)  # a consistent file and record, but under another entry's name
    shutil.copy(p1.with_suffix(".json"), p2.with_suffix(".json"))
    rec = json.loads(p2.with_suffix(".json").read_text())
    rec["file"] = p2.name
    p2.with_suffix(".json").write_text(json.dumps(rec))
    with pytest.warns(WorkbenchWarning, match="other texts or settings"):
        assert cache.lookup(TextSettings(min_length=4), "fp") is None
    assert not p2.exists()


def test_cache_and_settings_errors_are_workbench_errors(store, capsys, monkeypatch):
    assert issubclass(CacheError, WorkbenchError) and issubclass(CacheError, RuntimeError)
    assert issubclass(SettingsError, WorkbenchError) and issubclass(SettingsError, ValueError)
    import workbench.analysis as analysis

    def unreadable(*args, **kwargs):
        raise CacheError("cannot read token cache x.parquet: bad")

    monkeypatch.setattr(analysis.Analysis, "matrix", unreadable)
    rc, err = _cli(capsys, *_keyness(store))
    assert rc == 2 and _one_error_line(err) == "error: cannot read token cache x.parquet: bad"


def test_unreadable_token_file_is_a_cache_error(tmp_path):
    bad = tmp_path / "tokens-x.parquet"
    bad.write_bytes(b"PAR1 not really")
    with pytest.raises(CacheError, match="cannot read token cache .*tokens-x.parquet"):
        list(iter_tokens(bad))


# ----------------------------------------------------------------------------- topic models


def _tiny_dtm() -> DocumentTermMatrix:
    rng = np.random.default_rng(0)
    X = sp.csr_matrix(rng.integers(0, 4, size=(8, 10)))
    vocab = pd.Index([f"w{i}" for i in range(10)], dtype=object, name="term")
    docs = pd.DataFrame({"id": [f"d{i}" for i in range(8)]})
    return DocumentTermMatrix(X, vocab, docs, {})


def _fit(**kw):
    return fit_topics(_tiny_dtm(), 2, seed=1, passes=1, iterations=5, **kw)


@pytest.fixture
def no_unpickling(monkeypatch):
    """Record every gensim model load (each one unpickles)."""
    from gensim.models import LdaModel

    calls = []
    real = LdaModel.load

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(LdaModel, "load", spy)
    return calls


def test_saved_model_round_trip_is_signed(tmp_path):
    tm = _fit()
    path = tm.save(tmp_path / "model")
    manifest = json.loads((path / "workbench-manifest.json").read_text())
    assert set(manifest["files"]) == {p.name for p in path.iterdir()} - {"workbench-manifest.json"}
    assert oct((tmp_path / "xdg-config" / "arabic-media-workbench" / "cache.key").stat().st_mode & 0o777) == "0o600"
    np.testing.assert_array_equal(load_topics(path).theta, tm.theta)


def test_a_model_folder_from_elsewhere_is_never_unpickled(tmp_path, no_unpickling):
    """The classic attack: a 'model' that runs code when unpickled, with every expected file."""
    tm = _fit()
    good = tm.save(tmp_path / "good")
    evil = tmp_path / "evil"
    shutil.copytree(good, evil)
    (evil / "workbench-manifest.json").unlink(missing_ok=True)
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    (evil / "model").write_bytes(pickle.dumps(Payload()))
    with pytest.raises(TopicError, match=r"refused to load this topic model: it has no workbench manifest.*"
                                         r"only models saved by this workbench"):
        load_topics(evil)
    assert not marker.exists() and no_unpickling == []


def test_a_model_signed_by_another_user_or_changed_is_refused(tmp_path, monkeypatch, no_unpickling):
    path = _fit().save(tmp_path / "model")
    monkeypatch.setenv("WORKBENCH_KEY_FILE", str(tmp_path / "someone-else.key"))
    with pytest.raises(TopicError, match="not signed with this user's workbench key"):
        load_topics(path)
    monkeypatch.delenv("WORKBENCH_KEY_FILE")
    with open(path / "model", "ab") as f:
        f.write(b"\0")
    with pytest.raises(TopicError, match=r"model was changed after it was written") as e:
        load_topics(path)
    assert "\n" not in str(e.value) and no_unpickling == []
    (path / "model.extra").write_bytes(b"x")
    with pytest.raises(TopicError, match="a file the manifest does not list"):
        load_topics(path)


def test_cached_model_failing_verification_is_retrained_with_a_warning(tmp_path, no_unpickling):
    cache = tmp_path / "topic-models"
    first = _fit(cache_dir=cache)
    [entry] = cache.iterdir()
    manifest = json.loads((entry / "workbench-manifest.json").read_text())
    manifest["hmac"] = "0" * 64  # e.g. copied from another machine
    (entry / "workbench-manifest.json").write_text(json.dumps(manifest))
    with pytest.warns(WorkbenchWarning, match=rf"cached topic model not used: {re.escape(str(entry))}: "
                                              r"refused to load.*retraining and replacing it"):
        again = _fit(cache_dir=cache)
    assert not again.info["cached"] and no_unpickling == []
    np.testing.assert_array_equal(again.theta, first.theta)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _fit(cache_dir=cache).info["cached"]  # the replacement verifies


def test_disk_full_while_saving_a_model(tmp_path, monkeypatch):
    monkeypatch.setattr(np, "save", _enospc)
    cache = tmp_path / "topic-models"
    with pytest.warns(WorkbenchWarning, match=r"trained but not cached: .*cannot save the topic model: "
                                              "No space left on device; free some disk space"):
        tm = _fit(cache_dir=cache)
    assert tm.theta.shape == (8, 2) and list(cache.iterdir()) == []  # no half-written folder
    with pytest.raises(TopicError, match=rf"{re.escape(str(tmp_path / 'm'))}: cannot save the topic model: "
                                         "No space left on device"):
        tm.save(tmp_path / "m")


def test_nothing_else_unpickles_files():
    """Guard: the only unpickling load in the package is the verified one in topics/model.py."""
    risky = re.compile(r"pickle\.loads?\(|allow_pickle\s*=\s*True|joblib|\bdill\b|torch\.load|read_pickle|"
                       r"LdaModel\.load|LdaMulticore\.load|\.load\(str\(")
    hits = []
    for py in (ROOT / "workbench").rglob("*.py"):
        for n, line in enumerate(py.read_text(encoding="utf-8").splitlines(), 1):
            if risky.search(line):
                hits.append(f"{py.relative_to(ROOT)}:{n}")
    assert hits == ["workbench/topics/model.py:" + str(_line_of("model = LdaModel.load("))], hits
    src = (ROOT / "workbench" / "topics" / "model.py").read_text(encoding="utf-8")
    assert src.index("_verified(path)\n") < src.index("model = LdaModel.load(")


def _line_of(text: str) -> int:
    src = (ROOT / "workbench" / "topics" / "model.py").read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(src, 1) if text in line)
