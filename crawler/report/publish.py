"""Everything written next to the data once a run is over: card, report, per-domain figures.

``publish(root)`` reads ``manifest.json`` and the part files, writes ``README.md`` (the dataset
card), ``report.html`` and ``domains.parquet``, adds ``origins`` (contacted / unreachable, what
their documents said) and ``published`` to the manifest, and returns what the caller prints and
the exit status it implies. Used at the end of every crawl and regeneration, and by
``scrapy report`` / ``scrapy summary`` on existing outputs. No Scrapy imports.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from crawler.output.manifest import write_manifest
from crawler.report.card import render_card
from crawler.report.html import render_report
from crawler.report.stats import IndexStats, collect, domains_table
from crawler.report.summary import render_summary

__all__ = [
    "CARD",
    "DOMAINS",
    "EXIT_ALL_UNREACHABLE",
    "Published",
    "REPORT",
    "exit_status",
    "load_manifest",
    "publish",
    "unreachable_warning",
]

CARD = "README.md"
REPORT = "report.html"
DOMAINS = "domains.parquet"
# Exit status of `scrapy crawl` / `scrapy regenerate` when every origin contacted was
# unreachable: outputs and manifest are written, but they say nothing about consent.
EXIT_ALL_UNREACHABLE = 3


@dataclass(slots=True)
class Published:
    manifest: dict[str, Any]
    stats: IndexStats
    summary: str
    all_unreachable: bool
    unreachable_share: float


def load_manifest(root: Path) -> dict[str, Any]:
    path = Path(root) / "manifest.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: is {str(root)!r} an INDEX_DIR?")
    return json.loads(path.read_text())


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def publish(root: Path, write: bool = True) -> Published:
    """Build card, report and domain table from ``root``; write them unless ``write`` is off."""
    root = Path(root)
    manifest = load_manifest(root)
    stats = collect(root, manifest)
    origins = stats.origins.record()
    manifest["origins"] = origins
    counts = manifest.setdefault("counts", {})
    if "excluded_by_cause" not in counts and stats.by_cause:
        counts["excluded_by_cause"] = dict(stats.by_cause)
    title = f"consentcrawl {manifest.get('job', 'crawl')}: {root.resolve().name}"
    if write:
        _write_text(root / CARD, render_card(manifest, stats, title))
        _write_text(root / REPORT, render_report(manifest, stats, title))
        tmp = root / f".{DOMAINS}.tmp"
        pq.write_table(domains_table(stats), tmp)
        os.replace(tmp, root / DOMAINS)
        manifest["published"] = {"card": CARD, "report": REPORT, "domains": DOMAINS}
        write_manifest(root / "manifest.json", manifest)
    contacted, unreachable = origins["contacted"], origins["unreachable"]
    return Published(
        manifest=manifest,
        stats=stats,
        summary=render_summary(manifest, str(root)),
        all_unreachable=bool(contacted) and unreachable == contacted,
        unreachable_share=unreachable / contacted if contacted else 0.0,
    )


def exit_status(manifest: dict[str, Any]) -> int | None:
    """``EXIT_ALL_UNREACHABLE`` when every origin contacted was unreachable, else None."""
    origins = manifest.get("origins") or {}
    if origins.get("contacted") and origins.get("unreachable") == origins["contacted"]:
        return EXIT_ALL_UNREACHABLE
    return None


def unreachable_warning(published: Published, threshold: float) -> str | None:
    """The warning for a run where most origins could not be reached, else None."""
    origins = published.manifest["origins"]
    if not origins["contacted"] or published.unreachable_share < threshold:
        return None
    examples = ", ".join(origins["unreachable_examples"][:3])
    every = "every" if published.all_unreachable else f"{published.unreachable_share:.0%} of"
    return (
        f"{every} origin contacted ({origins['unreachable']} of {origins['contacted']}) could not "
        f"be reached, e.g. {examples}: offline? proxy? DNS? Rows are excluded as unverifiable, "
        "not refused."
    )
