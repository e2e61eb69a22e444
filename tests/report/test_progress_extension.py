"""The progress extension: rewritten in place on a terminal, a log line otherwise."""

from __future__ import annotations

import io
import logging

import pytest
from scrapy.utils.test import get_crawler

from crawler.consentdocs import consent_document_fetched
from crawler.extensions.progress import CrawlProgress


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Request:
    def __init__(self, **meta: object) -> None:
        self.meta = meta


def make(stream: io.StringIO) -> CrawlProgress:
    crawler = get_crawler(settings_dict={"CRAWL_PROGRESS": True})
    progress = CrawlProgress(crawler, stream=stream)
    progress.active = True
    for meta in ({}, {}, {"consent_document": "robots"}, {"consent_probe": True}):
        progress.response_received(None, Request(**meta), None)
    # A document is counted once, when it is fetched (by Scrapy's downloader or the direct
    # path, crawler.directfetch), not from its response.
    crawler.signals.send_catch_log(consent_document_fetched, document=object())
    return progress


def test_on_a_terminal_the_line_is_rewritten_in_place() -> None:
    stream = FakeTerminal()
    progress = make(stream)
    progress.report()
    progress.report()
    text = stream.getvalue()
    assert text.count("\r") == 2 and "\n" not in text
    assert "pages 2 fetched" in text and "consent docs 1, probes 1" in text
    progress.spider_closed(None, "finished")
    assert stream.getvalue().endswith("\n")


def test_not_a_terminal_logs_instead(caplog: pytest.LogCaptureFixture) -> None:
    stream = io.StringIO()
    progress = make(stream)
    with caplog.at_level(logging.INFO, logger="crawler.extensions.progress"):
        progress.report()
    assert stream.getvalue() == ""
    assert any("progress: pages 2 fetched" in r.getMessage() for r in caplog.records)
