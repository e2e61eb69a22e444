"""End to end: crawl the bundled demo web and check the output against its EXPECTED table.

One crawl (module fixture) of every RFC 9309 case; assertions on the Parquet outputs, the manifest
and the simulated web's request log (which proves what was never requested).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow.parquet as pq
import pytest

from crawler.demo import PROJECT_ROOT, crawl_command, run_crawl
from crawler.simweb.control import SimWeb
from crawler.simweb.demo import DEMO_SEEDS, EXPECTED, demo_sites
from tests.support.cli import offline_env

ROBOTS_HOSTS = [
    "gallery.demo.test",
    "cdn.demo.test",
    "down.demo.test",
    "gone.demo.test",
    "forbidden.demo.test",
    "busy.demo.test",
    "moved.demo.test",
    "rules.demo.test",
    "ai-optout.demo.test",
    "slow.demo.test",
    "htmlrobots.demo.test",
]


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("demo") / "index"
    with SimWeb(demo_sites(), max_seconds=120, max_requests=5000) as web:
        result = run_crawl(web, out, DEMO_SEEDS, ["-s", "DOWNLOAD_TIMEOUT=5"])
        requests = web.requests()
    assert result.returncode == 0, result.stderr[-3000:]
    index = pq.read_table(out / "index").to_pylist()
    excluded = pq.read_table(out / "excluded").to_pylist()
    consent = pq.read_table(out / "consent").to_pylist()
    manifest = json.loads((out / "manifest.json").read_text())
    return {
        "out": out,
        "index": index,
        "excluded": excluded,
        "consent": consent,
        "manifest": manifest,
        "requests": requests,
    }


def _paths(requests: list[dict], host: str) -> list[str]:
    return [r["path"] for r in requests if r["host"] == host]


def test_every_expected_page_was_fetched(crawl) -> None:
    fetched = {r["page_url"] for r in crawl["index"]} | {
        r["page_url"] for r in crawl["excluded"] if r["kind"] == "image"
    }
    logged = {f"http://{r['host']}{r['path']}" for r in crawl["requests"] if r["status"] == 200}
    for host in ROBOTS_HOSTS:
        for page in EXPECTED[host]["fetched"]:
            assert page in logged, page
            # A page with images shows up as the page_url of its rows.
            assert page in fetched or not EXPECTED[host]["kept"], page


def test_kept_and_excluded_images_match_expected(crawl) -> None:
    kept = {r["url"]: r["caption"] for r in crawl["index"]}
    excluded = {r["url"]: r["reasons"] for r in crawl["excluded"] if r["kind"] == "image"}
    for host in ROBOTS_HOSTS:
        expected = EXPECTED[host]
        for url, alt in expected["kept"].items():
            assert kept.get(url) == alt, (host, url, excluded.get(url))
        for url, reasons in expected["excluded"].items():
            assert url in excluded, (host, url)
            assert reasons[0] in excluded[url], (url, excluded[url])
            assert set(excluded[url]) >= set(reasons), (url, excluded[url])


def test_every_candidate_is_in_exactly_one_output(crawl) -> None:
    index_keys = [(r["url"], r["caption"], r["page_url"]) for r in crawl["index"]]
    excluded_keys = [
        (r["url"], r["caption"], r["page_url"]) for r in crawl["excluded"] if r["kind"] == "image"
    ]
    assert len(index_keys) == len(set(index_keys))
    assert len(excluded_keys) == len(set(excluded_keys))
    assert not set(index_keys) & set(excluded_keys)
    counts = crawl["manifest"]["counts"]
    assert counts["candidates"] == len(index_keys) + len(excluded_keys)
    assert counts["kept"] == len(index_keys)
    assert counts["excluded"] == len(excluded_keys)


def test_nothing_disallowed_was_ever_requested(crawl) -> None:
    for host in ROBOTS_HOSTS:
        paths = _paths(crawl["requests"], host)
        for prefix in EXPECTED[host]["never_requested"]:
            assert not [p for p in paths if p.startswith(prefix)], (host, prefix, paths)


def test_unreachable_robots_stops_the_host(crawl) -> None:
    # 503 and 429: robots.txt (with Scrapy's retry) and nothing else.
    for host in ("down.demo.test", "busy.demo.test"):
        paths = _paths(crawl["requests"], host)
        assert paths and set(paths) == {"/robots.txt"}, (host, paths)
    reasons = {r["url"]: r["reasons"] for r in crawl["excluded"]}
    assert reasons["http://down.demo.test/"] == ["robots:unreachable"]
    assert reasons["http://busy.demo.test/"] == ["robots:unreachable"]
    pages = {r["url"]: r["kind"] for r in crawl["excluded"]}
    assert pages["http://down.demo.test/"] == "page"


def test_4xx_robots_allows_everything(crawl) -> None:
    assert "/private/notes.html" in _paths(crawl["requests"], "gone.demo.test")
    assert "/recipes/bread.html" in _paths(crawl["requests"], "forbidden.demo.test")


def test_redirected_robots_applies_to_the_original_host(crawl) -> None:
    assert "/shared-robots.txt" in _paths(crawl["requests"], "rules.demo.test")
    assert not [p for p in _paths(crawl["requests"], "moved.demo.test") if p.startswith("/secret/")]
    doc = next(d for d in crawl["consent"] if d["url"] == "http://moved.demo.test/robots.txt")
    assert doc["final_url"] == "http://rules.demo.test/shared-robots.txt"
    assert doc["status"] == 200
    assert b"/secret/" in doc["body"]


def test_disallowed_page_is_an_excluded_page_row(crawl) -> None:
    rows = [r for r in crawl["excluded"] if r["kind"] == "page"]
    urls = {r["url"]: r["reasons"] for r in rows}
    private = [u for u in urls if urlsplit(u).path.startswith("/private/")]
    assert private and all(urls[u] == ["robots:disallowed"] for u in private)


def test_crawl_delay_spaces_requests(crawl) -> None:
    times = sorted(r["t"] for r in crawl["requests"] if r["host"] == "slow.demo.test")
    assert len(times) >= 3  # robots.txt and two pages (plus image probes)
    gaps = [b - a for a, b in itertools.pairwise(times[1:])]
    # After robots.txt is known, requests to the host are at least Crawl-delay apart.
    assert min(gaps) >= 0.9, gaps


def test_consent_documents_once_per_origin(crawl) -> None:
    urls = [d["url"] for d in crawl["consent"]]
    assert len(urls) == len(set(urls))
    robots = [u for u in urls if u.endswith("/robots.txt")]
    assert len(robots) == len({urlsplit(u).netloc for u in robots})
    for doc in crawl["consent"]:
        if doc["status"] is not None and doc["body"] is not None:
            assert hashlib.sha256(doc["body"]).hexdigest() == doc["sha256"]


def test_robots_txt_requested_before_anything_else_on_a_host(crawl) -> None:
    first: dict[str, str] = {}
    for r in crawl["requests"]:
        first.setdefault(r["host"], r["path"])
    for host, path in first.items():
        if host != "rules.demo.test":
            assert path == "/robots.txt", (host, path)


def test_user_agent_is_our_token_with_contact(crawl) -> None:
    agents = {r["user_agent"] for r in crawl["requests"]}
    assert agents == {"consentcrawl/0.1.0 (+http://consentcrawl.demo.test/contact)"}


def test_manifest(crawl) -> None:
    manifest = crawl["manifest"]
    assert manifest["finish_reason"] == "finished"
    assert manifest["seeds"]["urls"] == DEMO_SEEDS
    assert set(manifest["versions"]) >= {"scrapy", "protego", "tldextract", "pyarrow"}
    assert manifest["psl_snapshot"].startswith("tldextract-")
    assert manifest["settings"]["ROBOTSTXT_USER_AGENT"] == "consentcrawl"
    out = crawl["out"]
    for kind, parts in manifest["parts"].items():
        assert parts, kind
        for part in parts:
            data = (out / part["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == part["sha256"]
            assert pq.read_metadata(out / part["path"]).num_rows == part["rows"]
    counts = manifest["counts"]
    assert counts["excluded_by_family"]["robots"] >= 5
    assert counts["excluded_by_family"]["caption"] == 2


def test_index_columns_for_img2dataset(crawl) -> None:
    schema = pq.read_schema(next((crawl["out"] / "index").glob("part-*.parquet")))
    for column in ("url", "caption", "page_url", "title", "figcaption", "declared_width"):
        assert column in schema.names
    for column in ("license", "fetched_at", "consent"):
        assert column in schema.names
    row = next(r for r in crawl["index"] if r["figcaption"])
    assert row["consent"] and {c["family"] for c in row["consent"]} >= {"robots", "probe"}


# --- runs that must stop before any request ---------------------------------------------------


def _scrapy(args: list[str], env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env or offline_env(),
    )


def test_malformed_seed_line_stops_before_any_request(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("http://ok.demo.test/\nnot a url\n")
    result = _scrapy(
        ["crawl", "images", "-a", f"seeds={seeds}", "-s", f"INDEX_DIR={tmp_path / 'o'}"]
    )
    assert result.returncode == 2
    assert f"{seeds}:2:" in result.stderr
    assert not (tmp_path / "o").exists()


def test_unknown_config_key_stops_the_run(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('consent_polcy = "strict"\n')
    result = _scrapy(
        [
            "crawl",
            "images",
            "-a",
            "seeds=http://a.demo.test/",
            "-a",
            f"config={config}",
            "-s",
            f"INDEX_DIR={tmp_path / 'o'}",
        ]
    )
    assert result.returncode == 2
    assert "consent_polcy" in result.stderr and str(config) in result.stderr


def test_non_empty_index_dir_is_refused(tmp_path: Path) -> None:
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "keep.txt").write_text("precious")
    result = _scrapy(
        ["crawl", "images", "-a", "seeds=http://a.demo.test/", "-s", f"INDEX_DIR={tmp_path / 'o'}"]
    )
    assert result.returncode == 2
    assert "INDEX_OVERWRITE" in result.stderr
    assert (tmp_path / "o" / "keep.txt").read_text() == "precious"


def test_interrupted_crawl_keeps_rows_and_writes_manifest(tmp_path: Path) -> None:
    # A site whose Crawl-delay makes the crawl slow: Ctrl-C midway must flush what was gathered.
    pages = {
        f"/p{i}.html": {
            "status": 200,
            "headers": {"Content-Type": "text/html"},
            "body": f'<img src="/i{i}.png" alt="image {i}"><a href="/p{i + 1}.html">next</a>',
        }
        for i in range(40)
    }
    pages["/robots.txt"] = {"status": 200, "body": "User-agent: *\nCrawl-delay: 0.3\n"}
    sites = {"hosts": {"slowsite.test": {"routes": pages}}}
    out = tmp_path / "o"
    with SimWeb(sites, max_seconds=60) as web:
        proc = subprocess.Popen(
            crawl_command(
                out,
                ["http://slowsite.test/p0.html"],
                ["-s", "DEPTH_LIMIT=0", "-s", "IMAGE_PROBE=off"],
            ),
            cwd=PROJECT_ROOT,
            env=web.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if sum(1 for r in web.requests() if r["path"].startswith("/p")) >= 4:
                break
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["finish_reason"] == "shutdown", stderr[-2000:]
    rows = pq.read_table(out / "index").num_rows
    assert 3 <= rows < 40
    assert manifest["counts"]["kept"] == rows
