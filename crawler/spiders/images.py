"""The ``images`` spider: crawl pages, extract image candidates, follow links in scope.

One item per page (its candidates as a list plus the page's own signals) flows through the
consent pipelines; the writer explodes it into rows. Links are filtered here (scope, seen set,
depth, cached robots verdict) before a Request is made: Scrapy's cost is per object that
passes through the engine (performance notes).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.consentdocs import ConsentDocuments, origin_of
from crawler.distributed.connection import distributed_of
from crawler.items import failure_reasons, page_item
from crawler.runtime import apply_config, known_settings
from crawler.scope import Scope
from crawler.seeds import Seeds, load_seeds

logger = logging.getLogger(__name__)


class ImagesSpider(scrapy.Spider):
    name = "images"

    def __init__(self, seeds: str | None = None, config: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.seeds_arg = seeds
        self.config_path = config
        self.seen: set[str] = set()
        self.parsed: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ImagesSpider:
        # Settings are not frozen yet while the spider is built: the configuration file goes in
        # at "spider" priority, above the project's and below -s on the command line.
        apply_config(crawler.settings, kwargs.get("config"), known_settings())
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup(load_seeds(kwargs.get("seeds") or ""))
        return spider

    def setup(self, seeds: Seeds) -> None:
        settings = self.crawler.settings
        self.seed_info = seeds
        self.scope = Scope(
            seeds.urls,
            settings.getlist("SCOPE_ALLOWED_DOMAINS"),
            settings.getlist("SCOPE_DENIED_DOMAINS"),
        )
        self.follow = settings.getbool("FOLLOW_LINKS", True)
        self.depth_limit = settings.getint("DEPTH_LIMIT")
        self.token = settings.get("ROBOTSTXT_USER_AGENT")
        self.docs = ConsentDocuments.of(self.crawler)
        self.keep_root = settings.getbool("LICENSE_DETECTION_ENABLED")
        # Distributed mode (REDIS_URL): the scheduler claims new URLs in the shared seen-set.
        self.distributed = distributed_of(settings) is not None

    async def start(self) -> AsyncIterator[Any]:
        for url in self.seed_info.urls:
            self.seen.add(url)
            if not self.scope.allows(url):
                yield self.excluded_page(url, ["fetch:out-of-scope"])
                continue
            yield self.page_request(url)

    def parse(self, response: Response) -> Iterator[Any]:
        if response.url in self.parsed:
            return  # reached again through a redirect: its rows are already written
        self.parsed.add(response.url)
        self.seen.add(response.url)
        item, extract = page_item(response, self.keep_root)
        yield item
        if extract is None or not self.follow or self._nofollow(extract.meta):
            return
        depth = response.meta.get("depth", 0)
        if self.depth_limit and depth >= self.depth_limit:
            return
        yield from self.follow_links(extract.links)

    def _nofollow(self, meta: dict[str, list[str]]) -> bool:
        for name in ("robots", self.token):
            for content in meta.get(name, ()):
                directives = {d.strip().lower() for d in content.split(",")}
                if "nofollow" in directives or "none" in directives:
                    return True
        return False

    def follow_links(self, links: list[str]) -> Iterator[Any]:
        seen, scope, docs, token = self.seen, self.scope, self.docs, self.token
        for url in links:
            if url in seen:
                continue
            seen.add(url)
            if not scope.allows(url):
                continue
            # Distributed mode: no refusal from a cached verdict here; every row then comes from
            # a request in the shared frontier, so a killed worker's pages are redone whole.
            rules = None if self.distributed else docs.cached("robots", origin_of(url))
            if rules is not None:
                # Known verdict: record the refusal here instead of making a doomed Request.
                if rules.unreachable:
                    yield self.excluded_page(url, ["robots:unreachable"])
                    continue
                if not rules.allowed(url, token):
                    yield self.excluded_page(url, ["robots:disallowed"])
                    continue
            yield self.page_request(url)

    def page_request(self, url: str) -> scrapy.Request:
        # dont_filter: the spider dedupes links itself (the seen set) and final URLs in parse();
        # Scrapy's dupefilter would silently drop a redirect loop, losing the page's record.
        request = scrapy.Request(url, callback=self.parse, errback=self.on_error, dont_filter=True)
        if self.distributed:
            request.meta["distributed_dedupe"] = True  # see crawler.distributed.scheduler
        return request

    def on_error(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        reasons = failure_reasons(failure.value)
        self.crawler.stats.inc_value(f"consentcrawl/pages_excluded/{reasons[0]}")
        yield self.excluded_page(request.url, reasons)

    @staticmethod
    def excluded_page(url: str, reasons: list[str]) -> dict[str, Any]:
        # Same shape as a page item (no candidates), so every pipeline can pass it through.
        return {
            "type": "page-excluded",
            "page_url": url,
            "page_origin": None,
            "reasons": reasons,
            "fetched_at": datetime.now(UTC),
            "headers": {},
            "meta": {},
            "candidates": [],
            "page_signals": [],
        }
