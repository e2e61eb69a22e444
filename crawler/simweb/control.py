"""A handle on a simulated-web server subprocess, for tests, the demo and the benchmark.

The server runs in its own process (not a thread of the test or crawl) so a stuck crawl can
never wedge it, its CPU never competes with Scrapy's reactor, and it always dies on its own
(``max_seconds`` / ``max_requests``) even if the caller forgets ``stop()``.

Typical use::

    with SimWeb(demo_sites(), max_seconds=120) as web:
        subprocess.run(["scrapy", "crawl", ...], env=web.env(), check=True)
    assert not web.requested("gallery.demo.test", "/private/drafts.html")
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["SimWeb", "SimWebError"]

# The project root, so the server (and a factory module such as ``bench.web``) imports even when
# the package is not installed.
_PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Both schemes go to the simulated web: https through CONNECT, answered by the server itself
# (TLS with a certificate from its start-up CA), so no request can leak to the real internet.
_PROXY_VARS = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY")
_UNSET_VARS = ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY")


class SimWebError(RuntimeError):
    """The simulated web could not be started (or was used before start())."""


class SimWeb:
    """Start, address, inspect and stop one simulated-web server process."""

    def __init__(
        self,
        sites: Mapping[str, Any] | None = None,
        *,
        workdir: Path | None = None,
        max_seconds: float = 300,
        max_requests: int = 1_000_000,
        factory: str | None = None,
        factory_args: Mapping[str, Any] | None = None,
        startup_timeout: float = 10.0,
    ) -> None:
        if sites is None and factory is None:
            raise ValueError("SimWeb needs sites (a dict) and/or factory ('module:builder')")
        self.sites = sites
        self.factory = factory
        self.factory_args = dict(factory_args or {})
        self.max_seconds = max_seconds
        self.max_requests = max_requests
        self.startup_timeout = startup_timeout
        self.workdir = Path(workdir) if workdir is not None else None
        self._proc: subprocess.Popen[bytes] | None = None
        self._port: int | None = None

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def log_path(self) -> Path:
        return self._dir() / "requests.jsonl"

    @property
    def ca_path(self) -> Path:
        """The PEM certificate of the server's start-up CA (for clients that verify https)."""
        return self._dir() / "ca.pem"

    @property
    def stderr_path(self) -> Path:
        return self._dir() / "server.stderr"

    def _dir(self) -> Path:
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="simweb-"))
        return self.workdir

    def start(self) -> SimWeb:
        """Spawn the server and wait until it listens; raises SimWebError with its stderr."""
        if self._proc is not None:
            raise SimWebError("SimWeb already started")
        workdir = self._dir()
        workdir.mkdir(parents=True, exist_ok=True)
        ready = workdir / "ready"
        ready.unlink(missing_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "crawler.simweb.server",
            "--port",
            "0",
            "--log",
            str(self.log_path),
            "--ready-file",
            str(ready),
            "--ca-cert",
            str(self.ca_path),
            "--max-seconds",
            str(self.max_seconds),
            "--max-requests",
            str(self.max_requests),
        ]
        if self.sites is not None:
            sites_path = workdir / "sites.json"
            sites_path.write_text(json.dumps(self.sites), encoding="utf-8")
            cmd += ["--sites", str(sites_path)]
        if self.factory is not None:
            cmd += ["--factory", self.factory, "--factory-args", json.dumps(self.factory_args)]
        env = {k: v for k, v in os.environ.items() if k not in _PROXY_VARS + _UNSET_VARS}
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p
        )
        with open(self.stderr_path, "wb") as err:
            self._proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err, env=env, cwd=workdir
            )
        atexit.register(self.stop)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if ready.exists():
                text = ready.read_text(encoding="utf-8").strip()
                if text.isdigit():
                    self._port = int(text)
                    return self
            if self._proc.poll() is not None:
                raise SimWebError(
                    f"simweb server exited with code {self._proc.returncode} before listening:"
                    f"\n{self._stderr_tail()}"
                )
            time.sleep(0.01)
        self.stop()
        raise SimWebError(
            f"simweb server not ready after {self.startup_timeout:.0f}s:\n{self._stderr_tail()}"
        )

    def stop(self) -> int | None:
        """SIGTERM the server (it flushes its log), wait, SIGKILL after 5 s; returns its code."""
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # it may just have exited
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        atexit.unregister(self.stop)
        return proc.returncode

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self._proc is None else self._proc.poll()

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the server to exit on its own (a bound was hit)."""
        if self._proc is None:
            raise SimWebError("SimWeb not started")
        return self._proc.wait(timeout=timeout)

    def __enter__(self) -> SimWeb:
        return self.start() if self._proc is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _stderr_tail(self, limit: int = 4000) -> str:
        try:
            return self.stderr_path.read_text(encoding="utf-8", errors="replace")[-limit:]
        except OSError:
            return "(no stderr)"

    # --- addressing -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise SimWebError("SimWeb not started")
        return self._port

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """os.environ with http_proxy and https_proxy pointing here: a crawl subprocess reaches
        only the simulated web, over both schemes."""
        env = {k: v for k, v in os.environ.items() if k not in _UNSET_VARS}
        for name in _PROXY_VARS:
            env[name] = self.proxy_url
        return env

    # --- the request log ------------------------------------------------------------------

    def requests(self) -> list[dict[str, Any]]:
        """Every logged request so far (complete once stop() returned)."""
        try:
            text = self.log_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        out = []
        for line in text.splitlines():
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    continue  # a line being written while we read
        return out

    def requested(
        self, host: str, path: str, *, prefix: bool = False, scheme: str | None = None
    ) -> bool:
        """Whether ``host`` saw a request for ``path`` (or, with prefix=True, anything under it),
        over ``scheme`` (``"http"`` or ``"https"``; None: either)."""
        host = host.lower()
        for entry in self.requests():
            if entry.get("host") != host:
                continue
            if scheme is not None and entry.get("scheme", "http") != scheme:
                continue
            got = entry.get("path", "")
            if got == path or (prefix and got.startswith(path)):
                return True
        return False
