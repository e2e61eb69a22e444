"""The response headers that carry consent or licence signals, and only those."""

from __future__ import annotations

from scrapy.http import Response

SIGNAL_HEADERS = (
    b"x-robots-tag",
    b"robots-tag",  # draft-illyes-repext: the unprefixed X-Robots-Tag
    b"tdm-reservation",
    b"tdm-policy",
    b"content-usage",
    b"content-signal",
    b"link",
    b"content-type",
    b"www-authenticate",  # RSL's licence-required response: 401 with a License challenge
)


def signal_headers(response: Response) -> dict[str, list[str]]:
    """Lower-cased header name -> every value (headers may repeat: X-Robots-Tag often does)."""
    out: dict[str, list[str]] = {}
    headers = response.headers
    for name in SIGNAL_HEADERS:
        values = headers.getlist(name)
        if values:
            out[name.decode()] = [v.decode("latin-1") for v in values]
    return out
