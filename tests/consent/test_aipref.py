"""IETF AIPREF Content-Usage header (consent-signals.md §5)."""

from __future__ import annotations

import pytest

from crawler.consent.aipref import (
    content_usage_signal,
    parse_content_usage,
    parse_content_usage_lenient,
    train_ai_preference,
)
from crawler.consent.verdict import Decision

SRC = "header:https://cdn.example/a.jpg"


# --- digest §5 examples (header ones; the robots.txt ones are in test_robots_ext.py) ----------


def test_example_1_content_usage_train_ai_n_excludes() -> None:
    # 1. Image response with `Content-Usage: train-ai=n`: **exclude**.
    signal = content_usage_signal(["train-ai=n"], SRC)
    assert signal.decision is Decision.DISALLOW
    assert signal.reason == "aipref:train-ai=n"
    assert signal.family == "aipref"
    assert signal.source == SRC
    assert signal.value == "train-ai=n"


def test_example_3_uppercase_key_is_a_parse_failure() -> None:
    # 3. `Content-Usage: Train-AI=n`: per spec a parse failure, so unknown. Recommend logging it
    #    and treating it as `n` in conservative mode.
    assert parse_content_usage("Train-AI=n") is None
    strict = content_usage_signal(["Train-AI=n"], SRC, conservative=False)
    assert strict.decision is Decision.UNKNOWN
    conservative = content_usage_signal(["Train-AI=n"], SRC)
    assert conservative.decision is Decision.DISALLOW
    assert conservative.reason == "aipref:train-ai=n"


@pytest.mark.parametrize("label", ["ai", "genai", "train-genai", "tdm", "all", "bots"])
def test_example_4_legacy_labels(label: str) -> None:
    # 4. Legacy `Content-Usage: ai=n` or `train-genai=n`: per spec an unknown label, so unknown.
    #    Recommend mapping `ai`, `genai`, `train-genai`, `tdm`, `all` and `bots` set to `n` onto
    #    `train-ai=n`.
    value = f"{label}=n"
    assert parse_content_usage(value) == {label: "n"}
    assert content_usage_signal([value], SRC, conservative=False).decision is Decision.UNKNOWN
    assert content_usage_signal([value], SRC).decision is Decision.DISALLOW
    # a legacy "y" never allows
    assert content_usage_signal([f"{label}=y"], SRC).decision is Decision.UNKNOWN


# --- strict parsing (RFC 9651 dictionary) -----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("train-ai=n", {"train-ai": "n"}),
        ("train-ai=n, search=y", {"train-ai": "n", "search": "y"}),
        ("train-ai=y;reason=1", {"train-ai": "y"}),  # parameters ignored
        ("train-ai=n, train-ai=y", {"train-ai": "y"}),  # duplicate key: last wins
        ('train-ai="n"', {}),  # string, not a token: unknown
        ("train-ai", {}),  # bare key = boolean true: unknown
        ("train-ai=?0", {}),
        ("future-label=n", {"future-label": "n"}),
        ("", {}),
    ],
)
def test_parse_content_usage(value: str, parsed: dict[str, str]) -> None:
    assert parse_content_usage(value) == parsed


@pytest.mark.parametrize("value", ["Train-AI=n", "train-ai=n,,", "train-ai=n;", "tråin=n", "=n"])
def test_parse_failures(value: str) -> None:
    assert parse_content_usage(value) is None


def test_parse_returns_a_fresh_dict() -> None:
    first = parse_content_usage("train-ai=n")
    assert first is not None
    first["train-ai"] = "y"
    assert parse_content_usage("train-ai=n") == {"train-ai": "n"}


def test_lenient_parse() -> None:
    assert parse_content_usage_lenient('Train-AI = "N" ; x=1, Search=Y') == {
        "train-ai": "n",
        "search": "y",
    }


# --- decisions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "conservative", "expected"),
    [
        ("train-ai=y", True, "y"),
        ("train-ai=y, search=n", True, "y"),
        ("search=n", True, None),
        ("train-ai=n, train-ai=y", False, "y"),  # spec: last wins within one field value
        ("train-genai=n, train-ai=y", True, "n"),  # conservative: legacy n is restrictive
        ("train-genai=n, train-ai=y", False, "y"),
        ("Train-AI=y", True, None),  # a malformed allow is never an allow
        ("garbage(", True, None),
    ],
)
def test_train_ai_preference(value: str, conservative: bool, expected: str | None) -> None:
    assert train_ai_preference(value, conservative) == expected


def test_train_ai_y_allows() -> None:
    signal = content_usage_signal(["train-ai=y, search=y"], SRC)
    assert signal.decision is Decision.ALLOW
    assert signal.reason is None
    assert signal.value == "train-ai=y, search=y"


def test_instances_combine_most_restrictively() -> None:
    signal = content_usage_signal(["train-ai=y", "search=y", "train-ai=n"], SRC)
    assert signal.decision is Decision.DISALLOW
    assert signal.value == "train-ai=n"
    assert content_usage_signal(["search=n", "train-ai=y"], SRC).decision is Decision.ALLOW


def test_no_or_irrelevant_header_is_unknown() -> None:
    assert content_usage_signal([], SRC).decision is Decision.UNKNOWN
    unknown = content_usage_signal(["search=n"], SRC)
    assert unknown.decision is Decision.UNKNOWN
    assert unknown.value == "search=n"
