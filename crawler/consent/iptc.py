"""IPTC ``plus:DataMining`` in the image's XMP (consent-signals.md §7.4), read after the probe.

Only ``IMAGE_PROBE=range`` gives the probe the image's first bytes; the XMP packet is scanned
there (``crawler.licenses.xmp``, which also feeds the licence columns). Every DMI-PROHIBITED*
value excludes with ``iptc:data-mining=<ID>``; no packet or no value: no signal.
"""

from __future__ import annotations

from crawler.consent.family import EvalEnv, Family, ImageContext, Phase, Reason, Switch
from crawler.consent.verdict import Signal
from crawler.licenses.xmp import data_mining_signal, scan_xmp

__all__ = ["FAMILY"]


def _image(ctx: ImageContext, env: EvalEnv) -> list[Signal]:
    probe = ctx.probe
    if probe is None or not probe.body:
        return []
    xmp = scan_xmp(probe.body)
    if xmp is None or not xmp.data_mining:
        return []
    return [data_mining_signal(xmp.data_mining, f"xmp:{ctx.url}")]


FAMILY = Family(
    name="iptc",
    summary="IPTC plus:DataMining in the image's XMP (needs IMAGE_PROBE=range)",
    spec="IPTC Photo Metadata / PLUS Data Mining; consent-signals.md §7.4",
    reasons=(Reason("iptc:data-mining=*", "a DMI-PROHIBITED* plus:DataMining value"),),
    switches=(
        Switch(
            "iptc", "IPTC_ENABLED", "IPTC plus:DataMining in image XMP (needs IMAGE_PROBE=range)"
        ),
    ),
    image=_image,
    image_phase=Phase.AFTER_PROBE,
)
