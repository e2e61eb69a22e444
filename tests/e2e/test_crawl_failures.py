"""Bad input on the wire never crashes a crawl: every failure becomes a row with a reason."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from crawler.demo import run_crawl
from crawler.simweb.control import SimWeb

HTML = {"Content-Type": "text/html"}
ALLOW_ALL = {"status": 200, "body": "User-agent: *\nAllow: /\n"}


def page(body: str) -> dict:
    return {"status": 200, "headers": HTML, "body": body}


SITES = {
    "hosts": {
        # A healthy host linking to every failing case.
        "start.fail.test": {
            "routes": {
                "/robots.txt": ALLOW_ALL,
                "/": page(
                    '<img src="/ok.png" alt="fine photo">'
                    '<img src="http://slowrobots.fail.test/a.png" alt="behind a slow robots.txt">'
                    '<img src="http://droprobots.fail.test/a.png" alt="dropped robots.txt">'
                    '<img src="http://looprobots.fail.test/a.png" alt="behind a robots loop">'
                    '<img src="http://bigrobots.fail.test/late/a.png" alt="after the size cap">'
                    '<img src="http://bigrobots.fail.test/early/a.png" alt="before the size cap">'
                    '<img src="http://garbage.fail.test/a.png" alt="garbage robots">'
                    '<a href="/error.html">e</a><a href="/loop1.html">l</a>'
                    '<a href="/doc.pdf">pdf</a><a href="/empty.html">empty</a>'
                ),
                "/ok.png": {"status": 200, "headers": {"Content-Type": "image/png"}, "body": "x"},
                "/error.html": {"status": 500, "body": "boom"},
                "/loop1.html": {"status": 302, "redirect": "http://start.fail.test/loop2.html"},
                "/loop2.html": {"status": 302, "redirect": "http://start.fail.test/loop1.html"},
                "/doc.pdf": {
                    "status": 200,
                    "headers": {"Content-Type": "application/pdf"},
                    "body": "%PDF",
                },
                "/empty.html": {"status": 200, "headers": HTML, "body": ""},
            }
        },
        "slowrobots.fail.test": {
            "routes": {"/robots.txt": {"status": 200, "delay": 4, "body": ""}}
        },
        "droprobots.fail.test": {"routes": {"/robots.txt": {"drop": True}}},
        "looprobots.fail.test": {
            "routes": {
                "/robots.txt": {"status": 301, "redirect": "http://looprobots.fail.test/robots.txt"}
            }
        },
        "bigrobots.fail.test": {
            "routes": {
                "/robots.txt": {
                    "status": 200,
                    "body": "User-agent: *\nDisallow: /early/\n"
                    + ("# padding " + "x" * 990 + "\n") * 600
                    + "Disallow: /late/\n",
                },
                "/late/a.png": {
                    "status": 200,
                    "headers": {"Content-Type": "image/png"},
                    "body": "x",
                },
            }
        },
        "garbage.fail.test": {
            "routes": {
                "/robots.txt": {"status": 200, "body_b64": "//79/AAAAP8AAQIDBAUGBwgJCgsMDQ4P"},
                "/a.png": {"status": 200, "headers": {"Content-Type": "image/png"}, "body": "x"},
            }
        },
    }
}


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("fail") / "index"
    with SimWeb(SITES, max_seconds=120) as web:
        result = run_crawl(
            web,
            out,
            ["http://start.fail.test/"],
            ["-s", "DOWNLOAD_TIMEOUT=2", "-s", "RETRY_TIMES=0", "-s", "IMAGE_PROBE=off"],
        )
        requests = web.requests()
    assert result.returncode == 0, result.stderr[-3000:]
    excluded = {r["url"]: r for r in pq.read_table(out / "excluded").to_pylist()}
    kept = {r["url"]: r for r in pq.read_table(out / "index").to_pylist()}
    manifest = json.loads((out / "manifest.json").read_text())
    return {"excluded": excluded, "kept": kept, "manifest": manifest, "requests": requests}


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://slowrobots.fail.test/a.png", "robots:unreachable"),  # timeout
        ("http://droprobots.fail.test/a.png", "robots:unreachable"),  # connection dropped
        ("http://looprobots.fail.test/a.png", "robots:unreachable"),  # redirect loop
        ("http://bigrobots.fail.test/early/a.png", "robots:disallowed"),
    ],
)
def test_robots_failures_fail_closed(crawl, url: str, reason: str) -> None:
    assert crawl["excluded"][url]["reasons"] == [reason]
    assert crawl["excluded"][url]["kind"] == "image"


def test_only_the_first_512_kib_of_robots_txt_count(crawl) -> None:
    assert "http://bigrobots.fail.test/late/a.png" in crawl["kept"]


def test_garbage_robots_body_parses_as_no_rules(crawl) -> None:
    assert "http://garbage.fail.test/a.png" in crawl["kept"]


def test_page_failures_are_excluded_pages(crawl) -> None:
    excluded = crawl["excluded"]
    assert excluded["http://start.fail.test/error.html"]["reasons"] == ["fetch:http-500"]
    assert excluded["http://start.fail.test/error.html"]["kind"] == "page"
    loop = [u for u in excluded if u.startswith("http://start.fail.test/loop")]
    assert loop and all(excluded[u]["reasons"] == ["fetch:redirect-limit"] for u in loop)


def test_the_good_rows_survive(crawl) -> None:
    assert crawl["kept"]["http://start.fail.test/ok.png"]["caption"] == "fine photo"
    counts = crawl["manifest"]["counts"]
    assert crawl["manifest"]["finish_reason"] == "finished"
    assert counts["kept"] == len(crawl["kept"])
    assert counts["pages_fetched"] == 3  # /, the PDF (no candidates) and the empty page


def test_a_redirect_loop_is_bounded(crawl) -> None:
    hits = [r for r in crawl["requests"] if r["path"].startswith("/loop")]
    assert len(hits) <= 12
    robots = [r for r in crawl["requests"] if r["host"] == "looprobots.fail.test"]
    assert len(robots) <= 6  # RFC 9309: follow at least 5 redirects, then give up
