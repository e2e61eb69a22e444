"""Regeneration inputs, keys, progress, state and plan (the pure half of ``scrapy regenerate``)."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawler.output.shards import FAMILY_COLUMN_NAMES
from crawler.regen.inputs import (
    InputError,
    detect_columns,
    discover,
    iter_batches,
    measure,
    url_is_valid,
)
from crawler.regen.keys import removed_keys_table, url_sha256
from crawler.regen.plan import build_plan, output_names
from crawler.regen.progress import Progress, format_duration
from crawler.regen.state import RegenState, StateError
from tests.corpus import CORPUS

SAMPLE = CORPUS / "laion-sample"

ROWS = [
    {"url": f"http://h{i % 7}.test/img/{i}.jpg", "caption": f"caption {i}", "n": i}
    for i in range(25)
]
ROWS[3]["caption"] = 'with, a comma and "quotes"\nand a newline'


def _all(inputs, size: int) -> list[dict]:
    return [row for b in iter_batches(inputs, size) for row in b.data.to_pylist()]


def test_parquet_folder_batches_are_fixed_size_and_numbered_across_files(tmp_path: Path) -> None:
    folder = tmp_path / "laion"
    folder.mkdir()
    table = pa.Table.from_pylist(ROWS)
    pq.write_table(table.slice(0, 10), folder / "part-0.parquet", row_group_size=3)
    pq.write_table(table.slice(10), folder / "part-1.parquet", row_group_size=4)
    (folder / "_SUCCESS").write_text("")
    (folder / ".hidden.parquet").write_text("not parquet")
    inputs = discover([str(folder)])
    assert [p.path.name for p in inputs] == ["part-0.parquet", "part-1.parquet"]
    batches = list(iter_batches(inputs, 4))
    assert [(b.number, b.input_index, b.first_row, b.num_rows) for b in batches] == [
        (0, 0, 0, 4),
        (1, 0, 4, 4),
        (2, 0, 8, 2),
        (3, 1, 0, 4),
        (4, 1, 4, 4),
        (5, 1, 8, 4),
        (6, 1, 12, 3),
    ]
    assert _all(inputs, 4) == ROWS
    assert all(b.data.schema.field("n").type == pa.int64() for b in batches)
    for inp in inputs:
        measure(inp)
    assert [i.rows for i in inputs] == [10, 15]
    assert all(len(i.sha256 or "") == 64 for i in inputs)


def test_gzip_csv_keeps_values_as_text(tmp_path: Path) -> None:
    path = tmp_path / "in.csv.gz"
    with gzip.open(path, "wt", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["url", "caption", "n"])
        writer.writeheader()
        writer.writerows(ROWS)
    (inp,) = discover([str(path)])
    assert (inp.format, inp.compressed) == ("csv", True)
    assert inp.schema == pa.schema(
        [("url", pa.string()), ("caption", pa.string()), ("n", pa.string())]
    )
    rows = _all([inp], 10)
    assert [r["caption"] for r in rows] == [r["caption"] for r in ROWS]
    assert [r["n"] for r in rows] == [str(r["n"]) for r in ROWS]
    measure(inp)
    assert inp.rows == 25


def test_tsv_is_read_without_quoting(tmp_path: Path) -> None:
    path = tmp_path / "cc3m.tsv"
    path.write_text(
        'caption\turl\n"quoted start\thttp://a.test/1.jpg\nplain\thttp://a.test/2.jpg\n'
    )
    (inp,) = discover([str(path)])
    rows = _all([inp], 100)
    assert rows == [
        {"caption": '"quoted start', "url": "http://a.test/1.jpg"},
        {"caption": "plain", "url": "http://a.test/2.jpg"},
    ]
    assert detect_columns(inp.columns).url == "url"


@pytest.mark.parametrize("name", ["in.jsonl", "in.jsonl.gz"])
def test_json_lines_keep_inferred_types(tmp_path: Path, name: str) -> None:
    text = "".join(json.dumps(r) + "\n" for r in ROWS)
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    (inp,) = discover([str(path)])
    assert inp.schema.field("n").type == pa.int64()
    assert _all([inp], 7) == ROWS
    measure(inp)
    assert inp.rows == 25


def test_laion_sample_columns_and_batches() -> None:
    if not (SAMPLE / "test_1000.parquet").is_file():
        pytest.skip(f"shared corpus not available: {SAMPLE} (expected at ../shared/corpus)")
    inputs = discover([str(SAMPLE / "test_1000.parquet")])
    cols = detect_columns(inputs[0].columns)
    assert (cols.url, cols.caption, cols.page, cols.key) == ("URL", "TEXT", None, None)
    assert sum(b.num_rows for b in iter_batches(inputs, 300)) == 1000


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["url", "caption"], ("url", "caption", None, None)),
        (["URL", "TEXT", "SAMPLE_ID"], ("URL", "TEXT", None, "SAMPLE_ID")),
        (["uid", "url", "alt", "cc_filename", "page_url"], ("url", "alt", "page_url", "uid")),
        (
            ["image_url", "alt_text", "webpage_url", "key"],
            ("image_url", "alt_text", "webpage_url", "key"),
        ),
        (["Url", "Caption"], ("Url", "Caption", None, None)),
    ],
)
def test_detect_columns(names: list[str], expected: tuple) -> None:
    cols = detect_columns(names)
    assert (cols.url, cols.caption, cols.page, cols.key) == expected


def test_missing_url_column_lists_the_columns_found() -> None:
    with pytest.raises(InputError) as err:
        detect_columns(["link", "TEXT", "similarity"])
    assert "columns found: link, TEXT, similarity" in str(err.value)
    assert "--url-col" in str(err.value)
    with pytest.raises(InputError, match="columns found: link, TEXT"):
        detect_columns(["link", "TEXT"], url_col="href")
    assert detect_columns(["link", "TEXT"], url_col="link").url == "link"


def test_discover_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        discover([str(tmp_path / "nope.parquet")])
    (tmp_path / "notes.md").write_text("x")
    with pytest.raises(InputError, match="unknown format"):
        discover([str(tmp_path / "notes.md")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no"):
        discover([str(tmp_path / "empty")])
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(InputError, match="cannot read"):
        discover([str(tmp_path / "bad.parquet")])
    pq.write_table(pa.table({"url": ["http://a.test/x"]}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"URL": ["http://a.test/x"]}), tmp_path / "b.parquet")
    with pytest.raises(InputError, match="different columns"):
        discover([str(tmp_path / "a.parquet"), str(tmp_path / "b.parquet")])


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("http://a.test/x.jpg", True),
        ("https://a.test:443/x.jpg?w=1", True),
        ("HTTP://A.TEST/x", True),
        ("http://a.test/with space.jpg", True),
        ("UNLIKELY", False),
        ("", False),
        (None, False),
        (3, False),
        ("ftp://a.test/x.jpg", False),
        ("data:image/png;base64,AAAA", False),
        ("http:///x.jpg", False),
        ("http://a.test:99999/x.jpg", False),
        ("http://a.test:port/x.jpg", False),
        ("http://[::1/x.jpg", False),
        (" http://a.test/x.jpg", False),
    ],
)
def test_url_is_valid(url: object, ok: bool) -> None:
    assert url_is_valid(url) is ok


def test_removed_keys_with_and_without_a_key_column() -> None:
    batch = pa.RecordBatch.from_pylist(
        [{"SAMPLE_ID": 10 + i, "URL": f"http://a.test/{i}.jpg"} for i in range(5)]
    )

    def removed(reasons: Any) -> pa.Table:
        return removed_keys_table(
            batch,
            [1, 4],
            url_column="URL",
            key_column="SAMPLE_ID",
            input_name="in.parquet",
            first_row=100,
            reasons=reasons,
        )

    table = removed([["robots:disallowed"], ["tdmrep:reserved"]])
    names = ["SAMPLE_ID", "input", "input_absolute", "row", "url_sha256", "reasons"]
    assert table.schema.names == names
    assert table.to_pylist()[1] == {
        "SAMPLE_ID": 14,
        "input": "in.parquet",  # as given on the command line
        "input_absolute": str(Path("in.parquet").resolve()),  # joinable from anywhere
        "row": 104,
        "url_sha256": url_sha256("http://a.test/4.jpg"),
        "reasons": ["tdmrep:reserved"],
    }
    # The writer passes the reasons as the list<string> array of the excluded part: same table.
    as_arrow = removed(
        pa.array([["robots:disallowed"], ["tdmrep:reserved"]], pa.list_(pa.string()))
    )
    assert as_arrow.equals(table)
    bare = removed_keys_table(
        batch, [], url_column="URL", key_column=None, input_name="x", first_row=0, reasons=[]
    )
    assert bare.num_rows == 0 and bare.schema.names[0] == "input"
    assert url_sha256(None) is None


def test_progress_line_plain_stream() -> None:
    now = [0.0]
    out = io.StringIO()
    progress = Progress(1000, stream=out, interval=1.0, clock=lambda: now[0])
    progress.skip(100)
    now[0] = 2.0
    progress.add(150, [["robots:ai-token=GPTBot"]] * 40 + [["tdmrep:reserved"]] * 10)
    line = out.getvalue().strip()
    assert line.startswith("rows 300/1,000 (30.0%) 100 rows/s ETA 7s kept 75.0%")
    assert "robots:ai-token=GPTBot 20.0%" in line and "tdmrep:reserved 5.0%" in line
    assert "\r" not in out.getvalue()
    now[0] = 2.5
    progress.add(1, [])  # under a second since the last line: nothing printed
    assert out.getvalue().count("\n") == 1
    progress.close()
    assert out.getvalue().count("\n") == 2
    assert format_duration(3725) == "1h02m" and format_duration(float("inf")) == "?"


def test_state_round_trip_and_fingerprint_check(tmp_path: Path) -> None:
    state = RegenState.start(tmp_path, {"inputs": [["a", "sha", 3]]})
    state.complete(0, {"rows": 3, "parts": {"index": {"path": "index/part-00000.parquet"}}})
    again = RegenState.load(tmp_path, {"inputs": [["a", "sha", 3]]})
    assert again.done == {0} and again.runs == 2
    assert again.parts("index") == [{"path": "index/part-00000.parquet"}]
    with pytest.raises(StateError, match="other inputs"):
        RegenState.load(tmp_path, {"inputs": [["a", "other", 3]]})


def test_plan_renames_clashing_columns(tmp_path: Path) -> None:
    assert output_names(["url", "license", "reasons", "rsl_attribution"]) == {
        "consent": "consent",
        "license": "consentcrawl_license",
        "reasons": "consentcrawl_reasons",
        # the registry's family columns too
        **{name: name for name in FAMILY_COLUMN_NAMES},
        "rsl_attribution": "consentcrawl_rsl_attribution",
    }
    path = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), path)
    plan = build_plan([str(path)], tmp_path / "out", batch_rows=10)
    assert plan.total_rows == 25 and plan.total_batches == 3 and plan.renamed == {}
    assert plan.fingerprint()["inputs"][0][2] == 25
