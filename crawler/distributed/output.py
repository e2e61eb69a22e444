"""Per-worker outputs in a shared INDEX_DIR, and ``merge`` of many workers' outputs (no Scrapy).

A worker writes ``index/part-<worker>-NNNNN.parquet`` (likewise ``excluded/`` and ``consent/``)
and its manifest to ``manifests/<worker>.json``; it never clears the directory, and a worker
restarted under the same id continues its numbering instead of overwriting its earlier parts.
``merge_index_dirs`` writes one ``manifest.json`` over all parts of one or more such
directories (files of other directories are copied in, never moved or deleted).
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from crawler.distributed import worker_id_of
from crawler.output.indexdir import MANIFEST, OUTPUT_SUBDIRS
from crawler.output.manifest import write_manifest
from crawler.output.shards import file_sha256

MANIFESTS = "manifests"


def next_part_number(directory: Path, prefix: str) -> int:
    pattern = re.compile(re.escape(prefix) + r"(\d+)\.parquet$")
    numbers = [
        int(m.group(1))
        for p in directory.glob(f"{prefix}*.parquet")
        if (m := pattern.match(p.name))
    ]
    return max(numbers, default=-1) + 1


@dataclass(frozen=True, slots=True)
class WorkerOutput:
    worker: str

    @classmethod
    def of(cls, settings: Any) -> WorkerOutput | None:
        """Per-worker output when REDIS_URL is set, else None (one process owns INDEX_DIR)."""
        if not (settings.get("REDIS_URL") or "").strip():
            return None
        return cls(worker_id_of(settings.get("WORKER_ID")))

    @property
    def part_prefix(self) -> str:
        return f"part-{self.worker}-"

    def name_parts(self, *writers: Any) -> None:
        """Name each ShardWriter's parts by worker, after any this worker wrote before."""
        for writer in writers:
            writer.name_prefix = self.part_prefix
            writer._next_part = next_part_number(writer.directory, self.part_prefix)

    def manifest_path(self, root: Path) -> Path:
        directory = root / MANIFESTS
        directory.mkdir(parents=True, exist_ok=True)
        number = len(list(directory.glob(f"{self.worker}*.json")))
        suffix = f".{number}" if number else ""
        return directory / f"{self.worker}{suffix}.json"


def _sum_counts(total: dict[str, Any], counts: dict[str, Any]) -> None:
    for key, value in counts.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            total[key] = total.get(key, 0) + value
        elif isinstance(value, dict):
            sub = total.setdefault(key, {})
            if isinstance(sub, dict):
                _sum_counts(sub, value)


def merge_index_dirs(target: Path, sources: list[Path]) -> dict[str, Any]:
    """One manifest over every part under ``target`` and ``sources`` (copied into ``target``).

    Counts are recomputed from the part files themselves (rows per dataset), and the workers'
    own counters are summed beside them; each run (worker manifest) is listed.
    """
    target.mkdir(parents=True, exist_ok=True)
    for source in sources:
        if source.resolve() == target.resolve():
            continue
        for sub in (*OUTPUT_SUBDIRS, MANIFESTS):
            for path in sorted((source / sub).glob("*")):
                if path.name.startswith("."):
                    continue  # a part still being written
                dest = target / sub / path.name
                if dest.exists():
                    if file_sha256(dest) == file_sha256(path):
                        continue
                    raise FileExistsError(f"{dest} exists with other content than {path}")
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dest)
    parts: dict[str, list[dict[str, Any]]] = {}
    rows: Counter[str] = Counter()
    for sub in OUTPUT_SUBDIRS:
        records = []
        for path in sorted((target / sub).glob("*.parquet")):
            count = pq.ParquetFile(path).metadata.num_rows
            rows[sub] += count
            records.append(
                {"path": f"{sub}/{path.name}", "rows": count, "sha256": file_sha256(path)}
            )
        parts[sub] = records
    runs = []
    worker_counts: dict[str, Any] = {}
    for path in sorted((target / MANIFESTS).glob("*.json")):
        run = json.loads(path.read_text())
        runs.append(
            {
                "manifest": f"{MANIFESTS}/{path.name}",
                "worker": path.stem.split(".")[0],
                "started_at": run.get("started_at"),
                "finished_at": run.get("finished_at"),
                "finish_reason": run.get("finish_reason") or run.get("reason"),
                "counts": run.get("counts", {}),
            }
        )
        _sum_counts(worker_counts, run.get("counts", {}))
    first = json.loads(sorted((target / MANIFESTS).glob("*.json"))[0].read_text()) if runs else {}
    manifest = {
        **{k: v for k, v in first.items() if k not in ("counts", "parts")},
        "merged_at": datetime.now(UTC).isoformat(),
        "merged_from": [str(s) for s in sources],
        "runs": runs,
        "counts": {
            **worker_counts,
            "rows": {"index": rows["index"], "excluded": rows["excluded"]},
            "consent_documents_stored": rows["consent"],
        },
        "parts": parts,
    }
    write_manifest(target / MANIFEST, manifest)
    return manifest
