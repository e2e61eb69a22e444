"""Quality pipeline: ``quality:*`` reasons for junk rows (trackers, icons, placeholders, ...).

Runs after every consent pipeline, so a row excluded for quality still carries all of its
consent evidence, exactly as with ``QUALITY=off``; the reasons it adds are never consent facts.
The filters and thresholds are in ``crawler.quality.filters``.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.quality.filters import QualityFilter, QualityInput, quality_config


class QualityPipeline:
    def __init__(self, crawler: Crawler) -> None:
        config = quality_config(crawler.settings)
        if not config.filters:
            raise NotConfigured("QUALITY is off")
        self.filter = QualityFilter(config)
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> QualityPipeline:
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        if item.get("type") != "page":
            return item
        for candidate in item["candidates"]:
            if "placeholder" not in candidate:
                continue  # not an extracted candidate (regenerate rows): nothing to judge by
            reasons = self.filter.reasons(
                QualityInput(
                    url=candidate["url"],
                    caption=candidate["caption"] or "",
                    width=candidate.get("width"),
                    height=candidate.get("height"),
                    placeholder=candidate["placeholder"],
                    same_url_captions=candidate.get("same_url_captions", 1),
                )
            )
            for reason in reasons:
                self.stats.inc_value(f"consentcrawl/{reason.replace(':', '/', 1)}")
            candidate["reasons"].extend(reasons)
        return item
