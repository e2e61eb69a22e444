"""Card, report, domain table and summary from an index directory; `datasets` loads the card."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawler.output.shards import CONSENT_DOCS_SCHEMA, EXCLUDED_SCHEMA, INDEX_SCHEMA
from crawler.report.publish import exit_status, publish, unreachable_warning
from crawler.report.summary import render_summary

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _write(root: Path, sub: str, schema: pa.Schema, rows: list[dict]) -> None:
    (root / sub).mkdir(parents=True, exist_ok=True)
    full = [{name: row.get(name) for name in schema.names} for row in rows]
    pq.write_table(pa.Table.from_pylist(full, schema=schema), root / sub / "part-00000.parquet")


def make_crawl(root: Path, reachable: bool = True) -> dict:
    kept = [
        {
            "url": f"http://cdn.test/{i}.png",
            "caption": f"image {i}",
            "page_url": f"http://site.test/p{i % 3}.html",
            "license": "CC-BY-4.0" if i % 2 else None,
            "fetched_at": (T0 + timedelta(minutes=i)).isoformat(),  # index: ISO text
            "consent": [],
        }
        for i in range(5)
    ]
    excluded = [
        {
            "url": "http://cdn.test/x.png",
            "page_url": "http://site.test/p0.html",
            "kind": "image",
            "reasons": ["robots:ai-token=GPTBot"],
            "fetched_at": T0,
        },
        {
            "url": "http://down.test/y.png",
            "page_url": "http://site.test/p1.html",
            "kind": "image",
            "reasons": ["robots:unreachable", "caption:missing"],
            "fetched_at": T0,
        },
        {
            "url": "http://site.test/gone.html",
            "page_url": "http://site.test/gone.html",
            "kind": "page",
            "reasons": ["fetch:dns"],
            "fetched_at": T0,
        },
    ]
    docs = [
        {
            "origin": "http://site.test",
            "kind": "robots",
            "status": 200 if reachable else None,
            "error": None if reachable else "DNSLookupError",
            "body": b"User-agent: GPTBot\nDisallow: /\nContent-Signal: ai-train=no\n",
            "fetched_at": T0,
        },
        {
            "origin": "http://site.test",
            "kind": "aitxt",
            "status": 200 if reachable else None,
            "body": b"User-agent: *\nDisallow: /\n",
            "fetched_at": T0,
        },
        {
            "origin": "http://down.test",
            "kind": "robots",
            "status": None,
            "error": "DNSLookupError",
            "fetched_at": T0,
        },
    ]
    _write(root, "index", INDEX_SCHEMA, kept)
    _write(root, "excluded", EXCLUDED_SCHEMA, excluded)
    _write(root, "consent", CONSENT_DOCS_SCHEMA, docs)
    manifest = {
        "job": "crawl",
        "consentcrawl_version": "0.1.0",
        "versions": {"consentcrawl": "0.1.0", "scrapy": "2.19.0"},
        "finish_reason": "finished",
        "seeds": {"source": "seeds.txt", "urls": ["http://site.test/"]},
        "settings": {"AI_TOKENS": ["GPTBot"]},
        "policy": {"name": "strict", "families": ["robots", "aitxt"], "image_probe": "off"},
        "image_headers_checked": False,
        "counts": {
            "pages_fetched": 3,
            "pages_excluded": 1,
            "candidates": 7,
            "kept": 5,
            "excluded": 2,
            "excluded_by_cause": {"refused": 1, "unverifiable": 2},
            "excluded_by_family": {"robots": 2, "caption": 1, "fetch": 1},
            "excluded_by_reason": {"robots:ai-token=GPTBot": 1, "robots:unreachable": 1},
            "rows_by_license": {"CC-BY-4.0": 2},
        },
    }
    (root / "manifest.json").write_text(json.dumps(manifest))
    return manifest


def test_summary_labels_name_the_files_and_separate_causes(tmp_path: Path) -> None:
    text = render_summary(make_crawl(tmp_path))
    assert re.search(r"kept image rows\s+5\s+index/", text)
    assert re.search(r"excluded image rows\s+2\s+excluded/, kind=image", text)
    assert re.search(r"excluded pages\s+1\s+excluded/, kind=page", text)
    assert re.search(r"refused\s+1\s+a site said no", text)
    assert re.search(r"unverifiable\s+2\s+could not be checked", text)


def test_publish_writes_card_report_domains_and_origins(tmp_path: Path) -> None:
    make_crawl(tmp_path)
    published = publish(tmp_path)
    card = (tmp_path / "README.md").read_text()
    front = card.split("---")[1]
    assert "config_name: default" in front and "path: index/*.parquet" in front
    assert "config_name: excluded" in front and "config_name: consent" in front
    assert "license: other" in front  # CC-BY-4.0 on 2 of 5 kept rows: mixed
    assert "- text-to-image" in front and "- n<1K" in front
    assert "image headers **not** checked" in card
    assert "The image probe was off" in card  # limitations
    html = (tmp_path / "report.html").read_text()
    assert re.search(r'<strong id="kept-count">5</strong> kept rows', html)
    # self-contained: nothing to fetch, no script needed for the charts
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?[a-z]+://""", html)
    assert html.count("<svg") >= 6
    domains = pq.read_table(tmp_path / "domains.parquet").to_pylist()
    row = next(
        d for d in domains if d["image_host"] == "cdn.test" and d["page_host"] == "site.test"
    )
    assert (row["kept"], row["excluded"], row["top_reason"]) == (5, 1, "robots:ai-token=GPTBot")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["origins"]["contacted"] == 2
    assert manifest["origins"]["unreachable"] == 1
    signals = manifest["origins"]["signals"]
    assert signals["AI-token refusal in robots.txt"] == 1
    assert signals["Content-Signal in robots.txt"] == 1
    assert signals["ai.txt (2xx)"] == 1
    assert exit_status(manifest) is None
    assert "offline? proxy? DNS?" in (unreachable_warning(published, 0.5) or "")
    assert unreachable_warning(published, 0.9) is None


def test_every_origin_unreachable_is_exit_3(tmp_path: Path) -> None:
    make_crawl(tmp_path, reachable=False)
    published = publish(tmp_path)
    assert published.all_unreachable
    assert exit_status(published.manifest) == 3
    assert (unreachable_warning(published, 0.5) or "").startswith("every origin")


def test_datasets_loads_kept_rows_and_excluded_config(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets", reason="datasets (dev extra) not installed")
    make_crawl(tmp_path)
    publish(tmp_path)
    kept = datasets.load_dataset(str(tmp_path), split="train", cache_dir=str(tmp_path / ".c"))
    assert kept.num_rows == 5
    assert "caption" in kept.column_names
    excluded = datasets.load_dataset(
        str(tmp_path), "excluded", split="train", cache_dir=str(tmp_path / ".c")
    )
    assert excluded.num_rows == 3 and "reasons" in excluded.column_names


def test_pages_over_time_has_a_bar_per_bucket_including_empty_ones(tmp_path: Path) -> None:
    from crawler.report.stats import _bucket

    moments = [T0, T0 + timedelta(seconds=1), T0 + timedelta(seconds=5)]
    bars = _bucket(moments)
    assert list(bars.values()) == [1, 1, 0, 0, 0, 1]
    assert next(iter(bars)) == "12:00:00"
    assert len(_bucket([T0, T0 + timedelta(days=30)])) == 31


def test_ai_token_refusals_are_counted_for_the_runs_own_tokens(tmp_path: Path) -> None:
    from crawler import settings
    from crawler.report.stats import ai_tokens, collect

    manifest = make_crawl(tmp_path)  # robots.txt refuses GPTBot only
    assert ai_tokens({}) == tuple(settings.AI_TOKENS)
    assert ai_tokens({"settings": {"AI_TOKENS": "GPTBot, CCBot"}}) == ("GPTBot", "CCBot")
    assert collect(tmp_path, manifest).origins.ai_token_refusal == 1
    manifest["settings"] = {"AI_TOKENS": ["ExampleBot"]}  # a run that asked other tokens only
    assert collect(tmp_path, manifest).origins.ai_token_refusal == 0
    del manifest["settings"]  # the defaults, which name GPTBot
    assert collect(tmp_path, manifest).origins.ai_token_refusal == 1
