"""Switch the crawl to the shared Redis frontier when REDIS_URL is set (else: no change)."""

from __future__ import annotations

from scrapy.settings import BaseSettings

SCHEDULER = "crawler.distributed.scheduler.RedisScheduler"


class DistributedAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        if (settings.get("REDIS_URL") or "").strip():
            settings.set("SCHEDULER", SCHEDULER, priority="spider")
