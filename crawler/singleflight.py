"""Concurrent requests for one key share one computation (asyncio; no Scrapy).

Used for per-origin consent documents and per-image probes: twenty rows of one host waiting for
its robots.txt cause one fetch, not twenty. Caching the result is the caller's business (a TTL
for documents, a bounded LRU for probes); this only coalesces what is in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class SingleFlight(Generic[V]):
    def __init__(self) -> None:
        self._inflight: dict[Hashable, asyncio.Future[V]] = {}
        self.coalesced = 0  # calls that joined a computation already under way

    async def run(self, key: Hashable, compute: Callable[[], Awaitable[V]]) -> V:
        pending = self._inflight.get(key)
        if pending is not None:
            self.coalesced += 1
            # shield: one waiter being cancelled must not cancel the shared computation.
            return await asyncio.shield(pending)
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await compute()
        except BaseException as exc:  # never leave waiters hanging
            future.set_exception(exc)
            future.exception()  # retrieved: the raise below reports it, once
            raise
        finally:
            self._inflight.pop(key, None)
        future.set_result(value)
        return value
