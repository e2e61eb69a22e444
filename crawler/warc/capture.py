"""Downloader middleware: every HTTP exchange of the run, written to WARC (``WARC_ENABLED``).

It sits at 950, closer to the downloader than HttpCompressionMiddleware (590), RedirectMiddleware
(600) and RetryMiddleware (550): it sees each request as sent (with its User-Agent, Range and
Accept-Encoding headers) and each response as received, still compressed, once per redirect hop
and once per retry. Exceptions from the download handler (DNS, timeout, refused connection,
download cancelled for size) become failure records. Requests refused before the network
(robots.txt, ``IgnoreRequest``) made no exchange and are not recorded.

Each exchange's WARC-Date goes into ``request.meta["archive_date"]``: ``fetched_at`` is then the
recorded time, which a replay reproduces exactly.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response

from crawler import __version__
from crawler.clock import ARCHIVE_DATE, clock_of
from crawler.warc.records import (
    CDXJ_NAME,
    WARC_DIR,
    Exchange,
    WarcFile,
    WarcSink,
    file_sha256,
    package_wacz,
    write_cdxj,
    write_cdxj_lines,
)

logger = logging.getLogger(__name__)

__all__ = ["WarcCapture", "WarcCaptureMiddleware", "warc_manifest_fields"]


def header_pairs(headers: Headers) -> list[tuple[str, str]]:
    """Scrapy headers as (name, value) text pairs, one per value, in order."""
    out = []
    for name, values in headers.items():
        key = name.decode("latin-1")
        for value in values:
            out.append((key, value.decode("latin-1")))
    return out


def is_document_or_probe(meta: dict[str, Any]) -> bool:
    """Consent documents and image probes carry their own times; pages take theirs here."""
    return "consent_document" in meta or "consent_probe" in meta


def count_records(path: Path) -> int:
    from warcio.archiveiterator import ArchiveIterator  # loads with WARC capture only

    with open(path, "rb") as fh:
        return sum(1 for _ in ArchiveIterator(fh))


def _error_class(exc: BaseException) -> str:
    cls = type(exc)
    return f"{cls.__module__}.{cls.__qualname__}"


class WarcCapture:
    """The run's WARC sink and what becomes of it at the end (index, package, manifest)."""

    _by_crawler: WeakKeyDictionary[Crawler, WarcCapture] = WeakKeyDictionary()

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.enabled = settings.getbool("WARC_ENABLED")
        self.root = Path(settings.get("INDEX_DIR") or ".")
        self.max_bytes = settings.getint("WARC_MAX_BYTES")
        self.wacz = settings.getbool("WACZ")
        self.resume = settings.getbool("REGEN_RESUME")
        self.sink: WarcSink | None = None
        self.earlier_files = 0
        self.result: dict[str, Any] | None = None

    @classmethod
    def of(cls, crawler: Crawler) -> WarcCapture:
        capture = cls._by_crawler.get(crawler)
        if capture is None:
            capture = cls._by_crawler[crawler] = cls(crawler)
        return capture

    def _info(self) -> dict[str, Any]:
        from crawler.policyrt import policy_of
        from crawler.runtime import non_default_settings

        spider = self.crawler.spider
        info: dict[str, Any] = {
            "software": f"consentcrawl/{__version__}",
            "format": "WARC File Format 1.1",
            "spider": getattr(spider, "name", None),
            "policy": policy_of(self.crawler).describe(),
            "settings": non_default_settings(self.crawler.settings),
        }
        seeds = getattr(spider, "seed_info", None)
        if seeds is not None:
            info["seeds"] = list(seeds.urls)
        plan = getattr(spider, "plan", None)
        if plan is not None:
            info["inputs"] = [inp.record() for inp in plan.inputs]
        return info

    def _sink(self) -> WarcSink:
        if self.sink is None:
            warc_dir = self.root / WARC_DIR
            existing = sorted(warc_dir.glob("*.warc.gz")) if warc_dir.is_dir() else []
            if not self.resume:
                # INDEX_OVERWRITE was checked by the writer: old captures go with old outputs.
                for path in [*existing, warc_dir / CDXJ_NAME, self.root / "archive.wacz"]:
                    path.unlink(missing_ok=True)
                existing = []
            self.sink = WarcSink(self.root, self.max_bytes, self._info())
            # A resumed regeneration keeps the files of its earlier runs and numbers on.
            self.sink.files.extend(
                WarcFile(
                    str(p.relative_to(self.root)),
                    p.stat().st_size,
                    count_records(p),
                    file_sha256(p),
                )
                for p in existing
            )
            self.earlier_files = len(existing)
        return self.sink

    def write(self, exchange: Exchange) -> None:
        self._sink().write(exchange)
        stats = self.crawler.stats
        stats.inc_value("warc/records", 2)
        if exchange.status is None:
            stats.inc_value("warc/failures")

    def finish(self) -> dict[str, Any]:
        """Close the files, index them as CDXJ, package a WACZ if asked: the manifest fields."""
        if self.result is not None:
            return self.result
        sink = self._sink()
        files = sink.close()
        if self.earlier_files:  # files of an earlier run: index them all again
            cdxj = write_cdxj(self.root, files)
        else:
            cdxj = write_cdxj_lines(self.root, sink.cdxj)
        result: dict[str, Any] = {
            "warc": [f.record() for f in files],
            "warc_index": str(cdxj.relative_to(self.root)),
        }
        stats = self.crawler.stats
        stats.set_value("warc/files", len(files))
        stats.set_value("warc/bytes", sum(f.bytes for f in files))
        if self.wacz:
            try:
                wacz = package_wacz(self.root, files, f"consentcrawl {__version__}")
            except Exception as exc:  # the WARCs stand; say loudly that the package does not
                logger.error("WACZ packaging failed: %s", exc)
                result["wacz"] = {"error": str(exc)}
            else:
                result["wacz"] = {
                    "path": wacz.name,
                    "bytes": wacz.stat().st_size,
                    "sha256": file_sha256(wacz),
                }
        self.result = result
        return result


def warc_manifest_fields(crawler: Crawler) -> dict[str, Any]:
    """The manifest's ``warc`` (and ``warc_index``, ``wacz``) keys; {} when capture is off."""
    capture = WarcCapture.of(crawler)
    if not capture.enabled:
        return {}
    return capture.finish()


class WarcCaptureMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.capture = WarcCapture.of(crawler)
        if not self.capture.enabled:
            raise NotConfigured  # WARC_ENABLED is off: silently (no warning in every crawl)
        self.clock = clock_of(crawler)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        return cls(crawler)

    def _exchange(self, request: Request) -> Exchange:
        when = self.clock.now()
        request.meta[ARCHIVE_DATE] = when
        if not is_document_or_probe(request.meta):
            self.clock.note_exchange(request.url, when)
        return Exchange(
            url=request.url,
            method=request.method,
            request_headers=header_pairs(request.headers),
            request_body=request.body or b"",
            date=when,
        )

    def process_response(self, request: Request, response: Response) -> Response:
        if not request.url.startswith(("http://", "https://")):
            return response
        exchange = self._exchange(request)
        exchange.status = response.status
        exchange.protocol = response.protocol or "HTTP/1.1"
        exchange.response_headers = header_pairs(response.headers)
        exchange.response_body = response.body
        exchange.flags = list(response.flags)
        self.capture.write(exchange)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, IgnoreRequest):
            return None  # refused before the network: no exchange happened
        if not request.url.startswith(("http://", "https://")):
            return None
        exchange = self._exchange(request)
        exchange.error_class = _error_class(exception)
        exchange.error = str(exception)[:1000]
        self.capture.write(exchange)
        return None

    def spider_closed(self, spider: Any, reason: str) -> None:
        # Normally the writer's manifest already finished the capture; this closes the files
        # of a run whose writer never wrote one.
        try:
            self.capture.finish()
        except Exception:
            logger.exception("could not finish the WARC capture")
