"""The per-origin consent document store: one fetch per origin and TTL, coalesced, robots-gated."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from scrapy.http import Response
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from crawler import settings as project_settings
from crawler.consentdocs import ConsentDocuments, DocumentKind, origin_of


class FakeEngine:
    """Answers downloads from a dict after a short pause, counting every request."""

    def __init__(self, answers: dict[str, tuple[int, bytes]]) -> None:
        self.answers = answers
        self.requested: list[str] = []

    async def download_async(self, request: Any) -> Response:
        self.requested.append(request.url)
        await asyncio.sleep(0.01)  # long enough for concurrent callers to pile up
        status, body = self.answers.get(request.url, (404, b""))
        return Response(request.url, status=status, body=body)


class FakeCrawler:
    def __init__(self, answers: dict[str, tuple[int, bytes]], **overrides: Any) -> None:
        self.settings = Settings()
        self.settings.setmodule(project_settings)
        for name, value in overrides.items():
            self.settings.set(name, value)
        self.stats = MemoryStatsCollector(self)
        self.engine = FakeEngine(answers)


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
    assert len(store.drain()) == 1 and store.drain() == []


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
    [doc] = store.drain()
    assert len(doc.body) == 100 and doc.truncated
    assert doc.sha256 == hashlib.sha256(body).hexdigest()
