"""Pick one licence per row from its evidence, and filter rows by licence.

Pure module (no Scrapy). ``choose_license`` prefers image-scoped evidence (ImageObject, XMP, a
Link header on the image, RDFa ``about=``) over page-scoped evidence (consent-signals.md §7.1:
``rel=license`` is the licence of the page's main content, not of each image). Within a scope it
prefers high confidence, then an identified licence (SPDX id) over a bare URL, then the source
order below, which weights *where* the licence appears the way C5 does (peers.md §7).

``LicenseFilter`` implements the ``allow``/``scope`` settings. A licence is not consent (§7.2):
this filter only ever removes rows; it never overrides an opt-out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from crawler.licenses.detect import LicenseEvidence
from crawler.licenses.spdx import canonical_spdx_id, is_cc_license

__all__ = ["GROUPS", "SCOPES", "LicenseChoice", "LicenseFilter", "choose_license", "in_group"]

SCOPES = ("any", "image")

# Lower rank = preferred.
_IMAGE_RANK = {"xmp": 0, "header": 1, "jsonld": 2, "microdata": 3, "rdfa": 4}
# Page: JSON-LD > <link> > <a> in head > <a> in footer > <a> in body > meta (C5's weighting).
# microdata sits with JSON-LD (both schema.org), a Link header with <link>, explicit ccREL/RDFa
# just after <link>.
_PAGE_RANK = {"jsonld": 0, "microdata": 1, "header": 2, "link": 3, "rdfa": 4, "meta": 9}
_A_POSITION_RANK = {"head": 5, "footer": 6, "body": 7, "": 7}


@dataclass(frozen=True, slots=True)
class LicenseChoice:
    """The licence columns of one row.

    license:          SPDX id (or ``LicenseRef-``) of the chosen evidence, None if unidentified.
    license_url:      its URL as found (a non-CC licence page is kept here with license=None).
    license_scope:    "image", "page" or "" (no licence found).
    license_source:   the evidence source (xmp, jsonld, link, a, ...), "" if none.
    license_conflict: two pieces of evidence in the chosen scope and confidence tier disagree.
    conflicting:      the disagreeing ids (or URLs when none has an id), sorted; () if none.
    """

    license: str | None = None
    license_url: str | None = None
    license_scope: str = ""
    license_source: str = ""
    license_conflict: bool = False
    credit: str | None = None
    creator: str | None = None
    acquire_license_page: str | None = None
    conflicting: tuple[str, ...] = ()


def _rank(ev: LicenseEvidence) -> int:
    if ev.scope == "image":
        return _IMAGE_RANK.get(ev.source, 8)
    if ev.source == "a":
        return _A_POSITION_RANK.get(ev.position, 7)
    return _PAGE_RANK.get(ev.source, 8)


def _sorted(evidence: Sequence[LicenseEvidence]) -> list[LicenseEvidence]:
    # stable sort: equal keys keep document order
    return sorted(
        evidence,
        key=lambda e: (e.confidence != "high", not e.spdx, _rank(e)),
    )


def _url_key(url: str) -> str:
    u = url.strip().split("#", 1)[0].rstrip("/")
    _scheme, sep, rest = u.partition("://")
    if sep:
        host, slash, path = rest.partition("/")
        u = "//" + host.lower().removeprefix("www.") + slash + path
    return u


def _conflict(peers: Sequence[LicenseEvidence]) -> tuple[str, ...]:
    """Disagreeing licences among ``peers``: distinct SPDX ids, or distinct URLs if no ids."""
    ids = list(dict.fromkeys(e.spdx for e in peers if e.spdx))
    if ids:
        # A bare URL next to an identified licence (e.g. Wikipedia's "Text of CC BY-SA" page
        # beside the CC deed) cannot be compared, so it does not count as a disagreement.
        return tuple(sorted(ids)) if len(ids) > 1 else ()
    urls: dict[str, str] = {}
    for e in peers:
        if e.url:
            urls.setdefault(_url_key(e.url), e.url)
    return tuple(sorted(urls.values())) if len(urls) > 1 else ()


def choose_license(
    image_evidence: list[LicenseEvidence],
    page_evidence: list[LicenseEvidence],
    scope: str = "any",
) -> LicenseChoice:
    """Choose the licence of one image row (scope "any": image evidence, else page evidence;
    scope "image": image evidence only).

    The conflict flag compares evidence in the winning scope *and* confidence tier only: image
    evidence is more specific than the page licence, and low-confidence hints (meta tags, plain
    CC links) do not contradict explicit markup.
    """
    if scope not in SCOPES:
        raise ValueError(f"license scope must be one of {', '.join(SCOPES)}; got {scope!r}")
    tiers: list[tuple[str, list[LicenseEvidence]]] = [("image", _sorted(image_evidence))]
    if scope == "any":
        tiers.append(("page", _sorted(page_evidence)))

    best: LicenseEvidence | None = None
    conflicting: tuple[str, ...] = ()
    for _, ordered in tiers:
        identified = [e for e in ordered if e.spdx or e.url]
        if identified:
            best = identified[0]
            peers = [e for e in identified if e.confidence == best.confidence]
            conflicting = _conflict(peers)
            break

    # Attribution: the chosen evidence first, then image evidence, then page evidence.
    pool: list[LicenseEvidence] = [best] if best is not None else []
    for _, ordered in tiers:
        pool.extend(ordered)

    def first(attr: str) -> str | None:
        for ev in pool:
            value = getattr(ev, attr)
            if value:
                return value
        return None

    return LicenseChoice(
        license=best.spdx if best else None,
        license_url=best.url if best else None,
        license_scope=best.scope if best else "",
        license_source=best.source if best else "",
        license_conflict=bool(conflicting),
        credit=first("credit"),
        creator=first("creator"),
        acquire_license_page=first("acquire_license_page"),
        conflicting=conflicting,
    )


# --- filtering ----------------------------------------------------------------------------------

_PUBLIC_DOMAIN = frozenset({"cc0-1.0", "cc-pdm-1.0", "cc-pddc"})
# CC BY and CC BY-SA, every version, SPDX ports and LicenseRef-cc ports alike; no NC, no ND.
_PERMISSIVE_RE = re.compile(
    r"^(?:cc-by(?:-sa)?-\d\.\d(?:-[a-z]+)?|licenseref-cc-by(?:-sa)?-\d\.\d(?:-[a-z0-9-]+)?)$"
)
GROUPS = ("permissive", "cc-any", "public-domain")
_ITEM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]*$")


def in_group(spdx_id: str, group: str) -> bool:
    """Membership of an SPDX id (or ``LicenseRef-cc-``) in a named licence group."""
    folded = spdx_id.casefold()
    if group == "public-domain":
        return folded in _PUBLIC_DOMAIN
    if group == "permissive":
        return folded in _PUBLIC_DOMAIN or bool(_PERMISSIVE_RE.match(folded))
    if group == "cc-any":
        return is_cc_license(spdx_id)
    raise ValueError(f"unknown licence group {group!r}; known groups: {', '.join(GROUPS)}")


@dataclass(frozen=True, slots=True)
class LicenseFilter:
    """Row filter built from the ``allow`` (comma-separated ids/groups) and ``scope`` settings."""

    ids: frozenset[str] = frozenset()  # casefolded ids
    groups: tuple[str, ...] = ()
    scope: str = "any"

    @property
    def active(self) -> bool:
        return bool(self.ids or self.groups)

    @classmethod
    def from_settings(cls, allow: str | Iterable[str] | None, scope: str = "any") -> LicenseFilter:
        """Parse settings; raise ValueError (a config error) on an unknown group/id or bad list.

        ``allow`` is e.g. ``"permissive"``, ``"public-domain, CC-BY-NC-4.0"``; an empty value
        means no filter. Items are group names or SPDX ids (case-insensitive) or ``LicenseRef-``.
        """
        scope_norm = (scope or "any").strip().lower()
        if scope_norm not in SCOPES:
            raise ValueError(f"license scope must be one of {', '.join(SCOPES)}; got {scope!r}")
        if allow is None:
            items: list[str] = []
        elif isinstance(allow, str):
            items = [] if not allow.strip() else allow.split(",")
        else:
            items = list(allow)
        ids: set[str] = set()
        groups: list[str] = []
        for raw in items:
            item = raw.strip() if isinstance(raw, str) else ""
            if not item:
                raise ValueError(f"malformed licence allow list {allow!r}: empty item")
            if not _ITEM_RE.match(item):
                raise ValueError(
                    f"malformed licence allow list {allow!r}: {item!r} is not a licence id or"
                    " group (separate items with commas)"
                )
            if item.lower() in GROUPS:
                if item.lower() not in groups:
                    groups.append(item.lower())
                continue
            canonical = canonical_spdx_id(item)
            if canonical is None:
                raise ValueError(
                    f"unknown licence {item!r} in allow list: not an SPDX id, LicenseRef- id or"
                    f" group ({', '.join(GROUPS)})"
                )
            ids.add(canonical.casefold())
        return cls(frozenset(ids), tuple(groups), scope_norm)

    def allows(self, spdx_id: str | None) -> bool:
        if not spdx_id:
            return False
        if spdx_id.casefold() in self.ids:
            return True
        return any(in_group(spdx_id, g) for g in self.groups)

    def check(self, choice: LicenseChoice) -> str | None:
        """None when the row passes, else the exclusion reason (``license:...``)."""
        if not self.active:
            return None
        if self.scope == "image" and choice.license_scope != "image":
            return "license:none"
        if choice.license_conflict:
            conflicting = choice.conflicting or ((choice.license,) if choice.license else ())
            # a conflict excludes unless every disagreeing licence is allowed anyway
            if not conflicting or not all(self.allows(i) for i in conflicting):
                return "license:conflict"
        if not choice.license:
            return "license:none"
        if not self.allows(choice.license):
            return f"license:not-allowed={choice.license}"
        return None
