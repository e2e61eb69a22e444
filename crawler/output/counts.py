"""Row counts and the manifest fields both writers share (pure).

The crawl writer (pipelines.writer) and the regeneration writer (pipelines.regenwriter) count
their rows the same way, with ``RowCounts``: kept rows by licence, excluded rows by reason, by
family (each family once per row) and by cause (each row once, crawler.report.causes), and image
rows excluded for consent apart from quality. The crawl counts per run (and reads the counts
back from its part files after a write error); regeneration counts per batch, keeps each
batch's counts in its resume state (``batch_record``) and sums them for the manifest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from crawler.output.manifest import documents_fetched
from crawler.report.causes import CAUSES, row_cause

__all__ = [
    "NOT_CONSENT_FAMILIES",
    "RowCounts",
    "consent_fetch_counts",
    "policy_fields",
    "reason_families",
]

# Reason families that are not consent facts: a row excluded only for these is not "refused".
# provenance: AI-generated marking, dataset hygiene (not a consent fact).
NOT_CONSENT_FAMILIES = frozenset({"quality", "caption", "provenance"})


def reason_families(reasons: Iterable[str]) -> list[str]:
    """The distinct families of a row's reasons (``robots:disallowed`` -> ``robots``), in order."""
    return list(dict.fromkeys(r.split(":", 1)[0] for r in reasons))


@dataclass(slots=True)
class RowCounts:
    """Rows by outcome. ``excluded`` counts image rows, ``pages_excluded`` page rows (a page
    that was refused or failed); ``causes`` counts both, each row once. ``overlap`` counts
    image rows excluded for consent (and of those, refused / unverifiable), for quality
    (``quality_only``: nothing else) and for a missing caption: a row may be in several."""

    kept: int = 0
    excluded: int = 0
    pages_excluded: int = 0
    families: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    causes: Counter[str] = field(default_factory=Counter)
    licenses: Counter[str] = field(default_factory=Counter)
    overlap: Counter[str] = field(default_factory=Counter)

    @property
    def candidates(self) -> int:
        return self.kept + self.excluded

    def add_kept(self, license: str | None) -> None:
        self.kept += 1
        if license:
            self.licenses[license] += 1

    def add_excluded(self, reasons: list[str], *, page: bool = False, rows: int = 1) -> list[str]:
        """Count ``rows`` excluded rows with these reasons; returns their distinct reason
        families."""
        families = reason_families(reasons)
        if page:
            self.pages_excluded += rows
        else:
            self.excluded += rows
            self._count_overlap(reasons, families, rows)
        self.causes[row_cause(reasons)] += rows
        for family in families:
            self.families[family] += rows
        for reason in reasons:
            self.reasons[reason] += rows
        return families

    def add_excluded_rows(self, rows: Iterable[list[str]]) -> Counter[str]:
        """Count excluded image rows (a batch: rows with the same reasons counted at once);
        returns the rows per reason family (each family once per row), in first-seen order."""
        rows = rows if isinstance(rows, list) else list(rows)
        # Rows decided together share their reasons list: count the lists (by identity, no
        # per-row Python), then merge equal ones. First-seen order is kept: a list's first row
        # comes before those of every list first seen after it.
        lists = dict(zip(map(id, rows), rows, strict=True))
        same: Counter[tuple[str, ...]] = Counter()
        for key, n in Counter(map(id, rows)).items():
            same[tuple(lists[key])] += n
        families: Counter[str] = Counter()
        for reasons, n in same.items():
            for family in self.add_excluded(list(reasons), rows=n):
                families[family] += n
        return families

    def _count_overlap(self, reasons: list[str], families: list[str], rows: int) -> None:
        """Consent and quality each counted, so quality never hides a consent exclusion or
        the reverse."""
        kinds = set(families)
        if kinds - NOT_CONSENT_FAMILIES:
            self.overlap["consent"] += rows
            consent = [r for r in reasons if r.split(":", 1)[0] not in NOT_CONSENT_FAMILIES]
            cause = row_cause(consent)  # one classifier (crawler/report/causes.py)
            if cause in ("refused", "unverifiable"):
                self.overlap[cause] += rows
        if "quality" in kinds:
            self.overlap["quality"] += rows
            if kinds == {"quality"}:
                self.overlap["quality_only"] += rows
        if "caption" in kinds:
            self.overlap["caption"] += rows

    def __add__(self, other: RowCounts) -> RowCounts:
        return RowCounts(
            kept=self.kept + other.kept,
            excluded=self.excluded + other.excluded,
            pages_excluded=self.pages_excluded + other.pages_excluded,
            families=self.families + other.families,
            reasons=self.reasons + other.reasons,
            causes=self.causes + other.causes,
            licenses=self.licenses + other.licenses,
            overlap=self.overlap + other.overlap,
        )

    def by_cause(self) -> dict[str, int]:
        """Excluded rows per cause, in ``CAUSES`` order, causes with no row left out."""
        return {c: self.causes[c] for c in CAUSES if self.causes[c]}

    def manifest_counts(self) -> dict[str, Any]:
        """The count fields both manifests have."""
        return {
            "kept": self.kept,
            "excluded": self.excluded,
            "excluded_by_family": dict(self.families.most_common()),
            "excluded_by_reason": dict(self.reasons.most_common()),
            # Each excluded row once: refused (a site said no) apart from unverifiable.
            "excluded_by_cause": self.by_cause(),
            "rows_by_license": dict(sorted(self.licenses.items())),
        }

    # --- regeneration: one batch's counts in its resume state -----------------------------------

    def batch_record(self) -> dict[str, Any]:
        return {
            "kept": self.kept,
            "excluded": self.excluded,
            "reasons": dict(self.reasons),
            "families": dict(self.families),
            "causes": self.by_cause(),
            "licenses": dict(self.licenses),
        }

    @classmethod
    def from_batch_record(cls, record: Mapping[str, Any]) -> RowCounts:
        return cls(
            kept=record["kept"],
            excluded=record["excluded"],
            families=Counter(record["families"]),
            reasons=Counter(record["reasons"]),
            causes=Counter(record.get("causes", {})),
            licenses=Counter(record["licenses"]),
        )


def consent_fetch_counts(stats: Mapping[str, Any]) -> dict[str, Any]:
    """Consent documents fetched per kind and image probes made, from the crawl's stats."""
    return {
        "consent_documents_fetched": documents_fetched(stats),
        "consent_probes": stats.get("consent/probes", 0),
    }


def policy_fields(policy: Any, settings: dict[str, Any]) -> dict[str, Any]:
    """The decision rules of a run: its policy (``crawler.consent.policy.Policy``), its settings
    above the defaults, and whether image headers were checked (the policy resolves
    IMAGE_PROBE: unset follows the preset)."""
    return {
        "policy": policy.describe(),
        "settings": settings,
        "image_headers_checked": policy.probe != "off",
    }
