"""The regeneration input of ``make bench``: a LAION-style parquet of image URLs and captions.

Rows point at the bench web's media hosts (``m0000.media.bench.test`` …), which bench.web
answers, so ``scrapy regenerate`` can fetch their consent documents and probe the images
through the same SimWeb. Row ``i`` is a pure function of ``i``: the first 100,000 rows of the
200,000-row file are the 100,000-row file. Written in Arrow batches: memory stays flat.
"""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from bench.web import media_host, page_host

__all__ = ["COLUMNS", "DOCUMENT_PATHS", "document_urls", "row", "write_parquet"]

COLUMNS = ("url", "caption", "page_url", "width", "height")
_ADJ = ("old", "quiet", "bright", "misty", "golden", "narrow", "wooden", "ancient", "busy")
_NOUN = ("harbour", "market", "bridge", "village", "forest", "station", "garden", "castle")
_SIZES = ((640, 480), (800, 600), (1024, 768), (480, 640))


def row(i: int, hosts: int = 2000) -> tuple[str, str, str, int, int]:
    """Row ``i``: (url, caption, page_url, width, height); about 5 % under /private/."""
    host = media_host((i * 7919) % hosts)
    folder = "private" if i % 20 == 7 else "a"
    rng = random.Random(i)
    caption = f"{rng.choice(_ADJ).capitalize()} {rng.choice(_NOUN)} {rng.choice(_ADJ)} {i}"
    w, h = _SIZES[i % len(_SIZES)]
    # The page the image was found on: a bench page host, so its consent documents resolve.
    page = f"http://{page_host(i % 200)}/p/{1 + i % 99}.html"
    return f"http://{host}/{folder}/{i}.jpg", caption, page, w, h


def write_parquet(path: Path, rows: int, hosts: int = 2000, batch: int = 50_000) -> Path:
    """Write ``rows`` rows to ``path`` (overwritten) in batches of ``batch`` rows."""
    schema = pa.schema(
        [
            ("url", pa.string()),
            ("caption", pa.string()),
            ("page_url", pa.string()),
            ("width", pa.int32()),
            ("height", pa.int32()),
        ]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for start in range(0, rows, batch):
            cols = list(
                zip(*(row(i, hosts) for i in range(start, min(rows, start + batch))), strict=True)
            )
            arrays = [pa.array(list(c), type=f.type) for c, f in zip(cols, schema, strict=True)]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
    return path


DOCUMENT_PATHS = ("/robots.txt", "/ai.txt", "/.well-known/tdmrep.json")


def document_urls(rows: int, hosts: int = 2000) -> list[str]:
    """The consent documents a regeneration of ``write_parquet(…, rows, hosts)`` fetches: the
    three documents of every image origin and page origin of its rows (bench/docfloor.py)."""
    origins: dict[str, None] = {}
    # Row i's hosts repeat with period lcm(hosts, 200) at most: no need to look further.
    for i in range(min(rows, hosts * 200)):
        url, _caption, page, _w, _h = row(i, hosts)
        origins[url.split("/", 3)[2]] = None
        origins[page.split("/", 3)[2]] = None
    return [f"http://{host}{path}" for host in origins for path in DOCUMENT_PATHS]
