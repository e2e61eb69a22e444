"""Google's robots.txt test suite (RFC 9309 reference parser), ported as data.

See tests/data/google_robotstxt/PROVENANCE.md. RFC 9309 cases must give Google's answer;
Google-only cases give Google's answer too unless the case records our own ``expect`` and why.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.consent.robotstxt import parse_robots_txt

CASES = json.loads(
    (Path(__file__).parents[1] / "data" / "google_robotstxt" / "cases.json").read_text("utf-8")
)


def _id(case: dict) -> str:
    return f"{case['scope']}:{case['test']}:{case['user_agent']}:{case['url'][:60]}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_google_suite_case(case: dict) -> None:
    robots = parse_robots_txt(case["robotstxt"])
    expected = case.get("expect", case["google"])
    assert robots.allowed(case["url"], case["user_agent"]) is expected, case.get("why", "")


def test_suite_shape() -> None:
    by_scope = {"rfc9309": 0, "google-only": 0}
    for case in CASES:
        by_scope[case["scope"]] += 1
        if "expect" in case:
            # A divergence from Google is a Google-only behaviour, and is explained.
            assert case["scope"] == "google-only" and case["why"], case
    assert by_scope == {"rfc9309": 83, "google-only": 79}
