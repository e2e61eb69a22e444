"""The signal web: one small site per consent or licence signal, for the end-to-end tests.

Every consent family the crawl reads appears here at least once, each on its own host so that a
row's reasons can only come from the case under test: page meta tags, page and image response
headers, robots.txt extension records, ai.txt in its three formats, tdmrep.json (conformant,
first-match ordered, and a non-conformant bare object), pay-per-crawl (402), a failing image
(503), an image server that refuses HEAD, and the licence cases of consent-signals.md §7 (page
``rel=license``, JSON-LD / microdata ImageObject, RDFa ``about=``, an image ``Link`` header,
XMP with IPTC ``plus:DataMining`` read from a ranged GET, a conflict, a licence next to an
opt-out, no licence at all).

Hosts, pages and images are described once (``_hosts``); the SimWeb sites dict, the seeds and the
expectations are all derived from that description, so they cannot drift apart.

- ``signal_sites()``: the SimWeb sites dict (a fresh copy per call).
- ``SIGNAL_SEEDS``: every page URL of every host (consent and licence cases).
- ``LICENSE_SEEDS``: the page URLs of the licence hosts only.
- ``SIGNAL_EXPECTED``: image URL -> ``{"host", "case", "pages", "strict", "standard",
  "robots-only", "probe-off"}``; each run maps to the exact sorted list of exclusion reasons
  (``[]``: kept). ``"probe-off"`` is the strict policy with ``IMAGE_PROBE=off`` (reasons read
  from the image's own response disappear); ``"range"``, where present, is the strict policy
  with ``IMAGE_PROBE=range`` (XMP read).
- ``LICENSE_EXPECTED``: image URL -> the licence columns of its row (``license``,
  ``license_url``, ``license_scope``, ``license_source``, ``license_conflict``, ``credit``,
  ``creator``, ``acquire_license_page``) with the default probe; ``"range"`` holds the columns
  that change when XMP is read.

SimWeb routes are method-blind, so the image server that answers 405 to HEAD is played by a
resolver (``SIGNAL_FACTORY``): it answers 405 to the *first* request for each of its paths and
serves the image afterwards. In ``IMAGE_PROBE=head`` mode the first request is the HEAD probe,
so the crawler sees exactly "HEAD refused, ranged GET served". Start the web with
``signal_web()`` to get that behaviour.
"""

from __future__ import annotations

import base64
import copy
import functools
import html
import json
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from crawler.simweb.demo import _jpeg, _png

__all__ = [
    "LICENSE_EXPECTED",
    "LICENSE_SEEDS",
    "SIGNAL_EXPECTED",
    "SIGNAL_FACTORY",
    "SIGNAL_SEEDS",
    "head_refusing_resolver",
    "signal_sites",
    "signal_web",
]

SIGNAL_FACTORY = "tests.sites.signalweb:head_refusing_resolver"

_HTML = "text/html; charset=utf-8"
_TEXT = "text/plain; charset=utf-8"

CC_BY = "https://creativecommons.org/licenses/by/4.0/"
CC_BY_SA = "https://creativecommons.org/licenses/by-sa/4.0/"
CC_BY_NC = "https://creativecommons.org/licenses/by-nc/4.0/"
CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"

DMI = "http://ns.useplus.org/ldf/vocab/"


# --- images ---------------------------------------------------------------------------------


def _xmp_packet(
    *, license_url: str, data_mining: str, creator: str, credit: str, licensor_url: str
) -> bytes:
    """An XMP packet as Adobe tools write it (rights, CC, Dublin Core, PLUS)."""
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 9.1-c002">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:cc="http://creativecommons.org/ns#"
    xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"
    cc:license="{license_url}"
    xmpRights:Marked="True"
    photoshop:Credit="{credit}"
    plus:DataMining="{data_mining}">
   <dc:creator><rdf:Seq><rdf:li>{creator}</rdf:li></rdf:Seq></dc:creator>
   <dc:rights><rdf:Alt>
    <rdf:li xml:lang="x-default">(c) 2025 {creator}</rdf:li>
   </rdf:Alt></dc:rights>
   <plus:Licensor><rdf:Seq><rdf:li rdf:parseType="Resource">
    <plus:LicensorName>{creator}</plus:LicensorName>
    <plus:LicensorURL>{licensor_url}</plus:LicensorURL>
   </rdf:li></rdf:Seq></plus:Licensor>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def _with_xmp(jpeg: bytes, packet: bytes) -> bytes:
    """Insert an APP1 XMP segment right after SOI (where cameras and editors put it)."""
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + packet
    segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    return jpeg[:2] + segment + jpeg[2:]


def _image_bytes(url: str, xmp: bytes | None) -> tuple[bytes, str]:
    seed = zlib.crc32(url.encode())
    if urlsplit(url).path.endswith((".jpg", ".jpeg")):
        data = _jpeg(320, 240, 40 + seed % 176, url)
        if xmp is not None:
            data = _with_xmp(data, xmp)
        return data, "image/jpeg"
    return _png(320, 240, seed % 251, url), "image/png"


# --- the description ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Img:
    """One ``<img>`` on a page, how its server answers, and what the crawl must make of it.

    ``strict`` lists the exclusion reasons under the strict policy (empty: kept);
    ``standard`` / ``robots_only`` default to ``strict`` / kept when None.
    """

    src: str  # relative to the page, or absolute
    alt: str | None
    strict: tuple[str, ...] = ()
    standard: tuple[str, ...] | None = None
    robots_only: tuple[str, ...] | None = None
    range_: tuple[str, ...] | None = None  # strict reasons with IMAGE_PROBE=range, if different
    from_image: bool = False  # the reasons come from the image's own response (the probe)
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()  # the image response's extra headers
    body: str | None = None  # a text body instead of the image (402/503 answers)
    xmp: bytes | None = None
    refuses_head: bool = False
    wrap: str = "{img}"  # markup around the <img> (RDFa, microdata)
    lic: Mapping[str, Any] | None = None  # licence columns (default probe); None: no licence
    lic_range: Mapping[str, Any] | None = None  # licence columns with IMAGE_PROBE=range


@dataclass
class _Page:
    path: str
    title: str
    text: str
    images: list[_Img]
    head: str = ""  # extra <head> markup
    footer: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Host:
    name: str
    case: str
    pages: list[_Page] = field(default_factory=list)
    robots: str | None = None  # robots.txt body; None: 404
    aitxt: str | None = None
    aitxt_type: str = _TEXT
    tdmrep: str | None = None
    licence_case: bool = False


def _lic(
    spdx: str | None,
    url: str | None,
    scope: str | None,
    source: str | None,
    *,
    conflict: bool = False,
    credit: str | None = None,
    creator: str | None = None,
    acquire: str | None = None,
) -> dict[str, Any]:
    return {
        "license": spdx,
        "license_url": url,
        "license_scope": scope,
        "license_source": source,
        "license_conflict": conflict,
        "credit": credit,
        "creator": creator,
        "acquire_license_page": acquire,
    }


NO_LICENSE = _lic(None, None, None, None)

_CDN = "http://cdn.sig.test"


def _hosts() -> list[_Host]:
    noai = ("meta-robots:noai",)
    reserved = ("tdmrep:reserved",)
    train_n = ("aipref:train-ai=n",)
    aitxt = ("aitxt:disallowed",)
    page_by = _lic("CC-BY-4.0", CC_BY, "page", "link")
    return [
        # --- controls ----------------------------------------------------------------------
        _Host(
            "plain.sig.test",
            "no signal anywhere (robots.txt only hides /private/): kept, except the "
            "disallowed path, the image without alt text, and an image whose host's ai.txt "
            "refuses it",
            [
                _Page(
                    "/",
                    "Field notes",
                    "A plain page: no meta tags, no signal headers, no licence.",
                    [
                        _Img("/img/meadow.png", "A meadow with poppies in early June"),
                        _Img("/img/shared-logo.png", "The field notes logo, a pressed leaf"),
                        _Img(
                            "/img/rule.png",
                            "",
                            ("caption:missing",),
                            robots_only=("caption:missing",),
                        ),
                        _Img(
                            "/private/contact-sheet.png",
                            "Contact sheet of unpublished frames",
                            ("robots:disallowed",),
                            robots_only=("robots:disallowed",),
                        ),
                        _Img(
                            "http://aitxt-spawning.sig.test/img/borrowed.jpg",
                            "A photo borrowed from a friend's site",
                            aitxt,
                        ),
                    ],
                ),
                _Page(
                    "/about.html",
                    "About the field notes",
                    "The logo again: one image shown on two pages is probed once.",
                    [_Img("/img/shared-logo.png", "The field notes logo, a pressed leaf")],
                ),
            ],
            robots="User-agent: *\nDisallow: /private/\n",
        ),
        # --- page: meta tags ---------------------------------------------------------------
        _Host(
            "meta-noai.sig.test",
            'page <meta name="robots" content="noai">',
            [
                _Page(
                    "/",
                    "Ink studies",
                    "Please do not use these drawings to train AI.",
                    [_Img("/img/ink-heron.png", "Ink study of a heron", noai)],
                    head='<meta name="robots" content="noai">',
                )
            ],
        ),
        _Host(
            "meta-noimageai.sig.test",
            'page <meta name="robots" content="noimageai">',
            [
                _Page(
                    "/",
                    "Studio photographs",
                    "Text may be indexed; images may not be used for AI.",
                    [
                        _Img(
                            "/img/studio.jpg",
                            "A cluttered studio table",
                            ("meta-robots:noimageai",),
                        )
                    ],
                    head='<meta name="robots" content="index, follow, noimageai">',
                )
            ],
        ),
        _Host(
            "meta-noindex.sig.test",
            'page <meta name="robots" content="noindex">: strict excludes, standard keeps',
            [
                _Page(
                    "/",
                    "Drafts",
                    "Not for search engines.",
                    [
                        _Img(
                            "/img/draft.png",
                            "A pencil draft of a bridge",
                            ("meta-robots:noindex",),
                            standard=(),
                        )
                    ],
                    head='<meta name="robots" content="noindex">',
                )
            ],
        ),
        _Host(
            "meta-tdm.sig.test",
            'page <meta name="tdm-reservation" content="1"> with a tdm-policy',
            [
                _Page(
                    "/",
                    "Press photos",
                    "Text and data mining rights are reserved.",
                    [_Img("/img/press.jpg", "A press photo of a ribbon cutting", reserved)],
                    head=(
                        '<meta name="tdm-reservation" content="1">\n'
                        '  <meta name="tdm-policy" content="http://meta-tdm.sig.test/tdm-policy.json">'
                    ),
                )
            ],
        ),
        _Host(
            "meta-tdm0.sig.test",
            "tdmrep.json reserves everything; a page's meta tdm-reservation 0 overrides it "
            "(its CDN image is kept); a page without the meta stays reserved",
            [
                _Page(
                    "/",
                    "Open archive",
                    "This page opts out of the site-wide reservation.",
                    [_Img(f"{_CDN}/meta-tdm0/open-map.png", "An old map of the river delta")],
                    head='<meta name="tdm-reservation" content="0">',
                ),
                _Page(
                    "/reserved.html",
                    "Reserved archive",
                    "The site-wide reservation applies here.",
                    [
                        _Img(
                            f"{_CDN}/meta-tdm0/closed-map.png",
                            "A survey map of the harbour",
                            reserved,
                        )
                    ],
                ),
            ],
            tdmrep='[{"location": "/", "tdm-reservation": 1}]',
        ),
        # --- page: response headers --------------------------------------------------------
        _Host(
            "hdr-googlebot.sig.test",
            "page X-Robots-Tag addressed to googlebot only (noimageai) plus noarchive: ignored",
            [
                _Page(
                    "/",
                    "Garden diary",
                    "Only Google is asked not to use the images.",
                    [_Img("/img/tomatoes.png", "Tomatoes ripening on the vine")],
                    headers=[
                        ("X-Robots-Tag", "googlebot: noimageai"),
                        ("X-Robots-Tag", "noarchive"),
                    ],
                )
            ],
        ),
        _Host(
            "hdr-xrobots.sig.test",
            "page X-Robots-Tag repeated: googlebot: noimageai (ignored), consentcrawl: noai",
            [
                _Page(
                    "/",
                    "Workshop journal",
                    "Our crawler is addressed by name.",
                    [_Img("/img/lathe.png", "A wood lathe with shavings", ("xrobots:noai",))],
                    headers=[
                        ("X-Robots-Tag", "googlebot: noimageai"),
                        ("X-Robots-Tag", "consentcrawl: noai"),
                    ],
                )
            ],
        ),
        _Host(
            "hdr-tdm.sig.test",
            "page header tdm-reservation: 1",
            [
                _Page(
                    "/",
                    "Research dataset preview",
                    "Rights reserved by header.",
                    [_Img("/img/chart.png", "A bar chart of rainfall by month", reserved)],
                    headers=[
                        ("tdm-reservation", "1"),
                        ("tdm-policy", "http://hdr-tdm.sig.test/policy.json"),
                    ],
                )
            ],
        ),
        _Host(
            "hdr-usage.sig.test",
            "page header Content-Usage: train-ai=n",
            [
                _Page(
                    "/",
                    "Essays",
                    "AIPREF preference on the page response.",
                    [_Img("/img/desk-lamp.png", "A desk lamp over an open notebook", train_n)],
                    headers=[("Content-Usage", "train-ai=n, search=y")],
                )
            ],
        ),
        _Host(
            "hdr-signal.sig.test",
            "page header Content-Signal: search=yes, ai-train=no",
            [
                _Page(
                    "/",
                    "Recipes",
                    "Cloudflare-style content signal on the page response.",
                    [
                        _Img(
                            "/img/soup.png",
                            "A bowl of pumpkin soup",
                            ("content-signal:ai-train=no",),
                        )
                    ],
                    headers=[("Content-Signal", "search=yes, ai-train=no")],
                )
            ],
        ),
        # --- image: response headers -------------------------------------------------------
        _Host(
            "img-noai.sig.test",
            "image X-Robots-Tag: noai",
            [
                _Page(
                    "/",
                    "Portfolio",
                    "The image itself says noai.",
                    [
                        _Img(
                            "/img/portrait.jpg",
                            "A portrait in window light",
                            ("xrobots:noai",),
                            headers=(("X-Robots-Tag", "noai"),),
                            from_image=True,
                        ),
                        _Img("/img/signature.png", "The artist's signature in ink"),
                    ],
                )
            ],
        ),
        _Host(
            "img-noindex.sig.test",
            "image X-Robots-Tag: NoIndex (case-insensitive): strict excludes, standard keeps",
            [
                _Page(
                    "/",
                    "Catalogue",
                    "Product shots not meant for indexes.",
                    [
                        _Img(
                            "/img/teapot.png",
                            "A white porcelain teapot",
                            ("xrobots:noindex",),
                            standard=(),
                            headers=(("X-Robots-Tag", "NoIndex"),),
                            from_image=True,
                        )
                    ],
                )
            ],
        ),
        _Host(
            "img-tdm.sig.test",
            "image headers tdm-reservation: 1 and tdm-policy",
            [
                _Page(
                    "/",
                    "Stock photos",
                    "Reservation on the image response.",
                    [
                        _Img(
                            "/img/skyline.jpg",
                            "A city skyline at dusk",
                            reserved,
                            headers=(
                                ("tdm-reservation", "1"),
                                ("tdm-policy", "http://img-tdm.sig.test/licensing/tdm-policy.json"),
                            ),
                            from_image=True,
                        )
                    ],
                )
            ],
        ),
        _Host(
            "img-usage.sig.test",
            "image header Content-Usage: train-ai=n",
            [
                _Page(
                    "/",
                    "Illustrations",
                    "AIPREF on the image response.",
                    [
                        _Img(
                            "/img/owl.png",
                            "An illustrated owl on a branch",
                            train_n,
                            headers=(("Content-Usage", "train-ai=n"),),
                            from_image=True,
                        )
                    ],
                )
            ],
        ),
        _Host(
            "img-legacy.sig.test",
            "image header Content-Usage: ai=n (legacy label, read as train-ai=n)",
            [
                _Page(
                    "/",
                    "Old blog",
                    "An early AIPREF draft label.",
                    [
                        _Img(
                            "/img/bicycle.png",
                            "A red bicycle against a wall",
                            train_n,
                            headers=(("Content-Usage", "ai=n"),),
                            from_image=True,
                        )
                    ],
                )
            ],
        ),
        _Host(
            "img-402.sig.test",
            "image answers 402 Payment Required (pay-per-crawl)",
            [
                _Page(
                    "/",
                    "Premium gallery",
                    "Images cost money to fetch.",
                    [
                        _Img(
                            "/img/premium.jpg",
                            "A premium landscape photograph",
                            ("probe:payment-required",),
                            status=402,
                            headers=(("crawler-price", "USD 0.01"),),
                            body="Payment required to crawl this resource.\n",
                            from_image=True,
                        )
                    ],
                )
            ],
        ),
        _Host(
            "img-503.sig.test",
            "image answers 503: strict excludes (probe:failed), standard keeps (unknown)",
            [
                _Page(
                    "/",
                    "Flaky server",
                    "The image server is overloaded.",
                    [
                        _Img(
                            "/img/waves.png",
                            "Waves breaking on a pier",
                            ("probe:failed",),
                            standard=(),
                            status=503,
                            headers=(("Retry-After", "120"),),
                            body="Service Unavailable\n",
                            from_image=True,
                        )
                    ],
                )
            ],
        ),
        _Host(
            "img-nohead.sig.test",
            "image server answers 405 to HEAD: the probe falls back to a ranged GET, whose "
            "headers count (Content-Usage: train-ai=n on one image)",
            [
                _Page(
                    "/",
                    "Archive scans",
                    "The image server does not implement HEAD.",
                    [
                        _Img("/img/scan-1.png", "A scanned letter from 1921", refuses_head=True),
                        _Img(
                            "/img/scan-2.png",
                            "A scanned postcard of the old station",
                            train_n,
                            headers=(("Content-Usage", "train-ai=n"),),
                            refuses_head=True,
                            from_image=True,
                        ),
                    ],
                )
            ],
        ),
        # --- documents: robots.txt extension records --------------------------------------
        _Host(
            "robots-cu.sig.test",
            "robots.txt Content-Usage: train-ai=n with Content-Usage: /ok/ train-ai=y",
            [
                _Page(
                    "/ok/",
                    "Open section",
                    "Pages and images under /ok/ may be used for training; the rest may not.",
                    [
                        _Img("/ok/img/lighthouse.png", "A lighthouse on a cliff"),
                        _Img("/img/keeper.png", "The lighthouse keeper's cottage", train_n),
                    ],
                )
            ],
            robots=(
                "User-agent: *\nAllow: /\nContent-Usage: train-ai=n\n"
                "Content-Usage: /ok/ train-ai=y\n"
            ),
        ),
        _Host(
            "robots-cs.sig.test",
            "robots.txt Content-Signal: search=yes, ai-train=no under User-agent: * "
            "(our own group allows everything; the * group's signal still counts)",
            [
                _Page(
                    "/",
                    "Local news",
                    "Cloudflare-managed robots.txt.",
                    [
                        _Img(
                            "/img/council.jpg",
                            "The town council in session",
                            ("content-signal:ai-train=no",),
                        )
                    ],
                )
            ],
            robots=(
                "# As a condition of accessing this website, you agree to abide by the "
                "following content signals\n"
                "User-agent: consentcrawl\nAllow: /\n\n"
                "User-agent: *\nContent-Signal: search=yes, ai-train=no\nAllow: /\n"
            ),
        ),
        _Host(
            "robots-dat.sig.test",
            "robots.txt DisallowAITraining: /photos/ (legacy draft): strict and standard "
            "exclude the images under /photos/",
            [
                _Page(
                    "/",
                    "Club photos",
                    "The club's photo archive is off limits for AI training.",
                    [
                        _Img(
                            "/photos/regatta.jpg",
                            "Sailing boats at the regatta",
                            ("robots:disallow-ai-training",),
                        ),
                        _Img("/img/club-logo.png", "The sailing club's logo"),
                    ],
                )
            ],
            robots="User-agent: *\nAllow: /\nDisallowAITraining: /photos/\n",
        ),
        # --- documents: ai.txt -------------------------------------------------------------
        _Host(
            "aitxt-spawning.sig.test",
            "Spawning ai.txt: Disallow: *.jpg, Allow: *.png",
            [
                _Page(
                    "/",
                    "Photo blog",
                    "JPEG photographs are opted out; PNG diagrams are fine.",
                    [
                        _Img("/img/dunes.jpg", "Sand dunes at sunrise", aitxt),
                        _Img("/img/route-map.png", "A hand-drawn route map"),
                    ],
                )
            ],
            aitxt=(
                "# Spawning AI\n# Prevent datasets from using the following file types\n\n"
                "User-Agent: *\nDisallow: *.jpg\nDisallow: *.jpeg\nAllow: *.png\n"
            ),
        ),
        _Host(
            "aitxt-kv.sig.test",
            "ai.txt with a key/value line training: deny (site-wide disallow)",
            [
                _Page(
                    "/",
                    "Pottery",
                    "No training, says the ai.txt.",
                    [_Img("/img/vase.png", "A glazed blue vase", aitxt)],
                )
            ],
            aitxt="# AI usage policy\ntraining: deny\ninference: allow\n",
        ),
        _Host(
            "aitxt-md.sig.test",
            "a Markdown ai.txt (aitxt.ing style): free text, not a signal",
            [
                _Page(
                    "/",
                    "Software notes",
                    "This site's ai.txt is a guide for assistants, not an opt-out.",
                    [_Img("/img/terminal.png", "A terminal window with green text")],
                )
            ],
            aitxt=(
                "# Software notes\n\n"
                "> A small blog about shell tools and text editors.\n\n"
                "## Guidance for AI assistants\n\n"
                "- Please cite the article URL when you quote us.\n"
                "- Prefer the latest version of each post.\n\n"
                "## Pages\n\n"
                "- [Home](http://aitxt-md.sig.test/): index of posts\n"
            ),
            aitxt_type="text/markdown; charset=utf-8",
        ),
        # --- documents: tdmrep.json --------------------------------------------------------
        _Host(
            "tdm-order.sig.test",
            "tdmrep.json, first match wins: /images/*.jpg is 0, / is 1. A page here is "
            "reserved, so even its unreserved image is excluded; shown elsewhere, the .jpg is "
            "kept and the .png is reserved",
            [
                _Page(
                    "/gallery.html",
                    "Harbour gallery",
                    "The page itself is reserved (location /).",
                    [_Img("/images/harbour.jpg", "The harbour wall at low tide", reserved)],
                )
            ],
            tdmrep=(
                '[{"location": "/images/*.jpg", "tdm-reservation": 0},\n'
                ' {"location": "/", "tdm-reservation": 1, '
                '"tdm-policy": "http://tdm-order.sig.test/policy.json"}]\n'
            ),
        ),
        _Host(
            "tdm-show.sig.test",
            "a page without any signal showing the tdm-order.sig.test images",
            [
                _Page(
                    "/",
                    "Links we like",
                    "Images hot-linked from the harbour gallery.",
                    [
                        _Img("http://tdm-order.sig.test/images/fjord.jpg", "A fjord in mist"),
                        _Img(
                            "http://tdm-order.sig.test/images/fjord.png",
                            "A map of the fjord",
                            reserved,
                        ),
                    ],
                )
            ],
        ),
        _Host(
            "tdm-bare.sig.test",
            "non-conformant tdmrep.json: a bare object reserving everything",
            [
                _Page(
                    "/",
                    "Magazine",
                    "The publisher's tdmrep.json is not an array.",
                    [_Img("/img/cover.png", "This month's magazine cover", reserved)],
                )
            ],
            tdmrep=(
                '{"tdm-reservation": 1, "tdm-policy": "http://tdm-bare.sig.test/tdm-policy.json"}\n'
            ),
        ),
        # --- licences ----------------------------------------------------------------------
        _Host(
            "lic-page.sig.test",
            '<link rel="license"> CC BY 4.0 in <head>: page scope',
            [
                _Page(
                    "/",
                    "Field guide to mosses",
                    "All content on this page is CC BY 4.0.",
                    [_Img("/img/moss.png", "Cushion moss on granite", lic=page_by)],
                    head=f'<link rel="license" href="{CC_BY}">',
                )
            ],
            licence_case=True,
        ),
        _Host(
            "lic-jsonld.sig.test",
            "JSON-LD ImageObject (CC0, credit, creator, acquireLicensePage) beats the page's "
            "CC BY; the page's other image gets the page licence",
            [
                _Page(
                    "/",
                    "Birds of the estuary",
                    "Photographs by Ines Duarte.",
                    [
                        _Img(
                            "/img/avocet.jpg",
                            "An avocet wading in shallow water",
                            lic=_lic(
                                "CC0-1.0",
                                CC0,
                                "image",
                                "jsonld",
                                credit="Ines Duarte / Estuary Trust",
                                creator="Ines Duarte",
                                acquire="http://lic-jsonld.sig.test/licensing.html",
                            ),
                        ),
                        _Img("/img/mudflats.png", "Mudflats at low tide", lic=page_by),
                    ],
                    head=(
                        f'<link rel="license" href="{CC_BY}">\n'
                        '  <script type="application/ld+json">\n'
                        + json.dumps(
                            {
                                "@context": "https://schema.org",
                                "@type": "ImageObject",
                                "contentUrl": "http://lic-jsonld.sig.test/img/avocet.jpg",
                                "license": CC0,
                                "acquireLicensePage": "/licensing.html",
                                "creditText": "Ines Duarte / Estuary Trust",
                                "creator": {"@type": "Person", "name": "Ines Duarte"},
                                "copyrightNotice": "Ines Duarte",
                            },
                            indent=2,
                        )
                        + "\n  </script>"
                    ),
                )
            ],
            licence_case=True,
        ),
        _Host(
            "lic-rdfa.sig.test",
            'RDFa about="/img/heron.png" scoping a rel=license CC BY-SA to one image; the '
            "other image has no licence",
            [
                _Page(
                    "/",
                    "Herons",
                    "Only the heron photograph is licensed.",
                    [
                        _Img(
                            "/img/heron.png",
                            "A grey heron standing in reeds",
                            wrap=(
                                '<div about="/img/heron.png">\n      {img}\n'
                                f'      <p><a rel="license" href="{CC_BY_SA}">CC BY-SA 4.0</a></p>'
                                "\n    </div>"
                            ),
                            lic=_lic("CC-BY-SA-4.0", CC_BY_SA, "image", "rdfa"),
                        ),
                        _Img("/img/reeds.png", "Reeds swaying in the wind", lic=NO_LICENSE),
                    ],
                )
            ],
            licence_case=True,
        ),
        _Host(
            "lic-microdata.sig.test",
            "microdata ImageObject with license, creditText, creator and acquireLicensePage",
            [
                _Page(
                    "/",
                    "Mountain huts",
                    "One photograph, described with microdata.",
                    [
                        _Img(
                            "/img/hut.jpg",
                            "A stone hut below a glacier",
                            wrap=(
                                '<figure itemscope itemtype="https://schema.org/ImageObject">\n'
                                '      <img itemprop="contentUrl" src="/img/hut.jpg" '
                                'alt="A stone hut below a glacier">\n'
                                f'      <link itemprop="license" href="{CC_BY}">\n'
                                '      <link itemprop="acquireLicensePage" href="/buy.html">\n'
                                '      <figcaption>Photo: <span itemprop="creator" itemscope '
                                'itemtype="https://schema.org/Person"><span itemprop="name">'
                                "Tomas Berg</span></span>, "
                                '<span itemprop="creditText">Tomas Berg / Alpine Club</span>'
                                "</figcaption>\n    </figure>"
                            ),
                            lic=_lic(
                                "CC-BY-4.0",
                                CC_BY,
                                "image",
                                "microdata",
                                credit="Tomas Berg / Alpine Club",
                                creator="Tomas Berg",
                                acquire="http://lic-microdata.sig.test/buy.html",
                            ),
                        )
                    ],
                )
            ],
            licence_case=True,
        ),
        _Host(
            "lic-header.sig.test",
            'image response Link: <CC BY-NC 4.0>; rel="license"',
            [
                _Page(
                    "/",
                    "Sketchbook",
                    "The licence travels with the image response.",
                    [
                        _Img(
                            "/img/sketch.png",
                            "A charcoal sketch of a cat",
                            headers=(("Link", f'<{CC_BY_NC}>; rel="license"'),),
                            lic=_lic("CC-BY-NC-4.0", CC_BY_NC, "image", "header"),
                        )
                    ],
                )
            ],
            licence_case=True,
        ),
        _Host(
            "lic-xmp.sig.test",
            "JPEGs with XMP (cc:license, plus:DataMining), read only with IMAGE_PROBE=range: "
            "one prohibits AI/ML training, the other allows it",
            [
                _Page(
                    "/",
                    "Wildlife photography",
                    "Rights are embedded in the files.",
                    [
                        _Img(
                            "/img/lynx.jpg",
                            "A lynx in fresh snow",
                            range_=("iptc:data-mining=DMI-PROHIBITED-AIMLTRAINING",),
                            xmp=_xmp_packet(
                                license_url="http://creativecommons.org/licenses/by/4.0/",
                                data_mining=DMI + "DMI-PROHIBITED-AIMLTRAINING",
                                creator="Mara Lind",
                                credit="Mara Lind / Northlight",
                                licensor_url="https://northlight.example/licensing",
                            ),
                            lic=NO_LICENSE,
                            lic_range=_lic(
                                "CC-BY-4.0",
                                CC_BY,
                                "image",
                                "xmp",
                                credit="Mara Lind / Northlight",
                                creator="Mara Lind",
                                acquire="https://northlight.example/licensing",
                            ),
                        ),
                        _Img(
                            "/img/otter.jpg",
                            "An otter eating a fish on a rock",
                            xmp=_xmp_packet(
                                license_url="https://creativecommons.org/licenses/by-sa/4.0/",
                                data_mining=DMI + "DMI-ALLOWED",
                                creator="Jonas Vik",
                                credit="Jonas Vik",
                                licensor_url="https://jonasvik.example/contact",
                            ),
                            lic=NO_LICENSE,
                            lic_range=_lic(
                                "CC-BY-SA-4.0",
                                CC_BY_SA,
                                "image",
                                "xmp",
                                credit="Jonas Vik",
                                creator="Jonas Vik",
                                acquire="https://jonasvik.example/contact",
                            ),
                        ),
                    ],
                )
            ],
            licence_case=True,
        ),
        _Host(
            "lic-conflict.sig.test",
            "two disagreeing <link rel=license> (CC BY 4.0 and CC BY-NC 4.0): a conflict",
            [
                _Page(
                    "/",
                    "Conference slides",
                    "The template says one licence, the footer another.",
                    [
                        _Img(
                            "/img/slide.png",
                            "A slide with a bar chart",
                            lic=_lic("CC-BY-4.0", CC_BY, "page", "link", conflict=True),
                        )
                    ],
                    head=(
                        f'<link rel="license" href="{CC_BY}">\n'
                        f'  <link rel="license" href="{CC_BY_NC}">'
                    ),
                )
            ],
            licence_case=True,
        ),
        _Host(
            "lic-noai.sig.test",
            "a CC BY page that also says noai: the licence never overrides the opt-out",
            [
                _Page(
                    "/",
                    "Open artwork",
                    "Free to share and adapt, but not for AI training.",
                    [
                        _Img(
                            "/img/mural.png",
                            "A mural of a whale on a brick wall",
                            noai,
                            lic=page_by,
                        )
                    ],
                    head=(
                        f'<link rel="license" href="{CC_BY}">\n'
                        '  <meta name="robots" content="noai">'
                    ),
                )
            ],
            licence_case=True,
        ),
        _Host(
            "lic-none.sig.test",
            "no licence anywhere",
            [
                _Page(
                    "/",
                    "Holiday snaps",
                    "All rights reserved, or so we assume.",
                    [_Img("/img/beach.png", "A beach umbrella in the wind", lic=NO_LICENSE)],
                )
            ],
            licence_case=True,
        ),
        # --- the image CDN -----------------------------------------------------------------
        _Host("cdn.sig.test", "image host only; no consent documents"),
    ]


# --- rendering ------------------------------------------------------------------------------


def _img_tag(img: _Img) -> str:
    alt = "" if img.alt is None else f' alt="{html.escape(img.alt)}"'
    tag = f'<img src="{html.escape(img.src)}"{alt} width="320" height="240">'
    if "{img}" not in img.wrap:
        return img.wrap  # the wrapper carries its own <img>
    return img.wrap.replace("{img}", tag)


def _render(host: _Host, page: _Page) -> str:
    figures = "\n".join(f"    {_img_tag(img)}" for img in page.images)
    nav = "\n".join(
        f'      <li><a href="{html.escape(p.path)}">{html.escape(p.title)}</a></li>'
        for p in host.pages
    )
    head = f"\n  {page.head}" if page.head else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{html.escape(page.title)} | {host.name}</title>{head}
</head>
<body>
  <header><a class="brand" href="{html.escape(host.pages[0].path)}">{host.name}</a>
    <nav><ul>
{nav}
    </ul></nav>
  </header>
  <main>
  <article>
    <h1>{html.escape(page.title)}</h1>
    <p>{html.escape(page.text)}</p>
{figures}
  </article>
  </main>
  <footer><p>&copy; 2025 {host.name}</p></footer>
</body>
</html>
"""


def _abs(host: str, page_path: str, src: str) -> str:
    return urljoin(f"http://{host}{page_path}", src)


def _image_route(url: str, img: _Img) -> dict[str, Any]:
    if img.body is not None:
        headers = [["Content-Type", _TEXT]]
        body = img.body.encode()
    else:
        data, ctype = _image_bytes(url, img.xmp)
        headers = [["Content-Type", ctype], ["Cache-Control", "max-age=86400"]]
        body = data
    headers += [[name, value] for name, value in img.headers]
    return {
        "status": img.status,
        "headers": headers,
        "body_b64": base64.b64encode(body).decode("ascii"),
    }


@functools.lru_cache(maxsize=1)
def _build() -> tuple[
    dict[str, Any],
    dict[str, Any],
    dict[str, Any],
    tuple[str, ...],
    tuple[str, ...],
    tuple[tuple[str, str], ...],
]:
    hosts: dict[str, Any] = {}
    image_routes: dict[str, dict[str, dict[str, Any]]] = {}
    expected: dict[str, dict[str, Any]] = {}
    licences: dict[str, dict[str, Any]] = {}
    seeds: list[str] = []
    licence_seeds: list[str] = []
    head_refusing: list[tuple[str, str]] = []
    for host in _hosts():
        routes: dict[str, dict[str, Any]] = {}
        if host.robots is not None:
            routes["/robots.txt"] = {"headers": {"Content-Type": _TEXT}, "body": host.robots}
        if host.aitxt is not None:
            routes["/ai.txt"] = {"headers": {"Content-Type": host.aitxt_type}, "body": host.aitxt}
        if host.tdmrep is not None:
            routes["/.well-known/tdmrep.json"] = {
                "headers": {"Content-Type": "application/json"},
                "body": host.tdmrep,
            }
        for page in host.pages:
            page_url = f"http://{host.name}{page.path}"
            routes[page.path] = {
                "status": 200,
                "headers": [["Content-Type", _HTML], *[[n, v] for n, v in page.headers]],
                "body": _render(host, page),
            }
            seeds.append(page_url)
            if host.licence_case:
                licence_seeds.append(page_url)
            for img in page.images:
                url = _abs(host.name, page.path, img.src)
                parts = urlsplit(url)
                image_routes.setdefault(parts.netloc, {})[parts.path] = _image_route(url, img)
                if img.refuses_head:
                    head_refusing.append((parts.netloc, parts.path))
                if url in expected:
                    expected[url]["pages"].append(page_url)
                    continue
                strict = sorted(img.strict)
                entry: dict[str, Any] = {
                    "host": host.name,
                    "case": host.case,
                    "pages": [page_url],
                    "strict": strict,
                    "standard": sorted(img.standard) if img.standard is not None else strict,
                    "robots-only": sorted(img.robots_only or ()),
                }
                entry["probe-off"] = [] if img.from_image else strict
                if img.range_ is not None:
                    entry["range"] = sorted(img.range_)
                expected[url] = entry
                if img.lic is not None:
                    licences[url] = dict(img.lic)
                    if img.lic_range is not None:
                        licences[url]["range"] = dict(img.lic_range)
        hosts[host.name] = {"routes": routes, "default": {"status": 404, "body": "not found"}}
    for netloc, paths in image_routes.items():
        hosts.setdefault(netloc, {"routes": {}, "default": {"status": 404, "body": "not found"}})
        hosts[netloc]["routes"].update(paths)
    web = {"hosts": hosts, "default": {"status": 502, "body": "unknown host"}}
    return web, expected, licences, tuple(seeds), tuple(licence_seeds), tuple(head_refusing)


def signal_sites() -> dict[str, Any]:
    """The signal web as a SimWeb sites dict (JSON-serialisable; a fresh copy each call)."""
    return copy.deepcopy(_build()[0])


SIGNAL_EXPECTED: dict[str, dict[str, Any]] = _build()[1]
LICENSE_EXPECTED: dict[str, dict[str, Any]] = _build()[2]
SIGNAL_SEEDS: list[str] = list(_build()[3])
LICENSE_SEEDS: list[str] = list(_build()[4])
HEAD_REFUSING: list[tuple[str, str]] = list(_build()[5])


def head_refusing_resolver() -> Callable[[str, str], dict[str, Any] | None]:
    """A SimWeb resolver: 405 to the first request for each HEAD_REFUSING path, then the image.

    Built inside the server process; its state lives as long as that server (one crawl).
    """
    refusing = set(HEAD_REFUSING)
    seen: set[tuple[str, str]] = set()
    refusal = {
        "status": 405,
        "headers": [["Allow", "GET"], ["Content-Type", _TEXT]],
        "body": "Method Not Allowed\n",
    }

    def resolve(host: str, path: str) -> dict[str, Any] | None:
        key = (host, path)
        if key not in refusing or key in seen:
            return None
        seen.add(key)
        return refusal

    return resolve


def signal_web(**kwargs: Any) -> Any:
    """A SimWeb (not started) playing the signal web, HEAD-refusing server included."""
    from crawler.simweb.control import SimWeb

    return SimWeb(signal_sites(), factory=SIGNAL_FACTORY, **kwargs)
