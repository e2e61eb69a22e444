"""Licence evidence from HTML: synthetic pages per source, then the real corpus pages."""

from __future__ import annotations

import csv

import lxml.html
import pytest

from crawler.licenses.detect import LicenseEvidence, LicenseFindings, detect_licenses
from tests.corpus import CORPUS

PAGE = "https://example.org/blog/post.html"
IMG = "https://cdn.example.org/img/photo.jpg"
IMG2 = "https://example.org/blog/pics/other.png"


def detect(body: str, images: list[str] | None = None, head: str = "") -> LicenseFindings:
    html = f"<!doctype html><html><head><title>t</title>{head}</head><body>{body}</body></html>"
    root = lxml.html.document_fromstring(html)
    return detect_licenses(root, PAGE, images if images is not None else [IMG, IMG2])


def only(evidence: list[LicenseEvidence]) -> LicenseEvidence:
    assert len(evidence) == 1, evidence
    return evidence[0]


# --- rel=license ------------------------------------------------------------------------------


def test_link_rel_license_in_head_is_page_scoped_high() -> None:
    f = detect(
        "<p>x</p>", head='<link rel="license" href="//creativecommons.org/licenses/by/4.0/">'
    )
    ev = only(f.page)
    assert (ev.spdx, ev.url) == ("CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/")
    assert (ev.scope, ev.source, ev.position, ev.confidence) == ("page", "link", "head", "high")
    assert f.images == {}


@pytest.mark.parametrize(
    ("wrapper", "position"),
    [
        ("<footer>{}</footer>", "footer"),
        ('<div role="contentinfo"><p>{}</p></div>', "footer"),
        ('<div class="site-footer widget">{}</div>', "footer"),
        ('<div id="FooterArea"><span>{}</span></div>', "footer"),
        ("<main><article><p>{}</p></article></main>", "body"),
        ('<div class="sidebar">{}</div>', "body"),
    ],
)
def test_a_rel_license_position(wrapper: str, position: str) -> None:
    link = '<a rel="license" href="http://creativecommons.org/licenses/by-sa/3.0/de/">CC</a>'
    ev = only(detect(wrapper.format(link)).page)
    assert (ev.spdx, ev.source, ev.position, ev.confidence) == (
        "CC-BY-SA-3.0-DE",
        "a",
        position,
        "high",
    )


def test_rel_is_a_case_insensitive_token_list() -> None:
    f = detect(
        '<a rel="nofollow LICENSE noopener" href="https://creativecommons.org/licenses/by-nc/4.0/">'
        "a</a>"
        '<a rel="licensed" href="https://example.org/not-a-licence">b</a>'
        '<area rel="license" href="https://creativecommons.org/publicdomain/zero/1.0/">'
    )
    assert [(e.spdx, e.source) for e in f.page] == [("CC-BY-NC-4.0", "a"), ("CC0-1.0", "a")]


def test_relative_licence_link_resolves_against_base_href() -> None:
    f = detect(
        '<a rel="license" href="legal/licence.html">terms</a>',
        head='<base href="https://static.example.net/site/">',
    )
    ev = only(f.page)
    assert (ev.spdx, ev.url) == (None, "https://static.example.net/site/legal/licence.html")


def test_rel_license_to_same_document_fragment_identifies_nothing() -> None:
    f = detect("<p id=license>All content CC BY</p>", head='<link rel="license" href="#license">')
    ev = only(f.page)
    assert (ev.spdx, ev.url, ev.confidence, ev.raw) == (None, None, "low", "#license")


def test_duplicate_links_are_recorded_once() -> None:
    a = '<a rel="license" href="http://creativecommons.org/licenses/by-nc-sa/3.0/">x</a>'
    f = detect(f"<p>{a}</p><p>{a}</p>")
    assert len(f.page) == 1


def test_non_cc_licence_url_is_kept_as_url() -> None:
    ev = only(detect('<a rel="license" href="https://example.org/terms#use">t</a>').page)
    assert (ev.spdx, ev.url) == (None, "https://example.org/terms#use")


# --- RDFa / ccREL -----------------------------------------------------------------------------


def test_rdfa_about_image_scopes_rel_license_to_that_image() -> None:
    f = detect(
        '<div about="pics/other.png"><img src="pics/other.png">'
        '<a rel="license" href="https://creativecommons.org/licenses/by/2.0/">CC BY</a></div>'
    )
    assert f.page == []
    ev = only(f.images[IMG2])
    assert (ev.spdx, ev.scope, ev.source, ev.image_url) == ("CC-BY-2.0", "image", "rdfa", IMG2)
    image_ev, page_ev = f.for_image(IMG2)
    assert image_ev == [ev] and page_ev == []


def test_rdfa_about_honours_base_href_and_property_license() -> None:
    f = detect(
        '<figure about="photo.jpg"><span property="cc:license" '
        'resource="http://creativecommons.org/licenses/by-nd/4.0/"></span></figure>',
        head='<base href="https://cdn.example.org/img/">',
    )
    assert only(f.images[IMG]).spdx == "CC-BY-ND-4.0"


def test_rdfa_license_on_the_about_element_itself() -> None:
    f = detect(
        f'<a about="{IMG}" rel="license" href="https://creativecommons.org/licenses/by-sa/4.0/">'
        "x</a>"
    )
    assert only(f.images[IMG]).spdx == "CC-BY-SA-4.0"
    assert f.page == []


def test_rdfa_about_some_other_resource_is_not_page_licence() -> None:
    f = detect(
        '<div about="https://elsewhere.example/unrelated.jpg">'
        '<a rel="license" href="https://creativecommons.org/licenses/by-nc/2.0/">x</a></div>'
    )
    assert f.page == [] and f.images == {}


def test_rdfa_about_the_page_itself_is_page_scope() -> None:
    f = detect(
        '<div about=""><span property="dcterms:license" '
        'content="https://creativecommons.org/licenses/by/4.0/"></span></div>'
    )
    ev = only(f.page)
    assert (ev.spdx, ev.source, ev.scope) == ("CC-BY-4.0", "rdfa", "page")


# --- JSON-LD ----------------------------------------------------------------------------------


def ld(obj: str) -> str:
    return f'<script type="application/ld+json">{obj}</script>'


def test_jsonld_image_object_with_attribution() -> None:
    f = detect(
        ld(
            """{"@context": "https://schema.org", "@type": "ImageObject",
            "contentUrl": "https://cdn.example.org/img/photo.jpg#main",
            "license": "https://creativecommons.org/licenses/by/4.0/",
            "acquireLicensePage": "/how-to-license",
            "creditText": "Example News",
            "creator": {"@type": "Person", "name": "Jane Doe"},
            "copyrightNotice": "Jane Doe 2024"}"""
        )
    )
    assert f.page == []
    ev = only(f.images[IMG])
    assert (ev.spdx, ev.scope, ev.source, ev.confidence) == ("CC-BY-4.0", "image", "jsonld", "high")
    assert ev.credit == "Example News" and ev.creator == "Jane Doe"
    assert ev.copyright_notice == "Jane Doe 2024"
    assert ev.acquire_license_page == "https://example.org/how-to-license"


def test_jsonld_graph_lists_relative_urls_and_license_objects() -> None:
    f = detect(
        ld(
            """{"@context": "https://schema.org", "@graph": [
              {"@type": "WebPage", "@id": "#page",
               "license": {"@type": "CreativeWork", "url": "https://creativecommons.org/licenses/by-sa/4.0/"}},
              {"@type": ["ImageObject"], "url": "pics/other.png",
               "license": {"@id": "http://creativecommons.org/publicdomain/zero/1.0/"},
               "creator": [{"name": "A"}, {"name": "B"}]},
              {"@type": "ImageObject", "contentUrl": "https://elsewhere.example/x.jpg",
               "license": "https://creativecommons.org/licenses/by-nc/4.0/"}
            ]}"""
        )
    )
    page = only(f.page)
    assert (page.spdx, page.source, page.scope, page.position) == (
        "CC-BY-SA-4.0",
        "jsonld",
        "page",
        "body",
    )
    img = only(f.images[IMG2])
    assert (img.spdx, img.creator) == ("CC0-1.0", "A; B")
    assert IMG not in f.images  # the unmatched ImageObject is not attached to anything


def test_jsonld_nested_image_inside_article_and_top_level_list() -> None:
    f = detect(
        ld(
            """[{"@type": "NewsArticle", "license": "CC-BY-4.0",
                "image": {"@type": "ImageObject", "contentUrl": "http://cdn.example.org/img/photo.jpg",
                          "license": "https://creativecommons.org/licenses/by-nd/2.0/"}}]"""
        )
    )
    assert [(e.spdx, e.url) for e in f.page] == [("CC-BY-4.0", None)]
    # http vs https of the same image URL still matches the extracted image
    assert only(f.images[IMG]).spdx == "CC-BY-ND-2.0"


def test_jsonld_invalid_json_is_skipped_and_others_still_read() -> None:
    f = detect(
        ld('{"@type": "WebPage", "license": "https://creativecommons.org/licenses/by/4.0/",}')
        + ld("not json at all")
        + ld("")
        + ld(
            '<!-- {"@type": "Article",'
            ' "license": "https://creativecommons.org/licenses/by-nc/4.0/"} -->'
        )
    )
    assert [e.spdx for e in f.page] == ["CC-BY-NC-4.0"]


def test_jsonld_media_objects_other_than_images_do_not_license_the_page() -> None:
    f = detect(
        ld(
            '{"@type": "VideoObject", "contentUrl": "https://example.org/v.mp4",'
            ' "license": "https://creativecommons.org/licenses/by/4.0/"}'
        )
    )
    assert f.page == [] and f.images == {}


def test_jsonld_image_object_with_only_credit_is_kept_for_attribution() -> None:
    f = detect(ld(f'{{"@type": "ImageObject", "contentUrl": "{IMG}", "creditText": "Reuters"}}'))
    ev = only(f.images[IMG])
    assert (ev.spdx, ev.url, ev.credit) == (None, None, "Reuters")


# --- microdata --------------------------------------------------------------------------------


def test_microdata_image_object() -> None:
    f = detect(
        '<figure itemscope itemtype="https://schema.org/ImageObject">'
        '<img itemprop="contentUrl" src="https://cdn.example.org/img/photo.jpg">'
        '<a rel="license" itemprop="license" href="https://creativecommons.org/licenses/by-sa/2.5/">'
        "CC</a>"
        '<span itemprop="creditText">Photo: ACME</span>'
        '<span itemprop="creator" itemscope itemtype="https://schema.org/Person">'
        '<span itemprop="name">Jo Bloggs</span></span>'
        '<meta itemprop="copyrightNotice" content="ACME Ltd">'
        '<a itemprop="acquireLicensePage" href="/licensing">buy</a>'
        "</figure>"
    )
    ev = only(f.images[IMG])
    assert (ev.spdx, ev.source, ev.scope) == ("CC-BY-SA-2.5", "microdata", "image")
    assert (ev.credit, ev.creator, ev.copyright_notice) == ("Photo: ACME", "Jo Bloggs", "ACME Ltd")
    assert ev.acquire_license_page == "https://example.org/licensing"
    # the rel=license inside the ImageObject is the image's licence, not the page's
    assert f.page == []


def test_microdata_article_license_is_page_scope_and_nested_scopes_are_separate() -> None:
    f = detect(
        '<article itemscope itemtype="http://schema.org/BlogPosting">'
        '<link itemprop="license" href="https://creativecommons.org/licenses/by-nc-sa/4.0/">'
        '<div itemprop="image" itemscope itemtype="http://schema.org/ImageObject">'
        '<meta itemprop="url" content="pics/other.png">'
        '<meta itemprop="license" content="https://creativecommons.org/licenses/by/3.0/">'
        "</div></article>"
    )
    assert [(e.spdx, e.source, e.scope) for e in f.page] == [
        ("CC-BY-NC-SA-4.0", "microdata", "page")
    ]
    assert only(f.images[IMG2]).spdx == "CC-BY-3.0"


def test_microdata_image_not_on_page_is_ignored() -> None:
    f = detect(
        '<div itemscope itemtype="https://schema.org/ImageObject">'
        '<img itemprop="contentUrl" src="/unrelated.gif">'
        '<meta itemprop="license" content="https://creativecommons.org/licenses/by/3.0/"></div>'
    )
    assert f.images == {}


# --- meta hints -------------------------------------------------------------------------------


def test_meta_licence_hints_are_low_confidence_page_scope() -> None:
    f = detect(
        "<p>x</p>",
        head=(
            '<meta name="dcterms.license" content="https://creativecommons.org/licenses/by/4.0/">'
            '<meta name="DC.rights" content="(c) 2024 Example GmbH, all rights reserved">'
            '<meta property="og:license" content="CC-BY-SA-4.0">'
            '<meta name="dc.license" content="/licence">'
            '<meta name="description" content="https://creativecommons.org/licenses/by-nc/4.0/">'
        ),
    )
    got = [(e.spdx, e.url, e.source, e.confidence, e.position) for e in f.page]
    assert got == [
        ("CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/", "meta", "low", "head"),
        (None, None, "meta", "low", "head"),
        ("CC-BY-SA-4.0", None, "meta", "low", "head"),
        (None, "https://example.org/licence", "meta", "low", "head"),
    ]
    assert f.page[1].copyright_notice == "(c) 2024 Example GmbH, all rights reserved"


# --- plain CC links ---------------------------------------------------------------------------


def test_plain_cc_link_without_rel_is_a_low_confidence_hint() -> None:
    f = detect(
        '<footer><a href="https://creativecommons.org/licenses/by-nd/4.0/deed.de">CC BY-ND</a>'
        '<a href="https://creativecommons.org/about/">about CC</a></footer>'
    )
    ev = only(f.page)
    assert (ev.spdx, ev.source, ev.position, ev.confidence) == (
        "CC-BY-ND-4.0",
        "a",
        "footer",
        "low",
    )


# --- findings API -----------------------------------------------------------------------------


def test_for_image_returns_copies_and_accepts_url_variants() -> None:
    f = detect(
        ld(f'{{"@type":"ImageObject","contentUrl":"{IMG}","license":"CC0-1.0"}}')
        + '<a rel="license" href="https://creativecommons.org/licenses/by/4.0/">x</a>'
    )
    image_ev, page_ev = f.for_image(IMG + "#frag")
    assert [e.spdx for e in image_ev] == ["CC0-1.0"]
    assert [e.spdx for e in page_ev] == ["CC-BY-4.0"]
    image_ev.clear()
    assert f.for_image(IMG)[0] != []  # callers cannot mutate the findings
    assert f.for_image("https://nowhere.example/x.png") == ([], page_ev)


def test_no_evidence_on_a_plain_page() -> None:
    f = detect('<p>Hello <a href="https://example.org/">home</a></p><img src="x.png">')
    assert f.page == [] and f.images == {}


# --- the real corpus --------------------------------------------------------------------------

HTML_PAGES = CORPUS / "html-pages"


@pytest.fixture(scope="module")
def corpus() -> dict[str, dict[str, str]]:
    features = HTML_PAGES / "features.tsv"
    if not features.is_file():
        pytest.skip(f"real-page corpus not found at {HTML_PAGES} (expected ../shared/corpus)")
    with features.open(encoding="utf-8") as fh:
        rows = {r["filename"]: r for r in csv.DictReader(fh, delimiter="\t")}
    with (HTML_PAGES / "pages.tsv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            if r["filename"] in rows:
                rows[r["filename"]]["url"] = r["original_url"]
    return rows


def corpus_findings(rows: dict[str, dict[str, str]], name: str) -> LicenseFindings:
    root = lxml.html.document_fromstring((HTML_PAGES / name).read_bytes())
    url = rows[name].get("url") or f"https://corpus.invalid/{name}"
    images = [lxml.html.urljoin(url, i.get("src")) for i in root.iter("img") if i.get("src")]
    return detect_licenses(root, url, images)


def test_every_rel_license_page_yields_evidence(corpus: dict[str, dict[str, str]]) -> None:
    marked = [n for n, r in corpus.items() if int(r["rel_license"]) > 0]
    assert len(marked) == 60  # PROVENANCE.md: "Pages with: rel=license 60"
    missing = [n for n in marked if not corpus_findings(corpus, n).page]
    assert missing == []


def test_every_cc_link_page_yields_a_cc_licence(corpus: dict[str, dict[str, str]]) -> None:
    pages = [n for n, r in corpus.items() if int(r["cc_links"]) > 0]
    assert len(pages) == 67
    without = [
        n
        for n in pages
        if not any(
            e.spdx and e.spdx.startswith(("CC", "LicenseRef-cc"))
            for e in corpus_findings(corpus, n).page
        )
    ]
    # creativecommons.at only links to CC's own "share your work" / wiki pages, not a licence.
    assert without == ["trafilatura-cache__creativecommons.at.faircoin.html"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("trafilatura-cache__blog.python.org.html", [("CC-BY-NC-SA-3.0", "a", "high")]),
        ("trafilatura-cache__jovelstefan.de.gefallt.html", [("CC-BY-NC-3.0-DE", "a", "high")]),
        ("readability__ebb-org.html", [("LicenseRef-cc-by-sa-3.0-us", "a", "high")]),
        (
            "trafilatura-eval__gnaur.wordpress.com.moglichkeit.html",
            [("LicenseRef-cc-by-nc-nd-2.0-de", "a", "high")],
        ),
        (
            "trafilatura-eval__murdeltas.wordpress.com.politcamp.html",
            [("CC-BY-3.0-AT", "a", "high")],
        ),
        (
            "trafilatura-eval__der-erfolg-gibt-recht.de.rinderleber.html",
            [("CC-BY-NC-ND-2.5", "a", "high")],
        ),
        # linked through web.archive.org
        (
            "trafilatura-eval__archive.org.medialepfade.de.medienpaedagogin.html",
            [("CC-BY-SA-3.0-DE", "a", "high")],
        ),
        # no rel=license: a plain footer link
        ("readability__v8-blog.html", [("CC-BY-3.0", "a", "low")]),
        ("readability__google-sre-book-1.html", [("CC-BY-NC-ND-4.0", "a", "low")]),
        (
            "trafilatura-eval__ihrwebprofi.at.publikumsvoting.html",
            [("CC-BY-SA-3.0-AT", "a", "high"), ("CC-BY-SA-3.0-AT", "meta", "low")],
        ),
    ],
)
def test_corpus_spot_checks(
    corpus: dict[str, dict[str, str]], name: str, expected: list[tuple[str, str, str]]
) -> None:
    f = corpus_findings(corpus, name)
    assert [(e.spdx, e.source, e.confidence) for e in f.page] == expected
    assert f.images == {}


def test_corpus_wikipedia_head_link_and_text_page(corpus: dict[str, dict[str, str]]) -> None:
    f = corpus_findings(corpus, "readability__wikipedia-2.html")
    got = [(e.spdx, e.source, e.position) for e in f.page]
    assert got[0] == ("CC-BY-SA-3.0", "link", "head")
    assert ("CC-BY-SA-3.0", "a", "footer") in got
    text_page = [e for e in f.page if e.spdx is None]
    assert len(text_page) == 1 and "Text_of_Creative_Commons" in (text_page[0].url or "")


def test_corpus_base_href_resolution(corpus: dict[str, dict[str, str]]) -> None:
    # bsi.de: <base href> + <link rel="license" href="DE/Service/Impressum/impressum_node.html">
    ev = only(corpus_findings(corpus, "trafilatura-eval__bsi.de-ki.html").page)
    assert ev.spdx is None and ev.source == "link"
    assert ev.url == "https://www.bsi.bund.de/DE/Service/Impressum/impressum_node.html"


def test_corpus_same_document_licence_link(corpus: dict[str, dict[str, str]]) -> None:
    f = corpus_findings(corpus, "readability__firefox-nightly-blog.html")
    assert [(e.url, e.source, e.confidence) for e in f.page] == [
        (None, "link", "low"),
        ("https://www.mozilla.org/foundation/licensing/website-content/", "a", "high"),
    ]


def test_corpus_microdata_image_credit(corpus: dict[str, dict[str, str]]) -> None:
    f = corpus_findings(corpus, "readability__citylab-1.html")
    assert f.page == []
    [(image, evidence)] = f.images.items()
    assert (
        image.startswith("https://cdn.citylab.com/")
        and only(evidence).creator == "Benoit Tessier/Reuters"
    )


def test_link_rel_license_of_rsl_type_is_not_a_page_licence() -> None:
    # An RSL licence document (rslstandard.org/guide/file-format), read by the rsl family.
    head = '<link rel="license" type="application/rsl+xml" href="https://example.org/license.xml">'
    assert detect("<p>x</p>", head=head).page == []


def test_attribute_guarded_xpaths_find_what_the_unguarded_ones_found() -> None:
    # _REL_LICENSE and _CC_LINKS test their attribute first ([@rel], [@href]): on every corpus
    # page, and on edge cases, the same elements as the expressions without that guard.
    import lxml.html
    from lxml import etree

    from crawler.licenses import detect
    from tests.corpus import corpus_path

    unguarded = {
        detect._REL_LICENSE: etree.XPath(
            "//*[contains(concat(' ', normalize-space(translate(@rel, 'LICENSE', 'license')),"
            " ' '), ' license ')]"
        ),
        detect._CC_LINKS: etree.XPath(
            "//a[contains(translate(@href, 'CREATIVOMNS', 'creativomns'), 'creativecommons.org')]"
        ),
    }
    edge = (
        "<html><head><link rel=' LICENSE ' href='/l'></head><body><a rel=''>x</a>"
        "<a rel='nofollow license'>y</a><a href=''>z</a><a>w</a>"
        "<a href='HTTPS://CreativeCommons.org/licenses/by/4.0/'>cc</a>"
        "<div rel='license'></div></body></html>"
    )
    roots = [lxml.html.document_fromstring(edge)]
    pages = sorted(corpus_path("html-pages").rglob("*.html"))
    for path in pages:
        try:
            roots.append(lxml.html.document_fromstring(path.read_bytes()))
        except (etree.ParserError, ValueError):
            continue
    found = 0
    for root in roots:
        for guarded, plain in unguarded.items():
            got = guarded(root)
            assert got == plain(root)
            found += len(got)
    assert found > 0
