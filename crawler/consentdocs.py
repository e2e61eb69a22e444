"""Per-origin consent documents (robots.txt, ai.txt, tdmrep.json): fetch once, parse once, cache.

All fetches go through Scrapy's downloader (``engine.download_async``), so proxies, timeouts,
retries, the user agent and per-host politeness apply to them as to pages. Concurrent look-ups
for one (kind, origin) share one fetch; the parsed object, not the body, is cached for
``ROBOTSTXT_CACHE_TTL`` seconds. Every fetched body is kept (capped) for the ``consent/`` dataset.
Documents other than robots.txt obey robots.txt for our token (RFC 9309 applies to every
automated request).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from twisted.internet.error import TimeoutError as TxTimeoutError

from crawler.clock import clock_of
from crawler.consent.robots import robots_from_fetch
from crawler.singleflight import SingleFlight
from crawler.urls import origin_of

__all__ = ["ConsentDocuments", "DocumentKind", "FetchedDocument", "origin_of"]

logger = logging.getLogger(__name__)

# parse(origin, status, body, error) -> parsed document; status None means not fetched.
Parser = Callable[[str, int | None, bytes | None, str | None], Any]


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
    truncated: bool


@dataclass(frozen=True, slots=True)
class DocumentKind:
    name: str
    path: str
    parse: Parser
    obey_robots: bool = True


def _parse_robots(origin: str, status: int | None, body: bytes | None, error: str | None) -> Any:
    return robots_from_fetch(origin, status, body, error=error)


class ConsentDocuments:
    """The crawl's one store of consent documents; get it with ``ConsentDocuments.of(crawler)``."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.ttl = settings.getfloat("ROBOTSTXT_CACHE_TTL")
        self.max_bytes = settings.getint("CONSENT_DOCUMENT_MAX_BYTES")
        self.token = settings.get("ROBOTSTXT_USER_AGENT")
        self.clock = clock_of(crawler)  # archive time in a replay: TTLs expire as recorded
        self.kinds: dict[str, DocumentKind] = {}
        self._cache: dict[tuple[str, str], tuple[float, Any]] = {}
        self._flights: SingleFlight[Any] = SingleFlight()
        self.fetched: list[FetchedDocument] = []
        # When each (kind, origin) document was last fetched: the time of a decision taken on it
        # without a request of its own (a page refused by robots.txt).
        self._fetched_at: dict[tuple[str, str], datetime] = {}
        # download_async() bypasses the global CONCURRENT_REQUESTS limit (only per-host slots
        # apply): without a bound, a batch touching thousands of origins opens thousands of
        # connections at once and they time out. robots.txt has its own bound because fetching
        # any other document may wait for one.
        self._limit = max(1, settings.getint("CONCURRENT_REQUESTS"))
        self._slots: dict[bool, asyncio.Semaphore] = {}
        self.register(DocumentKind("robots", "/robots.txt", _parse_robots, obey_robots=False))

    @classmethod
    def of(cls, crawler: Crawler) -> ConsentDocuments:
        store = getattr(crawler, "_consent_documents", None)
        if store is None:
            store = cls(crawler)
            crawler._consent_documents = store  # type: ignore[attr-defined]
        return store

    def register(self, kind: DocumentKind) -> None:
        self.kinds.setdefault(kind.name, kind)

    def cached(self, kind: str, origin: str) -> Any | None:
        """The parsed document if it is cached and fresh, without fetching."""
        entry = self._cache.get((kind, origin))
        if entry is not None and entry[0] > self.clock.monotonic():
            return entry[1]
        return None

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
        status, body, _final_url, error = await self._fetch(kind.name, url)
        return kind.parse(origin, status, body, error)

    async def _fetch(
        self, kind: str, url: str
    ) -> tuple[int | None, bytes | None, str | None, str | None]:
        stats = self.crawler.stats
        request = Request(
            url,
            meta={
                "consent_document": kind,
                "dont_obey_robotstxt": True,
                "download_maxsize": max(self.max_bytes * 16, 8 * 1024 * 1024),
            },
            dont_filter=True,
            priority=100,
        )
        status: int | None = None
        body: bytes | None = None
        final_url: str | None = None
        error: str | None = None
        answered = request
        slots = self._slots.get(kind == "robots")
        if slots is None:
            slots = self._slots[kind == "robots"] = asyncio.Semaphore(self._limit)
        try:
            async with slots:
                response = await self.crawler.engine.download_async(request)
        except Exception as exc:
            error = describe_error(exc)
        else:
            answered = response.request or request
            status, final_url = response.status, response.url
            body = response.body
            if 300 <= status < 400:
                error = "redirect limit reached"
        stats.inc_value("consent/documents_fetched")
        stats.inc_value(f"consent/documents_fetched/{kind}")
        stored = body[: self.max_bytes] if body is not None else None
        # When the answer came: the last redirect hop's WARC-Date under capture or replay.
        fetched_at = self.clock.stamp(answered.meta)
        self._fetched_at[(kind, origin_of(url))] = fetched_at
        self.fetched.append(
            FetchedDocument(
                origin=origin_of(url),
                kind=kind,
                url=url,
                final_url=final_url,
                status=status,
                error=error,
                fetched_at=fetched_at,
                sha256=hashlib.sha256(body).hexdigest() if body is not None else None,
                body=stored,
                truncated=body is not None and len(body) > self.max_bytes,
            )
        )
        return status, body, final_url, error

    def fetched_time(self, kind: str, origin: str) -> datetime | None:
        """When the ``kind`` document of ``origin`` was last fetched (None: never)."""
        return self._fetched_at.get((kind, origin))

    def drain(self) -> list[FetchedDocument]:
        """Hand the fetched documents to the writer (and forget them here)."""
        out, self.fetched = self.fetched, []
        return out


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, TxTimeoutError | asyncio.TimeoutError):
        return "timeout"
    text = str(exc) or type(exc).__name__
    if "max redirections" in text.lower():
        return "redirect limit reached"
    return f"{type(exc).__name__}: {text}"[:300]
