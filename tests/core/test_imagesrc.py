"""The real image of an ``<img>``: placeholders give way to lazy-loading attributes.

Each lazy-loading convention is pinned to the corpus page that taught it
(shared/corpus/html-pages; original URLs in its pages.tsv).
"""

from __future__ import annotations

import csv

import lxml.html
import pytest

from crawler.extract import extract_page
from crawler.imagesrc import choose_source, is_placeholder_name, lazy_value_url
from tests.corpus import corpus_path

PAGE = "http://site.test/dir/page.html"


def extract(html: str):
    return extract_page(html.encode(), PAGE, "utf-8")


def one(html: str):
    [cand] = extract(html).candidates
    return cand


# --- synthetic: the rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("img", "expected", "attribute"),
    [
        # a named placeholder gives way to data-src
        ('<img src="/img/blank.gif" data-src="real.jpg" alt="x">', "real.jpg", "data-src"),
        ('<img src="missing-image.svg" data-src="real.jpg" alt="x">', "real.jpg", "data-src"),
        ('<img src="lazy_placeholder.gif" data-src="r.jpg" alt="x">', "r.jpg", "data-src"),
        # a lazy class marks src as a stand-in (lazysizes LQIP)
        ('<img class="lazyload" src="tiny.jpg" data-src="big.jpg" alt="x">', "big.jpg", "data-src"),
        # a GIF standing in for a JPEG
        ('<img src="p.gif" data-original="photo.jpg" alt="x">', "photo.jpg", "data-original"),
        # data-srcset only: its largest candidate
        (
            '<img src="loader.png" data-srcset="s.jpg 300w, l.jpg 1200w, m.jpg 600w" alt="x">',
            "l.jpg",
            "data-srcset",
        ),
        # a real src stays, even with an alternate URL beside it
        ('<img src="real.jpg" data-src="other.jpg" alt="x">', "real.jpg", "src"),
        ('<img src="photo.jpg" data-orig-file="orig.jpg" alt="x">', "photo.jpg", "src"),
    ],
)
def test_placeholder_gives_way(img: str, expected: str, attribute: str) -> None:
    cand = one(img)
    assert cand.url == "http://site.test/dir/" + expected
    assert cand.url_attribute == attribute


def test_src_shared_by_several_lazy_images_is_a_placeholder() -> None:
    page = extract(
        '<img src="stand.png" data-src="a.jpg" alt="A"><img src="stand.png" data-src="b.jpg" '
        'alt="B"><img src="stand.png" alt="C">'
    )
    urls = [c.url.rsplit("/", 1)[1] for c in page.candidates]
    assert urls == ["a.jpg", "b.jpg", "stand.png"]
    assert page.candidates[0].replaced_src == "http://site.test/dir/stand.png"


def test_picture_sources_are_candidates() -> None:
    cand = one(
        "<picture><source srcset='w.webp 800w, w2.webp 1600w' type='image/webp'>"
        "<source data-srcset='j.jpg 400w'><img alt='pic'></picture>"
    )
    assert cand.url == "http://site.test/dir/w2.webp"
    assert cand.url_attribute == "picture"
    assert cand.srcset == [
        "http://site.test/dir/w.webp",
        "http://site.test/dir/w2.webp",
        "http://site.test/dir/j.jpg",
    ]


def test_picture_with_a_real_img_src_keeps_it_and_lists_sources() -> None:
    cand = one("<picture><source srcset='big.webp 2x'><img src='a.jpg' alt='x'></picture>")
    assert cand.url == "http://site.test/dir/a.jpg"
    assert cand.srcset == ["http://site.test/dir/big.webp"]


def test_noscript_kept_as_text_is_parsed() -> None:
    # A browser with scripting reads <noscript> as raw text; readability's cnet.html keeps its
    # lazy figures' real images that way (escaped markup): the image it names is a candidate.
    page = extract('<figure><noscript>&lt;img src="/real.jpg" alt="Real photo"&gt;</noscript>')
    [cand] = page.candidates
    assert cand.url == "http://site.test/real.jpg"
    assert cand.url_attribute == "noscript:src"


def test_noscript_duplicate_of_a_lazy_image_is_one_candidate() -> None:
    page = extract(
        '<img src="data:," data-src="/r.jpg" alt="R"><noscript><img src="/r.jpg" alt="R">'
        "</noscript>"
    )
    assert [(c.url, c.url_attribute) for c in page.candidates] == [
        ("http://site.test/r.jpg", "data-src")
    ]


def test_lazy_value_forms() -> None:
    assert lazy_value_url(" a.jpg ") == "a.jpg"
    assert lazy_value_url("[s.jpg, (default)], [l.jpg, (large)]") == "l.jpg"
    assert lazy_value_url("a.jpg 1x, b.jpg 2x") == "b.jpg"
    assert lazy_value_url("[garbage") is None


def test_placeholder_names() -> None:
    for name in ("blank.gif", "x/grey.gif", "transparent.png", "1x1.trans.gif", "spacer.gif"):
        assert is_placeholder_name(name), name
    for name in ("photo.jpg", "greyhound.jpg", "transport.png", "blanket.jpg"):
        assert not is_placeholder_name(name), name


def test_named_placeholder_without_alternative_is_flagged() -> None:
    cand = one('<img src="/img/placeholder.png" alt="Sponsor logo">')
    assert cand.url == "http://site.test/img/placeholder.png"
    assert cand.placeholder is True
    assert one('<img src="/grey-wolf.jpg" alt="wolf">').placeholder is False


def test_choose_source_without_any_url() -> None:
    img = lxml.html.fragment_fromstring('<img src="data:," alt="x">')
    assert choose_source(img).raw is None


# --- real pages: which page taught each convention --------------------------------------------


def _urls() -> dict[str, str]:
    path = corpus_path("html-pages", "pages.tsv")
    with path.open(newline="") as fh:
        return {row["filename"]: row["original_url"] for row in csv.DictReader(fh, delimiter="\t")}


def _by_caption(name: str) -> dict[str, list]:
    body = corpus_path("html-pages", name).read_bytes()
    page = extract_page(body, _urls()[name])
    out: dict[str, list] = {}
    for cand in page.candidates:
        out.setdefault(cand.caption, []).append(cand)
    return out


@pytest.mark.parametrize(
    ("page", "caption", "url", "attribute", "convention"),
    [
        (
            # livescience.com: one placeholder SVG under many captions
            "aeb__3c5bf8db4272925b.html",
            "The violent simulated birth of a galaxy",
            "https://cdn.mos.cms.futurecdn.net/qAXLuii56Mc9tyhT89FVpB-320-80.jpg",
            "data-src",
            "lazysizes: class=lazyload, src=missing-image.svg, data-src/data-srcset",
        ),
        (
            "trafilatura-cache__knowtechie.com.rally.html",
            "rocket league new car",
            "https://kt-media-knowtechie.netdna-ssl.com/wp-content/uploads/2019/08/"
            "rocket-league-rocket-pass-4.jpg",
            "data-src",
            "Lazy Load XT (WordPress a3 Lazy Load): class=lazy-hidden, src=lazy_placeholder.gif",
        ),
        (
            "trafilatura-cache__changelog.blog.zwischenbilanz.html",
            "Jan Kegelberg CDO SportScheck",
            "https://www.changelog.blog/wp-content/uploads/2019/05/Jan_Klegelberg_560_rgb-300x200.jpg",
            "data-lazy-src",
            "WordPress (WP Rocket): data: GIF src, data-lazy-src/data-lazy-srcset",
        ),
        (
            "aeb__c13b9c0e04fb28d4.html",
            "Materials from South Dakota",
            "https://media.spokesman.com/photos/2019/11/19/meth_t2500.jpg?"
            "6913dd5f0afa17a0b7a91a88b4e808d586264d13",
            "data-srcset",
            "data-srcset only (spokesman.com): src=sr-loader.png, largest w candidate",
        ),
        (
            "trafilatura-cache__austria.info.radfahren.html",
            "Radfahren am Almkanal, Salzburg © Österreich Werbung / Ulli Cecerle-Uitz",
            "https://cdn.austria.info/media/17083/thumbnails/Radfahren-am-Almkanal-Salzburg_"
            "Oesterreich-Werbung-Ulli-Cecerle-Uitz_Ulli-Cecerle-Uitz.jpg.3999593.jpg",
            "data-lazy",
            "Foundation Interchange data-lazy='[url, (default)]' behind src=blank.gif",
        ),
    ],
)
def test_real_lazy_conventions(
    page: str, caption: str, url: str, attribute: str, convention: str
) -> None:
    cands = [c for text, cs in _by_caption(page).items() if text.startswith(caption) for c in cs]
    assert cands, caption
    assert cands[0].url == url, convention
    assert cands[0].url_attribute == attribute, convention


def test_real_jquery_lazyload_data_original() -> None:
    # readability engadget.html: jQuery Lazy Load (data-original) with an empty src
    cands = _by_caption("readability__engadget.html")["Xbox"]
    assert all(c.url.startswith("https://o.aolcdn.com/images/dims?") for c in cands)
    assert {c.url_attribute for c in cands} == {"data-original"}


def test_real_livescience_placeholder_svg_is_never_a_candidate() -> None:
    # issue 11: livescience.com showed missing-image.svg under three different captions
    by_caption = _by_caption("aeb__3c5bf8db4272925b.html")
    urls = [c.url for cands in by_caption.values() for c in cands]
    assert not any(u.endswith("/missing-image.svg") for u in urls)
