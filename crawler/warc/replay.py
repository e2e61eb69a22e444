"""Scrapy download handler that answers every request from a run's WARCs: no network at all.

Installed for http and https by ``scrapy replay`` (DOWNLOAD_HANDLERS). Each request is looked
up by method, URL and Range header. A recorded response is returned as it was received (still
compressed, redirects still redirects: Scrapy's own middlewares then decode and follow them as in
the original run); a recorded failure is raised again with its original exception class. A
request that is not in the archive is never made: it fails with ``replay:not-archived`` (fail
closed), counted in the stats. The archive clock advances to each answer's WARC-Date.
"""

from __future__ import annotations

import logging
from typing import Any
from weakref import WeakKeyDictionary

from scrapy import Request
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.misc import load_object

from crawler.clock import ARCHIVE_DATE, ArchiveClock, clock_of
from crawler.middlewares import ConsentIgnoreRequest
from crawler.warc.archive import ArchiveIndex, RecordedFailure, read_answer
from crawler.warc.capture import is_document_or_probe

logger = logging.getLogger(__name__)

__all__ = ["NOT_ARCHIVED", "ReplayDownloadHandler", "ReplayNotArchived", "attach_archive"]

NOT_ARCHIVED = "replay:not-archived"

_ARCHIVES: WeakKeyDictionary[Crawler, ArchiveIndex] = WeakKeyDictionary()


def attach_archive(crawler: Crawler, index: ArchiveIndex) -> None:
    """Give the crawl its archive (``scrapy replay`` loads and checks it before the crawl)."""
    _ARCHIVES[crawler] = index


class ReplayNotArchived(ConsentIgnoreRequest):
    """The original run never made this request: its row is excluded, not fetched."""

    def __init__(self, url: str) -> None:
        super().__init__(url, [NOT_ARCHIVED])


class ReplayedFailure(Exception):
    """A recorded failure whose exception class cannot be rebuilt here."""


def rebuild_failure(failure: RecordedFailure) -> Exception:
    try:
        cls = load_object(failure.error_class)
        exc = cls(failure.error)
        if isinstance(exc, Exception):
            return exc
    except Exception:
        pass
    return ReplayedFailure(f"{failure.error_class}: {failure.error}")


class ReplayDownloadHandler(BaseDownloadHandler):
    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        index = _ARCHIVES.get(crawler)
        if index is None:
            raise NotConfigured("no archive attached: run through `scrapy replay`")
        self.index = index
        clock = clock_of(crawler)
        if not isinstance(clock, ArchiveClock):
            raise NotConfigured("replay needs the archive clock (installed by `scrapy replay`)")
        self.clock = clock

    async def download_request(self, request: Request) -> Response:
        stats = self.crawler.stats
        range_header = request.headers.get(b"Range")
        key = (request.method, request.url, range_header.decode("latin-1") if range_header else "")
        before = len(self.index.repeated)
        answer = self.index.take(*key)
        if answer is None:
            stats.inc_value("replay/not_archived")
            logger.info("not in the archive: %s %s", request.method, request.url)
            raise ReplayNotArchived(request.url)
        if len(self.index.repeated) > before:
            stats.inc_value("replay/answered_again")
            logger.info("answered again from the archive: %s %s", request.method, request.url)
        self.clock.advance(answer.date)
        request.meta[ARCHIVE_DATE] = answer.date
        if not is_document_or_probe(request.meta):
            self.clock.note_exchange(request.url, answer.date)
        recorded = read_answer(answer)
        if isinstance(recorded, RecordedFailure):
            stats.inc_value("replay/failures")
            raise rebuild_failure(recorded)
        stats.inc_value("replay/responses")
        headers = Headers()
        for name, value in recorded.headers:
            headers.appendlist(name, value)
        respcls = responsetypes.from_args(headers=headers, url=request.url, body=recorded.body)
        return respcls(
            url=request.url,
            status=recorded.status,
            headers=headers,
            body=recorded.body,
            protocol=recorded.protocol,
            flags=list(recorded.flags),
        )

    async def close(self) -> None:
        return None


def replay_settings(archive_dir: str) -> dict[str, Any]:
    """Settings every replay runs with: archive handlers, no capture, no politeness waits."""
    handler = "crawler.warc.replay.ReplayDownloadHandler"
    return {
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler, "ftp": None, "s3": None},
        "WARC_ENABLED": False,
        "WACZ": False,
        "DOWNLOAD_DELAY": 0.0,
        "CRAWL_DELAY_MAX": 0.0,
        "AUTOTHROTTLE_ENABLED": False,
        "REPLAY_ARCHIVE": archive_dir,
    }
