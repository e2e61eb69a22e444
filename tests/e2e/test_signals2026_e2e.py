"""Issue 14's 2026 signals end to end: ``Robots-Tag``, ``noml``, AIPREF vocab-08 in several
field lines (and its per-row columns), deny-listed page and image hosts; in ``scrapy crawl``,
``scrapy consent`` and ``scrapy regenerate``, on the hosts of ``tests/sites/signals2026_sites``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawler.demo import run_crawl
from crawler.report.causes import cause_of
from crawler.simweb.control import SimWeb
from tests.e2e import Crawl, crawl
from tests.sites import signals2026_sites as s26
from tests.support.cli import regenerate, scrapy

QUICK = ["-s", "DOWNLOAD_TIMEOUT=5", "-s", "RETRY_TIMES=0", "-s", "LOG_LEVEL=WARNING"]
AIPREF_COLUMNS = ("aipref_train_ai", "aipref_ai_use", "aipref_search")


@pytest.fixture(scope="module")
def denylist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lists") / f"{s26.DENYLIST_STEM}.txt"
    path.write_text(s26.DENYLIST_TEXT, encoding="utf-8")
    return path


def _crawl(factory: pytest.TempPathFactory, name: str, settings: dict[str, str]) -> Crawl:
    return crawl(factory, name, s26.SEEDS, settings, sites=s26.sites())


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory, denylist: Path) -> Crawl:
    return _crawl(
        tmp_path_factory,
        "s26-strict",
        {"CONSENT_POLICY": "strict", "DENYLIST_FILES": str(denylist)},
    )


@pytest.fixture(scope="module")
def standard(tmp_path_factory: pytest.TempPathFactory, denylist: Path) -> Crawl:
    return _crawl(
        tmp_path_factory,
        "s26-standard",
        {"CONSENT_POLICY": "standard", "DENYLIST_FILES": str(denylist)},
    )


@pytest.fixture(scope="module")
def unlisted(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    return _crawl(tmp_path_factory, "s26-nolist", {"CONSENT_POLICY": "strict"})


def _want(run: str) -> dict[tuple[str, str], list[str]]:
    return {(e["page"], url): e[run] for url, e in s26.EXPECTED.items()}


def test_strict_rows_and_reasons(strict: Crawl) -> None:
    assert strict.reasons() == _want("strict")


def test_standard_rows_and_reasons(standard: Crawl) -> None:
    assert standard.reasons() == _want("standard")


def test_without_the_denylist_its_hosts_are_ordinary(unlisted: Crawl) -> None:
    assert unlisted.reasons() == _want("no-denylist")
    assert not any(r.startswith("denylist") for row in unlisted.image_rows for r in row["reasons"])


def test_aipref_vocab08_columns_in_index_and_excluded(strict: Crawl) -> None:
    for url, expected in s26.EXPECTED.items():
        (row,) = strict.rows(url)
        got = {name: row[name] for name in AIPREF_COLUMNS}
        if expected["aipref"] is not None:
            assert got == expected["aipref"], url
        elif "aipref08" not in url:
            assert got == dict.fromkeys(AIPREF_COLUMNS), url  # nobody said anything


def test_aipref_columns_are_null_when_the_family_is_off(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    run = _crawl(tmp_path_factory, "s26-aipref-off", {"AIPREF_ENABLED": "false"})
    rows = [*run.index, *run.image_rows]
    assert rows and all(row[c] is None for row in rows for c in AIPREF_COLUMNS)
    # train-ai=n no longer excludes: the AIPREF rows are kept.
    assert not any(r.startswith("aipref") for row in run.image_rows for r in row["reasons"])


def test_robots_tag_evidence_is_the_field_line(strict: Crawl) -> None:
    (row,) = strict.rows("http://robotstag-image.s26.test/img/two-lines.png")
    (record,) = [
        c for c in row["consent"] if c["family"] == "xrobots" and c["verdict"] == "disallow"
    ]
    assert record["value"] == "Robots-Tag: consentcrawl;noai"  # the field line that refused
    assert record["source"] == "header:http://robotstag-image.s26.test/img/two-lines.png"
    (row,) = strict.rows("http://robotstag-page.s26.test/img/page-wide.png")
    (record,) = [
        c for c in row["consent"] if c["family"] == "xrobots" and c["verdict"] == "disallow"
    ]
    assert record["source"] == "header:http://robotstag-page.s26.test/"
    assert "GPTBot;noimageai" in record["value"]


def test_denylist_evidence_names_file_line_and_entry(strict: Crawl, denylist: Path) -> None:
    (row,) = strict.rows("http://img.warez.s26.test/img/copied.png")
    (record,) = [c for c in row["consent"] if c["family"] == "denylist"]
    assert record["verdict"] == "disallow"
    assert record["source"] == f"{denylist}:2"
    assert "listed warez.s26.test" in record["value"]
    # A deny-listed page host excludes its rows whatever the image host.
    (row,) = strict.rows("http://cdn-ok.s26.test/img/hosted.png")
    (record,) = [c for c in row["consent"] if c["family"] == "denylist"]
    assert (
        record["source"] == f"{denylist}:3"
        and "page http://denied-page.s26.test/" in record["value"]
    )


def test_denylist_counts_as_scope_in_the_manifest(strict: Crawl) -> None:
    counts = strict.manifest["counts"]
    assert counts["excluded_by_reason"]["denylist:piracy"] == 3, counts
    assert cause_of("denylist:piracy") == "scope"  # the operator's choice, not a refusal


# --- bad deny-lists stop the run before any request ---------------------------------------------


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory):
    with SimWeb(
        s26.sites(), workdir=tmp_path_factory.mktemp("web"), max_seconds=300, max_requests=5000
    ) as sim:
        yield sim


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "DENYLIST_FILES"),  # a missing file
        ("ok.example\nhttp://bad.example/path\n", ":2:"),  # a URL: the file and line named
    ],
)
def test_bad_denylist_stops_the_crawl_before_any_request(
    web: SimWeb, tmp_path: Path, text: str | None, message: str
) -> None:
    path = tmp_path / "bad.txt"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    before = len(web.requests())
    result = run_crawl(web, tmp_path / "out", s26.SEEDS[:1], ["-s", f"DENYLIST_FILES={path}"])
    assert result.returncode == 2, result.stderr[-2000:]
    # One error, naming the setting, then (for bad lines) each line as file:line.
    text = result.stderr[result.stderr.index("consentcrawl: error: DENYLIST_FILES") :]
    assert message in text and "bad.txt" in text, text
    assert "Traceback" not in result.stderr
    assert len(web.requests()) == before
    assert not (tmp_path / "out").exists()


# --- scrapy consent ---------------------------------------------------------------------------


def consent(web: SimWeb, *args: str) -> subprocess.CompletedProcess[str]:
    return scrapy(web, "consent", *args, *QUICK)


def test_consent_command_shows_the_denylist(web: SimWeb, denylist: Path) -> None:
    result = consent(
        web,
        "http://img.warez.s26.test/img/copied.png",
        "--page",
        "http://clean.s26.test/",
        "--json",
        "-s",
        f"DENYLIST_FILES={denylist}",
    )
    assert result.returncode == 1, result.stderr[-2000:]
    data = json.loads(result.stdout)
    assert data["reasons"] == ["denylist:piracy"]
    listed = [s for s in data["signals"] if s["family"] == "denylist"]
    assert [(s["applies_to"], s["verdict"]) for s in listed] == [("image", "disallow")]
    assert listed[0]["source"] == f"{denylist}:2"


def test_consent_command_refuses_a_bad_denylist(web: SimWeb, tmp_path: Path) -> None:
    before = len(web.requests())
    missing = tmp_path / "missing.txt"
    result = consent(web, "http://clean.s26.test/", "-s", f"DENYLIST_FILES={missing}")
    assert result.returncode == 2
    assert f"consentcrawl: error: DENYLIST_FILES: cannot read {missing}" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(web.requests()) == before


def test_consent_command_shows_robots_tag_and_noml(web: SimWeb) -> None:
    result = consent(
        web,
        "http://robotstag-image.s26.test/img/star.png",
        "--page",
        "http://robotstag-image.s26.test/",
        "--json",
    )
    assert result.returncode == 1, result.stderr[-2000:]
    data = json.loads(result.stdout)
    assert data["reasons"] == ["xrobots:noai"]
    (signal,) = [s for s in data["signals"] if s["verdict"] == "disallow"]
    assert (signal["applies_to"], signal["family"], signal["value"]) == (
        "image",
        "xrobots",
        "Robots-Tag: *;noai",
    )
    result = consent(
        web, "http://noml-meta.s26.test/img/meta.png", "--page", "http://noml-meta.s26.test/"
    )
    assert result.returncode == 1
    assert "meta-robots:noml" in result.stdout


# --- scrapy regenerate: the deny-list on rows with url and page_url ------------------------------


def test_regenerate_applies_the_denylist(web: SimWeb, denylist: Path, tmp_path: Path) -> None:
    urls = list(s26.EXPECTED)
    table = pa.table(
        {
            "uid": [f"u{i}" for i in range(len(urls))],
            "url": urls,
            "caption": [f"row {i}" for i in range(len(urls))],
            "page_url": [s26.EXPECTED[u]["page"] for u in urls],
        }
    )
    source = tmp_path / "rows.parquet"
    pq.write_table(table, source)
    out = tmp_path / "out"
    result = regenerate(
        web,
        source,
        out,
        "--probe",
        "off",
        "-s",
        f"DENYLIST_FILES={denylist}",
        *QUICK,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    got: dict[str, list[str]] = {}
    for row in pq.read_table(out / "index").to_pylist():
        got[row["uid"]] = []
    for row in pq.read_table(out / "excluded").to_pylist():
        got[row["uid"]] = sorted(row["reasons"])
    # Without the probe or the page, only URL-level signals count: the deny-list, and the
    # robots.txt Content-Usage record of aipref08-robots.
    want: dict[str, list[str]] = {}
    for i, url in enumerate(urls):
        reasons = [r for r in s26.EXPECTED[url]["strict"] if r.startswith("denylist:")]
        if url == "http://aipref08-robots.s26.test/img/site.png":
            reasons = ["aipref:train-ai=n"]
        want[f"u{i}"] = reasons
    assert got == want
