"""From an article page's bytes to its title, date, author and main text.

The main text is found by trafilatura (Barbaresi 2021, "Trafilatura: A Web Scraping Library and
Command-Line Tool for Text Discovery and Extraction", ACL-IJCNLP System Demonstrations), which
scores the page's blocks and drops navigation, related links, share buttons, advertisements and
the footer; comments are left out (``include_comments=False``), and precision is favoured over
recall, so a doubtful block (a caption, a teaser) is dropped rather than mixed into the text.

Decoding comes first and is ours, so that a page is read the way its server says it is: the
charset of the HTTP ``Content-Type``, else a byte-order mark, else the page's own ``<meta
charset>`` or ``http-equiv`` declaration in its first 4 KB, else UTF-8 if the bytes are valid
UTF-8, else the best guess of charset-normalizer (Arabic news sites still serve windows-1256).

The date is the page's own publication date (trafilatura's metadata: ``article:published_time``,
``<time>``, JSON-LD, the URL), as a day; when the feed gives a time on that same day, that time is
kept. With neither, the page is refused (``no publication date``): an undated article cannot be
placed in a comparison over time.
"""
from __future__ import annotations

import codecs
import re

__all__ = ["decode_html", "extract_article", "ExtractError", "MIN_WORDS"]

#: Fewest words of main text an article must have (a video page with a caption is not an article).
MIN_WORDS = 50

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


class ExtractError(Exception):
    """The page is not a usable article; ``reason`` is one short line for the run summary."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None


def decode_html(body: bytes, charset: str | None = None) -> tuple[str, str]:
    """``(text, encoding used)`` of an HTML page (see the module docstring for the order)."""
    enc = _codec(charset)
    if enc is None:
        for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
            if body.startswith(bom):
                enc = name
                break
    if enc is None:
        m = _META_CHARSET.search(body[:4096])
        enc = _codec(m.group(1).decode("ascii", "replace")) if m else None
    if enc is None:
        try:
            return body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            from charset_normalizer import from_bytes

            best = from_bytes(body[:200_000]).best()
            enc = _codec(best.encoding) if best is not None else None
    enc = enc or "utf-8"
    return body.decode(enc, errors="replace"), enc


def _day(value) -> str | None:
    if not value:
        return None
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", str(value))
    return "-".join(m.groups()) if m else None


def extract_article(body: bytes, url: str, *, charset: str | None = None, feed_date: str | None = None,
                    feed_title: str = "", feed_author: str = "", min_words: int = MIN_WORDS) -> dict:
    """``{"title", "date", "author", "text", "encoding"}`` of an article page; raises
    :class:`ExtractError` when it has no main text of ``min_words`` words or no date."""
    import trafilatura

    html, enc = decode_html(body, charset)
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                      include_tables=False, include_images=False, include_links=False,
                                      favor_precision=True, deduplicate=False)
    if doc is None:
        raise ExtractError("no article text found")
    get = doc.get if isinstance(doc, dict) else (lambda k: getattr(doc, k, None))
    text = "\n".join(line.strip() for line in str(get("text") or "").splitlines() if line.strip())
    n_words = len(text.split())
    if n_words < min_words:
        raise ExtractError(f"too short: {n_words} words of main text (at least {min_words})")
    page_day = _day(get("date"))
    feed_day = _day(feed_date)
    if page_day and feed_day == page_day:
        date = feed_date
    elif page_day:
        date = page_day
    elif feed_day:
        date = feed_date
    else:
        raise ExtractError("no publication date (neither on the page nor in the feed)")
    title = " ".join(str(get("title") or feed_title or "").split())
    author = " ".join(str(get("author") or feed_author or "").split())
    return {"title": title, "date": date, "author": author, "text": text, "encoding": enc}
