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
import re
import subprocess
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

__all__ = [
    "FAILURE_CONTENT_TYPE",
    "Exchange",
    "WarcFile",
    "WarcSink",
    "file_sha256",
    "package_wacz",
    "write_cdxj",
    "write_cdxj_lines",
]

WARC_DIR = "warc"
CDXJ_NAME = "index.cdxj"
FAILURE_CONTENT_TYPE = "application/vnd.consentcrawl.failure+json"
FLAGS_HEADER = "WARC-Consentcrawl-Flags"
TRUNCATING_FLAGS = ("download_stopped", "dataloss", "partial")
# Hop-by-hop framing already undone by the HTTP client: kept under another name so that a WARC
# reader does not try to de-chunk a body that is no longer chunked (pywb does the same).
_RENAMED_HEADERS = {"transfer-encoding": "X-Archive-Orig-Transfer-Encoding"}
# warcio gzips at level 9; level 6 is ~3x faster for a few percent more bytes. Each record is
# still its own gzip member (the WARC convention, and what makes offsets addressable).
GZIP_LEVEL = 6
_MIME_END = re.compile(r"[;\s]")


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
    # Scrapy's response flags that say the body is incomplete (download_stopped, dataloss,
    # partial): the record gets WARC-Truncated and the flags, and a replay sets them again.
    flags: list[str] = field(default_factory=list)


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
    from warcio.timeutils import datetime_to_iso_date  # warcio loads when WARCs are written

    return datetime_to_iso_date(when.astimezone(UTC).replace(tzinfo=None), use_micros=True)


def _request_target(url: str) -> str:
    rest = url.split("://", 1)[-1]
    slash = rest.find("/")
    return rest[slash:] if slash != -1 else "/"


def _host(url: str) -> str:
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0]


class WarcSink:
    """Rotating WARC writer for one run (call ``write`` per exchange, ``close`` at the end).

    It also collects the CDXJ line of every response and failure record as it writes them
    (the same lines cdxj-indexer makes, without reading the files again).
    """

    def __init__(
        self, root: Path, max_bytes: int, info: dict[str, Any], prefix: str = "consentcrawl"
    ) -> None:
        self.root = Path(root)
        self.dir = self.root / WARC_DIR
        self.max_bytes = max(1, int(max_bytes))
        self.info = info
        self.prefix = prefix
        self.files: list[WarcFile] = []
        self.cdxj: list[str] = []
        self._buf = BytesIO()
        from warcio.warcwriter import WARCWriter

        self._records_writer = WARCWriter(self._buf, gzip=False, warc_version="1.1")
        self._fh: BinaryIO | None = None
        self._path: Path | None = None
        self._records = 0
        self.closed = False

    # --- files --------------------------------------------------------------------------------

    def _open(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self._path = self.dir / f"{self.prefix}-{len(self.files):05d}.warc.gz"
        self._fh = open(self._path, "wb")  # noqa: SIM115 (closed in _finish)
        self._records = 0
        fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in self.info.items()}
        self._emit(self._records_writer.create_warcinfo_record(self._path.name, fields))

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
        self._fh = self._path = None

    def _emit(self, record: Any) -> tuple[int, int]:
        """Write one record as its own gzip member; returns (offset, length) in the file."""
        assert self._fh is not None
        self._buf.seek(0)
        self._buf.truncate()
        self._records_writer.write_record(record)
        gz = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        data = gz.compress(self._buf.getbuffer()) + gz.flush()
        offset = self._fh.tell()
        self._fh.write(data)
        self._records += 1
        return offset, len(data)

    def _index(self, record: Any, offset: int, length: int) -> None:
        headers = record.rec_headers
        url = headers.get_header("WARC-Target-URI")
        if record.http_headers is not None:
            mime = record.http_headers.get_header("Content-Type")
        else:
            mime = headers.get_header("Content-Type")
        entry: dict[str, str] = {"url": url}
        if mime:
            entry["mime"] = _MIME_END.split(mime, 1)[0].strip()
        if record.rec_type == "response":
            entry["status"] = record.http_headers.get_statuscode()
        digest = headers.get_header("WARC-Payload-Digest")
        if digest:
            entry["digest"] = digest
        assert self._path is not None
        entry.update(length=str(length), offset=str(offset), filename=self._path.name)
        from surt import surt  # imports tldextract (~0.17 s): only when capturing

        try:
            key = surt(url)
        except Exception:
            key = url
        from warcio.timeutils import iso_date_to_timestamp

        stamp = iso_date_to_timestamp(headers.get_header("WARC-Date"))
        self.cdxj.append(f"{key} {stamp} {json.dumps(entry)}")

    # --- records ------------------------------------------------------------------------------

    def write(self, ex: Exchange) -> None:
        if self.closed:
            return
        if self._fh is not None and self._fh.tell() >= self.max_bytes:
            self._finish()
        if self._fh is None:
            self._open()
        from warcio.statusandheaders import StatusAndHeaders

        writer = self._records_writer
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
            warc_headers = {"WARC-Date": date}
            flags = [f for f in ex.flags if f in TRUNCATING_FLAGS]
            if flags:
                warc_headers["WARC-Truncated"] = "length"
                warc_headers[FLAGS_HEADER] = " ".join(flags)
            answer = writer.create_warc_record(
                ex.url,
                "response",
                payload=BytesIO(ex.response_body),
                http_headers=resp_http,
                warc_headers_dict=warc_headers,
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
                length=len(body),
                warc_content_type=FAILURE_CONTENT_TYPE,
                warc_headers_dict={"WARC-Date": date},
            )
        # The response (or failure) first, then its request pointing at it (as warcio's
        # write_request_response_pair does).
        request.rec_headers.add_header(
            "WARC-Concurrent-To", answer.rec_headers.get_header("WARC-Record-ID")
        )
        offset, length = self._emit(answer)
        self._index(answer, offset, length)
        self._emit(request)

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


def write_cdxj_lines(root: Path, lines: list[str]) -> Path:
    """INDEX_DIR/warc/index.cdxj from the lines collected while writing (sorted, as
    cdxj-indexer --sort writes them)."""
    out = Path(root) / WARC_DIR / CDXJ_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text("".join(f"{line}\n" for line in sorted(lines)))
    tmp.replace(out)
    return out


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
