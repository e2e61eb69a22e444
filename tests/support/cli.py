"""``scrapy`` sub-commands run in a subprocess against a simulated web (test helpers)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def scrapy(
    web: Any, command: str, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``scrapy COMMAND ARGS`` from the project root, through ``web`` (a SimWeb: its proxy
    environment); ``timeout`` is a hang guard."""
    return subprocess.run(
        [sys.executable, "-m", "scrapy", command, *args],
        cwd=PROJECT_ROOT,
        env=web.env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def consent(web: Any, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``scrapy consent ARGS`` with a 5 s download timeout (every simulated host answers)."""
    return scrapy(web, "consent", *args, "-s", "DOWNLOAD_TIMEOUT=5", timeout=timeout)
