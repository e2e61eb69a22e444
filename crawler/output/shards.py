"""Sharded Parquet writing with atomic part files (pure pyarrow, no Scrapy).

Rows are buffered as Python dicts and written in Arrow batches: one ``Table.from_pylist`` and
one ``write_table`` per part file, never per row. A part is written to ``.part-NNNNN.tmp`` and
renamed into place, so a reader (or a crash) never sees half a file.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

CONSENT_RECORD = pa.struct(
    [
        ("family", pa.string()),
        ("verdict", pa.string()),
        ("source", pa.string()),
        ("value", pa.string()),
    ]
)
TIMESTAMP = pa.timestamp("us", tz="UTC")

INDEX_SCHEMA = pa.schema(
    [
        ("url", pa.string()),
        ("caption", pa.string()),
        ("page_url", pa.string()),
        ("title", pa.string()),
        ("figcaption", pa.string()),
        ("width", pa.int32()),
        ("height", pa.int32()),
        ("srcset", pa.list_(pa.string())),
        ("license", pa.string()),
        ("license_url", pa.string()),
        ("license_scope", pa.string()),
        ("license_source", pa.string()),
        ("license_conflict", pa.bool_()),
        ("credit", pa.string()),
        ("creator", pa.string()),
        ("acquire_license_page", pa.string()),
        ("fetched_at", TIMESTAMP),
        ("consent", pa.list_(CONSENT_RECORD)),
    ]
)

EXCLUDED_SCHEMA = pa.schema(
    [
        ("url", pa.string()),
        ("page_url", pa.string()),
        ("kind", pa.string()),
        ("caption", pa.string()),
        ("reasons", pa.list_(pa.string())),
        ("license", pa.string()),
        ("fetched_at", TIMESTAMP),
        ("consent", pa.list_(CONSENT_RECORD)),
    ]
)

CONSENT_DOCS_SCHEMA = pa.schema(
    [
        ("origin", pa.string()),
        ("kind", pa.string()),
        ("url", pa.string()),
        ("final_url", pa.string()),
        ("status", pa.int32()),
        ("error", pa.string()),
        ("fetched_at", TIMESTAMP),
        ("sha256", pa.string()),
        ("body", pa.binary()),
        ("truncated", pa.bool_()),
    ]
)


def consent_doc_row(doc: Any) -> dict[str, Any]:
    """A fetched consent document (crawler.consentdocs.FetchedDocument) as a ``consent/`` row."""
    return {name: getattr(doc, name) for name in CONSENT_DOCS_SCHEMA.names}


@dataclass(frozen=True, slots=True)
class PartFile:
    path: Path
    rows: int
    sha256: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ShardWriter:
    """Writes ``part-NNNNN.parquet`` files of ``rows_per_shard`` rows.

    Rows arrive as dicts; every ``batch_rows`` of them become one Arrow record batch at once, so
    the rows waiting for a full shard are held in columnar form (a fraction of the memory of
    Python dicts) and the per-row Python work is one dict, nothing more.
    """

    def __init__(
        self,
        directory: Path,
        schema: pa.Schema,
        rows_per_shard: int = 100_000,
        compression: str = "zstd",
        first_part: int = 0,
        batch_rows: int = 4096,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.schema = schema
        self.rows_per_shard = max(1, rows_per_shard)
        self.batch_rows = max(1, min(batch_rows, self.rows_per_shard))
        self.compression = compression
        self.parts: list[PartFile] = []
        self.rows_written = 0
        self._next_part = first_part
        self._rows: list[dict[str, Any]] = []
        self._batches: list[pa.RecordBatch] = []
        self._batched_rows = 0
        self.name_prefix = "part-"  # distributed workers use "part-<worker id>-"

    def add(self, row: dict[str, Any]) -> None:
        self._rows.append(row)
        if len(self._rows) >= self.batch_rows:
            self._compact()

    def extend(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.add(row)

    @property
    def buffered(self) -> int:
        return len(self._rows) + self._batched_rows

    def _compact(self) -> None:
        """Turn the pending dict rows into one record batch; write shards that are full."""
        if self._rows:
            self._batches.append(pa.RecordBatch.from_pylist(self._rows, schema=self.schema))
            self._batched_rows += len(self._rows)
            self._rows = []
        while self._batched_rows >= self.rows_per_shard:
            self._write_rows(self.rows_per_shard)

    def _write_rows(self, count: int) -> PartFile:
        table = pa.Table.from_batches(self._batches, schema=self.schema)
        head, rest = table.slice(0, count), table.slice(count)
        self._batches = rest.combine_chunks().to_batches() if rest.num_rows else []
        self._batched_rows = rest.num_rows
        return self.write_table(head)

    def flush(self) -> PartFile | None:
        """Write the buffered rows (at most one shard) as the next part file."""
        self._compact()
        if not self._batched_rows:
            return None
        return self._write_rows(min(self._batched_rows, self.rows_per_shard))

    def write_table(self, table: pa.Table) -> PartFile:
        name = f"{self.name_prefix}{self._next_part:05d}.parquet"
        self._next_part += 1
        final = self.directory / name
        tmp = self.directory / f".{name}.tmp"
        pq.write_table(table, tmp, compression=self.compression)
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        part = PartFile(final, table.num_rows, file_sha256(final))
        self.parts.append(part)
        self.rows_written += table.num_rows
        return part

    def close(self) -> list[PartFile]:
        while self.flush() is not None:
            pass
        return self.parts
