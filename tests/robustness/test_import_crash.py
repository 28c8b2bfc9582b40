"""Crash safety of imports: an import SIGKILLed at any moment leaves the store byte-identical to
before (the catalogue and every part it lists), and the next import works and tidies up.

Kill points: ten seeded random moments during ``workbench corpus import`` (``workbench.cli.main`` in
a process forked from a warm interpreter, so the moments fall inside the import, not in start-up),
and four deterministic ones around the two renames that commit an import (the Parquet part, then the
catalogue). The import after the kills runs as a fresh ``python -m workbench.cli`` process.
"""
import json
import random
import shutil
import signal
import subprocess
import sys

import pytest

from conftest import ROOT
from workbench.corpus import import_sources, read_corpus

REGISTRY = """registry: test
camps: {regime: state side, opposition: other side}
outlets:
  - {id: state-daily, name_en: State Daily, camp: regime, aliases: [SD]}
  - {id: free-voice, name_en: Free Voice, camp: opposition}
"""
SEED = 20130703
N_NEW = 3000


def rows(prefix, n):
    return [{"id": f"{prefix}{i}", "outlet": "SD" if i % 2 else "free-voice", "date": f"2024-02-{1 + i % 28:02d}",
             "title": f"عنوان {i}", "text": f"نص المقال {prefix} رقم {i} عن الأحداث في المدينة " * 5}
            for i in range(n)]


def write_jsonl(path, items):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in items), encoding="utf-8")
    return path


def committed(store):
    """The catalogue and the parts it lists, byte for byte: what any reader of the store sees."""
    cat = (store / "catalogue.json").read_bytes()
    parts = {p["file"]: (store / "parts" / p["file"]).read_bytes() for p in json.loads(cat)["parts"]}
    return cat, parts


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    d = tmp_path_factory.mktemp("crash")
    reg = d / "outlets.yaml"
    reg.write_text(REGISTRY, encoding="utf-8")
    store = d / "store"
    import_sources([write_jsonl(d / "base.jsonl", rows("base", 200))], store, registry=reg)
    src = write_jsonl(d / "new.jsonl", rows("new", N_NEW))
    return d, store, src, reg


def command(src, store, reg):
    return ["corpus", "import", str(src), "--store", str(store), "--registry", str(reg), "-q"]


# A warm interpreter that forks one `workbench corpus import` (workbench.cli.main) per request and
# SIGKILLs it: after `delay` seconds, or just before/after the n-th os.replace (the commit steps).
# Forking skips the second of interpreter start-up per import, so the kill points fall inside the
# import itself rather than inside `import pandas`.
SERVER = """
import json, os, signal, sys, time
import workbench.corpus  # noqa: F401  (pandas, pyarrow: loaded once, before forking)
from workbench.cli import main
for line in sys.stdin:
    req = json.loads(line)
    t = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        which, when = req.get("replace", (0, ""))
        real, calls = os.replace, [0]
        def replace(a, b):
            calls[0] += 1
            if calls[0] == which and when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            real(a, b)
            if calls[0] == which and when == "after":
                os.kill(os.getpid(), signal.SIGKILL)
        os.replace = replace
        os._exit(main(req["argv"]))
    if req.get("delay") is not None:
        time.sleep(req["delay"])
        os.kill(pid, signal.SIGKILL)   # not yet reaped, so the pid cannot have been reused
    _, status = os.waitpid(pid, 0)
    code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    print(json.dumps([code, time.perf_counter() - t]), flush=True)
"""


@pytest.fixture(scope="module")
def server():
    proc = subprocess.Popen([sys.executable, "-c", SERVER], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)

    def run(argv, **req):
        proc.stdin.write(json.dumps({"argv": argv, **req}) + "\n")
        proc.stdin.flush()
        return json.loads(proc.stdout.readline())

    yield run
    proc.stdin.close()
    proc.wait(timeout=30)


@pytest.mark.slow
def test_sigkill_at_random_moments_leaves_the_store_unchanged(setup, server, tmp_path):
    """Each kill leaves the store byte-identical to before, or (killed after the commit) complete."""
    d, base, src, reg = setup
    store = tmp_path / "store"
    shutil.copytree(base, store)
    before = committed(store)

    durations = []   # how long a whole import takes here, once warm (the first call fills caches)
    for i in range(2):
        scratch = tmp_path / f"scratch{i}"
        shutil.copytree(base, scratch)
        code, seconds = server(command(src, scratch, reg))
        assert code == 0
        durations.append(seconds)
    full = min(durations)

    rng = random.Random(SEED)
    points = [rng.uniform(0.0, 1.0) * full for _ in range(10)]
    killed = 0
    for delay in points:
        code, _ = server(command(src, store, reg), delay=delay)
        assert code in (0, -signal.SIGKILL)
        if committed(store) == before:
            killed += code == -signal.SIGKILL
            continue
        # Otherwise the catalogue had been swapped in before the signal (the process may still have
        # been exiting): then the import is complete, not half-done. Start again from the base store.
        cat, parts = committed(store)
        assert len(json.loads(cat)["parts"]) == len(json.loads(before[0])["parts"]) + 1
        assert len(read_corpus(store)) == 200 + N_NEW, f"half an import after a kill at {delay:.2f} s"
        shutil.rmtree(store)
        shutil.copytree(base, store)
    assert killed >= 5, f"only {killed} of 10 imports were killed before committing ({full:.2f} s each)"

    # The next import (a fresh process) works, adds everything once, and leaves no orphan part or
    # temporary file behind.
    subprocess.run([sys.executable, "-m", "workbench.cli", *command(src, store, reg)], cwd=ROOT, check=True)
    assert len(read_corpus(store)) == 200 + N_NEW
    cat, parts = committed(store)
    assert json.loads(cat)["imports"][-1]["added"] == N_NEW
    assert sorted(p.name for p in (store / "parts").iterdir()) == sorted(parts)
    assert not list(store.glob(".*.tmp"))


@pytest.mark.parametrize("which,when,changed", [
    (1, "before", False),   # part written under a temporary name
    (1, "after", False),    # part renamed into parts/, catalogue not yet replaced: an invisible orphan
    (2, "before", False),   # new catalogue written to a temporary file, not yet swapped in
    (2, "after", True),     # catalogue swapped in: the import is complete
])
def test_sigkill_around_the_commit(setup, server, tmp_path, which, when, changed):
    d, base, src, reg = setup
    store = tmp_path / "store"
    shutil.copytree(base, store)
    before = committed(store)
    code, _ = server(command(src, store, reg), replace=[which, when])
    assert code == -signal.SIGKILL
    if changed:
        assert committed(store) != before and len(read_corpus(store)) == 200 + N_NEW
    else:
        assert committed(store) == before and len(read_corpus(store)) == 200
    res = import_sources([src], store, registry=reg)
    assert res.added == (0 if changed else N_NEW)
    assert len(read_corpus(store)) == 200 + N_NEW
    assert sorted(p.name for p in (store / "parts").iterdir()) == sorted(committed(store)[1])
    assert not list(store.glob(".*.tmp"))
