"""Render ``report.html`` in headless Chromium: a PNG screenshot and the DOM the browser built.

    python -m crawler.report.screenshot INDEX_DIR [PNG]     # default PNG: docs/report.png

Used by the README's screenshot (``make docs-screenshot`` after ``make demo``) and by the
browser test, which checks that the page renders with no console error and that the numbers
the browser shows are the manifest's.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BrowserRender", "find_chromium", "render"]

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@dataclass(slots=True)
class BrowserRender:
    png: Path
    dom: str
    console_errors: list[str]


def find_chromium() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _flags(profile: str) -> list[str]:
    return [
        "--headless",
        "--no-sandbox",  # running as root in a container
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-domain-reliability",
        "--no-pings",
        # The report is one self-contained file: any request the browser would still make goes
        # to a closed local port, never to the internet.
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        "--dns-prefetch-disable",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={profile}",
    ]


def render(
    html: Path, png: Path, chromium: str | None = None, size: tuple[int, int] = (1100, 2600)
) -> BrowserRender:
    """Screenshot ``html`` into ``png`` and return the DOM and any console errors."""
    browser = chromium or find_chromium()
    if not browser:
        raise FileNotFoundError("no Chromium found (apt-get install chromium)")
    url = Path(html).resolve().as_uri()
    png = Path(png)
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        shot = subprocess.run(
            [
                browser,
                *_flags(profile),
                f"--window-size={size[0]},{size[1]}",
                f"--screenshot={png.resolve()}",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        dom = subprocess.run(
            [browser, *_flags(profile), "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=120,
        )
    errors = [
        line
        for line in (shot.stderr + dom.stderr).splitlines()
        if "CONSOLE" in line or "Uncaught" in line
    ]
    if not png.is_file():
        raise RuntimeError(f"Chromium wrote no screenshot:\n{shot.stderr[-2000:]}")
    return BrowserRender(png, dom.stdout, errors)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print(__doc__)
        return 2
    index_dir = Path(args[0])
    png = Path(args[1]) if len(args) > 1 else Path("docs/report.png")
    result = render(index_dir / "report.html", png)
    for line in result.console_errors:
        print(line, file=sys.stderr)
    print(f"wrote {png}")
    return 1 if result.console_errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
