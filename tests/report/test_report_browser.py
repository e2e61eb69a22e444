"""The report in a real headless browser: it renders with no console error, and the numbers the
browser shows are the manifest's. Skipped (with the reason) when no Chromium is installed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from crawler.report.publish import publish
from crawler.report.screenshot import find_chromium, render
from tests.report.test_publish import make_crawl


@pytest.mark.skipif(
    find_chromium() is None,
    reason="no Chromium installed (apt-get install chromium); report not checked in a browser",
)
def test_report_renders_in_chromium_with_the_manifest_numbers(tmp_path: Path) -> None:
    make_crawl(tmp_path)
    publish(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    result = render(tmp_path / "report.html", tmp_path / "shot.png", size=(1000, 1600))
    assert result.console_errors == []
    assert result.png.stat().st_size > 10_000  # a real picture, not a blank page
    kept = re.search(r'id="kept-count">([\d,]+)<', result.dom)
    assert kept and int(kept.group(1).replace(",", "")) == manifest["counts"]["kept"]
    excluded = re.search(r'id="excluded-count">([\d,]+)<', result.dom)
    assert excluded and int(excluded.group(1).replace(",", "")) == sum(
        manifest["counts"]["excluded_by_cause"].values()
    )
    assert result.dom.count("<svg") >= 6  # the charts are in the rendered page
