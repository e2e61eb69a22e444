"""``scrapy regenerate``: re-check an existing image index (LAION, img2dataset, cc2dataset).

    scrapy regenerate INPUT [INPUT ...] -o OUTDIR [--url-col NAME] [--caption-col NAME]
        [--page-col NAME] [--policy strict|standard|robots-only] [--probe head|range|off]
        [--fetch-pages] [--resume] [-s NAME=VALUE ...]

Everything that can be wrong with the run is found before any request: inputs that do not
exist or cannot be read, no url column (the message lists the columns found), a bad policy,
an OUTDIR that holds results (unless --resume or -s INDEX_OVERWRITE=true).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.utils.conf import arglist_to_dict

from crawler.commands.crawl import finished_exit_status
from crawler.config import ConfigError
from crawler.consent.policy import PRESETS, PROBE_MODES, Policy, PolicyError
from crawler.distributed.connection import check_redis, redis_trouble
from crawler.extensions.gctune import skip_exit_collection
from crawler.output.indexdir import check_index_dir
from crawler.regen.inputs import InputError
from crawler.regen.plan import RegenPlan, build_plan
from crawler.regen.state import RegenState, StateError
from crawler.runtime import check_cmdline_settings, check_effective_settings
from crawler.spiders.regenerate import REGEN_DEFAULTS


def preflight(settings, args: list[str], opts: argparse.Namespace) -> RegenPlan:
    """Raise InputError / ConfigError / PolicyError / StateError when the run cannot start."""
    check_cmdline_settings(
        arglist_to_dict(getattr(opts, "set", None) or []),
        {**REGEN_DEFAULTS, "REGEN_RESUME": False},
    )
    check_effective_settings(settings)
    Policy.from_settings(settings.get)
    outdir = Path(opts.output)
    shared = bool((settings.get("REDIS_URL") or "").strip())  # OUTDIR shared by the workers
    if shared:  # a typo or a server that is not up: one line, before any request
        check_redis(settings.get("REDIS_URL").strip())
    if opts.resume or shared:
        if outdir.exists() and not outdir.is_dir():
            raise ConfigError(f"OUTDIR {str(outdir)!r} exists and is not a directory")
    else:
        check_index_dir(str(outdir), settings.getbool("INDEX_OVERWRITE"))
    plan = build_plan(
        args,
        outdir,
        batch_rows=settings.getint("REGEN_BATCH_ROWS", REGEN_DEFAULTS["REGEN_BATCH_ROWS"]),
        url_col=opts.url_col,
        caption_col=opts.caption_col,
        page_col=opts.page_col,
        resume=opts.resume,
        fetch_pages=opts.fetch_pages,
    )
    if opts.fetch_pages and plan.columns.page is None:
        raise InputError(
            "--fetch-pages needs a page column (page_url, webpage_url or --page-col NAME); "
            "columns found: " + ", ".join(plan.inputs[0].columns)
        )
    if opts.resume and not shared:  # distributed: the state is in Redis
        RegenState.load(outdir, plan.fingerprint())  # raises if OUTDIR is another run's
    return plan


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_LEVEL": "INFO"}

    def syntax(self) -> str:
        return "INPUT [INPUT ...] -o OUTDIR [options]"

    def short_desc(self) -> str:
        return "Re-check an existing image index (Parquet/CSV/TSV/JSONL) against consent signals"

    def long_desc(self) -> str:
        return (
            "Read LAION / img2dataset / cc2dataset files in batches, check every row with the "
            "crawl's consent pipelines (robots.txt, ai.txt, TDMRep, image headers), and write "
            "OUTDIR/index (kept rows, all input columns + consent, license), OUTDIR/excluded "
            "(removed rows + reasons), OUTDIR/consent, OUTDIR/removed_keys.parquet and "
            "OUTDIR/manifest.json."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", metavar="OUTDIR", help="output folder (required)")
        parser.add_argument("--url-col", metavar="NAME", help="image URL column (detected)")
        parser.add_argument("--caption-col", metavar="NAME", help="caption column (detected)")
        parser.add_argument("--page-col", metavar="NAME", help="page URL column (detected)")
        parser.add_argument(
            "--policy", choices=sorted(PRESETS), help="consent policy preset (CONSENT_POLICY)"
        )
        parser.add_argument(
            "--probe", choices=PROBE_MODES, help="image probe: head, range or off (IMAGE_PROBE)"
        )
        parser.add_argument(
            "--fetch-pages",
            action="store_true",
            help="also fetch each row's page for its headers and meta tags",
        )
        parser.add_argument("--resume", action="store_true", help="continue a killed run in OUTDIR")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        if opts.policy:
            self.settings.set("CONSENT_POLICY", opts.policy, priority="cmdline")
        if opts.probe:
            self.settings.set("IMAGE_PROBE", opts.probe, priority="cmdline")
        if opts.output:
            self.settings.set("INDEX_DIR", opts.output, priority="cmdline")
        self.settings.set("REGEN_RESUME", bool(opts.resume), priority="cmdline")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if not args:
            raise UsageError("give at least one INPUT (file or folder)")
        if not opts.output:
            raise UsageError("give the output folder: -o OUTDIR")
        try:
            plan = preflight(self.settings, args, opts)
        except (InputError, ConfigError, PolicyError, StateError) as exc:
            print(f"consentcrawl: error: {exc}", file=sys.stderr)
            self.exitcode = 2
            return
        assert self.crawler_process is not None
        crawler = self.crawler_process.create_crawler("regenerate")
        self.crawler_process.crawl(crawler, plan=plan)
        self.crawler_process.start()
        skip_exit_collection()  # the crawl is over and its outputs closed
        complete = bool(crawler.stats and crawler.stats.get_value("regenerate/complete"))
        write_error = crawler.stats.get_value("regenerate/write_error") if crawler.stats else None
        if write_error:
            print(f"consentcrawl: error: {write_error}; --resume redoes the rest", file=sys.stderr)
        input_error = crawler.stats.get_value("regenerate/input_error") if crawler.stats else None
        if input_error:
            print(f"consentcrawl: error: {input_error}", file=sys.stderr)
        redis_url = (crawler.settings.get("REDIS_URL") or "").strip()
        stats = crawler.stats.get_stats() if crawler.stats else {}
        trouble = redis_trouble(stats, redis_url) if redis_url else None
        if trouble:
            print(f"consentcrawl: error: {trouble}", file=sys.stderr)
        if self.crawler_process.bootstrap_failed or not complete or trouble:
            self.exitcode = 1
        else:  # 3: every origin was unreachable, the outputs say nothing about consent
            self.exitcode = finished_exit_status(str(plan.outdir)) or 0
