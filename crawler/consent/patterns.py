"""Robots-style path patterns (RFC 9309 §2.2.2), shared by robots.txt extensions, ai.txt and TDMRep.

``normalize_path`` turns a URL or a path into the canonical octet string that rules are matched
against; ``PathPattern`` compiles one ``Allow``/``Disallow``/``location`` pattern (``*`` = any run
of characters, a trailing ``$`` = end of path) exactly once. Matching is case-sensitive.

No Scrapy imports: these run on the hot path for every page and image.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["PathPattern", "normalize_path", "path_pattern"]

# RFC 3986 §2.2/§2.3: unreserved + reserved characters are left as they are; every other octet
# (controls, SP, '"', '<', '>', '\\', '^', '`', '{', '|', '}', non-ASCII) gets percent-encoded.
_SAFE = "A-Za-z0-9\\-._~:/?\\[\\]@!$&'()*+,;="
_CLEAN = re.compile(f"[{_SAFE}]*\\Z")
_TO_FIX = re.compile(f"%[0-9A-Fa-f]{{2}}|[^{_SAFE}]")
_SCHEME_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _fix(match: re.Match[str]) -> str:
    token = match.group()
    if len(token) == 3:  # "%XX": RFC 9309 §2.2.2 decodes only unreserved octets; uppercase hex.
        char = chr(int(token[1:], 16))
        return char if char in _UNRESERVED else token.upper()
    return "".join(f"%{octet:02X}" for octet in token.encode("utf-8", "surrogatepass"))


def _encode(text: str) -> str:
    """Percent-encode octets outside the RFC 3986 set; canonicalise existing ``%XX`` escapes."""
    if _CLEAN.match(text):
        return text
    # A '%' not followed by two hex digits is not an escape: encode it as "%25".
    return _TO_FIX.sub(_fix, text)


@lru_cache(maxsize=16384)
def normalize_path(path_or_url: str) -> str:
    """Return the path+query of a URL (or of a bare path), normalised for rule matching.

    The scheme and authority are dropped, the fragment too; a path that does not start with
    ``/`` (including an empty one) gets one prepended.
    """
    text = path_or_url.strip()
    match = _SCHEME_AUTHORITY.match(text)
    if match:
        text = text[match.end() :]
    hash_at = text.find("#")
    if hash_at >= 0:
        text = text[:hash_at]
    if not text.startswith("/"):
        text = "/" + text
    return _encode(text)


class PathPattern:
    """One robots-style path pattern, compiled once.

    ``length`` is the number of octets of the normalised pattern (the RFC 9309 "most octets"
    measure used for longest-match). A pattern that starts with neither ``/`` nor ``*`` (e.g.
    ``private/``) is treated as if it started with ``/`` so that sloppy files remain usable;
    ``*.jpg`` (the Spawning ai.txt idiom) already starts with ``*`` and is taken as is.
    """

    __slots__ = ("_literal", "_mode", "_regex", "length", "normalized", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        text = pattern.strip()
        match = _SCHEME_AUTHORITY.match(text)
        if match:  # a full URL where a path was expected (seen in tdmrep.json "location")
            text = text[match.end() :] or "/"
        if text and text[0] not in "/*":
            text = "/" + text
        normalized = _encode(text)
        self.normalized = normalized
        self.length = len(normalized)  # ASCII after encoding: characters == octets

        # RFC 9309 §2.2.3: "$" is special only as the last character of the pattern.
        anchored = normalized.endswith("$")
        body = normalized[:-1] if anchored else normalized
        if not anchored:
            body = body.rstrip("*")  # a trailing run of "*" adds nothing to a prefix match
        self._regex: re.Pattern[str] | None = None
        self._literal = body
        if "*" not in body:
            self._mode = 2 if anchored else 1  # 1: prefix, 2: exact
        elif body.startswith("*") and "*" not in body.lstrip("*"):
            # The ai.txt idiom "*.jpg" (contains) / "*.jpg$" (ends with): no regex needed.
            self._literal = body.lstrip("*")
            self._mode = 5 if anchored else 4
        else:
            self._mode = 3
            parts = [re.escape(part) for part in re.split(r"\*+", body)]
            source = ".*".join(parts) + (r"\Z" if anchored else "")
            self._regex = re.compile(source, re.DOTALL)

    def matches(self, normalized_path: str) -> bool:
        """True when the pattern matches ``normalized_path`` (from ``normalize_path``)."""
        mode = self._mode
        if mode == 1:
            return normalized_path.startswith(self._literal)
        if mode == 2:
            return normalized_path == self._literal
        if mode == 4:
            return self._literal in normalized_path
        if mode == 5:
            return normalized_path.endswith(self._literal)
        return self._regex.match(normalized_path) is not None  # type: ignore[union-attr]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PathPattern) and other.normalized == self.normalized

    def __hash__(self) -> int:
        return hash(self.normalized)

    def __repr__(self) -> str:
        return f"PathPattern({self.pattern!r})"


@lru_cache(maxsize=8192)
def path_pattern(pattern: str) -> PathPattern:
    """A cached ``PathPattern`` (patterns repeat heavily across hosts: ``/``, ``*.jpg`` …)."""
    return PathPattern(pattern)
