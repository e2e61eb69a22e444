"""The index directory: what a crawl writes, and the rule against writing over old results."""

from __future__ import annotations

import shutil
from pathlib import Path

from crawler.config import ConfigError

OUTPUT_SUBDIRS = ("index", "excluded", "consent")
MANIFEST = "manifest.json"


def check_index_dir(value: str, overwrite: bool) -> Path:
    """Validate INDEX_DIR before the crawl starts; raise ConfigError with the fix in the text."""
    if not value:
        raise ConfigError("INDEX_DIR is not set: pass -s INDEX_DIR=DIR (where the index goes)")
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"INDEX_DIR {value!r} exists and is not a directory")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise ConfigError(
            f"INDEX_DIR {value!r} is not empty; choose another directory or pass "
            "-s INDEX_OVERWRITE=true to replace its index, excluded, consent and manifest"
        )
    return path


def clear_outputs(path: Path) -> None:
    """Remove a previous crawl's outputs (only ours: other files in the folder are kept)."""
    for sub in OUTPUT_SUBDIRS:
        shutil.rmtree(path / sub, ignore_errors=True)
    (path / MANIFEST).unlink(missing_ok=True)
