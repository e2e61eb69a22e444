"""The ``consent`` spider behind ``scrapy consent URL``: one row through the crawl's pipelines.

The image URL (and, with ``page``, the page it appears on) is checked by exactly the code that
checks a crawled row, so the explanation is the decision the crawl would make.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.extract import Candidate
from crawler.guard import address_policy
from crawler.items import candidate_row, failure_reasons, page_item
from crawler.middlewares import refusal_signals
from crawler.records import CandidateRow, CheckItem


class ConsentSpider(scrapy.Spider):
    name = "consent"

    def __init__(self, url: str = "", page: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url = url
        self.page = page or None

    def _target(self, caption: str = "") -> CandidateRow:
        addresses = address_policy(self.crawler.settings)
        return candidate_row(Candidate(url=self.url, caption=caption), addresses)

    async def start(self) -> AsyncIterator[Any]:
        if self.page:
            yield scrapy.Request(
                self.page, callback=self.parse, errback=self.on_error, dont_filter=True
            )
            return
        # No page: the row goes through a local data: response, so that the engine sees a
        # finished request and closes at once (an item yielded from start() waits for the
        # engine's 5 s idle heartbeat).
        yield scrapy.Request("data:,", callback=self.parse_without_page, dont_filter=True)

    def parse_without_page(self, response: Response) -> Iterator[CheckItem]:
        yield CheckItem(url=None, origin=None, fetched=False, candidates=[self._target()])

    def parse(self, response: Response) -> Iterator[CheckItem]:
        page, _ = page_item(response, True, address_policy(self.crawler.settings))
        found = [c for c in page.candidates if c.url == self.url]
        yield CheckItem(
            url=page.url,
            origin=page.origin,
            fetched=True,
            candidates=[found[0] if found else self._target()],
            status=page.status,
            fetched_at=page.fetched_at,
            headers=page.headers,
            meta=page.meta,
            root=page.root,
            found_on_page=bool(found),
        )

    def on_error(self, failure: Failure) -> Iterator[CheckItem]:
        # The page itself could not be used: the row would be excluded for the page's reasons.
        target = self._target()
        page_reasons = failure_reasons(failure.value)
        target.reasons.extend(page_reasons)
        yield CheckItem(
            url=self.page,
            origin=None,
            fetched=False,
            candidates=[target],
            page_signals=refusal_signals(failure.value),  # evidence of the page's refusal
            page_reasons=page_reasons,
        )
