"""Switch the crawl to the shared Redis frontier when REDIS_URL is set (else: no change).

Regeneration has no frontier (its unit of work is an input batch, leased from Redis by
``crawler.distributed.regen``): the ``regenerate`` spider sets ``REDIS_FRONTIER`` off, and the
scheduler is left alone.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.settings import BaseSettings

from crawler.middlewares import ConsentIgnoreRequest

SCHEDULER = "crawler.distributed.scheduler.RedisScheduler"
OUT_OF_SCOPE_META = "distributed_out_of_scope"
# Before the address guard (50) and the robots middleware (100): nothing is fetched for it.
OUT_OF_SCOPE_ORDER = 40


class OutOfScopeSeeds:
    """Downloader middleware (distributed mode): a seed outside the crawl scope is queued in
    the shared frontier like any seed, so that exactly one worker records it, and refused here
    before any request is made; the spider's errback writes its ``fetch:out-of-scope`` row
    (with the request's claim, acknowledged once that row is on disk)."""

    def process_request(self, request: Request, spider: Any = None) -> None:
        if request.meta.get(OUT_OF_SCOPE_META):
            raise ConsentIgnoreRequest(request.url, ["fetch:out-of-scope"])


class DistributedAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        if not (settings.get("REDIS_URL") or "").strip():
            return
        if not settings.getbool("REDIS_FRONTIER", True):
            return
        settings.set("SCHEDULER", SCHEDULER, priority="spider")
        settings.set_in_component_priority_dict(
            "DOWNLOADER_MIDDLEWARES", OutOfScopeSeeds, OUT_OF_SCOPE_ORDER
        )
