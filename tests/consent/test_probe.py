"""The consent meaning of an image probe's outcome (crawler.consent.probe)."""

from __future__ import annotations

import pytest

from crawler.consent.probe import probe_signal
from crawler.consent.verdict import Decision

URL = "https://cdn.test/a.jpg"


def test_success_allows_and_records_the_request() -> None:
    signal = probe_signal(URL, "HEAD", 200)
    assert signal.decision is Decision.ALLOW and signal.value == "HEAD 200"
    assert probe_signal(URL, "GET", 206).decision is Decision.ALLOW  # ranged GET


def test_payment_required_is_not_permitted() -> None:
    assert probe_signal(URL, "HEAD", 402).reason == "probe:payment-required"
    # With the family switched off, a 402 is just a failed probe.
    relaxed = probe_signal(URL, "HEAD", 402, payment_required_refuses=False)
    assert relaxed.reason == "probe:failed"


@pytest.mark.parametrize(("status", "error"), [(503, None), (404, None), (None, "timeout")])
def test_failures_exclude_under_strict_and_stay_unknown_under_standard(
    status: int | None, error: str | None
) -> None:
    strict = probe_signal(URL, "HEAD", status, error)
    assert strict.reason == "probe:failed"
    standard = probe_signal(URL, "HEAD", status, error, failure_excludes=False)
    assert standard.decision is Decision.UNKNOWN and standard.value.startswith("failed:")


def test_our_own_robots_refusal_keeps_its_reason() -> None:
    signal = probe_signal(URL, "HEAD", None, "refused", ["robots:disallowed"])
    assert signal.reason == "robots:disallowed" and signal.family == "robots"
