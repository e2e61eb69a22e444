"""The family registry: every consent-signal family, in evaluation order (pure, no Scrapy).

Each entry is the ``FAMILY`` declaration of one module (see ``crawler.consent.family``). The
policy presets, the ``*_ENABLED`` settings, the documents fetched per origin, the engine
pipeline's order, ``configs/default.toml`` and the README's families table derive from it.

The order is the order in which signals are appended to a row's evidence (its ``consent``
column): page evaluators, then image evaluators, family by family, in each phase.
"""

from __future__ import annotations

from typing import Any

from crawler.consent import (
    aipref,
    aitxt,
    c2pa,
    contentsignal,
    denylist,
    iptc,
    probe,
    provenance,
    robots,
    robots_ext,
    rsl,
    tdmrep,
    xrobots,
)
from crawler.consent.family import DocumentSpec, Family, Switch

FAMILIES: tuple[Family, ...] = (
    robots.FAMILY,
    # Operator deny-lists: host look-ups only, before any document of the listed hosts is read.
    denylist.FAMILY,
    aitxt.FAMILY,
    tdmrep.FAMILY,
    xrobots.FAMILY,
    xrobots.META_ROBOTS,
    robots_ext.RECORDS,
    aipref.FAMILY,
    contentsignal.FAMILY,
    probe.FAMILY,
    iptc.FAMILY,
    c2pa.FAMILY,
    provenance.FAMILY,
    rsl.FAMILY,  # page before the probe; image after it (its Link header, a 401 License)
)


def family(name: str) -> Family:
    """The registered family called ``name`` (KeyError when there is none)."""
    for declared in FAMILIES:
        if declared.name == name:
            return declared
    raise KeyError(name)


def enabled_names(policy: Any) -> frozenset[str]:
    """The names of the families the policy runs (``crawler.consent.policy.Policy``)."""
    return frozenset(f.name for f in FAMILIES if f.enabled(policy))


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


def setting_defaults() -> dict[str, Any]:
    """Every family setting with its default: the switches' ``*_ENABLED`` (None: follow the
    ``CONSENT_POLICY`` preset) and the families' own settings. ``crawler/settings.py`` takes
    them from here."""
    out: dict[str, Any] = {switch.setting: None for switch in switches()}
    for declared in FAMILIES:
        for spec in declared.settings:
            out[spec.name] = spec.default
    return out


def reason_families() -> tuple[str, ...]:
    """The reason families (the part before ":") the registered families give, in order."""
    out: dict[str, None] = {}
    for declared in FAMILIES:
        for reason in declared.reasons:
            out.setdefault(reason.code.split(":", 1)[0], None)
    return tuple(out)


def _own_reasons(declared: Family) -> bool:
    # A family named after the reasons it gives (robots-records gives other families' reasons).
    return any(r.code.split(":", 1)[0] == declared.name for r in declared.reasons)


def _states_consent(declared: Family) -> bool:
    # A site or rightsholder refuses through it (a deny-list is the team's own scope, and
    # provenance is dataset hygiene: neither is a refusal).
    return any(r.cause == "refused" for r in declared.reasons)


# Families whose signals are read from the page's host and the page itself, in evaluation order
# (robots.txt for our token is always checked), and every family through which a site or a
# rightsholder states consent (their disallow is a refusal); the probe is kept apart.
PAGE_FAMILIES: tuple[str, ...] = tuple(
    f.name for f in FAMILIES if f.page is not None and _own_reasons(f)
)
CONSENT_FAMILIES: tuple[str, ...] = tuple(
    f.name
    for f in FAMILIES
    if (f.page is not None or f.image is not None)
    and _own_reasons(f)
    and _states_consent(f)
    and f.name != "probe"
)


def reason_causes() -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    """(exact code -> cause, (code prefix, cause) for codes ending in ``*``) of every reason
    the registered families declare (the report's classification)."""
    exact: dict[str, str] = {}
    prefixes: list[tuple[str, str]] = []
    for declared in FAMILIES:
        for reason in declared.reasons:
            if reason.code.endswith("*"):
                prefixes.append((reason.code.rstrip("*"), reason.cause))
            else:
                exact.setdefault(reason.code, reason.cause)
    return exact, tuple(prefixes)


# --- generated text: configs/default.toml and the README's families table -----------------------

TOML_START = "# families:start (generated: python -m crawler.consent.registry --toml)"
TOML_END = "# families:end"
README_START = "<!-- families:start (generated: python -m crawler.consent.registry --readme) -->"
README_END = "<!-- families:end -->"


def _toml_value(value: Any) -> str:
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def toml_block() -> str:
    """The family switches and settings block of ``configs/default.toml`` (between markers)."""
    lines = [
        TOML_START,
        "# Per-family switches: absent = follow the preset; true/false overrides it.",
    ]
    for switch in switches():
        key = f"# {switch.setting.lower()} = true"
        lines.append(f"{key:<40}# {switch.doc}")
    for declared in FAMILIES:
        for spec in declared.settings:
            lines.append(f"# {spec.doc}")
            lines.append(f"{spec.name.lower()} = {_toml_value(spec.default)}")
    lines.append(TOML_END)
    return "\n".join(lines) + "\n"


def _presets(switch: Switch) -> str:
    on = [name for name in ("strict", "standard", "robots-only") if switch.presets.get(name)]
    return ", ".join(on) if on else "none"


def readme_table() -> str:
    """The README's families table (between markers)."""
    rows = [
        README_START,
        "| family | phase | documents | switch (setting): on in presets | reason codes |",
        "|---|---|---|---|---|",
    ]
    for declared in FAMILIES:
        parts = []
        if declared.page is not None:
            parts.append("page")
        if declared.image is not None:
            parts.append(f"image {declared.image_phase.value}")
        phase = ", ".join(parts) or "—"
        docs = ", ".join(
            f"`{spec.path}`" if spec.path else f"{spec.name} (discovered URLs)"
            for spec in declared.documents
        )
        switched = "; ".join(
            f"`{s.name}` (`{s.setting}`): {_presets(s)}" for s in declared.switches
        )
        if declared.required:
            switched = "always on" + (f"; {switched}" if switched else "")
        elif not switched:
            switched = "always on"
        reasons = ", ".join(
            f"`{r.code}`" + ("" if r.cause == "refused" else f" ({r.cause})")
            for r in declared.reasons
        )
        rows.append(
            f"| {declared.name} | {phase} | {docs or '—'} | {switched} | {reasons or '—'} |"
        )
    rows.append(README_END)
    return "\n".join(rows) + "\n"


def between(text: str, start: str, end: str) -> str:
    """The block of ``text`` from the line ``start`` to the line ``end``, both included."""
    begin = text.index(start)
    stop = text.index(end, begin) + len(end)
    return text[begin:stop] + "\n"


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m crawler.consent.registry")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--toml", action="store_true", help="configs/default.toml's block")
    group.add_argument("--readme", action="store_true", help="the README's families table")
    args = parser.parse_args(argv)
    print(toml_block() if args.toml else readme_table(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
