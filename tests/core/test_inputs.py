"""Scope, seed lists and configuration files: the crawl's inputs, validated before any request."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.config import ConfigError, load_config
from crawler.runtime import known_settings
from crawler.scope import Scope, psl_snapshot_id, scope_key
from crawler.seeds import SeedError, load_seeds

# --- scope ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("www.bbc.co.uk", "bbc.co.uk"),
        ("a.b.example.com", "example.com"),
        ("alice.github.io", "alice.github.io"),  # private suffix: each user is a site
        ("news.demo.test", "news.demo.test"),  # no public suffix: its own scope
        ("localhost", "localhost"),
        ("127.0.0.1", "127.0.0.1"),
        ("WWW.Example.COM.", "example.com"),
    ],
)
def test_scope_key(host: str, key: str) -> None:
    assert scope_key(host) == key


def test_scope_follows_registered_domain_only() -> None:
    scope = Scope(["https://www.example.com/start", "http://gallery.demo.test/"])
    assert scope.allows("https://images.example.com/a.html")
    assert scope.allows("http://gallery.demo.test/b.html")
    assert not scope.allows("http://cdn.demo.test/b.html")  # .test hosts are separate scopes
    assert not scope.allows("https://example.org/")
    assert not scope.allows("ftp://www.example.com/file")
    assert not scope.allows("mailto:someone@example.com")


def test_scope_allowed_and_denied_domains() -> None:
    scope = Scope(
        ["https://www.example.com/"],
        allowed_domains=["partner.org"],
        denied_domains=["private.example.com"],
    )
    assert scope.allows("https://cdn.partner.org/x")
    assert not scope.allows("https://private.example.com/x")
    assert not scope.allows("https://deep.private.example.com/x")
    assert scope.allows("https://public.example.com/x")


def test_psl_snapshot_is_identified() -> None:
    assert psl_snapshot_id().startswith("tldextract-")
    assert "unknown" not in psl_snapshot_id()


# --- seeds ------------------------------------------------------------------------------------


def test_seed_file_comments_blank_lines_and_dedupe(tmp_path: Path) -> None:
    path = tmp_path / "seeds.txt"
    path.write_text(
        "# my seeds\n\nhttps://a.test/\nhttp://b.test/x  # trailing note\nhttps://a.test/\n"
    )
    seeds = load_seeds(str(path))
    assert seeds.urls == ["https://a.test/", "http://b.test/x"]
    assert seeds.source == str(path)
    assert len(seeds.sha256) == 64


def test_seed_argument_list() -> None:
    seeds = load_seeds("http://a.test/, http://b.test/p?q=1#frag")
    assert seeds.urls == ["http://a.test/", "http://b.test/p?q=1#frag"]
    assert seeds.source == "argument"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("ftp://a.test/", "is not an http(s) URL"),
        ("http:///nohost", "has no host"),
        ("http://a.test:99999/", "bad port"),
        ("www.example.com", "is not an http(s) URL"),
        ("http://a .test/", "contains whitespace"),
    ],
)
def test_malformed_seed_line_names_file_and_line(tmp_path: Path, line: str, problem: str) -> None:
    path = tmp_path / "seeds.txt"
    path.write_text(f"http://ok.test/\n# comment\n{line}\n")
    with pytest.raises(SeedError) as err:
        load_seeds(str(path))
    assert f"{path}:3:" in str(err.value)
    assert problem in str(err.value)


def test_missing_or_empty_seeds(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="does not exist"):
        load_seeds(str(tmp_path / "nope.txt"))
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n\n")
    with pytest.raises(SeedError, match="no seed URLs"):
        load_seeds(str(empty))
    with pytest.raises(SeedError, match="no seeds given"):
        load_seeds("")


# --- configuration files ----------------------------------------------------------------------


def test_config_keys_any_case_and_settings_table(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        'caption_required = false\nDEPTH_LIMIT = 2\n[settings]\nai_tokens = ["GPTBot"]\n'
    )
    values = load_config(path, known_settings())
    assert values == {"CAPTION_REQUIRED": False, "DEPTH_LIMIT": 2, "AI_TOKENS": ["GPTBot"]}


def test_unknown_key_names_key_and_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("caption_requird = true\n")
    with pytest.raises(ConfigError) as err:
        load_config(path, known_settings())
    assert "caption_requird" in str(err.value) and str(path) in str(err.value)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('depth_limit = "3"', "must be an integer"),
        ("caption_required = 1", "must be a boolean"),
        ("robotstxt_cache_ttl = true", "must be a number"),
        ("robotstxt_user_agent = 5", "must be a string"),
    ],
)
def test_wrong_type_names_key_and_file(tmp_path: Path, line: str, expected: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(line + "\n")
    with pytest.raises(ConfigError) as err:
        load_config(path, known_settings())
    key = line.split(" ")[0]
    assert key in str(err.value) and str(path) in str(err.value) and expected in str(err.value)


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("this is = = not toml\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path, known_settings())
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml", known_settings())


def test_shipped_configs_are_valid() -> None:
    configs = sorted((Path(__file__).resolve().parents[2] / "configs").glob("*.toml"))
    assert configs, "configs/ ships at least default.toml"
    for path in configs:
        load_config(path, known_settings())
