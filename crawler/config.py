"""Crawl configurations: TOML files of settings, validated key by key (pure, no Scrapy).

A configuration file holds Scrapy/consentcrawl settings. Keys are the setting names, in any
case (``caption_required`` or ``CAPTION_REQUIRED``); an optional ``[settings]`` table may hold
them. An unknown key or a value of the wrong type stops the run with a message that names the
key and the file, before any request is made.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping, Sequence
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
            raise ConfigError(
                f"{path}: unknown key {key!r} (no setting named {name})" + close_match(name, known)
            )
        out[name] = check_value(key, value, known[name], str(path))
    return out


# --- settings given on the command line (-s NAME=VALUE) ------------------------------------------

BOOLEAN_WORDS = ("0", "1", "true", "false", "True", "False")  # what Settings.getbool accepts
OPTIONAL_BOOLEAN_WORDS = ("true", "false", "1", "0", "yes", "no", "on", "off")
# Numbers that Scrapy reads with getfloat although their default is a whole number.
_FLOAT_HINTS = ("TIMEOUT", "DELAY", "INTERVAL", "SECONDS")


def close_match(name: str, known: Iterable[str]) -> str:
    """ " (did you mean X?)" for the closest known name, or "" when none is close."""
    names = list(known)
    match = difflib.get_close_matches(name.upper(), names, n=1, cutoff=0.75)
    return f" (did you mean {match[0]}?)" if match else ""


def check_setting_names(names: Iterable[str], known: Mapping[str, Any], where: str) -> None:
    """Raise ConfigError for the first name that is no setting, suggesting a close one."""
    for name in names:
        if name not in known:
            raise ConfigError(f"{where} {name}: no such setting{close_match(name, known)}")


def check_setting_text(
    name: str, text: str, default: Any, where: str, choices: Sequence[str] = ()
) -> None:
    """Raise ConfigError when ``text`` (as typed after -s NAME=) cannot be a value of ``name``.

    ``default`` gives the type; ``choices``, when given, lists every allowed value. One line,
    naming the setting and what it accepts.
    """
    value = text.strip()
    allowed = ""
    if choices:
        ok = value.lower() in {c.lower() for c in choices}
        allowed = "one of " + ", ".join(choices)
    elif isinstance(default, bool):
        ok = value in BOOLEAN_WORDS
        allowed = "true or false (or 1 / 0)"
    elif default is None and name.endswith(("_ENABLED", "_EXCLUDES")):
        ok = value == "" or value.lower() in OPTIONAL_BOOLEAN_WORDS
        allowed = "true or false (or empty: follow CONSENT_POLICY)"
    elif isinstance(default, int):
        ok = _is_int(value) or (any(h in name for h in _FLOAT_HINTS) and _is_float(value))
        allowed = "a whole number"
    elif isinstance(default, float):
        ok = _is_float(value)
        allowed = "a number"
    else:
        return
    if not ok:
        raise ConfigError(f"{where} {name}={text}: {name} must be {allowed}")


def _is_int(value: str) -> bool:
    try:
        int(value)
    except ValueError:
        return False
    return True


def _is_float(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
