"""Turn an executed notebook into the report's HTML (and, with Chromium, PDF).

:func:`render_html` runs nbconvert's ``HTMLExporter`` with the workbench template
``workbench/data/templates/rtl`` (it extends nbconvert's ``lab`` template). The page is

* **right-to-left**: ``dir``/``lang`` on ``<html>`` and ``<body>``; every text block
  (paragraph, heading, list item, table cell, output line) has
  ``unicode-bidi: plaintext; text-align: start``, so a block takes the direction of its own
  text. The first strong letter alone would make an Arabic sentence that starts with a
  Latin name ("SANA قالت ...") left-to-right, so where the majority of a block's letters
  disagree with its first letter an explicit ``dir=`` is written on that block (see
  :func:`fix_block_direction`). Code stays left-to-right.
* **code-free**: no code input and no prompts; cells tagged ``parameters`` /
  ``injected-parameters`` (papermill) or ``remove-cell`` are dropped entirely,
  ``remove-input`` hides a cell's code (all code is hidden anyway), ``remove-output`` its
  outputs; code cells left with nothing to show are dropped. A cell tagged ``findings`` (the
  report's summary, computed last from the tables before it) is shown right after the cell
  tagged ``title``.
* **self-contained**: images (PNG/JPEG/SVG outputs and local markdown images) are data
  URIs, all CSS is inline, Noto Naskh Arabic (regular and bold) is embedded as base64
  ``@font-face``; there is no ``<script>`` -- no require.js, MathJax, mermaid or widget
  loaders. :func:`html_is_self_contained` lists any outside URL the page would fetch.
* **inert**: nothing in the page runs. After conversion :func:`html_active_content` looks for
  scripts, ``on*=`` event handlers, ``javascript:``/``vbscript:`` URLs, frames, objects, embeds,
  forms, ``<base>`` and ``<meta http-equiv="refresh">``; if it finds any (text from the corpus or
  the parameters that escaped escaping), no HTML is written and a
  :class:`~workbench.errors.WorkbenchError` names what was found. The tables and markdown of
  :class:`~workbench.reports.notebook.ReportContext` are escaped before they get here; this check
  makes a future escaping bug fail loudly instead of shipping a stored script injection.
* **deterministic**: the same notebook gives byte-identical HTML.
* **printable**: A4 ``@page`` with 15 mm margins; figures and table rows are not split.

:func:`render_pdf` prints that HTML with headless Chromium; without Chromium it raises
:class:`PdfUnavailable` (the HTML report is complete without the PDF).
"""
from __future__ import annotations

import base64
import copy
import html as _html
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import unicodedata
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

import nbformat

from ..errors import PdfUnavailable, WorkbenchError
from ..paths import PACKAGE_DATA

__all__ = [
    "PdfUnavailable",
    "REMOVE_CELL_TAGS",
    "REMOVE_INPUT_TAGS",
    "REMOVE_OUTPUT_TAGS",
    "chromium_path",
    "fix_block_direction",
    "html_active_content",
    "html_is_self_contained",
    "render_html",
    "render_pdf",
]

#: Cells with one of these tags are not in the report at all.
REMOVE_CELL_TAGS = frozenset({"parameters", "injected-parameters", "remove-cell"})
#: Cells with one of these tags show their outputs only (all code is hidden anyway).
REMOVE_INPUT_TAGS = frozenset({"remove-input"})
#: Cells with one of these tags show nothing of their outputs.
REMOVE_OUTPUT_TAGS = frozenset({"remove-output"})
#: A cell with this tag is moved right after the (first) cell tagged :data:`TITLE_TAG`.
FINDINGS_TAG = "findings"
TITLE_TAG = "title"

CHROMIUM_ENV = "WORKBENCH_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

_RTL_LANGS = {"ar", "arc", "dv", "fa", "he", "ku", "ps", "sd", "ug", "ur", "yi"}

# Output types shown, best first. JavaScript and widget views are left out on purpose: they
# need scripts (often from a CDN) and the report has none; their text/html, image or
# text/plain fallback is shown instead.
_DISPLAY_PRIORITY = [
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/latex",
    "text/plain",
]


# --------------------------------------------------------------------------------------------
# package data


def _data_dir() -> Path:
    return PACKAGE_DATA


def template_dir() -> Path:
    """Folder holding the ``rtl`` nbconvert template (``workbench/data/templates``)."""
    return _data_dir() / "templates"


# The embedded font is used for Arabic script only (and the joiners and direction marks): Latin
# letters, digits and spaces come from the next font in the stack (DejaVu Sans, or DejaVu Sans
# Mono in code and output text, whose own Arabic glyphs do not join).
_ARABIC_RANGES = ("U+0600-06FF, U+0750-077F, U+0870-08FF, U+FB50-FDFF, U+FE70-FEFF, "
                  "U+200C-200F, U+25CC")


@lru_cache(maxsize=1)
def _font_css() -> str:
    """``@font-face`` rules embedding the shipped Noto Naskh Arabic regular and bold."""
    fonts = _data_dir() / "fonts"
    rules = []
    for weight, name in ((400, "NotoNaskhArabic-Regular.ttf"), (700, "NotoNaskhArabic-Bold.ttf")):
        data = base64.b64encode((fonts / name).read_bytes()).decode("ascii")
        rules.append(
            "@font-face {\n"
            '  font-family: "Noto Naskh Arabic";\n'
            "  font-style: normal;\n"
            f"  font-weight: {weight};\n"
            "  font-display: block;\n"
            "  size-adjust: 115%;\n"
            f"  unicode-range: {_ARABIC_RANGES};\n"
            f'  src: url(data:font/ttf;base64,{data}) format("truetype");\n'
            "}"
        )
    return "\n".join(rules)


# --------------------------------------------------------------------------------------------
# notebook clean-up before conversion


def _tags(cell) -> set[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return {str(t) for t in tags} if isinstance(tags, (list, tuple)) else set()


def _prepare(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of *nb* with the cells a report should not show removed, ids made stable."""
    nb = copy.deepcopy(nb)
    cells, seen = [], set()
    for i, cell in enumerate(nb.cells):
        tags = _tags(cell)
        if tags & REMOVE_CELL_TAGS:
            continue
        if cell.get("cell_type") == "code":
            if tags & REMOVE_OUTPUT_TAGS:
                cell["outputs"] = []
            if not cell.get("outputs"):
                continue  # code is hidden, so nothing would be left of it but an empty box
        # nbformat >= 4.5 wants unique cell ids; validation would invent random ones for missing
        # or duplicate ids, which would make the HTML differ from run to run.
        if nb.get("nbformat_minor", 0) >= 5 and (not cell.get("id") or cell["id"] in seen):
            cell["id"] = f"cell-{i}"
        seen.add(cell.get("id"))
        cells.append(cell)
    nb.cells = _findings_after_title(cells)
    return nb


def _findings_after_title(cells: list) -> list:
    """The cells with those tagged ``findings`` moved right after the first cell tagged ``title``
    (summary first, though the notebook computes it last); unchanged without a title cell."""
    at = next((i for i, c in enumerate(cells) if TITLE_TAG in _tags(c)), None)
    moved = [c for c in cells if FINDINGS_TAG in _tags(c)]
    if at is None or not moved:
        return cells
    rest = [c for c in cells if FINDINGS_TAG not in _tags(c)]
    at = next(i for i, c in enumerate(rest) if TITLE_TAG in _tags(c))
    return rest[:at + 1] + moved + rest[at + 1:]


# --------------------------------------------------------------------------------------------
# direction of each text block

_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "dt", "dd", "caption",
           "figcaption", "blockquote", "summary"}
_CELLS = {"td", "th"}
# Text the browser sets apart (isolated code, scripts, styles): not part of a block's direction.
_SKIP_TEXT = {"code", "pre", "script", "style", "kbd", "samp", "math", "svg", "bdi", "textarea"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}
_WORD_RE = re.compile(r"\S+")


def _first_strong(text: str) -> str | None:
    """'ltr' or 'rtl' for the first strong bidi character of *text*, None if it has none."""
    for ch in text:
        cls = unicodedata.bidirectional(ch)
        if cls == "L":
            return "ltr"
        if cls in ("R", "AL"):
            return "rtl"
    return None


class _Block:
    __slots__ = ("tag", "start", "has_dir", "first", "words", "has_text")

    def __init__(self, tag: str, start: int, has_dir: bool):
        self.tag, self.start, self.has_dir = tag, start, has_dir
        self.first = None  # direction of the first strong letter (what plaintext would use)
        self.words = {"ltr": 0, "rtl": 0}  # words by the direction of their first letter
        self.has_text = False  # any text of its own (not only nested blocks)


class _DirectionScanner(HTMLParser):
    """Collects, for each text block, its first strong letter and its words' directions."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.stack: list[tuple[str, _Block | None, bool]] = []  # (tag, text block, skips text)
        self.skip = 0
        self.done: list[_Block] = []

    def _offset(self) -> int:
        line, col = self.getpos()
        return self.line_starts[line - 1] + col

    def _block(self) -> _Block | None:
        for _, block, _ in reversed(self.stack):
            if block is not None:
                return block
        return None

    def handle_starttag(self, tag, attrs):
        if tag in _VOID:
            return
        has_dir = any(k == "dir" for k, _ in attrs)
        block = _Block(tag, self._offset(), has_dir) if tag in _BLOCKS else None
        # an inline element with its own dir= is isolated by the browser, like <bdi>
        skips = tag in _SKIP_TEXT or (block is None and has_dir)
        self.skip += skips
        self.stack.append((tag, block, skips))

    def handle_endtag(self, tag):
        if all(t != tag for t, _, _ in self.stack):
            return  # stray end tag
        while self.stack:
            name, block, skips = self.stack.pop()
            self.skip -= skips
            if block is not None:
                self.done.append(block)
            if name == tag:
                break

    def handle_data(self, data):
        block = self._block()
        if block is None or self.skip:
            return
        if data.strip():
            block.has_text = True
        for word in _WORD_RE.findall(data):
            d = _first_strong(word)
            if d:
                block.words[d] += 1
                if block.first is None:
                    block.first = d

    def close(self):
        super().close()
        while self.stack:  # unclosed elements at the end
            _, block, _ = self.stack.pop()
            if block is not None:
                self.done.append(block)


def fix_block_direction(html: str, base: str = "rtl") -> str:
    """Write ``dir=`` on text blocks whose first strong letter would give the wrong direction.

    With ``unicode-bidi: plaintext`` the browser gives each paragraph the direction of its
    first strong letter, so the Arabic sentence "SANA قالت ..." would be laid out left-to-right.
    A block whose first letter is *not* in the report's *base* direction gets ``dir=base`` when
    at least half of its words are in the base direction (a word counts by its first letter;
    code and other isolated text do not count): "SANA قالت وكالة ..." becomes RTL, while
    "This paragraph mentions داعش once." stays LTR. A block that starts in the base direction
    is left to plaintext ("المدونة — The corpus" stays RTL). The CSS gives blocks with a ``dir``
    ``unicode-bidi: isolate``. Left alone: blocks that already have a ``dir``, blocks with no
    text of their own (a list item holding paragraphs), and table cells without letters
    (numbers stay left-to-right so "-0.5" keeps its minus in front); other blocks without
    letters get *base*.
    """
    other = "ltr" if base == "rtl" else "rtl"
    scanner = _DirectionScanner(html)
    scanner.feed(html)
    scanner.close()
    inserts = []
    for block in scanner.done:
        if block.has_dir or not block.has_text:
            continue
        if block.first is None:  # no letters: plaintext falls back to LTR (Unicode rule P3)
            if block.tag in _CELLS or base == "ltr":
                continue
        elif block.first == base or block.words[base] < block.words[other]:
            continue
        # right after the tag name: "<p" + ' dir="rtl"' + rest of the tag
        inserts.append((block.start + 1 + len(block.tag), f' dir="{base}"'))
    if not inserts:
        return html
    out, last = [], 0
    for pos, text in sorted(inserts):
        out.append(html[last:pos])
        out.append(text)
        last = pos
    out.append(html[last:])
    return "".join(out)


# --------------------------------------------------------------------------------------------
# HTML


# nbconvert's own warnings (e.g. "Alternative text is missing on N image(s)" for every figure)
# are noise in a report run; only its errors are shown.
_log = logging.getLogger("workbench.reports.render.nbconvert")
_log.setLevel(logging.ERROR)


def _exporter():
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    c = Config()
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.embed_images = True
    c.HTMLExporter.sanitize_html = False
    c.HTMLExporter.theme = "light"
    c.NbConvertBase.display_data_priority = list(_DISPLAY_PRIORITY)
    exporter = HTMLExporter(
        config=c,
        log=_log,
        template_name="rtl",
        extra_template_basedirs=[str(template_dir())],
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(
            remove_cell_tags=set(REMOVE_CELL_TAGS),
            remove_input_tags=set(REMOVE_INPUT_TAGS),
            remove_all_outputs_tags=set(REMOVE_OUTPUT_TAGS),
        ),
        enabled=True,
    )
    return exporter


def render_html(
    nb: nbformat.NotebookNode | str | os.PathLike,
    out_path: str | os.PathLike,
    *,
    title: str,
    lang: str = "ar",
) -> Path:
    """Render an executed notebook to one self-contained right-to-left HTML file.

    *nb* is a notebook node or the path of an ``.ipynb``. Relative images in markdown cells are
    looked up next to the notebook file (or, for a node, next to *out_path*) and embedded.
    *lang* sets ``lang`` and, for right-to-left languages (ar, fa, ur, he, ...), ``dir="rtl"``.
    The file is written atomically (temp file, then rename); returns its path.
    """
    out_path = Path(out_path)
    if isinstance(nb, (str, os.PathLike)):
        nb_file = Path(nb)
        nb = nbformat.read(nb_file, as_version=4)
        base_dir = nb_file.resolve().parent
    else:
        base_dir = out_path.resolve().parent
    lang = str(lang or "ar")
    direction = "rtl" if lang.split("-")[0].lower() in _RTL_LANGS else "ltr"

    exporter = _exporter()
    res = {
        "metadata": {"name": str(title), "path": str(base_dir)},
        "wb": {"title": str(title), "lang": lang, "dir": direction, "font_css": _font_css()},
    }
    body, _ = exporter.from_notebook_node(_prepare(nb), resources=res)
    head, sep, rest = body.partition("<main>")
    if sep:
        body = head + sep + fix_block_direction(rest, base=direction)
    if not body.endswith("\n"):
        body += "\n"
    active = html_active_content(body)
    if active:
        shown = "; ".join(active[:5]) + (f"; and {len(active) - 5} more" if len(active) > 5 else "")
        raise WorkbenchError(
            f"{out_path.name} not written: it would contain active content ({shown}); some text "
            "from the corpus, the parameters or a notebook output was not escaped -- please report "
            "this as a workbench bug, with the notebook"
        )

    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp", dir=out_path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(body)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out_path


# --------------------------------------------------------------------------------------------
# active content check

#: Elements that run code, load another document or send data: never in a report.
ACTIVE_TAGS = frozenset({"script", "iframe", "frame", "frameset", "object", "embed", "applet",
                         "form", "base", "portal"})
# Browsers ignore ASCII whitespace and control characters anywhere in a URL's scheme
# ("java\tscript:" runs), so they are removed before the scheme is compared.
_URL_NOISE_RE = re.compile(r"[\x00-\x20\x7f]+")
_SCRIPT_SCHEMES = ("javascript:", "vbscript:", "livescript:")
_RAW_SCRIPT_RE = re.compile(r"<\s*/?\s*script\b", re.I)
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)


class _ActiveScanner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def _add(self, what: str) -> None:
        if what not in self.found:
            self.found.append(what)

    def handle_starttag(self, tag, attrs):
        tag = tag.lower()
        if tag in ACTIVE_TAGS:
            self._add(f"<{tag}>")
        for name, value in attrs:
            name = (name or "").lower()
            value = value or ""
            if name.startswith("on"):
                self._add(f"{name}= on <{tag}>")
            squeezed = _URL_NOISE_RE.sub("", value).lower()
            scheme = next((s for s in _SCRIPT_SCHEMES
                           if squeezed.startswith(s) or (name == "style" and s in squeezed)), None)
            if scheme:
                self._add(f"{scheme} URL in {name}= of <{tag}>")
            elif name == "style" and "expression(" in squeezed:
                self._add(f"expression() in style= of <{tag}>")
            if tag == "meta" and name == "http-equiv" and value.strip().lower() == "refresh":
                self._add('<meta http-equiv="refresh">')

    handle_startendtag = handle_starttag


def html_active_content(html: str) -> list[str]:
    """What in *html* could run or navigate when the page is opened or printed; [] if nothing.

    Reports ``<script>`` (also as raw text outside comments), event-handler attributes (any
    attribute named ``on...``: ``onerror``, ``onload``, ``ontoggle`` ...), ``javascript:`` /
    ``vbscript:`` URLs in any attribute (ignoring the whitespace and control characters a browser
    ignores in a scheme, and character references), CSS ``expression()``, and the elements
    :data:`ACTIVE_TAGS` (``<iframe>``, ``<object>``, ``<embed>``, ``<form>``, ``<base>`` ...) and
    ``<meta http-equiv="refresh">``. Text that merely shows such markup (``&lt;script&gt;``) is fine.
    """
    scanner = _ActiveScanner()
    scanner.feed(html)
    scanner.close()
    found = scanner.found
    # belt and braces: a script tag the parser above did not see as one (HTMLParser is not a browser)
    rest = _COMMENT_RE.sub("", _STYLE_RE.sub("<style></style>", html))
    if _RAW_SCRIPT_RE.search(rest) and "<script>" not in found:
        found.append("<script>")
    return found


# --------------------------------------------------------------------------------------------
# self-containment check

_TAG_RE = re.compile(r"<\s*([a-zA-Z][a-zA-Z0-9-]*)\b([^>]*)>", re.S)
_ATTR_RE = re.compile(r"""([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""", re.S)
_CSS_URL_RE = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)""", re.I)
_CSS_IMPORT_RE = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.I)
_CSS_COMMENT_RE = re.compile(r"/\*.*?\*/", re.S)
_STYLE_RE = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.S | re.I)
_OUTSIDE_RE = re.compile(r"^\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//", re.S)
# tag -> attributes whose URL the browser fetches by itself when the page is opened
_FETCHED = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "input": ("src",),
    "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"),
    "base": ("href",),
}


def _outside(url: str) -> bool:
    """True for a URL that leaves the file: http(s)://, protocol-relative //, ftp:// ..."""
    url = _html.unescape(url).strip()
    return bool(_OUTSIDE_RE.match(url)) and not url.lower().startswith("file:")


def html_is_self_contained(html: str) -> list[str]:
    """Outside URLs the page would fetch when opened; an empty list means self-contained.

    Looks at ``src``/``href`` of script, link, img, iframe (and other embedding tags), inline
    ``style=`` attributes and ``<style>`` blocks (``url(...)``, ``@import``). Plain ``<a href>``
    links are not fetched and are not reported. ``data:`` URIs are fine.
    """
    found: list[str] = []

    def add(url):
        if url and _outside(url) and url not in found:
            found.append(_html.unescape(url).strip())

    def css(text):
        text = _CSS_COMMENT_RE.sub("", text)
        for m in _CSS_URL_RE.finditer(text):
            add(m.group(1) or m.group(2) or m.group(3))
        for m in _CSS_IMPORT_RE.finditer(text):
            add(m.group(1) or m.group(2))

    # style blocks first, then blank them so their text is not read as tags
    for m in _STYLE_RE.finditer(html):
        css(m.group(1))
    rest = _STYLE_RE.sub("<style></style>", html)
    for m in _TAG_RE.finditer(rest):
        tag = m.group(1).lower()
        attrs = {}
        for a in _ATTR_RE.finditer(m.group(2)):
            v = a.group(2)
            if v[:1] in "\"'":
                v = v[1:-1]
            attrs[a.group(1).lower()] = v
        for name in _FETCHED.get(tag, ()):
            value = attrs.get(name)
            if not value:
                continue
            if tag == "link" and not _link_fetches(attrs.get("rel", "")):
                continue
            if name == "srcset":
                for part in value.split(","):
                    add(part.strip().split(" ")[0])
            else:
                add(value)
        if "style" in attrs:
            css(_html.unescape(attrs["style"]))
    return found


def _link_fetches(rel: str) -> bool:
    rel = {r.lower() for r in rel.split()}
    # canonical/alternate/author/help/license... are plain references, not fetched
    return bool(rel & {"stylesheet", "icon", "preload", "prefetch", "preconnect", "dns-prefetch",
                       "modulepreload", "manifest", "apple-touch-icon", "import"}) or not rel


# --------------------------------------------------------------------------------------------
# PDF


def chromium_path() -> str | None:
    """The Chromium/Chrome binary: ``$WORKBENCH_CHROMIUM`` if set, else the first on PATH."""
    env = os.environ.get(CHROMIUM_ENV, "").strip()
    if env:
        found = shutil.which(env)
        if found:
            return found
        raise PdfUnavailable(
            f"{CHROMIUM_ENV}={env} is not an executable; install Chromium: `sudo apt-get install "
            "chromium` (Debian/Ubuntu), or set WORKBENCH_CHROMIUM=/path/to/chrome; "
            "the HTML report is complete without it"
        )
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _stderr_summary(text: str) -> str:
    """One line from Chromium's stderr: the first line that looks like an error, else the last."""
    lines = [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return "no message"
    for line in lines:
        low = line.lower()
        if ("error" in low or "fatal" in low or "cannot" in low or "failed" in low) and \
                "dbus" not in low and "gpu" not in low:
            return line[:300]
    return lines[-1][:300]


def _kill_group(proc: subprocess.Popen, wait: bool = True) -> None:
    """Stop the process group started for *proc* (Chromium and its helper processes)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # Windows: no process groups to signal; stop Chromium itself
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
    if wait:
        try:
            proc.communicate(timeout=10)
        except (subprocess.TimeoutExpired, ValueError):
            pass


def render_pdf(html_path: str | os.PathLike, pdf_path: str | os.PathLike, *,
               timeout: float = 120) -> Path | None:
    """Print *html_path* to an A4 PDF with headless Chromium; returns the PDF's path.

    Raises :class:`PdfUnavailable` when no Chromium/Chrome is found (set ``WORKBENCH_CHROMIUM``
    to point at one), :class:`~workbench.errors.WorkbenchError` when Chromium fails or writes
    something that is not a PDF. The PDF is written to a temp file and renamed into place.
    """
    html_path = Path(html_path).resolve()
    pdf_path = Path(pdf_path)
    if not html_path.is_file():
        raise WorkbenchError(f"cannot print {html_path} to PDF: no such file")
    binary = chromium_path()
    if binary is None:
        raise PdfUnavailable()
    from ..rendered import digest, rendered

    # same page, same Chromium: the PDF of an earlier print (byte-identical re-runs; see workbench.rendered)
    real = os.path.realpath(binary)
    st = os.stat(real)
    key = digest("report-pdf", str(timeout), real, str(st.st_size), str(st.st_mtime_ns), html_path.read_bytes())
    return rendered("pdf", key, pdf_path, lambda out: _print_pdf(binary, html_path, out, timeout))


def _print_pdf(binary: str, html_path: Path, pdf_path: Path, timeout: float) -> Path:
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{pdf_path.name}.", suffix=".tmp", dir=pdf_path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        with tempfile.TemporaryDirectory(prefix="workbench-chromium-") as profile:
            cmd = [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-default-apps",
                "--no-first-run",
                "--no-default-browser-check",
                "--mute-audio",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={tmp}",
                html_path.as_uri(),
            ]
            env = {**os.environ, "HOME": profile}  # keep Chromium's dot-files out of $HOME
            try:
                # its own process group, so that on a timeout its helpers are stopped too
                proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, env=env, start_new_session=True)
            except OSError as e:
                raise WorkbenchError(f"cannot run Chromium ({binary}): {e}") from None
            try:
                _, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                raise WorkbenchError(
                    f"Chromium did not finish printing {html_path.name} to PDF within {timeout:g} s"
                ) from None
            except BaseException:
                _kill_group(proc)
                raise
            _kill_group(proc, wait=False)  # helpers that outlive the browser, if any
        stderr = err.decode("utf-8", "replace")
        if proc.returncode != 0:
            raise WorkbenchError(
                f"Chromium failed to print {html_path.name} to PDF (exit {proc.returncode}): "
                f"{_stderr_summary(stderr)}"
            )
        size = tmp.stat().st_size if tmp.exists() else 0
        if size == 0:
            raise WorkbenchError(
                f"Chromium wrote no PDF for {html_path.name}: {_stderr_summary(stderr)}"
            )
        with open(tmp, "rb") as f:
            if f.read(4) != b"%PDF":
                raise WorkbenchError(f"Chromium wrote something that is not a PDF for {html_path.name}")
        os.chmod(tmp, 0o644)
        os.replace(tmp, pdf_path)
    finally:
        tmp.unlink(missing_ok=True)
    return pdf_path
