"""End-to-end tests: ``scrapy crawl images`` in a subprocess against the signal web.

Shared helpers live here so that each test module can keep its own module-scoped crawls.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from crawler.demo import run_crawl
from crawler.simweb.control import SimWeb
from tests.sites.signalweb import signal_web

# Keep every crawl to a few seconds: no retries, short timeouts.
FAST = {"DOWNLOAD_TIMEOUT": "5", "RETRY_TIMES": "0", "LOG_LEVEL": "WARNING"}
DOCUMENTS = {"/robots.txt": "robots", "/ai.txt": "aitxt", "/.well-known/tdmrep.json": "tdmrep"}


def _read(directory: Path) -> list[dict[str, Any]]:
    if not directory.exists() or not any(directory.glob("*.parquet")):
        return []
    return pq.read_table(directory).to_pylist()


@dataclass
class Crawl:
    """What one crawl left behind: its outputs and the simulated web's request log."""

    out: Path
    manifest: dict[str, Any]
    index: list[dict[str, Any]]
    excluded: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    requests: list[dict[str, Any]]
    stderr: str = field(repr=False, default="")

    @property
    def image_rows(self) -> list[dict[str, Any]]:
        return [r for r in self.excluded if r["kind"] == "image"]

    def reasons(self) -> dict[tuple[str, str], list[str]]:
        """(page URL, image URL) -> sorted reasons; [] for a kept row."""
        out: dict[tuple[str, str], list[str]] = {}
        for row in self.index:
            assert (row["page_url"], row["url"]) not in out, row["url"]
            out[(row["page_url"], row["url"])] = []
        for row in self.image_rows:
            key = (row["page_url"], row["url"])
            assert key not in out, f"{row['url']} is in index/ and excluded/ (or twice)"
            out[key] = sorted(row["reasons"])
        return out

    def rows(self, url: str) -> list[dict[str, Any]]:
        return [r for r in [*self.index, *self.image_rows] if r["url"] == url]

    def requests_to(self, url: str) -> list[dict[str, Any]]:
        """Requests for exactly this URL: same scheme, host and path (CONNECTs excluded)."""
        scheme, rest = url.split("://", 1)
        host, path = rest.split("/", 1)
        return [
            r
            for r in self.requests
            if r["host"] == host and r["path"] == "/" + path and r.get("scheme") == scheme
        ]

    def document_fetches(self) -> Counter[tuple[str, str]]:
        """(host, kind) -> how many times that consent document was requested."""
        return Counter(
            (r["host"], DOCUMENTS[r["path"]]) for r in self.requests if r["path"] in DOCUMENTS
        )


def crawl(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    seeds: list[str],
    settings: dict[str, str] | None = None,
    args: list[str] | tuple[str, ...] = (),
    sites: dict[str, Any] | None = None,
) -> Crawl:
    """Crawl the signal web (or ``sites``) once (its own SimWeb, stopped on return) and read the
    outputs.

    ``settings`` become ``-s NAME=VALUE``; ``args`` are passed as they are (e.g. ``-a config=``).
    """
    base = tmp_path_factory.mktemp(name)
    extra = [
        arg
        for key, value in {**FAST, **(settings or {})}.items()
        for arg in ("-s", f"{key}={value}")
    ]
    extra += args
    bounds: dict[str, Any] = {"workdir": base / "web", "max_seconds": 120, "max_requests": 5000}
    web = SimWeb(sites, **bounds) if sites is not None else signal_web(**bounds)
    with web:
        result = run_crawl(web, base / "out", seeds, extra)
    requests = web.requests()  # complete: the server flushed its log when it stopped
    assert result.returncode == 0, result.stderr[-4000:]
    out = base / "out"
    return Crawl(
        out=out,
        manifest=json.loads((out / "manifest.json").read_text()),
        index=_read(out / "index"),
        excluded=_read(out / "excluded"),
        documents=_read(out / "consent"),
        requests=requests,
        stderr=result.stderr,
    )


def families(row: dict[str, Any]) -> dict[str, set[str]]:
    """family -> the verdicts recorded for it in a row's ``consent`` column."""
    out: dict[str, set[str]] = defaultdict(set)
    for record in row["consent"]:
        out[record["family"]].add(record["verdict"])
    return dict(out)
