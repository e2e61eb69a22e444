"""``make demo``, capture part: what the crawl archived, and its offline replay, verified."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def capture_summary(manifest: dict) -> str:
    files = manifest.get("warc") or []
    size = sum(f["bytes"] for f in files)
    records = sum(f["records"] for f in files)
    return (
        f"WARC capture: {len(files)} file(s), {records} records, {size / 1024:.0f} KiB "
        f"(index {manifest.get('warc_index')})"
    )


def replay_and_verify(index_dir: Path) -> bool:
    """``scrapy replay INDEX_DIR -o INDEX_DIR-replay --verify`` with no proxy and no web."""
    out = index_dir.parent / f"{index_dir.name}-replay"
    manifest = json.loads((index_dir / "manifest.json").read_text())
    print(capture_summary(manifest))
    cmd = [sys.executable, "-m", "scrapy", "replay", str(index_dir), "-o", str(out)]
    cmd += ["-s", "INDEX_OVERWRITE=true", "--verify"]
    print("$ scrapy replay", index_dir.name, "-o", out.name, "--verify")
    result = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    lines = [line for line in result.stderr.splitlines() if line.startswith(("replay", "consent"))]
    for line in [*lines, *result.stdout.splitlines()]:
        print(f"  {line}")
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-4000:])
        print(f"replay --verify failed (exit {result.returncode})", file=sys.stderr)
        return False
    return True
