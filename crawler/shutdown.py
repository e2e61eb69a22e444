"""Scrapy plumbing for a prompt, complete shutdown.

Scrapy 2.19's scraper checks whether it may finish closing only when a *response* finishes.
Items yielded from ``start()`` (every item of ``scrapy regenerate``) that are still in the
pipelines when the close begins (Ctrl-C, a write error) then finish unnoticed, and the close
waits for ever. ``recheck_closing_after_items`` repeats that check while the close waits.
"""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

RECHECK_SECONDS = 0.1


def recheck_closing_after_items(crawler: Crawler) -> None:
    from twisted.internet import reactor  # the installed one (asyncio), not a default

    polling = False

    def check() -> None:
        nonlocal polling
        scraper = getattr(crawler.engine, "scraper", None)
        slot = getattr(scraper, "slot", None)
        closing = getattr(slot, "closing", None)
        if closing is None or closing.called:
            polling = False
            return
        if slot.is_idle():
            polling = False
            closing.callback(crawler.spider)
            return
        reactor.callLater(RECHECK_SECONDS, check)  # type: ignore[attr-defined]

    def item_finished(*args: Any, **kwargs: Any) -> None:
        # The scraper lowers its count of items in flight only after this signal's handlers:
        # check a moment later, and again until the close goes on.
        nonlocal polling
        if polling:
            return
        polling = True
        reactor.callLater(RECHECK_SECONDS, check)  # type: ignore[attr-defined]

    for signal in (signals.item_scraped, signals.item_error, signals.item_dropped):
        crawler.signals.connect(item_finished, signal=signal, weak=False)
