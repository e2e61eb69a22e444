"""The shared frontier on Redis: per-host queues, host ownership, in-flight ledgers (no Scrapy).

Keys (``P`` is the key prefix, ``REDIS_KEY_PREFIX:``)::

    P q:<host>        LIST   queued requests of one host (JSON, see ``codec``)
    P pending         SET    hosts whose queue is not empty
    P owner:<host>    STRING the worker that owns the host (only it fetches the host's pages)
    P owned:<worker>  SET    hosts a worker owns (released when it ends or dies)
    P claimed:<worker> HASH  claim id -> request: popped by the worker and not yet acknowledged
    P workers         HASH   worker -> last heartbeat (ms, Redis server clock)
    P idle            HASH   worker -> "1" while its engine has nothing to do
    P docsby:<worker> SET    consent-document keys it fetched (dropped if it dies: refetched)

Politeness across workers comes from ownership: one host, one worker, so Scrapy's per-host
slot (concurrency, DOWNLOAD_DELAY, Crawl-delay) is the only door to the host. A request is
acknowledged (``ack``) once the rows it produced are in part files on disk: at each flush of the
worker's parts, and at its close; a worker whose heartbeat is older than the timeout is dead:
any worker moves its claimed requests back to the front of their queues and frees its hosts
(one Lua script, so two reclaimers cannot both do it). A worker restarted under the same
``WORKER_ID`` takes its own leftover claims back the same way when it opens.
All times come from the Redis server's clock (``TIME``), so workers' clocks may disagree.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_CLAIM_HOST = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('SADD', KEYS[2], ARGV[2])
  return 1
end
return 0
"""

_POP = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
local entry = redis.call('LPOP', KEYS[2])
if redis.call('LLEN', KEYS[2]) == 0 then redis.call('SREM', KEYS[3], ARGV[2]) end
if not entry then return false end
redis.call('HSET', KEYS[4], ARGV[3], entry)
return entry
"""

_HEARTBEAT = """
local t = redis.call('TIME')
redis.call('HSET', KEYS[1], ARGV[1], t[1] * 1000 + math.floor(t[2] / 1000))
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
"""

# Requeue the claims of one worker, free its hosts and forget it (the body of _RECLAIM/_REQUEUE).
_REQUEUE_ONE = """
local function requeue(prefix, w, workers_key, idle_key, pending_key)
  local requeued = 0
  local claimed = redis.call('HVALS', prefix .. 'claimed:' .. w)
  for _, entry in ipairs(claimed) do
    local host = cjson.decode(entry)['host']
    redis.call('LPUSH', prefix .. 'q:' .. host, entry)
    redis.call('SADD', pending_key, host)
    requeued = requeued + 1
  end
  redis.call('DEL', prefix .. 'claimed:' .. w)
  for _, host in ipairs(redis.call('SMEMBERS', prefix .. 'owned:' .. w)) do
    if redis.call('GET', prefix .. 'owner:' .. host) == w then
      redis.call('DEL', prefix .. 'owner:' .. host)
    end
  end
  redis.call('DEL', prefix .. 'owned:' .. w)
  -- Consent documents whose bodies never reached its consent/ parts: fetch them again.
  for _, doc in ipairs(redis.call('SMEMBERS', prefix .. 'docsby:' .. w)) do
    redis.call('DEL', doc)
  end
  redis.call('DEL', prefix .. 'docsby:' .. w)
  redis.call('HDEL', workers_key, w)
  redis.call('HDEL', idle_key, w)
  return requeued
end
"""

# Requeue the claimed requests of every worker whose heartbeat is older than ARGV[2] ms.
_RECLAIM = (
    _REQUEUE_ONE
    + """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local prefix, timeout = ARGV[1], tonumber(ARGV[2])
local workers = redis.call('HGETALL', KEYS[1])
local requeued = 0
for i = 1, #workers, 2 do
  local w, seen = workers[i], tonumber(workers[i + 1])
  if now - seen > timeout then
    requeued = requeued + requeue(prefix, w, KEYS[1], KEYS[2], KEYS[3])
  end
end
return requeued
"""
)

# A worker restarted under the same id: what its earlier run left claimed goes back at once
# (its new run would otherwise overwrite or acknowledge those claims, and never pop the hosts
# its earlier run owned).
_REQUEUE_OWN = _REQUEUE_ONE + "return requeue(ARGV[1], ARGV[2], KEYS[1], KEYS[2], KEYS[3])\n"

# A worker leaving cleanly: acknowledge its claims, free its hosts, drop its heartbeat.
_LEAVE = """
local prefix, w = ARGV[1], ARGV[2]
redis.call('DEL', prefix .. 'claimed:' .. w)
for _, host in ipairs(redis.call('SMEMBERS', prefix .. 'owned:' .. w)) do
  if redis.call('GET', prefix .. 'owner:' .. host) == w then
    redis.call('DEL', prefix .. 'owner:' .. host)
  end
end
redis.call('DEL', prefix .. 'owned:' .. w)
redis.call('DEL', prefix .. 'docsby:' .. w)
redis.call('HDEL', KEYS[1], w)
redis.call('HDEL', KEYS[2], w)
return 1
"""

# Idle everywhere: no queued request, and every live worker says its engine is idle.
_GLOBAL_IDLE = """
if redis.call('SCARD', KEYS[3]) > 0 then return 0 end
local workers = redis.call('HKEYS', KEYS[1])
for _, w in ipairs(workers) do
  if redis.call('HGET', KEYS[2], w) ~= '1' then return 0 end
end
return 1
"""


@dataclass(frozen=True, slots=True)
class FrontierState:
    """A snapshot for stats and tests."""

    pending_hosts: int
    queued: int
    workers: int
    claimed: int


class Frontier:
    """One worker's handle on the shared frontier (redis-py client, synchronous calls)."""

    def __init__(self, client: Any, prefix: str, worker: str, worker_timeout: float) -> None:
        self.r = client
        self.p = prefix if prefix.endswith(":") else prefix + ":"
        self.worker = worker
        self.timeout_ms = int(worker_timeout * 1000)
        self._claim_host = client.register_script(_CLAIM_HOST)
        self._pop = client.register_script(_POP)
        self._heartbeat = client.register_script(_HEARTBEAT)
        self._reclaim = client.register_script(_RECLAIM)
        self._leave = client.register_script(_LEAVE)
        self._requeue_own = client.register_script(_REQUEUE_OWN)
        self._global_idle = client.register_script(_GLOBAL_IDLE)
        self._claim_ids = itertools.count(1)
        # Claim ids are unique per run: a restarted worker (same WORKER_ID) never reuses one.
        self._run = os.urandom(4).hex()
        self.owned: list[str] = []  # hosts this worker owns, in claim order

    # --- keys
    def queue_key(self, host: str) -> str:
        return f"{self.p}q:{host}"

    @property
    def pending_key(self) -> str:
        return f"{self.p}pending"

    @property
    def workers_key(self) -> str:
        return f"{self.p}workers"

    @property
    def idle_key(self) -> str:
        return f"{self.p}idle"

    # --- queue
    def push(self, host: str, entry: str) -> None:
        pipe = self.r.pipeline(transaction=True)
        pipe.rpush(self.queue_key(host), entry)
        pipe.sadd(self.pending_key, host)
        pipe.execute()

    def pop(self, host: str) -> str | None:
        """The next request of an owned host (recorded as claimed), or None."""
        claimed = self.pop_claim(host)
        return claimed[1] if claimed is not None else None

    def pop_claim(self, host: str) -> tuple[str, str] | None:
        """(claim id, request) of the next request of an owned host, or None; the request stays
        in this worker's claimed ledger until ``ack(claim id)`` (or ``leave``)."""
        claim_id = f"{self._run}-{next(self._claim_ids)}"
        keys = [
            f"{self.p}owner:{host}",
            self.queue_key(host),
            self.pending_key,
            f"{self.p}claimed:{self.worker}",
        ]
        entry = self._pop(keys=keys, args=[self.worker, host, claim_id])
        if entry is None:
            return None
        return claim_id, entry.decode() if isinstance(entry, bytes) else entry

    def ack(self, claim_ids: Sequence[str], documents: Sequence[str] = ()) -> None:
        """The rows of these claimed requests, and the bodies of these consent documents (keys
        of ``docstore``), are in part files on disk: never redo them if this worker dies."""
        if not claim_ids and not documents:
            return
        pipe = self.r.pipeline(transaction=True)
        if claim_ids:
            pipe.hdel(f"{self.p}claimed:{self.worker}", *claim_ids)
        if documents:
            pipe.srem(f"{self.p}docsby:{self.worker}", *documents)
        pipe.execute()

    def claimed_count(self) -> int:
        return int(self.r.hlen(f"{self.p}claimed:{self.worker}"))

    def claim_host(self, host: str) -> bool:
        keys = [f"{self.p}owner:{host}", f"{self.p}owned:{self.worker}"]
        if self._claim_host(keys=keys, args=[self.worker, host]):
            self.owned.append(host)
            return True
        return False

    def owner_of(self, host: str) -> str | None:
        value = self.r.get(f"{self.p}owner:{host}")
        return value.decode() if value is not None else None

    def pending_hosts(self, count: int) -> list[str]:
        """Up to ``count`` hosts with queued requests, in random order (spreads the claims)."""
        hosts = self.r.srandmember(self.pending_key, count) or []
        return [h.decode() if isinstance(h, bytes) else h for h in hosts]

    def fair_share(self) -> int:
        """How many hosts with queued work one worker may own: pending hosts / live workers."""
        pipe = self.r.pipeline(transaction=False)
        pipe.scard(self.pending_key)
        pipe.hlen(self.workers_key)
        pending, workers = pipe.execute()
        return max(1, math.ceil(pending / max(1, workers)))

    # --- liveness
    def heartbeat(self, idle: bool) -> None:
        self._heartbeat(keys=[self.workers_key, self.idle_key], args=[self.worker, int(idle)])

    def is_registered(self) -> bool:
        return bool(self.r.hexists(self.workers_key, self.worker))

    def reclaim_dead(self) -> int:
        """Requeue the claimed requests of dead workers; how many went back to the queues."""
        return int(
            self._reclaim(
                keys=[self.workers_key, self.idle_key, self.pending_key],
                args=[self.p, self.timeout_ms],
            )
        )

    def requeue_own(self) -> int:
        """Take back what an earlier run under this worker's id left claimed and owned."""
        keys = [self.workers_key, self.idle_key, self.pending_key]
        return int(self._requeue_own(keys=keys, args=[self.p, self.worker]))

    def globally_idle(self) -> bool:
        keys = [self.workers_key, self.idle_key, self.pending_key]
        return bool(self._global_idle(keys=keys))

    def leave(self) -> None:
        """Acknowledge every claim and free the worker's hosts (``requeue_own`` instead hands
        back what is still claimed: what a closing worker does)."""
        self._leave(keys=[self.workers_key, self.idle_key], args=[self.p, self.worker])
        self.owned.clear()

    def state(self) -> FrontierState:
        hosts = [h.decode() for h in self.r.smembers(self.pending_key)]
        queued = sum(self.r.llen(self.queue_key(h)) for h in hosts)
        claimed = sum(
            self.r.hlen(k) for k in self.r.scan_iter(match=f"{self.p}claimed:*", count=1000)
        )
        return FrontierState(len(hosts), queued, self.r.hlen(self.workers_key), claimed)
