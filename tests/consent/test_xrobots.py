"""X-Robots-Tag and meta robots (consent-signals.md §4)."""

from __future__ import annotations

import pytest

from crawler.consent.verdict import Decision, Signal, combine
from crawler.consent.xrobots import meta_robots_signals, xrobots_signals
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
