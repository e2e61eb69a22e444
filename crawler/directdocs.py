"""Whether consent documents may take the direct path (crawler.directfetch), and its fetcher.

``CONSENT_DOCUMENTS_DIRECT`` (on by default) lets ``ConsentDocuments`` fetch a document with
the lean client first and ask Scrapy's downloader only when that client declines. It applies
only when the downloader would do nothing to a plain answer but what the client does too:

- the enabled downloader middlewares are the project's known set (a custom middleware, WARC
  capture or anything else that must see every exchange switches it off);
- the http/https download handlers are Scrapy's (a replay's handler switches it off);
- no ``DOWNLOAD_DELAY`` or AutoThrottle (the downloader's per-host pacing);
- a proxy, if any, is plain http without credentials.

https goes direct too unless certificates are verified or TLS versions are pinned
(DOWNLOAD_VERIFY_CERTIFICATES, DOWNLOAD_TLS_MIN_VERSION / MAX, a custom context factory).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response
from scrapy.settings import default_settings
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.directfetch import REDIRECT_CODES, UNREACHED, DirectAnswer, DirectFetcher, Route
from crawler.proxyenv import ProxyEnv
from crawler.urlcolumn import bounded_memo

__all__ = ["DirectDocuments", "direct_documents", "why_not_direct"]

logger = logging.getLogger(__name__)

# The downloader middlewares whose effect on a plain document answer the direct path
# reproduces (or that have none on it: they act on redirects, retries, codings, auth, stats).
KNOWN_DOWNLOADER_MIDDLEWARES = frozenset(
    {
        "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware",  # documents: dont_filter
        "crawler.guard.AddressGuardMiddleware",  # the URL check, and the guarded resolver
        "crawler.middlewares.ConsentRobotsMiddleware",  # documents: dont_obey_robotstxt
        "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware",  # only with http_user
        "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware",
        "scrapy.downloadermiddlewares.defaultheaders.DefaultHeadersMiddleware",
        "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware",
        "scrapy.downloadermiddlewares.retry.RetryMiddleware",
        "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware",
        "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware",
        "scrapy.downloadermiddlewares.redirect.RedirectMiddleware",
        "crawler.httpproxy.CachedProxyMiddleware",
        "scrapy.downloadermiddlewares.stats.DownloaderStats",
    }
)
_HANDLER_PREFIXES = ("scrapy.core.downloader.handlers.http", "crawler.download.")


def _path(obj: Any) -> str:
    if isinstance(obj, str):
        return obj
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def why_not_direct(crawler: Crawler, middlewares: list[Any], proxies: ProxyEnv) -> str | None:
    """Why documents must all go through Scrapy's downloader in this crawl, or None."""
    settings = crawler.settings
    if not settings.getbool("CONSENT_DOCUMENTS_DIRECT"):
        return "CONSENT_DOCUMENTS_DIRECT is off"
    other = sorted({_path(m) for m in middlewares} - KNOWN_DOWNLOADER_MIDDLEWARES)
    if other:
        return "downloader middlewares " + ", ".join(other)
    handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
    for scheme in ("http", "https"):
        handler = handlers.get(scheme)
        if handler is None or not _path(handler).startswith(_HANDLER_PREFIXES):
            return f"the {scheme} download handler is {handler and _path(handler)}"
    if settings.getfloat("DOWNLOAD_DELAY") > 0 or settings.getbool("AUTOTHROTTLE_ENABLED"):
        return "DOWNLOAD_DELAY / AutoThrottle pace requests per host"
    for scheme in ("http", "https"):
        proxy = proxies.proxies.get(scheme)
        if proxy and not _plain_proxy(proxy):
            return f"the {scheme} proxy is not plain http without credentials"
    return None


def _plain_proxy(url: str) -> bool:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    return (
        parts.scheme == "http"
        and not parts.username
        and not parts.password
        and bool(parts.hostname)
    )


def _tls_is_default(settings: Any) -> bool:
    return (
        not settings.getbool("DOWNLOAD_VERIFY_CERTIFICATES")
        and settings.get("DOWNLOAD_TLS_MIN_VERSION") is None
        and settings.get("DOWNLOAD_TLS_MAX_VERSION") is None
        and settings.get("DOWNLOADER_CLIENTCONTEXTFACTORY")
        == default_settings.DOWNLOADER_CLIENTCONTEXTFACTORY
        and settings.get("DOWNLOADER_CLIENT_TLS_METHOD") == "TLS"
    )


class DirectDocuments:
    """The direct path of ``ConsentDocuments``: ``download(request)`` answers a document
    request with a plain ``DirectAnswer``, or with the ``Response`` Scrapy's downloader gives
    once the direct client handed over (see crawler.directfetch for when and how)."""

    def __init__(self, crawler: Crawler, fetcher: DirectFetcher, middlewares: list[Any]) -> None:
        from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
        from scrapy.downloadermiddlewares.retry import RetryMiddleware

        from crawler.guard import address_policy, request_refusal

        self.crawler = crawler
        self.fetcher = fetcher
        policy = address_policy(crawler.settings)
        # The guard's answer depends on the scheme and host only: once per authority.
        self._refused = bounded_memo(lambda head: request_refusal(f"{head}/", policy) is not None)
        self.redirect = next((m for m in middlewares if isinstance(m, RedirectMiddleware)), None)
        self.retry = next((m for m in middlewares if isinstance(m, RetryMiddleware)), None)
        self.retries = crawler.settings.getint("RETRY_TIMES") if self.retry is not None else 0

    async def download(
        self, url: str, make_request: Callable[[], Request], *, paced: bool = False
    ) -> DirectAnswer | Response:
        """``url`` (as Scrapy writes it) answered directly, or by Scrapy's downloader with
        ``make_request()`` (or a request following from it)."""
        engine = self.crawler.engine
        assert engine is not None
        stats = self.crawler.stats
        # Scrapy's path: a host paced by its Crawl-delay (the downloader's slot keeps it), and
        # a URL the address guard refuses (its middleware raises the refusal).
        if paced or self._refused(_scheme_authority(url)):
            return await engine.download_async(make_request())
        outcome = await self.fetcher.fetch(url)
        if isinstance(outcome, DirectAnswer):
            if outcome.plain:
                stats.inc_value("consent/documents_direct")
                return outcome
            stats.inc_value("consent/documents_direct_handed_over")
            request = make_request()
            step = self._next_step(request, outcome)
            if isinstance(step, Request):
                return await engine.download_async(step)
            return step
        if outcome is UNREACHED and self.retries > 0:
            # Scrapy retries what did not answer: its try is the first retry of ours.
            stats.inc_value("consent/documents_direct_handed_over")
            request = make_request()
            retried = request.replace(meta={**request.meta, "retry_times": 1})
            return await engine.download_async(retried)
        stats.inc_value("consent/documents_direct_declined")
        return await engine.download_async(make_request())

    def _next_step(self, request: Request, answer: DirectAnswer) -> Request | Response:
        """What Scrapy's downloader does with a redirect or a retried status: its redirect
        middleware, then its retry middleware (their order in the chain)."""
        response = Response(
            request.url,
            status=answer.status,
            headers=Headers(list(answer.headers)),
            body=answer.body,
            request=request,
        )
        if self.redirect is not None:
            step = self.redirect.process_response(request, response)
            if isinstance(step, Request):
                return step
        if self.retry is not None:
            step = self.retry.process_response(request, response)
            if isinstance(step, Request):
                return step
        return response


def _scheme_authority(url: str) -> str:
    """``scheme://authority`` of an absolute URL."""
    end = url.find("/", url.find("//") + 2)
    return url if end < 0 else url[:end]


def direct_documents(crawler: Crawler, max_body: int) -> DirectDocuments | None:
    """The crawl's direct document path, or None (the reason is logged once)."""
    downloader = getattr(crawler.engine, "downloader", None)
    manager = getattr(downloader, "middleware", None)
    settings = crawler.settings
    proxies = ProxyEnv.from_environ() if settings.getbool("HTTPPROXY_ENABLED") else ProxyEnv({}, {})
    middlewares = list(manager.middlewares) if manager is not None else []
    why = (
        why_not_direct(crawler, middlewares, proxies)
        if manager is not None
        else "the engine has no Scrapy downloader"
    )
    if why is not None:
        logger.info("consent documents: through Scrapy's downloader (%s)", why)
        return None
    https_direct = _tls_is_default(settings)

    def route(scheme: str, host: str) -> Route:
        if scheme == "https" and not https_direct:
            raise ValueError("https documents take Scrapy's downloader here")
        if proxies.proxied(scheme, host):
            parts = urlsplit(_with_scheme(proxies.proxies[scheme]))
            return Route((parts.hostname or "", parts.port or 80))
        return Route(None)

    headers = [(str(k), str(v)) for k, v in settings.getdict("DEFAULT_REQUEST_HEADERS").items()]
    headers = [(k, v) for k, v in headers if k.lower() not in ("accept-encoding", "user-agent")]
    user_agent = settings.get("USER_AGENT")
    if user_agent:
        headers.append(("User-Agent", str(user_agent)))
    headers.append(("Accept-Encoding", "identity"))
    names = {_path(m) for m in middlewares}
    retrying = "scrapy.downloadermiddlewares.retry.RetryMiddleware" in names
    redirecting = "scrapy.downloadermiddlewares.redirect.RedirectMiddleware" in names
    fetcher = DirectFetcher(
        headers=headers,
        timeout=settings.getfloat("DOWNLOAD_TIMEOUT"),
        max_body=max_body,
        retry_codes=frozenset(int(c) for c in settings.getlist("RETRY_HTTP_CODES"))
        if retrying and settings.getint("RETRY_TIMES") > 0
        else frozenset(),
        redirect_codes=REDIRECT_CODES if redirecting else frozenset(),
        route=route,
        resolve=_guarded_resolve(),
        max_idle=max(1, settings.getint("CONCURRENT_REQUESTS")),
    )
    logger.info("consent documents: fetched directly when the answer is plain (HTTP/1.1)")
    return DirectDocuments(crawler, fetcher, middlewares)


def _with_scheme(url: str) -> str:
    return url if "://" in url else f"http://{url}"


def _guarded_resolve() -> Callable[[str], Awaitable[str]]:
    """The reactor's resolver (crawler.guard.GuardedResolver: cached, and refusing a name that
    resolves to a non-public address); without it, direct connections are declined."""
    import sys

    from crawler.guard import GuardedResolver

    reactor = sys.modules.get("twisted.internet.reactor")
    resolver = getattr(reactor, "resolver", None)

    async def resolve(host: str) -> str:
        if not isinstance(resolver, GuardedResolver):
            raise ValueError("no guarded resolver: documents take Scrapy's downloader")
        return str(await maybe_deferred_to_future(resolver.getHostByName(host)))

    return resolve
