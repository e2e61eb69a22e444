"""``Link: rel=license`` on an image response: licence evidence, never an RSL pointer."""

from __future__ import annotations

from crawler.licenses.linkheader import license_links, link_header_evidence, parse_links

IMG = "http://a.test/x.png"
RSL_LINK = '<https://a.test/license.xml>; rel="license"; type="application/rsl+xml"'
CC_LINK = '<https://creativecommons.org/licenses/by/4.0/>; rel="license"'


def test_an_rsl_licence_link_is_not_a_licence_url() -> None:
    # RSL guide (rslstandard.org/guide/http): the header names an RSL document, whose terms
    # are read by the rsl family; it is not the licence of the image.
    assert license_links([RSL_LINK], IMG) == []
    assert link_header_evidence([RSL_LINK], IMG) == []


def test_rsl_and_cc_links_in_one_field_keep_only_the_cc_licence() -> None:
    header = [f"{RSL_LINK}, {CC_LINK}"]
    assert license_links(header, IMG) == ["https://creativecommons.org/licenses/by/4.0/"]
    assert [e.spdx for e in link_header_evidence(header, IMG)] == ["CC-BY-4.0"]


def test_media_type_is_matched_case_insensitively_and_without_parameters() -> None:
    header = ['<https://a.test/l.xml>; type="Application/RSL+XML; charset=utf-8"; rel=license']
    assert license_links(header, IMG) == []


def test_parse_links_reads_rel_tokens_and_type() -> None:
    links = parse_links([f'{RSL_LINK}, <../up.html>; rel="up license"'], "http://a.test/d/x.png")
    assert [(link.url, link.rels, link.type) for link in links] == [
        ("https://a.test/license.xml", ("license",), "application/rsl+xml"),
        ("http://a.test/up.html", ("up", "license"), ""),
    ]
