"""``collect`` counts rows per distinct code of a host, licence, reason list and kind (issue 16):
its figures, and the order of every counter (ties in most_common), are those of the row-by-row
loop it replaced, kept here as the reference, on random crawl and regeneration outputs that span
several record batches (index parts joined into larger ones) and the 100,000-row fold of the
cause counts, with one host behind several URL prefixes, odd URLs, and odd column types."""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from crawler.output.shards import EXCLUDED_SCHEMA, INDEX_SCHEMA
from crawler.report import stats as S
from crawler.report.causes import count_causes, row_cause

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
# One host through several prefixes (scheme, port, letter case), IPv6, odd values.
HOSTS = ["a.test", "A.TEST:443", "B.test", "c.test:8080", "c.test", "xn--bcher-kva.test", "[::1]"]
ODD_URLS = [
    "",
    "not a url",
    "http://[bad/x.png",
    "ftp://f.test/x",
    "http://h.test/\u00e9.png",
    "http://u@a.test/x.png",
    "http://a.test/a b.png",
]
REASONS = [
    "robots:disallowed",
    "robots:ai-token=GPTBot",
    "robots:unreachable",
    "aitxt:disallowed",
    "tdmrep:reserved",
    "caption:missing",
    "fetch:dns",
    "address:non-public",
    "quality:small",
]


def _url(rng: random.Random, page: bool = False) -> str | None:
    roll = rng.random()
    if roll < 0.05:
        return None
    if roll < 0.1:
        return rng.choice(ODD_URLS)
    scheme = rng.choice(["http", "https", "HTTP"])
    host = rng.choice(HOSTS)
    tail = f"/p{rng.randint(0, 30)}.html" if page else f"/i/{rng.randint(0, 10**6)}.png"
    return f"{scheme}://{host}{rng.choice([tail, tail, '', '?q=1', '#f'])}"


def _reference(root: Path, manifest: dict[str, Any]) -> S.IndexStats:
    """The row-by-row collect this change replaced (minus the origin statistics)."""
    cols = S._columns(manifest)
    stats = S.IndexStats(job=manifest.get("job", "crawl"))
    pair_kept: Counter = Counter()
    pair_excl: Counter = Counter()
    pair_reasons: dict = defaultdict(Counter)
    page_first: dict = {}
    url_c, page_c, time_c = cols["url"], cols["page"], cols["time"]

    def batches(sub: str, wanted: list) -> Any:
        for path in S._parts(root, sub):
            pf = pq.ParquetFile(path)
            names = [c for c in wanted if c and c in pf.schema_arrow.names]
            for batch in pf.iter_batches(columns=names, batch_size=S._READ_ROWS):
                yield {name: batch.column(name).to_pylist() for name in names}

    for batch in batches("index", [url_c, page_c, cols["license"], time_c]):
        urls = batch.get(url_c) or []
        pages = batch.get(page_c) or [None] * len(urls)
        lic = batch.get(cols["license"]) or [None] * len(urls)
        times = batch.get(time_c) or [None] * len(urls)
        for url, page, licence, moment in zip(urls, pages, lic, times, strict=True):
            stats.kept += 1
            ih, ph = S.host_of(url), S.host_of(page)
            stats.image_hosts_kept[ih] += 1
            stats.page_hosts_kept[ph] += 1
            pair_kept[ph, ih] += 1
            if licence:
                stats.licences[licence] += 1
            moment = S.as_moment(moment)
            if page and moment and page not in page_first:
                page_first[page] = moment
    cause_rows: list = []
    family_cause: dict = defaultdict(Counter)
    for batch in batches("excluded", [url_c, page_c, cols["reasons"], time_c, cols["kind"]]):
        urls = batch.get(url_c) or []
        n = len(urls)
        pages = batch.get(page_c) or [None] * n
        reasons_col = batch.get(cols["reasons"]) or [[]] * n
        times = batch.get(time_c) or [None] * n
        kinds = batch.get(cols["kind"]) or ["image"] * n
        for url, page, reasons, moment, kind in zip(
            urls, pages, reasons_col, times, kinds, strict=True
        ):
            reasons = reasons or []
            stats.excluded_rows += 1
            if kind == "page":
                stats.excluded_pages += 1
            else:
                stats.excluded_images += 1
            cause_rows.append(reasons)
            cause = row_cause(reasons)
            stats.reasons.update(reasons)
            for family in dict.fromkeys(r.split(":", 1)[0] for r in reasons):
                stats.by_family[family] += 1
                family_cause[family][cause] += 1
            ih, ph = S.host_of(url), S.host_of(page)
            if kind == "page":
                ih = ""
            else:
                stats.image_hosts_excluded[ih] += 1
            stats.page_hosts_excluded[ph] += 1
            pair_excl[ph, ih] += 1
            pair_reasons[ph, ih].update(reasons[:1])
            moment = S.as_moment(moment)
            if page and moment and page not in page_first:
                page_first[page] = moment
        if len(cause_rows) > S._FOLD_ROWS:
            S._merge(stats.by_cause, count_causes(cause_rows))
            cause_rows.clear()
    S._merge(stats.by_cause, count_causes(cause_rows))
    stats.by_family_cause = dict(family_cause)
    for pair in sorted(set(pair_kept) | set(pair_excl)):
        top = pair_reasons[pair].most_common(1)
        stats.domains.append(
            S.DomainRow(
                pair[0], pair[1], pair_kept[pair], pair_excl[pair], top[0][0] if top else None
            )
        )
    if page_first:
        stats.pages_over_time = S._bucket(list(page_first.values()))
    return stats


def _ordered(value: Any) -> Any:
    """Counters and dicts as item lists: their order is part of what is compared."""
    if isinstance(value, dict):
        return [(k, _ordered(v)) for k, v in value.items()]
    return value


def _write(root: Path, sub: str, schema: pa.Schema, rows: list[dict], parts: int) -> None:
    (root / sub).mkdir(parents=True, exist_ok=True)
    step = max(1, len(rows) // parts)
    for k, start in enumerate(range(0, len(rows), step)):
        chunk = [{name: r.get(name) for name in schema.names} for r in rows[start : start + step]]
        table = pa.Table.from_pylist(chunk, schema=schema)
        pq.write_table(table, root / sub / f"part-{k:05d}.parquet")


def _crawl(root: Path, rng: random.Random, kept: int, excluded: int) -> dict[str, Any]:
    def moment(i: int) -> datetime | None:
        return None if rng.random() < 0.1 else T0 + timedelta(seconds=rng.randint(0, 5000))

    index = []
    for i in range(kept):
        at = moment(i)
        index.append(
            {
                "url": _url(rng),
                "page_url": _url(rng, page=True),
                "license": rng.choice([None, "", "CC-BY-4.0", "CC0-1.0"]),
                "fetched_at": at.isoformat() if at else rng.choice([None, "garbage"]),
                "consent": [],
            }
        )
    out = []
    for i in range(excluded):
        k = rng.randint(0, 3)
        # The first third has quality and input causes only: a fold of the cause counts there
        # puts them first in by_cause.
        pool = REASONS if i > excluded // 3 else ["caption:missing", "quality:small", "address:x"]
        out.append(
            {
                "url": _url(rng),
                "page_url": _url(rng, page=True),
                "kind": rng.choice(["image", "image", "page", None]),
                "reasons": None if k == 0 and rng.random() < 0.3 else rng.sample(pool, k),
                "fetched_at": moment(i),
            }
        )
    _write(root, "index", INDEX_SCHEMA, index, 3)
    _write(root, "excluded", EXCLUDED_SCHEMA, out, 3)
    return {"job": "crawl"}


def _regen(root: Path, rng: random.Random, kept: int, excluded: int) -> dict[str, Any]:
    schema = pa.schema(
        [
            ("URL", pa.string()),
            ("PAGE", pa.string()),
            ("lic", pa.string()),
            ("why", pa.list_(pa.string())),
        ]
    )
    rows = [
        {
            "URL": _url(rng),
            "PAGE": _url(rng, page=True),
            "lic": rng.choice([None, "CC0-1.0"]),
            "why": rng.sample(REASONS, rng.randint(1, 3)),
        }
        for _ in range(kept + excluded)
    ]
    _write(root, "index", schema, rows[:kept], 2)
    _write(root, "excluded", schema, rows[kept:], 4)
    return {
        "job": "regenerate",
        "columns": {"url": "URL", "page": "PAGE"},
        "output_columns": {"reasons": "why", "license": "lic"},
    }


def _regen_odd(root: Path, rng: random.Random, kept: int, excluded: int) -> dict[str, Any]:
    """A regeneration without a page column whose parts differ: a part without the licence
    column, large and dictionary string types, reason lists with "" or a NUL in a reason
    (read row by row), empty and null lists."""
    url_types = [pa.string(), pa.large_string(), pa.dictionary(pa.int32(), pa.string())]
    lic_types = [pa.string(), None, pa.dictionary(pa.int8(), pa.string()), pa.large_string()]
    why_types = [pa.list_(pa.string()), pa.large_list(pa.large_string())]
    odd_reasons = [*REASONS, "", "input:odd\0byte"]

    def reasons(k: int) -> list[str] | None:
        if rng.random() < 0.1:
            return rng.choice([None, []])
        return rng.sample(REASONS if k % 2 else odd_reasons, rng.randint(1, 3))

    for sub, rows, parts in (("index", kept, 5), ("excluded", excluded, 4)):
        (root / sub).mkdir(parents=True)
        step = max(1, rows // parts)
        for k, start in enumerate(range(0, rows, step)):
            n = min(step, rows - start)
            columns = {"URL": pa.array([_url(rng) for _ in range(n)], url_types[k % 3])}
            if sub == "index" and lic_types[k % 4] is not None:
                values = [rng.choice([None, "", "CC0-1.0", "CC-BY-4.0"]) for _ in range(n)]
                columns["lic"] = pa.array(values, lic_types[k % 4])
            if sub == "excluded":
                columns["why"] = pa.array([reasons(k) for _ in range(n)], why_types[k % 2])
            pq.write_table(pa.table(columns), root / sub / f"part-{k:05d}.parquet")
    return {
        "job": "regenerate",
        "columns": {"url": "URL", "page": None},
        "output_columns": {"reasons": "why", "license": "lic"},
    }


JOINED = {"_REBATCH_ROWS": 700}  # index and excluded batches joined from parts
FOLDED = {"_REBATCH_ROWS": 700, "_READ_ROWS": 97, "_FOLD_ROWS": 800}  # folds within joined ones


@pytest.mark.parametrize(
    ("make", "seed", "kept", "excluded", "sizes"),
    [
        (_crawl, 1, 400, 600, {}),
        (_crawl, 2, 0, 50, {}),
        # record batches of 65,536 rows; the 100,000-row fold of the cause counts
        (_crawl, 3, 70_000, 140_000, {}),
        (_regen, 4, 300, 900, {}),
        (_regen, 5, 30_000, 130_000, {}),
        (_regen_odd, 6, 3_000, 2_000, {}),
        (_crawl, 7, 4_000, 500, JOINED),
        (_regen, 8, 5_000, 100, JOINED),
        (_regen_odd, 9, 3_000, 2_000, JOINED),
        (_crawl, 10, 500, 3_000, FOLDED),
        (_regen_odd, 11, 500, 3_000, FOLDED),
    ],
)
def test_grouped_collect_is_the_row_loop(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make: Any,
    seed: int,
    kept: int,
    excluded: int,
    sizes: dict[str, int],
) -> None:
    for name, value in sizes.items():
        monkeypatch.setattr(S, name, value)
    manifest = make(tmp_path, random.Random(seed), kept, excluded)
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    got = S.collect(tmp_path, manifest)
    want = _reference(tmp_path, manifest)
    for name in S.IndexStats.__slots__:
        if name in ("origins", "time_label"):
            continue
        assert _ordered(getattr(got, name)) == _ordered(getattr(want, name)), name
    assert got.kept == kept and got.excluded_rows == excluded


@pytest.mark.parametrize(
    "widths",
    [
        (5,),
        (3, 40, 7),
        (10**6,),  # keys past the table: sorted
        (300, 10**9, 10**9),  # renumbered before each product would overflow the table
        (2**32, 2**32, 2**32),  # the product of the widths wraps around int64 (2**96)
    ],
)
def test_first_rows_are_the_groups_in_row_order(widths: tuple[int, ...]) -> None:
    rng = np.random.default_rng(len(widths))
    for n in (0, 1, 2_000):
        codes = [
            rng.choice([0, 1, w - 1], n)
            if w >= 2**32
            else rng.integers(0, w, n) // rng.integers(1, 50)
            for w in widths
        ]
        want: dict[tuple[int, ...], list[int]] = {}
        for row, key in enumerate(zip(*(c.tolist() for c in codes), strict=True)):
            want.setdefault(key, [row, 0])[1] += 1
        first, count = S._first_rows(*codes)
        assert list(zip(first.tolist(), count.tolist(), strict=True)) == [
            (r, k) for r, k in want.values()
        ]
        assert S._groups(*codes) == [(key, k) for key, (_r, k) in want.items()]


def test_has_nul_is_a_substring_search_over_the_values_in_view() -> None:
    lists = [[], ["a"], ["a\0"], ["", ""], ["x", None, "y\0z"], [None], ["\0", "ok"], ["ok", "\0"]]
    for values in lists:
        for kind in (pa.string(), pa.large_string()):
            array = pa.array(values, kind)
            n = len(array)
            for view in [array.slice(i, j) for i in range(n + 1) for j in range(n + 1 - i)]:
                want = bool(pc.any(pc.match_substring(view, "\0")).as_py())
                assert S._has_nul(view) == want, (values, kind, view)


def test_codes_are_one_per_value_and_first_times_the_first_that_parse() -> None:
    values = ["p", "p", "p", "q", None, "", "q"]
    dictionary = pa.array(["p", "q", "p", None, ""], pa.string())  # "p" twice, a null value
    encoded = pa.DictionaryArray.from_arrays(  # row 2 has the second "p"
        pa.array([0, 0, 2, 1, None, 4, 1], pa.int8()), dictionary
    )
    t1, t2, t3 = (f"2026-01-0{d}T00:00:00+00:00" for d in (1, 2, 3))
    times = pa.array(["garbage", t1, t2, "garbage", t3, t3, t2], pa.string())
    for column in (pa.array(values, pa.string()), pa.array(values, pa.large_string()), encoded):
        batch = pa.record_batch({"page": column, "at": times})
        codes, labels = S._codes(batch, "page", 7, None)
        assert [labels[c] for c in codes.tolist()] == values
        assert len(set(codes.tolist())) == len({*values})  # equal values, equal codes
        got: dict[str, datetime] = {}
        S._first_times(got, batch, "page", "at")
        assert got == {"p": S.as_moment(t1), "q": S.as_moment(t2)}  # the first that parse
