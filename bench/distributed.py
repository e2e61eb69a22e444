"""Distributed figures for ``make bench`` and the README's "scale on paper" (issue 13).

* ``workers_ratio``: the same crawl (a slice of the bench web, to completion) with 1 worker and
  with 2 workers on one real Redis; pages/s of each and the ratio. The machine has 2 cores, shared
  with the simulated web and Redis, so a modest gain is all that can show.
* ``redis_memory``: Redis bytes per seen URL (exact set), per queued request, and per origin
  (its cached consent documents, ownership key), measured with ``INFO memory`` on a real server.

``python -m bench.distributed [--quick]`` prints both; ``bench.run`` calls ``workers_ratio``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.web import profile, seed_urls
from crawler.demo import crawl_command
from crawler.distributed import codec
from crawler.distributed.docstore import encode_result
from crawler.distributed.seen import url_digest
from crawler.simweb.control import SimWeb
from tests.support.redisserver import redis_server, server_unavailable_reason
from tests.support.workers import start_workers

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FLAGS = [
    "-s", "DEPTH_LIMIT=0", "-s", "LOG_LEVEL=WARNING", "-s", "IMAGE_PROBE=off",
    "-s", "IDLE_EXIT_SECONDS=2", "-s", "DISTRIBUTED_WORKER_TIMEOUT=10",
]  # fmt: skip


def _pages(web: SimWeb, since: int) -> tuple[int, float]:
    entries = web.requests()[since:]
    pages = [
        e
        for e in entries
        if e["method"] == "GET"
        and e["path"] not in ("/robots.txt", "/ai.txt", "/.well-known/tdmrep.json")
        and ".bench.test" in e["host"]
        and e["host"].startswith("h")
    ]
    if len(pages) < 2:
        return len(pages), 0.0
    return len(pages), max(e["t"] for e in pages) - min(e["t"] for e in pages)


def workers_ratio(hosts: int = 8, pages: int = 60, timeout: float = 600) -> dict[str, Any]:
    """pages/s with 1 and with 2 workers (same seeds, same web, to completion)."""
    reason = server_unavailable_reason()
    if reason:
        return {"skipped": True, "reason": reason}
    work = Path(tempfile.mkdtemp(prefix="consentcrawl-dist-bench-"))
    web_args = {"hosts": hosts * 4, "pages": pages, "cdn": 4, "media": 10}
    out: dict[str, Any] = {"hosts": hosts, "pages_per_host": pages}
    with SimWeb(factory="bench.web:build", factory_args=web_args, workdir=work / "web",
                max_seconds=timeout * 3, max_requests=10_000_000) as web:  # fmt: skip
        for n, first in ((1, 0), (2, hosts)):  # a fresh slice of hosts for each run
            seeds = seed_urls(range(first, first + hosts))
            with redis_server(work / f"redis-{n}") as server:
                since = len(web.requests())
                started = time.monotonic()
                workers = start_workers(
                    crawl_command(work / f"out-{n}", seeds, FLAGS),
                    server.url,
                    n,
                    cwd=PROJECT_ROOT,
                    env=web.env(),
                    logdir=work / f"logs-{n}",
                )
                codes = workers.wait(timeout)
                wall = time.monotonic() - started
            count, window = _pages(web, since)
            out[f"workers_{n}"] = {
                "returncode": max(codes),
                "pages": count,
                "wall_s": round(wall, 2),
                "crawl_window_s": round(window, 2),
                "pages_per_s": round(count / window, 1) if window else None,
            }
    one, two = out["workers_1"]["pages_per_s"], out["workers_2"]["pages_per_s"]
    out["ratio_2_vs_1_pages_per_s"] = round(two / one, 2) if one and two else None
    return out


def _used(client: Any) -> int:
    return int(client.info("memory")["used_memory"])


def redis_memory(urls: int = 200_000, origins: int = 5_000) -> dict[str, Any]:
    """Measured Redis bytes per seen URL, per queued request and per origin."""
    import redis

    reason = server_unavailable_reason()
    if reason:
        return {"skipped": True, "reason": reason}
    with redis_server() as server:
        r = redis.Redis.from_url(server.url)
        base = _used(r)
        pipe = r.pipeline(transaction=False)
        for n in range(urls):
            pipe.sadd("m:seen", url_digest(f"http://h{n % 9973:05d}.example/p/{n}.html"))
            if n % 10_000 == 9_999:
                pipe.execute()
        pipe.execute()
        per_url = (_used(r) - base) / urls
        base = _used(r)
        for n in range(urls // 10):
            url = f"http://h{n % 997:04d}.example/p/{n}.html"
            record = codec.RequestRecord(url=url, host=f"h{n % 997:04d}.example",
                                         meta={"depth": 2}, callback="parse",
                                         errback="on_error", dont_filter=True)  # fmt: skip
            pipe.rpush(f"m:q:h{n % 997:04d}.example", codec.encode(record))
            if n % 10_000 == 9_999:
                pipe.execute()
        pipe.execute()
        per_queued = (_used(r) - base) / (urls // 10)
        base = _used(r)
        doc_bytes = 0
        for n in range(origins):
            host = f"h{n:06d}.bench.test"
            origin = f"http://{host}"
            prof = profile(host)
            docs = {"robots": prof.robots}
            if prof.aitxt is not None:
                docs["aitxt"] = prof.aitxt
            if prof.tdmrep is not None:
                docs["tdmrep"] = prof.tdmrep
            for kind in ("robots", "aitxt", "tdmrep"):
                body = docs.get(kind)
                status = 200 if body is not None else 404
                key = f"m:doc:{kind}:{origin}/{kind}"
                pipe.hset(key, mapping=encode_result((status, body or b"", None, None)))
                pipe.pexpire(key, 86_400_000)
                doc_bytes += len(body or b"")
            pipe.set(f"m:owner:{host}", "worker-00001")
            pipe.sadd("m:pending", host)
            if n % 500 == 499:
                pipe.execute()
        pipe.execute()
        per_origin = (_used(r) - base) / origins
        r.close()
    return {
        "bytes_per_seen_url": round(per_url, 1),
        "bytes_per_queued_request": round(per_queued, 1),
        "bytes_per_origin": round(per_origin, 1),
        "consent_body_bytes_per_origin": round(doc_bytes / origins, 1),
        "measured_with": {"urls": urls, "origins": origins},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.distributed", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    opts = parser.parse_args(argv)
    memory = redis_memory(*((20_000, 1_000) if opts.quick else (200_000, 5_000)))
    print("redis memory:", json.dumps(memory))
    ratio = workers_ratio(*((4, 30) if opts.quick else (8, 60)))
    print("1 vs 2 workers:", json.dumps(ratio))
    return 0 if not ratio.get("skipped") and ratio["workers_2"]["returncode"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
