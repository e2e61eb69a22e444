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

from crawler.consent.rowchecks import (
    RECORD_SWITCHES,
    image_robots_signals,
    page_robots_signals,
    record_signals,
)
from pipelines.base import SignalPipeline

__all__ = ["RECORD_SWITCHES", "RobotsPipeline", "RobotsRecordsPipeline"]


class RobotsPipeline(SignalPipeline):
    """Crawl permission for our token on each image's host, and AI-token refusals."""

    families = ()  # robots.txt for our token is never switched off

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.use_ai_tokens = self.policy.enabled("robots-ai-tokens")

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        candidates, pages, rules = await self.item_documents("robots", item)
        token = self.token
        ai_tokens = self.ai_tokens if self.use_ai_tokens else None
        for page in pages:
            # The page host's verdict goes into every row's evidence, also when the middleware
            # already let the page through (an allow then) and when the image sits on another
            # host. A page known only by its URL (regenerate without --fetch-pages) was never
            # seen by the middleware, so this is also its crawl-permission check.
            page.add(page_robots_signals(rules[page.origin], page.url, token, ai_tokens))
        for candidate in candidates:
            candidate["signals"].extend(
                image_robots_signals(rules[candidate["origin"]], candidate["url"], token, ai_tokens)
            )
        return item


class RobotsRecordsPipeline(SignalPipeline):
    """The robots.txt records protego drops, for page and image paths, in one pass per URL:
    AIPREF ``Content-Usage``, Cloudflare ``Content-Signal`` and legacy ``DisallowAITraining``.
    """

    families = tuple(RECORD_SWITCHES.values())

    def _records(self, rules: Any, url: str) -> list:
        return record_signals(rules, url, self.record_tokens, self.active)

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        candidates, pages, rules = await self.item_documents("robots", item)
        self.record_tokens = (self.token, *self.ai_tokens)
        for page in pages:
            page.add(self._records(rules[page.origin], page.url))
        for candidate in candidates:
            candidate["signals"].extend(self._records(rules[candidate["origin"]], candidate["url"]))
        return item
