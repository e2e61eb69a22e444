"""A full disk stops the run with an error: exit 1, the error as finish reason, and a manifest
that counts exactly the rows in the part files on disk (a small tmpfs plays the full disk)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from bench.regen import write_parquet
from bench.web import seed_urls
from crawler.demo import PROJECT_ROOT, crawl_command
from crawler.simweb.control import SimWeb

WEB = {"hosts": 4, "pages": 200, "cdn": 2, "media": 50}
REGEN_WEB = {"hosts": 200, "pages": 100, "cdn": 2, "media": 50}
REGENERATE = [sys.executable, "-m", "scrapy", "regenerate", "-s", "LOG_LEVEL=WARNING"]
REGENERATE += ["-s", "REGEN_BATCH_ROWS=250", "-s", "REGEN_PROGRESS=0"]
HANG_GUARD = 300  # seconds; before the fix, regenerate on a full disk never ended


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 448 KiB tmpfs (needs root and mount; skipped otherwise), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("the full-disk tests mount a small tmpfs, which needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=448k", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
    )
    if mount.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mount.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def rows_in(directory: Path) -> int:
    parts = sorted(directory.glob("part-*.parquet"))
    return sum(pq.read_table(p).num_rows for p in parts)  # every part reads


def parts_on_disk(out: Path, sub: str) -> list[dict]:
    return [
        {"path": f"{sub}/{p.name}", "rows": pq.ParquetFile(p).metadata.num_rows}
        for p in sorted((out / sub).glob("part-*.parquet"))
    ]


def test_a_crawl_stops_on_a_full_disk_and_counts_what_is_on_disk(small_disk: Path) -> None:
    out = small_disk / "out"
    settings = {
        "LOG_LEVEL": "WARNING",
        "IMAGE_PROBE": "off",
        "DEPTH_LIMIT": "0",
        "INDEX_FLUSH_SECONDS": "0.2",
        "RETRY_TIMES": "0",
    }
    args = [arg for k, v in settings.items() for arg in ("-s", f"{k}={v}")]
    with SimWeb(factory="bench.web:build", factory_args=WEB, max_seconds=HANG_GUARD) as web:
        result = subprocess.run(
            crawl_command(out, seed_urls(range(4)), args),
            cwd=PROJECT_ROOT,
            env=web.env(),
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
        )
    assert result.returncode == 1, result.stderr[-3000:]
    assert "No space left on device" in result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["finish_reason"].startswith("write-error: ")
    assert "No space left on device" in manifest["finish_reason"]
    counts = manifest["counts"]
    assert counts["kept"] == rows_in(out / "index")
    assert counts["excluded"] + counts["pages_excluded"] == rows_in(out / "excluded")
    for sub in ("index", "excluded", "consent"):
        listed = [{"path": p["path"], "rows": p["rows"]} for p in manifest["parts"][sub]]
        assert listed == parts_on_disk(out, sub)
    assert not list(out.rglob(".*.tmp"))


def test_regenerate_stops_on_a_full_disk_instead_of_hanging(
    small_disk: Path, tmp_path: Path
) -> None:
    source = write_parquet(tmp_path / "input.parquet", 6000, hosts=50)
    out = small_disk / "out"
    with SimWeb(factory="bench.web:build", factory_args=REGEN_WEB, max_seconds=HANG_GUARD) as web:
        result = subprocess.run(
            [*REGENERATE, str(source), "-o", str(out), "--probe", "off"],
            cwd=PROJECT_ROOT,
            env=web.env(),
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
        )
    assert result.returncode == 1, result.stderr[-3000:]
    assert "No space left on device" in result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is False
    assert manifest["finish_reason"].startswith("write-error: ")
    written = manifest["counts"]["rows_written"]
    assert 0 < written < 6000
    assert written == rows_in(out / "index") + rows_in(out / "excluded")
