"""crawler.directfetch: which answers the lean client gives, and that it declines the rest.

A scripted HTTP server on 127.0.0.1 answers each path with raw bytes (chunked bodies, HTTP/1.0,
repeated fields, silence...), which the simulated web cannot produce; the client is asked
directly and through the same server acting as an absolute-URI proxy.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from crawler.directfetch import (
    REDIRECT_CODES,
    UNREACHED,
    DirectAnswer,
    DirectFetcher,
    Route,
    plain_status,
)

RETRY = frozenset({500, 502, 503, 504, 522, 524, 408, 429})


def _response(status: int, body: bytes = b"", *fields: str) -> bytes:
    head = f"HTTP/1.1 {status} X\r\n" + "".join(f"{f}\r\n" for f in fields)
    if not any(f.lower().startswith(("content-length", "transfer-encoding")) for f in fields):
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def _chunked(*parts: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


SCRIPT: dict[str, bytes | None] = {
    "/ok": _response(200, b"User-agent: *\nDisallow: /x\n"),
    "/missing": _response(404, b"not here"),
    "/gone": _response(410),
    "/forbidden": _response(403, b"no"),
    "/empty": _response(200),
    "/nocontent": _response(204),
    "/chunked": _response(
        200, _chunked(b"User-agent: *\n", b"Allow: /\n"), "Transfer-Encoding: chunked"
    ),
    "/http10": b"HTTP/1.0 200 OK\r\n\r\nUser-agent: *\nDisallow: /\n",
    "/bare-lf": b"HTTP/1.1 200 OK\nContent-Length: 3\n\nabc",  # Twisted reads it too
    "/leading-blank": b"\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
    "/moved": _response(301, b"", "Location: /ok"),
    "/moved-nowhere": _response(302, b"x"),  # no Location: Scrapy hands it on as it is
    "/notmodified": _response(304),
    "/teapot-5xx": _response(501, b"nope"),  # not a retried status
    "/error": _response(500, b"oops"),
    "/unavailable": _response(503),
    "/ratelimited": _response(429),
    "/timeout408": _response(408),
    "/gzip": _response(200, gzip.compress(b"User-agent: *\n"), "Content-Encoding: gzip"),
    "/brotli": _response(200, b"\x00", "Content-Encoding: br"),
    "/refresh": _response(
        200, b'<meta http-equiv="Refresh" content="0; url=/ok">', "Content-Type: text/html"
    ),
    "/big": _response(200, b"x" * 2048),
    "/bigchunked": _response(200, _chunked(b"x" * 1000, b"x" * 1000), "Transfer-Encoding: chunked"),
    "/twolengths": _response(200, b"abc", "Content-Length: 3", "Content-Length: 4"),
    "/commalength": _response(200, b"abc", "Content-Length: 3, 3"),
    "/gzipped-te": _response(200, b"abc", "Transfer-Encoding: gzip"),
    "/badstatus": b"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
    "/notHTTP": b"ICY 200 OK\r\nContent-Length: 0\r\n\r\n",
    "/folded": b"HTTP/1.1 200 OK\r\nX-A: 1\r\n continued\r\nContent-Length: 0\r\n\r\n",
    "/short": b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",  # then the server closes
    "/silent": None,  # never answers
}


class ScriptedServer:
    """Answers ``GET path`` (origin or absolute form) from SCRIPT; counts connections and
    requests; closes after /short, /http10; never answers /silent."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[str] = []
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                target = head.split(b" ", 2)[1].decode()
                path = (
                    "/" + target.split("://", 1)[1].split("/", 1)[1] if "://" in target else target
                )
                self.requests.append(target)
                answer = SCRIPT[path]
                if answer is None:
                    await asyncio.sleep(30)
                    return
                writer.write(answer)
                await writer.drain()
                if path in ("/short", "/http10"):
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])


@asynccontextmanager
async def serving() -> AsyncIterator[ScriptedServer]:
    scripted = ScriptedServer()
    scripted.server = await asyncio.start_server(scripted.handle, "127.0.0.1", 0)
    try:
        yield scripted
    finally:
        scripted.server.close()
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task() and "handle" in repr(task.get_coro()):
                task.cancel()


def _fetcher(server: ScriptedServer, *, proxy: bool = False, timeout: float = 5) -> DirectFetcher:
    async def resolve(host: str) -> str:
        assert host == "docs.test"
        return "127.0.0.1"

    return DirectFetcher(
        headers=[("User-Agent", "consentcrawl-test"), ("Accept-Encoding", "identity")],
        timeout=timeout,
        max_body=1500,
        retry_codes=RETRY,
        route=lambda scheme, host: Route(("127.0.0.1", server.port) if proxy else None),
        resolve=resolve,
    )


def _url(server: ScriptedServer, path: str, proxy: bool) -> str:
    # Direct: the fetcher connects to what resolve() returns, on the URL's port.
    return f"http://docs.test:{server.port}{path}" if not proxy else f"http://docs.test{path}"


PLAIN = {
    "/moved-nowhere": (302, b"x"),
    "/notmodified": (304, b""),
    "/teapot-5xx": (501, b"nope"),
    "/ok": (200, b"User-agent: *\nDisallow: /x\n"),
    "/missing": (404, b"not here"),
    "/gone": (410, b""),
    "/forbidden": (403, b"no"),
    "/empty": (200, b""),
    "/nocontent": (204, b""),
    "/chunked": (200, b"User-agent: *\nAllow: /\n"),
    "/http10": (200, b"User-agent: *\nDisallow: /\n"),
    "/bare-lf": (200, b"abc"),
}
# Complete answers whose next step is Scrapy's (a redirect it follows, a status it retries).
HANDED_OVER = {
    "/moved": (301, b""),
    "/error": (500, b"oops"),
    "/unavailable": (503, b""),
    "/ratelimited": (429, b""),
    "/timeout408": (408, b""),
}
UNREACHED_PATHS = {"/short", "/silent"}  # cut mid-body, never answered
DECLINED = sorted(set(SCRIPT) - set(PLAIN) - set(HANDED_OVER) - UNREACHED_PATHS)


@pytest.mark.parametrize("proxy", [False, True], ids=["direct", "proxy"])
def test_plain_answers_and_everything_else_declined(proxy: bool) -> None:
    async def run() -> tuple[dict[str, DirectAnswer | None], ScriptedServer]:
        async with serving() as server:
            fetcher = _fetcher(server, proxy=proxy, timeout=1.0)
            got = {p: await fetcher.fetch(_url(server, p, proxy)) for p in sorted(SCRIPT)}
            fetcher.close()
            return got, server

    got, server = asyncio.run(run())
    for path, (status, body) in PLAIN.items():
        assert got[path] == DirectAnswer(status, body), path
    for path, (status, body) in HANDED_OVER.items():
        answer = got[path]
        assert isinstance(answer, DirectAnswer), path
        assert (answer.status, answer.body, answer.plain) == (status, body, False), path
        assert (b"Content-Length", str(len(body)).encode()) in answer.headers, path
    assert got["/moved"].headers[0] == (b"Location", b"/ok")  # type: ignore[union-attr]
    assert {p: got[p] for p in UNREACHED_PATHS} == dict.fromkeys(UNREACHED_PATHS, UNREACHED)
    assert {p: got[p] for p in DECLINED} == dict.fromkeys(DECLINED)
    if proxy:  # absolute-URI requests to the proxy, with the URL's host
        assert all(t.startswith("http://docs.test/") for t in server.requests)
    else:
        assert all(t.startswith("/") for t in server.requests)


def test_connections_are_kept_alive_and_reused() -> None:
    async def run() -> ScriptedServer:
        async with serving() as server:
            fetcher = _fetcher(server)
            for _ in range(5):
                assert await fetcher.fetch(_url(server, "/ok", False)) is not None
                assert await fetcher.fetch(_url(server, "/missing", False)) is not None
            # A declined answer's connection is not reused (its stream may hold the rest).
            assert await fetcher.fetch(_url(server, "/gzip", False)) is None
            assert await fetcher.fetch(_url(server, "/ok", False)) is not None
            fetcher.close()
            return server

    server = asyncio.run(run())
    assert len(server.requests) == 12
    assert server.connections == 2


def test_concurrent_fetches_each_get_their_own_answer() -> None:
    paths = ["/ok", "/missing", "/chunked", "/forbidden"] * 10

    async def run() -> list[DirectAnswer | None]:
        async with serving() as server:
            fetcher = _fetcher(server)
            got = await asyncio.gather(*(fetcher.fetch(_url(server, p, False)) for p in paths))
            fetcher.close()
            return list(got)

    got = asyncio.run(run())
    assert got == [DirectAnswer(*PLAIN[p]) for p in paths]


def test_a_refused_name_or_unreachable_host_is_unreached() -> None:
    async def refuse(host: str) -> str:
        raise OSError(f"{host} resolves to a private address")

    def fetcher(route: Route) -> DirectFetcher:
        return DirectFetcher(
            headers=[],
            timeout=2,
            max_body=100,
            retry_codes=RETRY,
            route=lambda scheme, host: route,
            resolve=refuse,
        )

    assert asyncio.run(fetcher(Route(None)).fetch("http://inside.test/robots.txt")) is UNREACHED
    unreachable = fetcher(Route(("127.0.0.1", 9)))  # discard port: refused
    assert asyncio.run(unreachable.fetch("http://a.test/robots.txt")) is UNREACHED
    for url in ("ftp://a.test/robots.txt", "http://user:pw@a.test/robots.txt", "http:///x"):
        assert asyncio.run(unreachable.fetch(url)) is None, url


@pytest.mark.parametrize(
    ("status", "location", "plain"),
    [(200, False, True), (204, False, True), (299, False, True), (404, False, True),
     (451, False, True), (501, False, True), (300, True, True), (304, True, True),
     (302, False, True), (301, True, False), (302, True, False), (303, True, False),
     (307, True, False), (308, True, False), (408, False, False), (429, False, False),
     (500, False, False), (503, False, False), (504, False, False)],
)  # fmt: skip
def test_plain_status(status: int, location: bool, plain: bool) -> None:
    got = plain_status(status, location=location, retry_codes=RETRY, redirect_codes=REDIRECT_CODES)
    assert got is plain
    # Without retries left or redirects followed, Scrapy hands every status on as it came.
    assert plain_status(status, location=location, retry_codes=frozenset(),
                        redirect_codes=frozenset())  # fmt: skip


def test_one_proxy_route_for_every_http_host() -> None:
    async def run() -> ScriptedServer:
        async with serving() as server:
            fetcher = _fetcher(server, proxy=True)
            for host in ("a.test", "b.test", "c.test") * 3:
                assert await fetcher.fetch(f"http://{host}/ok") is not None
            fetcher.close()
            return server

    server = asyncio.run(run())
    assert len(server.requests) == 9
    assert server.connections == 1


def test_idle_connections_are_bounded_least_recently_used_first() -> None:
    async def resolve(host: str) -> str:
        return "127.0.0.1"

    async def run() -> ScriptedServer:
        async with serving() as server:
            fetcher = DirectFetcher(
                headers=[],
                timeout=5,
                max_body=1500,
                retry_codes=RETRY,
                route=lambda scheme, host: Route(None),
                resolve=resolve,
                max_idle=2,
            )

            async def get(host: str) -> None:
                assert await fetcher.fetch(f"http://{host}:{server.port}/ok") is not None

            for host in ("a.test", "b.test", "c.test", "d.test"):
                await get(host)  # a new connection each (one origin each)
            assert server.connections == 4
            await get("d.test")
            await get("c.test")  # the two most recent are kept
            assert server.connections == 4
            await get("a.test")  # closed when the idle count passed 2
            assert server.connections == 5
            fetcher.close()
            return server

    asyncio.run(run())
