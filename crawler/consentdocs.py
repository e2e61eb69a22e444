"""Per-origin consent documents (robots.txt, ai.txt, tdmrep.json): fetch once, parse once, cache.

Fetches go through Scrapy's downloader (``engine.download_async``), so proxies, timeouts,
retries, the user agent and per-host politeness apply to them as to pages; when the crawl's
downloader would add nothing to a plain answer (crawler/directdocs.py), a lean HTTP/1.1 client
asks first and Scrapy's downloader answers whatever it declines (crawler/directfetch.py).
Concurrent look-ups for one (kind, origin) share one fetch; the parsed object, not the body, is
cached for ``ROBOTSTXT_CACHE_TTL`` seconds. Every fetch is announced with the
``consent_document_fetched`` signal (its body capped): the writers connect to it for the
``consent/`` dataset.
Documents other than robots.txt obey robots.txt for our token (RFC 9309 applies to every
automated request).

Size (issue 9): a document larger than the download cap (``download_cap``: 16 x
``CONSENT_DOCUMENT_MAX_BYTES``, at least 8 MiB) is not a failure. Scrapy's own size limit is
switched off for these requests (``download_maxsize=0``, which would cancel the download and lose
the body) and a ``bytes_received`` handler stops the download at the cap with
``StopDownload(fail=False)``, so the response carries the first bytes. The parsers get them with
``error`` set to ``SIZE_CAP_NOTE`` (see ``stopped_at_size_cap``) and read what they can: the
complete lines of a text file, the complete entries of a JSON array. Documents are requested
uncompressed; a server that compresses anyway gets Scrapy's limit back (a decompression bomb must
not fill memory), and if that cancels the download the document counts as cut with no bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, cast

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import StopDownload
from scrapy.http import Headers, Response
from twisted.internet.error import TimeoutError as TxTimeoutError
from w3lib.url import safe_url_string

from crawler.clock import clock_of
from crawler.components import shared
from crawler.consent import registry
from crawler.consent.robots import robots_from_fetch
from crawler.consent.sizecap import SIZE_CAP_NOTE, size_capped_fetch, stopped_at_size_cap
from crawler.directdocs import DirectDocuments, direct_documents
from crawler.directfetch import DirectAnswer
from crawler.distributed.docstore import fetch_backend_of
from crawler.singleflight import SingleFlight
from crawler.urls import origin_of

__all__ = [
    "SIZE_CAP_NOTE",
    "ConsentDocuments",
    "DocumentKind",
    "FetchedDocument",
    "consent_document_fetched",
    "origin_of",
    "size_capped_fetch",
    "stopped_at_size_cap",
]

logger = logging.getLogger(__name__)

# parse(origin, status, body, error) -> parsed document; status None means not fetched.
Parser = Callable[[str, int | None, bytes | None, str | None], Any]

MIN_DOWNLOAD_CAP = 8 * 1024 * 1024
_META_KEY = "consent_document"
_RECEIVED_KEY = "consent_document_bytes"

# Sent with ``document=FetchedDocument`` after every fetch of a consent document (success or
# not), through ``crawler.signals``: the writers store them in ``consent/``.
consent_document_fetched = object()


def _is_size_cancel(exc: BaseException) -> bool:
    """Scrapy's own size limit (only armed for compressed responses, see the module doc)."""
    text = str(exc).lower()
    return "max size" in text or "download_maxsize" in text


@dataclass(slots=True)
class FetchedDocument:
    """One consent document as fetched: what the ``consent/`` dataset stores."""

    origin: str
    kind: str
    url: str
    final_url: str | None
    status: int | None
    error: str | None
    fetched_at: datetime
    sha256: str | None
    body: bytes | None
    truncated: bool  # ``body`` (the stored copy) was cut to CONSENT_DOCUMENT_MAX_BYTES
    complete: bool = True  # False: the download itself stopped at the size cap


@dataclass(frozen=True, slots=True)
class DocumentKind:
    name: str
    path: str
    parse: Parser
    obey_robots: bool = True


def _parse_robots(origin: str, status: int | None, body: bytes | None, error: str | None) -> Any:
    return robots_from_fetch(origin, status, body, error=error)


NOT_CACHED: Any = object()  # ConsentDocuments.lookup: not cached (a parse may be None)


class ConsentDocuments:
    """The crawl's one store of consent documents; get it with ``ConsentDocuments.of(crawler)``."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.ttl = settings.getfloat("ROBOTSTXT_CACHE_TTL")
        self.max_bytes = settings.getint("CONSENT_DOCUMENT_MAX_BYTES")
        self.download_cap = max(self.max_bytes * 16, MIN_DOWNLOAD_CAP)
        self.token = settings.get("ROBOTSTXT_USER_AGENT")
        self.clock = clock_of(crawler)  # archive time in a replay: TTLs expire as recorded
        self.kinds: dict[str, DocumentKind] = {}
        self._cache: dict[tuple[str, str], tuple[float, Any]] = {}
        self._flights: SingleFlight[Any] = SingleFlight()
        # In-process fetches, or one fetch across all workers when REDIS_URL is set.
        self.backend = fetch_backend_of(settings, lambda: crawler.stats)
        # When each (kind, origin) document was last fetched: the time of a decision taken on it
        # without a request of its own (a page refused by robots.txt).
        self._fetched_at: dict[tuple[str, str], datetime] = {}
        # download_async() bypasses the global CONCURRENT_REQUESTS limit (only per-host slots
        # apply): without a bound, a batch touching thousands of origins opens thousands of
        # connections at once and they time out. robots.txt has its own bound because fetching
        # any other document may wait for one.
        self._limit = max(1, settings.getint("CONCURRENT_REQUESTS"))
        self._slots: dict[bool, asyncio.Semaphore] = {}
        self._direct: Any = NOT_CACHED  # DirectDocuments | None once decided
        self.register(DocumentKind("robots", "/robots.txt", _parse_robots, obey_robots=False))
        # Every fixed-path document a registered family reads (fetched only when asked for, so
        # a switched-off family costs nothing).
        # Documents at discovered URLs (``path`` None) have kinds of their own: ``get_url``.
        self.url_kinds: dict[str, DocumentKind] = {}
        self._url_cache: dict[tuple[str, str], tuple[float, Any]] = {}
        for spec in registry.documents():
            parse: Parser = spec.parse
            if spec.needs_token:  # parse(..., token=) by DocumentSpec's contract
                parse = partial(cast(Any, spec.parse), token=self.token)
            if spec.path is not None:
                self.register(DocumentKind(spec.name, spec.path, parse, spec.obey_robots))
            else:
                self.register_url_kind(DocumentKind(spec.name, "", parse, spec.obey_robots))
        crawler.signals.connect(self.on_headers_received, signal=signals.headers_received)
        crawler.signals.connect(self.on_bytes_received, signal=signals.bytes_received)

    @classmethod
    def of(cls, crawler: Crawler) -> ConsentDocuments:
        return shared(crawler, ConsentDocuments, lambda: cls(crawler))

    def on_headers_received(self, headers: Headers, request: Request, **_: Any) -> None:
        """A compressed document gets Scrapy's size limit back (bounds the decompression)."""
        if _META_KEY not in request.meta:
            return
        request.meta[_RECEIVED_KEY] = 0  # a redirect's body does not count
        encoding = (headers.get(b"Content-Encoding") or b"identity").strip().lower()
        if encoding not in (b"identity", b""):
            request.meta["download_maxsize"] = self.download_cap

    def on_bytes_received(self, data: bytes, request: Request, **_: Any) -> None:
        """Stop a consent document's download at the cap, keeping what arrived."""
        meta = request.meta
        if _META_KEY not in meta:
            return
        received = meta.get(_RECEIVED_KEY, 0) + len(data)
        meta[_RECEIVED_KEY] = received
        if received >= self.download_cap:
            raise StopDownload(fail=False)

    def register(self, kind: DocumentKind) -> None:
        self.kinds[kind.name] = kind  # the last registration wins (tests register their own)

    def register_url_kind(self, kind: DocumentKind) -> None:
        """A kind of document fetched by URL (``path`` unused): see ``get_url``."""
        self.url_kinds[kind.name] = kind

    def cached_url(self, kind: str, url: str) -> Any | None:
        """The parsed ``kind`` document at ``url`` if it is cached and fresh, without fetching."""
        entry = self._url_cache.get((kind, url))
        if entry is not None and entry[0] > self.clock.monotonic():
            return entry[1]
        return None

    async def get_url(self, kind: str, url: str) -> Any:
        """The parsed ``kind`` document at ``url`` (a URL discovered in another document or a
        header, on any host), fetched at most once per URL and TTL, like ``get``: one flight
        for concurrent look-ups, robots.txt of the URL's own host for our token, the size cap,
        and the body kept for ``consent/`` (with its kind and URL)."""
        key = (kind, url)
        entry = self._url_cache.get(key)
        if entry is not None and entry[0] > self.clock.monotonic():
            self.crawler.stats.inc_value("consent/documents_cache_hits")
            return entry[1]
        before = self._flights.coalesced
        flight = (f"url:{kind}", url)  # apart from the (kind, origin) flights of ``get``
        parsed = await self._flights.run(flight, lambda: self._load_url_and_cache(kind, url))
        if self._flights.coalesced != before:
            self.crawler.stats.inc_value("consent/documents_coalesced")
        return parsed

    async def _load_url_and_cache(self, kind: str, url: str) -> Any:
        spec = self.url_kinds[kind]
        origin = origin_of(url)
        if spec.obey_robots:
            robots = await self.get("robots", origin)
            if not robots.allowed(url, self.token):
                self.crawler.stats.inc_value(f"consent/documents_not_fetched/{kind}")
                parsed = spec.parse(url, None, None, "robots.txt refuses this URL")
                self._url_cache[(kind, url)] = (self.clock.monotonic() + self.ttl, parsed)
                return parsed
        fetch = self._fetch
        if spec.obey_robots and robots.crawl_delay(self.token) is not None:
            fetch = partial(self._fetch, paced=True)  # Scrapy's downloader keeps the delay
        status, body, _final_url, error = await self.backend.fetch_once(kind, url, fetch)
        parsed = spec.parse(url, status, body, error)
        self._url_cache[(kind, url)] = (self.clock.monotonic() + self.ttl, parsed)
        return parsed

    def cached(self, kind: str, origin: str) -> Any | None:
        """The parsed document if it is cached and fresh, without fetching."""
        entry = self._cache.get((kind, origin))
        if entry is not None and entry[0] > self.clock.monotonic():
            return entry[1]
        return None

    def lookup(self, kind: str, origin: str) -> Any:
        """Like ``cached``, but a document whose parse is None (no tdmrep.json, say) is found
        too: ``NOT_CACHED`` when it is not cached and fresh (then ``get`` fetches it)."""
        entry = self._cache.get((kind, origin))
        if entry is not None and entry[0] > self.clock.monotonic():
            return entry[1]
        return NOT_CACHED

    def cached_many(
        self, keys: Iterable[tuple[str, str]]
    ) -> tuple[dict[tuple[str, str], Any], list[tuple[str, str]]]:
        """``cached`` of many (kind, origin) keys at one moment: (the fresh ones, the others)."""
        now = self.clock.monotonic()
        cache = self._cache
        found: dict[tuple[str, str], Any] = {}
        missing: list[tuple[str, str]] = []
        for key in keys:
            entry = cache.get(key)
            if entry is not None and entry[0] > now:
                found[key] = entry[1]
            else:
                missing.append(key)
        return found, missing

    async def get(self, kind: str, origin: str) -> Any:
        """The parsed document of ``kind`` for ``origin``, fetching it at most once per TTL."""
        key = (kind, origin)
        entry = self._cache.get(key)
        if entry is not None and entry[0] > self.clock.monotonic():
            self.crawler.stats.inc_value("consent/documents_cache_hits")
            return entry[1]
        before = self._flights.coalesced
        parsed = await self._flights.run(key, lambda: self._load_and_cache(kind, origin))
        if self._flights.coalesced != before:
            self.crawler.stats.inc_value("consent/documents_coalesced")
        return parsed

    async def _load_and_cache(self, kind: str, origin: str) -> Any:
        parsed = await self._load(self.kinds[kind], origin)
        self._cache[(kind, origin)] = (self.clock.monotonic() + self.ttl, parsed)
        return parsed

    async def _load(self, kind: DocumentKind, origin: str) -> Any:
        url = origin + kind.path
        if kind.obey_robots:
            robots = await self.get("robots", origin)
            if not robots.allowed(url, self.token):
                self.crawler.stats.inc_value(f"consent/documents_not_fetched/{kind.name}")
                return kind.parse(origin, None, None, f"robots.txt refuses {kind.path}")
        fetch = self._fetch
        if kind.obey_robots and robots.crawl_delay(self.token) is not None:
            fetch = partial(self._fetch, paced=True)
        status, body, _final_url, error = await self.backend.fetch_once(kind.name, url, fetch)
        return kind.parse(origin, status, body, error)

    async def _fetch(
        self, kind: str, url: str, *, paced: bool = False
    ) -> tuple[int | None, bytes | None, str | None, str | None]:
        """Fetch one document (``paced``: its host has a Crawl-delay for us, which only
        Scrapy's downloader keeps)."""
        stats = self.crawler.stats
        request = _LazyRequest(url, kind)
        status: int | None = None
        body: bytes | None = None
        final_url: str | None = None
        error: str | None = None
        answered: Request | None = None
        slots = self._slots.get(kind == "robots")
        if slots is None:
            slots = self._slots[kind == "robots"] = asyncio.Semaphore(self._limit)
        complete = True
        direct = self._direct_path()
        response: DirectAnswer | Response | None = None
        try:
            async with slots:
                if direct is not None:
                    response = await direct.download(request.url, request.make, paced=paced)
                else:
                    response = await self.crawler.engine.download_async(request.make())
        except Exception as exc:
            error = describe_error(exc)
            if _is_size_cancel(exc):
                complete = False
                error = f"{SIZE_CAP_NOTE} (compressed): {error}"[:300]
                stats.inc_value(f"consent/documents_size_capped/{kind}")
        else:
            if isinstance(response, DirectAnswer):  # what Scrapy would have answered
                status, final_url, body = response.status, request.url, response.body
            else:
                answered = response.request or request.make()
                status, final_url = response.status, response.url
                body = response.body
            if 300 <= status < 400:
                error = "redirect limit reached"
            elif isinstance(response, Response) and "download_stopped" in response.flags:
                complete = False
                error = f"{SIZE_CAP_NOTE}: first {len(body)} bytes read"
                stats.inc_value(f"consent/documents_size_capped/{kind}")
        stats.inc_value("consent/documents_fetched")
        stats.inc_value(f"consent/documents_fetched/{kind}")
        stored = body[: self.max_bytes] if body is not None else None
        # When the answer came: the last redirect hop's WARC-Date under capture or replay.
        fetched_at = self.clock.stamp(answered.meta if answered is not None else None)
        origin = origin_of(url)
        self._fetched_at[(kind, origin)] = fetched_at
        document = FetchedDocument(
            origin=origin,
            kind=kind,
            url=url,
            final_url=final_url,
            status=status,
            error=error,
            fetched_at=fetched_at,
            sha256=hashlib.sha256(body).hexdigest() if body is not None else None,
            body=stored,
            truncated=body is not None and len(body) > self.max_bytes,
            complete=complete,
        )
        self.crawler.signals.send_catch_log(consent_document_fetched, document=document)
        return status, body, final_url, error

    def _direct_path(self) -> DirectDocuments | None:
        """The direct path (crawler.directdocs), decided at the first fetch: the downloader's
        middlewares are known once the engine runs."""
        if self._direct is NOT_CACHED:
            self._direct = direct_documents(self.crawler, max_body=self.download_cap)
            if self._direct is not None:
                self.crawler.signals.connect(self._close_direct, signal=signals.spider_closed)
        return cast(DirectDocuments | None, self._direct)

    def _close_direct(self) -> None:
        if isinstance(self._direct, DirectDocuments):
            self._direct.fetcher.close()

    def fetched_time(self, kind: str, origin: str) -> datetime | None:
        """When the ``kind`` document of ``origin`` was last fetched (None: never)."""
        return self._fetched_at.get((kind, origin))


class _LazyRequest:
    """A document's URL as Scrapy writes it, and its Scrapy request, built only when Scrapy's
    downloader is asked (a plain direct answer needs none)."""

    __slots__ = ("_request", "kind", "url")

    def __init__(self, url: str, kind: str) -> None:
        self.url = safe_url_string(url)  # what Request(url).url is
        self.kind = kind
        self._request: Request | None = None

    def make(self) -> Request:
        if self._request is None:
            self._request = Request(
                self.url,
                # The prefix of a document is what gets parsed: ask for it uncompressed.
                headers={"Accept-Encoding": "identity"},
                meta={
                    _META_KEY: self.kind,
                    "dont_obey_robotstxt": True,
                    "download_maxsize": 0,  # on_bytes_received enforces the cap, keeping it
                },
                dont_filter=True,
                priority=100,
            )
        return self._request


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, TxTimeoutError | asyncio.TimeoutError):
        return "timeout"
    text = str(exc) or type(exc).__name__
    if "max redirections" in text.lower():
        return "redirect limit reached"
    return f"{type(exc).__name__}: {text}"[:300]
