"""The one-page workshop cheat sheet (workbench/cheatsheet.py)."""
import html
import importlib
import re
import shutil
import subprocess

import pytest

from workbench import cheatsheet as cs
from workbench.cli import build_parser
from workbench.reports.render import chromium_path, html_active_content, html_is_self_contained

#: the commands a workshop needs; each must be on the sheet and in the real command line
MAIN_COMMANDS = {"corpus import", "corpus info", "corpus query", "keyness", "kwic", "stories", "report",
                 "lab", "collocates", "lexicon", "trends", "composition", "attribution", "reuse", "cheatsheet"}
MAIN_FUNCTIONS = {"Analysis", "compare", "kwic", "naming_table", "fit_topics", "find_stories", "rtl", "md",
                  "keyness_widget", "concordance_widget", "naming_widget"}


@pytest.fixture(scope="module")
def page() -> str:
    return cs.render_cheatsheet()


@pytest.mark.parametrize("entry", cs.command_entries(), ids=lambda e: e.example[:60])
def test_every_command_line_parses_with_the_real_cli(entry, capsys):
    """A renamed command or option fails here (argparse exits 2 with its message)."""
    try:
        args = build_parser().parse_args(cs.command_args(entry))
    except SystemExit:
        pytest.fail(f"the cheat sheet's {entry.example!r} is not a valid command: {capsys.readouterr().err}")
    assert callable(args.func)


def test_the_main_commands_are_on_the_sheet_and_in_the_cli():
    real = cs.cli_commands()
    assert MAIN_COMMANDS <= real, f"the CLI lacks {sorted(MAIN_COMMANDS - real)}"
    shown = cs.sheet_commands()
    assert MAIN_COMMANDS <= shown, f"the cheat sheet lacks {sorted(MAIN_COMMANDS - shown)}"
    # schedules
    examples = " ".join(e.example for e in cs.command_entries())
    assert "report --schedule" in examples and "report --all" in examples


def test_every_python_name_imports():
    entries = cs.PYTHON[2]
    names = set()
    for e in entries:
        module = importlib.import_module(e.module)
        for name in e.names:
            obj = module
            for part in name.split("."):
                if not hasattr(obj, part) and hasattr(module, "Analysis"):
                    obj = module.Analysis  # methods: Analysis.compare
                assert hasattr(obj, part), f"{e.module}.{name} does not exist (cheat sheet: {e.example})"
                obj = getattr(obj, part)
            names.add(name)
    for line in cs.PYTHON_IMPORTS:
        m = re.fullmatch(r"from ([\w.]+) import (.+)", line)
        module = importlib.import_module(m.group(1))
        for name in m.group(2).split(", "):
            assert hasattr(module, name), line
            names.add(name)
    code = " ".join(e.example for e in entries)
    for fn in MAIN_FUNCTIONS:
        assert fn in names or re.search(rf"\.{fn}\(", code), f"{fn} is not on the cheat sheet"


def test_html_is_self_contained_inert_and_mentions_every_command(page):
    assert html_is_self_contained(page) == []
    assert html_active_content(page) == []
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    for command in MAIN_COMMANDS:
        assert f"workbench {command}" in text, command
    for fn in MAIN_FUNCTIONS:
        assert fn in text, fn
    assert 'lang="ar"' in page and 'dir="rtl"' in page           # bilingual, direction-isolated headings
    assert "المدوّنة" in text and "Corpus" in text
    assert "@page { size: A4" in page
    assert "<bdi lang=\"ar\">قوات النظام</bdi>" in page            # Arabic arguments isolated in code lines


def test_html_escapes_what_it_shows(monkeypatch):
    monkeypatch.setattr(cs, "SECTIONS", [("ع", "E", [cs.Entry("workbench <script>x</script>", "a & b")])])
    out = cs.render_cheatsheet()
    assert "<script>" not in out and "&lt;script&gt;" in out and "a &amp; b" in out


def test_without_chromium_only_the_html(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("WORKBENCH_CHROMIUM", raising=False)
    with pytest.warns(Warning, match="without PDF"):
        written = cs.write_cheatsheet(tmp_path / "out")
    assert [p.name for p in written] == ["cheatsheet.html"]
    assert cs.write_cheatsheet(tmp_path / "html", pdf=False) == [tmp_path / "html" / "cheatsheet.html"]


def _pages(pdf) -> int:
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes()))


def test_the_pdf_is_one_a4_page(tmp_path):
    try:
        have = chromium_path()
    except Exception:
        have = None
    if not have:
        pytest.skip("no Chromium: the PDF is not made (the HTML is)")
    written = cs.write_cheatsheet(tmp_path)
    assert [p.name for p in written] == ["cheatsheet.html", "cheatsheet.pdf"]
    pdf = written[1]
    assert pdf.read_bytes().startswith(b"%PDF")
    assert _pages(pdf) == 1
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert "(A4)" in info
