"""``scrapy summary INDEX_DIR``: print the summary of a finished crawl or regeneration.

The same text every crawl and regeneration prints at its end, read from ``manifest.json`` and
the part files (nothing is written). Exit status 2 when INDEX_DIR holds no manifest.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.report.publish import publish


class Command(ScrapyCommand):
    requires_project = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "INDEX_DIR"

    def short_desc(self) -> str:
        return "Print the summary of a crawl or regeneration (counts by cause, reasons, licences)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one INDEX_DIR")
        try:
            published = publish(Path(args[0]), write=False)
        except (FileNotFoundError, ValueError) as exc:
            print(f"consentcrawl: error: {exc}", file=sys.stderr)
            self.exitcode = 2
            return
        try:
            print(published.summary)
        except BrokenPipeError:  # `scrapy summary DIR | head`
            sys.stderr.close()
