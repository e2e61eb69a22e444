"""The crawl manifest: what ran, with what, on what, and what came out (pure)."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

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
        # Which network the decisions were made through (credentials never recorded).
        "proxy": proxy_record(os.environ),
    }


def documents_fetched(stats: Mapping[str, Any]) -> dict[str, int]:
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


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def typed_setting(value: Any, default: Any) -> Any:
    """A setting as its type, not as the ``-s NAME=VALUE`` string it arrived as.

    ``-s FOLLOW_LINKS=false`` is stored as ``false``, ``-s DOWNLOAD_TIMEOUT=5`` as ``5``: the
    type is the default's (``true``/``false`` where the default is unset, as for the family
    switches). A value that does not parse as that type is kept as given.
    """
    if not isinstance(value, str):
        return jsonable(value)
    text = value.strip()
    lowered = text.lower()
    try:
        if isinstance(default, bool):
            if lowered in _TRUE | _FALSE:
                return lowered in _TRUE
        elif default is None and lowered in ("true", "false"):
            # unset default (the family switches): only the words true/false, so that
            # IMAGE_PROBE=off stays the mode "off"
            return lowered == "true"
        elif isinstance(default, int):
            return int(text)
        elif isinstance(default, float):
            return float(text)
        elif isinstance(default, (list, tuple)):
            if text.startswith("["):
                return jsonable(json.loads(text))
            return [part.strip() for part in text.split(",") if part.strip()]
        elif isinstance(default, dict) and text.startswith("{"):
            return jsonable(json.loads(text))
    except ValueError:
        pass
    return value


PROXY_VARIABLES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "no_proxy", "NO_PROXY")


def proxy_record(environ: Mapping[str, str]) -> dict[str, str]:
    """The proxy variables in use, credentials removed (``user:pass@`` becomes ``***@``)."""
    out: dict[str, str] = {}
    for name in PROXY_VARIABLES:
        value = environ.get(name)
        if not value:
            continue
        key = name.lower()
        if key in out:
            continue
        try:
            parts = urlsplit(value)
            if parts.username or parts.password:
                host = parts.hostname or ""
                port = f":{parts.port}" if parts.port else ""
                value = urlunsplit(parts._replace(netloc=f"***@{host}{port}"))
        except ValueError:
            value = "(unparsable, not recorded)"
        out[key] = value
    return out


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
