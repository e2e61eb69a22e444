"""The garbage collector's threshold during a crawl (crawler/extensions/gctune.py, issue 16)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.extensions.gctune import GcThreshold, thresholds


@pytest.fixture
def restore_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


@pytest.mark.parametrize(
    ("current", "young", "expected"),
    [
        ((700, 10, 10), 50000, (50000, 10, 10)),
        ((700, 10, 10), 0, (700, 10, 10)),
        ((700, 10, 10), -5, (700, 10, 10)),
        ((100, 5, 7), 100, (100, 5, 7)),
    ],
)
def test_thresholds(
    current: tuple[int, int, int], young: int, expected: tuple[int, int, int]
) -> None:
    assert thresholds(current, young) == expected


def test_project_default_is_wired() -> None:
    assert project_settings.GC_THRESHOLD == 50000
    assert "crawler.extensions.gctune.GcThreshold" in project_settings.EXTENSIONS


def test_threshold_set_while_the_engine_runs_then_restored(restore_gc: None) -> None:
    gc.set_threshold(700, 10, 10)
    ext = GcThreshold.from_crawler(get_crawler(settings_dict={"GC_THRESHOLD": 12345}))
    assert gc.get_threshold() == (700, 10, 10)  # nothing before the engine starts
    ext.engine_started()
    assert gc.get_threshold() == (12345, 10, 10)
    ext.engine_stopped()
    assert gc.get_threshold() == (700, 10, 10)
    ext.engine_stopped()  # a second stop changes nothing
    assert gc.get_threshold() == (700, 10, 10)


def test_zero_leaves_the_collector_alone() -> None:
    with pytest.raises(NotConfigured):
        GcThreshold.from_crawler(get_crawler(settings_dict={"GC_THRESHOLD": 0}))
