"""Where consent documents are fetched: here (one process), or once for all workers (Redis).

``ConsentDocuments`` keeps its parsers and its local cache of parsed documents; it asks its
backend for the raw fetch result. ``LocalFetches`` just fetches. ``SharedFetches`` (REDIS_URL
set) makes each (kind, URL) one fetch across all workers per ``ROBOTSTXT_CACHE_TTL``: the
first worker takes a lock with expiry (``SET NX PX``), fetches through its own downloader
(Scrapy's retries of that fetch count as one fetch) and stores the result with the TTL; the
others wait for the result and parse it themselves. Only the fetching worker records the body
for ``consent/``, so each body is stored once. A worker that dies holding the lock delays the
others by at most the lock's expiry, after which one of them fetches.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from crawler.distributed.connection import REDIS_ERRORS_STAT

logger = logging.getLogger(__name__)

# (status, body, final_url, error), as ConsentDocuments._fetch returns it.
FetchResult = tuple[int | None, bytes | None, str | None, str | None]
Fetch = Callable[[str, str], Awaitable[FetchResult]]


class FetchBackend(Protocol):
    async def fetch_once(self, kind: str, url: str, fetch: Fetch) -> FetchResult: ...


class LocalFetches:
    """One process: the store's own single flight and TTL cache are all there is."""

    async def fetch_once(self, kind: str, url: str, fetch: Fetch) -> FetchResult:
        return await fetch(kind, url)


_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def doc_key(prefix: str, kind: str, url: str) -> str:
    """The Redis key of one shared consent document (also listed in ``docsby:<worker>``)."""
    return f"{prefix.rstrip(':')}:doc:{kind}:{url}"


def encode_result(result: FetchResult) -> dict[str, bytes]:
    status, body, final_url, error = result
    head = {"status": status, "final_url": final_url, "error": error, "body": body is not None}
    return {"head": json.dumps(head).encode(), "body": body or b""}


def decode_result(fields: dict[bytes, bytes]) -> FetchResult:
    head = json.loads(fields[b"head"])
    body = fields.get(b"body", b"") if head["body"] else None
    return head["status"], body, head["final_url"], head["error"]


class SharedFetches:
    def __init__(
        self,
        client: Any,
        prefix: str,
        worker: str,
        ttl: float,
        lock_seconds: float,
        stats: Callable[[], Any] | None = None,
        poll: float = 0.05,
    ) -> None:
        self.r = client
        self.p = prefix.rstrip(":") + ":"
        self.worker = worker
        self.ttl_ms = max(1, int(ttl * 1000))
        self.lock_ms = max(1, int(lock_seconds * 1000))
        self.stats = stats
        self.poll = poll
        self._release = client.register_script(_RELEASE)

    def _inc(self, name: str) -> None:
        if self.stats is not None:
            self.stats().inc_value(name)

    async def fetch_once(self, kind: str, url: str, fetch: Fetch) -> FetchResult:
        from redis.exceptions import RedisError

        try:
            return await self._fetch_once(kind, url, fetch)
        except RedisError as exc:
            # Consent must still be established: fetch here, as one process would (the
            # document may then be fetched and stored by more than one worker). Counted, so
            # the run ends saying its outputs may be incomplete.
            logger.error("consent cache in Redis unreachable (%s): fetching %s here", exc, url)
            self._inc(REDIS_ERRORS_STAT)
            return await fetch(kind, url)

    async def _fetch_once(self, kind: str, url: str, fetch: Fetch) -> FetchResult:
        from redis.exceptions import RedisError

        key = doc_key(self.p, kind, url)
        lock = f"{self.p}doclock:{kind}:{url}"
        waited = False
        while True:
            fields = self.r.hgetall(key)
            if fields:
                self._inc("consent/documents_shared_hits")
                return decode_result(fields)
            if self.r.set(lock, self.worker, nx=True, px=self.lock_ms):
                break
            if not waited:
                waited = True
                self._inc("consent/documents_shared_waits")
            await asyncio.sleep(self.poll)
        try:
            result = await fetch(kind, url)
        except BaseException:
            self._release(keys=[lock], args=[self.worker])
            raise
        try:
            pipe = self.r.pipeline(transaction=True)
            pipe.delete(key)
            pipe.hset(key, mapping=encode_result(result))
            pipe.pexpire(key, self.ttl_ms)
            # Until this worker's consent/ part is written, the body lives only here: if it
            # dies, reclaiming it drops the entry so that another worker fetches and stores it.
            pipe.sadd(f"{self.p}docsby:{self.worker}", key)
            pipe.execute()
            self._release(keys=[lock], args=[self.worker])
        except RedisError as exc:  # fetched: use it; the others fetch once the lock expires
            logger.error("could not share %s in Redis: %s", url, exc)
            self._inc(REDIS_ERRORS_STAT)
        return result


def fetch_backend_of(settings: Any, stats: Callable[[], Any] | None = None) -> FetchBackend:
    """SharedFetches when REDIS_URL is set, else LocalFetches (``stats`` gives the collector)."""
    from crawler.distributed.connection import distributed_of

    dist = distributed_of(settings)
    if dist is None:
        return LocalFetches()
    # The lock outlives one fetch with its retries and redirects; a dead holder frees it then.
    timeout = settings.getfloat("DOWNLOAD_TIMEOUT")
    attempts = settings.getint("RETRY_TIMES") + 1
    lock_seconds = max(30.0, timeout * attempts * 2)
    return SharedFetches(
        dist.client(),
        dist.prefix,
        dist.worker,
        settings.getfloat("ROBOTSTXT_CACHE_TTL"),
        lock_seconds,
        stats,
    )
