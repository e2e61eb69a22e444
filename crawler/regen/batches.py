"""The batch book: what the ``regenerate`` spider has handed out and the writer has written.

The spider opens a batch (its Arrow data stays here, and nowhere else, until it is written),
sends its rows through the pipelines in chunks, and waits before reading another batch while
``window`` batches are still open: memory is bounded by ``window * batch size`` whatever the
input size. The writer records each row's decision; when the last row of a batch is in, the
batch is handed to the writer, written, and closed, which lets the spider read on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crawler.components import install, shared_if_built
from crawler.output.shards import FAMILY_COLUMN_NAMES
from crawler.regen.inputs import Batch
from crawler.regen.plan import RegenPlan

__all__ = ["BatchBook", "OpenBatch"]


@dataclass(slots=True)
class OpenBatch:
    batch: Batch
    reasons: list[list[str] | None] = field(default_factory=list)
    consent: list[list[dict[str, str]] | None] = field(default_factory=list)
    license: list[str | None] = field(default_factory=list)
    missing: int = 0
    # The registry's family columns, row-aligned; None until a row has a value (all null).
    columns: dict[str, list[Any]] | None = None
    # Set by the batch path (crawler.regen.batchrun): the columns already built, row-aligned.
    consent_array: Any = None
    license_array: Any = None
    # Rows the batch path decided in a batch whose other rows take the item path (an origin
    # naming an RSL licence): the writer counts their progress when it writes the batch.
    batch_decided: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = self.batch.num_rows
        self.reasons = [None] * n
        self.consent = [None] * n
        self.license = [None] * n
        self.missing = n


class BatchBook:
    """One regeneration run's plan and batches, shared by the spider and the writer pipeline.

    The spider settles the plan and opens the book with it (``BatchBook.start(crawler, plan)``,
    while it is built, before any pipeline); the writer takes it with ``BatchBook.of(crawler)``
    (crawler.components). The writer records the batches already written (``done``, on
    ``--resume``) before the spider reads any.
    """

    def __init__(self, plan: RegenPlan) -> None:
        self.plan = plan
        self.done: set[int] = set()
        self.open: dict[int, OpenBatch] = {}
        self._changed: asyncio.Event | None = None
        # Set when the run stops early (write error, Ctrl-C): the spider reads no more batches.
        self.stopped = False

    @classmethod
    def start(cls, crawler: Any, plan: RegenPlan) -> BatchBook:
        """Open the run's book with its plan (the ``regenerate`` spider)."""
        return install(crawler, BatchBook, cls(plan))

    @classmethod
    def of(cls, crawler: Any) -> BatchBook:
        """The run's book; a clear error when no ``regenerate`` spider opened one."""
        book = shared_if_built(crawler, BatchBook)
        if book is None:
            raise RuntimeError(
                "no regeneration plan in this crawl: the regeneration writer "
                "(pipelines.regenwriter.RegenWriterPipeline) runs with the regenerate spider"
            )
        return book

    def _event(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    async def room(self, window: int) -> None:
        """Wait until fewer than ``window`` batches are open (or the run stops)."""
        while len(self.open) >= max(1, window) and not self.stopped:
            event = self._event()
            event.clear()
            await event.wait()

    def add(self, batch: Batch) -> OpenBatch:
        entry = OpenBatch(batch)
        self.open[batch.number] = entry
        return entry

    def record(
        self,
        number: int,
        row: int,
        reasons: list[str],
        consent: list[dict[str, str]],
        license: str | None,
        columns: Mapping[str, Any] | None = None,
    ) -> OpenBatch | None:
        """One row's decision (``values``: where its family columns are read, e.g. the
        candidate); returns the batch when this was its last missing row."""
        entry = self.open.get(number)
        if entry is None or entry.reasons[row] is not None:
            return None  # already decided (an item that failed after the writer saw it)
        entry.reasons[row] = reasons
        entry.consent[row] = consent
        entry.license[row] = license
        if columns is not None:  # a candidate: the family columns the engine filled
            for name in FAMILY_COLUMN_NAMES:
                value = columns.get(name)
                if value is not None:
                    if entry.columns is None:
                        entry.columns = {}
                    entry.columns.setdefault(name, [None] * len(entry.reasons))[row] = value
        entry.missing -= 1
        return entry if entry.missing == 0 else None

    def stop(self) -> None:
        """No more batches: wake the spider waiting for room, so that it can end."""
        self.stopped = True
        self._event().set()

    def close(self, number: int) -> None:
        """The batch is written: forget its data and let the spider read the next one."""
        self.open.pop(number, None)
        self._event().set()
