"""The robots.txt steps of one row, shared by the crawl's pipelines and the regeneration batch path.

Pure (no Scrapy): ``pipelines.robots`` calls these per candidate and per page, and
``crawler.regen.batchpath`` calls them per origin (or per row where an origin has path rules),
so the decision logic exists once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from crawler.consent.verdict import Decision, Signal

__all__ = ["RECORD_SWITCHES", "image_robots_signals", "page_robots_signals", "record_signals"]

# robots.txt record family -> the policy switch that governs it.
RECORD_SWITCHES = {
    "aipref": "aipref",
    "content-signal": "content-signal",
    "robots": "disallow-ai-training",
}


def image_robots_signals(
    rules: Any, url: str, token: str, ai_tokens: Sequence[str] | None
) -> list[Signal]:
    """Crawl permission for our token on the image's host; then, unless that already refuses,
    the AI tokens' refusals (``ai_tokens`` None: the policy does not read them)."""
    signal = rules.check(url, token)
    if ai_tokens is None or signal.decision is Decision.DISALLOW:
        return [signal]
    return [signal, *rules.ai_token_signals(url, token, ai_tokens)]


def page_robots_signals(
    rules: Any, url: str, token: str, ai_tokens: Sequence[str] | None
) -> list[Signal]:
    """A page's robots.txt signals: its crawl permission for our token (recorded on every row,
    also when the middleware already let the page through), and the AI tokens' refusals."""
    out = [rules.check(url, token)]
    if ai_tokens is not None:
        out.extend(rules.ai_token_signals(url, token, ai_tokens))
    return out


def record_signals(
    rules: Any, url: str, tokens: Sequence[str], active: Collection[str]
) -> list[Signal]:
    """The robots.txt records protego drops (Content-Usage, Content-Signal, DisallowAITraining)
    whose policy switch is in ``active``."""
    return [s for s in rules.extension_signals(url, tokens) if RECORD_SWITCHES[s.family] in active]
