"""The render cache (workbench.rendered): a figure's PNG and a report's PDF are rendered once per content."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from workbench import rendered as cache
from workbench.plots.figure import save_figure
from workbench.reports.render import render_pdf


@pytest.fixture()
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    return tmp_path / "cache"


def _figure(label: str):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.bar(["النظام", "المعارضة"], [3, 5])
    ax.set_title(label)
    return fig


def test_same_figure_is_rasterised_once(own_cache, tmp_path, monkeypatch):
    first = save_figure(_figure("قوات النظام"), tmp_path / "a" / "f", dpi=60)
    assert len(list(cache.cache_dir("png").glob("*.png"))) == 1

    def no_raster(*a, **k):
        raise AssertionError("rasterised again")

    with monkeypatch.context() as m:
        m.setattr(FigureCanvasAgg, "print_png", no_raster)
        again = save_figure(_figure("قوات النظام"), tmp_path / "b" / "f", dpi=60)
        for x, y in zip(first, again):
            assert x.read_bytes() == y.read_bytes()
        # another title, or another dpi, is another figure
        with pytest.raises(AssertionError, match="rasterised again"):
            save_figure(_figure("الجيش العربي السوري"), tmp_path / "c" / "f", dpi=60)
        with pytest.raises(AssertionError, match="rasterised again"):
            save_figure(_figure("قوات النظام"), tmp_path / "d" / "f", dpi=61)
    plt.close("all")


def test_damaged_entry_is_rendered_again_and_cache_can_be_off(own_cache, tmp_path, monkeypatch):
    first = save_figure(_figure("x"), tmp_path / "a" / "f", dpi=60)[0].read_bytes()
    (entry,) = cache.cache_dir("png").glob("*.png")
    entry.write_bytes(b"not a png")
    assert save_figure(_figure("x"), tmp_path / "b" / "f", dpi=60)[0].read_bytes() == first
    assert entry.read_bytes() == first  # replaced by a good copy
    monkeypatch.setenv(cache.CACHE_ENV, "0")
    with monkeypatch.context() as m:
        m.setattr(FigureCanvasAgg, "print_png", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("rendered")))
        with pytest.raises(RuntimeError, match="rendered"):
            save_figure(_figure("x"), tmp_path / "c" / "f", dpi=60)
    plt.close("all")


def _counting_chrome(tmp_path):
    """A fake Chromium printing a PDF that differs at every call (as Chromium's creation dates do)."""
    fake = tmp_path / "fake-chrome"
    calls = tmp_path / "calls"
    fake.write_text(
        '#!/bin/sh\nfor a in "$@"; do case "$a" in --print-to-pdf=*) out="${a#--print-to-pdf=}";; esac; done\n'
        f'echo x >> "{calls}"\n'
        'printf "%%PDF-1.4 printed at %s" "$(date +%s%N)" > "$out"\n'
    )
    fake.chmod(0o755)
    return fake, calls


def test_same_page_is_printed_once_and_gives_the_same_pdf(own_cache, tmp_path, monkeypatch):
    fake, calls = _counting_chrome(tmp_path)
    monkeypatch.setenv("WORKBENCH_CHROMIUM", str(fake))
    html = tmp_path / "r.html"
    html.write_text('<html dir="rtl"><p>قوات النظام</p></html>', encoding="utf-8")
    one = render_pdf(html, tmp_path / "1.pdf").read_bytes()
    two = render_pdf(html, tmp_path / "2.pdf").read_bytes()
    assert one == two and one.startswith(b"%PDF")
    assert calls.read_text().count("x") == 1
    html.write_text('<html dir="rtl"><p>الجيش العربي السوري</p></html>', encoding="utf-8")
    assert render_pdf(html, tmp_path / "3.pdf").read_bytes() != one
    assert calls.read_text().count("x") == 2
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    render_pdf(html, tmp_path / "4.pdf")
    assert calls.read_text().count("x") == 3


def test_digest_separates_parts():
    assert cache.digest("ab", "c") != cache.digest("a", "bc")
    assert cache.digest(b"x") == cache.digest("x")


def test_cache_keeps_its_newest_entries(own_cache, tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "KEEP", 3)
    for i in range(5):
        out = tmp_path / f"{i}.png"
        cache.rendered("png", cache.digest(str(i)), out,
                       lambda p, i=i: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes([i])))
    assert len(list(cache.cache_dir("png").glob("*.png"))) == 3


# ---------------------------------------------------------------------------------------------
# memoised report figures (ReportContext.plot)

calls = []


def _bars(table, *, title=""):
    """A plotting function as the workbench's are: a Figure (no pyplot) from a table."""
    from matplotlib.figure import Figure

    calls.append(title)
    fig = Figure(figsize=(3, 2), layout="constrained")
    ax = fig.add_subplot()
    ax.barh(table["term"], table["count"])
    ax.set_title(title)
    return fig


def test_report_plot_draws_a_figure_once_per_content(own_cache, tmp_path):
    import pandas as pd

    from workbench.reports.notebook import ReportContext

    calls.clear()
    table = pd.DataFrame({"term": ["النظام", "الثوار"], "count": [4, 2]})
    one = ReportContext(tmp_path / "one")
    one.plot("bars", _bars, table, title="المصطلحات")
    two = ReportContext(tmp_path / "two")
    two.plot("bars", _bars, table.copy(), title="المصطلحات")
    assert calls == ["المصطلحات"]  # the second run copied the cached files
    assert two.figures == one.figures == ["figures/bars.png", "figures/bars.svg"]
    for f in one.figures:
        assert (tmp_path / "one" / f).read_bytes() == (tmp_path / "two" / f).read_bytes()
    # other data, another argument, or an argument that cannot be fingerprinted: drawn again
    ReportContext(tmp_path / "three").plot("bars", _bars, table.assign(count=[4, 3]), title="المصطلحات")
    ReportContext(tmp_path / "four").plot("bars", _bars, table, title="other")
    assert calls == ["المصطلحات", "المصطلحات", "other"]
    table.attrs["unit"] = object()
    ReportContext(tmp_path / "five").plot("bars", _bars, table, title="other")
    assert len(calls) == 4
    # a changed matplotlib setting is another figure too
    plain = pd.DataFrame({"term": ["النظام", "الثوار"], "count": [4, 2]})
    ReportContext(tmp_path / "six").plot("bars", _bars, plain, title="other")
    assert len(calls) == 4  # cached (by "four")
    with matplotlib.rc_context({"axes.linewidth": 3}):
        ReportContext(tmp_path / "seven").plot("bars", _bars, plain, title="other")
    assert len(calls) == 5


def test_fingerprint_sees_values_index_columns_and_types():
    import numpy as np
    import pandas as pd

    df = pd.DataFrame({"a": [1, 2], "b": ["س", "ص"]})
    fp = cache.fingerprint(df)
    assert cache.fingerprint(df.copy()) == fp
    assert cache.fingerprint(df.rename(columns={"a": "c"})) != fp
    assert cache.fingerprint(df.set_axis([5, 6])) != fp
    assert cache.fingerprint(df.astype({"a": float})) != fp
    assert cache.fingerprint([1, 2]) != cache.fingerprint((1, 2)) != cache.fingerprint(np.array([1, 2]))
    assert cache.fingerprint({"x": 1, "y": 2}) == cache.fingerprint({"y": 2, "x": 1})
    with pytest.raises(cache.Uncacheable):
        cache.fingerprint([object()])
