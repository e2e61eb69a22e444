"""The shared seen-set: which URLs some worker has already taken on (no Scrapy).

``claim_many(urls)`` answers, atomically per URL, "is this URL new, and is it mine now?": the
first worker to claim a URL schedules it, every other worker skips it. Two kinds:

* ``ExactSeenSet``: a Redis SET of 8-byte URL digests. 10^9 URLs give n^2 / 2^65 = 0.03
  expected digest collisions in all (one page wrongly skipped, with 3% probability).
* ``BloomSeenSet``: a plain-bitmap Bloom filter (SETBIT, no module needed) sized from
  ``capacity`` and ``error_rate``: at most ``error_rate`` of new URLs are wrongly taken for
  seen (and so never crawled) while fewer than ``capacity`` URLs are in it. Memory is
  ``-n ln p / (ln 2)^2`` bits: 1.8 GB for 10^9 URLs at p = 0.001, split over bitmaps of at most
  2^32 bits (Redis' 512 MB string limit).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

MAX_BITMAP_BITS = 2**32


class SeenSet(Protocol):
    def claim_many(self, urls: Iterable[str]) -> list[bool]: ...

    def push_if_new(
        self, url: str, queue_key: str, pending_key: str, host: str, entry: str
    ) -> bool:
        """Claim ``url`` and, in the same atomic step, queue ``entry``: a claimed URL is
        always in the frontier, so a worker dying between the two cannot lose it."""
        ...


# KEYS: seen-set key, queue, pending set; ARGV: digest, entry, host.
_EXACT_PUSH = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[3])
return 1
"""

# KEYS: bitmap, queue, pending set; ARGV: entry, host, bit offsets...
_BLOOM_PUSH = """
local new = 0
for i = 3, #ARGV do
  if redis.call('SETBIT', KEYS[1], ARGV[i], 1) == 0 then new = 1 end
end
if new == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[2])
return 1
"""


def url_digest(url: str) -> bytes:
    return hashlib.blake2b(url.encode("utf-8", "surrogatepass"), digest_size=8).digest()


class ExactSeenSet:
    def __init__(self, client: Any, key: str) -> None:
        self.r = client
        self.key = key
        self._push = client.register_script(_EXACT_PUSH)

    def push_if_new(
        self, url: str, queue_key: str, pending_key: str, host: str, entry: str
    ) -> bool:
        keys = [self.key, queue_key, pending_key]
        return bool(self._push(keys=keys, args=[url_digest(url), entry, host]))

    def claim_many(self, urls: Iterable[str]) -> list[bool]:
        urls = list(urls)
        if not urls:
            return []
        pipe = self.r.pipeline(transaction=False)
        for url in urls:
            pipe.sadd(self.key, url_digest(url))
        return [bool(added) for added in pipe.execute()]


@dataclass(frozen=True, slots=True)
class BloomShape:
    """Bits, hash functions and bitmaps for ``capacity`` items at ``error_rate``."""

    bits: int
    hashes: int
    bitmaps: int

    @classmethod
    def for_capacity(cls, capacity: int, error_rate: float) -> BloomShape:
        if capacity < 1 or not 0 < error_rate < 1:
            raise ValueError("Bloom filter needs capacity >= 1 and 0 < error_rate < 1")
        bits = math.ceil(-capacity * math.log(error_rate) / math.log(2) ** 2)
        hashes = max(1, round(bits / capacity * math.log(2)))
        bitmaps = math.ceil(bits / MAX_BITMAP_BITS)
        return cls(bits, hashes, bitmaps)

    @property
    def bits_per_bitmap(self) -> int:
        return math.ceil(self.bits / self.bitmaps)

    def false_positive_rate(self, items: int) -> float:
        """Expected rate of new items taken for seen once ``items`` are in the filter."""
        m, k = self.bits_per_bitmap, self.hashes
        per_bitmap = items / self.bitmaps
        return (1 - math.exp(-k * per_bitmap / m)) ** k

    def positions(self, url: str) -> tuple[int, list[int]]:
        """(bitmap, bit offsets): double hashing of one SHA-256 digest (Kirsch-Mitzenmacher)."""
        digest = hashlib.sha256(url.encode("utf-8", "surrogatepass")).digest()
        h1 = int.from_bytes(digest[:8], "big")
        h2 = int.from_bytes(digest[8:16], "big") | 1
        bitmap = int.from_bytes(digest[16:24], "big") % self.bitmaps
        m = self.bits_per_bitmap
        return bitmap, [(h1 + i * h2) % m for i in range(self.hashes)]


# Set every bit of one URL; return 1 when some bit was clear (the URL is new, and now claimed).
_BLOOM_CLAIM = """
local new = 0
for i = 1, #ARGV do
  if redis.call('SETBIT', KEYS[1], ARGV[i], 1) == 0 then new = 1 end
end
return new
"""


class BloomSeenSet:
    def __init__(self, client: Any, key: str, capacity: int, error_rate: float) -> None:
        self.r = client
        self.key = key
        self.shape = BloomShape.for_capacity(capacity, error_rate)
        self._claim = client.register_script(_BLOOM_CLAIM)
        self._push = client.register_script(_BLOOM_PUSH)

    def push_if_new(
        self, url: str, queue_key: str, pending_key: str, host: str, entry: str
    ) -> bool:
        bitmap, offsets = self.shape.positions(url)
        keys = [f"{self.key}:{bitmap}", queue_key, pending_key]
        return bool(self._push(keys=keys, args=[entry, host, *offsets]))

    def claim_many(self, urls: Iterable[str]) -> list[bool]:
        urls = list(urls)
        if not urls:
            return []
        pipe = self.r.pipeline(transaction=False)
        for url in urls:
            bitmap, offsets = self.shape.positions(url)
            self._claim(keys=[f"{self.key}:{bitmap}"], args=offsets, client=pipe)
        return [bool(new) for new in pipe.execute()]
