"""The bench web is deterministic and shaped like the issue asks (sizes, images, consent shares).

Pure function tests of bench.web and bench.regen: no server, no crawl, no timing.
"""

from __future__ import annotations

import json
import re

import pytest

from bench.regen import row, write_parquet
from bench.web import build, cdn_host, media_host, page_host, profile, seed_urls

WEB = build()
IMG = re.compile(rb"<img\b[^>]*>")
HREF = re.compile(rb'<a href="([^"]+)"')


def body(host: str, path: str) -> bytes:
    route = WEB(host, path)
    assert route is not None and route.status == 200, (host, path)
    return route.body


def test_same_request_same_bytes_even_from_a_fresh_factory() -> None:
    other = build()
    for host, path in [
        (page_host(3), "/"),
        (page_host(150), "/p/57.html"),
        (page_host(7), "/robots.txt"),
        (cdn_host(4), "/h003/12.jpg"),
        (media_host(1999), "/a/5.jpg"),
    ]:
        first, second = WEB(host, path), other(host, path)
        assert first is not None and second is not None
        assert first.body == second.body
        assert first.headers == second.headers


def test_pages_differ_between_paths_and_hosts() -> None:
    assert body(page_host(1), "/p/2.html") != body(page_host(1), "/p/3.html")
    assert body(page_host(1), "/p/2.html") != body(page_host(2), "/p/2.html")


def test_pages_are_about_15_kb_with_10_captioned_images() -> None:
    sizes = []
    for i in range(0, 200, 13):
        for n in (0, 1, 42, 99):
            page = body(page_host(i), "/" if n == 0 else f"/p/{n}.html")
            sizes.append(len(page))
            imgs = IMG.findall(page)
            assert len(imgs) == 10
            assert all(re.search(rb'alt="[^"]+"', tag) for tag in imgs)
    assert min(sizes) >= 12_000 and max(sizes) <= 18_000
    assert 14_000 <= sum(sizes) / len(sizes) <= 16_000


def test_pages_link_within_the_host_and_across_hosts() -> None:
    host = page_host(10)
    links = HREF.findall(body(host, "/p/5.html"))
    assert 9 <= len(links) <= 14
    same = [u for u in links if u.startswith(b"/")]
    cross = [u for u in links if u.startswith(b"http://")]
    assert len(same) >= 8 and cross


def test_every_page_of_a_host_is_reachable_within_three_hops() -> None:
    host = page_host(42)
    seen, frontier = {"/"}, ["/"]
    for _ in range(3):
        nxt = []
        for path in frontier:
            for link in HREF.findall(body(host, path)):
                url = link.decode()
                if url.startswith("/") and not url.startswith("/private/") and url not in seen:
                    seen.add(url)
                    nxt.append(url)
        frontier = nxt
    assert seen >= {"/", *(f"/p/{n}.html" for n in range(1, 100))}


def test_the_web_has_200_hosts_of_100_pages() -> None:
    assert WEB(page_host(199), "/p/99.html") is not None
    assert WEB(page_host(200), "/") is None  # outside the web: SimWeb's 502
    assert WEB(page_host(0), "/p/100.html").status == 404
    assert len(seed_urls(range(200))) == 200


def test_robots_txt_has_30_to_60_lines_and_a_mix_of_rules() -> None:
    hosts = [page_host(i) for i in range(200)] + [cdn_host(i) for i in range(20)]
    texts = [body(h, "/robots.txt").decode() for h in hosts]
    for text in texts:
        lines = text.rstrip("\n").split("\n")
        assert 30 <= len(lines) <= 60
        assert "User-agent: *" in lines

    def share(needle: str) -> float:
        return sum(needle in t for t in texts) / len(texts)

    assert 0.3 <= share("Disallow: /private/") <= 0.7
    assert 0.1 <= share("User-agent: GPTBot") + share("User-agent: CCBot") <= 0.6
    assert 0.03 <= share("Content-Usage:") <= 0.3
    assert 0.03 <= share("Content-Signal:") <= 0.3
    assert "consentcrawl" not in "".join(texts).lower()  # same group as Scrapy's UA: same pages


def test_shares_of_hosts_with_ai_txt_and_tdmrep() -> None:
    hosts = [page_host(i) for i in range(200)]
    ai = [h for h in hosts if WEB(h, "/ai.txt").status == 200]
    tdm = [h for h in hosts if WEB(h, "/.well-known/tdmrep.json").status == 200]
    assert 0.2 <= len(ai) / len(hosts) <= 0.5
    assert 0.1 <= len(tdm) / len(hosts) <= 0.35
    assert all(profile(h).aitxt is not None for h in ai)
    rules = json.loads(body(tdm[0], "/.well-known/tdmrep.json"))
    assert {"location", "tdm-reservation"} <= set(rules[0])
    assert b"User-Agent:" in body(ai[0], "/ai.txt")


def test_a_share_of_images_carry_consent_headers() -> None:
    headers = [dict(WEB(cdn_host(i % 20), f"/h{i % 200:03d}/{i}.jpg").headers) for i in range(2000)]
    assert all(h["Content-Type"] == "image/jpeg" for h in headers)
    xrobots = sum("X-Robots-Tag" in h for h in headers) / len(headers)
    usage = sum("Content-Usage" in h for h in headers) / len(headers)
    assert 0.03 <= xrobots <= 0.15
    assert 0.02 <= usage <= 0.1


def test_unknown_paths_and_hosts() -> None:
    assert WEB(page_host(1), "/nope").status == 404
    assert WEB(cdn_host(1), "/").status == 404
    assert WEB("example.com", "/") is None
    assert WEB(cdn_host(20), "/robots.txt") is None


def test_regeneration_rows_point_at_media_hosts_the_web_answers(tmp_path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    assert row(5) == row(5)
    hosts = {row(i)[0].split("/")[2] for i in range(20_000)}
    assert len(hosts) == 2000
    url = row(123)[0]
    host, path = url.removeprefix("http://").split("/", 1)
    assert WEB(host, "/" + path).status == 200
    path_ = write_parquet(tmp_path / "rows.parquet", 1234, batch=500)
    table = pq.read_table(path_)
    assert table.num_rows == 1234
    assert table.column("url")[1233].as_py() == row(1233)[0]
