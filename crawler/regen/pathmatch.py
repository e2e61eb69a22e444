"""Which robots-style patterns match which rows, a column at a time (issue 16).

A robots.txt verdict for a URL depends on its path only through which of the file's rules match
it (RFC 9309 §2.2.2: the longest match wins, allow on a tie). So rows of one origin whose paths
match the same subset of the origin's patterns get the same verdict, for every token: the batch
path evaluates the verdict once per (origin, subset) with the scalar evaluator, and finds the
subsets here, one pattern at a time over every row that needs it:

- ``normalized_paths``: ``normalize_path`` of every URL, read from the column for URLs whose path
  needs no encoding (no ``%``, ``*``, ``$``, spaces, non-ASCII...), else ``normalize_path`` itself;
- ``match_sets``: per row, a bit set of the patterns (of its own origin) that match its path;
  a pattern needed by enough rows is matched with RE2 over their paths
  (``pyarrow.compute.match_substring_regex`` on ``PathPattern.regex()``: linear time), the rest
  with ``PathPattern.matches``.

No Scrapy imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crawler.consent.patterns import PathPattern, normalize_path

__all__ = ["match_sets", "normalized_paths"]

# An http(s) URL whose path and query are made of RFC 3986 characters that normalize_path leaves
# as they are (crawler/consent/patterns.py _URL_SAFE: no "%", "*", "$"), then maybe a fragment.
_CLEAN = (
    r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/?#\s]*"
    r"(?P<path>(?:[/?][A-Za-z0-9\-._~:/?\[\]@!&'()+,;=]*)?)(?:#[!-~]*)?$"
)
# Below this many rows a pattern is matched in Python (a kernel call costs more).
VECTOR_MIN_ROWS = 32


def normalized_paths(urls: Sequence[Any] | pa.Array) -> pa.Array:
    """``normalize_path(url)`` of every URL as a string array (``""``: a non-string value, as
    the item path reads it). ``urls``: Python values, or a string array of them."""
    if isinstance(urls, pa.Array):
        column = urls.fill_null("")
    else:
        column = pa.array([u if isinstance(u, str) else "" for u in urls], pa.string())
    found = pc.struct_field(pc.extract_regex(column, _CLEAN), [0])
    # "" or "?query": normalize_path prepends the slash.
    found = pc.if_else(
        pc.starts_with(found, "/"), found, pc.binary_join_element_wise("/", found, "")
    )
    odd = pc.indices_nonzero(pc.is_null(found)).to_pylist()
    if not odd:
        return found
    values = found.to_pylist()
    texts = column.take(pa.array(odd, pa.int64())).to_pylist()
    for row, text in zip(odd, texts, strict=True):
        values[row] = normalize_path(text)
    return pa.array(values, pa.string())


def match_sets(
    paths: Sequence[str] | pa.Array,
    groups: Mapping[Any, Sequence[int]],
    patterns: Mapping[Any, Mapping[str, PathPattern] | Iterable[PathPattern]],
) -> list[int]:
    """Per row (position in ``paths``), the bits of the patterns that match its path, among the
    patterns of its group: ``groups`` maps a group (an origin) to its rows, ``patterns`` maps it
    to its patterns (or to ``{pattern.normalized: pattern}``, already distinct). Bit ``k`` is
    the group's ``k``-th distinct pattern, so a row's set means the same in every call with the
    same patterns for its group: two rows of one group have the same set exactly when the same
    patterns of their group match them."""
    # Each distinct pattern is matched once over the rows of every group that has it.
    by_pattern: dict[str, tuple[PathPattern, list[tuple[Any, int]]]] = {}
    widest = 0
    for group in groups:
        mine = patterns[group]
        if not isinstance(mine, Mapping):
            mine = {p.normalized: p for p in mine}
        widest = max(widest, len(mine))
        for bit, (key, pattern) in enumerate(mine.items()):
            found = by_pattern.get(key)
            if found is None:
                by_pattern[key] = (pattern, [(group, bit)])
            else:
                found[1].append((group, bit))
    if widest < 64:
        # Exact bit sets in one uint64 per row, or-ed with numpy (nearly every robots.txt,
        # ai.txt and tdmrep.json of an origin have fewer than 64 distinct patterns together).
        words = np.zeros(len(paths), dtype=np.uint64)
        for rows, flags in _matches(paths, groups, by_pattern):
            words[rows] |= flags
        return words.tolist()
    sets = [0] * len(paths)
    for rows, flags in _matches(paths, groups, by_pattern):
        for row, flag in zip(rows.tolist(), flags.tolist(), strict=True):
            sets[row] |= flag
    return sets


def _matches(
    paths: Sequence[str] | pa.Array,
    groups: Mapping[Any, Sequence[int]],
    by_pattern: Mapping[str, tuple[PathPattern, list[tuple[Any, int]]]],
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Per distinct pattern: the rows (of its groups) whose path it matches, and each such
    row's flag (its group's bit for the pattern; object integers from bit 64 on)."""
    column: pa.Array | None = paths if isinstance(paths, pa.Array) else None
    texts: Sequence[str] | None = None if column is not None else paths
    for pattern, owners in by_pattern.values():
        rows: list[int] = []
        bits: list[int] = []
        for group, bit in owners:
            mine = groups[group]
            rows.extend(mine)
            bits.extend([bit] * len(mine))
        taken = np.asarray(rows, dtype=np.int64)
        if len(rows) >= VECTOR_MIN_ROWS:
            if column is None:
                column = pa.array(paths, pa.string())
            hit = pc.match_substring_regex(pc.take(column, pa.array(taken)), pattern.regex())
            keep = np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)
        else:
            if texts is None:
                texts = paths.to_pylist()  # type: ignore[union-attr]
            keep = np.asarray([pattern.matches(texts[row]) for row in rows], dtype=bool)
        kept_bits = np.asarray(bits, dtype=np.int64)[keep]
        if kept_bits.size and int(kept_bits.max()) >= 64:
            flags = np.asarray([1 << int(b) for b in kept_bits], dtype=object)
        else:
            flags = np.left_shift(np.uint64(1), kept_bits.astype(np.uint64))
        yield taken[keep], flags
