"""``Link: <url>; rel="license"`` on an image response (RFC 8288): image-scoped evidence.

A ``rel=license`` link whose ``type`` is ``application/rsl+xml`` names an RSL licence document
(rslstandard.org/guide/http), read by the rsl consent family: it is never recorded as the
image's licence URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin

from crawler.licenses.detect import LicenseEvidence
from crawler.licenses.spdx import normalize_license

RSL_MEDIA_TYPE = "application/rsl+xml"

# One link-value: <target> followed by ;-separated params, up to the next top-level comma.
_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+(?:=\s*(?:\"[^\"]*\"|[^;,]*))?)*)")
_REL = re.compile(r";\s*rel\s*=\s*(?:\"([^\"]*)\"|([^;,\s]+))", re.IGNORECASE)
_TYPE = re.compile(r";\s*type\s*=\s*(?:\"([^\"]*)\"|([^;,\s]+))", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Link:
    """One link-value: its resolved target, rel tokens (lower-case) and media type (bare)."""

    url: str
    rels: tuple[str, ...]
    type: str  # "application/rsl+xml"; "" when absent


def parse_links(header_values: Iterable[str], base_url: str) -> list[Link]:
    """Every link-value of the ``Link`` field lines that has a ``rel``."""
    out: list[Link] = []
    for value in header_values:
        for match in _LINK.finditer(value):
            params = match.group(2) or ""
            rel = _REL.search(params)
            if rel is None:
                continue
            media = _TYPE.search(params)
            media_type = (media.group(1) or media.group(2) or "") if media else ""
            target = match.group(1).strip()
            try:
                url = urljoin(base_url, target)
            except ValueError:  # e.g. <http://[::1>: keep the text as the evidence said it
                url = target
            out.append(
                Link(
                    url,
                    tuple((rel.group(1) or rel.group(2) or "").lower().split()),
                    media_type.split(";")[0].strip().lower(),
                )
            )
    return out


def license_links(header_values: Iterable[str], base_url: str) -> list[str]:
    """Target URLs of every ``rel=license`` link in the headers (rel is a token list), but
    not RSL licence documents."""
    return [
        link.url
        for link in parse_links(header_values, base_url)
        if "license" in link.rels and link.type != RSL_MEDIA_TYPE
    ]


def link_header_evidence(header_values: Iterable[str], image_url: str) -> list[LicenseEvidence]:
    evidence = []
    for url in license_links(header_values, image_url):
        spdx, norm_url = normalize_license(url)
        evidence.append(
            LicenseEvidence(
                spdx=spdx,
                url=norm_url or url,
                scope="image",
                source="header",
                image_url=image_url,
                raw=url[:300],
            )
        )
    return evidence
