"""``make demo``, part two: regenerate a small LAION-style index against the demo web.

The input is generated: 200 rows pointing at the demo web's images (some on hosts or paths that
refuse, one host that is down) plus one malformed URL, in LAION's column names (``SAMPLE_ID``,
``URL``, ``TEXT``, ``similarity``). The run is the real command, in a child process, through the
same ``http_proxy`` as the demo crawl.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from crawler.simweb.control import SimWeb
from crawler.simweb.demo import EXPECTED

__all__ = ["demo_rows", "run_regeneration", "summary"]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ROWS = 200


def demo_rows(rows: int = ROWS) -> pa.Table:
    """``rows`` rows over the demo web's images; row 17 has the malformed URL ``UNLIKELY``."""
    images: list[tuple[str, str]] = []
    for expected in EXPECTED.values():
        images += [(url, alt or "an image") for url, alt in expected.get("kept", {}).items()]
        images += [(url, "an image") for url in expected.get("excluded", {})]
    images.sort()
    data: dict[str, list[Any]] = {"SAMPLE_ID": [], "URL": [], "TEXT": [], "similarity": []}
    for i in range(rows):
        url, alt = images[i % len(images)]
        if i == 17:
            url, alt = "UNLIKELY", "0.32893747091293335"  # LAION's column-shift row
        data["SAMPLE_ID"].append(1_000_000 + i)
        data["URL"].append(url)
        data["TEXT"].append(alt)
        data["similarity"].append(round(0.28 + (i % 10) / 100, 2))
    schema = pa.schema(
        [
            ("SAMPLE_ID", pa.int64()),
            ("URL", pa.string()),
            ("TEXT", pa.string()),
            ("similarity", pa.float64()),
        ]
    )
    return pa.Table.from_pydict(data, schema=schema)


def run_regeneration(web: SimWeb, out_dir: Path, probe: str = "head") -> dict[str, Any]:
    """Write the demo input next to ``out_dir``, regenerate it, return the manifest."""
    out_dir = Path(out_dir).resolve()
    source = out_dir.parent / f"{out_dir.name}-input.parquet"
    source.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(demo_rows(), source)
    cmd = [
        sys.executable,
        "-m",
        "scrapy",
        "regenerate",
        str(source),
        "-o",
        str(out_dir),
        "--probe",
        probe,
        "-s",
        "INDEX_OVERWRITE=true",
        "-s",
        "CONSENTCRAWL_CONTACT_URL=http://consentcrawl.demo.test/contact",
        "-s",
        "LOG_LEVEL=WARNING",
        "-s",
        "REGEN_PROGRESS=false",
        "-s",
        "REGEN_BATCH_ROWS=64",
    ]
    result = subprocess.run(
        cmd, cwd=PROJECT_ROOT, env=web.env(), capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"scrapy regenerate failed (exit {result.returncode}):\n{result.stderr[-4000:]}"
        )
    return json.loads((out_dir / "manifest.json").read_text())


def summary(manifest: dict[str, Any]) -> str:
    """The regeneration's summary, as `scrapy summary OUTDIR` prints it."""
    from crawler.report.summary import render_summary

    return render_summary(manifest)


if __name__ == "__main__":
    from crawler.simweb.demo import demo_sites

    target = PROJECT_ROOT / "out" / "demo-regen"
    with SimWeb(demo_sites(), max_seconds=240) as simweb:
        print(summary(run_regeneration(simweb, target)))
    print(f"see {target}/manifest.json")
