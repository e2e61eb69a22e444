"""The crawl manifest: what ran, with what, on what, and what came out (pure)."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from crawler import __version__
from crawler.output.shards import PartFile
from crawler.scope import psl_snapshot_id

PACKAGES = ("scrapy", "protego", "tldextract", "pyarrow", "lxml", "twisted", "http-sf")


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "consentcrawl": __version__}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def manifest_head(job: str, started_at: datetime, reason: str, spider: str) -> dict[str, Any]:
    """The fields every manifest starts with: what ran, with which versions, when, and why it
    stopped."""
    versions = package_versions()
    return {
        "tool": "consentcrawl",
        "job": job,
        "consentcrawl_version": versions["consentcrawl"],
        "versions": versions,
        "psl_snapshot": psl_snapshot_id(),
        "started_at": started_at.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "finish_reason": reason,
        "spider": spider,
    }


def documents_fetched(stats: dict[str, Any]) -> dict[str, int]:
    """Consent documents fetched per kind, from the crawl's stats."""
    prefix = "consent/documents_fetched/"
    return {k.removeprefix(prefix): v for k, v in stats.items() if k.startswith(prefix)}


def parts_record(parts: list[PartFile], root: Path) -> list[dict[str, Any]]:
    return [
        {"path": str(p.path.relative_to(root)), "rows": p.rows, "sha256": p.sha256} for p in parts
    ]


def jsonable(value: Any) -> Any:
    """Settings values as JSON: dict-like and list-like objects flattened, the rest as text."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "items"):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return str(value)


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Write atomically: a reader never sees half a manifest."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n")
    os.replace(tmp, path)


class ManifestReserve:
    """Disk space held back for the manifest: on a full disk, the part files take every byte,
    and the manifest that says so could not be written. Released just before writing it."""

    NAME = ".manifest-reserve"

    def __init__(self, root: Path, size: int = 128 * 1024) -> None:
        self.path = Path(root) / self.NAME
        try:
            with self.path.open("wb") as fh:
                fh.write(b"\0" * size)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError:
            self.path.unlink(missing_ok=True)

    def release(self) -> None:
        self.path.unlink(missing_ok=True)
