"""A lean HTTP/1.1 client for consent documents: plain answers, and hand-overs to Scrapy.

Scrapy's downloader costs about 1.8 ms of CPU per request on the bench machine (engine, 13
downloader middlewares, Twisted's HTTP client), 10x an HTTP/1.1 exchange on a kept-alive
connection; a regeneration fetches three documents per origin, so at 200k rows most of its
time was that (issue 16). ``DirectFetcher.fetch`` gives one of four outcomes:

- a ``DirectAnswer`` that is ``plain``: what Scrapy's downloader would hand on unchanged (not a
  redirect it follows, not a status it retries, no content coding, no meta refresh, within the
  size cap);
- a ``DirectAnswer`` that is not plain (a redirect, a status Scrapy retries): the caller hands
  it to Scrapy's own redirect / retry middleware, which takes the next step;
- ``UNREACHED``: no answer came (refused, reset, timed out, unresolved, tunnel refused), which
  Scrapy retries: the caller hands the request to Scrapy as its first retry;
- None: an answer this client does not read (compressed, oversized, malformed, a TLS failure):
  the caller asks Scrapy's downloader afresh (one more request to that host).

So the documents and decisions are the same either way, and so is the number of requests a
host sees, but for the last case.

Connections: through the configured proxy (absolute-URI requests for http, a CONNECT tunnel
per origin for https), or straight to the address ``resolve`` returns (the caller's guarded
resolver: a name that points inside the network is never connected to). Idle connections are
kept per route (one route for every http URL through a proxy; per origin otherwise), at most
``max_idle`` in all, the least recently used closed first; one that the server closed meanwhile
is replaced.

No Scrapy imports.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "REDIRECT_CODES",
    "UNREACHED",
    "DirectAnswer",
    "DirectFetcher",
    "Route",
    "Unreached",
    "plain_status",
]

_MAX_HEAD = 64 * 1024  # status line and headers


REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})  # RedirectMiddleware's


def plain_status(
    status: int, *, location: bool, retry_codes: frozenset[int], redirect_codes: frozenset[int]
) -> bool:
    """Whether Scrapy's downloader hands a response with ``status`` on as it came: not a
    redirect it follows (``redirect_codes`` with a Location), not a status it retries
    (``retry_codes``: RETRY_HTTP_CODES while retries remain)."""
    if status in retry_codes:
        return False
    return not (location and status in redirect_codes)


# MetaRefreshMiddleware follows <meta http-equiv="refresh"> in a response Scrapy takes for
# HTML; a document mentioning "refresh" anywhere is left to Scrapy (cheap and conservative).
_REFRESH = re.compile(rb"(?i)refresh")


@dataclass(frozen=True, slots=True)
class DirectAnswer:
    """A complete response. ``plain``: Scrapy's downloader would hand it on as it is; else it
    is a redirect or a status Scrapy retries, whose next step is Scrapy's (``headers`` kept
    for it: the raw fields, in order)."""

    status: int
    body: bytes
    plain: bool = True
    headers: tuple[tuple[bytes, bytes], ...] = ()


@dataclass(frozen=True, slots=True)
class Route:
    """How to reach a URL: ``proxy`` (host, port) or None for a direct connection."""

    proxy: tuple[str, int] | None


class _Declined(Exception):
    """An answer this client does not read: the caller asks Scrapy's downloader afresh."""


class _Unreached(Exception):
    """No answer came (a name not resolved, a tunnel refused)."""


class Unreached:
    """No answer came: what Scrapy's RetryMiddleware retries (RETRY_EXCEPTIONS)."""

    def __repr__(self) -> str:
        return "UNREACHED"


UNREACHED = Unreached()


class _Connection:
    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def close(self) -> None:
        self.writer.close()


class DirectFetcher:
    """GET consent documents on kept-alive connections; see the module doc for what is
    answered. ``headers`` are sent with every request (User-Agent, Accept...), in order."""

    def __init__(
        self,
        *,
        headers: Sequence[tuple[str, str]],
        timeout: float,
        max_body: int,
        retry_codes: frozenset[int],
        redirect_codes: frozenset[int] = REDIRECT_CODES,
        route: Callable[[str, str], Route],
        resolve: Callable[[str], Awaitable[str]],
        max_idle: int = 32,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.headers = "".join(f"{k}: {v}\r\n" for k, v in headers)
        self.timeout = timeout
        self.max_body = max_body
        self.retry_codes = retry_codes
        self.redirect_codes = redirect_codes
        self.route = route
        self.resolve = resolve
        self.max_idle = max_idle
        self.tls = tls or _unverified_tls()
        # route -> idle connections; insertion order is recency (least recently used first)
        self._idle: dict[tuple[object, ...], list[_Connection]] = {}
        self._idle_count = 0
        self.declined = 0

    async def fetch(self, url: str) -> DirectAnswer | Unreached | None:
        """``GET url``: the answer (plain or not, see ``DirectAnswer``), ``UNREACHED`` when no
        answer came (refused, reset, timed out, name not resolved, tunnel refused), or None
        when this client does not handle it (ask Scrapy's downloader afresh)."""
        parts = urlsplit(url)
        scheme, host, port = parts.scheme, parts.hostname, parts.port
        if scheme not in ("http", "https") or not host or parts.username or parts.password:
            return self._declined()
        port = port or (443 if scheme == "https" else 80)
        netloc = host if port == (443 if scheme == "https" else 80) else f"{host}:{port}"
        if ":" in host and not netloc.startswith("["):  # an IPv6 literal
            netloc = f"[{host}]" if port in (80, 443) else f"[{host}]:{port}"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            route = self.route(scheme, host)
            if route.proxy is not None and scheme == "http":
                target = f"http://{netloc}{target}"
            # Through a proxy, http requests name their host: one route for all of them.
            key = (
                ("proxy", route.proxy)
                if route.proxy is not None and scheme == "http"
                else (scheme, host, port, route.proxy)
            )
            async with asyncio.timeout(self.timeout):
                conn = self._idle_connection(key)
                if conn is not None:
                    try:
                        answer, reusable = await self._exchange(conn, target, netloc)
                    except (ConnectionError, asyncio.IncompleteReadError):
                        # The server closed the idle connection meanwhile: a fresh one.
                        conn.close()
                        conn = None
                if conn is None:
                    conn = await self._connect(scheme, host, port, netloc, route)
                    answer, reusable = await self._exchange_or_close(conn, target, netloc)
        except _Unreached:
            return UNREACHED
        except ssl.SSLError:  # Scrapy's TLS stack may read this host: ask it afresh
            return self._declined()
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            return UNREACHED
        except Exception:  # a malformed or unusual answer (_Declined): Scrapy's to read
            return self._declined()
        if reusable:
            self._release(key, conn)
        else:
            conn.close()
        return answer if answer is not None else self._declined()

    def _declined(self) -> DirectAnswer | Unreached | None:
        """None (ask Scrapy's downloader afresh), counted."""
        self.declined += 1
        return None

    async def _exchange_or_close(
        self, conn: _Connection, target: str, netloc: str
    ) -> tuple[DirectAnswer | None, bool]:
        try:
            return await self._exchange(conn, target, netloc)
        except BaseException:
            conn.close()
            raise

    def _idle_connection(self, key: tuple[object, ...]) -> _Connection | None:
        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()
            self._idle_count -= 1
            if not idle:
                del self._idle[key]
            if not conn.writer.is_closing() and not conn.reader.at_eof():
                return conn
            conn.close()
        return None

    async def _connect(
        self, scheme: str, host: str, port: int, netloc: str, route: Route
    ) -> _Connection:
        if route.proxy is not None:
            reader, writer = await asyncio.open_connection(*route.proxy, limit=_MAX_HEAD)
            conn = _Connection(reader, writer)
            if scheme == "https":
                try:
                    await self._tunnel(conn, netloc, host)
                except BaseException:
                    conn.close()
                    raise
            return conn
        try:
            address = await self.resolve(host)  # the guarded resolver: raises for a refused name
        except Exception as exc:
            raise _Unreached(f"{host}: {exc}") from exc
        if scheme == "https":
            reader, writer = await asyncio.open_connection(
                address, port, ssl=self.tls, server_hostname=host, limit=_MAX_HEAD
            )
        else:
            reader, writer = await asyncio.open_connection(address, port, limit=_MAX_HEAD)
        return _Connection(reader, writer)

    async def _tunnel(self, conn: _Connection, netloc: str, host: str) -> None:
        authority = netloc if ":" in netloc.rsplit("]", 1)[-1] else f"{netloc}:443"
        conn.writer.write(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode())
        head = await _read_head(conn.reader)
        status, _ = _status_line(head)
        if status != 200:  # Scrapy's TunnelError, which it retries
            raise _Unreached(f"CONNECT answered {status}")
        await conn.writer.start_tls(self.tls, server_hostname=host)

    async def _exchange(
        self, conn: _Connection, target: str, netloc: str
    ) -> tuple[DirectAnswer | None, bool]:
        conn.writer.write(f"GET {target} HTTP/1.1\r\nHost: {netloc}\r\n{self.headers}\r\n".encode())
        reader = conn.reader
        head = await _read_head(reader)
        status, version = _status_line(head)
        if status < 200:  # 1xx: Twisted's parser reads past them; this client does not
            raise _Declined(f"status {status}")
        fields, raw = _header_fields(head)
        coding = fields.get(b"content-encoding", b"identity").strip().lower()
        if coding not in (b"identity", b""):
            raise _Declined("content coding")
        transfer = fields.get(b"transfer-encoding", b"").strip().lower()
        length = fields.get(b"content-length")
        keep_alive = (
            version == b"HTTP/1.1" and b"close" not in fields.get(b"connection", b"").lower()
        )
        if status == 204:  # no body, whatever the fields say (RFC 9110 15.3.5)
            body = b""
            keep_alive = False
        elif transfer == b"chunked":
            body = await self._chunked(reader)
        elif transfer:
            raise _Declined("transfer coding")
        elif length is not None:
            if b"," in length or not length.strip().isdigit():
                raise _Declined("content length")
            size = int(length)
            if size > self.max_body:
                raise _Declined("over the size cap")
            body = await reader.readexactly(size)
        else:  # delimited by the end of the connection
            body = await reader.read(self.max_body + 1)
            while not reader.at_eof() and len(body) <= self.max_body:
                more = await reader.read(self.max_body + 1 - len(body))
                if not more:
                    break
                body += more
            if len(body) > self.max_body:
                raise _Declined("over the size cap")
            keep_alive = False
        if _REFRESH.search(body):
            return None, keep_alive
        plain = plain_status(
            status,
            location=b"location" in fields,
            retry_codes=self.retry_codes,
            redirect_codes=self.redirect_codes,
        )
        return DirectAnswer(status, body, plain, () if plain else raw), keep_alive

    async def _chunked(self, reader: asyncio.StreamReader) -> bytes:
        parts: list[bytes] = []
        size = 0
        while True:
            line = await reader.readuntil(b"\r\n")
            chunk = int(line.split(b";", 1)[0].strip() or b"x", 16)
            if chunk == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                    pass
                return b"".join(parts)
            size += chunk
            if size > self.max_body:
                raise _Declined("over the size cap")
            parts.append(await reader.readexactly(chunk))
            if await reader.readexactly(2) != b"\r\n":
                raise _Declined("chunk framing")

    def _release(self, key: tuple[object, ...], conn: _Connection) -> None:
        idle = self._idle.pop(key, [])
        idle.append(conn)
        self._idle[key] = idle  # now the most recently used route
        self._idle_count += 1
        while self._idle_count > self.max_idle:
            oldest = next(iter(self._idle))
            connections = self._idle[oldest]
            connections.pop(0).close()
            self._idle_count -= 1
            if not connections:
                del self._idle[oldest]

    def close(self) -> None:
        """Close every idle connection."""
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
        self._idle_count = 0


async def _read_head(reader: asyncio.StreamReader) -> list[bytes]:
    """The status line and header lines up to the empty line, line ends removed: CRLF, or a
    bare LF as Twisted's parser also reads them."""
    lines: list[bytes] = []
    size = 0
    while True:
        line = await reader.readuntil(b"\n")
        size += len(line)
        if size > _MAX_HEAD:
            raise _Declined("header block too large")
        line = line[:-2] if line.endswith(b"\r\n") else line[:-1]
        if not line:
            if not lines:
                raise _Declined("a blank line before the status line")
            return lines
        lines.append(line)


def _status_line(head: list[bytes]) -> tuple[int, bytes]:
    line = head[0]
    version, _, rest = line.partition(b" ")
    code = rest[:3]
    if (
        version not in (b"HTTP/1.1", b"HTTP/1.0")
        or not code.isdigit()
        or rest[3:4]
        not in (
            b"",
            b" ",
        )
    ):
        raise _Declined("status line")
    return int(code), version


def _header_fields(
    head: list[bytes],
) -> tuple[dict[bytes, bytes], tuple[tuple[bytes, bytes], ...]]:
    """Header fields by lower-case name (the first of a repeated one), and as sent; a framing
    field repeated with another value, or a line that is not a field, declines (Scrapy's parser
    might read it otherwise)."""
    fields: dict[bytes, bytes] = {}
    raw: list[tuple[bytes, bytes]] = []
    for line in head[1:]:
        if not line:
            continue
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip() or line[:1] in (b" ", b"\t"):
            raise _Declined("header line")
        value = value.strip()
        raw.append((name, value))
        name = name.lower()
        if name in _FRAMING and fields.get(name, value) != value:
            raise _Declined(f"repeated {name!r}")
        fields.setdefault(name, value)
    return fields, tuple(raw)


# Fields whose repetition with another value makes the answer ambiguous (Set-Cookie repeats).
_FRAMING = frozenset(
    {b"content-length", b"transfer-encoding", b"content-encoding", b"location", b"connection"}
)


def _unverified_tls() -> ssl.SSLContext:
    """Scrapy's default client context: certificates are not verified (a crawler reads what a
    host serves; the consent decision does not depend on who signed its certificate)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
