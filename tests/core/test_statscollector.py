"""crawler.statscollector: Scrapy's in-memory stats without its per-attribute look-up shim."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from scrapy.spiders import Spider
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from crawler.statscollector import StatsCollector


def _collectors() -> tuple[MemoryStatsCollector, MemoryStatsCollector]:
    crawler = get_crawler(Spider)
    return MemoryStatsCollector(crawler), StatsCollector(crawler)


def test_the_project_collects_stats_with_it() -> None:
    settings = get_project_settings()
    assert settings.get("STATS_CLASS") == "crawler.statscollector.StatsCollector"
    crawler = get_crawler(Spider, settings_dict={"STATS_CLASS": settings.get("STATS_CLASS")})
    assert type(crawler.stats) is StatsCollector


def test_attribute_access_does_not_go_through_python() -> None:
    # Scrapy's StatsCollector.__getattribute__ runs for every attribute (and raises and catches
    # AttributeError for every self._stats inside a stats call): ~1.5 us per inc_value.
    assert StatsCollector.__getattribute__ is object.__getattribute__
    assert MemoryStatsCollector.__getattribute__ is not object.__getattribute__


def _exercise(stats: MemoryStatsCollector) -> list[Any]:
    seen: list[Any] = []
    stats.open_spider()
    stats.inc_value("a")
    stats.inc_value("a", 2)
    stats.inc_value("b", 3, start=10)
    stats.max_value("m", 5)
    stats.max_value("m", 3)
    stats.max_value("m", 8)
    stats.min_value("n", 5)
    stats.min_value("n", 7)
    stats.min_value("n", 1)
    stats.set_value("s", "x")
    seen.append(stats.get_value("a"))
    seen.append(stats.get_value("missing", "default"))
    seen.append(dict(stats.get_stats()))
    stats.set_stats({"only": 1})
    seen.append(dict(stats.get_stats()))
    stats.clear_stats()
    seen.append(dict(stats.get_stats()))
    stats.inc_value("after")
    seen.append(str(stats))
    return seen


def test_same_results_as_scrapys_collector() -> None:
    scrapy_stats, ours = _collectors()
    seen = _exercise(ours)
    assert seen == _exercise(scrapy_stats)
    assert seen[2] == {"a": 3, "b": 13, "m": 8, "n": 1, "s": "x"}


def test_stats_are_kept_per_spider_after_close() -> None:
    crawler = get_crawler(Spider)
    crawler.spider = Spider("kept")
    stats = StatsCollector(crawler)
    stats.inc_value("pages", 4)
    stats.close_spider(reason="finished")
    assert stats.spider_stats == {"kept": {"pages": 4}}


def _warnings(stats: MemoryStatsCollector, method: str, *args: Any) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        getattr(stats, method)(*args, spider=Spider("s"))
        getattr(stats, method)(*args)
    return [f"{w.category.__name__}: {w.message}" for w in caught]


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("inc_value", ("k",)),
        ("max_value", ("k", 1)),
        ("get_value", ("k",)),
        ("set_value", ("k", 1)),
    ],
)
def test_a_spider_argument_warns_as_with_scrapy(method: str, args: tuple[Any, ...]) -> None:
    scrapy_stats, ours = _collectors()
    got = _warnings(ours, method, *args)
    assert got == _warnings(scrapy_stats, method, *args)
    assert len(got) == 1 and "DeprecationWarning: Passing a 'spider'" in got[0]
