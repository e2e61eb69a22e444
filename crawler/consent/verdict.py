"""The shared vocabulary of consent decisions: one ``Signal`` per family and place it was read.

Every parser in ``crawler.consent`` returns ``Signal`` values; the policy engine combines them
most-restrictively (consent-signals.md §0, after AIPREF vocab "Combining Preferences"): any
``disallow`` wins, else any ``allow``, else ``unknown``.

No Scrapy imports here: this module is shared by the crawl, ``scrapy consent`` and
``scrapy regenerate``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

# Raw values are evidence, not payload: keep them short in every row.
MAX_RAW_VALUE = 200


class Decision(StrEnum):
    ALLOW = "allow"
    DISALLOW = "disallow"
    UNKNOWN = "unknown"


_VERDICT_TEXT = {d: d.value for d in Decision}

# Reason families not declared by a consent family of the registry (crawler.consent.registry).
OTHER_FAMILIES = (
    "license",
    "caption",
    "probe",
    "fetch",
    "input",
    "address",  # the SSRF guard: not the public web (crawler/netguard.py)
)


def __getattr__(name: str) -> tuple[str, ...]:
    """``PAGE_FAMILIES``, ``CONSENT_FAMILIES`` and ``FAMILIES``, derived from the family registry
    (imported lazily: the registry's modules import this one)."""
    if name not in ("PAGE_FAMILIES", "CONSENT_FAMILIES", "FAMILIES"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from crawler.consent import registry

    if name == "PAGE_FAMILIES":
        return registry.PAGE_FAMILIES
    if name == "CONSENT_FAMILIES":
        return registry.CONSENT_FAMILIES
    return tuple(dict.fromkeys((*registry.CONSENT_FAMILIES, *OTHER_FAMILIES)))


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


def combine_values(
    values: Iterable[str],
    read: Callable[[str], str | None],
    *,
    refuse: str,
    permit: str,
    family: str,
    detail: str,
    source: str,
) -> Signal:
    """One signal from several instances of a header or record, most-restrictively.

    ``read`` maps a raw value to a preference; any ``refuse`` disallows (with ``family:detail``),
    else any ``permit`` allows, else unknown (AIPREF vocab "Combining Preferences").
    """
    values = [v.strip() for v in values]
    allowed: str | None = None
    for value in values:
        preference = read(value)
        if preference == refuse:
            return Signal.disallow(family, detail, source, value)
        if preference == permit and allowed is None:
            allowed = value
    if allowed is not None:
        return Signal.allow(family, source, allowed)
    return Signal.unknown(family, source, ", ".join(values))


def reasons_of(signals: Iterable[Signal]) -> list[str]:
    """The distinct reasons of the disallowing signals, in first-seen order."""
    out: list[str] = []
    for signal in signals:
        if signal.reason and signal.reason not in out:
            out.append(signal.reason)
    return out


class PageVerdict:
    """Decides the rows of one page (or item): its signals apply to every row.

    The one place where a row's fate is computed, for the crawl, ``scrapy regenerate`` and
    ``scrapy consent``: a row is excluded when it has reasons of its own (caption, licence
    filter, invalid input...) or any disallowing signal, its page's or its own.
    """

    __slots__ = ("reasons", "records")

    def __init__(self, page_signals: Iterable[Signal]) -> None:
        page_signals = list(page_signals)
        self.reasons = reasons_of(page_signals)
        self.records = [s.as_record() for s in page_signals]

    def row(
        self, own_reasons: list[str], signals: Iterable[Signal]
    ) -> tuple[list[str], list[dict[str, str]]]:
        """(reasons, consent records) of one row; no reasons means the row is kept."""
        signals = list(signals)
        reasons = [*own_reasons, *self.reasons, *reasons_of(signals)]
        if reasons:
            reasons = list(dict.fromkeys(reasons))
        return reasons, self.records + [s.as_record() for s in signals]
