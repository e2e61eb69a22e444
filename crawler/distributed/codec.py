"""A request as JSON, with an explicit schema (no pickle: a frontier entry is data, not code).

Schema version 1, one JSON object::

    {"v": 1, "host": str, "url": str, "method": str,
     "headers": [[name, value], ...],          # latin-1 decoded bytes
     "body": str,                               # base64
     "meta": {str: JSON value}, "cb_kwargs": {str: JSON value},
     "priority": int, "dont_filter": bool, "flags": [str],
     "callback": str | null, "errback": str | null}   # spider method names

``meta`` keeps only JSON-representable values; anything else (Scrapy internals such as a
download slot object) is dropped and counted, never pickled. Scrapy's own ``to_dict`` carries
``bytes`` for body and headers, which ``json`` cannot encode (scrapy-redis's JSON serializer
fails on exactly that), hence the explicit base64 / latin-1 fields here.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1


class CodecError(ValueError):
    """A frontier entry that is not a version-1 request object."""


@dataclass(slots=True)
class RequestRecord:
    url: str
    host: str
    method: str = "GET"
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    meta: dict[str, Any] = field(default_factory=dict)
    cb_kwargs: dict[str, Any] = field(default_factory=dict)
    priority: int = 0
    dont_filter: bool = False
    flags: list[str] = field(default_factory=list)
    callback: str | None = None
    errback: str | None = None


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def json_safe(mapping: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The JSON-representable entries of ``mapping`` and the names of those dropped."""
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in mapping.items():
        if isinstance(key, str) and _jsonable(value):
            kept[key] = value
        else:
            dropped.append(str(key))
    return kept, dropped


def encode(record: RequestRecord) -> str:
    return json.dumps(
        {
            "v": SCHEMA_VERSION,
            "host": record.host,
            "url": record.url,
            "method": record.method,
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in record.headers],
            "body": base64.b64encode(record.body).decode("ascii"),
            "meta": record.meta,
            "cb_kwargs": record.cb_kwargs,
            "priority": record.priority,
            "dont_filter": record.dont_filter,
            "flags": record.flags,
            "callback": record.callback,
            "errback": record.errback,
        },
        separators=(",", ":"),
        sort_keys=True,
    )


def decode(text: str | bytes) -> RequestRecord:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CodecError(f"frontier entry is not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("v") != SCHEMA_VERSION:
        raise CodecError(f"frontier entry is not a version-{SCHEMA_VERSION} request")
    try:
        return RequestRecord(
            url=str(data["url"]),
            host=str(data["host"]),
            method=str(data["method"]),
            headers=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in data["headers"]],
            body=base64.b64decode(data["body"]),
            meta=dict(data["meta"]),
            cb_kwargs=dict(data["cb_kwargs"]),
            priority=int(data["priority"]),
            dont_filter=bool(data["dont_filter"]),
            flags=[str(f) for f in data["flags"]],
            callback=data["callback"],
            errback=data["errback"],
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CodecError(f"malformed frontier entry: {exc!r}") from exc
