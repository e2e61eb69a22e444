"""Consent documents cut at the download cap (pure; the fetching is crawler/consentdocs.py).

A document larger than the store's download cap is not a failure: the download stops at the cap
and the parser gets the first bytes with ``error`` set to ``SIZE_CAP_NOTE``. Here so that the
family modules' parsers (crawler/consent/) can read it without importing Scrapy.
"""

from __future__ import annotations

__all__ = ["SIZE_CAP_NOTE", "size_capped_fetch", "stopped_at_size_cap"]

# ``error`` of a document whose download stopped at the size cap: ``body`` is its first bytes.
SIZE_CAP_NOTE = "download stopped at the size cap"


def stopped_at_size_cap(error: str | None) -> bool:
    """Whether a fetch was cut at the download cap (its body, if any, is the first part)."""
    return error is not None and error.startswith(SIZE_CAP_NOTE)


def size_capped_fetch(
    status: int | None, body: bytes | None, error: str | None
) -> tuple[int | None, bytes | None, bool]:
    """``(status, body, truncated)`` for a parser of a document other than robots.txt.

    A download stopped at the size cap is a document that exists: its first bytes are parsed
    (``truncated``). One cancelled before any byte was kept (Scrapy's limit on a compressed
    body) is read as an empty cut 2xx body, i.e. unreadable, never as "no file".
    """
    if not stopped_at_size_cap(error):
        return status, body, False
    if status is None:
        return 200, b"", True
    return status, body, True
