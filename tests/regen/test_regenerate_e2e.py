"""``scrapy regenerate`` end to end, on the real LAION sample, against a generated web.

Every host of ../shared/corpus/laion-sample answers through SimWeb (tests/regen/laionweb.py),
its behaviour picked by a hash of its name; ``expected_reasons`` says what each row must get.
The sample is used as it is: its ``https://`` URLs (6,223 of 10,000 rows) reach the simulated web
through ``https_proxy`` (CONNECT, TLS with the simulated web's start-up CA).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from crawler.consentdocs import origin_of
from crawler.output.shards import FAMILY_COLUMN_NAMES
from crawler.regen.inputs import url_is_valid
from crawler.regen.keys import url_sha256
from crawler.regen.state import STATE_FILE
from crawler.simweb.control import SimWeb
from tests.corpus import CORPUS
from tests.regen.laionweb import behaviour, expected_reasons

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = CORPUS / "laion-sample" / "test_10000.parquet"
KEY = "__index_level_0__"  # unique in the sample: the row key these tests use
# DOWNLOAD_TIMEOUT bounds failures only (every simulated host answers at once); it is generous
# because thousands of new https hosts each cost the one-process simulated web a TLS handshake
# (under make test's parallel workers a handshake took over 20 s: robots:unreachable rows).
QUICK = ["-s", "DOWNLOAD_TIMEOUT=60", "-s", "LOG_LEVEL=WARNING", "-s", "RETRY_TIMES=0"]

pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="LAION sample not available")


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimWeb]:
    workdir = tmp_path_factory.mktemp("laionweb")
    with SimWeb(factory="tests.regen.laionweb:build", workdir=workdir, max_seconds=600) as sim:
        yield sim


@pytest.fixture(scope="module")
def sample() -> Path:
    return SAMPLE


# A hang guard only: the whole sample takes 1-3 minutes (3,022 of its hosts are https, each a
# CONNECT and a TLS handshake), longer on a loaded machine.
def regenerate(web: SimWeb, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "scrapy", "regenerate", *args, *QUICK]
    return subprocess.run(
        cmd, cwd=PROJECT_ROOT, env=web.env(), capture_output=True, text=True, timeout=timeout
    )


def outputs(out: Path) -> tuple[pa.Table, pa.Table]:
    return ds.dataset(out / "index").to_table(), ds.dataset(out / "excluded").to_table()


def decisions(out: Path, key: str = KEY) -> dict[Any, list[str]]:
    """Row key -> reasons ([] when kept); fails if a row appears twice."""
    index, excluded = outputs(out)
    got: dict[Any, list[str]] = {}
    for k in index.column(key).to_pylist():
        assert k not in got, f"row {k} written twice"
        got[k] = []
    for k, reasons in zip(
        excluded.column(key).to_pylist(), excluded.column("reasons").to_pylist(), strict=True
    ):
        assert k not in got, f"row {k} written twice"
        got[k] = reasons
    return got


def truth(table: pa.Table, probe: bool, key: str = KEY, url: str = "URL") -> dict[Any, list[str]]:
    return {
        k: expected_reasons(u, probe, url_is_valid(u))
        for k, u in zip(table.column(key).to_pylist(), table.column(url).to_pylist(), strict=True)
    }


def same(got: dict[Any, list[str]], want: dict[Any, list[str]]) -> None:
    assert got.keys() == want.keys()
    wrong = {k: (sorted(got[k]), sorted(want[k])) for k in want if set(got[k]) != set(want[k])}
    assert not wrong, f"{len(wrong)} rows differ, e.g. {list(wrong.items())[:5]}"


# --- the whole sample ---------------------------------------------------------------------------


def test_laion_sample_probe_off(web: SimWeb, sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    source = pq.read_table(sample)
    res = regenerate(web, str(sample), "-o", str(out), "--probe", "off", "--policy", "strict")
    assert res.returncode == 0, res.stderr[-3000:]

    got = decisions(out)
    want = truth(source, probe=False)
    assert len(got) == source.num_rows == 10_000  # conserved, each row exactly once
    same(got, want)

    index, excluded = outputs(out)
    # Every input column kept as it was: names, types, order; consent columns appended.
    # ... and the registry's family columns (null here: no family fills one without the probe).
    assert index.schema.names == [*source.schema.names, "consent", "license", *FAMILY_COLUMN_NAMES]
    assert excluded.schema.names == [
        *source.schema.names,
        "reasons",
        "consent",
        "license",
        *FAMILY_COLUMN_NAMES,
    ]
    for field in source.schema:
        assert index.schema.field(field.name).type == field.type
        assert excluded.schema.field(field.name).type == field.type
    assert index.schema.metadata and b"pandas" in index.schema.metadata
    kept_rows = {r[KEY]: r for r in index.to_pylist()}
    for row in source.slice(0, 300).to_pylist():
        if row[KEY] in kept_rows:
            assert {k: kept_rows[row[KEY]][k] for k in row} == row

    # The malformed LAION row never stops the run: excluded as input:invalid-url.
    (bad,) = excluded.filter(pc.equal(excluded.column("URL"), "UNLIKELY")).to_pylist()
    assert bad["reasons"] == ["input:invalid-url"] and bad["TEXT"] == "0.32893747091293335"

    # Consent records explain the rows: a GPTBot refusal names robots.txt.
    gpt = excluded.filter(
        pc.equal(pc.list_element(excluded.column("reasons"), 0), "robots:ai-token=GPTBot")
    )
    record = next(c for c in gpt.column("consent")[0].as_py() if c["verdict"] == "disallow")
    assert record["family"] == "robots" and record["source"].endswith("/robots.txt")

    # removed_keys.parquet: one row per excluded row, ordinal + url hash (no key column here).
    keys = pq.read_table(out / "removed_keys.parquet")
    assert keys.schema.names == ["input", "input_absolute", "row", "url_sha256", "reasons"]
    assert keys.num_rows == excluded.num_rows
    positions = {k: i for i, k in enumerate(source.column(KEY).to_pylist())}
    urls = source.column("URL").to_pylist()
    expected_keys = sorted(positions[k] for k, r in want.items() if r)
    assert sorted(keys.column("row").to_pylist()) == expected_keys
    for row in keys.slice(0, 50).to_pylist():
        assert row["url_sha256"] == url_sha256(urls[row["row"]])
        assert row["input"] == str(sample)
        assert row["input_absolute"] == str(Path(sample).resolve())

    manifest = json.loads((out / "manifest.json").read_text())
    counts = manifest["counts"]
    n_excluded = sum(1 for r in want.values() if r)
    assert counts["input_rows"] == 10_000 and manifest["complete"] is True
    assert (counts["kept"], counts["excluded"]) == (10_000 - n_excluded, n_excluded)
    by_reason: dict[str, int] = {}
    for reasons in want.values():
        for reason in reasons:
            by_reason[reason] = by_reason.get(reason, 0) + 1
    assert counts["excluded_by_reason"] == by_reason
    (inp,) = manifest["inputs"]
    assert inp["sha256"] == hashlib.sha256(sample.read_bytes()).hexdigest()
    assert inp["rows"] == 10_000 and inp["columns"]["__index_level_0__"] == "int64"
    assert manifest["policy"]["name"] == "strict" and manifest["image_headers_checked"] is False
    assert manifest["parts"]["removed_keys"]["rows"] == n_excluded
    for part in manifest["parts"]["index"] + manifest["parts"]["excluded"]:
        assert (out / part["path"]).exists()
    docs = ds.dataset(out / "consent").to_table(columns=["kind"])
    assert set(docs.column("kind").to_pylist()) == {"robots", "aitxt", "tdmrep"}
    # Documents fetched once per origin, never per row.
    robots_docs = manifest["counts"]["consent_documents_fetched"]["robots"]
    origins = {origin_of(u) for u in urls if url_is_valid(u)}
    assert robots_docs == len(origins)


def test_probe_head_on_a_slice(web: SimWeb, sample: Path, tmp_path: Path) -> None:
    source = pq.read_table(sample).slice(0, 1000)
    path = tmp_path / "slice.parquet"
    pq.write_table(source, path)
    out = tmp_path / "out"
    res = regenerate(web, str(path), "-o", str(out), "--probe", "head")
    assert res.returncode == 0, res.stderr[-3000:]
    want = truth(source, probe=True)
    same(decisions(out), want)
    reasons = {r for rs in want.values() for r in rs}
    assert {"xrobots:noai", "aipref:train-ai=n"} <= reasons  # header-only signals were seen
    probes = [e for e in web.requests() if e["method"] == "HEAD"]
    assert probes, "image probes were sent"
    # Refused rows are never probed: no HEAD to a host that is down or refuses via robots.txt.
    assert not [e for e in probes if behaviour(e["host"]) in ("down", "disallow-all")]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["image_headers_checked"] is True


# --- resume after a kill --------------------------------------------------------------------------


def test_resume_after_kill(web: SimWeb, sample: Path, tmp_path: Path) -> None:
    source = pq.read_table(sample).slice(2000, 3000)
    path = tmp_path / "slice.parquet"
    pq.write_table(source, path)
    out = tmp_path / "out"
    args = [str(path), "-o", str(out), "--probe", "off", "-s", "REGEN_BATCH_ROWS=100"]
    args += ["-s", "REGEN_BATCHES_IN_FLIGHT=1", "-s", "CONCURRENT_REQUESTS=8"]
    cmd = [sys.executable, "-m", "scrapy", "regenerate", *args, *QUICK]
    proc = subprocess.Popen(
        cmd, cwd=PROJECT_ROOT, env=web.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    state = out / STATE_FILE
    deadline = time.monotonic() + 120
    done = 0
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if state.exists():
                done = len(json.loads(state.read_text())["batches"])
                if done >= 4:
                    break
            time.sleep(0.02)
        assert proc.poll() is None, "the run finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        if proc.stderr:
            proc.stderr.close()
    killed_at = len(json.loads(state.read_text())["batches"])
    assert 4 <= killed_at < 30
    assert not (out / "manifest.json").exists()

    res = regenerate(web, *args, "--resume")
    assert res.returncode == 0, res.stderr[-3000:]
    got = decisions(out)  # asserts no row twice
    same(got, truth(source, probe=False))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"] == 2 and manifest["complete"] is True
    assert manifest["counts"]["rows_written"] == 3000
    keys = pq.read_table(out / "removed_keys.parquet")
    assert keys.num_rows == manifest["counts"]["excluded"]
    assert len(set(keys.column("row").to_pylist())) == keys.num_rows

    # A resume over other inputs is refused before any request.
    other = tmp_path / "other.parquet"
    pq.write_table(source.slice(0, 10), other)
    res = regenerate(web, str(other), "-o", str(out), "--resume", "-s", "REGEN_BATCH_ROWS=100")
    assert res.returncode == 2 and "other inputs" in res.stderr


# --- other inputs ---------------------------------------------------------------------------------


def test_gzip_csv_with_key_and_clashing_columns(web: SimWeb, sample: Path, tmp_path: Path) -> None:
    source = pq.read_table(sample).slice(4600, 300)  # holds the UNLIKELY row (4674)
    path = tmp_path / "laion.csv.gz"
    rows = source.to_pylist()
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["SAMPLE_ID", "url", "caption", "license"])
    for i, row in enumerate(rows):
        writer.writerow([f"{9000 + i:06d}", row["URL"], row["TEXT"], "?"])
    path.write_bytes(gzip.compress(buf.getvalue().encode()))
    out = tmp_path / "out"
    res = regenerate(web, str(path), "-o", str(out), "--probe", "off")
    assert res.returncode == 0, res.stderr[-3000:]
    index, _excluded = outputs(out)
    assert index.schema.names == [
        "SAMPLE_ID",
        "url",
        "caption",
        "license",
        "consent",
        "consentcrawl_license",
        *FAMILY_COLUMN_NAMES,
    ]
    assert all(f.type == pa.string() for f in index.schema if f.name in ("SAMPLE_ID", "license"))
    got = decisions(out, key="SAMPLE_ID")
    want = {
        f"{9000 + i:06d}": expected_reasons(r["URL"], False, url_is_valid(r["URL"]))
        for i, r in enumerate(rows)
    }
    same(got, want)
    assert got["009074"] == ["input:invalid-url"]  # the UNLIKELY row
    assert set(index.column("license").to_pylist()) == {"?"}  # theirs, untouched
    keys = pq.read_table(out / "removed_keys.parquet")
    assert keys.schema.names[0] == "SAMPLE_ID"
    assert sorted(keys.column("SAMPLE_ID").to_pylist()) == sorted(k for k, r in want.items() if r)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["renamed_columns"] == {"license": "consentcrawl_license"}
    assert manifest["inputs"][0]["format"] == "csv.gz" and manifest["columns"]["key"] == "SAMPLE_ID"


def _page_reasons(page_url: str) -> list[str]:
    kind = behaviour(page_url.split("/")[2])
    return {
        "down": ["robots:unreachable"],
        "gptbot": ["robots:ai-token=GPTBot"],
        "disallow-all": ["robots:disallowed"],
        "tdmrep": ["tdmrep:reserved"],
    }.get(kind, [])


def test_page_url_column(web: SimWeb, sample: Path, tmp_path: Path) -> None:
    source = pq.read_table(sample).slice(0, 400)
    urls = source.column("URL").to_pylist()
    pages = [
        f"http://{urls[(i * 7 + 3) % 400].split('/')[2]}/gallery/{i % 40}.html" for i in range(400)
    ]
    pages[5] = None  # a row without a page: image checks only
    table = pa.table(
        {
            "uid": [f"u{i}" for i in range(400)],
            "url": urls,
            "alt": source.column("TEXT"),
            "page_url": pa.array(pages, type=pa.string()),
        }
    )
    path = tmp_path / "cc2dataset.parquet"
    pq.write_table(table, path)
    out = tmp_path / "out"
    res = regenerate(web, str(path), "-o", str(out), "--probe", "off")
    assert res.returncode == 0, res.stderr[-3000:]
    got = decisions(out, key="uid")
    want = {}
    for i, (url, page) in enumerate(zip(urls, pages, strict=True)):
        reasons = expected_reasons(url, False, url_is_valid(url))
        if page and reasons != ["input:invalid-url"]:
            reasons = reasons + _page_reasons(page)
        want[f"u{i}"] = reasons
    same(got, want)
    page_only = [k for k, r in want.items() if r and not expected_reasons(urls[int(k[1:])], False)]
    assert page_only, "some rows are excluded only because of their page"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["columns"] == {"url": "url", "caption": "alt", "page": "page_url", "key": "uid"}


def test_fetch_pages_reads_page_headers(web: SimWeb, sample: Path, tmp_path: Path) -> None:
    source = pq.read_table(sample).slice(0, 200)
    urls = source.column("URL").to_pylist()
    pages = [f"http://{urls[(i * 11 + 5) % 200].split('/')[2]}/p/{i % 20}.html" for i in range(200)]
    table = pa.table({"url": urls, "page_url": pages, "n": list(range(200))})
    path = tmp_path / "pages.parquet"
    pq.write_table(table, path)
    out = tmp_path / "out"
    res = regenerate(web, str(path), "-o", str(out), "--probe", "off", "--fetch-pages")
    assert res.returncode == 0, res.stderr[-3000:]
    got = decisions(out, key="n")
    assert len(got) == 200
    for i, (url, page) in enumerate(zip(urls, pages, strict=True)):
        want = set(expected_reasons(url, False, url_is_valid(url)))
        if "input:invalid-url" not in want:
            want |= set(_page_reasons(page))
            kind = behaviour(page.split("/")[2])
            if kind == "xrobots":  # the page's own response headers, read because it was fetched
                want.add("xrobots:noai")
            elif kind == "content-usage":
                want.add("aipref:train-ai=n")
        assert set(got[i]) == want, (i, url, page, got[i])


# --- preflight ------------------------------------------------------------------------------------


def test_preflight_errors_stop_before_any_request(web: SimWeb, tmp_path: Path) -> None:
    path = tmp_path / "nourl.parquet"
    pq.write_table(pa.table({"link": ["http://a.test/x.jpg"], "TEXT": ["x"]}), path)
    before = len(web.requests())
    res = regenerate(web, str(path), "-o", str(tmp_path / "out"))
    assert res.returncode == 2
    assert "no url column" in res.stderr and "columns found: link, TEXT" in res.stderr
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "something").write_text("x")
    ok = tmp_path / "ok.parquet"
    pq.write_table(pa.table({"url": ["http://a.test/x.jpg"]}), ok)
    res = regenerate(web, str(ok), "-o", str(busy))
    assert res.returncode == 2 and "not empty" in res.stderr
    res = regenerate(web, str(ok), "-o", str(tmp_path / "o2"), "-s", "CONSENT_POLICY=lax")
    assert res.returncode == 2 and "CONSENT_POLICY" in res.stderr
    assert len(web.requests()) == before
