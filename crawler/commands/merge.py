"""``scrapy merge INDEX_DIR [INDEX_DIR ...]``: one manifest over every worker's parts.

The first directory is the target: parts of the others are copied into it (never moved or
deleted), then ``manifest.json`` lists every part with rows and sha256, every run (worker
manifest) and the totals. Works for crawl and regeneration outputs alike.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.distributed.output import merge_index_dirs


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "INDEX_DIR [INDEX_DIR ...]"

    def short_desc(self) -> str:
        return "Write one manifest over the part files of distributed workers"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if not args:
            raise UsageError("give at least one INDEX_DIR")
        target, *sources = (Path(a) for a in args)
        for path in (target, *sources):
            if not path.is_dir():
                print(f"consentcrawl: error: {path} is not a directory", file=sys.stderr)
                self.exitcode = 2
                return
        try:
            manifest = merge_index_dirs(target, sources)
        except (OSError, ValueError) as exc:
            print(f"consentcrawl: error: {exc}", file=sys.stderr)
            self.exitcode = 2
            return
        counts = manifest["counts"]
        print(
            f"merged {len(manifest['runs'])} runs into {target / 'manifest.json'}: "
            f"{counts['rows']['index']} index rows, {counts['rows']['excluded']} excluded rows, "
            f"{counts['consent_documents_stored']} consent documents"
        )
