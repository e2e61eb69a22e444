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
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError, TCPTimedOutError
from twisted.internet.error import TimeoutError as TxTimeoutError
from twisted.python.failure import Failure

from crawler.consentdocs import ConsentDocuments, origin_of
from crawler.extract import extract_page
from crawler.httpheaders import signal_headers
from crawler.middlewares import ConsentIgnoreRequest
from crawler.runtime import apply_config, known_settings
from crawler.scope import Scope
from crawler.seeds import Seeds, load_seeds

logger = logging.getLogger(__name__)


def declared_encoding(response: Response) -> str | None:
    """The charset the server or the page declares; utf-8 when neither does.

    Scrapy's ``response.encoding`` may decode the whole body to sniff it; lxml finds a
    ``<meta charset>`` itself, so only the header and the no-declaration default are decided here.
    """
    content_type = response.headers.get(b"Content-Type") or b""
    lowered = content_type.lower()
    pos = lowered.find(b"charset=")
    if pos != -1:
        charset = lowered[pos + 8 :].split(b";")[0].strip(b" \"'")
        if charset:
            return charset.decode("ascii", "replace")
    if b"charset" in response.body[:2048].lower():
        return None
    return "utf-8"


class ImagesSpider(scrapy.Spider):
    name = "images"

    def __init__(self, seeds: str | None = None, config: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.seeds_arg = seeds
        self.config_path = config
        self.seen: set[str] = set()

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

    async def start(self) -> AsyncIterator[Any]:
        for url in self.seed_info.urls:
            self.seen.add(url)
            if not self.scope.allows(url):
                yield self.excluded_page(url, ["fetch:out-of-scope"])
                continue
            yield scrapy.Request(url, callback=self.parse, errback=self.on_error)

    def parse(self, response: Response) -> Iterator[Any]:
        page_url = response.url
        fetched_at = datetime.now(UTC)
        content_type = (response.headers.get(b"Content-Type") or b"").lower()
        is_html = not content_type or b"html" in content_type or b"xml" in content_type
        extract = None
        if is_html:
            extract = extract_page(
                response.body, page_url, declared_encoding(response), keep_root=self.keep_root
            )
        item = {
            "type": "page",
            "page_url": page_url,
            "page_origin": origin_of(page_url),
            "status": response.status,
            "fetched_at": fetched_at,
            "headers": signal_headers(response),
            "meta": extract.meta if extract else {},
            "candidates": [
                {
                    "url": c.url,
                    "origin": origin_of(c.url),
                    "caption": c.caption,
                    "title": c.title,
                    "figcaption": c.figcaption,
                    "width": c.width,
                    "height": c.height,
                    "srcset": c.srcset,
                    "signals": [],
                    "reasons": [],
                }
                for c in (extract.candidates if extract else ())
            ],
            "page_signals": [],
            "root": extract.root if extract else None,
        }
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
            rules = docs.cached("robots", origin_of(url))
            if rules is not None:
                # Known verdict: record the refusal here instead of making a doomed Request.
                if rules.unreachable:
                    yield self.excluded_page(url, ["robots:unreachable"])
                    continue
                if not rules.allowed(url, token):
                    yield self.excluded_page(url, ["robots:disallowed"])
                    continue
            yield scrapy.Request(url, callback=self.parse, errback=self.on_error)

    def on_error(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        exc = failure.value
        if isinstance(exc, ConsentIgnoreRequest):
            reasons = exc.reasons
        elif isinstance(exc, HttpError):
            reasons = [f"fetch:http-{exc.response.status}"]
        elif isinstance(exc, TxTimeoutError | TCPTimedOutError):
            reasons = ["fetch:timeout"]
        elif isinstance(exc, DNSLookupError):
            reasons = ["fetch:dns"]
        elif "max redirections" in str(exc).lower():
            reasons = ["fetch:redirect-limit"]
        else:
            reasons = [f"fetch:error={type(exc).__name__}"]
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
