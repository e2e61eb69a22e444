"""End-to-end proof of licence detection and the licence filter (issue 4).

The licence hosts of the signal web are crawled with the default settings, with
``LICENSE_ALLOW=permissive``, with ``LICENSE_ALLOW=public-domain`` + ``LICENSE_SCOPE=image`` and
with ``IMAGE_PROBE=range`` (XMP and IPTC ``plus:DataMining``). The licence columns of every row
are compared with ``LICENSE_EXPECTED``, the filter's reasons with the tables below, and the
manifest's ``rows_by_license`` with the index.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from crawler.records import LICENSE_COLUMNS
from tests.e2e import Crawl, crawl, families
from tests.sites.signalweb import LICENSE_EXPECTED, LICENSE_SEEDS, SIGNAL_EXPECTED

COLUMNS = LICENSE_COLUMNS

MOSS = "http://lic-page.sig.test/img/moss.png"
AVOCET = "http://lic-jsonld.sig.test/img/avocet.jpg"
MUDFLATS = "http://lic-jsonld.sig.test/img/mudflats.png"
HERON = "http://lic-rdfa.sig.test/img/heron.png"
REEDS = "http://lic-rdfa.sig.test/img/reeds.png"
HUT = "http://lic-microdata.sig.test/img/hut.jpg"
SKETCH = "http://lic-header.sig.test/img/sketch.png"
LYNX = "http://lic-xmp.sig.test/img/lynx.jpg"
OTTER = "http://lic-xmp.sig.test/img/otter.jpg"
SLIDE = "http://lic-conflict.sig.test/img/slide.png"
MURAL = "http://lic-noai.sig.test/img/mural.png"
BEACH = "http://lic-none.sig.test/img/beach.png"

NOAI = "meta-robots:noai"
NONE = "license:none"

# Exclusion reasons per image, per run (absent: kept).
DEFAULT = {MURAL: [NOAI]}
PERMISSIVE = {
    REEDS: [NONE],
    SKETCH: ["license:not-allowed=CC-BY-NC-4.0"],
    LYNX: [NONE],  # XMP is not read with the HEAD probe
    OTTER: [NONE],
    SLIDE: ["license:conflict"],  # CC BY vs CC BY-NC: not every disagreeing licence is allowed
    MURAL: [NOAI],  # CC BY passes the filter; the opt-out still excludes the row
    BEACH: [NONE],
}
PUBLIC_DOMAIN_IMAGE = {
    MOSS: [NONE],  # page scope only
    MUDFLATS: [NONE],
    HERON: ["license:not-allowed=CC-BY-SA-4.0"],
    REEDS: [NONE],
    HUT: ["license:not-allowed=CC-BY-4.0"],
    SKETCH: ["license:not-allowed=CC-BY-NC-4.0"],
    LYNX: [NONE],
    OTTER: [NONE],
    SLIDE: [NONE],
    MURAL: [NONE, NOAI],
    BEACH: [NONE],
}
RANGE = {MURAL: [NOAI], LYNX: ["iptc:data-mining=DMI-PROHIBITED-AIMLTRAINING"]}


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    return crawl(tmp_path_factory, "lic-default", LICENSE_SEEDS)


@pytest.fixture(scope="module")
def permissive(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    return crawl(tmp_path_factory, "lic-permissive", LICENSE_SEEDS, {"LICENSE_ALLOW": "permissive"})


@pytest.fixture(scope="module")
def public_domain_image(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    settings = {"LICENSE_ALLOW": "public-domain", "LICENSE_SCOPE": "image"}
    return crawl(tmp_path_factory, "lic-pd-image", LICENSE_SEEDS, settings)


@pytest.fixture(scope="module")
def ranged(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    return crawl(tmp_path_factory, "lic-range", LICENSE_SEEDS, {"IMAGE_PROBE": "range"})


# configs/open-licensed.toml: strict, IMAGE_PROBE=range, LICENSE_ALLOW=permissive
OPEN_LICENSED = {
    REEDS: [NONE],
    SKETCH: ["license:not-allowed=CC-BY-NC-4.0"],
    LYNX: ["iptc:data-mining=DMI-PROHIBITED-AIMLTRAINING"],  # its CC BY passes; IPTC does not
    SLIDE: ["license:conflict"],
    MURAL: [NOAI],
    BEACH: [NONE],
}
CONFIG = Path(__file__).resolve().parents[2] / "configs" / "open-licensed.toml"


@pytest.fixture(scope="module")
def open_licensed(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    return crawl(tmp_path_factory, "lic-config", LICENSE_SEEDS, args=["-a", f"config={CONFIG}"])


RUNS = {
    "default": DEFAULT,
    "permissive": PERMISSIVE,
    "public_domain_image": PUBLIC_DOMAIN_IMAGE,
    "ranged": RANGE,
    "open_licensed": OPEN_LICENSED,
}


def columns(url: str, run: str) -> dict[str, Any]:
    expected = LICENSE_EXPECTED[url]
    if run in ("ranged", "open_licensed") and "range" in expected:
        expected = expected["range"]
    return {name: expected[name] for name in COLUMNS}


def test_licence_hosts_are_all_covered() -> None:
    assert set(LICENSE_EXPECTED) == {
        MOSS,
        AVOCET,
        MUDFLATS,
        HERON,
        REEDS,
        HUT,
        SKETCH,
        LYNX,
        OTTER,
        SLIDE,
        MURAL,
        BEACH,
    }
    assert all(SIGNAL_EXPECTED[url]["pages"][0] in LICENSE_SEEDS for url in LICENSE_EXPECTED)


@pytest.mark.parametrize("run", list(RUNS))
def test_filter_decisions(run: str, request: pytest.FixtureRequest) -> None:
    c: Crawl = request.getfixturevalue(run)
    got = {url: reasons for (_, url), reasons in c.reasons().items()}
    want = {url: sorted(RUNS[run].get(url, [])) for url in LICENSE_EXPECTED}
    assert got == want


@pytest.mark.parametrize("run", list(RUNS))
def test_licence_columns(run: str, request: pytest.FixtureRequest) -> None:
    c: Crawl = request.getfixturevalue(run)
    for row in c.index:
        assert {name: row[name] for name in COLUMNS} == columns(row["url"], run), row["url"]
    for row in c.image_rows:
        # excluded rows keep the licence id: a licence is recorded even when it cannot help
        assert row["license"] == columns(row["url"], run)["license"], row["url"]


def test_image_scope_beats_page_scope(default: Crawl) -> None:
    (avocet,) = default.rows(AVOCET)
    (mudflats,) = default.rows(MUDFLATS)
    assert (avocet["license"], avocet["license_scope"]) == ("CC0-1.0", "image")
    assert (mudflats["license"], mudflats["license_scope"]) == ("CC-BY-4.0", "page")


def test_range_probe_reads_xmp_and_iptc(ranged: Crawl, default: Crawl) -> None:
    (lynx,) = ranged.rows(LYNX)
    iptc = [r for r in lynx["consent"] if r["family"] == "iptc"]
    assert iptc == [
        {
            "family": "iptc",
            "verdict": "disallow",
            "source": f"xmp:{LYNX}",
            "value": "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING",
        }
    ]
    (otter,) = ranged.rows(OTTER)
    assert families(otter)["iptc"] == {"allow"}
    # with the HEAD probe there are no bytes to read: no iptc record, no XMP licence
    for url in (LYNX, OTTER):
        (row,) = default.rows(url)
        assert "iptc" not in families(row) and row["license"] is None
    # range mode: one ranged GET per probed image, never a HEAD
    probes = [r for r in ranged.requests if r["path"].startswith("/img/")]
    assert probes and {(r["method"], r["range"]) for r in probes} == {("GET", "bytes=0-65535")}
    assert Counter(r["path"] for r in probes if r["host"] == "lic-xmp.sig.test") == {
        "/img/lynx.jpg": 1,
        "/img/otter.jpg": 1,
    }
    assert ranged.manifest["image_headers_checked"] is True


@pytest.mark.parametrize(
    ("run", "by_license"),
    [
        ("default", {"CC-BY-4.0": 4, "CC0-1.0": 1, "CC-BY-SA-4.0": 1, "CC-BY-NC-4.0": 1}),
        ("permissive", {"CC-BY-4.0": 3, "CC0-1.0": 1, "CC-BY-SA-4.0": 1}),
        ("public_domain_image", {"CC0-1.0": 1}),
        ("ranged", {"CC-BY-4.0": 4, "CC0-1.0": 1, "CC-BY-SA-4.0": 2, "CC-BY-NC-4.0": 1}),
        ("open_licensed", {"CC-BY-4.0": 3, "CC0-1.0": 1, "CC-BY-SA-4.0": 2}),
    ],
)
def test_manifest_rows_by_license(
    run: str, by_license: dict[str, int], request: pytest.FixtureRequest
) -> None:
    c: Crawl = request.getfixturevalue(run)
    counts = c.manifest["counts"]
    assert counts["rows_by_license"] == by_license
    assert sum(by_license.values()) <= counts["kept"] == len(c.index)
    assert counts["excluded"] == len(c.image_rows) == len(RUNS[run])
    license_reasons = Counter(r for rs in RUNS[run].values() for r in rs if r.startswith("license"))
    got = {k: v for k, v in counts["excluded_by_reason"].items() if k.startswith("license")}
    assert got == dict(license_reasons)


def test_open_licensed_config_is_what_ran(open_licensed: Crawl) -> None:
    manifest = open_licensed.manifest
    assert manifest["config"]["path"] == str(CONFIG)
    settings = manifest["settings"]
    assert settings["LICENSE_ALLOW"] == "permissive"
    assert settings["IMAGE_PROBE"] == "range"
    assert settings["CONSENT_POLICY"] == "strict"
    assert manifest["image_headers_checked"] is True
    # every probe is a ranged GET of the configured size
    probes = [r for r in open_licensed.requests if r["path"].startswith("/img/")]
    assert probes and {(r["method"], r["range"]) for r in probes} == {("GET", "bytes=0-262143")}
