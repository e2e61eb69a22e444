"""W3C TDMRep: ``/.well-known/tdmrep.json``, ``tdm-reservation`` headers and HTML meta.

Precedence (TDMRep "Precedence"): file < header < meta; an absent value never resets an earlier
one and a value other than 0/1 is a protocol error that leaves it. The page is decided from its
host's file, its response headers and its meta tags; an image from its host's file and (when
probed) its own response headers, after the probe. A file cut at the download cap is read from
its first bytes; an unreadable one excludes under the strict policy (``UNREADABLE_EXCLUDES``).
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from crawler.consent.tdmrep import TdmRepFile, tdmrep_from_fetch, tdmrep_signal
from crawler.consentdocs import DocumentKind, size_capped_fetch
from pipelines.base import SignalPipeline

TDM_PATH = "/.well-known/tdmrep.json"


def _parse(
    origin: str, status: int | None, body: bytes | None, error: str | None
) -> TdmRepFile | None:
    status, body, truncated = size_capped_fetch(status, body, error)
    return tdmrep_from_fetch(status, body, origin + TDM_PATH, truncated=truncated)


class _TdmRepPipeline(SignalPipeline):
    families = ("tdmrep",)

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.register(DocumentKind("tdmrep", TDM_PATH, _parse))


class TdmRepPagePipeline(_TdmRepPipeline):
    """The page's TDMRep verdict; also fetches the image hosts' files for the image step."""

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        _candidates, pages, files = await self.item_documents("tdmrep", item)
        for page in pages:
            # Headers and meta exist only for a fetched page (the item's own).
            fetched = page.item is not None
            headers = item["headers"] if fetched else None
            meta = item["meta"] if fetched else None
            signal = tdmrep_signal(
                page.url,
                files[page.origin],
                headers,
                meta,
                page.url,
                unreadable_excludes=self.policy.unreadable_excludes,
            )
            page.add([signal])
        return item


class TdmRepImagePipeline(_TdmRepPipeline):
    """Each image's TDMRep verdict: its host's file, overridden by its own headers if probed."""

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        candidates = [c for c in item["candidates"] if c["origin"]]  # None: unusable URL
        if not candidates:
            return item
        files = await self.documents("tdmrep", {c["origin"] for c in candidates})
        for candidate in candidates:
            probe = candidate.get("probe")
            headers = probe.headers if probe is not None and probe.status else None
            url = candidate["url"]
            candidate["signals"].append(
                tdmrep_signal(
                    url,
                    files[candidate["origin"]],
                    headers,
                    None,
                    url,
                    unreadable_excludes=self.policy.unreadable_excludes,
                )
            )
        return item
