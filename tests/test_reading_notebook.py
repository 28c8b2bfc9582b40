"""notebooks/reading.ipynb runs top to bottom with its defaults, as in JupyterLab."""
import nbformat
import pytest

from conftest import ROOT

READING = ROOT / "notebooks" / "reading.ipynb"


@pytest.mark.slow
def test_reading_notebook_runs_with_its_defaults():
    import nbclient

    from workbench.reports.run import ensure_kernel

    nb = nbformat.read(READING, as_version=4)
    nbclient.NotebookClient(nb, kernel_name=ensure_kernel(), timeout=600,
                            resources={"metadata": {"path": str(READING.parent)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "قوات النظام" in html and 'dir="rtl"' in html          # the concordance table
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 3   # naming, trends, dispersion
