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
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.consent.family import (
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
from crawler.consentdocs import ConsentDocuments
from crawler.policyrt import policy_of
from pipelines.base import PageGroup, page_fetched, page_groups

__all__ = ["ConsentAfterProbePipeline", "ConsentBeforeProbePipeline", "family_envs"]

_NO_DOCUMENTS: Mapping[str, Any] = {}
_NO_HEADERS: Mapping[str, list[str]] = {}


def family_envs(crawler: Crawler) -> dict[str, EvalEnv]:
    """The enabled families' evaluation environments, by family name (built once per crawl:
    ``configure`` parses a family's settings once)."""
    envs = getattr(crawler, "_consent_envs", None)
    if envs is None:
        settings = crawler.settings
        policy = policy_of(crawler)
        token = settings.get("ROBOTSTXT_USER_AGENT")
        ai_tokens = tuple(settings.getlist("AI_TOKENS"))
        envs = {
            f.name: EvalEnv(
                token, ai_tokens, policy, f.configure(settings.get) if f.configure else None
            )
            for f in FAMILIES
            if f.enabled(policy)
        }
        crawler._consent_envs = envs  # type: ignore[attr-defined]
    return envs


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
            if page or image or page_columns or image_columns:
                reads = any(spec.path is not None for spec in family.documents)
                steps.append(_Step(family, env, page, image, page_columns, image_columns, reads))
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

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> _ConsentPhasePipeline:
        return cls(crawler)

    async def documents(self, origins: set[str]) -> dict[str, dict[str, Any]]:
        """This phase's documents of each origin (by kind); missing ones fetched concurrently:
        every kind of every origin at once (each waits for its origin's robots.txt only)."""
        found: dict[str, dict[str, Any]] = {origin: {} for origin in origins}
        missing: list[tuple[str, str]] = []
        for origin in origins:
            docs = found[origin]
            for kind in self.kinds:
                doc = self.docs.cached(kind, origin)
                if doc is None:
                    missing.append((kind, origin))
                else:
                    docs[kind] = doc
        if missing:
            fetched = await asyncio.gather(*(self.docs.get(k, o) for k, o in missing))
            for (kind, origin), doc in zip(missing, fetched, strict=True):
                found[origin][kind] = doc
        return found

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        candidates = item["candidates"]
        if not candidates:
            return item
        # Rows whose own URL is unusable (origin None) are not checked at all.
        checkable = [c for c in candidates if c["origin"]]
        groups = page_groups(item)
        docs: dict[str, dict[str, Any]] = {}
        if checkable and self.kinds:
            origins = {c["origin"] for c in checkable} | {g.origin for g in groups}
            docs = await self.documents(origins)
        pages = [(group, self.page_context(item, group, docs)) for group in groups]
        images = self.image_contexts(checkable, pages, docs) if checkable else []
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
                        candidate.update(values)
            if step.image is not None:
                for candidate, image in images:
                    signals = step.image(image, step.env)
                    if signals:
                        candidate["signals"].extend(signals)
            if step.image_columns is not None:
                for candidate, image in images:
                    candidate.update(step.image_columns(image, step.env))
        return item

    def page_context(
        self, item: dict[str, Any], group: PageGroup, docs: dict[str, dict[str, Any]]
    ) -> PageContext:
        own = group.item is not None  # the item's own page: its headers and meta, if fetched
        return PageContext(
            url=group.url,
            origin=group.origin,
            fetched=page_fetched(group),
            documents=docs.get(group.origin, _NO_DOCUMENTS),
            headers=item["headers"] if own else _NO_HEADERS,
            meta=item["meta"] if own else _NO_HEADERS,
            root=item.get("root") if own else None,
        )

    def image_contexts(
        self,
        checkable: list[dict[str, Any]],
        pages: list[tuple[PageGroup, PageContext]],
        docs: dict[str, dict[str, Any]],
    ) -> list[tuple[dict[str, Any], ImageContext]]:
        page_of: dict[int, PageContext] = {}
        shared: PageContext | None = None
        for group, page in pages:
            if group.item is not None:
                shared = page  # the item's own page: every row's
            else:
                for candidate in group.candidates:
                    page_of[id(candidate)] = page
        after = self.phase is Phase.AFTER_PROBE
        out = []
        for candidate in checkable:
            probe = None
            if after:
                result = candidate.get("probe")
                if result is not None:
                    probe = ProbeView(
                        result.url, result.method, result.status, result.headers, result.body
                    )
            page = shared if shared is not None else page_of.get(id(candidate))
            origin = candidate["origin"]
            context = ImageContext(
                candidate["url"], origin, docs.get(origin, _NO_DOCUMENTS), page, probe
            )
            out.append((candidate, context))
        return out


class ConsentBeforeProbePipeline(_ConsentPhasePipeline):
    """Page evaluators, and image evaluators that need no request to the image."""

    phase = Phase.BEFORE_PROBE


class ConsentAfterProbePipeline(_ConsentPhasePipeline):
    """Image evaluators that read the image's own response (after ``ProbePipeline``)."""

    phase = Phase.AFTER_PROBE
