"""Image probes: the image's own response headers (and, in range mode, its first bytes).

X-Robots-Tag, tdm-reservation, Content-Usage, Link rel=license and 402 live only on the image's
response. A probe is one HEAD request (a ranged GET when the server refuses HEAD) or, with
``IMAGE_PROBE=range``, one GET of the first ``IMAGE_PROBE_BYTES``. Probes go through Scrapy's
downloader like every request (robots.txt, politeness, proxy, retries). Each image URL is probed
at most once (results are remembered, concurrent probes of one URL share one request).
"""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

from scrapy import Request
from scrapy.crawler import Crawler

from crawler.components import shared
from crawler.consentdocs import describe_error
from crawler.httpheaders import signal_headers
from crawler.middlewares import ConsentIgnoreRequest
from crawler.singleflight import SingleFlight
from crawler.urls import split_http_url

# Statuses with which a server says "no HEAD here": retry as a ranged GET.
HEAD_REFUSED = (400, 403, 405, 406, 501)


@dataclass(slots=True)
class ProbeResult:
    url: str
    method: str  # HEAD or GET (range)
    status: int | None  # None: no response (timeout, network error, refused by robots.txt)
    headers: dict[str, list[str]] = field(default_factory=dict)
    body: bytes | None = None  # first bytes (range mode only)
    error: str | None = None
    refused: list[str] | None = None  # consent reasons if our own robots check refused it

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class ImageProber:
    def __init__(self, crawler: Crawler, mode: str) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.mode = mode
        self.nbytes = max(1, settings.getint("IMAGE_PROBE_BYTES"))
        self.cache_size = settings.getint("IMAGE_PROBE_CACHE_SIZE")
        # One page (or many) must not aim unbounded requests at one third-party host.
        self.host_budget = max(0, settings.getint("IMAGE_PROBE_HOST_BUDGET"))
        self._host_probes: Counter[str] = Counter()
        self._cache: OrderedDict[str, ProbeResult] = OrderedDict()
        self._flights: SingleFlight[ProbeResult] = SingleFlight()
        # download_async() bypasses the global CONCURRENT_REQUESTS limit: bound probes here.
        self._limit = max(1, settings.getint("CONCURRENT_REQUESTS"))
        self._slots: asyncio.Semaphore | None = None

    @classmethod
    def of(cls, crawler: Crawler, mode: str) -> ImageProber:
        return shared(crawler, ImageProber, lambda: cls(crawler, mode))

    async def probe(self, url: str) -> ProbeResult:
        cached = self._cache.get(url)
        if cached is not None:
            self._cache.move_to_end(url)
            self.crawler.stats.inc_value("consent/probe_cache_hits")
            return cached
        return await self._flights.run(url, lambda: self._probe_and_cache(url))

    async def _probe_and_cache(self, url: str) -> ProbeResult:
        parsed = split_http_url(url)
        host = parsed.host if parsed is not None else ""
        if self.host_budget and self._host_probes[host] >= self.host_budget:
            self.crawler.stats.inc_value("consent/probes_over_host_budget")
            # Not remembered: the budget is per run, the answer would not change.
            return ProbeResult(
                url,
                "HEAD" if self.mode == "head" else "GET",
                None,
                error=f"not probed: IMAGE_PROBE_HOST_BUDGET={self.host_budget} reached for {host}",
            )
        self._host_probes[host] += 1
        result = await self._probe(url)
        self._cache[url] = result
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return result

    async def _probe(self, url: str) -> ProbeResult:
        if self.mode == "head":
            result = await self._fetch(url, "HEAD")
            if result.status in HEAD_REFUSED:
                self.crawler.stats.inc_value("consent/probes_head_refused")
                result = await self._fetch(url, "GET")
            return result
        return await self._fetch(url, "GET")

    async def _fetch(self, url: str, method: str) -> ProbeResult:
        stats = self.crawler.stats
        headers = {}
        if method == "GET":
            headers["Range"] = f"bytes=0-{self.nbytes - 1}"
        request = Request(
            url,
            method=method,
            headers=headers,
            meta={"consent_probe": True, "handle_httpstatus_all": False},
            dont_filter=True,
            priority=50,
        )
        stats.inc_value("consent/probes")
        stats.inc_value(f"consent/probes/{method.lower()}")
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._limit)
        try:
            async with self._slots:
                response = await self.crawler.engine.download_async(request)
        except ConsentIgnoreRequest as exc:
            return ProbeResult(url, method, None, error=str(exc), refused=exc.reasons)
        except Exception as exc:
            return ProbeResult(url, method, None, error=describe_error(exc))
        body = response.body[: self.nbytes] if method == "GET" else None
        return ProbeResult(url, method, response.status, signal_headers(response), body)
