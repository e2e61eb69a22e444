"""The counts both writers share (crawler.output.counts) and the row model (crawler.records)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.consent.verdict import Signal
from crawler.extract import Candidate
from crawler.items import candidate_row
from crawler.licenses.choose import LicenseChoice
from crawler.output.counts import RowCounts, consent_fetch_counts
from crawler.records import LICENSE_COLUMNS, CandidateRow, license_columns


def test_rows_are_counted_by_reason_family_cause_and_licence() -> None:
    counts = RowCounts()
    counts.add_kept("CC-BY-4.0")
    counts.add_kept(None)
    assert counts.add_excluded(["robots:disallowed", "robots:ai-token=GPTBot"]) == ["robots"]
    counts.add_excluded(["quality:tracker"])
    counts.add_excluded(["aitxt:unreachable", "quality:small"])
    counts.add_excluded(["fetch:timeout"], page=True)
    assert (counts.kept, counts.excluded, counts.pages_excluded, counts.candidates) == (2, 3, 1, 5)
    assert counts.families == {"robots": 1, "quality": 2, "aitxt": 1, "fetch": 1}
    assert counts.reasons["robots:disallowed"] == 1 and counts.reasons["quality:small"] == 1
    # each excluded row once, pages included; the first cause in CAUSES order wins
    assert counts.by_cause() == {"refused": 1, "unverifiable": 2, "quality": 1}
    # image rows only: consent apart from quality, a row in both counted in both
    assert counts.overlap == {
        "consent": 2,
        "refused": 1,
        "unverifiable": 1,
        "quality": 2,
        "quality_only": 1,
    }
    assert counts.manifest_counts()["rows_by_license"] == {"CC-BY-4.0": 1}


def test_a_batch_record_survives_the_resume_state_and_sums() -> None:
    one = RowCounts()
    one.add_kept("CC0-1.0")
    one.add_excluded(["tdmrep:reserved"])
    record = json.loads(json.dumps(one.batch_record()))  # as RegenState stores it
    assert set(record) == {"kept", "excluded", "reasons", "families", "causes", "licenses"}
    two = RowCounts.from_batch_record(record)
    total = sum((two, RowCounts.from_batch_record(record)), RowCounts())
    assert total.manifest_counts() == {
        "kept": 2,
        "excluded": 2,
        "excluded_by_family": {"tdmrep": 2},
        "excluded_by_reason": {"tdmrep:reserved": 2},
        "excluded_by_cause": {"refused": 2},
        "rows_by_license": {"CC0-1.0": 2},
    }


def test_a_batch_record_of_an_older_state_without_causes_reads() -> None:
    record = {"kept": 1, "excluded": 0, "reasons": {}, "families": {}, "licenses": {}}
    assert RowCounts.from_batch_record(record).by_cause() == {}


def test_consent_fetch_counts_read_the_stats() -> None:
    stats = {
        "consent/documents_fetched": 3,
        "consent/documents_fetched/robots": 2,
        "consent/documents_fetched/aitxt": 1,
        "consent/probes": 4,
    }
    assert consent_fetch_counts(stats) == {
        "consent_documents_fetched": {"robots": 2, "aitxt": 1},
        "consent_probes": 4,
    }


def test_licence_columns_are_null_when_detection_did_not_run() -> None:
    assert license_columns(None) == dict.fromkeys(LICENSE_COLUMNS)
    columns = license_columns(LicenseChoice(license="CC-BY-4.0", license_scope="page"))
    assert columns["license"] == "CC-BY-4.0" and columns["license_scope"] == "page"
    assert columns["license_source"] is None and columns["license_conflict"] is False


def test_a_row_is_refused_by_a_reason_or_a_disallowing_signal() -> None:
    row = CandidateRow("http://a.test/x.png", "http://a.test")
    assert not row.refused()
    row.signals.append(Signal.allow("robots", "http://a.test/robots.txt"))
    assert not row.refused()
    row.signals.append(Signal.disallow("aitxt", "disallowed", "http://a.test/ai.txt"))
    assert row.refused()
    assert CandidateRow("x", None, reasons=["input:invalid-url"]).refused()


def test_an_extracted_row_keeps_its_candidate_and_an_input_row_has_none() -> None:
    found = Candidate(url="http://a.test/x.png", caption="alt text", width=10)
    row = candidate_row(found)
    assert row.extracted is found and row.caption_source == "alt" and row.origin == "http://a.test"
    assert (
        CandidateRow("http://a.test/y.png", "http://a.test", "caption", input_row=3).extracted
        is None
    )


def _reference_add_excluded(counts: RowCounts, reasons: list[str], page: bool) -> list[str]:
    """RowCounts.add_excluded before it classified each list of reasons once."""
    from crawler.output.counts import NOT_CONSENT_FAMILIES, reason_families
    from crawler.report.causes import row_cause

    families = reason_families(reasons)
    if page:
        counts.pages_excluded += 1
    else:
        counts.excluded += 1
        kinds = set(families)
        if kinds - NOT_CONSENT_FAMILIES:
            counts.overlap["consent"] += 1
            consent = [r for r in reasons if r.split(":", 1)[0] not in NOT_CONSENT_FAMILIES]
            cause = row_cause(consent)
            if cause in ("refused", "unverifiable"):
                counts.overlap[cause] += 1
        if "quality" in kinds:
            counts.overlap["quality"] += 1
            if kinds == {"quality"}:
                counts.overlap["quality_only"] += 1
        if "caption" in kinds:
            counts.overlap["caption"] += 1
    counts.causes[row_cause(reasons)] += 1
    counts.families.update(families)
    counts.reasons.update(reasons)
    return families


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.lists(
                st.sampled_from(
                    [
                        "robots:disallowed",
                        "robots:unreachable",
                        "robots:ai-token=GPTBot",
                        "aitxt:unreachable",
                        "tdmrep:reserved",
                        "quality:tracker",
                        "quality:small",
                        "caption:missing",
                        "provenance:ai-generated",
                        "fetch:timeout",
                        "input:invalid-url",
                        "license:not-allowed",
                    ]
                ),
                min_size=1,
                max_size=4,
            ),
            st.booleans(),
        ),
        max_size=30,
    ),
    size=st.sampled_from([2, 4096]),
)
def test_classifying_each_list_of_reasons_once_counts_the_same(
    rows: list[tuple[list[str], bool]], size: int
) -> None:
    from crawler.output import counts as counts_module

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(counts_module, "_CLASSIFIED_SIZE", size)
        counts_module._CLASSIFIED.clear()
        fast, reference = RowCounts(), RowCounts()
        for reasons, page in rows + rows:  # every list twice: the second from the memo
            returned = fast.add_excluded(reasons, page=page)
            assert returned == _reference_add_excluded(reference, reasons, page)
            returned.append("mutated")  # a caller's list is its own
        assert fast == reference
        assert list(fast.overlap) == list(reference.overlap)
        assert len(counts_module._CLASSIFIED) <= size


def test_candidate_rows_of_a_repeated_url_are_the_same_and_their_own() -> None:
    # candidate_row judges each URL once (crawler.items._TARGETS): a repeated URL gets the
    # same origin, reasons and signals, in lists of its own; another address policy is asked.
    from crawler import items
    from crawler.netguard import PUBLIC_ONLY, AddressPolicy

    urls = [
        "http://img.test/a.jpg",
        "http://127.0.0.1/a.jpg",
        "http://localhost/a.jpg",
        "http://[::1/a.jpg",
        "http://10.1.2.3/x.png",
    ]
    opened = AddressPolicy.from_cidrs(["127.0.0.0/8", "10.0.0.0/8"])
    for policy in (PUBLIC_ONLY, opened, PUBLIC_ONLY):
        for url in urls:
            items._TARGETS.clear()
            fresh = candidate_row(Candidate(url=url, caption="c"), policy)
            first = candidate_row(Candidate(url=url, caption="c"), policy)
            again = candidate_row(Candidate(url=url, caption="c"), policy)
            assert (first.origin, first.reasons, first.signals) == (
                fresh.origin,
                fresh.reasons,
                fresh.signals,
            )
            assert (again.origin, again.reasons, again.signals) == (
                fresh.origin,
                fresh.reasons,
                fresh.signals,
            )
            first.reasons.append("quality:small")
            first.signals.append(Signal.allow("x", "s"))
            assert again.reasons == fresh.reasons and again.signals == fresh.signals
    items._TARGETS.clear()
    public = candidate_row(Candidate(url="http://127.0.0.1/a.jpg", caption="c"))
    allowed = candidate_row(Candidate(url="http://127.0.0.1/a.jpg", caption="c"), opened)
    assert public.origin is None and allowed.origin == "http://127.0.0.1"
