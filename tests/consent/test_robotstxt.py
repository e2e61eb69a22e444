"""crawler.consent.robotstxt: the matcher against a reference, grouping, tokens, records."""

from __future__ import annotations

import random
import re
import time

import pytest

from crawler.consent.patterns import normalize_path
from crawler.consent.robotstxt import (
    PathRule,
    parse_robots_txt,
    product_token,
    product_tokens,
)


def _reference(pattern: str, path: str) -> bool:
    """RFC 9309 semantics by (backtracking) regex: fine for short inputs."""
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    regex = ".*".join(re.escape(part) for part in body.split("*")) + ("\\Z" if anchored else "")
    return re.match(regex, path, re.DOTALL) is not None


def test_matcher_agrees_with_reference_on_random_inputs() -> None:
    rng = random.Random(9309)
    for _ in range(20_000):
        pattern = "/" + "".join(rng.choice("ab/*") for _ in range(rng.randint(0, 7)))
        if rng.random() < 0.3:
            pattern += "$"
        path = "/" + "".join(rng.choice("ab/") for _ in range(rng.randint(0, 10)))
        rule = PathRule(False, pattern, 1, f"Disallow: {pattern}", 0)
        assert rule.matches(path) is _reference(pattern, path), (pattern, path)


def test_longest_match_agrees_with_brute_force() -> None:
    rng = random.Random(2022)
    for _ in range(2_000):
        lines = []
        for _ in range(rng.randint(1, 5)):
            pattern = "/" + "".join(rng.choice("ab*") for _ in range(rng.randint(0, 4)))
            lines.append((rng.random() < 0.5, pattern))
        text = "User-agent: *\n" + "".join(
            f"{'Allow' if allow else 'Disallow'}: {p}\n" for allow, p in lines
        )
        path = "/" + "".join(rng.choice("ab") for _ in range(rng.randint(0, 6)))
        matching = [(len(p), allow) for allow, p in lines if _reference(p, path)]
        expected = max(matching)[1] if matching else True  # longest; allow wins a tie
        assert parse_robots_txt(text).allowed(path, "bot") is expected, (text, path)


@pytest.mark.parametrize("stars", [10, 20, 50])
def test_hostile_patterns_take_linear_time(stars: int) -> None:
    rule = PathRule(False, "/" + "*a" * stars + "*b", 1, "", 0)
    path = "/" + "a" * 10_000
    started = time.perf_counter()
    for _ in range(10):
        assert not rule.matches(path)
        assert rule.matches(path + "b")
    # generous hang guard (a backtracking matcher needs seconds to hours here)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("value", "token", "tokens"),
    [
        ("CCBot/2.0", "ccbot", ["ccbot"]),
        ("Googlebot-Image/1.0", "googlebot-image", ["googlebot-image"]),
        ("*", "*", ["*"]),
        ("* # all", "*", ["*"]),
        ("*bot", "", []),
        ("img2dataset", "img", ["img", "img2dataset"]),
        ("Foo Bar", "foo", ["foo"]),
        ("ツ", "", []),
    ],
)
def test_product_tokens(value: str, token: str, tokens: list[str]) -> None:
    assert product_token(value) == token
    assert product_tokens(value) == tokens


def test_user_agent_match_is_exact() -> None:
    robots = parse_robots_txt(
        "User-agent: Google\nDisallow: /g/\n\nUser-agent: consent\nDisallow: /c/\n"
        "\nUser-agent: *\nDisallow: /star/\n"
    )
    assert not robots.allowed("/g/x", "GOOGLE")
    assert robots.allowed("/g/x", "Google-Extended")
    assert not robots.allowed("/star/x", "Google-Extended")
    assert robots.allowed("/c/x", "consentcrawl")
    assert not robots.allowed("/star/x", "consentcrawl")


def test_same_token_groups_merge_and_evidence_names_the_line() -> None:
    robots = parse_robots_txt(
        "User-agent: a\nDisallow: /x/\n\nUser-agent: b\nDisallow: /\n\nUser-agent: A\nAllow: /y/\n"
    )
    verdict = robots.verdict("https://h.test/x/1", "a")
    assert (verdict.allowed, verdict.evidence) == (False, "User-agent: a / Disallow: /x/")
    assert robots.verdict("/y/1", "a").evidence == "User-agent: A / Allow: /y/"
    assert robots.allowed("/z", "a")


def test_records_in_and_outside_groups() -> None:
    robots = parse_robots_txt(
        "License: https://example.test/license.xml\n"
        "User-agent: a\nCrawl-delay: 3\nUser-agent: b\nContent-Signal: ai-train=no\n"
        "Disallow: /p/\nSitemap: https://example.test/s.xml\nRequest-rate: 1/5\n"
    )
    [group] = robots.groups
    assert group.agents == ["a", "b"]
    assert [r.raw for r in group.records] == [
        "Crawl-delay: 3",
        "Content-Signal: ai-train=no",
        "Request-rate: 1/5",
    ]
    assert [r.key for r in robots.outside] == ["license", "sitemap"]
    assert [r.value for r in robots.records("license")] == ["https://example.test/license.xml"]
    assert robots.for_token("b").crawl_delay() == 3.0


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://h.test", "/"),
        ("https://h.test/a/b?c=http://d.e/#frag", "/a/b?c=http://d.e/"),
        ("https://h.test/foo/bar/ツ", "/foo/bar/%E3%83%84"),
        ("https://h.test/%7euser/%2f", "/~user/%2F"),
        ("https://h.test/a b", "/a%20b"),
        ("https://h.test/100%", "/100%25"),
    ],
)
def test_normalize_robots_path(url: str, path: str) -> None:
    # robots.txt matches against the shared normaliser (crawler.consent.patterns).
    assert normalize_path(url) == path


def test_rfc_table_percent_encoding() -> None:
    # RFC 9309 §2.2.2 table: both sides are normalised before comparison.
    robots = parse_robots_txt(
        "User-agent: *\nDisallow: /\nAllow: /foo/bar/%62%61%7A\nAllow: /foo/bar/ツ\n"
    )
    assert robots.allowed("https://h.test/foo/bar/baz", "bot")
    assert robots.allowed("https://h.test/foo/bar/%E3%83%84", "bot")
    assert not robots.allowed("https://h.test/foo/qux", "bot")


def test_robots_txt_itself_and_empty_file() -> None:
    assert parse_robots_txt("User-agent: *\nDisallow: /\n").allowed("/robots.txt", "bot")
    assert parse_robots_txt("").allowed("/anything", "bot")


@pytest.mark.parametrize(
    ("rule", "url", "allowed"),
    [
        # A literal "$" / "*" in a URL can only be named by its escape (RFC 9309 §2.2.3): since
        # robots.txt shares the normaliser of ai.txt and TDMRep, "%24" / "%2A" now match them.
        ("Disallow: /path/foo-%24", "https://h.test/path/foo-$", False),
        ("Disallow: /path/file-%2A.html", "https://h.test/path/file-*.html", False),
        ("Disallow: /cost$net", "https://h.test/cost$net", False),  # "$" not last: a literal
        ("Disallow: /cost$net", "https://h.test/cost%24net", False),
        # A full URL where a path belongs is read as its path, as for Content-Usage records.
        ("Disallow: https://h.test/private/", "https://h.test/private/x", False),
    ],
)
def test_shared_normalisation_with_other_path_patterns(rule: str, url: str, allowed: bool) -> None:
    assert parse_robots_txt(f"User-agent: *\n{rule}\n").allowed(url, "bot") is allowed


def test_literal_dollar_counts_as_its_escape_for_longest_match() -> None:
    # "/a$b" is normalised to "/a%24b" (6 octets) and outweighs "/a%24" (5 octets); before the
    # shared normaliser the "$" stayed literal and "/a%24" matched neither URL.
    robots = parse_robots_txt("User-agent: *\nDisallow: /a%24\nAllow: /a$b\n")
    assert robots.allowed("https://h.test/a$b", "bot")
    assert not robots.allowed("https://h.test/a$c", "bot")
