"""Settings given with -s are checked like configuration keys: names, then values (pure)."""

from __future__ import annotations

import pytest

from crawler.config import ConfigError
from crawler.runtime import check_cmdline_settings, known_settings


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("IMAGE_PROB", "IMAGE_PROBE"),
        ("LICENCE_ALLOW", "LICENSE_ALLOW"),
        ("DEPTH_LIMTI", "DEPTH_LIMIT"),
    ],
)
def test_a_mistyped_name_is_refused_with_the_close_match(name: str, suggestion: str) -> None:
    with pytest.raises(ConfigError, match=f"-s {name}: no such setting .did you mean {suggestion}"):
        check_cmdline_settings({name: "1"})


def test_a_name_like_nothing_gets_no_suggestion() -> None:
    with pytest.raises(ConfigError) as err:
        check_cmdline_settings({"QWXZ": "1"})
    assert "did you mean" not in str(err.value)


@pytest.mark.parametrize(
    ("pair", "allowed"),
    [
        (("CAPTION_REQUIRED", "maybe"), "true or false"),
        (("CONSENT_POLICY", "lax"), "one of robots-only, standard, strict"),
        (("DEPTH_LIMIT", "abc"), "a whole number"),
        (("INDEX_COMPRESSION", "lz77"), "one of zstd"),
        (("AITXT_ENABLED", "perhaps"), "true or false"),
        (("CRAWL_DELAY_MAX", "soon"), "a number"),
    ],
)
def test_a_wrong_value_names_the_setting_and_what_it_accepts(pair, allowed: str) -> None:
    name, value = pair
    with pytest.raises(ConfigError) as err:
        check_cmdline_settings({name: value})
    message = str(err.value)
    assert message.startswith(f"-s {name}={value}: {name} must be ")
    assert allowed in message and "\n" not in message


def test_good_values_and_scrapys_own_settings_pass() -> None:
    check_cmdline_settings(
        {
            "CAPTION_REQUIRED": "false",
            "CONSENT_POLICY": "standard",
            "DEPTH_LIMIT": "2",
            "DOWNLOAD_TIMEOUT": "2.5",
            "AITXT_ENABLED": "",
            "INDEX_COMPRESSION": "snappy",
            "JOBDIR": "/tmp/job",
            "CLOSESPIDER_PAGECOUNT": "10",
            "LOG_FILE": "x.log",
        }
    )


def test_a_commands_own_settings_can_be_added() -> None:
    with pytest.raises(ConfigError, match="REGEN_BATCH_ROWS"):
        check_cmdline_settings({"REGEN_BATCH_ROWS": "10"})
    check_cmdline_settings({"REGEN_BATCH_ROWS": "10"}, {"REGEN_BATCH_ROWS": 10_000})


def test_known_names_come_from_the_settings_modules() -> None:
    known = known_settings()
    assert "INDEX_COMPRESSION" in known and "DOWNLOAD_DELAY" in known
