"""robots.txt extension records that Protego drops (consent-signals.md §1, §5, §6, §8).

* ``Content-Usage: [<path> SP] <prefs>`` - IETF AIPREF attachment (draft-ietf-aipref-attach-05).
* ``Content-Signal: [<path> SP] <signals>`` - Cloudflare Content Signals (no documented path
  syntax; an optional leading path is accepted like AIPREF's).
* ``DisallowAITraining:`` / ``AllowAITraining:`` - draft-canel-robots-ai-control (expired).

Grouping is not done here: the records are read from the groups of the one parse of the file
(``crawler.consent.robotstxt``, whose docstring has the rules), the same groups that answer
Allow/Disallow, so the two readings cannot disagree. A group's agents are product tokens.

``RobotsExtensions.signals`` evaluates the groups naming one of our tokens *and* the ``*`` group
and combines them most-restrictively: stricter than RFC 9309's "one group" choice, as the digest
recommends (§6) - a named-bot group rarely repeats the ``*`` group's Content-Signal line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crawler.consent.aipref import SWITCH as AIPREF_SWITCH
from crawler.consent.aipref import UsagePreferences, most_restrictive, value_preferences
from crawler.consent.contentsignal import SWITCH as CONTENT_SIGNAL_SWITCH
from crawler.consent.contentsignal import ai_train_preference
from crawler.consent.family import EvalEnv, Family, ImageContext, PageContext, Reason, Switch
from crawler.consent.patterns import PathPattern, normalize_path, path_pattern
from crawler.consent.robots import FAMILY as ROBOTS_FAMILY
from crawler.consent.robotstxt import EXTENSION_RULE_KEYS, RobotsTxt, parse_robots_txt
from crawler.consent.rowchecks import record_signals
from crawler.consent.verdict import Decision, Signal

__all__ = ["RobotsExtensions", "parse_robots_extensions"]

MAX_ROBOTS_CHARS = 512 * 1024

_USAGE, _SIGNAL = "content-usage", "content-signal"
# Cheap pre-check for parse_robots_extensions: most robots.txt files carry none of these records.
_HAS_EXTENSION = re.compile(
    r"^[ \t\ufeff]*(?:content-usage|content-signal|(?:dis)?allowaitraining)[ \t]*:",
    re.IGNORECASE | re.MULTILINE,
)
# Path at the start of a Content-Usage / Content-Signal value: "/" up to the first SP or HTAB.
_LEADING_PATH = re.compile(r"(/[^ \t]*)[ \t]+(.*)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: PathPattern
    verdict: Decision
    raw: str  # "Content-Usage: / train-ai=n" - evidence
    prefs: UsagePreferences | None = None  # Content-Usage: all vocab-08 categories


@dataclass(slots=True)
class _Group:
    agents: list[str]
    usage: list[_Rule]
    signal: list[_Rule]
    aitrain: list[_Rule]


def _pref_rule(key: str, value: str, raw: str) -> _Rule:
    match = _LEADING_PATH.fullmatch(value)
    # AIPREF attach: a rule without a path applies to all paths, i.e. it is equivalent to "/";
    # identical paths then combine restrictively.
    path, prefs = (match.group(1), match.group(2)) if match else ("/", value)
    if key == _USAGE:
        usage = value_preferences(prefs)
        verdict = {"n": Decision.DISALLOW, "y": Decision.ALLOW}.get(usage.train_ai or "")
        return _Rule(path_pattern(path), verdict or Decision.UNKNOWN, raw, usage)
    preference = ai_train_preference(prefs)
    verdict = {"no": Decision.DISALLOW, "yes": Decision.ALLOW}.get(preference or "")
    return _Rule(path_pattern(path), verdict or Decision.UNKNOWN, raw)


_RESTRICTIVE_RANK = {Decision.DISALLOW: 2, Decision.ALLOW: 1, Decision.UNKNOWN: 0}
_PERMISSIVE_RANK = {Decision.ALLOW: 2, Decision.DISALLOW: 1, Decision.UNKNOWN: 0}


def _longest(rules: list[_Rule], path: str, tie_rank: dict[Decision, int]) -> _Rule | None:
    """The longest matching rule; ``tie_rank`` breaks ties between equally long patterns."""
    best: _Rule | None = None
    best_key = (-1, -1)
    for rule in rules:
        key = (rule.pattern.length, tie_rank[rule.verdict])
        if key > best_key and rule.pattern.matches(path):
            best, best_key = rule, key
    return best


def _restrictive(rules: list[_Rule], path: str) -> _Rule | None:
    """Content-Usage: identical paths with conflicting values combine most-restrictively
    (AIPREF attach §3.1 - the opposite of the Allow/Disallow tie rule)."""
    return _longest(rules, path, _RESTRICTIVE_RANK)


def _permissive(rules: list[_Rule], path: str) -> _Rule | None:
    """Allow/Disallow-style rules: an equally long Allow wins (RFC 9309 §2.2.2)."""
    return _longest(rules, path, _PERMISSIVE_RANK)


def _rank(rule: _Rule) -> int:
    return _RESTRICTIVE_RANK[rule.verdict]


_FAMILIES = (
    ("aipref", "usage", _restrictive, "train-ai=n"),
    ("content-signal", "signal", _restrictive, "ai-train=no"),
    ("robots", "aitrain", _permissive, "disallow-ai-training"),
)


class RobotsExtensions:
    """The extension records of one robots.txt, grouped; evaluate with ``signals``."""

    __slots__ = (
        "_by_agent",
        "_scopes",
        "groups",
        "has_extensions",
        "path_independent",
        "source_url",
    )

    @classmethod
    def from_robots(cls, robots: RobotsTxt, source_url: str) -> RobotsExtensions:
        """The extension records of an already parsed robots.txt (its one reading)."""
        return cls(source_url, _extension_groups(robots))

    def __init__(self, source_url: str, groups: list[_Group]) -> None:
        self.source_url = source_url
        self.groups = tuple(g for g in groups if g.usage or g.signal or g.aitrain)
        self.has_extensions = bool(self.groups)
        self._by_agent: dict[str, list[int]] = {}
        for index, group in enumerate(self.groups):
            for agent in group.agents:
                self._by_agent.setdefault(agent, []).append(index)
        self._scopes: dict[tuple[str, ...], tuple[_Group, ...]] = {}
        # Every record's path matches every path ("/", "*", or none given): then ``signals``
        # and ``usage_preferences`` answer alike for every path (their evidence is the record,
        # their source the robots.txt URL), which the regeneration batch path uses.
        self.path_independent = all(
            rule.pattern.matches_every_path
            for group in self.groups
            for rules in (group.usage, group.signal, group.aitrain)
            for rule in rules
        )

    def _scopes_for(self, tokens: Sequence[str], include_star: bool) -> tuple[_Group, ...]:
        key = (*tokens, "\x00*" if include_star else "\x00")
        scopes = self._scopes.get(key)
        if scopes is None:
            # One merged scope per matching token (RFC 9309: groups naming the same agent are
            # merged), plus the merged "*" scope; identical scopes are evaluated once.
            seen: set[tuple[int, ...]] = set()
            merged: list[_Group] = []
            wanted = [t.strip().lower() for t in tokens]  # exact tokens, as in for_token
            if include_star:
                wanted.append("*")
            for token in wanted:
                indices = tuple(self._by_agent.get(token, ()))
                if not indices or indices in seen:
                    continue
                seen.add(indices)
                parts = [self.groups[i] for i in indices]
                merged.append(
                    _Group(
                        [token],
                        [r for g in parts for r in g.usage],
                        [r for g in parts for r in g.signal],
                        [r for g in parts for r in g.aitrain],
                    )
                )
            scopes = self._scopes[key] = tuple(merged)
        return scopes

    def signals(
        self, path: str, tokens: Sequence[str], *, include_star: bool = True
    ) -> list[Signal]:
        """AIPREF / Content-Signal / AI-training signals for ``path`` (a URL or a path).

        One signal per family that has records in the applicable groups: disallow if any
        applicable scope disallows, else allow if any allows, else unknown. ``[]`` when the file
        has no extension records at all (the common case, answered without any matching).
        ``include_star=False`` gives plain RFC 9309 scoping for the named tokens only.
        """
        if not self.has_extensions:
            return []
        scopes = self._scopes_for(tokens, include_star)
        if not scopes:
            return []
        normalized = normalize_path(path)
        out: list[Signal] = []
        for family, attr, pick, detail in _FAMILIES:
            present = False
            chosen: _Rule | None = None
            for scope in scopes:
                rules = getattr(scope, attr)
                if not rules:
                    continue
                present = True
                rule = pick(rules, normalized)
                if rule is not None and (chosen is None or _rank(rule) > _rank(chosen)):
                    chosen = rule
            if not present:
                continue
            if chosen is None or chosen.verdict is Decision.UNKNOWN:
                raw = chosen.raw if chosen is not None else ""
                out.append(Signal.unknown(family, self.source_url, raw))
            elif chosen.verdict is Decision.DISALLOW:
                out.append(Signal.disallow(family, detail, self.source_url, chosen.raw))
            else:
                out.append(Signal.allow(family, self.source_url, chosen.raw))
        return out

    def usage_preferences(
        self, path: str, tokens: Sequence[str], *, include_star: bool = True
    ) -> UsagePreferences | None:
        """All vocab-08 categories of the ``Content-Usage`` records for ``path``; None when the
        applicable groups have no such record.

        In each applicable scope the longest matching path wins and identical paths combine
        most-restrictively per category (attach-05 §3.1); scopes combine most-restrictively,
        as in ``signals``.
        """
        if not self.has_extensions:
            return None
        normalized = normalize_path(path)
        present = False
        found: list[UsagePreferences] = []
        for scope in self._scopes_for(tokens, include_star):
            if not scope.usage:
                continue
            present = True
            matching = [r for r in scope.usage if r.pattern.matches(normalized)]
            if matching:
                longest = max(r.pattern.length for r in matching)
                found.extend(r.prefs for r in matching if r.pattern.length == longest and r.prefs)
        return most_restrictive(found) if present else None


def _extension_groups(robots: RobotsTxt) -> list[_Group]:
    groups: list[_Group] = []
    for group in robots.groups:
        ours = _Group(list(dict.fromkeys(group.agents)), [], [], [])
        for record in group.records:
            key, value, raw = record.key, record.value, record.raw
            if not value or key not in EXTENSION_RULE_KEYS:
                continue  # an empty value is a no-op, like "Disallow:"
            if key == _USAGE:
                ours.usage.append(_pref_rule(_USAGE, value, raw))
            elif key == _SIGNAL:
                ours.signal.append(_pref_rule(_SIGNAL, value, raw))
            else:
                verdict = Decision.DISALLOW if key.startswith("dis") else Decision.ALLOW
                ours.aitrain.append(_Rule(path_pattern(value), verdict, raw))
        groups.append(ours)
    return groups


def parse_robots_extensions(text: str, source_url: str) -> RobotsExtensions:
    """Parse the extension records of a robots.txt body (already decoded to ``str``).

    The crawl does not call this: it reads the records from the file's one parse
    (``RobotsExtensions.from_robots``); this is the entry point for a body on its own.
    """
    if not _HAS_EXTENSION.search(text, 0, MAX_ROBOTS_CHARS):
        return RobotsExtensions(source_url, [])
    return RobotsExtensions.from_robots(parse_robots_txt(text[:MAX_ROBOTS_CHARS]), source_url)


# --- the family declaration (crawler.consent.registry) -----------------------------------------


def _records(rules: Any, url: str, env: EvalEnv) -> list[Signal]:
    # Our token and every AI token: a record addressed to any of them counts. Each record
    # family keeps its own switch (``RECORD_SWITCHES``): the active ones are the policy's.
    return record_signals(rules, url, (env.token, *env.ai_tokens), env.policy.families)


def _page(ctx: PageContext, env: EvalEnv) -> list[Signal]:
    return _records(ctx.documents["robots"], ctx.url, env)


def _image(ctx: ImageContext, env: EvalEnv) -> list[Signal]:
    return _records(ctx.documents["robots"], ctx.url, env)


DISALLOW_AI_TRAINING_SWITCH = Switch(
    "disallow-ai-training",
    "DISALLOW_AI_TRAINING_ENABLED",
    "legacy robots.txt DisallowAITraining: rules",
)

# Its signals carry the family of the preference each record states (aipref, content-signal,
# robots), so that a preference reads the same whether it came in robots.txt or in a header.
RECORDS = Family(
    name="robots-records",
    summary="robots.txt records protego drops, for page and image paths: AIPREF Content-Usage, "
    "Content-Signal, legacy DisallowAITraining",
    spec="draft-ietf-aipref-attach; contentsignals.org; draft-canel-robots-ai-control",
    reasons=(
        Reason("aipref:train-ai=n", "robots.txt Content-Usage: train-ai=n"),
        Reason("content-signal:ai-train=no", "robots.txt Content-Signal: ai-train=no"),
        Reason("robots:disallow-ai-training", "robots.txt DisallowAITraining: covers the path"),
    ),
    switches=(DISALLOW_AI_TRAINING_SWITCH, AIPREF_SWITCH, CONTENT_SIGNAL_SWITCH),
    documents=(ROBOTS_FAMILY.documents[0],),
    page=_page,
    image=_image,
    url_only=True,
)
