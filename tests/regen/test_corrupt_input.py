"""A damaged input costs the rows that cannot be read, each excluded with a reason, and no more.

Before: one corrupt Parquet row group stopped ``scrapy regenerate`` with a pyarrow traceback
that advised --resume, which failed the same way every time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawler.demo import PROJECT_ROOT
from crawler.regen import inputs as regen_inputs
from crawler.regen.inputs import UNREADABLE_ROW_GROUP, InputError, discover, iter_batches
from crawler.simweb.control import SimWeb

ROWS, GROUP = 300, 100
REGENERATE = [sys.executable, "-m", "scrapy", "regenerate", "--probe", "off"]
REGENERATE += ["-s", "LOG_LEVEL=WARNING", "-s", "REGEN_PROGRESS=0"]


def corrupt_parquet(path: Path, group: int = 1) -> Path:
    """300 rows in three row groups; the pages of ``group``'s url column overwritten."""
    table = pa.table(
        {
            "url": [f"http://img.corrupt.test/{i}.png" for i in range(ROWS)],
            "caption": [f"caption {i}" for i in range(ROWS)],
        }
    )
    pq.write_table(table, path, row_group_size=GROUP)
    chunk = pq.ParquetFile(path).metadata.row_group(group).column(0)
    data = bytearray(path.read_bytes())
    start = chunk.data_page_offset
    data[start : start + chunk.total_compressed_size] = b"\xff" * chunk.total_compressed_size
    path.write_bytes(bytes(data))
    return path


def test_a_corrupt_row_group_becomes_flagged_rows_and_the_rest_is_read(tmp_path: Path) -> None:
    inputs = discover([str(corrupt_parquet(tmp_path / "in.parquet"))])
    batches = list(iter_batches(inputs, 64))
    assert sum(b.num_rows for b in batches) == ROWS  # rows in = rows out
    flagged = [b for b in batches if b.unreadable]
    assert sum(b.num_rows for b in flagged) == GROUP
    assert all(b.unreadable == UNREADABLE_ROW_GROUP for b in flagged)
    urls = [u for b in batches if not b.unreadable for u in b.data.column("url").to_pylist()]
    assert urls == [f"http://img.corrupt.test/{i}.png" for i in [*range(100), *range(200, 300)]]
    assert [b.number for b in batches] == list(range(len(batches)))


def test_damaged_text_input_stops_with_the_file_and_place(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(regen_inputs, "TEXT_BLOCK_BYTES", 256)  # the damage is past the first block
    path = tmp_path / "in.csv"
    lines = ["url,caption"] + [f"http://a.test/{i}.png,c{i}" for i in range(50)]
    path.write_text("\n".join([*lines, "http://a.test/x.png,c,extra"]) + "\n")
    inputs = discover([str(path)])
    with pytest.raises(InputError, match=r"in\.csv: unreadable after row"):
        list(iter_batches(inputs, 10))


def test_regenerate_excludes_the_unreadable_group_and_completes(tmp_path: Path) -> None:
    source = corrupt_parquet(tmp_path / "in.parquet")
    sites = {
        "hosts": {
            "img.corrupt.test": {
                "routes": {"/robots.txt": {"status": 200, "body": "User-agent: *\nAllow: /\n"}}
            }
        }
    }
    out = tmp_path / "out"
    with SimWeb(sites, workdir=tmp_path / "web", max_seconds=300) as web:
        result = subprocess.run(
            [*REGENERATE, str(source), "-o", str(out)],
            cwd=PROJECT_ROOT,
            env=web.env(),
            capture_output=True,
            text=True,
            timeout=240,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert "row group 1 unreadable" in result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is True
    assert manifest["counts"]["excluded_by_reason"] == {UNREADABLE_ROW_GROUP: GROUP}
    kept = pq.read_table(out / "index").column("url").to_pylist()
    assert len(kept) == ROWS - GROUP
    excluded = pq.read_table(out / "excluded").to_pylist()
    assert len(excluded) == GROUP
    assert all(r["reasons"] == [UNREADABLE_ROW_GROUP] for r in excluded)
