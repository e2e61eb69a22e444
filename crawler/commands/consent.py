"""``scrapy consent URL [--page PAGE_URL] [--policy NAME] [--json]``: explain one decision.

Fetches what the crawl would fetch for this row (robots.txt, ai.txt, tdmrep.json of the image's
host and of the page's, the page itself with ``--page``, the image probe), through the same
downloader and the same pipelines, obeying robots.txt, and prints every signal family: where it
was read, the raw value, its verdict, and the final decision. Exit status: 0 allowed, 1 excluded,
2 error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from scrapy import signals
from scrapy.commands import ScrapyCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES

from crawler.config import ConfigError
from crawler.consent.policy import PRESETS, Policy, PolicyError
from crawler.consent.registry import FAMILIES, enabled_names
from crawler.consent.verdict import PageVerdict
from crawler.records import CheckItem, license_columns
from crawler.report.explain import explain_rows, printable
from crawler.runtime import check_effective_settings
from crawler.seeds import check_url
from crawler.spiders.consent import ConsentSpider


def explain(item: CheckItem, policy: Policy) -> dict[str, Any]:
    """The JSON-able explanation of one processed row (``rows`` is the printed table)."""
    candidate = item.candidates[0]
    signals = [("page", s) for s in item.page_signals] + [("image", s) for s in candidate.signals]
    reasons, _records = PageVerdict(item.page_signals).row(candidate.reasons, candidate.signals)
    page = item.url
    page_reasons = list(item.page_reasons)
    rows = explain_rows(
        image_url=candidate.url,
        page_url=page,
        page_fetched=item.fetched,
        found_on_page=item.found_on_page,
        page_reasons=page_reasons,
        page_signals=list(item.page_signals),
        image_signals=list(candidate.signals),
        reasons=reasons,
        families=enabled_names(policy),
    )
    licence = license_columns(candidate.license_choice)
    return {
        "url": candidate.url,
        "page": page,
        "found_on_page": item.found_on_page,
        "page_reasons": page_reasons,
        "caption": candidate.caption or None,
        "policy": policy.describe(),
        "decision": "excluded" if reasons else "allowed",
        "reasons": reasons,
        "signals": [
            {
                "applies_to": where,
                "family": s.family,
                "verdict": s.decision.value,
                "reason": s.reason,
                "source": s.source,
                "value": s.value,
            }
            for where, s in signals
        ],
        "rows": [r.record() for r in rows],
        "license": {
            key: licence[key]
            for key in ("license", "license_url", "license_scope", "license_source")
        },
        # The registry's family columns, as the index row would have them (null: not filled).
        "columns": {c.name: candidate.columns.get(c.name) for f in FAMILIES for c in f.columns},
    }


def collect_items(crawler: Crawler) -> list[CheckItem]:
    """The items the crawl's pipelines let through, as Scrapy's ``item_scraped`` signal says."""
    items: list[CheckItem] = []

    def scraped(item: Any, **_: Any) -> None:
        if isinstance(item, CheckItem):
            item.root = None  # the page's tree is not needed past the pipelines
            items.append(item)

    # weak=False: the receiver is a closure, kept alive by the signal manager for the crawl.
    crawler.signals.connect(scraped, signal=signals.item_scraped, weak=False)
    return items


def render_table(result: dict[str, Any]) -> str:
    """The table for a terminal; every value read from the network is escaped (``printable``)."""
    rows = [("applies to", "family", "verdict", "where read", "raw value")]
    rows += [
        (r["applies_to"], r["family"], r["verdict"], r["where"], r["value"]) for r in result["rows"]
    ]
    widths = [min(max(len(r[i]) for r in rows), 60) for i in range(4)]
    lines = [f"image: {printable(result['url'])}"]
    if result["page"]:
        lines.append(f"page:  {printable(result['page'])}")
    lines.append(
        f"policy: {result['policy']['name']} (image probe: {result['policy']['image_probe']})"
    )
    lines.append("")
    for row in rows:
        cells = [row[i][: widths[i]].ljust(widths[i]) for i in range(4)]
        lines.append("  ".join([*cells, row[4][:120]]).rstrip())
    lines.append("")
    lic = result["license"]
    if lic.get("license") or lic.get("license_url"):
        lines.append(
            f"licence: {printable(lic['license'] or lic['license_url'])} "
            f"({printable(lic['license_scope'])}, from {printable(lic['license_source'])})"
        )
    filled = {k: v for k, v in result.get("columns", {}).items() if v is not None}
    if filled:
        lines.append("columns: " + ", ".join(f"{k}={printable(str(v))}" for k, v in filled.items()))
    if result["decision"] == "allowed":
        lines.append("decision: ALLOWED (no signal refuses this row)")
    else:
        lines.append("decision: EXCLUDED: " + ", ".join(printable(r) for r in result["reasons"]))
    return "\n".join(lines)


class Command(ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return "URL [--page PAGE_URL] [--policy NAME] [--json]"

    def short_desc(self) -> str:
        return "Explain the consent decision for one image URL (0 allowed, 1 excluded, 2 error)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--page", help="the page the image appears on (its caption source)")
        parser.add_argument("--policy", choices=sorted(PRESETS), help="consent policy preset")
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        if opts.policy:
            self.settings.set("CONSENT_POLICY", opts.policy, priority="cmdline")
        if (self.settings.getpriority("LOG_LEVEL") or 0) < SETTINGS_PRIORITIES["cmdline"]:
            self.settings.set("LOG_LEVEL", "ERROR", priority="cmdline")
        # Nothing is written: the one item is taken from the item_scraped signal (run()).
        self.settings.set("WRITER_PIPELINE", None, priority="cmdline")
        # The explanation is about consent: a missing caption is not what is being asked.
        self.settings.set("CAPTION_REQUIRED", False, priority="cmdline")
        # Likewise quality (issue 11): quality:* reasons are not consent.
        self.settings.set("QUALITY", "off", priority="cmdline")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one image URL")
        url = args[0]
        for value, what in ((url, "URL"), (opts.page, "--page")):
            if value and (problem := check_url(value)):
                print(f"consentcrawl: error: {what} {value!r} {problem}", file=sys.stderr)
                self.exitcode = 2
                return
        assert self.settings is not None and self.crawler_process is not None
        try:
            policy = Policy.from_settings(self.settings.get)
            check_effective_settings(self.settings)  # e.g. DENYLIST_FILES, read here
        except (PolicyError, ConfigError) as exc:
            print(f"consentcrawl: error: {exc}", file=sys.stderr)
            self.exitcode = 2
            return
        crawler = self.crawler_process.create_crawler(ConsentSpider)
        items = collect_items(crawler)
        self.crawler_process.crawl(crawler, url=url, page=opts.page)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed or not items:
            print("consentcrawl: error: the check did not complete", file=sys.stderr)
            self.exitcode = 2
            return
        result = explain(items[0], policy)
        print(json.dumps(result, indent=2) if opts.json else render_table(result))
        self.exitcode = 0 if result["decision"] == "allowed" else 1
