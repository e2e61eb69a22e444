"""What a single-process crawl loads at start-up (issue 16): every command and spider module is
imported by ``scrapy crawl``, so a heavy library only one mode needs (redis-py, for
``REDIS_URL``) must be imported where that mode starts, not at module level."""

from __future__ import annotations

from tests.support.cli import python_json

_LOADED = """
import json, sys
from scrapy.utils.misc import walk_modules
for package in ("crawler.commands", "crawler.spiders"):
    walk_modules(package)
import crawler.distributed.addon, crawler.distributed.connection, crawler.distributed.output
heavy = ("redis", "tldextract")
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
"""


def test_commands_and_spiders_do_not_import_redis_or_tldextract() -> None:
    # tldextract (~0.17 s, it imports requests) is imported when a crawl's scope is built.
    assert python_json(_LOADED) == []


def test_the_scope_still_reads_the_public_suffix_list() -> None:
    from crawler.scope import Scope, psl_snapshot_id, scope_key

    # Pure look-ups in the bundled Public Suffix List: nothing is resolved or fetched.
    assert scope_key("www.example.co.uk") == "example.co.uk"
    assert scope_key("alice.github.io") == "alice.github.io"  # a private suffix
    assert scope_key("site.test") == "site.test"
    assert Scope(["https://news.example.co.uk/"]).allows("https://www.example.co.uk/x")
    assert psl_snapshot_id().startswith("tldextract-")


def test_distributed_meta_keys_are_the_schedulers() -> None:
    from crawler import distributed
    from crawler.distributed import scheduler

    assert scheduler.CLAIMED_META == distributed.CLAIMED_META == "distributed_claimed"
    assert scheduler.DEDUPE_META == distributed.DEDUPE_META == "distributed_dedupe"
