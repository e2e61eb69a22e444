"""The baseline of ``make bench``: the idiomatic Scrapy spider users compare consentcrawl with.

One item per ``<img>`` (src, alt), every ``<a href>`` followed with ``response.follow`` within the
seeds' hosts, Scrapy's own ``ROBOTSTXT_OBEY``, items to JSON lines. It uses Scrapy's defaults,
not consentcrawl's settings: run it with ``scrapy runspider`` from a directory without
``scrapy.cfg`` (bench.run does), and pass the shared knobs with ``-s``.

    scrapy runspider bench/baseline.py -a seeds=FILE -O items.jsonl
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response


class BaselineSpider(scrapy.Spider):
    name = "baseline"
    custom_settings = {
        "ROBOTSTXT_OBEY": True,
        "REMOTE_CONTROL_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "LOG_LEVEL": "WARNING",
    }

    def __init__(self, seeds: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if seeds and Path(seeds).is_file():
            text = Path(seeds).read_text(encoding="utf-8")
            urls = [line.strip() for line in text.splitlines()]
        else:
            urls = seeds.split(",")
        self.start_urls = [u for u in urls if u and not u.startswith("#")]
        self.allowed_domains = sorted({urlsplit(u).hostname or "" for u in self.start_urls})

    def parse(self, response: Response) -> Iterator[Any]:
        for img in response.css("img"):
            src = img.attrib.get("src")
            if src:
                yield {
                    "page": response.url,
                    "src": response.urljoin(src),
                    "alt": img.attrib.get("alt", ""),
                }
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, callback=self.parse)
