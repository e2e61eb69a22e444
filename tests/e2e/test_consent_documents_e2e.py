"""Oversized, cut, hostile and percent-encoded consent documents in a real crawl (issue 9).

One simulated web serves: a 9 MiB ai.txt with ``Disallow: *`` at the top (over the 8 MiB download
cap), a 600 KiB tdmrep.json (over the 512 KiB parse cap) and a 9 MiB one, each with a site-wide
reservation first, a 9 MiB robots.txt with ``Disallow: /`` first, a bare-object tdmrep.json that
"allows", an ai.txt whose wildcards made the old matcher backtrack for minutes, tdmrep.json
locations written percent-encoded, and a tdmrep.json that is not JSON. The crawl must finish and
exclude exactly the rows those files refuse.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow.parquet as pq
import pytest

from crawler.demo import run_crawl
from crawler.simweb.control import SimWeb

HTML = {"Content-Type": "text/html"}
PNG = {"status": 200, "headers": {"Content-Type": "image/png"}, "body": "x"}
ALLOW_ALL = {"status": 200, "body": "User-agent: *\nAllow: /\n"}
MIB = 1024 * 1024
PADDING_LINE = "# " + "x" * 1021 + "\n"  # 1 KiB

HOSTILE_PATH = "/" + "a" * 60  # no "b": the hostile rule does not match it
HOSTILE_B_PATH = "/" + "a" * 60 + "b.png"


def padded(head: str, size: int) -> str:
    return head + PADDING_LINE * (size // len(PADDING_LINE) + 1)


def big_tdmrep(size: int) -> str:
    entries = [{"location": "/", "tdm-reservation": 1}]
    entry = {"location": "/filler/00000/*.png", "tdm-reservation": 0}
    entries += [entry] * (size // len(json.dumps(entry)) + 1)
    return json.dumps(entries)


def host(**routes: Any) -> dict[str, Any]:
    return {"routes": {"/robots.txt": ALLOW_ALL, **routes}}


TDM = "/.well-known/tdmrep.json"
IMAGES = {
    # url -> expected reasons under strict ([] = kept)
    "http://bigai.docs.test/a.png": ["aitxt:disallowed"],
    "http://bigtdm.docs.test/a.png": ["tdmrep:reserved"],
    "http://hugetdm.docs.test/a.png": ["tdmrep:reserved"],
    "http://bigrobots.docs.test/a.png": ["robots:disallowed"],
    "http://bare.docs.test/a.png": [],
    f"http://hostile.docs.test{HOSTILE_PATH}.png": [],
    f"http://hostile.docs.test{HOSTILE_B_PATH}": ["aitxt:disallowed"],
    "http://pct.docs.test/path/foo-$.png": ["tdmrep:reserved"],
    "http://pct.docs.test/path/foo-x.png": [],
    "http://pct.docs.test/caf%C3%A9/b.png": ["tdmrep:reserved"],
    "http://pct.docs.test/cafe/b.png": [],
    "http://notjson.docs.test/a.png": ["tdmrep:unreadable"],
}

SITES = {
    "hosts": {
        "start.docs.test": host(
            **{
                "/": {
                    "status": 200,
                    "headers": HTML,
                    "body": "".join(
                        f'<img src="{url}" alt="image {i}">' for i, url in enumerate(IMAGES)
                    ),
                }
            }
        ),
        "bigai.docs.test": host(
            **{"/ai.txt": {"status": 200, "body": padded("User-agent: *\nDisallow: *\n", 9 * MIB)}}
        ),
        "bigtdm.docs.test": host(**{TDM: {"status": 200, "body": big_tdmrep(600 * 1024)}}),
        "hugetdm.docs.test": host(**{TDM: {"status": 200, "body": big_tdmrep(9 * MIB)}}),
        "bigrobots.docs.test": {
            "routes": {
                "/robots.txt": {
                    "status": 200,
                    "body": padded("User-agent: *\nDisallow: /\n", 9 * MIB),
                }
            }
        },
        "bare.docs.test": host(
            **{TDM: {"status": 200, "body": '{"location":"/","tdm-reservation":0}'}}
        ),
        "hostile.docs.test": host(
            **{
                "/ai.txt": {
                    "status": 200,
                    "body": "User-agent: *\nDisallow: /" + "*a" * 20 + "*b\n",
                }
            }
        ),
        "pct.docs.test": host(
            **{
                TDM: {
                    "status": 200,
                    "body": json.dumps(
                        [
                            {"location": "/path/foo-%24", "tdm-reservation": 1},
                            {"location": "/café/", "tdm-reservation": 1},
                        ]
                    ),
                }
            }
        ),
        "notjson.docs.test": host(**{TDM: {"status": 200, "body": "[{'location': '/'}"}}),
    }
}


def _crawl(tmp_path_factory: pytest.TempPathFactory, policy: str) -> dict[str, Any]:
    out = tmp_path_factory.mktemp(f"docs-{policy}") / "index"
    with SimWeb(SITES, max_seconds=240, max_requests=500) as web:
        result = run_crawl(
            web,
            out,
            ["http://start.docs.test/"],
            [
                "-s", f"CONSENT_POLICY={policy}",
                "-s", "IMAGE_PROBE=off",
                "-s", "DOWNLOAD_TIMEOUT=30",
                "-s", "RETRY_TIMES=0",
            ],
        )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    excluded = pq.read_table(out / "excluded").to_pylist()
    return {
        "kept": {r["url"]: r for r in pq.read_table(out / "index").to_pylist()},
        "excluded": {r["url"]: r for r in excluded if r["kind"] == "image"},
        "documents": pq.read_table(out / "consent").to_pylist(),
        "manifest": json.loads((out / "manifest.json").read_text()),
    }


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _crawl(tmp_path_factory, "strict")


@pytest.fixture(scope="module")
def standard(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _crawl(tmp_path_factory, "standard")


def test_the_crawl_finishes_with_every_row(strict: dict[str, Any]) -> None:
    assert strict["manifest"]["finish_reason"] == "finished"
    assert set(strict["kept"]) | set(strict["excluded"]) == set(IMAGES)


@pytest.mark.parametrize("url", sorted(IMAGES))
def test_each_document_decides_its_rows(strict: dict[str, Any], url: str) -> None:
    expected = IMAGES[url]
    if expected:
        assert sorted(strict["excluded"][url]["reasons"]) == expected
    else:
        assert url in strict["kept"], strict["excluded"].get(url, {}).get("reasons")


def _records(row: dict[str, Any], family: str) -> list[dict[str, str]]:
    return [r for r in row["consent"] if r["family"] == family]


def test_evidence_names_the_rule(strict: dict[str, Any]) -> None:
    big_ai = _records(strict["excluded"]["http://bigai.docs.test/a.png"], "aitxt")
    assert {"verdict": "disallow", "value": "Disallow: *"}.items() <= big_ai[-1].items()
    tdm = _records(strict["excluded"]["http://bigtdm.docs.test/a.png"], "tdmrep")
    assert tdm[-1]["value"] == "1; location=/; truncated"
    pct = _records(strict["excluded"]["http://pct.docs.test/path/foo-$.png"], "tdmrep")
    assert pct[-1]["value"] == "1; location=/path/foo-%24"


def test_a_bare_object_allow_is_unknown(strict: dict[str, Any]) -> None:
    bare = _records(strict["kept"]["http://bare.docs.test/a.png"], "tdmrep")
    assert {r["verdict"] for r in bare} == {"unknown"}


def test_documents_over_the_cap_are_recorded_as_cut(strict: dict[str, Any]) -> None:
    docs = {(d["url"]): d for d in strict["documents"]}
    for url in (
        "http://bigai.docs.test/ai.txt",
        f"http://hugetdm.docs.test{TDM}",
        "http://bigrobots.docs.test/robots.txt",
    ):
        assert docs[url]["status"] == 200, url  # not a network failure
        assert docs[url]["error"].startswith("download stopped at the size cap"), url
        assert docs[url]["truncated"]


def test_standard_records_an_unreadable_file_as_unknown(standard: dict[str, Any]) -> None:
    row = standard["kept"]["http://notjson.docs.test/a.png"]
    tdm = _records(row, "tdmrep")
    assert tdm[-1]["verdict"] == "unknown" and tdm[-1]["value"].startswith("unreadable")
    # a refusal stays a refusal under standard
    assert standard["excluded"]["http://bigai.docs.test/a.png"]["reasons"] == ["aitxt:disallowed"]
