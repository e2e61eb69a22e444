"""The manifest stores settings with their types and the proxy without credentials."""

from __future__ import annotations

from scrapy.settings import Settings

from crawler.output.manifest import proxy_record, typed_setting
from crawler.runtime import non_default_settings


def test_cmdline_strings_become_typed_values() -> None:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for name, value in {
        "FOLLOW_LINKS": "false",
        "DOWNLOAD_TIMEOUT": "5",
        "CRAWL_DELAY_MAX": "2.5",
        "AITXT_ENABLED": "true",
        "AI_TOKENS": "GPTBot, CCBot",
        "IMAGE_PROBE": "off",
    }.items():
        settings.set(name, value, priority="cmdline")
    got = non_default_settings(settings)
    assert got["FOLLOW_LINKS"] is False
    assert got["DOWNLOAD_TIMEOUT"] == 5
    assert got["CRAWL_DELAY_MAX"] == 2.5
    assert got["AITXT_ENABLED"] is True
    assert got["AI_TOKENS"] == ["GPTBot", "CCBot"]
    assert got["IMAGE_PROBE"] == "off"  # unset default, not a boolean word: kept as text
    assert typed_setting("soon", 3) == "soon"  # unparsable: kept as given


def test_proxy_is_recorded_without_credentials() -> None:
    record = proxy_record(
        {"HTTP_PROXY": "http://alice:s3cret@proxy.example:3128", "https_proxy": "http://p:8080"}
    )
    assert record == {"http_proxy": "http://***@proxy.example:3128", "https_proxy": "http://p:8080"}
    assert "s3cret" not in str(record) and "alice" not in str(record)
