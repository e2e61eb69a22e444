"""One instance per crawl of the objects that several Scrapy components share.

Scrapy builds the spider, middlewares, pipelines and extensions separately, and several of them
need the same object: the consent document store, the policy, the image prober, the regeneration
batch book. Scrapy's own look-ups (``crawler.get_extension()`` and friends) only work once the
engine exists, after the spider is built, and the spider needs some of these objects too.

``shared(crawler, key, build)`` is the one mechanism: it returns the crawl's instance for
``key`` (a class, by convention the instance's own), building it with ``build()`` the first
time. Each shared class exposes it as ``Class.of(crawler)``. The instances live in a table keyed
weakly by the crawler, so nothing is stored on the crawler; as most of them hold their crawler
(which would keep a weak key alive), the crawl's entry is dropped when its engine stops.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from scrapy import signals

__all__ = ["install", "shared", "shared_if_built"]

T = TypeVar("T")

_INSTANCES: WeakKeyDictionary[Any, dict[type, Any]] = WeakKeyDictionary()


def _table(crawler: Any) -> dict[type, Any]:
    instances = _INSTANCES.get(crawler)
    if instances is None:
        instances = _INSTANCES[crawler] = {}
        manager = getattr(crawler, "signals", None)
        if manager is not None:
            ref = weakref.ref(crawler)

            def forget() -> None:
                owner = ref()
                if owner is not None:
                    _INSTANCES.pop(owner, None)

            manager.connect(forget, signal=signals.engine_stopped, weak=False)
    return instances


def shared(crawler: Any, key: type[T], build: Callable[[], T]) -> T:
    """The crawl's one ``key`` instance, built by ``build()`` on first use."""
    instances = _table(crawler)
    instance = instances.get(key)
    if instance is None:
        instance = instances[key] = build()
    return instance


def shared_if_built(crawler: Any, key: type[T]) -> T | None:
    """The crawl's ``key`` instance if some component built it, else None."""
    instances = _INSTANCES.get(crawler)
    return None if instances is None else instances.get(key)


def install(crawler: Any, key: type[T], instance: T) -> T:
    """Make ``instance`` the crawl's ``key`` (a component that sets it up itself)."""
    _table(crawler)[key] = instance
    return instance
