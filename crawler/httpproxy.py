"""Scrapy's ``HttpProxyMiddleware`` with the proxy environment read once (``crawler.proxyenv``).

Scrapy's middleware already reads the proxy URLs once; only its ``no_proxy`` check
(``urllib.request.proxy_bypass``) re-reads the environment on every request. This subclass
answers that check from the snapshot taken at start; everything else (``meta["proxy"]``,
credentials, ``_scheme_proxy``) is Scrapy's own code. It replaces Scrapy's entry in
``DOWNLOADER_MIDDLEWARES`` (crawler/settings.py), at the same order (750).
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.httpproxy import HttpProxyMiddleware
from scrapy.utils.httpobj import urlparse_cached

from crawler.proxyenv import ProxyEnv

__all__ = ["CachedProxyMiddleware"]


class CachedProxyMiddleware(HttpProxyMiddleware):
    def __init__(self, auth_encoding: str | None = "latin-1") -> None:
        super().__init__(auth_encoding)
        self.env = ProxyEnv.from_environ()

    def process_request(self, request: Request, spider: Any = None) -> None:
        # Scrapy 2.19's process_request, with proxy_bypass(host) answered from the snapshot.
        creds, proxy_url, scheme = None, None, None
        if "proxy" in request.meta:
            if request.meta["proxy"] is not None:
                creds, proxy_url = self._get_proxy(request.meta["proxy"], "")
        elif self.proxies:
            parsed = urlparse_cached(request)
            _scheme = parsed.scheme
            if (
                # 'no_proxy' is only supported by http schemes
                _scheme not in {"http", "https"}
                or (parsed.hostname and not self.env.bypass(parsed.hostname))
            ) and _scheme in self.proxies:
                scheme = _scheme
                creds, proxy_url = self.proxies[scheme]
        self._set_proxy_and_creds(request, proxy_url, creds, scheme)
        return None
