"""URLs parsed once and defensively (crawler/urls.py): None instead of an exception."""

from __future__ import annotations

import pytest

from crawler.extract import Candidate
from crawler.items import candidate_row
from crawler.licenses.linkheader import license_links, link_header_evidence
from crawler.regen.inputs import valid_origin
from crawler.urls import origin_from, origin_of, safe_origin, split_http_url


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://Example.ORG/a", "http://example.org"),
        ("https://example.org:443/a", "https://example.org"),
        ("http://example.org:8080/a", "http://example.org:8080"),
        ("http://[2606:4700::1111]/a.png", "http://[2606:4700::1111]"),
        ("http://[2606:4700::1111]:8080/a.png", "http://[2606:4700::1111]:8080"),
        ("http://user:pw@example.org/", "http://example.org"),
        ("http://0x7f000001/", "http://127.0.0.1"),  # the address it names
    ],
)
def test_origins(url: str, origin: str) -> None:
    assert origin_of(url) == origin
    assert safe_origin(url) == origin


def test_ipv6_origins_are_bracketed() -> None:
    assert origin_from("http", "::1", None) == "http://[::1]"
    assert origin_from("https", "2606:4700::1111", 8443) == "https://[2606:4700::1111]:8443"


@pytest.mark.parametrize(
    "url",
    [
        "http://a.test:99999/x.png",
        "http://a.test:-1/x.png",
        "http://a.test:abc/x.png",
        "http://a.test:0/x.png",
        "http://a.test:+80/x.png",
        "http://[::1/x.png",
        "http://::1/x.png",
        "http://[a.test]/x.png",
        "http://a b.test/x.png",
        "http:///x.png",
        "ftp://a.test/x.png",
        "javascript:alert(1)",
        "http://a.test/\nx",
        "http://1.2.3.09/",
        "",
        None,
        42,
    ],
)
def test_unusable_urls_give_none_never_an_exception(url: object) -> None:
    assert split_http_url(url) is None
    assert safe_origin(url) is None
    assert valid_origin(url) is None
    with pytest.raises(ValueError):
        origin_of(url)  # type: ignore[arg-type]


def test_an_unusable_candidate_url_is_its_own_excluded_row() -> None:
    row = candidate_row(Candidate(url="http://a.test:99999/x.png", caption="c"))
    assert row.origin is None and row.reasons == ["input:invalid-url"]


def test_a_malformed_link_header_target_does_not_raise() -> None:
    header = [
        '<http://[::1>; rel="license", <https://creativecommons.org/licenses/by/4.0/>; rel=license'
    ]
    assert license_links(header, "http://a.test/x.png")[1].startswith("https://creativecommons")
    evidence = link_header_evidence(header, "http://a.test/x.png")
    assert [e.spdx for e in evidence] == [None, "CC-BY-4.0"]
