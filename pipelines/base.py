"""The item contract shared by the consent engine (pipelines.consent), the probe and the writers.

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

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from crawler.consent.verdict import Decision, Signal


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
