"""Index writer: explode page items into rows, write index / excluded / consent and the manifest.

Every candidate ends in exactly one of ``index/`` (no reasons) or ``excluded/`` (with its
reasons); a page that was refused or failed is an ``excluded/`` row of kind ``page``. Rows are
flushed to disk every ``INDEX_FLUSH_SECONDS`` (the part being filled is rewritten whole and
renamed into place), when a shard is full, and on close, including a close caused by Ctrl-C:
a hard kill loses at most the last interval, and every part on disk is readable.

A write error (full disk, I/O error) stops the crawl with ``write-error: ...`` as its finish
reason; the manifest then counts the rows read back from the parts on disk. With ``JOBDIR``,
the pages whose rows are on disk are recorded in the crawl journal (crawler.output.journal),
and a resumed crawl keeps the earlier runs' rows. A distributed worker (REDIS_URL) acknowledges
in Redis, at each flush, the claimed requests whose rows are now on disk (ClaimAcks).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from crawler.consent.verdict import PageVerdict
from crawler.consentdocs import FetchedDocument, consent_document_fetched
from crawler.distributed.connection import REDIS_ERRORS_STAT
from crawler.distributed.output import ClaimAcks, WorkerOutput
from crawler.output.counts import RowCounts, consent_fetch_counts, policy_fields
from crawler.output.indexdir import MANIFEST, OUTPUT_SUBDIRS, check_index_dir, clear_outputs
from crawler.output.journal import DoneLog, check_jobdir
from crawler.output.manifest import (
    ManifestReserve,
    manifest_head,
    parts_record,
    write_manifest,
)
from crawler.output.ondisk import (
    count_rows,
    drop_pages,
    existing_parts,
    next_part_number,
    remove_temporary,
)
from crawler.output.shards import (
    CONSENT_DOCS_SCHEMA,
    DISTINCT_COLUMNS,
    EXCLUDED_SCHEMA,
    FAMILY_COLUMN_NAMES,
    INDEX_SCHEMA,
    ShardWriter,
    consent_doc_row,
)
from crawler.policyrt import policy_of
from crawler.records import DecidedBatch, ExcludedPage, Item, PageItem, Written, license_columns
from crawler.runtime import non_default_settings
from crawler.shutdown import cancel_queued_requests, requests_cancelled
from crawler.warc.capture import warc_manifest_fields

logger = logging.getLogger(__name__)

# Index columns copied from the extracted candidate as they are (issue 11).
EXTRACTION_FIELDS = (
    "thumbcaption",
    "image_source",
    "url_attribute",
    "in_main_content",
)


def iso_time(value: datetime | str | None) -> str | None:
    """A timestamp as ISO 8601 text in UTC (JSON-safe, e.g. for img2dataset's sidecars)."""
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


class IndexWriterPipeline:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        # Distributed mode: INDEX_DIR is shared by design; parts and manifest per worker.
        self.worker_output = WorkerOutput.of(settings)
        # ... and the requests whose rows a flush made durable are acknowledged in Redis.
        self.acks = ClaimAcks.of(settings)
        self._parts_at_flush: tuple[int, ...] = ()
        jobdir = settings.get("JOBDIR")
        self.resuming = check_jobdir(jobdir, settings.get("INDEX_DIR") or "")
        overwrite = settings.getbool("INDEX_OVERWRITE") or self.resuming
        self.root = check_index_dir(
            settings.get("INDEX_DIR"), overwrite or self.worker_output is not None
        )
        self.done_log = DoneLog(jobdir, self.root) if jobdir else None
        self.rows_per_shard = settings.getint("INDEX_ROWS_PER_SHARD")
        self.compression = settings.get("INDEX_COMPRESSION")
        self.flush_seconds = settings.getfloat("INDEX_FLUSH_SECONDS", 30.0)
        # Pages whose rows wait for the next flush (the journal's commit), and how many of them
        # were fetched (not excluded before fetching).
        self.pending_pages: list[str] = []
        self.pending_fetched = 0
        self.write_error: str | None = None
        self.earlier = RowCounts()  # rows of earlier runs (when resuming)
        self.earlier_fetched = 0
        self.runs: list[dict[str, Any]] = []
        self.rows = RowCounts()  # this run's rows (crawler.output.counts)
        self.pages_fetched = 0
        self.caption_source_counts: Counter[str] = Counter()
        # Consent documents fetched since the last flush (the consent_document_fetched signal).
        self.new_documents: list[FetchedDocument] = []
        self.started_at = datetime.now(UTC)
        crawler.signals.connect(self.document_fetched, signal=consent_document_fetched)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.abandon_in_flight, signal=requests_cancelled)
        self.abandoning = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IndexWriterPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        existing: dict[str, list] = {sub: [] for sub in OUTPUT_SUBDIRS}
        if self.resuming and self.done_log is not None:
            existing = self._resume(self.done_log)
        elif self.worker_output is None:  # a distributed worker never clears the shared dir
            clear_outputs(self.root)
        shard, codec = self.rows_per_shard, self.compression
        writers = {}
        for sub, schema in zip(
            OUTPUT_SUBDIRS, (INDEX_SCHEMA, EXCLUDED_SCHEMA, CONSENT_DOCS_SCHEMA), strict=True
        ):
            parts = existing[sub]
            writers[sub] = ShardWriter(
                self.root / sub,
                schema,
                shard,
                codec,
                first_part=next_part_number(parts),
                existing=parts,
                plain_columns=DISTINCT_COLUMNS[sub],
            )
        self.index, self.excluded, self.consent = (writers[s] for s in OUTPUT_SUBDIRS)
        if self.worker_output is not None:
            self.worker_output.name_parts(self.index, self.excluded, self.consent)
        self._parts_at_flush = self._part_counts()
        self.runs.append(
            {
                "started_at": self.started_at.isoformat(),
                "finished_at": None,
                "finish_reason": None,  # stays None if the run is killed
                "resumed": self.resuming,
            }
        )
        self.reserve = ManifestReserve(self.root)
        self._save_runs()
        if self.flush_seconds > 0:
            self.flusher = task.LoopingCall(self.flush)
            self.flusher.start(self.flush_seconds, now=False)

    def _resume(self, done_log: DoneLog) -> dict[str, list]:
        """Keep the rows of earlier runs whose pages the journal records as done."""
        journal = done_log.journal
        existing = {}
        for sub in OUTPUT_SUBDIRS:
            remove_temporary(self.root / sub)
            existing[sub] = existing_parts(self.root / sub)
        for sub in ("index", "excluded"):
            existing[sub] = drop_pages(existing[sub], journal.done, self.compression)
        self.earlier = count_rows(existing["index"], existing["excluded"])
        self.earlier_fetched = journal.fetched
        self.runs = list(journal.runs)
        (self.root / MANIFEST).unlink(missing_ok=True)
        logger.info(
            "resuming: %d rows kept from %d earlier run(s), %d pages done, %d to fetch",
            self.earlier.kept + self.earlier.excluded + self.earlier.pages_excluded,
            len(self.runs),
            len(journal.done),
            len(journal.pending),
        )
        return existing

    def _save_runs(self) -> None:
        if self.done_log is not None:
            self.done_log.save_runs(self.runs)

    # --- durability -----------------------------------------------------------------------------

    def flush(self) -> None:
        """Put every row so far on disk, then record their pages as done in the journal."""
        if self.write_error is not None:
            return
        try:
            self._add_documents()
            for writer in (self.index, self.excluded, self.consent):
                writer.flush()
            if self.done_log is not None:
                self.done_log.commit(self.pending_pages, self.pending_fetched)
            if self.acks is not None:  # distributed: these rows' requests are done for good
                self.acks.commit()
                self._parts_at_flush = self._part_counts()
        except Exception as exc:  # a bug here must stop the run, not drop rows
            self.failed(exc)
            return
        self.pending_pages, self.pending_fetched = [], 0

    def document_fetched(self, document: FetchedDocument) -> None:
        self.new_documents.append(document)

    def _add_documents(self) -> None:
        if self.new_documents:
            documents, self.new_documents = self.new_documents, []
            if self.acks is not None:
                self.acks.add_documents(documents)
            self.consent.extend([consent_doc_row(d) for d in documents])

    def _part_counts(self) -> tuple[int, ...]:
        return tuple(len(w.parts) for w in (self.index, self.excluded, self.consent))

    def abandon_in_flight(self, count: int) -> None:
        """The crawl is stopping and dropped queued requests, possibly a consent document an
        item waits for: items from now on are not written (their pages stay pending)."""
        self.abandoning = True

    def failed(self, exc: BaseException) -> None:
        """A row could not be written: stop the crawl, and say why (the manifest and exit code)."""
        if self.write_error is not None:
            return
        self.write_error = f"write-error: {type(exc).__name__}: {exc}"
        logger.error("could not write to %s (%s); stopping the crawl", self.root, exc)
        self.crawler.stats.set_value("consentcrawl/write_error", self.write_error)
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=self.write_error))
            cancel_queued_requests(self.crawler)

    def process_item(self, item: Item) -> Written:
        if isinstance(item, DecidedBatch):
            return Written(batch=item.batch)  # not a crawl item: nothing to write here
        rows = len(item.candidates) if isinstance(item, PageItem) else 1
        if self.write_error is not None or self.abandoning:
            # Nothing more reaches disk; the manifest counts what is there (and a resumed
            # crawl fetches the abandoned pages again).
            return Written(page_url=item.url, rows=rows)
        try:
            self._write_item(item)
        except (OSError, pa.ArrowException) as exc:
            self.failed(exc)
        else:
            if self.acks is not None and self._part_counts() != self._parts_at_flush:
                # A full shard went to disk: flush the rest and acknowledge, or a worker killed
                # now would be redone for rows that are already in that shard.
                self.flush()
        return Written(page_url=item.url, rows=rows)

    def _write_item(self, item: PageItem | ExcludedPage) -> None:
        if self.done_log is not None and item.url is not None:
            # only a journal needs the pages of the next flush
            self.pending_pages.append(item.url)
            if isinstance(item, PageItem):
                self.pending_pages.extend(item.request_urls)
        if self.acks is not None:
            self.acks.add_item(item)
        if isinstance(item, PageItem):
            self.pending_fetched += 1
            self._write_page(item)
        else:
            for family in self.rows.add_excluded(item.reasons, page=True):
                self.crawler.stats.inc_value(f"consentcrawl/excluded/{family}")
            self.crawler.stats.inc_value("consentcrawl/live/excluded_rows")  # progress line
            self.excluded.add(
                {
                    "url": item.url,
                    "page_url": item.url,
                    "kind": "page",
                    "caption": None,
                    "reasons": item.reasons,
                    "license": None,
                    "fetched_at": item.fetched_at,
                    "consent": [s.as_record() for s in item.signals],
                }
            )
        self._add_documents()

    def _write_page(self, item: PageItem) -> None:
        self.pages_fetched += 1
        # The page's stats, counted per row and added once per key (Scrapy's stats cost ~2 us
        # a call; the totals and the order keys first appear in are the same), also when a
        # write fails part-way.
        stats: Counter[str] = Counter()
        try:
            self._write_rows(item, stats)
        finally:
            inc = self.crawler.stats.inc_value
            for key, n in stats.items():
                inc(key, n)

    def _write_rows(self, item: PageItem, stats: Counter[str]) -> None:
        verdict = PageVerdict(item.page_signals)
        page_url, fetched_at = item.url, item.fetched_at
        kept_at = iso_time(fetched_at)  # the index's text form: one per page
        # The excluded rows' reasons, counted once per page after its rows (rows with the same
        # reasons at once: the same counts and orders as row by row, crawler.output.counts),
        # also when a write fails part-way.
        excluded: list[list[str]] = []
        try:
            for cand in item.candidates:
                reasons, consent = verdict.row(cand.reasons, cand.signals)
                columns = cand.columns
                if reasons:
                    excluded.append(reasons)
                    row: dict[str, Any] = {
                        "url": cand.url,
                        "page_url": page_url,
                        "kind": "image",
                        "caption": cand.caption,
                        "reasons": reasons,
                        "license": cand.license,
                        "fetched_at": fetched_at,
                        "consent": consent,
                    }
                    for name in FAMILY_COLUMN_NAMES:
                        row[name] = columns.get(name)
                    self.excluded.add(row)
                    continue
                licence = license_columns(cand.license_choice)
                self.rows.add_kept(licence["license"])
                self.caption_source_counts[cand.caption_source or "none"] += 1
                stats["consentcrawl/live/kept_rows"] += 1  # progress line
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
                    "fetched_at": kept_at,
                    "consent": consent,
                    "caption_source": cand.caption_source,
                }
                for name in EXTRACTION_FIELDS:
                    row[name] = getattr(found, name) if found else None
                row.update(licence)
                for name in FAMILY_COLUMN_NAMES:
                    row[name] = columns.get(name)
                self.index.add(row)
        finally:
            if excluded:
                for family, n in self.rows.add_excluded_rows(excluded).items():
                    stats[f"consentcrawl/excluded/{family}"] += n
                stats["consentcrawl/live/excluded_rows"] += len(excluded)  # progress line

    def close_spider(self) -> None:
        flusher = getattr(self, "flusher", None)
        if flusher is not None and flusher.running:
            flusher.stop()
        self.flush()
        if self.write_error is None:
            try:
                # An empty result is still a readable dataset with the schema.
                for writer in (self.index, self.excluded, self.consent):
                    writer.close(empty_part=True)
            except Exception as exc:  # any failure here loses rows: never a silent exit 0
                self.failed(exc)
        stats = self.crawler.stats
        acks = self.acks
        if acks is not None and self.write_error is None and (acks.claims or acks.documents):
            # Rows on disk whose requests Redis never heard were done: they may be redone.
            stats.inc_value(REDIS_ERRORS_STAT)
        counts = self.final_counts()
        for name in ("pages_fetched", "pages_excluded", "candidates", "kept", "excluded"):
            stats.set_value(f"consentcrawl/{name}", counts[name])
        if self.done_log is not None:
            self.done_log.close()

    def row_causes(self) -> dict[str, Any]:
        """Why rows were excluded, this run's rows: refused apart from unverifiable (one
        classifier, crawler/report/causes.py), consent apart from quality, caption sources."""
        rows = self.rows
        return {
            "excluded_rows_for_consent": rows.overlap["consent"],
            "excluded_rows_refused": rows.overlap["refused"],
            "excluded_rows_unverifiable": rows.overlap["unverifiable"],
            "excluded_rows_for_quality": rows.overlap["quality"],
            "excluded_rows_for_quality_only": rows.overlap["quality_only"],
            "excluded_rows_for_caption": rows.overlap["caption"],
            "excluded_by_quality_reason": {
                k: v for k, v in rows.reasons.most_common() if k.startswith("quality:")
            },
            "rows_by_caption_source": dict(self.caption_source_counts.most_common()),
            # Rows of excluded/ (image rows and pages), each under one cause.
            "excluded_by_cause": rows.by_cause(),
            "excluded_rows": rows.excluded + rows.pages_excluded,
        }

    def final_counts(self) -> dict[str, Any]:
        """The manifest's counts: this run's plus earlier runs' rows, or, after a write error,
        the rows read back from disk (exactly what the parts hold)."""
        if self.write_error is not None:
            rows = count_rows(self.index.parts, self.excluded.parts)
        else:
            rows = self.earlier + self.rows
        counts = rows.manifest_counts()
        return {
            "pages_fetched": self.earlier_fetched + self.pages_fetched,
            "pages_excluded": rows.pages_excluded,
            "candidates": rows.candidates,
            "kept": counts["kept"],
            "excluded": counts["excluded"],
            "excluded_by_family": counts["excluded_by_family"],
            "excluded_by_reason": counts["excluded_by_reason"],
            "rows_by_license": counts["rows_by_license"],
        }

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Write the manifest last, once every part file is in place."""
        if self.write_error is not None:
            reason = self.write_error
        if self.runs:
            self.runs[-1].update(finished_at=datetime.now(UTC).isoformat(), finish_reason=reason)
        try:
            self._save_runs()
        except OSError:
            logger.exception("could not record the run in JOBDIR")
        reserve = getattr(self, "reserve", None)
        if reserve is not None:
            reserve.release()
        try:
            manifest = self.build_manifest(spider, reason)
            path = self.root / MANIFEST
            if self.worker_output is not None:
                path = self.worker_output.manifest_path(self.root)
            write_manifest(path, manifest)
        except Exception:  # the data is on disk; say loudly that the manifest is not
            logger.exception("could not write the manifest in %s", self.root)

    def build_manifest(self, spider: Any, reason: str) -> dict[str, Any]:
        seeds = getattr(spider, "seed_info", None)
        stats = self.crawler.stats
        config = self.crawler.settings.get("CONSENTCRAWL_CONFIG")
        config_record = None
        if config:
            data = Path(config).read_bytes()
            config_record = {"path": config, "sha256": hashlib.sha256(data).hexdigest()}
        return {
            **manifest_head("crawl", self.started_at, reason, spider.name),
            "config": config_record,
            "seeds": {
                "source": seeds.source if seeds else None,
                "sha256": seeds.sha256 if seeds else None,
                "urls": seeds.urls if seeds else [],
            },
            **policy_fields(policy_of(self.crawler), non_default_settings(self.crawler.settings)),
            "runs": self.runs,
            "counts": {
                **self.final_counts(),
                **self.row_causes(),
                **consent_fetch_counts(stats.get_stats() or {}),
            },
            "parts": {
                "index": parts_record(self.index.parts, self.root),
                "excluded": parts_record(self.excluded.parts, self.root),
                "consent": parts_record(self.consent.parts, self.root),
            },
            **warc_manifest_fields(self.crawler),
        }
