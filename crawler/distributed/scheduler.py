"""Scrapy scheduler over the shared Redis frontier (``SCHEDULER`` when ``REDIS_URL`` is set).

Why our own components on redis-py rather than scrapy-redis (design notes in the README):
scrapy-redis pickles requests by default and its JSON serializer fails on ``bytes`` in Scrapy
2.19 requests; it loses a killed worker's in-flight requests (popped = gone); and its one
shared queue lets every worker hit every host, so per-host politeness becomes N x the limit.
Here a request crosses Redis as JSON (``codec``); each host is owned by one worker at a time
(``frontier``), so Scrapy's per-host slot, DOWNLOAD_DELAY and Crawl-delay are the only door to
the host; popped requests stay in the worker's claimed ledger until its output is on disk.

Dedupe: a request the spider marks as a new URL (seeds and links, ``DEDUPE_META``) and a
redirect's new target are claimed in the shared seen-set and queued in one Lua step, so a
claimed URL is always in the frontier; if another worker claimed it first the request is
dropped (a redirect to such a URL: the page is fetched by whoever claimed it, as a single
process parses it once).
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import urlsplit

from redis.exceptions import RedisError
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider, NotConfigured
from scrapy.utils.request import request_from_dict

from crawler.distributed import CLAIMED_META, DEDUPE_META, codec
from crawler.distributed.connection import (
    REDIS_ERRORS_STAT,
    REDIS_UNREACHABLE,
    Distributed,
    distributed_of,
)

logger = logging.getLogger(__name__)


def host_of(url: str) -> str:
    """The partition key: Scrapy's downloader slot key is the host name."""
    return (urlsplit(url).hostname or "").lower()


class RedisScheduler:
    def __init__(self, crawler: Crawler, dist: Distributed) -> None:
        self.crawler = crawler
        self.dist = dist
        self.frontier = dist.frontier()
        self.seen = dist.seen_set()
        self.per_host = max(1, crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"))
        self.idle_exit = crawler.settings.getfloat("IDLE_EXIT_SECONDS")
        self.spider: Spider | None = None
        self._idle = False
        self._idle_since: float | None = None
        self._redis_down_since: float | None = None
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        self._rr = 0
        crawler.signals.connect(self.on_spider_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisScheduler:
        dist = distributed_of(crawler.settings)
        if dist is None:
            raise NotConfigured("RedisScheduler needs REDIS_URL")
        return cls(crawler, dist)

    # --- lifecycle
    def open(self, spider: Spider) -> None:
        self.spider = spider
        try:
            # A restart under the same WORKER_ID: the earlier run's claims and hosts go back.
            requeued = self.frontier.requeue_own()
            if requeued:
                logger.warning("requeued %d requests an earlier run of this worker left", requeued)
            self.frontier.heartbeat(idle=False)
            requeued = self.frontier.reclaim_dead()
            if requeued:
                logger.warning("requeued %d requests of dead workers", requeued)
        except RedisError:
            self._redis_failed()  # gone since the preflight: the idle handler stops the worker
        self._beat = threading.Thread(target=self._heartbeat_loop, daemon=True)
        self._beat.start()
        logger.info("worker %s joined the frontier %s", self.dist.worker, self.dist.prefix)

    def close(self, reason: str) -> None:
        # Called after the item pipelines closed: the writer has acknowledged every request
        # whose rows are in a part file. What is still claimed has no rows on disk (dropped by
        # Ctrl-C, abandoned after a write error): it goes back to the frontier, never acked.
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout=10)
        try:
            requeued = self.frontier.requeue_own()
        except RedisError:
            logger.error("could not leave the frontier: Redis unreachable; claims not handed back")
            self.crawler.stats.inc_value(REDIS_ERRORS_STAT)
            return
        if requeued:
            self.crawler.stats.set_value("distributed/requeued_at_close", requeued)
            logger.warning("handed %d claimed requests without rows back to the frontier", requeued)
        logger.info("worker %s left the frontier (%s)", self.dist.worker, reason)

    def _heartbeat_loop(self) -> None:
        interval = max(0.2, self.dist.worker_timeout / 5)
        frontier = self.dist.frontier()  # its own client: never shares a socket across threads
        while not self._stop.wait(interval):
            try:
                frontier.heartbeat(idle=self._idle)
                requeued = frontier.reclaim_dead()
                if requeued:
                    logger.warning("requeued %d requests of dead workers", requeued)
            except RedisError as exc:  # a Redis hiccup must not kill the heartbeat for good
                logger.error("heartbeat to Redis failed: %s", exc)
            except Exception:
                logger.exception("heartbeat to Redis failed")

    # --- queueing
    def has_pending_requests(self) -> bool:
        # Work in Redis that we may claim is polled by next_request (engine heartbeat); saying
        # False here lets the engine reach spider_idle, where the exit rule is applied.
        return False

    def enqueue_request(self, request: Request) -> bool:
        try:
            return self._enqueue(request)
        except RedisError:
            # Raising here would wedge Scrapy's scraper; the request is lost with the frontier
            # and the worker closes as "redis_unreachable" (see on_spider_idle).
            self._redis_failed()
            self.crawler.stats.inc_value("distributed/enqueue_failed")
            return False

    def _enqueue(self, request: Request) -> bool:
        stats = self.crawler.stats
        # A new URL (a link or seed the spider marked, or a redirect's new target) is claimed in
        # the seen-set and queued in one atomic step; retries and redirect loops are queued as
        # they are (a single process would make them too).
        redirected: list[str] = request.meta.get("redirect_urls") or []
        retry = bool(request.meta.get("retry_times"))
        new_target = bool(redirected) and request.url not in (redirected or ()) and not retry
        dedupe = new_target or (request.meta.get(DEDUPE_META) and not redirected and not retry)
        data = request.to_dict(spider=self.spider)
        meta, dropped = codec.json_safe(dict(data.get("meta") or {}))
        meta.pop(CLAIMED_META, None)
        for name in dropped:
            stats.inc_value(f"distributed/meta_dropped/{name}")
        cb_kwargs, dropped_kwargs = codec.json_safe(dict(data.get("cb_kwargs") or {}))
        if dropped_kwargs:
            raise ValueError(f"cb_kwargs {dropped_kwargs} cannot cross Redis as JSON")
        host = host_of(request.url)
        record = codec.RequestRecord(
            url=request.url,
            host=host,
            method=request.method,
            headers=[(k, v) for k, values in request.headers.items() for v in values],
            body=request.body,
            meta=meta,
            cb_kwargs=cb_kwargs,
            priority=request.priority,
            dont_filter=request.dont_filter,
            flags=list(request.flags),
            callback=data.get("callback"),
            errback=data.get("errback"),
        )
        entry = codec.encode(record)
        # A retry or a redirect of a claimed request: once the new request is queued (or
        # dropped as another worker's), the old claim has no rows of its own to wait for.
        handed_over = request.meta.get(CLAIMED_META)
        if dedupe:
            frontier = self.frontier
            queue, pending = frontier.queue_key(host), frontier.pending_key
            queued = self.seen.push_if_new(request.url, queue, pending, host, entry)
        else:
            self.frontier.push(host, entry)
            queued = True
        if isinstance(handed_over, str):
            self.frontier.ack([handed_over])
        if not queued:
            stats.inc_value("distributed/duplicates_dropped")
            return False
        stats.inc_value("distributed/enqueued")
        return True

    def next_request(self) -> Request | None:
        try:
            claimed = self._next_entry()
        except RedisError:
            # Nothing can be claimed while Redis is away; the idle handler decides to stop.
            self._redis_failed()
            return None
        if claimed is None:
            return None
        claim_id, entry = claimed
        self._idle = False
        record = codec.decode(entry)
        # The claim id rides with the request to its item; the writer acknowledges it once the
        # item's rows are on disk (crawler.distributed.output.ClaimAcks).
        record.meta[CLAIMED_META] = claim_id
        self.crawler.stats.inc_value("distributed/dequeued")
        headers: dict[bytes, list[bytes]] = {}
        for name, value in record.headers:
            headers.setdefault(name, []).append(value)
        return request_from_dict(
            {
                "url": record.url,
                "method": record.method,
                "headers": headers,
                "body": record.body,
                "meta": record.meta,
                "cb_kwargs": record.cb_kwargs,
                "priority": record.priority,
                "dont_filter": record.dont_filter,
                "flags": record.flags,
                "callback": record.callback,
                "errback": record.errback,
            },
            spider=self.spider,
        )

    def _next_entry(self) -> tuple[str, str] | None:
        frontier = self.frontier
        owned = frontier.owned
        # Round robin over our hosts that have room in their downloader slot.
        for i in range(len(owned)):
            host = owned[(self._rr + i) % len(owned)]
            if self._in_downloader(host) >= self.per_host:
                continue
            entry = frontier.pop_claim(host)
            if entry is not None:
                self._rr = (self._rr + i + 1) % max(1, len(owned))
                return entry
        busy = sum(1 for h in owned if self._in_downloader(h))
        if busy >= frontier.fair_share():
            return None
        for host in frontier.pending_hosts(16):
            if host in owned or not frontier.claim_host(host):
                continue
            self.crawler.stats.inc_value("distributed/hosts_claimed")
            entry = frontier.pop_claim(host)
            if entry is not None:
                return entry
        return None

    def _in_downloader(self, host: str) -> int:
        """Requests in the host's downloader slot (its key is the host name by default)."""
        slot = self.crawler.engine.downloader.slots.get(host)
        return len(slot.active) if slot is not None else 0

    def _redis_failed(self) -> None:
        self.crawler.stats.inc_value(REDIS_ERRORS_STAT)
        if self._redis_down_since is None:
            self._redis_down_since = self._now()
            logger.error("Redis at %s is unreachable", self.dist.url)

    def on_spider_idle(self, **_: Any) -> None:
        """Exit only once the whole crawl has been idle for IDLE_EXIT_SECONDS."""
        self._idle = True
        frontier = self.frontier
        now = self._now()
        try:
            frontier.heartbeat(idle=True)
            frontier.reclaim_dead()
            globally_idle = frontier.globally_idle()
        except RedisError:
            # A worker must not spin forever without its frontier: after the worker timeout it
            # closes (its rows are written; its claims stay unacknowledged in Redis, if Redis
            # comes back, so other workers redo them).
            self._redis_failed()
            assert self._redis_down_since is not None
            if now - self._redis_down_since >= self.dist.worker_timeout:
                logger.error("closing: Redis unreachable for %.0f s", now - self._redis_down_since)
                raise CloseSpider(REDIS_UNREACHABLE)
            raise DontCloseSpider
        self._redis_down_since = None
        if not globally_idle:
            self._idle_since = None
            raise DontCloseSpider
        if self._idle_since is None:
            self._idle_since = now
        if now - self._idle_since < self.idle_exit:
            raise DontCloseSpider

    @staticmethod
    def _now() -> float:
        import time

        return time.monotonic()
