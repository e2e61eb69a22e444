"""W3C TDMRep, the TDM Reservation Protocol (consent-signals.md §2).

Carriers handled here: ``/.well-known/tdmrep.json`` (an array of ``{location, tdm-reservation,
tdm-policy}``), the ``tdm-reservation``/``tdm-policy`` HTTP headers and the HTML meta tags of the
same names. Precedence: file < header < meta; an absent value never resets an earlier one and a
value other than 0/1 is a protocol error that leaves the earlier value in place.

Reading tdmrep.json fails closed (issue 9). A file is parsed entry by entry (``raw_decode``), so
a file cut at the size cap (``MAX_TDMREP_BYTES`` here, or a download stopped at the store's cap)
keeps every entry complete within the cap, as RFC 9309 §2.5 does for robots.txt; first-match
order makes those entries final for the URLs they match. A file that exists (2xx) but cannot be
read - invalid JSON, not an array or object, cut before its first entry ends - is *unreadable*:
the strict policy excludes with ``tdmrep:unreadable``, the standard policy records unknown. In a
broken file the entries before the error still reserve, but a ``0`` there allows nothing (a
malformed allow counts for nothing). An empty body or an HTML page (a soft 404) is no file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crawler.consent.family import (
    DocumentSpec,
    EvalEnv,
    Family,
    ImageContext,
    PageContext,
    Phase,
    Reason,
    Switch,
)
from crawler.consent.patterns import PathPattern, normalize_path, path_pattern
from crawler.consent.sizecap import size_capped_fetch
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

NAME = "tdmrep"
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

    def describe(self) -> str:
        """The evidence text: ``1; policy=<url>; location=<pattern>; nonconformant``."""
        text = str(self.reservation)
        if self.policy:
            text += f"; policy={self.policy}"
        if self.location is not None:
            text += f"; location={self.location}"
        if self.nonconformant:
            text += "; nonconformant"
        return text


@dataclass(frozen=True, slots=True)
class TdmRule:
    location: str
    pattern: PathPattern
    reservation: int
    policy: str | None
    nonconformant: bool = False


@dataclass(frozen=True, slots=True)
class TdmRepFile:
    """A parsed ``/.well-known/tdmrep.json``.

    ``error`` says why (part of) the body was not usable. ``unreadable``: the body could not be
    read as a tdmrep.json (see the module docstring); ``rules`` then holds the entries complete
    before the error. ``truncated``: only the first part of the file was read (size cap).
    """

    source_url: str
    rules: tuple[TdmRule, ...] = ()
    error: str | None = None
    unreadable: bool = False
    truncated: bool = False

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
    if reservation != 1 and (nonconformant or not has_location):
        return None  # a malformed "not reserved" counts for nothing (a bare object included)
    location = obj["location"] if has_location else "/"
    policy: str | None = None
    if reservation == 1:
        _, raw_policy = _first(obj, _POLICY_KEYS)
        if isinstance(raw_policy, str) and raw_policy.strip():
            policy = raw_policy.strip()
    return TdmRule(location, path_pattern(location), reservation, policy, nonconformant)


_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at] in _WHITESPACE:
        at += 1
    return at


def _leading_entries(text: str) -> tuple[list[Any], str]:
    """The entries of a JSON array that decode before the text ends or breaks, and why it
    stopped. Each entry costs one ``raw_decode``: linear in the text."""
    entries: list[Any] = []
    at = _skip_space(text, 0)
    if not text.startswith("[", at):
        return entries, "not a JSON array"
    at += 1
    while True:
        at = _skip_space(text, at)
        if at >= len(text):
            return entries, f"ends after {len(entries)} entries"
        if text[at] == "]" and not entries:
            return entries, "empty array"
        try:
            entry, at = _DECODER.raw_decode(text, at)
        except (ValueError, RecursionError) as exc:
            return entries, f"invalid JSON after {len(entries)} entries: {exc}"[:200]
        entries.append(entry)
        at = _skip_space(text, at)
        if at >= len(text):
            return entries, f"ends after {len(entries)} entries"
        if text[at] == ",":
            at += 1
        elif text[at] == "]":
            return entries, f"invalid JSON after {len(entries)} entries: text after the array"
        else:
            return entries, f"invalid JSON after {len(entries)} entries: expected ',' or ']'"


def _rules(entries: list[Any], conformant_shape: bool) -> list[TdmRule]:
    rules = []
    for entry in entries:
        if isinstance(entry, Mapping):
            rule = _rule_from(entry, conformant_shape)
            if rule is not None:
                rules.append(rule)
    return rules


def parse_tdmrep_json(body: bytes, source_url: str, *, truncated: bool = False) -> TdmRepFile:
    """Parse a tdmrep.json body; never raises.

    Conformant files are arrays of objects with ``location`` and ``tdm-reservation``. Real files
    deviate (see ``shared/corpus/tdmrep/real-world``): a bare object, ``tdm_reservation``, a
    reservation of ``"1"``/``true``, invented JSON-LD shapes. Those that clearly set a reservation
    of 1 become site-wide rules with ``nonconformant=True``; rules with a missing location or an
    invalid reservation are dropped, and so is a nonconformant "not reserved" (it counts as
    unknown, not as an allow).

    ``truncated``: ``body`` is only the first part of the file (a download stopped at its size
    cap). Bodies over ``MAX_TDMREP_BYTES`` are cut here too. Either way the entries complete
    within the cut are kept.
    """
    if len(body) > MAX_TDMREP_BYTES:
        body, truncated = body[:MAX_TDMREP_BYTES], True
    text = body.decode("utf-8-sig", errors="replace")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        entries, why = _leading_entries(text)
        rules = _rules(entries, conformant_shape=True)
        # In a cut file the first entry that fails to decode is the one the cut falls in.
        if truncated and entries:
            return TdmRepFile(source_url, tuple(rules), None, truncated=True)
        error: str | None = why if entries else f"invalid JSON: {exc}"[:200]
        if truncated:
            error = f"truncated: {error}"
        return TdmRepFile(source_url, tuple(rules), error, unreadable=True, truncated=truncated)
    if isinstance(data, Mapping):
        entries = [data]
        conformant_shape = False
    elif isinstance(data, list):
        entries = data
        conformant_shape = True
    else:
        error = f"not a tdmrep.json: a JSON {type(data).__name__}"
        return TdmRepFile(source_url, (), error, unreadable=True, truncated=truncated)
    rules = _rules(entries, conformant_shape)
    error = None if rules or not entries else "no usable rule"
    return TdmRepFile(source_url, tuple(rules), error, truncated=truncated)


def _is_soft_404(body: bytes, truncated: bool) -> bool:
    """Empty (and complete), or an HTML/XML page where the JSON file should be."""
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") or (not head and not truncated)


def tdmrep_from_fetch(
    status: int | None, body: bytes | None, source_url: str, *, truncated: bool = False
) -> TdmRepFile | None:
    """A 2xx body is parsed; anything else (4xx, 5xx, network error ``None``) means the origin does
    not implement TDMRep, returned as ``None`` (TDMRep: no file reachable => unset). So does an
    empty body or an HTML soft 404. ``truncated``: the download stopped at its size cap."""
    if status is None or not 200 <= status < 300 or body is None or _is_soft_404(body, truncated):
        return None
    return parse_tdmrep_json(body, source_url, truncated=truncated)


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
    *,
    unreadable_excludes: bool = True,
) -> Signal:
    """The TDMRep verdict for ``url``.

    ``header_values``/``meta`` map ``tdm-reservation``/``tdm-policy`` to their values as read from
    the response headers / HTML meta tags of the document at ``source`` (a URL; ``url`` when
    empty). The signal's ``source`` names the carrier that decided: the tdmrep.json URL,
    ``header:<source>`` or ``meta:<source>``. A file decision's value names the matched entry.

    ``unreadable_excludes``: what an unreadable file (and nothing overriding it) means: a
    ``tdmrep:unreadable`` exclusion (the strict policy) or unknown (standard).
    """
    base = source or url
    if file is None and not header_values and not meta:
        return Signal.unknown(NAME, base)  # nothing to read: what the steps below conclude
    reservation: int | None = None
    policy: str | None = None
    nonconformant = False
    decided_by = base
    matched: TdmValue | None = None
    unreadable: str | None = None

    if file is not None:
        matched = file.lookup(url)
        if matched is not None and (matched.reservation == 1 or not file.unreadable):
            reservation, policy = matched.reservation, matched.policy
            nonconformant = matched.nonconformant
            decided_by = file.source_url
        elif file.unreadable:
            # No entry read before the error matches, or only a "0" in a broken file.
            unreadable = file.error or "unreadable"
            matched = None
        else:
            matched = None

    # Precedence (TDMRep "Precedence"): header overrides the file, HTML meta overrides the header.
    for prefix, carrier in (("header", header_values), ("meta", meta)):
        found = _carrier_reservation(_values(carrier, "tdm-reservation"))
        policies = _values(carrier, "tdm-policy")
        if found is not None:
            if found != reservation:
                policy = None  # the earlier policy belonged to the overridden reservation
            reservation, nonconformant = found, False
            decided_by = f"{prefix}:{base}"
            matched = unreadable = None
        if policies:
            policy = policies[0]  # an absent policy never resets an earlier one

    if unreadable is not None and file is not None:
        if unreadable_excludes:
            return Signal.disallow(NAME, "unreadable", file.source_url, unreadable)
        return Signal.unknown(NAME, file.source_url, f"unreadable: {unreadable}")
    if matched is not None:
        text = TdmValue(reservation or 0, policy, matched.location, nonconformant).describe()
        if file is not None and file.truncated:
            text += "; truncated"
    else:
        text = TdmValue(reservation or 0, policy, None, nonconformant).describe()
    if reservation == 1:
        return Signal.disallow(NAME, "reserved", decided_by, text)
    if reservation == 0:
        return Signal.allow(NAME, decided_by, text)
    if file is not None and file.truncated:
        return Signal.unknown(NAME, base, "no match in the part read (truncated)")
    return Signal.unknown(NAME, base)


# --- the family declaration (crawler.consent.registry) -----------------------------------------

TDM_PATH = "/.well-known/tdmrep.json"


def _parse_document(
    origin: str, status: int | None, body: bytes | None, error: str | None
) -> TdmRepFile | None:
    status, body, truncated = size_capped_fetch(status, body, error)
    return tdmrep_from_fetch(status, body, origin + TDM_PATH, truncated=truncated)


def _page(ctx: PageContext, env: EvalEnv) -> list[Signal]:
    # Headers and meta exist only for a fetched page (precedence: file < header < meta).
    headers = ctx.headers if ctx.fetched else None
    meta = ctx.meta if ctx.fetched else None
    strict = env.policy.unreadable_excludes
    file = ctx.documents["tdmrep"]
    return [tdmrep_signal(ctx.url, file, headers, meta, ctx.url, unreadable_excludes=strict)]


def _image(ctx: ImageContext, env: EvalEnv) -> list[Signal]:
    # The image's host's file, overridden by the image's own headers when it was probed.
    probe = ctx.probe
    headers = probe.headers if probe is not None and probe.status else None
    strict = env.policy.unreadable_excludes
    file = ctx.documents["tdmrep"]
    return [tdmrep_signal(ctx.url, file, headers, None, ctx.url, unreadable_excludes=strict)]


FAMILY = Family(
    name=NAME,
    summary="W3C TDMRep: /.well-known/tdmrep.json of page and image hosts, tdm-reservation "
    "headers of the page and each image, HTML meta",
    spec="W3C TDMRep CG report; consent-signals.md §2",
    reasons=(
        Reason("tdmrep:reserved", "tdm-reservation=1 (file, header or meta)"),
        Reason(
            "tdmrep:unreadable", "a 2xx tdmrep.json that cannot be read (strict)", "unverifiable"
        ),
    ),
    switches=(Switch("tdmrep", "TDMREP_ENABLED", "W3C TDMRep: tdmrep.json, headers, HTML meta"),),
    documents=(DocumentSpec("tdmrep", _parse_document, TDM_PATH),),
    page=_page,
    image=_image,
    image_phase=Phase.AFTER_PROBE,
)
