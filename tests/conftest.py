import os
import tempfile
from pathlib import Path

import pytest

# Per-user caches and error logs of the code under test go to a throw-away folder, not ~/.cache.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="workbench-tests-cache-")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EGYPT = SHARED / "corpora" / "egypt2013-dev" / "articles.jsonl.gz"
FIXTURE = SHARED / "fixtures" / "000_17c3a0a5953efc9f.txt"
# camel-tools' morphology database (not the MLE model) for the morphology tests; camel-tools reads
# CAMELTOOLS_DATA when it is first imported, so it is set here, before any test imports it.
CAMEL_DATA = SHARED / "camel_data"
if (CAMEL_DATA / "data").is_dir() and not os.environ.get("CAMELTOOLS_DATA"):
    os.environ["CAMELTOOLS_DATA"] = str(CAMEL_DATA)


def need_shared(path: Path):
    """Skip (with the reason) when the shared, never-committed material is absent."""
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared corpora live beside the checkout, not in it)")
    return path


def import_articles(folder: Path, rows, title: str = "خبر") -> Path:
    """Import hand-made articles ``(id, outlet, date, text)``, each titled ``title``, into
    ``folder/store`` with the demo corpus' registry (its fictional outlets and camps); return the store."""
    import json

    from workbench.corpus import import_sources

    src = folder / "articles.jsonl"
    src.write_text("".join(json.dumps({"id": i, "outlet": o, "date": d, "title": title, "text": t},
                                      ensure_ascii=False) + "\n" for i, o, d, t in rows), encoding="utf-8")
    import_sources([src], folder / "store", registry=ROOT / "corpus" / "demo" / "outlets.yaml")
    return folder / "store"


@pytest.fixture
def registry_file(tmp_path):
    p = tmp_path / "outlets.yaml"
    p.write_text(
        """registry: test
camps:
  regime: state side
  opposition: other side
outlets:
  - id: state-daily
    name_en: State Daily
    name_ar: "اليومية الرسمية"
    camp: regime
    aliases: ["SD"]
  - id: free-voice
    name_en: Free Voice
    camp: opposition
""",
        encoding="utf-8",
    )
    return p


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory):
    """The bundled demo corpus imported once per test session (read-only for tests)."""
    from workbench.corpus import import_sources

    store = tmp_path_factory.mktemp("demo") / "store"
    import_sources([ROOT / "corpus" / "demo" / "articles.jsonl"], store)
    return store


@pytest.fixture(scope="session")
def egypt_import(tmp_path_factory):
    """The real egypt2013-dev corpus imported once per test session: ``(store, import result)``.

    Importing it takes seconds and tokenising it (into the store's own cache, on first use) more:
    every test of the real corpus uses this one store, read-only."""
    need_shared(EGYPT)
    from workbench.corpus import import_sources

    store = tmp_path_factory.mktemp("egypt") / "store"
    result = import_sources([EGYPT], store, registry=ROOT / "corpus" / "registries" / "egypt2013.yaml")
    return store, result


@pytest.fixture(scope="session")
def egypt_store(egypt_import):
    """The real egypt2013-dev corpus imported once per test session (read-only for tests)."""
    return egypt_import[0]


@pytest.fixture(scope="session")
def egypt_analysis(egypt_store):
    """``Analysis(egypt_store)``, shared by the tests of the real corpus: it memoises its matrices,
    so the 31,214 articles are counted once per session, not once per test (read-only for tests)."""
    from workbench.analysis import Analysis

    return Analysis(egypt_store)


def side_by_side(*calls):
    """Start every call (a function of no arguments) at once, each in a thread of its own; return
    their futures when all have ended (an exception stays in its call's future, for the test that
    reads it to raise).

    For report and notebook runs, which spend their time in a kernel process of their own: two
    of them side by side keep both cores busy. Use it in a fixture, so that no test runs meanwhile
    (tests may monkeypatch what a run uses)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(calls), thread_name_prefix="side-by-side") as pool:
        futures = [pool.submit(call) for call in calls]
    return futures


def notebook_outputs(path: Path) -> list:
    """Run a notebook as JupyterLab would (no papermill, no injected parameters, nothing saved)
    in the project's kernel; return every code cell output."""
    import nbclient
    import nbformat

    from workbench.reports.run import ensure_kernel

    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, kernel_name=ensure_kernel(), timeout=600,
                            resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]

