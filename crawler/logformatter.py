"""Log formatter: no per-item DEBUG record.

Scrapy filters log levels at the handler, so its "Scraped from <response>" DEBUG record is built
(and the whole item formatted) for every item even at LOG_LEVEL=WARNING. Our items are whole
pages with their candidates: the stats and the output files say what was scraped.
"""

from __future__ import annotations

from typing import Any

from scrapy.logformatter import LogFormatter


class QuietLogFormatter(LogFormatter):
    def scraped(self, item: Any, response: Any, spider: Any) -> None:  # type: ignore[override]
        return None
