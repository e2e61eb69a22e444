"""What surrounds an ``<img>``: the texts that may caption it and whether it is page content.

Pure (lxml elements in, plain values out; no Scrapy).

Caption sources (names used by the ``caption_source`` column and the ``CAPTION_SOURCES`` setting):

* ``alt``: the ``alt`` attribute (LAION's only source).
* ``figcaption``: the ``<figcaption>`` of the nearest enclosing ``<figure>`` (HTML5; MediaWiki's
  newer skins render thumbnails as ``figure > figcaption`` too).
* ``thumbcaption``: MediaWiki's ``div.thumbcaption`` beside the image in ``div.thumbinner`` (or
  ``div.gallerytext`` in a ``li.gallerybox``): Wikipedia gives article photos ``alt=""`` and puts
  the caption there.
* ``title``: the ``title`` attribute (off by default: it is often a tooltip, not a description).
* ``og:image:alt`` / ``twitter:image:alt``: for ``og:image`` / ``twitter:image`` candidates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import lxml.html

CAPTION_SOURCE_NAMES = (
    "alt",
    "figcaption",
    "thumbcaption",
    "title",
    "og:image:alt",
    "twitter:image:alt",
)
# How far up from the <img> a MediaWiki thumbnail box is looked for (img < a < div.thumbinner;
# a packed gallery: img < a < div < div.thumb < div < li.gallerybox).
_THUMB_DEPTH = 6
_CONTENT_TAGS = frozenset({"main", "article"})
_BOILERPLATE_TAGS = frozenset({"header", "footer", "nav", "aside"})
_CONTENT_ROLES = frozenset({"main", "article"})
_BOILERPLATE_ROLES = frozenset({"banner", "contentinfo", "navigation", "complementary"})


def clean_text(value: str | None) -> str:
    """Collapse whitespace and trim (callers unescape where needed)."""
    if not value:
        return ""
    return " ".join(value.split())


def figcaption_text(img: lxml.html.HtmlElement) -> str | None:
    for figure in img.iterancestors("figure"):
        # The first <figcaption> below it in document order, as ``find(".//figcaption")``,
        # without ElementPath's per-call overhead (every image of a page asks).
        cap = next(figure.iter("figcaption"), None)
        if cap is not None:
            return clean_text(cap.text_content()) or None
        return None
    return None


def thumbcaption_text(img: lxml.html.HtmlElement) -> str | None:
    """MediaWiki's caption of a thumbnail (``div.thumbinner > div.thumbcaption``), of one image
    of a multiple-image box (``div.tsingle > div.thumbcaption``) or of a gallery image
    (``li.gallerybox div.gallerytext``), if the image sits in one."""
    depth = 0
    for ancestor in img.iterancestors():
        depth += 1
        if depth > _THUMB_DEPTH:
            return None
        cls = ancestor.get("class")
        if not cls:
            continue
        classes = cls.split()
        if "tsingle" in classes or "thumbinner" in classes or "thumb" in classes:
            wanted = "thumbcaption"
        elif "gallerybox" in classes:
            wanted = "gallerytext"
        else:
            continue
        for div in ancestor.iter("div"):
            div_cls = div.get("class")
            if div_cls and wanted in div_cls.split():
                return clean_text(div.text_content()) or None
        # a gallery's inner div.thumb has no caption: its li.gallerybox, further up, does
    return None


def in_main_content(element: lxml.html.HtmlElement) -> bool | None:
    """Whether an element is page content: True inside ``<main>``/``<article>`` (or an ARIA
    ``main``/``article`` role), False inside ``<header>``/``<footer>``/``<nav>``/``<aside>`` (or
    ``banner``/``contentinfo``/``navigation``/``complementary``) that is not itself within the
    content, None when the page marks up neither.

    The nearest marker decides, except that a header or footer inside an article is the
    article's own (HTML: ``header`` is a page banner only outside sectioning content), so an
    article's lead photo in its ``<header>`` is content while a ``<nav>``/``<aside>`` of related
    links inside an article is not. One page's elements share a ``ContentLocator`` to walk each
    ancestor once.
    """
    return ContentLocator()(element)


_CONTENT, _NAV_ASIDE, _BOILERPLATE, _UNMARKED = range(4)
_ANSWER = {_CONTENT: True, _NAV_ASIDE: False, _BOILERPLATE: False, _UNMARKED: None}


def _marker(element: lxml.html.HtmlElement) -> int | None:
    """What an element itself marks: content, nav/aside, header/footer, or nothing (None)."""
    tag = element.tag if isinstance(element.tag, str) else ""
    role = element.get("role")
    role = role.strip().lower() if role else ""
    if tag in _CONTENT_TAGS or role in _CONTENT_ROLES:
        return _CONTENT
    if tag in ("nav", "aside") or role in ("navigation", "complementary"):
        return _NAV_ASIDE
    if tag in _BOILERPLATE_TAGS or role in _BOILERPLATE_ROLES:
        return _BOILERPLATE
    return None


class ContentLocator:
    """``in_main_content`` for many elements of one page, each ancestor judged once."""

    def __init__(self) -> None:
        self._state: dict[lxml.html.HtmlElement, int] = {}

    def __call__(self, element: lxml.html.HtmlElement) -> bool | None:
        chain: list[lxml.html.HtmlElement] = []
        state = _UNMARKED
        for ancestor in element.iterancestors():
            known = self._state.get(ancestor)
            if known is not None:
                state = known
                break
            chain.append(ancestor)
        for ancestor in reversed(chain):  # from the top down: each state from its parent's
            mark = _marker(ancestor)
            if mark in (_CONTENT, _NAV_ASIDE):
                state = mark
            elif mark == _BOILERPLATE and state == _UNMARKED:
                state = _BOILERPLATE
            self._state[ancestor] = state
        return _ANSWER[state]


DEFAULT_CAPTION_SOURCES = ("alt", "figcaption", "thumbcaption", "og:image:alt", "twitter:image:alt")


def check_caption_sources(sources: Iterable[str]) -> tuple[str, ...]:
    """The ``CAPTION_SOURCES`` setting, validated (a typo would silently drop every caption)."""
    names = tuple(s.strip().lower() for s in sources if s and s.strip())
    unknown = [s for s in names if s not in CAPTION_SOURCE_NAMES]
    if unknown:
        raise ValueError(
            f"unknown caption source(s) {', '.join(unknown)}; "
            f"known: {', '.join(CAPTION_SOURCE_NAMES)}"
        )
    return names


def pick_caption(texts: Mapping[str, str | None], sources: Iterable[str]) -> tuple[str, str | None]:
    """(caption, source): the first non-empty text among ``sources``, in their order.

    ``pick_caption(texts, ["alt"])`` is LAION's rule: the alt text or nothing.
    """
    for source in sources:
        text = texts.get(source)
        if text:
            return text, source
    return "", None
