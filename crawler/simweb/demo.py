"""The bundled demo web: small sites that exercise every robots.txt case of RFC 9309.

Each host is its own crawl scope and shows one case (plus a CDN and a host that only serves a
redirected robots.txt). Four more hosts show the other consent families and licences
(``signals``: ai.txt, X-Robots-Tag and Content-Usage on images, meta noai, tdmrep.json;
``prefs``: robots.txt Content-Usage with a path rule; ``cloudflare``: robots.txt Content-Signal;
``licensed``: a CC BY page with a CC0 JSON-LD photograph); the end-to-end signal web with one
host per case is ``tests.sites.signalweb``.

Pages are real-looking HTML with ``<img alt>`` text, lazy ``data-src`` images, a ``srcset``,
a ``<figure>`` with a ``<figcaption>``, images without alt text, links
within a host and to other hosts. Images are small but valid PNG/JPEG files built in code, each
with distinct bytes so content de-duplication never merges two of them.

``EXPECTED`` is written from the same page descriptions that generate the HTML, so the demo and
its expectations cannot drift apart. Per host:

- ``robots``: the case, in words.
- ``fetched``: page URLs the crawl must fetch.
- ``never_requested``: path prefixes on this host that must never appear in the request log.
- ``only_requested``: when set, the only paths this host may ever be asked for.
- ``kept``: image URL -> alt text, for images referenced from this host's pages and kept.
- ``excluded``: image URL -> reasons (AI tokens in ``AI_TOKENS`` settings order) for images
  referenced from this host's pages and excluded; a row must carry at least the first.
- ``srcset``: image URL -> its ``srcset`` candidates (the crawler keeps ``src``).
- ``crawl_delay``: seconds between requests to this host, where robots.txt asks for one.
"""

from __future__ import annotations

import base64
import copy
import functools
import html
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

__all__ = ["DEMO_SEEDS", "EXPECTED", "demo_sites"]

_HTML = {"Content-Type": "text/html; charset=utf-8"}
_TEXT = {"Content-Type": "text/plain; charset=utf-8"}


# --- images ---------------------------------------------------------------------------------


def _png(width: int, height: int, seed: int, comment: str) -> bytes:
    """A banded RGB PNG; the seed picks the colours, the comment makes its bytes unique."""
    colours = [
        bytes(((seed * 53 + band * 41) % 256, (seed * 97 + band * 67) % 256, (seed * 29) % 256))
        for band in range(6)
    ]
    band_height = max(1, height // 6)
    rows = b"".join(
        b"\x00" + colours[min(5, y // band_height)] * width  # filter type 0 per row
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"tEXt", b"Comment\x00" + comment.encode("latin-1", "replace"))
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


# Annex K.3 luminance DC table (code lengths 1..16, then symbols = size categories).
_DC_COUNTS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)
_DC_SYMBOLS = tuple(range(12))


def _huffman_codes(counts: tuple[int, ...], symbols: tuple[int, ...]) -> dict[int, str]:
    codes: dict[int, str] = {}
    code, k = 0, 0
    for length, count in enumerate(counts, start=1):
        for _ in range(count):
            codes[symbols[k]] = format(code, f"0{length}b")
            code += 1
            k += 1
        code <<= 1
    return codes


def _jpeg(width: int, height: int, gray: int, comment: str) -> bytes:
    """A baseline greyscale JPEG of one flat grey: every 8x8 block is a DC value and an EOB."""
    dc_codes = _huffman_codes(_DC_COUNTS, _DC_SYMBOLS)
    eob = "0"  # the AC table below holds one symbol, 0x00 (EOB), with the 1-bit code "0"
    dc = 8 * (gray - 128)  # all quantizers are 1; the IDCT gives each pixel DC/8 (+128 shift)
    size = abs(dc).bit_length()
    magnitude = format(dc if dc >= 0 else dc + (1 << size) - 1, f"0{size}b") if size else ""
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    bits = dc_codes[size] + magnitude + eob + (dc_codes[0] + eob) * (blocks - 1)
    bits += "1" * (-len(bits) % 8)
    scan = bytearray()
    for i in range(0, len(bits), 8):
        byte = int(bits[i : i + 8], 2)
        scan.append(byte)
        if byte == 0xFF:
            scan.append(0x00)  # byte stuffing

    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload

    return (
        b"\xff\xd8"
        + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + segment(0xFE, comment.encode("latin-1", "replace"))
        + segment(0xDB, b"\x00" + b"\x01" * 64)
        + segment(0xC0, struct.pack(">BHHBBBB", 8, height, width, 1, 1, 0x11, 0))
        + segment(0xC4, b"\x00" + bytes(_DC_COUNTS) + bytes(_DC_SYMBOLS))
        + segment(0xC4, b"\x10" + bytes((1,) + (0,) * 15) + b"\x00")
        + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        + bytes(scan)
        + b"\xff\xd9"
    )


def _image_route(url: str, extra_headers: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    """An image route for ``url``: PNG or JPEG by extension, size and colour from the name.

    ``extra_headers`` are added to the image response (X-Robots-Tag, Content-Usage, ...).
    """
    path = urlsplit(url).path
    seed = zlib.crc32(url.encode())
    width = 640 if "640" in path else 1280 if "1280" in path else 320
    height = width * 2 // 3
    if path.endswith((".jpg", ".jpeg")):
        data, ctype = _jpeg(width, height, 40 + seed % 176, url), "image/jpeg"
    else:
        data, ctype = _png(width, height, seed % 251, url), "image/png"
    return {
        "status": 200,
        "headers": {"Content-Type": ctype, "Cache-Control": "max-age=86400", **dict(extra_headers)},
        "body_b64": base64.b64encode(data).decode("ascii"),
    }


# --- pages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Img:
    """One image reference on a page and what the crawl should make of it."""

    src: str  # relative to the page, or absolute
    alt: str | None  # None: no alt attribute at all
    reasons: tuple[str, ...] = ()  # empty: kept
    style: str = "src"  # src | lazy | srcset | figure
    extra: str = ""  # srcset: the larger candidate; figure: the figcaption
    headers: tuple[tuple[str, str], ...] = ()  # extra headers of the image's own response


@dataclass
class _Page:
    path: str
    title: str
    text: list[str]
    images: list[_Img] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, label)
    fetched: bool = True
    head: str = ""  # extra <head> markup: meta robots, tdm-reservation, rel=license, JSON-LD


@dataclass
class _Site:
    host: str
    robots: dict[str, Any] | None  # the /robots.txt route; None: use the host default
    case: str
    pages: list[_Page] = field(default_factory=list)
    extra_routes: dict[str, dict[str, Any]] = field(default_factory=dict)
    never_requested: list[str] = field(default_factory=list)
    only_requested: list[str] | None = None
    crawl_delay: float | None = None
    seeds: list[str] = field(default_factory=list)
    aitxt: str | None = None  # /ai.txt body; None: the host default (404)
    tdmrep: str | None = None  # /.well-known/tdmrep.json body; None: the host default (404)


def _img_tag(img: _Img) -> str:
    alt = "" if img.alt is None else f' alt="{html.escape(img.alt)}"'
    src = html.escape(img.src)
    if img.style == "lazy":
        return f'<img class="lazyload" data-src="{src}"{alt} loading="lazy">'
    if img.style == "srcset":
        srcset = f"{src} 640w, {html.escape(img.extra)} 1280w"
        return (
            f'<img src="{src}" srcset="{srcset}" sizes="(max-width: 700px) 100vw, 640px"'
            f'{alt} width="640" height="426">'
        )
    if img.style == "figure":
        return (
            f'<figure class="photo">\n      <img src="{src}"{alt}>\n'
            f"      <figcaption>{html.escape(img.extra)}</figcaption>\n    </figure>"
        )
    return f'<img src="{src}"{alt}>'


def _render(site: _Site, page: _Page) -> str:
    nav = "\n".join(
        f'      <li><a href="{html.escape(p.path)}">{html.escape(p.title)}</a></li>'
        for p in site.pages
        if p.fetched
    )
    blocks: list[str] = []
    for i, paragraph in enumerate(page.text):
        blocks.append(f"    <p>{paragraph}</p>")
        if i < len(page.images):
            blocks.append("    " + _img_tag(page.images[i]))
    blocks += ["    " + _img_tag(img) for img in page.images[len(page.text) :]]
    links = "\n".join(
        f'      <li><a href="{html.escape(href)}">{html.escape(label)}</a></li>'
        for href, label in page.links
    )
    body = "\n".join(blocks)
    head = f"\n  {page.head}" if page.head else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{html.escape(page.title)} | {site.host}</title>
  <link rel="stylesheet" href="/static/site.css">{head}
</head>
<body>
  <header>
    <a class="brand" href="/">{site.host}</a>
    <nav><ul>
{nav}
    </ul></nav>
  </header>
  <main>
  <article>
    <h1>{html.escape(page.title)}</h1>
{body}
  </article>
  <aside>
    <h2>See also</h2>
    <ul>
{links}
    </ul>
  </aside>
  </main>
  <footer><p>&copy; 2024 {site.host}. Demo content for consentcrawl.</p></footer>
</body>
</html>
"""


def _robots(body: str, status: int = 200) -> dict[str, Any]:
    return {"status": status, "headers": _TEXT, "body": body}


_BOT_WALL = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Just a moment...</title></head>
<body>
  <h1>Checking your browser before accessing htmlrobots.demo.test</h1>
  <p>This process is automatic. Your browser will redirect to your requested content shortly.</p>
  <noscript>Please enable JavaScript and cookies to continue.</noscript>
</body>
</html>
"""

_CDN = "http://cdn.demo.test"
_AITXT = ("aitxt:disallowed",)
_NOAI = ("meta-robots:noai",)
_TDM = ("tdmrep:reserved",)
_TRAIN_N = ("aipref:train-ai=n",)
_SIGNAL = ("content-signal:ai-train=no",)


def _sites() -> list[_Site]:
    """Every demo host, described once; HTML, routes and EXPECTED are all derived from this."""
    dis = ("robots:disallowed",)
    unreachable = ("robots:unreachable",)
    gpt = ("robots:ai-token=GPTBot",)
    cc_gpt = ("robots:ai-token=CCBot", "robots:ai-token=GPTBot")
    missing = ("caption:missing",)
    return [
        _Site(
            "gallery.demo.test",
            _robots("User-agent: *\nDisallow: /private/\n"),
            "robots.txt 200: Disallow /private/ for everyone",
            [
                _Page(
                    "/",
                    "Harbor & Forest: a small photo gallery",
                    [
                        "Photographs from a year spent between the coast and the hills.",
                        "The lighthouse stood through three storms while we were there.",
                        "Sunflowers from the summer trip, hosted on our image CDN.",
                        "The full-resolution original is kept for licensing.",
                        "A first look at the autumn collection, not yet released.",
                    ],
                    [
                        _Img(
                            "/img/harbor-640.png",
                            "Fishing boats moored in a small harbor at dawn",
                            style="srcset",
                            extra="/img/harbor-1280.png",
                        ),
                        _Img(
                            "/img/lighthouse.png",
                            "A red lighthouse on a rocky headland under a grey sky",
                            style="lazy",
                        ),
                        _Img(
                            f"{_CDN}/thumbs/sunflowers.jpg",
                            "A field of sunflowers facing the afternoon sun",
                        ),
                        _Img(f"{_CDN}/originals/sunflowers.jpg", "Sunflower field, original", dis),
                        _Img("/private/unreleased-cover.png", "Autumn collection cover", dis),
                    ],
                    [
                        ("/exhibits/harbor.html", "The harbor series"),
                        ("/exhibits/forest.html", "The forest series"),
                        ("/private/drafts.html", "Drafts (staff only)"),
                        ("http://gone.demo.test/", "A friend's blog"),
                        ("http://ai-optout.demo.test/", "An illustrator we admire"),
                    ],
                ),
                _Page(
                    "/exhibits/harbor.html",
                    "The harbor series",
                    [
                        "Night falls early in November; the boats come in before five.",
                        "Between the series we leave a simple divider.",
                    ],
                    [
                        _Img(
                            "/img/harbor-night.png",
                            "The harbor at night with lights reflected in the water",
                            style="figure",
                            extra="Harbor at night, a thirty-second exposure from the pier, 2019.",
                        ),
                        _Img("/img/divider.png", "", missing),
                    ],
                    [("/", "Back to the gallery"), ("/exhibits/forest.html", "The forest series")],
                ),
                _Page(
                    "/exhibits/forest.html",
                    "The forest series",
                    [
                        "The beech wood turns copper for about two weeks each year.",
                        "Moss grows on everything that stays still long enough.",
                    ],
                    [
                        _Img("/img/forest-path.png", "A narrow path through a beech forest"),
                        _Img(
                            f"{_CDN}/thumbs/moss.jpg",
                            "Close-up of green moss on a fallen log",
                            style="lazy",
                        ),
                    ],
                    [("/", "Back to the gallery"), ("/private/drafts.html", "Drafts")],
                ),
                _Page(
                    "/private/drafts.html",
                    "Drafts",
                    ["Unfinished edits. This page is disallowed by robots.txt."],
                    [_Img("/private/draft-1.png", "Draft edit of the harbor photo", dis)],
                    [("/", "Back to the gallery")],
                    fetched=False,
                ),
            ],
            never_requested=["/private/"],
            seeds=["http://gallery.demo.test/", "http://gallery.demo.test/exhibits/harbor.html"],
        ),
        _Site(
            "cdn.demo.test",
            _robots("User-agent: *\nDisallow: /originals/\n"),
            "image host only; robots.txt 200: Disallow /originals/ for everyone",
            extra_routes={
                path: _image_route(_CDN + path)
                for path in (
                    "/thumbs/sunflowers.jpg",
                    "/thumbs/moss.jpg",
                    "/thumbs/teapot.jpg",
                    "/originals/sunflowers.jpg",
                )
            },
            never_requested=["/originals/"],
        ),
        _Site(
            "down.demo.test",
            {**_robots("Service Unavailable\n", 503), "headers": {**_TEXT, "Retry-After": "3600"}},
            "robots.txt 503: unreachable, so nothing else on the host may be requested",
            [
                _Page(
                    "/",
                    "Status: all systems degraded",
                    ["We are working on it."],
                    [_Img("/img/server-room.png", "Rows of servers with blinking lights")],
                    [("/status.html", "Detailed status")],
                    fetched=False,
                ),
                _Page(
                    "/status.html",
                    "Detailed status",
                    ["The outage map is updated every five minutes."],
                    [_Img("/img/outage-map.png", "Map of the outage by region")],
                    [("/", "Home")],
                    fetched=False,
                ),
            ],
            only_requested=["/robots.txt"],
            seeds=["http://down.demo.test/"],
        ),
        _Site(
            "gone.demo.test",
            _robots("Not Found\n", 404),
            "robots.txt 404: unavailable, so everything is allowed (even /private/)",
            [
                _Page(
                    "/",
                    "Notes from the workshop",
                    [
                        "A blog about fixing things. Today: the kettle, again.",
                        "Our hosting provider had a bad week; their outage map is below.",
                    ],
                    [
                        _Img("/img/kettle.png", "A dented steel kettle on a workbench"),
                        _Img(
                            "http://down.demo.test/img/outage-map.png",
                            "Map of the outage by region",
                            unreachable,
                        ),
                    ],
                    [
                        ("/blog/first-post.html", "First post"),
                        ("/private/notes.html", "Private notes"),
                        ("http://down.demo.test/status.html", "Hosting status page"),
                        ("http://gallery.demo.test/", "A photo gallery we like"),
                    ],
                ),
                _Page(
                    "/blog/first-post.html",
                    "First post: rebuilding a bicycle",
                    ["It started with a flat tyre and ended with a new frame."],
                    [_Img("/img/bicycle.jpg", "A half-built bicycle hanging on a repair stand")],
                    [("/", "Home"), ("/private/notes.html", "Private notes")],
                ),
                _Page(
                    "/private/notes.html",
                    "Private notes",
                    ["Not secret at all: with no robots.txt, every path is allowed."],
                    [_Img("/private/sketch.png", "Pencil sketch of a bicycle frame")],
                    [("/", "Home")],
                ),
            ],
            seeds=["http://gone.demo.test/"],
        ),
        _Site(
            "forbidden.demo.test",
            _robots("Forbidden\n", 403),
            "robots.txt 403: a 4xx other than 429 is unavailable, so everything is allowed",
            [
                _Page(
                    "/",
                    "Weekend baking",
                    [
                        "A slow sourdough loaf, baked on Sunday morning.",
                        "A spacer image left over from an old template.",
                        "The market was packed this week.",
                        "Tea, from the shop's own photo library.",
                    ],
                    [
                        _Img("/img/loaf.jpg", "A round sourdough loaf with a dark crust"),
                        _Img("/img/spacer.png", None, missing),
                        _Img(
                            "http://busy.demo.test/img/crowd.png",
                            "A crowded market hall",
                            unreachable,
                        ),
                        _Img(f"{_CDN}/thumbs/teapot.jpg", "A blue teapot on a wooden table"),
                    ],
                    [
                        ("/recipes/bread.html", "The bread recipe"),
                        ("http://busy.demo.test/sale.html", "The market's sale"),
                    ],
                ),
                _Page(
                    "/recipes/bread.html",
                    "The bread recipe",
                    ["Mix, wait, fold, wait, shape, wait, bake."],
                    [
                        _Img(
                            "/img/dough.png", "Sticky dough resting in a floured bowl", style="lazy"
                        )
                    ],
                    [("/", "Home"), ("http://slow.demo.test/", "A very patient website")],
                ),
            ],
            seeds=["http://forbidden.demo.test/"],
        ),
        _Site(
            "busy.demo.test",
            {**_robots("Too Many Requests\n", 429), "headers": {**_TEXT, "Retry-After": "120"}},
            "robots.txt 429: treated as unreachable, so nothing else may be requested",
            [
                _Page(
                    "/",
                    "The market hall",
                    ["Open every day except Monday."],
                    [_Img("/img/crowd.png", "A crowded market hall")],
                    [("/sale.html", "This week's sale")],
                    fetched=False,
                ),
                _Page(
                    "/sale.html",
                    "This week's sale",
                    ["Everything must go."],
                    [_Img("/img/sale-banner.png", "A hand-painted sale banner")],
                    [("/", "Home")],
                    fetched=False,
                ),
            ],
            only_requested=["/robots.txt"],
            seeds=["http://busy.demo.test/"],
        ),
        _Site(
            "moved.demo.test",
            {"status": 301, "redirect": "http://rules.demo.test/shared-robots.txt"},
            "robots.txt 301 to rules.demo.test/shared-robots.txt (Disallow /secret/), "
            "whose rules apply to moved.demo.test",
            [
                _Page(
                    "/",
                    "We have moved our rules",
                    ["Our office, photographed on moving day."],
                    [_Img("/img/office.png", "An empty office with boxes stacked by the door")],
                    [
                        ("/about.html", "About us"),
                        ("/secret/plans.html", "Plans"),
                        ("http://htmlrobots.demo.test/", "Our shop"),
                    ],
                ),
                _Page(
                    "/about.html",
                    "About us",
                    ["Five people, one dog.", "The blueprint of the new office is not public."],
                    [
                        _Img("/img/team.png", "Five people and a dog in front of a brick wall"),
                        _Img("/secret/blueprint.png", "Blueprint of the new office", dis),
                    ],
                    [("/", "Home"), ("/secret/plans.html", "Plans")],
                ),
                _Page(
                    "/secret/plans.html",
                    "Plans",
                    ["Disallowed by the redirected robots.txt."],
                    [_Img("/secret/floorplan.png", "Floor plan", dis)],
                    [("/", "Home")],
                    fetched=False,
                ),
            ],
            never_requested=["/secret/"],
            seeds=["http://moved.demo.test/"],
        ),
        _Site(
            "rules.demo.test",
            None,
            "hosts the redirect target /shared-robots.txt; no pages",
            extra_routes={"/shared-robots.txt": _robots("User-agent: *\nDisallow: /secret/\n")},
        ),
        _Site(
            "ai-optout.demo.test",
            _robots(
                "User-agent: GPTBot\nDisallow: /\n\nUser-agent: CCBot\nDisallow: /art/\n\n"
                "User-agent: *\nAllow: /\n"
            ),
            "robots.txt 200: GPTBot disallowed everywhere, CCBot under /art/, everyone else "
            "allowed: pages are fetched, images refused via AI tokens",
            [
                _Page(
                    "/",
                    "Illustrations by Mira",
                    ["Hand-drawn illustrations. Please do not train on my work."],
                    [_Img("/img/banner.png", "Ink drawing of a fox curled up asleep", gpt)],
                    [
                        ("/art/gallery.html", "Gallery"),
                        ("/blog.html", "Blog"),
                        ("http://gallery.demo.test/", "A photographer friend"),
                    ],
                ),
                _Page(
                    "/art/gallery.html",
                    "Gallery",
                    ["Watercolours from the spring.", "And one in gouache."],
                    [
                        _Img("/art/painting-1.png", "Watercolour of a heron in reeds", cc_gpt),
                        _Img("/art/painting-2.png", "Gouache of a city at dusk", cc_gpt),
                    ],
                    [("/", "Home"), ("/blog.html", "Blog")],
                ),
                _Page(
                    "/blog.html",
                    "Blog",
                    ["My desk, where it all happens."],
                    [_Img("/img/desk.png", "A cluttered drawing desk with brushes in jars", gpt)],
                    [("/", "Home")],
                ),
            ],
            seeds=["http://ai-optout.demo.test/"],
        ),
        _Site(
            "slow.demo.test",
            _robots("User-agent: *\nCrawl-delay: 1\n"),
            "robots.txt 200: Crawl-delay 1 for everyone, no rules",
            [
                _Page(
                    "/",
                    "A very patient website",
                    ["Please take your time."],
                    [_Img("/img/snail.png", "A snail crossing a wet garden path")],
                    [("/page2.html", "Page two")],
                ),
                _Page(
                    "/page2.html",
                    "Page two",
                    ["You made it."],
                    [_Img("/img/tortoise.png", "A tortoise eating a strawberry")],
                    [("/", "Home")],
                ),
            ],
            crawl_delay=1.0,
            seeds=["http://slow.demo.test/"],
        ),
        _Site(
            "htmlrobots.demo.test",
            {"status": 200, "headers": _HTML, "body": _BOT_WALL},
            "robots.txt 200 with an HTML bot-wall page: parses as no rules, everything allowed",
            [
                _Page(
                    "/",
                    "The shop",
                    ["Shoes and hats, made to order."],
                    [_Img("/img/shoes.png", "A pair of brown leather shoes")],
                    [("/shop.html", "Browse the catalogue")],
                ),
                _Page(
                    "/shop.html",
                    "Catalogue",
                    ["This season's felt hat."],
                    [_Img("/img/hat.jpg", "A grey felt hat on a wooden stand")],
                    [("/", "Home")],
                ),
            ],
            seeds=["http://htmlrobots.demo.test/"],
        ),
        # --- beyond robots.txt: the other consent families and a licence -------------------
        _Site(
            "signals.demo.test",
            _robots("User-agent: *\nAllow: /\n"),
            "robots.txt allows everything; other signals refuse: ai.txt Disallow *.jpg, an "
            "image with X-Robots-Tag noai, one with Content-Usage train-ai=n, a page with "
            "<meta name=robots content=noai>, and tdmrep.json reserving /archive/",
            [
                _Page(
                    "/",
                    "Signals, all in one place",
                    [
                        "A poster nobody objects to.",
                        "A photograph: our ai.txt opts JPEG files out of AI training.",
                        "This image's own response says X-Robots-Tag: noai.",
                        "This one carries an AIPREF Content-Usage: train-ai=n header.",
                    ],
                    [
                        _Img("/img/poster.png", "A screen-printed poster of a lighthouse"),
                        _Img("/img/photo.jpg", "A photograph of a tidal pool", _AITXT),
                        _Img(
                            "/img/protected.png",
                            "A digital painting of a koi pond",
                            ("xrobots:noai",),
                            headers=(("X-Robots-Tag", "noai"),),
                        ),
                        _Img(
                            "/img/usage.png",
                            "A linocut of a hare",
                            ("aipref:train-ai=n",),
                            headers=(("Content-Usage", "train-ai=n"),),
                        ),
                    ],
                    [
                        ("/noai.html", "Sketches (noai)"),
                        ("/archive/plates.html", "The archive (TDM reserved)"),
                    ],
                ),
                _Page(
                    "/noai.html",
                    "Sketches",
                    ["This page asks, in a meta tag, not to be used for AI."],
                    [_Img("/img/sketch.png", "A pencil sketch of a sleeping cat", _NOAI)],
                    [("/", "Home")],
                    head='<meta name="robots" content="noai">',
                ),
                _Page(
                    "/archive/plates.html",
                    "The archive",
                    ["Scanned printing plates; text and data mining rights are reserved."],
                    [_Img("/archive/plate.png", "A scanned copper printing plate", _TDM)],
                    [("/", "Home")],
                ),
            ],
            seeds=["http://signals.demo.test/"],
            aitxt="User-Agent: *\nDisallow: *.jpg\nDisallow: *.jpeg\nAllow: /\n",
            tdmrep='[{"location": "/archive/", "tdm-reservation": 1}]\n',
        ),
        _Site(
            "prefs.demo.test",
            _robots(
                "User-agent: *\nAllow: /\nContent-Usage: train-ai=n\n"
                "Content-Usage: /open/ train-ai=y\n"
            ),
            "robots.txt AIPREF Content-Usage: train-ai=n for the site, train-ai=y under /open/",
            [
                _Page(
                    "/",
                    "Preferences in robots.txt",
                    ["The site as a whole is not for AI training."],
                    [_Img("/img/cover.png", "A book cover with a paper boat", _TRAIN_N)],
                    [("/open/", "The open section")],
                ),
                _Page(
                    "/open/",
                    "The open section",
                    ["Everything under /open/ may be used for AI training."],
                    [_Img("/open/img/map.png", "A hand-drawn map of the coast")],
                    [("/", "Home")],
                ),
            ],
            seeds=["http://prefs.demo.test/"],
        ),
        _Site(
            "cloudflare.demo.test",
            _robots(
                "# Content signals: search=yes, ai-train=no\n"
                "User-agent: *\nContent-Signal: search=yes, ai-train=no\nAllow: /\n"
            ),
            "Cloudflare-style robots.txt: Content-Signal ai-train=no under User-agent: *",
            [
                _Page(
                    "/",
                    "A managed website",
                    ["Crawling is allowed; training use is not."],
                    [_Img("/img/storefront.png", "A bakery storefront at night", _SIGNAL)],
                    [],
                ),
            ],
            seeds=["http://cloudflare.demo.test/"],
        ),
        _Site(
            "licensed.demo.test",
            _robots("User-agent: *\nAllow: /\n"),
            "a CC BY 4.0 page (rel=license) with a CC0 photograph (JSON-LD ImageObject): kept, "
            "with their licences in the index",
            [
                _Page(
                    "/",
                    "Open botanical plates",
                    [
                        "Botanical plates, free to share and adapt under CC BY 4.0.",
                        "The fern photograph is dedicated to the public domain.",
                    ],
                    [
                        _Img("/img/plate-fern.png", "A botanical plate of a fern frond"),
                        _Img("/img/fern.jpg", "A photograph of fern fronds uncurling"),
                    ],
                    [],
                    head=(
                        '<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">'
                        '\n  <script type="application/ld+json">{"@context": "https://schema.org",'
                        ' "@type": "ImageObject", "contentUrl": '
                        '"http://licensed.demo.test/img/fern.jpg", "license": '
                        '"https://creativecommons.org/publicdomain/zero/1.0/", "creditText": '
                        '"Open Botanical Plates"}</script>'
                    ),
                ),
            ],
            seeds=["http://licensed.demo.test/"],
        ),
    ]


def _abs(host: str, page_path: str, src: str) -> str:
    return urljoin(f"http://{host}{page_path}", src)


@functools.lru_cache(maxsize=1)
def _build() -> tuple[dict[str, Any], dict[str, dict[str, Any]], tuple[str, ...]]:
    sites = _sites()
    hosts: dict[str, Any] = {}
    images: dict[str, dict[str, Any]] = {}  # host -> path -> route
    expected: dict[str, dict[str, Any]] = {}
    seeds: list[str] = []
    for site in sites:
        routes: dict[str, dict[str, Any]] = {}
        if site.robots is not None:
            routes["/robots.txt"] = site.robots
        if site.aitxt is not None:
            routes["/ai.txt"] = {"status": 200, "headers": _TEXT, "body": site.aitxt}
        if site.tdmrep is not None:
            routes["/.well-known/tdmrep.json"] = {
                "status": 200,
                "headers": {"Content-Type": "application/json"},
                "body": site.tdmrep,
            }
        routes["/static/site.css"] = {
            "status": 200,
            "headers": {"Content-Type": "text/css"},
            "body": "body{font-family:sans-serif;max-width:46rem;margin:auto}img{max-width:100%}",
        }
        routes.update(site.extra_routes)
        kept: dict[str, str] = {}
        excluded: dict[str, list[str]] = {}
        srcset: dict[str, list[str]] = {}
        for page in site.pages:
            routes[page.path] = {"status": 200, "headers": _HTML, "body": _render(site, page)}
            for img in page.images:
                url = _abs(site.host, page.path, img.src)
                urls = [url]
                if img.style == "srcset":
                    big = _abs(site.host, page.path, img.extra)
                    srcset[url] = [url, big]
                    urls.append(big)
                for u in urls:
                    parts = urlsplit(u)
                    route = _image_route(u, img.headers if u == url else ())
                    images.setdefault(parts.netloc, {})[parts.path] = route
                if not page.fetched:
                    continue  # never fetched, so never seen
                if img.reasons:
                    excluded[url] = list(img.reasons)
                else:
                    kept[url] = img.alt or ""
        hosts[site.host] = {"routes": routes, "default": {"status": 404, "body": "not found"}}
        seeds += site.seeds
        entry: dict[str, Any] = {
            "robots": site.case,
            "fetched": [f"http://{site.host}{p.path}" for p in site.pages if p.fetched],
            "never_requested": list(site.never_requested),
            "only_requested": site.only_requested,
            "kept": kept,
            "excluded": excluded,
            "srcset": srcset,
        }
        if site.crawl_delay is not None:
            entry["crawl_delay"] = site.crawl_delay
        expected[site.host] = entry
    for host, paths in images.items():
        for path, route in paths.items():
            hosts[host]["routes"].setdefault(path, route)
    web = {"hosts": hosts, "default": {"status": 502, "body": "unknown host"}}
    return web, expected, tuple(seeds)


def demo_sites() -> dict[str, Any]:
    """The demo web as a SimWeb sites dict (JSON-serialisable; a fresh copy each call)."""
    return copy.deepcopy(_build()[0])


DEMO_SEEDS: list[str] = list(_build()[2])
EXPECTED: dict[str, dict[str, Any]] = _build()[1]
