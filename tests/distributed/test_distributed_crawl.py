"""End to end: 2-3 ``scrapy crawl images`` workers on one real Redis against the simulated web.

Each distributed crawl is compared with a single-process crawl of the same seeds on a fresh copy
of the same web: the union of the workers' rows must equal the single process's rows, each once;
the request log must show each page once and each origin's robots.txt once in all; a worker
killed with SIGKILL mid-crawl must lose nothing.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import redis

from crawler.demo import PROJECT_ROOT, crawl_command
from crawler.simweb.control import SimWeb
from crawler.simweb.demo import DEMO_SEEDS, EXPECTED, demo_sites
from tests.support.workers import start_workers

FAST = ["-s", "DOWNLOAD_TIMEOUT=5", "-s", "RETRY_TIMES=0", "-s", "LOG_LEVEL=INFO"]
DISTRIBUTED = ["-s", "IDLE_EXIT_SECONDS=3", "-s", "DISTRIBUTED_WORKER_TIMEOUT=3"]
DOCUMENTS = {"/robots.txt", "/ai.txt", "/.well-known/tdmrep.json"}
IMAGE = re.compile(r"\.(png|jpe?g|gif|webp|svg)$", re.IGNORECASE)
HANG_GUARD = 240  # seconds: far beyond a normal run


def _read(directory: Path) -> list[dict[str, Any]]:
    files = sorted(directory.glob("*.parquet")) if directory.exists() else []
    return [row for f in files for row in pq.read_table(f).to_pylist()]


def rows(out: Path) -> Counter[tuple[Any, ...]]:
    """Every output row as a comparable key (timestamps and fetch order left out)."""
    keys: Counter[tuple[Any, ...]] = Counter()
    for r in _read(out / "index"):
        keys[("index", r["page_url"], r["url"], r["caption"], r["license"])] += 1
    for r in _read(out / "excluded"):
        keys[("excluded", r["kind"], r["page_url"], r["url"], tuple(sorted(r["reasons"])))] += 1
    return keys


def documents(out: Path) -> Counter[tuple[str, str]]:
    return Counter((r["origin"], r["kind"]) for r in _read(out / "consent"))


def page_requests(log: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    """GETs of pages (not consent documents, not image probes)."""
    return Counter(
        (r["host"], r["path"])
        for r in log
        if r["method"] == "GET" and r["path"] not in DOCUMENTS and not IMAGE.search(r["path"])
    )


def robots_requests(log: list[dict[str, Any]]) -> Counter[str]:
    return Counter(r["host"] for r in log if r["path"] == "/robots.txt")


def single_crawl(web: SimWeb, out: Path, seeds: list[str], extra: list[str]) -> None:
    cmd = crawl_command(out, seeds, [*FAST, *extra])
    result = subprocess.run(
        cmd, cwd=PROJECT_ROOT, env=web.env(), capture_output=True, text=True, timeout=HANG_GUARD
    )
    assert result.returncode == 0, result.stderr[-3000:]


def merge(out: Path) -> dict[str, Any]:
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "merge", str(out)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((out / "manifest.json").read_text())


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, server) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("dist-demo")
    with SimWeb(demo_sites(), max_seconds=HANG_GUARD, max_requests=5000) as web:
        single_crawl(web, base / "single", DEMO_SEEDS, [])
        single_log = web.requests()
    redis.Redis.from_url(server.url).flushdb()
    with SimWeb(demo_sites(), max_seconds=HANG_GUARD, max_requests=5000) as web:
        workers = start_workers(
            crawl_command(base / "dist", DEMO_SEEDS, [*FAST, *DISTRIBUTED]),
            server.url,
            3,
            cwd=PROJECT_ROOT,
            env=web.env(),
            logdir=base / "logs",
        )
        codes = workers.wait(HANG_GUARD)
        dist_log = web.requests()
    for i, code in enumerate(codes):
        assert code == 0, workers.log_tail(i)
    return {
        "single": base / "single",
        "dist": base / "dist",
        "single_log": single_log,
        "dist_log": dist_log,
        "logs": [workers.log_tail(i, 100_000) for i in range(3)],
    }


def test_union_of_workers_rows_equals_single_process_crawl(demo) -> None:
    single, dist = rows(demo["single"]), rows(demo["dist"])
    assert sum(single.values()) > 20
    assert dist == single
    assert max(dist.values()) == 1 or dist == single  # duplicates only where one process has them


def test_each_page_fetched_once_across_workers(demo) -> None:
    single, dist = page_requests(demo["single_log"]), page_requests(demo["dist_log"])
    assert dist == single
    assert all(n == 1 for n in dist.values()), [k for k, n in dist.items() if n > 1]


def test_each_origins_robots_txt_fetched_once_in_all(demo) -> None:
    robots = robots_requests(demo["dist_log"])
    assert set(robots) == set(robots_requests(demo["single_log"]))
    assert all(n == 1 for n in robots.values()), robots


def test_each_consent_document_stored_once(demo) -> None:
    single, dist = documents(demo["single"]), documents(demo["dist"])
    assert set(dist) == set(single)
    assert all(n == 1 for n in dist.values()), dist


def test_part_files_are_named_by_worker_and_workers_shared_the_work(demo) -> None:
    names = [p.name for p in (demo["dist"] / "index").glob("*.parquet")]
    assert names and all(re.fullmatch(r"part-worker\d-\d{5}\.parquet", n) for n in names)
    manifests = sorted(p.name for p in (demo["dist"] / "manifests").glob("*.json"))
    assert manifests == ["worker0.json", "worker1.json", "worker2.json"]


def test_crawl_delay_holds_across_workers(demo) -> None:
    delayed = {h: e["crawl_delay"] for h, e in EXPECTED.items() if e.get("crawl_delay")}
    assert delayed
    for host, delay in delayed.items():
        times = sorted(
            r["t"]
            for r in demo["dist_log"]
            if r["host"] == host and r["path"] not in DOCUMENTS and r["method"] == "GET"
        )
        assert len(times) >= 2, host
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= delay * 0.9, (host, gaps)


def test_merge_writes_one_manifest_over_all_parts(demo) -> None:
    manifest = merge(demo["dist"])
    dist = rows(demo["dist"])
    index_rows = sum(n for k, n in dist.items() if k[0] == "index")
    assert manifest["counts"]["rows"]["index"] == index_rows
    assert manifest["counts"]["rows"]["excluded"] == sum(dist.values()) - index_rows
    assert len(manifest["runs"]) == 3
    parts = [p for sub in ("index", "excluded", "consent") for p in manifest["parts"][sub]]
    assert parts and all(len(p["sha256"]) == 64 for p in parts)
    single = json.loads((demo["single"] / "manifest.json").read_text())["counts"]
    assert manifest["counts"]["kept"] == single["kept"]
    assert manifest["counts"]["excluded"] == single["excluded"]


BENCH = {"hosts": 6, "pages": 40, "cdn": 2, "media": 10}
BENCH_SEEDS = [f"http://h{i:03d}.bench.test/" for i in range(6)]
SLOW = ["-s", "DEPTH_LIMIT=0", "-s", "DOWNLOAD_DELAY=0.1", "-s", "IMAGE_PROBE=off"]


def test_a_worker_killed_mid_crawl_loses_nothing(tmp_path: Path, server) -> None:
    with SimWeb(factory="bench.web:build", factory_args=BENCH, max_seconds=HANG_GUARD) as web:
        single_crawl(web, tmp_path / "single", BENCH_SEEDS, SLOW)
        single_log = web.requests()
    client = redis.Redis.from_url(server.url)
    client.flushdb()
    with SimWeb(factory="bench.web:build", factory_args=BENCH, max_seconds=HANG_GUARD) as web:
        workers = start_workers(
            crawl_command(tmp_path / "dist", BENCH_SEEDS, [*FAST, *DISTRIBUTED, *SLOW]),
            server.url,
            3,
            cwd=PROJECT_ROOT,
            env=web.env(),
            logdir=tmp_path / "logs",
        )
        try:
            deadline = time.monotonic() + HANG_GUARD
            # Kill a worker once it owns hosts and has pages claimed, not yet acknowledged
            # (whichever: ownership goes to the first worker that asks).
            victim = None
            while time.monotonic() < deadline and victim is None:
                for i in range(3):
                    if client.hlen(f"consentcrawl:claimed:worker{i}") >= 3:
                        victim = i
                        break
                time.sleep(0.05)
            if victim is None:
                pytest.fail("no worker claimed requests:\n" + workers.log_tail(0))
            owned = client.scard(f"consentcrawl:owned:worker{victim}")
            workers.kill(victim)
            codes = workers.wait(HANG_GUARD)
        finally:
            workers.stop()
        dist_log = web.requests()
    assert owned >= 1
    survivors = [i for i in range(3) if i != victim]
    assert [codes[i] for i in survivors] == [0, 0], workers.log_tail(survivors[0])
    single, dist = rows(tmp_path / "single"), rows(tmp_path / "dist")
    assert sum(single.values()) > 100
    assert dist == single  # nothing lost, nothing twice
    assert set(page_requests(dist_log)) == set(page_requests(single_log))
    assert set(documents(tmp_path / "dist")) == set(documents(tmp_path / "single"))
    assert all(n == 1 for n in documents(tmp_path / "dist").values())


def _paced_sites(hosts: list[str], pages: int, delay: float) -> dict[str, Any]:
    """Hosts whose pages each take ``delay`` seconds to answer, all linked from ``/``."""
    html = {"Content-Type": "text/html; charset=utf-8"}
    out: dict[str, Any] = {}
    for host in hosts:
        links = "".join(f'<a href="/p/{n}.html">{n}</a>' for n in range(pages))
        routes: dict[str, Any] = {
            "/robots.txt": {"body": "User-agent: *\nAllow: /\n"},
            "/": {"headers": html, "body": f"<html><body>{links}</body></html>"},
        }
        for n in range(pages):
            routes[f"/p/{n}.html"] = {
                "headers": html,
                "delay": delay,
                "body": f'<html><body><img src="/i/{n}.png" alt="picture {n}"></body></html>',
            }
        out[host] = {"routes": routes}
    return {"hosts": out, "default": {"status": 502, "body": "unknown host"}}


def test_each_host_is_crawled_by_one_worker(tmp_path: Path, server) -> None:
    """Politeness of one crawler, not three: every page of a host comes from one worker (told
    apart by a per-worker User-Agent), so its downloader slot, DOWNLOAD_DELAY and Crawl-delay
    are the only door to the host. (Scrapy 2.19's own per-slot concurrency limit is not checked
    here: it lets a slot's queued requests through at once, even in one process.)"""
    hosts = [f"paced-{c}.dist.test" for c in "abcd"]
    redis.Redis.from_url(server.url).flushdb()
    seeds = [f"http://{h}/" for h in hosts]
    extra = [*FAST, *DISTRIBUTED, "-s", "IMAGE_PROBE=off"]
    with SimWeb(_paced_sites(hosts, 8, 0.05), max_seconds=HANG_GUARD, max_requests=5000) as web:
        workers = start_workers(
            crawl_command(tmp_path / "out", seeds, extra),
            server.url,
            3,
            cwd=PROJECT_ROOT,
            env=web.env(),
            logdir=tmp_path / "logs",
            per_worker=lambda i: ["-s", f"USER_AGENT=consentcrawl-test-worker{i}"],
        )
        codes = workers.wait(HANG_GUARD)
        log = web.requests()
    assert codes == [0, 0, 0], workers.log_tail(0)
    for host in hosts:
        pages = [r for r in log if r["host"] == host and r["path"].startswith("/p/")]
        assert len(pages) == 8, host  # each page once
        by = {r["user_agent"] for r in pages}
        assert len(by) == 1, (host, by)


def test_a_worker_stops_when_redis_is_gone(tmp_path: Path) -> None:
    """Redis dies mid-crawl: the worker must not spin forever; it closes, writes what it has
    and says why in its manifest."""
    from tests.support.redisserver import start_server

    own = start_server(tmp_path / "redis")
    sites = _paced_sites(["gone-redis.dist.test"], 30, 0.3)
    extra = [*FAST, *DISTRIBUTED, "-s", "IMAGE_PROBE=off", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    try:
        with SimWeb(sites, max_seconds=HANG_GUARD, max_requests=5000) as web:
            workers = start_workers(
                crawl_command(tmp_path / "out", ["http://gone-redis.dist.test/"], extra),
                own.url,
                1,
                cwd=PROJECT_ROOT,
                env=web.env(),
                logdir=tmp_path / "logs",
            )
            client = redis.Redis.from_url(own.url)
            deadline = time.monotonic() + HANG_GUARD
            while time.monotonic() < deadline and not client.hlen("consentcrawl:claimed:worker0"):
                time.sleep(0.05)
            own.stop()
            codes = workers.wait(HANG_GUARD)
    finally:
        own.stop()
    manifest = json.loads((tmp_path / "out" / "manifests" / "worker0.json").read_text())
    log = workers.log_tail(0, 1_000_000)
    assert manifest["finish_reason"] == "redis_unreachable", log[-3000:]
    # Rows written are kept (the manifest counts what the parts hold); the exit status and one
    # clear line say the outputs may be incomplete; no traceback for an expected failure.
    assert manifest["counts"]["kept"] == len(_read(tmp_path / "out" / "index"))
    assert codes == [1], log[-3000:]
    assert "consentcrawl: error: Redis became unreachable" in log
    assert "Traceback" not in log, log[log.index("Traceback") - 500 :][:3000]


def _newest_part(out: Path, worker: int) -> int:
    """When worker ``worker`` last renamed an index or excluded part into place (ns)."""
    paths = [p for sub in ("index", "excluded") for p in (out / sub).glob(f"part-worker{worker}-*")]
    return max((p.stat().st_mtime_ns for p in paths if p.suffix == ".parquet"), default=0)


def test_a_worker_killed_after_flushing_loses_nothing_and_duplicates_nothing(
    tmp_path: Path, server
) -> None:
    """Workers flush their parts every INDEX_FLUSH_SECONDS and acknowledge, at each flush, the
    requests whose rows are now on disk. Kill -9 one of two workers after it has flushed: its
    flushed rows stay (they are not redone), what it had not flushed is redone by the other,
    and the union, then the merge, equal one process's rows, each once."""
    slow = [*SLOW, "-s", "DOWNLOAD_DELAY=0.2"]
    with SimWeb(factory="bench.web:build", factory_args=BENCH, max_seconds=HANG_GUARD) as web:
        single_crawl(web, tmp_path / "single", BENCH_SEEDS, slow)
    client = redis.Redis.from_url(server.url)
    client.flushdb()
    out = tmp_path / "dist"
    flushing = ["-s", "INDEX_FLUSH_SECONDS=0.5"]
    with SimWeb(factory="bench.web:build", factory_args=BENCH, max_seconds=HANG_GUARD) as web:
        workers = start_workers(
            crawl_command(out, BENCH_SEEDS, [*FAST, *DISTRIBUTED, *slow, *flushing]),
            server.url,
            2,
            cwd=PROJECT_ROOT,
            env=web.env(),
            logdir=tmp_path / "logs",
        )
        try:
            deadline = time.monotonic() + HANG_GUARD
            victim = None
            while time.monotonic() < deadline and victim is None:
                for i in range(2):
                    flushed = [
                        p
                        for p in (out / "index").glob(f"part-worker{i}-*.parquet")
                        if pq.ParquetFile(p).metadata.num_rows >= 5
                    ]
                    if flushed and client.hlen(f"consentcrawl:claimed:worker{i}") >= 1:
                        victim = i
                        break
                time.sleep(0.05)
            if victim is None:
                pytest.fail("no worker flushed rows while it had requests claimed")

            # Kill between two flushes, not inside one: a flush acknowledges its requests one
            # Redis round trip after renaming its parts (README: known limits). So wait for the
            # victim's next flush to rename a part, then for that flush's acknowledgement.
            seen = _newest_part(out, victim)
            while _newest_part(out, victim) == seen and workers.procs[victim].poll() is None:
                time.sleep(0.01)
            time.sleep(0.25)  # half INDEX_FLUSH_SECONDS: after this flush, before the next
            if workers.procs[victim].poll() is not None:
                pytest.fail(
                    "the worker finished before a second flush:\n" + workers.log_tail(victim)
                )
            workers.kill(victim)
            survivor = 1 - victim
            codes = workers.wait(HANG_GUARD)
        finally:
            workers.stop()
    assert codes[survivor] == 0, workers.log_tail(survivor)
    kept = [p for p in (out / "index").glob(f"part-worker{victim}-*.parquet")]
    assert sum(pq.ParquetFile(p).metadata.num_rows for p in kept) >= 5  # its flushed rows stay
    single, dist = rows(tmp_path / "single"), rows(out)
    assert sum(single.values()) > 100
    assert max(dist.values()) == 1, [k for k, n in dist.items() if n > 1][:5]  # nothing twice
    assert dist == single  # nothing lost
    assert all(n == 1 for n in documents(out).values())
    assert set(documents(out)) == set(documents(tmp_path / "single"))
    manifest = merge(out)  # the killed worker left parts (and perhaps a temporary file)
    assert manifest["counts"]["rows"]["index"] == sum(n for k, n in dist.items() if k[0] == "index")
    killed = [r for r in manifest["runs"] if r["worker"] == f"worker{victim}"]
    assert killed and killed[0]["finish_reason"] is None and killed[0]["manifest"] is None


def test_a_worker_stopped_with_ctrl_c_hands_back_what_it_did_not_write(
    tmp_path: Path, server
) -> None:
    """Ctrl-C drops the requests queued behind a host's delay and abandons the items in flight
    (crawler.shutdown): those were claimed from the frontier and have no rows; the worker must
    put them back at its close, not acknowledge them, or the other worker never crawls them."""
    import os
    import signal

    slow = [*SLOW, "-s", "DOWNLOAD_DELAY=0.3"]
    with SimWeb(factory="bench.web:build", factory_args=BENCH, max_seconds=HANG_GUARD) as web:
        single_crawl(web, tmp_path / "single", BENCH_SEEDS, slow)
    client = redis.Redis.from_url(server.url)
    client.flushdb()
    out = tmp_path / "dist"
    with SimWeb(factory="bench.web:build", factory_args=BENCH, max_seconds=HANG_GUARD) as web:
        workers = start_workers(
            crawl_command(out, BENCH_SEEDS, [*FAST, *DISTRIBUTED, *slow]),
            server.url,
            2,
            cwd=PROJECT_ROOT,
            env=web.env(),
            logdir=tmp_path / "logs",
        )
        try:
            deadline = time.monotonic() + HANG_GUARD
            stopped = None
            while time.monotonic() < deadline and stopped is None:
                for i in range(2):
                    if client.hlen(f"consentcrawl:claimed:worker{i}") >= 2:
                        stopped = i
                        break
                time.sleep(0.05)
            if stopped is None:
                pytest.fail("no worker claimed requests:\n" + workers.log_tail(0))
            os.kill(workers.procs[stopped].pid, signal.SIGINT)
            codes = workers.wait(HANG_GUARD)
        finally:
            workers.stop()
    assert codes[1 - stopped] == 0, workers.log_tail(1 - stopped)
    single, dist = rows(tmp_path / "single"), rows(out)
    assert sum(single.values()) > 100
    assert dist == single, (sum(dist.values()), sum(single.values()))


def test_an_out_of_scope_seed_is_recorded_once_across_workers(tmp_path: Path, server) -> None:
    """Every worker reads the same seeds; a seed outside the scope is one excluded row in all
    (as in one process), not one per worker."""
    hosts = [f"paced-{c}.scope.test" for c in "ab"]
    denied = "http://denied.scope.test/"
    seeds = [f"http://{h}/" for h in hosts] + [denied]
    extra = [*FAST, "-s", "IMAGE_PROBE=off", "-s", "SCOPE_DENIED_DOMAINS=denied.scope.test"]
    sites = _paced_sites(hosts, 3, 0.0)
    with SimWeb(sites, max_seconds=HANG_GUARD, max_requests=5000) as web:
        single_crawl(web, tmp_path / "single", seeds, extra)
    redis.Redis.from_url(server.url).flushdb()
    with SimWeb(sites, max_seconds=HANG_GUARD, max_requests=5000) as web:
        workers = start_workers(
            crawl_command(tmp_path / "dist", seeds, [*extra, *DISTRIBUTED]),
            server.url,
            2,
            cwd=PROJECT_ROOT,
            env=web.env(),
            logdir=tmp_path / "logs",
        )
        codes = workers.wait(HANG_GUARD)
        log = web.requests()
    assert codes == [0, 0], workers.log_tail(0)
    single, dist = rows(tmp_path / "single"), rows(tmp_path / "dist")
    assert single[("excluded", "page", denied, denied, ("fetch:out-of-scope",))] == 1
    assert dist == single
    assert not [r for r in log if r["host"] == "denied.scope.test"]  # never contacted
