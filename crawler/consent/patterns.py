"""Robots-style path patterns (RFC 9309 §2.2.2-2.2.3): the one normaliser and matcher shared by
robots.txt (``Allow``/``Disallow`` and its extension records), ai.txt and TDMRep.

``normalize_path`` turns a URL or a path into the canonical octet string that rules are matched
against; ``PathPattern`` compiles one ``Allow``/``Disallow``/``location`` pattern (``*`` = any run
of characters, a trailing ``$`` = end of path) exactly once. Matching is case-sensitive. Which
pattern wins among several (robots.txt's longest match) is the caller's business.

Percent-encoding is normalised the same way on both sides (RFC 9309 §2.2.2; TDMRep "TDM File"):
``%XX`` escapes of unreserved characters are decoded, other escapes get uppercase hex, octets
outside RFC 3986 are encoded. The two pattern operators are the exception: in a URL a literal
``*`` or ``$`` is encoded (``%2A``/``%24``) because a pattern can only name them that way
(RFC 9309 §2.2.3 and the TDMRep table: the pattern ``/path/foo-%24`` matches ``/path/foo-$``);
in a pattern ``*`` is always the wildcard and ``$`` the end anchor when last, a literal ``$``
elsewhere.

Matching takes linear time (no regex, no backtracking): the pattern is split at its ``*``\\ s,
the first segment must be a prefix, every later segment is found with one ``str.find`` at the
leftmost place after the previous one (greedy leftmost is exact for ``*``-only patterns), and an
anchored last segment must end the path. A hostile file such as ``/*a*a*a*...*b`` therefore costs
one scan per segment instead of exponential backtracking on the reactor thread.

No Scrapy imports: these run on the hot path for every page and image.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["PathPattern", "normalize_path", "path_pattern"]

# RFC 3986 §2.2/§2.3: unreserved + reserved characters are left as they are; every other octet
# (controls, SP, '"', '<', '>', '\\', '^', '`', '{', '|', '}', non-ASCII) gets percent-encoded.
# '*' and '$' are reserved too, but they are the pattern operators, so in a URL they are encoded
# (see the module docstring); in a pattern '*' stays the wildcard and '$' is handled separately.
_URL_SAFE = "A-Za-z0-9\\-._~:/?\\[\\]@!&'()+,;="
_PATTERN_SAFE = _URL_SAFE + "*"
_URL_CLEAN = re.compile(f"[{_URL_SAFE}]*\\Z")
_URL_TO_FIX = re.compile(f"%[0-9A-Fa-f]{{2}}|[^{_URL_SAFE}]")
_PATTERN_CLEAN = re.compile(f"[{_PATTERN_SAFE}]*\\Z")
_PATTERN_TO_FIX = re.compile(f"%[0-9A-Fa-f]{{2}}|[^{_PATTERN_SAFE}]")
_SCHEME_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _fix(match: re.Match[str]) -> str:
    token = match.group()
    if len(token) == 3:  # "%XX": RFC 9309 §2.2.2 decodes only unreserved octets; uppercase hex.
        char = chr(int(token[1:], 16))
        return char if char in _UNRESERVED else token.upper()
    return "".join(f"%{octet:02X}" for octet in token.encode("utf-8", "surrogatepass"))


def _encode_url(text: str) -> str:
    """Percent-encode octets outside the RFC 3986 set (and ``*``/``$``); canonicalise ``%XX``."""
    if _URL_CLEAN.match(text):
        return text
    # A '%' not followed by two hex digits is not an escape: encode it as "%25".
    return _URL_TO_FIX.sub(_fix, text)


def _encode_pattern(text: str) -> str:
    """As ``_encode_url`` but ``*`` stays the wildcard (a literal ``$`` becomes ``%24``)."""
    if _PATTERN_CLEAN.match(text):
        return text
    return _PATTERN_TO_FIX.sub(_fix, text)


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
    return _encode_url(text)


def _literal(char: str) -> str:
    """One character as a regex literal, the same in RE2 and Python ``re`` (``\\xHH`` for ASCII
    punctuation; normalised patterns are ASCII, and no other character is special)."""
    if not char.isascii() or char.isalnum() or char == "/":
        return char
    return f"\\x{ord(char):02X}"


class PathPattern:
    """One robots-style path pattern, compiled once.

    ``length`` is the number of octets of the normalised pattern (the RFC 9309 "most octets"
    measure used for longest-match). A pattern that starts with neither ``/`` nor ``*`` (e.g.
    ``private/``) is treated as if it started with ``/`` so that sloppy files remain usable;
    ``*.jpg`` (the Spawning ai.txt idiom) already starts with ``*`` and is taken as is.
    """

    __slots__ = ("_anchored", "_head", "_middle", "_tail", "length", "normalized", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        text = pattern.strip()
        match = _SCHEME_AUTHORITY.match(text)
        if match:  # a full URL where a path was expected (seen in tdmrep.json "location")
            text = text[match.end() :] or "/"
        if text and text[0] not in "/*":
            text = "/" + text
        # RFC 9309 §2.2.3: "$" is special only as the last character of the pattern.
        anchored = text.endswith("$")
        body = _encode_pattern(text[:-1] if anchored else text)
        self.normalized = body + "$" if anchored else body
        self.length = len(self.normalized)  # ASCII after encoding: characters == octets
        if not anchored:
            body = body.rstrip("*")  # a trailing run of "*" adds nothing to a prefix match
        segments = body.split("*")
        self._anchored = anchored
        self._head = segments[0]
        # None: no wildcard at all (a prefix, or an exact match when anchored).
        self._tail: str | None = segments[-1] if len(segments) > 1 else None
        self._middle = tuple(segment for segment in segments[1:-1] if segment)

    def matches(self, normalized_path: str) -> bool:
        """True when the pattern matches ``normalized_path`` (from ``normalize_path``).

        Greedy leftmost matching of the literal segments: at most one ``str.find`` each.
        """
        path = normalized_path
        head = self._head
        if not path.startswith(head):
            return False
        tail = self._tail
        if tail is None:
            return len(path) == len(head) if self._anchored else True
        position = len(head)
        for segment in self._middle:
            found = path.find(segment, position)
            if found < 0:
                return False
            position = found + len(segment)
        if self._anchored:
            # The last segment must end the path without overlapping what is already used.
            return len(path) - len(tail) >= position and path.endswith(tail)
        return not tail or path.find(tail, position) >= 0

    def regex(self) -> str:
        """The pattern as a regular expression over normalised paths, for engines that scan a
        whole column at once (RE2 via ``pyarrow.compute.match_substring_regex``: linear time).
        It matches exactly the paths ``matches`` accepts: the literal segments in order with
        any run between them, from the start, to the end when anchored."""
        parts = [self._head, *self._middle]
        if self._tail is not None:
            parts.append(self._tail)
        body = ".*".join("".join(_literal(c) for c in part) for part in parts)
        return "(?s)^" + body + ("$" if self._anchored else "")

    @property
    def matches_every_path(self) -> bool:
        """True when the pattern matches every normalised path (``/``, ``*``, ``/*``): a rule
        with it decides the same for every URL of its host."""
        return not self._anchored and self._tail is None and self._head in ("", "/")

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
