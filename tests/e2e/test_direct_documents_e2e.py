"""Consent documents fetched directly (crawler.directfetch) or by Scrapy: the same crawl.

Two crawls of one web of awkward consent documents, with ``CONSENT_DOCUMENTS_DIRECT`` on and
off: plain answers (200, empty, 204, 4xx), and answers the direct path must leave to Scrapy's
downloader (redirects within and across hosts and schemes, 5xx, 429, gzip, a meta refresh, a
timeout, a dropped connection), over http and https. Everything written must be the same:
index and excluded rows with their reasons and consent evidence, and every consent document
(status, final URL, error, body hash). The request log shows which path answered: a plain
document is requested once; a redirect, a retried status or a host that does not answer as
often as by Scrapy alone; an answer the direct client does not read once more.
"""

from __future__ import annotations

import base64
import gzip
from collections import Counter
from typing import Any

import pytest

from tests.e2e import Crawl, crawl

PNG = {"headers": {"Content-Type": "image/png"}, "body": "png"}
TEXT = {"Content-Type": "text/plain"}
DENY_ALL = "User-agent: *\nDisallow: /\n"


def robots(spec: dict[str, Any]) -> dict[str, Any]:
    return {"/robots.txt": spec}


# host -> its document routes (its images /a.png and /private/a.png are added below)
DOCUMENT_HOSTS: dict[str, dict[str, Any]] = {
    "http://ok.dv.test": {
        **robots({"headers": TEXT, "body": "User-agent: *\nDisallow: /private/\n"}),
        "/ai.txt": {"headers": TEXT, "body": "User-agent: *\nAllow: /\n"},
    },
    "http://aitxt.dv.test": {"/ai.txt": {"headers": TEXT, "body": DENY_ALL}},
    "http://tdm.dv.test": {
        "/.well-known/tdmrep.json": {
            "headers": {"Content-Type": "application/json"},
            "body": '[{"location": "/private/", "tdm-reservation": 1}]',
        }
    },
    "http://gone.dv.test": robots({"status": 410, "body": ""}),
    "http://forbidden.dv.test": robots({"status": 403, "body": "no"}),
    "http://auth.dv.test": robots({"status": 401, "body": "login"}),
    "http://error.dv.test": robots({"status": 500, "body": "oops"}),
    "http://unavailable.dv.test": robots({"status": 503, "body": ""}),
    "http://ratelimited.dv.test": robots({"status": 429, "body": ""}),
    "http://moved.dv.test": {
        **robots({"redirect": "/real-robots.txt", "status": 301}),
        "/real-robots.txt": {"headers": TEXT, "body": "User-agent: *\nDisallow: /private/\n"},
    },
    "http://toscheme.dv.test": robots({"redirect": "https://tls.dv.test/robots.txt"}),
    "http://gzip.dv.test": robots(
        {
            "headers": {**TEXT, "Content-Encoding": "gzip"},
            "body_b64": base64.b64encode(gzip.compress(DENY_ALL.encode())).decode(),
        }
    ),
    "http://refresh.dv.test": {
        "/ai.txt": {
            "headers": {"Content-Type": "text/html"},
            "body": '<meta http-equiv="refresh" content="0; url=/real-ai.txt">',
        },
        "/real-ai.txt": {"headers": TEXT, "body": DENY_ALL},
    },
    "http://slow.dv.test": robots({"headers": TEXT, "body": DENY_ALL, "delay": 3}),
    "http://dropped.dv.test": robots({"drop": True}),
    "http://empty.dv.test": robots({"headers": TEXT, "body": ""}),
    "http://nocontent.dv.test": robots({"status": 204}),
    "https://tls.dv.test": {
        **robots({"headers": TEXT, "body": "User-agent: *\nDisallow: /private/\n"}),
        "/ai.txt": {"headers": TEXT, "body": "User-agent: *\nDisallow: /private/\n"},
    },
}
# Requested exactly once per path whichever path answers (plain answers, and not fetched).
PLAIN_HOSTS = {"ok", "aitxt", "tdm", "gone", "forbidden", "auth", "empty", "nocontent"}


def _image_urls() -> list[str]:
    return [f"{h}{p}" for h in DOCUMENT_HOSTS for p in ("/a.png", "/private/a.png")]


def _sites() -> dict[str, Any]:
    page = "".join(f'<img src="{u}" alt="picture {i} of a quiet harbour">' for i, u in
                   enumerate(_image_urls()))  # fmt: skip
    hosts: dict[str, Any] = {
        "http://start.dv.test": {
            "routes": {
                "/robots.txt": {"headers": TEXT, "body": "User-agent: *\nAllow: /\n"},
                "/": {"headers": {"Content-Type": "text/html"}, "body": page},
            }
        }
    }
    for host, routes in DOCUMENT_HOSTS.items():
        hosts[host] = {"routes": {**routes, "/a.png": PNG, "/private/a.png": PNG}}
    return {"hosts": hosts}


def _crawl(tmp: pytest.TempPathFactory, direct: bool) -> Crawl:
    return crawl(
        tmp,
        f"direct-{direct}",
        ["http://start.dv.test/"],
        settings={
            "CONSENT_DOCUMENTS_DIRECT": str(direct),
            "IMAGE_PROBE": "off",
            "DOWNLOAD_TIMEOUT": "2",
            "RETRY_TIMES": "1",
        },
        sites=_sites(),
    )


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Crawl, Crawl]:
    return _crawl(tmp_path_factory, True), _crawl(tmp_path_factory, False)


def _timeless(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if k != "fetched_at"}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


def _documents(c: Crawl) -> list[tuple[Any, ...]]:
    keys = ("origin", "kind", "url", "final_url", "status", "error", "sha256", "truncated")
    return sorted(tuple(d.get(k) for k in keys) for d in c.documents)


def _rows(rows: list[dict[str, Any]]) -> list[Any]:
    return sorted((_timeless(r) for r in rows), key=lambda r: (r["page_url"] or "", r["url"]))


def test_every_image_is_decided(both: tuple[Crawl, Crawl]) -> None:
    direct, _ = both
    assert sorted(u for _, u in direct.reasons()) == sorted(_image_urls())


def test_the_same_documents(both: tuple[Crawl, Crawl]) -> None:
    direct, scrapy = both
    assert _documents(direct) == _documents(scrapy)
    # Every host's robots.txt, and the other documents of those whose robots.txt lets them.
    assert {d["origin"] for d in direct.documents if d["kind"] == "robots"} >= set(DOCUMENT_HOSTS)


def test_the_same_rows_reasons_and_evidence(both: tuple[Crawl, Crawl]) -> None:
    direct, scrapy = both
    assert direct.reasons() == scrapy.reasons()
    assert _rows(direct.index) == _rows(scrapy.index)
    assert _rows(direct.excluded) == _rows(scrapy.excluded)


def test_the_direct_path_answers_hands_over_or_declines(
    both: tuple[Crawl, Crawl],
) -> None:
    direct, scrapy = both

    def fetches(c: Crawl) -> Counter[tuple[str, str]]:
        return Counter((r["host"].split(".")[0], r["path"]) for r in c.requests)

    d, s = fetches(direct), fetches(scrapy)
    for host in PLAIN_HOSTS:
        assert d[(host, "/robots.txt")] == s[(host, "/robots.txt")] == 1, host
    # https (a CONNECT tunnel): its robots.txt is also the target of toscheme's redirect.
    assert d[("tls", "/robots.txt")] == s[("tls", "/robots.txt")] == 2
    assert d[("tls", "/ai.txt")] == s[("tls", "/ai.txt")] == 1
    # A redirect, a retried status, no answer: the direct try counts as Scrapy's first, and
    # Scrapy's middlewares take the next step: as many requests as Scrapy alone makes.
    # (Not "dropped" nor "slow": Twisted's pool itself retries a request lost on a reused
    # connection, and the web logs a delayed request only if it is still there to answer.)
    for host in ("error", "unavailable", "ratelimited"):  # RETRY_TIMES=1
        assert d[(host, "/robots.txt")] == s[(host, "/robots.txt")] == 2, host
    assert d[("moved", "/robots.txt")] == s[("moved", "/robots.txt")] == 1
    assert d[("moved", "/real-robots.txt")] == s[("moved", "/real-robots.txt")] == 1
    # An answer the direct client does not read: one more request (the direct try, then Scrapy's).
    assert d[("gzip", "/robots.txt")] == s[("gzip", "/robots.txt")] + 1
    assert d[("refresh", "/ai.txt")] == s[("refresh", "/ai.txt")] + 1
