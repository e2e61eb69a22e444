"""Downloader middleware: robots.txt for every request the crawler makes (RFC 9309).

Replaces Scrapy's ``RobotsTxtMiddleware``, which fails open. A request whose origin has an
unreachable robots.txt, or whose path robots.txt disallows for our token, never reaches the
network: it is refused with ``ConsentIgnoreRequest`` carrying the reason, which the spider's
errback records as an excluded page. ``Crawl-delay`` becomes the minimum delay of the host's
downloader slot.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from crawler.consent.verdict import Decision, Signal
from crawler.consentdocs import ConsentDocuments, origin_of

logger = logging.getLogger(__name__)


class ConsentIgnoreRequest(IgnoreRequest):
    """A request refused for consent reasons (``reasons`` are ``family:detail`` strings).

    ``signals`` are the evidence behind the reasons (the robots.txt URL and the matched rule or
    the error), recorded in the excluded page row's ``consent`` column.
    """

    def __init__(self, url: str, reasons: list[str], signals: Sequence[Signal] = ()) -> None:
        super().__init__(f"{url}: {', '.join(reasons)}")
        self.url = url
        self.reasons = reasons
        self.signals = list(signals)


def refusal_signals(exc: BaseException) -> list[Signal]:
    """The evidence of a consent refusal (``[]`` for any other failure)."""
    return list(exc.signals) if isinstance(exc, ConsentIgnoreRequest) else []


class ConsentRobotsMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.docs = ConsentDocuments.of(crawler)
        self.token = crawler.settings.get("ROBOTSTXT_USER_AGENT")
        self._delayed_slots: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConsentRobotsMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        if request.meta.get("consent_document") == "robots":
            return None  # robots.txt itself (and its redirects) is always fetchable
        if not request.url.startswith(("http://", "https://")):
            return None  # data: and file: URLs reach no host: RFC 9309 has nothing to say
        origin = origin_of(request.url)
        rules = self.docs.cached("robots", origin)
        if rules is None:
            rules = await self.docs.get("robots", origin)
        verdict = rules.check(request.url, self.token)
        if verdict.decision is Decision.DISALLOW:
            reason = verdict.reason or "robots:disallowed"
            self.crawler.stats.inc_value(f"consent/requests_refused/{reason}")
            raise ConsentIgnoreRequest(request.url, [reason], [verdict])
        delay = rules.crawl_delay(self.token)
        if delay:
            self._apply_crawl_delay(request, delay)
        return None

    def _apply_crawl_delay(self, request: Request, delay: float) -> None:
        """Make the host's downloader slot wait at least ``delay`` seconds between requests."""
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        if self._delayed_slots.get(key) == delay and key in downloader.slots:
            return
        # Bound absurd values (a site saying Crawl-delay: 86400 would stall the crawl forever).
        delay = min(float(delay), self.crawler.settings.getfloat("CRAWL_DELAY_MAX", 60.0))
        delay = max(delay, downloader.slots[key].delay if key in downloader.slots else 0.0)
        # per_slot_settings also governs slots re-created after Scrapy's idle-slot cleanup.
        downloader.per_slot_settings[key] = {
            **downloader.per_slot_settings.get(key, {}),
            "delay": delay,
            "jitter": 0,
        }
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay, slot.jitter = delay, 0.0
        self._delayed_slots[key] = delay
        logger.debug("Crawl-delay %.2fs applied to %s", delay, key)
