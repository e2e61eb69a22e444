"""Compare a replay's output with the original's, row by row and order-independently (pure).

Rows are compared as whole records (every column) except ``fetched_at``: part files are not
byte-identical (rows land in parts in the order the run produced them, and concurrency decides
that order), so the comparison is on the multiset of rows. ``fetched_at`` is reported apart:
fetched pages and documents carry their recorded WARC-Date and match exactly; rows decided
without any request (a seed out of scope, a regenerated row with no page) carry the clock's
reading when decided, which a replay cannot reproduce.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

__all__ = ["DATASETS", "Comparison", "compare_outputs"]

DATASETS = ("index", "excluded", "consent")
UNCOMPARED = ("fetched_at",)


def _rows(directory: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for part in sorted(directory.glob("*.parquet")) if directory.is_dir() else []:
        rows.extend(pq.read_table(part).to_pylist())
    return rows


def _canonical(row: dict[str, Any]) -> str:
    return json.dumps(
        {k: v for k, v in row.items() if k not in UNCOMPARED}, sort_keys=True, default=str
    )


def _identity(dataset: str, row: dict[str, Any]) -> tuple[Any, ...]:
    if dataset == "consent":
        return (row.get("kind"), row.get("url"))
    return (row.get("kind", "image"), row.get("url"), row.get("page_url"))


@dataclass(slots=True)
class Comparison:
    only_original: dict[str, list[str]] = field(default_factory=dict)
    only_replay: dict[str, list[str]] = field(default_factory=dict)
    reasons_differ: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    fetched_at_differs: int = 0

    @property
    def identical(self) -> bool:
        return not any(self.only_original.values()) and not any(self.only_replay.values())

    def report(self, limit: int = 10) -> str:
        counts = ", ".join(f"{name} {n}" for name, n in self.rows.items())
        if self.identical:
            lines = [f"identical ({counts} rows; fetched_at differs on {self.fetched_at_differs})"]
            return "\n".join(lines)
        lines = [f"DIFFERENT (original: {counts} rows)"]
        if self.reasons_differ:
            lines.append(f"rows whose reasons differ: {len(self.reasons_differ)}")
            lines += [f"  {line}" for line in self.reasons_differ[:limit]]
        for side, table in (("original", self.only_original), ("replay", self.only_replay)):
            for dataset, rows in table.items():
                if rows:
                    lines.append(f"{dataset}: {len(rows)} rows only in the {side}")
                    lines += [f"  {row[:300]}" for row in rows[:limit]]
        return "\n".join(lines)


def _reasons(dataset: str, row: dict[str, Any]) -> list[str]:
    return [] if dataset == "index" else list(row.get("reasons") or [])


def compare_outputs(original: Path, replay: Path) -> Comparison:
    """Compare index/, excluded/ and consent/ of two output directories."""
    result = Comparison()
    image_reasons: dict[str, dict[tuple[Any, ...], list[str]]] = {"original": {}, "replay": {}}
    fetched: dict[str, Counter[str]] = {"original": Counter(), "replay": Counter()}
    for dataset in DATASETS:
        left, right = _rows(Path(original) / dataset), _rows(Path(replay) / dataset)
        result.rows[dataset] = len(left)
        a = Counter(_canonical(r) for r in left)
        b = Counter(_canonical(r) for r in right)
        result.only_original[dataset] = sorted((a - b).elements())
        result.only_replay[dataset] = sorted((b - a).elements())
        for side, rows in (("original", left), ("replay", right)):
            for row in rows:
                fetched[side][_canonical(row) + "|" + str(row.get("fetched_at"))] += 1
                if dataset != "consent":
                    image_reasons[side][_identity(dataset, row)] = _reasons(dataset, row)
    result.fetched_at_differs = sum((fetched["original"] - fetched["replay"]).values())
    before, after = image_reasons["original"], image_reasons["replay"]
    for key in sorted(set(before) & set(after), key=str):
        if sorted(before[key]) != sorted(after[key]):
            kind, url, page = key
            result.reasons_differ.append(
                f"{kind} {url} (page {page}): {before[key] or ['kept']} -> {after[key] or ['kept']}"
            )
    return result
