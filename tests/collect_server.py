"""A fake two-outlet Arabic news site on 127.0.0.1 for offline tests of ``workbench collect``.

Standard library only. The static content lives in ``tests/collect_site/`` (pages, feeds,
``robots.txt`` and ``expected.json``, which lists what a correct collector should end up with).
Every ``{BASE}`` in a served file is replaced by ``http://127.0.0.1:PORT``.

    with NewsSite(slow_seconds=2) as site:
        feed = site.url("/regime/feed.xml")
        ...
        site.version = 2            # the feeds now list two more articles per outlet
        assert not site.hits("/regime/private/")

``site.requests`` records every request in arrival order as a dict: ``path`` (URL path, unquoted,
without the query), ``raw_path``, ``method``, ``time`` (``time.monotonic()`` on arrival), ``headers``
(names lower-cased, e.g. ``r["headers"]["user-agent"]``) and ``status`` (None until the answer starts).

Special paths (see ``expected.json["special"]``):

* ``/robots.txt``                       -- ``Disallow: /regime/private/`` (``/regime/private/leak.html`` exists, 200)
* ``/regime/old/moved-story``          -- 301 to ``{BASE}/regime/2026/11/moved-story.html``
* ``/regime/go-ftp``                   -- 302 to ``ftp://127.0.0.1/file``
* ``/regime/slow.html``                -- 200 after sleeping ``slow_seconds``
* ``/opposition/2026/11/deleted.html`` -- 404
* ``/opposition/huge.html``            -- 20 MiB of HTML streamed in chunks, no Content-Length
* ``/opposition/2026/11/aleppo-bakeries.html`` -- encoded (and served) as windows-1256

Feeds (``/regime/feed.xml`` RSS 2.0, ``/opposition/atom.xml`` Atom) carry ``ETag`` and
``Last-Modified`` that depend on ``version`` and answer 304 to a matching ``If-None-Match`` or
``If-Modified-Since``. Parts of a feed file between ``<!--vN-only-->`` and ``<!--/vN-only-->``
are served only when ``version == N``.
"""

from __future__ import annotations

import re
import threading
import time
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

SLOW_SECONDS = 5.0
HUGE_BYTES = 20 * 1024 * 1024
LONG_WORD_BYTES = 1024 * 1024
CHUNK = 64 * 1024

SITE = Path(__file__).resolve().parent / "collect_site"
SLOW_PATH = "/regime/slow.html"
HUGE_PATH = "/opposition/huge.html"
DELETED_PATH = "/opposition/2026/11/deleted.html"
REDIRECTS = {
    "/regime/old/moved-story": (301, "{BASE}/regime/2026/11/moved-story.html"),
    "/regime/go-ftp": (302, "ftp://127.0.0.1/file"),
}
FEEDS = {"/regime/feed.xml": "application/rss+xml", "/opposition/atom.xml": "application/atom+xml"}
# Last-Modified of the feeds per version (seconds since the epoch): 2026-11-16 and 2026-11-24, 08:00 UTC.
FEED_MTIME = {1: 1794816000, 2: 1795507200}
SERVABLE = {".html", ".xml", ".txt"}
_CHARSET = re.compile(rb"""charset=["']?([A-Za-z0-9_-]+)""")
_BLOCK = re.compile(rb"<!--v(\d+)-only-->\n?(.*?)<!--/v\1-only-->\n?", re.S)

NOT_FOUND = ('<!DOCTYPE html>\n<html lang="ar" dir="rtl"><head><meta charset="utf-8">'
             '<title>الصفحة غير موجودة</title></head><body><h1>404</h1>'
             '<p>عذرا، الصفحة التي تبحث عنها غير موجودة أو حذفت.</p></body></html>\n').encode("utf-8")


class NewsSite:
    """The fake site: a threaded HTTP server on 127.0.0.1 (port chosen by the OS); a context manager."""

    def __init__(self, root: Path = SITE, slow_seconds: float = SLOW_SECONDS):
        self.root = Path(root).resolve()
        self.slow_seconds = slow_seconds
        self.version = 1
        self.requests: list[dict] = []
        self.base = ""
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "NewsSite":
        if self._server is not None:
            return self
        self._stopping.clear()
        handler = type("Handler", (_Handler,), {"site": self})
        server = _Server(("127.0.0.1", 0), handler)
        self._server = server
        self.base = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="news-site", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()          # wakes the slow page and ends the huge stream
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "NewsSite":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- helpers ---------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.base + (path if path.startswith("/") else "/" + path)

    def hits(self, path_prefix: str) -> list[dict]:
        with self._lock:
            return [r for r in self.requests if r["path"].startswith(path_prefix)]

    def feed_etag(self, path: str) -> str:
        name = "rss" if "rss" in FEEDS[path] else "atom"
        return f'"{name}-v{self.version}"'

    def feed_last_modified(self) -> str:
        return formatdate(FEED_MTIME[self.version], usegmt=True)

    # -- content -------------------------------------------------------------------------------
    def _file(self, path: str) -> Path | None:
        f = (self.root / path.lstrip("/")).resolve()
        if not f.is_relative_to(self.root) or f.suffix not in SERVABLE or not f.is_file():
            return None
        if any(part.startswith((".", "_")) for part in f.relative_to(self.root).parts):
            return None
        return f

    def _render(self, data: bytes, feed: bool) -> bytes:
        if feed:
            v = str(self.version).encode()
            data = _BLOCK.sub(lambda m: m.group(2) if m.group(1) == v else b"", data)
        return data.replace(b"{BASE}", self.base.encode("ascii"))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def handle_error(self, request, client_address):  # quiet: clients hang up on purpose
        pass


class _Handler(BaseHTTPRequestHandler):
    site: NewsSite
    server_version = "NewsSite/1.0"
    sys_version = ""
    protocol_version = "HTTP/1.0"   # one request per connection; the huge page ends when the socket closes

    def log_message(self, *args):  # quiet
        pass

    def do_HEAD(self):
        self._serve(body=False)

    def do_GET(self):
        self._serve(body=True)

    # -- recording -----------------------------------------------------------------------------
    def _record(self) -> dict:
        entry = {"path": unquote(urlsplit(self.path).path), "raw_path": self.path, "method": self.command,
                 "time": time.monotonic(), "headers": {k.lower(): v for k, v in self.headers.items()}, "status": None}
        with self.site._lock:
            self.site.requests.append(entry)
        return entry

    def send_response(self, code, message=None):
        if getattr(self, "_entry", None) is not None:
            self._entry["status"] = code
        super().send_response(code, message)

    def _send(self, status: int, ctype: str | None, data: bytes = b"", body: bool = True, headers=()):
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body and data:
            self.wfile.write(data)

    # -- routing -------------------------------------------------------------------------------
    def _serve(self, body: bool):
        self._entry = self._record()
        site, path = self.site, self._entry["path"]
        try:
            if path in REDIRECTS:
                status, target = REDIRECTS[path]
                location = target.replace("{BASE}", site.base)
                return self._send(status, "text/html; charset=utf-8",
                                  f'<a href="{location}">moved</a>\n'.encode(), body, [("Location", location)])
            if path == DELETED_PATH:
                return self._send(404, "text/html; charset=utf-8", NOT_FOUND, body)
            if path == HUGE_PATH:
                return self._huge(body)
            if path == SLOW_PATH:
                if site._stopping.wait(site.slow_seconds):
                    return
            if path in FEEDS:
                return self._feed(path, body)
            f = site._file(path)
            if f is None:
                return self._send(404, "text/html; charset=utf-8", NOT_FOUND, body)
            raw = f.read_bytes()
            if f.suffix == ".txt":
                ctype = "text/plain; charset=utf-8"
            else:
                m = _CHARSET.search(raw[:2048])
                ctype = f"text/html; charset={m.group(1).decode().lower() if m else 'utf-8'}"
            self._send(200, ctype, site._render(raw, feed=False), body)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            pass

    def _feed(self, path: str, body: bool):
        site = self.site
        etag, last_mod = site.feed_etag(path), site.feed_last_modified()
        headers = [("ETag", etag), ("Last-Modified", last_mod), ("Cache-Control", "max-age=0")]
        inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        if inm is not None:
            fresh = inm.strip() == "*" or etag in [t.strip().removeprefix("W/") for t in inm.split(",")]
        elif ims is not None:
            try:
                fresh = parsedate_to_datetime(ims).timestamp() >= FEED_MTIME[site.version]
            except (TypeError, ValueError, IndexError, OverflowError):
                fresh = False
        else:
            fresh = False
        if fresh:
            self.send_response(304)
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            return
        data = site._render((site.root / path.lstrip("/")).read_bytes(), feed=True)
        self._send(200, f"{FEEDS[path]}; charset=utf-8", data, body, headers)

    def _huge(self, body: bool):
        """20 MiB of valid HTML, generated chunk by chunk; no Content-Length (the socket close ends it)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        if not body:
            return
        head = ('<!DOCTYPE html>\n<html lang="ar" dir="rtl"><head><meta charset="utf-8">'
                '<title>ملف خاص: عشر سنوات من النزوح في أرقام</title></head>\n<body><article>'
                '<h1>ملف خاص: عشر سنوات من النزوح في أرقام</h1>\n').encode("utf-8")
        tail = b"</article></body></html>\n"
        para = ("<p>" + "نزحت آلاف العائلات من قراها خلال السنوات الماضية وما زالت تنتظر العودة إلى بيوتها. " * 8
                + "</p>\n").encode("utf-8")
        word = "كلمة".encode("utf-8")                     # 8 bytes
        long_word = b"<p>" + word * (LONG_WORD_BYTES // len(word)) + b"</p>\n"
        filler = para * (CHUNK // len(para) + 1)
        sent = 0

        def write(b: bytes):
            nonlocal sent
            self.wfile.write(b)
            sent += len(b)

        write(head)
        room = HUGE_BYTES - len(tail)
        while sent < room and not self.site._stopping.is_set():
            if sent >= HUGE_BYTES // 2 and long_word:
                write(long_word)
                long_word = b""
                continue
            n = (room - sent) // len(para) * len(para)
            if n == 0:                                  # pad the last bytes with spaces
                write(b" " * (room - sent))
                break
            write(filler[:min(n, len(filler) // len(para) * len(para))])
        write(tail)
