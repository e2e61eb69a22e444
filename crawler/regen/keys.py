"""Row keys for ``removed_keys.parquet``: what a holder of a copy needs to drop the same rows.

Re-LAION published its removals as keys to diff against, not as a list to re-check. Each
removed row is named by the input's own key column when it has one (``SAMPLE_ID``, ``key``,
``uid``), and always by its input file (as given, and as an absolute path), its row number in
that file and the sha256 of its URL, so the diff works on copies that lost or renamed the key
column too, and can be joined from any directory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

__all__ = ["removed_keys_schema", "removed_keys_table", "url_sha256"]


def url_sha256(url: Any) -> str | None:
    """sha256 (hex) of the URL's UTF-8 bytes; None for a missing or non-text URL."""
    if not isinstance(url, str):
        return None
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def removed_keys_schema(key_field: pa.Field | None) -> pa.Schema:
    fields = [
        pa.field("input", pa.string()),  # the input path as given
        pa.field("input_absolute", pa.string()),  # and absolute: joinable from any directory
        pa.field("row", pa.int64()),
        pa.field("url_sha256", pa.string()),
        pa.field("reasons", pa.list_(pa.string())),
    ]
    if key_field is not None:
        fields.insert(0, key_field)
    return pa.schema(fields)


def removed_keys_table(
    batch: pa.RecordBatch,
    indices: Sequence[int],
    *,
    url_column: str,
    key_column: str | None,
    input_name: str,
    first_row: int,
    reasons: Sequence[list[str]] | pa.Array,
) -> pa.Table:
    """The keys of ``batch``'s rows at ``indices`` (``reasons`` aligned with ``indices``, as
    lists or as the ``list<string>`` array the excluded part was written with)."""
    n = len(indices)
    idx = pa.array(indices, type=pa.int64())
    urls = batch.column(url_column).take(idx).to_pylist() if n else []
    key_field = batch.schema.field(key_column) if key_column else None
    sha256 = hashlib.sha256  # url_sha256, inlined: ~140,000 rows a 200,000-row batch path run
    hashes = [
        sha256(u.encode("utf-8", "surrogatepass")).hexdigest() if isinstance(u, str) else None
        for u in urls
    ]
    if not isinstance(reasons, pa.Array):
        reasons = pa.array(list(reasons), type=pa.list_(pa.string()))
    columns: list[pa.Array] = [
        pa.repeat(pa.scalar(input_name, pa.string()), n),
        pa.repeat(pa.scalar(str(Path(input_name).resolve()), pa.string()), n),
        pa.array(np.asarray(indices, dtype=np.int64) + first_row, type=pa.int64()),
        pa.array(hashes, type=pa.string()),
        reasons,
    ]
    if key_column:
        columns.insert(0, batch.column(key_column).take(idx))
    return pa.Table.from_arrays(columns, schema=removed_keys_schema(key_field))
