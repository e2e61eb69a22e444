"""The consent policy: which signal families count, and how strictly (pure, no Scrapy).

Signals are combined most-restrictively (verdict.combine): any enabled family's ``disallow``
excludes the row. A preset fixes the defaults; each family can be switched on or off by its
own setting (``None`` follows the preset).

| preset        | families                     | AI tokens | noindex counts | failed probe |
|---------------|------------------------------|-----------|----------------|--------------|
| strict        | all                          | yes       | yes            | excludes     |
| standard      | all                          | yes       | no             | kept, unknown|
| robots-only   | robots.txt for our token     | no        | no             | (no probe)   |

An unreadable document (a 2xx ai.txt or tdmrep.json that cannot be read or parsed) follows the
failed probe: strict excludes its rows with ``<family>:unreadable``, standard records unknown
(``UNREADABLE_EXCLUDES`` overrides the preset).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crawler.consent.registry import switches

# Family switch -> the setting that overrides the preset (from the family registry).
FAMILY_SETTINGS = {switch.name: switch.setting for switch in switches()}


def _preset_families(preset: str) -> set[str]:
    return {switch.name for switch in switches() if switch.presets.get(preset, False)}


PRESETS: dict[str, dict[str, Any]] = {
    "strict": {
        "families": _preset_families("strict"),
        "noindex_excludes": True,
        "probe_failure_excludes": True,
        "unreadable_excludes": True,
        "probe": "head",
    },
    "standard": {
        "families": _preset_families("standard"),
        "noindex_excludes": False,
        "probe_failure_excludes": False,
        "unreadable_excludes": False,
        "probe": "head",
    },
    "robots-only": {
        "families": _preset_families("robots-only"),
        "noindex_excludes": False,
        "probe_failure_excludes": False,
        "unreadable_excludes": False,
        "probe": "off",
    },
}

PROBE_MODES = ("head", "range", "off")


class PolicyError(ValueError):
    """A policy setting that makes no sense; the message names the setting."""


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    families: frozenset[str]
    noindex_excludes: bool
    probe_failure_excludes: bool
    probe: str  # head | range | off
    unreadable_excludes: bool = True  # a 2xx document that cannot be read excludes its rows

    def enabled(self, family: str) -> bool:
        return family in self.families

    @classmethod
    def from_settings(cls, get: Callable[[str], Any]) -> Policy:
        """Build from a settings getter (``Settings.get`` or ``dict.get``)."""
        name = (get("CONSENT_POLICY") or "strict").strip().lower()
        if name not in PRESETS:
            raise PolicyError(f"CONSENT_POLICY={name!r} is not one of {', '.join(sorted(PRESETS))}")
        preset = PRESETS[name]
        families = set(preset["families"])
        for family, setting in FAMILY_SETTINGS.items():
            value = _optional_bool(get(setting), setting)
            if value is True:
                families.add(family)
            elif value is False:
                families.discard(family)
        noindex = _optional_bool(get("NOINDEX_EXCLUDES"), "NOINDEX_EXCLUDES")
        failure = _optional_bool(get("PROBE_FAILURE_EXCLUDES"), "PROBE_FAILURE_EXCLUDES")
        unreadable = _optional_bool(get("UNREADABLE_EXCLUDES"), "UNREADABLE_EXCLUDES")
        probe = get("IMAGE_PROBE")
        probe = (probe or preset["probe"]).strip().lower()
        if probe not in PROBE_MODES:
            raise PolicyError(f"IMAGE_PROBE={probe!r} is not one of {', '.join(PROBE_MODES)}")
        return cls(
            name=name,
            families=frozenset(families),
            noindex_excludes=preset["noindex_excludes"] if noindex is None else noindex,
            probe_failure_excludes=(
                preset["probe_failure_excludes"] if failure is None else failure
            ),
            probe=probe,
            unreadable_excludes=(
                preset["unreadable_excludes"] if unreadable is None else unreadable
            ),
        )

    def describe(self) -> dict[str, Any]:
        """For the manifest and ``scrapy consent``."""
        return {
            "name": self.name,
            "families": sorted(self.families),
            "noindex_excludes": self.noindex_excludes,
            "probe_failure_excludes": self.probe_failure_excludes,
            "image_probe": self.probe,
            "unreadable_excludes": self.unreadable_excludes,
        }


def _optional_bool(value: Any, setting: str) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise PolicyError(f"{setting}={value!r} is not a boolean (true/false)")
