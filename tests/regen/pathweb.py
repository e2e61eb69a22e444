"""A small simulated web whose consent documents have path rules, for the batch-path test.

A SimWeb factory (``tests.regen.pathweb:build``). Host ``h<k>.path.test`` gets kind ``k % 7``:

| k % 7 | robots.txt                                     | ai.txt           | tdmrep.json        |
|-------|------------------------------------------------|------------------|--------------------|
| 0     | ``*``: Disallow /private/, Allow /private/ok/;  | none             | none               |
|       | GPTBot: Disallow /ai/; Content-Usage /nogen/   |                  |                    |
| 1     | Allow / (no path rules); Content-Usage ai-use=n | Disallow *.png  | none               |
| 2     | Allow /; GPTBot: Content-Signal ai-train=no    | none             | /reserved/* = 1,   |
|       |                                                |                  | /open/ = 0         |
| 3     | Disallow / for everyone                        | ``training: no`` | none               |
| 4     | 503 (unreachable)                              | none             | none               |
| 5     | none (404)                                     | none             | / = 1              |
| 6     | ``*``: Disallow /private/; GPTBot: Disallow /  | none             | none               |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["build"]

_TEXT = {"Content-Type": "text/plain; charset=utf-8"}
_JSON = {"Content-Type": "application/json"}
_MISSING = {"status": 404, "headers": _TEXT, "body": "not found"}

ROBOTS = {
    0: (
        "User-agent: *\nDisallow: /private/\nAllow: /private/ok/\n"
        "Content-Usage: /nogen/ train-ai=n\n"
        "\nUser-agent: GPTBot\nDisallow: /ai/\n"
    ),
    # Records for every path (path-independent: decided once per origin by the batch path).
    1: "User-agent: *\nAllow: /\nContent-Usage: ai-use=n, search=y\n",
    2: "User-agent: *\nAllow: /\n\nUser-agent: GPTBot\nContent-Signal: ai-train=no\n",
    3: "User-agent: *\nDisallow: /\n",
    6: "User-agent: *\nDisallow: /private/\n\nUser-agent: GPTBot\nDisallow: /\n",
}
AITXT = {1: "User-Agent: *\nDisallow: *.png\n", 3: "training: no\n"}
TDMREP = {
    2: '[{"location": "/reserved/*", "tdm-reservation": 1},'
    ' {"location": "/open/", "tdm-reservation": 0}]',
    5: '[{"location": "/", "tdm-reservation": 1, "tdm-policy": "https://x.test/p.json"}]',
}


def kind_of(host: str) -> int:
    name = host.split(":")[0].split(".")[0]
    return int(name[1:]) % 7 if name[1:].isdigit() else 1


def _route(kind: int, path: str) -> dict[str, Any]:
    if path == "/robots.txt":
        if kind == 4:
            return {"status": 503, "headers": _TEXT, "body": "down"}
        if kind not in ROBOTS:
            return _MISSING
        return {"status": 200, "headers": _TEXT, "body": ROBOTS[kind]}
    if path == "/ai.txt":
        if kind not in AITXT:
            return _MISSING
        return {"status": 200, "headers": _TEXT, "body": AITXT[kind]}
    if path == "/.well-known/tdmrep.json":
        if kind not in TDMREP:
            return _MISSING
        return {"status": 200, "headers": _JSON, "body": TDMREP[kind]}
    return {"status": 200, "headers": {"Content-Type": "image/jpeg"}, "body": "x"}


def build() -> Callable[[str, str], dict[str, Any]]:
    return lambda host, path: _route(kind_of(host), path.partition("?")[0])
