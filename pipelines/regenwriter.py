"""Writer of ``scrapy regenerate``: input batches in, filtered batches out (index, excluded, keys).

The ``regenerate`` spider's writer (its ``WRITER_PIPELINE``). It takes the run's plan from the
batch book the spider opened (crawler.regen.batches), never from the spider. Every row's
decision (reasons, consent records, licence) is recorded in the batch book; when the last row
of a batch is in, the batch is written at once: kept rows (every input column as it was, plus
``consent`` and ``license``) to ``index/part-NNNNN.parquet``, removed rows (plus ``reasons``) to
``excluded/part-NNNNN.parquet``, their keys to a hidden part merged into
``removed_keys.parquet`` at the end, and the batch is recorded in the resume state. NNNNN is the
batch number, so a redone batch replaces its own files and nothing else.

A write error (full disk, I/O error) stops the run at once: no more batches are read, the
finish reason is ``write-error: ...``, the manifest (``complete: false``) counts the batches on
disk, and ``--resume`` redoes the rest.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

from crawler.consent.verdict import PageVerdict
from crawler.consentdocs import FetchedDocument, consent_document_fetched
from crawler.distributed.connection import REDIS_ERRORS_STAT
from crawler.distributed.output import WorkerOutput
from crawler.distributed.regen import SharedRegen, merge_removed_keys
from crawler.output.counts import RowCounts, consent_fetch_counts, policy_fields
from crawler.output.indexdir import MANIFEST, clear_outputs
from crawler.output.manifest import (
    ManifestReserve,
    manifest_head,
    parts_record,
    write_manifest,
)
from crawler.output.shards import (
    CONSENT_DOCS_DISTINCT,
    CONSENT_DOCS_SCHEMA,
    CONSENT_RECORD,
    FAMILY_COLUMNS,
    ShardWriter,
    consent_doc_row,
    file_sha256,
)
from crawler.policyrt import policy_of
from crawler.records import CandidateRow, DecidedBatch, Item, RowsItem, Written
from crawler.regen.batches import BatchBook, OpenBatch
from crawler.regen.keys import removed_keys_schema, removed_keys_table
from crawler.regen.progress import Progress
from crawler.regen.state import STATE_FILE, RegenState
from crawler.runtime import non_default_settings
from crawler.shutdown import (
    cancel_queued_requests,
    recheck_closing_after_items,
    requests_cancelled,
)
from crawler.warc.capture import warc_manifest_fields

logger = logging.getLogger(__name__)

REMOVED_KEYS = "removed_keys.parquet"
KEY_PARTS = Path(".regen") / "removed"
CONSENT_LIST = pa.list_(CONSENT_RECORD)


def _input_row(row: CandidateRow) -> int:
    """The row's index in its input batch (every row of a RowsItem has one)."""
    if row.input_row is None:
        raise ValueError(f"a regeneration row without its input row: {row.url!r}")
    return row.input_row


def decided_reasons(entry: OpenBatch) -> list[list[str]]:
    """Every row's reasons; a batch with an undecided row is never written (fail closed)."""
    out: list[list[str]] = []
    for row, reasons in enumerate(entry.reasons):
        if reasons is None:
            raise RuntimeError(f"batch {entry.batch.number}: row {row} has no decision")
        out.append(reasons)
    return out


class RegenWriterPipeline:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.root = Path(settings.get("INDEX_DIR"))
        self.compression = settings.get("INDEX_COMPRESSION")
        self.docs_per_part = settings.getint("INDEX_ROWS_PER_SHARD")
        self.book = BatchBook.of(crawler)  # the plan, and the batches the spider handed out
        self.plan = self.book.plan
        # Consent documents fetched since the last batch (the consent_document_fetched signal).
        self.new_documents: list[FetchedDocument] = []
        self.started_at = datetime.now(UTC)
        self.complete = False
        self.write_error: str | None = None
        # The schema of each output, from the first batch written (for an empty part).
        self.output_schemas: dict[str, pa.Schema] = {}
        self.abandoning = False
        crawler.signals.connect(self.document_fetched, signal=consent_document_fetched)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.item_error, signal=signals.item_error)
        recheck_closing_after_items(crawler)
        crawler.signals.connect(self.abandon_in_flight, signal=requests_cancelled)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RegenWriterPipeline:
        return cls(crawler)

    # --- lifecycle ------------------------------------------------------------------------------

    def open_spider(self) -> None:
        plan = self.plan
        root = self.root
        root.mkdir(parents=True, exist_ok=True)
        # Distributed (REDIS_URL): Redis knows which batches are done; this worker keeps its
        # own state file and never clears or prunes the shared OUTDIR.
        self.shared = SharedRegen.of(self.crawler.settings, plan)
        if self.shared is not None:
            self.state = RegenState.start(root, plan.fingerprint())
            self.state.path = root / f".regen-state-{self.shared.worker}.json"
        elif plan.resume:
            self.state = RegenState.load(root, plan.fingerprint())
            self._remove_strays()
        else:
            clear_outputs(root)
            for name in (STATE_FILE, REMOVED_KEYS):
                (root / name).unlink(missing_ok=True)
            shutil.rmtree(root / ".regen", ignore_errors=True)
            self.state = RegenState.start(root, plan.fingerprint())
        self.reserve = ManifestReserve(self.root)
        self.book.done = self.state.done
        self.index_dir = root / "index"
        self.excluded_dir = root / "excluded"
        self.keys_dir = root / KEY_PARTS
        for directory in (self.index_dir, self.excluded_dir, self.keys_dir):
            directory.mkdir(parents=True, exist_ok=True)
        self.prior_consent = list(self.state.consent_parts)
        self.consent = ShardWriter(
            root / "consent",
            CONSENT_DOCS_SCHEMA,
            self.docs_per_part,
            self.compression,
            first_part=len(self.state.consent_parts),
            plain_columns=CONSENT_DOCS_DISTINCT,
        )
        if self.shared is not None:
            WorkerOutput(self.shared.worker).name_parts(self.consent)
        settings = self.crawler.settings
        self.progress = Progress(
            plan.total_rows,
            enabled=settings.getbool("REGEN_PROGRESS", True),
            interval=settings.getfloat("REGEN_PROGRESS_INTERVAL", 1.0),
        )
        self.progress.skip(sum(b["rows"] for b in self.state.batches.values()))
        key_field = None
        if plan.columns.key:
            key_field = plan.inputs[0].schema.field(plan.columns.key)
        self.keys_schema = removed_keys_schema(key_field)
        if self.state.batches:
            logger.info(
                "resuming: %d of %d batches already written",
                len(self.state.batches),
                plan.total_batches,
            )

    def _remove_strays(self) -> None:
        """Part files a killed run wrote for batches it did not record: redone from scratch."""
        keep = {
            self.root / part["path"]
            for record in self.state.batches.values()
            for part in record["parts"].values()
            if part
        }
        keep.update(self.root / p["path"] for p in self.state.consent_parts)
        for sub in ("index", "excluded", "consent", str(KEY_PARTS)):
            directory = self.root / sub
            if not directory.is_dir():
                continue
            for path in directory.iterdir():
                if path not in keep:
                    path.unlink()
        (self.root / REMOVED_KEYS).unlink(missing_ok=True)
        (self.root / MANIFEST).unlink(missing_ok=True)

    # --- rows -----------------------------------------------------------------------------------

    def process_item(self, item: Item) -> Item | Written:
        if isinstance(item, DecidedBatch):
            entry = self.book.open.get(item.batch)
            if entry is not None and entry.missing == 0:
                try:
                    excluded = [r for r in entry.reasons if r]
                    self.progress.add(len(entry.reasons) - len(excluded), excluded)
                except Exception as exc:  # the batch would never be written: stop, say why
                    self.failed(exc)
                self.write_batch_or_stop(entry)  # a write error stops the run (never a hang)
            return Written(batch=item.batch, rows=0 if entry is None else len(entry.reasons))
        if not isinstance(item, RowsItem):
            return item
        verdict = PageVerdict(item.page_signals)
        finished: list[OpenBatch] = []
        decided: list[list[str]] = []
        number = item.batch
        for cand in item.candidates:
            reasons, consent = verdict.row(cand.reasons, cand.signals)
            decided.append(reasons)
            done = self.book.record(
                number, _input_row(cand), reasons, consent, cand.license, cand.columns
            )
            if done is not None:
                finished.append(done)
        # Progress moves per item (rows decided), not once per written batch.
        self.progress.add(sum(not r for r in decided), [r for r in decided if r])
        for entry in finished:
            self.write_batch_or_stop(entry)
        return Written(batch=number, rows=len(item.candidates))

    def item_error(self, item: Any, response: Any, spider: Any, failure: Any) -> None:
        """A rows item that failed in a pipeline: its undecided rows are excluded, never lost.
        A decided batch that failed can never be written: the run stops (never a hang)."""
        if isinstance(item, DecidedBatch):
            self.failed(failure.value)
            return
        if not isinstance(item, RowsItem):
            return
        reason = f"fetch:error={type(failure.value).__name__}"
        self.crawler.stats.inc_value("regenerate/item_errors")
        for cand in item.candidates:
            reasons = list(dict.fromkeys([*cand.reasons, reason]))
            done = self.book.record(item.batch, _input_row(cand), reasons, [], None)
            self.progress.add(0, [reasons])
            if done is not None:
                self.write_batch_or_stop(done)

    def document_fetched(self, document: FetchedDocument) -> None:
        self.new_documents.append(document)

    def _flush_consent(self) -> None:
        """Consent documents go to disk with the batch they decided (and survive a kill)."""
        documents, self.new_documents = self.new_documents, []
        self.consent.extend([consent_doc_row(d) for d in documents])
        self.consent.seal()
        self.state.consent_parts = self.prior_consent + parts_record(self.consent.parts, self.root)

    def _write(
        self, directory: Path, number: int, table: pa.Table, plain: Collection[str] = ()
    ) -> dict[str, Any] | None:
        """``table`` as part ``number`` of ``directory``; ``plain``: its columns of distinct
        values (not dictionary-encoded, ``ShardWriter``)."""
        if table.num_rows == 0:
            return None
        part = ShardWriter(
            directory,
            table.schema,
            compression=self.compression,
            first_part=number,
            plain_columns=plain,
        )
        written = part.write_table(table)
        return parts_record([written], self.root)[0]

    def abandon_in_flight(self, count: int) -> None:
        """Stopping, with queued requests dropped (maybe a document a row waits for): batches
        not written yet are left to --resume, not written with unchecked rows."""
        self.abandoning = True
        self.book.stop()

    def write_batch_or_stop(self, entry: OpenBatch) -> None:
        if self.write_error is not None or self.abandoning:
            return  # stopping: this batch is redone by --resume
        try:
            if entry.batch_decided:  # rows the batch path decided in a mixed batch: progress
                decided = [entry.reasons[i] or [] for i in entry.batch_decided]
                excluded = [r for r in decided if r]
                self.progress.add(len(decided) - len(excluded), excluded)
                entry.batch_decided = []
            self.write_batch(entry)
        except Exception as exc:  # any failure writing a batch stops the run: never a hang
            self.failed(exc)

    def failed(self, exc: BaseException) -> None:
        """A part or the state could not be written: stop reading, close the run, say why."""
        if self.write_error is not None:
            return
        self.write_error = f"write-error: {type(exc).__name__}: {exc}"
        logger.error("could not write to %s (%s); stopping", self.root, exc)
        self.crawler.stats.set_value("regenerate/write_error", self.write_error)
        self.book.stop()
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=self.write_error))
            cancel_queued_requests(self.crawler)

    def write_batch(self, entry: OpenBatch) -> None:
        """Write one batch's kept rows, removed rows and keys, then record it as done."""
        plan, batch = self.plan, entry.batch
        names = plan.out_names
        decided = decided_reasons(entry)
        kept_idx = [i for i, r in enumerate(decided) if not r]
        excl_idx = [i for i, r in enumerate(decided) if r]
        table = pa.Table.from_batches([batch.data])
        consent = entry.consent_array
        if consent is None:
            consent = pa.array(entry.consent, type=CONSENT_LIST)
        license_ = entry.license_array
        if license_ is None:
            license_ = pa.array(entry.license, type=pa.string())
        kept_take = pa.array(kept_idx, type=pa.int64())
        excl_take = pa.array(excl_idx, type=pa.int64())
        index = table.take(kept_take)
        index = index.append_column(names["consent"], consent.take(kept_take))
        index = index.append_column(names["license"], license_.take(kept_take))
        excl_reasons = [decided[i] for i in excl_idx]
        excluded = table.take(excl_take)
        excl_reasons_array = pa.array(excl_reasons, type=pa.list_(pa.string()))
        excluded = excluded.append_column(names["reasons"], excl_reasons_array)
        excluded = excluded.append_column(names["consent"], consent.take(excl_take))
        excluded = excluded.append_column(names["license"], license_.take(excl_take))
        for name, type_ in FAMILY_COLUMNS:  # the registry's family columns (null: not filled)
            values = (entry.columns or {}).get(name)
            column = pa.array(values or [None] * batch.num_rows, type=type_)
            index = index.append_column(names[name], column.take(kept_take))
            excluded = excluded.append_column(names[name], column.take(excl_take))
        self.output_schemas["index"] = index.schema
        self.output_schemas["excluded"] = excluded.schema
        keys = removed_keys_table(
            batch.data,
            excl_idx,
            url_column=plan.columns.url,
            key_column=plan.columns.key,
            input_name=plan.input_name(batch.input_index),
            first_row=batch.first_row,
            reasons=excl_reasons_array,
        )
        self._flush_consent()
        parts: dict[str, dict[str, Any] | None] = {}
        try:
            distinct = (plan.columns.url, plan.columns.caption or plan.columns.url)
            parts["index"] = self._write(self.index_dir, batch.number, index, distinct)
            parts["excluded"] = self._write(self.excluded_dir, batch.number, excluded, distinct)
            parts["removed"] = self._write(self.keys_dir, batch.number, keys, ("url_sha256",))
        except BaseException:
            # All of a batch or none of it: the parts already written would be counted by
            # no manifest (and --resume redoes the batch).
            for part in parts.values():
                if part:
                    (self.root / part["path"]).unlink(missing_ok=True)
            raise
        counts = RowCounts()
        for i in kept_idx:
            counts.add_kept(entry.license[i])
        counts.add_excluded_rows(excl_reasons)
        self.state.complete(
            batch.number,
            {
                "input": batch.input_index,
                "first_row": batch.first_row,
                "rows": batch.num_rows,
                **counts.batch_record(),
                "parts": parts,
            },
        )
        stats = self.crawler.stats
        stats.inc_value("regenerate/batches_written")
        stats.inc_value("regenerate/rows", batch.num_rows)
        stats.inc_value("regenerate/kept", len(kept_idx))
        stats.inc_value("regenerate/excluded", len(excl_idx))
        for family, n in counts.families.items():
            stats.inc_value(f"consentcrawl/excluded/{family}", n)
        if self.shared is not None:
            from redis.exceptions import RedisError  # only with Redis: not imported otherwise

            try:
                self.shared.queue.complete(batch.number)
            except RedisError as exc:  # its parts are written; a redo replaces them, no twice
                logger.error("could not mark batch %d done in Redis: %s", batch.number, exc)
                stats.inc_value(REDIS_ERRORS_STAT)
        self.book.close(batch.number)

    # --- end ------------------------------------------------------------------------------------

    def close_spider(self) -> None:
        self.book.stop()
        try:
            if self.write_error is None:
                self._flush_consent()
            self.state.save()
            if self.write_error is None:  # on a full disk, the manifest comes first
                if self.shared is not None:
                    merge_removed_keys(
                        self.root, self.keys_dir, self.shared.worker, self.keys_schema
                    )
                else:
                    self._merge_keys()
        except (OSError, pa.ArrowException) as exc:
            self.failed(exc)
        self.complete = self.write_error is None and set(self.state.batches) >= set(
            range(self.plan.total_batches)
        )
        if self.shared is not None:
            from redis.exceptions import RedisError

            self.shared.stop_renewing()
            try:
                self.complete = self.write_error is None and self.shared.queue.all_done()
            except RedisError as exc:
                logger.error("Redis unreachable (%s): cannot tell whether the run is complete", exc)
                self.crawler.stats.inc_value(REDIS_ERRORS_STAT)
                self.complete = False
        elif self.complete:
            try:
                self._write_empty_parts()
            except (OSError, pa.ArrowException) as exc:
                self.failed(exc)
                self.complete = False
        self.progress.close()
        stats = self.crawler.stats
        stats.set_value("regenerate/complete", self.complete)
        if not self.complete:
            missing = self.plan.total_batches - len(self.state.batches)
            logger.warning(
                "regeneration incomplete: %d batch(es) not written; run again with --resume",
                missing,
            )

    def _write_empty_parts(self) -> None:
        """A folder no batch wrote a row to (every row kept, or none: an offline run) still
        gets one part with the schema and no rows, so ``index/*.parquet`` always loads."""
        if not self.state.batches:
            return
        first = self.state.batches[min(self.state.batches)]
        for kind, directory in (("index", self.index_dir), ("excluded", self.excluded_dir)):
            schema = self.output_schemas.get(kind)
            if schema is None or self.state.parts(kind):
                continue
            writer = ShardWriter(directory, schema, compression=self.compression, first_part=0)
            written = writer.write_table(schema.empty_table())
            first.setdefault("parts", {})[kind] = parts_record([written], self.root)[0]
        self.state.save()

    def _merge_keys(self) -> None:
        """One ``removed_keys.parquet`` from the per-batch key parts, a part at a time."""
        target = self.root / REMOVED_KEYS
        tmp = target.with_name(f".{target.name}.tmp")
        with pq.ParquetWriter(tmp, self.keys_schema, compression=self.compression) as writer:
            for part in self.state.parts("removed"):
                writer.write_table(pq.read_table(self.root / part["path"]))
        tmp.replace(target)

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Write the manifest last, once every part file is in place."""
        if self.write_error is not None:
            reason = self.write_error
        reserve = getattr(self, "reserve", None)
        if reserve is not None:
            reserve.release()
        try:
            path = self.root / MANIFEST
            if self.shared is not None:
                path = WorkerOutput(self.shared.worker).manifest_path(self.root)
            write_manifest(path, self.build_manifest(spider, reason))
        except Exception:
            logger.exception("could not write %s", self.root / MANIFEST)

    def build_manifest(self, spider: Any, reason: str) -> dict[str, Any]:
        plan, state = self.plan, self.state
        records = [state.batches[n] for n in sorted(state.batches)]
        counts = sum((RowCounts.from_batch_record(r) for r in records), RowCounts())
        stats = self.crawler.stats.get_stats() or {}
        removed = self.root / REMOVED_KEYS
        return {
            **manifest_head("regenerate", self.started_at, reason, spider.name),
            "complete": self.complete,
            "runs": state.runs,
            "inputs": [inp.record() for inp in plan.inputs],
            "columns": {
                "url": plan.columns.url,
                "caption": plan.columns.caption,
                "page": plan.columns.page,
                "key": plan.columns.key,
            },
            "output_columns": dict(plan.out_names),
            "renamed_columns": plan.renamed,
            "batch_rows": plan.batch_rows,
            "batches": {"total": plan.total_batches, "written": len(records)},
            "fetch_pages": plan.fetch_pages,
            **policy_fields(policy_of(self.crawler), non_default_settings(self.crawler.settings)),
            "counts": {
                "input_rows": plan.total_rows,
                "rows_written": sum(r["rows"] for r in records),
                **counts.manifest_counts(),
                **consent_fetch_counts(stats),
            },
            "parts": {
                "index": state.parts("index"),
                "excluded": state.parts("excluded"),
                "consent": state.consent_parts,
                "removed_keys": {
                    "path": REMOVED_KEYS,
                    "rows": counts.excluded,
                    "sha256": file_sha256(removed) if removed.exists() else None,
                },
            },
            **warc_manifest_fields(self.crawler),
        }
