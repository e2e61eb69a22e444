"""``scrapy`` sub-commands (and Python snippets) run in a subprocess (test helpers)."""

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


def python_json(code: str, *args: str, timeout: float = 120) -> Any:
    """Run ``code`` in a fresh interpreter from the project root (a reactor or an import
    state of its own) and return the JSON of its last stdout line; its stderr on failure."""
    import json
    import os

    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])
