"""Scrapy's HTTP/1.1 handler with a connection pool sized for a proxy (why: crawler/download.py,
which loads this module at the first http(s) request)."""

from __future__ import annotations

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler

from crawler.download import persistent_per_key

__all__ = ["PooledHTTP11DownloadHandler"]


class PooledHTTP11DownloadHandler(HTTP11DownloadHandler):
    """``HTTP11DownloadHandler`` whose pool keeps up to CONCURRENT_REQUESTS idle connections per
    key (built by ``crawler.download.PooledHTTPDownloadHandler``)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self._pool.maxPersistentPerHost = persistent_per_key(
            settings.getint("CONCURRENT_REQUESTS"),
            settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
        )
