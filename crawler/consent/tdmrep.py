"""W3C TDMRep, the TDM Reservation Protocol (consent-signals.md §2).

Carriers handled here: ``/.well-known/tdmrep.json`` (an array of ``{location, tdm-reservation,
tdm-policy}``), the ``tdm-reservation``/``tdm-policy`` HTTP headers and the HTML meta tags of the
same names. Precedence: file < header < meta; an absent value never resets an earlier one and a
value other than 0/1 is a protocol error that leaves the earlier value in place.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crawler.consent.patterns import PathPattern, normalize_path, path_pattern
from crawler.consent.verdict import Signal

__all__ = [
    "MAX_TDMREP_BYTES",
    "TdmRepFile",
    "TdmRule",
    "TdmValue",
    "parse_tdmrep_json",
    "tdmrep_from_fetch",
    "tdmrep_signal",
]

FAMILY = "tdmrep"
MAX_TDMREP_BYTES = 512 * 1024

_RESERVATION_KEYS = ("tdm-reservation", "tdm_reservation", "tdmReservation", "reservation")
_POLICY_KEYS = ("tdm-policy", "tdm_policy", "tdmPolicy")


@dataclass(frozen=True, slots=True)
class TdmValue:
    """The TDMRep properties that apply to one URL."""

    reservation: int  # 0 or 1
    policy: str | None = None  # only kept when reservation == 1 (the spec ignores it for 0)
    location: str | None = None  # the matched tdmrep.json location, None for header/meta
    nonconformant: bool = False


@dataclass(frozen=True, slots=True)
class TdmRule:
    location: str
    pattern: PathPattern
    reservation: int
    policy: str | None
    nonconformant: bool = False


@dataclass(frozen=True, slots=True)
class TdmRepFile:
    """A parsed ``/.well-known/tdmrep.json``. ``error`` is set when the body was not usable."""

    source_url: str
    rules: tuple[TdmRule, ...] = ()
    error: str | None = None

    @property
    def nonconformant(self) -> bool:
        return any(rule.nonconformant for rule in self.rules)

    def lookup(self, path: str) -> TdmValue | None:
        """The first rule, in array order, whose location matches ``path`` (a URL or a path).

        TDMRep §"tdmrep.json": the most specific rule is the FIRST match, not the longest.
        """
        if not self.rules:
            return None
        normalized = normalize_path(path)
        for rule in self.rules:
            if rule.pattern.matches(normalized):
                return TdmValue(rule.reservation, rule.policy, rule.location, rule.nonconformant)
        return None


def _reservation(value: Any) -> tuple[int | None, bool]:
    """(reservation, nonconformant). Only ``1``/``0`` are conformant; ``"1"``/``true`` are
    accepted as a non-conformant 1 (lenient in the restrictive direction, digest §0); any
    other value - including ``"0"`` - is a protocol error, i.e. unset."""
    if isinstance(value, bool):
        return (1, True) if value else (None, False)
    if isinstance(value, int):
        return (value, False) if value in (0, 1) else (None, False)
    if isinstance(value, str) and value.strip() == "1":
        return 1, True
    return None, False


def _first(obj: Mapping[str, Any], keys: Sequence[str]) -> tuple[bool, Any]:
    for key in keys:
        if key in obj:
            return True, obj[key]
    return False, None


def _nested_reservation(obj: Any, depth: int = 0) -> Any:
    """Find a reservation value in invented JSON(-LD) shapes such as ``policy.tdm.reservation``."""
    if depth > 4 or not isinstance(obj, Mapping):
        return None
    found, value = _first(obj, _RESERVATION_KEYS)
    if found:
        return value
    for child in obj.values():
        value = _nested_reservation(child, depth + 1)
        if value is not None:
            return value
    return None


def _rule_from(obj: Mapping[str, Any], conformant_shape: bool) -> TdmRule | None:
    has_location = isinstance(obj.get("location"), str)
    found, raw = _first(obj, ("tdm-reservation",))
    nonconformant = not conformant_shape or not has_location
    if not found:
        raw = _nested_reservation(obj)
        nonconformant = True
        if raw is None and str(obj.get("type", obj.get("@type", ""))).lower() == "reservation":
            # e.g. {"@context": ".../tdmrep#", "type": "Reservation", "policy": "...#all-rights-
            # reserved"}: clearly a reservation, even if not TDMRep syntax.
            raw = 1
    reservation, loose = _reservation(raw)
    if reservation is None:
        return None
    nonconformant = nonconformant or loose
    if not has_location and reservation != 1:
        return None  # a malformed "not reserved" counts for nothing
    location = obj["location"] if has_location else "/"
    policy: str | None = None
    if reservation == 1:
        _, raw_policy = _first(obj, _POLICY_KEYS)
        if isinstance(raw_policy, str) and raw_policy.strip():
            policy = raw_policy.strip()
    return TdmRule(location, path_pattern(location), reservation, policy, nonconformant)


def parse_tdmrep_json(body: bytes, source_url: str) -> TdmRepFile:
    """Parse a tdmrep.json body; never raises.

    Conformant files are arrays of objects with ``location`` and ``tdm-reservation``. Real files
    deviate (see ``shared/corpus/tdmrep/real-world``): a bare object, ``tdm_reservation``, a
    reservation of ``"1"``/``true``, invented JSON-LD shapes. Those that clearly set a reservation
    of 1 become site-wide rules with ``nonconformant=True``; rules with a missing location or an
    invalid reservation are dropped.
    """
    try:
        data = json.loads(body[:MAX_TDMREP_BYTES].decode("utf-8-sig", errors="replace"))
    except (ValueError, RecursionError) as exc:
        return TdmRepFile(source_url, (), f"invalid JSON: {exc}"[:200])
    if isinstance(data, Mapping):
        entries: list[Any] = [data]
        conformant_shape = False
    elif isinstance(data, list):
        entries = data
        conformant_shape = True
    else:
        return TdmRepFile(source_url, (), f"unexpected JSON {type(data).__name__}")
    rules = []
    for entry in entries:
        if isinstance(entry, Mapping):
            rule = _rule_from(entry, conformant_shape)
            if rule is not None:
                rules.append(rule)
    error = None if rules or not entries else "no usable rule"
    return TdmRepFile(source_url, tuple(rules), error)


def tdmrep_from_fetch(status: int | None, body: bytes | None, source_url: str) -> TdmRepFile | None:
    """A 2xx body is parsed; anything else (4xx, 5xx, network error ``None``) means the origin does
    not implement TDMRep, returned as ``None`` (TDMRep: no file reachable => unset)."""
    if status is None or not 200 <= status < 300 or body is None:
        return None
    return parse_tdmrep_json(body, source_url)


def _values(carrier: Mapping[str, Sequence[str]] | None, name: str) -> list[str]:
    if not carrier:
        return []
    values = carrier.get(name)
    if values is None:
        for key, candidate in carrier.items():
            if key.lower() == name:
                values = candidate
                break
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [part.strip() for value in values for part in str(value).split(",") if part.strip()]


def _carrier_reservation(values: list[str]) -> int | None:
    """Several values: a 1 anywhere wins (restrictive); only "0"/"1" are valid."""
    valid = {value for value in values if value in ("0", "1")}
    if "1" in valid:
        return 1
    return 0 if valid else None


def tdmrep_signal(
    url: str,
    file: TdmRepFile | None,
    header_values: Mapping[str, Sequence[str]] | None,
    meta: Mapping[str, Sequence[str]] | None,
    source: str,
) -> Signal:
    """The TDMRep verdict for ``url``.

    ``header_values``/``meta`` map ``tdm-reservation``/``tdm-policy`` to their values as read from
    the response headers / HTML meta tags of the document at ``source`` (a URL; ``url`` when
    empty). The signal's ``source`` names the carrier that decided: the tdmrep.json URL,
    ``header:<source>`` or ``meta:<source>``.
    """
    base = source or url
    reservation: int | None = None
    policy: str | None = None
    nonconformant = False
    decided_by = base

    if file is not None:
        value = file.lookup(url)
        if value is not None:
            reservation, policy = value.reservation, value.policy
            nonconformant = value.nonconformant
            decided_by = file.source_url

    # Precedence (TDMRep "Precedence"): header overrides the file, HTML meta overrides the header.
    for prefix, carrier in (("header", header_values), ("meta", meta)):
        found = _carrier_reservation(_values(carrier, "tdm-reservation"))
        policies = _values(carrier, "tdm-policy")
        if found is not None:
            if found != reservation:
                policy = None  # the earlier policy belonged to the overridden reservation
            reservation, nonconformant = found, False
            decided_by = f"{prefix}:{base}"
        if policies:
            policy = policies[0]  # an absent policy never resets an earlier one

    if reservation == 1:
        text = "1" if not policy else f"1; policy={policy}"
        if nonconformant:
            text += "; nonconformant"
        return Signal.disallow(FAMILY, "reserved", decided_by, text)
    if reservation == 0:
        return Signal.allow(FAMILY, decided_by, "0")
    return Signal.unknown(FAMILY, base)
