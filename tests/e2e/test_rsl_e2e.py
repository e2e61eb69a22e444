"""RSL 1.0 end to end over tests/sites/rsl_sites.py: crawls, ``scrapy consent``, ``regenerate``.

One crawl per policy (strict, standard, strict with RSL_ENABLED=false); every image row's exact
reasons, the pages refused whole, the ``rsl_attribution`` column, the RSL evidence in the
``consent`` column, which licence files were (not) fetched and that an RSL document is never a
licence URL. ``scrapy consent`` shows the RSL evidence; ``scrapy regenerate`` decides the same
on its batch path and its item path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawler.simweb.control import SimWeb
from tests.e2e import Crawl, crawl
from tests.regen.test_batch_path_e2e import stat
from tests.sites.rsl_sites import (
    RSL_ATTRIBUTION,
    RSL_EXPECTED,
    RSL_NEVER_FETCHED,
    RSL_PAGES_EXCLUDED,
    RSL_SEEDS,
    rsl_sites,
)
from tests.support.cli import consent, regenerate

RUNS = {
    "strict": {},
    "standard": {"CONSENT_POLICY": "standard"},
    "off": {"RSL_ENABLED": "false"},
}


@pytest.fixture(scope="module", params=list(RUNS))
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    name = request.param
    result = crawl(tmp_path_factory, f"rsl-{name}", RSL_SEEDS, RUNS[name], sites=rsl_sites())
    return name, result


def _rsl_records(row: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in row["consent"] if r["family"] == "rsl"]


def test_every_image_row_has_its_exact_reasons(run: tuple[str, Crawl]) -> None:
    name, result = run
    got = {url: reasons for (_, url), reasons in result.reasons().items()}
    assert got == {url: e[name] for url, e in RSL_EXPECTED.items()}
    for url, expected in RSL_EXPECTED.items():
        (row,) = result.rows(url)
        assert row["page_url"] == expected["page"]


def test_pages_refused_whole(run: tuple[str, Crawl]) -> None:
    _, result = run
    pages = {r["url"]: sorted(r["reasons"]) for r in result.excluded if r["kind"] == "page"}
    # The CAP response names itself whatever the switch: it is why the page could not be read.
    assert pages == RSL_PAGES_EXCLUDED


def test_attribution_duty_is_a_column(run: tuple[str, Crawl]) -> None:
    name, result = run
    got = {r["url"]: r["rsl_attribution"] for r in result.index if r["rsl_attribution"]}
    assert got == (RSL_ATTRIBUTION if name != "off" else {})
    assert all("rsl_attribution" in r for r in result.excluded)


def test_rsl_evidence_in_the_consent_column(run: tuple[str, Crawl]) -> None:
    name, result = run
    rows = {url: result.rows(url)[0] for url in RSL_EXPECTED}
    if name == "off":
        assert not any(_rsl_records(row) for row in rows.values())
        return
    # The most specific <content> of the composed licence decides, with its terms as evidence.
    (paid,) = [
        r
        for r in _rsl_records(rows["http://composed.rsl.test/photos/p1.jpg"])
        if r["verdict"] == "disallow"
    ]
    assert paid["source"] == "http://composed.rsl.test/license.xml"
    assert 'content url="/photos/*.jpg$"' in paid["value"]
    assert "server=https://licensing.example.com" in paid["value"]
    assert "amount=0.02 EUR" in paid["value"]
    # Our group's licence, not the global one: one record for the page's URL, one for the
    # image's (robots.txt speaks for both).
    granted = _rsl_records(rows["http://grouped.rsl.test/img/g.png"])
    assert len(granted) == 2
    for record in granted:
        assert record["verdict"] == "allow"
        assert record["source"] == "http://grouped.rsl.test/free.xml"
        assert "payment=free" in record["value"]
    # A licence that cannot be read: excluded (strict) or recorded as unknown (standard).
    broken = _rsl_records(rows["http://missing.rsl.test/img/m.png"])
    assert {r["verdict"] for r in broken} == {"disallow" if name == "strict" else "unknown"}
    assert {r["source"] for r in broken} == {"http://missing.rsl.test/license.xml"}
    locked = _rsl_records(rows["http://cap.rsl.test/img/locked.png"])
    assert [r["verdict"] for r in locked] == ["disallow"]
    assert "WWW-Authenticate: License" in locked[0]["value"]


def test_licence_files_fetched_once_and_overridden_ones_never(run: tuple[str, Crawl]) -> None:
    name, result = run
    for url in RSL_NEVER_FETCHED:
        assert not result.requests_to(url), url
    composed = result.requests_to("http://composed.rsl.test/license.xml")
    if name == "off":
        assert not composed  # RSL off: no licence file is requested
        assert not any(d["kind"] == "rsl" for d in result.documents)
    else:
        assert len(composed) == 1  # page and images of the host share one fetch
        kinds = {(d["kind"], d["url"]) for d in result.documents}
        assert ("rsl", "http://composed.rsl.test/license.xml") in kinds
        assert ("rsl", "http://imagelink.rsl.test/rsl/free-image.xml") in kinds


def test_an_rsl_document_is_never_a_licence_url(run: tuple[str, Crawl]) -> None:
    _, result = run
    for row in result.index:
        assert row["license_url"] is None or "rsl" not in row["license_url"], row
        assert row["license"] is None, row


# --- scrapy consent --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def web() -> Any:
    with SimWeb(rsl_sites(), max_seconds=120, max_requests=2000) as sim:
        yield sim


def test_consent_command_explains_an_rsl_prohibition(web: SimWeb) -> None:
    result = consent(
        web,
        "http://composed.rsl.test/img/a.png",
        "--page",
        "http://composed.rsl.test/open/gallery.html",
        "--json",
    )
    assert result.returncode == 1, result.stderr[-2000:]
    data = json.loads(result.stdout)
    assert data["reasons"] == ["rsl:prohibits=ai-train"]
    rsl = [s for s in data["signals"] if s["family"] == "rsl"]
    # The page is under /open/* (attribution: allowed); the image under / (prohibited).
    assert {(s["applies_to"], s["verdict"]) for s in rsl} == {
        ("page", "allow"),
        ("image", "disallow"),
    }
    image = next(s for s in rsl if s["applies_to"] == "image")
    assert image["source"] == "http://composed.rsl.test/license.xml"
    assert 'content url="/"' in image["value"] and "prohibits=ai-train" in image["value"]


def test_consent_command_table_shows_the_image_link_licence(web: SimWeb) -> None:
    result = consent(
        web,
        "http://imagelink.rsl.test/img/paid.png",
        "--page",
        "http://imagelink.rsl.test/gallery.html",
    )
    assert result.returncode == 1, result.stderr[-2000:]
    out = result.stdout
    assert "rsl:payment-required" in out
    assert "http://imagelink.rsl.test/rsl/paid-image.xml" in out
    assert "payment=purchase" in out


# --- scrapy regenerate: the batch path leaves batches with an RSL licence to the item path ----

REGEN_ROWS = {
    "http://composed.rsl.test/img/a.png": ["rsl:prohibits=ai-train"],
    "http://composed.rsl.test/open/cover.png": [],
    "http://grouped.rsl.test/img/g.png": [],
    "http://otherbot.rsl.test/img/o.png": ["rsl:prohibits=ai-train"],
    "http://imagelink.rsl.test/img/free.png": [],  # no licence without the probe's Link header
}


@pytest.mark.parametrize("batch_path", ["true", "false"])
def test_regenerate_reads_robots_txt_licences_on_either_path(
    web: SimWeb, tmp_path: Path, batch_path: str
) -> None:
    source = tmp_path / "rows.parquet"
    urls = list(REGEN_ROWS)
    pq.write_table(
        pa.table({"URL": urls, "TEXT": [f"photo {i}" for i in range(len(urls))]}), source
    )
    out = tmp_path / "out"
    result = regenerate(
        web,
        source,
        out,
        "--probe",
        "off",
        "-s",
        f"REGEN_BATCH_PATH={batch_path}",
        "-s",
        "LOG_LEVEL=INFO",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    if batch_path == "true":
        # Only the rows of origins naming a licence take the item path (they were the whole
        # batch's before): the batch path decided the other one.
        log = result.stderr
        assert stat(log, "regenerate/batch_path/rsl_rows") == 4
        assert (
            stat(log, "regenerate/batch_path/rows_shared")
            + stat(log, "regenerate/batch_path/rows_by_path")
            == 1
        )
        assert "rows 5/5 (100.0%)" in log  # progress counts the rows of both paths
    got = {url: [] for url in pq.read_table(out / "index").column("URL").to_pylist()}
    excluded = pq.read_table(out / "excluded").to_pylist()
    got.update({row["URL"]: sorted(row["reasons"]) for row in excluded})
    assert got == REGEN_ROWS
    # The family column, as in a crawl's index (the item path filled it).
    credit = dict(
        zip(
            pq.read_table(out / "index").column("URL").to_pylist(),
            pq.read_table(out / "index").column("rsl_attribution").to_pylist(),
            strict=True,
        )
    )
    assert credit["http://composed.rsl.test/open/cover.png"] == (
        "http://composed.rsl.test/license.xml"
    )
    assert credit["http://grouped.rsl.test/img/g.png"] is None
