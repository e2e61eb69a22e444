"""HTTP(S) download handler: Scrapy's HTTP/1.1 handler with a connection pool sized for a proxy.

Twisted's pool keeps at most ``maxPersistentPerHost`` idle connections per pool key, and Scrapy
sets that to CONCURRENT_REQUESTS_PER_DOMAIN. Without a proxy the key is the target host, whose
requests in flight that setting already bounds. Through a proxy (``http_proxy``) every plain
HTTP request shares one key, the proxy: with CONCURRENT_REQUESTS in flight, every connection
beyond CONCURRENT_REQUESTS_PER_DOMAIN was closed when its response ended and a new one opened
for the next request (331 new connections for 2,269 requests in the bench crawl). Keeping up to
CONCURRENT_REQUESTS idle connections per key reuses them instead; per target host nothing
changes, since no more than CONCURRENT_REQUESTS_PER_DOMAIN are ever busy there.

Scrapy loads a handler that is not ``lazy`` when the engine starts; importing its HTTP/1.1
handler costs ~0.1 s (its TLS modules call ``inspect.stack()`` at import), which a regeneration
whose consent documents take the direct path (crawler/directdocs.py) may never need. So the
class named in ``DOWNLOAD_HANDLERS`` is a lazy one, and the handler itself
(``crawler.pooledhttp``) is imported at the first http(s) request Scrapy downloads.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

__all__ = ["PooledHTTPDownloadHandler", "persistent_per_key"]


def persistent_per_key(concurrent_requests: int, per_domain: int) -> int:
    """Idle connections the pool keeps per key: enough for every request in flight when they
    all share one key (a proxy), never fewer than Scrapy's own per-domain figure."""
    return max(concurrent_requests, per_domain, 1)


class PooledHTTPDownloadHandler:
    """``DOWNLOAD_HANDLERS`` for http and https (crawler.settings): builds
    ``crawler.pooledhttp.PooledHTTP11DownloadHandler`` when Scrapy first needs it."""

    lazy = True  # loaded at the first request of its scheme, not at start-up

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        from crawler.pooledhttp import PooledHTTP11DownloadHandler

        return PooledHTTP11DownloadHandler.from_crawler(crawler)
