"""Seed lists: a text file (one URL a line, ``#`` comments) or a comma-separated list of URLs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


class SeedError(ValueError):
    """A seed list that cannot be used; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Seeds:
    urls: list[str]
    source: str  # the file path, or "argument"
    sha256: str  # of the file bytes, or of the argument text


def check_url(url: str) -> str | None:
    """Why ``url`` is not a usable seed, or None when it is."""
    if any(c.isspace() for c in url):
        return "contains whitespace"
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"cannot be parsed ({exc})"
    if parts.scheme not in ("http", "https"):
        return "is not an http(s) URL"
    try:
        if not parts.hostname:
            return "has no host"
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"has a bad port ({exc})"
    return None


def load_seeds(value: str) -> Seeds:
    """Read seeds from a file path or a comma-separated list; raise SeedError on any bad line."""
    if not value or not value.strip():
        raise SeedError("no seeds given: pass -a seeds=FILE or -a seeds=URL[,URL...]")
    path = Path(value)
    looks_like_urls = value.lstrip().startswith(("http://", "https://"))
    if not looks_like_urls:
        if not path.is_file():
            raise SeedError(f"seed file {value!r} does not exist (or pass URLs starting http)")
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SeedError(f"{value}: not UTF-8 text ({exc})") from None
        urls = []
        for lineno, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if " #" in line:  # a trailing comment; "#" inside a URL has no space before it
                line = line.split(" #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            problem = check_url(line)
            if problem:
                raise SeedError(f"{value}:{lineno}: seed {line!r} {problem}")
            urls.append(line)
        if not urls:
            raise SeedError(f"{value}: no seed URLs in the file")
        return Seeds(_dedupe(urls), str(path), hashlib.sha256(raw).hexdigest())
    urls = []
    for pos, item in enumerate(value.split(","), start=1):
        item = item.strip()
        if not item:
            continue
        problem = check_url(item)
        if problem:
            raise SeedError(f"seeds argument, item {pos}: {item!r} {problem}")
        urls.append(item)
    return Seeds(_dedupe(urls), "argument", hashlib.sha256(value.encode()).hexdigest())


def _dedupe(urls: list[str]) -> list[str]:
    return list(dict.fromkeys(urls))
