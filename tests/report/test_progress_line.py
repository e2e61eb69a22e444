"""The crawl's progress line counts pages apart from documents and probes, names slow hosts."""

from __future__ import annotations

from crawler.report.progress import CrawlSnapshot, HostBacklog, format_progress, slowest_hosts


def test_line_counts_pages_documents_and_probes_apart() -> None:
    line = format_progress(
        CrawlSnapshot(
            elapsed=60.0, pages=12, queued=40, kept=30, excluded=5, documents=9, probes=30
        )
    )
    assert "pages 12 fetched, 40 queued" in line
    assert "rows 30 kept, 5 excluded" in line
    assert "12.0 pages/min" in line
    assert "consent docs 9, probes 30" in line
    assert "held back" not in line


def test_host_held_back_by_crawl_delay_is_named_with_time_left() -> None:
    hosts = [
        HostBacklog("fast.test", 50, 0.0),
        HostBacklog("slow.test", 220, 10.0),
        HostBacklog("idle.test", 0, 30.0),
    ]
    assert [h.host for h in slowest_hosts(hosts)] == ["slow.test", "fast.test"]
    line = format_progress(CrawlSnapshot(1.0, 0, 270, 0, 0, 3, 0, hosts))
    assert "held back: slow.test (220 queued, Crawl-delay 10s, ~36m40s left)" in line
    assert "idle.test" not in line
