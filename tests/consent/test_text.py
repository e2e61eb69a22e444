"""The shared decoder of robots.txt and ai.txt (crawler.consent.text)."""

from __future__ import annotations

import pytest

from crawler.consent.aitxt import aitxt_from_fetch
from crawler.consent.text import decode_text
from crawler.consent.verdict import Decision

BODY = "User-agent: *\nDisallow: /private/\n"


def test_control_bytes_are_removed() -> None:
    assert decode_text(b"User-agent: *\nDisallow: /\x00\n") == "User-agent: *\nDisallow: /\n"
    assert decode_text(b"A\x01\x1f\x7fB\tC\r\n") == "AB\tC\r\n"  # TAB, CR, LF kept


def test_nul_in_aitxt_rule_still_refuses() -> None:
    body = b"User-Agent: *\nDisallow: *.png\x00\n"
    aitxt = aitxt_from_fetch(200, body, "https://example.test/ai.txt", "consentcrawl")
    assert aitxt.check("/images/a.png").decision is Decision.DISALLOW


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(codec: str) -> None:
    assert decode_text(BODY.encode(codec)) == BODY


@pytest.mark.parametrize("codec", ["utf-16", "utf-8-sig"])
def test_with_bom(codec: str) -> None:
    assert decode_text(BODY.encode(codec)) == BODY


def test_utf8_is_not_mistaken_for_utf16() -> None:
    text = "User-agent: *\nDisallow: /café/\n"
    assert decode_text(text.encode()) == text
    assert decode_text(b"ab") == "ab"


@pytest.mark.parametrize("codec", ["utf-8", "utf-16-le", "utf-16-be", "utf-16"])
def test_cut_drops_the_partial_line(codec: str) -> None:
    body = ("User-agent: *\nDisallow: /early/\n" + "Disallow: /late/" * 50).encode(codec)
    text = decode_text(body, limit=len(body) - 7)
    assert text == "User-agent: *\nDisallow: /early/\n"
