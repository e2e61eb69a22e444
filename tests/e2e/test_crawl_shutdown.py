"""One Ctrl-C stops a crawl held back by a host's Crawl-delay at once, and says so.

Before: Scrapy waited for every request queued behind the delay (2 min 52 s observed), with
no message. Now the queued requests are dropped, nothing is recorded for them, and with
JOBDIR they stay pending for the resumed crawl.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pyarrow.parquet as pq

from crawler.demo import PROJECT_ROOT, crawl_command
from crawler.output.journal import read_journal
from crawler.simweb.control import SimWeb

HTML = {"Content-Type": "text/html"}
PAGES = 12
HANG_GUARD = 120  # seconds
SITES = {
    "hosts": {
        "slow.test": {
            "routes": {
                "/robots.txt": {
                    "status": 200,
                    "body": "User-agent: *\nCrawl-delay: 4\nAllow: /\n",
                },
                "/": {
                    "status": 200,
                    "headers": HTML,
                    "body": '<img src="/home.png" alt="home">'
                    + "".join(f'<a href="/p{i}.html">{i}</a>' for i in range(PAGES)),
                },
                **{
                    f"/p{i}.html": {
                        "status": 200,
                        "headers": HTML,
                        "body": f'<img src="/{i}.png" alt="page {i}">',
                    }
                    for i in range(PAGES)
                },
            }
        }
    }
}


def test_ctrl_c_stops_a_crawl_waiting_on_crawl_delay(tmp_path: Path) -> None:
    out, jobdir = tmp_path / "out", tmp_path / "job"
    settings = {
        "LOG_LEVEL": "INFO",
        "IMAGE_PROBE": "off",
        "INDEX_FLUSH_SECONDS": "0.2",
        "JOBDIR": str(jobdir),
    }
    args = [arg for k, v in settings.items() for arg in ("-s", f"{k}={v}")]
    with SimWeb(SITES, workdir=tmp_path / "web", max_seconds=300) as web:
        proc = subprocess.Popen(
            crawl_command(out, ["http://slow.test/"], args),
            cwd=PROJECT_ROOT,
            env=web.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + HANG_GUARD
            # The first linked page was fetched: the rest wait behind the Crawl-delay.
            while not web.requested("slow.test", "/p", prefix=True) and proc.poll() is None:
                assert time.monotonic() < deadline, "no linked page was requested"
                time.sleep(0.05)
            assert proc.poll() is None
            proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=HANG_GUARD)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        requested = [r["path"] for r in web.requests() if r["path"].startswith("/p")]
    assert proc.returncode == 0, stderr[-3000:]
    assert "queued request(s) dropped" in stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["finish_reason"] == "shutdown"
    assert len(requested) < PAGES
    # A dropped page is not a row (it was never fetched): it stays pending for a resume.
    excluded = pq.read_table(out / "excluded").to_pylist()
    assert not [r for r in excluded if r["kind"] == "page"]
    pending = {url for url, _ in read_journal(jobdir).pending}
    assert len(pending) >= PAGES - len(requested)
