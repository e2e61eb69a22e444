"""End to end over https: the crawl, its probes and ``scrapy consent`` through CONNECT.

The simulated web plays each host over both schemes, with a different robots.txt per scheme
where RFC 9309 section 2.3 says it matters ("the rules apply to the scheme, host and port of the
robots.txt URL"): allowing over http and refusing over https on one host, the reverse on another.
Pages and images redirect between the schemes. The request log records every request with its
scheme, so the tests prove that nothing a robots.txt refused was requested over that scheme.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from protego import Protego

from crawler.simweb.control import SimWeb
from crawler.simweb.demo import _png
from tests.e2e import Crawl, crawl
from tests.support.cli import consent as run_consent

_HTML = {"Content-Type": "text/html; charset=utf-8"}
_TEXT = {"Content-Type": "text/plain; charset=utf-8"}
ALLOW_ALL = "User-agent: *\nAllow: /\n"


def _image(seed: int) -> dict[str, Any]:
    data = _png(240, 240, seed, f"https e2e image {seed}")
    return {"headers": {"Content-Type": "image/png"}, "body_b64": base64.b64encode(data).decode()}


def _page(body: str) -> dict[str, Any]:
    return {"headers": _HTML, "body": f"<!doctype html><html><body>{body}</body></html>"}


def _img(url: str, alt: str) -> str:
    return f'<img src="{url}" alt="{alt}" width="240" height="240">'


# site.test: the pages. Over https everything is allowed; over http /private/ is refused.
SITE_ROUTES: dict[str, Any] = {
    "/": _page(
        _img("https://img.test/photos/refused-over-https.png", "A red boat on a grey sea")
        + _img("http://img.test/photos/allowed-over-http.png", "A green field under a cloud")
        + _img("http://rev.test/pics/refused-over-http.png", "A yellow kite above a hill")
        + _img("https://rev.test/pics/allowed-over-https.png", "A blue door in a white wall")
        + _img("https://site.test/redir/to-http.png", "An orange cat asleep on a mat")
        + _img("http://site.test/redir/to-https.png", "A purple flower in a glass vase")
        + _img("https://site.test/redir/to-refused.png", "A brown dog running on a beach")
        + _img("https://unplayed.test/real.png", "A host the simulated web does not play")
        + '<a href="https://site.test/private/over-https.html">a</a>'
        + '<a href="http://site.test/private/over-http.html">b</a>'
        + '<a href="https://site.test/go/to-http">c</a>'
        + '<a href="http://site.test/go/to-https">d</a>'
    ),
    "/private/over-https.html": _page(
        _img("https://site.test/img/private-https.png", "A silver car parked in the rain")
    ),
    "/private/over-http.html": _page(
        _img("https://site.test/img/never.png", "This page is never fetched at all")
    ),
    "/go/to-http": {"redirect": "http://site.test/landing-http.html", "status": 301},
    "/go/to-https": {"redirect": "https://site.test/landing-https.html", "status": 301},
    "/landing-http.html": _page(_img("/img/landing-http.png", "A white swan on a dark lake")),
    "/landing-https.html": _page(_img("/img/landing-https.png", "A black horse in the snow")),
    # Image redirects across schemes: to an allowed http URL, to an allowed https URL, and to an
    # https URL that img.test's https robots.txt refuses.
    "/redir/to-http.png": {"redirect": "http://img.test/photos/target-http.png", "status": 302},
    "/redir/to-https.png": {"redirect": "https://rev.test/pics/target-https.png", "status": 302},
    "/redir/to-refused.png": {"redirect": "https://img.test/photos/target-refused.png"},
    "/img/private-https.png": _image(1),
    "/img/landing-http.png": _image(2),
    "/img/landing-https.png": _image(3),
}

HTTPS_SITES: dict[str, Any] = {
    "hosts": {
        "http://site.test": {
            "routes": {
                "/robots.txt": {"headers": _TEXT, "body": "User-agent: *\nDisallow: /private/\n"},
                **SITE_ROUTES,
            }
        },
        "https://site.test": {
            "routes": {
                "/robots.txt": {"headers": _TEXT, "body": ALLOW_ALL},
                # Consent documents over https: ai.txt and tdmrep.json of the https origin.
                "/ai.txt": {"headers": _TEXT, "body": "User-Agent: *\nAllow: /\n"},
                "/.well-known/tdmrep.json": {
                    "headers": {"Content-Type": "application/json"},
                    "body": json.dumps(
                        [{"location": "/img/landing-https.png", "tdm-reservation": 1}]
                    ),
                },
                **SITE_ROUTES,
            }
        },
        # img.test: http allows everything, https refuses /photos/.
        "http://img.test": {
            "routes": {
                "/robots.txt": {"headers": _TEXT, "body": ALLOW_ALL},
                "/photos/allowed-over-http.png": _image(10),
                "/photos/target-http.png": _image(11),
                "/photos/refused-over-https.png": _image(12),
            }
        },
        "https://img.test": {
            "routes": {
                "/robots.txt": {"headers": _TEXT, "body": "User-agent: *\nDisallow: /photos/\n"},
                "/photos/refused-over-https.png": _image(12),
                "/photos/target-refused.png": _image(13),
            }
        },
        # rev.test: the reverse, http refuses /pics/ and https allows it.
        "http://rev.test": {
            "routes": {
                "/robots.txt": {"headers": _TEXT, "body": "User-agent: *\nDisallow: /pics/\n"},
                "/pics/refused-over-http.png": _image(20),
            }
        },
        "https://rev.test": {
            "routes": {
                "/robots.txt": {"headers": _TEXT, "body": ALLOW_ALL},
                "/pics/allowed-over-https.png": {
                    **_image(21),
                    "headers": {"Content-Type": "image/png", "X-Robots-Tag": "noai"},
                },
                "/pics/target-https.png": _image(22),
                "/pics/refused-over-http.png": _image(20),
            }
        },
    },
}
SEEDS = ["https://site.test/"]


# What each image row must get: every reason comes from the scheme its URL (or its redirect's
# target) uses.
EXPECTED = {
    ("https://site.test/", "https://img.test/photos/refused-over-https.png"): ["robots:disallowed"],
    ("https://site.test/", "http://img.test/photos/allowed-over-http.png"): [],
    ("https://site.test/", "http://rev.test/pics/refused-over-http.png"): ["robots:disallowed"],
    ("https://site.test/", "https://rev.test/pics/allowed-over-https.png"): ["xrobots:noai"],
    ("https://site.test/", "https://site.test/redir/to-http.png"): [],
    ("https://site.test/", "http://site.test/redir/to-https.png"): [],
    ("https://site.test/", "https://site.test/redir/to-refused.png"): ["robots:disallowed"],
    ("https://site.test/", "https://unplayed.test/real.png"): ["robots:unreachable"],
    ("https://site.test/private/over-https.html", "https://site.test/img/private-https.png"): [],
    ("http://site.test/landing-http.html", "http://site.test/img/landing-http.png"): [],
    ("https://site.test/landing-https.html", "https://site.test/img/landing-https.png"): [
        "tdmrep:reserved"
    ],
}
# (scheme, host, path) that robots.txt of that scheme refuses, and that the crawl meets.
NEVER_REQUESTED = {
    ("https", "img.test", "/photos/refused-over-https.png"),
    ("https", "img.test", "/photos/target-refused.png"),
    ("http", "rev.test", "/pics/refused-over-http.png"),
    ("http", "site.test", "/private/over-http.html"),
    ("https", "site.test", "/img/never.png"),
}


def robots_for(scheme: str, host: str) -> Protego:
    site = HTTPS_SITES["hosts"][f"{scheme}://{host}"]
    return Protego.parse(site["routes"]["/robots.txt"]["body"])


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    return crawl(tmp_path_factory, "https", SEEDS, sites=HTTPS_SITES)


def test_rows_follow_the_robots_txt_of_their_own_scheme(result: Crawl) -> None:
    assert result.reasons() == EXPECTED
    assert result.manifest["counts"]["candidates"] == len(EXPECTED)


def test_nothing_a_robots_txt_refused_was_requested_over_its_scheme(result: Crawl) -> None:
    logged = {(r["scheme"], r["host"], r["path"]) for r in result.requests}
    assert not NEVER_REQUESTED & logged
    # The general form: every request but robots.txt itself passes the robots.txt of its scheme.
    for r in result.requests:
        if r["method"] == "CONNECT" or r["path"] == "/robots.txt":
            continue
        url = f"{r['scheme']}://{r['host']}{r['path']}"
        assert robots_for(r["scheme"], r["host"]).can_fetch(url, "consentcrawl"), url
    # Both robots.txt of a host were read, each over its own scheme.
    robots = {(r["scheme"], r["host"]) for r in result.requests if r["path"] == "/robots.txt"}
    assert robots == {
        (s, h) for s in ("http", "https") for h in ("site.test", "img.test", "rev.test")
    }


def test_https_requests_went_through_accepted_connects_only(result: Crawl) -> None:
    connects = [r for r in result.requests if r["method"] == "CONNECT"]
    accepted = {r["host"] for r in connects if r["status"] == 200}
    https_hosts = {
        r["host"] for r in result.requests if r["method"] != "CONNECT" and r["scheme"] == "https"
    }
    assert accepted == https_hosts == {"site.test", "img.test", "rev.test"}
    # A host the simulated web does not play: its CONNECT is refused, nothing is tunnelled, and
    # its row is excluded (never kept on the strength of an unreachable robots.txt).
    assert {r["host"] for r in connects if r["status"] != 200} <= {"unplayed.test"}
    assert all(r["method"] == "CONNECT" for r in result.requests if r["host"] == "unplayed.test")
    assert result.manifest["finish_reason"] == "finished"


def test_image_probes_use_the_scheme_of_the_image(result: Crawl) -> None:
    methods = {url: [r["method"] for r in result.requests_to(url)] for _, url in EXPECTED}
    assert methods["http://img.test/photos/allowed-over-http.png"] == ["HEAD"]
    assert methods["https://site.test/img/private-https.png"] == ["HEAD"]
    # The noai header was read from the https answer: the probe went over https.
    assert methods["https://rev.test/pics/allowed-over-https.png"] == ["HEAD"]
    assert not result.requests_to("http://rev.test/pics/allowed-over-https.png")


def test_image_redirects_between_schemes(result: Crawl) -> None:
    # https -> http and http -> https: each hop over its own scheme, the target checked and probed.
    assert [r["status"] for r in result.requests_to("https://site.test/redir/to-http.png")] == [302]
    assert [r["method"] for r in result.requests_to("http://img.test/photos/target-http.png")] == [
        "HEAD"
    ]
    assert [r["status"] for r in result.requests_to("http://site.test/redir/to-https.png")] == [302]
    assert [r["method"] for r in result.requests_to("https://rev.test/pics/target-https.png")] == [
        "HEAD"
    ]
    # A redirect to a URL that the https robots.txt refuses is not followed.
    assert result.requests_to("https://site.test/redir/to-refused.png")
    assert not result.requests_to("https://img.test/photos/target-refused.png")


def test_page_redirects_between_schemes(result: Crawl) -> None:
    assert [r["status"] for r in result.requests_to("https://site.test/go/to-http")] == [301]
    assert [r["status"] for r in result.requests_to("http://site.test/landing-http.html")] == [200]
    assert [r["status"] for r in result.requests_to("http://site.test/go/to-https")] == [301]
    assert [r["status"] for r in result.requests_to("https://site.test/landing-https.html")] == [
        200
    ]
    assert not result.requests_to("https://site.test/landing-http.html")
    assert not result.requests_to("http://site.test/landing-https.html")


def test_consent_documents_are_per_scheme(result: Crawl) -> None:
    docs = {(d["origin"], d["kind"]): d for d in result.documents}
    for host in ("site.test", "img.test", "rev.test"):
        for scheme in ("http", "https"):
            doc = docs[(f"{scheme}://{host}", "robots")]
            assert (doc["url"], doc["status"]) == (f"{scheme}://{host}/robots.txt", 200)
    assert (
        docs[("http://img.test", "robots")]["sha256"]
        != docs[("https://img.test", "robots")]["sha256"]
    )
    # ai.txt and tdmrep.json over https: fetched from the https origin and applied to its rows.
    assert docs[("https://site.test", "aitxt")]["status"] == 200
    assert docs[("http://site.test", "aitxt")]["status"] == 404
    assert docs[("https://site.test", "tdmrep")]["status"] == 200
    assert docs[("http://site.test", "tdmrep")]["status"] == 404
    (row,) = result.rows("https://site.test/img/landing-https.png")
    tdmrep = {(c["source"], c["verdict"]) for c in row["consent"] if c["family"] == "tdmrep"}
    assert ("https://site.test/.well-known/tdmrep.json", "disallow") in tdmrep


# --- scrapy consent over https ----------------------------------------------------------------


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimWeb]:
    workdir = tmp_path_factory.mktemp("https-consent")
    with SimWeb(HTTPS_SITES, workdir=workdir, max_seconds=120, max_requests=500) as sim:
        yield sim


def consent(web: SimWeb, *args: str) -> subprocess.CompletedProcess[str]:
    return run_consent(web, *args, "--json", timeout=120)


def test_consent_command_reads_the_https_robots_txt(web: SimWeb) -> None:
    refused = consent(web, "https://img.test/photos/refused-over-https.png")
    assert refused.returncode == 1, refused.stderr[-2000:]
    data = json.loads(refused.stdout)
    assert data["reasons"] == ["robots:disallowed"]
    sources = {s["source"] for s in data["signals"] if s["family"] == "robots"}
    assert sources == {"https://img.test/robots.txt"}
    # The same path over http is allowed by the http robots.txt and probed over http.
    allowed = consent(web, "http://img.test/photos/refused-over-https.png")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr[-2000:]
    assert json.loads(allowed.stdout)["decision"] != "excluded"
    assert not web.requested("img.test", "/photos/refused-over-https.png", scheme="https")
    assert web.requested("img.test", "/photos/refused-over-https.png", scheme="http")
    assert web.requested("img.test", "/robots.txt", scheme="https")
