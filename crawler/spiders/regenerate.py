"""The ``regenerate`` spider: re-check the rows of an existing index through the crawl's pipelines.

It fetches no pages (unless ``--fetch-pages``): ``start()`` reads the input in Arrow batches and
yields one ``RowsItem`` per chunk of rows (crawler.records); with a page column each row
carries its own page (or, with ``--fetch-pages``, an item per fetched page). The consent
pipelines are the crawl's own; the writer is the regeneration writer (``WRITER_PIPELINE`` in
``custom_settings``), which gets the plan from the batch book the spider opens with it.

Memory stays flat: a batch is not read until fewer than ``REGEN_BATCHES_IN_FLIGHT`` batches are
still waiting to be written (the batch book, crawler.regen.batches).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.consent.verdict import Signal
from crawler.consentdocs import origin_of
from crawler.distributed.connection import REDIS_ERRORS_STAT
from crawler.distributed.regen import SharedRegen, read_batch
from crawler.guard import address_policy
from crawler.items import candidate_target, failure_reasons, page_item
from crawler.middlewares import refusal_signals
from crawler.netguard import AddressPolicy
from crawler.records import CandidateRow, RowsItem
from crawler.regen.batches import BatchBook, OpenBatch
from crawler.regen.batchrun import BatchRunner
from crawler.regen.inputs import InputError, iter_batches, valid_origin
from crawler.regen.plan import RegenPlan, build_plan

logger = logging.getLogger(__name__)

# Defaults of the regenerate-only settings (any of them can be given with -s NAME=VALUE).
REGEN_DEFAULTS = {
    "REGEN_BATCH_ROWS": 10_000,  # rows per input batch = per part file
    "REGEN_ITEM_ROWS": 256,  # rows per item sent through the pipelines
    "REGEN_BATCHES_IN_FLIGHT": 3,  # batches read but not yet written (memory bound)
    "REGEN_PROGRESS": True,  # the live progress line on stderr
    "REGEN_PROGRESS_INTERVAL": 1.0,
    # Every input row is one image to re-check: a host with many rows is the workload itself.
    "IMAGE_PROBE_HOST_BUDGET": 0,
    # Decide rows per origin in Arrow batches when no request per row is needed (probe off,
    # no --fetch-pages): crawler.regen.batchpath, same decisions as the pipelines (issue 16).
    # Off: every row goes through the pipelines.
    "REGEN_BATCH_PATH": True,
}


def _origin(url: Any) -> str | None:
    return valid_origin(url)


class RegenerateSpider(scrapy.Spider):
    name = "regenerate"

    custom_settings = {
        # Regeneration touches thousands of hosts a few times each: more requests in flight
        # overall, the same politeness per host (CONCURRENT_REQUESTS_PER_DOMAIN is unchanged).
        "CONCURRENT_REQUESTS": 128,
        **REGEN_DEFAULTS,
        "WRITER_PIPELINE": "pipelines.regenwriter.RegenWriterPipeline",
        # Distributed (REDIS_URL): batches are leased from Redis, there is no shared frontier.
        "REDIS_FRONTIER": False,
    }

    # Set in from_crawler, from the settings.
    item_rows: int
    window: int
    keep_root: bool
    addresses: AddressPolicy
    book: BatchBook
    batch_runner: BatchRunner | None

    def __init__(self, plan: RegenPlan, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plan = plan

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> RegenerateSpider:
        settings = crawler.settings
        plan = kwargs.pop("plan", None)
        if plan is None:
            # ``scrapy crawl regenerate -a inputs=a.parquet,b.csv -a out=DIR`` also works.
            plan = build_plan(
                [p for p in (kwargs.get("inputs") or "").split(",") if p],
                kwargs.get("out") or settings.get("INDEX_DIR"),
                batch_rows=settings.getint("REGEN_BATCH_ROWS"),
                url_col=kwargs.get("url_col"),
                caption_col=kwargs.get("caption_col"),
                page_col=kwargs.get("page_col"),
                resume=settings.getbool("REGEN_RESUME"),
                fetch_pages=bool(kwargs.get("fetch_pages")),
            )
        spider = super().from_crawler(crawler, *args, plan=plan, **kwargs)
        spider.item_rows = max(1, settings.getint("REGEN_ITEM_ROWS"))
        spider.window = max(1, settings.getint("REGEN_BATCHES_IN_FLIGHT"))
        spider.keep_root = settings.getbool("LICENSE_DETECTION_ENABLED")
        spider.addresses = address_policy(settings)
        # The writer takes the plan from the book (crawler.regen.batches), not from the spider.
        spider.book = BatchBook.start(crawler, plan)
        spider.batch_runner = BatchRunner.of(crawler, plan)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        plan = self.plan
        book = self.book
        done = book.done
        shared = SharedRegen.of(self.crawler.settings, plan)
        if shared is not None:  # distributed (REDIS_URL): batches leased from Redis
            async for out in self.leased_output(shared):
                yield out
        batches = iter_batches(plan.inputs, plan.batch_rows) if shared is None else iter(())
        while True:
            try:
                batch = next(batches, None)
            except InputError as exc:
                # Rows past the damage cannot be counted: stop (incomplete), saying where.
                logger.error("%s", exc)
                self.crawler.stats.set_value("regenerate/input_error", str(exc))
                return
            if batch is None:
                break
            if batch.number in done:
                continue
            await book.room(self.window)
            if book.stopped:
                return  # a write error or a shutdown: the batches not written are redone
            entry = book.add(batch)
            runner = self.batch_runner
            pending = await self.decided(runner, entry) if runner is not None else None
            if pending == []:
                yield runner.item(entry)  # type: ignore[union-attr]
                continue
            for out in self.batch_output(entry, pending):
                yield out
        # Every batch handed out: once they are all written, one local data: request lets the
        # engine see it is idle now, instead of at its next 5 s heartbeat.
        await book.room(1)
        if book.stopped:
            return
        yield scrapy.Request("data:,", callback=self.finished, dont_filter=True)

    async def leased_output(self, shared: SharedRegen) -> AsyncIterator[Any]:
        """Claim a batch (room first: no lease is held while waiting), seek to it, send it;
        until every batch of the plan is written by some worker."""
        # Distributed only: a single-process crawl or regeneration never loads redis-py.
        from redis.exceptions import RedisError

        queue = shared.queue
        try:
            if queue.release_own():
                logger.info("took back this worker's own leases")
        except RedisError as exc:
            self._redis_lost(exc)
            return
        shared.start_renewing()
        while True:
            await self.book.room(self.window)
            try:
                number = queue.claim()
                finished = number is None and queue.all_done()
            except RedisError as exc:
                # No batch can be leased: stop handing out work; the batches leased and not
                # written expire and are redone by a worker (or by this one, --resume).
                self._redis_lost(exc)
                return
            if finished:
                return
            if number is None:
                await asyncio.sleep(shared.poll)  # leases held elsewhere: done or expired soon
                continue
            self.crawler.stats.inc_value("regenerate/batches_leased")
            batch = read_batch(self.plan.inputs, self.plan.batch_rows, number)
            entry = self.book.add(batch)
            for out in self.batch_output(entry):
                yield out

    def _redis_lost(self, exc: Exception) -> None:
        logger.error("Redis unreachable (%s): this worker leases no more batches", exc)
        self.crawler.stats.inc_value(REDIS_ERRORS_STAT)

    def finished(self, response: Response) -> Iterator[Any]:
        return iter(())

    async def decided(self, runner: BatchRunner, entry: OpenBatch) -> list[int] | None:
        """The batch path: [] when it decided every row, the rows left to the item path, or
        None (every row takes the item path) if it failed or does not apply: a batch whose
        rows could not be read keeps its own reason on the item path."""
        if entry.batch.unreadable:
            return None
        try:
            return await runner.decide(entry)
        except Exception:
            logger.exception("batch %d: batch path failed, using the item path", entry.batch.number)
            self.crawler.stats.inc_value("regenerate/batch_path/failed")
            fresh = OpenBatch(entry.batch)  # nothing of a failed decision is kept
            entry.reasons, entry.consent, entry.license = (
                fresh.reasons,
                fresh.consent,
                fresh.license,
            )
            entry.columns = entry.consent_array = entry.license_array = None
            entry.missing, entry.batch_decided = fresh.missing, []
            return None

    # --- items --------------------------------------------------------------------------------

    def batch_output(
        self, entry: OpenBatch, only: list[int] | None = None
    ) -> Iterator[RowsItem | scrapy.Request]:
        """The items (and, with --fetch-pages, page requests) that carry every row of a batch,
        or the rows ``only`` names (the others decided by the batch path)."""
        batch = entry.batch
        data = batch.data
        cols = self.plan.columns
        n = data.num_rows
        urls = data.column(cols.url).to_pylist()
        captions = data.column(cols.caption).to_pylist() if cols.caption else [None] * n
        indices = range(n) if only is None else only
        candidates = [self.candidate(i, urls[i], captions[i]) for i in indices]
        n = len(candidates)
        if batch.unreadable:
            for candidate in candidates:
                candidate.reasons = [batch.unreadable]
        size = self.item_rows
        if cols.page is None:
            # Rows of one origin travel together: an item then waits on (and looks up) a few
            # origins' documents instead of one per row.
            candidates.sort(key=lambda c: c.origin or "")
            for start in range(0, n, size):
                yield self.rows_item(batch.number, candidates[start : start + size], None)
            return
        pages = data.column(cols.page).to_pylist()
        if only is not None:
            pages = [pages[i] for i in only]
        if not self.plan.fetch_pages:
            # Each row carries its own page (pipelines.base.page_groups): an item of rows from
            # many pages still gets every page's documents checked, once per page. Rows of one
            # page origin travel together, so an item waits on a few origins only.
            page_origins: dict[Any, tuple[str | None, list[Signal]]] = {}
            for page, candidate in zip(pages, candidates, strict=True):
                known = page_origins.get(page)
                if known is None:
                    known = page_origins[page] = self.page_target(page)
                origin, refusals = known
                if origin:
                    candidate.page_url = page
                    candidate.page_origin = origin
                elif refusals:  # a page inside the network: its rows say so, nothing is fetched
                    candidate.signals.extend(refusals)
            candidates.sort(key=lambda c: (c.page_origin or "", c.origin or ""))
            for start in range(0, n, size):
                yield self.rows_item(batch.number, candidates[start : start + size], None)
            return
        groups: dict[Any, list[CandidateRow]] = {}
        for page, candidate in zip(pages, candidates, strict=True):
            groups.setdefault(page, []).append(candidate)
        for page, rows in groups.items():
            page_url = page if _origin(page) else None
            if page_url:
                yield scrapy.Request(
                    page_url,
                    callback=self.parse_page,
                    errback=self.page_failed,
                    meta={"regen_rows": rows, "regen_batch": batch.number},
                    dont_filter=True,
                )
                continue
            for start in range(0, len(rows), size):
                yield self.rows_item(batch.number, rows[start : start + size], page_url)

    def page_target(self, page: Any) -> tuple[str | None, list[Signal]]:
        """(origin, address refusals) of a row's page URL; origin None: no page checks."""
        if _origin(page) is None:
            return None, []
        origin, _reasons, refusals = candidate_target(page, self.addresses)
        return origin, refusals

    def candidate(self, row: int, url: Any, caption: Any) -> CandidateRow:
        # One parse per row (crawler.urls): an unusable URL or a non-public target is this
        # row's own exclusion, never its item's.
        signals: list[Signal]
        if _origin(url) is None:
            origin, reasons, signals = None, ["input:invalid-url"], []
        else:
            origin, reasons, signals = candidate_target(url, self.addresses)
        return CandidateRow(
            url=url if isinstance(url, str) else "",
            origin=origin,
            caption=caption,
            signals=signals,
            reasons=reasons,
            input_row=row,
        )

    @staticmethod
    def rows_item(number: int, candidates: list[CandidateRow], page_url: str | None) -> RowsItem:
        return RowsItem(
            batch=number,
            url=page_url,
            origin=origin_of(page_url) if page_url else None,
            fetched=False,
            candidates=candidates,
        )

    # --- --fetch-pages --------------------------------------------------------------------------

    def parse_page(self, response: Response) -> Iterator[RowsItem]:
        """The page's own headers and meta tags (and tree, for licences) for its rows."""
        page, _extract = page_item(response, self.keep_root, self.addresses)
        yield RowsItem(
            batch=response.meta["regen_batch"],
            url=page.url,
            origin=page.origin,
            fetched=True,
            candidates=response.meta["regen_rows"],
            status=page.status,
            fetched_at=page.fetched_at,
            headers=page.headers,
            meta=page.meta,
            root=page.root,
        )

    def page_failed(self, failure: Failure) -> Iterator[RowsItem]:
        """A page refused (robots.txt) or not fetched: its rows are excluded, as in the crawl."""
        request = failure.request  # type: ignore[attr-defined]
        reasons = failure_reasons(failure.value)
        self.crawler.stats.inc_value(f"regenerate/pages_failed/{reasons[0]}")
        rows: list[CandidateRow] = request.meta["regen_rows"]
        evidence = refusal_signals(failure.value)  # the robots.txt rule or error, if any
        for candidate in rows:
            candidate.reasons.extend(r for r in reasons if r not in candidate.reasons)
            candidate.signals.extend(evidence)
        yield self.rows_item(request.meta["regen_batch"], rows, None)
