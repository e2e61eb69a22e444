"""Simulated hosts for the C2PA and provenance families (end-to-end tests).

One host per case, so a row's reasons can only come from the case under test. Every host allows
everything in robots.txt and has no other consent document. The images are the real C2PA
fixtures of ``tests/data/c2pa`` (see PROVENANCE.md there), served as they are:

- ``refuse.c2pa.test``: CAWG training-mining ``notAllowed`` (signed, untrusted test signer);
- ``allow.c2pa.test``: every entry ``allowed``;
- ``constrained.c2pa.test``: ``ai_generative_training`` ``constrained``;
- ``unsigned.c2pa.test``: a PNG with no C2PA at all;
- ``ai.c2pa.test``: ``c2pa.created`` with digitalSourceType ``trainedAlgorithmicMedia``;
- ``xmp-ai.c2pa.test``: no C2PA, XMP ``Iptc4xmpExt:DigitalSourceType`` trainedAlgorithmicMedia;
- ``real.c2pa.test``: c2pa-rs's ``C_with_CAWG_data.jpg`` (139 KB, a 53 KB manifest store ahead
  of the image data; ``cawg.ai_generative_training`` notAllowed, digitalCapture);
- ``link.c2pa.test``: an unsigned PNG whose response carries
  ``Link: </manifests/sunrise.c2pa>; rel="c2pa-manifest"`` (noted, never fetched).

``C2PA_EXPECTED``: image URL -> ``{"strict", "standard", "cut", "columns"}``: the sorted
exclusion reasons with ``IMAGE_PROBE=range`` under strict, under standard with
``EXCLUDE_AI_GENERATED=true`` and ``IMAGE_PROBE_BYTES=16384`` (the real JPEG's store is then
cut), under strict with that same byte cap; and the provenance columns of its row.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from crawler.simweb.demo import _jpeg

__all__ = ["C2PA_EXPECTED", "C2PA_SEEDS", "CUT_BYTES", "MANIFEST_LINK", "c2pa_sites"]

DATA = Path(__file__).resolve().parents[1] / "data" / "c2pa"
CUT_BYTES = 16384  # below the real JPEG's 53 KB store, above every PNG's whole size
MANIFEST_LINK = "http://link.c2pa.test/manifests/sunrise.c2pa"

_HTML = "text/html; charset=utf-8"
_IPTC_AI = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"

NOT_ALLOWED = "c2pa:training-mining=notAllowed"
CONSTRAINED = "c2pa:training-mining=constrained"
AI = "provenance:ai-generated"
NO_COLUMNS = {"digital_source_type": None, "ai_generated": None}
# The signed PNGs (make_fixtures.py) record a c2pa.created action: digitalCapture.
CAPTURE = {"digital_source_type": "digitalCapture", "ai_generated": False}


def _xmp_ai_jpeg() -> bytes:
    """A JPEG whose XMP (APP1, as editors write it) says a trained model made it."""
    packet = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    Iptc4xmpExt:DigitalSourceType="{_IPTC_AI}"/>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + packet
    segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    jpeg = _jpeg(320, 240, 90, "xmp-ai")
    return jpeg[:2] + segment + jpeg[2:]


# host -> (image path, bytes, content type, extra headers, caption, expectations)
def _cases() -> list[tuple[str, str, bytes, str, list[list[str]], str, dict[str, Any]]]:
    def png(name: str) -> bytes:
        return (DATA / name).read_bytes()

    ai_columns = {"digital_source_type": "trainedAlgorithmicMedia", "ai_generated": True}
    return [
        (
            "refuse.c2pa.test",
            "/img/harbour.png",
            png("cawg_notallowed.png"),
            "image/png",
            [],
            "Fishing boats moored in the harbour at dawn",
            {"strict": [NOT_ALLOWED], "standard": [NOT_ALLOWED], "columns": CAPTURE},
        ),
        (
            "allow.c2pa.test",
            "/img/meadow.png",
            png("cawg_allowed.png"),
            "image/png",
            [],
            "Wild flowers in a mountain meadow in June",
            {"strict": [], "standard": [], "columns": CAPTURE},
        ),
        (
            "constrained.c2pa.test",
            "/img/bridge.png",
            png("cawg_constrained.png"),
            "image/png",
            [],
            "An old stone bridge over a shallow river",
            {"strict": [CONSTRAINED], "standard": [], "columns": CAPTURE},
        ),
        (
            "unsigned.c2pa.test",
            "/img/tower.png",
            png("unsigned.png"),
            "image/png",
            [],
            "A clock tower seen from the market square",
            {"strict": [], "standard": [], "columns": NO_COLUMNS},
        ),
        (
            "ai.c2pa.test",
            "/img/dragon.png",
            png("ai_generated.png"),
            "image/png",
            [],
            "A dragon sleeping on a pile of gold coins",
            {"strict": [], "standard": [AI], "columns": ai_columns},
        ),
        (
            "xmp-ai.c2pa.test",
            "/img/castle.jpg",
            _xmp_ai_jpeg(),
            "image/jpeg",
            [],
            "A castle floating above the clouds at sunset",
            {"strict": [], "standard": [AI], "columns": ai_columns},
        ),
        (
            "real.c2pa.test",
            "/img/capture.jpg",
            (DATA / "C_with_CAWG_data.jpg").read_bytes(),
            "image/jpeg",
            [],
            "A photograph with content credentials attached",
            {
                "strict": [NOT_ALLOWED],
                "standard": [],  # cut at 16 KB: unreadable, unknown under standard
                "cut": ["c2pa:unreadable"],
                "columns": CAPTURE,
            },
        ),
        (
            "link.c2pa.test",
            "/img/sunrise.png",
            png("unsigned.png"),
            "image/png",
            [["Link", '</manifests/sunrise.c2pa>; rel="c2pa-manifest"']],
            "Sunrise over a frozen lake in winter",
            {"strict": [], "standard": [], "columns": NO_COLUMNS},
        ),
    ]


def _page(host: str, src: str, caption: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{html.escape(caption)} | {host}</title></head>
<body>
  <main><article>
    <h1>{html.escape(caption)}</h1>
    <p>A picture from {host}, with its content credentials as the camera or tool wrote them.</p>
    <img src="{html.escape(src)}" alt="{html.escape(caption)}" width="320" height="240">
  </article></main>
</body>
</html>
"""


def c2pa_sites() -> dict[str, Any]:
    """The SimWeb sites dict (a fresh one per call)."""
    hosts: dict[str, Any] = {}
    for host, path, data, ctype, headers, caption, _ in _cases():
        hosts[host] = {
            "routes": {
                "/robots.txt": {
                    "headers": {"Content-Type": "text/plain"},
                    "body": "User-agent: *\nAllow: /\n",
                },
                "/": {"headers": {"Content-Type": _HTML}, "body": _page(host, path, caption)},
                path: {
                    "headers": [["Content-Type", ctype], *headers],
                    "body_b64": base64.b64encode(data).decode("ascii"),
                },
            },
            "default": {"status": 404, "body": "not found"},
        }
    return {"hosts": hosts, "default": {"status": 502, "body": "unknown host"}}


C2PA_SEEDS: tuple[str, ...] = tuple(f"http://{case[0]}/" for case in _cases())


def _expected() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for host, path, *_, expect in _cases():
        out[f"http://{host}{path}"] = {"cut": expect["strict"], **expect}
    return out


C2PA_EXPECTED: dict[str, dict[str, Any]] = _expected()
