"""Simulated hosts for RSL 1.0 (crawler/consent/rsl.py), one case per host.

Each host shows one way an RSL licence reaches the crawl (RSL 1.0 §4) or one decision:

- ``composed.rsl.test``: a global robots.txt ``License:`` line naming the composed licence of
  tests/data/rsl/composed-site.xml (``/`` prohibits ai-train, ``/open/*`` for attribution,
  ``/photos/*.jpg$`` paid through a licence server): the most specific ``<content>`` wins.
- ``grouped.rsl.test``: a ``License:`` line in our token's group overrides the global one (a
  free licence instead of a prohibiting one; the global file is never fetched).
- ``otherbot.rsl.test``: a ``License:`` line in another bot's group does not apply to us: the
  global one (prohibiting) does.
- ``imagelink.rsl.test``: ``Link: <…>; rel="license"; type="application/rsl+xml"`` on image
  responses (``url=""``: the image itself): free for one image, a purchase for the other.
- ``htmllink.rsl.test``: HTML ``<link rel="license" type="application/rsl+xml">``: a permits
  list without ai-train on one page, a free licence on the other.
- ``inline.rsl.test``: inline ``<script type="application/rsl+xml">``: attribution (with a
  ``<copyright>`` holder) on one page, ``ai-all`` prohibited on the other.
- ``cap.rsl.test``: the licence-required response (CAP, §6): ``401`` with
  ``WWW-Authenticate: License …`` on a page and on an image.
- ``missing.rsl.test`` / ``garbled.rsl.test``: robots.txt names a licence that answers 404 /
  that is not XML: unlicensed (§4.9), excluded under ``strict``, unknown under ``standard``.

``rsl_sites()`` is the SimWeb sites dict; ``RSL_SEEDS`` the page URLs; ``RSL_EXPECTED`` maps each
image URL to its page and its exact sorted exclusion reasons per run (``strict``, ``standard``,
``off`` = strict with ``RSL_ENABLED=false``); ``RSL_PAGES_EXCLUDED`` the pages refused whole;
``RSL_ATTRIBUTION`` the ``rsl_attribution`` column of kept rows that have one;
``RSL_NEVER_FETCHED`` licence URLs the crawl must not request (overridden or other bots').
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler.simweb.demo import _image_route

__all__ = [
    "RSL_ATTRIBUTION",
    "RSL_EXPECTED",
    "RSL_NEVER_FETCHED",
    "RSL_PAGES_EXCLUDED",
    "RSL_SEEDS",
    "rsl_sites",
]

_DATA = Path(__file__).resolve().parent.parent / "data" / "rsl"
_RSL = "application/rsl+xml"
_TEXT = "text/plain; charset=utf-8"
_NS = "https://rslstandard.org/rsl"
# RSL guide "HTTP" (https://rslstandard.org/guide/http): the licence-required challenge.
_CHALLENGE = (
    'License error="invalid_request", '
    'error_description="Access to this resource requires a valid license"'
)


def _rsl(url: str, body: str, copyright_holder: str = "") -> str:
    holder = f"<copyright>{copyright_holder}</copyright>" if copyright_holder else ""
    return (
        f'<rsl xmlns="{_NS}"><content url="{url}">{holder}<license>{body}</license></content></rsl>'
    )


FREE = '<permits type="usage">ai-train</permits><payment type="free"/>'
PROHIBITS = '<prohibits type="usage">ai-train</prohibits>'
PROHIBITS_ALL = '<prohibits type="usage">ai-all</prohibits>'
SEARCH_ONLY = '<permits type="usage">search ai-index</permits>'
PURCHASE = (
    '<permits type="usage">all</permits>'
    '<payment type="purchase"><amount currency="USD">5.00</amount></payment>'
)
ATTRIBUTION = '<permits type="usage">all</permits><payment type="attribution"/>'
PAID_TRAINING = (
    '<permits type="usage">ai-train</permits>'
    '<payment type="training"><amount currency="EUR">0.01</amount></payment>'
)

P = "rsl:prohibits=ai-train"
NP = "rsl:not-permitted=ai-train"
PAY = "rsl:payment-required"
LR = "rsl:license-required"


@dataclass(frozen=True)
class _Img:
    src: str  # path on the page's host
    strict: tuple[str, ...] = ()  # sorted reasons, strict policy ([] kept)
    standard: tuple[str, ...] | None = None  # None: as strict
    off: tuple[str, ...] = ()  # RSL_ENABLED=false
    headers: tuple[tuple[str, str], ...] = ()
    status: int = 200
    attribution: str | None = None  # rsl_attribution of the kept row (strict)


@dataclass(frozen=True)
class _Page:
    path: str
    images: tuple[_Img, ...] = ()
    head: str = ""
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    excluded: tuple[str, ...] = ()  # a page refused whole (no image rows)


@dataclass(frozen=True)
class _Host:
    name: str
    robots: str
    pages: tuple[_Page, ...]
    files: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # path -> route
    never: tuple[str, ...] = ()  # paths never requested


def _doc(body: str) -> tuple[int, str, str]:
    return (200, _RSL, body)


def _link(url: str) -> tuple[str, str]:
    return ("Link", f'<{url}>; rel="license"; type="{_RSL}"')


def _hosts() -> list[_Host]:
    composed = "http://composed.rsl.test/license.xml"
    return [
        _Host(
            "composed.rsl.test",
            f"License: {composed}\n\nUser-agent: *\nAllow: /\n",
            (
                _Page(
                    "/open/gallery.html",
                    (
                        _Img("/open/cover.png", attribution=composed),
                        _Img("/img/a.png", (P,)),
                        _Img("/photos/p1.jpg", (PAY,)),
                    ),
                ),
            ),
            {"/license.xml": _doc((_DATA / "composed-site.xml").read_text())},
        ),
        _Host(
            "grouped.rsl.test",
            "License: http://grouped.rsl.test/all-rights.xml\n\n"
            "User-agent: consentcrawl\nLicense: http://grouped.rsl.test/free.xml\nAllow: /\n\n"
            "User-agent: *\nAllow: /\n",
            (_Page("/gallery.html", (_Img("/img/g.png"),)),),
            {
                "/all-rights.xml": _doc(_rsl("/", PROHIBITS)),
                "/free.xml": _doc(_rsl("/", FREE)),
            },
            never=("/all-rights.xml",),
        ),
        _Host(
            "otherbot.rsl.test",
            "License: http://otherbot.rsl.test/no-training.xml\n\n"
            "User-agent: GPTBot\nLicense: http://otherbot.rsl.test/paid.xml\nDisallow:\n\n"
            "User-agent: *\nAllow: /\n",
            (_Page("/gallery.html", (_Img("/img/o.png", (P,)),)),),
            {
                "/no-training.xml": _doc(_rsl("/", PROHIBITS)),
                "/paid.xml": _doc(_rsl("/", PAID_TRAINING)),
            },
            never=("/paid.xml",),
        ),
        _Host(
            "imagelink.rsl.test",
            "User-agent: *\nAllow: /\n",
            (
                _Page(
                    "/gallery.html",
                    (
                        _Img(
                            "/img/free.png",
                            headers=(_link("http://imagelink.rsl.test/rsl/free-image.xml"),),
                        ),
                        _Img(
                            "/img/paid.png",
                            (PAY,),
                            headers=(_link("/rsl/paid-image.xml"),),  # relative: RFC 8288
                        ),
                    ),
                ),
            ),
            {
                "/rsl/free-image.xml": _doc(_rsl("", FREE)),
                "/rsl/paid-image.xml": _doc(_rsl("", PURCHASE)),
            },
        ),
        _Host(
            "htmllink.rsl.test",
            "User-agent: *\nAllow: /\n",
            (
                _Page(
                    "/search-only.html",
                    (_Img("/img/s.png", (NP,)),),
                    head=f'<link rel="license" type="{_RSL}" href="/rsl/search-only.xml">',
                ),
                _Page(
                    "/free.html",
                    (_Img("/img/f.png"),),
                    head=f'<link rel="license" type="{_RSL}" href="/rsl/free.xml">',
                ),
            ),
            {
                "/rsl/search-only.xml": _doc(_rsl("/", SEARCH_ONLY)),
                "/rsl/free.xml": _doc(_rsl("/", FREE)),
            },
        ),
        _Host(
            "inline.rsl.test",
            "User-agent: *\nAllow: /\n",
            (
                _Page(
                    "/credit.html",
                    (
                        _Img(
                            "/img/c.png",
                            attribution="Inline Photo Co (inline:http://inline.rsl.test/credit.html)",
                        ),
                    ),
                    head=f'<script type="{_RSL}">'
                    + _rsl("/", ATTRIBUTION, "Inline Photo Co")
                    + "</script>",
                ),
                _Page(
                    "/closed.html",
                    (_Img("/img/x.png", (P,)),),
                    head=f'<script type="{_RSL}">' + _rsl("", PROHIBITS_ALL) + "</script>",
                ),
            ),
        ),
        _Host(
            "cap.rsl.test",
            "User-agent: *\nAllow: /\n",
            (
                _Page(
                    "/gallery.html",
                    (
                        _Img("/img/open.png"),
                        _Img(
                            "/img/locked.png",
                            # The probe read no image either: probe:failed under strict
                            # (unverifiable), apart from the refusal (rsl).
                            ("probe:failed", LR),
                            standard=(LR,),
                            off=("probe:failed",),
                            status=401,
                            headers=(("WWW-Authenticate", _CHALLENGE),),
                        ),
                    ),
                ),
                _Page(
                    "/locked.html",
                    status=401,
                    headers=(("WWW-Authenticate", _CHALLENGE),),
                    excluded=(LR,),
                ),
            ),
        ),
        _Host(
            "missing.rsl.test",
            "License: http://missing.rsl.test/license.xml\n\nUser-agent: *\nAllow: /\n",
            (
                _Page(
                    "/gallery.html",
                    (_Img("/img/m.png", ("rsl:unreachable",), standard=()),),
                ),
            ),
        ),
        _Host(
            "garbled.rsl.test",
            "License: http://garbled.rsl.test/license.xml\n\nUser-agent: *\nAllow: /\n",
            (
                _Page(
                    "/gallery.html",
                    (_Img("/img/u.png", ("rsl:unreadable",), standard=()),),
                ),
            ),
            {"/license.xml": (200, "text/html; charset=utf-8", "<html><p>licence")},
        ),
    ]


def _render(host: _Host, page: _Page) -> str:
    figures = "\n".join(
        f'    <img src="{html.escape(img.src)}" alt="Photograph {html.escape(img.src)}" '
        'width="320" height="240">'
        for img in page.images
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{html.escape(page.path)} | {host.name}</title>
  {page.head}
</head>
<body>
  <main>
    <h1>{html.escape(host.name)}</h1>
{figures}
  </main>
</body>
</html>
"""


def rsl_sites() -> dict[str, Any]:
    """The SimWeb sites dict (a fresh one per call)."""
    hosts: dict[str, Any] = {}
    for host in _hosts():
        routes: dict[str, Any] = {
            "/robots.txt": {"status": 200, "headers": {"Content-Type": _TEXT}, "body": host.robots}
        }
        for page in host.pages:
            body = _render(host, page) if page.status == 200 else "licence required"
            routes[page.path] = {
                "status": page.status,
                "headers": [
                    ["Content-Type", "text/html; charset=utf-8"],
                    *[list(h) for h in page.headers],
                ],
                "body": body,
            }
            for img in page.images:
                route = _image_route(f"http://{host.name}{img.src}", img.headers)
                route["status"] = img.status
                routes[img.src] = route
        for path, (status, ctype, body) in host.files.items():
            routes[path] = {"status": status, "headers": {"Content-Type": ctype}, "body": body}
        hosts[host.name] = {"routes": routes}
    return {"hosts": hosts}


def _expected() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for host in _hosts():
        for page in host.pages:
            for img in page.images:
                out[f"http://{host.name}{img.src}"] = {
                    "page": f"http://{host.name}{page.path}",
                    "strict": sorted(img.strict),
                    "standard": sorted(img.strict if img.standard is None else img.standard),
                    "off": sorted(img.off),
                    "attribution": img.attribution,
                }
    return out


RSL_SEEDS = [f"http://{h.name}{p.path}" for h in _hosts() for p in h.pages]
RSL_EXPECTED = _expected()
RSL_PAGES_EXCLUDED = {
    f"http://{h.name}{p.path}": sorted(p.excluded) for h in _hosts() for p in h.pages if p.excluded
}
RSL_ATTRIBUTION = {
    url: e["attribution"] for url, e in RSL_EXPECTED.items() if e["attribution"] is not None
}
RSL_NEVER_FETCHED = [f"http://{h.name}{path}" for h in _hosts() for path in h.never]
