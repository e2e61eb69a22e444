"""``scrapy crawl``, with a preflight for the ``images`` spider.

A bad configuration key, a malformed seed line or an INDEX_DIR that would be overwritten stop
the run before any request, with one clear line instead of a Twisted traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.utils.conf import arglist_to_dict

from crawler.config import ConfigError
from crawler.distributed.connection import check_redis, redis_trouble
from crawler.extensions.gctune import skip_exit_collection
from crawler.imagecontext import check_caption_sources
from crawler.output.indexdir import MANIFEST, check_index_dir
from crawler.output.journal import check_jobdir
from crawler.quality.filters import quality_config
from crawler.report.publish import exit_status
from crawler.runtime import (
    apply_config,
    check_cmdline_settings,
    check_effective_settings,
    known_settings,
)
from crawler.seeds import SeedError, load_seeds


def preflight(settings, spargs: dict[str, str], cmdline: dict[str, str] | None = None) -> str:
    """Raise ConfigError / SeedError when the images crawl cannot start; return INDEX_DIR."""
    check_cmdline_settings(cmdline or {})
    effective = settings.copy()
    apply_config(effective, spargs.get("config"), known_settings())
    check_effective_settings(effective)
    load_seeds(spargs.get("seeds") or "")
    index_dir = effective.get("INDEX_DIR")
    resuming = check_jobdir(effective.get("JOBDIR"), index_dir or "")
    # With REDIS_URL the INDEX_DIR is shared by the workers by design (each writes its parts).
    shared = bool((effective.get("REDIS_URL") or "").strip())
    check_index_dir(index_dir, effective.getbool("INDEX_OVERWRITE") or resuming or shared)
    if shared:  # a typo or a server that is not up: one line, before any request
        check_redis(effective.get("REDIS_URL").strip())
    try:  # issue 11: a mistyped filter or caption source would silently change every row
        quality_config(effective)
        check_caption_sources(effective.getlist("CAPTION_SOURCES"))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return index_dir


def finished_exit_status(index_dir: str) -> int | None:
    """3 when every origin the run contacted was unreachable (see README "Exit status")."""
    try:
        return exit_status(json.loads((Path(index_dir) / MANIFEST).read_text()))
    except (OSError, ValueError):
        return None


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if not args or args[0] != "images" or len(args) > 1:
            super().run(args, opts)
            return
        try:
            index_dir = preflight(self.settings, opts.spargs, arglist_to_dict(opts.set))
        except (ConfigError, SeedError) as exc:
            print(f"consentcrawl: error: {exc}", file=sys.stderr)
            self.exitcode = 2
            return
        assert self.crawler_process is not None
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        skip_exit_collection()  # the crawl is over and its outputs closed
        write_error = crawler.stats.get_value("consentcrawl/write_error") if crawler.stats else None
        redis_url = (crawler.settings.get("REDIS_URL") or "").strip()
        stats = crawler.stats.get_stats() if crawler.stats else {}
        trouble = redis_trouble(stats, redis_url) if redis_url else None
        if write_error:
            # The rows on disk are complete and counted, but not every row got there.
            print(f"consentcrawl: error: {write_error}", file=sys.stderr)
            self.exitcode = 1
        elif trouble:
            print(f"consentcrawl: error: {trouble}", file=sys.stderr)
            self.exitcode = 1
        elif self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        elif index_dir and not self.exitcode and not redis_url:  # a worker: no manifest.json
            self.exitcode = finished_exit_status(index_dir) or self.exitcode
