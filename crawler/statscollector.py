"""The project's stats collector: Scrapy's in-memory one without its per-attribute shim.

Scrapy 2.13+ gives ``StatsCollector`` a Python ``__getattribute__`` that runs for *every*
attribute access, to wrap the public methods in a warning about the deprecated ``spider``
argument; inside each call, ``self._stats`` then raises and catches an AttributeError. An
``inc_value`` costs ~1.5 us instead of ~0.1 us, and a crawl makes dozens of stats calls a page
(Scrapy's downloader and core stats, ours): ~2.5 % of a crawl's CPU in a profile (issue 16).

Here the methods are wrapped once, when the class is made, with the same warning, and attribute
access is Python's own. Values, ``spider_stats`` and the dump at close are Scrapy's.
"""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils import decorators

# Scrapy's own wrapper, for the same DeprecationWarning on a ``spider`` argument (None in a Scrapy
# without the deprecation: nothing to warn about).
_warn_spider_arg = getattr(decorators, "_warn_spider_arg", None)

# The methods Scrapy's shim wraps (scrapy/statscollectors.py).
_WRAPPED = (
    "get_value",
    "get_stats",
    "set_value",
    "set_stats",
    "inc_value",
    "max_value",
    "min_value",
    "clear_stats",
    "open_spider",
    "close_spider",
)


class StatsCollector(MemoryStatsCollector):
    """``MemoryStatsCollector`` with plain attribute access (``STATS_CLASS``)."""

    __getattribute__ = object.__getattribute__


for _name in _WRAPPED:
    _method = getattr(MemoryStatsCollector, _name)
    setattr(StatsCollector, _name, _warn_spider_arg(_method) if _warn_spider_arg else _method)
