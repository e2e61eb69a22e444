"""Keeps the processed items in memory: ``scrapy consent`` reads its one row from here."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler


class CollectPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.items: list[dict[str, Any]] = []
        crawler._collected_items = self.items  # type: ignore[attr-defined]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CollectPipeline:
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        item.pop("root", None)
        self.items.append(item)
        return item
