"""CC URL -> SPDX normalisation over the whole CC licence URL space (consent-signals.md §7.2)."""

from __future__ import annotations

import itertools

import pytest

from crawler.licenses.spdx import (
    SPDX_CC_IDS,
    SPDX_IDS,
    canonical_spdx_id,
    cc_url_to_spdx,
    is_cc_license,
    normalize_license,
)

CODES = ["by", "by-sa", "by-nd", "by-nc", "by-nc-sa", "by-nc-nd"]
VERSIONS = ["1.0", "2.0", "2.5", "3.0", "4.0"]


def _variants(path: str) -> list[str]:
    """Every spelling of one CC licence path a page may use."""
    hosts = [
        "https://creativecommons.org",
        "http://creativecommons.org",
        "https://www.creativecommons.org",
        "http://www.creativecommons.org",
        "//creativecommons.org",
        "HTTPS://CreativeCommons.ORG",
    ]
    suffixes = [
        "/",
        "",
        "/deed.en",
        "/deed.de",
        "/deed.en_US",
        "/deed.zh-hans",
        "/legalcode",
        "/legalcode.de",
        "/legalcode.txt",
        "/rdf",
        "/?ref=chooser-v1",
        "/#sa",
    ]
    return [h + path.rstrip("/") + s for h, s in itertools.product(hosts, suffixes)]


# --- §7.2 examples, verbatim -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://creativecommons.org/licenses/by-nc-sa/4.0/deed.de", "CC-BY-NC-SA-4.0"),
        ("https://creativecommons.org/publicdomain/zero/1.0/legalcode", "CC0-1.0"),
        ("https://creativecommons.org/licenses/by/3.0/igo/", "CC-BY-3.0-IGO"),
        ("https://creativecommons.org/licenses/by/2.5/ar/", "LicenseRef-cc-by-2.5-ar"),
    ],
)
def test_spec_examples(url: str, expected: str) -> None:
    assert cc_url_to_spdx(url) == expected


# --- the full unported space ------------------------------------------------------------------


@pytest.mark.parametrize(("code", "version"), list(itertools.product(CODES, VERSIONS)))
def test_every_code_and_version_in_every_spelling(code: str, version: str) -> None:
    expected = f"CC-{code.upper()}-{version}"
    assert expected in SPDX_CC_IDS, f"{expected} should be in the SPDX list"
    for url in _variants(f"/licenses/{code}/{version}/"):
        assert cc_url_to_spdx(url) == expected, url


def test_the_grid_is_30_distinct_ids() -> None:
    got = {
        cc_url_to_spdx(f"https://creativecommons.org/licenses/{c}/{v}/")
        for c in CODES
        for v in VERSIONS
    }
    assert len(got) == 30 and None not in got


def test_by_nd_nc_is_the_1_0_spelling_of_by_nc_nd() -> None:
    for url in _variants("/licenses/by-nd-nc/1.0/"):
        assert cc_url_to_spdx(url) == "CC-BY-NC-ND-1.0", url


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/publicdomain/zero/1.0/", "CC0-1.0"),
        ("/publicdomain/mark/1.0/", "CC-PDM-1.0"),
        ("/licenses/publicdomain/", "CC-PDDC"),
    ],
)
def test_public_domain_tools(path: str, expected: str) -> None:
    for url in _variants(path):
        assert cc_url_to_spdx(url) == expected, url


# --- ports ------------------------------------------------------------------------------------

SPDX_PORTS = sorted(i for i in SPDX_CC_IDS if i.count("-") >= 3 and i.split("-")[-1].isalpha())


def _port_url(spdx_id: str) -> str:
    parts = spdx_id.split("-")  # CC-BY-NC-SA-2.0-UK
    code = "-".join(parts[1:-2]).lower()
    return f"https://creativecommons.org/licenses/{code}/{parts[-2]}/{parts[-1].lower()}/"


def test_port_ids_are_known() -> None:
    # The ports SPDX lists (3.29): at least the ones the spec names.
    for named in ("CC-BY-3.0-US", "CC-BY-3.0-IGO", "CC-BY-SA-3.0-IGO", "CC-BY-NC-SA-2.0-UK"):
        assert named in SPDX_PORTS
    assert "CC-BY-3.0-DE" in SPDX_PORTS
    assert len(SPDX_PORTS) == 22


@pytest.mark.parametrize("spdx_id", SPDX_PORTS)
def test_every_spdx_port_maps_to_its_id(spdx_id: str) -> None:
    url = _port_url(spdx_id)
    assert cc_url_to_spdx(url) == spdx_id
    assert cc_url_to_spdx(url.replace("https://", "http://www.") + "deed.de") == spdx_id
    assert cc_url_to_spdx(url.rstrip("/") + "/legalcode") == spdx_id


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://creativecommons.org/licenses/by/2.5/ar/", "LicenseRef-cc-by-2.5-ar"),
        ("http://creativecommons.org/licenses/by-sa/3.0/us/", "LicenseRef-cc-by-sa-3.0-us"),
        ("http://creativecommons.org/licenses/by-nc-nd/2.0/de/", "LicenseRef-cc-by-nc-nd-2.0-de"),
        ("http://creativecommons.org/licenses/by/2.0/de/deed.de", "LicenseRef-cc-by-2.0-de"),
        ("https://creativecommons.org/licenses/by-sa/2.1/es/", "LicenseRef-cc-by-sa-2.1-es"),
        ("https://creativecommons.org/licenses/by/2.5/scotland/", "LicenseRef-cc-by-2.5-scotland"),
        ("https://creativecommons.org/licenses/by-nd-nc/1.0/fi/", "LicenseRef-cc-by-nc-nd-1.0-fi"),
        ("https://creativecommons.org/licenses/by-sa/2.1/jp/", "CC-BY-SA-2.1-JP"),
        ("https://creativecommons.org/licenses/by-nc-sa/2.0/fr/", "CC-BY-NC-SA-2.0-FR"),
    ],
)
def test_ports_never_collapse_to_the_unported_id(url: str, expected: str) -> None:
    got = cc_url_to_spdx(url)
    assert got == expected
    unported = "-".join(expected.split("-")[:-1])
    assert got != unported


def test_every_code_version_port_combination_is_spdx_or_licenseref() -> None:
    for code, version, jur in itertools.product(CODES, VERSIONS, ["de", "at", "us", "xx", "igo"]):
        got = cc_url_to_spdx(f"http://creativecommons.org/licenses/{code}/{version}/{jur}/")
        spdx = f"CC-{code.upper()}-{version}-{jur.upper()}"
        assert got == (spdx if spdx in SPDX_CC_IDS else f"LicenseRef-cc-{code}-{version}-{jur}")


# --- retired and special licences ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/licenses/sampling/1.0/", "LicenseRef-cc-sampling-1.0"),
        ("/licenses/sampling+/1.0/", "LicenseRef-cc-sampling-plus-1.0"),
        ("/licenses/nc-sampling+/1.0/", "LicenseRef-cc-nc-sampling-plus-1.0"),
        ("/licenses/sampling+/1.0/br/", "LicenseRef-cc-sampling-plus-1.0-br"),
        ("/licenses/devnations/2.0/", "LicenseRef-cc-devnations-2.0"),
        ("/licenses/nd/1.0/", "LicenseRef-cc-nd-1.0"),
        ("/licenses/nc/1.0/", "LicenseRef-cc-nc-1.0"),
        ("/licenses/nc-sa/1.0/", "LicenseRef-cc-nc-sa-1.0"),
        ("/licenses/nd-nc/1.0/", "LicenseRef-cc-nd-nc-1.0"),
        # SPDX does list CC-SA-1.0, so the "only if that id exists" rule maps it there
        ("/licenses/sa/1.0/", "CC-SA-1.0"),
        ("/licenses/sa/1.0/fi/", "LicenseRef-cc-sa-1.0-fi"),
        ("/publicdomain/certification/1.0/us/", "LicenseRef-cc-certification-1.0-us"),
        ("/publicdomain/", "CC-PDDC"),
    ],
)
def test_retired_licences_get_licenseref(path: str, expected: str) -> None:
    assert cc_url_to_spdx("https://creativecommons.org" + path) == expected
    assert cc_url_to_spdx("http://www.creativecommons.org" + path + "deed.en") == expected


def test_licenseref_ids_use_only_legal_characters() -> None:
    import re

    for path in ("/licenses/nc-sampling+/1.0/", "/licenses/by/2.5/es_ES/"):
        got = cc_url_to_spdx("https://creativecommons.org" + path)
        assert got is not None and re.fullmatch(r"LicenseRef-[A-Za-z0-9.-]+", got), got


# --- not CC licences --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/licenses/by/4.0/",
        "https://creativecommons.org.evil.example/licenses/by/4.0/",
        "https://creativecommons.org/",
        "https://creativecommons.org/licenses/",
        "https://creativecommons.org/licenses/by/",  # no version: not identifiable
        "https://creativecommons.org/licenses/by/5.0/",
        "https://creativecommons.org/licenses/foo/4.0/",
        "https://creativecommons.org/share-your-work/",
        "https://creativecommons.org/about/cclicenses/",
        "https://wiki.creativecommons.org/Austria",
        "https://i.creativecommons.org/l/by/4.0/88x31.png",
        "https://creativecommons.org/licenses/by/4.0/de/extra/",
        "ftp://creativecommons.org/licenses/by/4.0/",
        "mailto:info@creativecommons.org",
        "",
        "   ",
        "CC BY 4.0",
    ],
)
def test_non_cc_licence_urls_are_none(url: str) -> None:
    assert cc_url_to_spdx(url) is None


def test_wayback_captures_are_unwrapped() -> None:
    # Archived pages in the corpus link their licence through web.archive.org.
    url = "https://web.archive.org/web/20160820205919/http://creativecommons.org/licenses/by-sa/3.0/de/"
    assert cc_url_to_spdx(url) == "CC-BY-SA-3.0-DE"
    assert (
        cc_url_to_spdx(
            "https://web.archive.org/web/2013im_/https://creativecommons.org/licenses/by/4.0/"
        )
        == "CC-BY-4.0"
    )


def test_scheme_less_cc_url() -> None:
    assert cc_url_to_spdx("creativecommons.org/licenses/by/4.0/") == "CC-BY-4.0"
    assert cc_url_to_spdx("www.creativecommons.org/licenses/by-sa/4.0") == "CC-BY-SA-4.0"


# --- the embedded SPDX list -------------------------------------------------------------------


def test_embedded_lists_are_consistent() -> None:
    assert SPDX_CC_IDS <= SPDX_IDS
    assert {i for i in SPDX_IDS if i.startswith(("CC-", "CC0-"))} == SPDX_CC_IDS
    for needed in ("CC-PDM-1.0", "CC-PDDC", "CC0-1.0", "CC-BY-NC-ND-1.0", "MIT", "Apache-2.0"):
        assert needed in SPDX_IDS
    assert len(SPDX_IDS) > 700


def test_every_mapped_cc_id_is_an_spdx_id_or_licenseref() -> None:
    for code, version in itertools.product(CODES, VERSIONS):
        got = cc_url_to_spdx(f"https://creativecommons.org/licenses/{code}/{version}/")
        assert got in SPDX_CC_IDS


# --- normalize_license ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "http://creativecommons.org/licenses/by/4.0/deed.fr",
            ("CC-BY-4.0", "http://creativecommons.org/licenses/by/4.0/deed.fr"),
        ),
        ("MIT", ("MIT", None)),
        ("mit", ("MIT", None)),
        ("cc-by-4.0", ("CC-BY-4.0", None)),
        ("  CC-BY-SA-3.0-IGO ", ("CC-BY-SA-3.0-IGO", None)),
        ("apache-2.0", ("Apache-2.0", None)),
        ("cc0-1.0", ("CC0-1.0", None)),
        ("CC BY-SA 4.0", ("CC-BY-SA-4.0", None)),
        ("LicenseRef-cc-by-2.5-ar", ("LicenseRef-cc-by-2.5-ar", None)),
        ("https://example.com/terms", (None, "https://example.com/terms")),
        ("https://spdx.org/licenses/MIT.html", ("MIT", "https://spdx.org/licenses/MIT.html")),
        ("All rights reserved", (None, None)),
        ("© 2024 Example GmbH", (None, None)),
        ("Creative Commons", (None, None)),
        ("", (None, None)),
    ],
)
def test_normalize_license(value: str, expected: tuple[str | None, str | None]) -> None:
    assert normalize_license(value) == expected


def test_canonical_spdx_id_and_is_cc_license() -> None:
    assert canonical_spdx_id("gpl-2.0-or-later") == "GPL-2.0-or-later"
    assert canonical_spdx_id("not-a-licence") is None
    assert is_cc_license("CC-BY-4.0") and is_cc_license("CC0-1.0")
    assert is_cc_license("LicenseRef-cc-by-2.5-ar")
    assert not is_cc_license("MIT") and not is_cc_license("LicenseRef-acme")
