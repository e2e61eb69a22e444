"""The per-origin consent document store: one fetch per origin and TTL, coalesced, robots-gated."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import StopDownload
from scrapy.http import Headers, Response
from scrapy.settings import Settings
from scrapy.signalmanager import SignalManager
from scrapy.statscollectors import MemoryStatsCollector

from crawler import settings as project_settings
from crawler.consentdocs import (
    NOT_CACHED,
    SIZE_CAP_NOTE,
    ConsentDocuments,
    DocumentKind,
    FetchedDocument,
    consent_document_fetched,
    origin_of,
    size_capped_fetch,
    stopped_at_size_cap,
)


class FakeEngine:
    """Answers downloads from a dict after a short pause, counting every request."""

    def __init__(self, answers: dict[str, tuple[int, bytes]]) -> None:
        self.answers = answers
        self.requested: list[str] = []
        self.requests: list[Any] = []
        self.stopped: set[str] = set()  # URLs answered as if the download stopped at the cap

    async def download_async(self, request: Any) -> Response:
        self.requested.append(request.url)
        self.requests.append(request)
        await asyncio.sleep(0.01)  # long enough for concurrent callers to pile up
        status, body = self.answers.get(request.url, (404, b""))
        flags = ["download_stopped"] if request.url in self.stopped else []
        return Response(request.url, status=status, body=body, flags=flags)


class FakeCrawler:
    def __init__(self, answers: dict[str, tuple[int, bytes]], **overrides: Any) -> None:
        self.settings = Settings()
        self.settings.setmodule(project_settings)
        for name, value in overrides.items():
            self.settings.set(name, value)
        self.stats = MemoryStatsCollector(self)
        self.signals = SignalManager(self)
        self.engine = FakeEngine(answers)
        # What the writers receive: every fetch, through the consent_document_fetched signal.
        self.documents: list[FetchedDocument] = []
        self.signals.connect(self._fetched, signal=consent_document_fetched)

    def _fetched(self, document: FetchedDocument) -> None:
        self.documents.append(document)

    def drain(self) -> list[FetchedDocument]:
        out, self.documents = self.documents, []
        return out


def kind_text() -> DocumentKind:
    def parse(origin: str, status: int | None, body: bytes | None, error: str | None) -> Any:
        return (status, body, error)

    return DocumentKind("aitxt", "/ai.txt", parse)


def test_origin_of() -> None:
    assert origin_of("HTTP://Example.TEST:80/a?b") == "http://example.test"
    assert origin_of("https://example.test:443/") == "https://example.test"
    assert origin_of("https://example.test:8443/x") == "https://example.test:8443"


def test_concurrent_lookups_share_one_fetch() -> None:
    crawler = FakeCrawler({"http://a.test/robots.txt": (200, b"User-agent: *\nDisallow: /x\n")})
    store = ConsentDocuments(crawler)

    async def main() -> list[Any]:
        return await asyncio.gather(*(store.get("robots", "http://a.test") for _ in range(20)))

    results = asyncio.run(main())
    assert crawler.engine.requested == ["http://a.test/robots.txt"]
    assert all(r is results[0] for r in results)
    assert not results[0].allowed("http://a.test/x/1", "consentcrawl")
    assert crawler.stats.get_value("consent/documents_fetched/robots") == 1
    assert len(crawler.drain()) == 1 and crawler.drain() == []


def test_cache_lives_for_the_ttl_only() -> None:
    crawler = FakeCrawler({}, ROBOTSTXT_CACHE_TTL=0.0)
    store = ConsentDocuments(crawler)

    async def main() -> None:
        await store.get("robots", "http://a.test")
        await store.get("robots", "http://a.test")

    asyncio.run(main())
    assert crawler.engine.requested == ["http://a.test/robots.txt"] * 2

    crawler = FakeCrawler({})
    store = ConsentDocuments(crawler)
    asyncio.run(main())
    assert crawler.engine.requested == ["http://a.test/robots.txt"]
    assert store.cached("robots", "http://a.test") is not None
    assert crawler.stats.get_value("consent/documents_cache_hits") == 1


def test_lookup_finds_a_document_that_parses_to_none() -> None:
    # No tdmrep.json parses to None: ``cached`` cannot tell it from "not fetched", ``lookup``
    # can (the consent engine would otherwise take the asynchronous path for every item).
    crawler = FakeCrawler({})
    store = ConsentDocuments(crawler)
    store.register(DocumentKind("tdmrep", "/.well-known/tdmrep.json", lambda *_: None))
    assert store.lookup("tdmrep", "http://a.test") is NOT_CACHED
    assert asyncio.run(store.get("tdmrep", "http://a.test")) is None
    assert store.lookup("tdmrep", "http://a.test") is None
    assert store.cached("tdmrep", "http://a.test") is None
    robots = asyncio.run(store.get("robots", "http://a.test"))
    assert store.lookup("robots", "http://a.test") is robots
    assert store.lookup("robots", "http://b.test") is NOT_CACHED

    expired = ConsentDocuments(FakeCrawler({}, ROBOTSTXT_CACHE_TTL=0.0))
    asyncio.run(expired.get("robots", "http://a.test"))
    assert expired.lookup("robots", "http://a.test") is NOT_CACHED


def test_other_documents_obey_robots_txt() -> None:
    crawler = FakeCrawler(
        {
            "http://a.test/robots.txt": (200, b"User-agent: *\nDisallow: /ai.txt\n"),
            "http://a.test/ai.txt": (200, b"User-agent: *\nDisallow: /\n"),
            "http://b.test/ai.txt": (200, b"User-agent: *\nDisallow: *.jpg\n"),
        }
    )
    store = ConsentDocuments(crawler)
    store.register(kind_text())

    async def main() -> tuple[Any, Any]:
        return await store.get("aitxt", "http://a.test"), await store.get("aitxt", "http://b.test")

    refused, fetched = asyncio.run(main())
    assert refused == (None, None, "robots.txt refuses /ai.txt")
    assert fetched[0] == 200
    assert "http://a.test/ai.txt" not in crawler.engine.requested
    assert crawler.engine.requested.index("http://b.test/robots.txt") < (
        crawler.engine.requested.index("http://b.test/ai.txt")
    )


def test_fetched_bodies_are_capped_but_hashed_whole() -> None:
    body = b"User-agent: *\n" + b"#" * 2000
    crawler = FakeCrawler({"http://a.test/robots.txt": (200, body)}, CONSENT_DOCUMENT_MAX_BYTES=100)
    store = ConsentDocuments(crawler)
    asyncio.run(store.get("robots", "http://a.test"))
    [doc] = crawler.drain()
    assert len(doc.body) == 100 and doc.truncated
    assert doc.sha256 == hashlib.sha256(body).hexdigest()


# --- issue 9: a document over the download cap is cut, not lost --------------------------------


def test_a_document_is_requested_uncompressed_without_scrapys_size_cancel() -> None:
    crawler = FakeCrawler({"http://a.test/robots.txt": (200, b"User-agent: *\n")})
    store = ConsentDocuments(crawler)
    asyncio.run(store.get("robots", "http://a.test"))
    [request] = crawler.engine.requests
    # Scrapy's DOWNLOAD_MAXSIZE would cancel the download and drop the body: off, the store's
    # bytes_received handler enforces the cap instead.
    assert request.meta["download_maxsize"] == 0
    assert request.headers.get(b"Accept-Encoding") == b"identity"


def test_bytes_received_stops_a_document_at_the_cap_only() -> None:
    crawler = FakeCrawler({})
    store = ConsentDocuments(crawler)
    assert store.download_cap == 8 * 1024 * 1024
    document = Request("http://a.test/ai.txt", meta={"consent_document": "aitxt"})
    page = Request("http://a.test/big.html")
    chunk = b"x" * (1024 * 1024)
    for _ in range(7):
        store.on_bytes_received(data=chunk, request=document)
        store.on_bytes_received(data=chunk, request=page)
    with pytest.raises(StopDownload) as stopped:
        store.on_bytes_received(data=chunk, request=document)
    assert stopped.value.fail is False  # the response keeps the bytes received so far
    store.on_bytes_received(data=chunk * 4, request=page)  # pages are not ours to stop


def test_a_compressed_document_gets_scrapys_limit_back() -> None:
    store = ConsentDocuments(FakeCrawler({}))
    plain = Request(
        "http://a.test/ai.txt", meta={"consent_document": "aitxt", "download_maxsize": 0}
    )
    gzipped = plain.replace()
    store.on_headers_received(headers=Headers({"Content-Type": "text/plain"}), request=plain)
    store.on_headers_received(headers=Headers({"Content-Encoding": "gzip"}), request=gzipped)
    assert plain.meta["download_maxsize"] == 0
    assert gzipped.meta["download_maxsize"] == store.download_cap


def test_a_stopped_download_is_parsed_from_its_first_bytes() -> None:
    body = b"User-agent: *\nDisallow: /\n" + b"#" * 5000
    crawler = FakeCrawler({"http://a.test/ai.txt": (200, body)}, CONSENT_DOCUMENT_MAX_BYTES=1000)
    crawler.engine.stopped.add("http://a.test/ai.txt")
    store = ConsentDocuments(crawler)
    store.register(kind_text())
    crawler.engine.answers["http://a.test/robots.txt"] = (404, b"")
    status, got, error = asyncio.run(store.get("aitxt", "http://a.test"))
    assert (status, got) == (200, body)  # a cut document exists: not a network failure
    assert stopped_at_size_cap(error) and error.startswith(SIZE_CAP_NOTE)
    assert size_capped_fetch(status, got, error) == (200, body, True)
    docs = {doc.kind: doc for doc in crawler.drain()}
    assert not docs["aitxt"].complete and docs["aitxt"].truncated
    assert docs["robots"].complete
    assert crawler.stats.get_value("consent/documents_size_capped/aitxt") == 1


def test_size_capped_fetch_without_bytes_is_a_cut_empty_document() -> None:
    assert size_capped_fetch(200, b"x", None) == (200, b"x", False)
    assert size_capped_fetch(None, None, "timeout") == (None, None, False)
    assert size_capped_fetch(None, None, f"{SIZE_CAP_NOTE} (compressed): x") == (200, b"", True)
