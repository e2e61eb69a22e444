"""Origins: the cache key of every per-host consent document (RFC 9309 §2.4). Pure, no Scrapy."""

from __future__ import annotations

from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_from(scheme: str, host: str, port: int | None) -> str:
    """scheme://host[:port], lower-cased, with the scheme's default port dropped."""
    scheme, host = scheme.lower(), host.lower()
    if port is None or _DEFAULT_PORTS.get(scheme) == port:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def origin_of(url: str) -> str:
    """The origin of ``url`` (raises ValueError on a malformed port)."""
    parts = urlsplit(url)
    return origin_from(parts.scheme, parts.hostname or "", parts.port)
