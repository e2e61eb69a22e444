"""Figures for the dataset card and the HTML report, read from an index directory (pure pyarrow).

Reads only the columns it needs, a record batch at a time, so a 10-million-row regeneration is
summarised in flat memory (the per-host counters grow with hosts, not rows).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from protego import Protego

from crawler import settings as default_settings
from crawler.report.causes import CAUSES, row_cause
from crawler.urlcolumn import authority_codes, bounded_memo

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
# (signal, the field name lowercased, the field at the start of a line)
_ROBOTS_FIELDS = (
    ("content-usage", b"content-usage", _CONTENT_USAGE),
    ("content-signal", b"content-signal", _CONTENT_SIGNAL),
    ("rsl", b"license", _RSL),
    ("disallow-ai-training", b"disallowaitraining", _DISALLOW_AI_TRAINING),
)

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


_READ_ROWS = 65536
_REBATCH_ROWS = 65536
# The cause counts of excluded/ are folded into by_cause (in CAUSES order) after each batch
# read that passes this many rows, as count_causes over every 100,000 rows did: the order of
# by_cause depends on it.
_FOLD_ROWS = 100_000


def _batches(
    paths: list[Path], wanted: Sequence[str | None], dictionary: Sequence[str | None] = ()
) -> Iterator[pa.RecordBatch]:
    """Record batches of the wanted columns; a name that is None (the job has no such column)
    or absent from a part file is left out, and read as missing. The ``dictionary`` columns
    of text are read dictionary-encoded (as Parquet stores repeated values): each distinct
    value decoded once."""
    for path in paths:
        pf = pq.ParquetFile(path)
        schema = pf.schema_arrow
        names = [c for c in wanted if c and c in schema.names]
        if not names:
            continue
        encoded = [c for c in dictionary if c in names and _is_text(schema.field(c).type)]
        if encoded:
            pf = pq.ParquetFile(path, metadata=pf.metadata, read_dictionary=encoded)
        yield from pf.iter_batches(columns=names, batch_size=_READ_ROWS)


def _rebatched(
    batches: Iterator[pa.RecordBatch],
) -> Iterator[tuple[pa.RecordBatch, list[int]]]:
    """Consecutive batches of the same columns joined into batches of ``_REBATCH_ROWS`` rows or
    more, each with the sizes of the batches read that it joins: a regeneration writes parts
    of 10,000 rows, and the work per batch grows with the distinct hosts in it, not its rows."""
    held: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        if held and not batch.schema.equals(held[0].schema):
            yield pa.concat_batches(held), [b.num_rows for b in held]
            held, rows = [], 0
        held.append(batch)
        rows += batch.num_rows
        if rows >= _REBATCH_ROWS:
            yield pa.concat_batches(held), [b.num_rows for b in held]
            held, rows = [], 0
    if held:
        yield pa.concat_batches(held), [b.num_rows for b in held]


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

    # Rows are counted per distinct code (of a host, licence, reason list, kind) with numpy, no
    # Python object per row; every counter is filled in the order of its keys' first rows, as a
    # row-by-row loop fills it (ties in most_common stay put).
    wanted = [url_c, page_c, cols["license"], time_c]
    index_batches = _batches(_parts(root, "index"), wanted, [page_c, cols["license"]])
    for batch, _sizes in _rebatched(index_batches):
        n = batch.num_rows
        ih, ih_names = _host_codes(batch, url_c, n, host)
        ph, ph_names = _host_codes(batch, page_c, n, host, repeated=True)
        lic, licences = _codes(batch, cols["license"], n, None)
        stats.kept += n
        _tally(stats.image_hosts_kept, ih_names, ih)
        _tally(stats.page_hosts_kept, ph_names, ph)
        for (p, i), count in _groups(ph, ih):
            pair_kept[ph_names[p], ih_names[i]] += count
        for (k,), count in _groups(lic):
            if licences[k]:
                stats.licences[licences[k]] += count
        _first_times(page_first, batch, page_c, time_c)

    pending: Counter[str] = Counter()  # rows per cause, folded into by_cause in CAUSES order
    pending_rows = 0
    family_cause: dict[str, Counter[str]] = defaultdict(Counter)
    wanted = [url_c, page_c, cols["reasons"], time_c, cols["kind"]]
    by_reasons: dict[tuple[str, ...], tuple[str, tuple[str, ...]]] = {}
    excluded_batches = _batches(_parts(root, "excluded"), wanted, [page_c, cols["kind"]])
    for batch, sizes in _rebatched(excluded_batches):
        n = batch.num_rows
        ih, ih_names = _host_codes(batch, url_c, n, host)
        ph, ph_names = _host_codes(batch, page_c, n, host, repeated=True)
        rc, reason_lists = _reason_codes(batch, cols["reasons"], n)
        kc, kinds = _codes(batch, cols["kind"], n, "image")
        page = np.array([kind == "page" for kind in kinds], dtype=bool)[kc]
        pages = int(page.sum())
        stats.excluded_rows += n
        stats.excluded_pages += pages
        stats.excluded_images += n - pages
        # Reason lists per batch read (the cause counts fold after the one passing
        # _FOLD_ROWS), in the order of their first rows.
        read_batch = np.repeat(np.arange(len(sizes)), sizes)
        groups = iter(_groups(read_batch, rc))
        group = next(groups, None)
        for k, size in enumerate(sizes):
            while group is not None and group[0][0] == k:
                (_k, code), count = group
                reasons = reason_lists[code]
                read = by_reasons.get(reasons)
                if read is None:  # hosts vary more than reasons: classify each list once
                    families = tuple(dict.fromkeys(r.split(":", 1)[0] for r in reasons))
                    read = by_reasons[reasons] = (row_cause(reasons), families)
                cause, families = read
                pending[cause] += count
                for reason in reasons:
                    stats.reasons[reason] += count
                for family in families:
                    stats.by_family[family] += count
                    family_cause[family][cause] += count
                group = next(groups, None)
            pending_rows += size
            if pending_rows > _FOLD_ROWS:
                _merge(stats.by_cause, _in_cause_order(pending))
                pending.clear()
                pending_rows = 0
        _tally(stats.image_hosts_excluded, ih_names, ih[~page])
        _tally(stats.page_hosts_excluded, ph_names, ph)
        # A page row's pair has no image host.
        ih = np.where(page, len(ih_names), ih)
        ih_names = [*ih_names, ""]
        for (p, i), count in _groups(ph, ih):
            pair_excl[ph_names[p], ih_names[i]] += count
        firsts: dict[str, int] = {}  # the first reason of each list, as a code (-1: none)
        first = np.array(
            [firsts.setdefault(rs[0], len(firsts)) if rs else -1 for rs in reason_lists],
            dtype=np.int64,
        )[rc]
        named, first_names = first >= 0, list(firsts)
        for (p, i, f), count in _groups(ph[named], ih[named], first[named]):
            pair_reasons[ph_names[p], ih_names[i]][first_names[f]] += count
        _first_times(page_first, batch, page_c, time_c)
    _merge(stats.by_cause, _in_cause_order(pending))
    stats.by_family_cause = dict(family_cause)

    for pair in sorted(pair_kept.keys() | pair_excl.keys()):
        first_reasons = pair_reasons.get(pair)
        # most_common(1): the first of the largest counts (max, as heapq.nlargest(1) is)
        top_reason = max(first_reasons.items(), key=itemgetter(1))[0] if first_reasons else None
        stats.domains.append(
            DomainRow(pair[0], pair[1], pair_kept[pair], pair_excl[pair], top_reason)
        )
    stats.origins, doc_times = origin_stats(root, tokens=ai_tokens(manifest))
    if page_first:
        stats.pages_over_time = _bucket(list(page_first.values()))
    else:
        stats.pages_over_time = _bucket(doc_times)
        stats.time_label = "consent documents fetched"
    return stats


def _missing(batch: pa.RecordBatch, name: str | None) -> bool:
    return name is None or name not in batch.schema.names


def _host_codes(
    batch: pa.RecordBatch,
    name: str | None,
    n: int,
    host: Callable[[Any], str] = host_of,
    repeated: bool = False,
) -> tuple[np.ndarray, list[str]]:
    """``host_of`` of every value of a URL column as (codes, host names), a code per host name
    ("" when the column is missing). ``repeated``: the column repeats its values (pages), so
    it is dictionary-encoded first and each distinct URL read once."""
    if _missing(batch, name):
        return np.zeros(n, dtype=np.int64), [""]
    column = batch.column(name)
    if repeated and _is_text(column.type):
        column = column.dictionary_encode()
    codes, hosts = authority_codes(column, host)
    # One code per host: its http and https prefixes, ports and letter cases count as one.
    ids: dict[str, int] = {}
    merged = np.array([ids.setdefault(h, len(ids)) for h in hosts], dtype=np.int64)
    return merged[codes], list(ids)


def _codes(
    batch: pa.RecordBatch, name: str | None, n: int, missing: Any
) -> tuple[np.ndarray, list[Any]]:
    """The values of a column as (codes, distinct values), a code per value; ``missing`` when
    the column is missing."""
    if _missing(batch, name):
        return np.zeros(n, dtype=np.int64), [missing]
    column = batch.column(name)
    if _is_text(column.type):
        column = column.dictionary_encode()
    if not (pa.types.is_dictionary(column.type) and _is_text(column.type.value_type)):
        return _python_codes(column.to_pylist())
    # Null rows read as the dictionary's last value + 1; a dictionary may hold a value twice.
    entries = [*column.dictionary.to_pylist(), None]
    codes, values = _python_codes(entries)
    rows = _ints(column.indices.fill_null(0))
    nulls = column.indices.is_null()
    if nulls.true_count:
        rows[_ints(pc.indices_nonzero(nulls))] = len(entries) - 1
    return codes[rows], values


def _reason_codes(
    batch: pa.RecordBatch, name: str | None, n: int
) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """The reason lists of a column as (codes, distinct tuples); null lists are ()."""
    if _missing(batch, name):
        return np.zeros(n, dtype=np.int64), [()]
    column = batch.column(name)
    kind = column.type
    if (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and _is_text(kind.value_type):
        reasons = pc.list_flatten(column)
        if reasons.null_count == 0 and not _has_nul(reasons):
            # A list is named by its reasons joined by NUL (in no reason); the empty list by
            # null (the list [""] joins to "" too), as is a null list: both read as ().
            joined = pc.binary_join(column, pa.scalar("\0", kind.value_type))
            some = pc.greater(pc.list_value_length(column), 0).fill_null(False)
            joined = pc.if_else(some, joined, pa.scalar(None, joined.type))
            encoded = joined.dictionary_encode(null_encoding="encode")
            lists = encoded.dictionary.to_pylist()
            return _ints(encoded.indices), [
                () if j is None else tuple(j.split("\0")) for j in lists
            ]
    return _python_codes([tuple(r or ()) for r in column.to_pylist()])


def _has_nul(strings: pa.Array) -> bool:
    """Whether a value of a string array holds a NUL byte: read in its data buffer (a
    substring search per value costs six times more)."""
    offsets, data = strings.buffers()[1:3]
    if not len(strings) or data is None:
        return False
    wide = pa.types.is_large_string(strings.type)
    ends = np.frombuffer(offsets, np.int64 if wide else np.int32)[strings.offset :]
    return not np.frombuffer(data, np.uint8)[ends[0] : ends[len(strings)]].all()


def _python_codes(values: list[Any]) -> tuple[np.ndarray, list[Any]]:
    """(codes, distinct values) of values that Arrow does not encode: equal as dict keys, as a
    Counter's keys are."""
    index: dict[Any, int] = {}
    codes = np.fromiter((index.setdefault(v, len(index)) for v in values), np.int64, len(values))
    return codes, list(index)


def _is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _ints(indices: pa.Array) -> np.ndarray:
    """A null-free Arrow integer array as a writable int64 numpy array."""
    return np.array(indices.to_numpy(zero_copy_only=False), dtype=np.int64)


def _first_rows(*codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first row, rows) of every distinct combination of the codes (non-negative, one array
    per column), in the order of their first rows."""
    n = len(codes[0])
    table = max(8 * n, 1 << 16)  # keys up to this are counted in a table, not sorted
    key = np.zeros(n, dtype=np.int64)
    size = 1
    for column in codes:
        width = int(column.max()) + 1 if n else 1
        if size * width > table:  # renumber the keys so far densely, by sorting
            distinct, key = np.unique(key, return_inverse=True)
            key, size = key.reshape(-1), len(distinct)
        key = key * width + column
        size *= width
    if size > table:
        _, first, count = np.unique(key, return_index=True, return_counts=True)
    else:
        count = np.bincount(key, minlength=size)
        first = np.full(size, n, dtype=np.int64)
        np.minimum.at(first, key, np.arange(n))
        present = np.flatnonzero(count)
        first, count = first[present], count[present]
    order = np.argsort(first)
    return first[order], count[order]


def _groups(*codes: np.ndarray) -> list[tuple[tuple[int, ...], int]]:
    """(codes, rows) of every distinct combination of the codes, in the order of first rows."""
    first, count = _first_rows(*codes)
    at = zip(*(c[first].tolist() for c in codes), strict=True)
    return list(zip(at, count.tolist(), strict=True))


def _tally(counter: Counter[str], names: list[str], codes: np.ndarray) -> None:
    for (code,), count in _groups(codes):
        counter[names[code]] += count


def _first_times(
    page_first: dict[str, datetime], batch: pa.RecordBatch, page: str | None, time: str | None
) -> None:
    """The first fetch time seen of every page (crawls: regenerations have no time column)."""
    if _missing(batch, page) or _missing(batch, time):
        return
    codes, urls = _codes(batch, page, batch.num_rows, None)
    times = batch.column(time)
    usable = np.array([bool(u) for u in urls], dtype=bool)[codes]
    rows = np.flatnonzero(usable & np.asarray(times.is_valid().to_numpy(zero_copy_only=False)))
    at = codes[rows]
    firsts = rows[_first_rows(at)[0]]  # each page's first row with a time
    retry = _record_first_moments(page_first, urls, codes, firsts, times)
    if retry:  # a time that does not parse: the page's later rows, one by one
        _record_first_moments(page_first, urls, codes, rows[np.isin(at, list(retry))], times)


def _record_first_moments(
    page_first: dict[str, datetime],
    urls: list[Any],
    codes: np.ndarray,
    rows: np.ndarray,
    times: pa.Array,
) -> set[int]:
    """Record the time of ``rows`` (in order) for each page without one yet; the page codes
    whose time did not parse."""
    failed: set[int] = set()
    for i, value in zip(rows.tolist(), _moments(times.take(rows)), strict=True):
        url = urls[codes[i]]
        if url not in page_first:
            moment = as_moment(value)
            if moment:
                page_first[url] = moment
            else:
                failed.add(int(codes[i]))
    return failed


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECONDS = {"s": 1_000_000, "ms": 1_000, "us": 1}


def _moments(column: pa.Array) -> list[Any]:
    """A time column as Python values; UTC timestamps (what the writers store) made here, as
    pyarrow looks the time zone up again for every value (~6 us each). The same instants, in
    datetime.UTC rather than zoneinfo's UTC: the same labels in the report."""
    kind = column.type
    if not (pa.types.is_timestamp(kind) and kind.tz == "UTC" and kind.unit in _MICROSECONDS):
        return column.to_pylist()
    scale = _MICROSECONDS[kind.unit]
    return [
        None if v is None else _EPOCH + timedelta(microseconds=v * scale)
        for v in column.cast(pa.int64()).to_pylist()
    ]


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
    refusals: dict[bytes, bool] = {}
    wanted = ["origin", "kind", "status", "error", "fetched_at"]
    for path in _parts(root, "consent"):
        pf = pq.ParquetFile(path)
        for batch in pf.iter_batches(columns=[*wanted, "body"], batch_size=4096):
            cols = {name: batch.column(name).to_pylist() for name in wanted[:-1]}
            cols["fetched_at"] = _moments(batch.column("fetched_at"))
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
                        flags[origin].update(
                            _robots_flags(body, named_tokens, tokens_lower, refusals)
                        )
    return summarise_origins(seen, reachable, flags, examples), times


def summarise_origins(
    seen: dict[str, str], reachable: set[str], flags: dict[str, set[str]], examples: int
) -> OriginStats:
    """The origin figures from each contacted origin's first error (``seen``), the origins
    that answered, and the flags of each origin's documents."""
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
    return out


def _robots_flags(
    body: bytes,
    tokens: tuple[str, ...],
    tokens_lower: tuple[bytes, ...],
    refusals: dict[bytes, bool] | None = None,
) -> set[str]:
    """The signals of a robots.txt body; ``refusals`` remembers Protego's answer per rules."""
    found = set()
    lowered = body.lower()
    for name, word, pattern in _ROBOTS_FIELDS:
        if word in lowered and pattern.search(body):  # the word first: most files have none
            found.add(name)
    # An AI-token refusal is a group naming the token (as the crawl's robots:ai-token=...);
    # `User-agent: *` refusing everyone is a refusal of every crawler, counted apart.
    named = [t for t, low in zip(tokens, tokens_lower, strict=True) if low in lowered]
    if not named:
        return found
    text = body.decode("utf-8", "replace")
    # Protego reads a line up to its "#", stripped, and skips it when empty, so files that
    # differ only in comments and blank lines (one generator, many hosts) have the same rules:
    # parsed once per distinct rules and token names.
    lines = (line[: line.find("#")] if "#" in line else line for line in text.splitlines())
    rules = "\n".join(kept for kept in (line.strip() for line in lines) if kept)
    key = hashlib.blake2b(f"{named}\n{rules}".encode(), digest_size=16).digest()
    refused = refusals.get(key) if refusals is not None else None
    if refused is None:
        try:
            parsed = Protego.parse(rules)
            refused = any(not parsed.can_fetch("/", token) for token in named)
        except Exception:  # an unparsable file shows no refusal here; the crawl decided the rows
            refused = False
        if refusals is not None:
            refusals[key] = refused
    if refused:
        found.add("ai-token")
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
