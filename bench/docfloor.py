"""The document floor of ``make bench``'s regeneration (issue 16): Scrapy's own cost of fetching
the consent documents a regeneration of the bench parquet fetches (robots.txt, ai.txt and
tdmrep.json of every image and page origin), with nothing else: no parsing, no items.

A regeneration's fixed cost cannot go below this while its documents go through Scrapy's
downloader. Run like the baseline, from a directory without ``scrapy.cfg``:

    scrapy runspider bench/docfloor.py -a urls=FILE
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure


class DocumentFloorSpider(scrapy.Spider):
    name = "docfloor"
    custom_settings = {
        "ROBOTSTXT_OBEY": False,  # the documents are the requests themselves
        "REMOTE_CONTROL_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "LOG_LEVEL": "WARNING",
    }

    def __init__(self, urls: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        text = Path(urls).read_text(encoding="utf-8") if urls else ""
        self.urls = [line.strip() for line in text.splitlines() if line.strip()]

    async def start(self) -> AsyncIterator[Any]:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, errback=self.failed, dont_filter=True)

    def parse(self, response: Response) -> None:
        return None

    def failed(self, failure: Failure) -> None:
        return None
