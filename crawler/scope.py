"""Crawl scope: which hosts the spider may follow links to (pure, no Scrapy).

By default a link is followed only within the registered domains of the seeds (eTLD+1 from
tldextract's bundled Public Suffix List snapshot, private suffixes included so that
``alice.github.io`` and ``bob.github.io`` are different sites). A host with no public suffix
(an IP address, ``localhost``, a ``.test`` name) is its own scope.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import tldextract


@cache
def _extract() -> tldextract.TLDExtract:
    """The extractor, built at first use: importing tldextract (it pulls in ``requests``)
    costs ~0.17 s, and every ``scrapy`` command loads this module with the images spider."""
    import tldextract

    # suffix_list_urls=() and cache_dir=None: the bundled snapshot only, no network, no disk
    # cache.
    return tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
    )


@cache
def scope_key(host: str) -> str:
    """The registered domain of ``host``, or the host itself when it has no public suffix."""
    host = host.lower().rstrip(".")
    parts = _extract()(host)
    if not parts.suffix or not parts.domain:
        return host
    return f"{parts.domain}.{parts.suffix}"


def psl_snapshot_id() -> str:
    """Identify the Public Suffix List snapshot in use (for the manifest)."""
    import tldextract

    path = Path(tldextract.__file__).with_name(".tld_set_snapshot")
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        digest = "unknown"
    return f"tldextract-{tldextract.__version__}-snapshot-sha256:{digest}"


def _matches(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


class Scope:
    """Decides whether a URL is inside the crawl."""

    def __init__(
        self,
        seed_urls: Iterable[str],
        allowed_domains: Iterable[str] = (),
        denied_domains: Iterable[str] = (),
    ) -> None:
        self.keys = {scope_key(h) for h in (urlsplit(u).hostname for u in seed_urls) if h}
        self.allowed = tuple(d.lower().strip(".") for d in allowed_domains if d.strip())
        self.denied = tuple(d.lower().strip(".") for d in denied_domains if d.strip())
        self._host_cache: dict[str, bool] = {}

    def allows_host(self, host: str) -> bool:
        verdict = self._host_cache.get(host)
        if verdict is None:
            verdict = self._decide(host)
            self._host_cache[host] = verdict
        return verdict

    def _decide(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        if any(_matches(host, d) for d in self.denied):
            return False
        if scope_key(host) in self.keys:
            return True
        return any(_matches(host, d) for d in self.allowed)

    def allows(self, url: str) -> bool:
        if not url.startswith(("http://", "https://")):
            return False
        try:
            host = urlsplit(url).hostname
        except ValueError:
            return False
        return host is not None and host != "" and self.allows_host(host)
