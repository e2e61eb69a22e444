"""robots.txt per RFC 9309, built on protego, with the status semantics Scrapy lacks.

Scrapy's own middleware parses whatever body comes back and allows everything on a network error;
RFC 9309 §2.3.1 says an unreachable robots.txt (5xx, network error) MUST be read as complete
disallow. Here the fetch outcome is turned into one of three states:

- ``parsed``:      2xx, rules obeyed (only the first ``MAX_ROBOTS_BYTES`` are parsed, §2.5);
- ``unavailable``: 4xx other than 429, no restrictions (§2.3.1.3);
- ``unreachable``: 429 (as Google does), 5xx, a timeout, a network error or a redirect chain
  longer than 5 hops: complete disallow, reason ``robots:unreachable`` (§2.3.1.4). We fail
  closed on the redirect case even though the RFC allows "unavailable" there.

Besides our own product token, the rules are evaluated for the AI-crawler tokens: a disallow for
any of them on a path means the site refused AI training there (consent-signals.md §1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from protego import Protego

from crawler.consent.text import MAX_TEXT_BYTES, decode_text
from crawler.consent.verdict import Signal

MAX_ROBOTS_BYTES = MAX_TEXT_BYTES
MAX_REDIRECTS = 5

RobotsState = Literal["parsed", "unavailable", "unreachable"]


@dataclass(slots=True)
class RobotsRules:
    """The robots.txt of one origin (scheme://host:port), ready to answer path queries."""

    origin: str
    state: RobotsState
    detail: str = ""  # why: "http 503", "timeout", "4xx: no restrictions", ...
    protego: Protego | None = None
    text: str = ""
    _token_groups: dict[str, object] = field(default_factory=dict)
    _extensions: object | None = None

    @property
    def unreachable(self) -> bool:
        return self.state == "unreachable"

    @property
    def source(self) -> str:
        return f"{self.origin}/robots.txt"

    def allowed(self, url: str, token: str) -> bool:
        """Whether ``token`` may fetch ``url`` (a full URL or a path)."""
        if self.state == "unreachable":
            return False
        if self.protego is None:
            return True
        return self.protego.can_fetch(url, token)

    def check(self, url: str, token: str) -> Signal:
        """Crawl permission for our own token as a Signal (family ``robots``)."""
        if self.state == "unreachable":
            return Signal.disallow("robots", "unreachable", self.source, self.detail)
        if self.protego is not None and not self.protego.can_fetch(url, token):
            return Signal.disallow("robots", "disallowed", self.source, token)
        return Signal.allow("robots", self.source, self.state)

    def ai_token_signals(self, url: str, our_token: str, ai_tokens: Sequence[str]) -> list[Signal]:
        """A disallow for each AI token whose group refuses ``url`` while ours allows it.

        Tokens that fall into the same group as ours give the same answer and are skipped, so
        the common file (one ``*`` group) costs nothing per URL. protego's group lookup is
        private API, but memoised and stable across its releases; it is the only way to ask
        "which group applies" without re-implementing its matcher.
        """
        if self.protego is None or self.state != "parsed":
            return []
        out = []
        for token in self._distinct_ai_tokens(our_token, ai_tokens):
            if not self.protego.can_fetch(url, token):
                out.append(Signal.disallow("robots", f"ai-token={token}", self.source, token))
        return out

    def _distinct_ai_tokens(self, our_token: str, ai_tokens: Sequence[str]) -> list[str]:
        # One crawl uses one token list: remember the answer for the last list seen.
        cached = self._token_groups.get(our_token)
        if cached is not None and cached[0] is ai_tokens:
            return cached[1]  # type: ignore[return-value]
        assert self.protego is not None
        # protego's group choice per token (its own memoised lookup); one query per group.
        ours = self.protego._get_matching_rule_set(our_token)
        distinct = [
            token
            for token in ai_tokens
            if (group := self.protego._get_matching_rule_set(token)) is not None
            and group is not ours
        ]
        self._token_groups[our_token] = (ai_tokens, distinct)
        return distinct

    def crawl_delay(self, token: str) -> float | None:
        if self.protego is None:
            return None
        return self.protego.crawl_delay(token)

    def extension_signals(self, url_path: str, tokens: Sequence[str]) -> list[Signal]:
        """AIPREF ``Content-Usage``, ``Content-Signal`` and ``DisallowAITraining`` records."""
        if self.state != "parsed" or not self.text:
            return []
        if self._extensions is None:
            from crawler.consent.robots_ext import parse_robots_extensions

            self._extensions = parse_robots_extensions(self.text, self.source)
        ext = self._extensions
        if not getattr(ext, "has_extensions", True):
            return []
        return ext.signals(url_path, tokens)  # type: ignore[attr-defined]


def robots_from_fetch(
    origin: str,
    status: int | None,
    body: bytes | None,
    *,
    error: str | None = None,
) -> RobotsRules:
    """Turn one fetch of ``/robots.txt`` into rules, following RFC 9309 §2.3.1.

    ``status`` is the final status after redirects were followed (None on a network error or
    timeout, with ``error`` saying which); a remaining 3xx means the redirect limit was hit.
    """
    if status is None:
        return RobotsRules(origin, "unreachable", error or "network error")
    if 200 <= status < 300:
        text = decode_text(body or b"")
        return RobotsRules(origin, "parsed", f"http {status}", Protego.parse(text), text)
    if status == 429:
        return RobotsRules(origin, "unreachable", "http 429")
    if 400 <= status < 500:
        return RobotsRules(origin, "unavailable", f"http {status}: no restrictions")
    if 300 <= status < 400:
        return RobotsRules(origin, "unreachable", f"more than {MAX_REDIRECTS} redirects")
    return RobotsRules(origin, "unreachable", f"http {status}")
