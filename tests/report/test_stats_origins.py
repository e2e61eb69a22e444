"""``origin_stats`` (issue 16): UTC times made without pyarrow's per-value zone lookup, field
names looked for before the regular expressions, and Protego's answer remembered per rules (the
lines Protego reads: comments and blank lines dropped). Its figures are those of the previous
implementation, kept here as the reference, on random consent/ parts of several batches."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from protego import Protego

from crawler.output.shards import CONSENT_DOCS_SCHEMA
from crawler.report import stats as S

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TOKENS = ("GPTBot", "CCBot", "Google-Extended")
GROUPS = [
    "User-agent: *\nDisallow: /private/",
    # GPTBot may, every other crawler may not: the answer depends on the tokens a file names
    "User-agent: GPTBot\nAllow: /\n\nUser-agent: *\nDisallow: /",
    "User-agent: *\nDisallow: /",
    "User-agent: GPTBot\nDisallow: /",
    "User-agent: gptbot\nAllow: /\nDisallow: /x",
    "User-agent: CCBot\nUser-agent: Google-Extended\nDisallow: /",
    "User agent: Google-Extended\nDisallow: /  # a comment after a rule",
    "User-agent: Bingbot\nDisallow: /",
    "Sitemap: http://example.test/sitemap.xml",
    "Content-Usage: train-ai=n",
    "content-signal: ai-train=no",
    "  License: https://example.test/license.xml",
    "DisallowAITraining: /",
    "Disallow: /orphan",
]
COMMENTS = [
    "# generated",
    "# GPTBot is welcome here",  # a token named in a comment only
    "# CCBot too",
    "# Content-Usage: train-ai=n",  # a field in a comment: not at the start of a line
    "   # indented comment",
    "",
    "\t",
]
BREAKS = ["\n", "\r\n", "\r", "\x0b", "\x85"]  # str.splitlines breaks (Protego reads str)


def _body(rng: random.Random, template: list[str]) -> bytes | None:
    roll = rng.random()
    if roll < 0.03:
        return None
    if roll < 0.06:
        return b""
    if roll < 0.08:
        return b"\xff\xfeUser-agent: GPTBot\nDisallow: /\n"  # not UTF-8
    lines: list[str] = []
    for group in template:
        lines.extend(rng.sample(COMMENTS, rng.randint(0, 2)))
        lines.extend(group.split("\n"))
    encoding = rng.choice(["utf-8", "utf-8", "latin-1"])
    return rng.choice(BREAKS).join(lines).encode(encoding, "replace")


def _reference(
    root: Path, tokens: tuple[str, ...], examples: int = 5
) -> tuple[S.OriginStats, list[datetime]]:
    """origin_stats before this change."""
    tokens_lower = tuple(t.lower().encode() for t in tokens)
    patterns = [
        ("content-usage", re.compile(rb"^[ \t]*content-usage[ \t]*:", re.I | re.M)),
        ("content-signal", re.compile(rb"^[ \t]*content-signal[ \t]*:", re.I | re.M)),
        ("rsl", re.compile(rb"^[ \t]*license[ \t]*:", re.I | re.M)),
        ("disallow-ai-training", re.compile(rb"^[ \t]*disallowaitraining[ \t]*:", re.I | re.M)),
    ]

    def robots_flags(body: bytes) -> set[str]:
        found = {name for name, pattern in patterns if pattern.search(body)}
        lowered = body.lower()
        named = [t for t, low in zip(tokens, tokens_lower, strict=True) if low in lowered]
        if not named:
            return found
        try:
            rules = Protego.parse(body.decode("utf-8", "replace"))
            if any(not rules.can_fetch("/", token) for token in named):
                found.add("ai-token")
        except Exception:
            pass
        return found

    reachable: set[str] = set()
    seen: dict[str, str] = {}
    flags: dict[str, set[str]] = defaultdict(set)
    times: list[datetime] = []
    wanted = ["origin", "kind", "status", "error", "fetched_at"]
    for path in S._parts(root, "consent"):
        for batch in pq.ParquetFile(path).iter_batches(columns=[*wanted, "body"]):
            cols = {name: batch.column(name).to_pylist() for name in wanted}
            bodies = batch.column("body").to_pylist()
            for i, (origin, kind, status, error, moment) in enumerate(
                zip(*(cols[c] for c in wanted), strict=True)
            ):
                if not origin:
                    continue
                if moment:
                    times.append(moment)
                seen.setdefault(origin, error or "")
                if status is not None:
                    reachable.add(origin)
                if status is None or not 200 <= status < 300:
                    continue
                flags[origin].add(kind)
                if kind == "robots" and bodies[i]:
                    flags[origin].update(robots_flags(bodies[i]))
    return S.summarise_origins(seen, reachable, flags, examples), times


def _consent(root: Path, rng: random.Random, rows: int) -> None:
    # Few rule templates over many hosts, each host's file with its own comments and breaks.
    templates = [rng.sample(GROUPS, rng.randint(1, 5)) for _ in range(12)]
    docs = []
    for _ in range(rows):
        host = rng.randint(0, rows // 3)
        docs.append(
            {
                "origin": None if rng.random() < 0.02 else f"http://h{host}.test",
                "kind": rng.choice(["robots", "robots", "aitxt", "tdmrep"]),
                "status": rng.choice([200, 200, 200, 204, 301, 404, 503, None]),
                "error": rng.choice([None, None, "dns", "timeout"]),
                "fetched_at": None
                if rng.random() < 0.05
                else T0 + timedelta(microseconds=rng.randint(0, 10**10)),
                "body": _body(rng, rng.choice(templates)),
            }
        )
    (root / "consent").mkdir(parents=True)
    for k, start in enumerate(range(0, rows, 2500)):
        chunk = [
            {n: d.get(n) for n in CONSENT_DOCS_SCHEMA.names} for d in docs[start : start + 2500]
        ]
        table = pa.Table.from_pylist(chunk, schema=CONSENT_DOCS_SCHEMA)
        pq.write_table(table, root / "consent" / f"part-{k:05d}.parquet", row_group_size=7000)


@pytest.mark.parametrize(("seed", "rows"), [(1, 300), (2, 9_000)])
def test_origin_stats_are_the_previous_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, rows: int
) -> None:
    _consent(tmp_path, random.Random(seed), rows)
    parses: list[str] = []
    parse = Protego.parse

    def counted(content: str) -> Protego:
        parses.append(content)
        return parse(content)

    monkeypatch.setattr(Protego, "parse", staticmethod(counted))
    want = _reference(tmp_path, TOKENS)
    by_body = len(parses)  # a parse per robots.txt naming a token
    parses.clear()
    got = S.origin_stats(tmp_path, tokens=TOKENS)
    assert got[0] == want[0]
    assert got[0].ai_token_refusal and got[0].content_usage and got[0].rsl_license
    assert [t.isoformat() for t in got[1]] == [t.isoformat() for t in want[1]]
    # Files that differ only in comments and blank lines were parsed once (per tokens named).
    assert all(
        line and line == line.strip() and "#" not in line for p in parses for line in p.splitlines()
    )
    assert len(parses) < by_body / (3 if rows > 1000 else 1)


def test_utc_moments_are_pyarrow_s_own() -> None:
    values = [T0, None, T0 + timedelta(days=400, microseconds=7), datetime(1969, 7, 20, tzinfo=UTC)]
    for unit in ("s", "ms", "us"):
        column = pa.array(values, pa.timestamp(unit, tz="UTC"))
        assert S._moments(column) == column.to_pylist()
    other = pa.array(values, pa.timestamp("us", tz="Europe/Paris"))
    assert [m and m.utcoffset() for m in S._moments(other)] == [
        m and m.utcoffset() for m in other.to_pylist()
    ]
