"""The crawl's one Policy object, built from its settings once."""

from __future__ import annotations

from scrapy.crawler import Crawler

from crawler.consent.policy import Policy


def policy_of(crawler: Crawler) -> Policy:
    policy = getattr(crawler, "_consent_policy", None)
    if policy is None:
        policy = Policy.from_settings(crawler.settings.get)
        crawler._consent_policy = policy  # type: ignore[attr-defined]
    return policy
