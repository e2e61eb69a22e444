"""Rows reach disk as the crawl goes, and a crawl in a JOBDIR resumes without repeating a page.

The bench web (bench.web: deterministic pages, each a pure function of its URL) is crawled
three ways: uninterrupted, killed with SIGKILL mid-way and resumed, stopped with SIGINT and
resumed. Each run has its own SimWeb, so each request log is complete and its own. The crawls
follow links without a depth limit, so the set of pages does not depend on the order.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow.parquet as pq
import pytest

from bench.web import seed_urls
from crawler.demo import PROJECT_ROOT, crawl_command
from crawler.output.journal import read_journal
from crawler.simweb.control import SimWeb

WEB = {"hosts": 4, "pages": 200, "cdn": 2, "media": 10}
SETTINGS = {
    "LOG_LEVEL": "INFO",
    "IMAGE_PROBE": "off",
    "DEPTH_LIMIT": "0",
    "CONCURRENT_REQUESTS": "4",
    "DOWNLOAD_TIMEOUT": "10",
    "RETRY_TIMES": "0",
    "INDEX_FLUSH_SECONDS": "0.2",
}
SEEDS = seed_urls(range(WEB["hosts"]))
HANG_GUARD = 240  # seconds; a crawl here takes a few


def command(out: Path, jobdir: Path | None, **extra: str) -> list[str]:
    settings = {**SETTINGS, **extra}
    if jobdir is not None:
        settings["JOBDIR"] = str(jobdir)
    args = [arg for k, v in settings.items() for arg in ("-s", f"{k}={v}")]
    return crawl_command(out, SEEDS, args)


def bench_web(workdir: Path) -> SimWeb:
    return SimWeb(factory="bench.web:build", factory_args=WEB, workdir=workdir, max_seconds=300)


def page_requests(requests: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    """(host, path) -> times requested, for pages only (not images or consent documents)."""
    return Counter(
        (r["host"], r["path"]) for r in requests if r["path"] == "/" or r["path"].endswith(".html")
    )


def read_rows(directory: Path) -> list[dict[str, Any]]:
    return pq.read_table(directory).to_pylist()


def row_keys(out: Path) -> tuple[Counter, Counter]:
    index = Counter((r["page_url"], r["url"]) for r in read_rows(out / "index"))
    excluded = Counter(
        (r["page_url"], r["url"], r["kind"], tuple(r["reasons"]))
        for r in read_rows(out / "excluded")
    )
    return index, excluded


def done_lines(jobdir: Path) -> int:
    try:
        return len((jobdir / "consentcrawl" / "done.jsonl").read_text().splitlines())
    except FileNotFoundError:
        return 0


def run_until(
    cmd: list[str], web: SimWeb, jobdir: Path, sig: int, flushes: int = 3
) -> tuple[int, str]:
    """Start the crawl, wait until ``flushes`` flushes are committed, send ``sig``; exit code
    and stderr."""
    proc = subprocess.Popen(
        cmd, cwd=PROJECT_ROOT, env=web.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + HANG_GUARD
    try:
        while done_lines(jobdir) < flushes and proc.poll() is None:
            assert time.monotonic() < deadline, "the crawl never flushed"
            time.sleep(0.05)
        assert proc.poll() is None, "the crawl ended before it could be interrupted"
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=HANG_GUARD)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, stderr.decode(errors="replace")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("whole")
    with bench_web(base / "web") as web:
        result = subprocess.run(
            command(base / "out", None),
            cwd=PROJECT_ROOT,
            env=web.env(),
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    index, excluded = row_keys(base / "out")
    pages = page_requests(web.requests())
    assert set(pages.values()) == {1}
    return {"index": index, "excluded": excluded, "pages": pages, "out": base / "out"}


def interrupted_and_resumed(base: Path, sig: int) -> dict[str, Any]:
    out, jobdir = base / "out", base / "job"
    with bench_web(base / "web1") as web:
        code, stderr = run_until(command(out, jobdir), web, jobdir, sig)
    first = page_requests(web.requests())
    on_disk = {sub: read_rows(out / sub) for sub in ("index", "excluded")}  # every part reads
    done_at_kill = read_journal(jobdir).done
    with bench_web(base / "web2") as web:
        result = subprocess.run(
            command(out, jobdir),
            cwd=PROJECT_ROOT,
            env=web.env(),
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    second = page_requests(web.requests())
    index, excluded = row_keys(out)
    return {
        "code": code,
        "stderr": stderr,
        "first": first,
        "second": second,
        "on_disk": on_disk,
        "done_at_kill": done_at_kill,
        "index": index,
        "excluded": excluded,
        "manifest": json.loads((out / "manifest.json").read_text()),
        "jobdir": jobdir,
    }


@pytest.fixture(scope="module")
def killed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return interrupted_and_resumed(tmp_path_factory.mktemp("killed"), signal.SIGKILL)


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return interrupted_and_resumed(tmp_path_factory.mktemp("sigint"), signal.SIGINT)


def test_a_killed_crawl_leaves_readable_non_empty_parts(killed) -> None:
    assert killed["code"] == -signal.SIGKILL
    assert killed["on_disk"]["index"], "rows fetched before the kill are on disk"


def test_after_kill_and_resume_the_rows_are_those_of_an_uninterrupted_crawl(
    killed, uninterrupted
) -> None:
    assert killed["index"] == uninterrupted["index"]
    assert killed["excluded"] == uninterrupted["excluded"]
    assert max(killed["index"].values()) == 1  # no row twice


def test_after_kill_only_the_last_interval_is_fetched_again(killed, uninterrupted) -> None:
    first, second = killed["first"], killed["second"]
    assert set(first) | set(second) == set(uninterrupted["pages"])
    assert max(first.values()) == 1 and max(second.values()) == 1
    again = set(first) & set(second)
    # Fetched again: only pages the kill caught before their rows were committed (at most the
    # last flush interval, plus the pages still in the pipelines); never a page already done.
    done = {urlsplit(u)[1:3] for u in killed["done_at_kill"]}
    assert done, "some pages were committed before the kill"
    assert not again & done


def test_the_manifest_lists_both_runs_and_counts_every_row(killed, uninterrupted) -> None:
    manifest = killed["manifest"]
    runs = manifest["runs"]
    assert [r["resumed"] for r in runs] == [False, True]
    assert runs[0]["finish_reason"] is None  # killed: it never finished
    assert runs[1]["finish_reason"] == "finished"
    assert manifest["counts"]["kept"] == sum(killed["index"].values())
    assert manifest["counts"]["excluded"] + manifest["counts"]["pages_excluded"] == sum(
        killed["excluded"].values()
    )
    assert manifest["counts"]["pages_fetched"] >= len(uninterrupted["pages"]) - 1


def test_after_ctrl_c_and_resume_no_page_is_fetched_twice(interrupted, uninterrupted) -> None:
    assert interrupted["code"] == 0, "Ctrl-C is a clean stop"
    first, second = interrupted["first"], interrupted["second"]
    again = set(first) & set(second)
    done = {urlsplit(u)[1:3] for u in interrupted["done_at_kill"]}
    assert not again & done
    if "queued request(s) dropped" not in interrupted["stderr"]:
        assert not again  # nothing abandoned: every page fetched before the stop is done
    assert set(first) | set(second) == set(uninterrupted["pages"])
    assert interrupted["index"] == uninterrupted["index"]
    assert interrupted["excluded"] == uninterrupted["excluded"]
    runs = interrupted["manifest"]["runs"]
    assert [r["finish_reason"] for r in runs] == ["shutdown", "finished"]


def test_an_empty_crawl_still_writes_readable_parts(tmp_path: Path) -> None:
    with SimWeb({"hosts": {}}, workdir=tmp_path / "web", max_seconds=120) as web:
        result = subprocess.run(
            crawl_command(
                tmp_path / "out",
                ["http://empty.test/"],
                ["-s", "LOG_LEVEL=WARNING", "-s", "SCOPE_DENIED_DOMAINS=empty.test"],
            ),
            cwd=PROJECT_ROOT,
            env=web.env(),
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    index = pq.read_table(tmp_path / "out" / "index")
    assert index.num_rows == 0 and "caption" in index.schema.names
    consent = pq.read_table(tmp_path / "out" / "consent")
    assert consent.num_rows == 0 and "body" in consent.schema.names


def test_a_jobdir_of_another_index_dir_is_refused(killed, tmp_path: Path) -> None:
    with SimWeb({"hosts": {}}, workdir=tmp_path / "web", max_seconds=120) as web:
        result = subprocess.run(
            command(tmp_path / "elsewhere", killed["jobdir"]),
            cwd=PROJECT_ROOT,
            env=web.env(),
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
        )
    assert result.returncode == 2
    assert "holds the journal of a crawl into" in result.stderr
    assert not web.requests()


def test_journal_lines_cut_by_a_kill_are_skipped(tmp_path: Path) -> None:
    directory = tmp_path / "consentcrawl"
    directory.mkdir()
    (directory / "seen.jsonl").write_text('["http://a.test/", 0]\n["http://a.test/x", 1]\n["htt')
    (directory / "done.jsonl").write_text('{"pages": ["http://a.test/"], "fetched": 1}\n{"pa')
    journal = read_journal(tmp_path)
    assert journal.pending == [("http://a.test/x", 1)]
    assert journal.fetched == 1 and journal.resuming
    assert os.path.exists(directory / "seen.jsonl")
