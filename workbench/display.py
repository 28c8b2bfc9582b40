"""Text made safe to show: shortened for figures, tables and the terminal; escaped for markdown.

Corpus text and parameters reach the reader in three places -- matplotlib figures, the report's
HTML (tables and markdown) and the command line -- and none of them should trust it.

* :func:`shorten` cuts a string to a display length (a 1,000,000-character "word" would take
  matplotlib minutes to lay out, and pad every row of a printed table to a megabyte). It cuts
  between grapheme clusters (a base letter with its combining marks -- Arabic harakat, shadda --
  and joiner sequences stay whole; UAX #29, simplified) and turns control characters into spaces.
* :func:`escape_markdown` makes a string literal text inside markdown (CommonMark backslash
  escapes and HTML character references, CommonMark spec §2.4 and §6.6): no HTML tags, no
  links or images (``[x](javascript:...)``, ``![](http://...)``), no emphasis, headings or math.

Tables are shortened and escaped by :func:`workbench.reports.notebook.styled` (``Styler.format(
escape="html")``); shortening for display never changes what is saved (CSV files keep full values).
"""
from __future__ import annotations

import re
import unicodedata

__all__ = ["ELLIPSIS", "LABEL_CHARS", "TERM_CHARS", "TITLE_CHARS", "shorten", "escape_markdown", "format_p",
           "format_number"]

#: What marks a shortened string.
ELLIPSIS = "…"
#: Display length of a term (a word or phrase) in figures, tables and the terminal.
TERM_CHARS = 40
#: Display length of a label in a figure (a topic label: its name, or its id and top terms).
LABEL_CHARS = 60
#: Display length of a title or other free text in a table cell.
TITLE_CHARS = 120

_ZWJ = "\u200d"
# C0 and C1 controls (NUL, tab, newline, ESC, ...) but not the format characters (bidi marks,
# ZWNJ/ZWJ), which are part of the text
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f]")


def _extends(ch: str) -> bool:
    """True if *ch* belongs to the grapheme cluster of the character before it."""
    if ch == _ZWJ or "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef":
        return True  # joiner, variation selectors
    if "\udc00" <= ch <= "\udfff":
        return True  # low surrogate (a lone pair left by surrogateescape): never split from its high half
    return unicodedata.category(ch) in ("Mn", "Me", "Mc") or "\U0001f3fb" <= ch <= "\U0001f3ff"


def shorten(text, max_chars: int = TERM_CHARS) -> str:
    """*text* for display, at most *max_chars* characters: its start and "…" when it is longer.

    The cut falls between grapheme clusters: a combining mark (e.g. Arabic fatha or shadda), a
    variation selector or the character after a zero-width joiner is never separated from what
    it attaches to (the cluster is dropped whole). Control characters (NUL, tab, newline, ESC,
    ...) become spaces, so a value cannot break a row of a printed table. ``None`` gives "";
    other non-strings are converted with ``str``. Only the first ``max_chars`` characters are
    looked at, so a megabyte-long token costs nothing.

    >>> shorten("الجمهورية" * 10, 12)
    'الجمهوريةال…'
    """
    if max_chars < 2:
        raise ValueError(f"max_chars must be at least 2 (got {max_chars!r})")
    s = "" if text is None else text if isinstance(text, str) else str(text)
    if len(s) <= max_chars:
        return _CONTROL_RE.sub(" ", s)
    n = max_chars - len(ELLIPSIS)
    # step back while the character after the cut belongs to the cluster before it
    while n > 0 and (_extends(s[n]) or s[n - 1] == _ZWJ):
        n -= 1
    return _CONTROL_RE.sub(" ", s[:n]) + ELLIPSIS


# ASCII punctuation with a meaning somewhere in markdown (CommonMark, GFM tables and strikethrough,
# nbconvert's $...$ math, mistune's bare-URL and e-mail autolinks, which need "://", "www." or
# "@"); each is written with a backslash, which CommonMark renders as the character itself.
# "<", ">" and "&" become character references instead: a backslash does not stop an HTML tag or
# an entity in every markdown renderer.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~$^=\"':.@])")


def escape_markdown(text) -> str:
    """*text* as literal markdown text: what the reader sees is exactly the characters of *text*.

    For parameters and corpus strings put into a report's markdown (headings, notes, captions):
    ``<``, ``>``, ``&`` become ``&lt;``, ``&gt;``, ``&amp;`` (so no tag, comment or entity can
    form); markdown punctuation (``[ ] ( ) ! * _ ` # | ~ $`` ...) gets a backslash (CommonMark
    backslash escapes), so ``[x](javascript:alert(1))`` cannot become a link, ``![](http://evil)``
    a remote image, ``http://...`` an autolink, ``$...$`` math or ``**x**`` bold. Whitespace
    runs, newlines included, become one space, so the text stays inside the line (heading, bold,
    table cell) it was put into, and a leading ``-``/``+``/``1.`` does not start a list.
    ``None`` gives "".
    """
    s = "" if text is None else str(text)
    s = " ".join(_CONTROL_RE.sub(" ", s).split())
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    if s[:1] == "-":  # a list item or a thematic break; "+", "1." and "*" are escaped above
        s = "\\" + s
    return s


def format_p(p) -> str:
    """A p-value as a reader wants it: ``"< 0.001"`` below 0.001, otherwise three decimals
    (``"0.012"``, ``"1.000"``); ``""`` when missing. The APA convention (APA Publication Manual,
    7th ed., §6.36): exact values to the third decimal, smaller ones as "< .001". For display
    only: tables saved as CSV keep the exact value."""
    try:
        v = float(p)
    except (TypeError, ValueError):
        return ""
    if v != v:  # NaN
        return ""
    return "< 0.001" if v < 0.001 else f"{v:.3f}"


def format_number(x, digits: int = 1) -> str:
    """A count or a rate for prose: thousands separated, ``digits`` decimals for non-integers
    (``1,234``, ``12.5``)."""
    v = float(x)
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.{digits}f}"
