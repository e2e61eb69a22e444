"""Extraction quality over the shared corpus pages, before (``main``) and after (this tree).

    .venv/bin/python -m bench.extract_quality [--before-ref REF] [--corpus DIR] [--json]

"Before" runs ``crawler/extract.py`` as it is at ``--before-ref`` (default: ``BEFORE_REF``, the
``main`` commit issue 11 was measured on; read with ``git show`` into a temporary module) under
the old rule: a row per ``(url, alt)``, kept when alt is non-empty, no quality filters. "After"
runs this tree's extraction, the default ``CAPTION_SOURCES`` and ``QUALITY=standard``. Consent
is not evaluated (the pages are files, not a crawl): the table measures what extraction and
quality filtering hand to the consent checks.

Measures (rows = kept rows, i.e. captioned and not excluded for quality):

* placeholder URLs kept: rows whose URL is the ``src`` of an ``<img>`` whose lazy attribute
  (``data-src``/``data-lazy-src``/``data-original``/``data-lazy``/``data-(lazy-)srcset``) names
  a different image, i.e. the page names the real image;
* real lazy URLs found: distinct such lazy-attribute URLs among the rows;
* MediaWiki content photos: rows for ``<img>`` inside a MediaWiki thumbnail or gallery box
  (``div.thumbinner``, ``li.gallerybox``, ``figure[typeof^=mw:]``) on pages MediaWiki generated;
* tracker pixels kept: rows on a known tracker host, or declared at most 2x2 px;
* rows <= 32 px kept: rows with a declared side of at most 32 px.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import lxml.html

from crawler.extract import absolute_http_url, extract_page
from crawler.imagecontext import DEFAULT_CAPTION_SOURCES, pick_caption
from crawler.imagesrc import largest, lazy_value_url, parse_srcset
from crawler.quality.filters import QualityConfig, QualityFilter, QualityInput

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "html-pages"
# main when issue 11's work started (its extract.py is the "before").
BEFORE_REF = "782cc472bf6bc072f4be6c2c6b902444e8554a9e"
MEASURE_LAZY = ("data-src", "data-lazy-src", "data-original", "data-lazy")
MEASURE_LAZY_SRCSET = ("data-srcset", "data-lazy-srcset")
TRACKERS = QualityFilter(QualityConfig(frozenset({"tracker"})))


def load_before(ref: str) -> ModuleType:
    """``crawler/extract.py`` at ``ref`` as a module (it imports only lxml and the stdlib)."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{ref}:crawler/extract.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "extract_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("extract_before", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["extract_before"] = module
    spec.loader.exec_module(module)
    return module


def page_truth(body: bytes, page_url: str) -> dict[str, set[str]]:
    """What a person reading the markup knows: placeholder srcs, the lazy URLs they stand for,
    and the MediaWiki content photos."""
    root = lxml.html.document_fromstring(body)
    base = root.find(".//base[@href]")
    base_url = absolute_http_url(page_url, base.get("href")) if base is not None else None
    base_url = base_url or page_url
    placeholders: set[str] = set()
    lazy: set[str] = set()
    for img in root.iter("img"):
        named = [lazy_value_url(img.get(a)) for a in MEASURE_LAZY if img.get(a)]
        for attr in MEASURE_LAZY_SRCSET:
            if img.get(attr):
                best = largest(parse_srcset(img.get(attr)))
                if best:
                    named.append(best)
        real = {absolute_http_url(base_url, n) for n in named} - {None}
        src = absolute_http_url(base_url, img.get("src"))
        if real and src and src not in real:
            placeholders.add(src)
            lazy |= real  # type: ignore[arg-type]
    mediawiki: set[str] = set()
    generator = " ".join(root.xpath("//meta[@name='generator']/@content"))
    if "MediaWiki" in generator or root.find(".//div[@id='mw-content-text']") is not None:
        for img in root.xpath(
            "//div[contains(concat(' ',@class,' '),' thumbinner ')]//img"
            "|//li[contains(concat(' ',@class,' '),' gallerybox ')]//img"
            "|//figure[starts-with(@typeof,'mw:')]//img"
        ):
            url = absolute_http_url(base_url, img.get("src"))
            if url:
                mediawiki.add(url)
    return {"placeholders": placeholders - lazy, "lazy": lazy, "mediawiki": mediawiki}


def new_table() -> dict[str, Any]:
    return {
        "pages": 0,
        "candidates": 0,
        "rows kept": 0,
        "placeholder URLs kept": 0,
        "real lazy URLs found": 0,
        "captioned MediaWiki content photos": 0,
        "tracker pixels kept": 0,
        "rows <= 32 px kept": 0,
        "rows per caption_source": Counter(),
        "rows per quality reason": Counter(),
    }


def count_row(table: dict[str, Any], truth: dict[str, set[str]], row: dict[str, Any]) -> None:
    table["rows kept"] += 1
    url = row["url"]
    table["placeholder URLs kept"] += url in truth["placeholders"]
    table["captioned MediaWiki content photos"] += url in truth["mediawiki"]
    sides = [s for s in (row["width"], row["height"]) if s is not None]
    tracker = TRACKERS.is_tracker(url) or (bool(sides) and max(sides) <= 2)
    table["tracker pixels kept"] += tracker
    table["rows <= 32 px kept"] += bool(sides) and min(sides) <= 32
    table["rows per caption_source"][row["caption_source"]] += 1


def measure(corpus: Path, before_ref: str | None) -> dict[str, dict[str, Any]]:
    """The tables; ``before_ref`` None measures this tree only (the "before" table stays 0)."""
    before_module = load_before(before_ref) if before_ref else None
    urls = {}
    with (corpus / "pages.tsv").open() as fh:
        next(fh)
        for line in fh:
            name, _, url = line.rstrip("\n").partition("\t")
            urls[name] = url
    quality = QualityFilter(QualityConfig.preset("standard"))
    before, after = new_table(), new_table()
    for path in sorted(corpus.glob("*.html")):
        body = path.read_bytes()
        page_url = urls.get(path.name) or "http://unknown.test/"
        truth = page_truth(body, page_url)
        for table in (before, after):
            table["pages"] += 1
        lazy_before: set[str] = set()
        old = before_module.extract_page(body, page_url).candidates if before_module else []
        for cand in old:
            before["candidates"] += 1
            if cand.caption:
                row = {**_fields(cand), "caption_source": "alt"}
                count_row(before, truth, row)
                if cand.url in truth["lazy"]:
                    lazy_before.add(cand.url)
        before["real lazy URLs found"] += len(lazy_before)
        lazy_after: set[str] = set()
        for cand in extract_page(body, page_url).candidates:
            after["candidates"] += 1
            caption, source = pick_caption(cand.caption_texts(), DEFAULT_CAPTION_SOURCES)
            if not caption:
                continue
            reasons = quality.reasons(
                QualityInput(
                    cand.url,
                    caption,
                    cand.width,
                    cand.height,
                    cand.placeholder,
                    cand.same_url_captions,
                )
            )
            after["rows per quality reason"].update(reasons)
            if reasons:
                continue
            count_row(after, truth, {**_fields(cand), "caption_source": source})
            if cand.url in truth["lazy"]:
                lazy_after.add(cand.url)
        after["real lazy URLs found"] += len(lazy_after)
    return {"before": before, "after": after}


def _fields(cand: Any) -> dict[str, Any]:
    return {"url": cand.url, "width": cand.width, "height": cand.height}


def render(result: dict[str, dict[str, Any]]) -> str:
    before, after = result["before"], result["after"]
    lines = ["| measure | before (main) | after |", "|---|---:|---:|"]
    for key, value in before.items():
        if isinstance(value, Counter):
            continue
        lines.append(f"| {key} | {value} | {after[key]} |")
    for key in ("rows per caption_source", "rows per quality reason"):
        names = sorted(set(before[key]) | set(after[key]))
        for name in names:
            lines.append(f"| {key}: `{name}` | {before[key][name]} | {after[key][name]} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--before-ref", default=BEFORE_REF)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if not (args.corpus / "pages.tsv").exists():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    result = measure(args.corpus, args.before_ref)
    if args.json:
        print(json.dumps(result, indent=2, default=dict))
    else:
        print(render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
