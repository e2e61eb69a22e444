"""At the end of a crawl or regeneration: dataset card, report, domain table, summary, warnings.

Runs on ``engine_stopped``, which Scrapy sends after every ``spider_closed`` handler (so after
the writer put the part files and the manifest in place). Only acts on a manifest this run
wrote. The exit status (3 when every origin was unreachable) is taken by the commands from the
manifest's ``origins``, see ``crawler.report.publish.exit_status``.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.report.publish import publish, unreachable_warning

logger = logging.getLogger(__name__)


class PublishOnClose:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        index_dir = settings.get("INDEX_DIR")
        if not index_dir or not settings.getbool("PUBLISH_ON_CLOSE"):
            raise NotConfigured
        self.root = Path(index_dir)
        self.print_summary = settings.getbool("SUMMARY_ON_CLOSE")
        self.warn_share = settings.getfloat("UNREACHABLE_WARN_SHARE")
        self.started = time.time()
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PublishOnClose:
        return cls(crawler)

    def engine_stopped(self) -> None:
        manifest = self.root / "manifest.json"
        # An old manifest (the run failed before writing one) is not this run's to describe.
        if not manifest.is_file() or manifest.stat().st_mtime < self.started - 1:
            return
        try:
            published = publish(self.root)
        except Exception:  # the data and manifest are on disk; the card is a convenience
            logger.exception("could not write the dataset card and report in %s", self.root)
            return
        origins = published.manifest["origins"]
        if origins["unreachable"]:
            logger.info(
                "%d of %d origins unreachable (every row that needed them is excluded as "
                "unverifiable), e.g. %s",
                origins["unreachable"],
                origins["contacted"],
                ", ".join(origins["unreachable_examples"][:5]),
            )
        warning = unreachable_warning(published, self.warn_share)
        if warning:
            logger.warning(warning)
        if self.print_summary:
            sys.stdout.write(published.summary + "\n")
            sys.stdout.write(
                f"dataset card {self.root / 'README.md'}, report {self.root / 'report.html'}\n"
            )
            sys.stdout.flush()
