"""One reading of robots.txt (RFC 9309): parsed once into groups that every consumer reads.

Design
------
``parse_robots_txt`` makes one linear pass over the lines of a decoded robots.txt and returns a
``RobotsTxt``: the groups in file order, each with its user-agent lines, its ``Allow`` /
``Disallow`` rules and every other record it contains (``Crawl-delay``, ``Content-Usage``,
``Content-Signal``, ``DisallowAITraining``, RSL ``License``, unknown ones), plus the
records that stand outside any group (``Sitemap``, or anything before the first user-agent).
Everything that reads robots.txt reads this object: allow/disallow for our token and each AI
token (``RobotsTxt.for_token``), ``Crawl-delay`` (``TokenRules.crawl_delay``) and the extension
records (``crawler.consent.robots_ext`` builds its evaluation from ``RobotsTxt.groups``). Two
readings of one file can no longer disagree about which lines form a group.

Grouping (RFC 9309 §2.2.1, §2.2.4): a group is one or more ``user-agent`` lines followed by its
rules; a ``user-agent`` line that follows a rule starts a new group. Rules are ``Allow`` and
``Disallow``, and the extension records that are scoped like them (AIPREF ``Content-Usage``,
``Content-Signal``, ``(Dis)AllowAITraining``). Every other record (``Crawl-delay``,
``Request-rate``, ``Clean-param``, ``Sitemap``, unknown lines) neither ends a group nor starts
one, so ``User-agent: A / Crawl-delay: 5 / User-agent: B / Disallow: /`` is one group for A and
B (protego 0.7 ended the group at ``Crawl-delay`` and allowed A). Blank lines and comments do
not end a group either. Rules before the first user-agent line are ignored.

User-agent matching (§2.2.1): a ``user-agent`` value names a product token, its leading run of
``[A-Za-z_-]`` (so ``CCBot/2.0`` names ``ccbot``, as Google's reference parser reads it), and it
matches a crawler token exactly, case-insensitively: ``Google`` never selects ``Google-Extended``.
A name that goes on with digits names its longer run too (``img2dataset``: Google would read
only ``img``, which would lose real AI-crawler opt-outs).
``*`` matches every token that no group names. All groups naming the token are merged (§2.2.1).

Path matching (§2.2.2, §2.2.3): the most specific match (the pattern with the most octets) wins,
``Allow`` wins a tie; ``/robots.txt`` is always allowed. Normalising paths and patterns and
matching one pattern (``*``, a final ``$``, percent-encoding, linear time) belong to
``crawler.consent.patterns``, shared with ai.txt, TDMRep and the extension records of this very
file, so one URL is read alike by every signal: ``/foo/bar/%62%61%7A`` matches ``/foo/bar/baz``,
``/ツ`` matches ``/%E3%83%84`` (the RFC's own table), ``%24`` matches a literal ``$``.

Leniencies taken from Google's parser because they read more files the restrictive way: the
typos ``useragent``, ``user agent``, ``dissallow``, ``dissalow``, ``disalow``, ``diasllow``,
``disallaw``, and a missing colon (``Disallow /``).

No Scrapy imports; the input is text (see ``crawler.consent.text`` for bytes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crawler.consent.patterns import normalize_path, path_pattern

__all__ = [
    "Group",
    "PathRule",
    "Record",
    "RobotsTxt",
    "TokenRules",
    "parse_robots_txt",
    "product_token",
    "product_tokens",
]

USER_AGENT_KEYS = frozenset({"user-agent", "useragent", "user agent"})
ALLOW_KEYS = frozenset({"allow"})
DISALLOW_KEYS = frozenset({"disallow", "dissallow", "dissalow", "disalow", "diasllow", "disallaw"})
# Records scoped like Allow/Disallow: they end a run of user-agent lines (robots_ext reads them).
EXTENSION_RULE_KEYS = frozenset(
    {"content-usage", "content-signal", "disallowaitraining", "allowaitraining"}
)
_RULE_KEYS = ALLOW_KEYS | DISALLOW_KEYS | EXTENSION_RULE_KEYS
_NO_COLON_KEYS = USER_AGENT_KEYS | ALLOW_KEYS | DISALLOW_KEYS

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_ \-]*")
_NO_COLON = re.compile(r"\s*([A-Za-z][A-Za-z \-]*?)[ \t]+(\S.*)")
_PRODUCT = re.compile(r"[A-Za-z_\-]+")
_PRODUCT_WITH_DIGITS = re.compile(r"[A-Za-z0-9_\-]+")


def product_token(value: str) -> str:
    """The product token a ``user-agent`` value names, lower-cased: ``*``, or its leading run of
    ``[A-Za-z_-]`` (``CCBot/2.0`` -> ``ccbot``); ``""`` when it names none."""
    value = value.strip()
    if value.startswith("*") and (len(value) == 1 or value[1] in " \t"):
        return "*"
    match = _PRODUCT.match(value)
    return match.group().lower() if match else ""


def product_tokens(value: str) -> list[str]:
    """The tokens a ``user-agent`` value selects: its ``product_token`` and, when the name goes
    on with digits (``img2dataset``), also the run of ``[A-Za-z0-9_-]``: real AI crawlers have
    digits in their names, which Google's parser (letters only) would cut to ``img``."""
    token = product_token(value)
    if not token or token == "*":
        return [token] if token else []
    match = _PRODUCT_WITH_DIGITS.match(value.strip())
    longer = match.group().lower() if match else token
    return [token, longer] if longer != token else [token]


@dataclass(frozen=True, slots=True)
class Record:
    """One ``key: value`` line of the file (other than user-agent, Allow and Disallow)."""

    key: str  # lower-cased
    value: str
    line: int  # 1-based line number
    raw: str  # "Crawl-delay: 5" as written (key spelling kept, comment dropped)


class PathRule:
    """One ``Allow`` / ``Disallow`` line: a shared ``PathPattern`` plus what the verdict cites."""

    __slots__ = ("_pattern", "allow", "group", "length", "line", "pattern", "raw")

    def __init__(self, allow: bool, pattern: str, line: int, raw: str, group: int) -> None:
        self.allow = allow
        self.pattern = pattern
        self.line = line
        self.raw = raw
        self.group = group  # index of its group in RobotsTxt.groups (for evidence)
        self._pattern = path_pattern(pattern)
        self.length = self._pattern.length  # octets of the normalised pattern (longest match)

    def matches(self, path: str) -> bool:
        """Whether the rule matches ``path`` (from ``normalize_path``); linear in the path."""
        return self._pattern.matches(path)

    def __repr__(self) -> str:
        return f"PathRule({self.raw!r})"


@dataclass(slots=True)
class Group:
    """One group: its user-agent lines, its Allow/Disallow rules and its other records."""

    agents: list[str] = field(default_factory=list)  # product tokens, lower-cased ("*" too)
    agent_lines: list[str] = field(default_factory=list)  # "User-agent: CCBot/2.0" as written
    rules: list[PathRule] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)

    def agent_line(self, token: str) -> str:
        """The user-agent line that selected this group for ``token`` (evidence)."""
        for agent, line in zip(self.agents, self.agent_lines, strict=False):
            if agent == token:
                return line
        for agent, line in zip(self.agents, self.agent_lines, strict=False):
            if agent == "*":
                return line
        return self.agent_lines[0] if self.agent_lines else ""


@dataclass(slots=True)
class Verdict:
    """The answer for one path: allowed, and the decisive rule (None: no rule matched)."""

    allowed: bool
    rule: PathRule | None
    evidence: str  # "User-agent: GPTBot / Disallow: /" or "" when no rule matched


class TokenRules:
    """The merged groups that apply to one crawler token (RFC 9309 §2.2.1)."""

    __slots__ = ("groups", "indices", "rules", "token")

    def __init__(self, token: str, groups: tuple[Group, ...], indices: tuple[int, ...]) -> None:
        self.token = token
        self.groups = groups
        self.indices = indices  # which groups of the file; equal indices = same answers
        self.rules = tuple(rule for group in groups for rule in group.rules)

    def verdict(self, url: str, robots: RobotsTxt) -> Verdict:
        path = normalize_path(url)
        if path == "/robots.txt":  # RFC 9309 §2.2.2: implicitly allowed
            return Verdict(True, None, "")
        best: PathRule | None = None
        for rule in self.rules:
            if best is not None and (
                rule.length < best.length or (rule.length == best.length and not rule.allow)
            ):
                continue
            if rule.matches(path):
                best = rule
        if best is None:
            return Verdict(True, None, "")
        agent_line = robots.groups[best.group].agent_line(self.token)
        return Verdict(best.allow, best, f"{agent_line} / {best.raw}")

    def crawl_delay(self) -> float | None:
        """The largest valid ``Crawl-delay`` of the merged groups (None when there is none)."""
        delays = []
        for group in self.groups:
            for record in group.records:
                if record.key == "crawl-delay":
                    try:
                        value = float(record.value.split()[0])
                    except (ValueError, IndexError):
                        continue
                    if value >= 0 and value == value:  # not NaN
                        delays.append(value)
        return max(delays) if delays else None


class RobotsTxt:
    """A parsed robots.txt: groups in file order, records outside groups, per-token lookups."""

    __slots__ = ("_by_token", "groups", "outside")

    def __init__(self, groups: list[Group], outside: list[Record]) -> None:
        self.groups = tuple(groups)
        self.outside = tuple(outside)  # Sitemap, and every record before the first user-agent
        self._by_token: dict[str, TokenRules] = {}

    def for_token(self, token: str) -> TokenRules:
        """The groups for ``token``: those naming it exactly, else the ``*`` groups, else none."""
        key = token.strip().lower()
        found = self._by_token.get(key)
        if found is not None:
            return found
        indices = tuple(i for i, g in enumerate(self.groups) if key and key in g.agents)
        if not indices:
            indices = tuple(i for i, g in enumerate(self.groups) if "*" in g.agents)
        groups = tuple(self.groups[i] for i in indices)
        found = self._by_token[key] = TokenRules(key, groups, indices)
        return found

    def verdict(self, url: str, token: str) -> Verdict:
        return self.for_token(token).verdict(url, self)

    def allowed(self, url: str, token: str) -> bool:
        return self.verdict(url, token).allowed

    def licenses(self, token: str) -> list[Record]:
        """RSL ``License`` records for ``token`` (RSL 1.0 §4.4, erratum 2026-01-16): those of
        the groups selected for it, or, when these have none, the global ones (outside any
        group). File order."""
        scoped = [r for g in self.for_token(token).groups for r in g.records if r.key == "license"]
        if scoped:
            return sorted(scoped, key=lambda r: r.line)
        return [r for r in self.outside if r.key == "license"]

    def records(self, *keys: str) -> list[Record]:
        """Every record with one of ``keys`` (lower-case), in and outside groups, in file order."""
        wanted = set(keys)
        found = [r for r in self.outside if r.key in wanted]
        found += [r for g in self.groups for r in g.records if r.key in wanted]
        return sorted(found, key=lambda r: r.line)


def _split(line: str) -> tuple[str, str] | None:
    """(key as written, value) of one comment-free line, or None when it is not a record."""
    colon = line.find(":")
    if colon >= 0:
        key = line[:colon].strip()
        if _KEY.fullmatch(key):
            return key, line[colon + 1 :].strip()
        return None
    match = _NO_COLON.fullmatch(line)  # "Disallow /": Google reads the missing colon
    if match and match.group(1).lower() in _NO_COLON_KEYS:
        return match.group(1), match.group(2).strip()
    return None


def parse_robots_txt(text: str) -> RobotsTxt:
    """Parse a decoded robots.txt body (see ``crawler.consent.text.decode_text``)."""
    groups: list[Group] = []
    outside: list[Record] = []
    current: Group | None = None
    in_rules = False
    for number, line in enumerate(_LINE_BREAK.split(text.lstrip("\ufeff")), start=1):
        hash_at = line.find("#")
        if hash_at >= 0:
            line = line[:hash_at]
        parts = _split(line)
        if parts is None:
            continue
        key, value = parts
        lowered = key.lower()
        if lowered in USER_AGENT_KEYS:
            if current is None or in_rules:
                current = Group()
                groups.append(current)
                in_rules = False
            for token in product_tokens(value):
                current.agents.append(token)
                current.agent_lines.append(f"{key}: {value}")
            continue
        raw = f"{key}: {value}"
        if lowered in _RULE_KEYS:
            if current is None:
                continue  # rules before any user-agent line are ignored (§2.2.1)
            in_rules = True
            if lowered in EXTENSION_RULE_KEYS:
                current.records.append(Record(lowered, value, number, raw))
            elif value:  # an empty Allow/Disallow matches nothing
                rule = PathRule(lowered in ALLOW_KEYS, value, number, raw, len(groups) - 1)
                current.rules.append(rule)
            continue
        record = Record(lowered, value, number, raw)
        if current is None or lowered == "sitemap":  # Sitemap is file-wide (§2.2.4)
            outside.append(record)
        else:
            current.records.append(record)
    return RobotsTxt(groups, outside)
