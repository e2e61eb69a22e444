"""A fast, bounded HTTP/1.1 server on 127.0.0.1 that plays many virtual hosts.

Tests, the demo and the benchmark crawl a *simulated* web: the crawler reaches this server
through the standard ``http_proxy`` variable, so Scrapy sends absolute-URI requests
(``GET http://news.demo.test/a.html HTTP/1.1``) and the server picks the virtual host from
that URI (falling back to the ``Host`` header for direct requests).

``https://`` goes through ``https_proxy`` (the same server): the client sends
``CONNECT host:443``; for a host the simulated web plays, the server answers 200 and speaks TLS
inside the tunnel itself, presenting a certificate for that host issued by a throwaway CA made at
start-up (crawler.simweb.tls; ``--ca-cert`` publishes it for verifying clients). Nothing is ever
tunnelled onwards: a CONNECT to a host the simulated web does not play is refused (403).

Sites are data (a dict, loadable from JSON)::

    {"hosts": {"news.demo.test": {"routes": {"/robots.txt": {"status": 200, "body": "..."},
                                             "/img/*": {"body_b64": "..."}},
                                  "default": {"status": 404, "body": "not found"}}},
     "default": {"status": 502, "body": "unknown host"}}

A host key may start with a scheme (``"https://a.test"``, ``"http://a.test:8080"``): it is
matched before the scheme-less key, so a site can serve different content per scheme (robots.txt
is per scheme, host and port: RFC 9309 section 2.3). A host declared only as ``http://...`` is
not played over https (its CONNECT is refused), and vice versa.

Route fields: ``status`` (default 200, or 301 with ``redirect``), ``headers`` (object, or a list
of ``[name, value]`` pairs so a header can repeat), ``body`` (str, UTF-8) or ``body_b64``,
``delay`` (seconds before answering), ``drop`` (close without answering), ``redirect``
(``Location`` value). Route lookup: exact path+query, exact path, longest ``*`` prefix route,
the host's ``default``, else 404. A host key may carry a port (``a.test:8080``), matched before
the bare host. Unknown hosts get the top-level ``default`` (502). Lookup order for
``scheme://host:port``: ``scheme://host:port``, ``scheme://host``, ``host:port``, ``host``.

Large generated webs (benchmarks) use a *resolver* instead of, or in front of, the dict: a
callable ``(host, path) -> Route | dict | None`` (``None``: ask the dict). On the command line
it is given as ``--factory module:builder`` and built with ``builder(**factory_args)``. A resolver
serves both schemes alike; it plays a host over https (accepts its CONNECT) when it answers that
host's ``/`` with something other than None.

Every request (CONNECT included) is logged as one JSON line with its ``scheme`` (flushed before
the response is sent, so whatever a client has received is already in the log) so tests can prove
that a path was never requested over a scheme.
The server exits on its own after ``max_seconds`` or ``max_requests``, or on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import importlib
import json
import os
import signal
import ssl
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any

from crawler.simweb.tls import LocalCA

__all__ = ["Resolver", "Route", "SimServer", "Sites", "load_factory", "main", "serve"]

# Response headers the server computes itself; values given in a route are ignored.
_COMPUTED_HEADERS = frozenset({"content-length", "connection", "transfer-encoding", "keep-alive"})
_MAX_HEADER_BYTES = 64 * 1024
_CRLF = b"\r\n"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TLS_HANDSHAKE_SECONDS = 10.0


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class Route:
    """One precompiled answer: the wire bytes are built once, at load, not per request."""

    __slots__ = ("_fields", "_head", "_wire", "body", "delay", "drop", "headers", "status")

    def __init__(
        self,
        status: int = 200,
        headers: Iterable[tuple[str, str]] | Mapping[str, str] = (),
        body: bytes | str = b"",
        *,
        delay: float = 0.0,
        drop: bool = False,
    ) -> None:
        if isinstance(body, str):
            body = body.encode("utf-8")
        pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
        pairs = [(str(n), str(v)) for n, v in pairs if str(n).lower() not in _COMPUTED_HEADERS]
        names = {n.lower() for n, _ in pairs}
        if body and "content-type" not in names:
            # A body that looks like markup is served as HTML so hand-written test sites work.
            ctype = "text/html" if body[:64].lstrip().startswith(b"<") else "text/plain"
            pairs.append(("Content-Type", f"{ctype}; charset=utf-8"))
        if status == 200 and "accept-ranges" not in names:
            pairs.append(("Accept-Ranges", "bytes"))
        pairs.append(("Server", "simweb"))
        self.status = status
        self.headers = pairs
        self.body = body
        self.delay = float(delay)
        self.drop = bool(drop)
        self._fields = b"".join(f"{n}: {v}\r\n".encode() for n, v in pairs)
        self._head = (
            f"HTTP/1.1 {status} {_reason(status)}\r\n".encode("latin-1")
            + self._fields
            + f"Content-Length: {len(body)}\r\n".encode("latin-1")
        )
        self._wire = self._head + _CRLF + body

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Route:
        """Compile a route from its JSON form (see the module docstring)."""
        headers: list[tuple[str, str]]
        raw_headers = spec.get("headers") or {}
        if isinstance(raw_headers, Mapping):
            headers = [(str(n), str(v)) for n, v in raw_headers.items()]
        else:
            headers = [(str(n), str(v)) for n, v in raw_headers]
        redirect = spec.get("redirect")
        status = int(spec.get("status", 301 if redirect else 200))
        if redirect:
            headers = [(n, v) for n, v in headers if n.lower() != "location"]
            headers.append(("Location", str(redirect)))
        if "body_b64" in spec:
            body: bytes = base64.b64decode(spec["body_b64"])
        else:
            body = str(spec.get("body", "")).encode("utf-8")
        return cls(
            status,
            headers,
            body,
            delay=float(spec.get("delay", 0) or 0),
            drop=bool(spec.get("drop", False)),
        )

    def wire(self, *, head_only: bool = False, close: bool = False) -> bytes:
        """The full response; the common keep-alive GET is a prebuilt bytes object."""
        if not close:
            return self._head + _CRLF if head_only else self._wire
        head = self._head + b"Connection: close\r\n\r\n"
        return head if head_only else head + self.body

    def partial(self, range_header: str, *, head_only: bool, close: bool) -> tuple[int, bytes]:
        """Answer a ``Range: bytes=a-b`` request (206/416); ``(0, b"")`` means serve in full."""
        span = _parse_range(range_header, len(self.body))
        if span is None:
            return 0, b""
        extra = b"Connection: close\r\n" if close else b""
        total = len(self.body)
        if not span:  # (): unsatisfiable
            head = (
                b"HTTP/1.1 416 Range Not Satisfiable\r\n"
                + f"Content-Range: bytes */{total}\r\nContent-Length: 0\r\n".encode("latin-1")
                + extra
                + _CRLF
            )
            return 416, head
        start, end = span
        chunk = self.body[start : end + 1]
        head = (
            b"HTTP/1.1 206 Partial Content\r\n"
            + self._fields
            + f"Content-Range: bytes {start}-{end}/{total}\r\n".encode("latin-1")
            + f"Content-Length: {len(chunk)}\r\n".encode("latin-1")
            + extra
            + _CRLF
        )
        return 206, head if head_only else head + chunk


def _parse_range(value: str, total: int) -> tuple[int, int] | tuple[()] | None:
    """One ``bytes=`` range: (start, end) inclusive, () if unsatisfiable, None to ignore it."""
    unit, _, spec = value.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None  # other units and multipart ranges: serve the whole body (RFC 9110 allows)
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    first, last = first.strip(), last.strip()
    try:
        if first == "":
            suffix = int(last)
            if suffix <= 0 or total == 0:
                return ()
            return max(0, total - suffix), total - 1
        start = int(first)
        end = int(last) if last else total - 1
    except ValueError:
        return None
    if start >= total:
        return ()
    if start < 0 or end < start:
        return None
    return start, min(end, total - 1)


class _Host:
    __slots__ = ("default", "exact", "prefixes")

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.exact: dict[str, Route] = {}
        prefixes: list[tuple[str, Route]] = []
        for key, route_spec in (spec.get("routes") or {}).items():
            route = Route.from_spec(route_spec)
            if key.endswith("*"):
                prefixes.append((key[:-1], route))
            else:
                self.exact[key] = route
        prefixes.sort(key=lambda item: len(item[0]), reverse=True)
        self.prefixes = prefixes
        default = spec.get("default")
        self.default = Route.from_spec(default) if default is not None else None

    def lookup(self, path: str) -> Route | None:
        route = self.exact.get(path)
        if route is not None:
            return route
        bare = path.partition("?")[0]
        if bare != path:
            route = self.exact.get(bare)
            if route is not None:
                return route
        for prefix, route in self.prefixes:
            if path.startswith(prefix):
                return route
        return self.default


_NOT_FOUND = Route(404, [("Content-Type", "text/plain; charset=utf-8")], b"not found")
_SERVER_ERROR = Route(500, [("Content-Type", "text/plain; charset=utf-8")], b"resolver failed")
_UNKNOWN_HOST = Route(502, [("Content-Type", "text/plain; charset=utf-8")], b"unknown host")


def _host_key(name: object) -> str:
    key = str(name).lower().rstrip(".")
    scheme, sep, _ = key.partition("://")
    if sep and scheme not in _DEFAULT_PORTS:
        raise ValueError(f"host key {name!r}: only http:// and https:// can prefix a host")
    return key


class Sites:
    """The declared web, compiled once: host lookup (scheme, then ``host:port`` before bare host),
    then route."""

    def __init__(self, spec: Mapping[str, Any] | None = None) -> None:
        spec = spec or {}
        self.hosts = {
            _host_key(name): _Host(host_spec)
            for name, host_spec in (spec.get("hosts") or {}).items()
        }
        default = spec.get("default")
        self.default = Route.from_spec(default) if default is not None else _UNKNOWN_HOST

    def site(self, host: str, port: int, scheme: str = "http") -> _Host | None:
        """The host declaration serving ``scheme://host:port``, if any."""
        hosts = self.hosts
        return (
            hosts.get(f"{scheme}://{host}:{port}")
            or hosts.get(f"{scheme}://{host}")
            or hosts.get(f"{host}:{port}")
            or hosts.get(host)
        )

    def lookup(self, host: str, port: int, path: str, scheme: str = "http") -> Route:
        site = self.site(host, port, scheme)
        if site is None:
            return self.default
        return site.lookup(path) or _NOT_FOUND


# A generated web: (host, path+query) -> a Route, a route dict, or None to ask the static sites.
# ``host`` is lower-case, with ":port" only when the port is not the scheme's default (80, 443).
Resolver = Callable[[str, str], Route | Mapping[str, Any] | None]


def load_factory(target: str, args: Mapping[str, Any] | None = None) -> Resolver:
    """Build a resolver from ``"module:builder"``: ``builder(**args)`` must return the callable."""
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise ValueError(f"factory must look like 'module:builder', got {target!r}")
    builder = getattr(importlib.import_module(module_name), attr)
    resolver = builder(**dict(args or {}))
    if not callable(resolver):
        raise TypeError(f"{target}(**args) returned {type(resolver).__name__}, not a callable")
    return resolver


def _split_target(target: str, host_header: str) -> tuple[str, int, str]:
    """(host, port, path+query) from an absolute URI or an origin-form target plus Host."""
    lowered = target[:8].lower()
    if lowered.startswith(("http://", "https://")):
        rest = target[target.index("://") + 3 :]
        cut = len(rest)
        for sep in "/?#":
            i = rest.find(sep)
            if i != -1 and i < cut:
                cut = i
        authority, path = rest[:cut], rest[cut:]
        default_port = 443 if lowered.startswith("https") else 80
    else:
        authority, path, default_port = host_header, target, 80
    path = path.partition("#")[0]
    if not path.startswith("/"):
        path = "/" + path if path else "/"
    authority = authority.rpartition("@")[2].strip().lower()
    host, colon, port_text = authority.rpartition(":")
    if colon and port_text.isdigit():
        port = int(port_text)
    else:
        host, port = authority, default_port
    return host.rstrip("."), port, path


def _split_authority(authority: str, default_port: int = 443) -> tuple[str, int] | None:
    """(host, port) of a CONNECT target (``host:port``, ``[v6]:port``); None if malformed."""
    authority = authority.strip().lower()
    if authority.startswith("["):
        host, bracket, rest = authority[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:]
    else:
        host, _, port_text = authority.partition(":")
    if not port_text:
        port = default_port
    elif port_text.isdigit() and 0 < int(port_text) < 65536:
        port = int(port_text)
    else:
        return None
    host = host.rstrip(".")
    return (host, port) if host else None


def _vhost(host: str, port: int, scheme: str) -> str:
    """The name a host is logged and resolved under: ``host``, or ``host:port`` off-default."""
    return host if port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"


class SimServer:
    """The asyncio server; ``run()`` serves until a bound is hit or ``stop()`` is called."""

    def __init__(
        self,
        sites: Mapping[str, Any] | Sites | Resolver | None,
        *,
        resolver: Resolver | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        log_path: str | os.PathLike[str] | None = None,
        ready_file: str | os.PathLike[str] | None = None,
        ca_cert: str | os.PathLike[str] | None = None,
        max_seconds: float = 300.0,
        max_requests: int = 1_000_000,
    ) -> None:
        if callable(sites) and not isinstance(sites, Sites):
            resolver, sites = sites, None
        self.sites = sites if isinstance(sites, Sites) else Sites(sites)
        self.resolver = resolver
        self.bind_host = host
        self.bind_port = port
        self.port = 0
        self.log_path = Path(log_path) if log_path else None
        self.ready_file = Path(ready_file) if ready_file else None
        self.ca_cert = Path(ca_cert) if ca_cert else None
        self.tls: LocalCA | None = None
        self.max_seconds = max_seconds
        self.max_requests = max_requests
        self.count = 0
        self._log: IO[str] | None = None
        self._stop: asyncio.Event | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def stop(self) -> None:
        """Ask the server to shut down (safe from signal handlers and from handlers)."""
        if self._stop is not None:
            self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    async def run(self) -> None:
        """Listen, announce the port, serve until a bound or stop(), then flush and close."""
        self._stop = asyncio.Event()
        self.tls = LocalCA()  # before "ready": a client may fetch the CA certificate at once
        if self.ca_cert:
            self.ca_cert.write_bytes(self.tls.ca_pem)
        if self.log_path:
            self._log = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115
        loop = asyncio.get_running_loop()
        server = await asyncio.start_server(
            self._handle, self.bind_host, self.bind_port, limit=_MAX_HEADER_BYTES, backlog=1024
        )
        self.port = server.sockets[0].getsockname()[1]
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.stop)
        if self.ready_file:
            tmp = self.ready_file.with_name(self.ready_file.name + ".tmp")
            tmp.write_text(str(self.port), encoding="utf-8")
            os.replace(tmp, self.ready_file)
        print(f"simweb: listening on {self.bind_host}:{self.port}", file=sys.stderr, flush=True)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.max_seconds)
        finally:
            self._stop.set()
            server.close()
            await self._close_connections()
            if self._log is not None:
                self._log.flush()
                self._log.close()
                self._log = None
            self.tls.close()
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.remove_signal_handler(sig)
        print(f"simweb: stopped after {self.count} requests", file=sys.stderr, flush=True)

    async def _close_connections(self) -> None:
        for writer in list(self._writers):
            writer.close()
        current = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not current]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)

    def _route(self, scheme: str, host: str, port: int, path: str) -> tuple[str, Route]:
        vhost = _vhost(host, port, scheme)
        if self.resolver is not None:
            found = self.resolver(vhost, path)
            if found is not None:
                return vhost, found if isinstance(found, Route) else Route.from_spec(found)
        return vhost, self.sites.lookup(host, port, path, scheme)

    def plays(self, host: str, port: int, scheme: str = "https") -> bool:
        """Whether the simulated web serves ``scheme://host:port`` (decides CONNECT)."""
        if self.sites.site(host, port, scheme) is not None:
            return True
        if self.resolver is None:
            return False
        try:
            return self.resolver(_vhost(host, port, scheme), "/") is not None
        except Exception:
            traceback.print_exc()
            return False

    def _write_log(self, entry: dict[str, Any]) -> None:
        log = self._log
        if log is not None:
            log.write(self._dumps(entry) + "\n")
            log.flush()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._writers.add(writer)
        # (host, port) once a CONNECT turned this connection into a TLS tunnel to that host.
        tunnel: tuple[str, int] | None = None
        try:
            while not self.stopping:
                try:
                    raw = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    break
                outcome = await self._serve_one(raw, reader, writer, tunnel)
                if outcome is False:
                    break
                if outcome is not True:  # CONNECT accepted: TLS from here on, as that host
                    assert self.tls is not None
                    try:
                        context = self.tls.server_context(outcome[0])
                    except Exception:  # a name no certificate can carry: close, keep serving
                        traceback.print_exc()
                        break
                    try:
                        await writer.start_tls(
                            context, ssl_handshake_timeout=_TLS_HANDSHAKE_SECONDS
                        )
                    except (ssl.SSLError, OSError, TimeoutError):
                        break  # the client gave up on the handshake (e.g. it verifies, we failed)
                    tunnel = outcome
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._writers.discard(writer)
            if task is not None:
                self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _serve_one(
        self,
        raw: bytes,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        tunnel: tuple[str, int] | None,
    ) -> bool | tuple[str, int]:
        """Answer one request; False closes the connection, (host, port) starts TLS for it."""
        now = time.time()
        transport = writer.transport
        lines = raw.decode("latin-1").lstrip("\r\n").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            writer.write(_BAD_REQUEST)
            return False
        method, target, version = parts
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if method == "CONNECT":
            return self._connect(now, target, headers, writer, tunnel)
        if "chunked" in headers.get("transfer-encoding", "").lower():
            writer.write(_NO_CHUNKED)
            return False
        length = headers.get("content-length")
        if length and length.isdigit() and int(length) > 0:
            await reader.readexactly(int(length))  # request bodies are read and ignored

        self.count += 1
        last = self.count >= self.max_requests
        if last:
            self.stop()
        connection = headers.get("connection", "").lower()
        if version == "HTTP/1.0":  # HTTP/1.0 closes unless asked to keep alive
            close = last or "keep-alive" not in connection
        else:
            close = last or "close" in connection

        if tunnel is not None:
            # Inside a tunnel the CONNECT target names the host (its certificate was shown).
            scheme, (host, port) = "https", tunnel
            path = _split_target(target, "")[2]
        else:
            scheme = "https" if target[:8].lower() == "https://" else "http"
            host, port, path = _split_target(target, headers.get("host", ""))
        try:
            vhost, route = self._route(scheme, host, port, path)
        except Exception:  # a broken resolver answers 500 instead of killing the connection
            traceback.print_exc()
            vhost, route = host, _SERVER_ERROR
        if route.delay:
            await asyncio.sleep(route.delay)
        if route.drop:
            self._write_log(self._entry(now, method, vhost, path, 0, headers, scheme))
            transport.abort()
            return False

        head_only = method == "HEAD"
        status = route.status
        data = b""
        range_header = headers.get("range")
        if range_header and status == 200:
            status, data = route.partial(range_header, head_only=head_only, close=close)
        if not status:
            status = route.status
        if not data:
            data = route.wire(head_only=head_only, close=close)
        self._write_log(self._entry(now, method, vhost, path, status, headers, scheme))
        writer.write(data)
        if transport.get_write_buffer_size() > 256 * 1024:
            await writer.drain()
        return not close

    def _connect(
        self,
        now: float,
        target: str,
        headers: Mapping[str, str],
        writer: asyncio.StreamWriter,
        tunnel: tuple[str, int] | None,
    ) -> bool | tuple[str, int]:
        """Accept ``CONNECT host:port`` for a host we play (TLS follows); refuse anything else.

        Refusal never means forwarding: the simulated web has no way out to the real internet.
        """
        self.count += 1
        if self.count >= self.max_requests:
            self.stop()
        authority = _split_authority(target)
        if authority is None or tunnel is not None:
            self._write_log(self._entry(now, "CONNECT", target, "", 400, headers, "https"))
            writer.write(_BAD_REQUEST)
            return False
        host, port = authority
        vhost = _vhost(host, port, "https")
        if self.stopping or not self.plays(host, port, "https"):
            self._write_log(self._entry(now, "CONNECT", vhost, "", 403, headers, "https"))
            writer.write(_NO_TUNNEL)
            return False
        self._write_log(self._entry(now, "CONNECT", vhost, "", 200, headers, "https"))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        return authority

    @staticmethod
    def _entry(
        now: float,
        method: str,
        host: str,
        path: str,
        status: int,
        headers: Mapping[str, str],
        scheme: str = "http",
    ) -> dict[str, Any]:
        return {
            "t": now,
            "method": method,
            "scheme": scheme,
            "host": host,
            "path": path,
            "status": status,
            "user_agent": headers.get("user-agent", ""),
            "range": headers.get("range"),
        }


def _fixed(status: int, text: str) -> bytes:
    body = text.encode("utf-8")
    return (
        f"HTTP/1.1 {status} {_reason(status)}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode("latin-1") + body


_BAD_REQUEST = _fixed(400, "bad request")
_NO_TUNNEL = _fixed(403, "simweb does not play this host over https; nothing is tunnelled")
_NO_CHUNKED = _fixed(501, "chunked request bodies are not supported")


def serve(sites: Mapping[str, Any] | Resolver | None, **options: Any) -> int:
    """Serve in the foreground until a bound is hit or a signal arrives; returns the count.

    ``options`` are SimServer's keyword arguments (resolver, host, port, log_path, ready_file,
    ca_cert, max_seconds, max_requests).
    """
    server = SimServer(sites, **options)
    asyncio.run(server.run())
    return server.count


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (``python -m crawler.simweb.server``)."""
    parser = argparse.ArgumentParser(prog="python -m crawler.simweb.server", description=__doc__)
    parser.add_argument("--sites", type=Path, help="sites JSON file")
    parser.add_argument("--factory", help="generated web: 'module:builder' (see Resolver)")
    parser.add_argument("--factory-args", default="{}", help="JSON object passed to the builder")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--log", type=Path, help="request log (JSON lines)")
    parser.add_argument("--ready-file", type=Path, help="written with the port once listening")
    parser.add_argument(
        "--ca-cert", type=Path, help="write the start-up CA certificate (PEM) here for https"
    )
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    if args.sites is None and args.factory is None:
        parser.error("give --sites and/or --factory")
    sites = json.loads(args.sites.read_text(encoding="utf-8")) if args.sites else None
    resolver = load_factory(args.factory, json.loads(args.factory_args)) if args.factory else None
    serve(
        sites,
        resolver=resolver,
        host=args.host,
        port=args.port,
        log_path=args.log,
        ready_file=args.ready_file,
        ca_cert=args.ca_cert,
        max_seconds=args.max_seconds,
        max_requests=args.max_requests,
    )
    return 0


if __name__ == "__main__":
    # Run the importable module, not this ``__main__`` copy, so a factory that imports
    # ``crawler.simweb.server.Route`` builds the same class the server checks for.
    from crawler.simweb import server as _server

    sys.exit(_server.main())
