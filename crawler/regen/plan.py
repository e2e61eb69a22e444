"""What one ``scrapy regenerate`` run will do, settled before any request (pure).

The command builds the plan in its preflight (inputs found and readable, columns detected,
hashes and row counts measured) and hands the object to the spider, so nothing is read twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler.output.shards import FAMILY_COLUMN_NAMES
from crawler.regen.inputs import Columns, InputFile, batch_count, detect_columns, discover, measure

__all__ = ["OUR_COLUMNS", "RegenPlan", "build_plan"]

# The columns regeneration adds (with the registry's family columns); renamed
# consentcrawl_<name> when the input has one already.
OUR_COLUMNS = ("consent", "license", "reasons", *FAMILY_COLUMN_NAMES)


@dataclass(slots=True)
class RegenPlan:
    inputs: list[InputFile]
    columns: Columns
    outdir: Path
    batch_rows: int
    resume: bool = False
    fetch_pages: bool = False
    out_names: dict[str, str] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(inp.rows or 0 for inp in self.inputs)

    @property
    def total_batches(self) -> int:
        return batch_count(self.inputs, self.batch_rows)

    @property
    def renamed(self) -> dict[str, str]:
        return {k: v for k, v in self.out_names.items() if k != v}

    def input_name(self, index: int) -> str:
        return str(self.inputs[index].path)

    def fingerprint(self) -> dict[str, Any]:
        """What must not change between a run and its ``--resume``."""
        return {
            "inputs": [[str(i.path), i.sha256, i.rows] for i in self.inputs],
            "batch_rows": self.batch_rows,
            "columns": [self.columns.url, self.columns.caption, self.columns.page],
            "fetch_pages": self.fetch_pages,
        }


def output_names(input_columns: Sequence[str]) -> dict[str, str]:
    names = set(input_columns)
    return {c: (f"consentcrawl_{c}" if c in names else c) for c in OUR_COLUMNS}


def build_plan(
    args: Sequence[str],
    outdir: str | Path,
    *,
    batch_rows: int = 10_000,
    url_col: str | None = None,
    caption_col: str | None = None,
    page_col: str | None = None,
    resume: bool = False,
    fetch_pages: bool = False,
    measure_inputs: bool = True,
) -> RegenPlan:
    """Raise InputError (with the columns found) when the inputs cannot be regenerated."""
    inputs = discover(args)
    columns = detect_columns(inputs[0].columns, url_col, caption_col, page_col)
    if measure_inputs:
        for inp in inputs:
            measure(inp)
    return RegenPlan(
        inputs=inputs,
        columns=columns,
        outdir=Path(outdir),
        batch_rows=max(1, int(batch_rows)),
        resume=resume,
        fetch_pages=fetch_pages and columns.page is not None,
        out_names=output_names(inputs[0].columns),
    )
