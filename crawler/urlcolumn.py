"""Per-URL functions of an Arrow URL column, computed once per distinct scheme://authority.

Many functions of a URL read only its scheme and authority (its origin, its host name); a
column of millions of URLs has a few thousand of those. For URLs of a plain shape (http(s), an
authority of plain ASCII with no userinfo, IPv6 brackets or "%", then a path of printable ASCII)
``urlsplit`` reads the netloc only up to the first "/", "?" or "#", so
``fn(url) == fn(prefix + "/")``: ``by_authority`` calls ``fn`` once per distinct prefix and any
other value goes through ``fn`` itself. The answer stays ``fn``'s (no second URL parser).
``authority_codes`` gives the same answers as integer codes into a list of answers, for callers
that count or group rows with numpy rather than read an answer per row.

Used by the regeneration batch path (origins) and the report's summary (hosts). No Scrapy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["authority_codes", "bounded_memo", "by_authority"]

T = TypeVar("T")

_PLAIN_URL = r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.:_~!$&'()*+,;=-]+(?:[/?#][!-~]*)?$"
_PREFIX = r"^(?P<prefix>[^/?#]*//[^/?#]*)"
_MAX_PLAIN = 2048  # longer values take the slow way (fn's own length limits apply)


def by_authority(
    column: pa.Array | pa.ChunkedArray, fn: Callable[[Any], T]
) -> tuple[list[Any], list[T]]:
    """(values, results) of a URL column: ``values`` as Python objects, ``results`` as
    ``fn(value)`` for each, where ``fn`` must read only the URL's scheme and authority."""
    values = column.to_pylist()
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], pa.string())
    if not _is_text(column):
        return values, [fn(v) for v in values]
    plain, encoded = _plain_prefixes(column)
    by_prefix = [fn(p + "/") for p in encoded.dictionary.to_pylist()]
    index = encoded.indices.to_pylist()
    results: list[Any] = [None if i is None else by_prefix[i] for i in index]
    for i in pc.indices_nonzero(pc.invert(plain)).to_pylist():
        results[i] = fn(values[i])
    return values, results


def authority_codes(
    column: pa.Array | pa.ChunkedArray, fn: Callable[[Any], T]
) -> tuple[np.ndarray, list[T]]:
    """(codes, labels) of a URL column: ``fn(value)`` of row ``i`` is ``labels[codes[i]]``, with
    no Python object per row. ``fn`` (reading only the URL's scheme and authority, as for
    ``by_authority``) is called once per distinct plain prefix and once per distinct other value
    (null included); equal codes have equal labels, equal labels may have several codes.

    A dictionary-encoded column is read per dictionary value: callers encode a column whose
    values repeat (pages) so that the regular expressions run over its distinct values only."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], pa.string())
    if pa.types.is_dictionary(column.type) and _is_text(column.dictionary):
        of_value, labels = authority_codes(column.dictionary, fn)
        nulls = column.indices.is_null()
        rows = _numpy(column.indices.fill_null(0))
        codes = of_value[rows] if len(of_value) else np.zeros(len(rows), dtype=np.int64)
        if nulls.true_count:
            codes[_numpy(pc.indices_nonzero(nulls))] = len(labels)
            labels.append(fn(None))
        return codes, labels
    if not _is_text(column):
        values = column.to_pylist()
        return np.arange(len(values), dtype=np.int64), [fn(v) for v in values]
    plain, encoded = _plain_prefixes(column)
    labels = [fn(p + "/") for p in encoded.dictionary.to_pylist()]
    codes = _numpy(encoded.indices.fill_null(0))
    odd = _numpy(pc.indices_nonzero(pc.invert(plain)))
    if len(odd):
        others = column.take(odd).dictionary_encode(null_encoding="encode")
        codes[odd] = len(labels) + _numpy(others.indices)
        labels.extend(fn(v) for v in others.dictionary.to_pylist())
    return codes, labels


def _is_text(column: pa.Array) -> bool:
    return bool(pa.types.is_string(column.type) or pa.types.is_large_string(column.type))


def _plain_prefixes(column: pa.Array) -> tuple[pa.Array, pa.DictionaryArray]:
    """(plain, prefixes): whether each value has the plain shape, and its scheme://authority
    dictionary-encoded (null where not plain)."""
    plain = pc.and_(
        pc.match_substring_regex(column, _PLAIN_URL),
        pc.less_equal(pc.utf8_length(column), _MAX_PLAIN),
    ).fill_null(False)
    prefixes = pc.struct_field(pc.extract_regex(column, _PREFIX), [0])
    prefixes = pc.if_else(plain, prefixes, pa.scalar(None, prefixes.type))
    return plain, prefixes.dictionary_encode()


def _numpy(ints: pa.Array) -> np.ndarray:
    """A null-free Arrow integer array as a writable int64 numpy array."""
    return np.array(ints.to_numpy(zero_copy_only=False), dtype=np.int64)


def bounded_memo(fn: Callable[[str], T], limit: int = 1 << 18) -> Callable[[Any], T]:
    """``fn`` remembered per string argument (other values are passed through), forgetting
    everything when ``limit`` answers are held: for pure functions of a URL's scheme and
    authority, which a regeneration asks about again in every batch."""
    memo: dict[str, T] = {}

    def remembered(value: Any) -> T:
        if not isinstance(value, str):
            return fn(value)
        found = memo.get(value, _MISSING)
        if found is _MISSING:
            if len(memo) >= limit:
                memo.clear()
            found = memo[value] = fn(value)
        return found

    return remembered


_MISSING: Any = object()
