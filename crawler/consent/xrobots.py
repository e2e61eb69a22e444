"""``X-Robots-Tag`` / ``Robots-Tag`` headers and ``<meta name="robots">`` tags
(consent-signals.md §4, signals-2026.md §5.1, §5.8).

``noai`` / ``noimageai`` (DeviantArt, 2022) and ``noml`` (noml.info) always disallow AI-training
use. In strict mode ``noindex``, ``noimageindex`` and ``none`` do too (a LAION-style dataset *is*
an index; this is img2dataset's default). Directive names are case-insensitive (Google's
conventions), so ``NoIndex`` counts - unlike datadiligence, which compares case-sensitively.

``Robots-Tag`` (draft-illyes-repext, unprefixed) is a Structured-Field List whose members are
product tokens (``*`` for every crawler) with the rules as their parameters:
``Robots-Tag: *;noindex;nosnippet, ExampleBot;noai``. Read restrictively:

- a member whose token is itself a directive (``Robots-Tag: noai``, the X-Robots-Tag habit) is
  a bare directive for every crawler, its boolean parameters too, unless a ``bots`` parameter
  names the crawlers it is for (``noai;bots="GPTBot CCBot"``);
- a rule parameter set to ``?0`` is off; any other value counts;
- a List's field lines concatenate (RFC 9651 §4.2), so each line is read on its own, which gives
  the same members and keeps the line as evidence. A line that is not a valid Structured Field
  (the draft's own ``ExampleBot;``, ``*;NoAI``) is read by a tolerant splitter instead, and
  every line is also read like ``X-Robots-Tag`` (``googlebot: noai`` forms). All readings only
  ever add refusals, so their union is the restrictive reading.

``X-Robots-Tag`` lines get the same two readings (the draft asks implementations to accept the
new syntax under the old name too).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import http_sf
from http_sf import StructuredFieldError

from crawler.consent.family import EvalEnv, Family, ImageContext, PageContext, Phase, Reason, Switch
from crawler.consent.verdict import Signal

__all__ = ["header_signals", "meta_robots_signals", "robots_tag_rules", "xrobots_signals"]

ALWAYS = frozenset({"noai", "noimageai", "noml"})
STRICT = frozenset({"noindex", "noimageindex", "none"})
# Directive names (Google's robots meta rules, DeviantArt's, noml.info's): a Robots-Tag member
# whose token is one of these is a bare directive, not a crawler's product token.
KNOWN_RULES = (
    ALWAYS
    | STRICT
    | frozenset(
        {
            "all",
            "index",
            "follow",
            "nofollow",
            "noarchive",
            "nocache",
            "nosnippet",
            "notranslate",
            "indexifembedded",
            "noodp",
            "noydir",
            "max-snippet",
            "max-image-preview",
            "max-video-preview",
            "unavailable_after",
            "unavailable-after",
        }
    )
)
# draft-illyes-repext: a parsing limit of at least 8 KiB per field; we read 64 KiB per line.
MAX_FIELD_CHARS = 64 * 1024

# Directives whose value contains a colon; their name must not be mistaken for a user-agent
# prefix ("unavailable_after: 2025-01-01", "max-snippet:20").
_COLON_DIRECTIVES = frozenset(
    {
        "unavailable_after",
        "unavailable-after",
        "max-snippet",
        "max-image-preview",
        "max-video-preview",
    }
)
# A user-agent prefix looks like a product token: it starts with a letter (so that the time in
# a comma-split date such as "15:00" is never taken for one).
_UA_PREFIX = re.compile(r"\s*([A-Za-z][A-Za-z0-9_.\-]*)\s*:\s*(.*)", re.DOTALL)


def _directive_name(text: str) -> str:
    return text.split(":", 1)[0].strip().lower()


def _disallowing(names: Sequence[str], strict: bool) -> list[str]:
    out: list[str] = []
    for name in names:
        if (name in ALWAYS or (strict and name in STRICT)) and name not in out:
            out.append(name)
    return out


def _legacy_names(value: str, honoured: frozenset[str]) -> list[str]:
    """Directive names of one X-Robots-Tag-style value that apply to us (Google's syntax)."""
    names: list[str] = []
    scope: str | None = None  # unscoped: applies to every crawler
    for item in value.split(","):
        match = _UA_PREFIX.match(item)
        if match and match.group(1).lower() not in _COLON_DIRECTIVES:
            # Google: "X-Robots-Tag: googlebot: noindex" scopes the directives that follow.
            scope = match.group(1).lower()
            item = match.group(2)
        if scope is not None and scope not in honoured:
            continue
        names.append(_directive_name(item))
    return names


_Member = tuple[str, dict[str, object]]  # (lower-cased token, {lower-cased parameter: value})


def _sf_members(value: str) -> list[_Member] | None:
    """The members of an RFC 9651 List, or None when it does not parse."""
    try:
        parsed = http_sf.parse(value.encode("latin-1"), tltype="list")
    except (StructuredFieldError, ValueError, UnicodeError):
        return None
    members: list[_Member] = []
    listed: list[Any] = parsed if isinstance(parsed, list) else []
    for item, params in listed:  # (bare item or inner list, parameters)
        if isinstance(item, list):
            continue  # an Inner List is no product token
        members.append((str(item).lower(), dict(params)))
    return members


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _tolerant_members(value: str) -> list[_Member]:
    """``token;rule;key=value`` members of a value that is not valid Structured-Field syntax
    (uppercase, empty parameters, stray spaces): lower-cased, quotes dropped, ``?0`` false."""
    members: list[_Member] = []
    for member in _split_outside_quotes(value, ","):
        head, *raw_params = _split_outside_quotes(member, ";")
        params: dict[str, object] = {}
        for raw in raw_params:
            key, sep, param_value = raw.partition("=")
            key = key.strip().lower()
            if key:
                param_value = param_value.strip()
                params[key] = (
                    True if not sep else False if param_value == "?0" else param_value.strip('"')
                )
        members.append((head.strip().lower(), params))
    return members


def _member_rules(token: str, params: Mapping[str, object], honoured: frozenset[str]) -> list[str]:
    """The rules of one Robots-Tag member that apply to us."""
    rules = [key for key, value in params.items() if value is not False and key != "bots"]
    if token in KNOWN_RULES:
        bots = params.get("bots")
        if bots is not None and bots is not True:
            named = {b.lower() for b in re.split(r"[\s,]+", str(bots)) if b}
            if not named & (honoured | {"*"}):
                return []
        return [token, *rules]
    if token == "*" or token in honoured:
        return rules
    return []


def robots_tag_rules(value: str, honoured: frozenset[str]) -> list[str]:
    """The rule names of one ``Robots-Tag`` field line that apply to a crawler answering to the
    ``honoured`` product tokens (lower-case), in first-seen order (module docstring)."""
    value = value[:MAX_FIELD_CHARS]
    members = _sf_members(value)
    if members is None:
        members = _tolerant_members(value)
    names: dict[str, None] = {}
    for token, params in members:
        names.update(dict.fromkeys(_member_rules(token, params, honoured)))
    # Google's "ua: directive" syntax; its items that hold ";" were read as members above.
    names.update(dict.fromkeys(n for n in _legacy_names(value, honoured) if ";" not in n))
    return list(names)


@lru_cache(maxsize=4096)
def _xrobots_hits(
    values: tuple[str, ...],
    honoured: frozenset[str],
    strict: bool,
    robots_tag: tuple[str, ...] = (),
) -> tuple[tuple[str, str], ...]:
    """(directive, raw field line) for each disallowing directive, first-seen order; X-Robots-Tag
    lines first, then Robots-Tag lines (evidence prefixed with the field name)."""
    hits: dict[str, str] = {}
    for value in values:
        names = _legacy_names(value, honoured)
        if ";" in value:  # the Robots-Tag syntax under the old name
            names += robots_tag_rules(value, honoured)
        for name in _disallowing(names, strict):
            hits.setdefault(name, value.strip())
    for value in robots_tag:
        for name in _disallowing(robots_tag_rules(value, honoured), strict):
            hits.setdefault(name, f"Robots-Tag: {value.strip()}")
    return tuple(hits.items())


@lru_cache(maxsize=256)
def _honoured(our_token: str, ai_tokens: tuple[str, ...]) -> frozenset[str]:
    tokens = {"robots", our_token.strip().lower()}
    tokens.update(token.strip().lower() for token in ai_tokens)
    tokens.discard("")
    return frozenset(tokens)


def xrobots_signals(
    header_values: Sequence[str],
    *,
    our_token: str,
    ai_tokens: Sequence[str],
    strict: bool,
    source: str,
    robots_tag: Sequence[str] = (),
) -> list[Signal]:
    """One disallow ``Signal`` per disallowing directive in the ``X-Robots-Tag`` instances (and
    the ``robots_tag`` field lines of ``Robots-Tag``), or a single unknown signal when there is
    none.

    All header instances are merged. A leading ``ua:`` prefix scopes the directives after it; it
    is honoured only for ``robots``, ``our_token`` or one of ``ai_tokens`` (case-insensitive),
    and instances addressed to other crawlers (e.g. ``googlebot: noimageai``) are ignored. The
    same tokens (and ``*``) select the members of a ``Robots-Tag`` list.
    """
    if not header_values and not robots_tag:
        return [Signal.unknown("xrobots", source)]
    honoured = _honoured(our_token, tuple(ai_tokens))
    hits = _xrobots_hits(tuple(header_values), honoured, strict, tuple(robots_tag))
    if not hits:
        return [Signal.unknown("xrobots", source)]
    return [Signal.disallow("xrobots", name, source, raw) for name, raw in hits]


def header_signals(
    headers: Mapping[str, Sequence[str]],
    *,
    our_token: str,
    ai_tokens: Sequence[str],
    strict: bool,
    source: str,
) -> list[Signal]:
    """``xrobots_signals`` of a response's headers (lower-case names): ``X-Robots-Tag`` and
    ``Robots-Tag`` together."""
    return xrobots_signals(
        headers.get("x-robots-tag", ()),
        our_token=our_token,
        ai_tokens=ai_tokens,
        strict=strict,
        source=source,
        robots_tag=headers.get("robots-tag", ()),
    )


def meta_robots_signals(
    meta: Mapping[str, Sequence[str]],
    *,
    our_token: str,
    ai_tokens: Sequence[str],
    strict: bool,
    source: str,
) -> list[Signal]:
    """Signals from ``<meta name=... content=...>``; ``meta`` maps the lowercased ``name`` to the
    list of ``content`` values. Names considered: ``robots``, ``our_token`` and ``ai_tokens``.
    Several tags aggregate; one disallow ``Signal`` per disallowing directive, else one unknown.
    """
    hits: dict[str, str] = {}
    for name in sorted(_honoured(our_token, tuple(ai_tokens))):
        contents = meta.get(name)
        if not contents:
            continue
        for content in contents:
            names = [_directive_name(part) for part in content.split(",")]
            for directive in _disallowing(names, strict):
                hits.setdefault(directive, f"{name}: {content.strip()}")
    if not hits:
        return [Signal.unknown("meta-robots", source)]
    return [Signal.disallow("meta-robots", name, source, raw) for name, raw in hits.items()]


# --- the family declarations (crawler.consent.registry) ----------------------------------------


def _xrobots_page(ctx: PageContext, env: EvalEnv) -> list[Signal]:
    if not ctx.fetched:
        return []
    return header_signals(
        ctx.headers,
        our_token=env.token,
        ai_tokens=env.ai_tokens,
        strict=env.policy.noindex_excludes,
        source=f"header:{ctx.url}",
    )


def _xrobots_image(ctx: ImageContext, env: EvalEnv) -> list[Signal]:
    probe = ctx.probe
    if probe is None or not probe.status:
        return []
    return header_signals(
        probe.headers,
        our_token=env.token,
        ai_tokens=env.ai_tokens,
        strict=env.policy.noindex_excludes,
        source=f"header:{ctx.url}",
    )


def _meta_page(ctx: PageContext, env: EvalEnv) -> list[Signal]:
    if not ctx.fetched:
        return []
    return meta_robots_signals(
        ctx.meta,
        our_token=env.token,
        ai_tokens=env.ai_tokens,
        strict=env.policy.noindex_excludes,
        source=f"meta:{ctx.url}",
    )


def _reasons(family: str, where: str) -> tuple[Reason, ...]:
    always = tuple(Reason(f"{family}:{d}", f"{d} in {where}") for d in sorted(ALWAYS))
    strict = tuple(
        Reason(f"{family}:{d}", f"{d} in {where} (NOINDEX_EXCLUDES: strict)")
        for d in sorted(STRICT)
    )
    return always + strict


FAMILY = Family(
    name="xrobots",
    summary="X-Robots-Tag and Robots-Tag response headers of the page and of each image",
    spec="Google robots meta/X-Robots-Tag conventions; DeviantArt noai; noml.info; "
    "draft-illyes-repext (Robots-Tag); consent-signals.md §4, signals-2026.md §5.1",
    reasons=_reasons("xrobots", "X-Robots-Tag / Robots-Tag"),
    switches=(
        Switch(
            "xrobots", "XROBOTS_ENABLED", "X-Robots-Tag / Robots-Tag headers of pages and images"
        ),
    ),
    page=_xrobots_page,
    image=_xrobots_image,
    image_phase=Phase.AFTER_PROBE,
)

META_ROBOTS = Family(
    name="meta-robots",
    summary="<meta name=\"robots\"> (and our token's / AI tokens' meta names) of the page",
    spec="Google robots meta conventions; DeviantArt noai; noml.info; consent-signals.md §4",
    reasons=_reasons("meta-robots", "<meta name=robots>"),
    switches=(
        Switch(
            "meta-robots",
            "META_ROBOTS_ENABLED",
            '<meta name="robots"> / <meta name="consentcrawl">',
        ),
    ),
    page=_meta_page,
)
