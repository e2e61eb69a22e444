"""``merge_index_dirs``: per-worker directories into one dataset with one manifest (pure)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawler.distributed.output import WorkerOutput, merge_index_dirs, next_part_number


def _worker_dir(root: Path, worker: str, index_rows: int, excluded_rows: int) -> None:
    for sub, rows in (("index", index_rows), ("excluded", excluded_rows)):
        (root / sub).mkdir(parents=True, exist_ok=True)
        table = pa.table({"url": [f"http://{worker}/{sub}/{i}" for i in range(rows)]})
        pq.write_table(table, root / sub / f"part-{worker}-00000.parquet")
    (root / "manifests").mkdir(parents=True, exist_ok=True)
    counts = {"kept": index_rows, "excluded": excluded_rows, "excluded_by_family": {"robots": 1}}
    (root / "manifests" / f"{worker}.json").write_text(
        json.dumps({"tool": "consentcrawl", "job": "crawl", "counts": counts})
    )


def test_merge_copies_parts_and_writes_one_manifest(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _worker_dir(a, "w0", 3, 2)
    _worker_dir(b, "w1", 4, 1)
    manifest = merge_index_dirs(a, [b])
    assert manifest["counts"]["rows"] == {"index": 7, "excluded": 3}
    assert manifest["counts"]["kept"] == 7 and manifest["counts"]["excluded"] == 3
    assert manifest["counts"]["excluded_by_family"] == {"robots": 2}
    assert [r["worker"] for r in manifest["runs"]] == ["w0", "w1"]
    assert len(pq.read_table(a / "index")) == 7
    assert (b / "index" / "part-w1-00000.parquet").exists()  # sources are copied, not moved
    on_disk = json.loads((a / "manifest.json").read_text())
    assert {p["path"] for p in on_disk["parts"]["index"]} == {
        "index/part-w0-00000.parquet",
        "index/part-w1-00000.parquet",
    }
    assert merge_index_dirs(a, [b])["counts"]["rows"]["index"] == 7  # merging again: same


def test_merge_refuses_two_different_files_of_one_name(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _worker_dir(a, "w0", 3, 2)
    _worker_dir(b, "w0", 5, 2)  # the same worker id used twice for different work
    with pytest.raises(FileExistsError):
        merge_index_dirs(a, [b])


def test_a_restarted_worker_continues_its_part_numbers(tmp_path: Path) -> None:
    (tmp_path / "part-w0-00000.parquet").write_bytes(b"x")
    (tmp_path / "part-w0-00007.parquet").write_bytes(b"x")
    (tmp_path / "part-w1-00009.parquet").write_bytes(b"x")
    assert next_part_number(tmp_path, "part-w0-") == 8
    assert next_part_number(tmp_path, "part-w2-") == 0
    out = WorkerOutput("w0")
    first = out.manifest_path(tmp_path)
    first.write_text("{}")
    assert out.manifest_path(tmp_path).name == "w0.1.json"  # never overwrites its earlier run


def test_merge_lists_a_killed_workers_parts_and_skips_its_temporary_file(tmp_path: Path) -> None:
    a = tmp_path / "a"
    _worker_dir(a, "w0", 3, 2)
    (a / "index" / "part-host-12-00000.parquet").write_bytes(
        (a / "index" / "part-w0-00000.parquet").read_bytes()
    )  # flushed by worker "host-12", which was then killed: no manifest
    (a / "index" / ".part-host-12-00001.parquet.tmp").write_bytes(b"half a file")
    manifest = merge_index_dirs(a, [])
    assert manifest["counts"]["rows"]["index"] == 6
    assert [r["worker"] for r in manifest["runs"]] == ["w0", "host-12"]
    assert manifest["runs"][1]["manifest"] is None and manifest["runs"][1]["finish_reason"] is None
    assert all(not p["path"].startswith("index/.") for p in manifest["parts"]["index"])
