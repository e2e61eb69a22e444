"""Distributed crawling on Redis / Valkey (``-s REDIS_URL=redis://HOST:PORT/DB``).

Pure parts (no Scrapy): ``server`` (start a real server for tests and demos), ``codec`` (the
JSON request schema), ``frontier`` (per-host queues, host ownership, in-flight ledgers,
heartbeats), ``seen`` (exact or Bloom seen-set). Scrapy plumbing: ``scheduler`` and ``addon``.
"""

from __future__ import annotations

import os
import socket

# Request meta keys shared by the scheduler and the spider (here, not in ``scheduler``, so that
# a single-process crawl imports neither that module nor redis-py).
CLAIMED_META = "distributed_claimed"  # claim id of a page request popped from the frontier
DEDUPE_META = "distributed_dedupe"  # a new URL: queue it only if no worker claimed it yet


def default_worker_id() -> str:
    """Host name + pid: unique per process on a machine, readable in part file names."""
    return f"{socket.gethostname()}-{os.getpid()}"


def worker_id_of(setting: str | None) -> str:
    """WORKER_ID as given, else the default; only file-name-safe characters are kept."""
    raw = (setting or "").strip() or default_worker_id()
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in raw)
