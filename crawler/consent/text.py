"""Decoding of line-based consent documents (robots.txt, ai.txt). Pure, no Scrapy.

RFC 9309 §2.5: parse at least 500 KiB; we keep the first ``MAX_TEXT_BYTES`` and drop the line
the cut falls in, so a truncated pattern can never widen a rule.

Decisions go the restrictive way (issue 9): control characters (NUL and the other C0 controls
but TAB, CR and LF, and DEL) are removed, so ``Disallow: /\\0`` still disallows ``/``; a UTF-16
body without a byte order mark is recognised by its NUL bytes and read like one with a BOM.
"""

from __future__ import annotations

import re

MAX_TEXT_BYTES = 512 * 1024

_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+")
_SNIFF_BYTES = 64


def _utf16_without_bom(body: bytes) -> str | None:
    """``utf-16-le`` / ``utf-16-be`` when the NUL bytes sit at every other offset, else None.

    ASCII text in UTF-16 has a NUL high byte in (nearly) every code unit; UTF-8 text has
    no NUL at all, so three NULs in four code units of the first 64 bytes is unambiguous.
    """
    head = body[:_SNIFF_BYTES]
    units = len(head) // 2
    if units < 2:
        return None
    even_nuls = head[0 : units * 2 : 2].count(0)
    odd_nuls = head[1 : units * 2 : 2].count(0)
    if odd_nuls * 4 >= units * 3 and even_nuls * 4 < units:
        return "utf-16-le"
    if even_nuls * 4 >= units * 3 and odd_nuls * 4 < units:
        return "utf-16-be"
    return None


def decode_text(body: bytes, limit: int = MAX_TEXT_BYTES) -> str:
    """UTF-8, or UTF-16 (with or without a BOM); BOM and control characters removed, bad bytes
    replaced; at most the first ``limit`` bytes, without the line the cut falls in."""
    truncated = len(body) > limit
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = "utf-16"
    else:
        codec = _utf16_without_bom(body) or "utf-8-sig"
    if truncated:
        body = body[: limit - (limit % 2 if codec != "utf-8-sig" else 0)]
    text = body.decode(codec, errors="replace")
    if truncated:
        cut = max(text.rfind("\n"), text.rfind("\r"))
        text = text[: cut + 1] if cut >= 0 else ""
    text = text.lstrip("\ufeff")
    return _CONTROLS.sub("", text)
