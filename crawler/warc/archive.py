"""Reading a run's WARCs back (pure, no Scrapy): integrity check and the replay index.

``check_archive`` compares every WARC file the manifest lists (size and sha256) before anything
is replayed: a flipped byte stops the replay with the file's name. ``ArchiveIndex`` maps each
request (method, URL, Range) to the answers recorded for it, in capture order: a request made
twice (a retry after a timeout, a re-fetch after a TTL) gets the recorded answers in turn, the
last one again after that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from crawler.warc.records import FAILURE_CONTENT_TYPE, FLAGS_HEADER, file_sha256

__all__ = ["ArchiveError", "ArchiveIndex", "Answer", "RecordedResponse", "check_archive"]

Key = tuple[str, str, str]  # (method, URL, Range header or "")


class ArchiveError(ValueError):
    """The archive cannot be replayed as it is (missing, altered, not a consentcrawl capture)."""


@dataclass(frozen=True, slots=True)
class Answer:
    """Where one recorded answer lives (read lazily: bodies stay on disk)."""

    path: Path
    offset: int
    date: datetime
    failure: bool


@dataclass(slots=True)
class RecordedResponse:
    status: int
    protocol: str
    headers: list[tuple[str, str]]
    body: bytes
    flags: list[str]


@dataclass(slots=True)
class RecordedFailure:
    error_class: str
    error: str


def parse_warc_date(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def check_archive(root: Path, manifest: dict[str, Any]) -> list[Path]:
    """The manifest's WARC files, each checked for size and sha256; raises ArchiveError."""
    entries = manifest.get("warc")
    if not entries:
        raise ArchiveError(
            f"{root}: the manifest lists no WARC files (was the run made with WARC_ENABLED=true?)"
        )
    paths = []
    for entry in entries:
        path = Path(root) / entry["path"]
        if not path.is_file():
            raise ArchiveError(f"{path}: WARC file listed in the manifest is missing")
        if path.stat().st_size != entry["bytes"] or file_sha256(path) != entry["sha256"]:
            raise ArchiveError(
                f"{path}: WARC file does not match the manifest's sha256 (altered or corrupt)"
            )
        paths.append(path)
    return paths


def _key(method: str, url: str, range_header: str | None) -> Key:
    return (method.upper(), url, range_header or "")


class ArchiveIndex:
    def __init__(self) -> None:
        self.answers: dict[Key, list[Answer]] = {}
        self._cursor: dict[Key, int] = {}
        self.first_date: datetime | None = None
        self.last_date: datetime | None = None
        self.exchanges = 0
        self.repeated: list[Key] = []  # requests answered more often than the original made them

    @classmethod
    def load(cls, paths: list[Path]) -> ArchiveIndex:
        index = cls()
        for path in paths:
            index._add_file(path)
        return index

    def _add_file(self, path: Path) -> None:
        answers: dict[str, Answer] = {}
        requests: list[tuple[Key, str]] = []
        with open(path, "rb") as fh:
            it = ArchiveIterator(fh)
            for record in it:
                kind = record.rec_type
                headers = record.rec_headers
                if kind == "request":
                    http = record.http_headers
                    target = headers.get_header("WARC-Concurrent-To")
                    if http is not None and target:
                        key = _key(
                            http.protocol,
                            headers.get_header("WARC-Target-URI"),
                            http.get_header("Range"),
                        )
                        requests.append((key, target))
                elif kind in ("response", "metadata"):
                    failure = kind == "metadata"
                    if failure and headers.get_header("Content-Type") != FAILURE_CONTENT_TYPE:
                        continue
                    date = parse_warc_date(headers.get_header("WARC-Date"))
                    answers[headers.get_header("WARC-Record-ID")] = Answer(
                        path, it.get_record_offset(), date, failure
                    )
                    if self.first_date is None or date < self.first_date:
                        self.first_date = date
                    if self.last_date is None or date > self.last_date:
                        self.last_date = date
        for key, target in requests:
            answer = answers.get(target)
            if answer is not None:
                self.answers.setdefault(key, []).append(answer)
                self.exchanges += 1

    def take(self, method: str, url: str, range_header: str | None) -> Answer | None:
        """The next recorded answer to this request, or None if it was never made."""
        key = _key(method, url, range_header)
        answers = self.answers.get(key)
        if not answers:
            return None
        n = self._cursor.get(key, 0)
        if n >= len(answers):
            self.repeated.append(key)
            return answers[-1]
        self._cursor[key] = n + 1
        return answers[n]


def read_answer(answer: Answer) -> RecordedResponse | RecordedFailure:
    """The recorded response (body as received: still content-encoded) or failure."""
    with open(answer.path, "rb") as fh:
        fh.seek(answer.offset)
        record = next(iter(ArchiveIterator(fh)))
        if answer.failure:
            data = json.loads(record.content_stream().read())
            return RecordedFailure(data.get("error_class") or "", data.get("error") or "")
        http = record.http_headers
        headers = [
            (k, v) for k, v in http.headers if k.lower() != "x-archive-orig-transfer-encoding"
        ]
        return RecordedResponse(
            status=int(http.get_statuscode()),
            protocol=http.protocol,
            headers=headers,
            body=record.raw_stream.read(),
            flags=(record.rec_headers.get_header(FLAGS_HEADER) or "").split(),
        )
