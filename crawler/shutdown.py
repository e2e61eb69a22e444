"""Scrapy plumbing for a prompt, complete shutdown.

On Ctrl-C / SIGTERM Scrapy waits for every request already handed to the downloader, also
those queued behind a host's ``Crawl-delay`` (minutes, silently). ``PromptShutdown`` drops
the queued ones (not those being transferred) as soon as the stop begins, and again while the
close runs; they fail with ``ShutdownCancelled``, which the spider records as nothing (with
JOBDIR the page stays pending and a resumed crawl fetches it). Since a consent document or
probe may have been dropped too, the ``requests_cancelled`` signal tells the writers to
abandon the items still in flight (not written, not done: redone on resume).

Scrapy 2.19's scraper checks whether it may finish closing only when a *response* finishes.
Items yielded from ``start()`` (every item of ``scrapy regenerate``) that are still in the
pipelines when the close begins (Ctrl-C, a write error) then finish unnoticed, and the close
waits for ever. ``recheck_closing_after_items`` repeats that check while the close waits.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.asyncio import call_later
from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

RECHECK_SECONDS = 0.1
DRAIN_SECONDS = 0.2

# Sent (with ``count``) when queued requests were dropped because the crawl is stopping.
requests_cancelled = object()


class ShutdownCancelled(IgnoreRequest):
    """A request dropped from the downloader queue because the crawl is stopping."""


def cancel_queued_requests(crawler: Crawler) -> int:
    """Fail every request waiting in a downloader slot queue; return how many."""
    downloader = getattr(crawler.engine, "downloader", None)
    count = 0
    for slot in list(getattr(downloader, "slots", {}).values()):
        queue = getattr(slot, "queue", None)
        while queue:
            request, deferred = queue.popleft()
            count += 1
            deferred.errback(Failure(ShutdownCancelled(f"crawl stopping: {request.url}")))
    if count:
        crawler.stats.inc_value("consentcrawl/shutdown_cancelled", count)
        crawler.signals.send_catch_log(signal=requests_cancelled, count=count)
    return count


class PromptShutdown:
    """Extension: once the engine stops running, keep the downloader queues empty."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.loop: Any = None
        self.announced = False
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PromptShutdown:
        return cls(crawler)

    def engine_started(self) -> None:
        from twisted.internet import task

        self.loop = task.LoopingCall(self.tick)
        self.loop.start(DRAIN_SECONDS, now=False)

    def tick(self) -> None:
        engine = self.crawler.engine
        if engine is None or engine.running:
            return
        count = cancel_queued_requests(self.crawler)
        if count and not self.announced:
            self.announced = True
            logger.info(
                "shutting down: %d queued request(s) dropped (held back by Crawl-delay or per-host "
                "limits); with JOBDIR a resumed crawl fetches them",
                count,
            )

    def spider_closed(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()


def recheck_closing_after_items(crawler: Crawler) -> None:
    polling = False

    def check() -> None:
        nonlocal polling
        scraper = getattr(crawler.engine, "scraper", None)
        slot = getattr(scraper, "slot", None)
        closing = getattr(slot, "closing", None)
        if slot is None or closing is None or closing.called:
            polling = False
            return
        if slot.is_idle():
            polling = False
            closing.callback(crawler.spider)
            return
        call_later(RECHECK_SECONDS, check)

    def item_finished(*args: Any, **kwargs: Any) -> None:
        # The scraper lowers its count of items in flight only after this signal's handlers:
        # check a moment later, and again until the close goes on.
        nonlocal polling
        if polling:
            return
        polling = True
        call_later(RECHECK_SECONDS, check)

    for signal in (signals.item_scraped, signals.item_error, signals.item_dropped):
        crawler.signals.connect(item_finished, signal=signal, weak=False)
