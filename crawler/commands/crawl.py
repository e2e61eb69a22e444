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

from crawler.config import ConfigError
from crawler.imagecontext import check_caption_sources
from crawler.output.indexdir import MANIFEST, check_index_dir
from crawler.quality.filters import quality_config
from crawler.report.publish import exit_status
from crawler.runtime import apply_config, known_settings
from crawler.seeds import SeedError, load_seeds


def preflight(settings, spargs: dict[str, str]) -> str:
    """Raise ConfigError / SeedError when the images crawl cannot start; return INDEX_DIR."""
    effective = settings.copy()
    apply_config(effective, spargs.get("config"), known_settings())
    load_seeds(spargs.get("seeds") or "")
    check_index_dir(effective.get("INDEX_DIR"), effective.getbool("INDEX_OVERWRITE"))
    try:  # issue 11: a mistyped filter or caption source would silently change every row
        quality_config(effective)
        check_caption_sources(effective.getlist("CAPTION_SOURCES"))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return effective.get("INDEX_DIR")


def finished_exit_status(index_dir: str) -> int | None:
    """3 when every origin the run contacted was unreachable (see README "Exit status")."""
    try:
        return exit_status(json.loads((Path(index_dir) / MANIFEST).read_text()))
    except (OSError, ValueError):
        return None


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        index_dir = None
        if args and args[0] == "images":
            try:
                index_dir = preflight(self.settings, opts.spargs)
            except (ConfigError, SeedError) as exc:
                print(f"consentcrawl: error: {exc}", file=sys.stderr)
                self.exitcode = 2
                return
        super().run(args, opts)
        if index_dir and not self.exitcode:
            self.exitcode = finished_exit_status(index_dir) or self.exitcode
