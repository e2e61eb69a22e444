"""Cloudflare Content Signals (consent-signals.md §6): value parsing and the header verdict."""

from __future__ import annotations

import pytest

from crawler.consent.contentsignal import (
    ai_train_preference,
    content_signal_signal,
    parse_content_signal,
)
from crawler.consent.robots_ext import parse_robots_extensions
from crawler.consent.verdict import Decision

SRC = "https://example.com/robots.txt"


# --- digest §6 examples, verbatim -------------------------------------------------------------


def test_example_1_ai_train_no_excludes_even_though_crawling_is_allowed() -> None:
    # 1. `User-agent: *` / `Content-Signal: search=yes,ai-train=no` / `Allow: /`: crawling is
    #    allowed but training use is **excluded**.
    assert parse_content_signal("search=yes,ai-train=no") == {"search": "yes", "ai-train": "no"}
    signal = content_signal_signal(["search=yes,ai-train=no"], SRC)
    assert signal.decision is Decision.DISALLOW
    assert signal.reason == "content-signal:ai-train=no"
    assert signal.family == "content-signal"
    assert signal.source == SRC
    robots = parse_robots_extensions(
        "User-agent: *\nContent-Signal: search=yes,ai-train=no\nAllow: /\n", SRC
    )
    [from_robots] = robots.signals("/a.jpg", ["consentcrawl"])
    assert from_robots.decision is Decision.DISALLOW
    assert from_robots.reason == "content-signal:ai-train=no"


def test_example_2_ai_input_only_leaves_training_unknown() -> None:
    # 2. `Content-Signal: search=yes, ai-input=no`: ai-train is unknown, so include it unless
    #    other signals say otherwise.
    assert parse_content_signal("search=yes, ai-input=no") == {"search": "yes", "ai-input": "no"}
    assert content_signal_signal(["search=yes, ai-input=no"], SRC).decision is Decision.UNKNOWN


def test_example_3_use_level_is_recorded_but_does_not_decide() -> None:
    # 3. `use=reference` with `ai-train` absent: record it, but it does not decide training use.
    assert parse_content_signal("use=reference") == {"use": "reference"}
    signal = content_signal_signal(["search=yes, use=reference"], SRC)
    assert signal.decision is Decision.UNKNOWN
    assert "use=reference" in signal.value


# --- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("search=yes,ai-train=no", {"search": "yes", "ai-train": "no"}),
        ("  Search = YES ,  AI-Train=No ", {"search": "yes", "ai-train": "no"}),
        (
            "ai-input=no, ai-train=no, search=yes",
            {"ai-input": "no", "ai-train": "no", "search": "yes"},
        ),
        ("ai-train=no,,garbage, =x", {"ai-train": "no"}),
        ("", {}),
        ("ai-train=no, ai-train=yes", {"ai-train": "no"}),  # a conflict keeps the restriction
        ("ai-train=yes, ai-train=no", {"ai-train": "no"}),
    ],
)
def test_parse_content_signal(value: str, parsed: dict[str, str]) -> None:
    assert parse_content_signal(value) == parsed


@pytest.mark.parametrize(
    ("value", "expected"),
    [("ai-train=no", "no"), ("AI-TRAIN=YES", "yes"), ("ai-train=maybe", None), ("search=no", None)],
)
def test_ai_train_preference(value: str, expected: str | None) -> None:
    assert ai_train_preference(value) == expected


def test_yes_allows_and_maybe_is_unknown() -> None:
    allow = content_signal_signal(["search=yes,ai-train=yes"], SRC)
    assert allow.decision is Decision.ALLOW and allow.reason is None
    assert content_signal_signal(["ai-train=maybe"], SRC).decision is Decision.UNKNOWN


def test_several_values_combine_most_restrictively() -> None:
    signal = content_signal_signal(["ai-train=yes", "ai-input=no", "AI-Train=No"], SRC)
    assert signal.decision is Decision.DISALLOW
    assert signal.value == "AI-Train=No"
    assert content_signal_signal([], SRC).decision is Decision.UNKNOWN
