"""Regeneration inputs: find the files, read them as fixed-size Arrow batches, detect columns.

Formats (by extension, ``.gz`` accepted on each): Parquet (``.parquet``, ``.pq``), CSV, TSV and
JSON lines (``.jsonl``, ``.ndjson``, ``.json``). Everything is streamed: Parquet by row groups
(``ParquetFile.iter_batches``), CSV/TSV and JSON lines by pyarrow's streaming readers, so memory
depends on the batch size, never on the file size.

CSV/TSV columns are read as strings (a text file has no types: ``007`` stays ``007``); TSV is
read without quoting, as the image-caption TSVs (CC3M, CC12M) are written. JSON lines keep the
types pyarrow infers from the first block. Parquet keeps its schema exactly.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from crawler.urls import safe_origin

__all__ = [
    "Batch",
    "Columns",
    "InputError",
    "InputFile",
    "detect_columns",
    "discover",
    "iter_batches",
    "url_is_valid",
]

logger = logging.getLogger(__name__)

URL_COLUMNS = ("url", "URL", "image_url", "IMAGE_URL", "img_url")
CAPTION_COLUMNS = ("caption", "TEXT", "text", "alt", "alt_text", "ALT", "CAPTION")
PAGE_COLUMNS = ("page_url", "webpage_url", "PAGE_URL", "WEBPAGE_URL", "source_url")
KEY_COLUMNS = ("SAMPLE_ID", "sample_id", "key", "KEY", "uid", "UID")

EXTENSIONS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
TEXT_BLOCK_BYTES = 4 << 20


class InputError(ValueError):
    """An input that cannot be used; the message names the file and the fix."""


@dataclass(slots=True)
class InputFile:
    path: Path
    format: str  # parquet | csv | tsv | jsonl
    compressed: bool
    schema: pa.Schema
    rows: int | None = None
    sha256: str | None = None

    @property
    def columns(self) -> list[str]:
        return list(self.schema.names)

    def record(self) -> dict[str, Any]:
        """The manifest's description of this input."""
        return {
            "path": str(self.path),
            "format": self.format + (".gz" if self.compressed else ""),
            "sha256": self.sha256,
            "rows": self.rows,
            "columns": {f.name: str(f.type) for f in self.schema},
        }


@dataclass(frozen=True, slots=True)
class Columns:
    url: str
    caption: str | None = None
    page: str | None = None
    key: str | None = None


@dataclass(slots=True)
class Batch:
    """One fixed-size slice of one input: ``number`` counts batches across all inputs."""

    number: int
    input_index: int
    first_row: int  # position of the batch's first row in its input file
    data: pa.RecordBatch = field(repr=False)
    # Why the rows could not be read (their count is known, their values are not): every row
    # of the batch is then excluded with this reason, and its columns are null.
    unreadable: str | None = None

    @property
    def num_rows(self) -> int:
        return self.data.num_rows


def format_of(path: Path) -> tuple[str, bool] | None:
    """(format, gzip-compressed) from the file name, or None for an unknown extension."""
    suffixes = [s.lower() for s in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    if compressed:
        suffixes = suffixes[:-1]
    if not suffixes:
        return None
    fmt = EXTENSIONS.get(suffixes[-1])
    return (fmt, compressed) if fmt else None


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith((".", "_")) for part in path.relative_to(root).parts)


def discover(args: Sequence[str]) -> list[InputFile]:
    """Every input file named by ``args`` (files, or folders searched recursively), in order."""
    if not args:
        raise InputError("no INPUT given: name Parquet/CSV/TSV/JSONL files or folders of them")
    found: list[InputFile] = []
    for arg in args:
        path = Path(arg)
        if path.is_dir():
            files = sorted(
                p for p in path.rglob("*") if p.is_file() and format_of(p) and not _hidden(p, path)
            )
            if not files:
                raise InputError(f"folder {arg!r} holds no Parquet, CSV, TSV or JSONL files")
        elif path.is_file():
            if format_of(path) is None:
                raise InputError(
                    f"{arg!r}: unknown format; expected .parquet, .csv, .tsv, .jsonl "
                    "(optionally .gz)"
                )
            files = [path]
        else:
            raise InputError(f"input {arg!r} does not exist")
        for file in files:
            fmt, compressed = format_of(file)  # type: ignore[misc]
            try:
                schema = read_schema(file, fmt)
            except (OSError, pa.ArrowException) as exc:
                raise InputError(f"cannot read {str(file)!r} as {fmt}: {exc}") from None
            found.append(InputFile(file, fmt, compressed, schema))
    names = found[0].columns
    for other in found[1:]:
        if other.columns != names:
            raise InputError(
                f"inputs have different columns: {found[0].path} has {names}, "
                f"{other.path} has {other.columns}"
            )
    return found


# --- readers ----------------------------------------------------------------------------------


def _csv_options(fmt: str) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions]:
    read = pacsv.ReadOptions(block_size=TEXT_BLOCK_BYTES)
    if fmt == "tsv":
        parse = pacsv.ParseOptions(delimiter="\t", quote_char=False)
    else:
        parse = pacsv.ParseOptions(newlines_in_values=True)
    return read, parse


def read_schema(path: Path, fmt: str) -> pa.Schema:
    """The columns (and types) batches of this file will have."""
    if fmt == "parquet":
        return pq.read_schema(path)
    if fmt in ("csv", "tsv"):
        read, parse = _csv_options(fmt)
        with pacsv.open_csv(path, read_options=read, parse_options=parse) as reader:
            names = reader.schema.names
        return pa.schema([(n, pa.string()) for n in names])
    with pajson.open_json(path, read_options=pajson.ReadOptions(block_size=TEXT_BLOCK_BYTES)) as r:
        return r.schema


UNREADABLE_ROW_GROUP = "input:unreadable-row-group"


def _null_batch(schema: pa.Schema, rows: int) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.nulls(rows, f.type) for f in schema], schema=schema)


def _raw_batches(inp: InputFile, batch_rows: int) -> Iterator[tuple[pa.RecordBatch, str | None]]:
    """(batch, None) for rows read; (null rows, reason) for rows of a row group that cannot be
    read, as many as its metadata counts, so that the other groups still go through."""
    if inp.format == "parquet":
        pf = pq.ParquetFile(inp.path)
        try:
            for group in range(pf.num_row_groups):
                expected = pf.metadata.row_group(group).num_rows
                read = 0
                try:
                    for rb in pf.iter_batches(
                        batch_size=batch_rows, row_groups=[group], use_pandas_metadata=False
                    ):
                        read += rb.num_rows
                        yield rb, None
                except (OSError, pa.ArrowException) as exc:
                    logger.error(
                        "%s: row group %d unreadable (%s); its %d remaining row(s) are excluded "
                        "as %s",
                        inp.path,
                        group,
                        exc,
                        expected - read,
                        UNREADABLE_ROW_GROUP,
                    )
                    if expected > read:
                        yield _null_batch(inp.schema, expected - read), UNREADABLE_ROW_GROUP
        finally:
            pf.close()
        return
    if inp.format in ("csv", "tsv"):
        read, parse = _csv_options(inp.format)
        convert = pacsv.ConvertOptions(column_types={f.name: f.type for f in inp.schema})
        reader = pacsv.open_csv(
            inp.path, read_options=read, parse_options=parse, convert_options=convert
        )
    else:
        reader = pajson.open_json(
            inp.path,
            read_options=pajson.ReadOptions(block_size=TEXT_BLOCK_BYTES),
            parse_options=pajson.ParseOptions(explicit_schema=inp.schema),
        )
    rows = 0
    with reader:
        while True:
            try:
                rb = reader.read_next_batch()
            except StopIteration:
                return
            except (OSError, pa.ArrowException) as exc:
                # A text file gives no row count past the damage: stop, naming the place.
                raise InputError(
                    f"{inp.path}: unreadable after row {rows}: {exc}; repair or remove the file"
                ) from None
            rows += rb.num_rows
            yield rb, None


def _rebatch(
    source: Iterator[tuple[pa.RecordBatch, str | None]], size: int
) -> Iterator[tuple[pa.RecordBatch, str | None]]:
    """Exactly ``size`` rows per batch (the last may be shorter), whatever the reader gives;
    unreadable rows go in batches of their own."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for rb, unreadable in source:
        if rb.num_rows == 0:
            continue
        if unreadable:
            if count:
                yield pa.Table.from_batches(pending).combine_chunks().to_batches()[0], None
                pending, count = [], 0
            for start in range(0, rb.num_rows, size):
                yield rb.slice(start, size), unreadable
            continue
        pending.append(rb)
        count += rb.num_rows
        while count >= size:
            table = pa.Table.from_batches(pending).combine_chunks()
            head = table.slice(0, size)
            yield (head.to_batches()[0] if head.num_rows else head), None
            rest = table.slice(size)
            pending = rest.to_batches() if rest.num_rows else []
            count = rest.num_rows
    if count:
        yield pa.Table.from_batches(pending).combine_chunks().to_batches()[0], None


def iter_batches(inputs: Sequence[InputFile], batch_rows: int) -> Iterator[Batch]:
    """Every row of every input once, as numbered batches of ``batch_rows`` rows."""
    number = 0
    for index, inp in enumerate(inputs):
        first = 0
        for rb, unreadable in _rebatch(_raw_batches(inp, batch_rows), batch_rows):
            if rb.schema != inp.schema:
                rb = rb.cast(inp.schema) if rb.schema.names == inp.schema.names else rb
            yield Batch(number, index, first, rb, unreadable)
            number += 1
            first += rb.num_rows


def batch_count(inputs: Sequence[InputFile], batch_rows: int) -> int:
    """How many batches ``iter_batches`` yields (needs every input's row count)."""
    return sum(math.ceil((inp.rows or 0) / batch_rows) for inp in inputs)


def measure(inp: InputFile) -> None:
    """Fill in sha256 and row count: Parquet from its footer, text formats by one streaming pass."""
    digest = hashlib.sha256()
    with inp.path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    inp.sha256 = digest.hexdigest()
    if inp.format == "parquet":
        inp.rows = pq.ParquetFile(inp.path).metadata.num_rows
    else:
        inp.rows = sum(rb.num_rows for rb, _ in _raw_batches(inp, 65536))


# --- columns ----------------------------------------------------------------------------------


def _pick(names: Sequence[str], given: str | None, choices: Sequence[str], what: str) -> str | None:
    if given:
        if given not in names:
            raise InputError(
                f"--{what}-col {given!r} is not a column of the input; columns found: "
                + ", ".join(names)
            )
        return given
    for choice in choices:
        if choice in names:
            return choice
    lowered = {n.lower(): n for n in names}
    for choice in choices:
        if choice.lower() in lowered:
            return lowered[choice.lower()]
    return None


def detect_columns(
    names: Sequence[str],
    url_col: str | None = None,
    caption_col: str | None = None,
    page_col: str | None = None,
) -> Columns:
    """The url / caption / page / key columns; an input without a url column cannot run."""
    url = _pick(names, url_col, URL_COLUMNS, "url")
    if url is None:
        raise InputError(
            "no url column found (looked for "
            + ", ".join(URL_COLUMNS)
            + "); columns found: "
            + ", ".join(names)
            + "; name it with --url-col NAME"
        )
    return Columns(
        url=url,
        caption=_pick(names, caption_col, CAPTION_COLUMNS, "caption"),
        page=_pick(names, page_col, PAGE_COLUMNS, "page"),
        key=_pick(names, None, KEY_COLUMNS, "key"),
    )


def valid_origin(value: Any) -> str | None:
    """The origin (scheme://host[:port]) of an http(s) URL the crawler can check, else None.

    One parse per row (crawler.urls): this runs for every input row (and page) of a regeneration.
    """
    if not isinstance(value, str) or value != value.strip():
        return None
    return safe_origin(value)


def url_is_valid(value: Any) -> bool:
    """An http(s) URL with a host (and a numeric port, if any): one the crawler can check."""
    return valid_origin(value) is not None
