"""A polite HTTP client for following news sites: one bad URL is a result, never an exception.

Politeness is per host (``scheme://host:port``): at most ``per_host`` requests in flight, at least ``delay``
seconds between two requests (raised to the site's robots.txt ``Crawl-delay``, capped at ``max_delay``), and
robots.txt obeyed as RFC 9309 says: a 4xx robots.txt allows everything, an unreachable one (5xx, timeout,
refused connection) disallows everything until it is fetched again. Transient failures (5xx, 429, timeouts,
connection errors) are retried with exponential back-off; the result says whether a later round should try
again. Bodies are read as a stream and abandoned past ``max_bytes``, so a huge page costs no memory.

The trade-off of the defaults (2 per host, 1 s apart, 15 s timeout): a site with 60 new articles takes a
minute per round, which is what news sites tolerate from a crawler they never heard of.

>>> with Fetcher(delay=0.0) as fetcher:                # doctest: +SKIP
...     result = fetcher.fetch("https://example.org/feed.xml", etag='"abc"')
...     result.status, result.not_modified, result.error
(304, True, None)
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import httpx

from storyline import __version__
from storyline.ingest.decode import (
    SAMPLE_BYTES,
    UndecodableError,
    bom_encoding,
    cyrillic_single_byte,
    declared_html_charset,
    decode_bytes,
)

log = logging.getLogger(__name__)

USER_AGENT = f"storyline/{__version__} (+https://github.com/storyline-news/storyline)"
ROBOTS_AGENT = "storyline"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_ROBOTS_MAX_BYTES = 512 * 1024
_ANY_BYTES_CODECS = frozenset({"iso8859-1", "cp1252"})
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|yclid|mc_cid|mc_eid)$", re.I)

Validators = tuple[str | None, str | None]  # (ETag, Last-Modified) from the previous fetch


@dataclass(slots=True)
class FetchResult:
    """What one GET produced. ``error`` is a one-line reason for humans; ``transient`` says "try again later"."""

    url: str
    final_url: str
    status: int = 0
    content: bytes = b""
    content_type: str = ""
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    transient: bool = False
    location: str | None = None
    retry_after: float = 0.0  # seconds the server asked us to wait (429/503), honoured up to max_delay

    @property
    def ok(self) -> bool:
        return self.error is None and self.status == 200

    @property
    def not_modified(self) -> bool:
        return self.error is None and self.status == 304

    @property
    def is_html(self) -> bool:
        """HTML by the header, or by the first bytes when the server sends no usable type."""
        if self.content_type in ("text/html", "application/xhtml+xml"):
            return True
        if self.content_type in ("", "application/octet-stream", "text/plain"):
            head = self.content[:1024].lstrip().lower()
            return head.startswith((b"<!doctype html", b"<html")) or b"<body" in head
        return False


@dataclass(slots=True)
class _Robots:
    parser: RobotFileParser | None  # None: unreachable, everything disallowed for now
    expires: float
    reason: str = ""


class Fetcher:
    """Polite, thread-safe HTTP GETs with robots.txt, conditional requests, retries and a size limit.

    State (robots.txt per host, the time of each host's last request) lives in the object: keep one
    Fetcher across watch rounds so robots.txt is not fetched every round.
    """

    def __init__(
        self,
        *,
        user_agent: str = USER_AGENT,
        timeout: float = 15.0,
        max_bytes: int = 5 * 1024 * 1024,
        per_host: int = 2,
        delay: float = 1.0,
        max_delay: float = 30.0,
        retries: int = 2,
        backoff: float = 1.0,
        max_redirects: int = 5,
        workers: int = 8,
        robots: bool = True,
        robots_ttl: float = 3600.0,
    ) -> None:
        if per_host < 1 or workers < 1 or retries < 0 or max_bytes < 1 or timeout <= 0:
            raise ValueError("per_host, workers and max_bytes must be >= 1, retries >= 0, timeout > 0")
        self.user_agent = user_agent
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.per_host = per_host
        self.delay = delay
        self.max_delay = max_delay
        self.retries = retries
        self.backoff = backoff
        self.max_redirects = max_redirects
        self.workers = workers
        self.obey_robots = robots
        self.robots_ttl = robots_ttl
        self._client = httpx.Client(
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,  # followed by hand so that every hop is checked against robots.txt
            trust_env=False,
        )
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next_time: dict[str, float] = {}
        self._robots: dict[str, _Robots] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._crawl_delays: dict[str, float] = {}

    # ------------------------------------------------------------------ public verbs
    def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None, accept: str = "*/*"
    ) -> FetchResult:
        """GET ``url`` following redirects; conditional when validators are given. Never raises."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _ in range(self.max_redirects + 1):
            try:
                refusal = self.robots_refusal(current)
            except ValueError as exc:  # unparseable URL
                return FetchResult(url, current, error=f"bad URL: {exc}")
            if refusal:
                return FetchResult(url, current, error=refusal, transient=refusal.startswith("robots.txt unreachable"))
            result = self._get_with_retries(current, headers)
            result.url = url
            if result.error is None and result.status in _REDIRECTS:
                if not result.location:
                    return _failed(result, f"HTTP {result.status} redirect without a Location")
                current = urljoin(current, result.location)
                continue
            return result
        return FetchResult(url, current, error=f"more than {self.max_redirects} redirects")

    def fetch_many(
        self, urls: Sequence[str], validators: Mapping[str, Validators] | None = None, *, accept: str = "*/*"
    ) -> list[FetchResult]:
        """Fetch several URLs concurrently (politeness still per host); results in the order of ``urls``."""
        validators = validators or {}
        if not urls:
            return []

        def one(url: str) -> FetchResult:
            etag, modified = validators.get(url, (None, None))
            return self.fetch(url, etag=etag, last_modified=modified, accept=accept)

        with ThreadPoolExecutor(max_workers=min(self.workers, len(urls)), thread_name_prefix="fetch") as pool:
            return list(pool.map(one, urls))

    def robots_refusal(self, url: str) -> str | None:
        """Why robots.txt forbids ``url`` (one line), or ``None`` when we may fetch it."""
        if not self.obey_robots:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        if parts.path == "/robots.txt":
            return None
        robots = self._robots_for(_host_key(url))
        if robots.parser is None:
            return f"robots.txt {robots.reason}; the site is treated as disallowed until it is reachable"
        if not robots.parser.can_fetch(ROBOTS_AGENT, url):
            return "disallowed by robots.txt"
        return None

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ robots.txt
    def _robots_for(self, host: str) -> _Robots:
        with self._lock:
            host_lock = self._robots_locks.setdefault(host, threading.Lock())
        with host_lock:  # one robots.txt request per host even when many threads ask at once
            cached = self._robots.get(host)
            if cached is not None and cached.expires > time.monotonic():
                return cached
            robots = self._load_robots(host)
            self._robots[host] = robots
            return robots

    def _load_robots(self, host: str) -> _Robots:
        url = f"{host}/robots.txt"
        result = FetchResult(url, url)
        for _ in range(self.max_redirects + 1):
            with self._slot(_host_key(result.final_url)):
                result = self._get_once(result.final_url, {"Accept": "text/plain"}, _ROBOTS_MAX_BYTES)
            if result.error is None and result.status in _REDIRECTS and result.location:
                result.final_url = urljoin(result.final_url, result.location)
                continue
            break
        now = time.monotonic()
        if result.error is None and result.status == 200:
            parser = RobotFileParser(url)
            parser.parse(result.content.decode("utf-8", errors="replace").splitlines())
            crawl_delay = parser.crawl_delay(ROBOTS_AGENT)
            if crawl_delay:
                with self._lock:
                    self._crawl_delays[host] = min(float(crawl_delay), self.max_delay)
            return _Robots(parser, now + self.robots_ttl)
        if result.error is None or 400 <= result.status < 500:  # 4xx and endless redirects: no rules
            return _Robots(_allow_all(), now + self.robots_ttl)
        return _Robots(None, now + min(self.robots_ttl, 60.0), f"unreachable ({result.error})")

    # ------------------------------------------------------------------ requests
    @contextmanager
    def _slot(self, host: str) -> Iterator[None]:
        """Hold one of the host's concurrency slots, waiting out the host's delay first."""
        with self._lock:
            slot = self._slots.setdefault(host, threading.BoundedSemaphore(self.per_host))
        with slot:
            with self._lock:
                delay = max(self.delay, self._crawl_delays.get(host, 0.0))
                now = time.monotonic()
                start = max(now, self._next_time.get(host, 0.0))
                self._next_time[host] = start + delay
            if start > now:
                time.sleep(start - now)
            yield

    def _get_with_retries(self, url: str, headers: dict[str, str]) -> FetchResult:
        host = _host_key(url)
        result = FetchResult(url, url)
        for attempt in range(self.retries + 1):
            with self._slot(host):
                result = self._get_once(url, headers, self.max_bytes)
            if not result.transient or attempt == self.retries:
                break
            pause = min(max(self.backoff * 2**attempt, result.retry_after), self.max_delay)
            log.info("%s: %s; retrying in %.1fs", url, result.error, pause)
            time.sleep(pause)
        return result

    def _get_once(self, url: str, headers: dict[str, str], max_bytes: int) -> FetchResult:
        result = FetchResult(url, url)
        deadline = time.monotonic() + 4 * self.timeout  # a server trickling bytes must not hold a slot forever
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                _describe(result, response)
                if result.status in _REDIRECTS or result.status == 304:
                    return result
                if result.status != 200:
                    return _failed(result, f"HTTP {result.status}", transient=result.status in _RETRY_STATUS)
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    return _failed(result, f"too large: {int(declared)} bytes declared, limit {max_bytes}")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        return _failed(result, f"too large: more than {max_bytes} bytes")
                    if time.monotonic() > deadline:
                        return _failed(
                            result, f"too slow: body not complete after {4 * self.timeout:.0f}s", transient=True
                        )
                result.content = bytes(body)
                return result
        except httpx.TimeoutException as exc:
            return _failed(result, f"timed out after {self.timeout:g}s ({type(exc).__name__})", transient=True)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            return _failed(result, f"bad URL: {exc}")
        except httpx.ConnectError as exc:
            return _failed(result, f"could not connect: {exc}", transient=True)
        except httpx.HTTPError as exc:
            return _failed(result, f"{type(exc).__name__}: {exc}", transient=True)
        except (ValueError, UnicodeError) as exc:  # e.g. a URL httpx cannot encode
            return _failed(result, f"bad URL: {exc}")


# ---------------------------------------------------------------------- page text
def decode_page(result: FetchResult) -> tuple[str, str]:
    """HTML bytes to text and the codec used: BOM, then HTTP charset, then ``<meta charset>``, then detection.

    This is the browsers' order: a declaration is trusted when the bytes decode cleanly with it, and the
    byte-level detector (UTF-8, Cyrillic code pages, charset-normalizer) decides only when none does.
    Latin-1 and cp1252 decode any bytes, and are what misconfigured servers declare by default, so they are
    not trusted for bytes that read as Russian words in cp1251/koi8-r (mojibake would follow otherwise).
    Raises :class:`~storyline.ingest.decode.UndecodableError` for binary or unreadable bytes.
    """
    data = result.content
    bom = bom_encoding(data)
    if bom:
        return decode_bytes(data).text, bom
    for declared in (result.charset, declared_html_charset(data)):
        codec = _codec(declared)
        if codec in _ANY_BYTES_CODECS and cyrillic_single_byte(data[:SAMPLE_BYTES]):
            continue
        if codec:
            try:
                return data.decode(codec).replace("\x00", ""), codec
            except UnicodeDecodeError:
                log.info("%s: declared charset %s does not fit the bytes", result.final_url, declared)
    decoded = decode_bytes(data)
    return decoded.text, decoded.encoding


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    import codecs

    try:
        return codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None


# ---------------------------------------------------------------------- helpers
def _describe(result: FetchResult, response: httpx.Response) -> None:
    result.status = response.status_code
    result.final_url = str(response.url)
    content_type = response.headers.get("content-type", "")
    result.content_type = content_type.split(";", 1)[0].strip().lower()
    result.charset = _charset_param(content_type)
    result.etag = response.headers.get("etag")
    result.last_modified = response.headers.get("last-modified")
    result.location = response.headers.get("location")
    retry_after = response.headers.get("retry-after", "").strip()
    if retry_after.isdigit():
        result.retry_after = float(retry_after)


def _charset_param(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def _failed(result: FetchResult, error: str, *, transient: bool = False) -> FetchResult:
    result.error = error
    result.transient = transient
    result.content = b""
    return result


def _host_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _allow_all() -> RobotFileParser:
    parser = RobotFileParser()
    parser.parse([])
    return parser


# ---------------------------------------------------------------------- URLs
def canonical_url(url: str) -> str:
    """The URL an item is known by: lower-case scheme and host, no fragment, no tracking parameters."""
    parts = urlsplit(url.strip())
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)])
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", query, ""))


def site_of(url: str) -> str:
    """The outlet of a fetched article: its host without ``www.`` (and without the port)."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


__all__ = ["USER_AGENT", "FetchResult", "Fetcher", "UndecodableError", "canonical_url", "decode_page", "site_of"]
