"""Robots-style path normalisation and patterns (RFC 9309 §2.2.2, consent-signals.md §1)."""

from __future__ import annotations

import pytest

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
        # reserved characters stay as they are
        ("/a;b=c&d=e/f:g@h!$'()*+,", "/a;b=c&d=e/f:g@h!$'()*+,"),
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
        ("/a$b", "/a$b", True),  # "$" is special only at the end
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
