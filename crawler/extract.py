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

LAZY_SRC_ATTRIBUTES = ("data-src", "data-lazy-src", "data-original")
SRCSET_ATTRIBUTES = ("srcset", "data-srcset")

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
    """One ``<img>`` element's image URL and the text that describes it."""

    url: str
    caption: str
    title: str | None = None
    figcaption: str | None = None
    width: int | None = None
    height: int | None = None
    srcset: list[str] = field(default_factory=list)


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
    if not url.startswith(("http://", "https://")):
        return None
    try:
        if not urlsplit(url).hostname:
            return None
    except ValueError:
        return None
    return url


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


def _int_attribute(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    if value.endswith("px"):
        value = value[:-2].strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def _figcaption(img: lxml.html.HtmlElement) -> str | None:
    for ancestor in img.iterancestors("figure"):
        cap = ancestor.find(".//figcaption")
        if cap is not None:
            return clean_text(cap.text_content()) or None
        return None
    return None


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
    """Candidates (one per distinct (url, caption)), followable links and meta tags of a page.

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

    candidates: list[Candidate] = []
    seen_pairs: set[tuple[str, str]] = set()
    links: list[str] = []
    seen_links: set[str] = set()
    meta: dict[str, list[str]] = {}
    over_cap, first_over_cap = 0, None
    cap = max_candidates if max_candidates is not None and max_candidates >= 0 else -1

    for el in root.iter("img", "a", "area", "meta"):
        tag = el.tag
        if tag == "img":
            if len(candidates) == cap:
                over_cap += 1
                if first_over_cap is None:
                    first_over_cap = _candidate(el, base_url)
                continue
            cand = _candidate(el, base_url)
            if cand is not None:
                pair = (cand.url, cand.caption)
                if pair not in seen_pairs:
                    seen_pairs.add(pair)
                    candidates.append(cand)
        elif tag == "meta":
            name = el.get("name")
            if name:
                meta.setdefault(name.strip().lower(), []).append(el.get("content") or "")
        else:
            rel = el.get("rel")
            if rel and "nofollow" in rel.lower().split():
                continue
            url = absolute_http_url(base_url, el.get("href"))
            if url and url not in seen_links:
                seen_links.add(url)
                links.append(url)
    return PageExtract(
        base_url,
        candidates,
        links,
        meta,
        root if keep_root else None,
        over_cap,
        first_over_cap,
        cut,
    )


def _candidate(img: lxml.html.HtmlElement, base_url: str) -> Candidate | None:
    get = img.get
    srcset: list[tuple[str, float]] = []
    for attr in SRCSET_ATTRIBUTES:
        value = get(attr)
        if value:
            srcset = parse_srcset(value)
            if srcset:
                break
    raw = get("src")
    if not raw or not raw.strip() or raw.strip().startswith("data:"):
        raw = None
        for attr in LAZY_SRC_ATTRIBUTES:
            value = get(attr)
            if value and value.strip() and not value.strip().startswith("data:"):
                raw = value
                break
        if raw is None and srcset:
            raw = max(srcset, key=lambda c: c[1])[0]
    url = absolute_http_url(base_url, raw)
    if url is None:
        return None
    resolved_srcset = [u for u in (absolute_http_url(base_url, s) for s, _ in srcset) if u]
    title = get("title")
    return Candidate(
        url=url,
        caption=clean_text(get("alt")),
        title=clean_text(title) or None if title else None,
        figcaption=_figcaption(img),
        width=_int_attribute(get("width")),
        height=_int_attribute(get("height")),
        srcset=resolved_srcset,
    )
