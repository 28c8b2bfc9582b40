"""notebooks/reading.ipynb runs top to bottom with its defaults, as in JupyterLab."""
import pytest

from conftest import ROOT, notebook_outputs

READING = ROOT / "notebooks" / "reading.ipynb"


@pytest.mark.slow
def test_reading_notebook_runs_with_its_defaults():
    outputs = notebook_outputs(READING)
    assert not [o for o in outputs if o.output_type == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "قوات النظام" in html and 'dir="rtl"' in html          # the concordance table
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 3   # naming, trends, dispersion
