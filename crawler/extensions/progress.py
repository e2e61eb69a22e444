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
from scrapy.utils.asyncio import call_later
from twisted.internet import task

from crawler.consentdocs import consent_document_fetched
from crawler.regen.progress import format_duration
from crawler.report.progress import CrawlSnapshot, HostBacklog, format_progress, slowest_hosts

logger = logging.getLogger(__name__)


def backlog(crawler: Crawler) -> tuple[int, list[HostBacklog]]:
    """Requests waiting (scheduler + downloader) and each downloader slot's queue and delay."""
    stats = crawler.stats
    hosts: list[HostBacklog] = []
    in_downloader = 0
    try:
        engine = crawler.engine
    except RuntimeError:  # not started yet (Scrapy 2.19 raises instead of returning None)
        engine = None
    downloader = getattr(engine, "downloader", None)
    for key, slot in list(getattr(downloader, "slots", {}).items()):
        queued = len(slot.queue)
        in_downloader += queued + len(slot.active)
        hosts.append(HostBacklog(key, queued, float(slot.delay), slot.concurrency))
    scheduled = (stats.get_value("scheduler/enqueued", 0) or 0) - (
        stats.get_value("scheduler/dequeued", 0) or 0
    )
    return max(scheduled, 0) + in_downloader, hosts


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
        # Every consent document, whichever path fetched it (some skip Scrapy's downloader).
        crawler.signals.connect(self.document_fetched, signal=consent_document_fetched)

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
            return  # counted by document_fetched
        if request.meta.get("consent_probe"):
            self.probes += 1
        else:
            self.pages += 1

    def document_fetched(self, document: Any) -> None:
        self.documents += 1

    def snapshot(self) -> CrawlSnapshot:
        stats = self.crawler.stats
        queued, hosts = backlog(self.crawler)
        return CrawlSnapshot(
            elapsed=time.monotonic() - self.started,
            pages=self.pages,
            queued=queued,
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


class ShutdownNotice:
    """On the first Ctrl-C, say what the graceful stop waits for and how to force it.

    Scrapy's graceful stop lets every request already in the downloader finish, including
    those queued behind a long Crawl-delay: without a word, that looks like a hang. The notice
    names the requests in flight and the hosts holding them. Scrapy's own handler still runs
    (chained), and a second Ctrl-C still forces the stop.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ShutdownNotice:
        return cls(crawler)

    def engine_started(self) -> None:
        # Scrapy installs its handlers on reactor start-up; chain ours in front of them after.
        call_later(0.2, self._install)

    def _install(self) -> None:
        import signal

        previous = signal.getsignal(signal.SIGINT)
        if not callable(previous):
            return

        def on_sigint(signum: int, frame: Any) -> None:
            from twisted.internet import reactor

            signal.signal(signal.SIGINT, previous)  # a second Ctrl-C goes to Scrapy (force)
            reactor.callFromThread(self.notice)
            previous(signum, frame)

        try:
            signal.signal(signal.SIGINT, on_sigint)
        except ValueError:  # not the main thread (embedded use): nothing to chain
            pass

    def notice(self) -> None:
        queued, hosts = backlog(self.crawler)
        held = slowest_hosts(hosts)
        waiting = f"{queued} request(s) still queued or in flight"
        if held:
            waiting += "; slowest: " + ", ".join(
                f"{h.host} {h.queued} queued"
                + (
                    f" at Crawl-delay {h.delay:g}s (~{format_duration(h.seconds_left)})"
                    if h.delay > 0
                    else ""
                )
                for h in held
            )
        logger.warning(
            "Ctrl-C: stopping gracefully: waiting for %s, then writing the outputs and the "
            "manifest. Press Ctrl-C again to force (rows not yet written are lost).",
            waiting,
        )
