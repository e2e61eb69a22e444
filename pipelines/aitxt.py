"""Spawning ai.txt on the page host and on the image host (consent-signals.md §3).

ai.txt is meant to be read where the media is downloaded, so each image is checked against its
own host's file, and the page against the page host's (the caption is mined from the page).
4xx/5xx/unreachable: no signal.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from crawler.consent.aitxt import AiTxt, aitxt_from_fetch
from crawler.consentdocs import DocumentKind
from pipelines.base import SignalPipeline


class AiTxtPipeline(SignalPipeline):
    families = ("aitxt",)

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        token = self.token

        def parse(origin: str, status: int | None, body: bytes | None, _error: str | None) -> AiTxt:
            return aitxt_from_fetch(status, body, origin + "/ai.txt", token)

        self.register(DocumentKind("aitxt", "/ai.txt", parse))

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        candidates, pages, files = await self.item_documents("aitxt", item)
        for page in pages:
            page.add([files[page.origin].check(page.url)])
        for candidate in candidates:
            candidate["signals"].append(files[candidate["origin"]].check(candidate["url"]))
        return item
