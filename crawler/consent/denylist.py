"""Deny-lists: hosts and registered domains excluded by the operator (pure, no Scrapy).

``DENYLIST_FILES`` names text files; a candidate whose page host or image host is listed is
excluded with ``denylist:<file stem>``. This is the hook for the EU GPAI Code of Practice's list
of persistently infringing sites (copyright Measure 1.2; not published as of late 2026,
signals-2026.md §5.6) and for a team's own list. None ships by default.

File format (UTF-8; one entry a line):

- a host (``img.warez.example``) or a registered domain (``warez.example``); a listed name
  covers itself and every subdomain (``warez.example`` covers ``img.warez.example``), never a
  look-alike (``notwarez.example``);
- an IP address (``192.0.2.7``, ``2001:db8::1``) matches that address only;
- internationalised names may be written in Unicode or punycode (``bücher.example`` is
  ``xn--bcher-kva.example``); case and a trailing dot do not matter;
- ``#`` starts a comment, to the end of the line; blank lines are ignored.

Anything else (a URL, a path, ``*.`` wildcards, a port, a single label such as ``com``) is an
error naming the file and line: a list that silently skipped lines would let listed sites in.
A missing or unreadable file is an error too.

Lookup walks the host's suffixes over one dict (``img.a.b.example`` → ``a.b.example`` →
``b.example``): a handful of hash look-ups per host, whatever the size of the lists.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import idna

from crawler.consent.family import (
    EvalEnv,
    Family,
    Getter,
    ImageContext,
    PageContext,
    Reason,
    SettingSpec,
)
from crawler.consent.verdict import Signal
from crawler.urls import split_http_url

__all__ = [
    "FAMILY",
    "DenyList",
    "DenyListError",
    "Entry",
    "denylist_signal",
    "files_setting",
    "load_denylists",
    "normalize_entry",
    "parse_denylist",
]

NAME = "denylist"
SETTING = "DENYLIST_FILES"
# More than this many bad lines in one file: stop listing them (the message stays readable).
_MAX_REPORTED_ERRORS = 20
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


class DenyListError(ValueError):
    """A deny-list file that cannot be used; the message names the setting, file and line."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One listed name: where it was listed, for the reason and the evidence."""

    name: str  # normalised: lower-case ASCII (punycode), or a canonical IP address
    list_name: str  # the file's stem: the reason is ``denylist:<list_name>``
    path: str
    line: int


def _ip(text: str) -> str | None:
    candidate = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def _to_ascii(name: str) -> str:
    """A domain name as lower-case ASCII (IDNA 2008 with UTS #46 mapping); ValueError if not."""
    if name.isascii():
        return name.lower()
    try:
        return idna.encode(name, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError as exc:
        raise ValueError(f"not a valid internationalised domain name ({exc})") from exc


# A plain ASCII host whose last label does not start with a digit (no IP address).
_PLAIN_HOST = re.compile(
    r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
)


def normalize_entry(text: str) -> str:
    """The normalised name of one deny-list entry (comment and blanks already removed).

    Raises ``ValueError`` saying what is wrong with it.
    """
    lowered = text.lower()
    if len(lowered) <= 253 and _PLAIN_HOST.fullmatch(lowered):
        return lowered  # the common case: a plain ASCII host name (load time of big lists)
    if any(ch.isspace() for ch in text):
        raise ValueError("one host or domain per line (found spaces)")
    if "://" in text or "/" in text:
        raise ValueError("a URL or path, not a host: write the host alone (warez.example)")
    if ":" in text or text[-1:].isdigit() or text.endswith("]"):
        ip = _ip(text)
        if ip is not None:
            return ip
    if text.startswith(("*", ".")):
        raise ValueError(
            "write the domain without '*.' or a leading dot: a listed domain already covers "
            "its subdomains"
        )
    if ":" in text or "@" in text:
        raise ValueError("a host only: no port, user or scheme")
    name = _to_ascii(text.removesuffix("."))
    if len(name) > 253:
        raise ValueError("longer than 253 characters")
    labels = name.split(".")
    if len(labels) < 2:
        raise ValueError("a single label (a top-level domain?) is not a host or registered domain")
    for label in labels:
        if not _LABEL.fullmatch(label):
            raise ValueError(f"not a valid host name (label {label!r})")
    if labels[-1].isdigit():
        raise ValueError("not a host name or an IP address (numeric top-level label)")
    return name


def _lookup_key(host: str) -> str:
    """A URL's host in the form of the entries; never raises (an odd host still gets its
    suffixes checked, label by label)."""
    host = host.strip().rstrip(".")
    if host.startswith("["):
        host = host[1:-1]
    if host.isascii():
        return host.lower()
    try:
        return idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError:
        labels = []
        for label in host.split("."):
            try:
                labels.append(idna.encode(label, uts46=True).decode("ascii"))
            except idna.IDNAError:
                labels.append(label.lower())
        return ".".join(labels)


class DenyList:
    """The merged entries of every deny-list file; ``match`` a host, ``match_url`` a URL."""

    __slots__ = ("_names", "files")

    def __init__(self, entries: Iterable[Entry], files: Sequence[str] = ()) -> None:
        self._names: dict[str, Entry] = {}
        for entry in entries:
            self._names.setdefault(entry.name, entry)  # the first list naming it gives the reason
        self.files = tuple(files)

    def __len__(self) -> int:
        return len(self._names)

    def match(self, host: str) -> Entry | None:
        """The entry covering ``host`` (the host itself or its nearest listed parent domain)."""
        names = self._names
        if not names or not host:
            return None
        key = _lookup_key(host)
        if ":" in key or key.replace(".", "").isdigit():
            return names.get(_ip(key) or key)  # an IP address: itself only, no suffixes
        entry = names.get(key)
        if entry is not None:
            return entry
        dot = key.find(".")
        while dot != -1:
            suffix = key[dot + 1 :]
            if "." not in suffix:
                break  # single labels are never listed
            entry = names.get(suffix)
            if entry is not None:
                return entry
            dot = key.find(".", dot + 1)
        return None

    def match_origin(self, origin: str) -> Entry | None:
        """The entry covering the host of an origin (``scheme://host[:port]``, as computed by
        ``crawler.urls``): cheaper than ``match_url`` on a hot path."""
        host = origin.partition("://")[2]
        if host.startswith("["):
            host = host[1 : host.find("]")]
        else:
            name, _, port = host.rpartition(":")
            if name and port.isdigit():
                host = name
        return self.match(host)

    def match_url(self, url: str) -> Entry | None:
        """The entry covering the URL's host; None for a URL without a usable host (such a row
        is excluded as invalid input elsewhere)."""
        parts = split_http_url(url)
        return self.match(parts.host) if parts is not None else None


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DenyListError(f"{SETTING}: cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DenyListError(f"{SETTING}: {path}:{line}: not UTF-8 text") from exc


def parse_denylist(text: str, path: str, list_name: str) -> list[Entry]:
    """The entries of one file's text; ``DenyListError`` listing its bad lines."""
    entries: list[Entry] = []
    errors: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            entries.append(Entry(normalize_entry(line), list_name, path, number))
        except ValueError as exc:
            errors.append(f"{path}:{number}: {exc}: {line!r}")
    if errors:
        shown = errors[:_MAX_REPORTED_ERRORS]
        more = len(errors) - len(shown)
        if more:
            shown.append(f"... and {more} more bad lines")
        raise DenyListError(f"{SETTING}: invalid entries\n  " + "\n  ".join(shown))
    return entries


def load_denylists(paths: Sequence[str | Path]) -> DenyList:
    """Read and check every file; raises ``DenyListError`` (a ``ValueError``) on any problem."""
    entries: list[Entry] = []
    stems: dict[str, str] = {}
    for given in paths:
        path = Path(given).expanduser()
        stem = path.stem
        if not stem:
            raise DenyListError(f"{SETTING}: {given!r} is not a file name")
        if stem in stems and stems[stem] != str(path):
            raise DenyListError(
                f"{SETTING}: two deny-lists named {stem!r} ({stems[stem]}, {path}): their "
                f"exclusions would share the reason denylist:{stem}; rename one"
            )
        stems[stem] = str(path)
        entries.extend(parse_denylist(_read(path), str(path), stem))
    return DenyList(entries, [str(p) for p in paths])


def files_setting(value: Any) -> list[str]:
    """``DENYLIST_FILES`` as a list of paths: a list, or a comma-separated string (``-s``)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple)) and all(isinstance(v, (str, Path)) for v in value):
        return [str(v) for v in value]
    raise DenyListError(f"{SETTING}: expected a list of file paths, got {value!r}")


def denylist_signal(
    url: str, denylist: DenyList | None, what: str, origin: str | None = None
) -> list[Signal]:
    """A disallow signal when ``url``'s host is listed (``what``: "page" or "image"), else [].

    ``origin`` (the URL's origin, when the caller has it) saves parsing the URL again.
    Evidence: the source is the list file and line, the value the host and the listed name.
    """
    if not denylist:
        return []
    entry = denylist.match_origin(origin) if origin else denylist.match_url(url)
    if entry is None:
        return []
    return [
        Signal.disallow(
            NAME,
            entry.list_name,
            f"{entry.path}:{entry.line}",
            f"listed {entry.name} ({what} {url})",
        )
    ]


# --- the family declaration --------------------------------------------------------------------


def _configure(get: Getter) -> DenyList | None:
    files = files_setting(get(SETTING))
    return load_denylists(files) if files else None


def _page(ctx: PageContext, env: EvalEnv) -> list[Signal]:
    return denylist_signal(ctx.url, env.config, "page", ctx.origin)


def _image(ctx: ImageContext, env: EvalEnv) -> list[Signal]:
    return denylist_signal(ctx.url, env.config, "image", ctx.origin)


FAMILY = Family(
    name=NAME,
    summary="Hosts and registered domains listed in the DENYLIST_FILES text files (page host "
    "and image host; a listed domain covers its subdomains)",
    spec="Operator policy; hook for the EU GPAI Code of Practice, copyright Measure 1.2",
    reasons=(
        Reason(
            "denylist:*",
            "the page's or the image's host is on a deny-list; * is the file's stem",
            cause="scope",
        ),
    ),
    page=_page,
    image=_image,
    configure=_configure,
    settings=(
        SettingSpec(
            SETTING,
            [],
            'Deny-list files (README "Deny-lists"): rows whose page or image host is '
            "listed are excluded as denylist:<file stem>",
        ),
    ),
    url_only=True,
)
