"""robots.txt for the rows: the image's own host, and AI-crawler tokens on page and image.

The downloader middleware already kept us off pages that robots.txt refuses; an image that the
index merely *records* is never requested, so its host's robots.txt is checked here, on the
image's own origin (a CDN is often another host). Under the strict and standard policies the
AI-crawler tokens are evaluated too: a refusal for any of them is an AI-training opt-out.
"""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy.crawler import Crawler

from crawler.consent.verdict import Decision
from crawler.consentdocs import ConsentDocuments, origin_of


class RobotsPipeline:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.docs = ConsentDocuments.of(crawler)
        self.token = settings.get("ROBOTSTXT_USER_AGENT")
        use_ai_tokens = settings.getbool("ROBOTS_AI_TOKENS_ENABLED") and (
            settings.get("CONSENT_POLICY") != "robots-only"
        )
        self.ai_tokens = tuple(settings.getlist("AI_TOKENS")) if use_ai_tokens else ()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RobotsPipeline:
        return cls(crawler)

    async def rules_for(self, origins: set[str]) -> dict[str, Any]:
        """robots.txt rules of each origin, fetching the missing ones concurrently."""
        found = {o: self.docs.cached("robots", o) for o in origins}
        missing = [o for o, rules in found.items() if rules is None]
        if missing:
            fetched = await asyncio.gather(*(self.docs.get("robots", o) for o in missing))
            found.update(zip(missing, fetched, strict=True))
        return found

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        if item.get("type") != "page" or not item["candidates"]:
            return item
        page_url = item["page_url"]
        page_origin = origin_of(page_url)
        candidates = item["candidates"]
        rules = await self.rules_for({page_origin} | {origin_of(c["url"]) for c in candidates})
        if self.ai_tokens:
            item["page_signals"].extend(
                rules[page_origin].ai_token_signals(page_url, self.token, self.ai_tokens)
            )
        token, ai_tokens = self.token, self.ai_tokens
        for candidate in candidates:
            url = candidate["url"]
            host_rules = rules[origin_of(url)]
            signal = host_rules.check(url, token)
            candidate["signals"].append(signal)
            if ai_tokens and signal.decision is not Decision.DISALLOW:
                candidate["signals"].extend(host_rules.ai_token_signals(url, token, ai_tokens))
        return item
