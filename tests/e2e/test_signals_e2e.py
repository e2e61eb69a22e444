"""End-to-end proof of the consent signals (issue 3): crawl the signal web once per policy.

Each crawl is ``scrapy crawl images`` in a subprocess reaching a SimWeb through http_proxy
(crawler.demo.run_crawl). The assertions compare the Parquet outputs and the server's request
log with ``SIGNAL_EXPECTED``: exactly which image rows are kept and which are excluded with
which reasons, what the ``consent`` column records, what was (never) requested, and that the
manifest agrees with the files.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.e2e import Crawl, crawl, families
from tests.sites.signalweb import HEAD_REFUSING, SIGNAL_EXPECTED, SIGNAL_SEEDS

NOT_CHECKED = "not checked (IMAGE_PROBE=off)"


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    return crawl(tmp_path_factory, "strict", SIGNAL_SEEDS)


@pytest.fixture(scope="module")
def standard(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    return crawl(tmp_path_factory, "standard", SIGNAL_SEEDS, {"CONSENT_POLICY": "standard"})


@pytest.fixture(scope="module")
def robots_only(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    return crawl(tmp_path_factory, "robots-only", SIGNAL_SEEDS, {"CONSENT_POLICY": "robots-only"})


@pytest.fixture(scope="module")
def probe_off(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    return crawl(tmp_path_factory, "probe-off", SIGNAL_SEEDS, {"IMAGE_PROBE": "off"})


@pytest.fixture(scope="module")
def aitxt_off(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    return crawl(tmp_path_factory, "aitxt-off", SIGNAL_SEEDS, {"AITXT_ENABLED": "false"})


# fixture name -> the SIGNAL_EXPECTED key it is checked against
RUNS = {
    "strict": "strict",
    "standard": "standard",
    "robots_only": "robots-only",
    "probe_off": "probe-off",
}


def expected_rows(key: str) -> dict[tuple[str, str], list[str]]:
    return {
        (page, url): entry[key] for url, entry in SIGNAL_EXPECTED.items() for page in entry["pages"]
    }


def strict_without_aitxt() -> dict[tuple[str, str], list[str]]:
    return {
        key: [r for r in reasons if not r.startswith("aitxt:")]
        for key, reasons in expected_rows("strict").items()
    }


def kept_urls(c: Crawl) -> set[str]:
    return {r["url"] for r in c.index}


def records(row: dict[str, Any], family: str, source: str) -> list[dict[str, str]]:
    return [r for r in row["consent"] if r["family"] == family and r["source"] == source]


def record(row: dict[str, Any], family: str, source: str) -> dict[str, str]:
    found = records(row, family, source)
    assert len(found) == 1, (family, source, row["consent"])
    return found[0]


# --- every row where it belongs ------------------------------------------------------------


@pytest.mark.parametrize("run", list(RUNS))
def test_rows_match_expected_exactly(run: str, request: pytest.FixtureRequest) -> None:
    c: Crawl = request.getfixturevalue(run)
    got = c.reasons()  # also asserts that no row is both kept and excluded
    want = expected_rows(RUNS[run])
    assert got.keys() == want.keys()  # every candidate appears, and nothing else
    wrong = {key: (got[key], want[key]) for key in want if got[key] != want[key]}
    assert not wrong, wrong
    assert len(c.index) + len(c.image_rows) == len(want)
    assert not [r for r in c.excluded if r["kind"] == "page"]  # every seed page was fetched


def test_aitxt_switch_turns_only_that_family_off(aitxt_off: Crawl, strict: Crawl) -> None:
    got = aitxt_off.reasons()
    want = strict_without_aitxt()
    assert got == want
    now_kept = kept_urls(aitxt_off) - kept_urls(strict)
    assert now_kept == {
        "http://aitxt-spawning.sig.test/img/dunes.jpg",
        "http://aitxt-spawning.sig.test/img/borrowed.jpg",
        "http://aitxt-kv.sig.test/img/vase.png",
    }
    assert not [r for r in aitxt_off.requests if r["path"] == "/ai.txt"]
    assert "aitxt" not in aitxt_off.manifest["counts"]["consent_documents_fetched"]
    assert "aitxt" not in aitxt_off.manifest["counts"]["excluded_by_family"]
    for row in [*aitxt_off.index, *aitxt_off.image_rows]:
        assert "aitxt" not in families(row)
    # the other families still work in the same crawl
    assert aitxt_off.manifest["counts"]["excluded_by_family"]["tdmrep"] == 7


def test_policies_differ_where_expected(strict: Crawl, standard: Crawl, robots_only: Crawl) -> None:
    only_standard = kept_urls(standard) - kept_urls(strict)
    assert only_standard == {
        "http://meta-noindex.sig.test/img/draft.png",
        "http://img-noindex.sig.test/img/teapot.png",
        "http://img-503.sig.test/img/waves.png",
    }
    assert kept_urls(strict) <= kept_urls(standard) <= kept_urls(robots_only)
    excluded = {r["url"] for r in robots_only.image_rows}
    assert excluded == {
        "http://plain.sig.test/img/rule.png",
        "http://plain.sig.test/private/contact-sheet.png",
    }


# --- the consent column --------------------------------------------------------------------


CHECKED_FAMILIES = {"robots", "aitxt", "tdmrep", "xrobots", "meta-robots", "probe"}


@pytest.mark.parametrize("run", ["strict", "standard"])
def test_kept_rows_record_every_family(run: str, request: pytest.FixtureRequest) -> None:
    c: Crawl = request.getfixturevalue(run)
    assert c.index
    for row in c.index:
        found = families(row)
        assert found.keys() >= CHECKED_FAMILIES, (row["url"], found)
        assert all("disallow" not in verdicts for verdicts in found.values()), row["url"]
        origin = row["url"].split("/", 3)[:3]
        robots = records(row, "robots", "/".join(origin) + "/robots.txt")
        # crawl permission of the image's own host (robots.txt parsed, or 404: unavailable);
        # the value is the matched rule when one matched ("User-agent: * / Allow: /")
        assert any(
            r["verdict"] == "allow"
            and (r["value"] in ("parsed", "unavailable") or r["value"].startswith("User-agent:"))
            for r in robots
        ), robots
        probe = record(row, "probe", row["url"])
        if row["url"] == "http://img-503.sig.test/img/waves.png":
            assert probe == {**probe, "verdict": "unknown", "value": "failed: HEAD 503"}
        elif row["url"].startswith("http://img-nohead.sig.test/"):
            assert probe == {**probe, "verdict": "allow", "value": "GET 206"}
        else:
            assert probe == {**probe, "verdict": "allow", "value": "HEAD 200"}


def verdicts(row: dict[str, Any], family: str, source: str) -> list[tuple[str, str]]:
    return [(r["verdict"], r["value"]) for r in records(row, family, source)]


def test_kept_rows_record_allowing_preferences(strict: Crawl) -> None:
    (ok,) = strict.rows("http://robots-cu.sig.test/ok/img/lighthouse.png")
    # page /ok/ and image /ok/img/... both fall under the longer /ok/ rule
    assert (
        verdicts(ok, "aipref", "http://robots-cu.sig.test/robots.txt")
        == [("allow", "Content-Usage: /ok/ train-ai=y")] * 2
    )
    (fjord,) = strict.rows("http://tdm-order.sig.test/images/fjord.jpg")
    # first match in array order (/images/*.jpg: 0), not the longest or the restrictive one
    assert verdicts(fjord, "tdmrep", "http://tdm-order.sig.test/.well-known/tdmrep.json") == [
        ("allow", "0; location=/images/*.jpg")  # the matched entry is the evidence
    ]
    (open_map,) = strict.rows("http://cdn.sig.test/meta-tdm0/open-map.png")
    # the page's meta 0 overrides its host's file (1)
    assert verdicts(open_map, "tdmrep", "meta:http://meta-tdm0.sig.test/") == [("allow", "0")]
    (png,) = strict.rows("http://aitxt-spawning.sig.test/img/route-map.png")
    assert verdicts(png, "aitxt", "http://aitxt-spawning.sig.test/ai.txt") == [
        ("unknown", ""),  # the page path / matches no rule
        ("allow", "Allow: *.png"),
    ]
    (md,) = strict.rows("http://aitxt-md.sig.test/img/terminal.png")
    assert families(md)["aitxt"] == {"unknown"}  # a Markdown ai.txt is no signal
    (tomatoes,) = strict.rows("http://hdr-googlebot.sig.test/img/tomatoes.png")
    assert families(tomatoes)["xrobots"] == {"unknown"}  # googlebot: noimageai is not for us


def test_excluded_rows_keep_the_evidence(strict: Crawl, standard: Crawl) -> None:
    (skyline,) = strict.rows("http://img-tdm.sig.test/img/skyline.jpg")
    tdm = record(skyline, "tdmrep", "header:http://img-tdm.sig.test/img/skyline.jpg")
    assert tdm["value"] == "1; policy=http://img-tdm.sig.test/licensing/tdm-policy.json"
    (cover,) = strict.rows("http://tdm-bare.sig.test/img/cover.png")
    assert {r["value"] for r in cover["consent"] if r["verdict"] == "disallow"} == {
        "1; policy=http://tdm-bare.sig.test/tdm-policy.json; location=/; nonconformant"
    }
    (lathe,) = strict.rows("http://hdr-xrobots.sig.test/img/lathe.png")
    xr = record(lathe, "xrobots", "header:http://hdr-xrobots.sig.test/")
    assert xr == {**xr, "verdict": "disallow", "value": "consentcrawl: noai"}
    (harbour,) = strict.rows("http://tdm-order.sig.test/images/harbour.jpg")
    tdm = records(harbour, "tdmrep", "http://tdm-order.sig.test/.well-known/tdmrep.json")
    # the page (location /) is reserved, the image (/images/*.jpg, first match) is not: the
    # row is excluded all the same, since the page's reservation covers what is mined from it
    assert [(r["verdict"], r["value"]) for r in tdm] == [
        ("disallow", "1; policy=http://tdm-order.sig.test/policy.json; location=/"),
        ("allow", "0; location=/images/*.jpg"),
    ]
    (premium,) = strict.rows("http://img-402.sig.test/img/premium.jpg")
    assert record(premium, "probe", "http://img-402.sig.test/img/premium.jpg")["value"] == (
        "HEAD 402"
    )
    (waves,) = strict.rows("http://img-503.sig.test/img/waves.png")
    assert record(waves, "probe", "http://img-503.sig.test/img/waves.png") == {
        "family": "probe",
        "verdict": "disallow",
        "source": "http://img-503.sig.test/img/waves.png",
        "value": "HEAD 503",
    }
    (regatta,) = standard.rows("http://robots-dat.sig.test/photos/regatta.jpg")
    dat = records(regatta, "robots", "http://robots-dat.sig.test/robots.txt")
    # the page host's robots.txt allows the page (its matched rule), the page path (/) is not
    # covered by the legacy rule (unknown), the image host allows crawling, and the legacy rule
    # refuses training on the image path
    assert [(r["verdict"], r["value"]) for r in dat] == [
        ("allow", "User-agent: * / Allow: /"),
        ("unknown", ""),
        ("allow", "User-agent: * / Allow: /"),
        ("disallow", "DisallowAITraining: /photos/"),
    ]


def test_robots_only_records_robots_and_not_checked(robots_only: Crawl) -> None:
    for row in robots_only.index:
        assert families(row) == {"robots": {"allow"}, "probe": {"unknown"}}, row["url"]
        assert record(row, "probe", "")["value"] == NOT_CHECKED
    assert robots_only.manifest["image_headers_checked"] is False
    assert set(robots_only.manifest["counts"]["consent_documents_fetched"]) == {"robots"}


def test_probe_off_records_not_checked(probe_off: Crawl) -> None:
    assert probe_off.manifest["image_headers_checked"] is False
    assert probe_off.manifest["counts"]["consent_probes"] == 0
    for row in [*probe_off.index, *probe_off.image_rows]:
        probes = [r for r in row["consent"] if r["family"] == "probe"]
        assert probes == [
            {"family": "probe", "verdict": "unknown", "source": "", "value": NOT_CHECKED}
        ]
    images = {url for url in SIGNAL_EXPECTED}
    asked = {f"http://{r['host']}{r['path']}" for r in probe_off.requests}
    assert not images & asked  # no image was requested at all


# --- the request log -----------------------------------------------------------------------


@pytest.mark.parametrize("run", ["strict", "standard", "aitxt_off"])
def test_each_consent_document_fetched_once_per_origin(
    run: str, request: pytest.FixtureRequest
) -> None:
    c: Crawl = request.getfixturevalue(run)
    fetches = c.document_fetches()
    assert fetches and max(fetches.values()) == 1, fetches.most_common(3)
    hosts = {r["host"] for r in c.requests}
    assert {h for h, kind in fetches if kind == "robots"} == hosts  # every host asked first
    assert sum(fetches.values()) == len(c.documents)  # and each fetch is in consent/
    docs = Counter(c.manifest["counts"]["consent_documents_fetched"])
    assert docs == Counter(kind for _, kind in fetches.elements())


def test_disallowed_paths_never_requested(strict: Crawl, robots_only: Crawl) -> None:
    for c in (strict, robots_only):
        assert not [r for r in c.requests if r["path"].startswith("/private/")]
        assert c.requests_to("http://plain.sig.test/img/meadow.png") or c is robots_only


# Reserved by its host's tdmrep.json, but an image header could still override the file (TDMRep
# precedence: header over file), so the image is probed before its TDMRep verdict is final.
NEEDS_PROBE_DESPITE_FILE = {"http://tdm-order.sig.test/images/fjord.png"}


def test_probes_once_per_image_and_only_when_needed(strict: Crawl) -> None:
    head_refusing = {f"http://{host}{path}" for host, path in HEAD_REFUSING}
    for url, entry in SIGNAL_EXPECTED.items():
        asked = strict.requests_to(url)
        methods = [r["method"] for r in asked]
        if entry["probe-off"] and url not in NEEDS_PROBE_DESPITE_FILE:
            # excluded without looking at the image: the image host is spared
            assert not asked, (url, methods)
        elif url in head_refusing:
            assert [(r["method"], r["status"], r["range"]) for r in asked] == [
                ("HEAD", 405, None),
                ("GET", 206, "bytes=0-65535"),
            ]
        else:
            assert methods == ["HEAD"], (url, methods)
    # one image on two pages: two rows, one probe
    shared = "http://plain.sig.test/img/shared-logo.png"
    assert len(strict.rows(shared)) == 2 and len(strict.requests_to(shared)) == 1
    probes = [r for r in strict.requests if r["method"] == "HEAD" or r["range"]]
    assert strict.manifest["counts"]["consent_probes"] == len(probes)


# --- the manifest --------------------------------------------------------------------------


@pytest.mark.parametrize("run", [*RUNS, "aitxt_off"])
def test_manifest_matches_the_parquet_files(run: str, request: pytest.FixtureRequest) -> None:
    c: Crawl = request.getfixturevalue(run)
    m = c.manifest
    counts = m["counts"]
    assert m["finish_reason"] == "finished"
    assert counts["pages_fetched"] == len(SIGNAL_SEEDS)
    assert counts["pages_excluded"] == 0
    assert counts["kept"] == len(c.index)
    assert counts["excluded"] == len(c.image_rows)
    assert counts["candidates"] == len(c.index) + len(c.image_rows)
    reasons = Counter(r for row in c.image_rows for r in row["reasons"])
    assert counts["excluded_by_reason"] == dict(reasons)
    by_family = Counter(
        family for row in c.image_rows for family in {r.split(":")[0] for r in row["reasons"]}
    )
    assert counts["excluded_by_family"] == dict(by_family)
    licences = Counter(row["license"] for row in c.index if row["license"])
    assert counts["rows_by_license"] == dict(licences)
    for name, rows in (("index", c.index), ("excluded", c.excluded), ("consent", c.documents)):
        assert sum(part["rows"] for part in m["parts"][name]) == len(rows)
        for part in m["parts"][name]:
            assert (c.out / part["path"]).is_file()
    assert m["image_headers_checked"] is (run in ("strict", "standard", "aitxt_off"))
