"""The regeneration batch path decides exactly as the item path (issue 16).

Each test runs ``scrapy regenerate`` twice on the same input over the same simulated web, with
``REGEN_BATCH_PATH`` off (every row through the pipelines) and on (rows decided per origin), and
compares everything written: every row of index/ and excluded/ with its reasons and consent
records, removed_keys.parquet, the consent documents and the manifest's counts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from crawler.simweb.control import SimWeb
from tests.regen.test_regenerate_e2e import PROJECT_ROOT, SAMPLE, outputs
from tests.regen.test_regenerate_e2e import sample as sample

# A hang guard only: the simulated web answers every request, but a loaded machine can take
# seconds per TLS handshake, and a timeout there would be a difference of load, not of path.
RUN = ["-s", "DOWNLOAD_TIMEOUT=60", "-s", "LOG_LEVEL=INFO", "-s", "RETRY_TIMES=0"]
SHARED = "regenerate/batch_path/rows_shared"
BY_PATH = "regenerate/batch_path/rows_by_path"
AIPREF_BATCHES = "regenerate/batch_path/aipref_batches"


def run(sim: SimWeb, inp: Path, out: Path, batch_path: bool, *args: str) -> str:
    cmd = [sys.executable, "-m", "scrapy", "regenerate", str(inp), "-o", str(out), *args, *RUN]
    cmd += ["-s", f"REGEN_BATCH_PATH={batch_path}"]
    res = subprocess.run(
        cmd, cwd=PROJECT_ROOT, env=sim.env(), capture_output=True, text=True, timeout=600
    )
    assert res.returncode == 0, res.stderr[-3000:]
    return res.stderr


def stat(log: str, name: str) -> int:
    """A counter from the stats dump at the end of the log (0 when absent)."""
    for line in log.splitlines():
        if f"'{name}':" in line:
            return int(line.split(":")[-1].strip(" ,}"))
    return 0


def rows(out: Path, key: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    index, excluded = outputs(out)
    return (
        sorted(index.to_pylist(), key=lambda r: r[key]),
        sorted(excluded.to_pylist(), key=lambda r: r[key]),
    )


def documents(out: Path) -> list[tuple[Any, ...]]:
    cols = ["origin", "kind", "url", "final_url", "status", "error", "sha256", "truncated"]
    table = ds.dataset(out / "consent").to_table(columns=cols)
    return sorted(tuple(r.values()) for r in table.to_pylist())


def assert_same_outputs(items: Path, batch: Path, key: str) -> None:
    want_index, want_excluded = rows(items, key)
    got_index, got_excluded = rows(batch, key)
    assert len(got_index) == len(want_index) and len(got_excluded) == len(want_excluded)
    for got, want in ((got_index, want_index), (got_excluded, want_excluded)):
        diff = [(g, w) for g, w in zip(got, want, strict=True) if g != w]
        assert not diff, f"{len(diff)} rows differ, e.g. {diff[0]}"
    keys = [pq.read_table(d / "removed_keys.parquet").to_pylist() for d in (items, batch)]
    assert sorted(keys[0], key=repr) == sorted(keys[1], key=repr)
    assert documents(batch) == documents(items)
    counts = [json.loads((d / "manifest.json").read_text())["counts"] for d in (items, batch)]
    assert counts[0] == counts[1]


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimWeb]:
    """The LAION sample's web, for two whole regenerations: its lifetime bound (a hang guard)
    leaves room for a loaded machine, where a run takes minutes."""
    workdir = tmp_path_factory.mktemp("laionweb")
    with SimWeb(factory="tests.regen.laionweb:build", workdir=workdir, max_seconds=1800) as sim:
        yield sim


@pytest.mark.skipif(not SAMPLE.exists(), reason="LAION sample not available")
def test_laion_sample_batch_path_same_as_items(
    web: SimWeb,
    sample: Path,
    tmp_path: Path,
) -> None:
    args = ("--probe", "off", "--policy", "strict")
    item_log = run(web, sample, tmp_path / "items", False, *args)
    batch_log = run(web, sample, tmp_path / "batch", True, *args)
    assert stat(item_log, SHARED) == 0  # the item path really was the item path
    assert stat(batch_log, SHARED) + stat(batch_log, BY_PATH) == 10_000
    assert stat(batch_log, BY_PATH) > 0  # the ai.txt "*.jpg" hosts: matched per path
    assert_same_outputs(tmp_path / "items", tmp_path / "batch", "__index_level_0__")


# --- a synthetic input whose documents have path rules -------------------------------------------

PATHS = (
    "/private/a.jpg",
    "/private/ok/b.jpg",
    "/ai/c.jpg",
    "/nogen/d.jpg",
    "/photos/e.png",
    "/f.jpg",
    "/reserved/g.jpg",
    "/open/h.jpg",
    "/robots.txt",
    "/x.jpg?q=/private/",
    "/caf%C3%A9/%7Ei.jpg",
)


@pytest.fixture(scope="module")
def path_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimWeb]:
    workdir = tmp_path_factory.mktemp("pathweb")
    with SimWeb(factory="tests.regen.pathweb:build", workdir=workdir, max_seconds=600) as sim:
        yield sim


NON_PUBLIC = (
    ("http://127.0.0.1/a.jpg", None),
    ("http://0x7f000001/b.jpg", "http://h3.path.test/p.html"),
    ("http://localhost/c.jpg", None),
    ("http://[::1]:8080/d.jpg", None),
    ("http://169.254.169.254/latest/meta-data", "http://10.0.0.1/p.html"),
    (None, "http://192.168.1.1/p.html"),
    (None, "http://localhost./p.html"),
    ("http://h1.path.test/e.jpg", "http://[::ffff:127.0.0.1]/p.html"),
    ("http://10.1.2.3/" + "x" * 400 + ".jpg", "http://127.0.0.1/" + "y" * 400),
    ("http://sub.localhost/f.jpg", "not a page"),
    ("http://[fe80::1]/g.jpg", "http://h0.path.test/private/p.html"),
    ("http://127.0.0.1/a.jpg", "http://127.0.0.1/p.html"),
)


def synthetic(path: Path, n: int = 1500) -> Path:
    urls: list[str | None] = []
    pages: list[str | None] = []
    for i in range(n):
        urls.append(f"http://h{i % 13}.path.test{PATHS[i % len(PATHS)]}")
        pages.append(f"http://h{(i * 5) % 13}.path.test{PATHS[(i * 3) % len(PATHS)]}")
    urls[7], urls[8], urls[9] = None, "not a url", "ftp://h1.path.test/a.jpg"
    pages[10], pages[11], pages[12] = None, "::", "http://h2.path.test:bad/p.html"
    # Not the public web (the address guard, crawler/items.candidate_target): the image, the
    # page or both; IP literals however spelled, special names, and a URL past the 300
    # characters a consent record keeps of it.
    for k, (url, page) in enumerate(NON_PUBLIC):
        row = (13 + 97 * k) % n  # spread over the batches
        urls[row] = url if url is not None else urls[row]
        pages[row] = page if page is not None else pages[row]
    table = pa.table(
        {
            "uid": [f"u{i:05d}" for i in range(n)],
            "url": pa.array(urls, pa.string()),
            "caption": [f"caption {i}" for i in range(n)],
            "page_url": pa.array(pages, pa.string()),
        }
    )
    pq.write_table(table, path)
    return path


@pytest.mark.parametrize(
    ("policy", "aipref"), [("standard", False), ("strict", False), ("strict", True)]
)
def test_path_rules_batch_path_same_as_items(
    path_web: SimWeb, tmp_path: Path, policy: str, aipref: bool
) -> None:
    inp = synthetic(tmp_path / "synthetic.parquet")
    args = ("--probe", "off", "--policy", policy, "-s", "REGEN_BATCH_ROWS=400")
    if not aipref:
        # Content-Signal and DisallowAITraining records are still read (robots-records).
        args = (*args, "-s", "AIPREF_ENABLED=false")
    run(path_web, inp, tmp_path / "items", False, *args)
    batch_log = run(path_web, inp, tmp_path / "batch", True, *args)
    # Every batch decided by the batch path (Content-Usage records fill the aipref columns
    # there too): no batch fell back to the item path.
    assert stat(batch_log, BY_PATH) > 0 and stat(batch_log, SHARED) > 0
    assert stat(batch_log, SHARED) + stat(batch_log, BY_PATH) == 1500
    assert stat(batch_log, AIPREF_BATCHES) == 0
    assert_same_outputs(tmp_path / "items", tmp_path / "batch", "uid")
    index, excluded = rows(tmp_path / "batch", "uid")
    reasons = {r for row in excluded for r in row["reasons"]}
    # The aipref columns were filled (path-scoped /nogen/ on h0, every path on h1), so the
    # comparison covers them; with the family off they stay null.
    filled = {
        (row["aipref_train_ai"], row["aipref_ai_use"], row["aipref_search"])
        for row in index + excluded
    }
    if aipref:
        assert {("n", None, None), (None, "n", "y")} <= filled
    else:
        assert filled == {(None, None, None)}
    # The web's path rules were really read (so the comparison covers them).
    assert {"robots:disallowed", "aitxt:disallowed", "tdmrep:reserved"} <= reasons
    assert "robots:ai-token=GPTBot" in reasons and "input:invalid-url" in reasons
    assert ("aipref:train-ai=n" in reasons) is aipref
    assert "address:non-public" in reasons
    # Progress moves with the batch path too: the last line counts every row.
    assert "rows 1,500/1,500 (100.0%)" in batch_log


def test_probe_on_takes_the_item_path(path_web: SimWeb, tmp_path: Path) -> None:
    inp = synthetic(tmp_path / "synthetic.parquet", n=60)
    log = run(path_web, inp, tmp_path / "out", True, "--probe", "head")
    assert "regeneration: item path (IMAGE_PROBE=head)" in log
    assert stat(log, SHARED) == 0
