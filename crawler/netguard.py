"""Which hosts are the public web: the SSRF guard's decisions (pure: no Scrapy, no I/O).

A crawler pointed at millions of hosts must never be turned against the machine it runs on or
its network: an ``<img src>``, a redirect or a robots.txt that names ``169.254.169.254`` (cloud
metadata), ``127.0.0.1:6379`` or ``10.0.0.1`` is refused, not fetched.

Hosts are read the way a browser reads them (WHATWG URL Standard, "host parsing"), so that
the check and the connection agree on what ``0x7f000001``, ``2130706433``, ``0177.0.0.1``,
``127.1`` or the same in fullwidth digits mean: percent-decoding, UTS #46 mapping, then the
IPv4 parser that accepts 1 to 4 parts in decimal, octal (leading 0) or hex (0x). glibc's
``inet_aton`` (behind ``gethostbyname``) accepts the same spellings, and a name may resolve to
any address: so names are checked again at connection time (crawler/guard.py), on the
address actually connected to.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote_to_bytes

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# IANA special-purpose registries: every block not "globally reachable", plus multicast.
# Python's ``is_global`` differs between versions (and calls 224/4 global), so the list is ours.
NON_PUBLIC_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network", unspecified
        "10.0.0.0/8",  # RFC 1918
        "100.64.0.0/10",  # CGNAT shared address space (RFC 6598)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, cloud metadata
        "172.16.0.0/12",  # RFC 1918
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # TEST-NET-1
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",  # RFC 1918
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # TEST-NET-2
        "203.0.113.0/24",  # TEST-NET-3
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and 255.255.255.255 broadcast
        "::/128",  # unspecified
        "::1/128",  # loopback
        "::/96",  # IPv4-compatible (deprecated), checked by its embedded IPv4 too
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments (Teredo 2001::/32 checked below)
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "5f00::/16",  # SRv6 SIDs
        "fc00::/7",  # unique local (ULA)
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LOCAL_NAMES = ("localhost", "localhost.localdomain")


class InvalidHost(ValueError):
    """A host that a browser would refuse to parse (so nothing may connect to it)."""


def _ipv4_number(part: str) -> int:
    """One part of a WHATWG IPv4 address: 0x hex, leading-0 octal, or decimal."""
    if not part:
        raise InvalidHost("empty IPv4 part")
    radix = 10
    if part[:2].lower() == "0x":
        part, radix = part[2:], 16
        if not part:
            return 0
    elif len(part) > 1 and part[0] == "0":
        part, radix = part[1:], 8
    digits = "0123456789abcdef"[:radix]
    if any(ch not in digits for ch in part.lower()):
        raise InvalidHost(f"not an IPv4 number: {part!r}")
    return int(part, radix)


def _ends_in_a_number(host: str) -> bool:
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    last = parts[-1]
    if last and all(ch.isascii() and ch.isdigit() for ch in last):
        return True
    if last[:2].lower() == "0x":
        return all(ch in "0123456789abcdefABCDEF" for ch in last[2:])
    return False


def parse_ipv4(host: str) -> ipaddress.IPv4Address:
    """The WHATWG IPv4 parser: ``127.1``, ``0x7f000001``, ``2130706433``, ``0177.0.0.1``..."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        raise InvalidHost(f"more than four IPv4 parts: {host!r}")
    numbers = [_ipv4_number(p) for p in parts]
    if any(n > 255 for n in numbers[:-1]):
        raise InvalidHost(f"IPv4 part out of range: {host!r}")
    if numbers[-1] >= 256 ** (5 - len(numbers)):
        raise InvalidHost(f"IPv4 address out of range: {host!r}")
    value = numbers[-1]
    for i, n in enumerate(numbers[:-1]):
        value += n * 256 ** (3 - i)
    return ipaddress.IPv4Address(value)


def _to_ascii(domain: str) -> str:
    """UTS #46 mapping (fullwidth digits, ideographic full stops...), lower-cased."""
    if domain.isascii():
        return domain.lower()
    try:
        import idna

        return idna.uts46_remap(domain, std3_rules=False, transitional=False).lower()
    except Exception as exc:  # idna raises its own error types for unmappable input
        raise InvalidHost(f"not a valid domain: {domain!r}") from exc


def parse_host(host: str) -> IPAddress | str:
    """An IP address, or a lower-cased ASCII-mapped name; raises InvalidHost.

    ``host`` is a URL's host as written (IPv6 with or without brackets).
    """
    if not host:
        raise InvalidHost("empty host")
    if host.startswith("["):
        if not host.endswith("]"):
            raise InvalidHost(f"unclosed IPv6 bracket: {host!r}")
        host = host[1:-1]
    if ":" in host:
        if "%" in host:  # zone identifiers are not part of URLs (WHATWG rejects them)
            raise InvalidHost(f"IPv6 zone identifier: {host!r}")
        try:
            return ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise InvalidHost(f"not an IPv6 address: {host!r}") from exc
    try:
        domain = unquote_to_bytes(host).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidHost(f"host is not UTF-8 once decoded: {host!r}") from exc
    ascii_host = _to_ascii(domain)
    if not ascii_host or any(ch in ascii_host for ch in " \t\r\n\x00#%/:<>?@[\\]^|"):
        raise InvalidHost(f"forbidden character in host: {host!r}")
    if _ends_in_a_number(ascii_host):
        return parse_ipv4(ascii_host)
    return ascii_host.rstrip(".")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, compatible, 6to4, NAT64, Teredo)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or (int(ip) >> 32 == 0 and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a host is not reachable for us: ``reason`` is the row's reason code."""

    host: str
    why: str
    reason: str = "address:non-public"

    def __str__(self) -> str:
        return f"{self.host} is {self.why}: not the public web (ALLOWED_NETWORKS opens ranges)"


def _kind(ip: IPAddress) -> str:
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (cloud metadata lives here)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified:
        return "the unspecified address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"):
        return "a CGNAT shared address"
    if ip.is_private:
        return "a private address"
    return "a reserved address"


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Public addresses pass; ``allowed`` networks (ALLOWED_NETWORKS) open chosen ranges."""

    allowed: tuple[IPNetwork, ...] = field(default=())

    @classmethod
    def from_cidrs(cls, cidrs: Iterable[str]) -> AddressPolicy:
        """Raises ValueError naming the first malformed CIDR."""
        networks = []
        for cidr in cidrs:
            text = str(cidr).strip()
            if not text:
                continue
            try:
                networks.append(ipaddress.ip_network(text, strict=False))
            except ValueError as exc:
                raise ValueError(f"ALLOWED_NETWORKS: {text!r} is not a network: {exc}") from exc
        return cls(tuple(networks))

    def _opened(self, ip: IPAddress) -> bool:
        return any(ip.version == n.version and ip in n for n in self.allowed)

    def address_refusal(self, ip: IPAddress) -> Refusal | None:
        """None if ``ip`` is public (or opened by ALLOWED_NETWORKS), else why not."""
        if self._opened(ip):
            return None
        for net in NON_PUBLIC_NETWORKS:
            if ip.version == net.version and ip in net:
                if isinstance(ip, ipaddress.IPv6Address):
                    inner = embedded_ipv4(ip)
                    if inner is not None and self._opened(inner):
                        return None
                return Refusal(str(ip), _kind(ip))
        if isinstance(ip, ipaddress.IPv6Address):
            inner = embedded_ipv4(ip)
            if inner is not None:
                refusal = self.address_refusal(inner)
                if refusal is not None:
                    return Refusal(str(ip), f"an IPv6 form of {inner} ({refusal.why})")
        return None

    def host_refusal(self, host: str) -> Refusal | None:
        """None if ``host`` (a URL's host as written) may be requested, else why not.

        Names pass here (except ``localhost``, which RFC 6761 reserves for loopback): the
        address they resolve to is checked when the connection is made.
        """
        return _host_refusal(self, host)

    def _host_refusal(self, host: str) -> Refusal | None:
        try:
            parsed = parse_host(host)
        except InvalidHost as exc:
            return Refusal(host, f"not a valid host ({exc})", "input:invalid-url")
        if isinstance(parsed, str):
            if parsed in _LOCAL_NAMES or parsed.endswith(".localhost"):
                loopback = ipaddress.IPv4Address("127.0.0.1")
                if self._opened(loopback):
                    return None
                return Refusal(host, "a loopback name (RFC 6761)")
            return None
        return self.address_refusal(parsed)


@lru_cache(maxsize=8192)
def _host_refusal(policy: AddressPolicy, host: str) -> Refusal | None:
    # Cached: a page names a few hosts many times, and this runs for every candidate.
    return policy._host_refusal(host)


PUBLIC_ONLY = AddressPolicy()
