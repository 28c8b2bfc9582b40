"""Interactive widgets for workshops: keyness, concordances and naming tables in JupyterLab.

Three small panels (``ipywidgets``) let a learner explore an analysis without writing code. Each
takes an :class:`~workbench.analysis.Analysis` and returns an ``ipywidgets.VBox``; put it last in a
notebook cell to show it::

    from workbench.analysis import Analysis
    from workbench.widgets import keyness_widget, concordance_widget, naming_widget

    a = Analysis("build/demo-store")
    keyness_widget(a)             # group, target and reference menus -> key terms of each side + bar chart
    concordance_widget(a)         # type a word, a phrase or a pattern (قوات *) and press Enter
    naming_widget(a)              # an actor of the lexicon -> how each camp names it + chart

* :func:`keyness_widget` -- menus for the group column (``camp``, ``outlet``, ``month``, any
  imported column with a few values), the target value and the reference value (``(all others)``:
  every other document); on each change it shows the top ``n`` key terms of each side
  (:meth:`Analysis.compare <workbench.analysis.Analysis.compare>`, the columns ``workbench keyness``
  prints) and the keyness bar chart (:func:`~workbench.plots.keyness.keyness_plot`). Each choice is
  computed once and kept.
* :func:`concordance_widget` -- a query box (plus "clitics" and "regex" boxes) and the first
  ``lines`` concordance lines (:func:`~workbench.reading.kwic.kwic`, shown as
  :func:`~workbench.reading.kwic.kwic_table`). A query that cannot be read gives its one-line
  message, never a traceback.
* :func:`naming_widget` -- a menu of the lexicon's actors (default ``corpus/lexicons/syria.yaml``)
  and the naming table of the chosen actor by camp (:func:`~workbench.reading.lexicons.naming_table`)
  with its chart (:func:`~workbench.plots.naming.naming_plot`).

Tables are ``ipywidgets.HTML`` widgets showing right-to-left, escaped HTML (:func:`workbench.rtl.rtl`,
:func:`~workbench.reading.kwic.kwic_table`): no corpus string -- title, term, label, group value --
is ever inserted as markup. Charts are PNG images in ``ipywidgets.Image`` widgets (100 dpi). No
``ipywidgets.Output`` is used, so the panels work the same in a kernel, in Voilà and in plain Python.

The update logic is in plain functions (:func:`keyness_view`, :func:`concordance_view`,
:func:`naming_view`) that return the HTML and PNG to show; the panels only call them. The panels
expose their child widgets, so code (or a test) can drive them without a browser::

    w = keyness_widget(a)
    w.target.value, w.reference.value = "opposition", "regime"
    w.target_table.value          # the HTML now shown for the target side
    w.chart.value                 # the PNG bytes of the bar chart

Importing this module is cheap: the analysis, plotting and matplotlib modules are imported on the
first use of a panel.
"""
from __future__ import annotations

import html
import io
from dataclasses import dataclass
from typing import Any, Mapping

import ipywidgets as widgets

__all__ = [
    "ALL_OTHERS", "CHART_DPI", "KeynessView", "ConcordanceView", "NamingView",
    "keyness_widget", "concordance_widget", "naming_widget",
    "KeynessWidget", "ConcordanceWidget", "NamingWidget",
    "keyness_view", "concordance_view", "naming_view",
    "group_columns", "group_values", "actor_categories", "figure_png", "message_html",
]

#: The reference menu's choice for "every document that is not the target" (``reference=None``).
ALL_OTHERS = "(all others)"
#: Resolution of the charts shown in the panels (screen, not print).
CHART_DPI = 100
#: A group column is offered when it has at least 2 and at most this many values.
MAX_GROUP_VALUES = 60
#: Columns never offered as groups (identifiers, free text, numbers, exact dates).
_NOT_GROUPS = {"id", "title", "text", "url", "date", "n_words", "text_hash", "content_hash", "position"}
#: Columns offered first, in this order, when the corpus has them.
_FIRST_GROUPS = ("camp", "outlet", "month")
_MESSAGE_STYLE = "margin:0.3em 0;unicode-bidi:plaintext"


# --------------------------------------------------------------------------------------------
# small helpers

def message_html(text: str, *, kind: str = "info") -> str:
    """``text`` as escaped HTML for a panel's message line (``kind``: ``info`` or ``error``).

    ``dir="auto"`` lets the browser pick the direction from the first strong character, so an
    Arabic message reads right-to-left and an English one left-to-right."""
    if not text:
        return ""
    color = "#a40000" if kind == "error" else "#444"
    body = html.escape(str(text)).replace("\n", "<br>")
    return f'<div dir="auto" class="workbench-message" style="{_MESSAGE_STYLE};color:{color}">{body}</div>'


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    line = text.splitlines()[0] if text else ""
    return line or type(error).__name__


def _error_message(error: Exception) -> str:
    """A one-line message for an error: the workbench's own errors as they are, others with their type."""
    from .errors import WorkbenchError

    if isinstance(error, WorkbenchError):
        return _first_line(error)
    return f"{type(error).__name__}: {_first_line(error)}"


def figure_png(fig, dpi: int = CHART_DPI) -> bytes:
    """A matplotlib figure as PNG bytes (no ``Software`` chunk, so equal figures give equal bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def _rtl_block(caption: str | None, frame=None, note: str | None = None) -> str:
    """An escaped caption, an optional escaped note and an escaped table (:func:`workbench.rtl.rtl`),
    in one right-to-left block."""
    from .rtl import RtlHTML, rtl

    parts = []
    if caption:
        parts.append(f'<p style="margin:0.4em 0 0.2em;font-weight:bold">{html.escape(caption)}</p>')
    if note:
        parts.append(f'<p style="margin:0 0 0.3em;font-size:90%;color:#555">{html.escape(note)}</p>')
    if frame is not None:
        parts.append(rtl(frame, rows=None).inner)
    return str(RtlHTML("".join(parts)))


def _show_chart(image: widgets.Image, png: bytes | None) -> None:
    if png:
        image.value = png
        image.layout.display = None
    else:
        image.value = b""
        image.layout.display = "none"


# --------------------------------------------------------------------------------------------
# groups

def group_columns(docs, max_values: int = MAX_GROUP_VALUES) -> list[str]:
    """The document columns that can define groups: text or categorical columns with 2 to
    ``max_values`` values (``camp``, ``outlet``, ``month``, imported columns such as ``section``),
    ``camp``, ``outlet`` and ``month`` first."""
    import pandas as pd

    found = []
    for col in docs.columns:
        if col in _NOT_GROUPS:
            continue
        s = docs[col]
        if not (isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s.dtype)
                or pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)):
            continue
        if 2 <= s.astype("string").nunique(dropna=True) <= max_values:
            found.append(str(col))
    first = [c for c in _FIRST_GROUPS if c in found]
    return first + [c for c in found if c not in first]


def group_values(docs, column: str) -> list[str]:
    """The values of ``column`` (as strings, sorted): the groups :meth:`Analysis.compare` accepts."""
    return sorted(str(v) for v in docs[column].astype("string").dropna().unique())


# --------------------------------------------------------------------------------------------
# keyness

@dataclass
class KeynessView:
    """What the keyness panel shows for one choice: a message, each side's table (HTML) and the
    chart (PNG bytes, or None)."""

    message: str = ""
    target_html: str = ""
    reference_html: str = ""
    png: bytes | None = None
    error: bool = False


def keyness_view(analysis, group: str, target: str | None, reference: str | None, *, n: int = 15,
                 chart: bool = True, memo: dict | None = None, **compare_options: Any) -> KeynessView:
    """The key terms of ``target`` against ``reference`` (``None`` or :data:`ALL_OTHERS`: every
    other document) in ``group``: the top ``n`` of each side as right-to-left tables with the
    columns ``workbench keyness`` prints, and the bar chart as PNG (``chart=False``: none).

    The same target and reference give a message, not an error; an error of the analysis gives
    its one-line message. ``memo`` (a dict) keeps each result, so a choice made again costs
    nothing; ``compare_options`` go to :meth:`Analysis.compare` (``min_count``, ``ngrams``, ...).
    """
    if not group or target is None:
        return KeynessView("Choose a group and a target.")
    ref = None if reference is None or reference == ALL_OTHERS else reference
    if ref is not None and str(ref) == str(target):
        return KeynessView(f"The target and the reference are both «{target}»: choose two different groups "
                           f"to compare, or «{ALL_OTHERS}» as the reference.")
    key = (group, str(target), None if ref is None else str(ref), int(n), bool(chart),
           repr(sorted(compare_options.items())))  # options may be lists or arrays
    if memo is not None and key in memo:
        return memo[key]
    view = _keyness_view(analysis, group, str(target), None if ref is None else str(ref), int(n), chart,
                         compare_options)
    if memo is not None and not view.error:  # a failure is tried again
        memo[key] = view
    return view


def _keyness_view(analysis, group, target, ref, n, chart, compare_options) -> KeynessView:
    from .display import TERM_CHARS, shorten
    from .stats.keyness import top_terms
    from .stats.measures import SHOWN_COLUMNS, SHOWN_STRATIFIED_COLUMNS

    try:
        table = analysis.compare(group, target, ref, **compare_options)
        top = top_terms(table, n)
    except Exception as e:  # noqa: BLE001 -- a panel shows the problem in one line
        return KeynessView(_error_message(e), error=True)
    cols = SHOWN_STRATIFIED_COLUMNS if compare_options.get("stratify") else SHOWN_COLUMNS
    cols = [c for c in cols if c in top.columns]
    tname = shorten(target, TERM_CHARS)
    rname = shorten(ref, TERM_CHARS) if ref is not None else f"not {tname}"
    blocks = {}
    for side, label in (("target", tname), ("reference", rname)):
        rows = top[top["direction"] == side][cols].reset_index(drop=True)
        caption = (f"أكثر استخدامًا لدى {label} — more used by {label} (top {n}; *_target = {tname}, "
                   f"*_reference = {rname}; freq = per 10,000 words)")
        if rows.empty:
            blocks[side] = _rtl_block(caption, note="لا كلمات مفتاحية — no key term on this side")
        else:
            blocks[side] = _rtl_block(caption, rows)
    png = None
    message = f"{group}: {tname} ↔ {rname} · {len(table):,} terms compared"
    if chart:
        try:
            from .plots.keyness import keyness_plot

            png = figure_png(keyness_plot(table, n=n))
        except Exception as e:  # noqa: BLE001
            message += f" · no chart ({_error_message(e)})"
    return KeynessView(message, blocks["target"], blocks["reference"], png)


class KeynessWidget(widgets.VBox):
    """The keyness panel made by :func:`keyness_widget`.

    Child widgets: ``group``, ``target``, ``reference`` (``Dropdown``), ``message``,
    ``target_table``, ``reference_table`` (``HTML``) and ``chart`` (``Image``). Setting a
    dropdown's ``value`` updates the rest at once; :meth:`update` does it by hand; ``view`` is the
    :class:`KeynessView` shown.
    """

    def __init__(self, analysis, *, group: str = "camp", target: str | None = None,
                 reference: str | None = None, n: int = 15, chart: bool = True, **compare_options: Any):
        from .errors import ArgumentError

        self.analysis = analysis
        self.n = int(n)
        self.show_chart = bool(chart)
        self.compare_options = compare_options
        self.memo: dict = {}
        self.view = KeynessView()
        docs = analysis.docs
        columns = group_columns(docs)
        if group not in columns:
            if group in docs.columns and len(group_values(docs, group)) >= 2:
                columns.insert(0, group)
            else:
                raise ArgumentError(f"group={group!r}: not a column with groups "
                                    f"(try: {', '.join(columns) or 'none found'})")
        self._quiet = True
        self.group = widgets.Dropdown(options=columns, value=group, description="group")
        self.target = widgets.Dropdown(description="target")
        self.reference = widgets.Dropdown(description="reference")
        self.message = widgets.HTML()
        self.target_table = widgets.HTML()
        self.reference_table = widgets.HTML()
        self.chart = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self._set_choices(target, reference)
        super().__init__(children=[
            widgets.HBox([self.group, self.target, self.reference]),
            self.message,
            self.target_table,
            self.reference_table,
            self.chart,
        ])
        self.group.observe(self._on_group, names="value")
        self.target.observe(self._on_choice, names="value")
        self.reference.observe(self._on_choice, names="value")
        self._quiet = False
        self.update()

    def _set_choices(self, target: str | None = None, reference: str | None = None) -> None:
        """Fill the target and reference menus with the values of the chosen group."""
        values = group_values(self.analysis.docs, self.group.value)
        self.target.options = values
        self.reference.options = [ALL_OTHERS] + values
        t = target if target in values else values[0]
        self.target.value = t
        if reference is not None and (reference == ALL_OTHERS or reference in values):
            self.reference.value = reference
        elif len(values) == 2:
            self.reference.value = values[1] if t == values[0] else values[0]
        else:
            self.reference.value = ALL_OTHERS

    def _on_group(self, change) -> None:
        if self._quiet:
            return
        self._quiet = True
        try:
            self._set_choices()
        finally:
            self._quiet = False
        self.update()

    def _on_choice(self, change) -> None:
        if not self._quiet:
            self.update()

    def update(self) -> KeynessView:
        """Recompute (or recall) the keyness of the current choice and show it."""
        self.message.value = message_html("… computing")
        view = keyness_view(self.analysis, self.group.value, self.target.value, self.reference.value,
                            n=self.n, chart=self.show_chart, memo=self.memo, **self.compare_options)
        self.view = view
        self.message.value = message_html(view.message, kind="error" if view.error else "info")
        self.target_table.value = view.target_html
        self.reference_table.value = view.reference_html
        _show_chart(self.chart, view.png)
        return view


def keyness_widget(analysis, *, group: str = "camp", target: str | None = None, reference: str | None = None,
                   n: int = 15, chart: bool = True, **compare_options: Any) -> KeynessWidget:
    """A panel to compare groups by their key terms (an ``ipywidgets.VBox``).

    Menus: ``group`` (a document column: camp, outlet, month, an imported column), ``target`` and
    ``reference`` (a value, or :data:`ALL_OTHERS` for every other document). Default target: the
    first value; default reference: the other value when there are two, else every other document.
    Shown: the top ``n`` key terms of each side (right-to-left tables) and the keyness bar chart
    (``chart=False`` leaves it out). ``compare_options`` go to :meth:`Analysis.compare`
    (``min_count=``, ``ngrams=``, ``min_outlets=``, ``stratify=``). See :class:`KeynessWidget`.
    """
    return KeynessWidget(analysis, group=group, target=target, reference=reference, n=n, chart=chart,
                         **compare_options)


# --------------------------------------------------------------------------------------------
# concordances

@dataclass
class ConcordanceView:
    """What the concordance panel shows: a message and the lines (HTML, empty when none)."""

    message: str = ""
    table_html: str = ""
    error: bool = False
    lines: int = 0


_QUERY_HELP = "Type a word, a phrase or a pattern (e.g. قوات * or *ميليشي*) and press Enter."


def concordance_view(analysis, query: str | None, *, window: int = 6, lines: int = 20, clitics: bool = False,
                     regex: bool = False) -> ConcordanceView:
    """The first ``lines`` concordance lines of ``query`` (:func:`~workbench.reading.kwic.kwic`) as
    an escaped right-to-left table, with a message counting matches and documents.

    An empty query or no match gives a short message; a query that cannot be read (``*`` alone, a
    bad regular expression) gives its one-line message, never a traceback.
    """
    q = "" if query is None else str(query).strip()
    if not q:
        return ConcordanceView(_QUERY_HELP)
    try:
        from .reading.kwic import kwic, kwic_table

        frame = kwic(analysis, q, window=window, clitics=clitics, regex=regex, limit=lines)
        if frame.empty:
            return ConcordanceView(f"No match for «{q}».")
        table = kwic_table(frame).to_html()
    except Exception as e:  # noqa: BLE001 -- a panel shows the problem in one line
        return ConcordanceView(_error_message(e), error=True)
    matches, documents = int(frame.attrs.get("matches", len(frame))), int(frame.attrs.get("documents", 0))
    shown = f"the first {len(frame):,} shown" if matches > len(frame) else "all shown"
    message = (f"«{q}»: {matches:,} match{'es' if matches != 1 else ''} in {documents:,} "
               f"document{'s' if documents != 1 else ''}; {shown}")
    return ConcordanceView(message, f'<div dir="rtl" lang="ar">{table}</div>', lines=len(frame))


class ConcordanceWidget(widgets.VBox):
    """The concordance panel made by :func:`concordance_widget`.

    Child widgets: ``query`` (``Text``, updated on Enter or when it loses focus), ``clitics`` and
    ``regex`` (``Checkbox``), ``message`` and ``table`` (``HTML``); ``view`` is the
    :class:`ConcordanceView` shown.
    """

    def __init__(self, analysis, *, window: int = 6, lines: int = 20, query: str = "", clitics: bool = False,
                 regex: bool = False):
        self.analysis = analysis
        self.window = int(window)
        self.lines = int(lines)
        self.view = ConcordanceView()
        self.query = widgets.Text(value=query, placeholder="قوات النظام", description="query",
                                  continuous_update=False)
        self.clitics = widgets.Checkbox(value=bool(clitics), description="clitics (و ب ل ال …)", indent=False)
        self.regex = widgets.Checkbox(value=bool(regex), description="regex", indent=False)
        self.message = widgets.HTML()
        self.table = widgets.HTML()
        super().__init__(children=[widgets.HBox([self.query, self.clitics, self.regex]), self.message, self.table])
        for w in (self.query, self.clitics, self.regex):
            w.observe(self._on_change, names="value")
        self.update()

    def _on_change(self, change) -> None:
        self.update()

    def update(self) -> ConcordanceView:
        """Search the current query and show its lines."""
        if str(self.query.value).strip():
            self.message.value = message_html("… searching")
        view = concordance_view(self.analysis, self.query.value, window=self.window, lines=self.lines,
                                clitics=self.clitics.value, regex=self.regex.value)
        self.view = view
        self.message.value = message_html(view.message, kind="error" if view.error else "info")
        self.table.value = view.table_html
        return view


def concordance_widget(analysis, *, window: int = 6, lines: int = 20, query: str = "", clitics: bool = False,
                       regex: bool = False) -> ConcordanceWidget:
    """A panel to read a word in context (an ``ipywidgets.VBox``): a query box and the first
    ``lines`` concordance lines, ``window`` printed words on each side of the keyword.
    ``query``, ``clitics`` and ``regex`` set the starting state. See :class:`ConcordanceWidget`."""
    return ConcordanceWidget(analysis, window=window, lines=lines, query=query, clitics=clitics, regex=regex)


# --------------------------------------------------------------------------------------------
# naming tables

@dataclass
class NamingView:
    """What the naming panel shows: a message, the naming table (HTML) and the chart (PNG or None)."""

    message: str = ""
    table_html: str = ""
    png: bytes | None = None
    error: bool = False


#: Columns of the naming table shown (the report's choice).
NAMING_COLUMNS = ["label", "group", "count", "share", "residual", "p_adj", "preferred_by"]


def actor_categories(lexicon) -> list[str]:
    """The lexicon's actor categories (``actor:…``), or every category when it names no actor."""
    names = list(lexicon.names)
    actors = [c for c in names if str(c).startswith("actor:")]
    return actors or names


def _load_lexicon(lexicon):
    from .reading.lexicons import Lexicon, load_lexicon

    return load_lexicon() if lexicon is None else Lexicon.coerce(lexicon)


def naming_view(analysis, lexicon, category: str | None, *, by: str = "camp", chart: bool = True,
                memo: dict | None = None) -> NamingView:
    """How each group (``by``) names ``category`` of ``lexicon``: the labels in use with their
    counts, shares, adjusted residuals and preferred group as a right-to-left table, the χ² test
    and Cramér's V in its caption, the lexicon's note, and the naming chart as PNG."""
    if not category:
        return NamingView("Choose an actor.")
    key = (str(category), by, bool(chart))
    if memo is not None and key in memo:
        return memo[key]
    view = _naming_view(analysis, _load_lexicon(lexicon), str(category), by, chart)
    if memo is not None and not view.error:  # a failure is tried again
        memo[key] = view
    return view


def _naming_view(analysis, lexicon, category, by, chart) -> NamingView:
    from .display import TERM_CHARS, shorten
    from .reading.lexicons import lexicon_counts, naming_table

    try:
        counts = lexicon_counts(analysis, lexicon)  # every category at once, memoised per analysis
        naming = naming_table(counts, lexicon, category, by=by)
    except Exception as e:  # noqa: BLE001 -- a panel shows the problem in one line
        return NamingView(_error_message(e), error=True)
    name = shorten(category, TERM_CHARS)
    used = naming[naming["count"] > 0]
    if used.empty:
        return NamingView(f"«{name}» is not mentioned in the selected articles.")
    a = naming.attrs
    p, v = a.get("p_simulated", a.get("p")), a.get("cramers_v")
    if p is None or p != p:
        p = a.get("p")
    test = (f"χ² p = {p:.3g}, Cramér's V = {v:.2f}" if p is not None and v is not None and p == p and v == v
            else "used by one group only: no test")
    caption = f"التسميات — naming: {name} by {by} ({test})"
    cols = [c for c in NAMING_COLUMNS if c in used.columns]
    table_html = _rtl_block(caption, used[cols].reset_index(drop=True), note=a.get("note") or None)
    png, message = None, f"{name}: {int(used['count'].sum()):,} mentions, {used['label'].nunique()} labels in use"
    if chart:
        try:
            from .plots.naming import naming_plot

            png = figure_png(naming_plot(naming))
        except Exception as e:  # noqa: BLE001
            message += f" · no chart ({_error_message(e)})"
    return NamingView(message, table_html, png)


class NamingWidget(widgets.VBox):
    """The naming panel made by :func:`naming_widget`.

    Child widgets: ``actor`` (``Dropdown`` of the lexicon's actors), ``message`` and ``table``
    (``HTML``) and ``chart`` (``Image``); ``lexicon`` is the :class:`~workbench.reading.lexicons.Lexicon`
    and ``view`` the :class:`NamingView` shown.
    """

    def __init__(self, analysis, lexicon=None, *, actor: str | None = None, by: str = "camp", chart: bool = True):
        from .errors import ArgumentError

        self.analysis = analysis
        self.lexicon = _load_lexicon(lexicon)
        self.by = by
        self.show_chart = bool(chart)
        self.memo: dict = {}
        self.view = NamingView()
        actors = actor_categories(self.lexicon)
        if not actors:
            raise ArgumentError(f"lexicon '{self.lexicon.name}' has no category to show")
        if actor is not None and actor not in actors:
            if actor not in self.lexicon:
                raise ArgumentError(f"actor={actor!r}: not a category of lexicon '{self.lexicon.name}' "
                                    f"(actors: {', '.join(actors)})")
            actors = [actor] + actors
        start = actor if actor is not None else ("actor:government" if "actor:government" in actors else actors[0])
        self.actor = widgets.Dropdown(options=actors, value=start, description="actor")
        self.message = widgets.HTML()
        self.table = widgets.HTML()
        self.chart = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        super().__init__(children=[self.actor, self.message, self.table, self.chart])
        self.actor.observe(self._on_change, names="value")
        self.update()

    def _on_change(self, change) -> None:
        self.update()

    def update(self) -> NamingView:
        """Tabulate (or recall) the chosen actor and show it."""
        self.message.value = message_html("… counting")
        view = naming_view(self.analysis, self.lexicon, self.actor.value, by=self.by, chart=self.show_chart,
                           memo=self.memo)
        self.view = view
        self.message.value = message_html(view.message, kind="error" if view.error else "info")
        self.table.value = view.table_html
        _show_chart(self.chart, view.png)
        return view


def naming_widget(analysis, lexicon: "Any | str | Mapping | None" = None, *, actor: str | None = None,
                  by: str = "camp", chart: bool = True) -> NamingWidget:
    """A panel to see how each camp names an actor (an ``ipywidgets.VBox``).

    ``lexicon``: a :class:`~workbench.reading.lexicons.Lexicon`, a lexicon file or a mapping
    (default ``corpus/lexicons/syria.yaml``); the menu lists its ``actor:…`` categories (every
    category if it has none), starting at ``actor`` (default ``actor:government`` when present).
    ``by``: the document column whose groups are compared. See :class:`NamingWidget`.
    """
    return NamingWidget(analysis, lexicon, actor=actor, by=by, chart=chart)
