"""IETF AIPREF Content-Usage header (consent-signals.md §5)."""

from __future__ import annotations

import pytest

from crawler.consent.aipref import (
    UsagePreferences,
    combine_field_lines,
    content_usage_signal,
    most_restrictive,
    parse_content_usage,
    parse_content_usage_lenient,
    train_ai_preference,
    usage_preferences,
)
from crawler.consent.verdict import Decision

SRC = "header:https://cdn.example/a.jpg"


# --- digest §5 examples (header ones; the robots.txt ones are in test_robots_ext.py) ----------


def test_example_1_content_usage_train_ai_n_excludes() -> None:
    # 1. Image response with `Content-Usage: train-ai=n`: **exclude**.
    signal = content_usage_signal(["train-ai=n"], SRC)
    assert signal.decision is Decision.DISALLOW
    assert signal.reason == "aipref:train-ai=n"
    assert signal.family == "aipref"
    assert signal.source == SRC
    assert signal.value == "train-ai=n"


def test_example_3_uppercase_key_is_a_parse_failure() -> None:
    # 3. `Content-Usage: Train-AI=n`: per spec a parse failure, so unknown. Recommend logging it
    #    and treating it as `n` in conservative mode.
    assert parse_content_usage("Train-AI=n") is None
    strict = content_usage_signal(["Train-AI=n"], SRC, conservative=False)
    assert strict.decision is Decision.UNKNOWN
    conservative = content_usage_signal(["Train-AI=n"], SRC)
    assert conservative.decision is Decision.DISALLOW
    assert conservative.reason == "aipref:train-ai=n"


@pytest.mark.parametrize("label", ["ai", "genai", "train-genai", "tdm", "all", "bots"])
def test_example_4_legacy_labels(label: str) -> None:
    # 4. Legacy `Content-Usage: ai=n` or `train-genai=n`: per spec an unknown label, so unknown.
    #    Recommend mapping `ai`, `genai`, `train-genai`, `tdm`, `all` and `bots` set to `n` onto
    #    `train-ai=n`.
    value = f"{label}=n"
    assert parse_content_usage(value) == {label: "n"}
    assert content_usage_signal([value], SRC, conservative=False).decision is Decision.UNKNOWN
    assert content_usage_signal([value], SRC).decision is Decision.DISALLOW
    # a legacy "y" never allows
    assert content_usage_signal([f"{label}=y"], SRC).decision is Decision.UNKNOWN


# --- strict parsing (RFC 9651 dictionary) -----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("train-ai=n", {"train-ai": "n"}),
        ("train-ai=n, search=y", {"train-ai": "n", "search": "y"}),
        ("train-ai=y;reason=1", {"train-ai": "y"}),  # parameters ignored
        ("train-ai=n, train-ai=y", {"train-ai": "y"}),  # duplicate key: last wins
        ('train-ai="n"', {}),  # string, not a token: unknown
        ("train-ai", {}),  # bare key = boolean true: unknown
        ("train-ai=?0", {}),
        ("future-label=n", {"future-label": "n"}),
        ("", {}),
    ],
)
def test_parse_content_usage(value: str, parsed: dict[str, str]) -> None:
    assert parse_content_usage(value) == parsed


@pytest.mark.parametrize("value", ["Train-AI=n", "train-ai=n,,", "train-ai=n;", "tråin=n", "=n"])
def test_parse_failures(value: str) -> None:
    assert parse_content_usage(value) is None


def test_parse_returns_a_fresh_dict() -> None:
    first = parse_content_usage("train-ai=n")
    assert first is not None
    first["train-ai"] = "y"
    assert parse_content_usage("train-ai=n") == {"train-ai": "n"}


def test_lenient_parse() -> None:
    assert parse_content_usage_lenient('Train-AI = "N" ; x=1, Search=Y') == {
        "train-ai": "n",
        "search": "y",
    }


# --- decisions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "conservative", "expected"),
    [
        ("train-ai=y", True, "y"),
        ("train-ai=y, search=n", True, "y"),
        ("search=n", True, None),
        ("train-ai=n, train-ai=y", False, "y"),  # spec: last wins within one field value
        ("train-genai=n, train-ai=y", True, "n"),  # conservative: legacy n is restrictive
        ("train-genai=n, train-ai=y", False, "y"),
        ("Train-AI=y", True, None),  # a malformed allow is never an allow
        ("garbage(", True, None),
    ],
)
def test_train_ai_preference(value: str, conservative: bool, expected: str | None) -> None:
    assert train_ai_preference(value, conservative) == expected


def test_train_ai_y_allows() -> None:
    signal = content_usage_signal(["train-ai=y, search=y"], SRC)
    assert signal.decision is Decision.ALLOW
    assert signal.reason is None
    assert signal.value == "train-ai=y, search=y"


def test_instances_combine_most_restrictively() -> None:
    signal = content_usage_signal(["train-ai=y", "search=y", "train-ai=n"], SRC)
    assert signal.decision is Decision.DISALLOW
    assert signal.value == "train-ai=n"
    assert content_usage_signal(["search=n", "train-ai=y"], SRC).decision is Decision.ALLOW


def test_no_or_irrelevant_header_is_unknown() -> None:
    assert content_usage_signal([], SRC).decision is Decision.UNKNOWN
    unknown = content_usage_signal(["search=n"], SRC)
    assert unknown.decision is Decision.UNKNOWN
    assert unknown.value == "search=n"


# --- vocab-08: train-ai, ai-use, search (signals-2026.md §2) -----------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # -08 test vectors (signals-2026.md §2, "Ship test vectors from both -07 and -08")
        (["train-ai=n, ai-use=y"], UsagePreferences("n", "y", None)),
        (["search=y, train-ai=n"], UsagePreferences("n", None, "y")),
        (["train-ai=y, ai-use=n, search=n"], UsagePreferences("y", "n", "n")),
        (["ai-use=n"], UsagePreferences(None, "n", None)),
        # -07 vectors: no ai-use
        (["train-ai=n"], UsagePreferences("n", None, None)),
        (["train-ai=y, search=y"], UsagePreferences("y", None, "y")),
        ([], UsagePreferences()),
        (["ai-use=maybe, search=?1"], UsagePreferences()),  # not y/n tokens: unknown
    ],
)
def test_vocab_08_categories(values: list[str], expected: UsagePreferences) -> None:
    assert usage_preferences(values) == expected
    assert usage_preferences(values, conservative=False) == expected


def test_ai_use_n_alone_does_not_exclude() -> None:
    # train-ai=n keeps excluding; ai-use is recorded, never a training opt-out on its own.
    assert content_usage_signal(["ai-use=n"], SRC).decision is Decision.UNKNOWN
    assert content_usage_signal(["train-ai=y, ai-use=n"], SRC).decision is Decision.ALLOW


def test_columns() -> None:
    assert usage_preferences(["train-ai=n, ai-use=y"]).columns() == {
        "aipref_train_ai": "n",
        "aipref_ai_use": "y",
        "aipref_search": None,
    }
    assert UsagePreferences().columns() == dict.fromkeys(
        ("aipref_train_ai", "aipref_ai_use", "aipref_search")
    )


def test_legacy_umbrella_labels_cover_every_category_in_conservative_mode() -> None:
    assert usage_preferences(["all=n"]) == UsagePreferences("n", "n", "n")
    assert usage_preferences(["bots=n"]) == UsagePreferences("n", "n", "n")
    # a training-only legacy label says nothing about ai-use or search
    assert usage_preferences(["train-genai=n"]) == UsagePreferences("n", None, None)
    # strict (spec) reading: unknown labels are ignored
    assert usage_preferences(["all=n"], conservative=False) == UsagePreferences()


def test_uppercase_salvages_refusals_of_every_category() -> None:
    assert usage_preferences(["Train-AI=n, AI-Use=n, Search=y"]) == UsagePreferences("n", "n")
    assert usage_preferences(["Train-AI=n"], conservative=False) == UsagePreferences()


# --- several field lines: combined before parsing (RFC 9651 §4.2) ----------------------------


def test_field_lines_are_joined_with_comma_space() -> None:
    assert combine_field_lines(["train-ai=n", " ai-use=y ", "", "search=y"]) == (
        "train-ai=n, ai-use=y, search=y"
    )
    assert combine_field_lines([]) == ""


def test_field_lines_combine_into_one_dictionary() -> None:
    values = ["train-ai=n", "ai-use=y", "search=y"]
    assert usage_preferences(values) == UsagePreferences("n", "y", "y")
    signal = content_usage_signal(values, SRC)
    assert signal.reason == "aipref:train-ai=n"
    assert signal.value == "train-ai=n"  # the line that refused on its own


def test_a_later_line_overrides_a_duplicate_key_in_the_spec_reading() -> None:
    # Combined: "train-ai=n, train-ai=y"; RFC 9651 dictionary: the last value wins.
    values = ["train-ai=n", "train-ai=y"]
    assert usage_preferences(values, conservative=False) == UsagePreferences("y")
    assert content_usage_signal(values, SRC, conservative=False).decision is Decision.ALLOW
    # Conservative (default): an n that one line gives on its own still stands.
    assert usage_preferences(values) == UsagePreferences("n")
    assert content_usage_signal(values, SRC).decision is Decision.DISALLOW


def test_a_string_split_across_field_lines_parses_only_combined() -> None:
    # Each line alone is malformed (an unterminated string); combined, the dictionary parses.
    values = ['note="a', 'b", train-ai=n']
    assert parse_content_usage(values[0]) is None
    assert usage_preferences(values, conservative=False) == UsagePreferences("n")
    signal = content_usage_signal(values, SRC, conservative=False)
    assert signal.reason == "aipref:train-ai=n"
    assert signal.value == 'note="a, b", train-ai=n'  # evidence: the combined field


def test_a_parse_failure_in_the_combined_field_ignores_the_whole_field() -> None:
    # One bad line ("Search=y": uppercase key) makes the combined field unparseable; RFC 9651
    # §4.2: the field is ignored, so the valid train-ai=y on the other line does not allow.
    values = ["train-ai=y", "Search=y"]
    assert parse_content_usage(combine_field_lines(values)) is None
    assert usage_preferences(values) == UsagePreferences()
    assert content_usage_signal(values, SRC).decision is Decision.UNKNOWN
    assert content_usage_signal(values, SRC, conservative=False).decision is Decision.UNKNOWN


def test_a_parse_failure_still_keeps_refusals_in_conservative_mode() -> None:
    values = ["train-ai=n", "Search=y"]
    assert usage_preferences(values, conservative=False) == UsagePreferences()
    assert usage_preferences(values) == UsagePreferences("n")
    signal = content_usage_signal(values, SRC)
    assert signal.reason == "aipref:train-ai=n"
    assert signal.value == "train-ai=n"


def test_empty_field_lines_are_skipped() -> None:
    # "train-ai=y, " would not parse; an empty line is an empty list element, ignored.
    assert usage_preferences(["train-ai=y", ""], conservative=False) == UsagePreferences("y")


def test_most_restrictive_per_category() -> None:
    combined = most_restrictive(
        [UsagePreferences("y", "y", None), UsagePreferences(None, "n", None), UsagePreferences()]
    )
    assert combined == UsagePreferences("y", "n", None)
    assert most_restrictive([]) == UsagePreferences()
    assert UsagePreferences("n", "y").get("ai-use") == "y"


# --- the row columns (aipref FAMILY.image_columns) ----------------------------------------------


def _columns(
    page_headers: dict[str, list[str]] | None = None,
    image_headers: dict[str, list[str]] | None = None,
    page_robots: str | None = None,
    image_robots: str | None = None,
) -> dict[str, str | None]:
    from crawler.consent.aipref import FAMILY
    from crawler.consent.family import EvalEnv, ImageContext, PageContext, ProbeView
    from crawler.consent.policy import Policy
    from crawler.consent.robots import robots_from_fetch

    def robots(origin: str, text: str | None) -> dict[str, object]:
        status, body = (404, b"") if text is None else (200, text.encode())
        return {"robots": robots_from_fetch(origin, status, body)}

    page = PageContext(
        "http://p.example/post",
        "http://p.example",
        page_headers is not None,
        robots("http://p.example", page_robots),
        page_headers or {},
        {},
        None,
        200,
        {},
    )
    probe = (
        ProbeView("http://i.example/a.png", "HEAD", 200, image_headers, None)
        if image_headers is not None
        else None
    )
    image = ImageContext(
        "http://i.example/a.png",
        "http://i.example",
        robots("http://i.example", image_robots),
        page,
        probe,
        {},
    )
    env = EvalEnv("consentcrawl", ("GPTBot",), Policy.from_settings({}.get))
    assert FAMILY.image_columns is not None
    return dict(FAMILY.image_columns(image, env))


def test_columns_are_null_when_nobody_says_anything() -> None:
    assert _columns({}, {}) == {
        "aipref_train_ai": None,
        "aipref_ai_use": None,
        "aipref_search": None,
    }


def test_columns_combine_page_image_and_both_robots_most_restrictively() -> None:
    got = _columns(
        page_headers={"content-usage": ["train-ai=y", "search=y"]},
        image_headers={"content-usage": ["ai-use=y"]},
        page_robots="User-agent: *\nAllow: /\n",
        image_robots="User-agent: GPTBot\nContent-Usage: /a.png ai-use=n\n",
    )
    assert got == {"aipref_train_ai": "y", "aipref_ai_use": "n", "aipref_search": "y"}


def test_columns_read_robots_records_for_the_page_path_and_the_image_path() -> None:
    robots = "User-agent: *\nContent-Usage: /post train-ai=n\n"
    got = _columns(page_headers={}, page_robots=robots, image_robots=robots)
    assert got["aipref_train_ai"] == "n"  # the page's path is covered; the image's is not
    got = _columns(page_headers={}, image_robots=robots)
    assert got["aipref_train_ai"] is None


def test_columns_of_a_page_known_only_by_its_url_come_from_the_image() -> None:
    got = _columns(page_headers=None, image_headers={"content-usage": ["search=n"]})
    assert got == {"aipref_train_ai": None, "aipref_ai_use": None, "aipref_search": "n"}


def test_page_sources_are_read_once_per_page_context_and_not_reused_for_another() -> None:
    # aipref._PAGE_SOURCES remembers the last page context's sources: rows of one item share
    # it; a new page (another context, even with equal fields) is read again.
    from crawler.consent import aipref
    from crawler.consent.family import EvalEnv, ImageContext, PageContext
    from crawler.consent.policy import Policy

    env = EvalEnv("consentcrawl", ("GPTBot",), Policy.from_settings({}.get))

    def page(usage: str) -> PageContext:
        return PageContext(
            "http://p.example/post",
            "http://p.example",
            True,
            {},
            {"content-usage": [usage]},
            {},
            None,
            200,
            {},
        )

    def image(url: str, ctx: PageContext) -> ImageContext:
        return ImageContext(url, "http://i.example", {}, ctx, None, {})

    assert aipref.FAMILY.image_columns is not None
    columns = aipref.FAMILY.image_columns
    refusing, allowing = page("train-ai=n"), page("train-ai=y")
    for ctx, expected in [(refusing, "n"), (allowing, "y"), (refusing, "n"), (refusing, "n")]:
        for url in ("http://i.example/a.png", "http://i.example/b.png"):
            assert columns(image(url, ctx), env)["aipref_train_ai"] == expected
    mutated = page("train-ai=y")
    assert columns(image("http://i.example/a.png", mutated), env)["aipref_train_ai"] == "y"
    other = page("train-ai=n")  # equal fields to ``refusing``, another context
    assert columns(image("http://i.example/a.png", other), env)["aipref_train_ai"] == "n"
