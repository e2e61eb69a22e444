"""``scrapy consent URL``: the explanation matches the crawl, with the right exit code."""

from __future__ import annotations

import json

import pytest

from crawler.simweb.control import SimWeb
from crawler.simweb.demo import demo_sites
from tests.support.cli import consent


@pytest.fixture(scope="module")
def web():
    with SimWeb(demo_sites(), max_seconds=120, max_requests=5000) as sim:
        yield sim


def test_allowed_image_exits_0_with_table(web: SimWeb) -> None:
    result = consent(
        web, "http://gallery.demo.test/img/lighthouse.png", "--page", "http://gallery.demo.test/"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "decision: ALLOWED" in out
    assert "http://gallery.demo.test/robots.txt" in out
    assert "HEAD 200" in out  # the image probe is part of the explanation


def test_ai_token_refusal_exits_1_and_names_the_reasons(web: SimWeb) -> None:
    result = consent(
        web,
        "http://ai-optout.demo.test/art/painting-1.png",
        "--page",
        "http://ai-optout.demo.test/art/gallery.html",
        "--json",
    )
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["decision"] == "excluded"
    assert data["reasons"] == ["robots:ai-token=CCBot", "robots:ai-token=GPTBot"]
    assert data["found_on_page"] is True
    assert data["caption"]
    families = {(s["applies_to"], s["family"], s["verdict"]) for s in data["signals"]}
    assert ("image", "robots", "allow") in families  # our own token may fetch it
    assert ("page", "robots", "disallow") in families


def test_robots_only_policy_ignores_ai_tokens(web: SimWeb) -> None:
    result = consent(
        web, "http://ai-optout.demo.test/art/painting-1.png", "--policy", "robots-only", "--json"
    )
    assert result.returncode == 0, result.stdout
    data = json.loads(result.stdout)
    assert data["policy"]["name"] == "robots-only"
    assert {s["family"] for s in data["signals"]} == {"robots", "probe"}


def test_unreachable_robots_without_page(web: SimWeb) -> None:
    result = consent(web, "http://down.demo.test/img/outage-map.png", "--json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["reasons"] == ["robots:unreachable"]
    assert data["page"] is None
    # Nothing but robots.txt was requested from the unreachable host.
    paths = {r["path"] for r in web.requests() if r["host"] == "down.demo.test"}
    assert paths == {"/robots.txt"}


def test_refused_page_explains_the_page_reason(web: SimWeb) -> None:
    result = consent(
        web,
        "http://gallery.demo.test/private/unreleased-cover.png",
        "--page",
        "http://gallery.demo.test/private/drafts.html",
        "--json",
    )
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert "robots:disallowed" in data["reasons"]
    # The page's refusal carries its evidence: the robots.txt URL and the matched rule.
    page = [s for s in data["signals"] if s["applies_to"] == "page" and s["family"] == "robots"]
    assert page and page[0]["verdict"] == "disallow", data["signals"]
    assert page[0]["source"] == "http://gallery.demo.test/robots.txt"
    assert page[0]["value"].endswith("Disallow: /private/"), page[0]
    assert not any(
        r["path"].startswith("/private/")
        for r in web.requests()
        if r["host"] == "gallery.demo.test"
    )


@pytest.mark.parametrize(
    "args", [["not-a-url"], ["http://a.demo.test/x.png", "--page", "ftp://a.demo.test/"]]
)
def test_bad_arguments_exit_2(web: SimWeb, args: list[str]) -> None:
    result = consent(web, *args)
    assert result.returncode == 2
    assert "consentcrawl: error:" in result.stderr


def test_table_of_a_refused_page_leads_with_the_page_refusal(web: SimWeb) -> None:
    result = consent(
        web,
        "http://gallery.demo.test/private/unreleased-cover.png",
        "--page",
        "http://gallery.demo.test/private/drafts.html",
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    first = next(line for line in lines if line.startswith("page "))
    assert "robots" in first and "DISALLOW (robots:disallowed)" in first
    assert "http://gallery.demo.test/robots.txt" in first
    page_rows = [line for line in lines if line.startswith("page ")]
    assert not any(" allow " in line for line in page_rows)


def test_image_missing_from_the_page_is_said_in_the_table(web: SimWeb) -> None:
    result = consent(
        web, "http://gallery.demo.test/img/lighthouse.png", "--page", "http://ai-optout.demo.test/"
    )
    assert "NOT FOUND" in result.stdout and "not on this page" in result.stdout
    assert "page        robots          allow" in result.stdout
