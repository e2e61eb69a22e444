"""Spawning ``/ai.txt`` (consent-signals.md §3): a usage opt-out read on the host serving the media.

Spawning's format is robots.txt grammar (``User-Agent`` / ``Allow`` / ``Disallow``), usually with
file-type globs (``Disallow: *.jpg``). There is no formal spec, so we follow the digest's advice:
RFC 9309 matching (our group, else ``*``; longest match wins; a tie goes to allow), Disallow is a
*usage* opt-out (not crawl permission), and 4xx/5xx/network errors mean "no signal".

Other files named ai.txt exist. Key/value lines such as ``training: deny`` or
``ai-training: disallowed`` are mapped conservatively to a site-wide disallow; ``Training: yes``
and free text (aitxt.ing-style Markdown) never allow anything.

Size (issue 9): like robots.txt (RFC 9309 §2.5) only the first ``MAX_AITXT_BYTES`` are read, and
the line a cut falls in is dropped; this holds for a download stopped at the store's size cap
too, so a ``Disallow: *`` at the top of a huge file is honoured. A file that exists (2xx) but
whose first line does not even end within the cap is *unreadable*: ``aitxt:unreadable`` under
the strict policy, unknown under standard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

from crawler.consent.family import (
    DocumentSpec,
    EvalEnv,
    Family,
    ImageContext,
    PageContext,
    Reason,
    Switch,
)
from crawler.consent.patterns import PathPattern, normalize_path, path_pattern
from crawler.consent.sizecap import size_capped_fetch
from crawler.consent.text import MAX_TEXT_BYTES, decode_text
from crawler.consent.verdict import Signal

__all__ = ["MAX_AITXT_BYTES", "AiRule", "AiTxt", "aitxt_from_fetch", "decode_text", "parse_aitxt"]

NAME = "aitxt"
MAX_AITXT_BYTES = MAX_TEXT_BYTES  # same cap and decoding as robots.txt

AiTxtFormat = Literal["spawning", "keyvalue", "other", "empty"]

_PRODUCT_TOKEN = re.compile(r"[A-Za-z0-9_.\-]+|\*")
_KEY_VALUE = re.compile(r"([A-Za-z][A-Za-z0-9_ -]*?)\s*:\s*(.*)")
# "training", "ai-training", "llm_training", "content-training", "data-mining", "tdm" …
_TRAINING_KEY = re.compile(r"(?:[a-z0-9]+[-_ ])*(?:training|train|data[-_ ]?mining|tdm)")
_DENY_VALUES = frozenset(
    {
        "deny",
        "denied",
        "no",
        "disallow",
        "disallowed",
        "false",
        "prohibited",
        "forbidden",
        "opt-out",
        "optout",
        "opted-out",
        "not-allowed",
        "notallowed",
        "0",
    }
)


@dataclass(frozen=True, slots=True)
class AiRule:
    """One ``Allow``/``Disallow`` line of the group that applies to us."""

    pattern: PathPattern
    allow: bool
    line: str


@dataclass(frozen=True, slots=True)
class AiTxt:
    """A parsed ai.txt. ``check`` is the only thing the crawl needs."""

    source_url: str
    token: str
    format: AiTxtFormat
    # Rules of the applicable group, sorted so that the first match is the RFC 9309 winner:
    # longest pattern first, and at equal length Allow before Disallow (tie goes to allow).
    rules: tuple[AiRule, ...] = ()
    deny_line: str | None = None  # a "training: deny"-style line: disallow everything
    status: int | None = 200
    groups: tuple[str, ...] = field(default=())  # user-agents seen (lowercased), for evidence
    truncated: bool = False  # only the first part of the file was read (size cap)
    unreadable: str | None = None  # why a 2xx body could not be read at all

    @property
    def has_signal(self) -> bool:
        return self.deny_line is not None or bool(self.rules)

    def check(self, url_or_path: str, *, unreadable_excludes: bool = True) -> Signal:
        """The ai.txt verdict for one URL (or path) on this host; the matched line is the value.

        ``unreadable_excludes``: an unreadable file excludes (strict) or is unknown (standard).
        """
        if self.unreadable is not None:
            if unreadable_excludes:
                return Signal.disallow(NAME, "unreadable", self.source_url, self.unreadable)
            return Signal.unknown(NAME, self.source_url, f"unreadable: {self.unreadable}")
        if self.deny_line is not None:
            return Signal.disallow(NAME, "disallowed", self.source_url, self.deny_line)
        if not self.rules:
            return Signal.unknown(NAME, self.source_url)
        path = normalize_path(url_or_path)
        for rule in self.rules:
            if rule.pattern.matches(path):
                if rule.allow:
                    return Signal.allow(NAME, self.source_url, rule.line)
                return Signal.disallow(NAME, "disallowed", self.source_url, rule.line)
        return Signal.unknown(NAME, self.source_url)


def parse_aitxt(text: str, source_url: str, token: str = "consentcrawl") -> AiTxt:
    """Parse an ai.txt body. ``token`` is our robots product token (matched case-insensitively)."""
    our = token.strip().lower()
    groups: list[tuple[list[str], list[tuple[str, str, str]]]] = []
    agents: list[str] | None = None  # agents of the group being read
    in_rules = False
    stray_rules: list[tuple[str, str, str]] = []
    deny_line: str | None = None
    saw_robots = saw_training = saw_content = False

    for raw in text.lstrip("\ufeff").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line == "/":  # Spawning's WP plugin emits stray lone "/" lines
            continue
        saw_content = True
        match = _KEY_VALUE.fullmatch(line)
        if not match:
            continue  # free text
        key = match.group(1).strip().lower()
        value = match.group(2).strip()
        if key in ("user-agent", "useragent", "user agent"):
            saw_robots = True
            if agents is None or in_rules:
                agents = []
                groups.append((agents, []))
                in_rules = False
            product = _PRODUCT_TOKEN.match(value)  # "ConsentCrawl/1.0" -> "consentcrawl"
            if product:
                agents.append(product.group().lower())
        elif key in ("allow", "disallow"):
            saw_robots = True
            rule = (key, value, f"{key.capitalize()}: {value}")
            if agents is None:
                # No formal grammar: rules before any User-Agent are read as the "*" group
                # (lenient in the restrictive direction, digest §0).
                stray_rules.append(rule)
            else:
                groups[-1][1].append(rule)
                in_rules = True
        elif _TRAINING_KEY.fullmatch(key):
            saw_training = True
            if deny_line is None and value.lower().strip("\"'") in _DENY_VALUES:
                deny_line = line

    if stray_rules:
        groups.append((["*"], stray_rules))

    mine = [rules for names, rules in groups if our and our in names]
    if not mine:
        mine = [rules for names, rules in groups if "*" in names]
    compiled: list[AiRule] = []
    for rules in mine:
        for kind, value, line in rules:
            if not value:  # an empty Allow/Disallow is a no-op (RFC 9309 §2.2.2)
                continue
            compiled.append(AiRule(path_pattern(value), kind == "allow", line))
    compiled.sort(key=lambda rule: (-rule.pattern.length, not rule.allow))

    fmt: AiTxtFormat
    if saw_training:
        fmt = "keyvalue"
    elif saw_robots:
        fmt = "spawning"
    elif saw_content:
        fmt = "other"
    else:
        fmt = "empty"
    seen = tuple(dict.fromkeys(name for names, _ in groups for name in names))
    return AiTxt(source_url, token, fmt, tuple(compiled), deny_line, 200, seen)


def _complete_lines(body: bytes) -> bytes:
    """``body`` without the line a cut fell in."""
    cut = max(body.rfind(b"\n"), body.rfind(b"\r"))
    return body[: cut + 1]


def aitxt_from_fetch(
    status: int | None,
    body: bytes | None,
    source_url: str,
    token: str,
    *,
    truncated: bool = False,
) -> AiTxt:
    """Build an ``AiTxt`` from a fetch result. ``status=None`` means a network error.

    Anything but a 2xx with a body is "no signal": unlike robots.txt, ai.txt has no status-code
    semantics, so an unreachable file neither allows nor forbids (digest §3 "Recommend").
    ``truncated``: ``body`` is the first part of a download stopped at its size cap.
    """
    if status is None or not 200 <= status < 300 or body is None:
        return AiTxt(source_url, token, "empty", status=status)
    truncated = truncated or len(body) > MAX_AITXT_BYTES
    if truncated:
        body = _complete_lines(body[:MAX_AITXT_BYTES])
        if not body.strip():
            reason = "truncated before its first line ends"
            return AiTxt(
                source_url, token, "other", status=status, truncated=True, unreadable=reason
            )
    parsed = parse_aitxt(decode_text(body), source_url, token)
    return replace(parsed, status=status, truncated=truncated)


# --- the family declaration (crawler.consent.registry) -----------------------------------------


def _parse_document(
    origin: str,
    status: int | None,
    body: bytes | None,
    error: str | None,
    token: str = "consentcrawl",
) -> AiTxt:
    status, body, truncated = size_capped_fetch(status, body, error)
    return aitxt_from_fetch(status, body, origin + "/ai.txt", token, truncated=truncated)


# ai.txt is meant to be read where the media is downloaded: each image against its own host's
# file, the page against the page host's (the caption is mined from the page). 4xx/5xx/
# unreachable: no signal; an unreadable 2xx file excludes under UNREADABLE_EXCLUDES.
def _page(ctx: PageContext, env: EvalEnv) -> list[Signal]:
    strict = env.policy.unreadable_excludes
    return [ctx.documents["aitxt"].check(ctx.url, unreadable_excludes=strict)]


def _image(ctx: ImageContext, env: EvalEnv) -> list[Signal]:
    strict = env.policy.unreadable_excludes
    return [ctx.documents["aitxt"].check(ctx.url, unreadable_excludes=strict)]


FAMILY = Family(
    name=NAME,
    summary="Spawning ai.txt on the page host and on each image host",
    spec="spawning.ai ai.txt (no formal spec; RFC 9309 matching); consent-signals.md §3",
    reasons=(
        Reason("aitxt:disallowed", "ai.txt disallows the path for our token"),
        Reason("aitxt:unreadable", "a 2xx ai.txt that cannot be read (strict)", "unverifiable"),
    ),
    switches=(Switch("aitxt", "AITXT_ENABLED", "Spawning ai.txt on page and image hosts"),),
    documents=(DocumentSpec("aitxt", _parse_document, "/ai.txt", needs_token=True),),
    page=_page,
    image=_image,
    url_only=True,
)
