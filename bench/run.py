"""``make bench``: consent-aware crawl vs a plain Scrapy crawl, same machine, same simulated web.

One invocation starts the synthetic web (bench.web behind SimWeb), measures the server alone, then
runs, alternating over rounds (the machine drifts, so configurations are compared within one
invocation, as medians):

1. ``baseline``: the idiomatic Scrapy spider (bench/baseline.py), ROBOTSTXT_OBEY=True, JSON lines;
2. ``consent-off``: ``scrapy crawl images``, strict policy, IMAGE_PROBE=off;
3. ``consent-head``: ``scrapy crawl images`` with the default settings (probe head);
4. ``floor``: bench/floor.py, the same pages and links with no extraction and no items (Scrapy's
   own cost per page: ``floor_fraction`` = consent-off pages/s / floor pages/s).

Every round crawls a fresh slice of page hosts to completion (each run in a round the same
slice), so all three do the same pages; CLOSESPIDER_PAGECOUNT is only a safety cap, because
Scrapy counts every response (robots.txt, consent documents, probes) against it. The crawler is
pinned to core 1 and the server to core 0 when there are two cores. Counts come from the server's
request log (the ground truth for all three) and consentcrawl's manifest.

Then ``scrapy regenerate`` (when present) on a generated parquet: probe off with the batch path
at three sizes (start-up cost and memory flatness), the item path (``REGEN_BATCH_PATH=false``) at
the middle size for the ratio, and probe head; then the document floor (bench/docfloor.py: a
plain Scrapy spider fetching the same consent documents). Results: bench/results/latest.json
(stable keys ``regen_rows_per_s``, ``regen_rows_per_cpu_s``, ``regen_peak_rss_mb``,
``regen_marginal_rows_per_s`` (slope between the smallest and largest size: the per-row rate
without the fixed cost), ``regen_fixed_s``, ``regen_document_floor_s``, ``regen_batch_vs_item``,
``regen_probe_head_probes_per_s``,
``crawl_ratio``, ``floor_fraction``, ``probe_request_ratio``) and a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.regen import document_urls, write_parquet
from bench.web import page_host, seed_urls
from crawler.demo import crawl_command as images_command
from crawler.simweb.control import SimWeb

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT_ROOT / "bench" / "results" / "latest.json"
# consent-warc: consent-head with WARC capture on (WARC_ENABLED), for the capture's cost.
CONFIGS = ("baseline", "consent-off", "consent-head", "consent-warc", "floor")
# Plain Scrapy spiders run with ``scrapy runspider`` from a directory without scrapy.cfg.
RUNSPIDER = {"baseline": "baseline.py", "floor": "floor.py"}
# The same concurrency knobs for every run, CONCURRENT_ITEMS included: Scrapy 2.19 starts that
# many asyncio workers per callback output, and consentcrawl lowers it; the baseline gets the
# same value so the ratio measures our work, not a setting.
CONCURRENCY = {
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "CONCURRENT_ITEMS": 4,
}
CONSENT_DOCS = frozenset({"/robots.txt", "/ai.txt", "/.well-known/tdmrep.json"})
CONTACT = "http://consentcrawl.bench.test/contact"


@dataclass(frozen=True)
class Sizing:
    """How much work one invocation does (full: about 8 minutes on 2 cores; quick: < 1)."""

    rounds: int
    hosts_per_run: int
    server_seconds: float
    regen_rows: tuple[int, ...]  # probe off, batch path, at each size (memory flatness)
    regen_head_rows: int
    regen_timeout: float
    budget: float  # seconds for the regeneration part (from its start); its runs shrink to fit
    regen_hosts: int  # image hosts the parquet rows spread over (each: 3 consent documents)
    regen_item_rows: int = 0  # probe off, item path (the pipelines), for the ratio
    web: dict[str, int] = field(
        default_factory=lambda: {"hosts": 200, "pages": 100, "cdn": 20, "media": 2000}
    )


FULL = Sizing(3, 40, 3.0, (100_000, 200_000, 1_000_000), 50_000, 150.0, 900.0, 2000, 200_000)
QUICK = Sizing(1, 8, 1.0, (5_000, 10_000, 20_000), 2_000, 20.0, 75.0, 100, 10_000)


# --- processes ----------------------------------------------------------------------------


def _cores() -> tuple[set[int] | None, set[int] | None]:
    """(server cores, crawler cores): split the first two CPUs when we may."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None, None
    if len(cpus) < 2:
        return None, None
    return {cpus[0]}, {cpus[1]}


@dataclass
class ChildResult:
    returncode: int
    wall: float
    cpu: float
    maxrss_mb: float
    timed_out: bool = False


def run_child(
    cmd: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    log: Path,
    cores: set[int] | None,
    timeout: float = 600.0,
) -> ChildResult:
    """Run one measured child; CPU time and peak RSS come from ``wait4`` for that child only."""

    def pin() -> None:
        if cores:
            os.sched_setaffinity(0, cores)

    start = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            preexec_fn=pin,
        )
    deadline = start + timeout
    timed_out = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline and not timed_out:
            timed_out = True
            proc.kill()  # our own child, by its pid
        time.sleep(0.02)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return ChildResult(
        returncode=proc.returncode,
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        maxrss_mb=usage.ru_maxrss / 1024,  # KiB on Linux
        timed_out=timed_out,
    )


def _server_pid() -> int | None:
    """The SimWeb server: our own child running crawler.simweb.server (for its CPU time)."""
    me = os.getpid()
    try:
        children = Path(f"/proc/{me}/task/{me}/children").read_text().split()
    except OSError:
        return None
    for pid in children:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"crawler.simweb.server" in cmdline:
            return int(pid)
    return None


def _proc_cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the server alone ---------------------------------------------------------------------


async def _client(port: int, seconds: float, connections: int, hosts: int, pages: int) -> int:
    """Keep-alive GETs of pages over ``connections`` sockets for ``seconds``; returns replies."""
    done = 0
    stop_at = time.perf_counter() + seconds

    async def worker(k: int) -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = k
        while time.perf_counter() < stop_at:
            host = page_host(i % hosts)
            path = "/" if i % pages == 0 else f"/p/{i % pages}.html"
            i += connections
            writer.write(
                f"GET http://{host}{path} HTTP/1.1\r\nHost: {host}\r\n"
                "User-Agent: bench-client\r\n\r\n".encode()
            )
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            done += 1
        writer.close()

    await asyncio.gather(*(worker(k) for k in range(connections)))
    return done


def client_main(argv: Sequence[str]) -> int:
    """``python -m bench.run --client PORT SECONDS CONNECTIONS HOSTS PAGES``: prints JSON."""
    port, seconds, conns, hosts, pages = argv
    start = time.perf_counter()
    done = asyncio.run(_client(int(port), float(seconds), int(conns), int(hosts), int(pages)))
    print(json.dumps({"requests": done, "seconds": time.perf_counter() - start}))
    return 0


def measure_server(web: SimWeb, sizing: Sizing, work: Path, cores: set[int] | None) -> dict:
    """The server's own rate under a simple concurrent client (its CPU share shows the bound)."""
    out = work / "client.json"
    spid = _server_pid()
    cpu0 = _proc_cpu(spid)
    cmd = [sys.executable, "-m", "bench.run", "--client", str(web.port), str(sizing.server_seconds)]
    cmd += ["64", str(sizing.web["hosts"]), str(sizing.web["pages"])]
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    res = run_child(cmd, cwd=PROJECT_ROOT, env=env, log=out, cores=cores, timeout=60)
    cpu = _proc_cpu(spid) - cpu0
    try:
        data = json.loads(out.read_text().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return {"error": out.read_text(errors="replace")[-2000:]}
    rate = data["requests"] / data["seconds"]
    return {
        "requests": data["requests"],
        "seconds": round(data["seconds"], 2),
        "requests_per_s": round(rate, 1),
        "server_cpu_share": round(cpu / data["seconds"], 2),
        "client_cpu_share": round(res.cpu / res.wall, 2),
        "connections": 64,
        "what": "keep-alive GET of ~15 KB generated pages, absolute-URI (proxy) form",
    }


# --- one crawl ----------------------------------------------------------------------------


def _read_log(path: Path, start: int) -> tuple[list[dict[str, Any]], int]:
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read()
    end = start + data.rfind(b"\n") + 1
    entries = []
    for line in data[: end - start].splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries, end


def summarise_requests(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """What the server saw during one run: pages, consent documents, probes, per origin."""
    kinds: Counter[str] = Counter()
    docs_by_origin: Counter[str] = Counter()
    origins: set[str] = set()
    for e in entries:
        host, path, method = e["host"], e["path"].partition("?")[0], e["method"]
        origins.add(host)
        if path in CONSENT_DOCS:
            kinds["consent_documents"] += 1
            docs_by_origin[host] += 1
        elif path.endswith(".jpg"):
            kinds[f"image_{method.lower()}"] += 1
        elif e["status"] == 200 and method == "GET":
            kinds["pages"] += 1
        else:
            kinds["other"] += 1
    times = [e["t"] for e in entries]
    window = (max(times) - min(times)) if len(times) > 1 else 0.0
    return {
        "requests": len(entries),
        "window_s": window,
        "origins": len(origins),
        "docs_per_origin_mean": (sum(docs_by_origin.values()) / len(origins)) if origins else 0,
        "docs_per_origin_max": max(docs_by_origin.values(), default=0),
        **kinds,
    }


def crawl_command(config: str, seeds: Path, out: Path, safety_cap: int) -> list[str]:
    common = [f"{k}={v}" for k, v in CONCURRENCY.items()]
    common += ["DEPTH_LIMIT=0", f"CLOSESPIDER_PAGECOUNT={safety_cap}", "LOG_LEVEL=WARNING"]
    flags = [arg for s in common for arg in ("-s", s)]
    if config in RUNSPIDER:
        spider = str(PROJECT_ROOT / "bench" / RUNSPIDER[config])
        feed = ["-O", str(out / "items.jsonl")] if config == "baseline" else []
        return [
            sys.executable,
            "-m",
            "scrapy",
            "runspider",
            spider,
            "-a",
            f"seeds={seeds}",
            *feed,
            *flags,
        ]
    probe = "off" if config == "consent-off" else None
    cmd = images_command(out / "index", str(seeds), flags)
    if probe:
        cmd += ["-s", f"IMAGE_PROBE={probe}"]
    if config == "consent-warc":
        cmd += ["-s", "WARC_ENABLED=true"]
    return cmd


def run_crawl(
    config: str,
    web: SimWeb,
    seeds: Path,
    work: Path,
    cores: set[int] | None,
    cap: int,
    profile: Path | None = None,
) -> dict[str, Any]:
    """One measured crawl: process figures, server-side counts, consentcrawl's manifest."""
    out = work / config
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = web.env()
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    env.pop("SCRAPY_PROJECT", None)
    # The baseline runs from a directory without scrapy.cfg: Scrapy's defaults, not ours.
    cwd = out if config in RUNSPIDER else PROJECT_ROOT
    if config != "baseline":  # (bench.floor imports bench.baseline)
        env["PYTHONPATH"] = str(PROJECT_ROOT)
    spid = _server_pid()
    server_cpu0 = _proc_cpu(spid)
    offset = web.log_path.stat().st_size if web.log_path.exists() else 0
    cmd = crawl_command(config, seeds, out, cap)
    if profile is not None:  # same crawl under cProfile (slower: never part of the medians)
        cmd[1:3] = ["-m", "cProfile", "-o", str(profile), "-m", "scrapy"]
    res = run_child(
        cmd,
        cwd=cwd,
        env=env,
        log=out / "crawl.log",
        cores=cores,
    )
    server_cpu = _proc_cpu(spid) - server_cpu0
    time.sleep(0.05)
    entries, _ = _read_log(web.log_path, offset)
    seen = summarise_requests(entries)
    record: dict[str, Any] = {
        "config": config,
        "returncode": res.returncode,
        "wall_s": round(res.wall, 2),
        "cpu_s": round(res.cpu, 2),
        "peak_rss_mb": round(res.maxrss_mb, 1),
        "server_cpu_share": round(server_cpu / res.wall, 2) if res.wall else 0,
        "server": seen,
    }
    if res.returncode != 0:
        record["log_tail"] = (out / "crawl.log").read_text(errors="replace")[-3000:]
    pages = seen.get("pages", 0)
    if config in RUNSPIDER:
        items = out / "items.jsonl"
        candidates = items.read_bytes().count(b"\n") if items.exists() else 0
        probes = 0
    else:
        manifest_path = out / "index" / "manifest.json"
        counts: dict[str, Any] = {}
        if manifest_path.exists():
            counts = json.loads(manifest_path.read_text())["counts"]
        record["manifest_counts"] = {
            k: counts.get(k)
            for k in (
                "pages_fetched",
                "pages_excluded",
                "candidates",
                "kept",
                "excluded",
                "consent_documents_fetched",
                "consent_probes",
            )
        }
        candidates = counts.get("candidates", 0) or 0
        probes = counts.get("consent_probes", 0) or 0
        if manifest_path.exists() and config == "consent-warc":
            warc = json.loads(manifest_path.read_text()).get("warc") or []
            record["warc_bytes"] = sum(f["bytes"] for f in warc)
    window = seen["window_s"] or res.wall
    record.update(
        pages=pages,
        candidates=candidates,
        pages_per_s=pages / window,
        pages_per_s_wall=pages / res.wall,
        candidates_per_s=candidates / window,
        requests_per_s=seen["requests"] / window,
        cpu_ms_per_page=1000 * res.cpu / pages if pages else None,
        docs_per_origin=seen["docs_per_origin_mean"],
        docs_per_origin_max=seen["docs_per_origin_max"],
        probes_per_candidate=probes / candidates if candidates else 0.0,
        warc_bytes_per_page=record["warc_bytes"] / pages
        if "warc_bytes" in record and pages
        else None,
    )
    return record


# --- regeneration -------------------------------------------------------------------------


def regenerate_available(env: dict[str, str]) -> tuple[bool, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "regenerate", "-h"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    text = proc.stdout + proc.stderr
    if proc.returncode != 0 or "Unknown command" in text:
        return False, text[-500:]
    return True, ""


def run_regeneration(
    web: SimWeb,
    sizing: Sizing,
    work: Path,
    cores: set[int] | None,
    deadline: float,
    extra_rows: Sequence[int] = (),
) -> dict[str, Any]:
    """``scrapy regenerate`` rows/s and peak RSS; skipped, not failed, if the command is absent."""
    env = web.env()
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    ok, why = regenerate_available(env)
    if not ok:
        return {"skipped": True, "reason": "scrapy regenerate not available", "detail": why}
    hosts = sizing.regen_hosts
    sizes = {*sizing.regen_rows, sizing.regen_item_rows, *extra_rows} - {0}
    inputs = {n: write_parquet(work / f"regen-{n}.parquet", n, hosts) for n in sizes}
    head_rows = sizing.regen_head_rows
    head_input = write_parquet(work / f"regen-head-{head_rows}.parquet", head_rows, hosts)
    runs = []
    # The item path first and the middle batch size right after it: the ratio of two runs
    # measured back to back (the machine drifts).
    middle = sizing.regen_item_rows
    plan: list[tuple[str, str, int, Path]] = []
    if middle:
        plan += [("off", "items", middle, inputs[middle]), ("off", "batch", middle, inputs[middle])]
    plan += [("off", "batch", n, inputs[n]) for n in sizing.regen_rows if n != middle]
    plan += [("head", "items", head_rows, head_input)]
    plan += [("off", "batch", n, inputs[n]) for n in extra_rows]
    for probe, path_kind, rows, path in plan:
        out = work / f"regen-out-{probe}-{path_kind}-{rows}"
        shutil.rmtree(out, ignore_errors=True)
        cmd = [sys.executable, "-m", "scrapy", "regenerate", str(path), "-o", str(out)]
        cmd += ["--probe", probe]
        for setting in (
            f"REGEN_BATCH_PATH={path_kind == 'batch'}",
            "REGEN_PROGRESS=false",
            "LOG_LEVEL=WARNING",
            f"CONSENTCRAWL_CONTACT_URL={CONTACT}",
            "INDEX_OVERWRITE=true",
            *(f"{k}={v}" for k, v in CONCURRENCY.items()),
        ):
            cmd += ["-s", setting]
        limit = sizing.regen_timeout * max(1.0, rows / 200_000)
        timeout = min(limit, deadline - time.monotonic())
        if timeout < 5:
            runs.append({"probe": probe, "path": path_kind, "rows": rows, "skipped": "time budget"})
            continue
        offset = web.log_path.stat().st_size
        res = run_child(
            cmd,
            cwd=PROJECT_ROOT,
            env=env,
            log=work / f"regen-{probe}-{path_kind}-{rows}.log",
            cores=cores,
            timeout=timeout,
        )
        entries, _ = _read_log(web.log_path, offset)
        seen = summarise_requests(entries)
        run = {
            "probe": probe,
            "path": path_kind,
            "rows": rows,
            "image_hosts": hosts,
            "returncode": res.returncode,
            "timed_out": res.timed_out,
            "wall_s": round(res.wall, 2),
            "rows_per_s": round(rows / res.wall, 1) if res.returncode == 0 else None,
            "peak_rss_mb": round(res.maxrss_mb, 1),
            "cpu_s": round(res.cpu, 2),
            "server": seen,
        }
        if probe != "off":  # probes per second, over the server's window of this run
            probes = seen.get("image_head", 0) + seen.get("image_get", 0)
            run["probes"] = probes
            run["probes_per_s"] = round(probes / seen["window_s"], 1) if seen["window_s"] else None
        if res.returncode != 0:
            log = (work / f"regen-{probe}-{path_kind}-{rows}.log").read_text(errors="replace")
            run["log_tail"] = log[-2000:]
        runs.append(run)
        print(
            f"  regeneration probe {probe:<4} {path_kind:<5} {rows:8d} rows: wall {res.wall:6.1f}s "
            f"rc {res.returncode}{' (timed out)' if res.timed_out else ''}",
            flush=True,
        )
    floor = run_document_floor(web, sizing, work, cores, deadline)
    return {"skipped": False, "runs": runs, "document_floor": floor}


def run_document_floor(
    web: SimWeb, sizing: Sizing, work: Path, cores: set[int] | None, deadline: float
) -> dict[str, Any]:
    """bench/docfloor.py: the regeneration's consent documents fetched by a plain Scrapy spider
    (Scrapy's own cost of them: the floor of a regeneration's fixed cost)."""
    rows = min(n for n in sizing.regen_rows if n)
    urls = work / "document-urls.txt"
    urls.write_text("\n".join(document_urls(rows, sizing.regen_hosts)) + "\n")
    out = work / "docfloor"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = web.env()
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    env.pop("SCRAPY_PROJECT", None)
    cmd = [sys.executable, "-m", "scrapy", "runspider", str(PROJECT_ROOT / "bench" / "docfloor.py")]
    cmd += ["-a", f"urls={urls}"]
    for key, value in CONCURRENCY.items():
        cmd += ["-s", f"{key}={value}"]
    timeout = min(300.0, deadline - time.monotonic() + 120)
    offset = web.log_path.stat().st_size
    res = run_child(cmd, cwd=out, env=env, log=out / "log", cores=cores, timeout=timeout)
    seen = summarise_requests(_read_log(web.log_path, offset)[0])
    print(
        f"  regeneration document floor: {seen['requests']} documents, wall {res.wall:6.1f}s "
        f"CPU {res.cpu:6.1f}s rc {res.returncode}",
        flush=True,
    )
    return {
        "returncode": res.returncode,
        "documents": seen["requests"],
        "wall_s": round(res.wall, 2),
        "cpu_s": round(res.cpu, 2),
        "cpu_ms_per_document": round(1000 * res.cpu / seen["requests"], 3)
        if seen["requests"]
        else None,
        "what": "plain Scrapy spider fetching the same consent documents (bench/docfloor.py)",
    }


def regen_summary(regen: dict[str, Any]) -> dict[str, Any]:
    """The stable keys of latest.json for regeneration (probe off; sizes as strings)."""
    ok = [r for r in regen.get("runs", []) if r.get("returncode") == 0 and r["probe"] == "off"]
    batch = {str(r["rows"]): r for r in ok if r["path"] == "batch"}
    items = {str(r["rows"]): r for r in ok if r["path"] == "items"}
    ratio = None
    for size, run in items.items():
        if size in batch and run["rows_per_s"]:
            ratio = round(batch[size]["rows_per_s"] / run["rows_per_s"], 2)
    # Per-row cost without the fixed cost (start-up and consent documents, the same at every
    # size): the slope between the smallest and the largest batch-path run.
    marginal = fixed = None
    sizes = sorted(batch, key=int)
    if len(sizes) >= 2:
        small, large = batch[sizes[0]], batch[sizes[-1]]
        extra_wall = large["wall_s"] - small["wall_s"]
        if extra_wall > 0:
            marginal = round((large["rows"] - small["rows"]) / extra_wall, 1)
            fixed = round(small["wall_s"] - small["rows"] / marginal, 2)
    floor = regen.get("document_floor") or {}
    return {
        "regen_rows_per_s": {k: r["rows_per_s"] for k, r in batch.items()},
        "regen_rows_per_cpu_s": {
            k: round(r["rows"] / r["cpu_s"], 1) if r["cpu_s"] else None for k, r in batch.items()
        },
        "regen_peak_rss_mb": {k: r["peak_rss_mb"] for k, r in batch.items()},
        "regen_marginal_rows_per_s": marginal,
        "regen_fixed_s": fixed,
        "regen_document_floor_s": floor.get("wall_s") if floor.get("returncode") == 0 else None,
        "regen_item_path_rows_per_s": {k: r["rows_per_s"] for k, r in items.items()},
        "regen_batch_vs_item": ratio,
        "regen_probe_head_probes_per_s": next(
            (
                r.get("probes_per_s")
                for r in regen.get("runs", [])
                if r.get("probe") == "head" and r.get("returncode") == 0
            ),
            None,
        ),
    }


# --- report -------------------------------------------------------------------------------

_COLUMNS: list[tuple[str, str, Callable[[Any], str]]] = [
    ("pages/s", "pages_per_s", lambda v: f"{v:8.1f}"),
    ("wall p/s", "pages_per_s_wall", lambda v: f"{v:8.1f}"),
    ("cand/s", "candidates_per_s", lambda v: f"{v:8.0f}"),
    ("req/s", "requests_per_s", lambda v: f"{v:8.0f}"),
    ("CPU ms/pg", "cpu_ms_per_page", lambda v: f"{v:9.2f}"),
    ("RSS MB", "peak_rss_mb", lambda v: f"{v:7.0f}"),
    ("docs/origin", "docs_per_origin", lambda v: f"{v:11.2f}"),
    ("probes/cand", "probes_per_candidate", lambda v: f"{v:11.3f}"),
    ("pages", "pages", lambda v: f"{v:6.0f}"),
    ("WARC B/pg", "warc_bytes_per_page", lambda v: f"{v:9.0f}"),
]


def medians(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for config in CONFIGS:
        mine = [r for r in runs if r["config"] == config and r["returncode"] == 0]
        if not mine:
            continue
        out[config] = {
            key: statistics.median(r[key] for r in mine if r[key] is not None)
            for _, key, _ in _COLUMNS
            if any(r[key] is not None for r in mine)
        }
        out[config]["docs_per_origin_max"] = max(r["docs_per_origin_max"] for r in mine)
        out[config]["server_cpu_share"] = statistics.median(r["server_cpu_share"] for r in mine)
        out[config]["runs"] = len(mine)
    return out


def round_ratios(runs: list[dict[str, Any]], top: str, bottom: str, key: str) -> list[float]:
    """``top``'s ``key`` over ``bottom``'s in each round where both succeeded, in round order:
    the spread behind a ratio of medians (the machine drifts between rounds)."""
    by_round: dict[int, dict[str, float]] = {}
    for run in runs:
        if run["returncode"] == 0 and run.get(key):
            by_round.setdefault(run["round"], {})[run["config"]] = run[key]
    return [
        round(pair[top] / pair[bottom], 3)
        for _, pair in sorted(by_round.items())
        if top in pair and bottom in pair
    ]


def _rounds_text(ratios: list[float]) -> str:
    return f" (rounds {' / '.join(f'{r:.2f}' for r in ratios)})" if len(ratios) > 1 else ""


def table(med: dict[str, dict[str, float]]) -> str:
    head = f"{'run':<14}" + " ".join(f"{name:>{len(fmt(0.0))}}" for name, _, fmt in _COLUMNS)
    lines = [head, "-" * len(head)]
    for config, row in med.items():
        cells = [fmt(row[key]) if key in row else " " * len(fmt(0.0)) for _, key, fmt in _COLUMNS]
        lines.append(f"{config:<14}" + " ".join(cells))
    return "\n".join(lines)


def profile_main(config: str, hosts: int) -> int:
    """Where a crawl's time goes: one cProfile run, the top functions by own and total time."""
    import pstats

    work = Path(tempfile.mkdtemp(prefix="consentcrawl-profile-"))
    _, crawler_cores = _cores()
    seeds = work / "seeds.txt"
    seeds.write_text("\n".join(seed_urls(range(hosts))) + "\n")
    prof = work / "crawl.prof"
    with SimWeb(factory="bench.web:build", workdir=work / "web", max_seconds=600) as web:
        rec = run_crawl(config, web, seeds, work, crawler_cores, cap=1_000_000, profile=prof)
    print(f"{config}: {rec['pages']} pages, {rec['cpu_s']} s CPU under cProfile")
    stats = pstats.Stats(str(prof))
    stats.sort_stats("tottime").print_stats(15)
    stats.sort_stats("cumulative").print_stats(r"crawler|pipelines|scrapy/core|lxml|parsel", 30)
    print(f"profile: {prof}")
    return rec["returncode"]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--client"]:
        return client_main(args[1:])
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small run, under a minute")
    parser.add_argument("--rounds", type=int, help="override the number of rounds")
    parser.add_argument("--hosts-per-run", type=int, help="override the page hosts per run")
    parser.add_argument("--no-regen", action="store_true", help="skip the regeneration part")
    parser.add_argument(
        "--regen-only", action="store_true", help="only the regeneration part (no crawl rounds)"
    )
    parser.add_argument(
        "--regen-rows",
        type=int,
        action="append",
        default=[],
        help="one more batch-path run of N generated rows (e.g. 10000000); repeatable",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--profile", choices=CONFIGS, help="only profile one crawl of CONFIG with cProfile"
    )
    opts = parser.parse_args(args)
    if opts.profile:
        return profile_main(opts.profile, opts.hosts_per_run or 20)
    sizing = QUICK if opts.quick else FULL
    rounds = opts.rounds or sizing.rounds
    per_run = opts.hosts_per_run or sizing.hosts_per_run
    web_hosts = sizing.web["hosts"]
    server_cores, crawler_cores = _cores()
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="consentcrawl-bench-"))
    print(
        f"bench web: {web_hosts} hosts x {sizing.web['pages']} pages "
        f"(+{sizing.web['cdn']} image hosts, {sizing.web['media']} media hosts); "
        f"{rounds} round(s) of {per_run} hosts (~{per_run * sizing.web['pages']} pages) per run; "
        f"server cores {sorted(server_cores or [])}, crawler cores {sorted(crawler_cores or [])}",
        flush=True,
    )
    # The server inherits our affinity at spawn: pin ourselves to its core, start it, undo.
    all_cores = os.sched_getaffinity(0)
    if server_cores:
        os.sched_setaffinity(0, server_cores)
    web = SimWeb(
        factory="bench.web:build",
        factory_args=sizing.web,
        workdir=work / "web",
        max_seconds=1200,
        max_requests=100_000_000,
    )
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(),
        "mode": "quick" if opts.quick else "full",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "server_cores": sorted(server_cores or []),
            "crawler_cores": sorted(crawler_cores or []),
        },
        "web": sizing.web,
        "rounds": rounds,
        "hosts_per_run": per_run,
        "concurrency": CONCURRENCY,
    }
    with web:
        os.sched_setaffinity(0, all_cores)
        server = measure_server(web, sizing, work, crawler_cores)
        results["server_alone"] = server
        print(
            f"server alone: {server.get('requests_per_s', 'n/a')} requests/s "
            f"({server.get('what', '')}; server CPU share {server.get('server_cpu_share')})",
            flush=True,
        )
        runs: list[dict[str, Any]] = []
        expected = per_run * (sizing.web["pages"] + 25)
        for r in range(0 if opts.regen_only else rounds):
            first = (r * per_run) % web_hosts
            hosts = [(first + k) % web_hosts for k in range(per_run)]
            seeds = work / f"seeds-{r}.txt"
            seeds.write_text("\n".join(seed_urls(hosts)) + "\n")
            turn = r % len(CONFIGS)
            order = CONFIGS[turn:] + CONFIGS[:turn]  # rotate: drift hits each config alike
            for config in order:
                rec = run_crawl(config, web, seeds, work, crawler_cores, cap=expected * 20)
                rec["round"] = r
                runs.append(rec)
                status = "ok" if rec["returncode"] == 0 else f"FAILED ({rec['returncode']})"
                print(
                    f"  round {r + 1}/{rounds} {config:<13} {rec['pages']:6d} pages "
                    f"{rec['pages_per_s']:7.1f} pages/s {rec['requests_per_s']:7.0f} req/s "
                    f"wall {rec['wall_s']:5.1f}s {status}",
                    flush=True,
                )
        results["runs"] = runs
        med = medians(runs)
        results["medians"] = med
        if not opts.no_regen:
            # From the regeneration's own start: a slow crawl part must not cut its sizes.
            budget = sizing.budget + sum(n / 10_000 for n in opts.regen_rows)
            results["regeneration"] = run_regeneration(
                web, sizing, work, crawler_cores, time.monotonic() + budget, opts.regen_rows
            )
        else:
            results["regeneration"] = {"skipped": True, "reason": "--no-regen"}
    base = med.get("baseline", {}).get("pages_per_s")
    off = med.get("consent-off", {}).get("pages_per_s")
    head_req = med.get("consent-head", {}).get("requests_per_s")
    off_req = med.get("consent-off", {}).get("requests_per_s")
    ratio = off / base if base and off else None
    results["ratio_consent_off_vs_plain_pages_per_s"] = ratio
    results["ratio_head_vs_off_requests_per_s"] = (
        head_req / off_req if head_req and off_req else None
    )
    warc_pps = med.get("consent-warc", {}).get("pages_per_s")
    head_pps = med.get("consent-head", {}).get("pages_per_s")
    results["warc_capture"] = {
        "pages_per_s_without": head_pps,
        "pages_per_s_with": warc_pps,
        "ratio_with_vs_without": warc_pps / head_pps if warc_pps and head_pps else None,
        "warc_bytes_per_page": med.get("consent-warc", {}).get("warc_bytes_per_page"),
    }
    # Stable keys (issue 16); the longer names above are kept for older readers.
    results["crawl_ratio"] = ratio
    results["crawl_ratio_rounds"] = round_ratios(runs, "consent-off", "baseline", "pages_per_s")
    floor = med.get("floor", {}).get("pages_per_s")
    results["floor_fraction"] = off / floor if off and floor else None
    results["floor_fraction_rounds"] = round_ratios(runs, "consent-off", "floor", "pages_per_s")
    results["probe_request_ratio"] = results["ratio_head_vs_off_requests_per_s"]
    results.update(regen_summary(results["regeneration"]))
    # Issue 13: the same crawl with 1 and with 2 workers on one real Redis (bench.distributed).
    from bench.distributed import workers_ratio

    results["distributed"] = workers_ratio(*((4, 30) if opts.quick else (8, 60)))
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    results["capped"] = (
        f"each run crawls {per_run} of {web_hosts} hosts to completion (the web has "
        f"{web_hosts * sizing.web['pages']} pages); CLOSESPIDER_PAGECOUNT={expected * 20} is a "
        "safety cap only"
    )
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    opts.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print()
    print(f"medians of {rounds} round(s); pages/s and req/s over the server-side crawl window")
    print(table(med))
    print(
        f"server alone: {server.get('requests_per_s', 'n/a')} requests/s; server CPU share "
        "during crawls: "
        + ", ".join(f"{c} {v.get('server_cpu_share', 0):.2f}" for c, v in med.items())
    )
    regen = results["regeneration"]
    if regen.get("skipped"):
        print(f"regeneration: skipped ({regen.get('reason')})")
    else:
        for run in regen["runs"]:
            if run.get("skipped"):
                print(
                    f"regeneration probe {run['probe']:<4} {run['path']:<5} {run['rows']:8d} "
                    f"rows: skipped ({run['skipped']})"
                )
                continue
            print(
                f"regeneration probe {run['probe']:<4} {run['path']:<5} {run['rows']:8d} rows: "
                f"{run['rows_per_s'] or 0:8.0f} rows/s, peak RSS {run['peak_rss_mb']:.0f} MB"
                + (f", {run['probes_per_s']} probes/s" if run.get("probes_per_s") else "")
                + ("" if run["returncode"] == 0 else f" (FAILED {run['returncode']})")
            )
    if results["ratio_head_vs_off_requests_per_s"] is not None:
        print(
            f"probe head / probe off requests-per-second ratio: "
            f"{results['ratio_head_vs_off_requests_per_s']:.2f}"
        )
    capture = results["warc_capture"]
    if capture["ratio_with_vs_without"] is not None:
        print(
            f"WARC capture: {capture['pages_per_s_with']:.1f} pages/s with, "
            f"{capture['pages_per_s_without']:.1f} without (ratio "
            f"{capture['ratio_with_vs_without']:.2f}); "
            f"{capture['warc_bytes_per_page'] or 0:.0f} bytes of WARC per page"
        )
    if results["regen_marginal_rows_per_s"] is not None:
        print(
            f"regeneration marginal rate (slope between sizes, without the fixed cost): "
            f"{results['regen_marginal_rows_per_s']:.0f} rows/s; fixed cost "
            f"{results['regen_fixed_s']:.1f}s (document floor: plain Scrapy fetching the same "
            f"documents {results['regen_document_floor_s'] or 0:.1f}s)"
        )
    if results["regen_batch_vs_item"] is not None:
        print(
            "regeneration batch path / item path rows-per-second ratio (same run): "
            f"{results['regen_batch_vs_item']:.2f}"
        )
    dist = results["distributed"]
    if dist.get("skipped"):
        print(f"distributed: skipped ({dist['reason']})")
    else:
        print(
            f"distributed: 1 worker {dist['workers_1']['pages_per_s']} pages/s, 2 workers "
            f"{dist['workers_2']['pages_per_s']} pages/s, ratio {dist['ratio_2_vs_1_pages_per_s']}"
        )
    print(f"results: {opts.out} (work dir {work}); {results['elapsed_s']:.0f}s")
    if not opts.keep:
        shutil.rmtree(work, ignore_errors=True)
    if results["floor_fraction"] is not None:
        print(
            f"consent-off / floor pages-per-second fraction: {results['floor_fraction']:.2f}"
            f"{_rounds_text(results['floor_fraction_rounds'])}"
        )
    print(
        f"consent/plain pages-per-second ratio: {ratio:.2f}"
        f"{_rounds_text(results['crawl_ratio_rounds'])}"
        if ratio
        else "consent/plain pages-per-second ratio: n/a"
    )
    failed = [r for r in runs if r["returncode"] != 0]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
