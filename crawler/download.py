"""HTTP(S) download handler: Scrapy's HTTP/1.1 handler with a connection pool sized for a proxy.

Twisted's pool keeps at most ``maxPersistentPerHost`` idle connections per pool key, and Scrapy
sets that to CONCURRENT_REQUESTS_PER_DOMAIN. Without a proxy the key is the target host, whose
requests in flight that setting already bounds. Through a proxy (``http_proxy``) every plain
HTTP request shares one key, the proxy: with CONCURRENT_REQUESTS in flight, every connection
beyond CONCURRENT_REQUESTS_PER_DOMAIN was closed when its response ended and a new one opened
for the next request (331 new connections for 2,269 requests in the bench crawl). Keeping up to
CONCURRENT_REQUESTS idle connections per key reuses them instead; per target host nothing
changes, since no more than CONCURRENT_REQUESTS_PER_DOMAIN are ever busy there.
"""

from __future__ import annotations

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler

__all__ = ["PooledHTTPDownloadHandler", "persistent_per_key"]


def persistent_per_key(concurrent_requests: int, per_domain: int) -> int:
    """Idle connections the pool keeps per key: enough for every request in flight when they
    all share one key (a proxy), never fewer than Scrapy's own per-domain figure."""
    return max(concurrent_requests, per_domain, 1)


class PooledHTTPDownloadHandler(HTTP11DownloadHandler):
    """``HTTP11DownloadHandler`` whose pool keeps up to CONCURRENT_REQUESTS idle connections per
    key (``DOWNLOAD_HANDLERS`` for http and https in crawler.settings)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self._pool.maxPersistentPerHost = persistent_per_key(
            settings.getint("CONCURRENT_REQUESTS"),
            settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
        )
