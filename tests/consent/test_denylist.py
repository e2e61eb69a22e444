"""Deny-lists (DENYLIST_FILES): format, matching, errors, the family's evaluators."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.consent.denylist import (
    FAMILY,
    DenyList,
    DenyListError,
    denylist_signal,
    files_setting,
    load_denylists,
    normalize_entry,
)
from crawler.consent.family import EvalEnv, ImageContext, PageContext
from crawler.consent.verdict import Decision

PIRACY = """\
# EU CoP Measure 1.2 style list (made-up hosts)
warez.example
  Torrents.Example.   # case and a trailing dot do not matter

bücher.example        # IDN, written in Unicode
xn--mnchen-3ya.example  # IDN, written in punycode (münchen)
img.cdn.example       # a single host, not its parent
192.0.2.7
2001:db8::1
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def piracy(tmp_path: Path) -> DenyList:
    return load_denylists([write(tmp_path, "eu-piracy.txt", PIRACY)])


# --- matching ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "warez.example",
        "img.warez.example",  # the brief's example: a domain covers its subdomains
        "a.b.c.warez.example",
        "WAREZ.example.",
        "torrents.example",
        "cdn.torrents.example",
        "xn--bcher-kva.example",
        "bücher.example",
        "static.BÜCHER.example",
        "münchen.example",
        "img.cdn.example",
        "x.img.cdn.example",
        "192.0.2.7",
        "2001:db8::1",
        "[2001:db8:0::1]",
    ],
)
def test_listed_hosts_and_their_subdomains_match(piracy: DenyList, host: str) -> None:
    entry = piracy.match(host)
    assert entry is not None
    assert entry.list_name == "eu-piracy"


@pytest.mark.parametrize(
    "host",
    [
        "notwarez.example",  # a look-alike, not a subdomain
        "warez.example.org",
        "warez-example.com",
        "example",
        "cdn.example",  # the parent of a listed host is not listed
        "other.cdn.example",
        "buecher.example",
        "192.0.2.8",
        "0.2.7",
        "7",
        "",
    ],
)
def test_look_alikes_and_parents_do_not_match(piracy: DenyList, host: str) -> None:
    assert piracy.match(host) is None


def test_entry_records_file_and_line(piracy: DenyList, tmp_path: Path) -> None:
    entry = piracy.match("cdn.torrents.example")
    assert entry is not None
    assert (entry.name, entry.line) == ("torrents.example", 3)
    assert entry.path == str(tmp_path / "eu-piracy.txt")
    assert len(piracy) == 7


@pytest.mark.parametrize(
    ("origin", "listed"),
    [
        ("https://img.warez.example", True),
        ("http://warez.example:8080", True),
        ("https://[2001:db8::1]:8443", True),
        ("https://[2001:db8::1]", True),
        ("http://192.0.2.7:81", True),
        ("https://notwarez.example:443", False),
        ("", False),
    ],
)
def test_match_origin(piracy: DenyList, origin: str, listed: bool) -> None:
    assert (piracy.match_origin(origin) is not None) is listed


def test_match_url(piracy: DenyList) -> None:
    assert piracy.match_url("https://img.warez.example:8443/a.jpg?x=1") is not None
    assert piracy.match_url("http://user@Warez.Example/") is not None
    assert piracy.match_url("https://[2001:db8::1]/a.jpg") is not None
    assert piracy.match_url("https://notwarez.example/warez.example/") is None
    assert piracy.match_url("not a url") is None
    assert piracy.match_url("ftp://warez.example/") is None  # not http(s): no usable host


def test_several_files_first_list_gives_the_reason(tmp_path: Path) -> None:
    team = write(tmp_path, "team.txt", "warez.example\nshady.example\n")
    eu = write(tmp_path, "eu.txt", "warez.example\n")
    lists = load_denylists([team, eu])
    assert lists.files == (str(team), str(eu))
    warez = lists.match("warez.example")
    assert warez is not None and warez.list_name == "team"
    # the most specific listed name wins, whatever the file
    deeper = load_denylists([write(tmp_path, "a.txt", "example.org\n"), eu])
    hit = deeper.match("img.warez.example")
    assert hit is not None and hit.list_name == "eu"


# --- the file format ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("warez.example", "warez.example"),
        ("WAREZ.Example.", "warez.example"),
        ("a-b.c-d.example", "a-b.c-d.example"),
        ("example.3com", "example.3com"),
        ("bücher.example", "xn--bcher-kva.example"),
        (
            "\uff42\uff55\uff43\uff48\uff45\uff52\uff0eexample",
            "bucher.example",
        ),  # fullwidth: UTS #46
        ("_dmarc.example", "_dmarc.example"),
        ("10.0.0.1", "10.0.0.1"),
        ("[2001:DB8::1]", "2001:db8::1"),
    ],
)
def test_normalize_entry(text: str, name: str) -> None:
    assert normalize_entry(text) == name


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("https://warez.example/", "a URL or path"),
        ("warez.example/path", "a URL or path"),
        ("*.warez.example", "without '*.'"),
        (".warez.example", "without '*.'"),
        ("warez.example:8080", "no port"),
        ("com", "single label"),
        ("warez..example", "not a valid host name"),
        ("-warez.example", "not a valid host name"),
        ("warez.example-", "not a valid host name"),
        ("warez.-example", "not a valid host name"),
        ("warez.example." + "a" * 64, "not a valid host name"),
        ("war ez.example", "one host or domain per line"),
        ("1.2.3", "numeric top-level label"),
        ("a" * 64 + ".example", "not a valid host name"),
        (("a" * 60 + ".") * 5 + "example", "longer than 253"),
        ("xn--.example", "not a valid host name"),
    ],
)
def test_invalid_entries(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("*", r"\*")):
        normalize_entry(text)


def test_invalid_lines_name_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "team.txt", "# ok\nwarez.example\n\nhttps://bad.example/\ncom # tld\n")
    with pytest.raises(DenyListError) as caught:
        load_denylists([path])
    message = str(caught.value)
    assert message.startswith("DENYLIST_FILES: invalid entries")
    assert f"{path}:4: a URL or path" in message
    assert f"{path}:5: a single label" in message
    assert "'com'" in message


def test_many_bad_lines_are_summarised(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.txt", "".join(f"http://h{i}.example/\n" for i in range(50)))
    with pytest.raises(DenyListError, match=r"\.\.\. and 30 more bad lines"):
        load_denylists([path])


def test_missing_or_unreadable_files_are_errors(tmp_path: Path) -> None:
    with pytest.raises(DenyListError, match=r"DENYLIST_FILES: cannot read .*missing\.txt"):
        load_denylists([tmp_path / "missing.txt"])
    with pytest.raises(DenyListError, match="DENYLIST_FILES: cannot read"):
        load_denylists([tmp_path])  # a directory
    latin1 = write(tmp_path, "latin1.txt", b"ok.example\nb\xfccher.example\n")
    with pytest.raises(DenyListError, match=r"latin1\.txt:2: not UTF-8"):
        load_denylists([latin1])


def test_bom_comments_and_empty_files(tmp_path: Path) -> None:
    bom = write(tmp_path, "bom.txt", "\ufeffwarez.example\n")
    assert load_denylists([bom]).match("warez.example") is not None
    empty = write(tmp_path, "empty.txt", "# nothing yet\n\n")
    assert len(load_denylists([empty])) == 0


def test_two_lists_with_the_same_stem_are_an_error(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write(tmp_path, "a/piracy.txt", "x.example\n")
    second = write(tmp_path, "b/piracy.txt", "y.example\n")
    with pytest.raises(DenyListError, match="two deny-lists named 'piracy'"):
        load_denylists([first, second])
    # the same file twice is harmless
    assert len(load_denylists([first, first])) == 1


@pytest.mark.parametrize(
    ("value", "files"),
    [
        (None, []),
        ("", []),
        ([], []),
        ("a.txt", ["a.txt"]),
        ("a.txt, lists/b.txt", ["a.txt", "lists/b.txt"]),  # -s DENYLIST_FILES=a.txt,b.txt
        (["a.txt", Path("b.txt")], ["a.txt", "b.txt"]),
    ],
)
def test_files_setting(value: object, files: list[str]) -> None:
    assert files_setting(value) == files


def test_files_setting_rejects_other_types() -> None:
    with pytest.raises(DenyListError, match="DENYLIST_FILES: expected a list of file paths"):
        files_setting(3)


def test_large_lists_load_and_match(tmp_path: Path) -> None:
    """100,000 entries: one dict; a lookup is a few hash probes (no timing asserted)."""
    text = "".join(f"site{i}.example\n" for i in range(100_000))
    lists = load_denylists([write(tmp_path, "big.txt", text)])
    assert len(lists) == 100_000
    assert lists.match("img.site99999.example") is not None
    assert lists.match("site100000.example") is None


# --- signals and the family --------------------------------------------------------------------


def test_signal_evidence(piracy: DenyList, tmp_path: Path) -> None:
    [signal] = denylist_signal("https://img.warez.example/a.jpg", piracy, "image")
    assert signal.decision is Decision.DISALLOW
    assert signal.family == "denylist"
    assert signal.reason == "denylist:eu-piracy"
    assert signal.source == f"{tmp_path / 'eu-piracy.txt'}:2"
    assert signal.value == "listed warez.example (image https://img.warez.example/a.jpg)"
    # with the origin the caller already has (the evaluators pass it)
    via_origin = denylist_signal("https://x/a.jpg", piracy, "image", "https://img.warez.example")
    assert [s.reason for s in via_origin] == ["denylist:eu-piracy"]
    assert denylist_signal("https://ok.example/a.jpg", piracy, "image") == []
    assert denylist_signal("https://warez.example/", None, "page") == []
    assert denylist_signal("https://warez.example/", DenyList([]), "page") == []


class _Policy:
    def enabled(self, switch: str) -> bool:
        return True


def test_family_declaration(tmp_path: Path) -> None:
    path = write(tmp_path, "piracy.txt", "warez.example\n")
    assert FAMILY.name == "denylist"
    assert [r.code for r in FAMILY.reasons] == ["denylist:*"]
    assert [s.name for s in FAMILY.settings] == ["DENYLIST_FILES"]
    assert FAMILY.settings[0].default == []
    assert FAMILY.url_only and FAMILY.switches == ()
    assert FAMILY.configure is not None and FAMILY.page and FAMILY.image
    assert FAMILY.configure({"DENYLIST_FILES": []}.get) is None
    with pytest.raises(ValueError, match="DENYLIST_FILES: cannot read"):
        FAMILY.configure({"DENYLIST_FILES": [str(tmp_path / "nope.txt")]}.get)
    config = FAMILY.configure({"DENYLIST_FILES": [str(path)]}.get)
    env = EvalEnv("consentcrawl", (), _Policy(), config)
    page = PageContext("https://www.warez.example/p", "https://www.warez.example", False, {})
    assert [s.reason for s in FAMILY.page(page, env)] == ["denylist:piracy"]
    clean = PageContext("https://ok.example/p", "https://ok.example", True, {})
    assert FAMILY.page(clean, env) == []
    image = ImageContext("https://img.warez.example/a.jpg", "https://img.warez.example", {}, clean)
    [signal] = FAMILY.image(image, env)
    assert signal.reason == "denylist:piracy"
    assert signal.value == "listed warez.example (image https://img.warez.example/a.jpg)"
    off = EvalEnv("consentcrawl", (), _Policy(), None)
    assert FAMILY.image(image, off) == []


# --- start-up: a bad DENYLIST_FILES stops the run (crawler.runtime.check_effective_settings) -----


def test_effective_settings_check_loads_the_denylist(tmp_path: Path) -> None:
    from scrapy.settings import Settings

    from crawler import settings as project_settings
    from crawler.config import ConfigError
    from crawler.runtime import check_effective_settings

    settings = Settings()
    settings.setmodule(project_settings)
    check_effective_settings(settings)  # none by default
    good = tmp_path / "ok.txt"
    good.write_text("warez.example\n", encoding="utf-8")
    settings.set("DENYLIST_FILES", [str(good)])
    check_effective_settings(settings)
    settings.set("DENYLIST_FILES", f"{good},{tmp_path / 'missing.txt'}")
    with pytest.raises(ConfigError, match=r"DENYLIST_FILES.*missing\.txt"):
        check_effective_settings(settings)
    bad = tmp_path / "bad.txt"
    bad.write_text("ok.example\n*.warez.example\n", encoding="utf-8")
    settings.set("DENYLIST_FILES", [str(bad)])
    with pytest.raises(ConfigError, match=r"bad\.txt:2"):
        check_effective_settings(settings)
