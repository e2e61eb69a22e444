"""One Ctrl-C stops ``scrapy regenerate`` promptly, with a manifest, and --resume finishes the job.

Before: after SIGINT the run logged "shutting down" and then never ended (items yielded from
start() that finished after the close began were never noticed by Scrapy's scraper).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from bench.regen import write_parquet
from crawler.demo import PROJECT_ROOT
from crawler.simweb.control import SimWeb

WEB = {"hosts": 200, "pages": 100, "cdn": 2, "media": 50}
ROWS = 6000
HANG_GUARD = 120  # seconds; before the fix the interrupted run never ended
REGENERATE = [sys.executable, "-m", "scrapy", "regenerate", "-s", "LOG_LEVEL=INFO"]
REGENERATE += ["-s", "REGEN_BATCH_ROWS=250", "-s", "REGEN_PROGRESS=0", "-s", "RETRY_TIMES=0"]


def batches_written(out: Path) -> int:
    try:
        return len(json.loads((out / "regen-state.json").read_text())["batches"])
    except (FileNotFoundError, ValueError, KeyError):
        return 0


def test_sigint_stops_regenerate_and_resume_completes(tmp_path: Path) -> None:
    source = write_parquet(tmp_path / "input.parquet", ROWS, hosts=50)
    out = tmp_path / "out"
    with SimWeb(factory="bench.web:build", factory_args=WEB, max_seconds=600) as web:
        proc = subprocess.Popen(
            [*REGENERATE, str(source), "-o", str(out)],
            cwd=PROJECT_ROOT,
            env=web.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + HANG_GUARD
            while batches_written(out) < 2 and proc.poll() is None:
                assert time.monotonic() < deadline, "no batch was written"
                time.sleep(0.05)
            assert proc.poll() is None, "the run ended before it could be interrupted"
            proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=HANG_GUARD)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 1, stderr[-3000:]  # incomplete
        assert "shutting down" in stderr
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["complete"] is False
        assert manifest["finish_reason"] == "shutdown"
        assert manifest["batches"]["written"] < manifest["batches"]["total"]

        resumed = subprocess.run(
            [*REGENERATE, str(source), "-o", str(out), "--resume"],
            cwd=PROJECT_ROOT,
            env=web.env(),
            capture_output=True,
            text=True,
            timeout=HANG_GUARD * 2,
        )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is True and manifest["runs"] == 2
    urls = Counter(
        pq.read_table(out / "index").column("url").to_pylist()
        + pq.read_table(out / "excluded").column("url").to_pylist()
    )
    assert len(urls) == ROWS and max(urls.values()) == 1  # every row once
