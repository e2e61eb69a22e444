"""Quality pipeline: ``quality:*`` reasons for junk rows (trackers, icons, placeholders, ...).

Runs after every consent pipeline, so a row excluded for quality still carries all of its
consent evidence, exactly as with ``QUALITY=off``; the reasons it adds are never consent facts.
The filters and thresholds are in ``crawler.quality.filters``.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.quality.filters import QualityConfig, QualityFilter, QualityInput
from crawler.quality.trackers import TRACKER_HOSTS


def quality_config(settings: Any) -> QualityConfig:
    """The ``QUALITY*`` settings as a config (ValueError naming the bad setting)."""
    return QualityConfig.preset(
        settings.get("QUALITY") or "off",
        enable=settings.getlist("QUALITY_ENABLE"),
        disable=settings.getlist("QUALITY_DISABLE"),
        small_max_px=settings.getint("QUALITY_SMALL_MAX_PX"),
        pixel_max_px=settings.getint("QUALITY_PIXEL_MAX_PX"),
        placeholder_repeats=settings.getint("QUALITY_PLACEHOLDER_REPEATS"),
        caption_min_chars=settings.getint("QUALITY_CAPTION_MIN_CHARS"),
        caption_max_chars=settings.getint("QUALITY_CAPTION_MAX_CHARS"),
        tracker_hosts=(*TRACKER_HOSTS, *settings.getlist("QUALITY_TRACKER_HOSTS")),
    )


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
