"""Index writer: explode page items into rows, write index / excluded / consent and the manifest.

Every candidate ends in exactly one of ``index/`` (no reasons) or ``excluded/`` (with its
reasons); a page that was refused or failed is an ``excluded/`` row of kind ``page``. Rows are
flushed in shards as they accumulate and on close, including a close caused by Ctrl-C or a
closing signal, so the rows gathered so far are never lost.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.consent.verdict import PageVerdict
from crawler.consentdocs import ConsentDocuments
from crawler.distributed.output import WorkerOutput
from crawler.output.indexdir import MANIFEST, check_index_dir, clear_outputs
from crawler.output.manifest import (
    documents_fetched,
    manifest_head,
    parts_record,
    write_manifest,
)
from crawler.output.shards import (
    CONSENT_DOCS_SCHEMA,
    EXCLUDED_SCHEMA,
    INDEX_SCHEMA,
    ShardWriter,
    consent_doc_row,
)
from crawler.policyrt import policy_of
from crawler.runtime import non_default_settings

logger = logging.getLogger(__name__)

LICENSE_FIELDS = (
    "license",
    "license_url",
    "license_scope",
    "license_source",
    "license_conflict",
    "credit",
    "creator",
    "acquire_license_page",
)


class IndexWriterPipeline:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        # Distributed mode: INDEX_DIR is shared by design; parts and manifest per worker.
        self.worker_output = WorkerOutput.of(settings)
        overwrite = settings.getbool("INDEX_OVERWRITE") or self.worker_output is not None
        self.root = check_index_dir(settings.get("INDEX_DIR"), overwrite)
        self.rows_per_shard = settings.getint("INDEX_ROWS_PER_SHARD")
        self.compression = settings.get("INDEX_COMPRESSION")
        self.docs = ConsentDocuments.of(crawler)
        self.counts: Counter[str] = Counter()
        self.reason_counts: Counter[str] = Counter()
        self.family_counts: Counter[str] = Counter()
        self.started_at = datetime.now(UTC)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IndexWriterPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.worker_output is None:
            clear_outputs(self.root)
        shard = self.rows_per_shard
        self.index = ShardWriter(self.root / "index", INDEX_SCHEMA, shard, self.compression)
        self.excluded = ShardWriter(
            self.root / "excluded", EXCLUDED_SCHEMA, shard, self.compression
        )
        self.consent = ShardWriter(
            self.root / "consent", CONSENT_DOCS_SCHEMA, shard, self.compression
        )
        if self.worker_output is not None:
            self.worker_output.name_parts(self.index, self.excluded, self.consent)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        kind = item.get("type")
        if kind == "page":
            self._write_page(item)
        elif kind == "page-excluded":
            self.counts["pages_excluded"] += 1
            self._count_reasons(item["reasons"])
            self.excluded.add(
                {
                    "url": item["page_url"],
                    "page_url": item["page_url"],
                    "kind": "page",
                    "caption": None,
                    "reasons": item["reasons"],
                    "license": None,
                    "fetched_at": item["fetched_at"],
                    "consent": [],
                }
            )
        # The page's lxml tree and signal objects are not needed past this point.
        item.pop("root", None)
        if self.docs.fetched:
            self.consent.extend([consent_doc_row(d) for d in self.docs.drain()])
        return {"type": kind, "page_url": item["page_url"]}

    def _write_page(self, item: dict[str, Any]) -> None:
        self.counts["pages_fetched"] += 1
        verdict = PageVerdict(item["page_signals"])
        page_url, fetched_at = item["page_url"], item["fetched_at"]
        for cand in item["candidates"]:
            self.counts["candidates"] += 1
            reasons, consent = verdict.row(cand["reasons"], cand["signals"])
            if reasons:
                self.counts["excluded"] += 1
                self._count_reasons(reasons)
                self.excluded.add(
                    {
                        "url": cand["url"],
                        "page_url": page_url,
                        "kind": "image",
                        "caption": cand["caption"],
                        "reasons": reasons,
                        "license": cand.get("license"),
                        "fetched_at": fetched_at,
                        "consent": consent,
                    }
                )
                continue
            self.counts["kept"] += 1
            row = {
                "url": cand["url"],
                "caption": cand["caption"],
                "page_url": page_url,
                "title": cand["title"],
                "figcaption": cand["figcaption"],
                "width": cand["width"],
                "height": cand["height"],
                "srcset": cand["srcset"],
                "fetched_at": fetched_at,
                "consent": consent,
            }
            for name in LICENSE_FIELDS:
                row[name] = cand.get(name)
            if row["license"]:
                self.counts[f"license:{row['license']}"] += 1
            self.index.add(row)

    def _count_reasons(self, reasons: list[str]) -> None:
        stats = self.crawler.stats
        for family in dict.fromkeys(r.split(":", 1)[0] for r in reasons):
            self.family_counts[family] += 1
            stats.inc_value(f"consentcrawl/excluded/{family}")
        for reason in reasons:
            self.reason_counts[reason] += 1

    def close_spider(self) -> None:
        self.consent.extend([consent_doc_row(d) for d in self.docs.drain()])
        for writer in (self.index, self.excluded, self.consent):
            writer.close()
        stats = self.crawler.stats
        for name in ("pages_fetched", "pages_excluded", "candidates", "kept", "excluded"):
            stats.set_value(f"consentcrawl/{name}", self.counts[name])

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Write the manifest last, once every part file is in place."""
        try:
            manifest = self.build_manifest(spider, reason)
            path = self.root / MANIFEST
            if self.worker_output is not None:
                path = self.worker_output.manifest_path(self.root)
            write_manifest(path, manifest)
        except Exception:  # the data is on disk; say loudly that the manifest is not
            logger.exception("could not write the manifest in %s", self.root)

    def build_manifest(self, spider: Any, reason: str) -> dict[str, Any]:
        seeds = getattr(spider, "seed_info", None)
        stats = self.crawler.stats
        config = self.crawler.settings.get("CONSENTCRAWL_CONFIG")
        config_record = None
        if config:
            data = Path(config).read_bytes()
            config_record = {"path": config, "sha256": hashlib.sha256(data).hexdigest()}
        return {
            **manifest_head("crawl", self.started_at, reason, spider.name),
            "config": config_record,
            "seeds": {
                "source": seeds.source if seeds else None,
                "sha256": seeds.sha256 if seeds else None,
                "urls": seeds.urls if seeds else [],
            },
            "settings": non_default_settings(self.crawler.settings),
            # The policy resolves IMAGE_PROBE (unset follows the preset: head, or off).
            "image_headers_checked": policy_of(self.crawler).probe != "off",
            "policy": policy_of(self.crawler).describe(),
            "counts": {
                "pages_fetched": self.counts["pages_fetched"],
                "pages_excluded": self.counts["pages_excluded"],
                "candidates": self.counts["candidates"],
                "kept": self.counts["kept"],
                "excluded": self.counts["excluded"],
                "excluded_by_family": dict(self.family_counts.most_common()),
                "excluded_by_reason": dict(self.reason_counts.most_common()),
                "rows_by_license": {
                    k.removeprefix("license:"): v
                    for k, v in self.counts.items()
                    if k.startswith("license:")
                },
                "consent_documents_fetched": documents_fetched(stats.get_stats() or {}),
                "consent_probes": stats.get_value("consent/probes", 0),
            },
            "parts": {
                "index": parts_record(self.index.parts, self.root),
                "excluded": parts_record(self.excluded.parts, self.root),
                "consent": parts_record(self.consent.parts, self.root),
            },
        }
