"""Item pipeline: rows carry the recorded time of the exchange they came from.

Under capture (``WARC_ENABLED``) and in a replay, the capture middleware and the replay handler
note each page's WARC-Date on the crawl's clock. This pipeline, first in line, sets a page
item's ``fetched_at`` to that time, so the original and its replay write the same value. A page
refused without a request of its own (robots.txt) takes the time its robots.txt was fetched: the
time of the evidence it was decided on. Without capture or replay nothing was noted and items
keep the time their spider gave them.
"""

from __future__ import annotations

from scrapy.crawler import Crawler

from crawler.clock import Clock, clock_of
from crawler.consentdocs import ConsentDocuments, origin_of
from crawler.records import ExcludedPage, Item, PageItem


class ArchiveTimePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.clock: Clock = clock_of(crawler)
        self.docs = ConsentDocuments.of(crawler)
        settings = crawler.settings
        self.enabled = settings.getbool("WARC_ENABLED") or bool(settings.get("REPLAY_ARCHIVE"))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveTimePipeline:
        return cls(crawler)

    def process_item(self, item: Item) -> Item:
        if not self.enabled or not isinstance(item, PageItem | ExcludedPage):
            return item
        url = item.url
        if url is None:
            return item
        when = self.clock.take_exchange_time(url)
        if when is None and isinstance(item, ExcludedPage):
            when = self.docs.fetched_time("robots", origin_of(url))
        if when is not None:
            item.fetched_at = when
        return item
