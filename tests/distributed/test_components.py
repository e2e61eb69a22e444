"""Frontier, seen-sets, request codec and the shared consent-document fetch, on a real server."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from crawler.distributed import codec
from crawler.distributed.docstore import SharedFetches
from crawler.distributed.frontier import Frontier
from crawler.distributed.seen import BloomSeenSet, BloomShape, ExactSeenSet


def test_server_is_a_real_process_on_loopback(server) -> None:
    assert server.process.poll() is None
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"INFO server\r\n")
        reply = sock.recv(4096)
    assert b"redis_version:" in reply or b"valkey_version:" in reply


def test_codec_round_trips_bytes_that_json_cannot_carry() -> None:
    record = codec.RequestRecord(
        url="http://a.test/p?q=1",
        host="a.test",
        method="POST",
        headers=[(b"Accept-Encoding", b"identity"), (b"X-Bin", b"\xff\x00")],
        body=b"\x00\x01\xfe",
        meta={"depth": 2, "redirect_urls": ["http://a.test/"]},
        priority=-1,
        dont_filter=True,
        callback="parse",
        errback="on_error",
    )
    text = codec.encode(record)
    json.loads(text)  # plain JSON, no pickle
    assert codec.decode(text) == record
    with pytest.raises(codec.CodecError):
        codec.decode(b"\x80\x04pickle")
    with pytest.raises(codec.CodecError):
        codec.decode('{"v": 99}')


def test_json_safe_drops_what_json_cannot_carry() -> None:
    kept, dropped = codec.json_safe({"depth": 1, "obj": object(), "b": b"x"})
    assert kept == {"depth": 1} and sorted(dropped) == ["b", "obj"]


def test_a_host_is_popped_only_by_its_owner(client) -> None:
    a = Frontier(client, "t", "wa", worker_timeout=30)
    b = Frontier(client, "t", "wb", worker_timeout=30)
    a.push("h.test", '{"host":"h.test","n":1}')
    a.push("h.test", '{"host":"h.test","n":2}')
    assert a.claim_host("h.test")
    assert not b.claim_host("h.test")
    assert b.pop("h.test") is None  # not the owner
    assert json.loads(a.pop("h.test"))["n"] == 1
    assert json.loads(a.pop("h.test"))["n"] == 2
    assert a.pop("h.test") is None
    assert a.pending_hosts(10) == []


def test_a_dead_workers_claimed_requests_return_to_the_front(client) -> None:
    dead = Frontier(client, "t", "dead", worker_timeout=0.2)
    alive = Frontier(client, "t", "alive", worker_timeout=0.2)
    for n in range(3):
        dead.push("h.test", json.dumps({"host": "h.test", "n": n}))
    dead.heartbeat(idle=False)
    assert dead.claim_host("h.test")
    popped = [json.loads(dead.pop("h.test"))["n"] for _ in range(2)]
    assert popped == [0, 1]
    assert not alive.claim_host("h.test")
    client.set("t:doc:robots:http://h.test/robots.txt", "x")
    client.sadd("t:docsby:dead", "t:doc:robots:http://h.test/robots.txt")
    import time

    time.sleep(0.5)
    alive.heartbeat(idle=False)
    assert alive.reclaim_dead() == 2
    assert alive.claim_host("h.test")  # the dead worker's hosts are free again
    got = []
    while (entry := alive.pop("h.test")) is not None:
        got.append(json.loads(entry)["n"])
    assert sorted(got) == [0, 1, 2]  # nothing lost, nothing twice
    assert not client.exists("t:doc:robots:http://h.test/robots.txt")  # refetched, stored once
    assert alive.reclaim_dead() == 0


def test_global_idle_needs_every_live_worker_idle_and_no_queue(client) -> None:
    a = Frontier(client, "t", "a", worker_timeout=30)
    b = Frontier(client, "t", "b", worker_timeout=30)
    a.heartbeat(idle=True)
    b.heartbeat(idle=False)
    assert not a.globally_idle()
    b.heartbeat(idle=True)
    assert a.globally_idle()
    b.push("h.test", '{"host":"h.test"}')
    assert not a.globally_idle()


def test_leaving_acknowledges_claims_and_frees_hosts(client) -> None:
    a = Frontier(client, "t", "a", worker_timeout=30)
    a.push("h.test", '{"host":"h.test"}')
    a.heartbeat(idle=False)
    assert a.claim_host("h.test") and a.pop("h.test")
    a.leave()
    assert client.hlen("t:claimed:a") == 0 and not client.exists("t:owner:h.test")
    assert not client.hexists("t:workers", "a")


def test_exact_seen_set_claims_each_url_once_across_workers(client) -> None:
    one, two = ExactSeenSet(client, "t:seen"), ExactSeenSet(client, "t:seen")
    assert one.claim_many(["http://a/1", "http://a/2", "http://a/1"]) == [True, True, False]
    assert two.claim_many(["http://a/2", "http://a/3"]) == [False, True]


def test_bloom_shape_and_measured_false_positive_rate(client) -> None:
    shape = BloomShape.for_capacity(1_000_000_000, 0.001)
    assert shape.hashes == 10 and 1.7e9 < shape.bits / 8 < 1.9e9  # 1.8 GB for 10^9 URLs
    assert shape.bitmaps == 4  # Redis strings hold at most 2^32 bits
    seen = BloomSeenSet(client, "t:bloom", capacity=2000, error_rate=0.01)
    filling = seen.claim_many([f"http://a/{n}" for n in range(2000)])
    assert filling.count(False) < 40  # false positives while filling: below the rate
    assert not any(seen.claim_many([f"http://a/{n}" for n in range(2000)]))
    # Each fresh claim also fills the filter: 400 more stay near the capacity.
    fresh = seen.claim_many([f"http://b/{n}" for n in range(400)])
    assert seen.shape.false_positive_rate(2000) == pytest.approx(0.01, rel=0.2)
    assert fresh.count(False) / len(fresh) < 0.04  # stated rate 0.01 at capacity


class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, name: str) -> None:
        self.values[name] = self.values.get(name, 0) + 1


def test_shared_fetch_is_one_fetch_across_workers(client) -> None:
    calls: list[str] = []

    async def fetch(kind: str, url: str):
        calls.append(url)
        await asyncio.sleep(0.2)
        return 200, b"User-agent: *\nDisallow: /x\n", url, None

    stats = _Stats()
    workers = [
        SharedFetches(client, "t", f"w{i}", ttl=60, lock_seconds=30, stats=lambda: stats)
        for i in range(3)
    ]

    async def main():
        return await asyncio.gather(
            *(w.fetch_once("robots", "http://h.test/robots.txt", fetch) for w in workers)
        )

    results = asyncio.run(main())
    assert calls == ["http://h.test/robots.txt"]
    assert all(
        r == (200, b"User-agent: *\nDisallow: /x\n", "http://h.test/robots.txt", None)
        for r in results
    )
    assert stats.values["consent/documents_shared_hits"] == 2
    assert 0 < client.pttl("t:doc:robots:http://h.test/robots.txt") <= 60_000


def test_a_lock_left_by_a_dead_worker_expires(client) -> None:
    client.set("t:doclock:aitxt:http://h.test/ai.txt", "dead", px=300)
    calls = []

    async def fetch(kind: str, url: str):
        calls.append(url)
        return None, None, None, "timeout"

    shared = SharedFetches(client, "t", "w", ttl=60, lock_seconds=30)
    result = asyncio.run(shared.fetch_once("aitxt", "http://h.test/ai.txt", fetch))
    assert result == (None, None, None, "timeout") and len(calls) == 1


@pytest.mark.parametrize("kind", ["exact", "bloom"])
def test_claim_and_queue_are_one_step(client, kind: str) -> None:
    if kind == "exact":
        seen = ExactSeenSet(client, "t:seen")
    else:
        seen = BloomSeenSet(client, "t:bloom", capacity=1000, error_rate=0.001)
    args = ("t:q:h.test", "t:pending", "h.test")
    assert seen.push_if_new("http://h.test/a", *args[:2], args[2], '{"n":1}')
    assert not seen.push_if_new("http://h.test/a", *args[:2], args[2], '{"n":2}')
    assert client.lrange("t:q:h.test", 0, -1) == [b'{"n":1}']
    assert client.smembers("t:pending") == {b"h.test"}


def test_acknowledged_claims_are_not_redone_when_the_worker_dies(client) -> None:
    import time

    dead = Frontier(client, "t", "dead", worker_timeout=0.2)
    alive = Frontier(client, "t", "alive", worker_timeout=0.2)
    for n in range(3):
        dead.push("h.test", json.dumps({"host": "h.test", "n": n}))
    dead.heartbeat(idle=False)
    assert dead.claim_host("h.test")
    first, second = dead.pop_claim("h.test"), dead.pop_claim("h.test")
    assert first is not None and second is not None and first[0] != second[0]
    doc = "t:doc:robots:http://h.test/robots.txt"
    client.set(doc, "x")
    client.sadd("t:docsby:dead", doc)
    dead.ack([first[0]], [doc])  # its rows and the document's body are on disk
    time.sleep(0.5)
    alive.heartbeat(idle=False)
    assert alive.reclaim_dead() == 1
    assert alive.claim_host("h.test")
    got = []
    while (entry := alive.pop("h.test")) is not None:
        got.append(json.loads(entry)["n"])
    assert sorted(got) == [1, 2]  # the acknowledged one is not redone
    assert client.exists(doc)  # stored by the dead worker: not fetched again


def test_a_worker_restarted_under_its_id_takes_back_its_claims_and_hosts(client) -> None:
    old = Frontier(client, "t", "w", worker_timeout=30)
    for n in range(2):
        old.push("h.test", json.dumps({"host": "h.test", "n": n}))
    old.heartbeat(idle=False)
    assert old.claim_host("h.test") and old.pop("h.test")
    new = Frontier(client, "t", "w", worker_timeout=30)  # same WORKER_ID, new process
    assert new.requeue_own() == 1
    assert new.claim_host("h.test")  # its earlier run's host is not stuck
    assert [json.loads(e)["n"] for e in iter(lambda: new.pop("h.test"), None)] == [0, 1]


def test_regen_leases_expire_for_others_and_come_back_at_once_to_their_owner(client) -> None:
    import time

    from crawler.distributed.regen import BatchQueue

    killed = BatchQueue(client, "t:regen:x", "w0", lease_seconds=30)
    killed.seed(3)
    killed.seed(3)  # every worker seeds: idempotent
    assert [killed.claim(), killed.claim()] == [0, 1]
    other = BatchQueue(client, "t:regen:x", "w1", lease_seconds=30)
    other.total = 3
    assert other.claim() == 2 and other.claim() is None  # w0's leases are not expired
    restarted = BatchQueue(client, "t:regen:x", "w0", lease_seconds=30)  # same WORKER_ID
    restarted.total = 3
    assert restarted.release_own() == 2  # --resume under the same id: its leases at once
    assert sorted([restarted.claim(), restarted.claim()]) == [0, 1]
    short = BatchQueue(client, "t:regen:y", "w0", lease_seconds=0.2)
    short.seed(1)
    assert short.claim() == 0
    time.sleep(0.4)  # the lease expires: any worker redoes the batch
    assert BatchQueue(client, "t:regen:y", "w1", lease_seconds=30).claim() == 0
    for n in range(3):
        restarted.complete(n)
    assert restarted.all_done()
