"""Why a row was excluded, in one word: refused, unverifiable, licence, quality, scope, input.

Someone reporting "X % of the web opts out" must count only **refused** rows (a site said no:
robots.txt, ai.txt, TDMRep, X-Robots-Tag, AIPREF, Content-Signal, IPTC, 402) and never the
**unverifiable** ones (the signal could not be read: unreachable host, DNS, timeout, 5xx, an
unreadable document, a page not in the replayed archive). Both exclude the row (fail closed);
they answer different questions.

One pure classifier from reason codes (``family:detail``) to causes. A row with several reasons
has one cause, the first in ``CAUSES`` order that any of its reasons has, so the counts per
cause add up to the number of rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from crawler.consent import registry

__all__ = ["CAUSES", "cause_of", "count_causes", "row_cause"]

# Precedence order: a refusal is the strongest statement about a row, a malformed input the
# weakest (nothing was asked of any site).
CAUSES = ("refused", "unverifiable", "license", "quality", "scope", "input", "other")

# The cause of every reason code the registered families declare (``Reason.cause``): exact codes,
# and prefixes of the codes declared with a trailing ``*`` (``robots:ai-token=*``).
_DECLARED, _DECLARED_PREFIXES = registry.reason_causes()
# Families whose other reasons are refusals unless the detail says the document could not be
# read: every registered reason family, plus one that older indexes may carry
# ("ai-token:<token>") and "rsl".
_REFUSAL_FAMILIES = frozenset(
    {*registry.CONSENT_FAMILIES, *registry.reason_families(), "ai-token", "rsl"} - {"probe"}
)
_FAMILY_CAUSE = {
    "caption": "quality",
    "quality": "quality",
    "license": "license",
    "input": "input",
    # A URL that resolves to a loopback / private address is refused by our own guard before
    # any request: nothing was asked of a site, so it is a property of the input.
    "address": "input",
    "replay": "unverifiable",
}
# Details that mean "could not check", whatever the family (robots:unreachable,
# tdmrep:unreadable, fetch:timeout, fetch:dns ...).
_UNVERIFIABLE_DETAILS = frozenset({"unreachable", "unreadable", "timeout", "dns", "failed"})


def cause_of(reason: str) -> str:
    """The cause of one reason code (one of ``CAUSES``)."""
    declared = _DECLARED.get(reason)
    if declared is not None:
        return declared
    for prefix, cause in _DECLARED_PREFIXES:
        if reason.startswith(prefix):
            return cause
    family, sep, detail = reason.partition(":")
    if not sep:
        return "other"
    head = detail.split("=", 1)[0]
    if head in _UNVERIFIABLE_DETAILS or head.startswith("error"):
        return "unverifiable"
    if family == "fetch":
        if detail == "out-of-scope":
            return "scope"
        # HTTP 402 on a page is pay-per-crawl: a refusal, like probe:payment-required.
        return "refused" if detail == "http-402" else "unverifiable"
    if family == "probe":
        return "refused" if detail == "payment-required" else "unverifiable"
    if family in _REFUSAL_FAMILIES:
        return "refused"
    return _FAMILY_CAUSE.get(family, "other")


_RANK = {cause: i for i, cause in enumerate(CAUSES)}


def row_cause(reasons: Iterable[str]) -> str:
    """The cause of a row: the highest-ranked cause of any of its reasons."""
    causes = [cause_of(r) for r in reasons]
    return min(causes, key=_RANK.__getitem__) if causes else "other"


def count_causes(rows: Iterable[Iterable[str]]) -> dict[str, int]:
    """Rows per cause (each row once), in ``CAUSES`` order, causes with no row left out."""
    counts = Counter(row_cause(reasons) for reasons in rows)
    return {cause: counts[cause] for cause in CAUSES if counts[cause]}
