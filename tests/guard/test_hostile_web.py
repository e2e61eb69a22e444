"""A hostile simulated web: pages, redirects and consent documents that aim at internal addresses.

Every internal target is *also* served by the simulated web (which plays every host through
``http_proxy``), so a request the guard let through would show in the request log, and a
fetched secret would show in the outputs. Neither may happen.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from crawler.demo import run_crawl
from crawler.netguard import PUBLIC_ONLY
from crawler.simweb.control import SimWeb
from tests.support.cli import scrapy

HTML = {"Content-Type": "text/html"}
PNG = {"status": 200, "headers": {"Content-Type": "image/png"}, "body": "png"}
ALLOW_ALL = {"status": 200, "body": "User-agent: *\nAllow: /\n"}
SECRET = "AKIA-SECRET-CREDENTIALS"
METADATA = "http://169.254.169.254/latest/meta-data/iam/security-credentials/admin"

INTERNAL_IMAGES = [
    "http://169.254.169.254/latest/meta-data/a.png",
    "http://10.0.0.1/a.png",
    "http://localhost:22/a.png",
    "http://127.0.0.1:6379/x.png",
    "http://0x7f000001/a.png",
    "http://2130706433/a.png",
    "http://0177.0.0.1/a.png",
    "http://127.1/a.png",
    "http://[::1]/a.png",
    "http://[::ffff:169.254.169.254]/a.png",
    "http://100.64.0.1/a.png",
    "http://db.localhost/a.png",
]
INTERNAL_HOSTS = [
    "169.254.169.254",
    "10.0.0.1",
    "localhost:22",
    "127.0.0.1:6379",
    "0x7f000001",
    "2130706433",
    "0177.0.0.1",
    "127.1",
    "127.0.0.1",
    "[::1]",
    "[::ffff:169.254.169.254]",
    "100.64.0.1",
    "db.localhost",
    "10.0.0.2:8080",
]
# What an internal host would answer, if it were ever asked.
SECRET_SITE = {
    "routes": {"/robots.txt": ALLOW_ALL, "/ai.txt": {"status": 200, "body": SECRET}},
    "default": {"status": 200, "headers": HTML, "body": f"<p>{SECRET}</p>"},
}


def page(body: str) -> dict:
    return {"status": 200, "headers": HTML, "body": body}


SITES = {
    "hosts": {
        "start.hostile.test": {
            "routes": {
                "/robots.txt": ALLOW_ALL,
                "/": page(
                    "".join(
                        f'<img src="{u}" alt="internal {i}">' for i, u in enumerate(INTERNAL_IMAGES)
                    )
                    + '<img src="/ok.png" alt="a public image">'
                    + '<img src="http://probe-redirect.hostile.test/a.png" alt="probe redirect">'
                    + '<img src="http://docs-redirect.hostile.test/a.png" alt="robots redirect">'
                    + '<a href="/to-internal.html">r</a><a href="http://10.0.0.2:8080/">i</a>'
                    + '<a href="/after.html">a</a>'
                ),
                "/ok.png": PNG,
                "/to-internal.html": {"status": 302, "redirect": METADATA},
                "/after.html": page('<img src="/ok2.png" alt="after the bad links">'),
                "/ok2.png": PNG,
            }
        },
        "probe-redirect.hostile.test": {
            "routes": {
                "/robots.txt": ALLOW_ALL,
                "/a.png": {"status": 302, "redirect": METADATA},
            }
        },
        "docs-redirect.hostile.test": {
            "routes": {
                "/robots.txt": {"status": 302, "redirect": METADATA},
                "/ai.txt": {"status": 302, "redirect": METADATA},
                "/.well-known/tdmrep.json": {"status": 302, "redirect": METADATA},
                "/a.png": PNG,
            }
        },
        **{host: SECRET_SITE for host in INTERNAL_HOSTS},
    }
}


def _internal(vhost: str) -> bool:
    host = vhost if vhost.startswith("[") else vhost.rpartition(":")[0] or vhost
    if vhost.startswith("[") and "]:" in vhost:
        host = vhost.rpartition(":")[0]
    return PUBLIC_ONLY.host_refusal(host) is not None


def _read(directory: Path) -> list[dict]:
    if not directory.exists() or not any(directory.glob("*.parquet")):
        return []
    return pq.read_table(directory).to_pylist()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("hostile")
    out = base / "out"
    with SimWeb(SITES, workdir=base / "web", max_seconds=120, max_requests=2000) as web:
        result = run_crawl(
            web,
            out,
            ["http://start.hostile.test/"],
            ["-s", "DOWNLOAD_TIMEOUT=5", "-s", "RETRY_TIMES=0", "-s", "CONSENT_POLICY=standard"],
        )
    requests = web.requests()
    assert result.returncode == 0, result.stderr[-4000:]
    return {
        "requests": requests,
        "index": _read(out / "index"),
        "excluded": _read(out / "excluded"),
        "consent": _read(out / "consent"),
        "manifest": json.loads((out / "manifest.json").read_text()),
        "out": out,
    }


def test_nothing_internal_is_ever_requested(hostile: dict) -> None:
    internal = [r for r in hostile["requests"] if _internal(r["host"])]
    assert internal == []
    # The public hosts were crawled (the test would pass vacuously otherwise).
    hosts = {r["host"] for r in hostile["requests"]}
    assert {"start.hostile.test", "probe-redirect.hostile.test"} <= hosts


def test_nothing_internal_is_stored(hostile: dict) -> None:
    for path in hostile["out"].rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    for doc in hostile["consent"]:
        assert not _internal(doc["origin"].split("://", 1)[1])
        if doc["origin"] == "http://docs-redirect.hostile.test":
            assert doc["body"] is None and doc["status"] is None, doc


@pytest.mark.parametrize("url", INTERNAL_IMAGES)
def test_internal_images_are_excluded_as_non_public(hostile: dict, url: str) -> None:
    rows = [r for r in hostile["excluded"] if r["url"] == url]
    assert len(rows) == 1, url
    assert rows[0]["reasons"] == ["address:non-public"]
    assert any(c["family"] == "address" for c in rows[0]["consent"])


def test_a_probe_redirected_inside_is_refused(hostile: dict) -> None:
    rows = [r for r in hostile["excluded"] if r["url"].startswith("http://probe-redirect.")]
    assert [r["reasons"] for r in rows] == [["address:non-public"]]


def test_a_robots_txt_redirected_inside_counts_as_unreachable(hostile: dict) -> None:
    rows = [r for r in hostile["excluded"] if r["url"].startswith("http://docs-redirect.")]
    assert [r["reasons"] for r in rows] == [["robots:unreachable"]]


def test_page_redirects_and_links_inside_are_refused_pages(hostile: dict) -> None:
    pages = {r["url"]: r["reasons"] for r in hostile["excluded"] if r["kind"] == "page"}
    assert ["address:non-public"] in pages.values()
    kept = {r["url"] for r in hostile["index"]}
    assert {"http://start.hostile.test/ok.png", "http://start.hostile.test/ok2.png"} <= kept
    counts = hostile["manifest"]["counts"]
    assert counts["excluded_by_reason"]["address:non-public"] >= len(INTERNAL_IMAGES)


def _consent(web: SimWeb, *args: str) -> subprocess.CompletedProcess[str]:
    return scrapy(web, "consent", *args, timeout=120)


def test_scrapy_consent_explains_the_refusal(tmp_path: Path) -> None:
    with SimWeb(SITES, workdir=tmp_path / "web", max_seconds=60, max_requests=200) as web:
        result = _consent(web, f"{METADATA}/x.png")
        opened = _consent(web, "-s", "ALLOWED_NETWORKS=169.254.0.0/16", f"{METADATA}/x.png")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "address:non-public" in result.stdout
    assert "link-local" in result.stdout
    requests = web.requests()
    # Only the run with ALLOWED_NETWORKS opened may have asked the metadata host anything.
    assert opened.returncode == 0, opened.stdout + opened.stderr
    assert [r for r in requests if _internal(r["host"])]
