"""``scrapy report INDEX_DIR``: rebuild README.md (dataset card), report.html, domains.parquet.

From the existing outputs of a crawl or regeneration (``manifest.json`` and the part files), for
an index written before these existed or after editing its files. Exit status 2 when INDEX_DIR
holds no manifest.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scrapy.commands import ScrapyCommand

from crawler.commands.index_dir import publish_index_dir
from crawler.report.publish import CARD, DOMAINS, REPORT


class Command(ScrapyCommand):
    requires_project = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "INDEX_DIR"

    def short_desc(self) -> str:
        return "Rebuild the dataset card (README.md), report.html and domains.parquet"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        published = publish_index_dir(self, args, write=True)
        if published is None:
            return
        print(published.summary)
        root = Path(args[0])
        for name in (CARD, REPORT, DOMAINS):
            print(f"wrote {root / name}")
