"""robots.txt for the rows: the image's own host, and AI-crawler tokens on page and image.

The downloader middleware already kept us off pages that robots.txt refuses; an image that the
index merely *records* is never requested, so its host's robots.txt is checked here, on the
image's own origin (a CDN is often another host). Under the strict and standard policies the
AI-crawler tokens are evaluated too (a refusal for any of them is an AI-training opt-out), and
so are the records protego drops (``Content-Usage``, ``Content-Signal``, the legacy
``DisallowAITraining:`` of draft-canel-robots-ai-control), in RobotsRecordsPipeline.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from crawler.consent.verdict import Decision
from pipelines.base import SignalPipeline


class RobotsPipeline(SignalPipeline):
    """Crawl permission for our token on each image's host, and AI-token refusals."""

    families = ()  # robots.txt for our token is never switched off

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.use_ai_tokens = self.policy.enabled("robots-ai-tokens")

    def _ai_tokens(self, rules: Any, url: str) -> list:
        if not self.use_ai_tokens:
            return []
        return rules.ai_token_signals(url, self.token, self.ai_tokens)

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        candidates, pages, rules = await self.item_documents("robots", item)
        token = self.token
        for page in pages:
            page_rules = rules[page.origin]
            # The page host's verdict goes into every row's evidence, also when the middleware
            # already let the page through (an allow then) and when the image sits on another
            # host. A page known only by its URL (regenerate without --fetch-pages) was never
            # seen by the middleware, so this is also its crawl-permission check.
            page.add([page_rules.check(page.url, token)])
            page.add(self._ai_tokens(page_rules, page.url))
        for candidate in candidates:
            url = candidate["url"]
            host_rules = rules[candidate["origin"]]
            signal = host_rules.check(url, token)
            candidate["signals"].append(signal)
            if signal.decision is not Decision.DISALLOW:
                candidate["signals"].extend(self._ai_tokens(host_rules, url))
        return item


# robots.txt record family -> the policy switch that governs it.
RECORD_SWITCHES = {
    "aipref": "aipref",
    "content-signal": "content-signal",
    "robots": "disallow-ai-training",
}


class RobotsRecordsPipeline(SignalPipeline):
    """The robots.txt records protego drops, for page and image paths, in one pass per URL:
    AIPREF ``Content-Usage``, Cloudflare ``Content-Signal`` and legacy ``DisallowAITraining``.
    """

    families = tuple(RECORD_SWITCHES.values())

    def _records(self, rules: Any, url: str) -> list:
        active = self.active
        return [
            s
            for s in rules.extension_signals(url, self.record_tokens)
            if RECORD_SWITCHES[s.family] in active
        ]

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        candidates, pages, rules = await self.item_documents("robots", item)
        self.record_tokens = (self.token, *self.ai_tokens)
        for page in pages:
            page.add(self._records(rules[page.origin], page.url))
        for candidate in candidates:
            candidate["signals"].extend(self._records(rules[candidate["origin"]], candidate["url"]))
        return item
