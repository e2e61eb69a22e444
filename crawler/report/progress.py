"""The crawl's progress line (pure): pages apart from consent documents and probes.

``pages 1,204 fetched, 3,310 queued | rows 9,870 kept, 1,204 excluded | 12.0 pages/min |
docs 412, probes 8,113 | held back: slow.example (Crawl-delay 10s, 220 queued, ~36m40s)``

Scrapy's LogStats counts every response as a page; a crawl that fetches three consent
documents per origin and one probe per kept image then looks several times faster than it is,
and a crawl held back by one host's Crawl-delay looks hung. The line names those hosts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.regen.progress import format_duration

__all__ = ["HostBacklog", "CrawlSnapshot", "format_progress", "slowest_hosts"]


@dataclass(frozen=True, slots=True)
class HostBacklog:
    host: str
    queued: int  # requests waiting in the host's downloader slot
    delay: float  # seconds between its requests (Crawl-delay or DOWNLOAD_DELAY)
    concurrency: int = 1

    @property
    def seconds_left(self) -> float:
        """Time to drain the queue at the host's pace (delay per request, one at a time)."""
        return self.queued * self.delay if self.delay > 0 else 0.0


@dataclass(frozen=True, slots=True)
class CrawlSnapshot:
    elapsed: float
    pages: int
    queued: int
    kept: int
    excluded: int
    documents: int
    probes: int
    hosts: list[HostBacklog] = field(default_factory=list)


def slowest_hosts(hosts: list[HostBacklog], top: int = 3) -> list[HostBacklog]:
    """Hosts holding the crawl back: most time left first, then most queued."""
    busy = [h for h in hosts if h.queued > 0]
    return sorted(busy, key=lambda h: (-h.seconds_left, -h.queued, h.host))[:top]


def format_progress(snap: CrawlSnapshot) -> str:
    minutes = max(snap.elapsed, 1e-9) / 60.0
    rate = snap.pages / minutes
    line = (
        f"pages {snap.pages:,} fetched, {snap.queued:,} queued | rows {snap.kept:,} kept, "
        f"{snap.excluded:,} excluded | {rate:,.1f} pages/min | consent docs {snap.documents:,}, "
        f"probes {snap.probes:,}"
    )
    slow = slowest_hosts(snap.hosts)
    if slow:
        line += " | held back: " + ", ".join(
            f"{h.host} ({h.queued} queued"
            + (
                f", Crawl-delay {h.delay:g}s, ~{format_duration(h.seconds_left)} left)"
                if h.delay > 0
                else ")"
            )
            for h in slow
        )
    return line
