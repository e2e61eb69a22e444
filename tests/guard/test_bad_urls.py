"""One bad URL costs one row: bad ports, IPv6 literals and malformed Link headers on the wire.

Before: each of these raised while the page item was built, and every row of the page vanished
from index/ and excluded/ while the manifest said ``finished``; one bad ``<a href>`` stopped
link-following; in ``regenerate`` one IPv6 row excluded its whole item as fetch:error.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawler.demo import PROJECT_ROOT, run_crawl
from crawler.simweb.control import SimWeb

HTML = {"Content-Type": "text/html"}
PNG = {"status": 200, "headers": {"Content-Type": "image/png"}, "body": "png"}
ALLOW_ALL = {"status": 200, "body": "User-agent: *\nAllow: /\n"}
IPV6_HOST = "[2606:4700::1111]"
BAD_IMAGES = [
    "http://img.bad.test:99999/a.png",
    "http://img.bad.test:-1/b.png",
    "http://img.bad.test:abc/c.png",
    "http://img.bad.test:99999/srcset-only.png",
]
GOOD_IMAGES = [
    "http://start.bad.test/ok.png",
    f"http://{IPV6_HOST}/v6.png",
    "http://start.bad.test/bad-link-header.png",
    "http://start.bad.test/next-ok.png",
]

SITES = {
    "hosts": {
        "start.bad.test": {
            "routes": {
                "/robots.txt": ALLOW_ALL,
                "/": {
                    "status": 200,
                    "headers": HTML,
                    "body": '<img src="/ok.png" alt="fine photo">'
                    '<img src="http://img.bad.test:99999/a.png" alt="port 99999">'
                    '<img src="http://img.bad.test:-1/b.png" alt="port -1">'
                    '<img src="http://img.bad.test:abc/c.png" alt="port abc">'
                    '<img srcset="http://img.bad.test:99999/srcset-only.png 2x" alt="srcset">'
                    f'<img src="http://{IPV6_HOST}/v6.png" alt="an IPv6 host">'
                    '<img src="/bad-link-header.png" alt="malformed Link header">'
                    '<a href="http://start.bad.test:99999/">bad port</a>'
                    '<a href="/next.html">next</a>',
                },
                "/ok.png": PNG,
                "/bad-link-header.png": {
                    "status": 200,
                    "headers": [
                        ["Content-Type", "image/png"],
                        ["Link", '<http://[::1>; rel="license"'],
                    ],
                    "body": "png",
                },
                "/next.html": {
                    "status": 200,
                    "headers": HTML,
                    "body": '<img src="/next-ok.png" alt="reached after a bad link">',
                },
                "/next-ok.png": PNG,
            }
        },
        IPV6_HOST: {"routes": {"/robots.txt": ALLOW_ALL, "/v6.png": PNG}},
    }
}


def _read(directory: Path) -> list[dict]:
    if not directory.exists() or not any(directory.glob("*.parquet")):
        return []
    return pq.read_table(directory).to_pylist()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("badurls")
    out = base / "out"
    with SimWeb(SITES, workdir=base / "web", max_seconds=120, max_requests=500) as web:
        result = run_crawl(
            web,
            out,
            ["http://start.bad.test/"],
            ["-s", "DOWNLOAD_TIMEOUT=5", "-s", "RETRY_TIMES=0"],
        )
    assert result.returncode == 0, result.stderr[-4000:]
    return {
        "index": {r["url"]: r for r in _read(out / "index")},
        "excluded": {r["url"]: r for r in _read(out / "excluded")},
        "manifest": json.loads((out / "manifest.json").read_text()),
        "requests": web.requests(),
    }


@pytest.mark.parametrize("url", BAD_IMAGES)
def test_a_bad_url_is_its_own_excluded_row(crawled: dict, url: str) -> None:
    assert crawled["excluded"][url]["reasons"] == ["input:invalid-url"]


@pytest.mark.parametrize("url", GOOD_IMAGES)
def test_the_other_rows_of_the_page_survive(crawled: dict, url: str) -> None:
    assert url in crawled["index"], sorted(crawled["excluded"].items())


def test_rows_in_equal_rows_out(crawled: dict) -> None:
    counts = crawled["manifest"]["counts"]
    assert counts["candidates"] == len(BAD_IMAGES) + len(GOOD_IMAGES)
    assert counts["kept"] + counts["excluded"] == counts["candidates"]


def test_ipv6_origins_are_bracketed(crawled: dict) -> None:
    assert any(r["host"] == IPV6_HOST and r["path"] == "/robots.txt" for r in crawled["requests"])


def test_a_bad_link_does_not_stop_link_following(crawled: dict) -> None:
    assert any(r["path"] == "/next.html" for r in crawled["requests"])


def test_regenerate_a_bad_row_costs_one_row(tmp_path: Path) -> None:
    good = [f"http://start.bad.test/ok.png?{i}" for i in range(300)]
    bad = {
        f"http://{IPV6_HOST}/v6.png": [],
        "http://img.bad.test:99999/a.png": ["input:invalid-url"],
        "http://[::1]/x.png": ["address:non-public"],
    }
    urls = good[:100] + list(bad) + good[100:]
    source = tmp_path / "in.parquet"
    pq.write_table(
        pa.table({"url": urls, "caption": ["c"] * len(urls), "key": list(range(len(urls)))}),
        source,
    )
    out = tmp_path / "out"
    with SimWeb(SITES, workdir=tmp_path / "web", max_seconds=120, max_requests=500) as web:
        cmd = [sys.executable, "-m", "scrapy", "regenerate", str(source), "-o", str(out)]
        cmd += ["--probe", "off", "-s", "REGEN_PROGRESS=false", "-s", "LOG_LEVEL=WARNING"]
        result = subprocess.run(
            cmd, cwd=PROJECT_ROOT, env=web.env(), capture_output=True, text=True, timeout=300
        )
    assert result.returncode == 0, result.stderr[-4000:]
    kept = {r["url"] for r in _read(out / "index")}
    excluded = {r["url"]: r["reasons"] for r in _read(out / "excluded")}
    assert len(kept) + len(excluded) == len(urls)
    assert set(good) <= kept
    for url, reasons in bad.items():
        assert excluded.get(url, []) == reasons, url
