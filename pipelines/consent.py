"""The consent engine: runs the family registry's evaluators in two phases around the probe.

``ConsentBeforeProbePipeline`` runs every enabled family's page evaluator and its image evaluator
when that needs no request to the image (robots.txt, ai.txt, the page's headers and meta...);
``pipelines.probe.ProbePipeline`` then probes the rows still kept; ``ConsentAfterProbePipeline``
runs the image evaluators that read the image's own response (its headers, its first bytes).

The engine knows no family: it fetches the documents the enabled families declare (every
(kind, origin) of an item concurrently, so an origin's ai.txt and tdmrep.json are in flight
together once its robots.txt allows them), builds the contexts of ``crawler.consent.family`` from
the item and appends what the evaluators return, family by family in registry order: a family's
page signals (to ``page_signals``, or to each row of a page known only from the rows' own page
column), then its image signals (to each candidate's ``signals``). The lists of evaluators are
built once per crawl from the policy, so a family that is off costs nothing per row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.components import shared
from crawler.consent.family import (
    Discover,
    EvalEnv,
    Family,
    ImageColumns,
    ImageContext,
    ImageEval,
    PageColumns,
    PageContext,
    PageEval,
    Phase,
    ProbeView,
)
from crawler.consent.registry import FAMILIES
from crawler.consentdocs import NOT_CACHED, ConsentDocuments
from crawler.policyrt import policy_of
from crawler.records import CandidateRow, Item, PageItem
from pipelines.base import PageGroup, page_groups

__all__ = ["ConsentAfterProbePipeline", "ConsentBeforeProbePipeline", "family_envs"]

_NO_DOCUMENTS: Mapping[str, Any] = {}
_NO_HEADERS: Mapping[str, list[str]] = {}


class FamilyEnvs(dict[str, EvalEnv]):
    """The enabled families' evaluation environments, by family name (one per crawl, shared by
    both phases through crawler.components)."""

    @classmethod
    def build(cls, crawler: Crawler) -> FamilyEnvs:
        settings = crawler.settings
        policy = policy_of(crawler)
        token = settings.get("ROBOTSTXT_USER_AGENT")
        ai_tokens = tuple(settings.getlist("AI_TOKENS"))
        return cls(
            (
                f.name,
                EvalEnv(
                    token, ai_tokens, policy, f.configure(settings.get) if f.configure else None
                ),
            )
            for f in FAMILIES
            if f.enabled(policy)
        )


def family_envs(crawler: Crawler) -> FamilyEnvs:
    """The enabled families' evaluation environments, by family name (built once per crawl:
    ``configure`` parses a family's settings once)."""
    return shared(crawler, FamilyEnvs, lambda: FamilyEnvs.build(crawler))


@dataclass(frozen=True, slots=True)
class _Step:
    """One family's work in one phase."""

    family: Family
    env: EvalEnv
    page: PageEval | None
    image: ImageEval | None
    page_columns: PageColumns | None
    image_columns: ImageColumns | None
    reads_documents: bool
    discover_page: Discover | None = None
    discover_image: Discover | None = None
    url_kind: str | None = None  # the family's document at discovered URLs (``path`` None)


class _ConsentPhasePipeline:
    phase: Phase

    def __init__(self, crawler: Crawler) -> None:
        envs = family_envs(crawler)
        before = self.phase is Phase.BEFORE_PROBE
        steps = []
        for family in FAMILIES:
            env = envs.get(family.name)
            if env is None:
                continue
            page = family.page if before else None
            page_columns = family.page_columns if before else None
            in_phase = family.image_phase is self.phase
            image = family.image if in_phase else None
            image_columns = family.image_columns if in_phase else None
            url_kind = next((d.name for d in family.documents if d.path is None), None)
            # After the probe too when the family's image evaluator runs then: it reads the
            # page's documents (``ctx.page.discovered``), e.g. a page's RSL naming the image.
            discover_page = family.discover_page if (before or image) and url_kind else None
            discover_image = family.discover_image if in_phase and url_kind else None
            if page or image or page_columns or image_columns:
                reads = any(spec.path is not None for spec in family.documents)
                steps.append(
                    _Step(
                        family,
                        env,
                        page,
                        image,
                        page_columns,
                        image_columns,
                        reads,
                        discover_page,
                        discover_image,
                        url_kind,
                    )
                )
        if not steps:
            raise NotConfigured(f"no consent family evaluates {self.phase.value}")
        self.steps = tuple(steps)
        self.kinds = tuple(
            dict.fromkeys(
                spec.name
                for step in steps
                for spec in step.family.documents
                if spec.path is not None
            )
        )
        self.docs = ConsentDocuments.of(crawler)
        self.discover_pages = tuple(s for s in steps if s.discover_page is not None)
        self.discover_images = tuple(s for s in steps if s.discover_image is not None)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> _ConsentPhasePipeline:
        return cls(crawler)

    async def documents(self, origins: set[str]) -> dict[str, dict[str, Any]]:
        """This phase's documents of each origin (by kind); missing ones fetched concurrently:
        every kind of every origin at once (each waits for its origin's robots.txt only)."""
        found: dict[str, dict[str, Any]] = {origin: {} for origin in origins}
        missing: list[tuple[str, str]] = []
        lookup = self.docs.lookup
        for origin in origins:
            docs = found[origin]
            for kind in self.kinds:
                # lookup, not cached: a document that parses to None (no tdmrep.json) is
                # cached too, and must not take the asynchronous path of every item.
                doc = lookup(kind, origin)
                if doc is NOT_CACHED:
                    missing.append((kind, origin))
                else:
                    docs[kind] = doc
        if missing:
            fetched = await asyncio.gather(*(self.docs.get(k, o) for k, o in missing))
            for (kind, origin), doc in zip(missing, fetched, strict=True):
                found[origin][kind] = doc
        return found

    async def process_item(self, item: Item) -> Item:
        if not isinstance(item, PageItem) or not item.candidates:
            return item
        # Rows whose own URL is unusable (origin None) are not checked at all.
        checkable = [c for c in item.candidates if c.origin]
        groups = page_groups(item)
        docs: dict[str, dict[str, Any]] = {}
        if checkable and self.kinds:
            origins = {c.origin for c in checkable if c.origin} | {g.origin for g in groups}
            docs = await self.documents(origins)
        pages = [(group, self.page_context(item, group, docs)) for group in groups]
        if self.discover_pages and checkable:
            contexts = await self.with_discovered([p for _, p in pages], self.discover_pages, True)
            pages = [(group, page) for (group, _), page in zip(pages, contexts, strict=True)]
        images = self.image_contexts(checkable, pages, docs) if checkable else []
        if self.discover_images and images:
            found = await self.with_discovered([i for _, i in images], self.discover_images, False)
            images = [(c, image) for (c, _), image in zip(images, found, strict=True)]
        for step in self.steps:
            # Without a checkable row no document was fetched: only the page's own headers and
            # meta are read then (the row's consent record still shows them).
            if step.page is not None and (checkable or not step.reads_documents):
                for group, page in pages:
                    signals = step.page(page, step.env)
                    if signals:
                        group.add(signals)
            if step.page_columns is not None:
                for group, page in pages:
                    values = step.page_columns(page, step.env)
                    for candidate in group.candidates:
                        candidate.columns.update(values)
            evaluate = step.image
            if evaluate is not None:
                env = step.env
                for candidate, image in images:
                    signals = evaluate(image, env)
                    if signals:
                        candidate.signals.extend(signals)
            if step.image_columns is not None:
                for candidate, image in images:
                    candidate.columns.update(step.image_columns(image, step.env))
        return item

    async def with_discovered(
        self, contexts: list[Any], steps: tuple[_Step, ...], pages: bool
    ) -> list[Any]:
        """The contexts with ``discovered`` filled: every document URL the families discover
        for them (from their headers, HTML, or this origin's documents), all fetched at once."""
        wanted: list[list[tuple[str, str]]] = []
        for context in contexts:
            keys: list[tuple[str, str]] = []
            for step in steps:
                discover = step.discover_page if pages else step.discover_image
                assert discover is not None and step.url_kind is not None
                keys.extend((step.url_kind, url) for url in discover(context, step.env))
            wanted.append(keys)
        found: dict[tuple[str, str], Any] = {}
        missing: list[tuple[str, str]] = []
        for key in dict.fromkeys(k for keys in wanted for k in keys):
            doc = self.docs.cached_url(*key)
            if doc is None:
                missing.append(key)
            else:
                found[key] = doc
        if missing:
            fetched = await asyncio.gather(*(self.docs.get_url(k, u) for k, u in missing))
            found.update(zip(missing, fetched, strict=True))
        return [
            replace(context, discovered={url: found[kind, url] for kind, url in keys})
            if keys
            else context
            for context, keys in zip(contexts, wanted, strict=True)
        ]

    def page_context(
        self, item: PageItem, group: PageGroup, docs: dict[str, dict[str, Any]]
    ) -> PageContext:
        own = group.item is not None  # the item's own page: its headers and meta, if fetched
        return PageContext(
            group.url,
            group.origin,
            group.fetched,
            docs.get(group.origin, _NO_DOCUMENTS),
            item.headers if own else _NO_HEADERS,
            item.meta if own else _NO_HEADERS,
            item.root if own else None,
            None,
            _NO_DOCUMENTS,
        )

    def image_contexts(
        self,
        checkable: list[CandidateRow],
        pages: list[tuple[PageGroup, PageContext]],
        docs: dict[str, dict[str, Any]],
    ) -> list[tuple[CandidateRow, ImageContext]]:
        page_of: dict[int, PageContext] = {}
        shared: PageContext | None = None
        for group, page_ctx in pages:
            if group.item is not None:
                shared = page_ctx  # the item's own page: every row's
            else:
                for candidate in group.candidates:
                    page_of[id(candidate)] = page_ctx
        after = self.phase is Phase.AFTER_PROBE
        out = []
        for candidate in checkable:
            probe = None
            if after:
                result = candidate.probe
                if result is not None:
                    probe = ProbeView(
                        result.url, result.method, result.status, result.headers, result.body
                    )
            page = shared if shared is not None else page_of.get(id(candidate))
            origin = candidate.origin or ""  # checkable rows have one
            # Every field given: a default factory per row costs more than the whole context.
            context = ImageContext(
                candidate.url,
                origin,
                docs.get(origin, _NO_DOCUMENTS),
                page,
                probe,
                _NO_DOCUMENTS,
            )
            out.append((candidate, context))
        return out


class ConsentBeforeProbePipeline(_ConsentPhasePipeline):
    """Page evaluators, and image evaluators that need no request to the image."""

    phase = Phase.BEFORE_PROBE


class ConsentAfterProbePipeline(_ConsentPhasePipeline):
    """Image evaluators that read the image's own response (after ``ProbePipeline``)."""

    phase = Phase.AFTER_PROBE
