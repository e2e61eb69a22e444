"""A distributed run whose Redis cannot be reached stops with one clear line and a non-zero exit
status, before any request (a bad REDIS_URL, no server there). No server and no web needed:
nothing listens on the port."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawler.demo import PROJECT_ROOT, crawl_command
from crawler.distributed.connection import redis_trouble, shown_url
from tests.support.cli import offline_env

TIMEOUT = 120


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again on exit: nothing listens there


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    # The run must stop at Redis (127.0.0.1, which refuses it) before any request; should one
    # be made anyway, both schemes go to a proxy where nothing listens, never to a host.
    return subprocess.run(
        cmd, cwd=PROJECT_ROOT, env=offline_env(), capture_output=True, text=True, timeout=TIMEOUT
    )


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("redis://127.0.0.1:{port}/0", "cannot reach Redis"),
        ("http://127.0.0.1:{port}/0", "is not a Redis URL"),
    ],
)
def test_crawl_stops_before_any_request_when_redis_is_unreachable(
    tmp_path: Path, url: str, says: str
) -> None:
    url = url.format(port=_closed_port())
    out = tmp_path / "out"
    result = _run(crawl_command(out, ["http://a.dist.test/"], ["-s", f"REDIS_URL={url}"]))
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"consentcrawl: error: REDIS_URL='{url}'" in result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert not (out / "index").exists()  # nothing started


def test_regenerate_stops_before_any_request_when_redis_is_unreachable(tmp_path: Path) -> None:
    data = tmp_path / "in.parquet"
    pq.write_table(pa.table({"url": ["http://a.dist.test/x.png"], "caption": ["x"]}), data)
    url = f"redis://:secret@127.0.0.1:{_closed_port()}/0"
    cmd = [sys.executable, "-m", "scrapy", "regenerate", str(data), "-o", str(tmp_path / "out")]
    result = _run([*cmd, "-s", f"REDIS_URL={url}"])
    assert result.returncode == 2, result.stderr[-2000:]
    assert "cannot reach Redis" in result.stderr and "secret" not in result.stderr
    assert "Traceback" not in result.stderr


def test_redis_trouble_says_why_outputs_may_be_incomplete() -> None:
    url = "redis://u:pw@h:6379/0"
    assert shown_url(url) == "redis://u:***@h:6379/0"
    assert redis_trouble({"finish_reason": "finished"}, url) is None
    gone = redis_trouble({"finish_reason": "redis_unreachable"}, url)
    assert gone is not None and "unreachable" in gone and "pw" not in gone
    blip = redis_trouble({"finish_reason": "finished", "distributed/redis_errors": 2}, url)
    assert blip is not None and "2 Redis call(s) failed" in blip
