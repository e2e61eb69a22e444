"""The family registry: every consent-signal family, in evaluation order (pure, no Scrapy).

Each entry is the ``FAMILY`` declaration of one module (see ``crawler.consent.family``). The
policy presets, the ``*_ENABLED`` settings, the documents fetched per origin, the engine
pipeline's order, ``configs/default.toml`` and the README's families table derive from it.
"""

from __future__ import annotations

from crawler.consent.family import Family

FAMILIES: tuple[Family, ...] = ()


def family(name: str) -> Family:
    """The registered family called ``name`` (KeyError when there is none)."""
    for declared in FAMILIES:
        if declared.name == name:
            return declared
    raise KeyError(name)
