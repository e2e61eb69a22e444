"""Reproducible crawls end to end: capture the signal web to WARC, stop it, replay offline.

The replay runs with the simulated web stopped and ``http_proxy``/``https_proxy`` pointing at a
listener that counts connections: a replay must make none.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.regen.demo import demo_rows
from crawler.simweb.control import SimWeb
from crawler.simweb.demo import demo_sites
from crawler.warc.verify import compare_outputs
from tests.e2e import Crawl, crawl
from tests.sites.signalweb import SIGNAL_SEEDS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WARC = {"WARC_ENABLED": "true"}


class ConnectionCounter:
    """A TCP listener that accepts, counts and closes every connection."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture()
def no_network() -> Iterator[ConnectionCounter]:
    counter = ConnectionCounter()
    yield counter
    counter.close()


def replay(
    source: Path, out: Path, counter: ConnectionCounter, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env[name] = counter.url
    cmd = [sys.executable, "-m", "scrapy", "replay", str(source), "-o", str(out), *args]
    return subprocess.run(
        cmd, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    # crawl() stops its simulated web before returning: everything after is offline.
    return crawl(tmp_path_factory, "warc-strict", SIGNAL_SEEDS, WARC)


def records(out: Path) -> list:
    manifest = json.loads((out / "manifest.json").read_text())
    found = []
    for entry in manifest["warc"]:
        with open(out / entry["path"], "rb") as fh:
            for record in ArchiveIterator(fh):
                http = record.http_headers
                found.append(
                    (
                        record.rec_type,
                        record.rec_headers.get_header("WARC-Target-URI"),
                        http.protocol if record.rec_type == "request" and http else None,
                        record.rec_headers.get_header("WARC-Concurrent-To"),
                        record.rec_headers.get_header("WARC-Record-ID"),
                    )
                )
    return found


def test_capture_is_valid_warc_with_an_answer_for_every_request(captured: Crawl) -> None:
    manifest = captured.manifest
    assert manifest["warc"] and manifest["warc_index"] == "warc/index.cdxj"
    for entry in manifest["warc"]:
        check = subprocess.run(
            [sys.executable, "-m", "warcio.cli", "check", str(captured.out / entry["path"])],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert check.returncode == 0, check.stdout + check.stderr
    found = records(captured.out)
    answers = {rid for kind, _, _, _, rid in found if kind in ("response", "metadata")}
    sent = {}
    for kind, url, method, target, _ in found:
        if kind == "request":
            assert target in answers, f"request {url} has no response or failure record"
            sent.setdefault((method, url.split("://", 1)[1]), 0)
            sent[(method, url.split("://", 1)[1])] += 1
    # Every request the simulated web saw is in the archive (pages, documents, probes, hops).
    for request in captured.requests:
        key = (request["method"], request["host"] + request["path"])
        assert key in sent, f"{key} reached the web but is not archived"
    assert (captured.out / "warc" / "index.cdxj").read_text().strip()


def test_replay_offline_gives_the_same_rows(
    captured: Crawl, no_network: ConnectionCounter, tmp_path: Path
) -> None:
    moved = tmp_path / "moved"  # replay works on a copy moved elsewhere
    shutil.copytree(captured.out, moved)
    out = tmp_path / "replay"
    result = replay(moved, out, no_network, "--verify")
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    # The replayed run prints its summary first; the verdict of --verify is the last line.
    assert result.stdout.strip().splitlines()[-1].startswith("identical"), result.stdout
    assert no_network.connections == 0
    comparison = compare_outputs(captured.out, out)
    assert comparison.identical and comparison.fetched_at_differs == 0
    assert "0 requests not in the archive" in result.stderr


def test_replay_under_another_policy_matches_a_live_crawl_under_it(
    captured: Crawl,
    no_network: ConnectionCounter,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    live = crawl(
        tmp_path_factory, "robots-only-live", SIGNAL_SEEDS, {"CONSENT_POLICY": "robots-only"}
    )
    out = tmp_path / "replay"
    result = replay(captured.out, out, no_network, "--policy", "robots-only")
    assert result.returncode == 0, result.stderr[-4000:]
    assert no_network.connections == 0
    comparison = compare_outputs(live.out, out)
    assert comparison.identical, comparison.report()
    # ... and it differs from the strict original it was replayed from.
    assert not compare_outputs(captured.out, out).identical


def test_a_change_that_needs_new_requests_says_so_and_excludes_those_rows(
    captured: Crawl, no_network: ConnectionCounter, tmp_path: Path
) -> None:
    out = tmp_path / "replay"
    result = replay(captured.out, out, no_network, "-s", "IMAGE_PROBE=range", "--verify")
    assert "needs requests the archive does not hold" in result.stderr
    assert result.returncode == 1  # not identical: the rows that needed a probe are excluded
    assert no_network.connections == 0
    excluded = pq.read_table(out / "excluded").to_pylist()
    assert any("replay:not-archived" in row["reasons"] for row in excluded)
    assert "only in the" in result.stdout or "reasons differ" in result.stdout


def test_tampered_warc_stops_the_replay_before_anything_is_written(
    captured: Crawl, no_network: ConnectionCounter, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(captured.out, copy)
    entry = json.loads((copy / "manifest.json").read_text())["warc"][0]
    path = copy / entry["path"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    out = tmp_path / "replay"
    result = replay(copy, out, no_network, "--verify")
    assert result.returncode == 2
    assert entry["path"].split("/")[-1] in result.stderr and "sha256" in result.stderr
    assert not out.exists()
    assert no_network.connections == 0


def test_replay_of_a_regeneration(no_network: ConnectionCounter, tmp_path: Path) -> None:
    source = tmp_path / "input.parquet"
    rows = demo_rows(60)
    pages = pa.array(
        [f"http://{u.split('/')[2]}/" if "://" in u else None for u in rows["URL"].to_pylist()]
    )
    pq.write_table(rows.append_column("page_url", pages), source)
    original = tmp_path / "regen"
    cmd = [
        sys.executable,
        "-m",
        "scrapy",
        "regenerate",
        str(source),
        "-o",
        str(original),
        "--fetch-pages",
        "-s",
        "WARC_ENABLED=true",
        "-s",
        "LOG_LEVEL=WARNING",
        "-s",
        "REGEN_PROGRESS=false",
        "-s",
        "REGEN_BATCH_ROWS=32",
        "-s",
        "RETRY_TIMES=0",
        "-s",
        "DOWNLOAD_TIMEOUT=5",
    ]
    with SimWeb(demo_sites(), workdir=tmp_path / "web", max_seconds=240) as web:
        result = subprocess.run(
            cmd, cwd=PROJECT_ROOT, env=web.env(), capture_output=True, text=True, timeout=300
        )
    assert result.returncode == 0, result.stderr[-4000:]
    manifest = json.loads((original / "manifest.json").read_text())
    assert manifest["warc"]
    out = tmp_path / "replay"
    result = replay(original, out, no_network, "--verify")
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    assert no_network.connections == 0
    assert compare_outputs(original, out).identical
    # Inputs are not in the archive: moved away, the replay asks for them by name ...
    moved = source.rename(tmp_path / "moved-input.parquet")
    result = replay(original, tmp_path / "replay2", no_network, "--verify")
    assert result.returncode == 2 and "--inputs" in result.stderr, result.stderr[-2000:]
    assert not (tmp_path / "replay2").exists()
    # ... and takes them from where they are now.
    result = replay(original, tmp_path / "replay2", no_network, "--inputs", str(moved), "--verify")
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]


def test_wacz_package_validates_with_the_wacz_tool(tmp_path: Path) -> None:
    pytest.importorskip("wacz", reason="the optional `wacz` extra is not installed")
    from crawler.demo import run_crawl
    from crawler.simweb.demo import DEMO_SEEDS

    out = tmp_path / "out"
    with SimWeb(demo_sites(), workdir=tmp_path / "web", max_seconds=240) as web:
        result = run_crawl(web, out, DEMO_SEEDS, ["-s", "WARC_ENABLED=true", "-s", "WACZ=true"])
    assert result.returncode == 0, result.stderr[-4000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["wacz"]["path"] == "archive.wacz"
    check = subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(out / "archive.wacz")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert check.returncode == 0 and "is valid" in check.stdout, check.stdout + check.stderr


def test_capture_is_off_by_default(tmp_path: Path) -> None:
    from crawler.demo import run_crawl
    from crawler.simweb.demo import DEMO_SEEDS

    out = tmp_path / "out"
    with SimWeb(demo_sites(), workdir=tmp_path / "web", max_seconds=240) as web:
        result = run_crawl(web, out, DEMO_SEEDS[:2])
    assert result.returncode == 0, result.stderr[-4000:]
    assert "warc" not in json.loads((out / "manifest.json").read_text())
    assert not (out / "warc").exists()


def test_failures_and_redirect_hops_replay_as_recorded(
    no_network: ConnectionCounter, tmp_path: Path
) -> None:
    from crawler.demo import run_crawl
    from tests.e2e.test_crawl_failures import SITES

    out = tmp_path / "out"
    with SimWeb(SITES, workdir=tmp_path / "web", max_seconds=120) as web:
        result = run_crawl(
            web,
            out,
            ["http://start.fail.test/"],
            ["-s", "DOWNLOAD_TIMEOUT=2", "-s", "RETRY_TIMES=0", "-s", "WARC_ENABLED=true"],
        )
    assert result.returncode == 0, result.stderr[-4000:]
    found = records(out)
    failed = {url for kind, url, *_ in found if kind == "metadata"}
    # The timeout and the dropped connection are failure records; the loop's hops are responses.
    assert "http://slowrobots.fail.test/robots.txt" in failed
    assert "http://droprobots.fail.test/robots.txt" in failed
    hops = [url for kind, url, *_ in found if kind == "response" and "/loop" in url]
    assert len(hops) > 2
    replayed = tmp_path / "replay"
    result = replay(out, replayed, no_network, "--verify")
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    assert no_network.connections == 0
    excluded = {r["url"]: r for r in pq.read_table(replayed / "excluded").to_pylist()}
    assert excluded["http://slowrobots.fail.test/a.png"]["reasons"] == ["robots:unreachable"]
    assert excluded["http://droprobots.fail.test/a.png"]["reasons"] == ["robots:unreachable"]
