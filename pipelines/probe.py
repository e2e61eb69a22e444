"""Image probe pipeline: fetch each still-kept image's own response headers (and first bytes).

Runs after every check that needs no request to the image (pipelines.consent.
ConsentBeforeProbePipeline: robots.txt, ai.txt, page signals), so
only candidates that are still in the index are probed: one HEAD each by default. A probe that
fails leaves the image unverified: the strict policy excludes it (``probe:failed``), the standard
policy keeps it with an ``unknown`` record. HTTP 402 (pay-per-crawl) means not permitted
(``probe:payment-required``). With ``IMAGE_PROBE=off`` every row records that image headers were
not checked.
"""

from __future__ import annotations

import asyncio

from scrapy.crawler import Crawler

from crawler.consent.probe import probe_signal
from crawler.consent.verdict import Signal
from crawler.policyrt import policy_of
from crawler.probe import ImageProber, ProbeResult
from crawler.records import Item, PageItem
from pipelines.base import refused

NOT_CHECKED = Signal.unknown("probe", "", "not checked (IMAGE_PROBE=off)")


class ProbePipeline:
    """Between the consent engine's two phases (pipelines.consent)."""

    def __init__(self, crawler: Crawler) -> None:
        self.policy = policy_of(crawler)
        self.mode = self.policy.probe
        self.prober = ImageProber.of(crawler, self.mode) if self.mode != "off" else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProbePipeline:
        return cls(crawler)

    async def process_item(self, item: Item) -> Item:
        if not isinstance(item, PageItem) or not item.candidates:
            return item
        candidates = item.candidates
        if self.prober is None:
            for candidate in candidates:
                candidate.signals.append(NOT_CHECKED)
            return item
        if refused(item.page_signals):
            return item  # every row of this page is excluded already: spare the image hosts
        todo = [c for c in candidates if not c.refused()]
        if not todo:
            return item
        prober = self.prober
        results = await asyncio.gather(*(prober.probe(c.url) for c in todo))
        for candidate, result in zip(todo, results, strict=True):
            candidate.probe = result
            candidate.signals.append(self.verdict(result))
        return item

    def verdict(self, result: ProbeResult) -> Signal:
        policy = self.policy
        return probe_signal(
            result.url,
            result.method,
            result.status,
            result.error,
            result.refused,
            payment_required_refuses=policy.enabled("payment-required"),
            failure_excludes=policy.probe_failure_excludes,
        )
