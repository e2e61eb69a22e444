"""The SSRF guard's Scrapy plumbing: no request reaches what is not the public web.

Two checks, because a URL names a host and a connection reaches an address:

- ``AddressGuardMiddleware`` (a downloader middleware that runs first) refuses every request
  whose URL names a non-public address, however it is spelled (crawler/netguard.py), or
  ``localhost``. Every request passes through it: pages, consent documents, image probes and
  every redirect hop (Scrapy hands a redirect's new request through all downloader middlewares
  again, for ``engine.download_async`` too).
- ``GuardedResolver`` (``TWISTED_DNS_RESOLVER``) checks the address a name resolves to, at
  connection time: Twisted connects to exactly the address the resolver returned, so a name
  that resolves to 10.0.0.1 (DNS rebinding included) is refused before any byte is sent.

With a proxy configured, the proxy is contacted as configured (its own name is not checked) and
resolves the target's name itself: the target's literal host is still checked by the middleware.
``ALLOWED_NETWORKS`` opens chosen ranges (intranet crawls).
"""

from __future__ import annotations

import ipaddress
import logging
import sys
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.resolver import CachingThreadedResolver
from scrapy.settings import BaseSettings
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.error import DNSLookupError

from crawler.middlewares import ConsentIgnoreRequest
from crawler.netguard import AddressPolicy, Refusal
from crawler.proxyenv import ProxyEnv
from crawler.urls import split_http_url

logger = logging.getLogger(__name__)

# Schemes that reach no host (Scrapy answers them locally from the URL itself).
_LOCAL_SCHEMES = ("data",)


class AddressRefused(ConsentIgnoreRequest):
    """A request whose target is not the public web; ``reasons`` is ``["address:non-public"]``
    (or ``["input:invalid-url"]`` for a URL no connection could be made from)."""

    def __init__(self, url: str, refusal: Refusal) -> None:
        super().__init__(url, [refusal.reason])
        self.refusal = refusal

    def __str__(self) -> str:
        return f"{self.url[:200]}: {self.refusal} ({self.refusal.reason})"


class NonPublicAddressError(DNSLookupError):
    """A name resolved to a non-public address: the connection is not made.

    A DNSLookupError, because that is what Twisted's resolution path expects of a resolver (it
    logs anything else as a critical error); its ``reasons`` give the row's reason.
    """

    def __init__(self, name: str, why: str) -> None:
        super().__init__(why)
        self.name = name
        self.why = why
        self.reasons = ["address:non-public"]

    def __str__(self) -> str:
        return f"{self.why} (address:non-public)"


def address_policy(settings: BaseSettings) -> AddressPolicy:
    """The ``ALLOWED_NETWORKS`` policy (raises ValueError naming a malformed CIDR)."""
    return AddressPolicy.from_cidrs(settings.getlist("ALLOWED_NETWORKS"))


def request_refusal(url: str, policy: AddressPolicy) -> Refusal | None:
    """Why a request for ``url`` must not be made, or None."""
    parsed = split_http_url(url)
    if parsed is None:
        scheme = url.partition(":")[0].lower()
        if scheme in _LOCAL_SCHEMES:
            return None
        if scheme in ("http", "https"):
            return Refusal(url[:200], "not a usable URL", "input:invalid-url")
        return Refusal(f"{scheme}:", "a scheme that is not the web")
    if parsed.address is not None:
        return policy.address_refusal(parsed.address)
    return policy.host_refusal(parsed.host)


def _proxy_hosts() -> set[str]:
    """Host names of the proxies configured in the environment (contacted as configured)."""
    hosts = set()
    for url in urllib.request.getproxies().values():
        try:
            host = urlsplit(url if "://" in url else f"http://{url}").hostname
        except ValueError:
            continue
        if host:
            hosts.add(host.lower())
    return hosts


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing names that resolve to a non-public address."""

    def __init__(self, reactor: Any, cache_size: int, timeout: float, policy: AddressPolicy):
        super().__init__(reactor, cache_size, timeout)
        self.policy = policy
        self.proxy_hosts = _proxy_hosts()

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedResolver:
        # ``crawler`` is the CrawlerProcess here (Scrapy builds the resolver per process); the
        # middleware hands it the crawl's own policy (config file included) when it starts.
        settings = crawler.settings
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        try:
            policy = address_policy(settings)
        except ValueError:
            policy = AddressPolicy()  # reported by the middleware, which stops the crawl
        return cls(reactor, cache_size, settings.getfloat("DNS_TIMEOUT"), policy)

    def getHostByName(self, name: str, timeout: Any = ()) -> Any:
        d = super().getHostByName(name, timeout)
        d.addCallback(self._checked, name)
        return d

    def _checked(self, address: str, name: str) -> str:
        if name.lower() in self.proxy_hosts:
            return address
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            raise NonPublicAddressError(name, f"{name} resolved to {address!r}, not an address")
        refusal = self.policy.address_refusal(ip)
        if refusal is not None:
            raise NonPublicAddressError(name, f"{name} resolves to {refusal}")
        return address


class AddressGuardMiddleware:
    """Refuse requests for non-public targets (``address:non-public``) before anything else."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.policy = address_policy(crawler.settings)
        self.resolver = self._install_policy(self.policy)
        # Read once (urllib's proxy_bypass re-reads the whole environment on every call).
        self.env_proxies = (
            ProxyEnv.from_environ()
            if crawler.settings.getbool("HTTPPROXY_ENABLED")
            else ProxyEnv({}, {})
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        return cls(crawler)

    @staticmethod
    def _install_policy(policy: AddressPolicy) -> GuardedResolver | None:
        # The crawl's reactor is installed by now; never install one as a side effect here.
        reactor = sys.modules.get("twisted.internet.reactor")
        resolver = getattr(reactor, "resolver", None)
        if isinstance(resolver, GuardedResolver):
            resolver.policy = policy
            return resolver
        logger.warning(
            "TWISTED_DNS_RESOLVER is not crawler.guard.GuardedResolver: names are not checked "
            "at connection time, so a name resolving to a private address can be fetched"
        )
        return None

    async def process_request(self, request: Request) -> None:
        refusal = request_refusal(request.url, self.policy)
        if refusal is not None:
            self._refuse(request, refusal)
        proxy = request.meta.get("proxy")
        if proxy and self.resolver is not None:
            # A proxy set per request is contacted as configured, like one from the env.
            host = urlsplit(proxy if "://" in proxy else f"http://{proxy}").hostname
            if host:
                self.resolver.proxy_hosts.add(host.lower())
        parsed = split_http_url(request.url)
        if parsed is None or parsed.address is not None or self.resolver is None:
            return None
        if proxy or self._env_proxied(parsed.scheme, parsed.host):
            return None  # the proxy resolves the name: only its literal host could be checked
        # Resolve now (the answer is cached for the connection, and checked again there), so
        # that a name pointing inside is refused as such, before its robots.txt is asked for.
        try:
            await maybe_deferred_to_future(self.resolver.getHostByName(parsed.host))
        except NonPublicAddressError as exc:
            self._refuse(request, Refusal(parsed.host, exc.why.partition(" resolves to ")[2]))
        except Exception:
            return None  # a lookup failure is the download's to report (fetch:dns)
        return None

    def _env_proxied(self, scheme: str, host: str) -> bool:
        return self.env_proxies.proxied(scheme, host)

    def _refuse(self, request: Request, refusal: Refusal) -> None:
        self.crawler.stats.inc_value(f"consentcrawl/requests_refused/{refusal.reason}")
        logger.debug("refused %s: %s", request.url, refusal)
        raise AddressRefused(request.url, refusal)
