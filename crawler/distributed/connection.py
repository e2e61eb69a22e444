"""Distributed-mode settings and Redis clients (one place reads REDIS_URL and friends)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from crawler.config import ConfigError
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


# Counted wherever a Redis call failed and work may have been lost or may be redone.
REDIS_ERRORS_STAT = "distributed/redis_errors"
REDIS_UNREACHABLE = "redis_unreachable"  # the finish reason of a worker that lost Redis


def shown_url(url: str) -> str:
    """REDIS_URL for messages: a password replaced by ***."""
    try:
        parts = urlsplit(url)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
            return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        pass
    return url


def check_redis(url: str, timeout: float = 5.0) -> None:
    """ConfigError unless REDIS_URL is a Redis URL and a server there answers PING: checked
    before any request, so a typo or a server that is not up stops the run with one line."""
    import redis
    from redis.exceptions import RedisError

    try:
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    except ValueError as exc:
        raise ConfigError(f"REDIS_URL={shown_url(url)!r} is not a Redis URL: {exc}") from None
    try:
        client.ping()
    except RedisError as exc:
        raise ConfigError(
            f"REDIS_URL={shown_url(url)!r}: cannot reach Redis ({exc}); start the server, "
            "or leave REDIS_URL empty for a single-process run"
        ) from None
    finally:
        client.close()


def redis_trouble(stats: Mapping[str, Any], url: str) -> str | None:
    """Why a distributed run's outputs may be incomplete because of Redis, else None."""
    errors = int(stats.get(REDIS_ERRORS_STAT) or 0)
    if stats.get("finish_reason") == REDIS_UNREACHABLE:
        why = "Redis became unreachable and the worker stopped"
    elif errors:
        why = f"{errors} Redis call(s) failed during the run"
    else:
        return None
    return (
        f"{why} (REDIS_URL={shown_url(url)!r}): the rows written are kept, but the outputs may "
        "be incomplete (requests that could not be queued are lost) or, once Redis is back, "
        "hold rows twice (requests whose rows are on disk but were not acknowledged are "
        "redone); run the crawl again on a fresh REDIS_KEY_PREFIX and INDEX_DIR"
    )
