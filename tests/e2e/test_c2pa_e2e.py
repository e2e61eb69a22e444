"""C2PA training-mining and AI-generated provenance, end to end over the simulated web.

Real signed images (tests/data/c2pa) on their own hosts (tests/sites/c2pa_sites.py), crawled with
``IMAGE_PROBE=range``: rows, reasons, the provenance columns in index/ and excluded/, the consent
evidence, and ``scrapy consent`` explaining one refusal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from crawler.simweb.control import SimWeb
from tests.e2e import Crawl, crawl
from tests.sites.c2pa_sites import (
    C2PA_EXPECTED,
    C2PA_SEEDS,
    CUT_BYTES,
    MANIFEST_LINK,
    c2pa_sites,
)
from tests.support.cli import consent, regenerate

RANGE = {"IMAGE_PROBE": "range"}


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    settings = {**RANGE, "CONSENT_POLICY": "strict"}
    return crawl(tmp_path_factory, "c2pa-strict", list(C2PA_SEEDS), settings, sites=c2pa_sites())


@pytest.fixture(scope="module")
def standard(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    settings = {
        **RANGE,
        "CONSENT_POLICY": "standard",
        "EXCLUDE_AI_GENERATED": "true",
        "IMAGE_PROBE_BYTES": str(CUT_BYTES),
    }
    return crawl(tmp_path_factory, "c2pa-standard", list(C2PA_SEEDS), settings, sites=c2pa_sites())


@pytest.fixture(scope="module")
def cut(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    settings = {**RANGE, "CONSENT_POLICY": "strict", "IMAGE_PROBE_BYTES": str(CUT_BYTES)}
    return crawl(tmp_path_factory, "c2pa-cut", list(C2PA_SEEDS), settings, sites=c2pa_sites())


def _reasons(run: Crawl) -> dict[str, list[str]]:
    return {image: reasons for (_page, image), reasons in run.reasons().items()}


def _c2pa(row: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in row["consent"] if r["family"] == "c2pa"]


@pytest.mark.parametrize("run", ["strict", "standard", "cut"])
def test_every_image_has_its_expected_reasons(run: str, request: pytest.FixtureRequest) -> None:
    result: Crawl = request.getfixturevalue(run)
    assert _reasons(result) == {url: want[run] for url, want in C2PA_EXPECTED.items()}


def test_provenance_columns_in_index_and_excluded(strict: Crawl, standard: Crawl) -> None:
    for run in (strict, standard):  # kept in one, excluded in the other: same columns
        for url, want in C2PA_EXPECTED.items():
            if url.startswith("http://real."):
                continue  # cut in the standard run: its manifest's actions are unread there
            (row,) = run.rows(url)
            got = {name: row[name] for name in want["columns"]}
            assert got == want["columns"], url
    (row,) = strict.rows("http://real.c2pa.test/img/capture.jpg")
    assert row["digital_source_type"] == "digitalCapture" and row["ai_generated"] is False
    # The columns are in the datasets' schemas even where every value is null.
    for part in ("index", "excluded"):
        names = pq.read_schema(next((strict.out / part).glob("*.parquet"))).names
        assert {"digital_source_type", "ai_generated"} <= set(names), part


def test_evidence_records_the_assertion_and_the_validation_state(strict: Crawl) -> None:
    (row,) = strict.rows("http://refuse.c2pa.test/img/harbour.png")
    (record,) = _c2pa(row)
    assert record["verdict"] == "disallow"
    assert record["source"] == "c2pa:http://refuse.c2pa.test/img/harbour.png"
    assert "cawg.ai_training=notAllowed" in record["value"]
    # The test signer is on no trust list: the refusal counts all the same.
    assert "validation=Valid (untrusted signer)" in record["value"]

    (row,) = strict.rows("http://real.c2pa.test/img/capture.jpg")
    (record,) = _c2pa(row)
    assert "cawg.ai_generative_training=notAllowed" in record["value"]
    # 64 KB of a 139 KB file: the content hash cannot match, the manifest is whole.
    assert "partial download: content hash not checked" in record["value"]

    (row,) = strict.rows("http://allow.c2pa.test/img/meadow.png")
    assert [r["verdict"] for r in _c2pa(row)] == ["allow"]
    (row,) = strict.rows("http://unsigned.c2pa.test/img/tower.png")
    assert _c2pa(row) == []  # no manifest store: no C2PA evidence at all


def test_constrained_is_unknown_under_standard_with_its_constraint(standard: Crawl) -> None:
    (row,) = standard.rows("http://constrained.c2pa.test/img/bridge.png")
    (record,) = _c2pa(row)
    assert record["verdict"] == "unknown"
    assert "cawg.ai_generative_training=constrained" in record["value"]


def test_cut_manifest_is_unreadable_under_strict_unknown_under_standard(
    cut: Crawl, standard: Crawl
) -> None:
    url = "http://real.c2pa.test/img/capture.jpg"
    (row,) = cut.rows(url)
    (record,) = _c2pa(row)
    assert record["verdict"] == "disallow" and record["value"].startswith("truncated: ")
    (row,) = standard.rows(url)
    (record,) = _c2pa(row)
    assert record["verdict"] == "unknown" and record["value"].startswith("truncated: ")


def test_ai_generated_reason_names_where_it_was_read(standard: Crawl) -> None:
    for url, where in (
        ("http://ai.c2pa.test/img/dragon.png", "c2pa"),
        ("http://xmp-ai.c2pa.test/img/castle.jpg", "xmp"),
    ):
        (row,) = standard.rows(url)
        (record,) = [r for r in row["consent"] if r["family"] == "provenance"]
        assert record["verdict"] == "disallow"
        assert record["source"] == f"{where}:{url}"
        assert record["value"] == "digitalSourceType=trainedAlgorithmicMedia"
    # Hygiene, not a refusal: cause "other", and not counted as excluded for consent.
    counts = standard.manifest["counts"]
    assert counts["excluded_by_reason"]["provenance:ai-generated"] == 2
    assert counts["excluded_by_cause"] == {"refused": 1, "other": 2}
    assert counts["excluded_rows_for_consent"] == counts["excluded_rows_refused"] == 1


def test_manifest_link_is_noted_and_never_fetched(strict: Crawl) -> None:
    (row,) = strict.rows("http://link.c2pa.test/img/sunrise.png")
    (record,) = _c2pa(row)
    assert record["verdict"] == "unknown"
    assert record["value"] == f"c2pa-manifest link not fetched: {MANIFEST_LINK}"
    assert strict.requests_to(MANIFEST_LINK) == []
    # Every image was read with one ranged GET, nothing else.
    for url in C2PA_EXPECTED:
        assert [r["method"] for r in strict.requests_to(url)] == ["GET"], url


# --- scrapy consent -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("c2pa-consent-web")
    with SimWeb(c2pa_sites(), workdir=workdir, max_seconds=120, max_requests=500) as sim:
        yield sim


def test_consent_command_shows_the_c2pa_refusal(web: SimWeb) -> None:
    url = "http://refuse.c2pa.test/img/harbour.png"
    result = consent(web, url, "-s", "IMAGE_PROBE=range", "--json")
    assert result.returncode == 1, result.stderr[-2000:]
    data = json.loads(result.stdout)
    assert data["reasons"] == ["c2pa:training-mining=notAllowed"]
    (signal,) = [s for s in data["signals"] if s["family"] == "c2pa"]
    assert signal["verdict"] == "disallow" and signal["source"] == f"c2pa:{url}"
    assert "validation=Valid (untrusted signer)" in signal["value"]

    table = consent(web, url, "-s", "IMAGE_PROBE=range")
    assert table.returncode == 1
    assert "c2pa" in table.stdout and "cawg.ai_training=notAllowed" in table.stdout
    assert "decision: EXCLUDED: c2pa:training-mining=notAllowed" in table.stdout


def test_consent_command_shows_the_provenance_columns(web: SimWeb) -> None:
    url = "http://ai.c2pa.test/img/dragon.png"
    result = consent(web, url, "-s", "IMAGE_PROBE=range", "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(result.stdout)
    # Every registry column is shown (null: not filled); these two are provenance's.
    assert {k: data["columns"][k] for k in ("digital_source_type", "ai_generated")} == {
        "digital_source_type": "trainedAlgorithmicMedia",
        "ai_generated": True,
    }
    assert data["columns"]["rsl_attribution"] is None
    table = consent(web, url, "-s", "IMAGE_PROBE=range", "-s", "EXCLUDE_AI_GENERATED=true")
    assert table.returncode == 1
    assert "columns: digital_source_type=trainedAlgorithmicMedia, ai_generated=True" in (
        table.stdout
    )
    assert "decision: EXCLUDED: provenance:ai-generated" in table.stdout


# --- scrapy regenerate --------------------------------------------------------------------------


def test_regenerate_with_the_probe_fills_the_family_columns(web: SimWeb, tmp_path: Path) -> None:
    """The item path (``--probe range``): same reasons as the crawl, columns in both outputs."""
    urls = list(C2PA_EXPECTED)
    source = tmp_path / "input.parquet"
    pq.write_table(
        pa.table({"URL": urls, "TEXT": [f"caption {i}" for i in range(len(urls))]}), source
    )
    out = tmp_path / "out"
    result = regenerate(
        web, source, out, "--probe", "range", "--policy", "strict", "-s", "LOG_LEVEL=WARNING"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    index = ds.dataset(out / "index").to_table().to_pylist()
    excluded = ds.dataset(out / "excluded").to_table().to_pylist()
    got = {r["URL"]: ([], r) for r in index} | {r["URL"]: (r["reasons"], r) for r in excluded}
    assert set(got) == set(urls)
    for url, want in C2PA_EXPECTED.items():
        reasons, row = got[url]
        assert sorted(reasons) == want["strict"], url
        assert {k: row[k] for k in want["columns"]} == want["columns"], url
