"""The crawl's live progress line, in place of Scrapy's LogStats (see crawler.report.progress).

On a terminal: one line on stderr rewritten every ``CRAWL_PROGRESS_INTERVAL`` seconds. Not a
terminal (CI, ``| tee``, a log file): an INFO log line every ``CRAWL_PROGRESS_LOG_INTERVAL``.
Counts come from the crawl's stats and signals; the per-host backlog from the downloader's
slots (their queue and delay, which the robots middleware sets from Crawl-delay).
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler.report.progress import CrawlSnapshot, HostBacklog, format_progress

logger = logging.getLogger(__name__)


class CrawlProgress:
    def __init__(self, crawler: Crawler, stream: Any = None) -> None:
        settings = crawler.settings
        if not settings.getbool("CRAWL_PROGRESS"):
            raise NotConfigured
        self.crawler = crawler
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = (
            settings.getfloat("CRAWL_PROGRESS_INTERVAL")
            if self.tty
            else settings.getfloat("CRAWL_PROGRESS_LOG_INTERVAL")
        )
        self.pages = self.documents = self.probes = 0
        self.loop: task.LoopingCall | None = None
        self.started = time.monotonic()
        self.active = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.response_received, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        # `scrapy regenerate` has its own row-based line; `scrapy consent` fetches one row.
        if spider.name != "images" or self.interval <= 0:
            return
        self.active = True
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval, now=False)

    def response_received(self, response: Any, request: Any, spider: Any) -> None:
        if request.meta.get("consent_document"):
            self.documents += 1
        elif request.meta.get("consent_probe"):
            self.probes += 1
        else:
            self.pages += 1

    def snapshot(self) -> CrawlSnapshot:
        stats = self.crawler.stats
        engine = self.crawler.engine
        hosts: list[HostBacklog] = []
        in_downloader = 0
        downloader = getattr(engine, "downloader", None)
        for key, slot in list(getattr(downloader, "slots", {}).items()):
            queued = len(slot.queue)
            in_downloader += queued + len(slot.active)
            hosts.append(HostBacklog(key, queued, float(slot.delay), slot.concurrency))
        scheduled = (stats.get_value("scheduler/enqueued", 0) or 0) - (
            stats.get_value("scheduler/dequeued", 0) or 0
        )
        return CrawlSnapshot(
            elapsed=time.monotonic() - self.started,
            pages=self.pages,
            queued=max(scheduled, 0) + in_downloader,
            kept=stats.get_value("consentcrawl/live/kept_rows", 0) or 0,
            excluded=stats.get_value("consentcrawl/live/excluded_rows", 0) or 0,
            documents=self.documents,
            probes=self.probes,
            hosts=hosts,
        )

    def report(self) -> None:
        line = format_progress(self.snapshot())
        if self.tty:
            self.stream.write("\r" + line + "\x1b[K")
            self.stream.flush()
        else:
            logger.info("progress: %s", line)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if not self.active:
            return
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.tty:
            self.stream.write("\r" + format_progress(self.snapshot()) + "\x1b[K\n")
            self.stream.flush()
        else:
            logger.info("progress (final): %s", format_progress(self.snapshot()))
