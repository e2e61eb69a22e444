"""``scrapy crawl``, with a preflight for the ``images`` spider.

A bad configuration key, a malformed seed line or an INDEX_DIR that would be overwritten stop
the run before any request, with one clear line instead of a Twisted traceback.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.utils.conf import arglist_to_dict

from crawler.config import ConfigError
from crawler.output.indexdir import check_index_dir
from crawler.output.journal import check_jobdir
from crawler.runtime import (
    apply_config,
    check_cmdline_settings,
    check_effective_settings,
    known_settings,
)
from crawler.seeds import SeedError, load_seeds


def preflight(settings, spargs: dict[str, str], cmdline: dict[str, str] | None = None) -> None:
    """Raise ConfigError / SeedError when the images crawl cannot start."""
    check_cmdline_settings(cmdline or {})
    effective = settings.copy()
    apply_config(effective, spargs.get("config"), known_settings())
    check_effective_settings(effective)
    load_seeds(spargs.get("seeds") or "")
    index_dir = effective.get("INDEX_DIR")
    resuming = check_jobdir(effective.get("JOBDIR"), index_dir or "")
    check_index_dir(index_dir, effective.getbool("INDEX_OVERWRITE") or resuming)


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if not args or args[0] != "images" or len(args) > 1:
            super().run(args, opts)
            return
        try:
            preflight(self.settings, opts.spargs, arglist_to_dict(opts.set))
        except (ConfigError, SeedError) as exc:
            print(f"consentcrawl: error: {exc}", file=sys.stderr)
            self.exitcode = 2
            return
        assert self.crawler_process is not None
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        write_error = crawler.stats.get_value("consentcrawl/write_error") if crawler.stats else None
        if write_error:
            # The rows on disk are complete and counted, but not every row got there.
            print(f"consentcrawl: error: {write_error}", file=sys.stderr)
            self.exitcode = 1
        elif self.crawler_process.bootstrap_failed:
            self.exitcode = 1
