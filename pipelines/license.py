"""Licence evidence, choice and (optional) filter for every row (consent-signals.md §7).

Evidence comes from the page (rel=license, JSON-LD, microdata, RDFa, meta hints: detected once
per page on the tree the spider already parsed) and from the image's own probe (Link header;
XMP in the first bytes with ``IMAGE_PROBE=range``; its IPTC ``plus:DataMining`` opt-out is the
``iptc`` family's, crawler/consent/iptc.py). The row gets the best licence, image evidence
first. A licence never overrides an opt-out: the filter only adds ``license:*`` reasons, it
never removes any.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.licenses.choose import LicenseChoice, LicenseFilter, choose_license
from crawler.licenses.detect import LicenseFindings, detect_licenses
from crawler.licenses.linkheader import link_header_evidence
from crawler.licenses.xmp import scan_xmp, xmp_evidence
from crawler.records import Item, PageItem

EMPTY = LicenseFindings()
NO_LICENSE = LicenseChoice()


class LicensePipeline:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("LICENSE_DETECTION_ENABLED"):
            raise NotConfigured("LICENSE_DETECTION_ENABLED is off")
        self.scope = settings.get("LICENSE_SCOPE") or "any"
        self.filter = LicenseFilter.from_settings(settings.get("LICENSE_ALLOW") or "", self.scope)
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LicensePipeline:
        return cls(crawler)

    def process_item(self, item: Item) -> Item:
        if not isinstance(item, PageItem) or not item.candidates:
            return item
        candidates = item.candidates
        findings = EMPTY
        if item.root is not None and item.url is not None:
            findings = detect_licenses(item.root, item.url, [c.url for c in candidates])
        for candidate in candidates:
            url = candidate.url
            image_ev, page_ev = findings.for_image(url) if findings is not EMPTY else ([], [])
            probe = candidate.probe
            if probe is not None:
                if "link" in probe.headers:
                    image_ev = [*link_header_evidence(probe.headers["link"], url), *image_ev]
                if probe.body:
                    xmp = scan_xmp(probe.body)
                    if xmp is not None:
                        image_ev = [*xmp_evidence(xmp, url), *image_ev]
            # LICENSE_SCOPE decides what counts for the filter (LicenseFilter.check), not which
            # licence the row records: the page licence stays in the columns under scope=image.
            # Most rows have no evidence at all: nothing to choose.
            choice = choose_license(image_ev, page_ev) if image_ev or page_ev else NO_LICENSE
            candidate.license_choice = choice
            if self.filter.active:
                reason = self.filter.check(choice)
                if reason:
                    candidate.reasons.append(reason)
        return item
