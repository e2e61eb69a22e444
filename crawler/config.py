"""Crawl configurations: TOML files of settings, validated key by key (pure, no Scrapy).

A configuration file holds Scrapy/consentcrawl settings. Keys are the setting names, in any
case (``caption_required`` or ``CAPTION_REQUIRED``); an optional ``[settings]`` table may hold
them. An unknown key or a value of the wrong type stops the run with a message that names the
key and the file, before any request is made.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A configuration that cannot be used; the message says which key of which file."""


def _type_name(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(
        type(value), type(value).__name__
    )


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def check_value(key: str, value: Any, default: Any, where: str) -> Any:
    """Return ``value`` if it fits the type of ``default``, else raise ConfigError."""
    if default is None:
        ok = isinstance(value, (str, int, float, bool, list, dict))
    elif isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif isinstance(default, str):
        ok = isinstance(value, str)
    elif isinstance(default, (list, tuple)):
        ok = isinstance(value, (list, str))  # "a,b" lists are accepted
    elif isinstance(default, dict):
        ok = isinstance(value, dict)
    else:
        ok = True
    if not ok:
        raise ConfigError(
            f"{where}: key {key!r} must be {_article(_type_name(default))}, "
            f"got {_type_name(value)} {value!r}"
        )
    return value


def load_config(path: str | Path, known: Mapping[str, Any]) -> dict[str, Any]:
    """Read and validate a TOML configuration against ``known`` (setting name -> default)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read configuration {str(path)!r}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    if isinstance(data.get("settings"), dict):
        nested = data.pop("settings")
        for key, value in nested.items():
            if key in data:
                raise ConfigError(f"{path}: key {key!r} is given twice")
            data[key] = value
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = key.upper()
        if name not in known:
            raise ConfigError(f"{path}: unknown key {key!r} (no setting named {name})")
        out[name] = check_value(key, value, known[name], str(path))
    return out
