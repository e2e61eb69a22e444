"""What an index directory holds on disk: its part files, and counts read back from them (pure).

Used where the writer's own counters cannot be trusted: after a write error (the manifest then
counts exactly the rows on disk) and when a crawl resumes (earlier runs' rows are kept).
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from crawler.output.counts import RowCounts
from crawler.output.shards import (
    DISTINCT_COLUMNS,
    PartFile,
    dictionary_columns,
    file_sha256,
    statistics_columns,
)

__all__ = ["RowCounts", "count_rows", "drop_pages", "existing_parts", "remove_temporary"]


def remove_temporary(directory: Path) -> None:
    """Temporary part files a killed writer left (never complete, never listed)."""
    if directory.is_dir():
        for path in directory.glob(".part-*.tmp"):
            path.unlink(missing_ok=True)


def existing_parts(directory: Path) -> list[PartFile]:
    """The part files in ``directory``, in name order, with their row counts and hashes."""
    if not directory.is_dir():
        return []
    parts = []
    for path in sorted(directory.glob("part-*.parquet")):
        rows = pq.ParquetFile(path).metadata.num_rows
        parts.append(PartFile(path, rows, file_sha256(path)))
    return parts


def next_part_number(parts: list[PartFile]) -> int:
    numbers = [int(p.path.stem.removeprefix("part-")) for p in parts]
    return max(numbers) + 1 if numbers else 0


def drop_pages(parts: list[PartFile], keep_pages: set[str], compression: str) -> list[PartFile]:
    """Rewrite (atomically) every part that holds rows of pages not in ``keep_pages``, without
    those rows: they reached disk, but the journal never recorded their page as done, so the
    page is fetched again and its rows must not be there twice."""
    keep = pa.array(sorted(keep_pages), type=pa.string())
    out = []
    for part in parts:
        table = pq.read_table(part.path)
        mask = pc.is_in(table.column("page_url"), value_set=keep)
        mask = pc.fill_null(mask, False)
        if pc.all(mask).as_py() is not False:
            out.append(part)
            continue
        kept = table.filter(mask)
        tmp = part.path.with_name(f".{part.path.name}.tmp")
        pq.write_table(
            kept,
            tmp,
            compression=compression,
            write_statistics=statistics_columns(kept.schema),
            use_dictionary=dictionary_columns(kept.schema, DISTINCT_COLUMNS["index"]),
        )
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, part.path)
        out.append(PartFile(part.path, kept.num_rows, file_sha256(part.path)))
    return out


def count_rows(index: list[PartFile], excluded: list[PartFile]) -> RowCounts:
    """The manifest's row counts, read back from the part files (a column or two each)."""
    counts = RowCounts()
    for part in index:
        licenses = pq.read_table(part.path, columns=["license"]).column("license").to_pylist()
        for license in licenses:
            counts.add_kept(license)
    for part in excluded:
        table = pq.read_table(part.path, columns=["kind", "reasons"])
        for kind, reasons in zip(
            table.column("kind").to_pylist(), table.column("reasons").to_pylist(), strict=True
        ):
            counts.add_excluded(reasons or [], page=kind == "page")
    return counts
