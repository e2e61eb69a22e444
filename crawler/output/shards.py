"""Sharded Parquet writing with atomic part files (pure pyarrow, no Scrapy).

Rows are buffered as Python dicts and written in Arrow batches: one ``Table.from_pylist`` and
one ``write_table`` per part file, never per row. A part is written to ``.part-NNNNN.tmp`` and
renamed into place, so a reader (or a crash) never sees half a file.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from crawler.config import ConfigError
from crawler.consent.registry import FAMILIES

CONSENT_RECORD = pa.struct(
    [
        ("family", pa.string()),
        ("verdict", pa.string()),
        ("source", pa.string()),
        ("value", pa.string()),
    ]
)
TIMESTAMP = pa.timestamp("us", tz="UTC")

# Arrow types of the row columns families declare (crawler.consent.family.Column.type).
_COLUMN_TYPES = {
    "string": pa.string(),
    "bool": pa.bool_(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "list<string>": pa.list_(pa.string()),
}
# Columns the registered families fill (RSL attribution, AIPREF categories, provenance...), in
# registry order; null when a family said nothing about a row. Index and excluded rows carry them.
FAMILY_COLUMNS: tuple[tuple[str, pa.DataType], ...] = tuple(
    (column.name, _COLUMN_TYPES[column.type]) for family in FAMILIES for column in family.columns
)
FAMILY_COLUMN_NAMES: tuple[str, ...] = tuple(name for name, _ in FAMILY_COLUMNS)

INDEX_SCHEMA = pa.schema(
    [
        ("url", pa.string()),
        ("caption", pa.string()),
        ("page_url", pa.string()),
        ("title", pa.string()),
        ("figcaption", pa.string()),
        # Declared sizes (attributes), named so img2dataset's own width/height do not clash.
        ("declared_width", pa.int32()),
        ("declared_height", pa.int32()),
        ("srcset", pa.list_(pa.string())),
        # issue 11: caption provenance, how the image was found, where it sits on the page
        ("caption_source", pa.string()),
        ("thumbcaption", pa.string()),
        ("image_source", pa.string()),
        ("url_attribute", pa.string()),
        ("in_main_content", pa.bool_()),
        ("license", pa.string()),
        ("license_url", pa.string()),
        ("license_scope", pa.string()),
        ("license_source", pa.string()),
        ("license_conflict", pa.bool_()),
        ("credit", pa.string()),
        ("creator", pa.string()),
        ("acquire_license_page", pa.string()),
        # ISO 8601 text, not a timestamp: it must survive img2dataset's JSON sidecars.
        ("fetched_at", pa.string()),
        *FAMILY_COLUMNS,
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
        *FAMILY_COLUMNS,
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
    """Writes ``part-NNNNN.parquet`` files of at most ``rows_per_shard`` rows, durably as it goes.

    Rows arrive as dicts; every ``batch_rows`` of them become one Arrow record batch at once, so
    the rows of the shard being filled are held in columnar form and the per-row Python work is
    one dict. ``flush()`` puts every row added so far on disk: the shard being filled is
    (re)written whole to a temporary file and renamed over its part file, so a part on disk is
    always a complete, readable Parquet file, and a hard kill loses only the rows added since
    the last flush. A full shard is written once more and left alone; the next shard starts a
    new part. ``seal()`` also closes the shard being filled (its next rows go to a new part).
    """

    def __init__(
        self,
        directory: Path,
        schema: pa.Schema,
        rows_per_shard: int = 100_000,
        compression: str = "zstd",
        first_part: int = 0,
        batch_rows: int = 4096,
        existing: list[PartFile] | None = None,
        plain_columns: Collection[str] = (),
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.schema = schema
        self.rows_per_shard = max(1, rows_per_shard)
        self.batch_rows = max(1, min(batch_rows, self.rows_per_shard))
        self.compression = compression
        self.statistics = statistics_columns(schema)
        self.dictionary = dictionary_columns(schema, plain_columns)
        # Parts on disk, in order (an earlier run's first, when resuming).
        self.parts: list[PartFile] = list(existing or [])
        self._next_part = first_part
        self._rows: list[dict[str, Any]] = []
        # Rows of the shard being filled: ``_durable`` of them are in its part file already.
        self._batches: list[pa.RecordBatch] = []
        self._batched_rows = 0
        self._durable = 0
        self.name_prefix = "part-"  # distributed workers use "part-<worker id>-"

    @property
    def rows_written(self) -> int:
        """Rows in the part files on disk."""
        return sum(p.rows for p in self.parts)

    def add(self, row: dict[str, Any]) -> None:
        self._rows.append(row)
        if len(self._rows) >= self.batch_rows:
            self._compact()

    def extend(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.add(row)

    @property
    def buffered(self) -> int:
        """Rows added but not on disk yet."""
        return len(self._rows) + self._batched_rows - self._durable

    def _compact(self) -> None:
        """Turn the pending dict rows into one record batch; write shards that are full."""
        if self._rows:
            self._batches.append(rows_to_batch(self._rows, self.schema))
            self._batched_rows += len(self._rows)
            self._rows = []
        while self._batched_rows >= self.rows_per_shard:
            self._write_full_shard()

    def _write_full_shard(self) -> None:
        table = pa.Table.from_batches(self._batches, schema=self.schema)
        head, rest = table.slice(0, self.rows_per_shard), table.slice(self.rows_per_shard)
        self._write_part(head, self._next_part)
        self._next_part += 1
        self._batches = rest.combine_chunks().to_batches() if rest.num_rows else []
        self._batched_rows = rest.num_rows
        self._durable = 0

    def flush(self) -> PartFile | None:
        """Put every row added so far on disk (rewriting the part of the shard being filled)."""
        self._compact()
        if self._batched_rows == self._durable:
            return None
        table = pa.Table.from_batches(self._batches, schema=self.schema)
        part = self._write_part(table, self._next_part)
        self._durable = self._batched_rows
        return part

    def seal(self) -> PartFile | None:
        """Flush, and start a new part for the rows added next."""
        part = self.flush()
        if self._batched_rows:
            self._next_part += 1
            self._batches, self._batched_rows, self._durable = [], 0, 0
        return part

    def write_table(self, table: pa.Table) -> PartFile:
        """Write ``table`` as a part of its own (the next number)."""
        part = self._write_part(table, self._next_part)
        self._next_part += 1
        return part

    def _write_part(self, table: pa.Table, number: int) -> PartFile:
        name = f"{self.name_prefix}{number:05d}.parquet"
        final = self.directory / name
        tmp = self.directory / f".{name}.tmp"
        try:
            pq.write_table(
                table,
                tmp,
                compression=self.compression,
                write_statistics=self.statistics,
                use_dictionary=self.dictionary,
            )
            with tmp.open("rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            # A full disk or an I/O error: the previous version of the part (if any) stays.
            tmp.unlink(missing_ok=True)
            raise
        part = PartFile(final, table.num_rows, file_sha256(final))
        if self.parts and self.parts[-1].path == final:
            self.parts[-1] = part
        else:
            self.parts.append(part)
        return part

    def close(self, empty_part: bool = False) -> list[PartFile]:
        """Flush; with ``empty_part``, a writer that wrote nothing writes one empty part with the
        schema, so that reading the directory always works."""
        self.flush()
        if empty_part and not self.parts:
            self.write_table(self.schema.empty_table())
        return self.parts


def statistics_columns(schema: pa.Schema) -> list[str]:
    """The columns whose Parquet statistics (min/max per row group) a part carries: the flat
    ones, which readers filter on. Min/max of the strings inside ``consent`` (~10 records a row)
    and ``reasons`` say nothing useful, and cost ~20 % of writing a part."""
    return [f.name for f in schema if not pa.types.is_nested(f.type)]


# Columns of (nearly) distinct values, per output: written without a dictionary.
CONSENT_DOCS_DISTINCT = ("url", "final_url", "sha256", "body")
DISTINCT_COLUMNS = {
    "index": ("url", "caption"),
    "excluded": ("url", "caption"),
    "consent": CONSENT_DOCS_DISTINCT,
}


def dictionary_columns(schema: pa.Schema, plain: Collection[str]) -> list[str] | bool:
    """The leaf columns a part dictionary-encodes: all but those of the ``plain`` columns,
    whose values are nearly all distinct (image URLs, captions, document bodies): their
    dictionary only grows until the writer falls back to plain encoding, which cost ~12 % of
    writing a part and made it bigger (4.9 -> 4.4 MB for a regeneration's excluded rows).
    True (every column) when there is none."""
    if not any(name in schema.names for name in plain):
        return True
    return [path for path in leaf_paths(schema) if path.split(".", 1)[0] not in plain]


@lru_cache(maxsize=64)
def leaf_paths(schema: pa.Schema) -> tuple[str, ...]:
    """The Parquet leaf column paths of ``schema`` (``consent.list.element.family``...), in
    file order: what ``use_dictionary`` and ``write_statistics`` name."""
    sink = pa.BufferOutputStream()
    pq.write_table(schema.empty_table(), sink)
    metadata = pq.ParquetFile(pa.BufferReader(sink.getvalue())).schema
    return tuple(metadata.column(i).path for i in range(len(metadata)))


def rows_to_batch(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.RecordBatch:
    """``pa.RecordBatch.from_pylist(rows, schema=schema)``, with the list-of-struct columns
    (``consent``: ~15 records a row) built from one flat list per field: pyarrow's conversion of
    nested dicts cost ~60 us a row, most of a crawl's writing. The same batch (a test compares
    them); anything unexpected in those columns takes pyarrow's own way."""
    nested = [
        i
        for i, f in enumerate(schema)
        if pa.types.is_list(f.type) and pa.types.is_struct(f.type.value_type)
    ]
    if not nested or not rows:
        return pa.RecordBatch.from_pylist(rows, schema=schema)
    try:
        built = {
            i: _list_of_structs([row.get(schema[i].name) for row in rows], schema[i].type)
            for i in nested
        }
    except _Unexpected:
        return pa.RecordBatch.from_pylist(rows, schema=schema)
    rest = pa.schema([f for i, f in enumerate(schema) if i not in built])
    flat = pa.RecordBatch.from_pylist(rows, schema=rest)
    columns = iter(flat.columns)
    arrays = [built[i] if i in built else next(columns) for i in range(len(schema))]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


class _Unexpected(Exception):
    """A value rows_to_batch leaves to pyarrow."""


def _list_of_structs(values: list[Any], list_type: pa.DataType) -> pa.Array:
    """The list-of-struct column of ``values``. The usual case, every value a list (or None)
    of plain dicts that have every field, reads each field of all records at once in C
    (``map(itemgetter(name), records)``: ~40% less time than a Python loop over records);
    anything else goes record by record (``_list_of_structs_by_record``)."""
    struct_type = list_type.value_type
    names = [struct_type.field(k).name for k in range(struct_type.num_fields)]
    records: list[Any] = []
    offsets = [0]
    list_nulls: list[bool] = []
    n = 0
    for value in values:
        if value is None:
            list_nulls.append(True)
        elif type(value) is list:
            list_nulls.append(False)
            records.extend(value)
            n += len(value)
        else:
            return _list_of_structs_by_record(values, list_type)
        offsets.append(n)
    if any(t is not dict for t in set(map(type, records))):
        return _list_of_structs_by_record(values, list_type)  # a None record, a non-dict
    try:
        fields = [list(map(itemgetter(name), records)) for name in names]
    except KeyError:  # a record without some field: null there, record by record
        return _list_of_structs_by_record(values, list_type)
    return _list_array(list_type, fields, offsets, list_nulls, [])


def _list_of_structs_by_record(values: list[Any], list_type: pa.DataType) -> pa.Array:
    struct_type = list_type.value_type
    names = [struct_type.field(k).name for k in range(struct_type.num_fields)]
    fields: list[list[Any]] = [[] for _ in names]
    offsets = [0]
    list_nulls: list[bool] = []
    struct_nulls: list[bool] = []
    n = 0
    for value in values:
        if value is None:
            list_nulls.append(True)
            offsets.append(n)
            continue
        if not isinstance(value, list):
            raise _Unexpected
        list_nulls.append(False)
        for record in value:
            if record is None:
                struct_nulls.append(True)
                for column in fields:
                    column.append(None)
            elif type(record) is dict:
                struct_nulls.append(False)
                for column, name in zip(fields, names, strict=True):
                    column.append(record.get(name))
            else:
                raise _Unexpected
            n += 1
        offsets.append(n)
    return _list_array(list_type, fields, offsets, list_nulls, struct_nulls)


def _list_array(
    list_type: pa.DataType,
    fields: list[list[Any]],
    offsets: list[int],
    list_nulls: list[bool],
    struct_nulls: list[bool],
) -> pa.Array:
    """The list-of-struct array of ``fields`` (one list per struct field, all records)."""
    struct_type = list_type.value_type
    try:
        children = [
            pa.array(column, type=struct_type.field(k).type) for k, column in enumerate(fields)
        ]
        struct = pa.StructArray.from_arrays(
            children,
            fields=[struct_type.field(k) for k in range(struct_type.num_fields)],
            mask=pa.array(struct_nulls, pa.bool_()) if any(struct_nulls) else None,
        )
        return pa.ListArray.from_arrays(
            pa.array(offsets, pa.int32()),
            struct,
            type=list_type,
            mask=pa.array(list_nulls, pa.bool_()) if any(list_nulls) else None,
        )
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise _Unexpected from exc


# Parquet codecs pyarrow can write ("none" stores pages uncompressed).
PARQUET_CODECS = ("zstd", "snappy", "gzip", "brotli", "lz4", "none")


def check_compression(name: str | None) -> str:
    """The codec name if pyarrow can write Parquet with it, else ConfigError (before any request:
    a bad codec otherwise surfaces only when the first part file is written)."""
    codec = (name or "").strip().lower()
    if codec not in PARQUET_CODECS or (codec != "none" and not pa.Codec.is_available(codec)):
        raise ConfigError(
            f"INDEX_COMPRESSION={name!r} is not a Parquet codec pyarrow can write; "
            "use one of " + ", ".join(PARQUET_CODECS)
        )
    return codec
