"""``scrapy replay``: re-run an archived crawl (or regeneration) from its WARCs, with no network.

    scrapy replay INDEX_DIR -o OUTDIR [--policy NAME] [-s NAME=VALUE ...] [--verify]

The run's recorded settings and seeds (or inputs) come from INDEX_DIR/manifest.json; every
request is answered from INDEX_DIR/warc/ by the replay download handler, and time is the
archive's. Before anything is written, each WARC file is checked against the manifest's sha256
(exit 2, naming the file, on a mismatch). ``--verify`` then compares OUTDIR with INDEX_DIR and
exits 0 only when the rows are identical. ``--policy`` or ``-s`` re-decide the archived run under
other settings; a change that needs requests the original never made says so up front, and the
rows that needed them are excluded as ``replay:not-archived``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES

from crawler.clock import ArchiveClock, install_clock
from crawler.config import ConfigError
from crawler.consent.policy import PRESETS, Policy, PolicyError
from crawler.extensions.gctune import skip_exit_collection
from crawler.output.indexdir import MANIFEST, check_index_dir
from crawler.regen.inputs import InputError
from crawler.runtime import known_settings

# Recorded settings above the spider's own, below -s on this command line.
RECORDED_PRIORITY = (SETTINGS_PRIORITIES["spider"] + SETTINGS_PRIORITIES["cmdline"]) // 2
# Recorded settings that describe the original run's plumbing, not its decisions.
NOT_REPLAYED = {
    "INDEX_DIR",
    "INDEX_OVERWRITE",
    "WARC_ENABLED",
    "WARC_MAX_BYTES",
    "WACZ",
    "REPLAY_ARCHIVE",
    "CONSENTCRAWL_CONFIG",
    "LOG_LEVEL",
    "LOG_FILE",
    "REGEN_RESUME",
    "REGEN_PROGRESS",
    "DOWNLOADER_MIDDLEWARES",
    "DOWNLOAD_HANDLERS",
    "ITEM_PIPELINES",
    "WRITER_PIPELINE",
    "EXTENSIONS",
    "ADDONS",
    "SPIDER_MODULES",
    "NEWSPIDER_MODULE",
    "COMMANDS_MODULE",
    "BOT_NAME",
    "TWISTED_REACTOR",
}
# Which consent families fetch a document of their own (the others read what pages carry).
FAMILY_DOCUMENTS = {"aitxt": "ai.txt", "tdmrep": "tdmrep.json"}


class ReplayError(ValueError):
    """The replay cannot start; the message says why."""


def recorded_settings(manifest: dict[str, Any]) -> dict[str, Any]:
    known = known_settings()
    out = {}
    for name, value in (manifest.get("settings") or {}).items():
        if name in NOT_REPLAYED:
            continue
        if name in known or name.startswith("REGEN_"):
            out[name] = value
    return out


def needs_new_requests(recorded: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What the re-decided run would fetch that the original never did (pure)."""
    needs = []
    before, after = recorded.get("image_probe"), now.get("image_probe")
    if after != "off" and after != before:
        needs.append(f"image probes in {after!r} mode (the archive holds {before!r})")
    for family, document in FAMILY_DOCUMENTS.items():
        if family in now.get("families", []) and family not in recorded.get("families", []):
            needs.append(f"{document} files (family {family!r} was off)")
    # The original probed only the images still kept when the probe ran: an image that a check
    # now switched off had excluded before it was never probed.
    dropped = sorted(set(recorded.get("families", [])) - set(now.get("families", [])))
    relaxed = recorded.get("noindex_excludes") and not now.get("noindex_excludes")
    if after != "off" and after == before and (dropped or relaxed):
        what = ", ".join([*dropped, *(["noindex"] if relaxed else [])])
        needs.append(
            f"probes of images the original excluded before probing them ({what} no longer "
            "excludes): such rows, if any"
        )
    return needs


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "INDEX_DIR -o OUTDIR [--policy NAME] [-s NAME=VALUE ...] [--verify]"

    def short_desc(self) -> str:
        return "Replay an archived crawl from its WARCs (no network); optionally verify it"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", metavar="OUTDIR", help="output folder (required)")
        parser.add_argument(
            "--policy", choices=sorted(PRESETS), help="re-decide under this consent policy"
        )
        parser.add_argument(
            "--verify",
            action="store_true",
            help="compare OUTDIR with INDEX_DIR; exit 0 only when the rows are identical",
        )
        parser.add_argument(
            "--inputs",
            nargs="+",
            metavar="INPUT",
            help="regeneration inputs, when they are not at their recorded paths",
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        if opts.policy:
            self.settings.set("CONSENT_POLICY", opts.policy, priority="cmdline")
        # Quiet unless asked (-s LOG_LEVEL=INFO): the project's INFO would bury the summary.
        if (self.settings.getpriority("LOG_LEVEL") or 0) < SETTINGS_PRIORITIES["cmdline"]:
            self.settings.set("LOG_LEVEL", "WARNING", priority=RECORDED_PRIORITY)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one INDEX_DIR (the archived run)")
        if not opts.output:
            raise UsageError("give the output folder: -o OUTDIR")
        # The WARC modules (warcio) load when a replay runs, not with every scrapy command.
        from crawler.warc.archive import ArchiveError

        try:
            self._replay(Path(args[0]), Path(opts.output), opts)
        except (ReplayError, ArchiveError, ConfigError, PolicyError, InputError) as exc:
            print(f"consentcrawl: error: {exc}", file=sys.stderr)
            self.exitcode = 2

    def _replay(self, source: Path, outdir: Path, opts: argparse.Namespace) -> None:
        from crawler.warc.archive import ArchiveIndex, check_archive
        from crawler.warc.replay import attach_archive, replay_settings
        from crawler.warc.verify import compare_outputs

        settings = self.settings
        assert settings is not None and self.crawler_process is not None
        manifest_path = source / MANIFEST
        try:
            manifest = json.loads(manifest_path.read_text())
        except (OSError, ValueError) as exc:
            raise ReplayError(f"cannot read {manifest_path}: {exc}") from None
        # Integrity first: nothing is written when a WARC is not what the manifest says.
        paths = check_archive(source, manifest)
        if outdir.resolve() == source.resolve():
            raise ReplayError("OUTDIR must not be INDEX_DIR (the replay would overwrite it)")
        check_index_dir(str(outdir), settings.getbool("INDEX_OVERWRITE"))
        job = manifest.get("job")
        plan = self._regen_plan(manifest, outdir, opts) if job == "regenerate" else None
        if job not in ("crawl", "regenerate"):
            raise ReplayError(f"{manifest_path}: cannot replay a {job!r} run")

        for name, value in recorded_settings(manifest).items():
            settings.set(name, value, priority=RECORDED_PRIORITY)
        for name, value in replay_settings(str(source)).items():
            settings.set(name, value, priority=SETTINGS_PRIORITIES["cmdline"] + 5)
        settings.set("INDEX_DIR", str(outdir), priority=SETTINGS_PRIORITIES["cmdline"] + 5)
        policy = Policy.from_settings(settings.get).describe()
        needs = needs_new_requests(manifest.get("policy") or {}, policy)
        if needs:
            print(
                "consentcrawl replay: this re-decision needs requests the archive does not hold: "
                + "; ".join(needs)
                + ". They are not made: the rows that need them are excluded as "
                "replay:not-archived.",
                file=sys.stderr,
            )
        index = ArchiveIndex.load(paths)
        print(
            f"replaying {index.exchanges} archived exchanges from {len(paths)} WARC file(s) "
            f"({job}, policy {policy['name']}) -> {outdir}",
            file=sys.stderr,
        )
        spider = "images" if job == "crawl" else "regenerate"
        crawler = self.crawler_process.create_crawler(spider)
        start = index.first_date
        if start is None:
            raise ReplayError(f"{source}: the WARC files hold no exchanges")
        install_clock(crawler, ArchiveClock(start))
        attach_archive(crawler, index)
        if job == "crawl":
            urls = (manifest.get("seeds") or {}).get("urls") or []
            if not urls:
                raise ReplayError(f"{manifest_path}: no seeds recorded")
            self.crawler_process.crawl(crawler, seeds=",".join(urls))
        else:
            self.crawler_process.crawl(crawler, plan=plan)
        self.crawler_process.start()
        skip_exit_collection()  # the crawl is over and its outputs closed
        stats = crawler.stats.get_stats() if crawler.stats else {}
        missing = stats.get("replay/not_archived", 0)
        print(
            f"replayed: {stats.get('replay/responses', 0)} responses, "
            f"{stats.get('replay/failures', 0)} recorded failures "
            f"({stats.get('replay/answered_again', 0)} answered again: asked more often than "
            "in the original run), "
            f"{missing} requests not in the archive (excluded as replay:not-archived)",
            file=sys.stderr,
        )
        if self.crawler_process.bootstrap_failed or not (outdir / MANIFEST).exists():
            self.exitcode = 1
            return
        if opts.verify:
            comparison = compare_outputs(source, outdir)
            print(comparison.report())
            self.exitcode = 0 if comparison.identical else 1

    def _regen_plan(self, manifest: dict[str, Any], outdir: Path, opts: argparse.Namespace) -> Any:
        from crawler.regen.plan import build_plan
        from crawler.warc.records import file_sha256

        recorded = manifest.get("inputs") or []
        inputs = [Path(p) for p in (opts.inputs or [r["path"] for r in recorded])]
        if len(inputs) != len(recorded):
            raise ReplayError(f"the run had {len(recorded)} input(s), --inputs gives {len(inputs)}")
        for record, path in zip(recorded, inputs, strict=True):
            if not path.is_file():
                raise ReplayError(
                    f"regeneration input {str(path)!r} is not here: pass --inputs PATH ..."
                )
            if record.get("sha256") and file_sha256(path) != record["sha256"]:
                raise ReplayError(f"{path}: input does not match the manifest's sha256")
        columns = manifest.get("columns") or {}
        return build_plan(
            [str(p) for p in inputs],
            outdir,
            batch_rows=int(manifest.get("batch_rows") or 10_000),
            url_col=columns.get("url"),
            caption_col=columns.get("caption"),
            page_col=columns.get("page"),
            resume=False,
            fetch_pages=bool(manifest.get("fetch_pages")),
        )
