"""SingleFlight: concurrent calls for one key share one computation, errors reach every waiter."""

from __future__ import annotations

import asyncio

import pytest

from crawler.singleflight import SingleFlight


def test_concurrent_calls_share_one_computation_per_key() -> None:
    flights: SingleFlight[str] = SingleFlight()
    calls: list[str] = []

    async def compute(key: str) -> str:
        calls.append(key)
        await asyncio.sleep(0.01)
        return key.upper()

    async def main() -> list[str]:
        jobs = [flights.run(k, lambda k=k: compute(k)) for k in ["a", "b", "a", "a", "b"]]
        return await asyncio.gather(*jobs)

    assert asyncio.run(main()) == ["A", "B", "A", "A", "B"]
    assert sorted(calls) == ["a", "b"]
    assert flights.coalesced == 3


def test_an_error_reaches_every_waiter_and_the_key_is_free_again() -> None:
    flights: SingleFlight[int] = SingleFlight()
    attempts = 0

    async def failing() -> int:
        nonlocal attempts
        attempts += 1
        await asyncio.sleep(0.01)
        raise OSError("unreachable")

    async def main() -> list[object]:
        return await asyncio.gather(
            flights.run("k", failing), flights.run("k", failing), return_exceptions=True
        )

    results = asyncio.run(main())
    assert all(isinstance(r, OSError) for r in results) and attempts == 1

    async def later() -> int:
        return await flights.run("k", failing)

    with pytest.raises(OSError):
        asyncio.run(later())
    assert attempts == 2  # nothing stays in flight after a failure
