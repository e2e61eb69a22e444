"""End to end (issue 9): a crawl of a simulated web serving robots.txt files that the old
reading (protego 0.7) got wrong, and the evidence every row carries.

Hosts, one case each:
- ``split.test``: ``User-agent: consentcrawl / Crawl-delay / User-agent: * / Disallow: /private/``
  (one group, RFC 9309 §2.2.4: /private/ is refused to us; protego allowed it);
- ``prefix.test``: ``User-agent: consent / Allow: /`` must not select ``consentcrawl``;
- ``versioned.test``: ``User-agent: CCBot/2.0 / Disallow: /`` refuses CCBot (AI-token opt-out);
- ``nul.test``: ``Disallow: /private/\\0`` still disallows /private/;
- ``cdn.test``: allows everything; holds the cross-host image of split.test's home page.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pyarrow.parquet as pq
import pytest

from crawler.demo import run_crawl
from crawler.simweb.control import SimWeb
from crawler.simweb.demo import _image_route

_HTML = {"Content-Type": "text/html; charset=utf-8"}
_TEXT = {"Content-Type": "text/plain; charset=utf-8"}

ROBOTS = {
    "split.test": (
        b"User-agent: consentcrawl\nCrawl-delay: 0.2\nUser-agent: *\nDisallow: /private/\n"
    ),
    "prefix.test": b"User-agent: consent\nAllow: /\n\nUser-agent: *\nDisallow: /secret/\n",
    "versioned.test": b"User-agent: CCBot/2.0\nDisallow: /\n\nUser-agent: *\nAllow: /\n",
    "nul.test": b"User-agent: *\nDisallow: /private/\x00\n",
    "cdn.test": b"User-agent: *\nAllow: /\n",
}
ALT = "A red lighthouse on a rocky coast at sunset, photographed from the beach"


def _page(title: str, images: list[str], links: list[str]) -> dict[str, Any]:
    imgs = "\n".join(f'<img src="{src}" alt="{ALT} ({src})">' for src in images)
    anchors = "\n".join(f'<a href="{href}">{href}</a>' for href in links)
    body = f"<!DOCTYPE html><html><head><title>{title}</title></head><body>{imgs}\n{anchors}"
    return {"status": 200, "headers": _HTML, "body": body + "</body></html>"}


def _host(name: str, pages: dict[str, dict[str, Any]], images: list[str]) -> dict[str, Any]:
    routes: dict[str, Any] = {
        "/robots.txt": {
            "status": 200,
            "headers": _TEXT,
            "body_b64": base64.b64encode(ROBOTS[name]).decode(),
        },
        **pages,
    }
    for path in images:
        routes[path] = _image_route(f"http://{name}{path}")
    return {"routes": routes, "default": {"status": 404, "body": "not found"}}


def sites() -> dict[str, Any]:
    return {
        "hosts": {
            "split.test": _host(
                "split.test",
                {
                    "/": _page(
                        "split",
                        ["/img/home.png", "http://cdn.test/img/cross.png"],
                        ["/private/p.html", "/open.html"],
                    ),
                    "/open.html": _page("open", ["/img/open.png"], []),
                    "/private/p.html": _page("private", ["/img/private.png"], []),
                },
                ["/img/home.png", "/img/open.png", "/img/private.png"],
            ),
            "prefix.test": _host(
                "prefix.test",
                {
                    "/": _page("prefix", ["/img/p.png"], ["/secret/s.html"]),
                    "/secret/s.html": _page("secret", ["/img/s.png"], []),
                },
                ["/img/p.png", "/img/s.png"],
            ),
            "versioned.test": _host(
                "versioned.test", {"/": _page("versioned", ["/img/v.png"], [])}, ["/img/v.png"]
            ),
            "nul.test": _host(
                "nul.test",
                {
                    "/": _page("nul", ["/img/n.png"], ["/private/n.html"]),
                    "/private/n.html": _page("nul private", ["/img/np.png"], []),
                },
                ["/img/n.png", "/img/np.png"],
            ),
            "cdn.test": _host("cdn.test", {}, ["/img/cross.png"]),
        },
        "default": {"status": 502, "body": "unknown host"},
    }


SEEDS = [
    "http://split.test/",
    "http://prefix.test/",
    "http://versioned.test/",
    "http://nul.test/",
    "http://nul.test/private/seed.html",
]


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("robots-fidelity")
    settings = {"DOWNLOAD_TIMEOUT": "5", "RETRY_TIMES": "0", "LOG_LEVEL": "WARNING"}
    extra = [arg for k, v in settings.items() for arg in ("-s", f"{k}={v}")]
    with SimWeb(sites(), workdir=base / "web", max_seconds=120, max_requests=2000) as web:
        result = run_crawl(web, base / "out", SEEDS, extra)
    requests = web.requests()
    assert result.returncode == 0, result.stderr[-4000:]
    out = base / "out"
    return {
        "index": pq.read_table(out / "index").to_pylist(),
        "excluded": pq.read_table(out / "excluded").to_pylist(),
        "manifest": json.loads((out / "manifest.json").read_text()),
        "requests": requests,
    }


def _requested(crawl: dict[str, Any], host: str) -> set[str]:
    return {r["path"] for r in crawl["requests"] if r["host"] == host}


def test_nothing_disallowed_was_requested(crawl) -> None:
    assert not {p for p in _requested(crawl, "split.test") if p.startswith("/private/")}
    assert not {p for p in _requested(crawl, "prefix.test") if p.startswith("/secret/")}
    assert not {p for p in _requested(crawl, "nul.test") if p.startswith("/private/")}
    # ... while the allowed pages were crawled
    assert {"/", "/open.html"} <= _requested(crawl, "split.test")
    assert "/" in _requested(crawl, "versioned.test")


def test_refused_pages_are_excluded_with_evidence(crawl) -> None:
    pages = {r["url"]: r for r in crawl["excluded"] if r["kind"] == "page"}
    for url, rule in (
        ("http://split.test/private/p.html", "User-agent: consentcrawl / Disallow: /private/"),
        ("http://prefix.test/secret/s.html", "User-agent: * / Disallow: /secret/"),
        ("http://nul.test/private/n.html", "User-agent: * / Disallow: /private/"),
        ("http://nul.test/private/seed.html", "User-agent: * / Disallow: /private/"),
    ):
        row = pages[url]
        assert row["reasons"] == ["robots:disallowed"], row
        origin = url.split("/", 3)[:3]
        assert row["consent"] == [
            {
                "family": "robots",
                "verdict": "disallow",
                "source": "/".join(origin) + "/robots.txt",
                "value": rule,
            }
        ]


def test_versioned_user_agent_refuses_its_ai_token(crawl) -> None:
    [row] = [r for r in crawl["excluded"] if r["url"] == "http://versioned.test/img/v.png"]
    assert "robots:ai-token=CCBot" in row["reasons"]
    refusals = [c for c in row["consent"] if c["verdict"] == "disallow"]
    assert refusals  # the page's refusal and the image's (same host)
    for record in refusals:
        assert record["value"] == "User-agent: CCBot/2.0 / Disallow: /"


def test_allowed_rows_are_kept(crawl) -> None:
    kept = {r["url"] for r in crawl["index"]}
    assert {
        "http://split.test/img/home.png",
        "http://split.test/img/open.png",
        "http://cdn.test/img/cross.png",
        "http://prefix.test/img/p.png",
        "http://nul.test/img/n.png",
    } <= kept


def test_every_row_records_the_page_hosts_robots_verdict(crawl) -> None:
    rows = [*crawl["index"], *(r for r in crawl["excluded"] if r["kind"] == "image")]
    assert rows
    for row in rows:
        page_origin = "/".join(row["page_url"].split("/", 3)[:3])
        robots = {c["source"] for c in row["consent"] if c["family"] == "robots"}
        assert f"{page_origin}/robots.txt" in robots, row
    [cross] = [r for r in crawl["index"] if r["url"] == "http://cdn.test/img/cross.png"]
    sources = {c["source"] for c in cross["consent"] if c["family"] == "robots"}
    assert sources == {"http://split.test/robots.txt", "http://cdn.test/robots.txt"}
