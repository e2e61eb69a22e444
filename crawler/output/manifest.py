"""The crawl manifest: what ran, with what, on what, and what came out (pure)."""

from __future__ import annotations

import json
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from crawler import __version__
from crawler.output.shards import PartFile

PACKAGES = ("scrapy", "protego", "tldextract", "pyarrow", "lxml", "twisted", "http-sf")


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "consentcrawl": __version__}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


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
