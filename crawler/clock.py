"""One injectable clock for every time the crawl records or decides on.

A live crawl reads the system clock. A replay (``scrapy replay``) reads the archive: the clock
stands at the WARC-Date of the last record served, so ``fetched_at`` and every TTL decision
(consent-document cache expiry) are taken from the recorded crawl, not from today.

``stamp(meta)`` is the time of one exchange: the WARC-Date the capture middleware or the replay
handler put in the request's meta, else "now". Pure module (no Scrapy import).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

__all__ = ["ARCHIVE_DATE", "ArchiveClock", "Clock", "SystemClock", "clock_of", "install_clock"]

# request.meta key holding the WARC-Date (a UTC datetime) of the exchange that answered it.
ARCHIVE_DATE = "archive_date"


class Clock:
    """Wall time for records (``now``) and a monotonic reading for TTLs (``monotonic``).

    Under capture or replay it also remembers when each page URL was last answered (its
    WARC-Date), until the row that needs it takes it (``take_exchange_time``).
    """

    _exchanges: dict[str, datetime] | None = None

    def note_exchange(self, url: str, when: datetime) -> None:
        if self._exchanges is None:
            self._exchanges = {}
        self._exchanges[url] = when

    def take_exchange_time(self, url: str) -> datetime | None:
        return self._exchanges.pop(url, None) if self._exchanges else None

    def now(self) -> datetime:
        raise NotImplementedError

    def monotonic(self) -> float:
        raise NotImplementedError

    def stamp(self, meta: dict[str, Any] | None) -> datetime:
        """When an exchange happened: its recorded WARC-Date, else now."""
        if meta:
            recorded = meta.get(ARCHIVE_DATE)
            if isinstance(recorded, datetime):
                return recorded
        return self.now()


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class ArchiveClock(Clock):
    """Time as recorded: the latest WARC-Date served so far (it never goes backwards)."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def advance(self, when: datetime) -> None:
        if when > self._now:
            self._now = when

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._now.timestamp()


_CLOCKS: WeakKeyDictionary[Any, Clock] = WeakKeyDictionary()


def clock_of(crawler: Any) -> Clock:
    """The crawl's one clock (the system clock unless a replay installed an archive clock)."""
    clock = _CLOCKS.get(crawler)
    if clock is None:
        clock = _CLOCKS[crawler] = SystemClock()
    return clock


def install_clock(crawler: Any, clock: Clock) -> None:
    """Use ``clock`` for this crawl (the replay handler does, before any request)."""
    _CLOCKS[crawler] = clock
