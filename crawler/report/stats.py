"""Figures for the dataset card and the HTML report, read from an index directory (pure pyarrow).

Reads only the columns it needs, a record batch at a time, so a 10-million-row regeneration is
summarised in flat memory (the per-host counters grow with hosts, not rows).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.parquet as pq
from protego import Protego

from crawler import settings as default_settings
from crawler.report.causes import CAUSES, row_cause
from crawler.urlcolumn import bounded_memo, by_authority

__all__ = [
    "DomainRow",
    "IndexStats",
    "OriginStats",
    "ai_tokens",
    "collect",
    "host_of",
    "DOMAINS_SCHEMA",
]

_CONTENT_USAGE = re.compile(rb"^[ \t]*content-usage[ \t]*:", re.I | re.M)
_CONTENT_SIGNAL = re.compile(rb"^[ \t]*content-signal[ \t]*:", re.I | re.M)
_RSL = re.compile(rb"^[ \t]*license[ \t]*:", re.I | re.M)
_DISALLOW_AI_TRAINING = re.compile(rb"^[ \t]*disallowaitraining[ \t]*:", re.I | re.M)

DOMAINS_SCHEMA = pa.schema(
    [
        ("page_host", pa.string()),
        ("image_host", pa.string()),
        ("kept", pa.int64()),
        ("excluded", pa.int64()),
        ("top_reason", pa.string()),
    ]
)


def ai_tokens(manifest: dict[str, Any]) -> tuple[str, ...]:
    """The run's AI tokens: its ``AI_TOKENS`` setting (the manifest records the settings a run
    changed), else the default of ``crawler.settings``."""
    run_settings = manifest.get("settings") or {}
    tokens = run_settings.get("AI_TOKENS", default_settings.AI_TOKENS) or ()
    if isinstance(tokens, str):  # "GPTBot, CCBot" as given on a command line
        tokens = tokens.split(",")
    return tuple(token for token in (str(t).strip() for t in tokens) if token)


def host_of(url: str | None) -> str:
    if not url:
        return ""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


@dataclass(slots=True)
class OriginStats:
    """Per origin (scheme://host:port) what its consent documents said."""

    contacted: int = 0
    unreachable: int = 0
    unreachable_examples: list[str] = field(default_factory=list)
    robots_txt: int = 0
    ai_token_refusal: int = 0
    content_usage: int = 0
    content_signal: int = 0
    disallow_ai_training: int = 0
    rsl_license: int = 0
    ai_txt: int = 0
    tdmrep_json: int = 0

    def prevalence(self) -> dict[str, int]:
        return {
            "robots.txt (2xx)": self.robots_txt,
            "AI-token refusal in robots.txt": self.ai_token_refusal,
            "Content-Usage (AIPREF) in robots.txt": self.content_usage,
            "Content-Signal in robots.txt": self.content_signal,
            "DisallowAITraining in robots.txt": self.disallow_ai_training,
            "RSL License in robots.txt": self.rsl_license,
            "ai.txt (2xx)": self.ai_txt,
            "tdmrep.json (2xx)": self.tdmrep_json,
        }

    def record(self) -> dict[str, Any]:
        return {
            "contacted": self.contacted,
            "unreachable": self.unreachable,
            "unreachable_examples": self.unreachable_examples,
            "signals": self.prevalence(),
        }


@dataclass(slots=True)
class DomainRow:
    page_host: str
    image_host: str
    kept: int
    excluded: int
    top_reason: str | None


@dataclass(slots=True)
class IndexStats:
    job: str
    kept: int = 0
    excluded_rows: int = 0
    excluded_images: int = 0
    excluded_pages: int = 0
    by_cause: dict[str, int] = field(default_factory=dict)
    by_family: Counter[str] = field(default_factory=Counter)
    by_family_cause: dict[str, Counter[str]] = field(default_factory=dict)
    reasons: Counter[str] = field(default_factory=Counter)
    licences: Counter[str] = field(default_factory=Counter)
    page_hosts_kept: Counter[str] = field(default_factory=Counter)
    page_hosts_excluded: Counter[str] = field(default_factory=Counter)
    image_hosts_kept: Counter[str] = field(default_factory=Counter)
    image_hosts_excluded: Counter[str] = field(default_factory=Counter)
    pages_over_time: dict[str, int] = field(default_factory=dict)
    time_label: str = "pages fetched"
    domains: list[DomainRow] = field(default_factory=list)
    origins: OriginStats = field(default_factory=OriginStats)


def _parts(root: Path, sub: str) -> list[Path]:
    return sorted((root / sub).glob("*.parquet")) if (root / sub).is_dir() else []


def _batches(paths: list[Path], wanted: Sequence[str | None]) -> Iterator[pa.RecordBatch]:
    """Record batches of the wanted columns; a name that is None (the job has no such column)
    or absent from a part file is left out, and read as missing."""
    for path in paths:
        pf = pq.ParquetFile(path)
        names = [c for c in wanted if c and c in pf.schema_arrow.names]
        if not names:
            continue
        yield from pf.iter_batches(columns=names, batch_size=65536)


def _columns(manifest: dict[str, Any]) -> dict[str, str | None]:
    if manifest.get("job") == "regenerate":
        cols = manifest.get("columns", {})
        out = manifest.get("output_columns", {})
        return {
            "url": cols.get("url"),
            "page": cols.get("page"),
            "reasons": out.get("reasons", "reasons"),
            "license": out.get("license", "license"),
            "time": None,
            "kind": None,
        }
    return {
        "url": "url",
        "page": "page_url",
        "reasons": "reasons",
        "license": "license",
        "time": "fetched_at",
        "kind": "kind",
    }


# (largest span in seconds, bucket width in seconds, label format): at most ~60 bars.
_BUCKETS = (
    (60, 1, "%H:%M:%S"),
    (600, 10, "%H:%M:%S"),
    (3600, 60, "%H:%M"),
    (6 * 3600, 600, "%H:%M"),
    (3 * 86400, 3600, "%m-%d %H:00"),
    (float("inf"), 86400, "%Y-%m-%d"),
)


def as_moment(value: datetime | str | None) -> datetime | None:
    """A fetched_at value as a UTC datetime: index/ stores ISO 8601 text (img2dataset's JSON
    sidecars cannot hold timestamps), excluded/ and consent/ store timestamps."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _bucket(moments: list[datetime]) -> dict[str, int]:
    """Counts per time bucket, the bucket width chosen from the span (every bucket shown)."""
    if not moments:
        return {}
    first, last = min(moments), max(moments)
    span = (last - first).total_seconds()
    width, fmt = next((w, f) for limit, w, f in _BUCKETS if span <= limit)
    counts = Counter(int((m - first).total_seconds() // width) for m in moments)
    return {
        (first + timedelta(seconds=i * width)).strftime(fmt): counts.get(i, 0)
        for i in range(int(span // width) + 1)
    }


def collect(root: Path, manifest: dict[str, Any], top: int = 20) -> IndexStats:
    """Every figure the card and the report show, from the part files under ``root``."""
    cols = _columns(manifest)
    stats = IndexStats(job=manifest.get("job", "crawl"))
    pair_kept: Counter[tuple[str, str]] = Counter()
    pair_excl: Counter[tuple[str, str]] = Counter()
    pair_reasons: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    page_first: dict[str, datetime] = {}
    url_c, page_c, time_c = cols["url"], cols["page"], cols["time"]
    host = bounded_memo(host_of)  # the same hosts in every part file

    # Rows are counted per distinct (hosts, licence / reasons, kind): a Counter over the zipped
    # columns, whose keys keep the order of their first row, so every counter below is filled
    # in the order a row-by-row loop would fill it (ties in most_common stay put).
    for batch in _batches(_parts(root, "index"), [url_c, page_c, cols["license"], time_c]):
        n = batch.num_rows
        ihs = _hosts(batch, url_c, n, host)
        phs = _hosts(batch, page_c, n, host)
        lic = _values(batch, cols["license"], n, None)
        kept = Counter(zip(ihs, phs, lic, strict=True))
        for (ih, ph, licence), count in kept.items():
            stats.kept += count
            stats.image_hosts_kept[ih] += count
            stats.page_hosts_kept[ph] += count
            pair_kept[ph, ih] += count
            if licence:
                stats.licences[licence] += count
        _first_times(page_first, batch, page_c, time_c)

    pending: Counter[str] = Counter()  # rows per cause, folded into by_cause in CAUSES order
    pending_rows = 0
    family_cause: dict[str, Counter[str]] = defaultdict(Counter)
    wanted = [url_c, page_c, cols["reasons"], time_c, cols["kind"]]
    by_reasons: dict[tuple[str, ...], tuple[str, tuple[str, ...]]] = {}
    for batch in _batches(_parts(root, "excluded"), wanted):
        n = batch.num_rows
        ihs = _hosts(batch, url_c, n, host)
        phs = _hosts(batch, page_c, n, host)
        reasons_col = map(tuple, (r or () for r in _values(batch, cols["reasons"], n, None)))
        kinds = _values(batch, cols["kind"], n, "image")
        groups = Counter(zip(ihs, phs, reasons_col, kinds, strict=True))
        for (ih, ph, reasons, kind), count in groups.items():
            stats.excluded_rows += count
            if kind == "page":
                stats.excluded_pages += count
            else:
                stats.excluded_images += count
            read = by_reasons.get(reasons)
            if read is None:  # hosts vary more than reasons: classify each reason list once
                families = tuple(dict.fromkeys(r.split(":", 1)[0] for r in reasons))
                read = by_reasons[reasons] = (row_cause(reasons), families)
            cause, families = read
            pending[cause] += count
            for reason in reasons:
                stats.reasons[reason] += count
            for family in families:
                stats.by_family[family] += count
                family_cause[family][cause] += count
            if kind == "page":
                ih = ""
            else:
                stats.image_hosts_excluded[ih] += count
            stats.page_hosts_excluded[ph] += count
            pair_excl[ph, ih] += count
            if reasons:
                pair_reasons[ph, ih][reasons[0]] += count
        _first_times(page_first, batch, page_c, time_c)
        pending_rows += n
        if pending_rows > 100_000:  # as count_causes over every 100,000 rows did
            _merge(stats.by_cause, _in_cause_order(pending))
            pending.clear()
            pending_rows = 0
    _merge(stats.by_cause, _in_cause_order(pending))
    stats.by_family_cause = dict(family_cause)

    for pair in sorted(set(pair_kept) | set(pair_excl)):
        top_reason = pair_reasons[pair].most_common(1)
        stats.domains.append(
            DomainRow(
                pair[0],
                pair[1],
                pair_kept[pair],
                pair_excl[pair],
                top_reason[0][0] if top_reason else None,
            )
        )
    stats.origins, doc_times = origin_stats(root, tokens=ai_tokens(manifest))
    if page_first:
        stats.pages_over_time = _bucket(list(page_first.values()))
    else:
        stats.pages_over_time = _bucket(doc_times)
        stats.time_label = "consent documents fetched"
    return stats


def _hosts(
    batch: pa.RecordBatch, name: str | None, n: int, host: Callable[[Any], str] = host_of
) -> list[str]:
    """``host_of`` of every value of a URL column ("" when the column is missing)."""
    if name is None or name not in batch.schema.names:
        return [""] * n
    return by_authority(batch.column(name), host)[1]


def _values(batch: pa.RecordBatch, name: str | None, n: int, missing: Any) -> list[Any]:
    if name is None or name not in batch.schema.names:
        return [missing] * n
    return batch.column(name).to_pylist()


def _first_times(
    page_first: dict[str, datetime], batch: pa.RecordBatch, page: str | None, time: str | None
) -> None:
    """The first fetch time seen of every page (crawls: regenerations have no time column)."""
    pages = _values(batch, page, batch.num_rows, None)
    for url, moment in zip(pages, _values(batch, time, batch.num_rows, None), strict=True):
        if url and moment is not None and url not in page_first:
            moment = as_moment(moment)
            if moment:
                page_first[url] = moment


def _in_cause_order(counts: Counter[str]) -> dict[str, int]:
    return {cause: counts[cause] for cause in CAUSES if counts[cause]}


def _merge(into: dict[str, int], more: dict[str, int]) -> None:
    for key, n in more.items():
        into[key] = into.get(key, 0) + n


def origin_stats(
    root: Path, examples: int = 5, tokens: Sequence[str] | None = None
) -> tuple[OriginStats, list[datetime]]:
    """What each origin's consent documents said, and when documents were fetched.

    ``tokens``: the AI tokens whose robots.txt refusal is counted (default: ``ai_tokens({})``).
    """
    named_tokens = tuple(tokens) if tokens is not None else ai_tokens({})
    tokens_lower = tuple(t.lower().encode() for t in named_tokens)
    reachable: set[str] = set()
    seen: dict[str, str] = {}
    flags: dict[str, set[str]] = defaultdict(set)
    times: list[datetime] = []
    wanted = ["origin", "kind", "status", "error", "fetched_at"]
    for path in _parts(root, "consent"):
        pf = pq.ParquetFile(path)
        for batch in pf.iter_batches(columns=[*wanted, "body"], batch_size=4096):
            cols = {name: batch.column(name).to_pylist() for name in wanted}
            bodies = batch.column("body")
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
                if kind == "robots":
                    body = bodies[i].as_py()  # one body at a time: they are up to 512 KiB
                    if body:
                        flags[origin].update(_robots_flags(body, named_tokens, tokens_lower))
    out = OriginStats(contacted=len(seen))
    unreachable = sorted(o for o in seen if o not in reachable)
    out.unreachable = len(unreachable)
    out.unreachable_examples = [
        f"{o} ({seen[o]})" if seen[o] else o for o in unreachable[:examples]
    ]
    for found in flags.values():
        out.robots_txt += "robots" in found
        out.ai_txt += "aitxt" in found
        out.tdmrep_json += "tdmrep" in found
        out.ai_token_refusal += "ai-token" in found
        out.content_usage += "content-usage" in found
        out.content_signal += "content-signal" in found
        out.disallow_ai_training += "disallow-ai-training" in found
        out.rsl_license += "rsl" in found
    return out, times


def _robots_flags(
    body: bytes, tokens: tuple[str, ...], tokens_lower: tuple[bytes, ...]
) -> set[str]:
    found = set()
    for name, pattern in (
        ("content-usage", _CONTENT_USAGE),
        ("content-signal", _CONTENT_SIGNAL),
        ("rsl", _RSL),
        ("disallow-ai-training", _DISALLOW_AI_TRAINING),
    ):
        if pattern.search(body):
            found.add(name)
    lowered = body.lower()
    # An AI-token refusal is a group naming the token (as the crawl's robots:ai-token=...);
    # `User-agent: *` refusing everyone is a refusal of every crawler, counted apart.
    named = [t for t, low in zip(tokens, tokens_lower, strict=True) if low in lowered]
    if not named:
        return found
    try:
        rules = Protego.parse(body.decode("utf-8", "replace"))
        if any(not rules.can_fetch("/", token) for token in named):
            found.add("ai-token")
    except Exception:  # an unparsable file shows no refusal here; the crawl decided the rows
        pass
    return found


def domains_table(stats: IndexStats) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "page_host": d.page_host or None,
                "image_host": d.image_host or None,
                "kept": d.kept,
                "excluded": d.excluded,
                "top_reason": d.top_reason,
            }
            for d in stats.domains
        ],
        schema=DOMAINS_SCHEMA,
    )
