"""The crawl writer's rows and counts (issue 16): ``IndexWriterPipeline._write_rows`` counts a
page's excluded rows once per page (rows with the same reasons at once) and formats the page's
fetch time once. It must write the same rows and reach the same counts, in the same orders, as
the row-by-row computation below (the writer before that change), also when a write fails
part-way through a page."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from crawler.consent.verdict import PageVerdict, Signal
from crawler.extract import Candidate
from crawler.output.counts import RowCounts
from crawler.output.shards import FAMILY_COLUMN_NAMES
from crawler.records import CandidateRow, PageItem, license_columns
from pipelines.writer import EXTRACTION_FIELDS, IndexWriterPipeline, iso_time


class _Sink:
    def __init__(self, fail_at: int | None = None) -> None:
        self.rows: list[dict[str, Any]] = []
        self.fail_at = fail_at

    def add(self, row: dict[str, Any]) -> None:
        if self.fail_at is not None and len(self.rows) == self.fail_at:
            raise OSError("disk full")
        self.rows.append(row)


def _pipeline(fail_at: int | None = None) -> IndexWriterPipeline:
    pipeline = IndexWriterPipeline.__new__(IndexWriterPipeline)
    pipeline.rows = RowCounts()
    pipeline.caption_source_counts = Counter()
    pipeline.index = _Sink()  # type: ignore[assignment]
    pipeline.excluded = _Sink(fail_at)  # type: ignore[assignment]
    return pipeline


def _reference(pipeline: IndexWriterPipeline, item: PageItem, stats: Counter[str]) -> None:
    """Row by row, as the writer did before counting per page."""
    verdict = PageVerdict(item.page_signals)
    page_url, fetched_at = item.url, item.fetched_at
    for cand in item.candidates:
        reasons, consent = verdict.row(cand.reasons, cand.signals)
        if reasons:
            for family in pipeline.rows.add_excluded(reasons):
                stats[f"consentcrawl/excluded/{family}"] += 1
            stats["consentcrawl/live/excluded_rows"] += 1
            pipeline.excluded.add(
                {
                    "url": cand.url,
                    "page_url": page_url,
                    "kind": "image",
                    "caption": cand.caption,
                    "reasons": reasons,
                    "license": cand.license,
                    "fetched_at": fetched_at,
                    "consent": consent,
                    **{name: cand.columns.get(name) for name in FAMILY_COLUMN_NAMES},
                }
            )
            continue
        licence = license_columns(cand.license_choice)
        pipeline.rows.add_kept(licence["license"])
        pipeline.caption_source_counts[cand.caption_source or "none"] += 1
        stats["consentcrawl/live/kept_rows"] += 1
        found = cand.extracted
        row = {
            "url": cand.url,
            "caption": cand.caption,
            "page_url": page_url,
            "title": found.title if found else None,
            "figcaption": found.figcaption if found else None,
            "declared_width": found.width if found else None,
            "declared_height": found.height if found else None,
            "srcset": found.srcset if found else None,
            "fetched_at": iso_time(fetched_at),
            "consent": consent,
            "caption_source": cand.caption_source,
        }
        for name in EXTRACTION_FIELDS:
            row[name] = getattr(found, name) if found else None
        row.update(licence)
        for name in FAMILY_COLUMN_NAMES:
            row[name] = cand.columns.get(name)
        pipeline.index.add(row)


_PAGE_SIGNALS = [
    Signal.allow("robots", "http://h.test/robots.txt", "parsed"),
    Signal.unknown("aitxt", "http://h.test/ai.txt"),
    Signal.disallow("tdmrep", "reserved", "http://h.test/.well-known/tdmrep.json", "1"),
    Signal.disallow("robots", "ai-token=GPTBot", "http://h.test/robots.txt", "Disallow: /"),
    Signal.unknown("meta-robots", "meta:http://h.test/"),
]
_IMAGE_SIGNALS = [
    Signal.allow("robots", "http://cdn.test/robots.txt", "parsed"),
    Signal.unknown("probe", "", "not checked (IMAGE_PROBE=off)"),
    Signal.disallow("aipref", "train-ai=n", "http://cdn.test/robots.txt", "train-ai=n"),
    Signal.disallow("content-signal", "ai-train=no", "header:x", "ai-train=no"),
    Signal.disallow("aitxt", "disallowed", "http://cdn.test/ai.txt", "Disallow: *.jpg"),
]
_OWN_REASONS = [
    "quality:too-small",
    "caption:missing",
    "provenance:ai-generated",
    "input:invalid-url",
    "license:not-allowed",
]


def _item(rng: random.Random, number: int) -> PageItem:
    candidates = []
    for k in range(rng.randrange(0, 14)):
        url = f"http://img{rng.randrange(3)}.test/{number}-{k}.jpg"
        found = Candidate(
            url=url,
            caption=rng.choice(["", "a caption"]),
            title=rng.choice([None, "t"]),
            width=rng.choice([None, 10, 800]),
            srcset=rng.choice([[], [url + "?2x"]]),
        )
        candidates.append(
            CandidateRow(
                url=url,
                origin="http://img.test",
                caption=rng.choice([None, "a caption"]),
                signals=rng.sample(_IMAGE_SIGNALS, rng.randrange(0, 4)),
                reasons=rng.sample(_OWN_REASONS, rng.choice([0, 0, 0, 1, 2])),
                extracted=rng.choice([found, found, None]),
                caption_source=rng.choice([None, "alt", "figcaption"]),
                columns=rng.choice(
                    [{}, {FAMILY_COLUMN_NAMES[0]: "x"}, {FAMILY_COLUMN_NAMES[-1]: "y"}]
                ),
            )
        )
    zone = rng.choice([UTC, timezone(timedelta(hours=2))])
    return PageItem(
        url=f"http://h{number % 4}.test/p{number}",
        origin=f"http://h{number % 4}.test",
        fetched=True,
        candidates=candidates,
        fetched_at=datetime(2026, 1, 1, 12, number % 60, tzinfo=zone),
        page_signals=rng.sample(_PAGE_SIGNALS, rng.randrange(0, 4)),
    )


def _state(pipeline: IndexWriterPipeline) -> tuple[Any, ...]:
    rows = pipeline.rows
    return (
        rows,
        list(rows.reasons),
        list(rows.families),
        list(rows.causes),
        list(rows.overlap),
        rows.manifest_counts(),
        list(pipeline.caption_source_counts.items()),
        pipeline.index.rows,  # type: ignore[attr-defined]
        pipeline.excluded.rows,  # type: ignore[attr-defined]
    )


@pytest.mark.parametrize("seed", range(12))
def test_rows_and_counts_are_the_row_by_row_ones(seed: int) -> None:
    rng = random.Random(seed)
    items = [_item(rng, n) for n in range(40)]
    ours, reference = _pipeline(), _pipeline()
    ours_stats: Counter[str] = Counter()
    reference_stats: Counter[str] = Counter()
    for item in items:
        ours._write_rows(item, ours_stats)
        _reference(reference, item, reference_stats)
    assert _state(ours) == _state(reference)
    assert ours_stats == reference_stats


@pytest.mark.parametrize("fail_at", [0, 1, 3, 7])
def test_a_write_failing_part_way_counts_the_same(fail_at: int) -> None:
    rng = random.Random(fail_at)
    items = [_item(rng, n) for n in range(30)]
    ours, reference = _pipeline(fail_at), _pipeline(fail_at)
    ours_stats: Counter[str] = Counter()
    reference_stats: Counter[str] = Counter()
    for writer, stats, write in (
        (ours, ours_stats, IndexWriterPipeline._write_rows),
        (reference, reference_stats, _reference),
    ):
        for item in items:
            try:
                write(writer, item, stats)
            except OSError:
                break
    assert _state(ours) == _state(reference)
    assert ours_stats == reference_stats
