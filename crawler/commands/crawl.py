"""``scrapy crawl``, with a preflight for the ``images`` spider.

A bad configuration key, a malformed seed line or an INDEX_DIR that would be overwritten stop
the run before any request, with one clear line instead of a Twisted traceback.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from crawler.config import ConfigError
from crawler.output.indexdir import check_index_dir
from crawler.runtime import apply_config, known_settings
from crawler.seeds import SeedError, load_seeds


def preflight(settings, spargs: dict[str, str]) -> None:
    """Raise ConfigError / SeedError when the images crawl cannot start."""
    effective = settings.copy()
    apply_config(effective, spargs.get("config"), known_settings())
    load_seeds(spargs.get("seeds") or "")
    # With REDIS_URL the INDEX_DIR is shared by the workers by design (each writes its parts).
    shared = bool((effective.get("REDIS_URL") or "").strip())
    check_index_dir(effective.get("INDEX_DIR"), effective.getbool("INDEX_OVERWRITE") or shared)


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args and args[0] == "images":
            try:
                preflight(self.settings, opts.spargs)
            except (ConfigError, SeedError) as exc:
                print(f"consentcrawl: error: {exc}", file=sys.stderr)
                self.exitcode = 2
                return
        super().run(args, opts)
