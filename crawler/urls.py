"""URLs, parsed once and defensively, and origins (RFC 9309 §2.4). Pure, no Scrapy.

Every URL the crawler acts on (an ``<img src>``, a link, a redirect target, a row of a
regeneration input) is split here once. A URL that cannot be used (bad port, unclosed IPv6
bracket, a host no browser would accept) gives ``None`` instead of an exception: the caller makes
it one excluded row (``input:invalid-url``) and nothing else changes.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from crawler.netguard import InvalidHost, IPAddress, parse_host

_DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 8192


@dataclass(frozen=True, slots=True)
class HttpUrl:
    """An http(s) URL the crawler can request: its parts, checked."""

    url: str
    scheme: str
    host: str  # lower-cased; an IP literal in canonical form (IPv6 without brackets)
    port: int | None
    address: IPAddress | None  # the host as an address, however it was spelled

    @property
    def origin(self) -> str:
        return origin_from(self.scheme, self.host, self.port)


def origin_from(scheme: str, host: str, port: int | None) -> str:
    """scheme://host[:port], lower-cased, with the scheme's default port dropped.

    An IPv6 host is bracketed (RFC 3986 §3.2.2): ``http://[::1]``, never ``http://::1``.
    """
    scheme, host = scheme.lower(), host.lower()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    if port is None or _DEFAULT_PORTS.get(scheme) == port:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def split_http_url(url: object) -> HttpUrl | None:
    """The parts of an http(s) URL with a usable host and port, else None (never raises)."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        return None
    if "\n" in url or "\r" in url or "\t" in url or "\x00" in url:
        return None
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            return None
        hostname = parts.hostname
        port_text = _port_text(parts.netloc)
    except ValueError:  # unclosed IPv6 bracket, and the like
        return None
    if not hostname or port_text is None:
        return None
    port = None
    if port_text:
        if not port_text.isascii() or not port_text.isdigit() or len(port_text) > 5:
            return None
        port = int(port_text)
        if not 0 < port <= 65535:
            return None
    parsed = _host(hostname, "[" in parts.netloc.rpartition("@")[2])
    if parsed is None:
        return None
    if isinstance(parsed, str):
        return HttpUrl(url, scheme, hostname, port, None)
    return HttpUrl(url, scheme, str(parsed), port, parsed)


@lru_cache(maxsize=8192)
def _host(hostname: str, bracketed: bool) -> IPAddress | str | None:
    """The parsed host (cached: a page names a few hosts many times), None if unusable."""
    try:
        parsed = parse_host(f"[{hostname}]" if bracketed else hostname)
    except InvalidHost:
        return None
    if bracketed != isinstance(parsed, ipaddress.IPv6Address):
        return None  # an IPv6 address must be bracketed, and only an IPv6 address may be
    return parsed


def _port_text(netloc: str) -> str | None:
    """The port as written ("" if none), or None when the authority is malformed."""
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        end = hostport.find("]")
        if end == -1:
            return None
        rest = hostport[end + 1 :]
        if rest and not rest.startswith(":"):
            return None
        return rest[1:]
    return hostport.partition(":")[2]


def safe_origin(url: object) -> str | None:
    """The origin of ``url``, or None if it is not a usable http(s) URL."""
    parsed = split_http_url(url)
    return parsed.origin if parsed is not None else None


def origin_of(url: str) -> str:
    """The origin of ``url`` (raises ValueError if it is not a usable http(s) URL)."""
    parsed = split_http_url(url)
    if parsed is None:
        raise ValueError(f"not a usable http(s) URL: {str(url)[:200]!r}")
    return parsed.origin
