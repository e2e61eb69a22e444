"""The SSRF guard's pure decisions: which hosts are the public web (crawler/netguard.py)."""

from __future__ import annotations

import ipaddress

import pytest

from crawler.netguard import PUBLIC_ONLY, AddressPolicy, InvalidHost, parse_host, parse_ipv4


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),  # hex
        ("2130706433", "127.0.0.1"),  # decimal
        ("0177.0.0.1", "127.0.0.1"),  # octal
        ("127.1", "127.0.0.1"),  # two parts: the last fills three bytes
        ("127.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("127.0.0.1.", "127.0.0.1"),  # one trailing dot is allowed
        ("%31%32%37.0.0.1", "127.0.0.1"),  # percent-decoded first
        ("\uff11\uff12\uff17\u3002\uff10\u3002\uff10\u3002\uff11", "127.0.0.1"),  # fullwidth
        ("0XA9.0xFE.0xa9.0XfE", "169.254.169.254"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
    ],
)
def test_hosts_are_parsed_as_a_browser_parses_them(host: str, address: str) -> None:
    assert parse_host(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", ["1.2.3.09", "1.2.3.4.5", "0x100000000", "256.1.1.1", "08.1"])
def test_numeric_looking_hosts_that_are_no_address_are_invalid(host: str) -> None:
    with pytest.raises(InvalidHost):
        parse_host(host)


def test_names_stay_names() -> None:
    assert parse_host("Example.ORG") == "example.org"
    assert parse_host("1.2.3.example") == "1.2.3.example"  # ends in a label, not a number


def test_ipv4_parser_bounds() -> None:
    assert parse_ipv4("255.255.255.255") == ipaddress.IPv4Address("255.255.255.255")
    assert parse_ipv4("1.16777215") == ipaddress.IPv4Address("1.255.255.255")
    with pytest.raises(InvalidHost):
        parse_ipv4("1.16777216")


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # CGNAT
        "0.0.0.0",
        "224.0.0.1",  # multicast
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "0x7f000001",
        "2130706433",
        "0177.0.0.1",
        "127.1",
        "[::1]",
        "[::]",
        "[fd00::1]",  # unique local
        "[fe80::1]",  # link-local
        "[ff02::1]",  # multicast
        "[::ffff:127.0.0.1]",  # IPv4-mapped
        "[::ffff:169.254.169.254]",
        "[::127.0.0.1]",  # IPv4-compatible
        "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
        "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
        "localhost",
        "LOCALHOST.",
        "db.localhost",
    ],
)
def test_non_public_hosts_are_refused(host: str) -> None:
    refusal = PUBLIC_ONLY.host_refusal(host)
    assert refusal is not None
    assert refusal.reason == "address:non-public"
    assert "not the public web" in str(refusal)


@pytest.mark.parametrize(
    "host",
    ["93.184.215.14", "8.8.8.8", "[2606:4700::1111]", "[::ffff:8.8.8.8]", "example.org", "a.test"],
)
def test_public_hosts_and_names_pass(host: str) -> None:
    assert PUBLIC_ONLY.host_refusal(host) is None


def test_an_unparsable_host_is_an_invalid_url_not_an_address() -> None:
    refusal = PUBLIC_ONLY.host_refusal("[::1")
    assert refusal is not None and refusal.reason == "input:invalid-url"


def test_allowed_networks_open_chosen_ranges() -> None:
    policy = AddressPolicy.from_cidrs(["10.0.0.0/8", "127.0.0.1/32", " "])
    assert policy.host_refusal("10.1.2.3") is None
    assert policy.host_refusal("0x0a010203") is None  # 10.1.2.3, however spelled
    assert policy.host_refusal("[::ffff:10.1.2.3]") is None
    assert policy.host_refusal("localhost") is None  # 127.0.0.1 is opened
    assert policy.host_refusal("192.168.0.1") is not None
    assert policy.host_refusal("169.254.169.254") is not None
    with pytest.raises(ValueError, match="ALLOWED_NETWORKS"):
        AddressPolicy.from_cidrs(["10.0.0.0/33"])
