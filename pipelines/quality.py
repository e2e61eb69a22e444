"""Quality pipeline: ``quality:*`` reasons for junk rows (trackers, icons, placeholders, ...).

Runs after every consent pipeline, so a row excluded for quality still carries all of its
consent evidence, exactly as with ``QUALITY=off``; the reasons it adds are never consent facts.
The filters and thresholds are in ``crawler.quality.filters``.
"""

from __future__ import annotations

from collections import Counter

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.quality.filters import QualityFilter, QualityInput, quality_config
from crawler.records import Item, PageItem


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

    def process_item(self, item: Item) -> Item:
        if not isinstance(item, PageItem):
            return item
        counts: Counter[str] = Counter()
        for candidate in item.candidates:
            extracted = candidate.extracted
            if extracted is None:
                continue  # not an extracted candidate (regenerate rows): nothing to judge by
            reasons = self.filter.reasons(
                QualityInput(
                    url=candidate.url,
                    caption=candidate.caption or "",
                    width=extracted.width,
                    height=extracted.height,
                    placeholder=extracted.placeholder,
                    same_url_captions=extracted.same_url_captions,
                )
            )
            counts.update(reasons)
            candidate.reasons.extend(reasons)
        # Stats once per item and reason (Scrapy's stats cost ~2 us a call; the same totals).
        for reason, n in counts.items():
            self.stats.inc_value(f"consentcrawl/{reason.replace(':', '/', 1)}", n)
        return item
