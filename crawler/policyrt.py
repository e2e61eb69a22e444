"""The crawl's one Policy object, built from its settings once."""

from __future__ import annotations

from scrapy.crawler import Crawler

from crawler.components import shared
from crawler.consent.policy import Policy


def policy_of(crawler: Crawler) -> Policy:
    return shared(crawler, Policy, lambda: Policy.from_settings(crawler.settings.get))
