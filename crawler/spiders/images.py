"""The ``images`` spider: crawl pages, extract image candidates, follow links in scope.

One item per page (its candidates as a list plus the page's own signals) flows through the
consent pipelines; the writer explodes it into rows. Links are filtered here (scope, seen set,
depth, cached robots verdict) before a Request is made: Scrapy's cost is per object that
passes through the engine (performance notes).

With ``JOBDIR``, every page the spider decides to request is appended to the crawl journal
(crawler.output.journal) before the item of the page that found it goes on; a resumed run
requests the pages seen but not done, and nothing else. Scrapy's own JOBDIR queue is not used
(``JournalScheduler``): it is saved only on a clean shutdown, and would repeat the journal.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import scrapy
from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.consent.verdict import Decision, Signal
from crawler.consentdocs import ConsentDocuments
from crawler.distributed import CLAIMED_META
from crawler.distributed.addon import OUT_OF_SCOPE_META
from crawler.distributed.connection import distributed_of
from crawler.guard import address_policy
from crawler.items import failure_reasons, page_item
from crawler.middlewares import refusal_signals
from crawler.output.journal import SeenLog
from crawler.records import ExcludedPage
from crawler.runtime import apply_config, known_settings
from crawler.scope import Scope
from crawler.seeds import Seeds, load_seeds
from crawler.shutdown import ShutdownCancelled
from crawler.urls import split_http_url

logger = logging.getLogger(__name__)


class JournalScheduler(Scheduler):
    """Scrapy's scheduler without its JOBDIR disk queue: the crawl journal holds what a resumed
    run must fetch, also after a kill -9 (the disk queue's state is written only on close)."""

    def _dqdir(self, jobdir: str | None) -> str | None:
        return None


class ImagesSpider(scrapy.Spider):
    name = "images"
    custom_settings = {"SCHEDULER": "crawler.spiders.images.JournalScheduler"}

    def __init__(self, seeds: str | None = None, config: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.seeds_arg = seeds
        self.config_path = config
        self.seen: set[str] = set()
        self.parsed: set[str] = set()
        self.seen_log: SeenLog | None = None

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
        self.addresses = address_policy(settings)
        self.max_candidates = settings.getint("MAX_CANDIDATES_PER_PAGE")
        # Distributed mode (REDIS_URL): the scheduler claims new URLs in the shared seen-set.
        self.distributed = distributed_of(settings) is not None
        jobdir = settings.get("JOBDIR")
        if jobdir:
            self.seen_log = SeenLog(jobdir)

    def closed(self, reason: str) -> None:
        if self.seen_log is not None:
            self.seen_log.close()

    def _log_seen(self, url: str, depth: int) -> None:
        if self.seen_log is not None:
            self.seen_log.add(url, depth)

    async def start(self) -> AsyncIterator[Any]:
        journal = self.seen_log.journal if self.seen_log is not None else None
        if journal is not None and journal.resuming:
            # A resumed crawl: the pages found before, less those whose rows are on disk.
            self.seen.update(journal.seen)
            self.parsed.update(journal.done)
            pending = journal.pending
            logger.info("resuming from JOBDIR: %d pages to fetch", len(pending))
            for url, depth in pending:
                if not self.scope.allows(url):
                    yield self.excluded_page(url, ["fetch:out-of-scope"])
                    continue
                yield self.page_request(url, depth)
            return
        for url in self.seed_info.urls:
            self.seen.add(url)
            self._log_seen(url, 0)
        if self.seen_log is not None:
            self.seen_log.flush()
        for url in self.seed_info.urls:
            if not self.scope.allows(url):
                if self.distributed:  # one worker records it (crawler.distributed.addon)
                    request = self.page_request(url)
                    request.meta[OUT_OF_SCOPE_META] = True
                    yield request
                    continue
                yield self.excluded_page(url, ["fetch:out-of-scope"])
                continue
            yield self.page_request(url)

    def parse(self, response: Response) -> Iterator[Any]:
        if response.url in self.parsed:
            return  # reached again through a redirect: its rows are already written
        self.parsed.add(response.url)
        self.seen.add(response.url)
        item, extract = page_item(response, self.keep_root, self.addresses, self.max_candidates)
        if extract is not None and (extract.over_cap or extract.cut):
            self._record_bounds(response.url, extract.over_cap, extract.cut)
        claim = response.meta.get(CLAIMED_META)
        if claim:  # distributed: acknowledged once the item's rows are on disk
            item.frontier_claim = claim
        redirects = response.meta.get("redirect_urls")
        if redirects:
            item.request_urls = list(redirects)  # done with the page, for the journal
        follow: list[Any] = []
        depth = response.meta.get("depth", 0)
        if (
            extract is not None
            and self.follow
            and not self._nofollow(extract.meta)
            and not (self.depth_limit and depth >= self.depth_limit)
        ):
            # Links are decided (and journalled) before the page's item goes to the writer:
            # once its rows are on disk, a resumed run knows every page it found.
            follow = list(self.follow_links(extract.links, depth + 1))
            if self.seen_log is not None:
                self.seen_log.flush()
        yield item
        yield from follow

    def _record_bounds(self, url: str, over_cap: int, cut: str | None) -> None:
        stats = self.crawler.stats
        if over_cap:
            stats.inc_value("consentcrawl/candidates_over_cap", over_cap)
            stats.inc_value("consentcrawl/pages_over_cap")
            logger.info("%s: %d <img> past MAX_CANDIDATES_PER_PAGE not checked", url, over_cap)
        if cut:
            stats.inc_value("consentcrawl/pages_cut")
            logger.warning("%s: parsing stopped early (%s)", url, cut)

    def _nofollow(self, meta: dict[str, list[str]]) -> bool:
        for name in ("robots", self.token):
            for content in meta.get(name, ()):
                directives = {d.strip().lower() for d in content.split(",")}
                if "nofollow" in directives or "none" in directives:
                    return True
        return False

    def follow_links(self, links: list[str], depth: int = 1) -> Iterator[Any]:
        seen, scope, docs, token = self.seen, self.scope, self.docs, self.token
        stats = self.crawler.stats
        for url in links:
            if url in seen:
                continue
            seen.add(url)
            parsed = split_http_url(url)
            if parsed is None:
                # One unusable link (bad port, broken IPv6 literal) costs that link, not the rest.
                stats.inc_value("consentcrawl/links_invalid")
                continue
            if not scope.allows(url):
                continue
            self._log_seen(url, depth)
            # Distributed mode: no refusal from a cached verdict here; every row then comes from
            # a request in the shared frontier, so a killed worker's pages are redone whole.
            rules = None if self.distributed else docs.cached("robots", parsed.origin)
            if rules is not None:
                # Known verdict: record the refusal here instead of making a doomed Request.
                verdict = rules.check(url, token)
                if verdict.decision is Decision.DISALLOW:
                    yield self.excluded_page(
                        url, [verdict.reason or "robots:disallowed"], [verdict]
                    )
                    continue
            yield self.page_request(url)

    def page_request(self, url: str, depth: int | None = None) -> scrapy.Request:
        # dont_filter: the spider dedupes links itself (the seen set) and final URLs in parse();
        # Scrapy's dupefilter would silently drop a redirect loop, losing the page's record.
        meta = {"depth": depth} if depth else {}
        if self.distributed:
            meta["distributed_dedupe"] = True  # see crawler.distributed.scheduler
        return scrapy.Request(
            url, callback=self.parse, errback=self.on_error, dont_filter=True, meta=meta or None
        )

    def on_error(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        if isinstance(failure.value, ShutdownCancelled):
            return  # never fetched: not a row; the journal keeps the page pending
        reasons = failure_reasons(failure.value)
        self.crawler.stats.inc_value(f"consentcrawl/pages_excluded/{reasons[0]}")
        item = self.excluded_page(request.url, reasons, refusal_signals(failure.value))
        if request.meta.get(CLAIMED_META):
            item.frontier_claim = request.meta[CLAIMED_META]
        yield item

    @staticmethod
    def excluded_page(url: str, reasons: list[str], signals: Sequence[Signal] = ()) -> ExcludedPage:
        return ExcludedPage(url, reasons, list(signals))
