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

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

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


def normalized_paths(urls: Sequence[Any]) -> list[str]:
    """``normalize_path(url)`` of every URL (``""``: a non-string value, as the item path reads
    it)."""
    texts = [u if isinstance(u, str) else "" for u in urls]
    found = pc.struct_field(pc.extract_regex(pa.array(texts, pa.string()), _CLEAN), [0])
    out: list[str] = []
    for text, path in zip(texts, found.to_pylist(), strict=True):
        if path is None:
            out.append(normalize_path(text))
        elif path.startswith("/"):
            out.append(path)
        else:
            out.append("/" + path)  # "" or "?query": normalize_path prepends the slash
    return out


def match_sets(
    paths: Sequence[str],
    groups: Mapping[Any, Sequence[int]],
    patterns: Mapping[Any, Iterable[PathPattern]],
) -> list[int]:
    """Per row (position in ``paths``), the bits of the patterns that match its path, among the
    patterns of its group: ``groups`` maps a group (an origin) to its rows, ``patterns`` maps it
    to its patterns. Bit ``k`` is the ``k``-th distinct pattern of the call: two rows of one
    group have the same set exactly when the same patterns of their group match them."""
    by_pattern: dict[PathPattern, list[Any]] = {}
    for group in groups:
        for pattern in dict.fromkeys(patterns[group]):
            by_pattern.setdefault(pattern, []).append(group)
    sets = [0] * len(paths)
    column: pa.Array | None = None
    for bit, (pattern, owners) in enumerate(by_pattern.items()):
        rows = [row for group in owners for row in groups[group]]
        if len(rows) >= VECTOR_MIN_ROWS:
            if column is None:
                column = pa.array(paths, pa.string())
            hit = pc.match_substring_regex(pc.take(column, pa.array(rows)), pattern.regex())
            matched = [rows[k] for k in pc.indices_nonzero(hit).to_pylist()]
        else:
            matched = [row for row in rows if pattern.matches(paths[row])]
        flag = 1 << bit
        for row in matched:
            sets[row] |= flag
    return sets
