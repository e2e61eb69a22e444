"""Distributed ``scrapy regenerate``: input batches leased from Redis (no Scrapy imports).

The work queue is per (file, batch): batch ``n`` of the plan is the ``k``-th slice of
``REGEN_BATCH_ROWS`` rows of one input file, and ``read_batch`` seeks straight to it (Parquet:
only the row groups that hold it are read; CSV/TSV/JSONL have no index, so those are read and
skipped up to it). Keys (``P`` = ``REDIS_KEY_PREFIX:regen:<plan fingerprint>:``)::

    P todo    LIST  batch numbers never handed out (seeded once, idempotently)
    P leases  ZSET  batch -> lease expiry (ms, Redis server clock)
    P owner   HASH  batch -> worker holding its lease
    P done    SET   batches whose part files are written

A worker claims an expired lease before a fresh batch, so a killed worker's batch is redone
after ``REGEN_LEASE_SECONDS``; a worker restarted with the same ``WORKER_ID`` takes its own
leases back at once. Part files are named by batch number and renamed into place, so a redone
batch replaces what a killed worker may have left of it: no row lost or written twice.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from crawler.regen.inputs import Batch, InputFile, _raw_batches, _rebatch

_SEED = """
if redis.call('SET', KEYS[1], '1', 'NX') then
  for n = 0, tonumber(ARGV[1]) - 1 do redis.call('RPUSH', KEYS[2], n) end
  return 1
end
return 0
"""

# Expired lease first (a dead worker's batch), then a fresh batch.
_CLAIM = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local until_ms = now + tonumber(ARGV[2])
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1)
local n = expired[1]
if not n then n = redis.call('LPOP', KEYS[1]) end
if not n then return false end
redis.call('ZADD', KEYS[2], until_ms, n)
redis.call('HSET', KEYS[3], n, ARGV[1])
return n
"""

# Renew (or, with ARGV[3] = '1', expire at once) every lease this worker holds.
_RENEW = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local until_ms = now + tonumber(ARGV[2])
if ARGV[3] == '1' then until_ms = 0 end
local owners = redis.call('HGETALL', KEYS[2])
local count = 0
for i = 1, #owners, 2 do
  if owners[i + 1] == ARGV[1] and redis.call('ZSCORE', KEYS[1], owners[i]) then
    redis.call('ZADD', KEYS[1], until_ms, owners[i])
    count = count + 1
  end
end
return count
"""

_COMPLETE = """
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
"""


def plan_id(fingerprint: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()[:16]


class BatchQueue:
    def __init__(self, client: Any, prefix: str, worker: str, lease_seconds: float) -> None:
        self.r = client
        self.p = prefix if prefix.endswith(":") else prefix + ":"
        self.worker = worker
        self.lease_ms = max(1, int(lease_seconds * 1000))
        self._seed = client.register_script(_SEED)
        self._claim = client.register_script(_CLAIM)
        self._renew = client.register_script(_RENEW)
        self._complete = client.register_script(_COMPLETE)
        self.total = 0

    def _keys(self, *names: str) -> list[str]:
        return [self.p + n for n in names]

    def seed(self, total: int) -> None:
        self.total = total
        self._seed(keys=self._keys("seeded", "todo"), args=[total])

    def claim(self) -> int | None:
        n = self._claim(
            keys=self._keys("todo", "leases", "owner"), args=[self.worker, self.lease_ms]
        )
        return int(n) if n is not None else None

    def renew(self) -> int:
        return int(
            self._renew(keys=self._keys("leases", "owner"), args=[self.worker, self.lease_ms, 0])
        )

    def release_own(self) -> int:
        """A restarted worker (same WORKER_ID) takes its own leases back at once."""
        return int(self._renew(keys=self._keys("leases", "owner"), args=[self.worker, 0, 1]))

    def complete(self, number: int) -> None:
        self._complete(keys=self._keys("done", "leases", "owner"), args=[number])

    def done_count(self) -> int:
        return int(self.r.scard(self.p + "done"))

    def all_done(self) -> bool:
        return self.done_count() >= self.total


def locate(inputs: Sequence[InputFile], batch_rows: int, number: int) -> tuple[int, int]:
    """(input index, batch index within that input) of global batch ``number``."""
    first = 0
    for index, inp in enumerate(inputs):
        count = math.ceil((inp.rows or 0) / batch_rows)
        if number < first + count:
            return index, number - first
        first += count
    raise IndexError(f"batch {number} is past the end of the inputs")


def read_batch(inputs: Sequence[InputFile], batch_rows: int, number: int) -> Batch:
    """Batch ``number`` exactly as ``iter_batches`` would yield it, without reading the others."""
    index, k = locate(inputs, batch_rows, number)
    inp = inputs[index]
    start = k * batch_rows
    stop = min(start + batch_rows, inp.rows or 0)
    table, unreadable = None, None
    if inp.format == "parquet":
        try:
            table = _parquet_slice(inp, start, stop)
        except (OSError, pa.ArrowException):
            table = None  # a damaged row group: the sequential reader says which rows
    if table is None:
        for i, (rb, why) in enumerate(_rebatch(_raw_batches(inp, batch_rows), batch_rows)):
            if i == k:
                table, unreadable = pa.Table.from_batches([rb]), why
                break
        assert table is not None
    batches = table.to_batches()
    data = batches[0] if batches else pa.RecordBatch.from_pylist([], schema=table.schema)
    if data.schema != inp.schema and data.schema.names == inp.schema.names:
        data = data.cast(inp.schema)
    return Batch(number, index, start, data, unreadable)


def _parquet_slice(inp: InputFile, start: int, stop: int) -> pa.Table:
    """Rows ``start:stop`` of a Parquet input, reading only the row groups that hold them."""
    pf = pq.ParquetFile(inp.path)
    try:
        groups, offset, group_first = [], None, 0
        for g in range(pf.metadata.num_row_groups):
            rows = pf.metadata.row_group(g).num_rows
            if group_first + rows > start and group_first < stop:
                groups.append(g)
                if offset is None:
                    offset = start - group_first
            group_first += rows
        table = pf.read_row_groups(groups, use_pandas_metadata=False)
    finally:
        pf.close()
    return table.slice(offset or 0, stop - start).combine_chunks()


@dataclass(slots=True)
class SharedRegen:
    """One worker's view of a distributed regeneration (built from settings + the plan)."""

    queue: BatchQueue
    worker: str
    poll: float = 0.2
    _beat: threading.Thread | None = None
    _stop: threading.Event | None = None

    @classmethod
    def of(cls, settings: Any, plan: Any) -> SharedRegen | None:
        from crawler.distributed.connection import distributed_of

        dist = distributed_of(settings)
        if dist is None:
            return None
        prefix = f"{dist.prefix}:regen:{plan_id(plan.fingerprint())}:"
        queue = BatchQueue(
            dist.client(), prefix, dist.worker, settings.getfloat("REGEN_LEASE_SECONDS")
        )
        queue.seed(plan.total_batches)
        return cls(queue, dist.worker)

    def start_renewing(self) -> None:
        """Renew this worker's leases in a thread (a slow batch is not taken from a live worker)."""
        if self._beat is not None:
            return
        stop = self._stop = threading.Event()
        interval = max(0.1, self.queue.lease_ms / 3000)

        def loop() -> None:
            while not stop.wait(interval):
                try:
                    self.queue.renew()
                except Exception:  # a Redis hiccup: retry at the next beat
                    pass

        self._beat = threading.Thread(target=loop, daemon=True)
        self._beat.start()

    def stop_renewing(self) -> None:
        if self._stop is not None:
            self._stop.set()


def merge_removed_keys(
    root: Any, keys_dir: Any, worker: str, schema: pa.Schema | None = None
) -> None:
    """``removed_keys.parquet`` from every worker's per-batch key parts (a temp file per worker,
    renamed into place, so two workers finishing together never write one file)."""
    from pathlib import Path

    parts = sorted(Path(keys_dir).glob("*.parquet"))
    if not parts and schema is None:
        return
    target = Path(root) / "removed_keys.parquet"
    tmp = target.with_name(f".{target.name}.{worker}.tmp")
    first = pq.read_schema(parts[0]) if parts else schema
    with pq.ParquetWriter(tmp, first, compression="zstd") as writer:
        for part in parts:
            writer.write_table(pq.read_table(part).cast(first))
    tmp.replace(target)
