"""``scrapy summary INDEX_DIR``: print the summary of a finished crawl or regeneration.

The same text every crawl and regeneration prints at its end, read from ``manifest.json`` and
the part files (nothing is written). Exit status 2 when INDEX_DIR holds no manifest.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands import ScrapyCommand

from crawler.commands.index_dir import publish_index_dir


class Command(ScrapyCommand):
    requires_project = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "INDEX_DIR"

    def short_desc(self) -> str:
        return "Print the summary of a crawl or regeneration (counts by cause, reasons, licences)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        published = publish_index_dir(self, args, write=False)
        if published is None:
            return
        try:
            print(published.summary)
        except BrokenPipeError:  # `scrapy summary DIR | head`
            sys.stderr.close()
