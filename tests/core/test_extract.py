"""Image-candidate extraction (crawler.extract) on synthetic and real pages."""

from __future__ import annotations

import csv

import lxml.html
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crawler.extract import absolute_http_url, clean_text, extract_page, parse_srcset
from tests.corpus import corpus_path

PAGE = "http://site.test/dir/page.html"


def extract(html: str, url: str = PAGE):
    return extract_page(html.encode(), url, "utf-8")


def test_src_alt_title_size_figcaption() -> None:
    page = extract(
        '<figure><img src="a.jpg" alt=" A  red\n fox " title="T" width="640" height="480px">'
        "<figcaption> The <b>fox</b>, 2024 </figcaption></figure>"
    )
    [cand] = page.candidates
    assert cand.url == "http://site.test/dir/a.jpg"
    assert cand.caption == "A red fox"
    assert cand.title == "T"
    assert (cand.width, cand.height) == (640, 480)
    assert cand.figcaption == "The fox, 2024"


def test_non_numeric_sizes_are_dropped() -> None:
    [cand] = extract('<img src="a.jpg" alt="x" width="100%" height="auto">').candidates
    assert cand.width is None and cand.height is None


@pytest.mark.parametrize(
    ("img", "expected"),
    [
        ('<img data-src="/lazy.jpg" alt="x">', "http://site.test/lazy.jpg"),
        ('<img src="" data-lazy-src="l2.jpg" alt="x">', "http://site.test/dir/l2.jpg"),
        (
            '<img src="data:image/gif;base64,R0l" data-original="o.jpg" alt="x">',
            "http://site.test/dir/o.jpg",
        ),
        (
            '<img srcset="s.jpg 320w, m.jpg 640w, l.jpg 1280w" alt="x">',
            "http://site.test/dir/l.jpg",
        ),
        (
            '<img src="data:," data-srcset="a.jpg 1x, b.jpg 2x" alt="x">',
            "http://site.test/dir/b.jpg",
        ),
        ('<img src="real.jpg" data-src="lazy.jpg" alt="x">', "http://site.test/dir/real.jpg"),
    ],
)
def test_lazy_loading_sources(img: str, expected: str) -> None:
    [cand] = extract(img).candidates
    assert cand.url == expected


def test_srcset_candidates_are_kept_absolute() -> None:
    [cand] = extract('<img src="a.jpg" srcset="a.jpg 1x, /b.jpg 2x" alt="x">').candidates
    assert cand.srcset == ["http://site.test/dir/a.jpg", "http://site.test/b.jpg"]


@pytest.mark.parametrize(
    "img",
    [
        '<img src="data:image/png;base64,AAAA" alt="x">',
        '<img src="javascript:void(0)" alt="x">',
        '<img src="ftp://host.test/a.jpg" alt="x">',
        '<img src="mailto:a@b.test" alt="x">',
        '<img alt="no source at all">',
    ],
)
def test_unusable_sources_are_skipped(img: str) -> None:
    assert extract(img).candidates == []


def test_base_href_and_fragments() -> None:
    page = extract(
        '<head><base href="http://cdn.test/base/"></head>'
        '<img src="x.jpg#frag" alt="x"><a href="next.html#top">n</a>'
    )
    assert page.candidates[0].url == "http://cdn.test/base/x.jpg"
    assert page.links == ["http://cdn.test/base/next.html"]


def test_duplicate_url_caption_pairs_are_one_candidate() -> None:
    page = extract(
        '<img src="a.jpg" alt="one"><img src="a.jpg" alt="one">'
        '<img src="a.jpg" alt="two"><img src="a.jpg" alt="">'
    )
    assert [(c.url.rsplit("/", 1)[1], c.caption) for c in page.candidates] == [
        ("a.jpg", "one"),
        ("a.jpg", "two"),
        ("a.jpg", ""),
    ]


def test_caption_unescaping() -> None:
    page = extract('<img src="a.jpg" alt="Tom &amp;amp; Jerry &#220;ber">')
    assert page.candidates[0].caption == "Tom & Jerry Über"
    assert clean_text("  a \t b\n") == "a b"
    assert clean_text(None) == ""


def test_links_meta_and_nofollow() -> None:
    page = extract(
        '<head><meta name="Robots" content="noai"><meta name="tdm-reservation" content="1">'
        "</head><body>"
        '<a href="/a">a</a><a href="/a">again</a><a rel="nofollow" href="/b">b</a>'
        '<area href="c.html"><a href="mailto:x@y.test">m</a><a href="https://other.test/">o</a>'
    )
    assert page.links == [
        "http://site.test/a",
        "http://site.test/dir/c.html",
        "https://other.test/",
    ]
    assert page.meta == {"robots": ["noai"], "tdm-reservation": ["1"]}


def test_srcset_parser() -> None:
    assert parse_srcset("a.jpg 1x, b.jpg 2x") == [("a.jpg", 1.0), ("b.jpg", 2.0)]
    assert parse_srcset("a.jpg 300w,b.jpg 600w") == [("a.jpg", 300000.0), ("b.jpg", 600000.0)]
    assert parse_srcset("  only.jpg  ") == [("only.jpg", 0.0)]
    assert parse_srcset("") == []


def test_absolute_http_url() -> None:
    assert absolute_http_url("http://a.test/x/", "../y.png#z") == "http://a.test/y.png"
    assert absolute_http_url("http://a.test/", "//cdn.test/i.png") == "http://cdn.test/i.png"
    assert absolute_http_url("http://a.test/", "http://[::1") is None
    assert absolute_http_url("http://a.test/", "   ") is None


def test_empty_and_garbage_bodies() -> None:
    assert extract_page(b"", PAGE).candidates == []
    assert extract_page(b"\x00\xff\xfe garbage", PAGE).candidates == []


# --- real pages (shared/corpus/html-pages, see its PROVENANCE.md) ------------------------------


def _features() -> list[dict[str, str]]:
    path = corpus_path("html-pages", "features.tsv")
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _urls() -> dict[str, str]:
    path = corpus_path("html-pages", "pages.tsv")
    with path.open(newline="") as fh:
        return {row["filename"]: row["original_url"] for row in csv.DictReader(fh, delimiter="\t")}


def test_real_pages_invariants() -> None:
    folder = corpus_path("html-pages")
    urls = _urls()
    total = with_caption = 0
    for row in _features():
        name = row["filename"]
        page_url = urls.get(name) or "http://unknown.test/"
        page = extract_page((folder / name).read_bytes(), page_url)
        # og:image/twitter:image and <noscript> text add candidates beyond the <img> elements.
        in_dom = [
            c
            for c in page.candidates
            if c.image_source == "img" and not c.url_attribute.startswith("noscript:")
        ]
        assert len(in_dom) <= int(row["imgs"]), name
        for cand in page.candidates:
            assert cand.url.startswith(("http://", "https://")), (name, cand.url)
            assert "#" not in cand.url
            assert cand.caption == " ".join(cand.caption.split())
        pairs = [(c.url, c.caption, c.figcaption, c.thumbcaption) for c in page.candidates]
        assert len(pairs) == len(set(pairs)), name
        total += len(page.candidates)
        with_caption += sum(1 for c in page.candidates if c.caption)
    # features.tsv counts 3,778 <img> with non-empty alt over the corpus (some are data: URIs
    # or duplicates on a page, so fewer candidates carry captions).
    assert 3000 < with_caption <= 3778
    assert total > with_caption


def test_real_lazy_page_uses_data_src() -> None:
    name = "trafilatura-cache__adac.de.kindersitze.html"
    body = corpus_path("html-pages", name).read_bytes()
    page = extract_page(body, _urls()[name])
    by_caption = {c.caption: c.url for c in page.candidates}
    url = by_caption["Kindersitz Test Übersicht Vogelperspektive"]
    assert url.startswith(
        "https://www.adac.de/-/media/images/digitale-kommunikation/1810-kindersitz-test-926x383.jpg?"
    )
    assert not any(c.url.startswith("data:") for c in page.candidates)


def test_real_pages_with_base_href_resolve_against_it() -> None:
    folder = corpus_path("html-pages")
    checked = 0
    for row in _features():
        if row["base"] != "1":
            continue
        body = (folder / row["filename"]).read_bytes()
        root = lxml.html.document_fromstring(body)
        base = (root.xpath("//base/@href") or [""])[0].strip()
        if not base.startswith("http"):
            continue
        page = extract_page(body, "http://elsewhere.test/x/y.html")
        relative = [
            img.get("src")
            for img in root.iter("img")
            if img.get("src") and not img.get("src").startswith(("http", "//", "data:"))
        ]
        if not relative or not page.candidates:
            continue
        assert page.base_url.lower().startswith(base.lower()[:20].lower())
        assert not any(c.url.startswith("http://elsewhere.test/") for c in page.candidates)
        checked += 1
    assert checked >= 3


# --- issue 11: caption sources, og:image, in_main_content ---------------------------------------


def test_mediawiki_thumbcaption_and_figcaption() -> None:
    page = extract(
        '<div class="thumb tright"><div class="thumbinner"><a class="image">'
        '<img alt="" src="fox.jpg"></a><div class="thumbcaption"><div class="magnify">'
        '<a href="/wiki/File:Fox.jpg"></a></div> A red  fox </div></div></div>'
        '<figure typeof="mw:File/Thumb"><a><img src="owl.jpg" alt=""></a>'
        "<figcaption>An owl</figcaption></figure>"
        '<ul class="gallery"><li class="gallerybox"><div class="thumb"><img src="elk.jpg" alt="">'
        '</div><div class="gallerytext"><p>An elk</p></div></li></ul>'
    )
    fox, owl, elk = page.candidates
    assert fox.caption == "" and fox.thumbcaption == "A red fox"
    assert fox.caption_texts() == {"thumbcaption": "A red fox"}
    assert owl.figcaption == "An owl"
    assert elk.thumbcaption == "An elk"


def test_pick_caption_order_and_laion_rule() -> None:
    from crawler.imagecontext import check_caption_sources, pick_caption

    texts = {"figcaption": "Fig", "thumbcaption": "Thumb", "title": "T"}
    default = ("alt", "figcaption", "thumbcaption", "og:image:alt")
    assert pick_caption({"alt": "Alt", **texts}, default) == ("Alt", "alt")
    assert pick_caption(texts, default) == ("Fig", "figcaption")
    assert pick_caption(texts, ["alt"]) == ("", None)  # LAION: alt or nothing
    assert pick_caption(texts, ["title", "alt"]) == ("T", "title")
    with pytest.raises(ValueError, match="unknown caption source"):
        check_caption_sources(["alt", "figcaptoin"])


def test_og_image_and_twitter_image_candidates() -> None:
    page = extract(
        '<head><meta property="og:image" content="/lead.jpg">'
        '<meta property="og:image:alt" content="The lead photo">'
        '<meta property="og:image:width" content="1200"><meta property="og:image:height" '
        'content="630"><meta name="twitter:image" content="/lead.jpg">'
        '<meta name="twitter:image:alt" content="Twitter text">'
        '<meta name="twitter:image" content="/card.jpg"></head>'
        '<body><img src="/shown.jpg" alt=""><meta property="og:image" content="/shown.jpg">'
        '<meta property="og:image:alt" content="Shown"></body>'
    )
    by_url = {c.url.rsplit("/", 1)[1]: c for c in page.candidates}
    assert set(by_url) == {"shown.jpg", "lead.jpg", "card.jpg"}
    lead = by_url["lead.jpg"]
    assert (lead.image_source, lead.url_attribute) == ("og:image", "meta")
    assert (lead.og_alt, lead.twitter_alt) == ("The lead photo", "Twitter text")
    assert (lead.width, lead.height) == (1200, 630)
    assert lead.caption == ""  # no alt: excluded under the alt-only rule
    assert by_url["card.jpg"].image_source == "twitter:image"
    # an og:image also shown as <img> is one candidate: the <img>, with the og alt added
    shown = by_url["shown.jpg"]
    assert shown.image_source == "img" and shown.og_alt == "Shown"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<main><p><img src="a.jpg"></p></main>', True),
        ('<article><header><img src="a.jpg"></header></article>', True),
        ('<div role="main"><img src="a.jpg"></div>', True),
        ('<header><img src="a.jpg"></header>', False),
        ('<footer><div><img src="a.jpg"></div></footer>', False),
        ('<main><aside><img src="a.jpg"></aside></main>', False),
        ('<article><nav><img src="a.jpg"></nav></article>', False),
        ('<div role="contentinfo"><img src="a.jpg"></div>', False),
        ('<div><img src="a.jpg"></div>', None),
    ],
)
def test_in_main_content(html: str, expected: bool | None) -> None:
    [cand] = extract(html).candidates
    assert cand.in_main_content is expected


def test_repeated_url_under_different_captions_is_counted() -> None:
    page = extract(
        '<img src="/p.svg" alt="One"><img src="/p.svg" alt="Two"><img src="/p.svg" alt="Three">'
        '<img src="/q.jpg" alt="Q"><img src="/q.jpg" alt="Q">'
    )
    counts = {c.url.rsplit("/", 1)[1]: c.same_url_captions for c in page.candidates}
    assert counts == {"p.svg": 3, "q.jpg": 1}


def test_real_wikipedia_mozilla_article_photos() -> None:
    # issue 11: all 6 article photos of en.wikipedia.org/wiki/Mozilla were caption:missing
    name = "readability__wikipedia.html"
    body = corpus_path("html-pages", name).read_bytes()
    page = extract_page(body, _urls()[name])
    thumbs = [c for c in page.candidates if c.thumbcaption]
    assert len(thumbs) == 6
    assert all(c.caption == "" and c.in_main_content for c in thumbs)
    assert {c.thumbcaption for c in thumbs} >= {"Firefox logo", "Mozilla spaces, London"}


def test_og_image_that_is_a_srcset_size_of_an_img_is_not_a_second_row() -> None:
    page = extract(
        '<meta property="og:image" content="/big.jpg"><meta property="og:image:alt" content="Og">'
        '<img src="/small.jpg" srcset="/small.jpg 1x, /big.jpg 2x" alt="">'
    )
    [cand] = page.candidates
    assert cand.url == "http://site.test/small.jpg" and cand.og_alt == "Og"


def test_real_wikipedia_gallery_and_multiple_image_captions() -> None:
    # readability wikipedia-2 (New Zealand): a packed gallery puts each caption in
    # li.gallerybox div.gallerytext, five levels above the <img alt="">
    name = "readability__wikipedia-2.html"
    body = corpus_path("html-pages", name).read_bytes()
    page = extract_page(body, _urls()[name])
    by_file = {c.url.rsplit("/", 1)[1]: c for c in page.candidates}
    assert by_file["270px-NZ_Landscape.jpg"].thumbcaption == "Rural scene near Queenstown"
    assert by_file["270px-NZ_Landscape.jpg"].caption == ""


def _reference_absolute_http_url(base: str, raw: str | None) -> str | None:
    """absolute_http_url before its per-netloc host memo (same fast paths): urlsplit on every
    result."""
    from urllib.parse import urljoin, urlsplit

    if not raw:
        return None
    raw = raw.strip()
    if not raw or raw.startswith(("data:", "javascript:", "#", "mailto:", "tel:")):
        return None
    if raw.startswith(("http://", "https://")) and "/." not in raw and "\\" not in raw:
        url = raw
    elif raw[0] == "/" and raw[1:2] != "/" and "/." not in raw and "\\" not in raw:
        parts = urlsplit(base)
        url = f"{parts.scheme}://{parts.netloc}" + raw
    else:
        try:
            url = urljoin(base, raw)
        except ValueError:
            return None
    url = url.partition("#")[0]
    if not url.startswith(("http://", "https://")):
        return None
    try:
        if not urlsplit(url).hostname:
            return None
    except ValueError:
        return None
    return url


_URL_PARTS = st.sampled_from(
    [
        "http://",
        "https://",
        "HTTP://",
        "//",
        "/",
        "?",
        "#",
        "@",
        ":",
        ":80",
        "[",
        "]",
        "[::1]",
        "[v1.x]",
        "[1.2.3.4]",
        "a.example",
        "B.Example",
        "user:pw@",
        "\t",
        "\n",
        " ",
        ".",
        "..",
        "/./",
        "\\",
        "%41",
        "é",
        "\uff0f",
        "x",
    ]
)


@settings(max_examples=3000, deadline=None)
@given(
    base=st.sampled_from(
        ["http://a.example/p/1.html", "https://b.example:8443/x/", "http://[::1]/d/"]
    ),
    raw=st.lists(_URL_PARTS, max_size=8).map("".join),
)
@example(base="http://a.example/", raw="http://")
@example(base="http://a.example/", raw="http://:80/x")
@example(base="http://a.example/", raw="http://user@/x")
@example(base="http://a.example/", raw="http://[::1/x")
@example(base="http://a.example/", raw="http://a.example\t/x")
def test_absolute_http_url_matches_urlsplit_on_every_url(base: str, raw: str) -> None:
    # The fast paths and the per-netloc host memo decide as urljoin + urlsplit would.
    assert absolute_http_url(base, raw) == _reference_absolute_http_url(base, raw)
    assert absolute_http_url(base, raw) == _reference_absolute_http_url(base, raw)  # memo hit


def test_figcaption_is_the_first_in_document_order() -> None:
    root = lxml.html.document_fromstring(
        "<html><body><figure><div><p><figcaption>deep first</figcaption></p></div>"
        "<img src='/a.jpg'><figcaption>second</figcaption></figure>"
        "<figure><img src='/b.jpg'></figure></body></html>"
    )
    from crawler.imagecontext import figcaption_text

    first, second = root.iter("img")
    assert figcaption_text(first) == "deep first"
    assert figcaption_text(second) is None
