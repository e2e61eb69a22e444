"""XMP packet scanning in synthetic JPEG/PNG/WebP/GIF bytes, and the IPTC Data Mining signal."""

from __future__ import annotations

import struct
import zlib

import pytest

from crawler.consent.verdict import Decision
from crawler.licenses.xmp import XmpFindings, data_mining_signal, scan_xmp, xmp_evidence

DMI = "http://ns.useplus.org/ldf/vocab/"

FULL_PACKET = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Test">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/"
    xmlns:cc="http://creativecommons.org/ns#"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"
    xmpRights:Marked="True"
    xmpRights:WebStatement="https://creativecommons.org/licenses/by-sa/4.0/deed.en"
    photoshop:Credit="ACME Photo Agency"
    plus:DataMining="{DMI}DMI-PROHIBITED-GENAIMLTRAINING">
   <cc:license rdf:resource="http://creativecommons.org/licenses/by-sa/4.0/"/>
   <dc:rights><rdf:Alt>
     <rdf:li xml:lang="de">Alle Rechte</rdf:li>
     <rdf:li xml:lang="x-default">(c) 2024 Jane Doe</rdf:li>
   </rdf:Alt></dc:rights>
   <xmpRights:UsageTerms><rdf:Alt>
     <rdf:li xml:lang="x-default">Licensed under CC BY-SA 4.0</rdf:li>
   </rdf:Alt></xmpRights:UsageTerms>
   <dc:creator><rdf:Seq><rdf:li>Jane Doe</rdf:li><rdf:li>John Roe</rdf:li></rdf:Seq></dc:creator>
   <plus:Licensor><rdf:Seq><rdf:li rdf:parseType="Resource">
     <plus:LicensorName>ACME</plus:LicensorName>
     <plus:LicensorURL>https://acme.example/license/123</plus:LicensorURL>
   </rdf:li></rdf:Seq></plus:Licensor>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def jpeg_with_xmp(packet: bytes) -> bytes:
    """SOI, an Exif APP1, the XMP APP1 (namespace header + packet), a DQT stub, EOI."""

    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload

    exif = segment(0xE1, b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08" + b"\x00" * 16)
    xmp = segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + packet)
    return b"\xff\xd8" + exif + xmp + segment(0xDB, b"\x00" * 65) + b"\xff\xd9"


def _png_chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def png_with_xmp(packet: bytes, compressed: bool = False) -> bytes:
    ihdr = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    text = zlib.compress(packet) if compressed else packet
    itxt = b"XML:com.adobe.xmp\x00" + bytes([1 if compressed else 0, 0]) + b"\x00\x00" + text
    idat = _png_chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00"))
    return b"\x89PNG\r\n\x1a\n" + ihdr + _png_chunk(b"iTXt", itxt) + idat + _png_chunk(b"IEND", b"")


def webp_with_xmp(packet: bytes) -> bytes:
    chunk = (
        b"XMP " + struct.pack("<I", len(packet)) + packet + (b"\x00" if len(packet) % 2 else b"")
    )
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x04" + b"\x00" * 9
    body = b"WEBP" + vp8x + chunk
    return b"RIFF" + struct.pack("<I", len(body)) + body


def gif_with_xmp(packet: bytes) -> bytes:
    magic_trailer = b"\x01" + bytes(range(255, -1, -1)) + b"\x00"
    ext = b"\x21\xff\x0bXMP DataXMP" + packet + magic_trailer
    return b"GIF89a" + b"\x01\x00\x01\x00\x00\x00\x00" + ext + b"\x3b"


def minimal_packet(description_attrs: str = "", body: str = "") -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" '
        'xmlns:cc="http://creativecommons.org/ns#" '
        'xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/">'
        f'<rdf:Description rdf:about="" {description_attrs}>{body}</rdf:Description>'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()


# --- scanning ---------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [jpeg_with_xmp, png_with_xmp, webp_with_xmp, gif_with_xmp])
def test_full_packet_in_every_container(build) -> None:
    f = scan_xmp(build(FULL_PACKET))
    assert f == XmpFindings(
        web_statement="https://creativecommons.org/licenses/by-sa/4.0/deed.en",
        cc_license="http://creativecommons.org/licenses/by-sa/4.0/",
        rights="(c) 2024 Jane Doe",
        usage_terms="Licensed under CC BY-SA 4.0",
        credit="ACME Photo Agency",
        creator="Jane Doe; John Roe",
        licensor_url="https://acme.example/license/123",
        licensor_name="ACME",
        data_mining=f"{DMI}DMI-PROHIBITED-GENAIMLTRAINING",
    )


def test_compressed_png_itxt_is_inflated() -> None:
    data = png_with_xmp(FULL_PACKET, compressed=True)
    assert b"xmpmeta" not in data  # the packet text is hidden by zlib
    f = scan_xmp(data)
    assert f is not None and f.data_mining == f"{DMI}DMI-PROHIBITED-GENAIMLTRAINING"


def test_element_forms_and_cc_license_attribute() -> None:
    packet = minimal_packet(
        'cc:license="https://creativecommons.org/publicdomain/zero/1.0/"',
        f"<plus:DataMining>{DMI}DMI-ALLOWED</plus:DataMining>"
        "<xmpRights:WebStatement>https://example.com/rights</xmpRights:WebStatement>",
    )
    f = scan_xmp(jpeg_with_xmp(packet))
    assert f is not None
    assert f.cc_license == "https://creativecommons.org/publicdomain/zero/1.0/"
    assert f.data_mining == f"{DMI}DMI-ALLOWED"
    assert f.web_statement == "https://example.com/rights"


def test_data_mining_as_rdf_resource() -> None:
    packet = minimal_packet(body=f'<plus:DataMining rdf:resource="{DMI}DMI-PROHIBITED"/>')
    f = scan_xmp(packet)
    assert f is not None and f.data_mining == f"{DMI}DMI-PROHIBITED"


def test_undeclared_namespace_prefixes_are_tolerated() -> None:
    packet = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description plus:DataMining="DMI-PROHIBITED-AIMLTRAINING">'
        b"<photoshop:Credit>Agency</photoshop:Credit></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    f = scan_xmp(b"\xff\xd8garbage" + packet + b"\xff\xd9")
    assert f is not None
    assert (f.data_mining, f.credit) == ("DMI-PROHIBITED-AIMLTRAINING", "Agency")


def test_truncated_packet_from_a_ranged_download_still_reads_what_arrived() -> None:
    data = jpeg_with_xmp(FULL_PACKET)
    cut = data[: data.index(b"<dc:rights>")]
    f = scan_xmp(cut)
    assert f is not None
    assert f.data_mining == f"{DMI}DMI-PROHIBITED-GENAIMLTRAINING"
    assert f.credit == "ACME Photo Agency" and f.rights is None


def test_no_xmp_gives_none() -> None:
    assert scan_xmp(b"") is None
    assert scan_xmp(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100 + b"\xff\xd9") is None
    assert scan_xmp(png_with_xmp(b"not xmp at all")) is None
    # a packet cut right after its start tag: present, but nothing to read
    cut = scan_xmp(b'\xff\xd8<x:xmpmeta xmlns:x="adobe:ns:meta/"')
    assert cut is not None and cut.empty


def test_packet_without_rights_fields_is_empty() -> None:
    f = scan_xmp(minimal_packet('xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="5"'))
    assert f is not None and f.empty


def test_entities_are_not_expanded() -> None:
    packet = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        + minimal_packet(body="<xmpRights:UsageTerms>&e;</xmpRights:UsageTerms>")
    )
    f = scan_xmp(packet)
    assert f is None or not (f.usage_terms or "").startswith("root:")


# --- data_mining_signal (§7.4 table) ----------------------------------------------------------

PROHIBITIONS = [
    "DMI-PROHIBITED-AIMLTRAINING",
    "DMI-PROHIBITED-GENAIMLTRAINING",
    "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING",
    "DMI-PROHIBITED",
    "DMI-PROHIBITED-SEECONSTRAINT",
    "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR",
    "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR",
]


@pytest.mark.parametrize("dmi", PROHIBITIONS)
@pytest.mark.parametrize("form", ["uri", "http-slash", "bare", "lower"])
def test_every_prohibition_disallows(dmi: str, form: str) -> None:
    value = {
        "uri": DMI + dmi,
        "http-slash": DMI + dmi + "/",
        "bare": dmi,
        "lower": (DMI + dmi).lower(),
    }[form]
    sig = data_mining_signal(value, "https://cdn.example/a.jpg")
    assert sig.decision is Decision.DISALLOW
    assert sig.family == "iptc"
    assert sig.reason == f"iptc:data-mining={dmi}"
    assert sig.source == "https://cdn.example/a.jpg" and sig.value == value


def test_spec_example_reason() -> None:
    sig = data_mining_signal(DMI + "DMI-PROHIBITED-AIMLTRAINING", "xmp:https://x/a.jpg")
    assert sig.reason == "iptc:data-mining=DMI-PROHIBITED-AIMLTRAINING"


@pytest.mark.parametrize(
    ("label", "dmi"),
    [
        ("Prohibited for AI/ML training", "DMI-PROHIBITED-AIMLTRAINING"),
        ("Prohibited for Generative AI/ML training", "DMI-PROHIBITED-GENAIMLTRAINING"),
        (
            "Prohibited except for search engine indexing",
            "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING",
        ),
        ("Prohibited", "DMI-PROHIBITED"),
        ("prohibited, see plus:OtherConstraints", "DMI-PROHIBITED-SEECONSTRAINT"),
        ("Prohibited, see embedded rights expression", "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR"),
        ("Prohibited, see linked rights expression", "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR"),
    ],
)
def test_labels_match_case_insensitively(label: str, dmi: str) -> None:
    for value in (label, label.upper(), f"  {label.lower()} "):
        assert data_mining_signal(value, "s").reason == f"iptc:data-mining={dmi}"


def test_allowed_and_unknown() -> None:
    assert data_mining_signal(DMI + "DMI-ALLOWED", "s").decision is Decision.ALLOW
    assert data_mining_signal("Allowed", "s").decision is Decision.ALLOW
    for value in (DMI + "DMI-UNSPECIFIED", "Unspecified - no prohibition defined", None, "", "  "):
        sig = data_mining_signal(value, "s")
        assert sig.decision is Decision.UNKNOWN and sig.reason is None
    # an unreadable value is unknown, an unknown prohibition variant still disallows (§0)
    assert data_mining_signal("maybe later", "s").decision is Decision.UNKNOWN
    assert data_mining_signal(DMI + "DMI-ALLOWED-SOMETIMES", "s").decision is Decision.UNKNOWN
    later = data_mining_signal(DMI + "DMI-PROHIBITED-FUTUREUSE", "s")
    assert later.reason == "iptc:data-mining=DMI-PROHIBITED-FUTUREUSE"


def test_end_to_end_from_jpeg_bytes() -> None:
    f = scan_xmp(jpeg_with_xmp(FULL_PACKET))
    sig = data_mining_signal(f.data_mining if f else None, "https://cdn.example/a.jpg")
    assert sig.reason == "iptc:data-mining=DMI-PROHIBITED-GENAIMLTRAINING"
    assert data_mining_signal(None, "x").decision is Decision.UNKNOWN  # spec example 3: no XMP


# --- xmp_evidence -----------------------------------------------------------------------------


def test_xmp_evidence_from_full_packet() -> None:
    img = "https://cdn.example/a.jpg"
    evidence = xmp_evidence(scan_xmp(jpeg_with_xmp(FULL_PACKET)), img)
    assert [(e.spdx, e.url, e.confidence) for e in evidence] == [
        ("CC-BY-SA-4.0", "http://creativecommons.org/licenses/by-sa/4.0/", "high"),
        ("CC-BY-SA-4.0", "https://creativecommons.org/licenses/by-sa/4.0/deed.en", "high"),
    ]
    for e in evidence:
        assert (e.scope, e.source, e.image_url, e.position) == ("image", "xmp", img, "")
        assert e.credit == "ACME Photo Agency" and e.creator == "Jane Doe; John Roe"
        assert e.acquire_license_page == "https://acme.example/license/123"
        assert e.copyright_notice == "(c) 2024 Jane Doe"


def test_xmp_evidence_rights_url_only_and_attribution_only() -> None:
    rights_page = XmpFindings(web_statement="https://www.gettyimages.com/eula", credit="Getty")
    [ev] = xmp_evidence(rights_page, "i")
    assert (ev.spdx, ev.url, ev.confidence, ev.credit) == (
        None,
        "https://www.gettyimages.com/eula",
        "low",
        "Getty",
    )
    [ev] = xmp_evidence(XmpFindings(creator="Ann"), "i")
    assert (ev.spdx, ev.url, ev.creator) == (None, None, "Ann")
    assert xmp_evidence(XmpFindings(), "i") == []
    assert xmp_evidence(None, "i") == []
    [ev] = xmp_evidence(XmpFindings(usage_terms="CC0-1.0"), "i")
    assert ev.spdx == "CC0-1.0"
