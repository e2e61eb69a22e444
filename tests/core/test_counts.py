"""The counts both writers share (crawler.output.counts) and the row model (crawler.records)."""

from __future__ import annotations

import json

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


def test_counting_a_batch_at_once_is_counting_row_by_row() -> None:
    """``add_excluded_rows`` (the regeneration writer: rows with the same reasons counted at
    once) gives the counts and the orders of ``add_excluded`` row by row (the manifest lists
    reasons by count, ties in first-seen order)."""
    import random

    rng = random.Random(7)
    pool = [
        ["robots:disallowed"],
        ["aitxt:disallowed", "tdmrep:reserved"],
        ["quality:too-small"],
        ["quality:too-small", "robots:unreachable"],
        ["caption:missing"],
        ["provenance:ai-generated", "aipref:train-ai=n"],
        ["tdmrep:reserved"],
    ]
    # Copies and shared lists (the batch path's rows share their outcome's list).
    rows = [list(r) if rng.random() < 0.5 else r for r in (rng.choice(pool) for _ in range(500))]
    one, batch = RowCounts(), RowCounts()
    for reasons in rows:
        one.add_excluded(reasons)
    batch.add_excluded_rows(rows)
    assert batch == one
    assert list(batch.reasons) == list(one.reasons)
    assert list(batch.families) == list(one.families)
    assert batch.manifest_counts() == one.manifest_counts()


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
