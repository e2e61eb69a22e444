"""Spawning ai.txt on the page host and on the image host (consent-signals.md §3).

ai.txt is meant to be read where the media is downloaded, so each image is checked against its
own host's file, and the page against the page host's (the caption is mined from the page).
4xx/5xx/unreachable: no signal. A file cut at the download cap is read from its first bytes; an
unreadable one excludes under the strict policy (``UNREADABLE_EXCLUDES``).
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from crawler.consent.aitxt import AiTxt, aitxt_from_fetch
from crawler.consentdocs import DocumentKind, size_capped_fetch
from pipelines.base import SignalPipeline


class AiTxtPipeline(SignalPipeline):
    families = ("aitxt",)

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        token = self.token

        def parse(origin: str, status: int | None, body: bytes | None, error: str | None) -> AiTxt:
            status, body, truncated = size_capped_fetch(status, body, error)
            return aitxt_from_fetch(status, body, origin + "/ai.txt", token, truncated=truncated)

        self.register(DocumentKind("aitxt", "/ai.txt", parse))

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        candidates, pages, files = await self.item_documents("aitxt", item)
        strict = self.policy.unreadable_excludes
        for page in pages:
            page.add([files[page.origin].check(page.url, unreadable_excludes=strict)])
        for candidate in candidates:
            signal = files[candidate["origin"]].check(candidate["url"], unreadable_excludes=strict)
            candidate["signals"].append(signal)
        return item
