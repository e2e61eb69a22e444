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
from crawler.report.summary import render_summary
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
    """The crawl's summary, as `scrapy summary INDEX_DIR` prints it."""
    return render_summary(manifest)


NEXT_STEPS = """next, try:
  .venv/bin/scrapy summary {out}          # this summary again
  .venv/bin/scrapy report {out}           # rebuild README.md (dataset card) and report.html
  xdg-open {out}/report.html              # the report, charts included (no network needed)
  .venv/bin/python -c "import datasets; print(datasets.load_dataset('{out}', split='train'))"
  .venv/bin/python -m crawler.demo --serve   # serve the demo web again, then in another
      # terminal, with the http_proxy it prints, ask why a row was excluded:
      # http_proxy=... .venv/bin/scrapy consent http://ai-optout.demo.test/art/painting-1.png \\
      #     --page http://ai-optout.demo.test/art/gallery.html
(or `source .venv/bin/activate` once, then plain `scrapy ...`)"""


def serve(seconds: float = 3600) -> int:
    """Serve the demo web so that ``scrapy consent`` can be tried on its URLs."""
    with SimWeb(demo_sites(), max_seconds=seconds, max_requests=1_000_000) as web:
        print(f"demo web on {web.proxy_url}; in another terminal:")
        print(f"  export http_proxy={web.proxy_url}")
        print(
            "  .venv/bin/scrapy consent http://ai-optout.demo.test/art/painting-1.png "
            "--page http://ai-optout.demo.test/art/gallery.html"
        )
        print("Ctrl-C stops it.", flush=True)
        try:
            time.sleep(seconds)
        except KeyboardInterrupt:
            pass
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/demo", help="index directory (default out/demo)")
    parser.add_argument(
        "--serve",
        action="store_true",
        help="only serve the demo web (until Ctrl-C or an hour) and print its http_proxy",
    )
    args = parser.parse_args(argv)
    if args.serve:
        return serve()
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
    print(
        NEXT_STEPS.format(
            out=out.relative_to(PROJECT_ROOT) if out.is_relative_to(PROJECT_ROOT) else out
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
