"""The item contract shared by the consent engine (pipelines.consent), the probe and the writers.

Items are crawler.records types. A pipeline only appends evidence (``signals``, ``reasons``);
the writer decides: a candidate with any reason or any disallowing signal (its own or its
page's) is excluded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from crawler.consent.verdict import Decision, Signal
from crawler.records import CandidateRow, PageItem


@dataclass(slots=True)
class PageGroup:
    """Candidates that share one page, and where that page's signals go."""

    url: str
    origin: str
    candidates: list[CandidateRow]
    item: PageItem | None  # the item whose page it is; None for rows with their own page

    @property
    def fetched(self) -> bool:
        """Whether the page itself was fetched (so robots.txt already allowed it, in the
        middleware, and its headers and meta are the item's)."""
        return self.item is not None and self.item.fetched

    def add(self, signals: Iterable[Signal]) -> None:
        if self.item is not None:
            self.item.page_signals.extend(signals)
            return
        signals = list(signals)
        for candidate in self.candidates:
            candidate.signals.extend(signals)


def page_groups(item: PageItem) -> list[PageGroup]:
    """The pages whose documents apply to the item's rows.

    A page item with an origin is one group (its signals are the item's ``page_signals``). Rows
    that carry their own ``page_url`` (``scrapy regenerate`` with a page column) form one group
    per distinct page, so one item can carry rows of many pages and still get per-page answers.
    """
    if item.url and item.origin:
        return [PageGroup(item.url, item.origin, item.candidates, item)]
    groups: dict[str, list[CandidateRow]] = {}
    for candidate in item.candidates:
        # A row whose own URL is unusable is not checked at all (``input:invalid-url``), whatever
        # other rows share its item: its page is not checked for it either.
        if candidate.page_url and candidate.page_origin and candidate.origin:
            groups.setdefault(candidate.page_url, []).append(candidate)
    return [PageGroup(url, rows[0].page_origin or "", rows, None) for url, rows in groups.items()]


def refused(signals: Iterable[Signal]) -> bool:
    return any(s.decision is Decision.DISALLOW for s in signals)
