"""``Link: <url>; rel="license"`` on an image response (RFC 8288): image-scoped evidence."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urljoin

from crawler.licenses.detect import LicenseEvidence
from crawler.licenses.spdx import normalize_license

# One link-value: <target> followed by ;-separated params, up to the next top-level comma.
_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+(?:=\s*(?:\"[^\"]*\"|[^;,]*))?)*)")
_REL = re.compile(r";\s*rel\s*=\s*(?:\"([^\"]*)\"|([^;,\s]+))", re.IGNORECASE)


def license_links(header_values: Iterable[str], base_url: str) -> list[str]:
    """Target URLs of every ``rel=license`` link in the headers (rel is a token list)."""
    out: list[str] = []
    for value in header_values:
        for match in _LINK.finditer(value):
            rel = _REL.search(match.group(2) or "")
            if rel is None:
                continue
            rels = (rel.group(1) or rel.group(2) or "").lower().split()
            if "license" in rels:
                target = match.group(1).strip()
                try:
                    out.append(urljoin(base_url, target))
                except ValueError:  # e.g. <http://[::1>: keep the text as the evidence said it
                    out.append(target)
    return out


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
