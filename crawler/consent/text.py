"""Decoding of line-based consent documents (robots.txt, ai.txt). Pure, no Scrapy.

RFC 9309 §2.5: parse at least 500 KiB; we keep the first ``MAX_TEXT_BYTES`` and drop the line
the cut falls in, so a truncated pattern can never widen a rule.
"""

from __future__ import annotations

MAX_TEXT_BYTES = 512 * 1024


def decode_text(body: bytes, limit: int = MAX_TEXT_BYTES) -> str:
    """UTF-8 (or UTF-16 with a BOM, as some servers send), BOM stripped, bad bytes replaced."""
    if len(body) > limit:
        body = body[:limit]
        cut = max(body.rfind(b"\n"), body.rfind(b"\r"))
        body = body[: cut + 1] if cut >= 0 else b""
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return body.decode("utf-16", errors="replace")
    return body.decode("utf-8-sig", errors="replace")
