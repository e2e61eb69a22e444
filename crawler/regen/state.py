"""Resume state: which batches are on disk, with their part files and counts.

One JSON file in OUTDIR, rewritten atomically (tmp + fsync + rename) *after* a batch's part
files were renamed into place. A killed run therefore leaves either a batch recorded with all
its parts, or a batch not recorded (whose stray parts ``--resume`` deletes before redoing it):
no row is lost or written twice. The fingerprint (input hashes, batch size, columns) makes
``--resume`` refuse to continue a run over different inputs.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["STATE_FILE", "RegenState", "StateError"]

STATE_FILE = "regen-state.json"


class StateError(ValueError):
    """The state file does not belong to this run (or cannot be read)."""


@dataclass(slots=True)
class RegenState:
    path: Path
    fingerprint: dict[str, Any]
    batches: dict[int, dict[str, Any]] = field(default_factory=dict)
    consent_parts: list[dict[str, Any]] = field(default_factory=list)
    runs: int = 1

    @classmethod
    def start(cls, outdir: Path, fingerprint: dict[str, Any]) -> RegenState:
        return cls(Path(outdir) / STATE_FILE, fingerprint)

    @classmethod
    def load(cls, outdir: Path, fingerprint: dict[str, Any]) -> RegenState:
        """The state of an earlier run over the same inputs (a new one if there is none)."""
        path = Path(outdir) / STATE_FILE
        if not path.exists():
            return cls(path, fingerprint)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StateError(f"cannot read {path}: {exc}") from None
        if data.get("fingerprint") != fingerprint:
            raise StateError(
                f"{path} was written for other inputs or settings (input sha256, batch size or "
                "columns differ); --resume continues only the same run: use a new OUTDIR"
            )
        return cls(
            path,
            fingerprint,
            {int(k): v for k, v in data.get("batches", {}).items()},
            list(data.get("consent_parts", [])),
            int(data.get("runs", 0)) + 1,
        )

    @property
    def done(self) -> set[int]:
        return set(self.batches)

    def complete(self, batch: int, record: dict[str, Any]) -> None:
        """Record one batch as written (its parts are already in place) and persist."""
        self.batches[batch] = record
        self.save()

    def parts(self, kind: str) -> list[dict[str, Any]]:
        """Every recorded part of ``kind`` (index, excluded, removed), in batch order."""
        out = []
        for number in sorted(self.batches):
            part = self.batches[number].get("parts", {}).get(kind)
            if part:
                out.append(part)
        return out

    def save(self) -> None:
        data = {
            "fingerprint": self.fingerprint,
            "runs": self.runs,
            "batches": {str(k): v for k, v in sorted(self.batches.items())},
            "consent_parts": self.consent_parts,
        }
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(data, fh, separators=(",", ":"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
