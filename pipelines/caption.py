"""Caption pipeline: pick each candidate's caption from the allowed sources, in order.

``CAPTION_SOURCES`` (default alt, figcaption, thumbcaption, og:image:alt, twitter:image:alt)
names where a caption may come from; the first non-empty one becomes ``caption`` and its name
``caption_source``. ``["alt"]`` is LAION's alt-only rule. With ``CAPTION_REQUIRED``, a candidate
with no text in any allowed source is excluded as ``caption:missing``.

Candidates that arrive without extraction texts (``scrapy regenerate`` rows carry the input's
caption) keep their caption as it is.
"""

from __future__ import annotations

from collections import Counter

from scrapy.crawler import Crawler

from crawler.imagecontext import check_caption_sources, pick_caption
from crawler.records import Item, PageItem


class CaptionPipeline:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.required = settings.getbool("CAPTION_REQUIRED")
        self.sources = check_caption_sources(settings.getlist("CAPTION_SOURCES"))
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptionPipeline:
        return cls(crawler)

    def process_item(self, item: Item) -> Item:
        if not isinstance(item, PageItem):
            return item
        counts: Counter[str] = Counter()
        for candidate in item.candidates:
            extracted = candidate.extracted
            if extracted is None:
                continue  # an input row (regenerate): its caption is the input's
            caption, source = pick_caption(extracted.caption_texts(), self.sources)
            candidate.caption, candidate.caption_source = caption, source
            if source is not None:
                counts[source] += 1
            if self.required and not caption:
                candidate.reasons.append("caption:missing")
        # Stats once per item and source (Scrapy's stats cost ~2 us a call; the same totals).
        for source, n in counts.items():
            self.stats.inc_value(f"consentcrawl/caption_source/{source}", n)
        return item
