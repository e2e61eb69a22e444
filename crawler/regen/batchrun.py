"""Scrapy glue of the regeneration batch path (crawler.regen.batchpath holds the logic).

``BatchRunner.of(crawler, plan)`` says whether the batch path applies to this run:
``REGEN_BATCH_PATH`` on, ``IMAGE_PROBE=off``, no ``--fetch-pages``, and no item pipeline other
than the project's own (a custom pipeline would be skipped by it). ``decide`` fetches the
batch's origins' documents through the crawl's one document store (``ConsentDocuments``: once
per origin, as the pipelines do) and decides every row; the spider then hands the batch to the
writer with one item. A batch one of whose origins names an RSL licence in its robots.txt
(``License:``, with RSL on) takes the item path: the batch path does not read RSL documents.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any

from scrapy.crawler import Crawler
from scrapy.utils.conf import build_component_list

from crawler.consent.rowchecks import RECORD_SWITCHES
from crawler.consent.rsl import robots_rsl_links
from crawler.consentdocs import ConsentDocuments
from crawler.guard import address_policy
from crawler.items import candidate_target
from crawler.policyrt import policy_of
from crawler.records import DecidedBatch
from crawler.regen.batches import OpenBatch
from crawler.regen.batchpath import (
    BatchDecider,
    Guarded,
    RowChecks,
    address_guard,
    make_checks,
    origins_of,
)
from crawler.regen.inputs import valid_origin
from crawler.regen.plan import RegenPlan
from crawler.urlcolumn import bounded_memo

__all__ = ["DECIDED", "BatchRunner"]

logger = logging.getLogger(__name__)

DECIDED = "regen-decided"  # item type: a batch whose rows are all decided, to be written

# The pipelines whose effect on a regeneration row the batch path reproduces.
KNOWN_PIPELINES = frozenset(
    {
        "pipelines.caption.CaptionPipeline",
        "pipelines.consent.ConsentBeforeProbePipeline",
        "pipelines.probe.ProbePipeline",
        "pipelines.consent.ConsentAfterProbePipeline",
        "pipelines.license.LicensePipeline",
        "pipelines.quality.QualityPipeline",
        "pipelines.regenwriter.RegenWriterPipeline",
        # Stamps crawled pages' fetched_at from the archive clock in a replay; a regeneration
        # row's decision does not depend on it.
        "crawler.warc.stamp.ArchiveTimePipeline",
    }
)


def _license_reason(settings: Any) -> str | None:
    """The licence filter's reason for a row with no licence evidence (LicensePipeline)."""
    if not settings.getbool("LICENSE_DETECTION_ENABLED"):
        return None
    from crawler.licenses.choose import LicenseFilter
    from pipelines.license import NO_LICENSE

    scope = settings.get("LICENSE_SCOPE") or "any"
    license_filter = LicenseFilter.from_settings(settings.get("LICENSE_ALLOW") or "", scope)
    return license_filter.check(NO_LICENSE) if license_filter.active else None


# The families whose signals the batch path computes (crawler.regen.batchpath); the others read
# only what a regeneration row without probe or page fetch does not have (headers, HTML).
BATCH_FAMILIES = frozenset({"robots", "aitxt", "tdmrep", "robots-records", "aipref"})
# ... and RSL, whose robots.txt License lines send a batch to the item path (decide()).
BATCH_HANDLED = BATCH_FAMILIES | {"rsl"}


def _configured_families(crawler: Crawler) -> list[str]:
    """Enabled families with a configuration (a deny-list from DENYLIST_FILES) that decide rows
    before the probe and that the batch path does not evaluate: their rows need the engine, i.e.
    the item path. Families read only after the probe (C2PA, provenance) have nothing to read
    with the probe off; RSL is handled per batch (an origin naming a licence: item path)."""
    from crawler.consent.family import Phase
    from crawler.consent.registry import FAMILIES
    from pipelines.consent import family_envs

    before_probe = {
        f.name
        for f in FAMILIES
        if f.page is not None or (f.image is not None and f.image_phase is Phase.BEFORE_PROBE)
    }
    return sorted(
        name
        for name, env in family_envs(crawler).items()
        if env.config is not None and name in before_probe and name not in BATCH_HANDLED
    )


class BatchRunner:
    def __init__(self, crawler: Crawler, plan: RegenPlan, checks: RowChecks) -> None:
        self.crawler = crawler
        self.plan = plan
        self.checks = checks
        self.docs = ConsentDocuments.of(crawler)
        self.decider = BatchDecider(checks)
        # The item path's own address guard (ALLOWED_NETWORKS), applied per origin.
        self.target = bounded_memo(
            partial(candidate_target, addresses=address_policy(crawler.settings))
        )
        # Both read a URL's scheme and authority only, which repeat from batch to batch.
        self.valid_origin = bounded_memo(valid_origin)
        # RSL is not reproduced here: a batch with an origin whose robots.txt names an RSL
        # licence for our token (License:) takes the item path, which reads it.
        settings = crawler.settings
        self.rsl_token: str | None = (
            settings.get("ROBOTSTXT_USER_AGENT") if policy_of(crawler).enabled("rsl") else None
        )

    @classmethod
    def of(cls, crawler: Crawler, plan: RegenPlan) -> BatchRunner | None:
        """The runner, or None when this run must take the item path (the reason is logged)."""
        settings = crawler.settings
        policy = policy_of(crawler)
        pipelines = {
            p if isinstance(p, str) else f"{p.__module__}.{p.__qualname__}"
            for p in build_component_list(settings.getwithbase("ITEM_PIPELINES"))
        }
        why = None
        if not settings.getbool("REGEN_BATCH_PATH"):
            why = "REGEN_BATCH_PATH is off"
        elif policy.probe != "off":
            why = f"IMAGE_PROBE={policy.probe}"
        elif plan.fetch_pages:
            why = "--fetch-pages"
        elif not pipelines <= KNOWN_PIPELINES:
            why = "other item pipelines: " + ", ".join(sorted(pipelines - KNOWN_PIPELINES))
        elif configured := _configured_families(crawler):
            why = "configured families the batch path does not evaluate: " + ", ".join(configured)
        if why is not None:
            logger.info("regeneration: item path (%s)", why)
            return None
        from pipelines.probe import NOT_CHECKED

        checks = make_checks(
            token=settings.get("ROBOTSTXT_USER_AGENT"),
            ai_tokens=tuple(settings.getlist("AI_TOKENS")),
            use_ai_tokens=policy.enabled("robots-ai-tokens"),
            record_switches=[s for s in RECORD_SWITCHES.values() if policy.enabled(s)],
            aitxt=policy.enabled("aitxt"),
            tdmrep=policy.enabled("tdmrep"),
            unreadable_excludes=policy.unreadable_excludes,
            probe_signal=NOT_CHECKED,
            license_reason=_license_reason(settings),
            usage_columns=policy.enabled("aipref"),
        )
        logger.info("regeneration: batch path (rows decided per origin)")
        return cls(crawler, plan, checks)

    async def documents(self, origins: set[str]) -> dict[tuple[str, str], Any]:
        """Every document the checks read for ``origins``; missing ones fetched concurrently."""
        kinds = self.checks.kinds()
        found, missing = self.docs.cached_many((k, o) for o in origins for k in kinds)
        if missing:
            fetched = await asyncio.gather(*(self.docs.get(k, o) for k, o in missing))
            found.update(zip(missing, fetched, strict=True))
        return found

    async def decide(self, entry: OpenBatch) -> bool:
        """Decide every row of the batch into ``entry`` (which is then complete); False (nothing
        decided) when the batch must take the item path: an origin names an RSL licence."""
        data = entry.batch.data
        cols = self.plan.columns
        urls, origins = origins_of(data.column(cols.url), self.valid_origin)
        image = address_guard(urls, origins, self.target)
        pages = None
        page = Guarded([], {})
        page_origins = None
        if cols.page is not None:
            pages, page_origins = origins_of(data.column(cols.page), self.valid_origin)
            page = address_guard(pages, page_origins, self.target)
            page_origins = page.origins
        origins = image.origins
        # What the item path fetches: the documents of rows the guard let through, and of
        # their pages (a row that is not checked does not have its page checked either).
        needed = {o for o in origins if o is not None}
        if page_origins is not None:
            needed.update(p for p, o in zip(page_origins, origins, strict=True) if p and o)
        docs = await self.documents(needed)
        token = self.rsl_token
        if token is not None and any(robots_rsl_links(docs[("robots", o)], token) for o in needed):
            self.crawler.stats.inc_value("regenerate/batch_path/rsl_batches")
            return False
        decision = self.decider.decide(
            docs,
            urls,
            origins,
            pages,
            page_origins,
            image.refused,
            page.refused,
            url_column=data.column(cols.url),
            page_column=data.column(cols.page) if cols.page is not None else None,
        )
        entry.reasons = list(decision.reasons)  # OpenBatch's rows may be None (undecided)
        entry.consent_array = decision.consent
        entry.license_array = decision.license
        entry.columns = decision.columns
        entry.missing = 0
        stats = self.crawler.stats  # set once the crawl runs (not yet in from_crawler)
        stats.inc_value("regenerate/batch_path/rows_shared", decision.shared_rows)
        stats.inc_value("regenerate/batch_path/rows_by_path", decision.path_rows)
        return True

    @staticmethod
    def item(entry: OpenBatch) -> DecidedBatch:
        """The item that carries a decided batch to the writer (no rows: the consent pipelines
        pass it through untouched)."""
        return DecidedBatch(entry.batch.number)
