"""IETF AIPREF usage preferences: the ``Content-Usage`` HTTP header (consent-signals.md §5).

Serialization (draft-ietf-aipref-vocab-07 §6): an RFC 9651 Structured Field *Dictionary* with
Token values ``y``/``n``; keys are lowercase (an uppercase key is a parse failure), parameters
and unknown keys are ignored, a duplicated key means last-wins, a non-token value is unknown and
a parse failure makes everything unknown.

Conservative mode (the default; digest §5 "Recommend") additionally reads, in the restrictive
direction only, what the strict parser rejects or ignores: ``Train-AI=n`` (uppercase) and the
legacy labels of earlier drafts (``ai``, ``genai``, ``train-genai``, ``tdm``, ``all``, ``bots``)
set to ``n`` count as ``train-ai=n``. Nothing malformed is ever read as an allow.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import http_sf
from http_sf import StructuredFieldError, Token

from crawler.consent.family import EvalEnv, Family, ImageContext, PageContext, Phase, Reason, Switch
from crawler.consent.verdict import Signal, combine_values

__all__ = [
    "LEGACY_TRAIN_LABELS",
    "content_usage_signal",
    "parse_content_usage",
    "parse_content_usage_lenient",
    "train_ai_preference",
]

NAME = "aipref"
# Labels of vocab drafts -00..-04 that (also) covered AI training; "n" on any of them is read as
# train-ai=n in conservative mode.
LEGACY_TRAIN_LABELS = frozenset({"ai", "genai", "train-genai", "tdm", "all", "bots"})


@lru_cache(maxsize=4096)
def _strict(value: str) -> tuple[tuple[str, str], ...] | None:
    try:
        parsed = http_sf.parse(value.encode("utf-8"), tltype="dictionary")
    except (StructuredFieldError, ValueError, UnicodeError):
        return None
    if not isinstance(parsed, dict):
        return None
    # Only Token members count; strings ("n"), booleans (bare key) etc. are unknown (vocab §6).
    return tuple(
        (key, str(member[0]))
        for key, member in parsed.items()
        if isinstance(member, tuple) and isinstance(member[0], Token)
    )


def parse_content_usage(value: str) -> dict[str, str] | None:
    """Strict RFC 9651 dictionary parse: ``{label: token}`` or ``None`` on a parse failure."""
    items = _strict(value)
    return None if items is None else dict(items)


@lru_cache(maxsize=4096)
def _lenient(value: str) -> tuple[tuple[str, str], ...]:
    out: dict[str, str] = {}
    for item in value.lower().split(","):
        key, sep, token = item.split(";", 1)[0].partition("=")
        key = key.strip()
        token = token.strip().strip("\"'").strip()
        if sep and key and token:
            out[key] = token
    return tuple(out.items())


def parse_content_usage_lenient(value: str) -> dict[str, str]:
    """Best-effort ``key=value`` reading (lowercased, quotes and parameters dropped).

    Only used to salvage restrictions from values the strict parser rejects.
    """
    return dict(_lenient(value))


def _says_no(prefs: tuple[tuple[str, str], ...]) -> bool:
    return any(
        (key == "train-ai" or key in LEGACY_TRAIN_LABELS) and token in ("n", "no")
        for key, token in prefs
    )


@lru_cache(maxsize=4096)
def train_ai_preference(value: str, conservative: bool = True) -> str | None:
    """The ``train-ai`` preference of one ``Content-Usage`` value: ``"y"``, ``"n"`` or ``None``."""
    strict = _strict(value)
    if strict is not None:
        if conservative and _says_no(strict):
            return "n"  # train-ai=n, or a legacy label set to n (combined restrictively)
        token = dict(strict).get("train-ai")
        return token if token in ("y", "n") else None
    if conservative and _says_no(_lenient(value)):
        return "n"
    return None


def content_usage_signal(
    header_values: Sequence[str], source: str, *, conservative: bool = True
) -> Signal:
    """The AIPREF verdict from the ``Content-Usage`` header instances of one response.

    Each instance is read on its own and the results combine most-restrictively (vocab
    "Combining Preferences"): any ``train-ai=n`` disallows, else any ``y`` allows.
    """
    return combine_values(
        header_values,
        lambda value: train_ai_preference(value, conservative),
        refuse="n",
        permit="y",
        family=NAME,
        detail="train-ai=n",
        source=source,
    )


# --- the family declaration (crawler.consent.registry) -----------------------------------------
# (The same preferences written in robots.txt are read by crawler.consent.robots_ext.RECORDS.)


def _page(ctx: PageContext, env: EvalEnv) -> list[Signal]:
    values = ctx.headers.get("content-usage") if ctx.fetched else None
    return [content_usage_signal(values, f"header:{ctx.url}")] if values is not None else []


def _image(ctx: ImageContext, env: EvalEnv) -> list[Signal]:
    probe = ctx.probe
    values = probe.headers.get("content-usage") if probe is not None else None
    return [content_usage_signal(values, f"header:{ctx.url}")] if values is not None else []


SWITCH = Switch("aipref", "AIPREF_ENABLED", "IETF AIPREF Content-Usage (header and robots.txt)")

FAMILY = Family(
    name=NAME,
    summary="IETF AIPREF Content-Usage: response headers of the page and of each image "
    "(robots.txt records: robots-records)",
    spec="draft-ietf-aipref-vocab, draft-ietf-aipref-attach; consent-signals.md §5",
    reasons=(Reason("aipref:train-ai=n", "train-ai=n (or a legacy label = n)"),),
    switches=(SWITCH,),
    page=_page,
    image=_image,
    image_phase=Phase.AFTER_PROBE,
)
