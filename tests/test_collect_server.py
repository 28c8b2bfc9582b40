"""The fake news site of tests/collect_server.py behaves as documented (standard library client only)."""

import json
import socket
import urllib.error
import urllib.request

import pytest

from collect_server import SITE, NewsSite


@pytest.fixture(scope="module")
def site():
    with NewsSite(slow_seconds=3) as s:
        yield s


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(url, headers=None, timeout=5):
    """(status, headers, body) without following redirects and without raising on 3xx/4xx."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_feeds_have_absolute_links_and_version_2_adds_items(site):
    expected = json.loads((SITE / "expected.json").read_text(encoding="utf-8"))
    site.version = 1
    status, headers, rss = get(site.url("/regime/feed.xml"))
    assert status == 200 and headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    _, headers, atom = get(site.url("/opposition/atom.xml"))
    assert headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    rss, atom = rss.decode("utf-8"), atom.decode("utf-8")
    assert "{BASE}" not in rss + atom and "-only-->" not in rss + atom
    assert f"<link>{site.base}/regime/2026/11/health-campaign.html</link>" in rss
    assert f'href="{site.base}/opposition/2026/11/aleppo-bakeries.html"' in atom
    v2_only = [p for p, a in expected["articles"].items() if a["version"] == 2]
    assert len(v2_only) == 4 and not any(p in rss + atom for p in v2_only)
    try:
        site.version = 2
        rss2 = get(site.url("/regime/feed.xml"))[2].decode("utf-8")
        atom2 = get(site.url("/opposition/atom.xml"))[2].decode("utf-8")
    finally:
        site.version = 1
    assert all(p in rss2 + atom2 for p in v2_only)
    assert rss2.count("<item>") == rss.count("<item>") + 2 and atom2.count("<entry>") == atom.count("<entry>") + 2


def test_conditional_get(site):
    site.version = 1
    before = len(site.hits("/regime/feed.xml"))
    _, h, _ = get(site.url("/regime/feed.xml"))
    etag, last_mod = h["ETag"], h["Last-Modified"]
    assert get(site.url("/regime/feed.xml"), {"If-None-Match": etag})[0] == 304
    assert get(site.url("/regime/feed.xml"), {"If-Modified-Since": last_mod})[0] == 304
    try:
        site.version = 2
        status, h2, _ = get(site.url("/regime/feed.xml"), {"If-None-Match": etag})
        assert status == 200 and h2["ETag"] != etag
        assert get(site.url("/regime/feed.xml"), {"If-Modified-Since": last_mod})[0] == 200
    finally:
        site.version = 1
    hits = site.hits("/regime/feed.xml")[before:]
    assert [h["status"] for h in hits] == [200, 304, 304, 200, 200]
    assert hits[1]["headers"]["if-none-match"] == etag and "if-none-match" not in hits[0]["headers"]


def test_redirects_and_404(site):
    status, h, _ = get(site.url("/regime/old/moved-story"))
    assert status == 301 and h["Location"] == site.url("/regime/2026/11/moved-story.html")
    status, h, _ = get(site.url("/regime/go-ftp"))
    assert status == 302 and h["Location"] == "ftp://127.0.0.1/file"
    assert get(site.url("/opposition/2026/11/deleted.html"))[0] == 404
    assert get(site.url("/no/such/page.html"))[0] == 404
    assert get(site.url("/expected.json"))[0] == 404
    status, h, page = get(site.url("/regime/2026/11/moved-story.html"))
    assert status == 200 and h["Content-Type"] == "text/html; charset=utf-8"
    assert "{BASE}" not in page.decode("utf-8") and site.base in page.decode("utf-8")


def test_cp1256_page(site):
    status, h, raw = get(site.url("/opposition/2026/11/aleppo-bakeries.html"))
    assert status == 200 and h["Content-Type"] == "text/html; charset=windows-1256"
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "أفران حلب الشرقية: طوابير طويلة وخبز بوزن أقل" in raw.decode("cp1256")


def test_robots(site):
    status, h, body = get(site.url("/robots.txt"))
    assert status == 200 and h["Content-Type"].startswith("text/plain")
    assert "User-agent: *" in body.decode() and "Disallow: /regime/private/" in body.decode()
    assert f"{site.base}/regime/private/leak.html" in get(site.url("/regime/feed.xml"))[2].decode()


def test_huge_page_streams(site):
    with urllib.request.urlopen(site.url("/opposition/huge.html"), timeout=5) as r:
        assert r.status == 200 and r.headers["Content-Length"] is None
        first = r.read(64 * 1024)
    assert len(first) == 64 * 1024 and first.startswith(b"<!DOCTYPE html>")
    assert "ملف خاص".encode() in first


def test_slow_page_times_out(site):
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        urllib.request.urlopen(site.url("/regime/slow.html"), timeout=1).read()
    assert site.hits("/regime/slow.html")


def test_expected_matches_pages():
    expected = json.loads((SITE / "expected.json").read_text(encoding="utf-8"))
    assert {a["outlet"] for a in expected["articles"].values()} == {"sana-demo", "enab-demo"}
    for path, a in expected["articles"].items():
        page = (SITE / path.lstrip("/")).read_bytes().decode(a.get("encoding", "utf-8"))
        assert a["title"] in page and a["author"] in page and a["date"] in page
        assert all(s in page for s in a["text_must_contain"] + a["text_must_not_contain"])
    assert set(expected["special"]) >= {"/regime/private/leak.html", "/regime/slow.html", "/regime/go-ftp",
                                        "/opposition/2026/11/deleted.html", "/opposition/huge.html"}
