"""The consent engine (pipelines.consent) on a fake downloader: documents fetched together, the
registry's order, only enabled families, page groups of rows with their own page."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from scrapy.http import Response

from crawler.consent.family import DocumentSpec, Family, Phase, Reason
from crawler.consent.verdict import Decision, Signal
from crawler.consentdocs import ConsentDocuments, DocumentKind
from crawler.probe import ProbeResult
from crawler.records import CandidateRow, PageItem, RowsItem
from pipelines.consent import ConsentAfterProbePipeline, ConsentBeforeProbePipeline
from tests.core.test_consentdocs import FakeCrawler

ORIGIN = "http://a.test"
ANSWERS = {
    f"{ORIGIN}/robots.txt": (200, b"User-agent: *\nAllow: /\n"),
    f"{ORIGIN}/ai.txt": (200, b"User-agent: *\nDisallow: *.jpg\n"),
    f"{ORIGIN}/.well-known/tdmrep.json": (200, b'[{"location": "/", "tdm-reservation": 1}]'),
}


class GateEngine:
    """Holds each ai.txt / tdmrep.json download until both are in flight (bounded wait), and
    records whether its sibling was in flight: fetched one after the other, neither sees it."""

    GATED = (f"{ORIGIN}/ai.txt", f"{ORIGIN}/.well-known/tdmrep.json")

    def __init__(self) -> None:
        self.requested: list[str] = []
        self.saw_sibling: dict[str, bool] = {}
        self.both = asyncio.Event()

    async def download_async(self, request: Any) -> Response:
        url = request.url
        self.requested.append(url)
        if url in self.GATED:
            if all(u in self.requested for u in self.GATED):
                self.both.set()
            try:
                await asyncio.wait_for(self.both.wait(), 10)
                self.saw_sibling[url] = True
            except TimeoutError:
                self.saw_sibling[url] = False
        status, body = ANSWERS.get(url, (404, b""))
        return Response(url, status=status, body=body)


def page_item(**headers: list[str]) -> PageItem:
    return PageItem(
        url=f"{ORIGIN}/page.html",
        origin=ORIGIN,
        fetched=True,
        headers=dict(headers),
        candidates=[
            CandidateRow(f"{ORIGIN}/img/a.jpg", ORIGIN),
            CandidateRow(f"{ORIGIN}/img/b.png", ORIGIN),
        ],
    )


def crawler_with(engine: Any = None, **settings: Any) -> FakeCrawler:
    crawler = FakeCrawler(ANSWERS, **settings)
    if engine is not None:
        crawler.engine = engine
    return crawler


def run(pipeline: Any, item: PageItem) -> PageItem:
    out = asyncio.run(pipeline.process_item(item))
    assert out is item  # the engine only appends evidence to the item it was given
    return item


def test_an_origins_documents_are_in_flight_together_once_robots_txt_allows_them() -> None:
    engine = GateEngine()
    crawler = crawler_with(engine)
    item = run(ConsentBeforeProbePipeline(crawler), page_item())
    assert engine.requested[0] == f"{ORIGIN}/robots.txt"  # first, alone: it gates the others
    assert engine.saw_sibling == {url: True for url in GateEngine.GATED}
    assert [s.family for s in item.page_signals] == [
        "robots",
        "aitxt",
        "tdmrep",
        "xrobots",
        "meta-robots",
    ]


def test_signals_follow_the_registry_order_page_then_image() -> None:
    crawler = crawler_with()
    before, after = ConsentBeforeProbePipeline(crawler), ConsentAfterProbePipeline(crawler)
    item = run(before, page_item(**{"content-usage": ["train-ai=n"]}))
    page = [(s.family, s.decision) for s in item.page_signals]
    assert page == [
        ("robots", Decision.ALLOW),
        ("aitxt", Decision.UNKNOWN),  # no rule for the page's path
        ("tdmrep", Decision.DISALLOW),
        ("xrobots", Decision.UNKNOWN),
        ("meta-robots", Decision.UNKNOWN),
        ("aipref", Decision.DISALLOW),
    ]
    jpg, png = item.candidates
    assert [(s.family, s.decision) for s in jpg.signals] == [
        ("robots", Decision.ALLOW),
        ("aitxt", Decision.DISALLOW),
    ]
    assert [s.family for s in png.signals] == ["robots", "aitxt"]
    # After the probe: the image's own headers (TDMRep header overrides the file).
    png.probe = ProbeResult(
        png.url, "HEAD", 200, {"tdm-reservation": ["0"], "x-robots-tag": ["noai"]}
    )
    item = run(after, item)
    assert [(s.family, s.decision, s.source) for s in png.signals[2:]] == [
        ("tdmrep", Decision.ALLOW, f"header:{png.url}"),
        ("xrobots", Decision.DISALLOW, f"header:{png.url}"),
    ]
    assert [s.family for s in jpg.signals[2:]] == ["tdmrep"]  # not probed: file only


def test_a_family_that_is_off_fetches_nothing_and_says_nothing() -> None:
    crawler = crawler_with(AITXT_ENABLED=False, TDMREP_ENABLED=False)
    item = run(ConsentBeforeProbePipeline(crawler), page_item())
    assert crawler.engine.requested == [f"{ORIGIN}/robots.txt"]
    families = {s.family for s in item.page_signals} | {
        s.family for c in item.candidates for s in c.signals
    }
    assert families == {"robots", "xrobots", "meta-robots"}


def test_robots_only_runs_robots_txt_for_our_token_only() -> None:
    crawler = crawler_with(CONSENT_POLICY="robots-only")
    item = run(ConsentBeforeProbePipeline(crawler), page_item())
    assert [s.family for s in item.page_signals] == ["robots"]
    assert crawler.engine.requested == [f"{ORIGIN}/robots.txt"]


def test_rows_with_their_own_page_get_that_pages_signals_in_their_own_list() -> None:
    crawler = crawler_with()
    rows = [
        CandidateRow(
            f"{ORIGIN}/img/{n}.png",
            ORIGIN,
            page_url=f"{ORIGIN}/p{n}.html",
            page_origin=ORIGIN,
        )
        for n in range(2)
    ]
    invalid = CandidateRow("::", None, reasons=["input:invalid-url"])
    item: PageItem = RowsItem(
        url=None, origin=None, fetched=False, batch=0, candidates=[*rows, invalid]
    )
    item = run(ConsentBeforeProbePipeline(crawler), item)
    assert item.page_signals == []
    for row in rows:
        # A page known by its URL only: its documents, never headers or meta.
        assert [(s.family, s.source.endswith("robots.txt")) for s in row.signals][:2] == [
            ("robots", True),
            ("robots", True),
        ]
        assert [s.family for s in row.signals] == [
            "robots",
            "robots",
            "aitxt",
            "aitxt",
            "tdmrep",
        ]
        assert row.signals[4].source.endswith("tdmrep.json")
    assert invalid.signals == []


# --- documents at discovered URLs (DocumentSpec.path None) ---------------------------------------


def _toy_parse(url: str, status: int | None, body: bytes | None, error: str | None) -> Any:
    return (status, body, error)


def _toy_discover(ctx: Any, env: Any) -> list[str]:
    return list(ctx.headers.get("x-toy-document", []))


def _toy_page(ctx: Any, env: Any) -> list[Signal]:
    return [
        Signal.unknown("toy", url, f"{doc[0]} {doc[2] or ''}".strip())
        for url, doc in ctx.discovered.items()
    ]


TOY = Family(
    name="toy",
    summary="a test family reading a document at a URL named by a page header",
    spec="tests only",
    reasons=(Reason("toy:no", "never given"),),
    documents=(DocumentSpec("toy", _toy_parse),),
    page=_toy_page,
    discover_page=_toy_discover,
)


def test_documents_at_discovered_urls_are_fetched_once_each_obeying_their_hosts_robots_txt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pipelines.consent as engine_module

    monkeypatch.setattr(engine_module, "FAMILIES", (*engine_module.FAMILIES, TOY))
    answers = {
        **ANSWERS,
        "http://b.test/robots.txt": (200, b"User-agent: *\nDisallow: /private/\n"),
        "http://b.test/licence.xml": (200, b"<licence/>"),
        "http://b.test/private/licence.xml": (200, b"<secret/>"),
    }
    crawler = FakeCrawler(answers, AITXT_ENABLED=False, TDMREP_ENABLED=False)
    ConsentDocuments.of(crawler).register_url_kind(DocumentKind("toy", "", _toy_parse))
    pipeline = ConsentBeforeProbePipeline(crawler)
    header = ["http://b.test/licence.xml", "http://b.test/private/licence.xml"]
    for _ in range(2):  # the second item finds both in the cache
        item = run(pipeline, page_item(**{"x-toy-document": header}))
        toy = {s.source: s.value for s in item.page_signals if s.family == "toy"}
        assert toy == {
            "http://b.test/licence.xml": "200",
            "http://b.test/private/licence.xml": "None robots.txt refuses this URL",
        }
    requested = crawler.engine.requested
    assert requested.count("http://b.test/licence.xml") == 1
    assert "http://b.test/private/licence.xml" not in requested
    stored = [d for d in crawler.drain() if d.kind == "toy"]
    assert [(d.origin, d.url, d.status, d.body) for d in stored] == [
        ("http://b.test", "http://b.test/licence.xml", 200, b"<licence/>")
    ]


def _toy_image_after(ctx: Any, env: Any) -> list[Signal]:
    # What an after-probe image evaluator sees: its page's discovered documents.
    assert ctx.page is not None
    return [
        Signal.unknown("toy", url, f"page {doc[0]}") for url, doc in ctx.page.discovered.items()
    ]


TOY_AFTER = Family(
    name="toy",
    summary="a test family whose image evaluator, after the probe, reads its page's documents",
    spec="tests only",
    reasons=(Reason("toy:no", "never given"),),
    documents=(DocumentSpec("toy", _toy_parse),),
    image=_toy_image_after,
    image_phase=Phase.AFTER_PROBE,
    discover_page=_toy_discover,
)


def test_an_after_probe_image_evaluator_sees_its_pages_discovered_documents(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pipelines.consent as engine_module

    monkeypatch.setattr(engine_module, "FAMILIES", (*engine_module.FAMILIES, TOY_AFTER))
    answers = {**ANSWERS, "http://b.test/licence.xml": (200, b"<licence/>")}
    crawler = FakeCrawler(answers, AITXT_ENABLED=False, TDMREP_ENABLED=False)
    ConsentDocuments.of(crawler).register_url_kind(DocumentKind("toy", "", _toy_parse))
    item = page_item(**{"x-toy-document": ["http://b.test/licence.xml"]})
    item = run(ConsentAfterProbePipeline(crawler), item)
    for candidate in item.candidates:
        toy = [(s.source, s.value) for s in candidate.signals if s.family == "toy"]
        assert toy == [("http://b.test/licence.xml", "page 200")]


# --- family columns (Family.columns) -------------------------------------------------------------


def _cols_page(ctx: Any, env: Any) -> dict[str, Any]:
    return {"cols_page": ctx.url}


def _cols_image(ctx: Any, env: Any) -> dict[str, Any]:
    return {"cols_image": ctx.url.rsplit("/", 1)[-1]}


COLS = Family(
    name="cols",
    summary="a test family filling row columns",
    spec="tests only",
    reasons=(Reason("cols:no", "never given"),),
    page_columns=_cols_page,
    image_columns=_cols_image,
)


def test_a_familys_column_values_go_to_each_rows_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    import pipelines.consent as engine_module

    monkeypatch.setattr(engine_module, "FAMILIES", (*engine_module.FAMILIES, COLS))
    item = run(ConsentBeforeProbePipeline(crawler_with()), page_item())
    assert [c.columns for c in item.candidates] == [
        {"cols_page": f"{ORIGIN}/page.html", "cols_image": "a.jpg"},
        {"cols_page": f"{ORIGIN}/page.html", "cols_image": "b.png"},
    ]
