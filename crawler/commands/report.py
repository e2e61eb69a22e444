"""``scrapy report INDEX_DIR``: rebuild README.md (dataset card), report.html, domains.parquet.

From the existing outputs of a crawl or regeneration (``manifest.json`` and the part files), for
an index written before these existed or after editing its files. Exit status 2 when INDEX_DIR
holds no manifest.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.report.publish import CARD, DOMAINS, REPORT, publish


class Command(ScrapyCommand):
    requires_project = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "INDEX_DIR"

    def short_desc(self) -> str:
        return "Rebuild the dataset card (README.md), report.html and domains.parquet"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one INDEX_DIR")
        root = Path(args[0])
        try:
            published = publish(root)
        except (FileNotFoundError, ValueError) as exc:
            print(f"consentcrawl: error: {exc}", file=sys.stderr)
            self.exitcode = 2
            return
        print(published.summary)
        for name in (CARD, REPORT, DOMAINS):
            print(f"wrote {root / name}")
