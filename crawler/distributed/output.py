"""Per-worker outputs in a shared INDEX_DIR, and ``merge`` of many workers' outputs (no Scrapy).

A worker writes ``index/part-<worker>-NNNNN.parquet`` (likewise ``excluded/`` and ``consent/``)
and its manifest to ``manifests/<worker>.json``; it never clears the directory, and a worker
restarted under the same id continues its numbering instead of overwriting its earlier parts.
``merge_index_dirs`` writes one ``manifest.json`` over all parts of one or more such
directories (files of other directories are copied in, never moved or deleted).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq

from crawler.distributed import worker_id_of
from crawler.distributed.docstore import doc_key
from crawler.output.indexdir import MANIFEST, OUTPUT_SUBDIRS
from crawler.output.manifest import write_manifest
from crawler.output.shards import file_sha256

if TYPE_CHECKING:
    from crawler.records import ExcludedPage, PageItem

MANIFESTS = "manifests"

logger = logging.getLogger(__name__)


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


class ClaimAcks:
    """What a distributed worker's next flush makes durable: the claims of the items whose rows
    it holds and the consent documents whose bodies it holds. ``commit()`` after the flush
    acknowledges them in Redis, so that a worker killed later is not redone for them (no row
    written twice), while what it had not flushed is redone by another worker (no row lost).

    The remaining window is between the renames of the part files and the acknowledgement (one
    Redis round trip): a kill exactly there redoes pages whose rows are on disk.
    """

    def __init__(self, frontier: Any) -> None:
        self.frontier = frontier
        self.claims: list[str] = []
        self.documents: list[str] = []

    @classmethod
    def of(cls, settings: Any) -> ClaimAcks | None:
        """For a distributed crawl worker (REDIS_URL set), else None."""
        from crawler.distributed.connection import distributed_of

        dist = distributed_of(settings)
        return cls(dist.frontier()) if dist is not None else None

    def add_item(self, item: PageItem | ExcludedPage) -> None:
        claim = item.frontier_claim
        if claim:
            self.claims.append(claim)

    def add_documents(self, documents: list[Any]) -> None:
        self.documents.extend(doc_key(self.frontier.p, d.kind, d.url) for d in documents)

    def commit(self) -> bool:
        """Acknowledge what was added since the last commit (call once it is on disk)."""
        from redis.exceptions import RedisError

        if not self.claims and not self.documents:
            return True
        try:
            self.frontier.ack(self.claims, self.documents)
        except RedisError as exc:
            # Kept for the next flush; if Redis never answers, the crawl ends as
            # redis_unreachable and says the data may be incomplete.
            logger.warning("could not acknowledge %d requests in Redis: %s", len(self.claims), exc)
            return False
        self.claims, self.documents = [], []
        return True


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


_WORKER_PART = re.compile(r"part-(.+)-\d{5,}\.parquet$")


def _part_workers(root: Path) -> set[str]:
    """Worker ids named by crawl part files (``part-<worker>-NNNNN.parquet``)."""
    return {
        m.group(1)
        for sub in OUTPUT_SUBDIRS
        for path in (root / sub).glob("part-*.parquet")
        if (m := _WORKER_PART.match(path.name))
    }


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
    # A worker killed (SIGKILL, machine lost) wrote no manifest, but its flushed parts hold rows
    # whose requests it acknowledged (no other worker redid them): listed as a run with no end.
    with_run = {r["worker"] for r in runs}
    for worker in sorted(_part_workers(target) - with_run):
        runs.append(
            {
                "manifest": None,
                "worker": worker,
                "started_at": None,
                "finished_at": None,
                "finish_reason": None,
                "counts": {},
            }
        )
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
