"""Glue between configuration files and Scrapy settings."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings, default_settings

from crawler import settings as project_settings
from crawler.config import ConfigError, check_setting_names, check_setting_text, load_config
from crawler.consent.policy import PRESETS, PROBE_MODES, Policy, PolicyError
from crawler.output.manifest import typed_setting
from crawler.output.shards import PARQUET_CODECS, check_compression

# String settings with a fixed set of values (checked before the first request).
SETTING_CHOICES: dict[str, tuple[str, ...]] = {
    "CONSENT_POLICY": tuple(sorted(PRESETS)),
    "IMAGE_PROBE": PROBE_MODES,
    "LICENSE_SCOPE": ("any", "image"),
    "INDEX_COMPRESSION": PARQUET_CODECS,
    "LOG_LEVEL": ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"),
}


@cache
def known_settings() -> dict[str, Any]:
    """Every setting a configuration may name, with its default (project over Scrapy)."""
    known: dict[str, Any] = {}
    for module in (default_settings, project_settings):
        for name in dir(module):
            if name.isupper():
                known[name] = getattr(module, name)
    return known


def check_cmdline_settings(pairs: Mapping[str, str], extra: Mapping[str, Any] = {}) -> None:
    """Raise ConfigError for a ``-s NAME=VALUE`` whose name is no setting (with a close match)
    or whose value cannot be one of that setting's (one line, naming the allowed values).

    ``extra`` adds a command's own settings (name -> default), e.g. regenerate's REGEN_*.
    """
    known = {**known_settings(), **extra}
    check_setting_names(pairs, known, "-s")
    for name, text in pairs.items():
        check_setting_text(name, text, known[name], "-s", SETTING_CHOICES.get(name, ()))


def check_effective_settings(settings: BaseSettings) -> None:
    """Values that only fail late (policy, compression), checked once the configuration file and
    -s are merged, before the first request."""
    try:
        policy = Policy.from_settings(settings.get)
    except PolicyError as exc:
        raise ConfigError(str(exc)) from None
    check_compression(settings.get("INDEX_COMPRESSION"))
    # A family's own settings (e.g. DENYLIST_FILES: files read and parsed): a bad one stops the
    # run here, before the first request, not in a pipeline's start-up.
    from crawler.consent.registry import FAMILIES

    for family in FAMILIES:
        if family.configure is not None and family.enabled(policy):
            try:
                family.configure(settings.get)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None


def apply_config(settings: BaseSettings, path: str | None, known: dict[str, Any]) -> None:
    """Load ``path`` (if any) into ``settings`` at "spider" priority: -s still wins."""
    if not path:
        return
    values = load_config(path, known)
    settings.set("CONSENTCRAWL_CONFIG", str(path), priority="spider")
    for name, value in values.items():
        settings.set(name, value, priority="spider")


def non_default_settings(settings: BaseSettings) -> dict[str, Any]:
    """Every setting set above Scrapy's defaults (project, config file, -s), for a manifest,
    each as its type (``-s FOLLOW_LINKS=false`` is ``false``, not ``"false"``)."""
    floor = SETTINGS_PRIORITIES["default"]
    known = known_settings()
    return {
        name: typed_setting(settings[name], known.get(name))
        for name in sorted(settings.attributes)
        if (settings.getpriority(name) or 0) > floor
    }
