"""Simulated-web hosts for the 2026 signals of issue 14 owned by helper D: ``Robots-Tag``
(draft-illyes-repext), ``noml``, AIPREF vocab-08 ``Content-Usage`` in several field lines, and
deny-listed page and image hosts.

Each case is on its own host so a row's reasons can only come from it. Hosts, pages, images and
expectations are declared once (``_CASES``); the sites dict, the seeds and ``EXPECTED`` derive
from it.

- ``sites()``: the SimWeb sites dict (a fresh copy per call).
- ``SEEDS``: every page URL.
- ``DENYLIST_TEXT``: the deny-list file to pass as ``DENYLIST_FILES`` (its stem must be
  ``DENYLIST_STEM``); without it the deny-listed hosts are ordinary.
- ``EXPECTED``: image URL -> ``{"page", "case", "strict", "standard", "no-denylist",
  "aipref"}``: the sorted exclusion reasons per run (``[]``: kept) and, for the AIPREF hosts,
  the row's ``aipref_train_ai`` / ``aipref_ai_use`` / ``aipref_search`` columns.
"""

from __future__ import annotations

import base64
import copy
import html
import zlib
from dataclasses import dataclass, field
from typing import Any

from crawler.simweb.demo import _png

__all__ = ["DENYLIST_STEM", "DENYLIST_TEXT", "EXPECTED", "SEEDS", "sites"]

_HTML = "text/html; charset=utf-8"
_TEXT = "text/plain; charset=utf-8"

DENYLIST_STEM = "piracy"
DENYLIST_TEXT = """\
# made-up piracy domains (the format of DENYLIST_FILES)
warez.s26.test        # a registered domain: covers img.warez.s26.test
denied-page.s26.test
"""


@dataclass(frozen=True)
class _Img:
    path: str  # absolute URL, or a path on the page's host
    alt: str
    strict: tuple[str, ...] = ()
    standard: tuple[str, ...] | None = None  # None: as strict
    denylisted: bool = False  # the reasons are deny-list reasons only (gone without the list)
    headers: tuple[tuple[str, str], ...] = ()  # the image response's extra header lines
    aipref: tuple[str | None, str | None, str | None] | None = None  # expected columns


@dataclass
class _Case:
    host: str
    case: str
    images: list[_Img]
    headers: list[tuple[str, str]] = field(default_factory=list)  # the page response's
    head: str = ""  # extra <head> markup
    robots: str | None = None


_DL = (f"denylist:{DENYLIST_STEM}",)


def _cases() -> list[_Case]:
    return [
        _Case(
            "robotstag-image.s26.test",
            "Robots-Tag on image responses: star rules, another bot's rules, a bare "
            "directive, our token on a second field line, the draft's own example",
            [
                _Img(
                    "/img/star.png",
                    "A kestrel hovering over a verge",
                    ("xrobots:noai",),
                    headers=(("Robots-Tag", "*;noai"),),
                ),
                _Img(
                    "/img/other-bot.png",
                    "A heron standing in shallow water",
                    headers=(("Robots-Tag", "ExampleBot;noai;noimageai"),),
                ),
                _Img(
                    "/img/bare.png",
                    "A wren on a mossy fence post",
                    ("xrobots:noimageai",),
                    headers=(("Robots-Tag", "noimageai"),),
                ),
                _Img(
                    "/img/two-lines.png",
                    "Two swans on a grey lake",
                    ("xrobots:noai",),
                    headers=(
                        ("Robots-Tag", "ExampleBot;noindex"),
                        ("Robots-Tag", "consentcrawl;noai"),
                    ),
                ),
                _Img(
                    "/img/draft-example.png",
                    "A row of poplars in fog",
                    ("xrobots:noindex",),
                    standard=(),
                    headers=(("Robots-Tag", "*;noindex;nosnippet, ExampleBot;"),),
                ),
            ],
        ),
        _Case(
            "robotstag-page.s26.test",
            "Robots-Tag on the page response: every row of the page",
            [_Img("/img/page-wide.png", "A lighthouse at dusk", ("xrobots:noimageai",))],
            headers=[("Robots-Tag", "GPTBot;noimageai")],
        ),
        _Case(
            "noml-meta.s26.test",
            'page <meta name="robots" content="noml">',
            [_Img("/img/meta.png", "A fox crossing a snowy field", ("meta-robots:noml",))],
            head='<meta name="robots" content="noml">',
        ),
        _Case(
            "noml-header.s26.test",
            "X-Robots-Tag: noml on an image response",
            [
                _Img(
                    "/img/header.png",
                    "An otter on a riverbank",
                    ("xrobots:noml",),
                    headers=(("X-Robots-Tag", "noml"),),
                )
            ],
        ),
        _Case(
            "aipref08.s26.test",
            "AIPREF vocab-08 Content-Usage in several field lines on image responses",
            [
                _Img(
                    "/img/refused.png",
                    "A badger at the edge of a wood",
                    ("aipref:train-ai=n",),
                    headers=(("Content-Usage", "ai-use=n"), ("Content-Usage", "train-ai=n")),
                    aipref=("n", "n", None),
                ),
                _Img(
                    "/img/allowed.png",
                    "A hare in a ploughed field",
                    headers=(
                        ("Content-Usage", "train-ai=y"),
                        ("Content-Usage", "ai-use=n, search=y"),
                    ),
                    aipref=("y", "n", "y"),
                ),
                _Img(
                    "/img/overridden.png",
                    "A curlew on a mudflat",
                    ("aipref:train-ai=n",),
                    headers=(("Content-Usage", "train-ai=n"), ("Content-Usage", "train-ai=y")),
                    aipref=("n", None, None),
                ),
                _Img(
                    "/img/unparseable.png",
                    "A stoat on a dry stone wall",
                    headers=(("Content-Usage", "train-ai=y"), ("Content-Usage", "Search=y")),
                    aipref=(None, None, None),
                ),
            ],
        ),
        _Case(
            "aipref08-robots.s26.test",
            "AIPREF vocab-08 in robots.txt: ai-use and search recorded, train-ai=n excludes",
            [
                _Img(
                    "/img/site.png",
                    "A kingfisher on a branch",
                    ("aipref:train-ai=n",),
                    aipref=("n", "y", "y"),
                ),
                _Img("/open/free.png", "A dipper on a wet stone", aipref=("y", "n", None)),
            ],
            robots=(
                "User-Agent: *\nAllow: /\n"
                # Not "/": the page itself (at /) would refuse every row of the host.
                "Content-Usage: /img/ train-ai=n, ai-use=y, search=y\n"
                "Content-Usage: /open/ train-ai=y, ai-use=n\n"
            ),
        ),
        _Case(
            "denied-page.s26.test",
            "a deny-listed page host: every row, whatever its image host",
            [
                _Img("/img/own.png", "A ferry leaving a harbour", _DL, denylisted=True),
                _Img(
                    "http://cdn-ok.s26.test/img/hosted.png",
                    "A crane on a quay",
                    _DL,
                    denylisted=True,
                ),
            ],
        ),
        _Case(
            "clean.s26.test",
            "a clean page with an image on a deny-listed domain's subdomain and one on a "
            "look-alike domain",
            [
                _Img(
                    "http://img.warez.s26.test/img/copied.png",
                    "A tram in the rain",
                    _DL,
                    denylisted=True,
                ),
                _Img("http://notwarez.s26.test/img/own.png", "A bicycle against a wall"),
            ],
        ),
    ]


def _abs(host: str, path: str) -> str:
    return path if "://" in path else f"http://{host}{path}"


def _image_route(url: str, headers: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    data = _png(320, 240, zlib.crc32(url.encode()) % 251, url)
    return {
        "status": 200,
        "headers": [["Content-Type", "image/png"], *[[n, v] for n, v in headers]],
        "body_b64": base64.b64encode(data).decode("ascii"),
    }


def _page(case: _Case) -> str:
    figures = "\n".join(
        f'    <figure><img src="{html.escape(_abs(case.host, i.path))}" '
        f'alt="{html.escape(i.alt)}"><figcaption>{html.escape(i.alt)}</figcaption></figure>'
        for i in case.images
    )
    head = f"\n  {case.head}" if case.head else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{html.escape(case.case)}</title>{head}
</head>
<body>
  <main>
    <h1>{html.escape(case.host)}</h1>
    <p>{html.escape(case.case)}</p>
{figures}
  </main>
</body>
</html>
"""


def _build() -> tuple[dict[str, Any], dict[str, dict[str, Any]], list[str]]:
    hosts: dict[str, Any] = {}
    expected: dict[str, dict[str, Any]] = {}
    seeds: list[str] = []

    def routes(host: str) -> dict[str, Any]:
        entry = hosts.setdefault(
            host,
            {
                "routes": {},
                "default": {"status": 404, "headers": {"Content-Type": _TEXT}, "body": "nf\n"},
            },
        )
        return entry["routes"]  # type: ignore[no-any-return]

    for case in _cases():
        page_routes = routes(case.host)
        page_routes["/"] = {
            "status": 200,
            "headers": [["Content-Type", _HTML], *[[n, v] for n, v in case.headers]],
            "body": _page(case),
        }
        if case.robots is not None:
            page_routes["/robots.txt"] = {
                "status": 200,
                "headers": {"Content-Type": _TEXT},
                "body": case.robots,
            }
        page_url = f"http://{case.host}/"
        seeds.append(page_url)
        for img in case.images:
            url = _abs(case.host, img.path)
            host, _, path = url.split("://", 1)[1].partition("/")
            routes(host)["/" + path] = _image_route(url, img.headers)
            strict = sorted(img.strict)
            standard = strict if img.standard is None else sorted(img.standard)
            expected[url] = {
                "page": page_url,
                "case": case.case,
                "strict": strict,
                "standard": standard,
                "no-denylist": [] if img.denylisted else strict,
                "aipref": None
                if img.aipref is None
                else dict(
                    zip(
                        ("aipref_train_ai", "aipref_ai_use", "aipref_search"),
                        img.aipref,
                        strict=True,
                    )
                ),
            }
    return {"hosts": hosts, "default": {"status": 502, "body": "unknown host"}}, expected, seeds


_SITES, EXPECTED, SEEDS = _build()


def sites() -> dict[str, Any]:
    """The SimWeb sites dict (JSON-serialisable; a fresh copy each call)."""
    return copy.deepcopy(_SITES)
