"""Which URL an ``<img>`` really shows: placeholders give way to lazy-loading attributes.

Pure (lxml elements in, strings out; no Scrapy). The rules, each taught by real pages in
``shared/corpus/html-pages`` (tests/core/test_imagesrc.py names the page for each):

* ``src`` stays the image unless it is a *placeholder*: empty, a ``data:`` URI, a file name that
  says so (``blank.gif``, ``lazy_placeholder.gif``, ``missing-image.svg``, ``grey.gif``, ...), a
  GIF/SVG standing in for a non-GIF lazy URL, a ``src`` shared by several lazy images on the page,
  or any ``src`` of an element marked lazy by its class (lazysizes ``lazyload``, Lazy Load XT
  ``lazy-hidden``, bLazy ``b-lazy``, ...), whose ``src`` is by convention a low-quality stand-in.
* A placeholder gives way to the first lazy URL attribute (``LAZY_SRC_ATTRIBUTES``), else to the
  largest candidate of the lazy/real ``srcset`` and the ``<source>`` elements of an enclosing
  ``<picture>``.
* "Largest" is decided the same way everywhere (``parse_srcset``): a ``w`` width outranks any
  ``x`` density, which outranks a candidate without descriptor.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeGuard

import lxml.html

# Lazy-loading attributes holding the real URL, most common first. Only read when ``src`` is a
# placeholder, so an alternate such as WordPress' ``data-orig-file`` never overrides a real src.
LAZY_SRC_ATTRIBUTES = (
    "data-src",  # lazysizes, Lazy Load XT, bLazy, most themes
    "data-lazy-src",  # WordPress: WP Rocket, a3 Lazy Load, Jetpack
    "data-original",  # jQuery Lazy Load (tuupola)
    "data-lazy",  # slick / vanilla-lazyload variants
    "data-lazyload",
    "data-lazy-load",
    "data-origin",
    "data-n-src",
    "data-dejavu-src",
    "data-hi-res-src",
    "data-high-res-src",
    "data-src-retina",
    "data-lg-src",
    "data-fallback-src",
)
SRCSET_ATTRIBUTES = ("srcset", "data-srcset", "data-lazy-srcset")
# Classes that mark an element for a lazy loader: its ``src`` is a stand-in by convention.
LAZY_CLASSES = frozenset(
    {"lazy", "lazyload", "lazyloaded", "lazy-hidden", "lazy-loaded", "b-lazy", "js-lazyloading",
     "is-lazy", "lazy-image", "lazy-img", "lazyautosizes"}
)  # fmt: skip
# File names of known placeholders: the last path segment's stem contains one of these words.
PLACEHOLDER_NAME = re.compile(
    r"(?:^|[-_./])(?:blank|spacer|shim|transparent|trans|placeholder|lazy[-_]?placeholder|"
    r"lazyload[\w-]*|lazy[-_]loading[\w-]*|image[-_]lazy|loader|preloader\w*|loading|spinner|"
    r"grey|gray|empty|missing[-_]image|image[-_]placeholder\w*|pixel|1x1|dummy|e151e5)"
    r"(?:[-_.]|$)",
    re.IGNORECASE,
)

STRONG_PLACEHOLDER_NAME = re.compile(
    r"(?:placeholder|blank|spacer|transparent|lazy[-_]?load|missing[-_]image)[^/]*$", re.IGNORECASE
)


@dataclass(slots=True)
class ImageSource:
    """The URL chosen for one ``<img>`` (raw, unresolved) and how it was found."""

    raw: str | None  # the chosen raw URL (None: the element names no usable image)
    attribute: str  # where it came from: "src", "data-src", "srcset", "picture", ...
    srcset: list[str] = field(default_factory=list)  # every srcset/<source> candidate, raw
    replaced: str | None = None  # the placeholder src that gave way, if any
    placeholder: bool = False  # the chosen URL is itself a recognised placeholder


def parse_srcset(value: str) -> list[tuple[str, float]]:
    """``srcset`` candidates as (url, size): ``w`` widths, else ``x`` densities, else 0.

    Follows the HTML "parse a srcset attribute" steps: a URL is a run of non-whitespace (commas
    inside it are kept, trailing commas end the candidate), then descriptors up to a comma.
    """
    out: list[tuple[str, float]] = []
    pos, n = 0, len(value)
    while pos < n:
        while pos < n and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        start = pos
        while pos < n and not value[pos].isspace():
            pos += 1
        url = value[start:pos]
        if not url:
            break
        descriptor = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            comma = value.find(",", pos)
            end = n if comma == -1 else comma
            descriptor = value[pos:end].strip().lower()
            pos = end + 1
        size = 0.0
        if descriptor[-1:] in ("w", "x"):
            try:
                size = float(descriptor[:-1])
            except ValueError:
                size = 0.0
            if descriptor.endswith("w"):
                size *= 1000.0  # a width outranks any density
        if url:
            out.append((url, size))
    return out


def largest(candidates: Iterable[tuple[str, float]]) -> str | None:
    """The largest srcset candidate; the first one on a tie (document order)."""
    best: tuple[str, float] | None = None
    for cand in candidates:
        if best is None or cand[1] > best[1]:
            best = cand
    return best[0] if best else None


def usable(raw: str | None) -> TypeGuard[str]:
    return bool(raw and raw.strip() and not raw.strip().startswith(("data:", "about:")))


def is_placeholder_name(raw: str) -> bool:
    """Whether a URL's file name says it is a placeholder (``blank.gif``, ``grey.gif``...)."""
    path = raw.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    name = path.rsplit("/", 1)[-1]
    return bool(name) and PLACEHOLDER_NAME.search(name) is not None


# Foundation Interchange syntax: "[url, (default)], [url2, (large)]" (austria.info's data-lazy).
_INTERCHANGE = re.compile(r"\[\s*([^,\]\s]+)\s*,\s*\(([^)]*)\)\s*\]")


def lazy_value_url(value: str) -> str | None:
    """The URL in a lazy attribute's value: a plain URL, the last (widest) rule of a Foundation
    Interchange list, or the largest candidate when the value is a srcset."""
    value = value.strip()
    if value.startswith("["):
        rules = _INTERCHANGE.findall(value)
        return rules[-1][0] if rules else None
    if any(ch.isspace() for ch in value):
        return largest(parse_srcset(value))
    return value


def _lazy_url(img: lxml.html.HtmlElement) -> tuple[str, str] | None:
    if not any(name.startswith("data-") for name in img.attrib):
        return None  # most images: no lazy attribute at all
    for attr in LAZY_SRC_ATTRIBUTES:
        value = img.get(attr)
        if usable(value):
            url = lazy_value_url(value)
            if usable(url):
                return url, attr
    return None


def _srcsets(img: lxml.html.HtmlElement) -> list[tuple[str, str, list[tuple[str, float]]]]:
    """(attribute, raw value, parsed) of the element's own srcset-like attributes and, inside a
    ``<picture>``, of its ``<source>`` elements (each labelled ``picture``)."""
    found: list[tuple[str, str, list[tuple[str, float]]]] = []
    for attr in SRCSET_ATTRIBUTES:
        value = img.get(attr)
        if value and not value.strip().startswith("data:"):
            parsed = [c for c in parse_srcset(value) if usable(c[0])]
            if parsed:
                found.append((attr, value, parsed))
    picture = _enclosing_picture(img)
    if picture is not None:
        for source in picture.iter("source"):
            for attr in SRCSET_ATTRIBUTES:
                value = source.get(attr)
                if value:
                    parsed = [c for c in parse_srcset(value) if usable(c[0])]
                    if parsed:
                        found.append(("picture", value, parsed))
                        break
    return found


def _enclosing_picture(img: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """The ``<picture>`` around an ``<img>``. libxml2's HTML 4 parser does not know ``<source>``
    is void, so the ``<img>`` may be nested inside the ``<source>`` elements before it."""
    for depth, ancestor in enumerate(img.iterancestors()):
        if ancestor.tag == "picture":
            return ancestor
        if depth >= 4 or ancestor.tag != "source":
            return None
    return None


def shared_placeholders(imgs: Iterable[lxml.html.HtmlElement]) -> frozenset[str]:
    """``src`` values that several lazy images of one page share: stand-ins, not pictures.

    An image with a lazy attribute naming a different URL than its ``src`` votes for that
    ``src``; two votes make it a placeholder (livescience.com shows one SVG under three captions).
    """
    votes: Counter[str] = Counter()
    for img in imgs:
        src = (img.get("src") or "").strip()
        if not usable(src):
            continue
        lazy = _lazy_url(img)
        if lazy is not None and lazy[0] != src:
            votes[src] += 1
    return frozenset(src for src, n in votes.items() if n >= 2)


def _lazy_classed(img: lxml.html.HtmlElement) -> bool:
    cls = img.get("class")
    return bool(cls) and not LAZY_CLASSES.isdisjoint(cls.lower().split())


def choose_source(img: lxml.html.HtmlElement, shared: frozenset[str] = frozenset()) -> ImageSource:
    """The real image URL of one ``<img>`` (see the module docstring for the rules)."""
    src = (img.get("src") or "").strip()
    lazy = _lazy_url(img)
    srcsets = _srcsets(img)
    all_candidates = [c for _, _, parsed in srcsets for c in parsed]
    srcset_urls = list(dict.fromkeys(url for url, _ in all_candidates))
    alternative = lazy is not None or bool(srcsets)
    if usable(src):
        named_placeholder = is_placeholder_name(src)
        lazy_src = lazy[0] if lazy is not None else src  # no lazy URL: nothing differs
        lazy_differs = lazy_src != src
        stand_in = alternative and (
            named_placeholder
            or src in shared
            or (lazy_differs and _lazy_classed(img))
            or (lazy_differs and _vector_or_gif(src) and not _vector_or_gif(lazy_src))
        )
        if not stand_in:
            # Without an alternative the src is the image, but a clear placeholder name still
            # marks it (for the quality:placeholder filter); a word like "gray" alone does not.
            placeholder = named_placeholder and (
                _vector_or_gif(src) or STRONG_PLACEHOLDER_NAME.search(src) is not None
            )
            return ImageSource(src, "src", srcset_urls, placeholder=placeholder)
        replaced: str | None = src
    else:
        replaced = src or None
    if lazy is not None:
        return ImageSource(lazy[0], lazy[1], srcset_urls, replaced)
    if srcsets:
        best = largest(all_candidates)
        attribute = next(attr for attr, _, parsed in srcsets if any(c[0] == best for c in parsed))
        return ImageSource(best, attribute, srcset_urls, replaced)
    return ImageSource(None, "src", srcset_urls, replaced)


def _vector_or_gif(raw: str) -> bool:
    path = raw.split("?", 1)[0].lower()
    return path.endswith((".gif", ".svg"))
