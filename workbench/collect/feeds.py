"""Feeds and sitemaps: which article URLs an outlet has published.

An outlet's ``feeds`` in the registry is a list whose entries are either a URL (an RSS or Atom
feed) or a mapping ``{url: ..., kind: feed | sitemap, verified: true | false}``; ``verified: false``
marks a feed address taken from documentation or an earlier crawl that nobody has checked
lately (feeds move: see the README, "Collecting a corpus"). :func:`feed_specs` reads and checks them;
:func:`read_feed` parses an RSS/Atom document with feedparser (Universal Feed Parser), which
copes with the broken XML, odd dates and encodings news feeds have; :func:`read_sitemap` reads a
sitemap (``<urlset>``) or sitemap index (``<sitemapindex>``, sitemaps.org protocol 0.9) with
lxml, without resolving entities or touching the network.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

__all__ = ["FeedSpec", "FeedItem", "feed_specs", "read_feed", "read_sitemap"]

KINDS = ("feed", "sitemap")


@dataclass(frozen=True)
class FeedSpec:
    """One feed of an outlet: its URL, ``kind`` (feed or sitemap) and whether it was verified."""

    url: str
    kind: str = "feed"
    verified: bool = True


@dataclass
class FeedItem:
    """One entry of a feed: the article URL and what the feed says about it (all may be empty)."""

    url: str
    title: str = ""
    published: str | None = None   # ISO date-time (UTC) or None
    author: str = ""
    feed: str = ""                 # the feed (or sitemap) that listed it


def feed_specs(outlet: dict, where: str = "registry") -> list[FeedSpec]:
    """The feeds of a registry outlet, checked; a bad entry raises ``ValueError`` naming the outlet."""
    out = []
    for i, entry in enumerate(outlet.get("feeds") or [], start=1):
        label = f"{where}: outlet '{outlet.get('id')}': feeds #{i}"
        if isinstance(entry, str):
            spec = FeedSpec(entry.strip())
        elif isinstance(entry, dict):
            unknown = sorted(set(entry) - {"url", "kind", "verified"})
            if unknown:
                raise ValueError(f"{label}: unknown field '{unknown[0]}' (allowed: url, kind, verified)")
            kind = entry.get("kind", "feed")
            if kind not in KINDS:
                raise ValueError(f"{label}: kind must be 'feed' or 'sitemap' (got {kind!r})")
            verified = entry.get("verified", True)
            if not isinstance(verified, bool):
                raise ValueError(f"{label}: verified must be true or false (got {verified!r})")
            spec = FeedSpec(str(entry.get("url") or "").strip(), kind, verified)
        else:
            raise ValueError(f"{label}: expected a URL or a mapping with url (and kind, verified)")
        if urlsplit(spec.url).scheme not in ("http", "https") or not urlsplit(spec.url).netloc:
            raise ValueError(f"{label}: {spec.url[:80]!r} is not an http(s) URL")
        out.append(spec)
    return out


def _iso(struct) -> str | None:
    if not struct:
        return None
    try:
        return datetime(*struct[:6], tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError):
        return None


def read_feed(body: bytes, base_url: str) -> list[FeedItem]:
    """The items of an RSS or Atom document (newest first as the feed lists them), with absolute
    http(s) links only. Raises ``ValueError`` when the bytes are not a feed at all."""
    import feedparser

    parsed = feedparser.parse(body, response_headers={"content-location": base_url})
    if not parsed.entries and parsed.get("bozo") and not parsed.get("feed"):
        exc = parsed.get("bozo_exception")
        raise ValueError(f"not an RSS or Atom feed ({' '.join(str(exc).split())[:100]})")
    items, seen = [], set()
    for e in parsed.entries:
        link = e.get("link") or next((ln.get("href") for ln in e.get("links", []) if ln.get("href")), None)
        if not link:
            continue
        url = urljoin(base_url, link.strip())
        if urlsplit(url).scheme not in ("http", "https") or url in seen:
            continue
        seen.add(url)
        items.append(FeedItem(url, " ".join(str(e.get("title") or "").split()),
                              _iso(e.get("published_parsed") or e.get("updated_parsed")),
                              " ".join(str(e.get("author") or "").split())))
    return items


def read_sitemap(body: bytes, base_url: str) -> tuple[list[FeedItem], list[str]]:
    """``(pages, sitemaps)`` of a sitemap: the ``<url>`` entries (``lastmod`` as ``published``)
    and, for a sitemap index, the sitemaps it lists. Entities are never resolved, nothing is
    fetched, and a document that is not a sitemap raises ``ValueError``."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as e:
        raise ValueError(f"not a sitemap ({' '.join(str(e).split())[:100]})") from None
    if root is None:
        raise ValueError("not a sitemap (empty document)")
    tag = etree.QName(root).localname
    if tag not in ("urlset", "sitemapindex"):
        raise ValueError(f"not a sitemap (root element <{tag}>)")
    pages, maps = [], []
    for node in root:
        if not isinstance(node.tag, str):
            continue
        fields = {etree.QName(c).localname: (c.text or "").strip() for c in node if isinstance(c.tag, str)}
        if not fields.get("loc"):
            continue
        loc = urljoin(base_url, fields["loc"])
        if urlsplit(loc).scheme not in ("http", "https"):
            continue
        if tag == "sitemapindex":
            maps.append(loc)
        else:
            pages.append(FeedItem(loc, published=_lastmod(fields.get("lastmod"))))
    return pages, maps


def _lastmod(value: str | None) -> str | None:
    if not value:
        return None
    try:
        d = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return d.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
