"""Run N crawl workers as subprocesses (tests and ``make bench``).

Each worker is the ordinary command line plus ``-s REDIS_URL=... -s WORKER_ID=...``: nothing
here that a user would not type on K machines.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(slots=True)
class Workers:
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def kill(self, index: int) -> None:
        """SIGKILL: no clean-up at all, as when a machine dies."""
        os.kill(self.procs[index].pid, signal.SIGKILL)
        self.procs[index].wait(timeout=30)

    def wait(self, timeout: float) -> list[int]:
        deadline = time.monotonic() + timeout
        codes = []
        for proc in self.procs:
            try:
                codes.append(proc.wait(timeout=max(0.1, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(proc.wait(timeout=30))
        return codes

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)

    def log_tail(self, index: int, chars: int = 3000) -> str:
        return self.logs[index].read_text(errors="replace")[-chars:]


def start_workers(
    command: Sequence[str],
    redis_url: str,
    count: int,
    *,
    cwd: Path,
    env: Mapping[str, str],
    logdir: Path,
    extra: Sequence[str] = (),
    name: str = "worker",
    per_worker: Callable[[int], Sequence[str]] | None = None,
) -> Workers:
    """Start ``count`` copies of ``command``, worker ``i`` named ``{name}{i}``."""
    logdir.mkdir(parents=True, exist_ok=True)
    workers = Workers()
    for i in range(count):
        log = logdir / f"{name}{i}.log"
        own = list(per_worker(i)) if per_worker is not None else []
        cmd = [*command, "-s", f"REDIS_URL={redis_url}", "-s", f"WORKER_ID={name}{i}", *extra, *own]
        with log.open("wb") as fh:
            workers.procs.append(
                subprocess.Popen(cmd, cwd=cwd, env=dict(env), stdout=fh, stderr=subprocess.STDOUT)
            )
        workers.logs.append(log)
    return workers
