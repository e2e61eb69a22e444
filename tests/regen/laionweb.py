"""A simulated web for every host of the LAION sample, deterministic from the host name.

A SimWeb factory (``tests.regen.laionweb:build``): each host gets one behaviour picked by a
hash of its name (the port is ignored), so the test can compute, for every row, exactly what
``scrapy regenerate`` must decide (``expected_reasons``) without asking the crawler's code.

| share | behaviour                                         | row reasons (strict/standard)    |
|-------|---------------------------------------------------|----------------------------------|
| 5 %   | robots.txt 503 (down, answered at once)           | robots:unreachable               |
| 10 %  | robots.txt disallows GPTBot everywhere            | robots:ai-token=GPTBot           |
| 5 %   | robots.txt disallows everything for everyone      | robots:disallowed                |
| 5 %   | ai.txt ``Disallow: *.jpg``                        | aitxt:disallowed for *.jpg paths |
| 5 %   | tdmrep.json reserves every path                   | tdmrep:reserved                  |
| 5 %   | images answer ``X-Robots-Tag: noai``              | xrobots:noai (probe on)          |
| 5 %   | images answer ``Content-Usage: train-ai=n``       | aipref:train-ai=n (probe on)     |
| rest  | plain 200 images, permissive robots.txt           | (kept)                           |
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

__all__ = ["BEHAVIOURS", "behaviour", "build", "expected_reasons"]

BEHAVIOURS = (
    (5, "down"),
    (10, "gptbot"),
    (5, "disallow-all"),
    (5, "aitxt-jpg"),
    (5, "tdmrep"),
    (5, "xrobots"),
    (5, "content-usage"),
)
_TEXT = {"Content-Type": "text/plain; charset=utf-8"}
_JSON = {"Content-Type": "application/json"}
_IMAGE = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"


def behaviour(host: str) -> str:
    """The behaviour of ``host`` (``name`` or ``name:port``; the port does not count)."""
    bare = host.lower().rsplit(":", 1)[0] if host.count(":") == 1 else host.lower()
    bucket = int(hashlib.sha256(bare.encode()).hexdigest()[:8], 16) % 100
    edge = 0
    for share, name in BEHAVIOURS:
        edge += share
        if bucket < edge:
            return name
    return "plain"


def _route(kind: str, path: str) -> dict[str, Any]:
    if path == "/robots.txt":
        if kind == "down":
            return {"status": 503, "headers": _TEXT, "body": "Service Unavailable\n"}
        if kind == "gptbot":
            body = "User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
        elif kind == "disallow-all":
            body = "User-agent: *\nDisallow: /\n"
        else:
            body = "User-agent: *\nAllow: /\n"
        return {"status": 200, "headers": _TEXT, "body": body}
    if path == "/ai.txt":
        if kind == "aitxt-jpg":
            return {"status": 200, "headers": _TEXT, "body": "User-Agent: *\nDisallow: *.jpg\n"}
        return {"status": 404, "headers": _TEXT, "body": "not found"}
    if path == "/.well-known/tdmrep.json":
        if kind == "tdmrep":
            body = '[{"location": "/", "tdm-reservation": 1}]'
            return {"status": 200, "headers": _JSON, "body": body}
        return {"status": 404, "headers": _TEXT, "body": "not found"}
    headers: list[list[str]] = [["Content-Type", "image/jpeg"]]
    if kind == "xrobots":
        headers.append(["X-Robots-Tag", "noai"])
    elif kind == "content-usage":
        headers.append(["Content-Usage", "train-ai=n"])
    return {"status": 200, "headers": headers, "body": _IMAGE.decode("latin-1")}


def build() -> Callable[[str, str], dict[str, Any]]:
    """The SimWeb resolver: every host answers, nothing is left to the static sites."""
    return lambda host, path: _route(behaviour(host), path.partition("?")[0])


def expected_reasons(url: Any, probe: bool, valid: bool = True) -> list[str]:
    """What regeneration must record for a row with this URL (strict or standard policy)."""
    if not valid:
        return ["input:invalid-url"]
    parts = urlsplit(url)
    kind = behaviour(parts.hostname or "")
    if kind == "down":
        return ["robots:unreachable"]
    if kind == "gptbot":
        return ["robots:ai-token=GPTBot"]
    if kind == "disallow-all":
        return ["robots:disallowed"]
    if kind == "aitxt-jpg":
        target = parts.path + ("?" + parts.query if parts.query else "")
        return ["aitxt:disallowed"] if ".jpg" in target else []
    if kind == "tdmrep":
        return ["tdmrep:reserved"]
    if kind == "xrobots" and probe:
        return ["xrobots:noai"]
    if kind == "content-usage" and probe:
        return ["aipref:train-ai=n"]
    return []
