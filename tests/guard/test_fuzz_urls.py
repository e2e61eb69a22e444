"""Fuzzed URLs through extraction, origin building and item building: rows in = rows out.

Every ``<img>`` that extraction makes a candidate of becomes exactly one row (kept or excluded
with a reason); nothing raises, whatever the URL.
"""

from __future__ import annotations

import html

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.consent.verdict import PageVerdict
from crawler.extract import extract_page
from crawler.items import candidate_row
from crawler.netguard import PUBLIC_ONLY
from crawler.urls import safe_origin, split_http_url

PAGE = "http://page.test/dir/index.html"

hosts = st.one_of(
    st.sampled_from(
        [
            "a.test",
            "[::1]",
            "[2606:4700::1111]",
            "[::1",
            "::1",
            "0x7f000001",
            "2130706433",
            "127.1",
            "169.254.169.254",
            "%31%32%37.0.0.1",
            "\uff11\uff12\uff17.0.0.1",
            "xn--nxasmq6b.test",
            "ex ample.test",
            "",
            "[fe80::1%25eth0]",
            "1.2.3.09",
        ]
    ),
    st.text(min_size=0, max_size=20),
)
ports = st.one_of(
    st.just(""),
    st.sampled_from([":80", ":99999", ":-1", ":abc", ":", ":0", ":65535", ":+1", ": 8"]),
    st.integers(-10, 10**7).map(lambda n: f":{n}"),
)
schemes = st.sampled_from(["http://", "https://", "HTTP://", "//", "", "ftp://", "data:", "http:"])
paths = st.text(max_size=30)


@st.composite
def urls(draw: st.DrawFn) -> str:
    return draw(schemes) + draw(hosts) + draw(ports) + "/" + draw(paths)


@st.composite
def pages(draw: st.DrawFn) -> tuple[bytes, int]:
    srcs = draw(st.lists(st.one_of(urls(), st.text(max_size=40)), min_size=1, max_size=8))
    imgs = []
    for i, src in enumerate(srcs):
        attr = html.escape(src, quote=True)
        if draw(st.booleans()):
            imgs.append(f'<img src="{attr}" alt="img {i}">')
        else:
            imgs.append(f'<img srcset="{attr} 2x, {attr} 100w" alt="img {i}">')
        imgs.append(f'<a href="{attr}">link</a>')
    return "".join(imgs).encode("utf-8", "surrogatepass"), len(srcs)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(urls())
def test_origin_building_never_raises(url: str) -> None:
    parsed = split_http_url(url)
    origin = safe_origin(url)
    assert (parsed is None) == (origin is None)
    if parsed is not None:
        assert split_http_url(origin + "/") is not None  # an origin is itself a usable URL
        if parsed.address is not None:  # the check reads the address however it was spelled
            refused = PUBLIC_ONLY.address_refusal(parsed.address) is not None
            assert refused == (PUBLIC_ONLY.host_refusal(parsed.host) is not None)
        else:
            PUBLIC_ONLY.host_refusal(parsed.host)  # never raises


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages())
def test_rows_in_equal_rows_out(page: tuple[bytes, int]) -> None:
    body, _n = page
    extract = extract_page(body, PAGE, "utf-8")
    rows = [candidate_row(c) for c in extract.candidates]
    assert len(rows) == len(extract.candidates)
    verdict = PageVerdict([])
    for row in rows:
        reasons, _records = verdict.row(row.reasons, row.signals)
        if row.origin is None:
            assert reasons, row.url  # an unchecked row is never kept
        else:
            assert split_http_url(row.url) is not None
    for link in extract.links:
        split_http_url(link)  # never raises
