"""What a single-process crawl loads at start-up (issue 16): every command and spider module is
imported by ``scrapy crawl``, so a heavy library only one mode needs (redis-py, for
``REDIS_URL``; warcio, for replay; aiohttp, for Scrapy's remote control) must be imported where
that mode starts, not at module level."""

from __future__ import annotations

from scrapy.settings import Settings

from crawler.addon import REMOTE_CONTROL, drop_disabled_remote_control
from tests.support.cli import python_json

_HEAVY = ("redis", "tldextract", "warcio", "aiohttp")
# Built components may load tldextract: Scrapy's cookies middleware imports it.
_BUILT_HEAVY = ("redis", "warcio", "aiohttp")
_LOADED = f"""
import json, sys
from scrapy.utils.misc import walk_modules
for package in ("crawler.commands", "crawler.spiders", "pipelines"):
    walk_modules(package)
import crawler.distributed.addon, crawler.distributed.connection, crawler.distributed.output
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {_HEAVY!r})))
"""
# The extensions and downloader middlewares of a regeneration, built as `scrapy regenerate`
# builds them (add-ons applied first), without running it.
_BUILT = f"""
import json, sys
from scrapy.extension import ExtensionManager
from scrapy.core.downloader.middleware import DownloaderMiddlewareManager
from scrapy.utils.project import get_project_settings
from scrapy.crawler import Crawler
from crawler.spiders.regenerate import RegenerateSpider
crawler = Crawler(RegenerateSpider, get_project_settings(), init_reactor=True)
crawler._apply_settings()
extensions = ExtensionManager.from_crawler(crawler)
DownloaderMiddlewareManager.from_crawler(crawler)
print(json.dumps({{
    "heavy": sorted(m for m in sys.modules if m.split(".")[0] in {_BUILT_HEAVY!r}),
    "extensions": sorted(type(e).__name__ for e in extensions.middlewares),
}}))
"""


def test_commands_spiders_and_pipelines_do_not_import_heavy_libraries() -> None:
    # tldextract (~0.17 s, it imports requests) is imported when a crawl's scope is built.
    assert python_json(_LOADED) == []


def test_a_regeneration_builds_its_extensions_without_redis_aiohttp_or_warcio() -> None:
    built = python_json(_BUILT)
    assert built["heavy"] == []
    assert "CrawlProgress" in built["extensions"]  # the project's extensions are built
    assert "RemoteControl" not in built["extensions"]


def test_remote_control_is_left_out_only_when_disabled() -> None:
    def extensions(**values: object) -> dict[str, object]:
        settings = Settings({"EXTENSIONS_BASE": {"a.B": 0, REMOTE_CONTROL: 0}, **values})
        drop_disabled_remote_control(settings)
        return dict(settings.getwithbase("EXTENSIONS"))

    assert extensions(REMOTE_CONTROL_ENABLED=False) == {"a.B": 0}
    assert extensions(REMOTE_CONTROL_ENABLED=True) == {"a.B": 0, REMOTE_CONTROL: 0}
    # Placed by the user: theirs to keep.
    placed = extensions(REMOTE_CONTROL_ENABLED=False, EXTENSIONS={REMOTE_CONTROL: 7})
    assert placed == {"a.B": 0, REMOTE_CONTROL: 7}
