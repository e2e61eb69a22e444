"""Regenerate ``cases.json`` from Google's ``robots_test.cc`` (see PROVENANCE.md).

Usage: ``python tests/data/google_robotstxt/port.py robots_test.cc > cases.json``

Only test DATA is taken: every ``EXPECT_TRUE/FALSE(IsUserAgentAllowed(robotstxt, ua, url))``
becomes one case, with the robots.txt body, user agent and URL resolved from the string literals
and variables of the enclosing test. The parse-report tests (line endings, BOM) are turned into
allow/disallow cases by hand below; ``GoogleOnly_LineTooLong`` builds its strings in code and is
rebuilt here the same way. ``OUR_EXPECTATION`` lists the cases where RFC 9309 (or a deliberate
project choice) differs from Google's answer, with the reason.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

_TEST = re.compile(r"^TEST\(RobotsUnittest, (\w+)\) \{$(.*?)^\}$", re.M | re.S)
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"', re.S)
_DECL = re.compile(
    r"(?:static\s+)?(?:const\s+)?(?:absl::string_view|std::string|char)\s+(\w+)(?:\[\])?\s*=\s*(.*)",
    re.S,
)
_EXPECT = re.compile(r"EXPECT_(TRUE|FALSE)\(\s*IsUserAgentAllowed\((.*)\)\s*\)\s*$", re.S)


_ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "\\": b"\\", '"': b'"'}


def _unescape(literal: str) -> str | None:
    raw = literal.encode("utf-8")
    out = bytearray()
    i = 0
    while i < len(raw):
        if raw[i] == 0x5C:  # backslash
            nxt = chr(raw[i + 1])
            if nxt == "x":
                digits = re.match(rb"[0-9A-Fa-f]{1,2}", raw[i + 2 :]).group()
                out.append(int(digits, 16))
                i += 2 + len(digits)
                continue
            out += _ESCAPES[nxt]
            i += 2
            continue
        out.append(raw[i])
        i += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        return None  # a partial BOM (report tests): not a text case


def _literals(expr: str) -> str | None:
    """The value of an expression made only of adjacent string literals, else None."""
    if _STRING.sub("", expr).strip():
        return None
    parts = [_unescape(m) for m in _STRING.findall(expr)]
    return None if None in parts else "".join(parts)  # type: ignore[arg-type]


def _split_args(text: str) -> list[str]:
    args, depth, start, i = [], 0, 0, 0
    while i < len(text):
        char = text[i]
        if char == '"':
            i = _STRING.match(text, i).end()
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            args.append(text[start:i].strip())
            start = i + 1
        i += 1
    args.append(text[start:].strip())
    return args


def _statements(body: str) -> list[str]:
    body = re.sub(r"(?m)^\s*//[^\n]*$", "", body)  # whole-line comments only: URLs hold "//"
    out, start, i = [], 0, 0
    while i < len(body):
        char = body[i]
        if char == '"':
            i = _STRING.match(body, i).end()
            continue
        if char in ";{}":
            out.append(body[start:i])
            start = i + 1
        i += 1
    return [s.strip() for s in out]


def cases_from_source(source: str) -> list[dict[str, object]]:
    cases: list[dict[str, object]] = []
    for name, body in _TEST.findall(source):
        if name == "GoogleOnly_LineTooLong":
            continue  # its strings are built with StrAppend: rebuilt in line_too_long_cases
        variables: dict[str, str] = {}
        for statement in _statements(body):
            decl = _DECL.fullmatch(statement)
            if decl and (value := _literals(decl.group(2))) is not None:
                variables[decl.group(1)] = value
                continue
            expect = _EXPECT.fullmatch(statement)
            if not expect:
                continue
            values = []
            for arg in _split_args(expect.group(2)):
                value = variables.get(arg) if re.fullmatch(r"\w+", arg) else _literals(arg)
                values.append(value)
            if None in values:
                continue  # built in code: handled by hand below
            robotstxt, agent, url = values
            cases.append(
                {
                    "test": name,
                    "robotstxt": robotstxt,
                    "user_agent": agent,
                    "url": url,
                    "google": expect.group(1) == "TRUE",
                }
            )
    return cases


def line_too_long_cases() -> list[dict[str, object]]:
    """``GoogleOnly_LineTooLong`` rebuilt: Google cuts every line at 8 * 2083 bytes."""
    max_line, eol = 2083 * 8, 1
    name = "GoogleOnly_LineTooLong"
    longline = "/x/"
    while len(longline) < max_line - 3 - len("disallow: ") + eol:
        longline += "a"
    first = f"user-agent: FooBot\ndisallow: {longline}/qux\n"
    line_a = line_b = "/x/"
    while len(line_a) < max_line - 3 - len("allow: ") + eol:
        line_a += "a"
        line_b += "b"
    second = f"user-agent: FooBot\ndisallow: /\nallow: {line_a}/qux\nallow: {line_b}/qux\n"
    why = (
        "Google cuts lines after 8 * 2083 bytes, so a cut pattern matches more (or less) than"
        " written; RFC 9309 sets no line limit and we match the pattern as written."
    )
    rows = [
        (first, "http://foo.bar/fux", True, True),
        (first, f"http://foo.bar{longline}/fux", False, True),
        (second, "http://foo.bar/", False, False),
        (second, f"http://foo.bar{line_a}/qux", True, True),
        (second, f"http://foo.bar{line_b}/fux", True, False),
    ]
    out: list[dict[str, object]] = []
    for body, url, google, ours in rows:
        case = {"test": name, "robotstxt": body, "user_agent": "FooBot", "url": url}
        case["google"] = google
        if ours != google:
            case["expect"], case["why"] = ours, why
        out.append(case)
    return out


def report_test_cases() -> list[dict[str, object]]:
    """The parse-report tests, as allow/disallow questions on the same bodies."""
    bodies = {
        "unix": "User-Agent: foo\nAllow: /some/path\nUser-Agent: bar\n\n\nDisallow: /\n",
        "dos": "User-Agent: foo\r\nAllow: /some/path\r\nUser-Agent: bar\r\n\r\n\r\nDisallow: /\r\n",
        "mac": "User-Agent: foo\rAllow: /some/path\rUser-Agent: bar\r\r\rDisallow: /\r",
        "no-final-newline": "User-Agent: foo\nAllow: /some/path\nUser-Agent: bar\n\n\nDisallow: /",
        "mixed": "User-Agent: foo\nAllow: /some/path\r\nUser-Agent: bar\n\r\n\nDisallow: /",
    }
    out: list[dict[str, object]] = []
    for label, body in bodies.items():
        # "User-Agent: bar" comes after a rule: a new group, which "Disallow: /" belongs to.
        for agent, url, google in (
            ("foo", "http://foo.bar/some/path", True),
            ("foo", "http://foo.bar/other", True),
            ("bar", "http://foo.bar/some/path", False),
        ):
            out.append(
                {
                    "test": f"ID_LinesNumbersAreCountedCorrectly[{label}]",
                    "robotstxt": body,
                    "user_agent": agent,
                    "url": url,
                    "google": google,
                }
            )
    bom = "\ufeffUser-Agent: foo\nAllow: /AnyValue\nDisallow: /\n"
    for url, google in (("http://foo.bar/AnyValue", True), ("http://foo.bar/x", False)):
        out.append(
            {
                "test": "ID_UTF8ByteOrderMarkIsSkipped[full-bom]",
                "robotstxt": bom,
                "user_agent": "foo",
                "url": url,
                "google": google,
            }
        )
    return out


# (test, url) -> (our expectation, why it differs from Google's answer).
OUR_EXPECTATION: dict[tuple[str, str], tuple[bool, str]] = {
    ("GoogleOnly_IndexHTMLisDirectory", "http://foo.com/allowed-slash/"): (
        False,
        "Google reads 'Allow: /x/index.html' as also allowing '/x/'. RFC 9309 matches the"
        " pattern as written; the extra allow would be permissive, so we do not take it.",
    ),
    ("ID_Encoding", "http://foo.bar/foo/bar/ツ"): (
        True,
        "RFC 9309 §2.2.2 percent-encodes octets outside US-ASCII on both sides before comparing;"
        " Google leaves encoding the URL to its caller, we encode it ourselves.",
    ),
    ("ID_Encoding", "http://foo.bar/foo/bar/baz"): (
        True,
        "RFC 9309 §2.2.2 (and its table): %62%61%7A are unreserved octets and are decoded before"
        " comparison, so the pattern /foo/bar/%62%61%7A matches /foo/bar/baz. Google compares"
        " the raw strings.",
    ),
}


def _classify(case: dict[str, object]) -> dict[str, object]:
    test = str(case["test"])
    # ID_LineSyntax_Line accepts a missing colon: "Google specific" by its own comment.
    google_only = test.startswith("GoogleOnly_") or test == "ID_LineSyntax_Line"
    override = OUR_EXPECTATION.get((test, str(case["url"])))
    if override is not None and override[0] != case["google"]:
        case["expect"], case["why"] = override
    if "why" in case:
        google_only = True
    case["scope"] = "google-only" if google_only else "rfc9309"
    return case


def main() -> None:
    source = Path(sys.argv[1]).read_text(encoding="utf-8")
    cases = cases_from_source(source) + line_too_long_cases() + report_test_cases()
    json.dump([_classify(c) for c in cases], sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
