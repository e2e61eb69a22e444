"""Old vs new reading of the corpus's real robots.txt files (issue 9 figures).

Old: protego 0.7 directly, as the crawl read robots.txt before issue 9 (``Protego.parse`` and
``can_fetch`` per token). New: ``crawler.consent.robotstxt`` through ``robots_from_fetch``.
Both read the same decoded text, so the comparison is about grouping and matching only.

    python -m bench.robots_diff [CORPUS_ROBOTS_DIR] [--json]

Prints: files read, files whose verdict changed for our token or any AI token on any of
``PATHS``, how many of them have the group-splitting shape (a ``user-agent`` line after a
non-rule record such as ``Crawl-delay`` that follows a ``user-agent`` line), and examples.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from protego import Protego

from crawler import settings
from crawler.consent.robots import robots_from_fetch
from crawler.consent.text import decode_text

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "robots"
PATHS = ("/", "/images/photo.jpg", "/wp-content/uploads/2024/01/a.png", "/search?q=x", "/api/")
ORIGIN = "https://example.test"
NOT_ROBOTS = {"PROVENANCE.md", "index.tsv", "robots.json", "ai-user-agents-list.txt"}

_UA = re.compile(r"\s*user[- ]?agent\s*:", re.I)
_RULE = re.compile(r"\s*(allow|disallow)\s*:", re.I)
_OTHER = re.compile(r"\s*[A-Za-z][A-Za-z0-9_\-]*\s*:", re.I)


@dataclass(slots=True)
class Change:
    file: str
    token: str
    path: str
    old: bool  # allowed by the old reading
    new: bool


@dataclass(slots=True)
class Report:
    files: int = 0
    changed_files: int = 0
    changed_ours: int = 0
    changed_ai: int = 0
    now_refused: int = 0  # files where some verdict went allow -> disallow
    now_allowed: int = 0  # files where some verdict went disallow -> allow
    split_shape: int = 0
    split_shape_changed: int = 0
    changes: list[Change] = field(default_factory=list)


def split_shape(text: str) -> bool:
    """A user-agent line that follows a non-rule record inside a run of user-agent lines."""
    state = "none"  # none | agents | agents+other | rules
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        if not line.strip():
            continue
        if _UA.match(line):
            if state == "agents+other":
                return True
            state = "agents" if state != "agents+other" else state
        elif _RULE.match(line):
            state = "rules"
        elif _OTHER.match(line) and state == "agents":
            state = "agents+other"
    return False


def compare(text: str, tokens: list[str]) -> list[tuple[str, str, bool, bool]]:
    old = Protego.parse(text)
    new = robots_from_fetch(ORIGIN, 200, text.encode("utf-8"))
    out = []
    for token in tokens:
        for path in PATHS:
            url = ORIGIN + path
            before, after = old.can_fetch(url, token), new.allowed(url, token)
            if before != after:
                out.append((token, path, before, after))
    return out


def run(folder: Path) -> Report:
    ours = settings.ROBOTSTXT_USER_AGENT
    tokens = [ours, *settings.AI_TOKENS]
    report = Report()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in NOT_ROBOTS):
        text = decode_text(path.read_bytes())
        report.files += 1
        shape = split_shape(text)
        report.split_shape += shape
        changes = compare(text, tokens)
        if not changes:
            continue
        name = str(path.relative_to(folder))
        report.changed_files += 1
        report.split_shape_changed += shape
        report.changed_ours += any(t == ours for t, *_ in changes)
        report.changed_ai += any(t != ours for t, *_ in changes)
        report.now_refused += any(old and not new for _, _, old, new in changes)
        report.now_allowed += any(new and not old for _, _, old, new in changes)
        report.changes += [Change(name, *c) for c in changes]
    return report


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    folder = Path(args[0]) if args else CORPUS
    if not folder.is_dir():
        print(f"no corpus at {folder}", file=sys.stderr)
        return 2
    report = run(folder)
    if "--json" in argv:
        print(json.dumps(asdict(report), indent=1))
        return 0
    print(f"robots.txt files read:               {report.files}")
    print(f"  with the group-splitting shape:    {report.split_shape}")
    print(f"files with any changed verdict:      {report.changed_files}")
    print(f"  for our token:                     {report.changed_ours}")
    print(f"  for an AI token:                   {report.changed_ai}")
    print(f"  some verdict allow -> disallow:    {report.now_refused}")
    print(f"  some verdict disallow -> allow:    {report.now_allowed}")
    print(f"  of them group-splitting shape:     {report.split_shape_changed}")
    by_file: dict[str, list[Change]] = {}
    for change in report.changes:
        by_file.setdefault(change.file, []).append(change)
    for name, changes in by_file.items():
        summary = ", ".join(
            f"{c.token} {c.path} {'allow' if c.old else 'disallow'}->"
            f"{'allow' if c.new else 'disallow'}"
            for c in changes[:6]
        )
        more = f" (+{len(changes) - 6})" if len(changes) > 6 else ""
        print(f"  {name}: {summary}{more}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
