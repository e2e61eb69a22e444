"""robots.txt rules and RFC 9309 fetch-status semantics (crawler.consent.robots)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.consent import robots as robots_module
from crawler.consent.robots import MAX_ROBOTS_BYTES, RobotsRules, decode_text, robots_from_fetch
from crawler.consent.verdict import Decision
from tests.corpus import corpus_path

ORIGIN = "https://example.test"
AI = ("CCBot", "GPTBot", "Google-Extended", "ClaudeBot", "img2dataset")


def parsed(text: str):
    return robots_from_fetch(ORIGIN, 200, text.encode())


@pytest.mark.parametrize(
    ("status", "state"),
    [
        (200, "parsed"),
        (204, "parsed"),
        (400, "unavailable"),
        (401, "unavailable"),
        (403, "unavailable"),
        (404, "unavailable"),
        (410, "unavailable"),
        (429, "unreachable"),
        (500, "unreachable"),
        (503, "unreachable"),
        (301, "unreachable"),  # a 3xx left over means the 5-hop redirect limit was hit
    ],
)
def test_status_semantics(status: int, state: str) -> None:
    rules = robots_from_fetch(ORIGIN, status, b"User-agent: *\nDisallow: /\n")
    assert rules.state == state
    # Only a parsed file restricts by its rules; unavailable allows all, unreachable none.
    expect_allowed = state == "unavailable"
    assert rules.allowed(f"{ORIGIN}/page", "consentcrawl") is expect_allowed


def test_network_error_is_complete_disallow() -> None:
    rules = robots_from_fetch(ORIGIN, None, None, error="timeout")
    assert rules.unreachable
    signal = rules.check(f"{ORIGIN}/x.jpg", "consentcrawl")
    assert signal.decision is Decision.DISALLOW
    assert signal.reason == "robots:unreachable"
    assert signal.value == "timeout"


def test_5xx_html_body_is_not_parsed_as_allow_all() -> None:
    # Scrapy's middleware parses this body as "no rules" and allows everything.
    rules = robots_from_fetch(ORIGIN, 503, b"<html><body>Service unavailable</body></html>")
    assert not rules.allowed(f"{ORIGIN}/", "consentcrawl")


def test_200_html_body_means_no_rules() -> None:
    rules = robots_from_fetch(ORIGIN, 200, b"<html><body>bot wall</body></html>")
    assert rules.allowed(f"{ORIGIN}/anything", "consentcrawl")


def test_specific_group_does_not_inherit_star() -> None:
    # consent-signals.md §1 example 1.
    rules = parsed("User-agent: *\nDisallow: /private/\n\nUser-agent: mybot\nAllow: /\n")
    assert rules.allowed(f"{ORIGIN}/private/x.jpg", "mybot")
    assert not rules.allowed(f"{ORIGIN}/private/x.jpg", "consentcrawl")


def test_longest_match_and_tie_goes_to_allow() -> None:
    rules = parsed(
        "User-agent: *\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n"
        "Allow: /p\nDisallow: /p\n"
    )
    assert not rules.allowed(f"{ORIGIN}/example/page/disallowed.gif", "consentcrawl")
    assert rules.allowed(f"{ORIGIN}/example/page/ok.gif", "consentcrawl")
    assert rules.allowed(f"{ORIGIN}/page", "consentcrawl")


def test_dollar_anchor() -> None:
    rules = parsed("User-agent: *\nDisallow: /*.gif$\n")
    assert not rules.allowed(f"{ORIGIN}/a.gif", "consentcrawl")
    assert rules.allowed(f"{ORIGIN}/a.gif?x=1", "consentcrawl")


def test_robots_txt_itself_always_allowed() -> None:
    rules = parsed("User-agent: *\nDisallow: /\n")
    assert rules.allowed(f"{ORIGIN}/robots.txt", "consentcrawl")


def test_ai_tokens_only_reported_where_they_differ_from_ours() -> None:
    rules = parsed(
        "User-agent: GPTBot\nDisallow: /\n\nUser-agent: CCBot\nDisallow: /art/\n\n"
        "User-agent: *\nAllow: /\n"
    )
    reasons = [s.reason for s in rules.ai_token_signals(f"{ORIGIN}/art/a.jpg", "consentcrawl", AI)]
    assert reasons == ["robots:ai-token=CCBot", "robots:ai-token=GPTBot"]
    reasons = [s.reason for s in rules.ai_token_signals(f"{ORIGIN}/blog/", "consentcrawl", AI)]
    assert reasons == ["robots:ai-token=GPTBot"]
    # A file with a single * group gives every token our own answer: nothing extra to report.
    star_only = parsed("User-agent: *\nDisallow: /private/\n")
    assert star_only.ai_token_signals(f"{ORIGIN}/private/a.jpg", "consentcrawl", AI) == []


def test_ai_token_list_from_real_file() -> None:
    body = corpus_path("robots", "ai.robots.txt", "robots.txt").read_bytes()
    rules = robots_from_fetch(ORIGIN, 200, body)
    assert rules.allowed(f"{ORIGIN}/photo.jpg", "consentcrawl")
    tokens = {s.reason for s in rules.ai_token_signals(f"{ORIGIN}/photo.jpg", "consentcrawl", AI)}
    assert tokens == {f"robots:ai-token={t}" for t in AI}


def test_group_merging_rfc_example() -> None:
    body = corpus_path(
        "robots", "crawler-commons-edge-cases", "rfc9309-example-rule-group-merging.txt"
    ).read_bytes()
    rules = robots_from_fetch(ORIGIN, 200, body)
    for path in ("/foo", "/bar", "/baz"):
        assert not rules.allowed(f"{ORIGIN}{path}", "ExampleBot"), path
    assert rules.allowed(f"{ORIGIN}/baz", "consentcrawl")  # * group has no /baz rule
    assert not rules.allowed(f"{ORIGIN}/foo", "consentcrawl")


@pytest.mark.parametrize(
    "name",
    ["robots-with-utf8-bom.txt", "robots-with-utf16le-bom.txt", "robots-with-utf16be-bom.txt"],
)
def test_byte_order_marks(name: str) -> None:
    body = corpus_path("robots", "crawler-commons-edge-cases", name).read_bytes()
    rules = robots_from_fetch(ORIGIN, 200, body)
    text = rules.text
    assert "\ufeff" not in text[:1] and "\x00" not in text
    # Every one of these files disallows /login.aspx for all agents.
    assert not rules.allowed(f"{ORIGIN}/login.aspx", "consentcrawl")
    assert rules.allowed(f"{ORIGIN}/public/page", "consentcrawl")


def test_crlf_and_crawl_delay() -> None:
    # epson.com (protego real-world set, tagged crlf + crawl-delay).
    body = corpus_path("robots", "protego-real-world", "epson.com").read_bytes()
    assert b"\r\n" in body
    rules = robots_from_fetch(ORIGIN, 200, body)
    assert not rules.allowed(f"{ORIGIN}/checkout", "consentcrawl")
    assert rules.allowed(f"{ORIGIN}/products", "consentcrawl")
    assert rules.crawl_delay("consentcrawl") == 10.0


def test_size_cap_parses_only_the_prefix() -> None:
    filler = b"# " + b"x" * 1000 + b"\n"
    body = b"User-agent: *\nDisallow: /early/\n" + filler * 600 + b"Disallow: /late/\n"
    assert len(body) > MAX_ROBOTS_BYTES
    rules = robots_from_fetch(ORIGIN, 200, body)
    assert not rules.allowed(f"{ORIGIN}/early/x", "consentcrawl")
    assert rules.allowed(f"{ORIGIN}/late/x", "consentcrawl")


def test_every_real_file_parses_and_html_bodies_allow() -> None:
    folder = corpus_path("robots", "protego-real-world")
    index = {}
    for line in (folder / "index.tsv").read_text().splitlines()[1:]:
        name, _host, tags = [*line.split("\t"), "", ""][:3]
        index[name] = tags.split(",") if tags else []
    parsed_count = 0
    for name, tags in index.items():
        rules = robots_from_fetch(ORIGIN, 200, (folder / name).read_bytes())
        assert rules.state == "parsed"
        if "html-body" in tags or "empty" in tags:
            assert rules.allowed(f"{ORIGIN}/some/page.html", "consentcrawl"), name
        parsed_count += 1
    assert parsed_count > 700


def test_decode_text_replaces_bad_bytes() -> None:
    assert decode_text(b"User-agent: *\nDisallow: /\xff\xfe/\n").startswith("User-agent")


# --- issue 9: RFC 9309 grouping, exact product tokens, control bytes, evidence -----------------


def test_crawl_delay_does_not_end_a_group() -> None:
    # RFC 9309 §2.2.4: other records do not end a group; protego 0.7 allowed A here.
    rules = parsed("User-agent: A\nCrawl-delay: 5\nUser-agent: B\nDisallow: /\n")
    assert not rules.allowed(f"{ORIGIN}/x", "A")
    assert not rules.allowed(f"{ORIGIN}/x", "B")
    assert rules.crawl_delay("A") == 5.0
    assert rules.crawl_delay("B") == 5.0


@pytest.mark.parametrize("record", ["Request-rate: 1/5", "Clean-param: ref /x", "Foo: bar"])
def test_other_records_do_not_end_a_group(record: str) -> None:
    rules = parsed(f"User-agent: CCBot\n{record}\nUser-agent: *\nDisallow: /\n")
    assert not rules.allowed(f"{ORIGIN}/x", "CCBot")
    signals = rules.ai_token_signals(f"{ORIGIN}/x", "consentcrawl", ("CCBot",))
    assert signals == []  # same group as ours: our own refusal already covers it


def test_user_agent_is_matched_exactly_not_by_prefix() -> None:
    rules = parsed("User-agent: Google\nDisallow: /\n\nUser-agent: consent\nDisallow: /\n")
    assert rules.allowed(f"{ORIGIN}/x", "Google-Extended")
    assert rules.allowed(f"{ORIGIN}/x", "consentcrawl")
    assert not rules.allowed(f"{ORIGIN}/x", "google")
    assert rules.ai_token_signals(f"{ORIGIN}/x", "consentcrawl", ("Google-Extended",)) == []


def test_versioned_user_agent_matches_its_product_token() -> None:
    rules = parsed("User-agent: CCBot/2.0\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
    assert not rules.allowed(f"{ORIGIN}/x", "CCBot")
    [signal] = rules.ai_token_signals(f"{ORIGIN}/x", "consentcrawl", AI)
    assert signal.reason == "robots:ai-token=CCBot"
    assert signal.value == "User-agent: CCBot/2.0 / Disallow: /"


def test_nul_byte_does_not_neutralise_a_rule() -> None:
    rules = robots_from_fetch(ORIGIN, 200, b"User-agent: *\nDisallow: /\x00\n")
    assert not rules.allowed(f"{ORIGIN}/x.png", "consentcrawl")
    rules = robots_from_fetch(ORIGIN, 200, b"User-agent: *\x01\nDisallow: /priv\x7fate/\n")
    assert not rules.allowed(f"{ORIGIN}/private/a.png", "consentcrawl")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_read_like_with_bom(codec: str) -> None:
    body = "User-agent: *\nDisallow: /private/\n".encode(codec)
    rules = robots_from_fetch(ORIGIN, 200, body)
    assert not rules.allowed(f"{ORIGIN}/private/a.png", "consentcrawl")
    assert rules.allowed(f"{ORIGIN}/public/a.png", "consentcrawl")


def test_disallow_evidence_names_the_matched_rule() -> None:
    rules = parsed("User-agent: *\nDisallow: /private/\n\nUser-agent: GPTBot\nDisallow: /\n")
    signal = rules.check(f"{ORIGIN}/private/a.jpg", "consentcrawl")
    assert signal.reason == "robots:disallowed"
    assert signal.source == f"{ORIGIN}/robots.txt"
    assert signal.value == "User-agent: * / Disallow: /private/"
    [ai] = rules.ai_token_signals(f"{ORIGIN}/a.jpg", "consentcrawl", AI)
    assert (ai.reason, ai.value) == ("robots:ai-token=GPTBot", "User-agent: GPTBot / Disallow: /")


def test_hostile_wildcard_pattern_is_linear() -> None:
    # A backtracking matcher takes seconds here; generous bound, not a timing assertion on
    # normal behaviour.
    import time

    rules = parsed("User-agent: *\nDisallow: /*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b\n")
    url = f"{ORIGIN}/" + "a" * 10_000
    started = time.perf_counter()
    assert rules.allowed(url, "consentcrawl")
    assert not rules.allowed(url + "b", "consentcrawl")
    assert time.perf_counter() - started < 1.0


def test_allow_disallow_and_extension_records_share_one_grouping() -> None:
    # Before issue 9, protego split this group at Crawl-delay while robots_ext did not: the
    # two readings of one file disagreed about agent A.
    rules = parsed(
        "User-agent: A\nCrawl-delay: 5\nUser-agent: B\n"
        "Content-Signal: ai-train=no\nDisallow: /x/\n\nUser-agent: *\nAllow: /\n"
    )
    for token in ("A", "B"):
        assert not rules.allowed(f"{ORIGIN}/x/1", token)
        [signal] = rules.extension_signals(f"{ORIGIN}/y", (token,))
        assert signal.reason == "content-signal:ai-train=no"
    assert rules.allowed(f"{ORIGIN}/x/1", "consentcrawl")
    assert rules.extension_signals(f"{ORIGIN}/y", ("consentcrawl",)) == []


# --- the per-URL memo of RobotsRules (crawler.consent.robots._MEMO) ---------------------------

_AGENTS = ["*", "consentcrawl", "GPTBot", "CCBot", "Google-Extended"]
_RULE_PATHS = st.lists(st.sampled_from([*"/ab.*$?=-", "%2A", "img", "private"]), max_size=6)
_LINES = st.one_of(
    st.builds(lambda a: f"User-agent: {a}", st.sampled_from(_AGENTS)),
    st.builds(lambda p: "Disallow: " + "".join(p), _RULE_PATHS),
    st.builds(lambda p: "Allow: " + "".join(p), _RULE_PATHS),
    st.builds(
        lambda p, v: f"Content-Usage: {''.join(p)} {v}".replace("  ", " "),
        _RULE_PATHS,
        st.sampled_from(["train-ai=n", "train-ai=y", "search=n, train-ai=y", "ai-use=n"]),
    ),
    st.builds(lambda v: f"Content-Signal: {v}", st.sampled_from(["ai-train=no", "search=yes"])),
    st.builds(lambda p: "DisallowAITraining: " + "".join(p), _RULE_PATHS),
)
_MEMO_URLS = st.builds(
    lambda p: "http://h.test/" + "".join(p),
    st.lists(st.sampled_from([*"/ab.?=-", "img", "private", "%2A", "x.jpg"]), max_size=6),
)


def _fresh(rules: RobotsRules) -> RobotsRules:
    """The same file parsed again: a RobotsRules with no remembered answers."""
    body = rules.text.encode() if rules.state == "parsed" else None
    return robots_from_fetch(rules.origin, 200 if body is not None else None, body)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(_LINES, max_size=14),
    urls=st.lists(_MEMO_URLS, min_size=1, max_size=12),
    memo_size=st.sampled_from([3, 32768]),  # clearing when full, and not
)
def test_memoized_answers_equal_fresh_ones(
    lines: list[str], urls: list[str], memo_size: int
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(robots_module, "MEMO_SIZE", memo_size)
        robots_module._MEMO.clear()
        _compare_with_fresh(lines, urls, memo_size)


def _compare_with_fresh(lines: list[str], urls: list[str], memo_size: int) -> None:
    rules = robots_from_fetch("http://h.test", 200, "\n".join(lines).encode())
    other = robots_from_fetch("http://h.test", 200, b"User-agent: *\nDisallow: /\n")
    tokens = ("consentcrawl", "GPTBot", "CCBot", "Google-Extended")
    # Each URL asked twice and interleaved with another file of the same origin: the second
    # answer comes from the memo, and must be what a fresh parse says.
    for url in urls + urls:
        for r in (rules, other):
            fresh = _fresh(r)
            assert r.check(url, "consentcrawl") == fresh.check(url, "consentcrawl")
            assert r.ai_token_signals(url, "consentcrawl", tokens[1:]) == (
                fresh.ai_token_signals(url, "consentcrawl", tokens[1:])
            )
            assert r.extension_signals(url, tokens) == fresh.extension_signals(url, tokens)
            assert r.usage_preferences(url, tokens) == fresh.usage_preferences(url, tokens)
    assert len(robots_module._MEMO) <= memo_size


def test_memo_answers_are_copies() -> None:
    rules = robots_from_fetch(
        "http://h.test", 200, b"User-agent: GPTBot\nDisallow: /\nUser-agent: *\nAllow: /\n"
    )
    first = rules.ai_token_signals("http://h.test/a.jpg", "consentcrawl", ("GPTBot",))
    first.append(first[0])  # a caller extending the list it got does not change the memo
    again = rules.ai_token_signals("http://h.test/a.jpg", "consentcrawl", ("GPTBot",))
    assert len(again) == 1 and again[0].decision is Decision.DISALLOW
