"""The policy engine: presets, per-family switches, and most-restrictive combination."""

from __future__ import annotations

import pytest

from crawler.consent.policy import FAMILY_SETTINGS, Policy, PolicyError
from crawler.consent.verdict import Decision, PageVerdict, Signal, combine, reasons_of


def policy(**settings: object) -> Policy:
    return Policy.from_settings(settings.get)


def test_strict_is_the_default() -> None:
    p = policy()
    assert p.name == "strict"
    assert p.families == frozenset(FAMILY_SETTINGS)
    assert p.noindex_excludes and p.probe_failure_excludes
    assert p.probe == "head"


def test_standard_and_robots_only() -> None:
    standard = policy(CONSENT_POLICY="standard")
    # every switch but strict's refusal of a constrained C2PA training-mining entry
    assert standard.families == frozenset(FAMILY_SETTINGS) - {"c2pa-constrained"}
    assert not standard.noindex_excludes and not standard.probe_failure_excludes
    robots_only = policy(CONSENT_POLICY="robots-only")
    assert robots_only.families == frozenset()
    assert robots_only.probe == "off"


def test_family_switches_override_the_preset() -> None:
    p = policy(AITXT_ENABLED=False, TDMREP_ENABLED="false")
    assert not p.enabled("aitxt") and not p.enabled("tdmrep") and p.enabled("xrobots")
    p = policy(CONSENT_POLICY="robots-only", XROBOTS_ENABLED=True, IMAGE_PROBE="head")
    assert p.families == {"xrobots"} and p.probe == "head"
    assert policy(NOINDEX_EXCLUDES=False).noindex_excludes is False
    assert policy(CONSENT_POLICY="standard", PROBE_FAILURE_EXCLUDES="1").probe_failure_excludes


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"CONSENT_POLICY": "lenient"}, "CONSENT_POLICY='lenient'"),
        ({"IMAGE_PROBE": "get"}, "IMAGE_PROBE='get'"),
        ({"AITXT_ENABLED": "maybe"}, "AITXT_ENABLED='maybe'"),
    ],
)
def test_bad_values_name_the_setting(settings: dict, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        Policy.from_settings(settings.get)


def test_combine_is_most_restrictive() -> None:
    allow = Signal.allow("robots")
    unknown = Signal.unknown("aitxt")
    deny = Signal.disallow("tdmrep", "reserved", "https://h/.well-known/tdmrep.json", "1")
    assert combine([]) is Decision.UNKNOWN
    assert combine([unknown]) is Decision.UNKNOWN
    assert combine([unknown, allow]) is Decision.ALLOW
    assert combine([allow, deny, unknown]) is Decision.DISALLOW
    assert reasons_of([allow, deny, deny, unknown]) == ["tdmrep:reserved"]


def test_signal_record_truncates_raw_values() -> None:
    signal = Signal.disallow("xrobots", "noai", "header:https://h/a.jpg", "x" * 1000)
    record = signal.as_record()
    assert record["verdict"] == "disallow" and len(record["value"]) == 200


def test_page_verdict_decides_rows() -> None:
    page = PageVerdict([Signal.unknown("aitxt", "a"), Signal.disallow("meta-robots", "noai")])
    reasons, records = page.row(["caption:missing"], [Signal.allow("robots")])
    assert reasons == ["caption:missing", "meta-robots:noai"]
    assert [r["family"] for r in records] == ["aitxt", "meta-robots", "robots"]
    clean = PageVerdict([Signal.unknown("aitxt")])
    assert clean.row([], [Signal.allow("robots"), Signal.unknown("probe")])[0] == []
    deny = Signal.disallow("robots", "ai-token=GPTBot")
    assert PageVerdict([deny]).row([], [deny])[0] == ["robots:ai-token=GPTBot"]  # once


def test_unreadable_documents_exclude_under_strict_only() -> None:
    assert policy().unreadable_excludes
    assert not policy(CONSENT_POLICY="standard").unreadable_excludes
    assert policy(CONSENT_POLICY="standard", UNREADABLE_EXCLUDES="true").unreadable_excludes
    assert policy().describe()["unreadable_excludes"] is True
