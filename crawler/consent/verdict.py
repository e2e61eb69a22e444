"""The shared vocabulary of consent decisions: one ``Signal`` per family and place it was read.

Every parser in ``crawler.consent`` returns ``Signal`` values; the policy engine combines them
most-restrictively (consent-signals.md §0, after AIPREF vocab "Combining Preferences"): any
``disallow`` wins, else any ``allow``, else ``unknown``.

No Scrapy imports here: this module is shared by the crawl, ``scrapy consent`` and
``scrapy regenerate``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

# Raw values are evidence, not payload: keep them short in every row.
MAX_RAW_VALUE = 200


class Decision(StrEnum):
    ALLOW = "allow"
    DISALLOW = "disallow"
    UNKNOWN = "unknown"


_VERDICT_TEXT = {d: d.value for d in Decision}

# Reason families used across the project (the part before ":" in a reason string).
FAMILIES = (
    "robots",
    "aitxt",
    "tdmrep",
    "xrobots",
    "meta-robots",
    "aipref",
    "content-signal",
    "iptc",
    "license",
    "caption",
    "probe",
    "fetch",
    "input",
)


@dataclass(frozen=True, slots=True)
class Signal:
    """One consent signal as read from one place.

    family:   reason family, one of ``FAMILIES``.
    decision: allow / disallow / unknown for AI-training use of the resource.
    reason:   ``family:detail`` when ``decision`` is DISALLOW (e.g. ``tdmrep:reserved``), else None.
    source:   where it was read: a document URL, or ``header:<url>`` / ``meta:<url>`` for values
              read from a response's headers or an HTML page's meta tags.
    value:    the raw value that decided it (truncated to ``MAX_RAW_VALUE``), "" when absent.
    """

    family: str
    decision: Decision
    reason: str | None = None
    source: str = ""
    value: str = ""

    @classmethod
    def disallow(cls, family: str, detail: str, source: str = "", value: str = "") -> Signal:
        return cls(family, Decision.DISALLOW, f"{family}:{detail}", source, value[:MAX_RAW_VALUE])

    @classmethod
    def allow(cls, family: str, source: str = "", value: str = "") -> Signal:
        return cls(family, Decision.ALLOW, None, source, value[:MAX_RAW_VALUE])

    @classmethod
    def unknown(cls, family: str, source: str = "", value: str = "") -> Signal:
        return cls(family, Decision.UNKNOWN, None, source, value[:MAX_RAW_VALUE])

    def as_record(self) -> dict[str, str]:
        """The compact form stored in a row's ``consent`` column."""
        return {
            "family": self.family,
            "verdict": _VERDICT_TEXT[self.decision],  # enum .value is slow on a hot path
            "source": self.source,
            "value": self.value,
        }


def combine(signals: Iterable[Signal]) -> Decision:
    """Most-restrictive combination: any disallow, else any allow, else unknown."""
    seen_allow = False
    for signal in signals:
        if signal.decision is Decision.DISALLOW:
            return Decision.DISALLOW
        if signal.decision is Decision.ALLOW:
            seen_allow = True
    return Decision.ALLOW if seen_allow else Decision.UNKNOWN


def reasons_of(signals: Iterable[Signal]) -> list[str]:
    """The distinct reasons of the disallowing signals, in first-seen order."""
    out: list[str] = []
    for signal in signals:
        if signal.reason and signal.reason not in out:
            out.append(signal.reason)
    return out
