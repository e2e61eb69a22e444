"""robots.txt for the rows: the image's own host, and AI-crawler tokens on page and image.

The downloader middleware already kept us off pages that robots.txt refuses; an image that the
index merely *records* is never requested, so its host's robots.txt is checked here, on the
image's own origin (a CDN is often another host). Under the strict and standard policies the
AI-crawler tokens are evaluated too (a refusal for any of them is an AI-training opt-out), and
so are the legacy ``DisallowAITraining:`` rules (draft-canel-robots-ai-control).
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from crawler.consent.verdict import Decision
from pipelines.base import SignalPipeline


class RobotsPipeline(SignalPipeline):
    families = ()  # robots.txt for our token is never switched off

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.use_ai_tokens = self.policy.enabled("robots-ai-tokens")
        self.use_ai_training = self.policy.enabled("disallow-ai-training")
        self.ext_tokens = (self.token, *self.ai_tokens)

    def _extra(self, rules: Any, url: str) -> list:
        out = []
        if self.use_ai_tokens:
            out.extend(rules.ai_token_signals(url, self.token, self.ai_tokens))
        if self.use_ai_training:
            out.extend(
                s for s in rules.extension_signals(url, self.ext_tokens) if s.family == "robots"
            )
        return out

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        candidates, pages, rules = await self.item_documents("robots", item)
        for page in pages:
            page.add(self._extra(rules[page.origin], page.url))
        token = self.token
        for candidate in candidates:
            url = candidate["url"]
            host_rules = rules[candidate["origin"]]
            signal = host_rules.check(url, token)
            candidate["signals"].append(signal)
            if signal.decision is not Decision.DISALLOW:
                candidate["signals"].extend(self._extra(host_rules, url))
        return item
