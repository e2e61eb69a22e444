"""What ``scrapy report`` and ``scrapy summary`` share: read the one INDEX_DIR they are given.

A helper module, not a command: it defines no ``ScrapyCommand`` subclass, so Scrapy's command
discovery (every such class in ``COMMANDS_MODULE``) lists nothing for it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.report.publish import Published, publish


def publish_index_dir(command: ScrapyCommand, args: list[str], *, write: bool) -> Published | None:
    """``publish`` the one INDEX_DIR of ``args``; None, with the message on stderr and exit status
    2, when it holds no readable manifest (a usage error when not exactly one is given)."""
    if len(args) != 1:
        raise UsageError("give exactly one INDEX_DIR")
    try:
        return publish(Path(args[0]), write=write)
    except (FileNotFoundError, ValueError) as exc:
        print(f"consentcrawl: error: {exc}", file=sys.stderr)
        command.exitcode = 2
        return None
