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


def regenerate(
    web: Any, source: Path, out: Path, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``scrapy regenerate SOURCE -o OUT ARGS`` with a 5 s download timeout (every simulated
    host answers); ARGS carry the probe, policy and settings of the test."""
    return scrapy(
        web,
        "regenerate",
        str(source),
        "-o",
        str(out),
        *args,
        "-s",
        "DOWNLOAD_TIMEOUT=5",
        timeout=timeout,
    )


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


# Nothing listens on the discard port: every request, http and https, fails at the proxy, and
# nothing is resolved or sent anywhere else (the "offline" runs of the tests).
DEAD_PROXY = "http://127.0.0.1:9"


def offline_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with every proxy variable removed and
    both schemes sent to ``DEAD_PROXY``: an https URL never goes straight to its host."""
    import os

    env = {k: v for k, v in (os.environ if base is None else base).items()}
    env = {k: v for k, v in env.items() if "proxy" not in k.lower()}
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        env[name] = DEAD_PROXY
    return env
