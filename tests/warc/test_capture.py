"""The capture's end of run: manifest fields, CDXJ, and a resumed run keeping earlier files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from scrapy.utils.test import get_crawler

from crawler.warc.capture import WarcCapture, warc_manifest_fields
from crawler.warc.records import Exchange

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def exchange(url: str) -> Exchange:
    return Exchange(url, "GET", [], b"", T0, 200, "HTTP/1.1", [("Content-Type", "text/html")], b"x")


def capture(root: Path, **settings: object) -> WarcCapture:
    crawler = get_crawler(settings_dict={"INDEX_DIR": str(root), "WARC_ENABLED": True, **settings})
    crawler._apply_settings()
    return WarcCapture.of(crawler)


def test_off_by_default_gives_no_manifest_fields(tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict={"INDEX_DIR": str(tmp_path)})
    crawler._apply_settings()
    assert warc_manifest_fields(crawler) == {}


def test_a_resumed_run_numbers_on_and_lists_every_file(tmp_path: Path) -> None:
    first = capture(tmp_path)
    first.write(exchange("http://a.test/1"))
    (one,) = first.finish()["warc"]
    assert one["path"] == "warc/consentcrawl-00000.warc.gz" and one["records"] == 3

    second = capture(tmp_path, REGEN_RESUME=True)
    second.write(exchange("http://a.test/2"))
    fields = second.finish()
    assert [f["path"] for f in fields["warc"]] == [
        "warc/consentcrawl-00000.warc.gz",
        "warc/consentcrawl-00001.warc.gz",
    ]
    assert [f["records"] for f in fields["warc"]] == [3, 3]
    index = (tmp_path / fields["warc_index"]).read_text()
    assert "http://a.test/1" in index and "http://a.test/2" in index

    # Not resumed (INDEX_OVERWRITE): the old capture goes.
    third = capture(tmp_path)
    third.write(exchange("http://a.test/3"))
    fields = third.finish()
    assert [f["path"] for f in fields["warc"]] == ["warc/consentcrawl-00000.warc.gz"]
    assert not (tmp_path / "warc" / "consentcrawl-00001.warc.gz").exists()
