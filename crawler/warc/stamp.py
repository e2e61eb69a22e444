"""Item pipeline: rows carry the recorded time of the exchange they came from.

Under capture (``WARC_ENABLED``) and in a replay, the capture middleware and the replay handler
note each page's WARC-Date on the crawl's clock. This pipeline, first in line, sets a page
item's ``fetched_at`` to that time, so the original and its replay write the same value. A page
refused without a request of its own (robots.txt) takes the time its robots.txt was fetched: the
time of the evidence it was decided on. Without capture or replay nothing was noted and items
keep the time their spider gave them.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from crawler.clock import Clock, clock_of
from crawler.consentdocs import ConsentDocuments, origin_of


class ArchiveTimePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.clock: Clock = clock_of(crawler)
        self.docs = ConsentDocuments.of(crawler)
        settings = crawler.settings
        self.enabled = settings.getbool("WARC_ENABLED") or bool(settings.get("REPLAY_ARCHIVE"))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveTimePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not self.enabled or not isinstance(item, dict):
            return item
        url = item.get("page_url")
        if not isinstance(url, str):
            return item
        when = self.clock.take_exchange_time(url)
        if when is None and item.get("type") == "page-excluded":
            when = self.docs.fetched_time("robots", origin_of(url))
        if when is not None:
            item["fetched_at"] = when
        return item
