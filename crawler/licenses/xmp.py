"""Embedded XMP licence fields and the IPTC/PLUS Data Mining opt-out (consent-signals.md §7.4).

Pure module (no Scrapy). JPEG APP1, PNG iTXt, WebP ``XMP `` and GIF ``XMP DataXMP`` all embed
the same XML packet text, so ``scan_xmp`` looks for the ``<x:xmpmeta`` ... ``</x:xmpmeta>``
packet in the first bytes of the file (callers pass a ranged download, ~256 KiB) instead of
parsing containers.
The one container case handled explicitly is a zlib-compressed PNG iTXt chunk, which hides the text.
Extended XMP (JPEG, split over several APP1 segments) is not reassembled: the main packet carries
the rights fields.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from typing import Any

from lxml import etree

from crawler.consent.verdict import Signal
from crawler.licenses.detect import Attribution, LicenseEvidence, clip
from crawler.licenses.spdx import normalize_license

__all__ = ["XmpFindings", "data_mining_signal", "scan_xmp", "xmp_evidence"]

NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_XMP_RIGHTS = "http://ns.adobe.com/xap/1.0/rights/"
NS_CC = "http://creativecommons.org/ns#"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_PHOTOSHOP = "http://ns.adobe.com/photoshop/1.0/"
NS_PLUS = "http://ns.useplus.org/ldf/xmp/1.0/"
NS_IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
NS_XML = "http://www.w3.org/XML/1998/namespace"

# Usual prefixes, used when a broken packet forgets to declare its namespaces.
_PREFIXES = {
    NS_XMP_RIGHTS: "xmpRights",
    NS_CC: "cc",
    NS_DC: "dc",
    NS_PHOTOSHOP: "photoshop",
    NS_PLUS: "plus",
    NS_IPTC_EXT: "Iptc4xmpExt",
}

_PACKET_RE = re.compile(rb"<x:x[am]pmeta[\s>].*?</x:x[am]pmeta\s*>", re.DOTALL)
_PACKET_START_RE = re.compile(rb"<x:x[am]pmeta[\s>]")
# A bare RDF packet (some writers omit the x:xmpmeta wrapper).
_RDF_RE = re.compile(rb"<rdf:RDF[\s>].*?</rdf:RDF\s*>", re.DOTALL)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_PARSER = etree.XMLParser(
    recover=True, resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False
)


@dataclass(frozen=True, slots=True)
class XmpFindings:
    """The licensing fields of one XMP packet (all optional; values trimmed to 300 chars)."""

    web_statement: str | None = None  # xmpRights:WebStatement (a licence/rights URL)
    cc_license: str | None = None  # cc:license
    rights: str | None = None  # dc:rights (x-default)
    usage_terms: str | None = None  # xmpRights:UsageTerms (x-default)
    credit: str | None = None  # photoshop:Credit
    creator: str | None = None  # dc:creator, "; "-joined
    licensor_url: str | None = None  # plus:Licensor/plus:LicensorURL (acquire-licence page)
    licensor_name: str | None = None  # plus:Licensor/plus:LicensorName
    data_mining: str | None = None  # plus:DataMining (URI or label, as written)
    other_constraints: str | None = None  # plus:OtherConstraints
    digital_source_type: str | None = None  # Iptc4xmpExt:DigitalSourceType (an IPTC IRI)

    @property
    def empty(self) -> bool:
        return not any(getattr(self, name) for name in self.__slots__)


def _find_packet(data: bytes) -> bytes | None:
    m = _PACKET_RE.search(data)
    if m:
        return m.group(0)
    start = _PACKET_START_RE.search(data)
    if start:  # truncated by the ranged download: let the recovering parser take what is there
        return data[start.start() :]
    m = _RDF_RE.search(data)
    if m:
        return m.group(0)
    if data.startswith(_PNG_SIGNATURE):
        return _png_compressed_itxt(data)
    return None


def _png_compressed_itxt(data: bytes) -> bytes | None:
    """The XMP text of a compressed ``iTXt`` chunk with keyword ``XML:com.adobe.xmp``."""
    pos = len(_PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if ctype == b"iTXt" and body.startswith(b"XML:com.adobe.xmp\x00"):
            rest = body[len(b"XML:com.adobe.xmp\x00") :]
            if len(rest) >= 2 and rest[0] == 1:  # compression flag, method 0 = zlib
                # skip language tag and translated keyword (two NUL-terminated strings)
                parts = rest[2:].split(b"\x00", 2)
                if len(parts) == 3:
                    try:
                        text = zlib.decompressobj().decompress(parts[2], 4 * 1024 * 1024)
                    except zlib.error:
                        return None
                    m = _PACKET_RE.search(text) or _RDF_RE.search(text)
                    return m.group(0) if m else None
            return None
        if ctype == b"IEND":
            break
        pos += 12 + length
    return None


def _matches(qname: str, ns: str, local: str) -> bool:
    if qname.startswith("{"):
        return qname == f"{{{ns}}}{local}"
    # undeclared prefix in a recovered packet: lxml keeps the literal "prefix:local"
    return qname == f"{_PREFIXES.get(ns, '')}:{local}" or qname == local


def _element_value(el: Any) -> list[str]:
    """Values of a property element: rdf:resource, rdf:Alt/Seq/Bag items or its text."""
    resource = el.get(f"{{{NS_RDF}}}resource") or el.get("rdf:resource")
    if resource:
        return [resource.strip()]
    items = [li for li in el.iter() if isinstance(li.tag, str) and _matches(li.tag, NS_RDF, "li")]
    if items:
        # prefer the x-default entry of a language alternative
        items.sort(key=lambda li: li.get(f"{{{NS_XML}}}lang") != "x-default")
        values = []
        for li in items:
            r = li.get(f"{{{NS_RDF}}}resource") or li.get("rdf:resource")
            text = r or "".join(li.itertext())
            if text and text.strip():
                values.append(text.strip())
        return values
    text = "".join(el.itertext())
    return [text.strip()] if text and text.strip() else []


def _prop(root: Any, ns: str, local: str) -> list[str]:
    """All values of ``ns:local``, written as an attribute or as an element anywhere in the RDF."""
    values: list[str] = []
    attr_names = (f"{{{ns}}}{local}", f"{_PREFIXES.get(ns, '')}:{local}")
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name in attr_names:
            v = el.get(name)
            if v and v.strip():
                values.append(v.strip())
        if _matches(el.tag, ns, local):
            values.extend(_element_value(el))
    return values


def _first(root: Any, ns: str, local: str) -> str | None:
    values = _prop(root, ns, local)
    return clip(values[0]) if values else None


# The last body scanned and what it held: the iptc and provenance families and the licence
# pipeline read the same probe body one after the other (one scan instead of three; by identity,
# so no hashing of the body). Findings are frozen, so sharing them is safe.
_last_scan: tuple[bytes, XmpFindings | None] | None = None


def scan_xmp(data: bytes) -> XmpFindings | None:
    """Find and read the XMP packet in the leading bytes of an image; None if there is none."""
    global _last_scan
    if not data:
        return None
    last = _last_scan
    if last is not None and last[0] is data:
        return last[1]
    findings = _scan(data)
    _last_scan = (data, findings)
    return findings


def _scan(data: bytes) -> XmpFindings | None:
    packet = _find_packet(data)
    if not packet:
        return None
    try:
        root = etree.fromstring(packet, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:
        return None
    creators = _prop(root, NS_DC, "creator")
    findings = XmpFindings(
        web_statement=_first(root, NS_XMP_RIGHTS, "WebStatement"),
        cc_license=_first(root, NS_CC, "license"),
        rights=_first(root, NS_DC, "rights"),
        usage_terms=_first(root, NS_XMP_RIGHTS, "UsageTerms"),
        credit=_first(root, NS_PHOTOSHOP, "Credit"),
        creator=clip("; ".join(dict.fromkeys(creators))) if creators else None,
        licensor_url=_first(root, NS_PLUS, "LicensorURL"),
        licensor_name=_first(root, NS_PLUS, "LicensorName"),
        data_mining=_first(root, NS_PLUS, "DataMining"),
        other_constraints=_first(root, NS_PLUS, "OtherConstraints"),
        digital_source_type=_first(root, NS_IPTC_EXT, "DigitalSourceType"),
    )
    return findings


# --- IPTC/PLUS Data Mining (§7.4) ---------------------------------------------------------------

_DMI_IDS = frozenset(
    {
        "DMI-UNSPECIFIED",
        "DMI-ALLOWED",
        "DMI-PROHIBITED-AIMLTRAINING",
        "DMI-PROHIBITED-GENAIMLTRAINING",
        "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING",
        "DMI-PROHIBITED",
        "DMI-PROHIBITED-SEECONSTRAINT",
        "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR",
        "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR",
    }
)


def _dmi_id(value: str) -> str | None:
    """The PLUS vocabulary id of a DataMining value: a URI (last path segment), id or label."""
    v = value.strip().rstrip("/")
    last = v.rsplit("/", 1)[-1].rsplit("#", 1)[-1].strip().upper()
    if last.startswith("DMI-"):
        # An unknown DMI-PROHIBITED-* variant still reserves rights (§0: lenient only in the
        # restrictive direction).
        if last in _DMI_IDS or last.startswith("DMI-PROHIBITED"):
            return last
        return None
    label = " ".join(v.lower().split())
    if not label:
        return None
    if label.startswith("unspecified"):
        return "DMI-UNSPECIFIED"
    if label == "allowed":
        return "DMI-ALLOWED"
    if not label.startswith("prohibited"):
        return None
    if "search engine" in label:
        return "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING"
    if "generative" in label:
        return "DMI-PROHIBITED-GENAIMLTRAINING"
    if "ai/ml" in label or "aiml" in label or "training" in label:
        return "DMI-PROHIBITED-AIMLTRAINING"
    if "embedded" in label:
        return "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR"
    if "linked" in label:
        return "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR"
    if "constraint" in label:
        return "DMI-PROHIBITED-SEECONSTRAINT"
    return "DMI-PROHIBITED"


def data_mining_signal(value: str | None, source: str) -> Signal:
    """The consent ``Signal`` of a ``plus:DataMining`` value (§7.4 table).

    Every DMI-PROHIBITED* value disallows (reason ``iptc:data-mining=<ID>``: a LAION-style index
    feeds generative training, and "except search engine indexing" still forbids training);
    DMI-ALLOWED allows; DMI-UNSPECIFIED, an absent value or one we cannot read is unknown.
    """
    raw = (value or "").strip()
    if not raw:
        return Signal.unknown("iptc", source, "")
    dmi = _dmi_id(raw)
    if dmi is None or dmi == "DMI-UNSPECIFIED":
        return Signal.unknown("iptc", source, raw)
    if dmi == "DMI-ALLOWED":
        return Signal.allow("iptc", source, raw)
    return Signal.disallow("iptc", f"data-mining={dmi}", source, raw)


def xmp_evidence(findings: XmpFindings | None, image_url: str) -> list[LicenseEvidence]:
    """Image-scoped licence evidence from an image's XMP (source ``xmp``).

    ``cc:license`` and ``xmpRights:WebStatement`` each give one piece of evidence (high confidence
    when they name a known licence, low for a bare rights URL); attribution fields ride along.
    With no licence field but some attribution, one attribution-only evidence is returned.
    """
    if findings is None:
        return []
    attrs: Attribution = {
        "credit": findings.credit,
        "creator": findings.creator,
        "acquire_license_page": findings.licensor_url,
        "copyright_notice": findings.rights,
    }
    out: list[LicenseEvidence] = []
    seen: set[tuple[str | None, str | None]] = set()
    for raw in (findings.cc_license, findings.web_statement, findings.usage_terms):
        if not raw:
            continue
        spdx, url = normalize_license(raw)
        if not (spdx or url) or (spdx, url) in seen:
            continue
        seen.add((spdx, url))
        confidence = "high" if spdx else "low"
        out.append(
            LicenseEvidence(spdx, url, "image", "xmp", "", confidence, image_url, raw=raw, **attrs)
        )
    if not out and any(attrs.values()):
        out.append(LicenseEvidence(None, None, "image", "xmp", "", "high", image_url, **attrs))
    return out
