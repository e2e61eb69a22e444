"""The floor of ``make bench``: Scrapy's own cost per page on the bench web (issue 16).

The same pages as the other runs (every ``<a href>`` followed with ``response.follow`` within the
seeds' hosts, Scrapy's ``ROBOTSTXT_OBEY``), and nothing else: no extraction, no items, no feed.
consentcrawl's pages/s as a fraction of this spider's is how close it is to its engine's limit.
Run like the baseline, from a directory without ``scrapy.cfg``:

    scrapy runspider bench/floor.py -a seeds=FILE
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from bench.baseline import BaselineSpider


class FloorSpider(BaselineSpider):
    name = "floor"

    def parse(self, response: Response) -> Iterator[Any]:
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, callback=self.parse)
