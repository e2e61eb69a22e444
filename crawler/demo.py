"""``make demo``: crawl the bundled demo web on 127.0.0.1 and summarise what came out.

The demo web (crawler.simweb.demo) plays a dozen hosts, each showing one robots.txt case. The
crawler reaches it through ``http_proxy`` exactly as it would reach the real web through a proxy:
no demo-only code path in the crawler.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from crawler.regen.demo import run_regeneration
from crawler.regen.demo import summary as regen_summary
from crawler.simweb.control import SimWeb
from crawler.simweb.demo import DEMO_SEEDS, demo_sites
from crawler.warc.demo import replay_and_verify

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEMO_CONTACT = "http://consentcrawl.demo.test/contact"


def crawl_command(
    index_dir: Path, seeds: Sequence[str] | str, extra: Sequence[str] = ()
) -> list[str]:
    """The ``scrapy crawl images`` command line (also used by ``make bench``)."""
    seeds_arg = seeds if isinstance(seeds, str) else ",".join(seeds)
    return [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "images",
        "-a",
        f"seeds={seeds_arg}",
        "-s",
        f"INDEX_DIR={index_dir}",
        "-s",
        "INDEX_OVERWRITE=true",
        "-s",
        f"CONSENTCRAWL_CONTACT_URL={DEMO_CONTACT}",
        *extra,
    ]


def run_crawl(
    web: SimWeb, index_dir: Path, seeds: Sequence[str], extra: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """Run ``scrapy crawl images`` in a child process against the simulated web."""
    cmd = crawl_command(index_dir, seeds, ["-s", "LOG_LEVEL=WARNING", *extra])
    return subprocess.run(
        cmd, cwd=PROJECT_ROOT, env=web.env(), capture_output=True, text=True, timeout=300
    )


def summary(manifest: dict) -> str:
    counts = manifest["counts"]
    lines = [
        f"pages fetched        {counts['pages_fetched']}",
        f"pages excluded       {counts['pages_excluded']}",
        f"image candidates     {counts['candidates']}",
        f"kept (index/)        {counts['kept']}",
        f"excluded (excluded/) {counts['excluded']}",
        "excluded by reason family (image rows and pages; a row may have several):",
    ]
    for family, n in counts["excluded_by_family"].items():
        lines.append(f"  {family:<20} {n}")
    lines.append("reasons:")
    for reason, n in counts["excluded_by_reason"].items():
        lines.append(f"  {reason:<40} {n}")
    licences = counts.get("rows_by_license", {})
    if licences:
        lines.append(
            "kept rows by licence: " + ", ".join(f"{k} {v}" for k, v in sorted(licences.items()))
        )
    docs = counts.get("consent_documents_fetched", {})
    lines.append(
        "consent documents fetched: "
        + ", ".join(f"{k} {v}" for k, v in sorted(docs.items()))
        + f"; image probes: {counts.get('consent_probes', 0)}"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/demo", help="index directory (default out/demo)")
    args = parser.parse_args(argv)
    out = (PROJECT_ROOT / args.out).resolve()
    started = time.monotonic()
    with SimWeb(demo_sites(), max_seconds=240, max_requests=20_000) as web:
        print(f"demo web: {len(demo_sites()['hosts'])} hosts on {web.proxy_url}")
        result = run_crawl(web, out, DEMO_SEEDS, ["-s", "WARC_ENABLED=true"])
        requests = len(web.requests())
        if result.returncode != 0:
            sys.stderr.write(result.stderr[-4000:])
            print(f"demo crawl failed (exit {result.returncode})", file=sys.stderr)
            return 1
        manifest = json.loads((out / "manifest.json").read_text())
        print(f"\n== crawl of {len(DEMO_SEEDS)} seeds -> {out} ({requests} requests served)")
        print(summary(manifest))
        regen_out = out.parent / f"{out.name}-regen"
        print(f"\n== regeneration of a LAION-style parquet -> {regen_out}")
        try:
            print(regen_summary(run_regeneration(web, regen_out)))
        except Exception as exc:  # the crawl's results stand even if this part fails
            print(f"demo regeneration failed: {exc}", file=sys.stderr)
            return 1
    print("\n== offline replay of the crawl from its WARCs (demo web stopped)")
    if not replay_and_verify(out):
        return 1
    print(f"\ndone in {time.monotonic() - started:.1f}s; see {out}/manifest.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
