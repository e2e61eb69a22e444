"""IETF AIPREF ``Content-Usage`` and Cloudflare ``Content-Signal`` response headers.

(The same preferences written in robots.txt are read by pipelines.robots.RobotsRecordsPipeline.)

``train-ai=n`` excludes; legacy labels (ai, genai, train-genai, tdm, all, bots = n) count as
``train-ai=n`` (consent-signals.md §5 "Recommend"). Preferences in robots.txt apply only to
crawlable paths; a path robots.txt refuses is excluded by robots already.
"""

from __future__ import annotations

from typing import Any

from crawler.consent.aipref import content_usage_signal
from crawler.consent.contentsignal import content_signal_signal
from pipelines.base import SignalPipeline


class PageHeaderPreferencesPipeline(SignalPipeline):
    """``Content-Usage`` / ``Content-Signal`` response headers of the page."""

    families = ("aipref", "content-signal")

    def signals(self, headers: dict[str, list[str]], source: str) -> list:
        out = []
        if self.on("aipref") and "content-usage" in headers:
            out.append(content_usage_signal(headers["content-usage"], source))
        if self.on("content-signal") and "content-signal" in headers:
            out.append(content_signal_signal(headers["content-signal"], source))
        return out

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        page_url = item.get("page_url")
        if page_url and item.get("headers") and item["candidates"]:
            item["page_signals"].extend(self.signals(item["headers"], f"header:{page_url}"))
        return item


class ImageHeaderPreferencesPipeline(PageHeaderPreferencesPipeline):
    """The same headers on each probed image's own response."""

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        for candidate in item["candidates"]:
            probe = candidate.get("probe")
            if probe is not None and probe.headers:
                candidate["signals"].extend(
                    self.signals(probe.headers, f"header:{candidate['url']}")
                )
        return item
