"""Licence evidence from an already-parsed HTML page (consent-signals.md §7.1, §7.3).

Pure module (no Scrapy). ``detect_licenses`` walks the lxml tree the spider already built, never
re-parses the HTML, and returns every piece of licence evidence it finds with its *scope*:

- page scope: ``<link rel=license>``, ``<a rel=license>`` (HTML: the licence of the main content
  of the document, §7.1), schema.org ``license`` on a WebPage/Article/..., ``<meta>`` hints, and
  plain links to a creativecommons.org licence (low confidence, like C5's ``a_tag`` location);
- image scope: schema.org ``ImageObject`` (JSON-LD or microdata) whose ``contentUrl``/``url`` is
  one of the page's images, and ccREL/RDFa ``about="<image>"`` around a ``rel=license``.

A licence is not consent (§7.2): nothing here decides whether a row may be used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypedDict, Unpack
from urllib.parse import urljoin

from lxml import etree
from lxml.html import HtmlElement

from crawler.licenses.spdx import cc_url_to_spdx, normalize_license

__all__ = ["LicenseEvidence", "LicenseFindings", "detect_licenses"]

SCOPES = ("image", "page")
SOURCES = ("link", "a", "jsonld", "microdata", "rdfa", "header", "xmp", "meta")
POSITIONS = ("head", "body", "footer", "")
# Evidence strings are short by design; a page cannot blow up a row.
_MAX_TEXT = 300


class Attribution(TypedDict, total=False):
    """The attribution fields of a ``LicenseEvidence``, as keyword arguments."""

    credit: str | None
    creator: str | None
    acquire_license_page: str | None
    copyright_notice: str | None


@dataclass(frozen=True, slots=True)
class LicenseEvidence:
    """One statement of a licence (or of attribution) for a page or for one image.

    spdx/url:   the identified licence (SPDX id or ``LicenseRef-``) and its URL; either may be None.
    scope:      "image" (applies to ``image_url`` only) or "page" (main content of the page).
    source:     link, a, jsonld, microdata, rdfa, header, xmp or meta.
    position:   where a page-scoped element sits: head, footer, body; "" for image scope.
    confidence: "high" for explicit licence markup, "low" for hints (meta tags, plain CC links).
    raw:        the value as written on the page (truncated), for the audit trail.
    """

    spdx: str | None
    url: str | None
    scope: str
    source: str
    position: str = ""
    confidence: str = "high"
    image_url: str | None = None
    credit: str | None = None
    creator: str | None = None
    acquire_license_page: str | None = None
    copyright_notice: str | None = None
    raw: str = ""

    @property
    def identifies_license(self) -> bool:
        return bool(self.spdx or self.url)


@dataclass(slots=True)
class LicenseFindings:
    """All licence evidence of one page: page-scoped, and image-scoped keyed by image URL."""

    page: list[LicenseEvidence] = field(default_factory=list)
    images: dict[str, list[LicenseEvidence]] = field(default_factory=dict)
    # normalised image URL -> key in ``images`` (lets for_image accept fragment/scheme variants)
    _aliases: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def for_image(self, image_url: str) -> tuple[list[LicenseEvidence], list[LicenseEvidence]]:
        """(image-scoped evidence for ``image_url``, page-scoped evidence)."""
        found = self.images.get(image_url)
        if found is None:
            key = self._aliases.get(_match_key(image_url))
            found = self.images.get(key, []) if key is not None else []
        return list(found), list(self.page)


# --- URL helpers --------------------------------------------------------------------------------


def _strip_fragment(url: str) -> str:
    hash_at = url.find("#")
    return url if hash_at < 0 else url[:hash_at]


def _match_key(url: str) -> str:
    """Comparison key for image URLs: no fragment, no scheme (http/https variants match)."""
    u = _strip_fragment(url.strip())
    colon = u.find("://")
    if 0 < colon < 10:
        u = u[colon + 1 :]
    return u


def _resolve(base: str, href: str) -> str:
    href = href.strip()
    if not base:
        return href
    try:
        return urljoin(base, href)
    except ValueError:
        return href


_URLISH_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|/|\./|\.\./|#)", re.IGNORECASE)


def _resolve_value(base: str, value: str) -> str:
    """Resolve a value that may be a (relative) URL or free text; free text is kept as is."""
    v = value.strip()
    if v and _URLISH_RE.match(v) and not v.lower().startswith(("urn:", "mailto:", "data:")):
        return _resolve(base, v)
    return v


def clip(text: str | None, limit: int = _MAX_TEXT) -> str | None:
    """Whitespace collapsed and cut to ``limit``: evidence stays short in every row."""
    if text is None:
        return None
    text = " ".join(text.split())
    return text[:limit] or None


# --- tree helpers -------------------------------------------------------------------------------

# ``[@rel]`` / ``[@href]`` first: the same elements (without the attribute the test is on "",
# which never matches), without the string functions evaluated for every element of the page.
_REL_LICENSE = etree.XPath(
    "//*[@rel][contains(concat(' ', normalize-space(translate(@rel, 'LICENSE', 'license')), ' '),"
    " ' license ')]"
)
_PROPERTY_ANY = etree.XPath("//*[@property]")
_SCRIPTS = etree.XPath("//script[@type]")
_METAS = etree.XPath("//meta[@content]")
_ITEMSCOPES = etree.XPath("//*[@itemscope]")
_CC_LINKS = etree.XPath(
    "//a[@href][contains(translate(@href, 'CREATIVOMNS', 'creativomns'), 'creativecommons.org')]"
)
_BASE = etree.XPath("//base[@href][1]/@href")

# RDFa/ccREL property spellings of "license" (schema:, cc:, dcterms:, xhv: and full IRIs).
_LICENSE_PROPERTY_RE = re.compile(
    r"^(?:(?:schema|cc|dc|dct|dcterms|xhv):)?license$"
    r"|^https?://(?:schema\.org/|creativecommons\.org/ns#|purl\.org/dc/terms/)license$",
    re.IGNORECASE,
)
_FOOTER_WORD_RE = re.compile(r"footer", re.IGNORECASE)
# <meta name|property> keys treated as low-confidence licence hints (§7.3).
_META_LICENSE_RE = re.compile(r"licen[cs]e", re.IGNORECASE)
_META_RIGHTS = frozenset({"dc.rights", "dcterms.rights", "dc:rights", "dcterms:rights"})
_LD_JSON_TYPES = frozenset({"application/ld+json", "application/json+ld"})


def _tokens(value: str | None) -> list[str]:
    return value.lower().split() if value else []


def _position(el: Any) -> str:
    """head, footer (a <footer>, role=contentinfo, or an id/class containing "footer"), or body."""
    node = el
    while node is not None:
        tag = node.tag
        if isinstance(tag, str):
            if tag == "head":
                return "head"
            if tag == "footer" or (node.get("role") or "").lower() == "contentinfo":
                return "footer"
            ident = node.get("id")
            cls = node.get("class")
            if (ident and _FOOTER_WORD_RE.search(ident)) or (cls and _FOOTER_WORD_RE.search(cls)):
                return "footer"
            if tag == "body":
                return "body"
        node = node.getparent()
    return "body"


def _itemtypes(el: Any) -> set[str]:
    """Local schema.org type names of an itemscope/typeof element (ImageObject, WebPage, ...)."""
    raw = (el.get("itemtype") or "") + " " + (el.get("typeof") or "")
    return {t.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1] for t in raw.split()}


_PAGE_TYPE_RE = re.compile(
    r"(?:Page|Article|Posting|CreativeWork|WebSite|Blog|Report|Recipe|HowTo)$", re.IGNORECASE
)
_IMAGE_TYPES = frozenset({"ImageObject", "Photograph"})
_MEDIA_TYPES = frozenset({"ImageObject", "Photograph", "MediaObject", "VideoObject", "AudioObject"})


def _is_page_type(types: Iterable[str]) -> bool:
    return any(_PAGE_TYPE_RE.search(t) for t in types) and not any(t in _MEDIA_TYPES for t in types)


# --- the detector -------------------------------------------------------------------------------


class _Detector:
    def __init__(self, root: Any, page_url: str, image_urls: Iterable[str]) -> None:
        self.root = root
        self.page_url = page_url or ""
        base_href = _BASE(root)
        self.base = _resolve(self.page_url, base_href[0]) if base_href else self.page_url
        self.page_keys = {_match_key(self.page_url), _match_key(self.base)}
        self.findings = LicenseFindings()
        self.image_keys: dict[str, str] = {}
        for url in image_urls:
            self.image_keys.setdefault(_match_key(url), url)
        self.findings._aliases = dict(self.image_keys)
        self._seen: set[tuple[Any, ...]] = set()
        self._handled: set[Any] = set()  # elements already turned into evidence

    # -- recording

    def add(self, ev: LicenseEvidence) -> None:
        key: tuple[Any, ...] = (ev.spdx, ev.url, ev.scope, ev.source, ev.position, ev.image_url)
        key += (ev.confidence, ev.credit, ev.creator, ev.acquire_license_page, ev.copyright_notice)
        if key in self._seen:
            return
        self._seen.add(key)
        if ev.scope == "image" and ev.image_url is not None:
            self.findings.images.setdefault(ev.image_url, []).append(ev)
        else:
            self.findings.page.append(ev)

    def page_ev(
        self,
        spdx: str | None,
        url: str | None,
        source: str,
        el: Any,
        confidence: str = "high",
        raw: str = "",
        **attrs: Unpack[Attribution],
    ) -> None:
        position = _position(el)
        raw = clip(raw) or ""
        self.add(LicenseEvidence(spdx, url, "page", source, position, confidence, raw=raw, **attrs))

    def image_ev(
        self,
        image: str,
        spdx: str | None,
        url: str | None,
        source: str,
        raw: str = "",
        **attrs: Unpack[Attribution],
    ) -> None:
        raw = clip(raw) or ""
        self.add(LicenseEvidence(spdx, url, "image", source, "", "high", image, raw=raw, **attrs))

    def image_for(self, url: str | None) -> str | None:
        """The caller's image URL that ``url`` (resolved against the base) refers to, if any."""
        if not url:
            return None
        return self.image_keys.get(_match_key(_resolve(self.base, url)))

    def is_page(self, url: str) -> bool:
        return url.strip() in ("", "#") or _match_key(_resolve(self.base, url)) in self.page_keys

    # -- RDFa subject (ccREL: <div about="img.jpg"><a rel="license" href=...>)

    def rdfa_subject(self, el: Any) -> tuple[str, str | None]:
        """("image", image_url) / ("page", None) / ("other", None) for a licence statement."""
        node = el
        while node is not None and isinstance(node.tag, str):
            about = node.get("about")
            if about is not None:
                image = self.image_for(about)
                if image:
                    return "image", image
                return ("page", None) if self.is_page(about) else ("other", None)
            if node is not el and node.get("typeof") and _IMAGE_TYPES & _itemtypes(node):
                for prop in node.iterfind(".//*[@property]"):
                    if {"contenturl", "schema:contenturl"} & set(_tokens(prop.get("property"))):
                        value = prop.get("src") or prop.get("href") or prop.get("content")
                        image = self.image_for(value)
                        return ("image", image) if image else ("other", None)
                return "other", None
            node = node.getparent()
        return "page", None

    # -- sources

    def rel_license(self) -> None:
        for el in _REL_LICENSE(self.root):
            tag = el.tag if isinstance(el.tag, str) else ""
            href = el.get("href") if tag in ("a", "link", "area") else None
            if href is None:
                href = el.get("resource") or el.get("href") or el.get("action")
            if not href or not href.strip():
                continue
            self._handled.add(el)
            if (el.get("type") or "").split(";")[0].strip().lower() == "application/rsl+xml":
                continue  # an RSL licence document: the rsl consent family reads its terms
            if "license" in _tokens(el.get("itemprop")) and self._in_image_itemscope(el):
                continue  # microdata ImageObject property: scoped by the microdata pass
            kind, image = self.rdfa_subject(el)
            if kind == "other":
                continue  # the licence of some other resource (an image we did not extract)
            url = _resolve(self.base, href)
            if image is not None:  # kind == "image"
                spdx, url_out = normalize_license(url)
                self.image_ev(image, spdx, url_out or url, "rdfa", raw=href)
                continue
            source = "link" if tag == "link" else "a" if tag in ("a", "area") else "rdfa"
            if _match_key(url) in self.page_keys and "#" in url:
                # rel=license pointing into this very document (href="#license"): a notice
                # exists but does not identify a licence by itself.
                self.page_ev(None, None, source, el, "low", raw=href)
                continue
            spdx, url_out = normalize_license(url)
            self.page_ev(spdx, url_out or url, source, el, raw=href)

    def rdfa_property(self) -> None:
        for el in _PROPERTY_ANY(self.root):
            if el in self._handled:
                continue
            props = (el.get("property") or "").split()
            if not any(_LICENSE_PROPERTY_RE.match(p) for p in props):
                continue
            value = el.get("resource") or el.get("href") or el.get("src") or el.get("content")
            if value is None:
                value = el.text_content() if hasattr(el, "text_content") else (el.text or "")
            value = (value or "").strip()
            if not value:
                continue
            self._handled.add(el)
            kind, image = self.rdfa_subject(el)
            if kind == "other":
                continue
            spdx, url = normalize_license(_resolve_value(self.base, value))
            if not (spdx or url):
                continue
            if image is not None:  # kind == "image"
                self.image_ev(image, spdx, url, "rdfa", raw=value)
            else:
                self.page_ev(spdx, url, "rdfa", el, raw=value)

    def cc_links(self) -> None:
        # Plain links to a CC licence without rel=license: C5/LAION-style low-confidence hints.
        for el in _CC_LINKS(self.root):
            if el in self._handled:
                continue
            href = el.get("href") or ""
            url = _resolve(self.base, href)
            spdx = cc_url_to_spdx(url)
            if spdx is None:
                continue
            self.page_ev(spdx, url, "a", el, "low", raw=href)

    def metas(self) -> None:
        for el in _METAS(self.root):
            if el.get("itemprop") is not None:
                continue  # microdata
            key = (el.get("name") or el.get("property") or "").strip().lower()
            if not key:
                continue
            content = (el.get("content") or "").strip()
            if not content:
                continue
            is_license = bool(_META_LICENSE_RE.search(key))
            if not is_license and key not in _META_RIGHTS:
                continue
            spdx, url = normalize_license(_resolve_value(self.base, content))
            if spdx or url:
                self.page_ev(spdx, url, "meta", el, "low", raw=content)
            elif not is_license:  # DC.rights free text: a copyright notice, not a licence
                notice = clip(content)
                self.page_ev(None, None, "meta", el, "low", raw=content, copyright_notice=notice)

    # -- schema.org JSON-LD

    def jsonld(self) -> None:
        for script in _SCRIPTS(self.root):
            mime = (script.get("type") or "").split(";", 1)[0].strip().lower()
            if mime not in _LD_JSON_TYPES:
                continue
            data = _load_json(script.text or "")
            if data is None:
                continue
            for node in _iter_nodes(data):
                self._schema_node(node, script)

    def _schema_node(self, node: dict[str, Any], script: Any) -> None:
        types = _ld_types(node.get("@type"))
        if types & _MEDIA_TYPES:
            if not types & _IMAGE_TYPES:
                return
            images = {
                img
                for u in _ld_strings(node.get("contentUrl")) + _ld_strings(node.get("url"))
                if (img := self.image_for(u))
            }
            if not images:
                return
            attrs: Attribution = {
                "credit": clip(_ld_text(node.get("creditText"))),
                "creator": clip(_ld_text(node.get("creator"))),
                "acquire_license_page": _opt_resolve(
                    self.base, _ld_first_url(node.get("acquireLicensePage"))
                ),
                "copyright_notice": clip(_ld_text(node.get("copyrightNotice"))),
            }
            licenses = self._ld_licenses(node.get("license"))
            self._image_evidence(images, licenses, "jsonld", attrs)
            return
        if "license" in node and _is_page_type(types):
            for spdx, url, raw in self._ld_licenses(node.get("license")):
                self.page_ev(spdx, url, "jsonld", script, raw=raw)

    def _image_evidence(
        self,
        images: set[str],
        licenses: list[tuple[str | None, str | None, str]],
        source: str,
        attrs: Attribution,
    ) -> None:
        """One evidence per (image, licence); attribution-only evidence when no licence."""
        for image in sorted(images):
            for spdx, url, raw in licenses:
                self.image_ev(image, spdx, url, source, raw=raw, **attrs)
            if not licenses and any(attrs.values()):
                self.image_ev(image, None, None, source, **attrs)

    def _ld_licenses(self, value: Any) -> list[tuple[str | None, str | None, str]]:
        out = []
        for item in value if isinstance(value, list) else [value]:
            raw: str | None = None
            if isinstance(item, str):
                raw = item
            elif isinstance(item, dict):
                raw = _ld_first_url(item) or _ld_text(item.get("name"))
            if not raw or not raw.strip():
                continue
            spdx, url = normalize_license(_resolve_value(self.base, raw))
            if spdx or url:
                out.append((spdx, url, raw))
        return out

    # -- microdata

    def microdata(self) -> None:
        for scope in _ITEMSCOPES(self.root):
            types = _itemtypes(scope)
            is_image = bool(types & _IMAGE_TYPES)
            if not is_image and not _is_page_type(types):
                continue
            props = _microdata_props(scope)
            if is_image:
                self._microdata_image(props)
                continue
            for el in props.get("license", ()):
                value = self._md_url_value(el)
                spdx, url = normalize_license(value) if value else (None, None)
                if spdx or url:
                    self.page_ev(spdx, url, "microdata", el, raw=value or "")

    def _in_image_itemscope(self, el: Any) -> bool:
        node = el if el.get("itemscope") is None else el.getparent()
        while node is not None and isinstance(node.tag, str):
            if node.get("itemscope") is not None:
                return bool(_itemtypes(node) & _IMAGE_TYPES)
            node = node.getparent()
        return False

    def _md_url_value(self, el: Any) -> str | None:
        if el.get("itemscope") is not None:
            nested = _microdata_props(el)
            for name in ("url", "@id", "sameAs", "name"):
                for sub in nested.get(name, ()):
                    value = _md_value(sub)
                    if value:
                        return _resolve_value(self.base, value)
            return _resolve_value(self.base, el.get("itemid") or "") or None
        value = _md_value(el)
        return _resolve_value(self.base, value) if value else None

    def _microdata_image(self, props: dict[str, list[Any]]) -> None:
        images = {
            img
            for el in props.get("contentUrl", []) + props.get("url", [])
            if (img := self.image_for(_md_value(el)))
        }
        if not images:
            return

        def text(name: str) -> str | None:
            for el in props.get(name, ()):
                value: str | None
                if el.get("itemscope") is not None:
                    names = [_md_value(n) for n in _microdata_props(el).get("name", ())]
                    value = "; ".join(n for n in names if n)
                else:
                    value = _md_value(el)
                if value:
                    return clip(value)
            return None

        acquire = None
        for el in props.get("acquireLicensePage", ()):
            acquire = self._md_url_value(el)
            if acquire:
                break
        attrs: Attribution = {
            "credit": text("creditText"),
            "creator": text("creator"),
            "acquire_license_page": acquire,
            "copyright_notice": text("copyrightNotice"),
        }
        licenses: list[tuple[str | None, str | None, str]] = []
        for el in props.get("license", ()):
            value = self._md_url_value(el)
            spdx, url = normalize_license(value) if value else (None, None)
            if spdx or url:
                licenses.append((spdx, url, value or ""))
        self._image_evidence(images, licenses, "microdata", attrs)

    def run(self) -> LicenseFindings:
        self.jsonld()
        self.microdata()
        self.rel_license()
        self.rdfa_property()
        self.metas()
        self.cc_links()
        return self.findings


def detect_licenses(root: HtmlElement, page_url: str, image_urls: Iterable[str]) -> LicenseFindings:
    """Collect licence evidence from a parsed page (an ``lxml.html`` root element).

    ``page_url`` is the URL the page was fetched from (``<base href>`` is honoured for relative
    links); ``image_urls`` are the absolute image URLs already extracted from this page: only
    image-scoped evidence about one of them is kept, keyed by the caller's spelling of the URL.
    """
    if root is None:
        return LicenseFindings()
    return _Detector(root, page_url, image_urls).run()


# --- JSON-LD helpers ----------------------------------------------------------------------------

_JSON_WRAPPER_RE = re.compile(
    r"^\s*(?:<!--|/\*\s*<!\[CDATA\[\s*\*/|<!\[CDATA\[)|(?:-->|/\*\s*\]\]>\s*\*/|\]\]>)\s*$"
)


def _load_json(text: str) -> Any:
    text = text.strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        pass
    stripped = _JSON_WRAPPER_RE.sub("", text).strip()  # <!-- ... --> / CDATA wrappers
    if stripped != text:
        try:
            return json.loads(stripped)
        except ValueError:
            return None
    return None  # invalid JSON-LD is skipped, never fatal


def _iter_nodes(data: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in a JSON-LD document (top level, @graph, nested values, lists)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, (dict, list)))


def _ld_types(value: Any) -> set[str]:
    out = set()
    for t in value if isinstance(value, list) else [value]:
        if isinstance(t, str) and t:
            out.add(t.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1])
    return out


def _ld_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        url = _ld_first_url(value)
        return [url] if url else []
    if isinstance(value, list):
        return [s for v in value for s in _ld_strings(v)]
    return []


def _ld_first_url(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        for key in ("url", "@id", "contentUrl", "@value"):
            v = value.get(key)
            if isinstance(v, str) and v.strip():
                return v.strip()
            if isinstance(v, list) and v and isinstance(v[0], str):
                return v[0].strip() or None
    if isinstance(value, list):
        for v in value:
            found = _ld_first_url(v)
            if found:
                return found
    return None


def _ld_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        for key in ("@value", "name", "text"):
            v = value.get(key)
            if isinstance(v, str) and v.strip():
                return v.strip()
        return None
    if isinstance(value, list):
        parts = [t for v in value if (t := _ld_text(v))]
        return "; ".join(parts) or None
    return None


def _opt_resolve(base: str, value: str | None) -> str | None:
    return clip(_resolve_value(base, value)) if value else None


# --- microdata helpers --------------------------------------------------------------------------

_URL_ATTR = {
    "a": "href",
    "area": "href",
    "link": "href",
    "img": "src",
    "audio": "src",
    "video": "src",
    "source": "src",
    "embed": "src",
    "iframe": "src",
    "track": "src",
    "object": "data",
}


def _md_value(el: Any) -> str | None:
    """The microdata property value of an element (HTML Living Standard, microdata §5.2.4)."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag == "meta":
        value = el.get("content")
    elif tag in _URL_ATTR:
        value = el.get(_URL_ATTR[tag])
    elif tag in ("data", "meter"):
        value = el.get("value")
    elif tag == "time":
        value = el.get("datetime") or el.text_content()
    else:
        value = el.text_content() if hasattr(el, "text_content") else el.text
    return value.strip() if value and value.strip() else None


def _microdata_props(scope: Any) -> dict[str, list[Any]]:
    """itemprop name -> elements of one item, not descending into nested itemscopes."""
    props: dict[str, list[Any]] = {}
    stack = list(reversed([c for c in scope if isinstance(c.tag, str)]))
    while stack:
        el = stack.pop()
        for name in (el.get("itemprop") or "").split():
            # itemprop may be a full IRI (https://schema.org/license): keep the local name
            props.setdefault(name.rstrip("/").rsplit("/", 1)[-1], []).append(el)
        if el.get("itemscope") is None:
            stack.extend(reversed([c for c in el if isinstance(c.tag, str)]))
    return props
