"""Caption pipeline: a candidate without alt text is excluded as ``caption:missing``."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class CaptionPipeline:
    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("CAPTION_REQUIRED"):
            raise NotConfigured("CAPTION_REQUIRED is off")
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptionPipeline:
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        if item.get("type") == "page":
            for candidate in item["candidates"]:
                if not candidate["caption"]:
                    candidate["reasons"].append("caption:missing")
        return item
