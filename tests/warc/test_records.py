"""WARC writing and reading (pure): records, rotation, failures, the replay index, tampering."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.clock import ARCHIVE_DATE, ArchiveClock, SystemClock
from crawler.commands.replay import needs_new_requests, recorded_settings
from crawler.warc.archive import (
    ArchiveError,
    ArchiveIndex,
    RecordedFailure,
    RecordedResponse,
    check_archive,
    read_answer,
)
from crawler.warc.records import Exchange, WarcSink, write_cdxj, write_cdxj_lines

T0 = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
GZ_BODY = gzip.compress(b"<html><img src=a.png alt=x></html>")


def page(url: str = "http://a.test/p", date: datetime = T0) -> Exchange:
    return Exchange(
        url=url,
        method="GET",
        request_headers=[("User-Agent", "consentcrawl/0.1.0"), ("Accept-Encoding", "gzip")],
        request_body=b"",
        date=date,
        status=200,
        response_headers=[
            ("Content-Type", "text/html"),
            ("Content-Encoding", "gzip"),
            ("Transfer-Encoding", "chunked"),
        ],
        response_body=GZ_BODY,
    )


def failure(url: str = "http://down.test/robots.txt", date: datetime = T0) -> Exchange:
    return Exchange(
        url=url,
        method="GET",
        request_headers=[],
        request_body=b"",
        date=date,
        error_class="twisted.internet.error.DNSLookupError",
        error="DNS lookup failed: down.test",
    )


def write(tmp_path: Path, exchanges: list[Exchange], max_bytes: int = 1 << 30) -> WarcSink:
    sink = WarcSink(tmp_path, max_bytes, {"software": "consentcrawl/test", "seeds": ["x"]})
    for ex in exchanges:
        sink.write(ex)
    sink.close()
    return sink


def test_records_are_valid_warc_with_pairs_digests_and_raw_bodies(tmp_path: Path) -> None:
    sink = write(tmp_path, [page(), failure()])
    (only,) = sink.files
    assert only.records == 5  # warcinfo + 2 pairs
    with open(tmp_path / only.path, "rb") as fh:
        types = [(r.rec_type, r.rec_headers["WARC-Record-ID"]) for r in ArchiveIterator(fh)]
    assert [t for t, _ in types] == ["warcinfo", "response", "request", "metadata", "request"]
    ids = dict(types)
    with open(tmp_path / only.path, "rb") as fh:
        for record in ArchiveIterator(fh):
            headers = record.rec_headers
            assert headers.get_header("WARC-Block-Digest"), record.rec_type
            if record.rec_type == "response":
                assert headers.get_header("WARC-Payload-Digest")
                assert headers.get_header("WARC-Date") == "2026-05-01T12:00:00.123456Z"
                # As received: still gzip; chunked framing renamed, not re-applied.
                assert record.raw_stream.read() == GZ_BODY
                assert record.http_headers.get_header("Transfer-Encoding") is None
            if record.rec_type == "request" and headers.get_header("WARC-Target-URI").endswith(
                "/p"
            ):
                assert headers.get_header("WARC-Concurrent-To") == ids["response"]
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", str(tmp_path / only.path)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_files_rotate_at_max_bytes_each_with_warcinfo(tmp_path: Path) -> None:
    sink = write(tmp_path, [page(f"http://a.test/{i}") for i in range(6)], max_bytes=1500)
    assert len(sink.files) > 1
    for f in sink.files:
        with open(tmp_path / f.path, "rb") as fh:
            first = next(iter(ArchiveIterator(fh)))
        assert first.rec_type == "warcinfo"
    assert sum(f.records for f in sink.files) == 6 * 2 + len(sink.files)


def test_index_answers_in_capture_order_then_repeats_the_last(tmp_path: Path) -> None:
    later = T0 + timedelta(seconds=5)
    sink = write(tmp_path, [failure("http://a.test/p"), page("http://a.test/p", later)])
    index = ArchiveIndex.load([tmp_path / f.path for f in sink.files])
    first = index.take("GET", "http://a.test/p", None)
    second = index.take("GET", "http://a.test/p", None)
    third = index.take("GET", "http://a.test/p", None)
    assert first is not None and second is not None and third == second
    assert isinstance(read_answer(first), RecordedFailure)
    recorded = read_answer(second)
    assert isinstance(recorded, RecordedResponse)
    assert (recorded.status, recorded.body) == (200, GZ_BODY)
    assert second.date == later
    assert index.take("HEAD", "http://a.test/p", None) is None
    assert index.take("GET", "http://a.test/other", None) is None


def test_a_cut_body_is_recorded_truncated_and_replays_with_its_flag(tmp_path: Path) -> None:
    cut = page("http://a.test/robots.txt")
    cut.flags = ["download_stopped", "cached"]
    sink = write(tmp_path, [cut])
    with open(tmp_path / sink.files[0].path, "rb") as fh:
        response = next(r for r in ArchiveIterator(fh) if r.rec_type == "response")
        assert response.rec_headers.get_header("WARC-Truncated") == "length"
    index = ArchiveIndex.load([tmp_path / f.path for f in sink.files])
    answer = index.take("GET", "http://a.test/robots.txt", None)
    assert answer is not None
    recorded = read_answer(answer)
    assert isinstance(recorded, RecordedResponse) and recorded.flags == ["download_stopped"]


def test_range_is_part_of_the_key(tmp_path: Path) -> None:
    ranged = page("http://a.test/i.png")
    ranged.request_headers.append(("Range", "bytes=0-65535"))
    sink = write(tmp_path, [ranged])
    index = ArchiveIndex.load([tmp_path / f.path for f in sink.files])
    assert index.take("GET", "http://a.test/i.png", None) is None
    assert index.take("GET", "http://a.test/i.png", "bytes=0-65535") is not None


def test_flipped_byte_is_caught_by_the_manifest_sha256(tmp_path: Path) -> None:
    sink = write(tmp_path, [page()])
    manifest = {"warc": [f.record() for f in sink.files]}
    assert check_archive(tmp_path, manifest)
    path = tmp_path / sink.files[0].path
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match=sink.files[0].path.split("/")[-1]):
        check_archive(tmp_path, manifest)
    with pytest.raises(ArchiveError, match="no WARC files"):
        check_archive(tmp_path, {"warc": []})


def test_cdxj_lines_made_while_writing_equal_cdxj_indexer(tmp_path: Path) -> None:
    sink = write(tmp_path, [page(), failure(), page("http://b.test/x?q=1")], max_bytes=1500)
    ours = write_cdxj_lines(tmp_path, sink.cdxj).read_text()
    lines = write_cdxj(tmp_path, sink.files).read_text().splitlines()  # cdxj-indexer
    assert ours.splitlines() == lines
    entries = [json.loads(line.split(" ", 2)[2]) for line in lines]
    assert {e["url"] for e in entries} == {
        "http://a.test/p",
        "http://down.test/robots.txt",
        "http://b.test/x?q=1",
    }
    assert {e["filename"] for e in entries} == {f.path.split("/")[-1] for f in sink.files}


def test_clocks() -> None:
    clock = ArchiveClock(T0)
    clock.advance(T0 - timedelta(seconds=1))  # never backwards
    assert clock.now() == T0
    clock.advance(T0 + timedelta(seconds=2))
    assert clock.monotonic() == (T0 + timedelta(seconds=2)).timestamp()
    assert clock.stamp({ARCHIVE_DATE: T0}) == T0
    assert SystemClock().stamp({}).tzinfo is UTC


def test_policy_changes_that_need_new_requests() -> None:
    strict = {"families": ["aitxt", "robots", "tdmrep"], "image_probe": "head"}
    robots_only = {"families": ["robots"], "image_probe": "off"}
    assert needs_new_requests(strict, robots_only) == []
    needs = needs_new_requests(robots_only, strict)
    assert len(needs) == 3 and any("ai.txt" in n for n in needs)
    assert needs_new_requests(strict, {**strict, "image_probe": "range"})
    # strict -> standard keeps noindex images, which strict never probed.
    standard = {**strict, "noindex_excludes": False}
    (probes,) = needs_new_requests({**strict, "noindex_excludes": True}, standard)
    assert "noindex" in probes


def test_recorded_settings_leave_the_original_run_plumbing_out() -> None:
    manifest = {
        "settings": {
            "INDEX_DIR": "/x",
            "WARC_ENABLED": True,
            "DEPTH_LIMIT": 2,
            "CONSENT_POLICY": "standard",
            "ITEM_PIPELINES": {},
            "REGEN_BATCH_ROWS": 64,
            "NOT_A_SETTING": 1,
        }
    }
    assert recorded_settings(manifest) == {
        "DEPTH_LIMIT": 2,
        "CONSENT_POLICY": "standard",
        "REGEN_BATCH_ROWS": 64,
    }
