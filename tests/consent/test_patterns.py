"""Robots-style path normalisation and patterns (RFC 9309 §2.2.2, consent-signals.md §1)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.consent.patterns import PathPattern, normalize_path, path_pattern


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://example.com/a/b.jpg?x=1#frag", "/a/b.jpg?x=1"),
        ("https://example.com", "/"),
        ("http://example.com:8080?q=1", "/?q=1"),
        ("/path/to/file", "/path/to/file"),
        ("", "/"),
        ("a.jpg", "/a.jpg"),
        # non-ASCII is percent-encoded as UTF-8 with uppercase hex
        ("/foo/bär", "/foo/b%C3%A4r"),
        ("https://h/日本", "/%E6%97%A5%E6%9C%AC"),
        # octets outside the RFC 3986 set get encoded
        ("/a b", "/a%20b"),
        ('/"<>{}|\\^`', "/%22%3C%3E%7B%7D%7C%5C%5E%60"),
        # %XX for unreserved characters is decoded, other escapes keep (uppercased) hex
        ("/%7euser/%41%2d", "/~user/A-"),
        ("/a%2fb%3a", "/a%2Fb%3A"),
        ("/%e2%82%ac", "/%E2%82%AC"),
        # a lone "%" is not an escape
        ("/100%", "/100%25"),
        ("/%zz", "/%25zz"),
        # reserved characters stay as they are, except the pattern operators "*" and "$"
        # (RFC 9309 §2.2.3: a pattern can only name them percent-encoded)
        ("/a;b=c&d=e/f:g@h!'()+,", "/a;b=c&d=e/f:g@h!'()+,"),
        ("/a$b*c", "/a%24b%2Ac"),
        ("/a%24b%2ac", "/a%24b%2Ac"),
    ],
)
def test_normalize_path(given: str, expected: str) -> None:
    assert normalize_path(given) == expected


def test_normalize_path_is_idempotent() -> None:
    once = normalize_path("https://h/ä b/%7e?q=ü")
    assert normalize_path(once) == once


def test_normalize_path_equivalent_spellings_are_equal() -> None:
    # RFC 9309 §2.2.2: "/foo/bär" and "/foo/b%C3%A4r" are the same path
    assert normalize_path("/foo/bär") == normalize_path("/foo/b%c3%a4r")


# consent-signals.md §1 examples 2 and 3, at the pattern level.
@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/example/page/", "/example/page/disallowed.gif", True),
        ("/example/page/disallowed.gif", "/example/page/disallowed.gif", True),
        ("/p", "/page", True),
        ("/p", "/", False),
        ("/*.gif$", "/a.gif", True),
        ("/*.gif$", "/a.gif?x=1", False),
        ("/*.gif$", "/dir/b.gif", True),
        ("/*.gif", "/a.gif?x=1", True),
        ("*.jpg", "/a.jpg", True),
        ("*.jpg", "/deep/dir/photo.jpg", True),
        ("*.jpg", "/a.jpeg", False),
        ("*", "/anything", True),
        ("/", "/anything", True),
        ("/*", "/", True),
        ("/fish", "/Fish.asp", False),  # case-sensitive
        ("/fish*", "/fishheads/yummy.html", True),
        ("/fish/", "/fish", False),
        ("/*.php", "/folder/filename.php?parameters", True),
        ("/*.php$", "/filename.php/", False),
        ("/fish*.php", "/fishheads/catfish.php?parameters", True),
        ("/fish*.php", "/Fish.PHP", False),
        ("/a$", "/a", True),
        ("/a$", "/ab", False),
        ("/a$b", "/a%24b", True),  # "$" is special only at the end
        ("/a**b", "/axxb", True),
        ("/foo/bär", "/foo/b%C3%A4r", True),
        ("/foo/b%c3%a4r", normalize_path("/foo/bär"), True),
        ("/%7Euser", "/~user/x", True),
        ("/a.b+c", "/aXb+c", False),  # regex metacharacters are literal
        ("foo", "/foo/bar", True),  # tolerated: read as "/foo"
        ("foo", "/bar/foo", False),
        ("https://example.com/images/", "/images/x.jpg", True),
    ],
)
def test_pattern_matches(pattern: str, path: str, matches: bool) -> None:
    assert PathPattern(pattern).matches(path) is matches


@pytest.mark.parametrize(
    ("pattern", "length"),
    [
        ("/", 1),
        ("*.jpg", 5),
        ("/example/page/", 14),
        ("/*.gif$", 7),
        ("/foo/bär", len("/foo/b%C3%A4r")),
        ("foo", 4),
    ],
)
def test_pattern_length_counts_normalized_octets(pattern: str, length: int) -> None:
    assert PathPattern(pattern).length == length


def test_longest_match_example_2() -> None:
    # §1 example 2: "*.jpg" (5 octets) beats "/" (1 octet); the longer page rule wins
    allow, disallow = PathPattern("/example/page/"), PathPattern("/example/page/disallowed.gif")
    assert disallow.length > allow.length
    assert PathPattern("*.jpg").length > PathPattern("/").length


def test_path_pattern_is_cached_and_equal() -> None:
    assert path_pattern("/x/*.png") is path_pattern("/x/*.png")
    assert PathPattern("/foo/bär") == PathPattern("/foo/b%C3%A4r")
    assert hash(PathPattern("/a")) == hash(PathPattern("/a"))
    assert PathPattern("/a") != PathPattern("/b")


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("**.jpg", "/x/a.jpg", True),
        ("*.jpg$", "/x/a.jpg", True),
        ("*.jpg$", "/x/a.jpg?w=2", False),
        ("*.jpg", "/x/a.jpg?w=2", True),
        ("*.jpg", "/x.jpg.html", True),
        ("*/private/*.png", "/a/private/b.png", True),
        ("*/private/*.png", "/a/public/b.png", False),
    ],
)
def test_leading_star_fast_paths_agree_with_regex_semantics(
    pattern: str, path: str, matches: bool
) -> None:
    import re

    compiled = PathPattern(pattern)
    assert compiled.matches(path) is matches
    body = pattern[:-1] if pattern.endswith("$") else pattern
    reference = ".*".join(re.escape(p) for p in body.split("*")) + (
        "\\Z" if body != pattern else ""
    )
    assert (re.match(reference, path) is not None) is matches


# --- issue 9: linear-time matching, percent-encoding on both sides --------------------------

HANG_GUARD_SECONDS = 120  # a hang guard, not a timing assertion: normal runs take milliseconds


def _run_isolated(code: str) -> str:
    """Run ``code`` in a fresh interpreter; a pattern that backtracks never returns in time."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=HANG_GUARD_SECONDS,
            check=True,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"path matching did not finish within {HANG_GUARD_SECONDS} s (backtracking)")
    return done.stdout.strip()


def test_hostile_wildcards_do_not_backtrack() -> None:
    # The pattern (>5 s on a 40-character path with the old regex), then 20 wildcards
    # against a 10,000-character path: both must come back (no "b", so no match).
    code = (
        "from crawler.consent.patterns import PathPattern\n"
        "issue = PathPattern('/*a*a*a*a*a*a*a*a*a*a*b')\n"
        "wide = PathPattern('/' + '*a' * 20 + '*b')\n"
        "anchored = PathPattern('/' + '*a' * 20 + '*b$')\n"
        "print(issue.matches('/' + 'a' * 39), wide.matches('/' + 'a' * 9999),\n"
        "      anchored.matches('/' + 'a' * 9999), wide.matches('/' + 'a' * 9998 + 'b'))\n"
    )
    assert _run_isolated(code) == "False False False True"


# RFC 9309 §2.2.3 and the TDMRep spec ("Use of regular expressions"): a pattern names a literal
# special character by its percent-encoding, and it matches the URL that has it verbatim.
@pytest.mark.parametrize(
    ("pattern", "url", "matches"),
    [
        ("/path/foo-%24", "https://www.example.com/path/foo-$", True),  # TDMRep table
        ("/path/foo-%24", "https://www.example.com/path/foo-%24", True),
        ("/path/foo-%24", "https://www.example.com/path/foo-", False),
        ("/path/file-with-a-%2A.html", "https://www.example.com/path/file-with-a-*.html", True),
        ("/path/file-with-a-%2A.html", "https://www.example.com/path/file-with-a-x.html", False),
        ("/price%24$", "https://h/price$", True),  # literal "$", then the end anchor
        ("/price%24$", "https://h/price$tail", False),
        ("/cost$net", "https://h/cost$net", True),  # "$" not last: a literal
        ("/cost$net", "https://h/cost%24net", True),
        ("/a$b", "/a$b", True),
        # RFC 9309 §2.2.2 table: UTF-8 and unreserved escapes, whichever side spells them
        ("/foo/bar/ツ", "https://h/foo/bar/%E3%83%84", True),
        ("/foo/bar/%E3%83%84", "https://h/foo/bar/ツ", True),
        ("/foo/bar/%62%61%7A", "https://h/foo/bar/baz", True),
        ("/foo/bar/baz", "https://h/foo/bar/%62%61%7a", True),
        ("/a%2fb", "https://h/a%2Fb", True),  # hex case does not matter
        ("/a%2Fb", "https://h/a/b", False),  # an encoded reserved "/" stays distinct
    ],
)
def test_percent_encoding_is_normalised_on_both_sides(
    pattern: str, url: str, matches: bool
) -> None:
    assert PathPattern(pattern).matches(normalize_path(url)) is matches


# --- property tests: the matcher agrees with a plain reference matcher -------------------------


def _reference_matches(normalized_pattern: str, path: str) -> bool:
    """The definition, by dynamic programming: ``*`` = any run, a final ``$`` = end of path."""
    anchored = normalized_pattern.endswith("$")
    body = normalized_pattern[:-1] if anchored else normalized_pattern
    # reachable[j]: body[:i] can match path[:j]
    reachable = [True] + [False] * len(path)
    for char in body:
        if char == "*":
            for j in range(1, len(path) + 1):
                reachable[j] = reachable[j] or reachable[j - 1]
        else:
            reachable = [False] + [
                reachable[j - 1] and path[j - 1] == char for j in range(1, len(path) + 1)
            ]
    return reachable[len(path)] if anchored else any(reachable)


_PATTERN_PIECES = ["a", "b", "/", "*", "**", "$", "%24", "%2a", "%41", "ä", ".", "?"]
_PATH_PIECES = ["a", "b", "/", "$", "*", "%24", "%2A", "A", "ä", ".", "?", "ab"]


@given(
    pattern=st.lists(st.sampled_from(_PATTERN_PIECES), max_size=8).map("".join),
    anchored=st.booleans(),
    path=st.lists(st.sampled_from(_PATH_PIECES), max_size=12).map("".join),
)
@settings(max_examples=400, deadline=None)
def test_matcher_agrees_with_reference(pattern: str, anchored: bool, path: str) -> None:
    compiled = PathPattern(pattern + ("$" if anchored else ""))
    normalized_path = normalize_path(path)
    expected = _reference_matches(compiled.normalized, normalized_path)
    assert compiled.matches(normalized_path) is expected


@given(path=st.lists(st.sampled_from(_PATH_PIECES), max_size=12).map("".join))
@settings(max_examples=200, deadline=None)
def test_a_path_matches_itself_as_an_anchored_pattern(path: str) -> None:
    # Every literal character of a normalised path survives as a literal in a pattern.
    normalized_path = normalize_path(path)
    assert normalize_path(normalized_path) == normalized_path  # idempotent
    assert PathPattern(normalized_path + "$").matches(normalized_path)


class _CountingPath(str):
    """A path that counts the scans the matcher makes over it."""

    scans = 0

    def find(self, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        type(self).scans += 1
        return super().find(*args, **kwargs)


@given(
    pattern=st.lists(st.sampled_from(_PATTERN_PIECES), max_size=12).map("".join),
    anchored=st.booleans(),
    path=st.lists(st.sampled_from(_PATH_PIECES), max_size=40).map("".join),
)
@settings(max_examples=200, deadline=None)
def test_each_literal_segment_is_searched_at_most_once(
    pattern: str, anchored: bool, path: str
) -> None:
    # No backtracking: one str.find per literal segment, whatever the path.
    compiled = PathPattern(pattern + ("$" if anchored else ""))
    _CountingPath.scans = 0
    compiled.matches(_CountingPath(normalize_path(path)))
    assert _CountingPath.scans <= compiled.normalized.count("*")
