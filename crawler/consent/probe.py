"""What an image probe's outcome means for consent (pure; the fetch is crawler/probe.py).

- 2xx: the image's own headers were read (allow, for this family).
- 402 Payment Required: pay-per-crawl, "not permitted without a deal" (consent-signals.md §8).
- anything else (timeout, network error, 5xx, 404...): the image's headers are unknown. The strict
  policy excludes it (``probe:failed``); the standard policy keeps it as ``unknown``.
- refused by our own robots check (e.g. redirected into a disallowed path): that reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from crawler.consent.family import Family, Reason, Switch
from crawler.consent.verdict import Signal


def probe_signal(
    url: str,
    method: str,
    status: int | None,
    error: str | None = None,
    refused: Sequence[str] | None = None,
    *,
    payment_required_refuses: bool = True,
    failure_excludes: bool = True,
) -> Signal:
    value = f"{method} {status}" if status else (error or "")
    if refused:
        family, _, detail = refused[0].partition(":")
        return Signal.disallow(family, detail, url, value)
    if status == 402 and payment_required_refuses:
        return Signal.disallow("probe", "payment-required", url, value)
    if status is not None and 200 <= status < 300:
        return Signal.allow("probe", url, value)
    if failure_excludes:
        return Signal.disallow("probe", "failed", url, value)
    return Signal.unknown("probe", url, f"failed: {value}")


# --- the family declaration (crawler.consent.registry) -----------------------------------------
# The probe itself is pipelines.probe (between the two phases of the consent engine); this
# declares its reasons and the payment-required switch.

FAMILY = Family(
    name="probe",
    summary="the image's own response (HEAD, or ranged GET with IMAGE_PROBE=range): "
    "402 Payment Required, failures",
    spec="RFC 9110 §15.5.3 (402, pay-per-crawl); consent-signals.md §8",
    reasons=(
        Reason("probe:payment-required", "HTTP 402 on the image: pay-per-crawl, not permitted"),
        Reason("probe:failed", "the image's headers could not be read (strict)", "unverifiable"),
    ),
    switches=(
        Switch(
            "payment-required",
            "PAYMENT_REQUIRED_ENABLED",
            "HTTP 402 on an image: pay-per-crawl, not permitted",
        ),
    ),
    required=True,
)
