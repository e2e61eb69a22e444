"""Choosing one licence per row, and the licence allow-list filter."""

from __future__ import annotations

import lxml.html
import pytest

from crawler.licenses.choose import LicenseChoice, LicenseFilter, choose_license, in_group
from crawler.licenses.detect import LicenseEvidence, detect_licenses
from tests.corpus import CORPUS

IMG = "https://cdn.example/a.jpg"


def page(spdx=None, url=None, source="a", position="footer", confidence="high", **kw):
    return LicenseEvidence(spdx, url, "page", source, position, confidence, **kw)


def image(spdx=None, url=None, source="jsonld", confidence="high", **kw):
    return LicenseEvidence(spdx, url, "image", source, "", confidence, IMG, **kw)


# --- choose_license ---------------------------------------------------------------------------


def test_nothing_found() -> None:
    assert choose_license([], []) == LicenseChoice()


def test_image_evidence_beats_page_evidence() -> None:
    c = choose_license(
        [image("CC0-1.0", source="xmp")],
        [page("CC-BY-NC-4.0", source="link", position="head")],
    )
    assert (c.license, c.license_scope, c.license_source) == ("CC0-1.0", "image", "xmp")
    # the page licence covers the page's main content, it does not contradict the image's
    assert c.license_conflict is False


def test_page_evidence_is_used_only_with_scope_any() -> None:
    ev = [page("CC-BY-4.0", source="link", position="head")]
    assert choose_license([], ev).license == "CC-BY-4.0"
    assert choose_license([], ev, scope="any").license_scope == "page"
    assert choose_license([], ev, scope="image") == LicenseChoice()


def test_unknown_scope_is_an_error() -> None:
    with pytest.raises(ValueError, match="scope"):
        choose_license([], [], scope="page-only")


def test_image_source_order() -> None:
    order = ["xmp", "header", "jsonld", "microdata", "rdfa"]
    ids = ["CC-BY-1.0", "CC-BY-2.0", "CC-BY-2.5", "CC-BY-3.0", "CC-BY-4.0"]
    evidence = [image(i, source=s) for s, i in zip(order, ids, strict=True)]
    for k in range(len(order)):
        got = choose_license(list(reversed(evidence[k:])), [])
        assert (got.license_source, got.license) == (order[k], ids[k])


def test_page_source_and_position_order_like_c5() -> None:
    # jsonld > link > a(head) > a(footer) > a(body) > meta
    ranked = [
        page("CC-BY-1.0", source="jsonld", position="head"),
        page("CC-BY-2.0", source="link", position="head"),
        page("CC-BY-2.5", source="a", position="head"),
        page("CC-BY-3.0", source="a", position="footer"),
        page("CC-BY-4.0", source="a", position="body"),
        page("CC-BY-SA-4.0", source="meta", position="head"),
    ]
    for k in range(len(ranked)):
        got = choose_license([], list(reversed(ranked[k:])))
        assert got.license == ranked[k].spdx, k


def test_high_confidence_beats_source_order() -> None:
    c = choose_license(
        [], [page("CC-BY-4.0", source="meta", confidence="low"), page("CC0-1.0", position="body")]
    )
    assert (c.license, c.license_source) == ("CC0-1.0", "a")


def test_identified_licence_beats_bare_url_of_the_same_rank() -> None:
    # Wikipedia's footer: a link to its "Text of CC BY-SA" page, then the CC deed
    text = "https://en.wikipedia.org/wiki/Wikipedia:Text_of_Creative_Commons_Attribution-ShareAlike"
    c = choose_license([], [page(url=text), page("CC-BY-SA-3.0", url="https://cc/by-sa/3.0/")])
    assert (c.license, c.license_url, c.license_conflict) == (
        "CC-BY-SA-3.0",
        "https://cc/by-sa/3.0/",
        False,
    )


def test_bare_url_is_chosen_when_nothing_is_identified() -> None:
    c = choose_license([image(url="https://www.gettyimages.com/eula", source="xmp")], [])
    assert (c.license, c.license_url, c.license_scope) == (
        None,
        "https://www.gettyimages.com/eula",
        "image",
    )


def test_evidence_without_licence_is_skipped_for_the_choice() -> None:
    c = choose_license([image(credit="Reuters")], [page("CC-BY-4.0", source="link")])
    assert (c.license, c.license_scope, c.credit) == ("CC-BY-4.0", "page", "Reuters")


def test_conflict_between_ids_in_the_same_tier() -> None:
    c = choose_license(
        [], [page("CC-BY-4.0", source="link", position="head"), page("CC-BY-NC-4.0")]
    )
    assert c.license == "CC-BY-4.0"
    assert c.license_conflict is True
    assert c.conflicting == ("CC-BY-4.0", "CC-BY-NC-4.0")


def test_same_id_twice_is_no_conflict() -> None:
    c = choose_license([], [page("CC-BY-SA-3.0", source="link"), page("CC-BY-SA-3.0")])
    assert c.license_conflict is False and c.conflicting == ()


def test_conflict_between_urls_when_nothing_has_an_id() -> None:
    c = choose_license([], [page(url="https://a.example/terms"), page(url="https://b.example/l")])
    assert c.license_conflict is True
    assert c.conflicting == ("https://a.example/terms", "https://b.example/l")
    # the same URL spelled differently is not a conflict
    same = choose_license(
        [], [page(url="http://www.a.example/terms/"), page(url="https://a.example/terms#x")]
    )
    assert same.license_conflict is False


def test_low_confidence_hints_do_not_contradict_explicit_markup() -> None:
    c = choose_license(
        [],
        [
            page("CC-BY-4.0", source="a", position="footer"),
            page("CC-BY-NC-ND-4.0", source="meta", position="head", confidence="low"),
        ],
    )
    assert (c.license, c.license_conflict) == ("CC-BY-4.0", False)
    # ...but disagreeing hints among themselves are a conflict
    c = choose_license(
        [], [page("CC-BY-4.0", confidence="low"), page("CC-BY-NC-4.0", confidence="low")]
    )
    assert c.license_conflict is True


def test_conflict_within_image_scope() -> None:
    c = choose_license([image("CC-BY-4.0", source="xmp"), image("CC-BY-ND-4.0")], [])
    assert (c.license, c.license_conflict) == ("CC-BY-4.0", True)


def test_attribution_fields_prefer_chosen_then_image_then_page() -> None:
    c = choose_license(
        [
            image(credit="XMP credit", source="xmp"),
            image("CC-BY-4.0", creator="Jane", acquire_license_page="https://buy"),
        ],
        [page("CC-BY-SA-4.0", credit="page credit", creator="page creator")],
    )
    assert (c.license, c.credit, c.creator, c.acquire_license_page) == (
        "CC-BY-4.0",
        "XMP credit",
        "Jane",
        "https://buy",
    )


# --- groups -----------------------------------------------------------------------------------

PUBLIC_DOMAIN = ["CC0-1.0", "CC-PDM-1.0", "CC-PDDC"]
BY_AND_SA = [
    "CC-BY-1.0",
    "CC-BY-4.0",
    "CC-BY-3.0-IGO",
    "CC-BY-2.5-AU",
    "CC-BY-SA-2.0",
    "CC-BY-SA-4.0",
    "CC-BY-SA-2.1-JP",
    "LicenseRef-cc-by-2.5-ar",
    "LicenseRef-cc-by-sa-3.0-us",
    "LicenseRef-cc-by-2.0-de",
]
NC_ND_AND_OTHER_CC = [
    "CC-BY-NC-4.0",
    "CC-BY-ND-4.0",
    "CC-BY-NC-SA-2.0-UK",
    "CC-BY-NC-ND-1.0",
    "LicenseRef-cc-by-nc-nd-2.0-de",
    "LicenseRef-cc-by-nd-2.0-de",
    "LicenseRef-cc-sampling-plus-1.0",
    "LicenseRef-cc-nc-1.0",
    "CC-SA-1.0",
]
NOT_CC = ["MIT", "Apache-2.0", "GPL-3.0-only", "LicenseRef-acme-eula"]


@pytest.mark.parametrize("spdx", PUBLIC_DOMAIN + BY_AND_SA + NC_ND_AND_OTHER_CC + NOT_CC)
def test_groups(spdx: str) -> None:
    assert in_group(spdx, "public-domain") is (spdx in PUBLIC_DOMAIN)
    assert in_group(spdx, "permissive") is (spdx in PUBLIC_DOMAIN + BY_AND_SA)
    assert in_group(spdx, "cc-any") is (spdx not in NOT_CC)


def test_groups_are_case_insensitive_and_unknown_group_fails() -> None:
    assert in_group("cc-by-4.0", "permissive") and in_group("licenseref-CC-by-2.5-ar", "cc-any")
    with pytest.raises(ValueError, match="unknown licence group"):
        in_group("CC-BY-4.0", "open")


# --- LicenseFilter ----------------------------------------------------------------------------


def choice(spdx=None, scope="page", conflicting=(), url=None) -> LicenseChoice:
    return LicenseChoice(
        license=spdx,
        license_url=url,
        license_scope=scope if (spdx or url) else "",
        license_source="a" if (spdx or url) else "",
        license_conflict=bool(conflicting),
        conflicting=tuple(conflicting),
    )


@pytest.mark.parametrize("allow", ["", "   ", None, []])
def test_empty_allow_means_no_filter(allow) -> None:
    f = LicenseFilter.from_settings(allow, "any")
    assert not f.active
    for c in (choice(), choice("MIT"), choice("CC-BY-4.0", conflicting=("CC-BY-4.0", "MIT"))):
        assert f.check(c) is None


def test_permissive_filter() -> None:
    f = LicenseFilter.from_settings("permissive", "any")
    assert f.check(choice("CC-BY-SA-4.0")) is None
    assert f.check(choice("CC0-1.0", scope="image")) is None
    assert f.check(choice("CC-BY-NC-4.0")) == "license:not-allowed=CC-BY-NC-4.0"
    assert f.check(choice()) == "license:none"
    assert f.check(choice(url="https://example.com/terms")) == "license:none"


def test_mixed_groups_and_ids() -> None:
    f = LicenseFilter.from_settings(" public-domain , cc-by-nc-4.0,MIT ", "any")
    assert f.ids == frozenset({"cc-by-nc-4.0", "mit"}) and f.groups == ("public-domain",)
    assert f.check(choice("CC-BY-NC-4.0")) is None
    assert f.check(choice("MIT")) is None
    assert f.check(choice("CC-PDM-1.0")) is None
    assert f.check(choice("CC-BY-4.0")) == "license:not-allowed=CC-BY-4.0"


def test_cc_any_and_licenseref_items() -> None:
    f = LicenseFilter.from_settings("cc-any", "any")
    assert f.check(choice("LicenseRef-cc-sampling-1.0")) is None
    assert f.check(choice("MIT")) == "license:not-allowed=MIT"
    g = LicenseFilter.from_settings("LicenseRef-cc-by-2.5-AR", "any")
    assert g.check(choice("LicenseRef-cc-by-2.5-ar")) is None


def test_list_setting_is_accepted() -> None:
    f = LicenseFilter.from_settings(["permissive", "CC-BY-ND-4.0"], "image")
    assert f.scope == "image" and f.check(choice("CC-BY-ND-4.0", scope="image")) is None


def test_image_scope_filter_rejects_page_licences() -> None:
    f = LicenseFilter.from_settings("permissive", "image")
    assert f.check(choice("CC-BY-4.0", scope="page")) == "license:none"
    assert f.check(choice("CC-BY-4.0", scope="image")) is None


def test_conflict_excludes_unless_every_conflicting_id_is_allowed() -> None:
    f = LicenseFilter.from_settings("permissive", "any")
    both_ok = choice("CC-BY-4.0", conflicting=("CC-BY-4.0", "CC-BY-SA-3.0"))
    assert f.check(both_ok) is None
    one_bad = choice("CC-BY-4.0", conflicting=("CC-BY-4.0", "CC-BY-NC-4.0"))
    assert f.check(one_bad) == "license:conflict"
    urls = choice(url="https://a/", conflicting=("https://a/", "https://b/"))
    assert f.check(urls) == "license:conflict"
    # no filter: a conflict is recorded in the row but never excludes it
    assert LicenseFilter.from_settings("", "any").check(one_bad) is None


@pytest.mark.parametrize(
    ("allow", "message"),
    [
        ("permissve", "unknown licence 'permissve'"),
        ("open-source", "unknown licence"),
        ("CC-BY-4.0,,MIT", "empty item"),
        ("CC-BY-4.0,", "empty item"),
        ("CC-BY-4.0;MIT", "not a licence id or group"),
        ("CC BY 4.0", "not a licence id or group"),
        ("CC-BY-4.0 MIT", "not a licence id or group"),
        ("LicenseRef-", "unknown licence"),
    ],
)
def test_malformed_allow_lists_raise(allow: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LicenseFilter.from_settings(allow, "any")


def test_bad_scope_setting_raises() -> None:
    with pytest.raises(ValueError, match="scope"):
        LicenseFilter.from_settings("permissive", "pages")
    assert LicenseFilter.from_settings("permissive", " IMAGE ").scope == "image"


# --- end to end on real pages -----------------------------------------------------------------

HTML_PAGES = CORPUS / "html-pages"


def _corpus_choice(name: str, page_url: str) -> LicenseChoice:
    path = HTML_PAGES / name
    if not path.is_file():
        pytest.skip(f"real-page corpus not found at {HTML_PAGES} (expected ../shared/corpus)")
    root = lxml.html.document_fromstring(path.read_bytes())
    images = [lxml.html.urljoin(page_url, i.get("src")) for i in root.iter("img") if i.get("src")]
    findings = detect_licenses(root, page_url, images)
    return choose_license(*findings.for_image(images[0] if images else ""))


def test_corpus_wikipedia_is_cc_by_sa_without_conflict() -> None:
    c = _corpus_choice("readability__wikipedia.html", "https://en.wikipedia.org/wiki/Mozilla")
    assert (c.license, c.license_scope, c.license_source, c.license_conflict) == (
        "CC-BY-SA-3.0",
        "page",
        "a",
        False,
    )
    assert LicenseFilter.from_settings("permissive", "any").check(c) is None
    assert LicenseFilter.from_settings("permissive", "image").check(c) == "license:none"


def test_corpus_nc_nd_page_is_excluded_by_permissive() -> None:
    c = _corpus_choice(
        "trafilatura-eval__gnaur.wordpress.com.moglichkeit.html",
        "https://gnaur.wordpress.com/",
    )
    assert c.license == "LicenseRef-cc-by-nc-nd-2.0-de"
    f = LicenseFilter.from_settings("permissive", "any")
    assert f.check(c) == "license:not-allowed=LicenseRef-cc-by-nc-nd-2.0-de"
    assert LicenseFilter.from_settings("cc-any", "any").check(c) is None
