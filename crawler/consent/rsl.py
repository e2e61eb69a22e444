"""RSL 1.0 (Really Simple Licensing, https://rslstandard.org/rsl): licences for AI training.

Pure, no Scrapy. One family module: the safe XML reader, the ``<content url>`` matcher, the
decision for a training index, discovery of RSL documents, and the ``FAMILY`` declaration.

Discovery (RSL §4; the spec says clients check every association point):

- robots.txt ``License: <absolute URL>``. Scoped by placement (§4.4, erratum 2026-01-16): a line
  inside a ``User-agent`` group applies to crawlers selecting that group; one outside any group
  is global; when the group selected for our token has ``License`` lines, the global ones are
  ignored. Grouping is ``crawler.consent.robotstxt``'s (``RobotsTxt.licenses``).
- ``Link: <url>; rel="license"; type="application/rsl+xml"`` on the page's and the image's
  response (the image's after the probe).
- HTML ``<link rel="license" type="application/rsl+xml" href>`` and inline
  ``<script type="application/rsl+xml">`` (a whole document in the page: no fetch).

Documents are read with lxml, entities never resolved, no network, no huge trees, and any
DOCTYPE refused outright: RSL has no DTD, so a DOCTYPE is only ever an attack (billion laughs,
XXE). ``<content>`` elements are taken from an ``<rsl>`` root, or from anywhere in another root
(RSS feeds, EPUB OPF) when they are in the RSL namespace. Elements of other namespaces are
ignored (§3: extensions). Lists are space-separated; commas are accepted too (seen in the wild).

Matching (§3.2 ``url``): RFC 9309 patterns, shared with robots.txt (``crawler.consent.patterns``).
A path pattern applies to the site the association belongs to (the robots.txt's, page's or
image's origin), whatever host serves the document (``License:`` may point to a collective's
file); a full URL only to its own host; ``url=""`` (legal in HTML associations) to the
associated resource itself. Among the matching ``<content>`` of one document the most specific
(most octets) wins; equally specific ones combine most-restrictively (§4.9).

Decision for a training index, per matching ``<content>`` (its ``<license>`` elements are
alternative offers; a client needs one it can comply with):

- a licence prohibiting ``ai-train`` (directly, or through ``ai-all`` / ``all``; also the
  misspellings ``train-ai``, ``ai-training``, ``tdm``, ``ai`` seen in deployed files, in the
  restrictive direction only) does not cover training;
- a licence with a ``<permits type="usage">`` list that does not cover ``ai-train`` does not
  either (permits lists are closed, §3.5);
- a covering licence with no ``<payment>`` or ``<payment type="free">`` is a grant;
  ``attribution`` is a grant with a duty (kept, ``rsl_attribution`` column; excluded as
  ``rsl:attribution-required`` with ``RSL_ATTRIBUTION_EXCLUDES``); any other payment type
  (purchase, subscription, training, crawl, use, contribution, unknown ones) needs a deal;
- a ``server`` attribute on the ``<content>`` means a licence token must be obtained "even if the
  license is free" (§3.2): every grant becomes ``rsl:payment-required``.

The cheapest covering offer decides (grant, then attribution, then payment). With none, the
reason is ``rsl:prohibits=ai-train`` when some licence prohibits training, else
``rsl:not-permitted=ai-train``. One conflict is resolved restrictively: an unconditional grant in
one licence and an explicit prohibition in another (§4.9, "most restrictive combination").
Several documents apply to one URL (robots.txt, headers, HTML): each gives its signal and the
signals combine most-restrictively, like every family (a page-level grant does not lift a
site-level prohibition: the spec's "page-level beats site-level" is only followed where it is
the more restrictive reading).

An association whose document cannot be fetched or read makes the asset unlicensed (§4.9):
``rsl:unreachable`` / ``rsl:unreadable``, excluded under ``strict`` (``UNREADABLE_EXCLUDES``),
recorded ``unknown`` under ``standard``. RSL's licence-required response (CAP, §6: ``401`` with
``WWW-Authenticate: License …``) on the image is ``rsl:license-required``; on the page, the
page-failure path gives the same reason (``crawler.items.failure_reasons``).

Not read (recorded in the evidence where present): ``user``/``geo`` permits, ``<reporting>``,
``<legal>``, ``encrypted``, ``max-age``; RSL inside RSS ``<item>`` feeds found by robots.txt is
read, but feeds and media files are not themselves discovered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from crawler.consent import robots
from crawler.consent.family import (
    Column,
    DocumentSpec,
    EvalEnv,
    Family,
    ImageContext,
    PageContext,
    Phase,
    Reason,
    SettingSpec,
    Switch,
)
from crawler.consent.patterns import PathPattern, normalize_path, path_pattern
from crawler.consent.verdict import Signal
from crawler.licenses.linkheader import parse_links

__all__ = [
    "FAMILY",
    "MAX_RSL_BYTES",
    "RSL_MEDIA_TYPE",
    "RSL_NS",
    "Association",
    "Content",
    "License",
    "Outcome",
    "Payment",
    "RslConfig",
    "RslDocument",
    "RslFailure",
    "decide",
    "evaluate",
    "html_rsl_links",
    "inline_rsl_documents",
    "license_required",
    "link_header_rsl_links",
    "parse_rsl",
    "rsl_from_fetch",
    "robots_rsl_links",
]

RSL_NS = "https://rslstandard.org/rsl"
RSL_MEDIA_TYPE = "application/rsl+xml"
# Same cap as the other consent documents (robots.txt's RFC 9309 minimum): a licence file is a few
# hundred bytes; anything far larger is not one.
MAX_RSL_BYTES = 512 * 1024
FAMILY_NAME = "rsl"
SWITCH = "rsl"

# Usage tokens (§3.4.1) that cover AI training.
TRAIN_COVERING = frozenset({"all", "ai-all", "ai-train"})
# Misspellings of deployed files, read only where they restrict (signals-2026.md §1.7).
TRAIN_PROHIBITING_ALIASES = frozenset({"train-ai", "ai-training", "tdm", "ai"})
USAGE_TOKENS = frozenset({"all", "ai-all", "ai-train", "ai-input", "ai-index", "search"})
FREE_PAYMENTS = frozenset({"free"})
ATTRIBUTION_PAYMENTS = frozenset({"attribution"})
PAYMENT_TYPES = frozenset(
    {
        "purchase",
        "subscription",
        "training",
        "crawl",
        "use",
        "contribution",
        "attribution",
        "free",
    }
)

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    huge_tree=False,
    load_dtd=False,
    dtd_validation=False,
    remove_comments=True,
    remove_pis=True,
)
_DOCTYPE = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_LIST_SPLIT = re.compile(r"[\s,]+")
# RFC 9110 §11.6.1: a challenge is an auth-scheme token, optionally followed by parameters;
# several challenges may share one field line, separated by commas.
_LICENSE_CHALLENGE = re.compile(r"(?:^|,)\s*license(?=$|[\s,])", re.IGNORECASE)


# --- the document model ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Payment:
    """One ``<payment>``: its type (lower-cased; "" when absent) and the evidence of the deal."""

    type: str
    amount: str = ""  # "0.02 EUR"
    standard: tuple[str, ...] = ()
    custom: str = ""


@dataclass(frozen=True, slots=True)
class License:
    """One ``<license>``: permits / prohibits by type (``usage``, ``user``, ``geo``), payments."""

    permits: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    prohibits: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    payments: tuple[Payment, ...] = ()
    reporting: tuple[str, ...] = ()  # profiles, evidence only

    @property
    def unknown_usage(self) -> tuple[str, ...]:
        """Usage tokens outside the 1.0 vocabulary (kept as evidence)."""
        tokens = [*self.permits.get("usage", ()), *self.prohibits.get("usage", ())]
        return tuple(dict.fromkeys(t for t in tokens if t not in USAGE_TOKENS))


@dataclass(frozen=True, slots=True)
class Content:
    """One ``<content>``: the pattern it covers, its licence server and its licences."""

    url: str
    licenses: tuple[License, ...]
    server: str = ""
    copyright: str = ""  # the holder's name as written (attribution evidence)

    @property
    def host(self) -> str | None:
        """The host a full-URL ``url`` names (lower-case); None for a path pattern."""
        if "://" not in self.url:
            return None
        try:
            return (urlsplit(self.url.strip()).hostname or "").lower()
        except ValueError:
            return ""

    @property
    def pattern(self) -> PathPattern | None:
        """The RFC 9309 pattern; None for ``url=""`` (the associated resource itself)."""
        text = self.url.strip()
        return path_pattern(text) if text else None


@dataclass(frozen=True, slots=True)
class RslDocument:
    """A parsed RSL document (``source``: its URL, or ``inline:<page url>``)."""

    source: str
    contents: tuple[Content, ...]
    note: str = ""  # leniencies taken while reading (no namespace, unknown elements)


@dataclass(frozen=True, slots=True)
class RslFailure:
    """An association whose document could not be used: ``unreachable`` or ``unreadable``."""

    source: str
    kind: str
    detail: str


RslParsed = RslDocument | RslFailure


def _local(tag: Any) -> tuple[str | None, str]:
    """(namespace, local name) of an element tag; (None, "") for comments and the like."""
    if not isinstance(tag, str):
        return None, ""
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def _rsl_children(element: Any, name: str, lenient_ns: bool) -> list[Any]:
    out = []
    for child in element:
        ns, local = _local(child.tag)
        if local == name and (ns == RSL_NS or (lenient_ns and ns == "")):
            out.append(child)
    return out


def _tokens(text: str | None) -> tuple[str, ...]:
    return tuple(t for t in _LIST_SPLIT.split((text or "").strip().lower()) if t)


def _text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def _license(element: Any, lenient_ns: bool) -> License:
    permits: dict[str, tuple[str, ...]] = {}
    prohibits: dict[str, tuple[str, ...]] = {}
    for target, name in ((permits, "permits"), (prohibits, "prohibits")):
        for child in _rsl_children(element, name, lenient_ns):
            kind = (child.get("type") or "usage").strip().lower()
            # At most one per type is conformant (§3.5); several are merged, which is the
            # restrictive reading for prohibits and the union a lenient reader would take.
            target[kind] = tuple(dict.fromkeys((*target.get(kind, ()), *_tokens(child.text))))
    payments = []
    for child in _rsl_children(element, "payment", lenient_ns):
        amount = ""
        for amt in _rsl_children(child, "amount", lenient_ns):
            amount = f"{_text(amt)} {(amt.get('currency') or '').strip()}".strip()
        payments.append(
            Payment(
                type=(child.get("type") or "").strip().lower(),
                amount=amount,
                standard=tuple(_text(s) for s in _rsl_children(child, "standard", lenient_ns)),
                custom=" ".join(_text(c) for c in _rsl_children(child, "custom", lenient_ns)),
            )
        )
    reporting = tuple(
        (r.get("profile") or r.get("type") or "").strip()
        for r in _rsl_children(element, "reporting", lenient_ns)
    )
    return License(permits, prohibits, tuple(payments), reporting)


def _content(element: Any, lenient_ns: bool) -> Content:
    copyright_holder = ""
    for holder in _rsl_children(element, "copyright", lenient_ns):
        copyright_holder = _text(holder)
    return Content(
        url=element.get("url") or "",
        licenses=tuple(
            _license(e, lenient_ns) for e in _rsl_children(element, "license", lenient_ns)
        ),
        server=(element.get("server") or "").strip(),
        copyright=copyright_holder,
    )


def parse_rsl(body: bytes | str, source: str) -> RslParsed:
    """Read one RSL document (a licence file, or the text of an inline ``<script>``).

    A DOCTYPE, malformed XML, a root that is neither ``<rsl>`` nor a container of RSL
    ``<content>`` elements, or a ``<content>`` without ``url`` or without ``<license>``: an
    ``unreadable`` failure with the reason.
    """
    data = body.encode("utf-8") if isinstance(body, str) else body
    if len(data) > MAX_RSL_BYTES:
        return RslFailure(source, "unreadable", f"larger than {MAX_RSL_BYTES} bytes")
    # UTF-16 puts NULs between the characters; look through them for a DOCTYPE too.
    if _DOCTYPE.search(data) or _DOCTYPE.search(data.replace(b"\x00", b"")):
        return RslFailure(source, "unreadable", "DOCTYPE/ENTITY declarations are not allowed")
    if isinstance(body, str):
        # lxml refuses a str with an encoding declaration; strip it, the text is decoded already.
        data = re.sub(rb"^\s*<\?xml[^>]*\?>", b"", data)
    try:
        root = etree.fromstring(data, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        return RslFailure(source, "unreadable", f"not well-formed XML: {str(exc)[:120]}")
    if root is None:
        return RslFailure(source, "unreadable", "empty document")
    ns, local = _local(root.tag)
    notes = []
    if local == "rsl" and ns in (RSL_NS, ""):
        lenient = ns == ""
        if lenient:
            notes.append("no RSL namespace")
        elements = _rsl_children(root, "content", lenient)
    else:
        # A container (RSS feed, EPUB OPF, XMP): RSL content elements must carry the namespace.
        lenient = False
        elements = list(root.iter(f"{{{RSL_NS}}}content"))
        if not elements:
            return RslFailure(source, "unreadable", f"root <{local}> is not an RSL document")
    if not elements:
        return RslFailure(source, "unreadable", "no <content> element")
    contents = []
    for element in elements:
        if element.get("url") is None:
            return RslFailure(source, "unreadable", "<content> without url")
        content = _content(element, lenient)
        if not content.licenses:
            return RslFailure(
                source, "unreadable", f'<content url="{content.url}"> has no <license>'
            )
        contents.append(content)
    return RslDocument(source, tuple(contents), "; ".join(notes))


def rsl_from_fetch(
    url: str, status: int | None, body: bytes | None, error: str | None
) -> RslParsed:
    """The ``DocumentSpec`` parser: one fetch of a discovered RSL document.

    No response (network error, timeout, refused by robots.txt) or a non-2xx status:
    ``unreachable``. A 2xx whose download stopped at the size cap (``error`` set), or whose body
    does not parse: ``unreadable``. The spec treats both as "unlicensed" (§4.9).
    """
    if status is None:
        return RslFailure(url, "unreachable", error or "not fetched")
    if not 200 <= status < 300:
        return RslFailure(url, "unreachable", f"http {status}")
    if error:
        return RslFailure(url, "unreadable", error)
    return parse_rsl(body or b"", url)


# --- matching and the decision -----------------------------------------------------------------

# Outcome kinds, from the most permissive to the most restrictive.
GRANT, ATTRIBUTION, PAYMENT, NOT_PERMITTED, PROHIBITS = (
    "grant",
    "attribution",
    "payment-required",
    "not-permitted",
    "prohibits",
)
_RANK = {GRANT: 0, ATTRIBUTION: 1, PAYMENT: 2, NOT_PERMITTED: 3, PROHIBITS: 4}


@dataclass(frozen=True, slots=True)
class Association:
    """An RSL document as it applies somewhere: ``site`` is the origin its path patterns refer
    to; ``resource`` the URL an empty ``url=""`` stands for (None: no such resource)."""

    document: RslParsed
    site: str
    resource: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one document decides for one URL and training use."""

    kind: str
    content: Content
    license: License | None
    payment: Payment | None = None

    def evidence(self) -> str:
        """Short, for the ``consent`` record: the matched content and the deciding terms."""
        content, lic = self.content, self.license
        parts = [f'content url="{content.url}"']
        if content.server:
            parts.append(f"server={content.server}")
        if lic is not None:
            if "usage" in lic.permits:
                parts.append(f"permits={' '.join(lic.permits['usage']) or '(none)'}")
            if "usage" in lic.prohibits:
                parts.append(f"prohibits={' '.join(lic.prohibits['usage'])}")
            if lic.unknown_usage:
                parts.append(f"unknown={' '.join(lic.unknown_usage)}")
            if lic.reporting:
                parts.append(f"reporting={' '.join(lic.reporting)}")
        payment = self.payment
        if payment is not None:
            kind = payment.type or "(no type)"
            if payment.type and payment.type not in PAYMENT_TYPES:
                kind += " (not an RSL 1.0 type)"
            parts.append(f"payment={kind}")
            if payment.amount:
                parts.append(f"amount={payment.amount}")
            if payment.standard:
                parts.append(f"standard={payment.standard[0]}")
            if payment.custom:
                parts.append(f"custom={payment.custom}")
        elif lic is not None and self.kind in (GRANT, ATTRIBUTION) and not lic.payments:
            parts.append("payment=(none: free)")
        return " ".join(parts)


def _hostname(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _specificity(content: Content, url: str, path: str, association: Association) -> int:
    """Octets of the matching pattern (longest match), or -1 when the content does not apply."""
    pattern = content.pattern
    if pattern is None:  # url="": the associated resource itself, the most specific declaration
        if association.resource is not None and association.resource == url:
            return 1 << 30
        return -1
    host = content.host
    if host is not None:  # a full URL: its own host only
        if host != _hostname(url):
            return -1
    elif _hostname(association.site) != _hostname(url):
        return -1  # a path pattern speaks for the associated site only
    return pattern.length if pattern.matches(path) else -1


def _license_outcome(lic: License) -> tuple[str, Payment | None]:
    prohibited = lic.prohibits.get("usage", ())
    if any(t in TRAIN_COVERING or t in TRAIN_PROHIBITING_ALIASES for t in prohibited):
        return PROHIBITS, None  # prohibits beats permits for the same type (§4.9)
    permitted = lic.permits.get("usage")
    if permitted is not None and not any(t in TRAIN_COVERING for t in permitted):
        return NOT_PERMITTED, None  # a closed list without training (§3.5)
    if not lic.payments:
        return GRANT, None  # no <payment>: free (§3.7)
    best: tuple[str, Payment | None] = (PROHIBITS, None)
    for payment in lic.payments:  # several payments: alternatives, the cheapest decides
        if payment.type in FREE_PAYMENTS:
            kind = GRANT
        elif payment.type in ATTRIBUTION_PAYMENTS:
            kind = ATTRIBUTION
        else:  # a paid type, or one we do not know (royalty, inference, none): no grant
            kind = PAYMENT
        if _RANK[kind] < _RANK[best[0]]:
            best = (kind, payment)
    return best


def _content_outcome(content: Content) -> Outcome:
    outcomes = []
    for lic in content.licenses:
        kind, payment = _license_outcome(lic)
        if content.server and kind in (GRANT, ATTRIBUTION):
            kind = PAYMENT  # a licence token from the server, "even if the license is free"
        outcomes.append(Outcome(kind, content, lic, payment))
    best = min(outcomes, key=lambda o: _RANK[o.kind])
    prohibiting = [o for o in outcomes if o.kind == PROHIBITS]
    if prohibiting and best.kind in (GRANT, NOT_PERMITTED):
        # A free grant and a prohibition: a true conflict, resolved restrictively. No covering
        # offer at all: the explicit prohibition is the better reason.
        return prohibiting[0]
    return best


def decide(association: Association, url: str) -> Outcome | None:
    """The outcome of one parsed document for ``url`` (None: no ``<content>`` applies)."""
    document = association.document
    if not isinstance(document, RslDocument):
        return None
    path = normalize_path(url)
    best_length = -1
    matched: list[Content] = []
    for content in document.contents:
        length = _specificity(content, url, path, association)
        if length < 0 or length < best_length:
            continue
        if length > best_length:
            best_length, matched = length, []
        matched.append(content)
    if not matched:
        return None
    # Equally specific declarations: the most restrictive combination (§4.9).
    return max((_content_outcome(c) for c in matched), key=lambda o: _RANK[o.kind])


@dataclass(frozen=True, slots=True)
class RslConfig:
    """The family's settings, read once per crawl."""

    attribution_excludes: bool = False


def _failure_signal(failure: RslFailure, unreadable_excludes: bool) -> Signal:
    if unreadable_excludes:
        return Signal.disallow(FAMILY_NAME, failure.kind, failure.source, failure.detail)
    return Signal.unknown(FAMILY_NAME, failure.source, f"{failure.kind}: {failure.detail}")


def evaluate(
    url: str,
    associations: Iterable[Association],
    *,
    unreadable_excludes: bool,
    attribution_excludes: bool = False,
) -> list[Signal]:
    """One signal per RSL document that applies to ``url`` (no associations: none)."""
    signals = []
    seen: set[str] = set()
    for association in associations:
        document = association.document
        if document.source in seen:
            continue
        seen.add(document.source)
        if isinstance(document, RslFailure):
            signals.append(_failure_signal(document, unreadable_excludes))
            continue
        outcome = decide(association, url)
        source = document.source
        if outcome is None:
            signals.append(Signal.unknown(FAMILY_NAME, source, "no <content> matches this URL"))
            continue
        value = outcome.evidence()
        if outcome.kind == GRANT:
            signals.append(Signal.allow(FAMILY_NAME, source, value))
        elif outcome.kind == ATTRIBUTION:
            if attribution_excludes:
                signals.append(Signal.disallow(FAMILY_NAME, "attribution-required", source, value))
            else:
                signals.append(Signal.allow(FAMILY_NAME, source, value))
        elif outcome.kind == PAYMENT:
            signals.append(Signal.disallow(FAMILY_NAME, "payment-required", source, value))
        elif outcome.kind == NOT_PERMITTED:
            signals.append(Signal.disallow(FAMILY_NAME, "not-permitted=ai-train", source, value))
        else:
            signals.append(Signal.disallow(FAMILY_NAME, "prohibits=ai-train", source, value))
    return signals


def attribution_duty(url: str, associations: Iterable[Association]) -> str | None:
    """Whom to credit for ``url`` when an applicable licence grants training for attribution:
    the ``<copyright>`` holder, else the licence document's URL (several: joined by "; ")."""
    duties: list[str] = []
    for association in associations:
        outcome = decide(association, url)
        if outcome is not None and outcome.kind == ATTRIBUTION:
            holder = outcome.content.copyright
            duty = (
                f"{holder} ({association.document.source})"
                if holder
                else (association.document.source)
            )
            if duty not in duties:
                duties.append(duty)
    return "; ".join(duties) or None


# --- discovery ---------------------------------------------------------------------------------


def _robots_txt(document: Any) -> Any:
    """The ``RobotsTxt`` inside a robots document (``RobotsRules``), or the object itself."""
    if document is None:
        return None
    inner = getattr(document, "robots", document)
    return inner if hasattr(inner, "licenses") else None


# robots document identity -> (the document, token, its License URLs). Read for every row (the
# page's and the image's origin), the same few documents each time: grouping them again per row
# cost ~30 us. The document is held, so its id is not reused while it is here.
_ROBOTS_LINKS: dict[int, tuple[Any, str, tuple[str, ...]]] = {}
_ROBOTS_LINKS_MAX = 4096


def robots_rsl_links(robots_document: Any, token: str) -> list[str]:
    """``License:`` URLs of a robots.txt for ``token`` (group-scoped, else global; §4.4).

    Only absolute http(s) URLs count (the directive requires one); others are ignored.
    """
    if robots_document is None:
        return []
    known = _ROBOTS_LINKS.get(id(robots_document))
    if known is not None and known[0] is robots_document and known[1] == token:
        return list(known[2])
    robots = _robots_txt(robots_document)
    out: list[str] = []
    if robots is not None:
        for record in robots.licenses(token):
            value = record.value.strip()
            if value.lower().startswith(("http://", "https://")) and value not in out:
                out.append(value)
    if len(_ROBOTS_LINKS) >= _ROBOTS_LINKS_MAX:
        _ROBOTS_LINKS.clear()
    _ROBOTS_LINKS[id(robots_document)] = (robots_document, token, tuple(out))
    return out


def link_header_rsl_links(header_values: Iterable[str], base_url: str) -> list[str]:
    """Targets of ``Link: <…>; rel="license"; type="application/rsl+xml"`` (RFC 8288)."""
    out = []
    for link in parse_links(header_values, base_url):
        if "license" in link.rels and link.type == RSL_MEDIA_TYPE and link.url not in out:
            out.append(link.url)
    return out


def _is_rsl_type(value: str | None) -> bool:
    return (value or "").split(";")[0].strip().lower() == RSL_MEDIA_TYPE


# The last tree _html_scan read, and what it found: a page's HTML is read for discovery
# (discover_page) and again for its associations (_page_all); the tree is held until the next.
_SCAN_MEMO: list[Any] = [None, None]  # [root, (base, links, scripts)]


def _html_scan(root: Any) -> tuple[str | None, list[Any], list[Any]]:
    """(the first ``<base href>``, RSL ``<link rel=license>`` elements, RSL ``<script>``
    elements) of an HTML tree, in one pass (three XPath queries cost ten times more); the last
    tree's answer is remembered (each caller gets lists of its own)."""
    memo = _SCAN_MEMO
    if memo[0] is not root:
        memo[:] = [root, _html_scan_tree(root)]
    base, links, scripts = memo[1]
    return base, list(links), list(scripts)


def _html_scan_tree(root: Any) -> tuple[str | None, list[Any], list[Any]]:
    base: str | None = None
    links, scripts = [], []
    for element in root.iter("link", "script", "base"):
        tag = element.tag
        if tag == "link":
            rel = (element.get("rel") or "").lower().split()
            href = element.get("href")
            if "license" in rel and href is not None and _is_rsl_type(element.get("type")):
                links.append(element)
        elif tag == "script":
            if _is_rsl_type(element.get("type")):
                scripts.append(element)
        elif base is None and element.get("href") is not None:
            base = element.get("href")
    return base, links, scripts


def _links_of(links: list[Any], base_href: str | None, page_url: str) -> list[str]:
    base = page_url
    if base_href is not None:
        try:
            base = urljoin(page_url, base_href.strip())
        except ValueError:
            base = page_url
    out = []
    for element in links:
        try:
            url = urljoin(base, (element.get("href") or "").strip())
        except ValueError:
            continue
        if url.lower().startswith(("http://", "https://")) and url not in out:
            out.append(url)
    return out


def _inline_of(scripts: list[Any], page_url: str) -> list[RslParsed]:
    out = []
    for index, element in enumerate(scripts):
        source = f"inline:{page_url}" if index == 0 else f"inline:{page_url}#{index + 1}"
        out.append(parse_rsl(element.text or "", source))
    return out


def html_rsl_links(root: Any, page_url: str) -> list[str]:
    """``<link rel="license" type="application/rsl+xml" href>`` targets of an HTML tree."""
    if root is None:
        return []
    base, links, _ = _html_scan(root)
    return _links_of(links, base, page_url)


def inline_rsl_documents(root: Any, page_url: str) -> list[RslParsed]:
    """Every inline ``<script type="application/rsl+xml">`` of an HTML tree, parsed."""
    if root is None:
        return []
    _, _, scripts = _html_scan(root)
    return _inline_of(scripts, page_url)


def _header_values(headers: Mapping[str, Sequence[str]] | None, name: str) -> list[str]:
    if not headers:
        return []
    values = headers.get(name)
    if values is None:
        for key, candidate in headers.items():
            if key.lower() == name:
                values = candidate
                break
    if values is None:
        return []
    return [values] if isinstance(values, str) else [str(v) for v in values]


def license_required(status: int | None, headers: Mapping[str, Sequence[str]] | None) -> str | None:
    """The ``WWW-Authenticate`` value of RSL's licence-required response (CAP, §6: 401 with a
    ``License`` challenge), or None when the response is not one."""
    if status != 401:
        return None
    for value in _header_values(headers, "www-authenticate"):
        if _LICENSE_CHALLENGE.search(value):
            return value
    return None


# --- the family: discovery, evaluators, columns ------------------------------------------------

ROBOTS_DOCUMENT = "robots"  # the robots family's document name in a context's ``documents``
ROBOTS_SPEC = next(d for d in robots.FAMILY.documents if d.name == ROBOTS_DOCUMENT)


def _lookup(url: str, *discovered: Mapping[str, Any] | None) -> RslParsed:
    for mapping in discovered:
        if mapping and url in mapping:
            found = mapping[url]
            if isinstance(found, RslDocument | RslFailure):
                return found
            return RslFailure(url, "unreadable", "not an RSL document")
    # Discovered but not fetched (the engine dropped it): no document, so unlicensed.
    return RslFailure(url, "unreachable", "not fetched")


def discover_page(ctx: PageContext, env: EvalEnv) -> list[str]:
    """RSL documents to fetch for a page: its origin's robots.txt, its Link header, its HTML."""
    urls = robots_rsl_links(ctx.documents.get(ROBOTS_DOCUMENT), env.token)
    if ctx.fetched:
        urls += link_header_rsl_links(_header_values(ctx.headers, "link"), ctx.url)
        urls += html_rsl_links(ctx.root, ctx.url)
    return list(dict.fromkeys(urls))


def discover_image(ctx: ImageContext, env: EvalEnv) -> list[str]:
    """RSL documents for an image: its origin's robots.txt and the probe's Link header."""
    urls = robots_rsl_links(ctx.documents.get(ROBOTS_DOCUMENT), env.token)
    if ctx.probe is not None:
        urls += link_header_rsl_links(_header_values(ctx.probe.headers, "link"), ctx.url)
    return list(dict.fromkeys(urls))


# The last page's associations, (association, named by robots.txt): the image rows of an item
# share one PageContext, so its HTML is scanned and its inline documents parsed once per page,
# not once per row (~0.8 ms a row on a page of 100 images). Holds that context until the next.
_PAGE_MEMO: list[Any] = [None, None, []]  # [context, token, associations]


def _page_all(ctx: PageContext, env: EvalEnv) -> list[tuple[Association, bool]]:
    memo = _PAGE_MEMO
    if memo[0] is ctx and memo[1] == env.token:
        return memo[2]
    robots_urls = robots_rsl_links(ctx.documents.get(ROBOTS_DOCUMENT), env.token)
    links: list[str] = []
    inline: list[RslParsed] = []
    if ctx.fetched:
        links = link_header_rsl_links(_header_values(ctx.headers, "link"), ctx.url)
        if ctx.root is not None:
            base, html_links, scripts = _html_scan(ctx.root)
            links += _links_of(html_links, base, ctx.url)
            inline = _inline_of(scripts, ctx.url)
    from_robots = set(robots_urls)
    out = []
    for url in dict.fromkeys([*robots_urls, *links]):
        # url="" names the page for a page association; nothing for a robots.txt one.
        resource = None if url in from_robots else ctx.url
        association = Association(_lookup(url, ctx.discovered), ctx.origin, resource)
        out.append((association, url in from_robots))
    out += [(Association(document, ctx.origin, ctx.url), False) for document in inline]
    memo[:] = [ctx, env.token, out]
    return out


def _page_associations(ctx: PageContext, env: EvalEnv, *, with_robots: bool) -> list[Association]:
    return [a for a, robots_named in _page_all(ctx, env) if with_robots or not robots_named]


def _image_associations(ctx: ImageContext, env: EvalEnv) -> list[Association]:
    """The image's own associations (its origin's robots.txt, the probe's Link header), then
    those of its page (Link header, HTML) that name the image: by full URL, or by path when
    the image shares the page's origin. The page's robots.txt is the image's when they share
    an origin, and says nothing about the image otherwise."""
    page_discovered = ctx.page.discovered if ctx.page is not None else None
    robots_links = robots_rsl_links(ctx.documents.get(ROBOTS_DOCUMENT), env.token)
    # discover_image's URLs, without asking for the robots.txt links twice
    urls = robots_links
    if ctx.probe is not None:
        urls = urls + link_header_rsl_links(_header_values(ctx.probe.headers, "link"), ctx.url)
    robots = set(robots_links)
    out = [
        Association(
            _lookup(url, ctx.discovered, page_discovered),
            ctx.origin,
            None if url in robots else ctx.url,  # url="" means the image for its Link header
        )
        for url in dict.fromkeys(urls)
    ]
    if ctx.page is not None:
        for association in _page_associations(ctx.page, env, with_robots=False):
            # A page document that fails is the page's evidence (its evaluator reports it).
            if decide(association, ctx.url) is not None:
                out.append(association)
    return out


def _config(env: EvalEnv) -> RslConfig:
    return env.config if isinstance(env.config, RslConfig) else RslConfig()


def evaluate_page(ctx: PageContext, env: EvalEnv) -> list[Signal]:
    """Signals for every row of a page: the RSL documents associated with the page's URL."""
    return evaluate(
        ctx.url,
        _page_associations(ctx, env, with_robots=True),
        unreadable_excludes=bool(env.policy.unreadable_excludes),
        attribution_excludes=_config(env).attribution_excludes,
    )


def evaluate_image(ctx: ImageContext, env: EvalEnv) -> list[Signal]:
    """Signals for one row's image: the licence-required probe response, then the documents."""
    signals = []
    probe = ctx.probe
    if probe is not None:
        challenge = license_required(probe.status, probe.headers)
        if challenge is not None:
            value = f"{probe.method} 401 WWW-Authenticate: {challenge}"
            signals.append(Signal.disallow(FAMILY_NAME, "license-required", probe.url, value))
    associations = _image_associations(ctx, env)
    signals += evaluate(
        ctx.url,
        associations,
        unreadable_excludes=bool(env.policy.unreadable_excludes),
        attribution_excludes=_config(env).attribution_excludes,
    )
    return signals


def image_columns(ctx: ImageContext, env: EvalEnv) -> Mapping[str, Any]:
    """``rsl_attribution``: whom to credit, when a licence grants training for attribution."""
    duties = [attribution_duty(ctx.url, _image_associations(ctx, env))]
    if ctx.page is not None:
        duties.append(
            attribution_duty(ctx.page.url, _page_associations(ctx.page, env, with_robots=True))
        )
    # A page document naming the image too gives the same duty twice: once.
    found = "; ".join(dict.fromkeys(d for d in duties if d))
    return {"rsl_attribution": found or None}


def configure(get: Any) -> RslConfig:
    """Settings -> ``RslConfig`` (``RSL_ATTRIBUTION_EXCLUDES``: a boolean, default false)."""
    value = get("RSL_ATTRIBUTION_EXCLUDES")
    if value is None or value == "":
        return RslConfig()
    if isinstance(value, bool):
        return RslConfig(attribution_excludes=value)
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return RslConfig(attribution_excludes=True)
    if text in ("0", "false", "no", "off"):
        return RslConfig(attribution_excludes=False)
    raise ValueError(f"RSL_ATTRIBUTION_EXCLUDES={value!r} is not a boolean (true/false)")


FAMILY = Family(
    name=FAMILY_NAME,
    summary=(
        "RSL 1.0 licences: robots.txt `License:` (group-scoped lines override global ones), "
        '`Link: rel="license"; type="application/rsl+xml"` on page and image, HTML '
        '`<link>` and inline `<script type="application/rsl+xml">`; `<content url>` matched '
        "with RFC 9309 patterns (most specific wins); `401` with `WWW-Authenticate: License`"
    ),
    spec="RSL 1.0 (RSL-SPEC-1.0, rslstandard.org/rsl, errata to 2026-05-27)",
    reasons=(
        Reason("rsl:prohibits=ai-train", "the licence prohibits ai-train (or ai-all / all)"),
        Reason("rsl:not-permitted=ai-train", "a closed permits list without ai-train"),
        Reason(
            "rsl:payment-required",
            "training is licensed only for payment (purchase, subscription, training, crawl, "
            "use, contribution) or through a licence server",
        ),
        Reason(
            "rsl:attribution-required",
            "training needs attribution and RSL_ATTRIBUTION_EXCLUDES is on",
            "license",
        ),
        Reason("rsl:license-required", "401 with WWW-Authenticate: License (RSL CAP)"),
        Reason(
            "rsl:unreachable",
            "an associated RSL document could not be fetched (strict)",
            "unverifiable",
        ),
        Reason(
            "rsl:unreadable",
            "an associated RSL document could not be read (strict)",
            "unverifiable",
        ),
    ),
    switches=(Switch(SWITCH, "RSL_ENABLED", "RSL 1.0 licences (robots.txt, Link, HTML)"),),
    # robots.txt (the robots family's document) for its License lines, also after the probe.
    documents=(ROBOTS_SPEC, DocumentSpec("rsl", rsl_from_fetch, path=None, obey_robots=True)),
    page=evaluate_page,
    image=evaluate_image,
    image_phase=Phase.AFTER_PROBE,
    discover_page=discover_page,
    discover_image=discover_image,
    configure=configure,
    settings=(
        SettingSpec(
            "RSL_ATTRIBUTION_EXCLUDES",
            False,
            "true: RSL training-for-attribution excludes (rsl:attribution-required); "
            "false: kept, credit in rsl_attribution",
        ),
    ),
    columns=(
        Column(
            "rsl_attribution",
            "string",
            "whom to credit when an RSL licence grants training for attribution: the "
            "<copyright> holder and the licence URL (null: no such duty)",
        ),
    ),
    image_columns=image_columns,
)
