"""The proxy environment (``http_proxy``, ``https_proxy``, ``no_proxy`` ...), read once.

``urllib.request.proxy_bypass`` re-reads the whole process environment on every call (it builds
``getproxies_environment()`` anew), and Scrapy's ``HttpProxyMiddleware`` calls it for every
request: with a few dozen variables set that is about a tenth of a regeneration's wall time
(issue 16). ``ProxyEnv`` takes the environment once, at start, and answers the same questions
with the standard library's own functions on that snapshot, so the semantics are urllib's:
``no_proxy`` suffixes, ``*``, ports, case; with no proxy variable at all, the platform's own
``proxy_bypass`` (macOS / Windows system settings) is asked, as urllib does.

No Scrapy imports.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["ProxyEnv"]

_BYPASS_MEMO = 4096  # host -> bypass answers kept (hosts repeat across a crawl's requests)


@dataclass(slots=True)
class ProxyEnv:
    """A snapshot of the proxy settings: ``proxies`` is ``urllib.request.getproxies()`` (scheme
    -> proxy URL, plus ``"no"`` for ``no_proxy``); ``environment`` the environment variables'
    part of it (``getproxies_environment()``), from which ``no_proxy`` is read."""

    proxies: Mapping[str, str]
    environment: Mapping[str, str]
    _memo: dict[str, bool] = field(default_factory=dict, repr=False)

    @classmethod
    def from_environ(cls) -> ProxyEnv:
        """The proxy settings of the process now."""
        environment = urllib.request.getproxies_environment()
        return cls(dict(urllib.request.getproxies()), dict(environment))

    def bypass(self, host: str) -> bool:
        """``urllib.request.proxy_bypass(host)`` as of the snapshot: True when ``host`` must be
        reached directly (``no_proxy``)."""
        found = self._memo.get(host)
        if found is None:
            if self.environment:
                # Not in typeshed's stubs, but public and documented in urllib.request.
                bypass_env = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
                found = bool(bypass_env(host, self.environment))
            else:
                # No proxy variable: urllib asks the platform (registry / SystemConfiguration;
                # on Linux this is proxy_bypass_environment again, answering False).
                found = bool(urllib.request.proxy_bypass(host))
            if len(self._memo) >= _BYPASS_MEMO:
                self._memo.clear()
            self._memo[host] = found
        return found

    def proxied(self, scheme: str, host: str) -> bool:
        """Whether a request for ``scheme://host`` goes through a proxy of the environment."""
        return scheme in self.proxies and not self.bypass(host)
