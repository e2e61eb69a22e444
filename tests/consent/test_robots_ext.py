"""robots.txt extension records: Content-Usage, Content-Signal, (Dis)AllowAITraining."""

from __future__ import annotations

import time

import pytest

from crawler.consent.aipref import UsagePreferences
from crawler.consent.robots_ext import parse_robots_extensions
from crawler.consent.verdict import Decision, Signal
from tests.corpus import CORPUS

ROBOTS = CORPUS / "robots"
SRC = "https://example.com/robots.txt"
US = ("consentcrawl",)


def corpus_text(relative: str) -> str:
    path = ROBOTS / relative
    if not path.is_file():
        pytest.skip(f"shared corpus not available: {path} (expected ../shared/corpus)")
    return path.read_bytes().decode("utf-8-sig", errors="replace")


def by_family(signals: list[Signal]) -> dict[str, Signal]:
    families = [s.family for s in signals]
    assert len(families) == len(set(families)), "one signal per family"
    return {s.family: s for s in signals}


def decisions(text: str, path: str, tokens: tuple[str, ...] = US, **kw: bool) -> dict[str, str]:
    signals = parse_robots_extensions(text, SRC).signals(path, tokens, **kw)
    return {family: s.decision.value for family, s in by_family(signals).items()}


# --- digest §5 examples (robots.txt attachment), verbatim -------------------------------------

AIPREF_EXAMPLE_2 = """User-Agent: *
Allow: /
Content-Usage: train-ai=n
Content-Usage: /ai-ok/ train-ai=y
"""


def test_aipref_example_2_longest_path_wins() -> None:
    # 2. robots.txt group `User-Agent: *`, `Allow: /`, `Content-Usage: train-ai=n`,
    #    `Content-Usage: /ai-ok/ train-ai=y`: `/ai-ok/x.jpg` gets `y`, `/x.jpg` gets `n`.
    robots = parse_robots_extensions(AIPREF_EXAMPLE_2, SRC)
    assert robots.has_extensions
    [ok] = robots.signals("/ai-ok/x.jpg", US)
    assert ok.family == "aipref" and ok.decision is Decision.ALLOW
    assert ok.value == "Content-Usage: /ai-ok/ train-ai=y"
    [no] = robots.signals("https://example.com/x.jpg", US)
    assert no.decision is Decision.DISALLOW
    assert no.reason == "aipref:train-ai=n"
    assert no.source == SRC
    assert no.value == "Content-Usage: train-ai=n"


def test_aipref_example_3_uppercase_key_in_robots_is_conservatively_n() -> None:
    # 3. `Content-Usage: Train-AI=n`: per spec a parse failure ... treat it as `n` in
    #    conservative mode.
    assert decisions("User-Agent: *\nContent-Usage: Train-AI=n\n", "/x") == {"aipref": "disallow"}


def test_aipref_example_4_legacy_labels_in_robots() -> None:
    # 4. Legacy `Content-Usage: ai=n` or `train-genai=n`: ... mapping onto `train-ai=n`.
    for value in ("ai=n", "train-genai=n", "/ bots=n"):
        text = f"User-Agent: *\nContent-Usage: {value}\n"
        assert decisions(text, "/x") == {"aipref": "disallow"}, value


ATTACH_DRAFT_EXAMPLE = """User-Agent: *
Allow: /
Disallow: /never/
Content-Usage: / train-ai=n
Content-Usage: /ai-ok/ train-ai=y

User-Agent: ExampleBot
Allow: /
Content-Usage: / train-ai=y
"""


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/test", "disallow"), ("/ai-ok/test", "allow"), ("/never/test", "disallow")],
)
def test_attach_draft_example_table(path: str, expected: str) -> None:
    # draft-ietf-aipref-attach "Example": other crawlers use the first group.
    assert decisions(ATTACH_DRAFT_EXAMPLE, path) == {"aipref": expected}


def test_attach_draft_example_for_examplebot() -> None:
    # RFC 9309 scoping alone gives ExampleBot train-ai=y everywhere ...
    assert decisions(ATTACH_DRAFT_EXAMPLE, "/test", ("ExampleBot",), include_star=False) == {
        "aipref": "allow"
    }
    # ... but by default the "*" group is combined most-restrictively (digest §6 Recommend).
    assert decisions(ATTACH_DRAFT_EXAMPLE, "/test", ("examplebot",)) == {"aipref": "disallow"}
    assert decisions(ATTACH_DRAFT_EXAMPLE, "/ai-ok/a", ("examplebot",)) == {"aipref": "allow"}


def test_identical_paths_with_conflicting_values_combine_restrictively() -> None:
    text = "User-Agent: *\nContent-Usage: /a/ train-ai=y\nContent-Usage: /a/ train-ai=n\n"
    assert decisions(text, "/a/x") == {"aipref": "disallow"}
    # a rule with no path is equivalent to "/"
    text = "User-Agent: *\nContent-Usage: / train-ai=y\nContent-Usage: train-ai=n\n"
    assert decisions(text, "/x") == {"aipref": "disallow"}


def test_longest_content_usage_rule_without_train_ai_is_unknown() -> None:
    text = "User-Agent: *\nContent-Usage: train-ai=n\nContent-Usage: /docs/ search=y\n"
    assert decisions(text, "/docs/a") == {"aipref": "unknown"}
    assert decisions(text, "/other") == {"aipref": "disallow"}


def test_content_usage_path_patterns_and_encoding() -> None:
    text = (
        "User-Agent: *\nContent-Usage: /*.jpg$ train-ai=n\nContent-Usage: /caf%C3%A9/ train-ai=n\n"
    )
    assert decisions(text, "/a/b.jpg") == {"aipref": "disallow"}
    assert decisions(text, "/a/b.jpg?size=2") == {"aipref": "unknown"}
    assert decisions(text, "https://example.com/café/x") == {"aipref": "disallow"}


def test_comment_ends_the_value_and_whitespace_is_tolerated() -> None:
    text = "User-Agent: *\n  content-usage  :  /x/  train-ai=n   # train-ai=y\n"
    assert decisions(text, "/x/1") == {"aipref": "disallow"}
    assert decisions(text, "/y") == {"aipref": "unknown"}


# --- Content-Signal ---------------------------------------------------------------------------


def test_content_signal_with_leading_path() -> None:
    text = "User-agent: *\nContent-Signal: ai-train=yes\nContent-Signal: /art/ ai-train=no\n"
    assert decisions(text, "/art/p.jpg") == {"content-signal": "disallow"}
    assert decisions(text, "/blog/p") == {"content-signal": "allow"}


def test_all_families_together() -> None:
    text = (
        "User-agent: *\n"
        "Content-Signal: search=yes, ai-train=no\n"
        "Content-Usage: train-ai=y\n"
        "DisallowAITraining: /photos/\n"
        "Allow: /\n"
    )
    robots = parse_robots_extensions(text, SRC)
    found = by_family(robots.signals("/photos/a.jpg", US))
    assert set(found) == {"aipref", "content-signal", "robots"}
    assert found["content-signal"].decision is Decision.DISALLOW
    assert found["aipref"].decision is Decision.ALLOW
    assert found["robots"].decision is Decision.DISALLOW
    assert found["robots"].reason == "robots:disallow-ai-training"
    assert found["robots"].value == "DisallowAITraining: /photos/"
    assert by_family(robots.signals("/blog/", US))["robots"].decision is Decision.UNKNOWN


# --- legacy DisallowAITraining / AllowAITraining ----------------------------------------------


def test_ai_training_rules_longest_match_and_tie_to_allow() -> None:
    text = (
        "User-agent: *\n"
        "DisallowAITraining: /\n"
        "AllowAITraining: /public/\n"
        "DisallowAITraining: /same\n"
        "AllowAITraining: /same\n"
        "DisallowAITraining:\n"
    )
    assert decisions(text, "/x.jpg") == {"robots": "disallow"}
    assert decisions(text, "/public/x.jpg") == {"robots": "allow"}
    assert decisions(text, "/same") == {"robots": "allow"}


def test_empty_disallow_ai_training_is_a_no_op() -> None:
    robots = parse_robots_extensions("User-agent: *\nDisallowAITraining:\n", SRC)
    assert not robots.has_extensions
    assert robots.signals("/x", US) == []


# --- RFC 9309 grouping ------------------------------------------------------------------------


def test_records_before_any_user_agent_are_ignored() -> None:
    text = "Content-Signal: ai-train=no\nContent-Usage: train-ai=n\n\nUser-agent: *\nAllow: /\n"
    robots = parse_robots_extensions(text, SRC)
    assert not robots.has_extensions
    assert robots.signals("/x", US) == []


def test_other_bots_groups_do_not_apply() -> None:
    text = "User-agent: GPTBot\nContent-Signal: ai-train=no\n\nUser-agent: *\nDisallow: /x\n"
    robots = parse_robots_extensions(text, SRC)
    assert robots.has_extensions
    assert robots.signals("/a", US) == []
    assert decisions(text, "/a", ("gptbot",)) == {"content-signal": "disallow"}


def test_unknown_records_do_not_end_a_group() -> None:
    text = (
        "User-agent: somebot\n"
        "Crawl-delay: 5\n"
        "Sitemap: https://example.com/sitemap.xml\n"
        "User-agent: consentcrawl\n"
        "Content-Signal: ai-train=no\n"
    )
    assert decisions(text, "/x", include_star=False) == {"content-signal": "disallow"}
    assert decisions(text, "/x", ("somebot",), include_star=False) == {"content-signal": "disallow"}


def test_user_agent_after_a_rule_starts_a_new_group() -> None:
    text = "User-agent: a\nContent-Signal: ai-train=no\nUser-agent: consentcrawl\nAllow: /\n"
    assert decisions(text, "/x") == {}
    assert decisions(text, "/x", ("a",)) == {"content-signal": "disallow"}


def test_group_match_is_exact_case_insensitive_product_token() -> None:
    text = "User-agent: ConsentCrawl/1.0\nContent-Signal: ai-train=no\n"
    assert decisions(text, "/x", ("CONSENTCRAWL",)) == {"content-signal": "disallow"}
    text = "User-agent: consentcrawler\nContent-Signal: ai-train=no\n"
    assert decisions(text, "/x", ("consentcrawl",)) == {}  # no substring matching


def test_bom_crlf_comments_and_key_case() -> None:
    text = "\ufeffUSER-AGENT: *  # all\r\nCONTENT-SIGNAL: AI-TRAIN=NO # c\r\nALLOW: /\r\n"
    assert decisions(text, "/x") == {"content-signal": "disallow"}


def test_plural_content_signals_record_is_not_ours() -> None:
    robots = parse_robots_extensions("User-agent: *\nContent-Signals: /cs.json\n", SRC)
    assert not robots.has_extensions


def test_no_extensions_is_fast_common_case() -> None:
    text = "User-agent: *\n" + "Disallow: /private/\n" * 20000
    started = time.perf_counter()
    robots = parse_robots_extensions(text, SRC)
    assert robots.signals("/x", US) == []
    assert not robots.has_extensions
    assert time.perf_counter() - started < 0.5


def test_scope_cache_is_per_token_set() -> None:
    robots = parse_robots_extensions(
        "User-agent: gptbot\nContent-Signal: ai-train=no\n"
        "User-agent: *\nContent-Signal: ai-train=yes\n",
        SRC,
    )
    assert by_family(robots.signals("/", US))["content-signal"].decision is Decision.ALLOW
    gpt = robots.signals("/", ("consentcrawl", "GPTBot"))
    assert by_family(gpt)["content-signal"].decision is Decision.DISALLOW
    assert by_family(robots.signals("/", US))["content-signal"].decision is Decision.ALLOW


# --- corpus: crawler-commons edge cases -------------------------------------------------------


def test_crawler_commons_content_signal_groups() -> None:
    text = corpus_text("crawler-commons-edge-cases/content-signal-groups.txt")
    robots = parse_robots_extensions(text, SRC)
    # the "ai-train=maybe" line before any user-agent is ignored; "*" says ai-train=no
    assert decisions(text, "/page") == {"content-signal": "disallow"}
    only = robots.signals("/page", ("mybot",), include_star=False)
    # mybot's two groups merge (ai-train=yes + ai-input=yes); both rules share the path "/"
    # so they combine: the yes wins over the silent one
    assert [(s.decision, s.value) for s in only] == [
        (Decision.ALLOW, "Content-Signal: search=yes,ai-train=yes")
    ]
    # yourbot only has the merged group's ai-input=yes: ai-train unknown
    assert decisions(text, "/page", ("yourbot",), include_star=False) == {
        "content-signal": "unknown"
    }
    assert decisions(text, "/page", ("otherbot",), include_star=False) == {
        "content-signal": "disallow"
    }
    # with "*" combined in (the default), mybot is excluded too
    assert decisions(text, "/page", ("mybot",)) == {"content-signal": "disallow"}


def test_crawler_commons_files_without_our_records() -> None:
    for name in ("extensions-group-merging.txt", "extension-robots.txt", "wildcards.txt"):
        text = corpus_text(f"crawler-commons-edge-cases/{name}")
        robots = parse_robots_extensions(text, SRC)
        # extensions-group-merging has a Content-Signal before any user-agent: ignored
        assert not robots.has_extensions, name
        assert robots.signals("/x", ("mybot",)) == []


@pytest.mark.parametrize(
    "name", ["robots-with-utf8-bom.txt", "dos-line-endings.txt", "format-errors-robots.txt"]
)
def test_crawler_commons_odd_files_parse_without_error(name: str) -> None:
    robots = parse_robots_extensions(corpus_text(f"crawler-commons-edge-cases/{name}"), SRC)
    assert robots.signals("/", US) == []


# --- corpus: great-gpt-firewall (lower-cased upstream) ----------------------------------------


def test_stackoverflow_content_signal() -> None:
    text = corpus_text("great-gpt-firewall-2026-01/stackoverflow.com.robots.txt")
    [signal] = parse_robots_extensions(text, SRC).signals("/questions/1", US)
    assert signal.decision is Decision.DISALLOW
    assert signal.reason == "content-signal:ai-train=no"
    assert signal.value == "content-signal: search=no, ai-train=no"


def test_davidguetta_cloudflare_managed_block() -> None:
    text = corpus_text("great-gpt-firewall-2026-01/davidguetta.com.robots.txt")
    robots = parse_robots_extensions(text, SRC)
    for tokens in (US, ("gptbot",), ("ccbot", "consentcrawl")):
        [signal] = robots.signals("/wp-content/uploads/a.jpg", tokens)
        assert signal.decision is Decision.DISALLOW
        assert signal.value == "content-signal: search=yes,ai-train=no"
    # the named-bot groups carry no Content-Signal of their own
    assert robots.signals("/", ("gptbot",), include_star=False) == []


def test_lobsters_content_signal_is_scoped_to_search_engines_group() -> None:
    # the Content-Signal line sits (after a blank line) in the applebot/bingbot/... group
    text = corpus_text("great-gpt-firewall-2026-01/lobste.rs.robots.txt")
    robots = parse_robots_extensions(text, SRC)
    assert robots.has_extensions
    assert robots.signals("/s/abc", US) == []
    assert decisions(text, "/s/abc", ("googlebot",)) == {"content-signal": "disallow"}
    assert decisions(text, "/s/abc", ("Bingbot",)) == {"content-signal": "disallow"}


def test_djhardwell_preamble_only_has_no_records() -> None:
    text = corpus_text("great-gpt-firewall-2026-01/www.djhardwell.com.robots.txt")
    assert "content-signal" in text  # only inside comments
    assert not parse_robots_extensions(text, SRC).has_extensions


def test_whole_great_gpt_firewall_set_parses() -> None:
    folder = ROBOTS / "great-gpt-firewall-2026-01"
    if not folder.is_dir():
        pytest.skip(f"shared corpus not available: {folder}")
    with_records = set()
    for path in sorted(folder.glob("*.robots.txt")):
        robots = parse_robots_extensions(path.read_bytes().decode("utf-8", "replace"), SRC)
        if robots.has_extensions:
            with_records.add(path.name)
        for signal in robots.signals("/a.jpg", ("consentcrawl", "gptbot", "ccbot")):
            assert signal.family in ("aipref", "content-signal", "robots")
    assert with_records == {
        "lobste.rs.robots.txt",
        "stackoverflow.com.robots.txt",
        "davidguetta.com.robots.txt",
    }


# --- AIPREF vocab-08: every category from robots.txt Content-Usage records ------------------

VOCAB_08_ROBOTS = """User-Agent: *
Allow: /
Content-Usage: train-ai=n, ai-use=y, search=y
Content-Usage: /ai-ok/ train-ai=y
Content-Usage: /mixed/ train-ai=y, ai-use=y
Content-Usage: /mixed/ ai-use=n, search=y

User-Agent: consentcrawl
Allow: /
Content-Usage: /named/ search=n
"""


def test_usage_preferences_of_all_categories() -> None:
    robots = parse_robots_extensions(VOCAB_08_ROBOTS, SRC)
    # the "/" rule: every category it states
    assert robots.usage_preferences("/x.jpg", US) == UsagePreferences("n", "y", "y")
    # the longest match wins as a whole: ai-use and search are unknown under /ai-ok/
    assert robots.usage_preferences("/ai-ok/x.jpg", US) == UsagePreferences("y", None, None)
    # identical paths combine most-restrictively per category
    assert robots.usage_preferences("/mixed/x.jpg", US) == UsagePreferences("y", "n", "y")
    # the named group and the "*" group combine most-restrictively (as in signals())
    assert robots.usage_preferences("/named/x.jpg", US) == UsagePreferences("n", "y", "n")
    assert robots.usage_preferences("/named/x.jpg", US, include_star=False) == (
        UsagePreferences(None, None, "n")
    )
    # train-ai agrees with the signal the family gives
    [signal] = robots.signals("/ai-ok/x.jpg", US)
    assert signal.decision is Decision.ALLOW


def test_usage_preferences_none_without_content_usage_records() -> None:
    assert (
        parse_robots_extensions("User-Agent: *\nDisallow: /x\n", SRC).usage_preferences("/", US)
        is None
    )
    only_signal = "User-Agent: *\nContent-Signal: ai-train=no\n"
    assert parse_robots_extensions(only_signal, SRC).usage_preferences("/", US) is None
    scoped = "User-Agent: *\nContent-Usage: /only/ train-ai=n\n"
    assert parse_robots_extensions(scoped, SRC).usage_preferences("/else", US) == (
        UsagePreferences()
    )


@pytest.mark.parametrize(
    ("text", "independent"),
    [
        ("User-agent: *\nContent-Usage: train-ai=n\n", True),
        ("User-agent: *\nContent-Usage: / train-ai=n\nContent-Signal: ai-train=no\n", True),
        ("User-agent: GPTBot\nDisallowAITraining: /\n\nUser-agent: *\nContent-Usage: /* n\n", True),
        ("User-agent: *\nDisallow: /private/\n", True),  # no records at all
        ("User-agent: *\nContent-Usage: /nogen/ train-ai=n\n", False),
        ("User-agent: *\nContent-Usage: train-ai=y\nContent-Signal: /a ai-train=no\n", False),
        ("User-agent: GPTBot\nDisallowAITraining: /photos/\n", False),
    ],
)
def test_path_independent_records(text: str, independent: bool) -> None:
    """``path_independent`` (the batch path decides such files once per origin) holds exactly
    when every record applies to every path: then any two paths get the same answers."""
    ext = parse_robots_extensions(text, "https://e.test/robots.txt")
    assert ext.path_independent is independent
    tokens = ("consentcrawl", "GPTBot")
    paths = ("/", "/nogen/x.jpg", "/a", "/photos/p.png", "/private/z")
    answers = {(repr(ext.signals(p, tokens)), ext.usage_preferences(p, tokens)) for p in paths}
    assert (len(answers) == 1) is independent
