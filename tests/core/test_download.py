"""The HTTP(S) download handler's pool (issue 16): through a proxy every request shares one pool
key, so the pool must keep as many idle connections per key as requests can be in flight."""

from __future__ import annotations

import pytest
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.utils.misc import load_object

from crawler import settings as project_settings
from crawler.download import PooledHTTPDownloadHandler, persistent_per_key
from crawler.pooledhttp import PooledHTTP11DownloadHandler
from tests.support.cli import python_json


@pytest.mark.parametrize(
    ("concurrent", "per_domain", "expected"),
    [(32, 8, 32), (16, 16, 16), (4, 8, 8), (1, 1, 1), (0, 0, 1)],
)
def test_persistent_per_key(concurrent: int, per_domain: int, expected: int) -> None:
    assert persistent_per_key(concurrent, per_domain) == expected


def test_project_wires_the_handler_for_http_and_https() -> None:
    for scheme in ("http", "https"):
        handler = load_object(project_settings.DOWNLOAD_HANDLERS[scheme])
        assert handler is PooledHTTPDownloadHandler
        assert handler.lazy is True  # Scrapy builds it at the first request of its scheme
    assert issubclass(PooledHTTP11DownloadHandler, HTTP11DownloadHandler)


# Run in a child: building the handler installs a Twisted reactor, which this test process must
# not get (other tests choose their own).
_POOL_SIZES = """
import json, sys
from scrapy.utils.reactor import install_reactor
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.settings import Settings
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy.utils.test import get_crawler
from crawler import settings as project
settings = Settings()
settings.setmodule(project, priority="project")
settings.set("CONCURRENT_REQUESTS", int(sys.argv[1]))
settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", int(sys.argv[2]))
crawler = get_crawler(settings_dict=settings.copy_to_dict())
handler = build_from_crawler(load_object(settings.getdict("DOWNLOAD_HANDLERS")["http"]), crawler)
plain = build_from_crawler(HTTP11DownloadHandler, crawler)
print(json.dumps([handler._pool.persistent, handler._pool.maxPersistentPerHost,
                  plain._pool.maxPersistentPerHost, type(handler).__name__]))
"""


@pytest.mark.parametrize(("concurrent", "per_domain"), [(32, 8), (8, 8), (4, 16)])
def test_pool_keeps_a_connection_per_request_in_flight(concurrent: int, per_domain: int) -> None:
    persistent, ours, scrapys, built = python_json(_POOL_SIZES, str(concurrent), str(per_domain))
    assert built == "PooledHTTP11DownloadHandler"
    assert persistent
    assert ours == max(concurrent, per_domain)
    # Scrapy's own handler keeps only the per-domain figure (what this class is for).
    assert scrapys == per_domain


# The engine's download handlers, built as a crawl builds them, then asked for http: Scrapy's
# HTTP/1.1 handler (and its TLS modules, ~0.1 s) is imported then, not before.
_LAZY = """
import json, sys
from scrapy.utils.reactor import install_reactor
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
from scrapy.core.downloader.handlers import DownloadHandlers
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from crawler import settings as project
settings = Settings()
settings.setmodule(project, priority="project")
handlers = DownloadHandlers(get_crawler(settings_dict=settings.copy_to_dict()))
before = "scrapy.core.downloader.handlers.http11" in sys.modules
handler = handlers._get_handler("http")
after = "scrapy.core.downloader.handlers.http11" in sys.modules
print(json.dumps([before, after, type(handler).__name__]))
"""


def test_the_http_handler_is_imported_at_the_first_request() -> None:
    assert python_json(_LAZY) == [False, True, "PooledHTTP11DownloadHandler"]
