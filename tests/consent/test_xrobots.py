"""X-Robots-Tag and meta robots (consent-signals.md §4)."""

from __future__ import annotations

import pytest

from crawler.consent.verdict import Decision, Signal, combine
from crawler.consent.xrobots import (
    header_signals,
    meta_robots_signals,
    robots_tag_rules,
    xrobots_signals,
)
from tests.corpus import CORPUS

AI_TOKENS = ("CCBot", "GPTBot", "img2dataset", "LAIONDownloader")
SRC = "header:https://cdn.example/a.jpg"
PAGE_SRC = "meta:https://example.com/page"


def xr(*values: str, strict: bool = True) -> list[Signal]:
    return xrobots_signals(
        list(values), our_token="consentcrawl", ai_tokens=AI_TOKENS, strict=strict, source=SRC
    )


def reasons(signals: list[Signal]) -> list[str | None]:
    return [s.reason for s in signals]


def meta(mapping: dict[str, list[str]], strict: bool = True) -> list[Signal]:
    return meta_robots_signals(
        mapping, our_token="consentcrawl", ai_tokens=AI_TOKENS, strict=strict, source=PAGE_SRC
    )


# --- digest §4 examples, verbatim -------------------------------------------------------------


def test_example_1_noai_on_image_response_excludes() -> None:
    # 1. Image response with `X-Robots-Tag: noai`: **exclude**.
    signals = xr("noai")
    assert reasons(signals) == ["xrobots:noai"]
    assert signals[0].decision is Decision.DISALLOW
    assert signals[0].family == "xrobots"
    assert signals[0].source == SRC
    assert signals[0].value == "noai"


def test_example_2_googlebot_scoped_noimageai_is_not_for_us() -> None:
    # 2. `X-Robots-Tag: googlebot: noimageai`: not addressed to us, so unknown.
    signals = xr("googlebot: noimageai")
    assert len(signals) == 1
    assert signals[0].decision is Decision.UNKNOWN
    assert signals[0].reason is None


def test_example_3_meta_robots_noimageai_excludes() -> None:
    # 3. Page containing `<meta name="robots" content="noimageai">`: **exclude** all image rows
    #    from that page.
    signals = meta({"robots": ["noimageai"]})
    assert reasons(signals) == ["meta-robots:noimageai"]
    assert signals[0].family == "meta-robots"
    assert signals[0].source == PAGE_SRC


def test_example_4_noindex_is_case_insensitive_in_strict_mode() -> None:
    # 4. Image response with `X-Robots-Tag: NoIndex`: img2dataset excludes it (it lowercases).
    assert reasons(xr("NoIndex", strict=True)) == ["xrobots:noindex"]
    assert combine(xr("NoIndex", strict=False)) is Decision.UNKNOWN


# --- header parsing ---------------------------------------------------------------------------


def test_several_instances_are_merged_one_signal_per_directive() -> None:
    signals = xr("noindex, nofollow", "NOAI", "noimageai, noai")
    assert reasons(signals) == ["xrobots:noindex", "xrobots:noai", "xrobots:noimageai"]
    assert signals[1].value == "NOAI"


@pytest.mark.parametrize("directive", ["noindex", "noimageindex", "none"])
def test_strict_only_directives(directive: str) -> None:
    assert reasons(xr(directive, strict=True)) == [f"xrobots:{directive}"]
    assert reasons(xr(directive, strict=False)) == [None]


@pytest.mark.parametrize(
    "value",
    [
        "robots: noai",
        "consentcrawl: noai",
        "ConsentCrawl:noai",
        "CCBot: noai",
        "gptbot : noai, nofollow",
        "img2dataset: noai",
    ],
)
def test_honoured_ua_prefixes(value: str) -> None:
    assert reasons(xr(value)) == ["xrobots:noai"]


@pytest.mark.parametrize(
    "value", ["googlebot: noai", "bingbot: noimageai, noai", "Googlebot-Image: noindex"]
)
def test_other_crawlers_prefixes_are_ignored(value: str) -> None:
    assert combine(xr(value)) is Decision.UNKNOWN


def test_scoped_instance_does_not_hide_other_instances() -> None:
    assert reasons(xr("googlebot: noindex", "noimageai")) == ["xrobots:noimageai"]


@pytest.mark.parametrize(
    "value",
    [
        "unavailable_after: 2025-01-01, noai",
        "unavailable_after: Friday, 25-Jun-2010 15:00:00 PST, noai",
        "max-snippet:20, noai",
        "max-image-preview:large, noai",
        "noai, max-video-preview:-1",
    ],
)
def test_colon_bearing_values_are_not_ua_prefixes(value: str) -> None:
    assert reasons(xr(value)) == ["xrobots:noai"]


def test_unavailable_after_alone_is_unknown() -> None:
    assert combine(xr("unavailable_after: 2025-01-01")) is Decision.UNKNOWN


def test_prefix_scopes_items_that_follow_in_the_same_instance() -> None:
    assert reasons(xr("noimageai, googlebot: noai")) == ["xrobots:noimageai"]
    assert reasons(xr("googlebot: noindex, consentcrawl: noai")) == ["xrobots:noai"]


def test_harmless_directives_and_empty_input() -> None:
    assert combine(xr("all", "index, follow", "nofollow, noarchive")) is Decision.UNKNOWN
    assert combine(xr()) is Decision.UNKNOWN
    assert combine(xr("", " , ")) is Decision.UNKNOWN


def test_ai_tokens_accept_any_sequence_type() -> None:
    signals = xrobots_signals(
        ["ccbot: noai"], our_token="x", ai_tokens=["CCBot"], strict=False, source=SRC
    )
    assert reasons(signals) == ["xrobots:noai"]


# --- meta robots ------------------------------------------------------------------------------


def test_meta_names_considered() -> None:
    assert reasons(meta({"consentcrawl": ["noai"]})) == ["meta-robots:noai"]
    assert reasons(meta({"gptbot": ["noimageai"]})) == ["meta-robots:noimageai"]
    assert combine(meta({"googlebot": ["noai"]})) is Decision.UNKNOWN
    assert combine(meta({"description": ["noai"]})) is Decision.UNKNOWN


def test_meta_tags_aggregate_and_are_case_insensitive() -> None:
    signals = meta({"robots": ["index, follow", "NoImageIndex", "NOAI"]})
    assert set(reasons(signals)) == {"meta-robots:noimageindex", "meta-robots:noai"}


def test_meta_strict_switch() -> None:
    assert reasons(meta({"robots": ["noindex, nofollow"]}, strict=True)) == ["meta-robots:noindex"]
    assert combine(meta({"robots": ["noindex, nofollow"]}, strict=False)) is Decision.UNKNOWN
    assert reasons(meta({"robots": ["none"]}, strict=True)) == ["meta-robots:none"]


def test_meta_empty() -> None:
    signals = meta({})
    assert len(signals) == 1 and signals[0].decision is Decision.UNKNOWN
    assert signals[0].family == "meta-robots"


def test_meta_on_real_pages_with_noindex() -> None:
    """Pages of shared/corpus/html-pages flagged with a noindex robots meta in features.tsv."""
    features = CORPUS / "html-pages" / "features.tsv"
    if not features.is_file():
        pytest.skip(f"shared corpus not available: {features}")
    from lxml import html

    header, *rows = features.read_text().splitlines()
    columns = header.split("\t")
    robots_col = next(i for i, name in enumerate(columns) if "robots" in name)
    checked = 0
    for row in rows:
        cells = row.split("\t")
        if "noindex" not in cells[robots_col].lower():
            continue
        doc = html.fromstring((CORPUS / "html-pages" / cells[0]).read_bytes())
        found: dict[str, list[str]] = {}
        for element in doc.iter("meta"):
            name = (element.get("name") or "").lower()
            if name:
                found.setdefault(name, []).append(element.get("content") or "")
        if not found.get("robots"):
            continue  # the flag came from a crawler-specific name such as googlebot
        assert "meta-robots:noindex" in reasons(meta(found, strict=True))
        assert combine(meta(found, strict=False)) is Decision.UNKNOWN
        checked += 1
    assert checked > 0


# --- noml (noml.info; img2dataset#365) ---------------------------------------------------------


def test_noml_header_and_meta_exclude_under_every_mode() -> None:
    for strict in (True, False):
        assert reasons(xr("noml", strict=strict)) == ["xrobots:noml"]
        assert reasons(meta({"robots": ["NoML"]}, strict=strict)) == ["meta-robots:noml"]
    assert reasons(xr("googlebot: noml")) == [None]  # addressed to someone else
    assert reasons(meta({"gptbot": ["index, noml"]})) == ["meta-robots:noml"]


# --- Robots-Tag (draft-illyes-repext) ----------------------------------------------------------


def rt(*values: str, strict: bool = True, xrobots: tuple[str, ...] = ()) -> list[Signal]:
    return xrobots_signals(
        list(xrobots),
        our_token="consentcrawl",
        ai_tokens=AI_TOKENS,
        strict=strict,
        source=SRC,
        robots_tag=list(values),
    )


def test_draft_example_star_rules_apply_to_us() -> None:
    # draft-illyes-repext §"HTTP Response Header": "noindex and nosnippet rules for all
    # accessors, however specifies no rules for the product token ExampleBot". The example's
    # trailing ";" is not valid RFC 9651 syntax, so the tolerant reader takes it.
    signals = rt("*;noindex;nosnippet, ExampleBot;")
    assert reasons(signals) == ["xrobots:noindex"]
    assert signals[0].value == "Robots-Tag: *;noindex;nosnippet, ExampleBot;"
    assert signals[0].family == "xrobots"
    assert reasons(rt("*;noindex;nosnippet, ExampleBot;", strict=False)) == [None]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("*;noai", ["xrobots:noai"]),
        ("*;noai;noimageai", ["xrobots:noai", "xrobots:noimageai"]),
        ("consentcrawl;noml", ["xrobots:noml"]),
        ("GPTBot;noimageai", ["xrobots:noimageai"]),  # one of the AI tokens we honour
        ("ExampleBot;noai", [None]),  # for another crawler
        ("ExampleBot;noai, *;noimageai", ["xrobots:noimageai"]),
        ("robots;noai", ["xrobots:noai"]),
        ("*;noai=?0", [None]),  # explicitly off
        ("*;noai=?1", ["xrobots:noai"]),
        ("*;noai=yes", ["xrobots:noai"]),  # any other value counts (restrictive)
        ("*;max-snippet=20", [None]),
        ("(GPTBot consentcrawl);noai", [None]),  # an Inner List is no product token
    ],
)
def test_robots_tag_members(value: str, expected: list[str | None]) -> None:
    assert reasons(rt(value)) == expected


def test_parameters_of_repeated_tokens_merge() -> None:
    # "If a product token appears multiple times in the field, the Parameters from all
    # instances MUST be merged" - here across two field lines.
    assert reasons(rt("consentcrawl;noai", "consentcrawl;noimageai")) == [
        "xrobots:noai",
        "xrobots:noimageai",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("noai", ["xrobots:noai"]),
        ("NOAI", ["xrobots:noai"]),
        ("noindex, noai", ["xrobots:noindex", "xrobots:noai"]),
        ("noai;nosnippet", ["xrobots:noai"]),
        ("noml;noai", ["xrobots:noml", "xrobots:noai"]),
        ("none", ["xrobots:none"]),
    ],
)
def test_a_bare_directive_applies_to_every_crawler(value: str, expected: list[str]) -> None:
    # The X-Robots-Tag habit: a directive as the list member. Read restrictively (issue 14).
    assert reasons(rt(value)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('noai;bots="GPTBot"', ["xrobots:noai"]),
        ('noai;bots="Googlebot CCBot"', ["xrobots:noai"]),
        ('noai;bots="Googlebot, Bingbot"', [None]),
        ("noai;bots=googlebot", [None]),
        ('noai;bots="*"', ["xrobots:noai"]),
    ],
)
def test_a_bots_parameter_scopes_a_bare_directive(value: str, expected: list[str | None]) -> None:
    assert reasons(rt(value)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("*;NoAI", ["xrobots:noai"]),  # uppercase key: not RFC 9651, read tolerantly
        ("* ; noai ; noimageai", ["xrobots:noai", "xrobots:noimageai"]),
        ('ExampleBot;note="a, b;c", *;noml', ["xrobots:noml"]),  # quotes respected
        ("googlebot: noai", [None]),  # Google's X-Robots-Tag syntax, for another crawler
        ("consentcrawl: noai", ["xrobots:noai"]),
        ("noai,", ["xrobots:noai"]),  # trailing comma
    ],
)
def test_malformed_values_are_read_restrictively(value: str, expected: list[str | None]) -> None:
    assert reasons(rt(value)) == expected


def test_several_field_lines_and_both_header_names() -> None:
    signals = rt("ExampleBot;noai", "*;noimageai", xrobots=("noai",))
    assert reasons(signals) == ["xrobots:noai", "xrobots:noimageai"]
    assert signals[0].value == "noai"  # X-Robots-Tag evidence first
    assert signals[1].value == "Robots-Tag: *;noimageai"


def test_robots_tag_syntax_under_the_old_name() -> None:
    assert reasons(xr("*;noai")) == ["xrobots:noai"]
    assert reasons(xr("GPTBot;noimageai, ExampleBot;noml")) == ["xrobots:noimageai"]
    assert reasons(xr("ExampleBot;noai")) == [None]


def test_no_robots_tag_is_unknown() -> None:
    assert reasons(rt()) == [None]
    assert reasons(rt("", "ExampleBot;")) == [None]


def test_parse_limit_keeps_the_first_64_kib() -> None:
    padding = ", ".join(f"bot{i};nosnippet" for i in range(6000))  # ~100 KB
    assert reasons(rt(f"*;noai, {padding}")) == ["xrobots:noai"]
    assert reasons(rt(f"{padding}, *;noai")) == [None]  # beyond the limit: not read


def test_header_signals_reads_both_fields() -> None:
    headers = {"robots-tag": ["*;noml"], "x-robots-tag": ["noimageai"], "content-type": ["x"]}
    signals = header_signals(
        headers, our_token="consentcrawl", ai_tokens=AI_TOKENS, strict=False, source=SRC
    )
    assert reasons(signals) == ["xrobots:noimageai", "xrobots:noml"]
    none = header_signals({}, our_token="consentcrawl", ai_tokens=(), strict=True, source=SRC)
    assert reasons(none) == [None]


def test_robots_tag_rules_helper() -> None:
    honoured = frozenset({"robots", "consentcrawl"})
    assert robots_tag_rules("*;noindex;nosnippet, ExampleBot;", honoured) == [
        "noindex",
        "nosnippet",
    ]
    assert robots_tag_rules("consentcrawl;max-snippet=20;noarchive", honoured) == [
        "max-snippet",
        "noarchive",
    ]
