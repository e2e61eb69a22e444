"""Bounded work per page and per host: candidate cap, probe budget, deep nesting."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from crawler.demo import run_crawl
from crawler.extract import extract_page
from crawler.simweb.control import SimWeb

HTML = {"Content-Type": "text/html"}
PNG = {"status": 200, "headers": {"Content-Type": "image/png"}, "body": "png"}
ALLOW_ALL = {"status": 200, "body": "User-agent: *\nAllow: /\n"}
NOT_FOUND = {"status": 404, "body": ""}
# Image hosts answer every path with a PNG, except their consent documents (a PNG served as
# tdmrep.json would be an unreadable document, excluded under strict: not what is tested here).
IMAGE_HOST = {
    "routes": {
        "/robots.txt": ALLOW_ALL,
        "/ai.txt": NOT_FOUND,
        "/.well-known/tdmrep.json": NOT_FOUND,
    },
    "default": PNG,
}
PAGE = "http://a.test/"
DOCUMENTS = ("/robots.txt", "/ai.txt", "/.well-known/tdmrep.json")
N_IMAGES = 600_000


def nested(depth: int) -> bytes:
    return (
        "<html><body>"
        + "<div>" * depth
        + "deep"
        + "</div>" * depth
        + '<img src="/late.png" alt="after the nesting"><a href="/later.html">l</a></body></html>'
    ).encode()


def test_nesting_deeper_than_256_no_longer_hides_later_images() -> None:
    page = extract_page(nested(300), PAGE, "utf-8")
    assert [c.url for c in page.candidates] == ["http://a.test/late.png"]
    assert page.links == ["http://a.test/later.html"]
    assert page.cut is None


def test_a_page_cut_by_the_parser_says_so() -> None:
    page = extract_page(nested(5000), PAGE, "utf-8")
    assert page.cut and "Excessive depth" in page.cut
    assert extract_page(b'<img src="a.png" alt="x">', PAGE, "utf-8").cut is None  # not sticky


def test_candidates_past_the_cap_are_counted_not_extracted() -> None:
    body = "".join(f'<img src="/{i}.png" alt="{i}">' for i in range(50)).encode()
    page = extract_page(body, PAGE, "utf-8", max_candidates=10)
    assert len(page.candidates) == 10
    assert page.over_cap == 40
    assert page.first_over_cap is not None and page.first_over_cap.url == "http://a.test/10.png"
    assert extract_page(body, PAGE, "utf-8").over_cap == 0


def _read(directory: Path) -> list[dict]:
    if not directory.exists() or not any(directory.glob("*.parquet")):
        return []
    return pq.read_table(directory).to_pylist()


SITES = {
    "hosts": {
        "huge.bounds.test": {
            "routes": {
                "/robots.txt": ALLOW_ALL,
                "/": {
                    "status": 200,
                    "headers": HTML,
                    # ~11 MB, under the 16 MiB download cap: every image on the third-party host.
                    "body": '<html><head><base href="http://victim.bounds.test/"></head><body>'
                    + "".join(f"<img src={i} alt=a>" for i in range(N_IMAGES))
                    + '<a href="http://huge.bounds.test/deep.html">deep</a>'
                    + '<a href="http://huge.bounds.test/budget.html">b</a></body></html>',
                },
                "/deep.html": {"status": 200, "headers": HTML, "body": nested(5000).decode()},
                "/budget.html": {
                    "status": 200,
                    "headers": HTML,
                    "body": "".join(
                        f'<img src="http://budget.bounds.test/{i}.png" alt="b {i}">'
                        for i in range(30)
                    ),
                },
            }
        },
        "victim.bounds.test": IMAGE_HOST,
        "budget.bounds.test": IMAGE_HOST,
    }
}
CAP = 1000
BUDGET = 10


@pytest.fixture(scope="module")
def bounded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("bounds")
    out = base / "out"
    settings = {
        "DOWNLOAD_TIMEOUT": "20",
        "RETRY_TIMES": "0",
        "MAX_CANDIDATES_PER_PAGE": str(CAP),
        "IMAGE_PROBE_HOST_BUDGET": str(BUDGET),
        "QUALITY": "off",  # the captions here are short on purpose: this is about bounds
    }
    extra = [a for k, v in settings.items() for a in ("-s", f"{k}={v}")]
    with SimWeb(SITES, workdir=base / "web", max_seconds=300, max_requests=5000) as web:
        result = run_crawl(web, out, ["http://huge.bounds.test/"], extra)
    assert result.returncode == 0, result.stderr[-4000:]
    return {
        "requests": web.requests(),
        "index": _read(out / "index"),
        "excluded": _read(out / "excluded"),
        "manifest": json.loads((out / "manifest.json").read_text()),
    }


def test_a_600k_image_page_makes_a_bounded_number_of_rows(bounded: dict) -> None:
    rows = [r for r in bounded["index"] + bounded["excluded"] if "victim" in r["url"]]
    assert len(rows) == CAP + 1
    [marker] = [r for r in bounded["excluded"] if r["reasons"] == ["input:candidate-cap"]]
    assert marker["url"] == f"http://victim.bounds.test/{CAP}"
    [record] = [c for c in marker["consent"] if c["family"] == "input"]
    assert str(N_IMAGES - CAP) in record["value"]


def _probes(requests: list[dict], host: str) -> list[dict]:
    return [r for r in requests if r["host"] == host and r["path"] not in DOCUMENTS]


def test_probes_per_host_are_bounded(bounded: dict) -> None:
    assert 0 < len(_probes(bounded["requests"], "victim.bounds.test")) <= BUDGET
    assert 0 < len(_probes(bounded["requests"], "budget.bounds.test")) <= BUDGET
    # Past the budget an image counts as not probed: the strict policy excludes it.
    over = [r for r in bounded["excluded"] if "budget.bounds.test" in r["url"]]
    assert len(over) == 30 - BUDGET
    assert all(r["reasons"] == ["probe:failed"] for r in over)
    assert any("IMAGE_PROBE_HOST_BUDGET" in c["value"] for r in over for c in r["consent"])


def test_a_page_cut_by_deep_nesting_is_recorded(bounded: dict) -> None:
    deep = "http://huge.bounds.test/deep.html"
    [row] = [r for r in bounded["excluded"] if r["url"] == deep]
    assert "input:page-cut" in row["reasons"]
