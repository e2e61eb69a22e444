"""Switch the crawl to the shared Redis frontier when REDIS_URL is set (else: no change).

Regeneration has no frontier (its unit of work is an input batch, leased from Redis by
``crawler.distributed.regen``), so the scheduler is left alone when the regeneration writer is
the crawl's writer.
"""

from __future__ import annotations

from scrapy.settings import BaseSettings

SCHEDULER = "crawler.distributed.scheduler.RedisScheduler"
REGEN_WRITER = "pipelines.regenwriter.RegenWriterPipeline"


class DistributedAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        if not (settings.get("REDIS_URL") or "").strip():
            return
        pipelines = settings.getdict("ITEM_PIPELINES")
        if pipelines.get(REGEN_WRITER) is not None:
            return
        settings.set("SCHEDULER", SCHEDULER, priority="spider")
