"""Spawning ai.txt (consent-signals.md §3) with the digest examples and every corpus file."""

from __future__ import annotations

import pytest

from crawler.consent.aitxt import (
    MAX_AITXT_BYTES,
    AiTxt,
    aitxt_from_fetch,
    decode_text,
    parse_aitxt,
)
from crawler.consent.verdict import Decision
from tests.corpus import CORPUS

AITXT_DIR = CORPUS / "ai-txt"
SRC = "https://media.example/ai.txt"

ALLOW, DISALLOW, UNKNOWN = Decision.ALLOW, Decision.DISALLOW, Decision.UNKNOWN


def corpus_file(name: str) -> bytes:
    path = AITXT_DIR / name
    if not path.is_file():
        pytest.skip(f"shared corpus not available: {path} (expected ../shared/corpus)")
    return path.read_bytes()


# --- digest §3 examples, verbatim -------------------------------------------------------------

JETPACK = "User-agent: *\n" + "".join(f"Disallow: *.{ext}\n" for ext in ("jpg", "png", "gif"))
JETPACK += "Disallow: /\nDisallow: *\n"


def test_example_1_jetpack_file_excludes_images_and_pages() -> None:
    # 1. Jetpack file (`Disallow: *.jpg` … `Disallow: /`): `https://h/a.jpg` is **excluded**,
    #    and so is the page `/post/1` (via `/`).
    ai = parse_aitxt(JETPACK, SRC)
    image = ai.check("https://h/a.jpg")
    assert image.decision is DISALLOW
    assert image.reason == "aitxt:disallowed"
    assert image.value == "Disallow: *.jpg"
    assert image.source == SRC
    page = ai.check("/post/1")
    assert page.decision is DISALLOW
    assert page.value in ("Disallow: /", "Disallow: *")


def test_example_2_longer_allow_glob_beats_root_disallow() -> None:
    # 2. `User-agent: *` / `Allow: *.jpg` / `Disallow: /`: `/a.jpg` is allowed because `*.jpg`
    #    (5 octets) is longer than `/` (1 octet). `/about` is disallowed.
    ai = parse_aitxt("User-agent: *\nAllow: *.jpg\nDisallow: /\n", SRC)
    assert ai.check("/a.jpg").decision is ALLOW
    assert ai.check("/a.jpg").value == "Allow: *.jpg"
    assert ai.check("/about").decision is DISALLOW


def test_example_3_allow_star_with_empty_disallow_allows_everything() -> None:
    # 3. `User-Agent: *` / `Allow: *` / `Disallow:` (empty): everything allowed.
    ai = parse_aitxt("User-Agent: *\nAllow: *\nDisallow:\n", SRC)
    assert ai.format == "spawning"
    assert ai.check("/a.jpg").decision is ALLOW
    assert ai.check("/").decision is ALLOW


# --- matcher semantics ------------------------------------------------------------------------


def test_tie_goes_to_allow() -> None:
    ai = parse_aitxt("User-agent: *\nDisallow: /p\nAllow: /p\n", SRC)
    assert ai.check("/page").decision is ALLOW


def test_no_matching_rule_is_unknown_not_allow() -> None:
    ai = parse_aitxt("User-agent: *\nDisallow: *.png\n", SRC)
    assert ai.check("/a.jpg").decision is UNKNOWN
    assert ai.check("/a.png").decision is DISALLOW


def test_our_group_replaces_star_group() -> None:
    text = "User-agent: *\nDisallow: /\n\nUser-agent: ConsentCrawl\nAllow: /public/\n"
    ai = parse_aitxt(text, SRC, token="consentcrawl")
    assert ai.check("/public/a.jpg").decision is ALLOW
    # no inheritance from "*": /private is not covered by our group
    assert ai.check("/private/a.jpg").decision is UNKNOWN
    other = parse_aitxt(text, SRC, token="otherbot")
    assert other.check("/public/a.jpg").decision is DISALLOW


def test_user_agent_value_is_reduced_to_its_product_token() -> None:
    ai = parse_aitxt("User-agent: ConsentCrawl/2.1 (+https://x)\nDisallow: /\n", SRC)
    assert ai.groups == ("consentcrawl",)
    assert ai.check("/a.jpg").decision is DISALLOW
    # exact token, not a substring
    assert parse_aitxt("User-agent: consentcrawler\nDisallow: /\n", SRC).check("/").decision is (
        UNKNOWN
    )


def test_other_bots_group_is_ignored() -> None:
    ai = parse_aitxt("User-agent: GPTBot\nDisallow: /\n", SRC, token="consentcrawl")
    assert ai.check("/a.jpg").decision is UNKNOWN


def test_groups_naming_us_are_merged() -> None:
    text = (
        "User-agent: consentcrawl\nDisallow: *.gif\n\nUser-agent: consentcrawl\nDisallow: *.png\n"
    )
    ai = parse_aitxt(text, SRC)
    assert ai.check("/a.gif").decision is DISALLOW
    assert ai.check("/a.png").decision is DISALLOW


def test_consecutive_user_agents_share_a_group() -> None:
    text = "User-agent: a\nUser-agent: consentcrawl\nDisallow: /x/\nUser-agent: b\nAllow: /\n"
    ai = parse_aitxt(text, SRC)
    assert ai.check("/x/1.jpg").decision is DISALLOW
    assert ai.check("/y/1.jpg").decision is UNKNOWN


def test_empty_disallow_is_a_no_op_and_stray_slash_lines_are_tolerated() -> None:
    ai = parse_aitxt("User-Agent: *\n/\nDisallow:\n/\nDisallow: *.mp3\n/\n", SRC)
    assert ai.check("/a.jpg").decision is UNKNOWN
    assert ai.check("/a.mp3").decision is DISALLOW


def test_case_insensitive_keys_comments_bom_crlf() -> None:
    text = "\ufeffuSeR-aGeNt: *   # everyone\r\nDISALLOW: *.JPG # upper-case extension\r\n"
    ai = parse_aitxt(text, SRC)
    assert ai.check("/a.JPG").decision is DISALLOW
    assert ai.check("/a.jpg").decision is UNKNOWN  # paths are case-sensitive


def test_rules_before_any_user_agent_count_as_star_group() -> None:
    ai = parse_aitxt("Disallow: /\n", SRC)
    assert ai.check("/a.jpg").decision is DISALLOW


def test_pattern_with_end_anchor() -> None:
    ai = parse_aitxt("User-agent: *\nDisallow: /*.pdf$\n", SRC)
    assert ai.check("/cv.pdf").decision is DISALLOW
    assert ai.check("/cv.pdf?download=1").decision is UNKNOWN


# --- other "ai.txt" formats -------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "training: deny",
        "Training: no",
        "training: disallowed",
        "training: false",
        "ai-training: disallowed",
        "AI-Training: Disallowed",
        "llm_training: prohibited",
    ],
)
def test_training_deny_key_values_disallow_everything(line: str) -> None:
    ai = parse_aitxt(f"# policy\n{line}\n", SRC)
    assert ai.format == "keyvalue"
    for url in ("https://h/a.jpg", "https://h/", "/post/1"):
        signal = ai.check(url)
        assert signal.decision is DISALLOW
        assert signal.reason == "aitxt:disallowed"
        assert signal.value == line


@pytest.mark.parametrize("line", ["Training: yes", "training: allowed", "ai-training: true"])
def test_training_allow_key_values_never_allow(line: str) -> None:
    ai = parse_aitxt(f"{line}\n", SRC)
    assert ai.format == "keyvalue"
    assert ai.check("/a.jpg").decision is UNKNOWN


def test_commented_out_training_line_is_ignored() -> None:
    ai = parse_aitxt("# Training: no\nSummary: a blog\n", SRC)
    assert ai.format == "other"
    assert ai.check("/a.jpg").decision is UNKNOWN


def test_markdown_free_text_is_unknown() -> None:
    ai = parse_aitxt("# About\nThis site is about photos.\n- All pages are nice\n", SRC)
    assert ai.format == "other"
    assert not ai.has_signal
    assert ai.check("/a.jpg").decision is UNKNOWN


def test_empty_file() -> None:
    ai = parse_aitxt("  \n# only a comment\n\n", SRC)
    assert ai.format == "empty"
    assert ai.check("/a.jpg").decision is UNKNOWN


# --- fetch outcomes ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [None, 301, 403, 404, 429, 500, 503])
def test_failed_fetch_gives_no_signal(status: int | None) -> None:
    ai = aitxt_from_fetch(status, b"User-agent: *\nDisallow: /\n", SRC, "consentcrawl")
    assert isinstance(ai, AiTxt)
    assert ai.status == status
    assert ai.format == "empty"
    assert ai.check("/a.jpg").decision is UNKNOWN


def test_missing_body_gives_no_signal() -> None:
    assert aitxt_from_fetch(200, None, SRC, "consentcrawl").check("/").decision is UNKNOWN


def test_fetch_decodes_utf8_with_bom_and_bad_bytes() -> None:
    body = b"\xef\xbb\xbfUser-agent: *\n# caf\xe9 \xff\nDisallow: *.jpg\n"
    ai = aitxt_from_fetch(200, body, SRC, "consentcrawl")
    assert ai.format == "spawning"
    assert ai.check("/a.jpg").decision is DISALLOW


def test_fetch_with_206_keeps_status() -> None:
    ai = aitxt_from_fetch(206, b"User-agent: *\nDisallow: /\n", SRC, "consentcrawl")
    assert ai.status == 206
    assert ai.check("/a.jpg").decision is DISALLOW


def test_body_is_capped_and_the_cut_line_dropped() -> None:
    head = b"User-agent: *\nDisallow: *.png\n"
    filler = b"#" * (MAX_AITXT_BYTES - len(head) - 5) + b"\n"
    body = head + filler + b"Allow: /everything-after-the-cap\nDisallow: *.gif\n"
    text = decode_text(body)
    assert len(text.encode()) <= MAX_AITXT_BYTES
    assert "Allow: /every" not in text
    ai = aitxt_from_fetch(200, body, SRC, "consentcrawl")
    assert ai.check("/a.png").decision is DISALLOW
    assert ai.check("/a.gif").decision is UNKNOWN  # beyond the cap: not read


# --- the real corpus (shared/corpus/ai-txt, see its PROVENANCE.md) ----------------------------

# file -> (format, decision for an image URL, decision for a page URL)
CORPUS_EXPECTATIONS = {
    "MLTSHP__mltshp.ai.txt": ("spawning", DISALLOW, DISALLOW),
    "ai-robots-txt__ai.robots.txt__historical.ai.txt": ("spawning", DISALLOW, DISALLOW),
    "hacdias__hacdias.com.ai.txt": ("spawning", DISALLOW, DISALLOW),
    "AMENDOkat__amendokat.github.io.ai.txt": ("spawning", DISALLOW, DISALLOW),
    "tari__taricorp.net.ai.txt": ("spawning", DISALLOW, DISALLOW),
    "12fdk__event-stories.12f.dk.ai.txt": ("spawning", ALLOW, ALLOW),
    "ATCUSA__austincole-personal-site.ai.txt": ("keyvalue", DISALLOW, DISALLOW),
    "AndrewTRodriguez__andrewtrodriguez.github.io.ai.txt": ("keyvalue", UNKNOWN, UNKNOWN),
    "nino-chavez__nino-chavez-photography.ai.txt": ("other", UNKNOWN, UNKNOWN),
}


@pytest.mark.parametrize("name", sorted(CORPUS_EXPECTATIONS))
def test_corpus_file(name: str) -> None:
    fmt, image_decision, page_decision = CORPUS_EXPECTATIONS[name]
    ai = aitxt_from_fetch(200, corpus_file(name), SRC, "consentcrawl")
    assert ai.format == fmt
    image = ai.check("https://media.example/uploads/2024/photo.jpg")
    page = ai.check("https://media.example/post/1")
    assert image.decision is image_decision
    assert page.decision is page_decision
    for signal in (image, page):
        assert signal.family == "aitxt"
        assert signal.source == SRC
        assert (signal.reason == "aitxt:disallowed") is (signal.decision is DISALLOW)


def test_corpus_covers_every_file() -> None:
    if not AITXT_DIR.is_dir():
        pytest.skip(f"shared corpus not available: {AITXT_DIR}")
    assert {p.name for p in AITXT_DIR.glob("*.ai.txt")} == set(CORPUS_EXPECTATIONS)


def test_corpus_mltshp_image_rule_is_the_extension_glob() -> None:
    ai = aitxt_from_fetch(200, corpus_file("MLTSHP__mltshp.ai.txt"), SRC, "consentcrawl")
    assert ai.check("/r/ABC.jpg").value == "Disallow: *.jpg"
    assert ai.check("/r/ABC.webp").value == "Disallow: *.webp"


def test_corpus_atcusa_key_value_line_is_the_evidence() -> None:
    ai = aitxt_from_fetch(
        200, corpus_file("ATCUSA__austincole-personal-site.ai.txt"), SRC, "consentcrawl"
    )
    assert ai.check("/about/").value == "ai-training: disallowed"


def test_corpus_12fdk_comment_lines_do_not_count() -> None:
    # "# Training: allowed" is a comment: the file is a plain Spawning allow-all
    ai = aitxt_from_fetch(200, corpus_file("12fdk__event-stories.12f.dk.ai.txt"), SRC, "x")
    assert ai.deny_line is None
    assert ai.check("/a.jpg").value == "Allow: *"


# --- issue 9: oversized, cut and hostile files ------------------------------------------------


def test_download_stopped_at_the_cap_keeps_its_complete_lines() -> None:
    # The store hands over the first bytes of a file whose download stopped at the size cap:
    # the cut line is dropped (a cut "Allow: /x" could widen to "Allow: /"), the rest is read.
    body = b"User-agent: *\nDisallow: *\nAllow: /photos/public/exhibit"
    ai = aitxt_from_fetch(200, body, SRC, "consentcrawl", truncated=True)
    assert ai.truncated and ai.unreadable is None
    signal = ai.check("/photos/public/x.jpg")
    assert (signal.decision, signal.value) == (DISALLOW, "Disallow: *")


def test_nine_mib_file_with_disallow_near_the_top_is_honoured() -> None:
    body = b"User-agent: *\nDisallow: *\n" + (b"# " + b"x" * 1021 + b"\n") * (9 * 1024)
    assert len(body) > 9 * 1024 * 1024
    ai = aitxt_from_fetch(200, body, SRC, "consentcrawl")
    assert ai.truncated
    assert ai.check("https://media.example/img/a.png").reason == "aitxt:disallowed"


def test_a_file_cut_before_its_first_line_ends_is_unreadable() -> None:
    body = b"User-agent: *  " + b" " * 100 + b"Disallow"  # one line, cut by the cap
    ai = aitxt_from_fetch(200, body, SRC, "consentcrawl", truncated=True)
    assert ai.unreadable
    strict = ai.check("/a.jpg")
    assert (strict.decision, strict.reason, strict.source) == (DISALLOW, "aitxt:unreadable", SRC)
    standard = ai.check("/a.jpg", unreadable_excludes=False)
    assert standard.decision is UNKNOWN and standard.value.startswith("unreadable")


def test_hostile_wildcards_are_matched_in_linear_time() -> None:
    # Exponential with the old regex matcher; a hang here would freeze every host's crawl.
    body = ("User-agent: *\nDisallow: /" + "*a" * 20 + "*b\n").encode()
    ai = aitxt_from_fetch(200, body, SRC, "consentcrawl")
    assert ai.check("/" + "a" * 10_000).decision is UNKNOWN
    assert ai.check("/" + "a" * 10_000 + "b").decision is DISALLOW


def test_matched_line_is_the_evidence() -> None:
    ai = parse_aitxt("User-agent: *\nDisallow: /\nAllow: *.png$\n", SRC)
    assert ai.check("/x/a.png").value == "Allow: *.png$"
    assert ai.check("/x/a.jpg").value == "Disallow: /"


def test_percent_encoded_special_characters_match_their_literal_form() -> None:
    # RFC 9309 §2.2.3: "%24" in a rule is a literal "$" in the URL, "%2A" a literal "*".
    ai = parse_aitxt("User-agent: *\nDisallow: /price-%24\nDisallow: /star-%2A.png\n", SRC)
    assert ai.check("https://media.example/price-$/a.png").decision is DISALLOW
    assert ai.check("https://media.example/star-*.png").decision is DISALLOW
    assert ai.check("https://media.example/star-x.png").decision is UNKNOWN
