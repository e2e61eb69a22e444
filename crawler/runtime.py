"""Glue between configuration files and Scrapy settings."""

from __future__ import annotations

from functools import cache
from typing import Any

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings, default_settings

from crawler import settings as project_settings
from crawler.config import load_config
from crawler.output.manifest import typed_setting


@cache
def known_settings() -> dict[str, Any]:
    """Every setting a configuration may name, with its default (project over Scrapy)."""
    known: dict[str, Any] = {}
    for module in (default_settings, project_settings):
        for name in dir(module):
            if name.isupper():
                known[name] = getattr(module, name)
    return known


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
