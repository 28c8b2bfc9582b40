"""The workshop cheat sheet: the main commands and Python functions on one printable A4 page.

:func:`write_cheatsheet` writes ``cheatsheet.html`` (self-contained: inline CSS, the shipped Noto
Naskh Arabic embedded, no script) and, when Chromium is found, ``cheatsheet.pdf`` (one A4 page,
:func:`workbench.reports.render.render_pdf`). The page is right-to-left safe: headings are
bilingual (Arabic and English, each in its own direction-isolated span), code lines are
left-to-right blocks whose Arabic arguments (``"قوات النظام"``) are isolated too.

Every command line of :data:`SECTIONS` is an example a participant can type; a test parses each one
with the real command line (:func:`workbench.cli.build_parser`), so a renamed command or option
fails the tests instead of printing a wrong cheat sheet. Every Python name is imported by a test too.
"""
from __future__ import annotations

import html
import shlex
import warnings
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .errors import PdfUnavailable, WorkbenchWarning
from .paths import PACKAGE_DATA

__all__ = ["Entry", "SECTIONS", "PYTHON_IMPORTS", "command_entries", "cli_commands", "render_cheatsheet",
           "write_cheatsheet"]

TEMPLATE = PACKAGE_DATA / "templates" / "cheatsheet.html"


@dataclass(frozen=True)
class Entry:
    """One line of the sheet: an example and what it does. ``kind`` is ``cli`` (a ``workbench``
    command, checked against the parser), ``shell`` (another command) or ``python`` (checked by
    importing ``names`` from ``module``)."""

    example: str
    what: str
    kind: str = "cli"
    module: str | None = None
    names: tuple[str, ...] = ()


def _cli(example: str, what: str) -> Entry:
    return Entry(example, what)


def _py(module: str, names: str, example: str, what: str) -> Entry:
    return Entry(example, what, "python", module, tuple(names.split()))


STORE = "--store build/demo-store"

#: (Arabic heading, English heading, entries)
SECTIONS: list[tuple[str, str, list[Entry]]] = [
    ("البدء", "Start", [
        Entry("python -m workbench.install", "install into .venv without make (or: make install)", "shell"),
        Entry(r".venv\Scripts\workbench lab   (macOS/Linux: .venv/bin/workbench lab)",
              "the same command on Windows; or activate .venv first", "shell"),
        _cli("workbench lab", "JupyterLab at notebooks/tutorials/ in the workbench's kernel (also make lab)"),
        _cli("workbench cheatsheet --out build/cheatsheet", "this page, as HTML and PDF"),
    ]),
    ("المدوّنة", "Corpus", [
        _cli("workbench corpus import articles.jsonl --store stores/mine",
             "JSONL, CSV/TSV or a .txt folder into a store; all or nothing"),
        _cli("workbench corpus import news.csv --store stores/mine --column text=body --skip-invalid",
             "map a column; write the valid rows and a rejects file"),
        _cli(f"workbench corpus info {STORE}", "articles per outlet and camp, dates, words"),
        _cli(f'workbench corpus query {STORE} --camp regime --contains "النظام" --count',
             "select articles (CSV, or only their number)"),
    ]),
    ("المقارنة", "Compare the sides", [
        _cli(f"workbench keyness {STORE} --group camp --target opposition --reference regime",
             "key words of each side: G², log ratio, dispersion"),
        _cli(f"workbench composition {STORE} --group camp --target opposition --reference regime",
             "do the sides differ in sections? (check before keyness)"),
        _cli(f"workbench stories {STORE} --window 7 --target regime --reference opposition",
             "same event, several outlets: who covered which story"),
        _cli(f"workbench reuse {STORE}", "the same text printed by several outlets"),
        _cli(f"workbench report notebooks/topics.ipynb {STORE}", "topics: which subjects each side covers"),
    ]),
    ("القراءة المتأنية", "Close reading", [
        _cli(f'workbench kwic "قوات النظام" {STORE} --window 6 --sort right',
             "concordance: every occurrence in its context, as printed"),
        _cli(f"workbench kwic النظام --clitics {STORE} --sample 10 --by camp",
             "also وبالنظام، للنظام …; 10 lines per camp"),
        _cli(f"workbench collocates النظام {STORE} --by camp --top 10", "the words around a word, per camp"),
        _cli(f"workbench lexicon {STORE} --category actor:government", "how each camp names an actor"),
        _cli(f"workbench trends النظام الدولة {STORE} --by camp --freq month", "a word's frequency over time"),
        _cli(f"workbench attribution {STORE} --by camp", "whom each side cites, and with which verbs"),
    ]),
    ("التقارير", "Reports", [
        _cli("workbench report", "the framing report on the demo corpus: HTML, PDF, tables, figures"),
        _cli("workbench report --store stores/mine -p where category!=accidents", "your corpus, a parameter"),
        _cli("workbench report --list-parameters", "the report's parameters and defaults"),
        _cli("workbench report --schedule weekly-demo", "a named schedule (reports/schedules/*.yaml)"),
        _cli("workbench report --all", "every schedule (cron, systemd timer)"),
    ]),
]

#: The import lines printed above the Python entries (every name in them is checked by a test).
PYTHON_IMPORTS = [
    "from workbench.analysis import Analysis",
    "from workbench.reading.kwic import kwic, kwic_table",
    "from workbench.reading.lexicons import load_lexicon, naming_table",
    "from workbench.stories import find_stories",
    "from workbench.topics import topic_table",
    "from workbench.rtl import rtl, md",
    "from workbench.widgets import keyness_widget, concordance_widget, naming_widget",
]

PYTHON: tuple[str, str, list[Entry]] = ("بايثون", "Python (notebooks)", [
    _py("workbench.analysis", "Analysis", 'a = Analysis("build/demo-store", where="category!=accidents")',
        "store, text settings and selection, set up once"),
    _py("workbench.analysis", "Analysis compare",
        'table = a.compare("camp", "opposition", "regime")', "keyness table (the keyness command)"),
    _py("workbench.reading.kwic", "kwic kwic_table",
        'kwic_table(kwic(a, "قوات النظام", clitics=True, sample=5, by="camp"))', "concordance lines"),
    _py("workbench.reading.lexicons", "naming_table load_lexicon",
        'naming_table(a, load_lexicon(), "actor:government", by="camp")', "how each camp names an actor"),
    _py("workbench.topics", "topic_table", 'tm = a.fit_topics(8, seed=1); topic_table(tm)',
        "an LDA topic model and its top words"),
    _py("workbench.stories", "find_stories", "stories = find_stories(a, window_days=3)",
        "stories across outlets (.table, .articles)"),
    _py("workbench.rtl", "rtl md", 'rtl(table.head(10)); md("**الكلمات المفتاحية** — key terms")',
        "tables and text right to left in JupyterLab"),
    _py("workbench.widgets", "keyness_widget concordance_widget naming_widget",
        "keyness_widget(a); concordance_widget(a); naming_widget(a)", "click instead of code"),
])


def command_entries() -> list[Entry]:
    """Every ``workbench`` command line of the sheet."""
    return [e for _, _, entries in SECTIONS for e in entries if e.kind == "cli"]


def command_args(entry: Entry) -> list[str]:
    """The arguments of a ``workbench ...`` example (after ``workbench``)."""
    args = shlex.split(entry.example)
    assert args[0] == "workbench", entry.example
    return args[1:]


def cli_commands() -> set[str]:
    """The real command line's commands and sub-commands (``corpus import``, ``keyness``, ...)."""
    import argparse

    from .cli import build_parser

    found: set[str] = set()

    def walk(parser: argparse.ArgumentParser, prefix: tuple[str, ...]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    path = (*prefix, name)
                    found.add(" ".join(path))
                    walk(sub, path)

    walk(build_parser(), ())
    return found


def sheet_commands() -> set[str]:
    """The commands the sheet shows (``corpus import``, ``kwic``, ...)."""
    commands = cli_commands()
    out = set()
    for entry in command_entries():
        args = command_args(entry)
        two = " ".join(args[:2])
        out.add(two if two in commands else args[0])
    return out


# --------------------------------------------------------------------------------------------- HTML

def _isolate_arabic(text: str) -> str:
    """Escaped *text* with each run of Arabic words in ``<bdi lang="ar">`` (direction-isolated)."""
    import re

    out, pos = [], 0
    for m in re.finditer(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]"
                         r"(?:[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF\s،]*"
                         r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF])?", text):
        out.append(html.escape(text[pos:m.start()]))
        out.append(f'<bdi lang="ar">{html.escape(m.group(0))}</bdi>')
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _heading(ar: str, en: str) -> str:
    return (f'<h2><span class="ar" lang="ar" dir="rtl">{html.escape(ar)}</span>'
            f'<span class="sep"> · </span><span class="en" lang="en" dir="ltr">{html.escape(en)}</span></h2>')


def _entry(e: Entry) -> str:
    return (f'<div class="entry"><code dir="ltr">{_isolate_arabic(e.example)}</code>'
            f'<span class="what" dir="ltr">{_isolate_arabic(e.what)}</span></div>')


def render_cheatsheet() -> str:
    """The cheat sheet's HTML page (self-contained, no script)."""
    from .reports.render import _font_css

    parts = []
    for ar, en, entries in SECTIONS:
        parts.append(f'<section>{_heading(ar, en)}{"".join(_entry(e) for e in entries)}</section>')
    ar, en, entries = PYTHON
    imports = "".join(f'<code dir="ltr" class="import">{html.escape(line)}</code>' for line in PYTHON_IMPORTS)
    parts.append(f'<section class="python">{_heading(ar, en)}<div class="imports">{imports}</div>'
                 f'{"".join(_entry(e) for e in entries)}</section>')
    page = TEMPLATE.read_text(encoding="utf-8")
    return (page.replace("{{ font_css }}", _font_css())
                .replace("{{ version }}", html.escape(__version__))
                .replace("{{ sections }}", "\n".join(parts)))


def write_cheatsheet(out_dir: str | Path, *, pdf: bool = True) -> list[Path]:
    """Write ``cheatsheet.html`` (and with Chromium ``cheatsheet.pdf``) into *out_dir*; return the paths.

    Without Chromium the PDF is skipped with a :class:`~workbench.errors.WorkbenchWarning`
    (``warning: ...`` on the command line); the HTML prints to one A4 page from any browser.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    page = out / "cheatsheet.html"
    tmp = page.with_name(".cheatsheet.html.tmp")
    tmp.write_text(render_cheatsheet(), encoding="utf-8")
    tmp.replace(page)
    written = [page]
    if pdf:
        from .reports.render import render_pdf

        try:
            written.append(render_pdf(page, out / "cheatsheet.pdf"))
        except PdfUnavailable as e:
            warnings.warn(f"cheat sheet without PDF: {e}", WorkbenchWarning, stacklevel=2)
    return written
