"""The crawl journal in ``JOBDIR``: what a resumed crawl needs to fetch no page twice (pure).

Scrapy's own JOBDIR state (scheduler queue, dupefilter, spider state) is written only on a clean
shutdown, so after ``kill -9`` it is gone; and the images spider dedupes pages itself. The
journal is three append-or-rename files under ``JOBDIR/consentcrawl/``:

- ``seen.jsonl``: ``[url, depth]`` for every page the spider decided to request (or to record
  as excluded), appended *before* the item of the page that found it goes to the writer;
- ``done.jsonl``: one line per writer flush, ``{"pages": [...], "fetched": n}``, appended only
  once that flush's rows are renamed into place: the commit point;
- ``runs.json``: the index directory and one record per run (rewritten atomically).

A resumed run requests every seen page that is not done. Rows of a page that reached disk
without its ``done`` line (a kill between the two) are removed before the run starts, so that
page is fetched once more and its rows are written once.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from crawler.config import ConfigError

__all__ = ["JOURNAL_DIR", "CrawlJournal", "JournalError", "SeenLog", "read_journal"]

JOURNAL_DIR = "consentcrawl"
SEEN = "seen.jsonl"
DONE = "done.jsonl"
RUNS = "runs.json"


class JournalError(ConfigError):
    """A JOBDIR that belongs to another crawl (another INDEX_DIR)."""


@dataclass(slots=True)
class CrawlJournal:
    """What earlier runs in one JOBDIR left: pages seen (with depth), pages done, runs."""

    directory: Path
    seen: dict[str, int] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    fetched: int = 0
    runs: list[dict[str, Any]] = field(default_factory=list)
    index_dir: str | None = None

    @property
    def resuming(self) -> bool:
        """True when an earlier run of this crawl wrote into this JOBDIR."""
        return bool(self.runs or self.seen)

    @property
    def pending(self) -> list[tuple[str, int]]:
        """Pages seen but not done, in the order they were found."""
        return [(url, depth) for url, depth in self.seen.items() if url not in self.done]


def _lines(path: Path) -> list[Any]:
    """Every complete JSON line (a kill may leave the last one cut: it is skipped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def read_journal(jobdir: str | Path) -> CrawlJournal:
    directory = Path(jobdir) / JOURNAL_DIR
    journal = CrawlJournal(directory)
    for entry in _lines(directory / SEEN):
        if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str):
            journal.seen.setdefault(entry[0], int(entry[1]))
    for entry in _lines(directory / DONE):
        if isinstance(entry, dict):
            journal.done.update(u for u in entry.get("pages", ()) if isinstance(u, str))
            journal.fetched += int(entry.get("fetched", 0))
    try:
        runs = json.loads((directory / RUNS).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        runs = {}
    journal.runs = list(runs.get("runs", []))
    journal.index_dir = runs.get("index_dir")
    return journal


def check_jobdir(jobdir: str | None, index_dir: str) -> bool:
    """Whether this crawl resumes an earlier one (JOBDIR holds its journal); raise JournalError
    if the journal is another INDEX_DIR's."""
    if not jobdir:
        return False
    journal = read_journal(jobdir)
    if not journal.resuming:
        return False
    if journal.index_dir and Path(journal.index_dir).resolve() != Path(index_dir).resolve():
        raise JournalError(
            f"JOBDIR {jobdir!r} holds the journal of a crawl into {journal.index_dir!r}, not "
            f"{index_dir!r}: resume with that INDEX_DIR, or use a new JOBDIR"
        )
    return True


def _append(path: Path) -> IO[str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("a", encoding="utf-8")


class SeenLog:
    """The spider's side: append the pages it will request. ``flush()`` hands the lines to the
    OS (enough for a kill -9; the writer's flush fsyncs the done lines)."""

    def __init__(self, jobdir: str | Path) -> None:
        self.journal = read_journal(jobdir)
        self._fh = _append(self.journal.directory / SEEN)

    def add(self, url: str, depth: int) -> None:
        self._fh.write(json.dumps([url, depth]) + "\n")

    def flush(self) -> None:
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()


class DoneLog:
    """The writer's side: pages whose rows are on disk, and the runs."""

    def __init__(self, jobdir: str | Path, index_dir: Path) -> None:
        self.journal = read_journal(jobdir)
        self.index_dir = str(Path(index_dir).resolve())
        self._fh = _append(self.journal.directory / DONE)

    def commit(self, pages: list[str], fetched: int) -> None:
        """Record pages as done; called after their rows were renamed into place."""
        if not pages and not fetched:
            return
        self._fh.write(json.dumps({"pages": pages, "fetched": fetched}) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def save_runs(self, runs: list[dict[str, Any]]) -> None:
        path = self.journal.directory / RUNS
        tmp = path.with_name(f".{RUNS}.tmp")
        data = {"index_dir": self.index_dir, "runs": runs}
        tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)

    def close(self) -> None:
        self._fh.close()
