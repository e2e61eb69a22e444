"""RSL 1.0 (crawler/consent/rsl.py): the spec's examples, every decision, discovery, hostile XML.

Test documents and their provenance: tests/data/rsl/README.md.
"""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from crawler.consent.family import EvalEnv, ImageContext, PageContext, Phase, ProbeView
from crawler.consent.policy import Policy
from crawler.consent.robots import robots_from_fetch
from crawler.consent.robotstxt import parse_robots_txt
from crawler.consent.rsl import (
    FAMILY,
    MAX_RSL_BYTES,
    Association,
    RslConfig,
    RslDocument,
    RslFailure,
    configure,
    decide,
    evaluate,
    html_rsl_links,
    inline_rsl_documents,
    license_required,
    link_header_rsl_links,
    parse_rsl,
    robots_rsl_links,
    rsl_from_fetch,
)
from crawler.consent.verdict import Decision, Signal, combine
from tests.corpus import CORPUS

DATA = Path(__file__).resolve().parent.parent / "data" / "rsl"
SITE = "https://example.com"
TOKEN = "consentcrawl"
LICENSE_URL = "https://example.com/license.xml"
PAGE_LINK_LICENSE = "https://example.com/page-licence.xml"


def load(name: str, source: str = LICENSE_URL) -> RslDocument:
    parsed = parse_rsl((DATA / name).read_bytes(), source)
    assert isinstance(parsed, RslDocument), parsed
    return parsed


def doc(contents: str, source: str = LICENSE_URL) -> RslDocument:
    parsed = parse_rsl(f'<rsl xmlns="https://rslstandard.org/rsl">{contents}</rsl>', source)
    assert isinstance(parsed, RslDocument), parsed
    return parsed


def lic(body: str, url: str = "/", server: str = "", source: str = LICENSE_URL) -> RslDocument:
    """One <content url> with one <license> holding ``body``."""
    attrs = f' server="{server}"' if server else ""
    return doc(f'<content url="{url}"{attrs}><license>{body}</license></content>', source)


def signals(
    document: RslDocument | RslFailure,
    url: str = f"{SITE}/post/1",
    *,
    strict: bool = True,
    attribution_excludes: bool = False,
    site: str = SITE,
) -> list[Signal]:
    return evaluate(
        url,
        [Association(document, site)],
        unreadable_excludes=strict,
        attribution_excludes=attribution_excludes,
    )


def reasons(
    document: RslDocument | RslFailure,
    url: str = f"{SITE}/post/1",
    *,
    attribution_excludes: bool = False,
    site: str = SITE,
) -> list[str]:
    found = signals(document, url, attribution_excludes=attribution_excludes, site=site)
    return [s.reason for s in found if s.reason]


def verdict(document: RslDocument | RslFailure, url: str = f"{SITE}/post/1") -> Decision:
    return combine(signals(document, url))


# --- the spec's examples ----------------------------------------------------------------------


def test_crawler_guide_example_needs_a_token_from_the_license_server() -> None:
    # rslstandard.org/guide/web-crawlers: permits "all", but server= means a licence token must be
    # obtained "even if the license is free": not a grant for a dataset crawler.
    document = load("crawler-guide.xml")
    (content,) = document.contents
    assert (content.url, content.server) == ("/", "https://api.rslcollective.org")
    assert content.licenses[0].permits == {"usage": ("all",)}
    (signal,) = signals(document)
    assert signal.reason == "rsl:payment-required"
    assert signal.source == LICENSE_URL
    assert "server=https://api.rslcollective.org" in signal.value
    assert "permits=all" in signal.value


def test_crawler_guide_draft_token_tdm_is_not_in_the_vocabulary() -> None:
    # The draft page's "tdm" is no 1.0 usage token: a closed permits list without ai-train. The
    # unknown token is kept as evidence.
    (signal,) = signals(load("crawler-guide-draft.xml"))
    assert signal.reason == "rsl:not-permitted=ai-train"
    assert "unknown=tdm" in signal.value


def test_openrsl_example_extension_elements_are_ignored() -> None:
    document = load("openrsl-extension.xml")
    assert [c.url for c in document.contents] == ["/", "/research/", "/open/"]
    assert reasons(document, f"{SITE}/news/today") == ["rsl:prohibits=ai-train"]
    assert reasons(document, f"{SITE}/research/paper.pdf") == ["rsl:payment-required"]
    research = signals(document, f"{SITE}/research/paper.pdf")[0]
    assert "amount=10.00 USD" in research.value and "payment=training" in research.value
    (grant,) = signals(document, f"{SITE}/open/picture.jpg")
    assert grant.decision is Decision.ALLOW
    assert "payment=free" in grant.value


def test_epub_example_rsl_inside_a_container_root_is_read() -> None:
    # rslstandard.org/guide/file-embedding: rsl:-prefixed elements in an OPF <package>. Its 0.9
    # tokens: "train-ai" is not a 1.0 token, so the closed permits list has no ai-train.
    document = load("epub-opf.xml", "https://press.stripe.com/book.opf")
    (content,) = document.contents
    assert content.url == "https://press.stripe.com/scaling-people.aes"
    assert content.licenses[0].payments[0].type == "royalty"
    url = "https://press.stripe.com/scaling-people.aes"
    assert reasons(document, url, site="https://press.stripe.com") == ["rsl:not-permitted=ai-train"]
    # A full URL names its own host only.
    assert decide(Association(document, SITE), f"{SITE}/scaling-people.aes") is None


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/", "rsl:prohibits=ai-train"),
        ("/blog/post.html", "rsl:prohibits=ai-train"),
        ("/open/a.png", None),  # attribution: kept by default
        ("/photos/cat.jpg", "rsl:payment-required"),
        ("/photos/cat.jpg?size=big", "rsl:prohibits=ai-train"),  # "$": the path must end there
        ("/photos/cat.png", "rsl:prohibits=ai-train"),
    ],
)
def test_composed_fixture_most_specific_content_wins(path: str, reason: str | None) -> None:
    # signals-2026.md §1.6: "/" < "/open/*" < "/photos/*.jpg$" (RFC 9309 longest match).
    document = load("composed-site.xml")
    assert reasons(document, f"{SITE}{path}") == ([reason] if reason else [])


def test_composed_fixture_attribution_evidence() -> None:
    (signal,) = signals(load("composed-site.xml"), f"{SITE}/open/a.png")
    assert signal.decision is Decision.ALLOW
    assert 'content url="/open/*"' in signal.value and "payment=attribution" in signal.value


def test_collective_licence_on_another_host_applies_to_the_site_that_names_it() -> None:
    # rslstandard.org/robots.txt names https://rslcollective.org/royalty.xml: its url="/" is
    # the path on the site whose robots.txt points at it, not on rslcollective.org.
    royalty = "https://rslcollective.org/royalty.xml"
    document = load("collective-royalty.xml", royalty)
    (signal,) = signals(document, "https://rslstandard.org/guide", site="https://rslstandard.org")
    assert signal.reason == "rsl:payment-required"
    assert signal.source == royalty
    assert "payment=use" in signal.value
    assert "standard=https://rslcollective.org/license" in signal.value


# --- decisions for a training index -----------------------------------------------------------


@pytest.mark.parametrize("token", ["ai-train", "ai-all", "all"])
def test_a_prohibition_covering_ai_train_refuses(token: str) -> None:
    document = lic(f'<prohibits type="usage">{token}</prohibits>')
    assert reasons(document) == ["rsl:prohibits=ai-train"]


@pytest.mark.parametrize("token", ["train-ai", "ai-training", "tdm", "ai"])
def test_misspelled_training_tokens_prohibit_but_never_permit(token: str) -> None:
    # signals-2026.md §1.7: deployed files use them; read only in the restrictive direction.
    assert reasons(lic(f'<prohibits type="usage">{token}</prohibits>')) == [
        "rsl:prohibits=ai-train"
    ]
    assert reasons(lic(f'<permits type="usage">{token}</permits>')) == [
        "rsl:not-permitted=ai-train"
    ]


def test_a_prohibition_beats_a_permission_in_the_same_licence() -> None:
    body = '<permits type="usage">all</permits><prohibits type="usage">ai-train</prohibits>'
    assert reasons(lic(body)) == ["rsl:prohibits=ai-train"]


def test_a_prohibition_of_other_uses_does_not_touch_training() -> None:
    (signal,) = signals(lic('<prohibits type="usage">ai-input search</prohibits>'))
    assert signal.decision is Decision.ALLOW


@pytest.mark.parametrize("permits", ["search", "ai-input", "ai-index", "ai-input ai-index", ""])
def test_a_closed_permits_list_without_ai_train_refuses(permits: str) -> None:
    assert reasons(lic(f'<permits type="usage">{permits}</permits>')) == [
        "rsl:not-permitted=ai-train"
    ]


@pytest.mark.parametrize(
    "permits", ["ai-train", "ai-all", "all", "search ai-train", "search,ai-all"]
)
def test_permits_covering_ai_train_without_payment_is_a_grant(permits: str) -> None:
    (signal,) = signals(lic(f'<permits type="usage">{permits}</permits>'))
    assert signal.decision is Decision.ALLOW
    assert signal.reason is None
    assert signal.source == LICENSE_URL
    assert "payment=(none: free)" in signal.value


def test_a_licence_without_permits_or_prohibits_is_a_grant() -> None:
    assert verdict(lic('<payment type="free"/>')) is Decision.ALLOW
    assert verdict(lic("")) is Decision.ALLOW


def test_user_and_geo_permits_do_not_decide_usage() -> None:
    body = '<permits type="user">non-commercial</permits><permits type="geo">US</permits>'
    assert verdict(lic(body)) is Decision.ALLOW


def test_attribution_is_kept_and_recorded() -> None:
    document = lic('<permits type="usage">ai-train</permits><payment type="attribution"/>')
    (signal,) = signals(document)
    assert signal.decision is Decision.ALLOW
    assert "payment=attribution" in signal.value


def test_attribution_is_excluded_when_the_setting_says_so() -> None:
    document = lic('<permits type="usage">ai-train</permits><payment type="attribution"/>')
    assert reasons(document, attribution_excludes=True) == ["rsl:attribution-required"]


@pytest.mark.parametrize(
    "payment",
    ["purchase", "subscription", "training", "crawl", "use", "contribution", "royalty", ""],
)
def test_any_other_payment_type_requires_payment(payment: str) -> None:
    attrs = f' type="{payment}"' if payment else ""
    document = lic(
        f'<permits type="usage">ai-train</permits><payment{attrs}>'
        '<amount currency="USD">0.015</amount>'
        "<standard>https://example.com/licenses/pay-per-crawl</standard></payment>"
    )
    (signal,) = signals(document)
    assert signal.reason == "rsl:payment-required"
    assert "amount=0.015 USD" in signal.value
    assert "standard=https://example.com/licenses/pay-per-crawl" in signal.value


@pytest.mark.parametrize("payment", ["free", "attribution"])
def test_a_licence_server_turns_any_grant_into_payment_required(payment: str) -> None:
    document = lic(
        f'<permits type="usage">all</permits><payment type="{payment}"/>',
        server="https://licensing.example.com",
    )
    assert reasons(document) == ["rsl:payment-required"]


def test_several_payments_are_alternatives_the_cheapest_decides() -> None:
    body = (
        '<permits type="usage">ai-train</permits>'
        '<payment type="training"><amount currency="EUR">1</amount></payment>'
        '<payment type="attribution"/>'
    )
    (signal,) = signals(lic(body))
    assert signal.decision is Decision.ALLOW and "payment=attribution" in signal.value


def test_several_licences_are_offers_a_paid_training_offer_needs_a_deal() -> None:
    # The common shape: a free search licence that excludes training, and a paid training one.
    document = doc(
        '<content url="/"><license><permits type="usage">search</permits>'
        '<prohibits type="usage">ai-train</prohibits></license>'
        '<license><permits type="usage">ai-train</permits><payment type="training"/></license>'
        "</content>"
    )
    assert reasons(document) == ["rsl:payment-required"]


def test_a_free_grant_contradicted_by_a_prohibition_is_resolved_restrictively() -> None:
    document = doc(
        '<content url="/"><license><prohibits type="usage">ai-all</prohibits></license>'
        '<license><permits type="usage">all</permits></license></content>'
    )
    assert reasons(document) == ["rsl:prohibits=ai-train"]


def test_no_covering_offer_prefers_the_prohibition_as_the_reason() -> None:
    document = doc(
        '<content url="/"><license><permits type="usage">search</permits></license>'
        '<license><prohibits type="usage">ai-train</prohibits>'
        '<permits type="usage">ai-input</permits></license></content>'
    )
    assert reasons(document) == ["rsl:prohibits=ai-train"]


def test_equally_specific_contents_combine_most_restrictively() -> None:
    # Document order must not matter (§4.9): either order gives the prohibition.
    grant = '<content url="/a/"><license><permits type="usage">all</permits></license></content>'
    refuse = (
        '<content url="/a/"><license><prohibits type="usage">all</prohibits></license></content>'
    )
    for contents in (grant + refuse, refuse + grant):
        assert reasons(doc(contents), f"{SITE}/a/x") == ["rsl:prohibits=ai-train"]


def test_rfc9309_pattern_matching_with_percent_encoding() -> None:
    document = lic('<prohibits type="usage">all</prohibits>', url="/caf%C3%A9/*")
    assert reasons(document, f"{SITE}/café/x.jpg") == ["rsl:prohibits=ai-train"]
    assert signals(document, f"{SITE}/cafe/x.jpg")[0].decision is Decision.UNKNOWN


def test_no_matching_content_is_recorded_unknown() -> None:
    (signal,) = signals(lic('<prohibits type="usage">all</prohibits>', url="/private/"))
    assert signal.decision is Decision.UNKNOWN
    assert signal.value == "no <content> matches this URL"


def test_a_full_url_pattern_matches_its_host_and_path() -> None:
    document = lic('<prohibits type="usage">all</prohibits>', url="https://example.com/news/*")
    assert reasons(document, "https://example.com/news/1") == ["rsl:prohibits=ai-train"]
    assert reasons(document, "http://EXAMPLE.com/news/1") == ["rsl:prohibits=ai-train"]
    assert signals(document, "https://example.com/blog/1")[0].decision is Decision.UNKNOWN
    other = signals(document, "https://other.test/news/1", site="https://other.test")
    assert other[0].decision is Decision.UNKNOWN


def test_a_path_pattern_speaks_for_the_associated_site_only() -> None:
    document = lic('<prohibits type="usage">all</prohibits>')
    (signal,) = signals(document, "https://cdn.test/a.jpg", site=SITE)
    assert signal.decision is Decision.UNKNOWN


def test_empty_url_stands_for_the_associated_resource() -> None:
    document = lic('<prohibits type="usage">ai-train</prohibits>', url="")
    page = f"{SITE}/post/1"
    hit = evaluate(page, [Association(document, SITE, page)], unreadable_excludes=True)
    assert [s.reason for s in hit] == ["rsl:prohibits=ai-train"]
    miss = evaluate(f"{SITE}/post/2", [Association(document, SITE, page)], unreadable_excludes=True)
    assert miss[0].decision is Decision.UNKNOWN


def test_commas_and_mixed_case_in_token_lists() -> None:
    assert reasons(lic('<prohibits type="usage">Search, AI-Train</prohibits>')) == [
        "rsl:prohibits=ai-train"
    ]


def test_a_document_without_namespace_is_read_and_noted() -> None:
    parsed = parse_rsl(
        '<rsl><content url="/"><license><prohibits type="usage">ai-train</prohibits>'
        "</license></content></rsl>",
        LICENSE_URL,
    )
    assert isinstance(parsed, RslDocument) and parsed.note == "no RSL namespace"
    assert reasons(parsed) == ["rsl:prohibits=ai-train"]


def test_elements_of_other_namespaces_are_ignored() -> None:
    document = doc(
        '<content url="/" xmlns:x="urn:x"><x:license><x:prohibits type="usage">all'
        '</x:prohibits></x:license><license><permits type="usage">ai-train</permits></license>'
        "</content>"
    )
    assert verdict(document) is Decision.ALLOW


def test_the_same_document_twice_gives_one_signal() -> None:
    document = lic('<prohibits type="usage">all</prohibits>')
    twice = [Association(document, SITE), Association(document, SITE)]
    assert len(evaluate(f"{SITE}/x", twice, unreadable_excludes=True)) == 1


def test_documents_combine_most_restrictively() -> None:
    # A page-level grant does not lift a site-level prohibition.
    site_doc = lic('<prohibits type="usage">all</prohibits>')
    page_doc = lic('<permits type="usage">all</permits>', url="", source=PAGE_LINK_LICENSE)
    page = f"{SITE}/post/1"
    found = evaluate(
        page,
        [Association(site_doc, SITE), Association(page_doc, SITE, page)],
        unreadable_excludes=True,
    )
    assert [s.decision for s in found] == [Decision.DISALLOW, Decision.ALLOW]
    assert combine(found) is Decision.DISALLOW


# --- documents that cannot be used ------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "error", "kind", "detail"),
    [
        (None, None, "timeout", "unreachable", "timeout"),
        (None, None, "refused by robots.txt", "unreachable", "refused by robots.txt"),
        (404, b"not found", None, "unreachable", "http 404"),
        (503, None, None, "unreachable", "http 503"),
        (200, b"<rsl", None, "unreadable", "not well-formed XML"),
        (200, b"", None, "unreadable", "not well-formed XML"),
        (200, b"<html><body>Licence</body></html>", None, "unreadable", "root <html>"),
        (200, b'<rsl xmlns="https://rslstandard.org/rsl"/>', None, "unreadable", "no <content>"),
        (
            200,
            b'<rsl xmlns="https://rslstandard.org/rsl"><content url="/"/></rsl>',
            None,
            "unreadable",
            "has no <license>",
        ),
        (
            200,
            b'<rsl xmlns="https://rslstandard.org/rsl"><content><license/></content></rsl>',
            None,
            "unreadable",
            "without url",
        ),
        (200, b"<rsl xmlns", "download stopped at the size cap", "unreadable", "size cap"),
    ],
)
def test_fetch_outcomes(
    status: int | None, body: bytes | None, error: str | None, kind: str, detail: str
) -> None:
    parsed = rsl_from_fetch(LICENSE_URL, status, body, error)
    assert isinstance(parsed, RslFailure)
    assert parsed.kind == kind
    assert detail in parsed.detail
    assert parsed.source == LICENSE_URL


def test_an_unusable_document_excludes_under_strict_and_is_unknown_under_standard() -> None:
    for failure in (
        RslFailure(LICENSE_URL, "unreachable", "http 503"),
        RslFailure(LICENSE_URL, "unreadable", "not well-formed XML"),
    ):
        (strict,) = signals(failure, strict=True)
        assert strict.reason == f"rsl:{failure.kind}"
        assert strict.value == failure.detail
        (standard,) = signals(failure, strict=False)
        assert standard.decision is Decision.UNKNOWN
        assert standard.value == f"{failure.kind}: {failure.detail}"


# --- hostile XML ------------------------------------------------------------------------------

_LAUGHS = "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE rsl [<!ENTITY lol0 "lol">' + _LAUGHS + "]>"
    '<rsl xmlns="https://rslstandard.org/rsl"><content url="/"><license>'
    '<permits type="usage">&lol9;</permits></license></content></rsl>'
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE rsl [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    '<rsl xmlns="https://rslstandard.org/rsl"><content url="/"><license>'
    '<permits type="usage">&x;</permits></license></content></rsl>'
)
EXTERNAL_DTD = (
    '<?xml version="1.0"?><!DOCTYPE rsl SYSTEM "http://attacker.test/rsl.dtd">'
    '<rsl xmlns="https://rslstandard.org/rsl"><content url="/"><license/></content></rsl>'
)


@pytest.mark.parametrize(
    "body",
    [
        BILLION_LAUGHS.encode(),
        XXE.encode(),
        EXTERNAL_DTD.encode(),
        XXE.encode("utf-16"),  # a BOM, NULs between the characters
        XXE.replace("<!DOCTYPE", "<!doctype").encode(),
    ],
    ids=["billion-laughs", "xxe-file", "external-dtd", "xxe-utf16", "lower-case-doctype"],
)
def test_hostile_xml_is_unreadable(body: bytes) -> None:
    parsed = rsl_from_fetch(LICENSE_URL, 200, body, None)
    assert isinstance(parsed, RslFailure)
    assert parsed.kind == "unreadable"
    assert "DOCTYPE" in parsed.detail
    assert "root:" not in parsed.detail  # nothing of /etc/passwd ever reaches the evidence


def test_entities_are_never_resolved_even_past_the_doctype_check() -> None:
    # The parser itself does not resolve entities either (defence in depth): a bare reference
    # without a declaration is malformed XML, never a file read.
    parsed = parse_rsl(
        '<rsl xmlns="https://rslstandard.org/rsl"><content url="/"><license>'
        '<permits type="usage">&x;</permits></license></content></rsl>',
        LICENSE_URL,
    )
    assert isinstance(parsed, RslFailure) and parsed.kind == "unreadable"


def test_an_oversized_document_is_unreadable() -> None:
    padding = "<!-- " + "x" * MAX_RSL_BYTES + " -->"
    body = f'<rsl xmlns="https://rslstandard.org/rsl">{padding}</rsl>'.encode()
    parsed = parse_rsl(body, LICENSE_URL)
    assert isinstance(parsed, RslFailure) and "larger than" in parsed.detail


def test_deep_nesting_is_unreadable_not_a_crash() -> None:
    body = "<rsl>" + "<a>" * 100_000 + "</a>" * 100_000 + "</rsl>"
    parsed = parse_rsl(body, LICENSE_URL)
    assert isinstance(parsed, RslFailure) and parsed.kind == "unreadable"


# --- discovery: robots.txt --------------------------------------------------------------------

GUIDE_ROBOTS = """License: https://example.com/license.xml

User-agent: Googlebot
Allow: /
"""  # rslstandard.org/guide/robots-txt, "Example robots.txt file"

PER_BOT_ROBOTS = """# per-bot licensing
User-agent: ExampleBot
Allow: /
License: https://example.com/examplebot-license.xml

User-agent: *
Allow: /
License: https://example.com/default-license.xml
"""  # RSL 1.0 §4.4 (placement-scoped License lines)


def robots(text: str) -> object:
    return robots_from_fetch(SITE, 200, text.encode())


def test_robots_global_license_applies_to_every_crawler() -> None:
    assert robots_rsl_links(robots(GUIDE_ROBOTS), TOKEN) == [LICENSE_URL]
    assert robots_rsl_links(robots(GUIDE_ROBOTS), "googlebot") == [LICENSE_URL]


def test_robots_group_license_applies_to_the_crawlers_selecting_the_group() -> None:
    assert robots_rsl_links(robots(PER_BOT_ROBOTS), "examplebot") == [
        "https://example.com/examplebot-license.xml"
    ]
    assert robots_rsl_links(robots(PER_BOT_ROBOTS), TOKEN) == [
        "https://example.com/default-license.xml"
    ]


def test_robots_group_license_overrides_the_global_ones() -> None:
    text = (
        "License: https://example.com/global.xml\n"
        "User-agent: consentcrawl\nDisallow: /private\n"
        "License: https://example.com/ours.xml\nLicense: https://example.com/ours-2.xml\n"
    )
    assert robots_rsl_links(robots(text), TOKEN) == [
        "https://example.com/ours.xml",
        "https://example.com/ours-2.xml",
    ]
    # A crawler whose group (none here: no "*" group either) has no License line: the global.
    assert robots_rsl_links(robots(text), "otherbot") == ["https://example.com/global.xml"]


def test_robots_selected_group_without_license_falls_back_to_global() -> None:
    text = (
        "License: https://example.com/global.xml\n"
        "User-agent: consentcrawl\nDisallow: /private\n"
        "User-agent: *\nLicense: https://example.com/star.xml\n"
    )
    # Our named group is the one selected (RFC 9309): the "*" group's line is not ours.
    assert robots_rsl_links(robots(text), TOKEN) == ["https://example.com/global.xml"]


def test_robots_license_does_not_change_grouping_or_access() -> None:
    text = "User-agent: a\nLicense: https://example.com/l.xml\nUser-agent: b\nDisallow: /\n"
    parsed = parse_robots_txt(text)
    assert len(parsed.groups) == 1  # License, like Crawl-delay, neither ends nor starts a group
    assert not parsed.allowed("/x", "a") and not parsed.allowed("/x", "b")
    assert [r.value for r in parsed.licenses("b")] == ["https://example.com/l.xml"]


def test_robots_license_must_be_an_absolute_url() -> None:
    text = "License: /license.xml\nLicense: ftp://example.com/l.xml\nLicense: HTTPS://E.COM/l\n"
    assert robots_rsl_links(robots(text), TOKEN) == ["HTTPS://E.COM/l"]


def test_robots_without_body_has_no_license() -> None:
    assert robots_rsl_links(robots_from_fetch(SITE, 404, b""), TOKEN) == []
    assert robots_rsl_links(robots_from_fetch(SITE, None, None, error="timeout"), TOKEN) == []
    assert robots_rsl_links(None, TOKEN) == []


def test_real_robots_txt_with_a_global_license_line() -> None:
    path = CORPUS / "robots" / "great-gpt-firewall-2026-01" / "stackoverflow.com.robots.txt"
    if not path.is_file():
        pytest.skip(f"shared corpus not available: {path}")
    rules = robots_from_fetch("https://stackoverflow.com", 200, path.read_bytes())
    assert robots_rsl_links(rules, TOKEN) == ["https://stackoverflow.com/license.xml"]


# --- discovery: headers and HTML --------------------------------------------------------------

GUIDE_LINK = '<https://example.com/license.xml>; rel="license"; type="application/rsl+xml"'


def test_link_header_rsl_documents() -> None:
    # rslstandard.org/guide/http
    assert link_header_rsl_links([GUIDE_LINK], f"{SITE}/a.jpg") == [LICENSE_URL]
    assert link_header_rsl_links(
        ['</l.xml>; type="application/rsl+xml"; rel="license", </cc>; rel=license'],
        f"{SITE}/img/a.jpg",
    ) == [f"{SITE}/l.xml"]
    assert link_header_rsl_links(['<https://creativecommons.org/x>; rel="license"'], SITE) == []
    assert (
        link_header_rsl_links(['</l.xml>; rel="alternate"; type="application/rsl+xml"'], SITE) == []
    )


def page_root(head: str, body: str = "") -> object:
    return lxml.html.document_fromstring(f"<html><head>{head}</head><body>{body}x</body></html>")


def test_html_link_rsl_documents() -> None:
    # rslstandard.org/guide/file-format, "Embedded Licenses"
    root = page_root(
        '<base href="https://example.com/blog/">'
        '<link rel="license" type="application/rsl+xml" href="license.xml">'
        '<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">'
        '<link rel="alternate" type="application/rsl+xml" href="/feed.xml">'
    )
    assert html_rsl_links(root, f"{SITE}/blog/post") == ["https://example.com/blog/license.xml"]
    assert html_rsl_links(None, SITE) == []


INLINE = (
    '<script type="application/rsl+xml">'
    '<rsl xmlns="https://rslstandard.org/rsl"><content url=""><license>'
    '<permits type="usage">search</permits></license></content></rsl></script>'
)


def test_inline_script_documents_are_parsed_from_the_page() -> None:
    page = f"{SITE}/post/1"
    (document,) = inline_rsl_documents(page_root(INLINE), page)
    assert isinstance(document, RslDocument)
    assert document.source == f"inline:{page}"
    found = evaluate(page, [Association(document, SITE, page)], unreadable_excludes=True)
    assert [s.reason for s in found] == ["rsl:not-permitted=ai-train"]


def test_inline_script_with_an_xml_declaration_and_a_broken_one() -> None:
    page = f"{SITE}/post/1"
    declared = INLINE.replace(">", '><?xml version="1.0" encoding="UTF-8"?>', 1)
    broken = '<script type="application/rsl+xml"><rsl></script>'
    first, second = inline_rsl_documents(page_root(declared, broken), page)
    assert isinstance(first, RslDocument)
    assert isinstance(second, RslFailure) and second.source == f"inline:{page}#2"


def test_license_required_response() -> None:
    # rslstandard.org/guide/web-crawlers, "HTTP 401 Unauthorized Response"
    challenge = (
        'License error="invalid_request", '
        'error_description="Access to this resource requires a valid license"'
    )
    assert license_required(401, {"www-authenticate": [challenge]}) == challenge
    assert license_required(401, {"WWW-Authenticate": ['Bearer realm="x", License']})
    assert license_required(401, {"www-authenticate": ['Basic realm="License"']}) is None
    assert license_required(401, {"www-authenticate": ["Licensed"]}) is None
    assert license_required(402, {"www-authenticate": [challenge]}) is None
    assert license_required(401, {}) is None


# --- the family declaration and its evaluators ------------------------------------------------


def env(strict: bool = True, config: RslConfig | None = None) -> EvalEnv:
    policy = Policy.from_settings({"CONSENT_POLICY": "strict" if strict else "standard"}.get)
    return EvalEnv(token=TOKEN, ai_tokens=("GPTBot",), policy=policy, config=config)


ROBOTS_LICENSE = "https://example.com/robots-licence.xml"
HTML_LICENSE = "https://example.com/html-licence.xml"
IMAGE_LICENSE = "https://cdn.test/image-licence.xml"
PAGE = f"{SITE}/post/1"
IMAGE = "https://cdn.test/img/a.jpg"


def page_ctx(
    discovered: dict[str, object], robots_text: str = "", head: str = "", fetched: bool = True
) -> PageContext:
    return PageContext(
        url=PAGE,
        origin=SITE,
        fetched=fetched,
        documents={"robots": robots(robots_text)},
        headers={"link": [f'<{PAGE_LINK_LICENSE}>; rel="license"; type="application/rsl+xml"']},
        root=page_root(head),
        status=200,
        discovered=discovered,
    )


def test_family_declaration() -> None:
    assert FAMILY.name == "rsl"
    assert {r.code for r in FAMILY.reasons} == {
        "rsl:prohibits=ai-train",
        "rsl:not-permitted=ai-train",
        "rsl:payment-required",
        "rsl:attribution-required",
        "rsl:license-required",
        "rsl:unreachable",
        "rsl:unreadable",
    }
    assert [s.setting for s in FAMILY.switches] == ["RSL_ENABLED"]
    assert FAMILY.image_phase is Phase.AFTER_PROBE
    # robots.txt (read again after the probe, for the image host's License lines), then the
    # documents at discovered URLs.
    robots_spec, spec = FAMILY.documents
    assert (robots_spec.name, robots_spec.path) == ("robots", "/robots.txt")
    assert spec.path is None and spec.parse is rsl_from_fetch
    assert [s.name for s in FAMILY.settings] == ["RSL_ATTRIBUTION_EXCLUDES"]
    assert [(c.name, c.type) for c in FAMILY.columns] == [("rsl_attribution", "string")]


def test_configure_reads_the_attribution_setting() -> None:
    assert configure({}.get) == RslConfig(False)
    assert configure({"RSL_ATTRIBUTION_EXCLUDES": "true"}.get) == RslConfig(True)
    assert configure({"RSL_ATTRIBUTION_EXCLUDES": False}.get) == RslConfig(False)
    with pytest.raises(ValueError, match="RSL_ATTRIBUTION_EXCLUDES"):
        configure({"RSL_ATTRIBUTION_EXCLUDES": "sometimes"}.get)


def test_discover_page_finds_robots_link_header_and_html() -> None:
    ctx = page_ctx(
        {},
        robots_text=f"License: {ROBOTS_LICENSE}\n",
        head=f'<link rel="license" type="application/rsl+xml" href="{HTML_LICENSE}">',
    )
    assert FAMILY.discover_page is not None
    assert list(FAMILY.discover_page(ctx, env())) == [
        ROBOTS_LICENSE,
        PAGE_LINK_LICENSE,
        HTML_LICENSE,
    ]
    unfetched = page_ctx({}, robots_text=f"License: {ROBOTS_LICENSE}\n", fetched=False)
    assert list(FAMILY.discover_page(unfetched, env())) == [ROBOTS_LICENSE]


def test_page_evaluator_one_signal_per_document() -> None:
    ctx = page_ctx(
        {
            ROBOTS_LICENSE: lic('<permits type="usage">all</permits>', source=ROBOTS_LICENSE),
            PAGE_LINK_LICENSE: RslFailure(PAGE_LINK_LICENSE, "unreachable", "http 404"),
        },
        robots_text=f"License: {ROBOTS_LICENSE}\n",
        head=INLINE,
    )
    assert FAMILY.page is not None
    found = FAMILY.page(ctx, env())
    assert [(s.source, s.decision, s.reason) for s in found] == [
        (ROBOTS_LICENSE, Decision.ALLOW, None),
        (PAGE_LINK_LICENSE, Decision.DISALLOW, "rsl:unreachable"),
        (f"inline:{PAGE}", Decision.DISALLOW, "rsl:not-permitted=ai-train"),
    ]
    standard = FAMILY.page(ctx, env(strict=False))
    assert [s.decision for s in standard][1] is Decision.UNKNOWN


def test_a_discovered_url_the_engine_did_not_fetch_is_unreachable() -> None:
    ctx = page_ctx({}, robots_text=f"License: {ROBOTS_LICENSE}\n")
    assert FAMILY.page is not None
    found = FAMILY.page(ctx, env())
    assert [(s.source, s.reason, s.value) for s in found] == [
        (ROBOTS_LICENSE, "rsl:unreachable", "not fetched"),
        (PAGE_LINK_LICENSE, "rsl:unreachable", "not fetched"),
    ]


def image_ctx(
    probe: ProbeView | None, discovered: dict[str, object], page: PageContext | None
) -> ImageContext:
    return ImageContext(
        url=IMAGE,
        origin="https://cdn.test",
        documents={"robots": robots_from_fetch("https://cdn.test", 404, b"")},
        page=page,
        probe=probe,
        discovered=discovered,
    )


def test_image_evaluator_license_required_probe() -> None:
    probe = ProbeView(IMAGE, "HEAD", 401, {"www-authenticate": ['License error="invalid_request"']})
    assert FAMILY.image is not None
    (signal,) = FAMILY.image(image_ctx(probe, {}, None), env())
    assert signal.reason == "rsl:license-required"
    assert signal.source == IMAGE
    assert signal.value == 'HEAD 401 WWW-Authenticate: License error="invalid_request"'


def test_image_evaluator_reads_the_probe_link_header_after_the_probe() -> None:
    probe = ProbeView(
        IMAGE,
        "HEAD",
        200,
        {"link": [f'<{IMAGE_LICENSE}>; rel="license"; type="application/rsl+xml"']},
    )
    document = doc(
        '<content url="/img/*"><license><permits type="usage">ai-train</permits>'
        '<payment type="attribution"/></license>'
        '<copyright type="person">Jane Doe</copyright></content>',
        IMAGE_LICENSE,
    )
    ctx = image_ctx(probe, {IMAGE_LICENSE: document}, None)
    assert FAMILY.discover_image is not None
    assert list(FAMILY.discover_image(ctx, env())) == [IMAGE_LICENSE]
    assert FAMILY.image is not None
    (signal,) = FAMILY.image(ctx, env())
    assert (signal.source, signal.decision) == (IMAGE_LICENSE, Decision.ALLOW)
    assert FAMILY.image_columns is not None
    assert FAMILY.image_columns(ctx, env()) == {"rsl_attribution": f"Jane Doe ({IMAGE_LICENSE})"}
    refused = FAMILY.image(ctx, env(config=RslConfig(attribution_excludes=True)))
    assert [s.reason for s in refused] == ["rsl:attribution-required"]
    # Before the probe there is nothing to discover on the image itself.
    assert list(FAMILY.discover_image(image_ctx(None, {}, None), env())) == []


def test_image_evaluator_applies_page_documents_that_name_the_image() -> None:
    names_image = doc(
        '<content url="https://cdn.test/img/*"><license>'
        '<prohibits type="usage">ai-all</prohibits></license></content>',
        PAGE_LINK_LICENSE,
    )
    page = page_ctx({PAGE_LINK_LICENSE: names_image})
    assert FAMILY.image is not None
    (signal,) = FAMILY.image(image_ctx(None, {}, page), env())
    assert (signal.source, signal.reason) == (PAGE_LINK_LICENSE, "rsl:prohibits=ai-train")
    # A page document about the page only says nothing about the image (no noise either).
    page_only = lic('<prohibits type="usage">all</prohibits>', "/post/*", source=PAGE_LINK_LICENSE)
    assert FAMILY.image(image_ctx(None, {}, page_ctx({PAGE_LINK_LICENSE: page_only})), env()) == []


def test_no_rsl_anywhere_gives_no_signal_and_no_column() -> None:
    page = PageContext(PAGE, SITE, True, {"robots": robots("User-agent: *\nDisallow:\n")})
    ctx = image_ctx(ProbeView(IMAGE, "HEAD", 200, {}), {}, page)
    assert FAMILY.image is not None and FAMILY.page is not None
    assert FAMILY.page(page, env()) == []
    assert FAMILY.image(ctx, env()) == []
    assert FAMILY.image_columns is not None
    assert FAMILY.image_columns(ctx, env()) == {"rsl_attribution": None}


def test_empty_url_in_an_image_link_header_document_means_the_image() -> None:
    link = f'<{IMAGE_LICENSE}>; rel="license"; type="application/rsl+xml"'
    probe = ProbeView(IMAGE, "GET", 206, {"link": [link]})
    document = lic('<prohibits type="usage">ai-train</prohibits>', "", source=IMAGE_LICENSE)
    assert FAMILY.image is not None
    (signal,) = FAMILY.image(image_ctx(probe, {IMAGE_LICENSE: document}, None), env())
    assert signal.reason == "rsl:prohibits=ai-train"
    # Named by robots.txt instead, url="" names no resource (legal only in HTML and RSS).
    ctx = ImageContext(
        IMAGE,
        "https://cdn.test",
        {
            "robots": robots_from_fetch(
                "https://cdn.test", 200, f"License: {IMAGE_LICENSE}".encode()
            )
        },
        None,
        ProbeView(IMAGE, "HEAD", 200, {}),
        {IMAGE_LICENSE: document},
    )
    (signal,) = FAMILY.image(ctx, env())
    assert signal.decision is Decision.UNKNOWN


def test_a_pages_html_is_read_once_for_all_its_image_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    import crawler.consent.rsl as rsl_module

    parsed: list[str] = []
    real_parse = rsl_module.parse_rsl

    def counting_parse(body: bytes | str, source: str) -> object:
        parsed.append(source)
        return real_parse(body, source)

    monkeypatch.setattr(rsl_module, "parse_rsl", counting_parse)
    inline = (
        '<script type="application/rsl+xml"><rsl xmlns="https://rslstandard.org/rsl">'
        '<content url="https://cdn.test/img/"><license><prohibits type="usage">ai-train'
        "</prohibits></license></content></rsl></script>"
    )
    page = page_ctx({}, head=inline)
    assert FAMILY.image is not None
    for _ in range(5):  # five rows of one page: one context, shared
        found = FAMILY.image(image_ctx(None, {}, page), env())
        assert [s.reason for s in found if s.decision is Decision.DISALLOW] == [
            "rsl:prohibits=ai-train"
        ]
    assert parsed == [f"inline:{PAGE}"]
    # Another page (a new context): read again.
    FAMILY.image(image_ctx(None, {}, page_ctx({}, head=inline)), env())
    assert len(parsed) == 2


def test_html_scan_remembers_the_last_tree_only() -> None:
    """``_html_scan`` answers a page's second read (discovery, then associations) from memory:
    the answer must be a fresh scan's for every tree, in any order of trees, and a caller
    changing the lists it got must not change the next answer."""
    import random

    from crawler.consent import rsl

    rsl_type = 'type="application/rsl+xml"'
    pieces = [
        f'<link rel="license" {rsl_type} href="/a.xml">',
        f'<link rel="LICENSE stylesheet" {rsl_type} href="b.xml">',
        '<link rel="license" href="/not-rsl.xml">',
        '<base href="http://other.test/dir/">',
        f"<script {rsl_type}><rsl><content url='/'/></rsl></script>",
        '<script type="text/javascript">x()</script>',
        "<p>text</p>",
    ]
    rng = random.Random(5)
    roots = []
    for _ in range(12):
        body = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 6)))
        roots.append(lxml.html.document_fromstring(f"<html><head>{body}</head><body/></html>"))
    for root in [rng.choice(roots) for _ in range(60)]:
        fresh = rsl._html_scan_tree(root)
        got = rsl._html_scan(root)
        assert got == fresh
        got[1].clear()  # the caller's own lists
        got[2].append("x")
        assert rsl._html_scan(root) == fresh
        assert html_rsl_links(root, "http://p.test/page") == rsl._links_of(
            fresh[1], fresh[0], "http://p.test/page"
        )
