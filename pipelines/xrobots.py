"""X-Robots-Tag headers and ``<meta name="robots">``: ``noai``, ``noimageai`` (and, under the
strict policy, ``noindex``, ``noimageindex``, ``none``) on the page or on the image's response.
"""

from __future__ import annotations

from typing import Any

from crawler.consent.xrobots import meta_robots_signals, xrobots_signals
from pipelines.base import SignalPipeline


class XRobotsPagePipeline(SignalPipeline):
    families = ("xrobots", "meta-robots")

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        page_url = item.get("page_url")
        if not item["candidates"] or not page_url or item.get("page_origin") is None:
            return item
        strict = self.policy.noindex_excludes
        common = {"our_token": self.token, "ai_tokens": self.ai_tokens, "strict": strict}
        if self.on("xrobots"):
            values = item["headers"].get("x-robots-tag", [])
            item["page_signals"].extend(
                xrobots_signals(values, source=f"header:{page_url}", **common)
            )
        if self.on("meta-robots"):
            item["page_signals"].extend(
                meta_robots_signals(item["meta"], source=f"meta:{page_url}", **common)
            )
        return item


class XRobotsImagePipeline(SignalPipeline):
    families = ("xrobots",)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        strict = self.policy.noindex_excludes
        for candidate in item["candidates"]:
            probe = candidate.get("probe")
            if probe is None or not probe.status:
                continue
            candidate["signals"].extend(
                xrobots_signals(
                    probe.headers.get("x-robots-tag", []),
                    our_token=self.token,
                    ai_tokens=self.ai_tokens,
                    strict=strict,
                    source=f"header:{candidate['url']}",
                )
            )
        return item
