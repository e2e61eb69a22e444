"""Cloudflare Content Signals (consent-signals.md §6): ``Content-Signal: search=yes,ai-train=no``.

Read from robots.txt groups (see ``robots_ext``) and from the ``Content-Signal`` HTTP header that
Cloudflare sends on Markdown responses. Keys: ``search``, ``ai-input``, ``ai-train`` (and ``use``
in 2026 Cloudflare files); values ``yes``/``no``. A missing key means no preference, so only
``ai-train`` decides AI-training use.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from crawler.consent.family import EvalEnv, Family, ImageContext, PageContext, Phase, Reason, Switch
from crawler.consent.verdict import Signal, combine_values

__all__ = ["ai_train_preference", "content_signal_signal", "parse_content_signal"]

NAME = "content-signal"


@lru_cache(maxsize=4096)
def _parse(value: str) -> tuple[tuple[str, str], ...]:
    out: dict[str, str] = {}
    for item in value.lower().split(","):
        key, sep, val = item.partition("=")
        key, val = key.strip(), val.strip()
        if not sep or not key:
            continue
        # A key repeated with conflicting values: keep the restrictive one (digest §0).
        if out.get(key) == "no":
            continue
        out[key] = val
    return tuple(out.items())


def parse_content_signal(value: str) -> dict[str, str]:
    """``"search=yes, AI-Train = no"`` -> ``{"search": "yes", "ai-train": "no"}``."""
    return dict(_parse(value))


def ai_train_preference(value: str) -> str | None:
    """``"yes"``/``"no"`` for the ``ai-train`` key of one value, else ``None``."""
    token = dict(_parse(value)).get("ai-train")
    return token if token in ("yes", "no") else None


def content_signal_signal(values: Sequence[str], source: str) -> Signal:
    """Combine several Content-Signal values most-restrictively on ``ai-train``."""
    return combine_values(
        values,
        ai_train_preference,
        refuse="no",
        permit="yes",
        family=NAME,
        detail="ai-train=no",
        source=source,
    )


# --- the family declaration (crawler.consent.registry) -----------------------------------------
# (The same signals written in robots.txt are read by crawler.consent.robots_ext.RECORDS.)


def _page(ctx: PageContext, env: EvalEnv) -> list[Signal]:
    values = ctx.headers.get("content-signal") if ctx.fetched else None
    return [content_signal_signal(values, f"header:{ctx.url}")] if values is not None else []


def _image(ctx: ImageContext, env: EvalEnv) -> list[Signal]:
    probe = ctx.probe
    values = probe.headers.get("content-signal") if probe is not None else None
    return [content_signal_signal(values, f"header:{ctx.url}")] if values is not None else []


SWITCH = Switch(
    "content-signal", "CONTENT_SIGNAL_ENABLED", "Cloudflare Content-Signal (robots.txt and header)"
)

FAMILY = Family(
    name=NAME,
    summary="Cloudflare Content-Signal: response headers of the page and of each image "
    "(robots.txt records: robots-records)",
    spec="contentsignals.org; consent-signals.md §6",
    reasons=(Reason("content-signal:ai-train=no", "ai-train=no"),),
    switches=(SWITCH,),
    page=_page,
    image=_image,
    image_phase=Phase.AFTER_PROBE,
)
