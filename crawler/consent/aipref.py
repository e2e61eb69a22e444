"""IETF AIPREF usage preferences: the ``Content-Usage`` HTTP header (consent-signals.md §5).

Vocabulary: draft-ietf-aipref-vocab-08 (2026-09) has three flat categories, ``train-ai``,
``ai-use`` (new: input to a generative model, not supplied by the user) and ``search``
(signals-2026.md §2). All three are recorded per row (``UsagePreferences``); only ``train-ai=n``
excludes (a training index cannot know whether its users train generative models, so the -08
narrowing of ``train-ai`` to generative models does not relax it, and the ``search`` override
does not apply: a training index is not a search application).

Serialization (draft-ietf-aipref-vocab-07 §6): an RFC 9651 Structured Field *Dictionary* with
Token values ``y``/``n``; keys are lowercase (an uppercase key is a parse failure), parameters
and unknown keys are ignored, a duplicated key means last-wins, a non-token value is unknown and
a parse failure makes everything unknown.

Several field lines (RFC 9651 §4.2): they are combined into one value, joined with ", " (RFC
9110 §5.3), before parsing, so a duplicate key on a later line wins. When the combined value does
not parse, RFC 9651 says the whole field is ignored: every category is unknown (never an allow).
Empty field lines are skipped (an empty list element, RFC 9110 §5.6.1).

Conservative mode (the default; digest §5 "Recommend") additionally reads, in the restrictive
direction only, what the strict parser rejects or ignores: ``Train-AI=n`` (uppercase) and the
legacy labels of earlier drafts (``ai``, ``genai``, ``train-genai``, ``tdm``, ``all``, ``bots``)
set to ``n`` count as ``train-ai=n`` (the umbrella labels ``all`` and ``bots`` also as
``ai-use=n`` and ``search=n``), and an ``n`` on any one field line stands even when the combined
field fails to parse or a later line overrides it (as before vocab-08 support, when each line was
read on its own). Nothing malformed is ever read as an allow.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import http_sf
from http_sf import StructuredFieldError, Token

from crawler.consent.family import (
    Column,
    EvalEnv,
    Family,
    ImageContext,
    PageContext,
    Phase,
    Reason,
    Switch,
)
from crawler.consent.robots import FAMILY as ROBOTS_FAMILY
from crawler.consent.verdict import Signal, combine_values

__all__ = [
    "CATEGORIES",
    "LEGACY_LABELS",
    "LEGACY_TRAIN_LABELS",
    "USAGE_COLUMNS",
    "UsagePreferences",
    "combine_field_lines",
    "content_usage_signal",
    "most_restrictive",
    "parse_content_usage",
    "parse_content_usage_lenient",
    "robots_preferences",
    "row_preferences",
    "train_ai_preference",
    "usage_preferences",
    "value_preferences",
]

NAME = "aipref"
# Labels of vocab drafts -00..-04 that (also) covered AI training; "n" on any of them is read as
# train-ai=n in conservative mode.
LEGACY_TRAIN_LABELS = frozenset({"ai", "genai", "train-genai", "tdm", "all", "bots"})
# vocab-08 categories, in column order.
CATEGORIES = ("train-ai", "ai-use", "search")
# Conservative mode: the labels whose "n" also reads as "n" for a category. "all" (-02) and
# "bots" (-03/-04) were umbrella categories covering every use. Deliberately not mapped: -02's
# "ai-use" meant inference by any model; it is read as the -08 label of the same name.
LEGACY_LABELS: dict[str, frozenset[str]] = {
    "train-ai": LEGACY_TRAIN_LABELS,
    "ai-use": frozenset({"all", "bots"}),
    "search": frozenset({"all", "bots"}),
}


@lru_cache(maxsize=4096)
def _strict(value: str) -> tuple[tuple[str, str], ...] | None:
    try:
        parsed = http_sf.parse(value.encode("utf-8"), tltype="dictionary")
    except (StructuredFieldError, ValueError, UnicodeError):
        return None
    if not isinstance(parsed, dict):
        return None
    # Only Token members count; strings ("n"), booleans (bare key) etc. are unknown (vocab §6).
    return tuple(
        (key, str(member[0]))
        for key, member in parsed.items()
        if isinstance(member, tuple) and isinstance(member[0], Token)
    )


def parse_content_usage(value: str) -> dict[str, str] | None:
    """Strict RFC 9651 dictionary parse: ``{label: token}`` or ``None`` on a parse failure."""
    items = _strict(value)
    return None if items is None else dict(items)


@lru_cache(maxsize=4096)
def _lenient(value: str) -> tuple[tuple[str, str], ...]:
    out: dict[str, str] = {}
    for item in value.lower().split(","):
        key, sep, token = item.split(";", 1)[0].partition("=")
        key = key.strip()
        token = token.strip().strip("\"'").strip()
        if sep and key and token:
            out[key] = token
    return tuple(out.items())


def parse_content_usage_lenient(value: str) -> dict[str, str]:
    """Best-effort ``key=value`` reading (lowercased, quotes and parameters dropped).

    Only used to salvage restrictions from values the strict parser rejects.
    """
    return dict(_lenient(value))


@dataclass(frozen=True, slots=True)
class UsagePreferences:
    """The vocab-08 preferences of one source: ``"y"``, ``"n"`` or ``None`` (unknown) each."""

    train_ai: str | None = None
    ai_use: str | None = None
    search: str | None = None

    def get(self, category: str) -> str | None:
        """The preference for a category name as written (``"train-ai"``...)."""
        return getattr(self, category.replace("-", "_"))

    def columns(self) -> dict[str, str | None]:
        """The row columns: ``aipref_train_ai``, ``aipref_ai_use``, ``aipref_search``."""
        return {
            "aipref_train_ai": self.train_ai,
            "aipref_ai_use": self.ai_use,
            "aipref_search": self.search,
        }


UNKNOWN = UsagePreferences()


def _category(prefs: tuple[tuple[str, str], ...], category: str, conservative: bool) -> str | None:
    if conservative:
        legacy = LEGACY_LABELS[category]
        if any((key == category or key in legacy) and token in ("n", "no") for key, token in prefs):
            return "n"
    token = dict(prefs).get(category)
    return token if token in ("y", "n") else None


@lru_cache(maxsize=4096)
def value_preferences(value: str, conservative: bool = True) -> UsagePreferences:
    """The vocab-08 preferences of one (already combined) ``Content-Usage`` value."""
    strict = _strict(value)
    if strict is None:
        if not conservative:
            return UNKNOWN  # RFC 9651 §4.2: a field that fails to parse is ignored
        # Salvage refusals only: a malformed value never allows.
        lenient = _lenient(value)
        return UsagePreferences(
            *("n" if _category(lenient, c, True) == "n" else None for c in CATEGORIES)
        )
    return UsagePreferences(*(_category(strict, c, conservative) for c in CATEGORIES))


@lru_cache(maxsize=4096)
def train_ai_preference(value: str, conservative: bool = True) -> str | None:
    """The ``train-ai`` preference of one ``Content-Usage`` value: ``"y"``, ``"n"`` or ``None``."""
    return value_preferences(value, conservative).train_ai


def combine_field_lines(values: Iterable[str]) -> str:
    """Several field lines as one field value (RFC 9651 §4.2, RFC 9110 §5.3: joined with ", ").

    Empty lines are skipped: an empty list element is ignored (RFC 9110 §5.6.1).
    """
    return ", ".join(v for v in (v.strip() for v in values) if v)


def usage_preferences(values: Sequence[str], conservative: bool = True) -> UsagePreferences:
    """The preferences of a response's ``Content-Usage`` field lines, combined as one field.

    Conservative mode also keeps an ``n`` that any single line gives on its own (see the module
    docstring); a line on its own never contributes a ``y``.
    """
    combined = value_preferences(combine_field_lines(values), conservative)
    if not conservative or len(values) < 2:
        return combined
    lines = [value_preferences(v.strip(), True) for v in values if v.strip()]
    return UsagePreferences(
        *("n" if any(line.get(c) == "n" for line in lines) else combined.get(c) for c in CATEGORIES)
    )


def most_restrictive(sources: Iterable[UsagePreferences]) -> UsagePreferences:
    """Preferences from several sources (headers, robots.txt, page and image), per category:
    any ``n``, else any ``y``, else unknown (vocab "Combining Preferences")."""
    sources = list(sources)
    out: list[str | None] = []
    for category in CATEGORIES:
        found = {s.get(category) for s in sources}
        out.append("n" if "n" in found else "y" if "y" in found else None)
    return UsagePreferences(*out)


def content_usage_signal(
    header_values: Sequence[str], source: str, *, conservative: bool = True
) -> Signal:
    """The AIPREF verdict from the ``Content-Usage`` field lines of one response.

    The lines are combined into one field before parsing (``usage_preferences``):
    ``train-ai=n`` disallows, ``train-ai=y`` allows, else unknown. The evidence is the line
    that refused when one did on its own, else the combined value.
    """
    combined = combine_field_lines(header_values)
    preference = usage_preferences(header_values, conservative).train_ai
    if preference == "n":
        refusing = combine_values(
            header_values,
            lambda value: train_ai_preference(value, conservative),
            refuse="n",
            permit="y",
            family=NAME,
            detail="train-ai=n",
            source=source,
        )
        if refusing.reason is not None:
            return refusing
        return Signal.disallow(NAME, "train-ai=n", source, combined)
    if preference == "y":
        return Signal.allow(NAME, source, combined)
    return Signal.unknown(NAME, source, combined)


# --- the family declaration (crawler.consent.registry) -----------------------------------------
# (The same preferences written in robots.txt are read by crawler.consent.robots_ext.RECORDS.)


def _page(ctx: PageContext, env: EvalEnv) -> list[Signal]:
    values = ctx.headers.get("content-usage") if ctx.fetched else None
    return [content_usage_signal(values, f"header:{ctx.url}")] if values is not None else []


def _image(ctx: ImageContext, env: EvalEnv) -> list[Signal]:
    probe = ctx.probe
    values = probe.headers.get("content-usage") if probe is not None else None
    return [content_usage_signal(values, f"header:{ctx.url}")] if values is not None else []


def robots_preferences(robots: Any, url: str, tokens: Sequence[str]) -> UsagePreferences | None:
    """robots.txt Content-Usage records for ``url`` for ``tokens`` (our token and the AI
    tokens, as robots-records reads them); None when no record applies or no file."""
    if robots is None:
        return None
    return robots.usage_preferences(url, tokens)


def row_preferences(sources: Iterable[UsagePreferences | None]) -> UsagePreferences:
    """A row's preferences from its sources (None: that source said nothing)."""
    return most_restrictive(s for s in sources if s is not None)


# The last page's sources, [page context, env, sources]: the rows of an item share one page
# context, so its header and its robots.txt records are read once per page, not per row.
_PAGE_SOURCES: list[Any] = [None, None, ()]


def _page_sources(page: PageContext | None, env: EvalEnv) -> tuple[UsagePreferences | None, ...]:
    if page is None:
        return ()
    memo = _PAGE_SOURCES
    if memo[0] is page and memo[1] is env:
        return memo[2]
    sources: list[UsagePreferences | None] = []
    if page.fetched:
        values = page.headers.get("content-usage")
        if values:
            sources.append(usage_preferences(values))
    tokens = (env.token, *env.ai_tokens)
    sources.append(robots_preferences(page.documents.get("robots"), page.url, tokens))
    memo[:] = [page, env, tuple(sources)]
    return memo[2]


def _image_columns(ctx: ImageContext, env: EvalEnv) -> dict[str, str | None]:
    """The row's vocab-08 preferences: the most restrictive of the page's and the image's
    ``Content-Usage`` headers and of both hosts' robots.txt records (None: no source said)."""
    sources = list(_page_sources(ctx.page, env))
    tokens = (env.token, *env.ai_tokens)
    probe = ctx.probe
    if probe is not None:
        values = probe.headers.get("content-usage")
        if values:
            sources.append(usage_preferences(values))
    sources.append(robots_preferences(ctx.documents.get("robots"), ctx.url, tokens))
    return row_preferences(sources).columns()


SWITCH = Switch("aipref", "AIPREF_ENABLED", "IETF AIPREF Content-Usage (header and robots.txt)")


# The row columns, in ``CATEGORIES`` order (``UsagePreferences.columns``).
USAGE_COLUMNS = tuple(f"aipref_{c.replace('-', '_')}" for c in CATEGORIES)


def _column(category: str) -> Column:
    return Column(
        f"aipref_{category.replace('-', '_')}",
        "string",
        f"AIPREF {category}: y / n / null (most restrictive of page and image headers and "
        "both hosts' robots.txt Content-Usage)",
    )


FAMILY = Family(
    name=NAME,
    summary="IETF AIPREF Content-Usage: response headers of the page and of each image "
    "(robots.txt records: robots-records); vocab-08 train-ai, ai-use, search per row",
    spec="draft-ietf-aipref-vocab-08, draft-ietf-aipref-attach; consent-signals.md §5, "
    "signals-2026.md §2",
    reasons=(Reason("aipref:train-ai=n", "train-ai=n (or a legacy label = n)"),),
    switches=(SWITCH,),
    # robots.txt: read for the columns only (its Content-Usage records; the verdict from them
    # is robots-records'); fetched once per origin by the robots family anyway.
    documents=(ROBOTS_FAMILY.documents[0],),
    page=_page,
    image=_image,
    image_phase=Phase.AFTER_PROBE,
    columns=tuple(_column(c) for c in CATEGORIES),
    image_columns=_image_columns,
)
