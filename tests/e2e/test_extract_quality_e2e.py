"""Issue 11 end to end: real images found, captions with provenance, quality kept apart from
consent, and every index column carried through img2dataset.

One simulated site shows what the corpus pages taught: a MediaWiki thumbnail (alt="" and a
div.thumbcaption), a lazysizes image behind a placeholder, an og:image with og:image:alt, a
Quantcast pixel with alt text, and a 16 px share icon in the footer.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path
from struct import pack

import pyarrow.parquet as pq
import pytest

from crawler.demo import PROJECT_ROOT, crawl_command, run_crawl
from crawler.output.shards import INDEX_SCHEMA
from crawler.simweb.control import SimWeb
from tests.support.cli import offline_env

HOST = "wiki.i11.test"
ALLOW_ALL = {"status": 200, "body": "User-agent: *\nAllow: /\n"}
DISALLOW_ALL = "User-agent: *\nDisallow: /\n"


def png(width: int, height: int) -> bytes:
    """A valid grey RGB PNG (img2dataset decodes what it downloads)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return pack(">I", len(data)) + kind + data + pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * (3 * width) for _ in range(height))
    header = pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def image(width: int, height: int) -> dict:
    body = base64.b64encode(png(width, height)).decode()
    return {"status": 200, "headers": {"Content-Type": "image/png"}, "body_b64": body}


PAGE = f"""<html><head><title>Fox</title>
<meta property="og:image" content="http://{HOST}/lead.png">
<meta property="og:image:alt" content="A fox looking at the camera">
</head><body>
<header><img src="/logo.png" alt="Wiki site logo" width="135" height="135"></header>
<div id="content" class="mw-body" role="main">
 <div class="thumb tright"><div class="thumbinner" style="width:222px;">
  <a href="/wiki/File:Fox.png" class="image"><img alt="" src="/fox.png" width="220" height="150"
   class="thumbimage"></a>
  <div class="thumbcaption"><div class="magnify"><a href="/wiki/File:Fox.png"></a></div>
   A red fox in the snow near Oslo</div></div></div>
 <img class="lazyload" src="/img/missing-image.svg" data-src="/lazy.png"
  alt="A fox cub asleep under a tree" width="300" height="200">
</div>
<footer><img src="/icons/share.png" alt="Share on Facebook" width="16" height="16"></footer>
<img src="http://pixel.quantserve.com/pixel/p-x.gif" alt="Quantcast" width="1" height="1">
<img src="http://refuse.i11.test/a.png" alt="A picture its site refuses">
<img src="http://refuse.i11.test/icon.png" alt="An icon its site refuses" width="16" height="16">
<img src="http://down.i11.test/a.png" alt="A picture behind a failing robots.txt">
</body></html>"""

SITES = {
    "hosts": {
        HOST: {
            "routes": {
                "/robots.txt": ALLOW_ALL,
                "/": {"status": 200, "headers": {"Content-Type": "text/html"}, "body": PAGE},
                "/fox.png": image(22, 15),
                "/lazy.png": image(30, 20),
                "/lead.png": image(40, 30),
                "/logo.png": image(13, 13),
                "/icons/share.png": image(16, 16),
                "/img/missing-image.svg": image(1, 1),
            }
        },
        "refuse.i11.test": {"routes": {"/robots.txt": {"status": 200, "body": DISALLOW_ALL}}},
        "down.i11.test": {"routes": {"/robots.txt": {"status": 503, "body": "down"}}},
        "pixel.quantserve.com": {
            "routes": {"/robots.txt": ALLOW_ALL, "/pixel/p-x.gif": image(1, 1)}
        },
    }
}


def _crawl(out: Path, web: SimWeb, *settings: str) -> dict:
    extra = ["-s", "DOWNLOAD_TIMEOUT=5", "-s", "RETRY_TIMES=0"]
    for setting in settings:
        extra += ["-s", setting]
    result = run_crawl(web, out, [f"http://{HOST}/"], extra)
    assert result.returncode == 0, result.stderr[-3000:]
    return {
        "index": {r["url"]: r for r in pq.read_table(out / "index").to_pylist()},
        "excluded": {r["url"]: r for r in pq.read_table(out / "excluded").to_pylist()},
        "manifest": json.loads((out / "manifest.json").read_text()),
        "out": out,
    }


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("i11")
    with SimWeb(SITES, max_seconds=240, max_requests=500) as web:
        standard = _crawl(base / "standard", web)
        off = _crawl(base / "off", web, "QUALITY=off")
        alt_only = _crawl(base / "alt", web, "QUALITY=off", "CAPTION_SOURCES=alt")
        # img2dataset downloads through the same simulated web (urllib honours http_proxy).
        img2dataset = _img2dataset(standard["out"] / "index", base / "img2dataset", web.env())
    return {"standard": standard, "off": off, "alt": alt_only, "img2dataset": img2dataset}


# Every index column but url and caption, which img2dataset carries under its own names.
EXTRA_COLUMNS = [n for n in INDEX_SCHEMA.names if n not in ("url", "caption")]


def _img2dataset(index: Path, out: Path, web_env: dict[str, str]) -> dict | None:
    """Run the README's img2dataset command on an index; None when img2dataset is absent."""
    if importlib.util.find_spec("img2dataset") is None:
        return None
    env = {**os.environ, **web_env, "NO_ALBUMENTATIONS_UPDATE": "1", "WANDB_MODE": "disabled"}
    cmd = [
        sys.executable,
        "-c",
        "from img2dataset.main import main; main()",
        "--url_list",
        str(index),
        "--input_format",
        "parquet",
        "--url_col",
        "url",
        "--caption_col",
        "caption",
        "--save_additional_columns",
        json.dumps(EXTRA_COLUMNS),
        "--output_format",
        "files",
        "--output_folder",
        str(out),
        "--processes_count",
        "1",
        "--thread_count",
        "4",
        "--resize_mode",
        "no",
    ]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    return {"result": result, "out": out}


def url(path: str) -> str:
    return f"http://{HOST}{path}"


def test_mediawiki_photo_is_kept_with_its_thumbcaption(crawls) -> None:
    row = crawls["standard"]["index"][url("/fox.png")]
    assert row["caption"] == "A red fox in the snow near Oslo"
    assert row["caption_source"] == "thumbcaption"
    assert row["thumbcaption"] == "A red fox in the snow near Oslo"
    assert row["in_main_content"] is True
    assert (row["declared_width"], row["declared_height"]) == (220, 150)


def test_lazy_image_replaces_its_placeholder(crawls) -> None:
    index, excluded = crawls["standard"]["index"], crawls["standard"]["excluded"]
    row = index[url("/lazy.png")]
    assert row["url_attribute"] == "data-src"
    assert row["caption"] == "A fox cub asleep under a tree"
    assert url("/img/missing-image.svg") not in index
    assert url("/img/missing-image.svg") not in excluded


def test_og_image_is_a_candidate_captioned_by_og_image_alt(crawls) -> None:
    row = crawls["standard"]["index"][url("/lead.png")]
    assert row["image_source"] == "og:image"
    assert row["caption_source"] == "og:image:alt"
    assert row["caption"] == "A fox looking at the camera"
    assert row["in_main_content"] is None


def test_tracker_and_icon_are_quality_exclusions(crawls) -> None:
    excluded = crawls["standard"]["excluded"]
    pixel = excluded["http://pixel.quantserve.com/pixel/p-x.gif"]
    assert set(pixel["reasons"]) == {"quality:tracker", "quality:pixel", "quality:small"}
    icon = excluded[url("/icons/share.png")]
    assert icon["reasons"] == ["quality:small"]
    counts = crawls["standard"]["manifest"]["counts"]
    assert counts["excluded_rows_for_quality"] == 3
    assert counts["excluded_rows_for_quality_only"] == 2


def test_consent_and_quality_are_counted_apart(crawls) -> None:
    excluded = crawls["standard"]["excluded"]
    # refused and junk: both reasons, each counted under its own heading
    assert set(excluded["http://refuse.i11.test/icon.png"]["reasons"]) == {
        "robots:disallowed",
        "quality:small",
    }
    assert excluded["http://down.i11.test/a.png"]["reasons"] == ["robots:unreachable"]
    counts = crawls["standard"]["manifest"]["counts"]
    assert counts["excluded_rows_for_consent"] == 3
    assert counts["excluded_rows_refused"] == 2
    assert counts["excluded_rows_unverifiable"] == 1
    assert counts["excluded_by_family"]["quality"] == 3
    assert counts["excluded_by_family"]["robots"] == 3
    assert counts["excluded_by_quality_reason"]["quality:small"] == 3
    assert counts["rows_by_caption_source"]["thumbcaption"] == 1


def test_quality_leaves_consent_evidence_untouched(crawls) -> None:
    pixel = "http://pixel.quantserve.com/pixel/p-x.gif"
    with_quality = crawls["standard"]["excluded"][pixel]["consent"]
    without = crawls["off"]["index"][pixel]["consent"]
    assert with_quality == without
    assert {c["family"] for c in with_quality} >= {"robots", "probe"}


def test_in_main_content_marks_header_and_footer(crawls) -> None:
    index = crawls["off"]["index"]
    assert index[url("/logo.png")]["in_main_content"] is False
    assert index[url("/icons/share.png")]["in_main_content"] is False


def test_alt_only_is_laions_rule(crawls) -> None:
    alt = crawls["alt"]
    assert alt["excluded"][url("/fox.png")]["reasons"] == ["caption:missing"]
    assert alt["excluded"][url("/lead.png")]["reasons"] == ["caption:missing"]
    assert {r["caption_source"] for r in alt["index"].values()} == {"alt"}


def test_img2dataset_carries_every_index_column(crawls) -> None:
    if crawls["img2dataset"] is None:
        pytest.skip("img2dataset is not installed (pip install -e '.[dev]')")
    result, out = crawls["img2dataset"]["result"], crawls["img2dataset"]["out"]
    assert result.returncode == 0, result.stderr[-3000:]
    index = crawls["standard"]["index"]
    sidecars = [json.loads(p.read_text()) for p in out.rglob("*.json") if p.stem.isdigit()]
    by_url = {s["url"]: s for s in sidecars}
    assert set(by_url) == set(index), result.stderr[-2000:]
    for row_url, row in index.items():
        sidecar = by_url[row_url]
        assert sidecar["status"] == "success", sidecar
        assert sidecar["caption"] == row["caption"]
        for name in EXTRA_COLUMNS:
            assert sidecar[name] == row[name], name
        # img2dataset's measured sizes sit beside the declared ones, under their own names
        assert sidecar["width"] and sidecar["width"] != sidecar["declared_width"]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("QUALITY_DISABLE=smal", "unknown quality filter(s) smal"),
        ("QUALITY=lenient", "QUALITY must be one of"),
        ("CAPTION_SOURCES=alt,figcaptoin", "unknown caption source(s) figcaptoin"),
    ],
)
def test_a_mistyped_quality_or_caption_setting_stops_the_run(
    tmp_path: Path, setting: str, message: str
) -> None:
    cmd = crawl_command(tmp_path / "o", [f"http://{HOST}/"], ["-s", setting])
    result = subprocess.run(
        cmd,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=offline_env(),
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "o").exists()
