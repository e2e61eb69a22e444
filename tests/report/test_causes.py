"""Refused (a site said no) is kept apart from unverifiable (could not check)."""

from __future__ import annotations

import pytest

from crawler.consent.verdict import CONSENT_FAMILIES, FAMILIES
from crawler.report.causes import CAUSES, cause_of, count_causes, row_cause


@pytest.mark.parametrize(
    ("reason", "cause"),
    [
        ("robots:disallowed", "refused"),
        ("robots:ai-token=GPTBot", "refused"),
        ("ai-token:GPTBot", "refused"),
        ("robots:disallow-ai-training", "refused"),
        ("aitxt:disallowed", "refused"),
        ("tdmrep:reserved", "refused"),
        ("xrobots:noai", "refused"),
        ("meta-robots:noimageai", "refused"),
        ("aipref:train-ai=n", "refused"),
        ("content-signal:ai-train=no", "refused"),
        ("iptc:data-mining=DMI-PROHIBITED", "refused"),
        ("probe:payment-required", "refused"),
        ("robots:unreachable", "unverifiable"),
        ("tdmrep:unreadable", "unverifiable"),
        ("aitxt:unreadable", "unverifiable"),
        ("fetch:dns", "unverifiable"),
        ("fetch:timeout", "unverifiable"),
        ("fetch:http-503", "unverifiable"),
        ("fetch:error=ConnectionRefusedError", "unverifiable"),
        ("probe:failed", "unverifiable"),
        ("replay:not-archived", "unverifiable"),
        ("caption:missing", "quality"),
        ("quality:too-small", "quality"),
        ("license:none", "license"),
        ("license:not-allowed=CC-BY-NC-4.0", "license"),
        ("input:invalid-url", "input"),
        ("address:non-public", "input"),
        ("fetch:out-of-scope", "scope"),
        ("something-new:odd", "other"),
        ("no-colon", "other"),
    ],
)
def test_cause_of(reason: str, cause: str) -> None:
    assert cause_of(reason) == cause
    assert cause in CAUSES


def test_a_refusal_outranks_a_failure_and_quality() -> None:
    assert row_cause(["caption:missing", "robots:unreachable", "tdmrep:reserved"]) == "refused"
    assert row_cause(["caption:missing", "robots:unreachable"]) == "unverifiable"
    assert row_cause(["caption:missing"]) == "quality"
    assert row_cause([]) == "other"


def test_count_causes_counts_each_row_once_in_cause_order() -> None:
    rows = [["robots:disallowed", "fetch:dns"], ["fetch:dns"], ["input:invalid-url"]]
    counts = count_causes(rows)
    assert counts == {"refused": 1, "unverifiable": 1, "input": 1}
    assert list(counts) == ["refused", "unverifiable", "input"]
    assert sum(counts.values()) == len(rows)


def test_every_declared_family_has_a_cause() -> None:
    # verdict.FAMILIES is the one declaration: a family added there must be classified here.
    for family in FAMILIES:
        assert cause_of(f"{family}:some-detail") != "other", family
    for family in CONSENT_FAMILIES:
        assert cause_of(f"{family}:disallow") == "refused", family
        assert cause_of(f"{family}:unreachable") == "unverifiable", family
