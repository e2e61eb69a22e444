"""Sharded Parquet writing: atomic part files, shard sizes, hashes, the index-dir rule."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.config import ConfigError
from crawler.output.indexdir import check_index_dir, clear_outputs
from crawler.output.shards import (
    EXCLUDED_SCHEMA,
    INDEX_SCHEMA,
    ShardWriter,
    _list_of_structs,
    _list_of_structs_by_record,
    _Unexpected,
    file_sha256,
    rows_to_batch,
)


def row(i: int) -> dict:
    return {
        "url": f"https://img.test/{i}.jpg",
        "caption": f"caption {i}",
        "page_url": "https://page.test/",
        "declared_width": i,
        "srcset": [],
        "fetched_at": datetime(2026, 1, 1, tzinfo=UTC).isoformat(),
        "consent": [{"family": "robots", "verdict": "allow", "source": "s", "value": ""}],
    }


def test_shards_of_fixed_size_and_remainder(tmp_path: Path) -> None:
    writer = ShardWriter(tmp_path / "index", INDEX_SCHEMA, rows_per_shard=4)
    for i in range(10):
        writer.add(row(i))
    parts = writer.close()
    assert [p.rows for p in parts] == [4, 4, 2]
    assert [p.path.name for p in parts] == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    table = pq.read_table(tmp_path / "index")
    assert table.num_rows == 10
    width = INDEX_SCHEMA.field("declared_width").type
    assert table.schema.field("declared_width").type == width
    assert sorted(table.column("declared_width").to_pylist()) == list(range(10))
    assert all(file_sha256(p.path) == p.sha256 for p in parts)
    assert not list((tmp_path / "index").glob(".*tmp"))  # no temporary files left behind


def test_missing_columns_are_null(tmp_path: Path) -> None:
    writer = ShardWriter(tmp_path / "index", INDEX_SCHEMA)
    writer.add(row(1))
    writer.close()
    [record] = pq.read_table(tmp_path / "index").to_pylist()
    assert record["license"] is None and record["title"] is None


def test_close_without_rows_writes_nothing(tmp_path: Path) -> None:
    writer = ShardWriter(tmp_path / "index", INDEX_SCHEMA)
    assert writer.close() == []
    assert list((tmp_path / "index").iterdir()) == []


def test_index_dir_rules(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="INDEX_DIR is not set"):
        check_index_dir("", False)
    assert check_index_dir(str(tmp_path / "new"), False) == tmp_path / "new"
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "index").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("mine")
    (tmp_path / "used" / "manifest.json").write_text("{}")
    with pytest.raises(ConfigError, match="not empty"):
        check_index_dir(str(tmp_path / "used"), False)
    check_index_dir(str(tmp_path / "used"), True)
    clear_outputs(tmp_path / "used")
    assert sorted(p.name for p in (tmp_path / "used").iterdir()) == ["notes.txt"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        check_index_dir(str(tmp_path / "file"), True)


def test_rows_are_compacted_into_batches_before_a_shard_is_full(tmp_path: Path) -> None:
    writer = ShardWriter(tmp_path / "index", INDEX_SCHEMA, rows_per_shard=10, batch_rows=3)
    for i in range(7):
        writer.add(row(i))
    assert writer.buffered == 7 and writer.parts == []
    for i in range(7, 25):
        writer.add(row(i))
    parts = writer.close()
    assert [p.rows for p in parts] == [10, 10, 5]
    widths = pq.read_table(tmp_path / "index").column("declared_width").to_pylist()
    assert widths == list(range(25))  # order kept across batches and shards


def test_flush_puts_rows_on_disk_before_the_shard_is_full(tmp_path: Path) -> None:
    writer = ShardWriter(tmp_path / "index", INDEX_SCHEMA, rows_per_shard=100, batch_rows=4)
    for i in range(5):
        writer.add(row(i))
    writer.flush()
    assert pq.read_table(tmp_path / "index").num_rows == 5  # readable while the crawl runs
    for i in range(5, 8):
        writer.add(row(i))
    writer.flush()
    # The shard being filled is rewritten whole: still one part, now with every row.
    assert [p.name for p in (tmp_path / "index").iterdir()] == ["part-00000.parquet"]
    assert sorted(pq.read_table(tmp_path / "index").column("declared_width").to_pylist()) == list(
        range(8)
    )
    assert writer.buffered == 0 and writer.rows_written == 8
    assert [p.rows for p in writer.close()] == [8]


def test_a_failed_write_leaves_the_previous_part_and_says_so(tmp_path: Path, monkeypatch) -> None:
    writer = ShardWriter(tmp_path / "index", INDEX_SCHEMA, rows_per_shard=100)
    for i in range(3):
        writer.add(row(i))
    writer.flush()
    writer.add(row(3))

    def full_disk(table, where, **kwargs):
        Path(where).write_bytes(b"PAR1 half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pq, "write_table", full_disk)
    with pytest.raises(OSError, match="No space left"):
        writer.flush()
    monkeypatch.undo()
    assert pq.read_table(tmp_path / "index").num_rows == 3
    assert [p.rows for p in writer.parts] == [3] and writer.rows_written == 3
    assert not list((tmp_path / "index").glob(".*tmp"))


def test_close_can_write_an_empty_part_with_the_schema(tmp_path: Path) -> None:
    writer = ShardWriter(tmp_path / "index", INDEX_SCHEMA)
    [part] = writer.close(empty_part=True)
    table = pq.read_table(tmp_path / "index")
    assert part.rows == 0 and table.num_rows == 0
    assert table.schema.equals(INDEX_SCHEMA)


def test_seal_starts_a_new_part(tmp_path: Path) -> None:
    writer = ShardWriter(tmp_path / "consent", INDEX_SCHEMA, rows_per_shard=100)
    writer.add(row(0))
    writer.seal()
    writer.add(row(1))
    writer.seal()
    assert [p.rows for p in writer.parts] == [1, 1]
    assert writer.seal() is None and writer.buffered == 0


_TEXT = st.one_of(st.none(), st.sampled_from(["", "robots", "allow", "é", "User-agent: *"]))
_RECORD = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={"family": _TEXT, "verdict": _TEXT, "source": _TEXT, "value": _TEXT, "x": _TEXT},
    ),
)
_CONSENT = st.one_of(st.none(), st.lists(_RECORD, max_size=5))


@settings(max_examples=300, deadline=None)
@given(
    consents=st.lists(_CONSENT, min_size=1, max_size=12),
    schema=st.sampled_from([INDEX_SCHEMA, EXCLUDED_SCHEMA]),
)
def test_rows_to_batch_is_from_pylist(consents: list, schema: pa.Schema) -> None:
    # The consent column built from flat field lists: the batch pyarrow builds from the dicts.
    rows = []
    for k, consent in enumerate(consents):
        row: dict = {"url": f"http://i.test/{k}.jpg", "page_url": "http://p.test/"}
        if k % 3:
            row["consent"] = consent
        if schema is EXCLUDED_SCHEMA:
            row["reasons"] = ["robots:disallowed"] if k % 2 else None
        rows.append(row)
    fast = rows_to_batch(rows, schema)
    assert fast.schema == schema
    assert fast.equals(pa.RecordBatch.from_pylist(rows, schema=schema))


class _Record(dict):  # a dict subclass: record by record, as pyarrow reads it
    pass


_FULL_RECORD = st.builds(
    lambda family, verdict, source, value, extra, kind: kind(
        {"family": family, "verdict": verdict, "source": source, "value": value, **extra}
    ),
    _TEXT,
    _TEXT,
    _TEXT,
    _TEXT,
    st.sampled_from([{}, {"x": "extra"}]),
    st.sampled_from([dict, dict, dict, _Record]),
)
_FULL_CONSENT = st.one_of(
    st.none(),
    st.lists(st.one_of(_FULL_RECORD, _FULL_RECORD, _FULL_RECORD, _RECORD), max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(consents=st.lists(_FULL_CONSENT, min_size=0, max_size=12), shared=st.booleans())
def test_list_of_structs_is_pyarrows_and_the_record_by_record_one(
    consents: list, shared: bool
) -> None:
    # Mostly complete records (the fast path, every field read at once), some not (None, a
    # missing field, a dict subclass: record by record); both ways give pyarrow's own array.
    if shared and consents:  # page records: the same dicts in every row's list
        page = [r for value in consents if value for r in value][:3]
        consents = [None if value is None else page + value for value in consents]
    list_type = INDEX_SCHEMA.field("consent").type
    expected = pa.array(consents, type=list_type)
    results = []
    for build in (_list_of_structs, _list_of_structs_by_record):
        try:
            results.append(build(consents, list_type))
        except _Unexpected:  # left to pyarrow by rows_to_batch (a dict subclass)
            results.append(None)
    assert results[0] is None or results[0].equals(expected)
    assert (results[0] is None) == (results[1] is None)
    if results[1] is not None:
        assert results[1].equals(expected)
    assert results[0] is not None or any(
        type(r) is _Record for value in consents if value for r in value
    )
    rows = [{"url": "u", "consent": value} for value in consents]
    assert rows_to_batch(rows, INDEX_SCHEMA).equals(
        pa.RecordBatch.from_pylist(rows, schema=INDEX_SCHEMA)
    )


def test_rows_to_batch_leaves_unexpected_values_to_pyarrow() -> None:
    good = {"url": "u", "consent": [{"family": "robots", "verdict": "allow"}]}
    for bad in ({"url": "u", "consent": ({"family": "robots"},)}, {"url": "u", "consent": [1]}):
        try:
            expected = pa.RecordBatch.from_pylist([good, bad], schema=INDEX_SCHEMA)
        except (pa.ArrowException, TypeError, ValueError) as exc:
            with pytest.raises(type(exc)):
                rows_to_batch([good, bad], INDEX_SCHEMA)
        else:
            assert rows_to_batch([good, bad], INDEX_SCHEMA).equals(expected)
    with pytest.raises((pa.ArrowException, TypeError)):
        rows_to_batch([{"url": "u", "consent": [{"family": 3}]}], INDEX_SCHEMA)
    assert rows_to_batch([], INDEX_SCHEMA).num_rows == 0


def test_parts_carry_statistics_of_their_flat_columns_only(tmp_path: Path) -> None:
    writer = ShardWriter(tmp_path / "index", INDEX_SCHEMA, rows_per_shard=4)
    for i in range(6):
        writer.add(row(i))
    for part in writer.close():
        group = pq.ParquetFile(part.path).metadata.row_group(0)
        stats = {
            group.column(k).path_in_schema: group.column(k).is_stats_set
            for k in range(group.num_columns)
        }
        assert stats["url"] and stats["page_url"] and stats["declared_width"]
        nested = [name for name in stats if name.startswith(("consent.", "srcset."))]
        assert nested and not any(stats[name] for name in nested)
    urls = pq.ParquetFile(writer.parts[0].path).metadata.row_group(0).column(0)
    assert urls.path_in_schema == "url"
    assert (urls.statistics.min, urls.statistics.max) == (
        "https://img.test/0.jpg",
        "https://img.test/3.jpg",
    )


def test_columns_of_distinct_values_are_written_without_a_dictionary(tmp_path: Path) -> None:
    rows = [{**row(i), "page_url": f"https://page.test/{i % 2}"} for i in range(6)]
    plain = ShardWriter(tmp_path / "plain", INDEX_SCHEMA, plain_columns=("url", "caption"))
    every = ShardWriter(tmp_path / "every", INDEX_SCHEMA)
    for writer in (plain, every):
        for r in rows:
            writer.add(r)
        writer.close()

    def dictionary(path: Path) -> dict[str, bool]:
        group = pq.ParquetFile(path).metadata.row_group(0)
        return {
            group.column(k).path_in_schema: group.column(k).has_dictionary_page
            for k in range(group.num_columns)
        }

    used = dictionary(plain.parts[0].path)
    assert not used["url"] and not used["caption"]
    assert used["page_url"] and used["consent.list.element.family"]
    by_default = dictionary(every.parts[0].path)
    assert by_default["url"] and by_default["caption"] and by_default["page_url"]
    # The same rows either way.
    assert pq.read_table(plain.parts[0].path).equals(pq.read_table(every.parts[0].path))


def test_dictionary_columns_name_parquet_leaves() -> None:
    from crawler.output.shards import dictionary_columns, leaf_paths

    assert "consent.list.element.source" in leaf_paths(INDEX_SCHEMA)
    chosen = dictionary_columns(INDEX_SCHEMA, ("url", "consent"))
    assert isinstance(chosen, list)
    assert "url" not in chosen and not any(c.startswith("consent.") for c in chosen)
    assert "caption" in chosen
    assert dictionary_columns(INDEX_SCHEMA, ()) is True
    assert dictionary_columns(INDEX_SCHEMA, ("no such column",)) is True
