"""What a consent-signal family declares: one ``Family`` value, in the family's own module.

Pure (no Scrapy). A family module (``crawler/consent/<family>.py``) holds its parser, its pure
evaluators and one ``FAMILY = Family(...)`` declaration; ``crawler.consent.registry`` lists the
declarations in evaluation order, and everything else is derived from that list: the policy
presets and ``*_ENABLED`` settings, the documents the crawl fetches per origin, the order in which
the engine pipeline runs the evaluators, ``configs/default.toml`` and the README's families table.

Evaluation happens in two phases around the image probe (``pipelines.probe``):

- ``Phase.BEFORE_PROBE``: needs no request to the image (its host's documents, the URL path, the
  page's headers and meta). Refused rows are not probed.
- ``Phase.AFTER_PROBE``: reads the image's own response (headers; first bytes with
  ``IMAGE_PROBE=range``).

A family has a page evaluator (its signals apply to every row of the page; always before the
probe) and/or an image evaluator (one row; in ``image_phase``). Evaluators are pure functions of
their context: documents and headers in, ``Signal`` values out. Row columns a family contributes
(``columns``) are filled by its ``*_columns`` functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from crawler.consent.verdict import Signal

__all__ = [
    "Column",
    "DocumentSpec",
    "EvalEnv",
    "Family",
    "ImageContext",
    "PageContext",
    "Phase",
    "ProbeView",
    "Reason",
    "SettingSpec",
    "Switch",
]

# parse(origin_or_url, status, body, error) -> parsed document; status None means not fetched
# (``error`` says why: unreachable, refused by robots.txt, cut at the size cap...).
Parser = Callable[[str, int | None, bytes | None, str | None], Any]
# A settings getter: ``Settings.get`` or ``dict.get``.
Getter = Callable[[str], Any]


class Phase(StrEnum):
    BEFORE_PROBE = "before-probe"
    AFTER_PROBE = "after-probe"


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason code a family may give, for the README table and the report.

    ``code`` is the full reason (``rsl:prohibits=ai-train``; a trailing ``=*`` or ``*`` marks a
    family of codes such as ``iptc:data-mining=*``). ``cause`` is the report's class:
    refused | unverifiable | license | quality | scope | input | other.
    """

    code: str
    meaning: str
    cause: str = "refused"


@dataclass(frozen=True, slots=True)
class Switch:
    """A policy switch: the family (or part of it) counts or not.

    ``presets`` says whether it is on in each ``CONSENT_POLICY`` preset (a preset not listed:
    off). ``setting`` (``<NAME>_ENABLED``, default None = follow the preset) overrides it.
    """

    name: str
    setting: str
    doc: str
    presets: Mapping[str, bool] = field(
        default_factory=lambda: {"strict": True, "standard": True, "robots-only": False}
    )


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """A family-specific setting other than its switches (e.g. ``DENYLIST_FILES``)."""

    name: str
    default: Any
    doc: str


@dataclass(frozen=True, slots=True)
class Column:
    """A row column the family fills (index and excluded datasets).

    ``type`` is one of: string, bool, int64, float64, list<string>. Absent values are null.
    """

    name: str
    type: str
    doc: str


@dataclass(frozen=True, slots=True)
class DocumentSpec:
    """A document the family reads.

    ``path`` set: a fixed per-origin path (``/ai.txt``), fetched for the page's and every image's
    origin once per TTL. ``path`` None: documents at URLs the family discovers (``discover_*``),
    fetched once per URL per TTL. ``obey_robots``: robots.txt for our token must allow the fetch.
    """

    name: str
    parse: Parser
    path: str | None = None
    obey_robots: bool = True
    # True: ``parse`` also takes ``token=`` (our robots.txt product token: ai.txt groups are
    # selected while parsing); the document store binds it once per crawl.
    needs_token: bool = False


@dataclass(slots=True)  # read-only by contract; not frozen: built per row, 10x cheaper
class ProbeView:
    """The image's own response, as the probe saw it (None in a context: not probed)."""

    url: str
    method: str  # HEAD | GET
    status: int | None  # None: no response
    headers: Mapping[str, Sequence[str]]  # lower-case names -> every field line's value
    body: bytes | None = None  # first bytes, IMAGE_PROBE=range only


@dataclass(slots=True)  # read-only by contract; not frozen: built per row, 10x cheaper
class PageContext:
    """One page as the page evaluators see it.

    ``fetched`` False: the page is known only by its URL (``scrapy regenerate`` without page
    fetching): headers, meta and html are empty/None. ``documents``: this origin's fixed-path
    documents by ``DocumentSpec.name`` (only those of enabled families). ``discovered``: parsed
    documents at discovered URLs, by URL.
    """

    url: str
    origin: str
    fetched: bool
    documents: Mapping[str, Any]
    headers: Mapping[str, Sequence[str]] = field(default_factory=dict)
    meta: Mapping[str, Sequence[str]] = field(default_factory=dict)
    root: Any = None  # the parsed lxml tree of an HTML page, if kept
    status: int | None = None
    discovered: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)  # read-only by contract; not frozen: built per row, 10x cheaper
class ImageContext:
    """One row's image as the image evaluators see it."""

    url: str
    origin: str
    documents: Mapping[str, Any]  # the image origin's fixed-path documents
    page: PageContext | None  # None: a row with no page
    probe: ProbeView | None = None  # None before the probe, or when not probed
    discovered: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EvalEnv:
    """What every evaluator may read besides its context: tokens, the policy, its own config.

    ``policy`` is ``crawler.consent.policy.Policy`` (enabled switches, noindex_excludes,
    unreadable_excludes, probe_failure_excludes, probe mode). ``config`` is what the family's
    ``configure`` returned (None when it has none).
    """

    token: str
    ai_tokens: tuple[str, ...]
    policy: Any
    config: Any = None

    def on(self, switch: str) -> bool:
        return bool(self.policy.enabled(switch))


PageEval = Callable[[PageContext, EvalEnv], list[Signal]]
ImageEval = Callable[[ImageContext, EvalEnv], list[Signal]]
PageColumns = Callable[[PageContext, EvalEnv], Mapping[str, Any]]
ImageColumns = Callable[[ImageContext, EvalEnv], Mapping[str, Any]]
Discover = Callable[[Any, EvalEnv], Iterable[str]]  # (PageContext | ImageContext) -> URLs


@dataclass(frozen=True, slots=True)
class Family:
    """One consent-signal family, declared once in its own module.

    name:        the reason family (the part before ":" in its reason codes).
    summary:     one line for the README table (what is read, where).
    spec:        the specification it follows (a citation, for the README table).
    reasons:     every reason code it may give.
    switches:    its policy switches; empty means always on (robots.txt for our token).
    documents:   the documents it reads (fixed per-origin paths and/or discovered URLs).
    page / image: the evaluators (None: the family has no such part).
    image_phase: when ``image`` runs relative to the probe.
    discover_page / discover_image: URLs of documents to fetch for a page / an image, from what
                 is already known (documents of the origin, headers, HTML). They run in
                 ``image_phase`` for images (after the probe they may read its headers).
    configure:   settings getter -> the family's config object (parsed once per crawl), e.g. a
                 deny-list loaded from files; raise ``ValueError`` with a message naming the
                 setting for a bad value.
    settings:    its other settings, with defaults (for settings.py, default.toml, README).
    columns:     row columns it fills; page_columns / image_columns return their values.
    url_only:    the image evaluator reads nothing but ``documents`` and the URL, so the
                 regeneration batch path may evaluate it per origin.
    required:    always runs, whatever its switches (they tune it only).
    """

    name: str
    summary: str
    spec: str
    reasons: tuple[Reason, ...] = ()
    switches: tuple[Switch, ...] = ()
    documents: tuple[DocumentSpec, ...] = ()
    page: PageEval | None = None
    image: ImageEval | None = None
    image_phase: Phase = Phase.BEFORE_PROBE
    discover_page: Discover | None = None
    discover_image: Discover | None = None
    configure: Callable[[Getter], Any] | None = None
    settings: tuple[SettingSpec, ...] = ()
    columns: tuple[Column, ...] = ()
    page_columns: PageColumns | None = None
    image_columns: ImageColumns | None = None
    url_only: bool = False
    # True: the family always runs; its switches only tune what it reads (robots.txt for our
    # token is never off, ``robots-ai-tokens`` adds the AI tokens' refusals).
    required: bool = False

    def enabled(self, policy: Any) -> bool:
        """Whether any of its switches is on (a family with none is always on)."""
        if self.required or not self.switches:
            return True
        return any(policy.enabled(s.name) for s in self.switches)
