"""Distributed ``scrapy regenerate``: batches leased from a real Redis, a worker killed mid-run.

The union of the workers' rows must equal a single-process regeneration of the same input,
every input row exactly once; ``read_batch`` must give exactly the batch ``iter_batches`` gives.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import redis

from bench.regen import write_parquet
from crawler.demo import PROJECT_ROOT
from crawler.distributed.regen import read_batch
from crawler.regen.inputs import discover, iter_batches, measure
from crawler.simweb.control import SimWeb
from tests.support.workers import start_workers

HANG_GUARD = 300
COMMON = [
    "--probe", "off",
    "-s", "CONSENTCRAWL_CONTACT_URL=http://consentcrawl.demo.test/contact",
    "-s", "LOG_LEVEL=INFO", "-s", "REGEN_PROGRESS=false", "-s", "REGEN_BATCH_ROWS=100",
    "-s", "DOWNLOAD_TIMEOUT=5", "-s", "RETRY_TIMES=0", "-s", "DOWNLOAD_DELAY=0.02",
]  # fmt: skip


@pytest.mark.parametrize("batch_rows", [7, 100, 250, 1000])
def test_read_batch_seeks_to_exactly_the_batch_iter_batches_gives(
    tmp_path: Path, batch_rows: int
) -> None:
    first = tmp_path / "a.parquet"
    table = pa.table({"url": [f"http://h/{i}" for i in range(1234)], "n": list(range(1234))})
    pq.write_table(table, first, row_group_size=97)  # batches straddle row groups
    second = tmp_path / "b.csv"
    second.write_text("url,n\n" + "".join(f"http://c/{i},{i}\n" for i in range(301)))
    inputs = discover([str(first), str(second)])
    for inp in inputs:
        measure(inp)
    for batch in iter_batches(inputs, batch_rows):
        sought = read_batch(inputs, batch_rows, batch.number)
        assert (sought.input_index, sought.first_row) == (batch.input_index, batch.first_row)
        assert sought.data.equals(batch.data), batch.number


def done_keys_of(client: Any) -> bytes:
    return next(iter(client.scan_iter(match="consentcrawl:regen:*:done")))


def _rows(out: Path) -> Counter[tuple[Any, ...]]:
    keys: Counter[tuple[Any, ...]] = Counter()
    for sub in ("index", "excluded"):
        for f in sorted((out / sub).glob("*.parquet")):
            for r in pq.read_table(f).to_pylist():
                keys[(sub, r["url"], tuple(sorted(r.get("reasons") or [])))] += 1
    return keys


def _regenerate_cmd(source: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "scrapy", "regenerate", str(source), "-o", str(out), *COMMON]


def test_regeneration_with_a_worker_killed_mid_batch_conserves_every_row(
    tmp_path: Path, server
) -> None:
    source = write_parquet(tmp_path / "laion.parquet", rows=3000, hosts=60, batch=1000)
    web_args = {"hosts": 200, "pages": 100, "cdn": 2, "media": 60}  # rows' page hosts: 200
    with SimWeb(factory="bench.web:build", factory_args=web_args, max_seconds=HANG_GUARD) as web:
        single = subprocess.run(
            _regenerate_cmd(source, tmp_path / "single"),
            cwd=PROJECT_ROOT, env=web.env(), capture_output=True, text=True, timeout=HANG_GUARD,
        )  # fmt: skip
    assert single.returncode == 0, single.stderr[-3000:]
    client = redis.Redis.from_url(server.url)
    client.flushdb()
    with SimWeb(factory="bench.web:build", factory_args=web_args, max_seconds=HANG_GUARD) as web:
        workers = start_workers(
            _regenerate_cmd(source, tmp_path / "dist"),
            server.url,
            2,
            cwd=PROJECT_ROOT,
            env=web.env(),
            logdir=tmp_path / "logs",
            extra=["-s", "REGEN_LEASE_SECONDS=3"],
        )
        try:
            deadline = time.monotonic() + HANG_GUARD
            held: list[bytes] = []
            victim = None
            while time.monotonic() < deadline and victim is None:
                owners: dict[bytes, bytes] = {}
                for key in client.scan_iter(match="consentcrawl:regen:*:owner"):
                    owners = client.hgetall(key)
                for i in range(2):  # whichever worker holds a lease first
                    held = [n for n, w in owners.items() if w == f"worker{i}".encode()]
                    if held:
                        victim = i
                        break
                time.sleep(0.02)
            if victim is None:
                pytest.fail("no worker leased a batch:\n" + workers.log_tail(0))
            workers.kill(victim)  # mid-batch: its leased batches are not done
            done_key = next(iter(client.scan_iter(match="consentcrawl:regen:*:done")), None)
            done_at_kill = client.smembers(done_key) if done_key else set()
            unfinished = [n for n in held if n not in done_at_kill]
            codes = workers.wait(HANG_GUARD)
        finally:
            workers.stop()
    survivor = 1 - victim
    assert codes[survivor] == 0, workers.log_tail(survivor)
    assert unfinished  # the killed worker held batches it had not written...
    assert all(client.sismember(done_keys_of(client), n) for n in unfinished)  # ...redone
    done_keys = list(client.scan_iter(match="consentcrawl:regen:*:done"))
    assert done_keys and client.scard(done_keys[0]) == 30
    expected, got = _rows(tmp_path / "single"), _rows(tmp_path / "dist")
    assert sum(expected.values()) == 3000
    assert got == expected  # every row once: none lost, none written twice
    keys = pq.read_table(tmp_path / "dist" / "removed_keys.parquet")
    assert keys.num_rows == sum(n for k, n in expected.items() if k[0] == "excluded")
    merged = subprocess.run(
        [sys.executable, "-m", "scrapy", "merge", str(tmp_path / "dist")],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=HANG_GUARD,
    )  # fmt: skip
    assert merged.returncode == 0, merged.stderr[-2000:]
    manifest = json.loads((tmp_path / "dist" / "manifest.json").read_text())
    assert sum(manifest["counts"]["rows"].values()) == 3000
