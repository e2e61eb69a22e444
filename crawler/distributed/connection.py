"""Distributed-mode settings and Redis clients (one place reads REDIS_URL and friends)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crawler.distributed import worker_id_of
from crawler.distributed.frontier import Frontier
from crawler.distributed.seen import BloomSeenSet, ExactSeenSet, SeenSet


@dataclass(frozen=True, slots=True)
class Distributed:
    url: str
    prefix: str
    worker: str
    worker_timeout: float
    seen_kind: str  # exact | bloom
    bloom_capacity: int
    bloom_error_rate: float

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=30, health_check_interval=30)

    def frontier(self) -> Frontier:
        return Frontier(self.client(), self.prefix, self.worker, self.worker_timeout)

    def seen_set(self, name: str = "seen") -> SeenSet:
        key = f"{self.prefix}:{name}"
        if self.seen_kind == "bloom":
            return BloomSeenSet(self.client(), key, self.bloom_capacity, self.bloom_error_rate)
        if self.seen_kind != "exact":
            raise ValueError(f"SEEN_SET must be exact or bloom, not {self.seen_kind!r}")
        return ExactSeenSet(self.client(), key)


def distributed_of(settings: Any) -> Distributed | None:
    """The distributed configuration, or None when REDIS_URL is not set (single process)."""
    url = (settings.get("REDIS_URL") or "").strip()
    if not url:
        return None
    return Distributed(
        url=url,
        prefix=settings.get("REDIS_KEY_PREFIX") or "consentcrawl",
        worker=worker_id_of(settings.get("WORKER_ID")),
        worker_timeout=settings.getfloat("DISTRIBUTED_WORKER_TIMEOUT"),
        seen_kind=(settings.get("SEEN_SET") or "exact").lower(),
        bloom_capacity=settings.getint("SEEN_BLOOM_CAPACITY"),
        bloom_error_rate=settings.getfloat("SEEN_BLOOM_ERROR_RATE"),
    )
