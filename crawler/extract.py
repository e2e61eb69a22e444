"""Extract image candidates, links and meta tags from one HTML page (pure: lxml, no Scrapy).

This is the crawl's hot path, so it parses once with lxml and walks the tree once; the parsed
root is handed on (licence detection reads the same tree) instead of being parsed again.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from crawler.imagecontext import ContentLocator, figcaption_text, thumbcaption_text
from crawler.imagesrc import (
    LAZY_SRC_ATTRIBUTES,
    SRCSET_ATTRIBUTES,
    ImageSource,
    choose_source,
    parse_srcset,
    shared_placeholders,
)

__all__ = [
    "LAZY_SRC_ATTRIBUTES",
    "SRCSET_ATTRIBUTES",
    "Candidate",
    "PageExtract",
    "absolute_http_url",
    "clean_text",
    "extract_page",
    "parse_html",
    "parse_srcset",
]


_parsers: dict[str | None, etree.HTMLParser] = {}


def _parser(encoding: str | None) -> etree.HTMLParser:
    parser = _parsers.get(encoding)
    if parser is None:
        try:
            parser = lxml.html.HTMLParser(encoding=encoding, remove_comments=True, huge_tree=True)
        except LookupError:
            parser = lxml.html.HTMLParser(remove_comments=True, huge_tree=True)
        _parsers[encoding] = parser
    return parser


@dataclass(slots=True)
class Candidate:
    """One image of a page (an ``<img>``, or an ``og:image``/``twitter:image`` declaration), its
    URL, the texts that may caption it, and how both were found.

    ``caption`` is the ``alt`` text; the caption pipeline replaces it with the first non-empty
    text among the allowed sources (``caption_texts``) and records which in ``caption_source``.
    """

    url: str
    caption: str
    title: str | None = None
    figcaption: str | None = None
    width: int | None = None  # declared (attribute / og:image:width), not measured
    height: int | None = None
    srcset: list[str] = field(default_factory=list)  # every srcset/<source> candidate
    thumbcaption: str | None = None
    og_alt: str | None = None  # og:image:alt (for an <img> showing the og:image too)
    twitter_alt: str | None = None
    image_source: str = "img"  # "img" | "og:image" | "twitter:image"
    url_attribute: str = "src"  # src, data-src, srcset, picture, noscript, meta, ...
    replaced_src: str | None = None  # the placeholder src that gave way to ``url``
    placeholder: bool = False  # ``url`` itself looks like a placeholder, and no better one
    same_url_captions: int = 1  # distinct alt texts this URL has on the page
    in_main_content: bool | None = None  # inside <main>/<article>; None: page does not say

    def caption_texts(self) -> dict[str, str]:
        """Non-empty caption texts by source name (see crawler.imagecontext)."""
        texts = {
            "alt": self.caption,
            "figcaption": self.figcaption,
            "thumbcaption": self.thumbcaption,
            "title": self.title,
            "og:image:alt": self.og_alt,
            "twitter:image:alt": self.twitter_alt,
        }
        return {name: text for name, text in texts.items() if text}


@dataclass(slots=True)
class PageExtract:
    base_url: str
    candidates: list[Candidate]
    links: list[str]
    meta: dict[str, list[str]]  # lowercased meta name -> contents, in document order
    root: lxml.html.HtmlElement | None = None
    # Bounds (issue 10): <img> elements past ``max_candidates`` (counted, not extracted), the
    # first of them, and whether the parser stopped early (nesting deeper than libxml2 allows).
    over_cap: int = 0
    first_over_cap: Candidate | None = None
    cut: str | None = None


def clean_text(value: str | None) -> str:
    """HTML-unescape, collapse whitespace, trim.

    lxml already decodes entities once; a second unescape handles the double-escaped alt text
    CMSes often emit (``Tom &amp;amp; Jerry``).
    """
    if not value:
        return ""
    if "&" in value:
        value = html.unescape(value)
    return " ".join(value.split())


def absolute_http_url(base: str, raw: str | None) -> str | None:
    """Resolve ``raw`` against ``base``; drop the fragment; None unless the result is http(s)."""
    if not raw:
        return None
    raw = raw.strip()
    if not raw or raw.startswith(("data:", "javascript:", "#", "mailto:", "tel:")):
        return None
    # Fast paths for the common shapes (urljoin costs ~5 us a call, and a page has dozens):
    # an absolute http(s) URL, and a root-relative path without dot segments.
    if raw.startswith(("http://", "https://")) and "/." not in raw and "\\" not in raw:
        url = raw
    elif raw[0] == "/" and raw[1:2] != "/" and "/." not in raw and "\\" not in raw:
        url = _origin(base) + raw
    else:
        try:
            url = urljoin(base, raw)
        except ValueError:
            return None
    hash_pos = url.find("#")
    if hash_pos != -1:
        url = url[:hash_pos]
    if url.startswith("http://"):
        start = 7
    elif url.startswith("https://"):
        start = 8
    else:
        return None
    if "\t" in url or "\n" in url or "\r" in url:  # urlsplit removes these first
        return url if _has_hostname(url) else None
    # The host is decided by the netloc alone (what urlsplit splits off: up to the first "/",
    # "?" or "#"), and a page's URLs share a few: remember the answer per netloc.
    end = len(url)
    for sep in "/?#":
        pos = url.find(sep, start)
        if pos != -1 and pos < end:
            end = pos
    netloc = url[start:end]
    ok = _netlocs.get(netloc)
    if ok is None:
        if len(_netlocs) > 4096:
            _netlocs.clear()
        ok = _netlocs[netloc] = _has_hostname("http://" + netloc)
    return url if ok else None


def _has_hostname(url: str) -> bool:
    """Whether urlsplit finds a host in ``url`` (False where it refuses the URL)."""
    try:
        return bool(urlsplit(url).hostname)
    except ValueError:
        return False


_netlocs: dict[str, bool] = {}
_origins: dict[str, str] = {}


def _origin(base: str) -> str:
    """``scheme://netloc`` of ``base`` (remembered: one page resolves many links against it)."""
    origin = _origins.get(base)
    if origin is None:
        if len(_origins) > 1024:
            _origins.clear()
        parts = urlsplit(base)
        origin = _origins[base] = f"{parts.scheme}://{parts.netloc}"
    return origin


def _int_attribute(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    if value.endswith("px"):
        value = value[:-2].strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def parse_html(body: bytes, encoding: str | None = None) -> lxml.html.HtmlElement | None:
    if not body or not body.strip():
        return None
    try:
        return lxml.html.document_fromstring(body, parser=_parser(encoding))
    except (etree.ParserError, ValueError):
        return None


def _parse_cut(encoding: str | None) -> str | None:
    """Why the last parse with this encoding's parser stopped early, if it did.

    Even with ``huge_tree`` libxml2 stops at nesting depth 2048 ("Excessive depth in document")
    and silently drops the rest of the page.
    """
    parser = _parsers.get(encoding) or _parsers.get(None)
    if parser is None:
        return None
    for entry in parser.error_log:
        if "Excessive depth" in entry.message:
            return entry.message.strip()[:200]
    return None


def extract_page(
    body: bytes,
    page_url: str,
    encoding: str | None = None,
    *,
    keep_root: bool = False,
    max_candidates: int | None = None,
) -> PageExtract:
    """Candidates (one per distinct URL and caption texts), followable links and meta tags.

    With ``max_candidates``, ``<img>`` elements past that many candidates are only counted.
    """
    root = parse_html(body, encoding)
    cut = _parse_cut(encoding) if root is not None else None
    if root is None:
        return PageExtract(page_url, [], [], {})
    base_url = page_url
    base = root.find(".//base[@href]")
    if base is not None:
        resolved = absolute_http_url(page_url, base.get("href"))
        if resolved:
            base_url = resolved

    candidates = _Candidates()
    links: list[str] = []
    seen_links: set[str] = set()
    meta: dict[str, list[str]] = {}
    social: list[tuple[str, str]] = []  # (og/twitter property, content) in document order
    shared = shared_placeholders(root.iter("img"))
    locate = ContentLocator()
    over_cap, first_over_cap = 0, None
    cap = max_candidates if max_candidates is not None and max_candidates >= 0 else -1

    for el in root.iter("img", "a", "area", "meta", "noscript"):
        tag = el.tag
        if tag == "img":
            if len(candidates.items) == cap:
                over_cap += 1
                if first_over_cap is None:
                    first_over_cap = _candidate(el, base_url, shared, locate)
                continue
            candidates.add(_candidate(el, base_url, shared, locate))
        elif tag == "meta":
            name = el.get("name")
            if name:
                name = name.strip().lower()
                meta.setdefault(name, []).append(el.get("content") or "")
                if name.startswith("twitter:image"):
                    social.append((name, el.get("content") or ""))
            prop = el.get("property")
            if prop:
                prop = prop.strip().lower()
                if prop.startswith(("og:image", "twitter:image")):
                    social.append((prop, el.get("content") or ""))
        elif tag == "noscript":
            # A <noscript> lxml kept as text (it does so in <head> and some broken markup)
            # still names the real image of a lazy page: parse it as a fragment.
            text = el.text
            if text and "<img" in text:
                for img in _fragment_images(text):
                    cand = _candidate(img, base_url, shared, locate, context=el)
                    if cand is not None:
                        cand.url_attribute = f"noscript:{cand.url_attribute}"
                    candidates.add(cand)
        else:
            rel = el.get("rel")
            if rel and "nofollow" in rel.lower().split():
                continue
            url = absolute_http_url(base_url, el.get("href"))
            if url and url not in seen_links:
                seen_links.add(url)
                links.append(url)
    for cand in _social_candidates(social, base_url):
        candidates.add_declared(cand)
    return PageExtract(
        base_url,
        candidates.finish(),
        links,
        meta,
        root if keep_root else None,
        over_cap,
        first_over_cap,
        cut,
    )


class _Candidates:
    """Candidates of one page in document order, one per URL and set of caption texts."""

    def __init__(self) -> None:
        self.items: list[Candidate] = []
        self.keys: set[tuple[str, str, str | None, str | None]] = set()
        self.by_url: dict[str, Candidate] = {}

    def add(self, cand: Candidate | None) -> None:
        if cand is None:
            return
        key = (cand.url, cand.caption, cand.figcaption, cand.thumbcaption)
        if key in self.keys:
            return
        self.keys.add(key)
        self.items.append(cand)
        self.by_url.setdefault(cand.url, cand)
        for variant in cand.srcset:  # the same picture at another size
            self.by_url.setdefault(variant, cand)

    def add_declared(self, cand: Candidate) -> None:
        """An og:image/twitter:image: when an <img> shows the same URL (as src or one of its
        srcset sizes), its alt joins that candidate instead (one picture, one row)."""
        shown = self.by_url.get(cand.url)
        if shown is None:
            self.add(cand)
            return
        shown.og_alt = shown.og_alt or cand.og_alt
        shown.twitter_alt = shown.twitter_alt or cand.twitter_alt

    def finish(self) -> list[Candidate]:
        captions: dict[str, set[str]] = {}
        for cand in self.items:
            if cand.caption:
                captions.setdefault(cand.url, set()).add(cand.caption)
        for cand in self.items:
            cand.same_url_captions = max(1, len(captions.get(cand.url, ())))
        return self.items


def _fragment_images(text: str) -> list[lxml.html.HtmlElement]:
    try:
        fragments = lxml.html.fragments_fromstring(text)
    except (etree.ParserError, ValueError):
        return []
    images: list[lxml.html.HtmlElement] = []
    for fragment in fragments:
        if isinstance(fragment, lxml.html.HtmlElement):
            images.extend(fragment.iter("img"))
    return images


def _candidate(
    img: lxml.html.HtmlElement,
    base_url: str,
    shared: frozenset[str],
    locate: ContentLocator,
    context: lxml.html.HtmlElement | None = None,
) -> Candidate | None:
    """The candidate of one ``<img>``; ``context`` stands in for it in the page tree (a
    ``<noscript>`` whose text held the image)."""
    source: ImageSource = choose_source(img, shared)
    url = absolute_http_url(base_url, source.raw)
    if url is None:
        return None
    get = img.get
    title = get("title")
    placed = img if context is None else context
    resolved_srcset = [u for u in (absolute_http_url(base_url, s) for s in source.srcset) if u]
    return Candidate(
        url=url,
        caption=clean_text(get("alt")),
        title=clean_text(title) or None if title else None,
        figcaption=figcaption_text(placed),
        width=_int_attribute(get("width")),
        height=_int_attribute(get("height")),
        srcset=resolved_srcset,
        thumbcaption=thumbcaption_text(placed),
        url_attribute=source.attribute,
        replaced_src=absolute_http_url(base_url, source.replaced) if source.replaced else None,
        placeholder=source.placeholder,
        in_main_content=locate(placed),
    )


_SOCIAL_IMAGE = {
    "og:image": "og:image",
    "og:image:url": "og:image",
    "og:image:secure_url": "og:image",
    "twitter:image": "twitter:image",
    "twitter:image:src": "twitter:image",
}


def _social_candidates(social: list[tuple[str, str]], base_url: str) -> list[Candidate]:
    """``og:image`` / ``twitter:image`` declarations as candidates (Open Graph structured
    properties: ``og:image:alt``/``:width``/``:height`` describe the og:image before them)."""
    out: list[Candidate] = []
    by_url: dict[str, Candidate] = {}
    current: Candidate | None = None
    current_kind = ""
    for prop, content in social:
        kind = _SOCIAL_IMAGE.get(prop)
        if kind is not None:
            url = absolute_http_url(base_url, content)
            if url is None:
                current = None
                continue
            if url in by_url:
                current = by_url[url]
                if prop == "og:image:secure_url" or current.image_source == kind:
                    current_kind = kind
                    continue
                current_kind = kind
                continue
            current = Candidate(url=url, caption="", image_source=kind, url_attribute="meta")
            current_kind = kind
            by_url[url] = current
            out.append(current)
            continue
        if current is None:
            continue
        text = clean_text(content)
        if prop == f"{current_kind}:alt" and text:
            if current_kind == "og:image":
                current.og_alt = current.og_alt or text
            else:
                current.twitter_alt = current.twitter_alt or text
        elif prop in ("og:image:width", "twitter:image:width"):
            current.width = current.width or _int_attribute(content)
        elif prop in ("og:image:height", "twitter:image:height"):
            current.height = current.height or _int_attribute(content)
    return out
