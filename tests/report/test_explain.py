"""`scrapy consent`'s table: page rows for every family, no all-allow table above EXCLUDED,
AI tokens grouped, the image missing from the page said in the table, control chars escaped."""

from __future__ import annotations

from crawler.commands.consent import render_table
from crawler.consent.verdict import Signal
from crawler.report.explain import PAGE_FAMILIES, explain_rows, printable

PAGE = "http://site.test/page.html"
IMAGE = "http://cdn.test/a.png"
ROBOTS = "http://site.test/robots.txt"
ALL = frozenset(PAGE_FAMILIES)


def rows(**kw):
    args = {
        "image_url": IMAGE,
        "page_url": PAGE,
        "page_fetched": True,
        "found_on_page": True,
        "page_reasons": [],
        "page_signals": [],
        "image_signals": [Signal.allow("robots", "http://cdn.test/robots.txt", "parsed")],
        "reasons": [],
        "families": ALL,
    }
    args.update(kw)
    return explain_rows(**args)


def table(result_rows, reasons) -> str:
    return render_table(
        {
            "url": IMAGE,
            "page": PAGE,
            "policy": {"name": "strict", "image_probe": "head"},
            "rows": [r.record() for r in result_rows],
            "license": {},
            "decision": "excluded" if reasons else "allowed",
            "reasons": reasons,
        }
    )


def test_every_page_family_has_a_row_including_the_page_robots_txt() -> None:
    out = rows()
    page = [(r.family, r.verdict) for r in out if r.applies_to == "page"]
    assert [f for f, _ in page] == list(PAGE_FAMILIES)
    assert page[0] == ("robots", "allow")
    assert next(r for r in out if r.applies_to == "page").where == ROBOTS


def test_refused_page_never_shows_only_allow_rows_above_excluded() -> None:
    reasons = ["robots:disallowed"]
    out = rows(page_fetched=False, page_reasons=reasons, reasons=reasons)
    verdicts = [r.verdict for r in out]
    assert "DISALLOW (robots:disallowed)" in verdicts
    assert all(
        v == "not checked"
        for r, v in zip(out, verdicts, strict=True)
        if r.applies_to == "page" and r.family != "robots"
    )
    text = table(out, reasons)
    assert text.splitlines()[-1] == "decision: EXCLUDED: robots:disallowed"


def test_a_reason_without_a_signal_still_gets_a_disallow_row() -> None:
    out = rows(reasons=["caption:missing"])
    assert any(r.verdict == "DISALLOW (caption:missing)" for r in out)


def test_ai_tokens_refused_by_one_robots_txt_read_as_one_line() -> None:
    tokens = ["CCBot", "GPTBot", "ClaudeBot"]
    signals = [
        Signal.disallow("robots", f"ai-token={t}", ROBOTS, "User-agent: GPTBot\nDisallow: /")
        for t in tokens
    ]
    reasons = [f"robots:ai-token={t}" for t in tokens]
    out = rows(page_signals=signals, reasons=reasons)
    grouped = [r for r in out if "ai-token" in r.verdict]
    assert len(grouped) == 1
    assert grouped[0].value == (
        "robots.txt refuses 3 AI tokens: CCBot, GPTBot, ClaudeBot, "
        "rule `User-agent: GPTBot / Disallow: /`"
    )
    assert not any(r.verdict.startswith("DISALLOW (robots:ai-token=") for r in out)


def test_image_not_on_the_page_is_a_table_row() -> None:
    out = rows(found_on_page=False)
    row = next(r for r in out if r.verdict == "NOT FOUND")
    assert row.applies_to == "page" and "not on this page" in row.value
    assert "NOT FOUND" in table(out, [])


def test_remote_values_are_escaped_before_printing() -> None:
    evil = "noai\x1b]0;pwned\x07\x1b[2J\u202e"
    out = rows(
        image_signals=[Signal.disallow("xrobots", "noai", "header:" + IMAGE, evil)],
        reasons=["xrobots:noai"],
    )
    text = table(out, ["xrobots:noai"])
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "noai\\x1b]0;pwned\\x07\\x1b[2J\\u202e" in text
    assert printable("plain text") == "plain text"


def test_a_family_explain_has_no_code_for_is_shown_from_its_signals() -> None:
    # explain_rows knows no family: a new one (here a made-up licence family) appears with its
    # evidence, and its reason is not repeated as a bare row.
    signal = Signal.disallow("newfam", "prohibits=ai-train", "http://cdn.test/l.xml", "<x/>")
    out = rows(
        image_signals=[Signal.allow("robots", "http://cdn.test/robots.txt", "parsed"), signal],
        reasons=["newfam:prohibits=ai-train"],
    )
    image = [(r.family, r.verdict, r.where, r.value) for r in out if r.applies_to == "image"]
    assert image[1:] == [
        ("newfam", "DISALLOW (newfam:prohibits=ai-train)", "http://cdn.test/l.xml", "<x/>")
    ]
