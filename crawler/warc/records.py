"""Writing WARC files (ISO 28500, WARC/1.1) with warcio: pure, no Scrapy.

One ``WarcSink`` per run writes ``INDEX_DIR/warc/consentcrawl-NNNNN.warc.gz``: each file opens
with a ``warcinfo`` record (version, settings, policy, seeds) and holds, per exchange, a
``request`` record and its ``response`` record (gzip per record, WARC-Concurrent-To linking them,
block and payload digests). A request that got no response (DNS, timeout, refused connection,
download cancelled for size) is a ``request`` record plus a ``metadata`` record describing the
failure (``application/json``), so a replay reproduces "unreachable" too. Files rotate once they
reach ``max_bytes``.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

__all__ = [
    "FAILURE_CONTENT_TYPE",
    "Exchange",
    "WarcFile",
    "WarcSink",
    "file_sha256",
    "package_wacz",
    "write_cdxj",
]

WARC_DIR = "warc"
CDXJ_NAME = "index.cdxj"
FAILURE_CONTENT_TYPE = "application/vnd.consentcrawl.failure+json"
# Hop-by-hop framing already undone by the HTTP client: kept under another name so that a WARC
# reader does not try to de-chunk a body that is no longer chunked (pywb does the same).
_RENAMED_HEADERS = {"transfer-encoding": "X-Archive-Orig-Transfer-Encoding"}


@dataclass(slots=True)
class Exchange:
    """One request as sent and what came back: a response, or a failure."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    date: datetime
    status: int | None = None
    protocol: str = "HTTP/1.1"
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytes = b""
    error_class: str | None = None  # failures: "module.QualName" of the exception
    error: str | None = None


@dataclass(frozen=True, slots=True)
class WarcFile:
    """A finished WARC file, as the manifest lists it."""

    path: str  # relative to INDEX_DIR
    bytes: int
    records: int
    sha256: str

    def record(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "bytes": self.bytes,
            "records": self.records,
            "sha256": self.sha256,
        }


def warc_date(when: datetime) -> str:
    """WARC/1.1 date with microseconds (the replay's fetched_at must round-trip exactly)."""
    return datetime_to_iso_date(when.astimezone(UTC).replace(tzinfo=None), use_micros=True)


def _request_target(url: str) -> str:
    rest = url.split("://", 1)[-1]
    slash = rest.find("/")
    return rest[slash:] if slash != -1 else "/"


def _host(url: str) -> str:
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0]


class WarcSink:
    """Rotating WARC writer for one run (call ``write`` per exchange, ``close`` at the end)."""

    def __init__(
        self, root: Path, max_bytes: int, info: dict[str, Any], prefix: str = "consentcrawl"
    ) -> None:
        self.root = Path(root)
        self.dir = self.root / WARC_DIR
        self.max_bytes = max(1, int(max_bytes))
        self.info = info
        self.prefix = prefix
        self.files: list[WarcFile] = []
        self._fh: BinaryIO | None = None
        self._writer: WARCWriter | None = None
        self._path: Path | None = None
        self._records = 0
        self.closed = False

    # --- files --------------------------------------------------------------------------------

    def _open(self) -> WARCWriter:
        self.dir.mkdir(parents=True, exist_ok=True)
        self._path = self.dir / f"{self.prefix}-{len(self.files):05d}.warc.gz"
        self._fh = open(self._path, "wb")  # noqa: SIM115 (closed in _finish)
        self._writer = WARCWriter(self._fh, gzip=True, warc_version="1.1")
        self._records = 0
        fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in self.info.items()}
        record = self._writer.create_warcinfo_record(self._path.name, fields)
        self._writer.write_record(record)
        self._records += 1
        return self._writer

    def _finish(self) -> None:
        if self._fh is None or self._path is None:
            return
        self._fh.close()
        size = self._path.stat().st_size
        self.files.append(
            WarcFile(
                path=str(self._path.relative_to(self.root)),
                bytes=size,
                records=self._records,
                sha256=file_sha256(self._path),
            )
        )
        self._fh = self._writer = self._path = None

    def _current(self) -> WARCWriter:
        if self._writer is not None and self._fh is not None and self._fh.tell() >= self.max_bytes:
            self._finish()
        return self._writer if self._writer is not None else self._open()

    # --- records ------------------------------------------------------------------------------

    def write(self, ex: Exchange) -> None:
        if self.closed:
            return
        writer = self._current()
        date = warc_date(ex.date)
        headers = [("Host", _host(ex.url)), *ex.request_headers]
        request_line = f"{ex.method} {_request_target(ex.url)}"
        req_http = StatusAndHeaders(
            request_line, headers, protocol="HTTP/1.1", is_http_request=True
        )
        request = writer.create_warc_record(
            ex.url,
            "request",
            payload=BytesIO(ex.request_body),
            http_headers=req_http,
            warc_headers_dict={"WARC-Date": date},
        )
        if ex.status is not None:
            phrase = _phrase(ex.status)
            resp_headers = [(_RENAMED_HEADERS.get(k.lower(), k), v) for k, v in ex.response_headers]
            resp_http = StatusAndHeaders(
                f"{ex.status} {phrase}".strip(), resp_headers, protocol=ex.protocol or "HTTP/1.1"
            )
            answer = writer.create_warc_record(
                ex.url,
                "response",
                payload=BytesIO(ex.response_body),
                http_headers=resp_http,
                warc_headers_dict={"WARC-Date": date},
            )
        else:
            body = json.dumps(
                {"error_class": ex.error_class, "error": ex.error, "method": ex.method},
                sort_keys=True,
            ).encode()
            answer = writer.create_warc_record(
                ex.url,
                "metadata",
                payload=BytesIO(body),
                warc_content_type=FAILURE_CONTENT_TYPE,
                warc_headers_dict={"WARC-Date": date},
            )
        # warcio writes the response first and points the request at it (WARC-Concurrent-To).
        writer.write_request_response_pair(request, answer)
        self._records += 2

    def close(self) -> list[WarcFile]:
        """Finish the open file; returns every file written (idempotent)."""
        if not self.closed:
            self._finish()
            self.closed = True
        return self.files


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_cdxj(root: Path, files: Sequence[WarcFile]) -> Path:
    """INDEX_DIR/warc/index.cdxj over every WARC file (cdxj-indexer, sorted, paths relative
    to the warc/ folder as pywb and ReplayWeb.page expect)."""
    from cdxj_indexer.main import write_cdx_index

    out = Path(root) / WARC_DIR / CDXJ_NAME
    inputs = [str(Path(root) / f.path) for f in files]
    tmp = out.with_name(f".{out.name}.tmp")
    if inputs:
        write_cdx_index(str(tmp), inputs, {"sort": True, "dir_root": str(Path(root) / WARC_DIR)})
    else:
        tmp.write_text("")
    tmp.replace(out)
    return out


def package_wacz(root: Path, files: Sequence[WarcFile], title: str) -> Path:
    """INDEX_DIR/archive.wacz (WARCs, CDXJ, datapackage.json) with the ``wacz`` tool."""
    out = Path(root) / "archive.wacz"
    cmd = [
        sys.executable,
        "-m",
        "wacz",
        "create",
        "-o",
        str(out),
        "--detect-pages",
        "--title",
        title,
    ]
    cmd += [str(Path(root) / f.path) for f in files]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise RuntimeError(f"wacz create failed: {result.stderr.strip()[-500:]}")
    return out
