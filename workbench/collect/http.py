"""Polite HTTP for collecting: robots.txt obeyed, one request at a time per host with a pause
between them, a clear User-Agent, timeouts, a size cap, retries with backoff, and redirects only
to http(s).

:class:`PoliteClient` is the one way the collector touches the network. Every page and feed goes
through :meth:`PoliteClient.get`, which

* checks the URL against the host's ``robots.txt`` (RFC 9309: read once per host and run; a
  ``robots.txt`` that is missing or answers 4xx allows everything; one that cannot be fetched or
  answers 5xx forbids the whole host for this run, as the RFC asks), with this client's
  User-Agent; a ``Crawl-delay`` longer than ``delay`` is honoured;
* waits until ``delay`` seconds have passed since the previous request to the same host started
  (requests to one host never overlap; different hosts run side by side, see
  :func:`workbench.collect.run.collect`);
* follows at most ``max_redirects`` redirects, each checked again (scheme http or https only,
  robots.txt of the new host): ``ftp:``, ``file:``, ``javascript:`` and the like are refused;
* reads at most ``max_bytes`` of a body (a larger answer is refused whatever its
  ``Content-Length`` says) within ``timeout`` seconds in all;
* retries a connection error, a timeout, 429 or 5xx up to ``retries`` times, waiting
  ``backoff · 2^attempt`` seconds (or the server's ``Retry-After``, at most 60 s).

It raises :class:`FetchError` with a short reason (``"robots.txt forbids /private/x"``,
``"HTTP 404"``, ``"timed out after 10 s"``, ``"larger than 5,000,000 bytes"``) that the run
summary shows per page. Conditional requests (``If-None-Match`` / ``If-Modified-Since``) are the
caller's: :meth:`get` returns a 304 as a :class:`Response` with an empty body.
"""
from __future__ import annotations

import threading
import time
import urllib.robotparser
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

__all__ = ["PoliteClient", "Response", "FetchError", "USER_AGENT"]

#: Default User-Agent: names the tool and where to read about it, as polite crawlers do.
USER_AGENT = "arabic-media-workbench-collector/1.0 (+https://github.com/arabic-media-workbench; research use)"
#: Statuses worth another try.
RETRY_STATUSES = {429, 500, 502, 503, 504}


class FetchError(Exception):
    """A page or feed could not be fetched; ``reason`` is one short line for the run summary.
    ``transient`` says whether a later run should try it again (timeouts, 5xx, connection errors)."""

    def __init__(self, reason: str, *, transient: bool = False, status: int | None = None,
                 retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.status = status
        self.retry_after = retry_after   # seconds the server asked us to wait (Retry-After)


@dataclass
class Response:
    """What :meth:`PoliteClient.get` read: the final URL after redirects, its status, headers
    (lower-case names), body bytes and the UTC time the request was sent."""

    url: str
    status: int
    headers: dict
    body: bytes
    fetched_at: str
    redirects: list = field(default_factory=list)

    @property
    def charset(self) -> str | None:
        """The charset of the Content-Type header, if any."""
        for part in self.headers.get("content-type", "").split(";")[1:]:
            k, _, v = part.strip().partition("=")
            if k.strip().lower() == "charset" and v.strip():
                return v.strip().strip("\"'")
        return None


def _utcnow() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class PoliteClient:
    """An HTTP client that keeps the rules of the module docstring. Thread-safe: threads may
    fetch from different hosts at once; requests to one host are serialised and spaced."""

    def __init__(self, *, user_agent: str = USER_AGENT, delay: float = 2.0, timeout: float = 20.0,
                 max_bytes: int = 5_000_000, max_redirects: int = 5, retries: int = 2,
                 backoff: float = 2.0, sleep=time.sleep, clock=time.monotonic):
        import urllib3

        for name, v in (("delay", delay), ("timeout", timeout), ("backoff", backoff)):
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0 or (name == "timeout" and v == 0):
                raise ValueError(f"{name} must be a positive number of seconds (got {v!r})")
        for name, v, low in (("max_bytes", max_bytes, 1), ("retries", retries, 0), ("max_redirects", max_redirects, 0)):
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise ValueError(f"{name} must be a whole number, {low} or more (got {v!r})")
        self.user_agent = str(user_agent)
        self.delay = float(delay)
        self.timeout = float(timeout)
        self.max_bytes = int(max_bytes)
        self.max_redirects = int(max_redirects)
        self.retries = int(retries)
        self.backoff = float(backoff)
        self._sleep = sleep
        self._clock = clock
        self._pool = urllib3.PoolManager(num_pools=50, maxsize=1, retries=False)
        self._hosts: dict[str, dict] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ per host
    def _host(self, netloc: str) -> dict:
        with self._lock:
            if netloc not in self._hosts:
                self._hosts[netloc] = {"lock": threading.Lock(), "last": None, "robots": None,
                                       "robots_lock": threading.Lock(), "delay": self.delay}
            return self._hosts[netloc]

    def _wait_turn(self, host: dict) -> None:
        """Called with the host's lock held: sleep until ``delay`` after the previous request."""
        if host["last"] is not None:
            wait = host["last"] + host["delay"] - self._clock()
            if wait > 0:
                self._sleep(wait)
        host["last"] = self._clock()

    def allowed(self, url: str) -> bool:
        """Whether the host's robots.txt lets this client fetch ``url`` (fetched once per host;
        a robots.txt that cannot be read forbids the whole host)."""
        rules = self._robots(url)
        if rules is True or isinstance(rules, str):
            return rules is True
        return rules.can_fetch(self.user_agent, url)

    def _robots(self, url: str):
        """The host's rules: True (all allowed), a parser, or why robots.txt could not be read."""
        parts = urlsplit(url)
        host = self._host(parts.netloc)
        with host["robots_lock"]:
            if host["robots"] is None:
                host["robots"] = self._read_robots(f"{parts.scheme}://{parts.netloc}/robots.txt", host)
        return host["robots"]

    def _read_robots(self, robots_url: str, host: dict):
        try:
            r = self._request(robots_url, {}, host)
            for _ in range(5):  # RFC 9309 2.3.1.2: follow at least five redirects
                if r.status not in (301, 302, 303, 307, 308) or not r.headers.get("location"):
                    break
                target = urljoin(r.url, r.headers["location"].strip())
                if urlsplit(target).scheme.lower() not in ("http", "https"):
                    return True
                r = self._request(target, {}, self._host(urlsplit(target).netloc))
        except FetchError as e:
            if e.status is not None and 400 <= e.status < 500:
                return True            # RFC 9309 2.3.1.3: unavailable, everything allowed
            return e.reason            # RFC 9309 2.3.1.4: unreachable, nothing allowed
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(r.body.decode("utf-8", "replace").splitlines())
        delay = parser.crawl_delay(self.user_agent)
        if isinstance(delay, (int, float)) and delay > host["delay"]:
            host["delay"] = min(float(delay), 60.0)
        return parser

    # ------------------------------------------------------------------ requests
    def get(self, url: str, headers: dict | None = None) -> Response:
        """GET ``url`` politely (see the module docstring); raises :class:`FetchError`."""
        redirects = []
        current = url
        for _ in range(self.max_redirects + 1):
            scheme = urlsplit(current).scheme.lower()
            if scheme not in ("http", "https"):
                raise FetchError(f"refused a redirect to a {scheme or 'relative'}: URL ({current[:80]})"
                                 if redirects else f"not an http(s) URL: {current[:80]}")
            rules = self._robots(current)
            if isinstance(rules, str):
                raise FetchError(f"robots.txt of {urlsplit(current).netloc} could not be read ({rules}): the host "
                                 "is not crawled in this run", transient=True)
            if not self.allowed(current):
                raise FetchError(f"robots.txt forbids {urlsplit(current).path[:80] or '/'}")
            r = self._with_retries(current, headers or {})
            if r.status in (301, 302, 303, 307, 308):
                target = r.headers.get("location")
                if not target:
                    raise FetchError(f"HTTP {r.status} without a Location", status=r.status)
                redirects.append(current)
                current = urljoin(current, target.strip())
                continue
            r.redirects = redirects
            return r
        raise FetchError(f"more than {self.max_redirects} redirects")

    def _with_retries(self, url: str, headers: dict) -> Response:
        host = self._host(urlsplit(url).netloc)
        attempt = 0
        while True:
            try:
                return self._request(url, headers, host)
            except FetchError as e:
                if not e.transient or attempt >= self.retries:
                    raise
                wait = self.backoff * (2 ** attempt)
                if e.retry_after is not None:
                    wait = min(max(wait, e.retry_after), 60.0)
                self._sleep(wait)
                attempt += 1

    def _request(self, url: str, headers: dict, host: dict) -> Response:
        import urllib3

        hdrs = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate", **headers}
        with host["lock"]:
            self._wait_turn(host)
            fetched_at = _utcnow()
            start = self._clock()
            try:
                resp = self._pool.request("GET", url, headers=hdrs, redirect=False, preload_content=False,
                                          timeout=urllib3.Timeout(connect=self.timeout, read=self.timeout))
            except urllib3.exceptions.TimeoutError:
                raise FetchError(f"timed out after {self.timeout:g} s", transient=True) from None
            except urllib3.exceptions.HTTPError as e:
                raise FetchError(f"cannot connect ({_short(e)})", transient=True) from None
            try:
                status = resp.status
                hdr = {k.lower(): v for k, v in resp.headers.items()}
                if status in RETRY_STATUSES or status >= 400:
                    raise FetchError(f"HTTP {status}", transient=status in RETRY_STATUSES, status=status,
                                     retry_after=_retry_after(hdr.get("retry-after")))
                declared = hdr.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.max_bytes:
                    raise FetchError(f"larger than {self.max_bytes:,} bytes ({int(declared):,} declared)")
                chunks, size = [], 0
                try:
                    for chunk in resp.stream(16384, decode_content=True):  # small: a gzip bomb stops early
                        size += len(chunk)
                        if size > self.max_bytes:
                            raise FetchError(f"larger than {self.max_bytes:,} bytes")
                        if self._clock() - start > self.timeout:
                            raise FetchError(f"timed out after {self.timeout:g} s", transient=True)
                        chunks.append(chunk)
                except urllib3.exceptions.TimeoutError:
                    raise FetchError(f"timed out after {self.timeout:g} s", transient=True) from None
                except urllib3.exceptions.HTTPError as e:
                    raise FetchError(f"connection broken ({_short(e)})", transient=True) from None
                return Response(url, status, hdr, b"".join(chunks), fetched_at)
            finally:
                resp.close()  # a body left unread (over the cap) never goes back to the pool


def _short(e: Exception) -> str:
    text = " ".join(str(e).split())
    return text[:120]


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
