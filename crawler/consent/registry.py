"""The family registry: every consent-signal family, in evaluation order (pure, no Scrapy).

Each entry is the ``FAMILY`` declaration of one module (see ``crawler.consent.family``). The
policy presets, the ``*_ENABLED`` settings, the documents fetched per origin, the engine
pipeline's order, ``configs/default.toml`` and the README's families table derive from it.

The order is the order in which signals are appended to a row's evidence (its ``consent``
column): page evaluators, then image evaluators, family by family, in each phase.
"""

from __future__ import annotations

from crawler.consent import (
    aipref,
    aitxt,
    contentsignal,
    iptc,
    probe,
    robots,
    robots_ext,
    tdmrep,
    xrobots,
)
from crawler.consent.family import DocumentSpec, Family, Switch

FAMILIES: tuple[Family, ...] = (
    robots.FAMILY,
    aitxt.FAMILY,
    tdmrep.FAMILY,
    xrobots.FAMILY,
    xrobots.META_ROBOTS,
    robots_ext.RECORDS,
    aipref.FAMILY,
    contentsignal.FAMILY,
    probe.FAMILY,
    iptc.FAMILY,
)


def family(name: str) -> Family:
    """The registered family called ``name`` (KeyError when there is none)."""
    for declared in FAMILIES:
        if declared.name == name:
            return declared
    raise KeyError(name)


def switches() -> tuple[Switch, ...]:
    """Every policy switch, once, in registry order (a switch may be declared by several
    families, e.g. ``aipref`` by its header family and by the robots.txt records)."""
    seen: dict[str, Switch] = {}
    for declared in FAMILIES:
        for switch in declared.switches:
            known = seen.setdefault(switch.name, switch)
            if known != switch:
                raise ValueError(f"switch {switch.name!r} is declared twice, differently")
    return tuple(seen.values())


def documents() -> tuple[DocumentSpec, ...]:
    """Every document any family reads, once per name, in registry order."""
    seen: dict[str, DocumentSpec] = {}
    for declared in FAMILIES:
        for spec in declared.documents:
            seen.setdefault(spec.name, spec)
    return tuple(seen.values())
