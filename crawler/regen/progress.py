"""The live progress line of ``scrapy regenerate``.

``rows 120,000/10,000,000 (1.2%) 2,350 rows/s ETA 1h10m kept 91.4% | robots:ai-token=GPTBot 4%``
At most one line a second, on stderr: rewritten in place (``\\r``) on a terminal, one plain
line per update otherwise (CI logs, ``| tee``).
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress", "format_duration"]


def format_duration(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):  # NaN / inf
        return "?"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    """Counts rows as they are decided and prints the line when at least ``interval`` passed."""

    def __init__(
        self,
        total: int | None,
        stream: TextIO | None = None,
        interval: float = 1.0,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.enabled = enabled
        self.clock = clock
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = clock()
        self.last = self.started
        self.done = 0  # rows decided in this run
        self.skipped = 0  # rows already written by an earlier run (--resume)
        self.kept = 0
        self.reasons: Counter[str] = Counter()
        self._printed = False
        self._last_line = ""

    def skip(self, rows: int) -> None:
        self.skipped += rows

    def add(self, kept: int, excluded_reasons: list[list[str]]) -> None:
        """``kept`` rows kept and one reasons list per excluded row."""
        self.kept += kept
        self.done += kept + len(excluded_reasons)
        # Rows with the same reasons counted at once (a batch has few distinct lists).
        for reasons, rows in Counter(map(tuple, excluded_reasons)).items():
            for reason in reasons:
                self.reasons[reason] += rows
        self.tick()

    def tick(self, force: bool = False) -> None:
        now = self.clock()
        if not self.enabled or (not force and now - self.last < self.interval):
            return
        self.last = now
        line = self.line(now)
        if line == self._last_line:
            return
        self._last_line = line
        if self.tty:
            self.stream.write("\r" + line + "\x1b[K")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        self._printed = True

    def line(self, now: float | None = None) -> str:
        now = self.clock() if now is None else now
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        done_all = self.done + self.skipped
        if self.total:
            pct = 100.0 * done_all / self.total
            head = f"rows {done_all:,}/{self.total:,} ({pct:.1f}%)"
            left = self.total - done_all
            eta = format_duration(left / rate) if rate > 0 else "?"
        else:
            head, eta = f"rows {done_all:,}", "?"
        kept = f"{100.0 * self.kept / self.done:.1f}%" if self.done else "-"
        top = ", ".join(
            f"{reason} {100.0 * n / self.done:.1f}%" for reason, n in self.reasons.most_common(3)
        )
        line = f"{head} {rate:,.0f} rows/s ETA {eta} kept {kept}"
        return line + (f" | {top}" if top else "")

    def close(self) -> None:
        """The final line (always printed, ended with a newline)."""
        if not self.enabled:
            return
        self.tick(force=True)
        if self.tty and self._printed:
            self.stream.write("\n")
            self.stream.flush()
