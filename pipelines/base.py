"""What every consent-signal pipeline shares: policy, documents, tokens, and the row state.

The item contract (plain dicts, for speed):

    {"type": "page" | "page-excluded" | <other writers' types>,
     "page_url": str | None,        # None: rows with no page (e.g. regenerate without page_url)
     "page_origin": str | None,     # origin_of(page_url); None skips every page-level check
     "headers": {lower name: [values]},  # the page response's signal headers
     "meta": {lower meta name: [contents]},
     "root": lxml tree | None,      # the parsed page, for licence detection
     "page_signals": [Signal],      # apply to every candidate of the item
     "candidates": [{"url", "origin", "caption", "signals": [Signal], "reasons": [str],
                     ...extraction fields; "probe": ProbeResult after the probe step;
                     license fields after the licence step}]}

A pipeline only appends evidence (``signals``, ``reasons``); the writer decides: a candidate with
any reason or any disallowing signal (its own or its page's) is excluded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.consent.verdict import Decision, Signal
from crawler.consentdocs import ConsentDocuments, DocumentKind
from crawler.policyrt import policy_of


@dataclass(slots=True)
class PageGroup:
    """Candidates that share one page, and where that page's signals go."""

    url: str
    origin: str
    candidates: list[dict[str, Any]]
    item: dict[str, Any] | None  # the item whose page it is; None for rows with their own page

    def add(self, signals: Iterable[Signal]) -> None:
        if self.item is not None:
            self.item["page_signals"].extend(signals)
            return
        signals = list(signals)
        for candidate in self.candidates:
            candidate["signals"].extend(signals)


def page_groups(item: dict[str, Any]) -> list[PageGroup]:
    """The pages whose documents apply to the item's rows.

    A crawled page is one group (its signals are the item's ``page_signals``). Rows that carry
    their own ``page_url`` (``scrapy regenerate`` with a page column) form one group per distinct
    page, so one item can carry rows of many pages and still get per-page answers.
    """
    if item.get("page_origin"):
        return [PageGroup(item["page_url"], item["page_origin"], item["candidates"], item)]
    groups: dict[str, list[dict[str, Any]]] = {}
    for candidate in item["candidates"]:
        # A row whose own URL is unusable is not checked at all (``input:invalid-url``), whatever
        # other rows share its item: its page is not checked for it either.
        if candidate.get("page_origin") and candidate["origin"]:
            groups.setdefault(candidate["page_url"], []).append(candidate)
    return [PageGroup(url, rows[0]["page_origin"], rows, None) for url, rows in groups.items()]


def page_fetched(page: PageGroup) -> bool:
    """Whether the page itself was fetched (so robots.txt already allowed it, in the middleware).

    Crawled pages always are; ``scrapy regenerate`` marks its row items ``page_fetched``.
    """
    return page.item is not None and page.item.get("page_fetched", True)


def refused(signals: Iterable[Signal]) -> bool:
    return any(s.decision is Decision.DISALLOW for s in signals)


def candidate_refused(candidate: dict[str, Any]) -> bool:
    """Already excluded by an earlier step: later, costlier checks can skip it."""
    return bool(candidate["reasons"]) or refused(candidate["signals"])


class SignalPipeline:
    """Base for the pipelines of one family (or a few that share one place of reading)."""

    families: tuple[str, ...] = ()

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.policy = policy_of(crawler)
        self.active = tuple(f for f in self.families if self.policy.enabled(f))
        if self.families and not self.active:
            raise NotConfigured(f"{', '.join(self.families)} switched off by the policy")
        settings = crawler.settings
        self.docs = ConsentDocuments.of(crawler)
        self.token = settings.get("ROBOTSTXT_USER_AGENT")
        self.ai_tokens = tuple(settings.getlist("AI_TOKENS"))
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SignalPipeline:
        return cls(crawler)

    def on(self, family: str) -> bool:
        return family in self.active

    def register(self, kind: DocumentKind) -> None:
        self.docs.register(kind)

    async def item_documents(
        self, kind: str, item: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], list[PageGroup], dict[str, Any]]:
        """The checkable candidates, the pages, and the ``kind`` document of every origin of both.

        Candidates whose ``origin`` is None (an unusable URL) are left out; an empty list means
        there is nothing to check.
        """
        candidates = [c for c in item["candidates"] if c["origin"]]
        if not candidates:
            return candidates, [], {}
        pages = page_groups(item)
        origins = {c["origin"] for c in candidates} | {page.origin for page in pages}
        return candidates, pages, await self.documents(kind, origins)

    async def documents(self, kind: str, origins: Iterable[str]) -> dict[str, Any]:
        """The parsed ``kind`` document of each origin; missing ones fetched concurrently."""
        found: dict[str, Any] = {}
        missing: list[str] = []
        for origin in set(origins):
            doc = self.docs.cached(kind, origin)
            if doc is None:
                missing.append(origin)
            else:
                found[origin] = doc
        if missing:
            fetched = await asyncio.gather(*(self.docs.get(kind, o) for o in missing))
            found.update(zip(missing, fetched, strict=True))
        return found
