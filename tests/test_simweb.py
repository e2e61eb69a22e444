"""The simulated web: routing, HTTP behaviour, the request log, bounds and the demo's data.

Every server here is bounded (small ``max_seconds``) and stopped in teardown, so a failing test
can never leave a process behind or hang the suite.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import os
import socket
import ssl
import struct
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest

from crawler.simweb.control import SimWeb, SimWebError
from crawler.simweb.demo import DEMO_SEEDS, EXPECTED, demo_sites
from crawler.simweb.server import Route, Sites, _parse_range, _split_authority, _split_target
from crawler.simweb.tls import LocalCA

SITES: dict[str, Any] = {
    "hosts": {
        "a.test": {
            "routes": {
                "/": {"body": "<html>home</html>"},
                "/robots.txt": {
                    "status": 200,
                    "headers": {"Content-Type": "text/plain"},
                    "body": "User-agent: *\nDisallow: /private/\n",
                },
                "/page?x=1": {"body": "with query"},
                "/page": {"body": "no query"},
                "/img/*": {"headers": {"Content-Type": "image/png"}, "body": "0123456789"},
                "/img/deep/*": {"body": "deep"},
                "/img/special.png": {"body": "special"},
                "/bin": {
                    "headers": {"Content-Type": "application/octet-stream"},
                    "body_b64": base64.b64encode(b"\x00\xff\x10").decode(),
                },
                "/tagged": {
                    "headers": [["X-Robots-Tag", "noai"], ["X-Robots-Tag", "noimageai"]],
                    "body": "t",
                },
                "/old": {"redirect": "http://a.test/"},
                "/temp": {"redirect": "/", "status": 307},
                "/drop": {"drop": True},
                "/slow": {"delay": 0.3, "body": "late"},
            },
            "default": {"status": 404, "body": "a.test: not found"},
        },
        "b.test": {"routes": {"/": {"body": "b on 80"}}},
        "b.test:8080": {"routes": {"/": {"body": "b on 8080"}}},
        # Per scheme: https://s.test has its own robots.txt; plain.test is never played over https.
        "s.test": {
            "routes": {
                "/robots.txt": {"body": "User-agent: *\nAllow: /\n"},
                "/": {"body": "s over any scheme"},
            }
        },
        "https://s.test": {
            "routes": {
                "/robots.txt": {"body": "User-agent: *\nDisallow: /\n"},
                "/": {"body": "s over https"},
                "/to-http": {"redirect": "http://s.test/", "status": 302},
                "/img.png": {"headers": {"Content-Type": "image/png"}, "body": "0123456789"},
                "/drop": {"drop": True},
            }
        },
        "https://s.test:8443": {"routes": {"/": {"body": "s on 8443"}}},
        "http://plain.test": {"routes": {"/": {"body": "plain http only"}}},
    },
    "default": {"status": 502, "body": "unknown host"},
}


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimWeb]:
    sim = SimWeb(SITES, workdir=tmp_path_factory.mktemp("simweb"), max_seconds=60).start()
    try:
        yield sim
    finally:
        sim.stop()


def fetch(
    web: SimWeb,
    target: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request on a fresh connection; ``target`` is an absolute URI (proxy style) or a path."""
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
    try:
        conn.request(method, target, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.msg, resp.read()
    finally:
        conn.close()


def verifying_context(web: SimWeb) -> ssl.SSLContext:
    """A client TLS context trusting only the simulated web's start-up CA (and checking names)."""
    return ssl.create_default_context(cafile=web.ca_path)


def fetch_https(
    web: SimWeb,
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    context: ssl.SSLContext | None = None,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One https request through a CONNECT tunnel on a fresh connection, verifying the server."""
    parts = urlsplit(url)
    conn = http.client.HTTPSConnection(
        "127.0.0.1", web.port, timeout=5, context=context or verifying_context(web)
    )
    conn.set_tunnel(parts.hostname or "", parts.port or 443)
    try:
        conn.request(
            method, parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {}
        )
        resp = conn.getresponse()
        return resp.status, resp.msg, resp.read()
    finally:
        conn.close()


def connect(web: SimWeb, authority: str) -> tuple[int, bytes, socket.socket]:
    """Send ``CONNECT authority`` by hand: (status, the whole answer head, the open socket)."""
    sock = socket.create_connection(("127.0.0.1", web.port), timeout=5)
    sock.sendall(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return int(head.split(b" ", 2)[1]), head, sock


def via_proxy(web: SimWeb, url: str) -> tuple[int, bytes]:
    """What a proxy-aware client (urllib with http_proxy and https_proxy) sees; follows redirects.

    https is verified against the simulated web's CA, so a wrong certificate fails the test.
    """
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({"http": web.proxy_url, "https": web.proxy_url}),
        urllib.request.HTTPSHandler(context=verifying_context(web)),
    )
    try:
        with opener.open(url, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


# --- routing --------------------------------------------------------------------------------


def test_proxy_client_reaches_virtual_host(web: SimWeb) -> None:
    assert via_proxy(web, "http://a.test/") == (200, b"<html>home</html>")
    assert via_proxy(web, "http://a.test/robots.txt")[1].startswith(b"User-agent: *")


def test_direct_request_uses_host_header(web: SimWeb) -> None:
    status, msg, body = fetch(web, "/", headers={"Host": "a.test"})
    assert (status, body) == (200, b"<html>home</html>")
    assert msg["Content-Type"] == "text/html; charset=utf-8"  # sniffed: no type was declared


def test_exact_path_query_then_path(web: SimWeb) -> None:
    assert fetch(web, "http://a.test/page?x=1")[2] == b"with query"
    assert fetch(web, "http://a.test/page?x=2")[2] == b"no query"
    assert fetch(web, "http://a.test/page")[2] == b"no query"
    assert fetch(web, "http://a.test/page#frag")[2] == b"no query"


def test_longest_prefix_route_wins(web: SimWeb) -> None:
    assert fetch(web, "http://a.test/img/x.png")[2] == b"0123456789"
    assert fetch(web, "http://a.test/img/deep/y.png")[2] == b"deep"
    assert fetch(web, "http://a.test/img/special.png")[2] == b"special"
    assert fetch(web, "http://a.test/img/special.png?v=2")[2] == b"special"


def test_defaults_and_unknown_host(web: SimWeb) -> None:
    assert fetch(web, "http://a.test/nope")[::2] == (404, b"a.test: not found")
    assert fetch(web, "http://b.test/nope")[::2] == (404, b"not found")  # no host default
    assert fetch(web, "http://nowhere.test/")[::2] == (502, b"unknown host")
    assert fetch(web, "http://A.TEST/")[0] == 200  # host names are case-insensitive


def test_host_with_port_before_bare_host(web: SimWeb) -> None:
    assert fetch(web, "http://b.test:8080/")[2] == b"b on 8080"
    assert fetch(web, "http://b.test/")[2] == b"b on 80"
    assert fetch(web, "http://b.test:9999/")[2] == b"b on 80"
    assert fetch(web, "/", headers={"Host": "b.test:8080"})[2] == b"b on 8080"


def test_binary_body_and_repeated_headers(web: SimWeb) -> None:
    assert fetch(web, "http://a.test/bin")[2] == b"\x00\xff\x10"
    _, msg, _ = fetch(web, "http://a.test/tagged")
    assert msg.get_all("X-Robots-Tag") == ["noai", "noimageai"]


def test_head_has_headers_but_no_body(web: SimWeb) -> None:
    status, msg, body = fetch(web, "http://a.test/img/x.png", method="HEAD")
    assert (status, body) == (200, b"")
    assert msg["Content-Length"] == "10"
    assert msg["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    ("range_value", "status", "body", "content_range"),
    [
        ("bytes=2-5", 206, b"2345", "bytes 2-5/10"),
        ("bytes=0-0", 206, b"0", "bytes 0-0/10"),
        ("bytes=8-", 206, b"89", "bytes 8-9/10"),
        ("bytes=-3", 206, b"789", "bytes 7-9/10"),
        ("bytes=5-100", 206, b"56789", "bytes 5-9/10"),
        ("bytes=10-", 416, b"", "bytes */10"),
        ("bytes=0-1,4-5", 200, b"0123456789", None),  # multipart: served in full
    ],
)
def test_range_requests(
    web: SimWeb, range_value: str, status: int, body: bytes, content_range: str | None
) -> None:
    got_status, msg, got_body = fetch(
        web, "http://a.test/img/x.png", headers={"Range": range_value}
    )
    assert (got_status, got_body) == (status, body)
    assert msg["Content-Range"] == content_range
    if status == 206:
        assert msg["Content-Type"] == "image/png"


def test_range_is_ignored_on_non_200(web: SimWeb) -> None:
    assert fetch(web, "http://a.test/nope", headers={"Range": "bytes=0-1"})[0] == 404


def test_redirects(web: SimWeb) -> None:
    status, msg, _ = fetch(web, "http://a.test/old")
    assert (status, msg["Location"]) == (301, "http://a.test/")
    status, msg, _ = fetch(web, "http://a.test/temp")
    assert (status, msg["Location"]) == (307, "/")
    assert via_proxy(web, "http://a.test/old") == (200, b"<html>home</html>")


def test_drop_closes_without_answer(web: SimWeb) -> None:
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        fetch(web, "http://a.test/drop")


def test_delay(web: SimWeb) -> None:
    start = time.monotonic()
    assert fetch(web, "http://a.test/slow")[2] == b"late"
    assert time.monotonic() - start >= 0.29


def test_keep_alive_serves_many_requests_on_one_connection(web: SimWeb) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
    try:
        conn.request("GET", "http://a.test/")
        conn.getresponse().read()
        sock = conn.sock
        for path in ("/page", "/img/x.png", "/nope", "/old"):
            conn.request("GET", f"http://a.test{path}")
            conn.getresponse().read()
            assert conn.sock is sock  # not reconnected
    finally:
        conn.close()


# --- https through CONNECT ------------------------------------------------------------------


def test_https_through_connect_with_a_verified_certificate(web: SimWeb) -> None:
    # A verifying client (the start-up CA is its only trust anchor) reaches the virtual host.
    assert via_proxy(web, "https://a.test/") == (200, b"<html>home</html>")
    assert fetch_https(web, "https://a.test/page?x=1")[2] == b"with query"
    connects = [r for r in web.requests() if r["method"] == "CONNECT" and r["host"] == "a.test"]
    assert connects and {(r["scheme"], r["status"], r["path"]) for r in connects} == {
        ("https", 200, "")
    }
    assert fetch_https(web, "https://a.test/img/deep/tls.png")[2] == b"deep"
    assert web.requested("a.test", "/img/deep/tls.png", scheme="https")
    assert not web.requested("a.test", "/img/deep/tls.png", scheme="http")


def test_certificate_is_issued_for_the_connect_host(web: SimWeb) -> None:
    status, _, sock = connect(web, "a.test:443")
    assert status == 200
    with verifying_context(web).wrap_socket(sock, server_hostname="a.test") as tls:
        cert = tls.getpeercert()
    assert cert is not None and ("DNS", "a.test") in cert["subjectAltName"]
    # The certificate names that host only: a client expecting another name refuses it.
    status, _, sock = connect(web, "b.test:443")
    assert status == 200
    with pytest.raises(ssl.SSLCertVerificationError):
        verifying_context(web).wrap_socket(sock, server_hostname="a.test")
    sock.close()
    # And nothing but the start-up CA vouches for it.
    status, _, sock = connect(web, "a.test:443")
    with pytest.raises(ssl.SSLCertVerificationError):
        ssl.create_default_context().wrap_socket(sock, server_hostname="a.test")
    sock.close()


def test_content_per_scheme(web: SimWeb) -> None:
    # RFC 9309 2.3: robots.txt belongs to scheme, host and port; the simulated web can differ.
    assert fetch(web, "http://s.test/robots.txt")[2] == b"User-agent: *\nAllow: /\n"
    assert fetch_https(web, "https://s.test/robots.txt")[2] == b"User-agent: *\nDisallow: /\n"
    assert fetch(web, "http://s.test/")[2] == b"s over any scheme"
    assert fetch_https(web, "https://s.test/")[2] == b"s over https"
    assert fetch_https(web, "https://s.test:8443/")[2] == b"s on 8443"
    assert fetch_https(web, "https://a.test/img/x.png")[2] == b"0123456789"  # any scheme
    assert fetch(web, "http://plain.test/")[2] == b"plain http only"
    logged = {(r["scheme"], r["host"], r["path"]) for r in web.requests()}
    assert {
        ("http", "s.test", "/robots.txt"),
        ("https", "s.test", "/robots.txt"),
        ("https", "s.test:8443", "/"),
    } <= logged


def test_https_redirect_head_range_and_drop(web: SimWeb) -> None:
    status, msg, _ = fetch_https(web, "https://s.test/to-http")
    assert (status, msg["Location"]) == (302, "http://s.test/")
    assert via_proxy(web, "https://s.test/to-http") == (200, b"s over any scheme")
    assert via_proxy(web, "http://a.test/old") == (200, b"<html>home</html>")
    status, msg, body = fetch_https(web, "https://s.test/img.png", method="HEAD")
    assert (status, msg["Content-Length"], body) == (200, "10", b"")
    status, _, body = fetch_https(web, "https://s.test/img.png", headers={"Range": "bytes=2-4"})
    assert (status, body) == (206, b"234")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, ssl.SSLError)):
        fetch_https(web, "https://s.test/drop")


def test_keep_alive_inside_a_tunnel(web: SimWeb) -> None:
    conn = http.client.HTTPSConnection(
        "127.0.0.1", web.port, timeout=5, context=verifying_context(web)
    )
    conn.set_tunnel("a.test", 443)
    try:
        conn.request("GET", "/")
        conn.getresponse().read()
        sock = conn.sock
        for path in ("/page", "/img/x.png", "/nope"):
            conn.request("GET", path, headers={"Host": "elsewhere.test"})  # the tunnel decides
            conn.getresponse().read()
            assert conn.sock is sock
    finally:
        conn.close()
    assert web.requested("a.test", "/nope", scheme="https")
    assert not web.requested("elsewhere.test", "/nope")


@pytest.mark.parametrize(
    "authority",
    ["nowhere.test:443", "plain.test:443", "169.254.169.254:443", "example.com:443"],
)
def test_connect_to_a_host_not_played_is_refused(web: SimWeb, authority: str) -> None:
    # Refused by the simulated web itself: it has no way to tunnel anywhere.
    status, head, sock = connect(web, authority)
    sock.close()
    assert status == 403, head
    host = authority.rpartition(":")[0]
    entry = [r for r in web.requests() if r["method"] == "CONNECT" and r["host"] == host][-1]
    assert (entry["scheme"], entry["status"]) == ("https", 403)
    assert not [r for r in web.requests() if r["host"] == host and r["scheme"] == "https"][1:]


def test_malformed_connect_is_a_bad_request(web: SimWeb) -> None:
    for authority in ("a.test:99999", "a.test:abc", "[::1:443", ":443"):
        status, _, sock = connect(web, authority)
        sock.close()
        assert status == 400, authority


def test_request_log(web: SimWeb) -> None:
    fetch(
        web, "http://a.test/logged?q=1", headers={"User-Agent": "probe/1.0", "Range": "bytes=0-3"}
    )
    entry = next(r for r in web.requests() if r["path"] == "/logged?q=1")
    assert entry["method"] == "GET"
    assert entry["host"] == "a.test"
    assert entry["status"] == 404
    assert entry["user_agent"] == "probe/1.0"
    assert entry["range"] == "bytes=0-3"
    assert abs(entry["t"] - time.time()) < 60
    assert web.requested("a.test", "/logged?q=1")
    assert web.requested("A.test", "/logged", prefix=True)
    assert not web.requested("a.test", "/private/", prefix=True)
    fetch(web, "http://b.test:8080/")
    assert web.requested("b.test:8080", "/")


def test_env_points_at_proxy(web: SimWeb, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("HTTPS_PROXY", "http://elsewhere:1")
    env = web.env()
    proxy = f"http://127.0.0.1:{web.port}"
    assert env["http_proxy"] == env["HTTP_PROXY"] == proxy
    assert env["https_proxy"] == env["HTTPS_PROXY"] == proxy  # https never leaves either
    assert not {"no_proxy", "NO_PROXY"} & env.keys()
    assert env.get("PATH") == os.environ.get("PATH")


# --- lifecycle and bounds -------------------------------------------------------------------


def test_stop_terminates_and_log_is_complete(tmp_path: Path) -> None:
    sim = SimWeb(SITES, workdir=tmp_path, max_seconds=30)
    with sim:
        assert sim.running
        for i in range(25):
            fetch(sim, f"http://a.test/n{i}")
    assert not sim.running
    assert sim.returncode == 0
    assert len(sim.requests()) == 25
    assert sim.stop() == 0  # idempotent


def test_max_requests_bounds_the_server(tmp_path: Path) -> None:
    sim = SimWeb(SITES, workdir=tmp_path, max_seconds=30, max_requests=3).start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=5)
        for _ in range(3):
            conn.request("GET", "http://a.test/")
            resp = conn.getresponse()
            resp.read()
        assert resp.getheader("Connection") == "close"  # the last one says goodbye
        conn.close()
        assert sim.wait(timeout=5) == 0
        assert [r["path"] for r in sim.requests()] == ["/", "/", "/"]
    finally:
        sim.stop()


def test_max_requests_counts_connect_and_tunnelled_requests(tmp_path: Path) -> None:
    sim = SimWeb(SITES, workdir=tmp_path, max_seconds=30, max_requests=3).start()
    try:
        conn = http.client.HTTPSConnection(
            "127.0.0.1", sim.port, timeout=5, context=verifying_context(sim)
        )
        conn.set_tunnel("a.test", 443)
        for _ in range(2):
            conn.request("GET", "/")
            resp = conn.getresponse()
            resp.read()
        assert resp.getheader("Connection") == "close"  # CONNECT + 2 GETs: the bound
        conn.close()
        assert sim.wait(timeout=5) == 0
        assert [(r["method"], r["scheme"]) for r in sim.requests()] == [
            ("CONNECT", "https"),
            ("GET", "https"),
            ("GET", "https"),
        ]
    finally:
        sim.stop()


def test_max_seconds_bounds_the_server(tmp_path: Path) -> None:
    sim = SimWeb(SITES, workdir=tmp_path, max_seconds=0.5).start()
    try:
        assert sim.wait(timeout=10) == 0
    finally:
        sim.stop()


def test_start_failure_is_reported(tmp_path: Path) -> None:
    bad = {"hosts": {"a.test": {"routes": {"/": {"status": "not a number"}}}}}
    with pytest.raises(SimWebError, match="exited with code"):
        SimWeb(bad, workdir=tmp_path, max_seconds=5).start()


def test_port_before_start_is_an_error() -> None:
    with pytest.raises(SimWebError):
        _ = SimWeb(SITES).port


# --- the generated-site hook ----------------------------------------------------------------


def make_site(pages: int) -> Callable[[str, str], Route | dict[str, Any] | None]:
    """A generated web for test_factory: gen.test has ``pages`` pages; others fall through."""
    robots = Route(200, {"Content-Type": "text/plain"}, "User-agent: *\nAllow: /\n")

    def resolve(host: str, path: str) -> Route | dict[str, Any] | None:
        if host != "gen.test":
            return None
        if path == "/robots.txt":
            return robots
        if path.startswith("/p") and path.endswith(".html") and path[2:-5].isdigit():
            n = int(path[2:-5])
            if n < pages:
                return {"body": f'<html><a href="/p{n + 1}.html">next</a></html>'}
        return {"status": 404, "body": "no such page"}

    return resolve


def test_factory_generates_pages_and_falls_back_to_sites(tmp_path: Path) -> None:
    with SimWeb(
        SITES,
        workdir=tmp_path,
        max_seconds=30,
        factory="tests.test_simweb:make_site",
        factory_args={"pages": 20_000},
    ) as sim:
        assert fetch(sim, "http://gen.test/p19999.html")[2].startswith(b'<html><a href="/p20000')
        assert fetch(sim, "http://gen.test/p20000.html")[0] == 404
        assert fetch(sim, "http://gen.test/robots.txt")[0] == 200
        assert fetch(sim, "http://a.test/")[2] == b"<html>home</html>"  # static sites still served
        assert sim.requested("gen.test", "/p19999.html")
        # The resolver plays gen.test over https too (it answers "/"); other names stay refused.
        assert fetch_https(sim, "https://gen.test/p1.html")[2].startswith(b'<html><a href="/p2')
        assert sim.requested("gen.test", "/p1.html", scheme="https")
        assert connect(sim, "other.test:443")[0] == 403


# --- pure helpers ---------------------------------------------------------------------------


def test_split_target() -> None:
    assert _split_target("http://A.test:8080/x?y#z", "") == ("a.test", 8080, "/x?y")
    assert _split_target("http://a.test", "") == ("a.test", 80, "/")
    assert _split_target("http://a.test?q", "") == ("a.test", 80, "/?q")
    assert _split_target("http://user@a.test/", "") == ("a.test", 80, "/")
    assert _split_target("/p", "b.test:81") == ("b.test", 81, "/p")


def test_split_authority() -> None:
    assert _split_authority("A.test:443") == ("a.test", 443)
    assert _split_authority("a.test.:8443") == ("a.test", 8443)
    assert _split_authority("a.test") == ("a.test", 443)
    assert _split_authority("[::1]:443") == ("::1", 443)
    for bad in ("a.test:0", "a.test:65536", "a.test:x", "[::1", "[::1]x", ":443", ""):
        assert _split_authority(bad) is None, bad


def test_parse_range() -> None:
    assert _parse_range("bytes=0-4", 10) == (0, 4)
    assert _parse_range("bytes=-20", 10) == (0, 9)
    assert _parse_range("bytes=10-", 10) == ()
    assert _parse_range("bytes=5-2", 10) is None
    assert _parse_range("items=0-1", 10) is None


def test_sites_lookup_without_a_server() -> None:
    sites = Sites(SITES)
    assert sites.lookup("a.test", 80, "/img/deep/z").body == b"deep"
    assert sites.lookup("zzz.test", 80, "/").status == 502
    assert Sites().lookup("a.test", 80, "/").status == 502
    # Scheme-prefixed keys first, then host:port before the bare host.
    assert sites.lookup("s.test", 443, "/", "https").body == b"s over https"
    assert sites.lookup("s.test", 8443, "/", "https").body == b"s on 8443"
    assert sites.lookup("s.test", 80, "/", "http").body == b"s over any scheme"
    assert sites.lookup("plain.test", 443, "/", "https").status == 502
    assert sites.site("plain.test", 80, "http") is not None
    assert sites.site("plain.test", 443, "https") is None
    with pytest.raises(ValueError, match="only http:// and https://"):
        Sites({"hosts": {"ftp://a.test": {}}})


# --- the demo web ---------------------------------------------------------------------------


def _image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG or baseline JPEG, checking the structure on the way."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        width, height = struct.unpack(">II", data[16:24])
        pos, idat = 8, b""
        while pos < len(data):
            (length,) = struct.unpack(">I", data[pos : pos + 4])
            kind, chunk = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
            (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
            assert crc == zlib.crc32(kind + chunk)
            if kind == b"IDAT":
                idat += chunk
            pos += 12 + length
        assert len(zlib.decompress(idat)) == height * (1 + 3 * width)
        return width, height
    assert data.startswith(b"\xff\xd8") and data.endswith(b"\xff\xd9")
    sof = data.index(b"\xff\xc0")
    height, width = struct.unpack(">HH", data[sof + 5 : sof + 9])
    return width, height


def test_demo_is_consistent_with_expected() -> None:
    web = demo_sites()
    hosts = web["hosts"]
    assert len([h for h in hosts if h.endswith(".test")]) >= 9
    assert {urlsplit(seed).netloc for seed in DEMO_SEEDS} <= hosts.keys()
    bodies: set[bytes] = set()
    for host, expect in EXPECTED.items():
        routes = hosts[host]["routes"]
        for page_url in expect["fetched"]:
            page = routes[urlsplit(page_url).path]
            assert page["headers"]["Content-Type"].startswith("text/html")
            doc = lxml.html.fromstring(page["body"], base_url=page_url)
            for img in doc.iter("img"):
                url = urljoin(page_url, img.get("src") or img.get("data-src"))
                assert (url in expect["kept"]) != (url in expect["excluded"]), url
                if url in expect["kept"]:
                    assert img.get("alt") == expect["kept"][url]
        for url in [*expect["kept"], *expect["excluded"]]:
            parts = urlsplit(url)
            route = hosts[parts.netloc]["routes"][parts.path]
            data = base64.b64decode(route["body_b64"])
            assert route["headers"]["Content-Type"].startswith("image/")
            assert min(_image_size(data)) >= 200
            assert data not in bodies  # distinct bytes: de-duplication never merges two
            bodies.add(data)
    reasons = {r for e in EXPECTED.values() for rs in e["excluded"].values() for r in rs}
    # The demo shows every robots.txt case and at least one reason of each other family.
    assert reasons >= {
        "robots:disallowed",
        "robots:unreachable",
        "robots:ai-token=GPTBot",
        "robots:ai-token=CCBot",
        "caption:missing",
        "aitxt:disallowed",
        "tdmrep:reserved",
        "xrobots:noai",
        "meta-robots:noai",
        "aipref:train-ai=n",
        "content-signal:ai-train=no",
    }


def test_demo_robots_cases_over_http(tmp_path: Path) -> None:
    with SimWeb(demo_sites(), workdir=tmp_path, max_seconds=30) as sim:
        status = {h: fetch(sim, f"http://{h}/robots.txt")[0] for h in EXPECTED}
        assert status["gallery.demo.test"] == 200
        assert status["down.demo.test"] == 503
        assert status["gone.demo.test"] == 404
        assert status["forbidden.demo.test"] == 403
        assert status["busy.demo.test"] == 429
        assert status["moved.demo.test"] == 301
        assert via_proxy(sim, "http://moved.demo.test/robots.txt") == (
            200,
            b"User-agent: *\nDisallow: /secret/\n",
        )
        _, msg, body = fetch(sim, "http://htmlrobots.demo.test/robots.txt")
        assert msg["Content-Type"].startswith("text/html") and b"<html" in body
        for seed in DEMO_SEEDS:
            assert fetch(sim, seed)[0] == 200


# --- the start-up CA ------------------------------------------------------------------------


def test_local_ca_issues_a_certificate_per_host() -> None:
    from cryptography import x509

    ca = LocalCA()
    try:
        assert ca.ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        for host, name in [
            ("a.test", x509.DNSName("a.test")),
            ("bücher.test", x509.DNSName("xn--bcher-kva.test")),  # A-label, RFC 5280 7.2
            ("127.0.0.1", x509.IPAddress(ipaddress.ip_address("127.0.0.1"))),
            ("::1", x509.IPAddress(ipaddress.ip_address("::1"))),
        ]:
            leaf = ca.issue(host)
            leaf.verify_directly_issued_by(ca.ca_cert)
            sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            assert list(sans) == [name]
        assert ca.server_context("A.test") is ca.server_context("a.test")  # built once per host
    finally:
        ca.close()
    # Each CA is made at start-up: two servers never share one.
    other = LocalCA()
    try:
        assert other.ca_pem != ca.ca_pem
    finally:
        other.close()
