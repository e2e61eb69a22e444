"""``X-Robots-Tag`` headers and ``<meta name="robots">`` tags (consent-signals.md §4).

``noai`` / ``noimageai`` (DeviantArt, 2022) always disallow AI-training use. In strict mode
``noindex``, ``noimageindex`` and ``none`` do too (a LAION-style dataset *is* an index; this is
img2dataset's default). Directive names are case-insensitive (Google's conventions), so
``NoIndex`` counts - unlike datadiligence, which compares case-sensitively.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

from crawler.consent.family import EvalEnv, Family, ImageContext, PageContext, Phase, Reason, Switch
from crawler.consent.verdict import Signal

__all__ = ["meta_robots_signals", "xrobots_signals"]

ALWAYS = frozenset({"noai", "noimageai"})
STRICT = frozenset({"noindex", "noimageindex", "none"})

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


@lru_cache(maxsize=4096)
def _xrobots_hits(
    values: tuple[str, ...], honoured: frozenset[str], strict: bool
) -> tuple[tuple[str, str], ...]:
    """(directive, raw header instance) for each disallowing directive, first-seen order."""
    hits: dict[str, str] = {}
    for value in values:
        scope: str | None = None  # unscoped: applies to every crawler
        for item in value.split(","):
            match = _UA_PREFIX.match(item)
            if match and match.group(1).lower() not in _COLON_DIRECTIVES:
                # Google: "X-Robots-Tag: googlebot: noindex" scopes the directives that follow.
                scope = match.group(1).lower()
                item = match.group(2)
            if scope is not None and scope not in honoured:
                continue
            for name in _disallowing([_directive_name(item)], strict):
                hits.setdefault(name, value.strip())
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
) -> list[Signal]:
    """One disallow ``Signal`` per disallowing directive in the ``X-Robots-Tag`` instances, or a
    single unknown signal when there is none.

    All header instances are merged. A leading ``ua:`` prefix scopes the directives after it; it
    is honoured only for ``robots``, ``our_token`` or one of ``ai_tokens`` (case-insensitive),
    and instances addressed to other crawlers (e.g. ``googlebot: noimageai``) are ignored.
    """
    if not header_values:
        return [Signal.unknown("xrobots", source)]
    honoured = _honoured(our_token, tuple(ai_tokens))
    hits = _xrobots_hits(tuple(header_values), honoured, strict)
    if not hits:
        return [Signal.unknown("xrobots", source)]
    return [Signal.disallow("xrobots", name, source, raw) for name, raw in hits]


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
    return xrobots_signals(
        ctx.headers.get("x-robots-tag", []),
        our_token=env.token,
        ai_tokens=env.ai_tokens,
        strict=env.policy.noindex_excludes,
        source=f"header:{ctx.url}",
    )


def _xrobots_image(ctx: ImageContext, env: EvalEnv) -> list[Signal]:
    probe = ctx.probe
    if probe is None or not probe.status:
        return []
    return xrobots_signals(
        probe.headers.get("x-robots-tag", []),
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
    summary="X-Robots-Tag response headers of the page and of each image",
    spec="Google robots meta/X-Robots-Tag conventions; DeviantArt noai; consent-signals.md §4",
    reasons=_reasons("xrobots", "X-Robots-Tag"),
    switches=(Switch("xrobots", "XROBOTS_ENABLED", "X-Robots-Tag headers of pages and images"),),
    page=_xrobots_page,
    image=_xrobots_image,
    image_phase=Phase.AFTER_PROBE,
)

META_ROBOTS = Family(
    name="meta-robots",
    summary="<meta name=\"robots\"> (and our token's / AI tokens' meta names) of the page",
    spec="Google robots meta conventions; DeviantArt noai; consent-signals.md §4",
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
