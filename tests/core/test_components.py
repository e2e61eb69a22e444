"""How components find each other (issue 14): shared instances per crawl, the writer chosen by a
setting, consent documents through a signal, the command's item through ``item_scraped``, and
the regeneration writer's plan from the batch book, never from the spider."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.commands.consent import collect_items
from crawler.components import shared, shared_if_built
from crawler.consent.policy import Policy
from crawler.consent.verdict import Signal
from crawler.consentdocs import ConsentDocuments, FetchedDocument, consent_document_fetched
from crawler.policyrt import policy_of
from crawler.records import CandidateRow, CheckItem, RowsItem, Written
from crawler.regen.batches import BatchBook
from crawler.regen.inputs import iter_batches
from crawler.regen.plan import build_plan
from crawler.spiders.consent import ConsentSpider
from crawler.spiders.images import ImagesSpider
from crawler.spiders.regenerate import RegenerateSpider
from pipelines.regenwriter import RegenWriterPipeline
from pipelines.writer import IndexWriterPipeline

CRAWL_WRITER = "pipelines.writer.IndexWriterPipeline"
REGEN_WRITER = "pipelines.regenwriter.RegenWriterPipeline"


class Bare(Spider):
    name = "bare"


def make_crawler(spidercls: type[Spider] = Bare, **overrides: Any) -> Crawler:
    """A crawler with the project's settings, its add-ons applied (as Crawler.crawl() does)."""
    project = {
        name: getattr(project_settings, name)
        for name in dir(project_settings)
        if name.isupper() and not name.startswith(("TWISTED_", "ASYNCIO_"))
    }
    return get_crawler(spidercls, {**project, **overrides})


# --- shared components ---------------------------------------------------------------------------


def test_shared_components_are_one_per_crawl_and_leave_no_attribute_on_the_crawler() -> None:
    crawler = make_crawler()
    before = set(vars(crawler))
    policy = policy_of(crawler)
    docs = ConsentDocuments.of(crawler)
    assert policy_of(crawler) is policy and ConsentDocuments.of(crawler) is docs
    assert set(vars(crawler)) == before  # nothing like crawler._consent_policy any more
    other = make_crawler()
    assert policy_of(other) is not policy and ConsentDocuments.of(other) is not docs


def test_a_crawls_shared_components_go_when_its_engine_stops() -> None:
    crawler = make_crawler()
    built: list[Policy] = []

    def build() -> Policy:
        built.append(Policy.from_settings(crawler.settings.get))
        return built[-1]

    assert shared(crawler, Policy, build) is shared(crawler, Policy, build)
    assert len(built) == 1
    crawler.signals.send_catch_log(signals.engine_stopped)
    assert shared_if_built(crawler, Policy) is None


# --- the writer is chosen by WRITER_PIPELINE --------------------------------------------------


def pipelines_of(crawler: Crawler) -> dict[Any, Any]:
    return {k: v for k, v in crawler.settings.getdict("ITEM_PIPELINES").items() if v is not None}


def test_the_crawl_writes_with_the_index_writer_last() -> None:
    pipelines = pipelines_of(make_crawler(ImagesSpider))
    assert pipelines[CRAWL_WRITER] == max(pipelines.values())
    assert REGEN_WRITER not in pipelines


def test_regenerate_declares_its_writer_in_its_settings() -> None:
    pipelines = pipelines_of(make_crawler(RegenerateSpider))
    assert pipelines[REGEN_WRITER] == max(pipelines.values())
    assert CRAWL_WRITER not in pipelines


def test_no_writer_when_the_setting_is_empty() -> None:
    pipelines = pipelines_of(make_crawler(ConsentSpider, WRITER_PIPELINE=None))
    assert CRAWL_WRITER not in pipelines and REGEN_WRITER not in pipelines
    assert "pipelines.license.LicensePipeline" in pipelines  # the consent checks stay


def test_regenerate_keeps_the_default_scheduler_with_redis() -> None:
    url = "redis://127.0.0.1:1/0"  # never connected to: the add-on only reads the setting
    crawl = make_crawler(ImagesSpider, REDIS_URL=url)
    regen = make_crawler(RegenerateSpider, REDIS_URL=url)
    assert crawl.settings.get("SCHEDULER") == "crawler.distributed.scheduler.RedisScheduler"
    assert regen.settings.get("SCHEDULER") != crawl.settings.get("SCHEDULER")


# --- consent documents reach the writer through a signal ----------------------------------------


def document(origin: str) -> FetchedDocument:
    return FetchedDocument(
        origin=origin,
        kind="robots",
        url=origin + "/robots.txt",
        final_url=origin + "/robots.txt",
        status=200,
        error=None,
        fetched_at=datetime(2026, 11, 30, tzinfo=UTC),
        sha256=None,
        body=b"User-agent: *\nAllow: /\n",
        truncated=False,
    )


def test_the_crawl_writer_stores_the_documents_it_is_signalled(tmp_path: Path) -> None:
    crawler = make_crawler(ImagesSpider, INDEX_DIR=str(tmp_path / "out"))
    writer = IndexWriterPipeline.from_crawler(crawler)
    writer.open_spider()
    for origin in ("http://a.test", "http://b.test"):
        crawler.signals.send_catch_log(consent_document_fetched, document=document(origin))
    writer.close_spider()
    rows = pq.read_table(tmp_path / "out" / "consent").to_pylist()
    assert sorted(r["origin"] for r in rows) == ["http://a.test", "http://b.test"]


# --- scrapy consent: its item from item_scraped -------------------------------------------------


def test_the_consent_command_takes_its_item_from_item_scraped() -> None:
    crawler = make_crawler(ConsentSpider)
    items = collect_items(crawler)
    item = CheckItem(
        url=None, origin=None, fetched=False, candidates=[CandidateRow("http://a.test/x.png", None)]
    )
    item.root = object()
    crawler.signals.send_catch_log(signals.item_scraped, item=item, response=None, spider=None)
    assert items == [item] and item.root is None
    assert not any(name.startswith("_collected") for name in vars(crawler))


# --- the regeneration writer's plan ----------------------------------------------------------


def regen_plan(tmp_path: Path):
    source = tmp_path / "in.parquet"
    pq.write_table(
        pa.table({"url": ["http://a.test/1.jpg", "http://b.test/2.jpg"], "caption": ["a", "b"]}),
        source,
    )
    return build_plan([str(source)], tmp_path / "out", batch_rows=10)


def test_the_regeneration_writer_takes_its_plan_from_the_book_not_the_spider(
    tmp_path: Path,
) -> None:
    plan = regen_plan(tmp_path)
    crawler = make_crawler(INDEX_DIR=str(plan.outdir))  # a spider with no plan at all
    book = BatchBook.start(crawler, plan)
    writer = RegenWriterPipeline.from_crawler(crawler)
    assert writer.plan is plan
    writer.open_spider()
    [batch] = list(iter_batches(plan.inputs, 10))
    book.add(batch)
    rows = [
        CandidateRow("http://a.test/1.jpg", "http://a.test", "a", input_row=0),
        CandidateRow(
            "http://b.test/2.jpg",
            "http://b.test",
            "b",
            signals=[Signal.disallow("robots", "disallowed", "http://b.test/robots.txt", "/")],
            input_row=1,
        ),
    ]
    out = writer.process_item(
        RowsItem(batch=0, url=None, origin=None, fetched=False, candidates=rows)
    )
    assert out == Written(batch=0, rows=2)
    writer.close_spider()
    writer.spider_closed(SimpleNamespace(name="regenerate"), "finished")
    kept = pq.read_table(plan.outdir / "index").to_pylist()
    excluded = pq.read_table(plan.outdir / "excluded").to_pylist()
    assert [r["url"] for r in kept] == ["http://a.test/1.jpg"]
    assert [(r["url"], r["reasons"]) for r in excluded] == [
        ("http://b.test/2.jpg", ["robots:disallowed"])
    ]
    manifest = json.loads((plan.outdir / "manifest.json").read_text())
    assert manifest["complete"] is True
    assert manifest["counts"]["excluded_by_family"] == {"robots": 1}
    assert manifest["counts"]["excluded_by_cause"] == {"refused": 1}


def test_the_regeneration_writer_without_a_plan_says_so() -> None:
    with pytest.raises(RuntimeError, match="regenerate spider"):
        RegenWriterPipeline.from_crawler(make_crawler())
