"""robots.txt per RFC 9309, with the status semantics Scrapy lacks.

Scrapy's own middleware parses whatever body comes back and allows everything on a network error;
RFC 9309 §2.3.1 says an unreachable robots.txt (5xx, network error) MUST be read as complete
disallow. Here the fetch outcome is turned into one of three states:

- ``parsed``:      2xx, rules obeyed (only the first ``MAX_ROBOTS_BYTES`` are parsed, §2.5);
- ``unavailable``: 4xx other than 429, no restrictions (§2.3.1.3);
- ``unreachable``: 429 (as Google does), 5xx, a timeout, a network error or a redirect chain
  longer than 5 hops: complete disallow, reason ``robots:unreachable`` (§2.3.1.4). We fail
  closed on the redirect case even though the RFC allows "unavailable" there.

A parsed body is read once, by ``crawler.consent.robotstxt`` (its docstring records the
design): the same groups answer allow/disallow for our token and every AI token,
``Crawl-delay``, and the extension records of ``crawler.consent.robots_ext``. Besides our own
product token, the rules are evaluated for the AI-crawler tokens: a disallow for any of them on a
path means the site refused AI training there (consent-signals.md §1). Every robots signal
carries its evidence: the matched rule (``User-agent: GPTBot / Disallow: /``) or the error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from crawler.consent.family import (
    DocumentSpec,
    EvalEnv,
    Family,
    ImageContext,
    PageContext,
    Reason,
    Switch,
)
from crawler.consent.robotstxt import RobotsTxt, parse_robots_txt
from crawler.consent.rowchecks import image_robots_signals, page_robots_signals
from crawler.consent.text import MAX_TEXT_BYTES, decode_text
from crawler.consent.verdict import Signal

if TYPE_CHECKING:
    from crawler.consent.aipref import UsagePreferences
    from crawler.consent.robots_ext import RobotsExtensions

MAX_ROBOTS_BYTES = MAX_TEXT_BYTES
MAX_REDIRECTS = 5
# Answers remembered across all robots.txt files (RobotsRules._recall): key (id of the rules,
# question, URL, tokens), value (the rules, answer); the rules in the value keep their id from
# being reused while the entry lives. Cleared when full: memory stays bounded in any run.
MEMO_SIZE = 32768
_MEMO: dict[tuple[Any, ...], tuple[Any, Any]] = {}
_MISSING: Any = object()

RobotsState = Literal["parsed", "unavailable", "unreachable"]


@dataclass(slots=True)
class RobotsRules:
    """The robots.txt of one origin (scheme://host:port), ready to answer path queries."""

    origin: str
    state: RobotsState
    detail: str = ""  # why: "http 503", "timeout", "4xx: no restrictions", ...
    robots: RobotsTxt | None = None
    text: str = ""
    _distinct: dict[str, tuple[Sequence[str], list[str]]] = field(default_factory=dict)
    _extensions: Any = None

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
        if self.robots is None:
            return True
        return self.robots.allowed(url, token)

    # Answers per URL (and token or tokens) are remembered in ``_MEMO``: a crawl asks about
    # the same image URLs from page after page, and an answer reads only the file and the URL.
    def _recall(self, key: tuple[Any, ...]) -> Any:
        found = _MEMO.get(key)
        if found is not None and found[0] is self:
            return found[1]
        return _MISSING

    def _remember(self, key: tuple[Any, ...], value: Any) -> Any:
        if len(_MEMO) >= MEMO_SIZE:
            _MEMO.clear()
        _MEMO[key] = (self, value)
        return value

    def check(self, url: str, token: str) -> Signal:
        """Crawl permission for our own token as a Signal (family ``robots``).

        The value is the evidence: the error of an unreachable file, the matched rule
        (``User-agent: * / Disallow: /private/``), or the state when no rule matched.
        """
        key = (id(self), "check", url, token)
        found = self._recall(key)
        if found is _MISSING:
            found = self._remember(key, self._check(url, token))
        return found

    def _check(self, url: str, token: str) -> Signal:
        if self.state == "unreachable":
            return Signal.disallow("robots", "unreachable", self.source, self.detail)
        if self.robots is None:
            return Signal.allow("robots", self.source, self.state)
        verdict = self.robots.verdict(url, token)
        if not verdict.allowed:
            return Signal.disallow("robots", "disallowed", self.source, verdict.evidence)
        return Signal.allow("robots", self.source, verdict.evidence or self.state)

    def ai_token_signals(self, url: str, our_token: str, ai_tokens: Sequence[str]) -> list[Signal]:
        """A disallow for each AI token whose group refuses ``url`` while ours allows it.

        Tokens that fall into the same groups as ours give the same answer and are skipped, so
        the common file (one ``*`` group) costs nothing per URL.
        """
        if self.robots is None or self.state != "parsed":
            return []
        distinct = self._distinct_ai_tokens(our_token, ai_tokens)
        if not distinct:
            return []
        key = (id(self), "ai", url, *distinct)
        found = self._recall(key)
        if found is _MISSING:
            found = self._remember(key, tuple(self._ai_token_signals(url, distinct)))
        return list(found)

    def _ai_token_signals(self, url: str, distinct: list[str]) -> list[Signal]:
        assert self.robots is not None
        out = []
        for token in distinct:
            verdict = self.robots.verdict(url, token)
            if not verdict.allowed:
                out.append(
                    Signal.disallow("robots", f"ai-token={token}", self.source, verdict.evidence)
                )
        return out

    def _distinct_ai_tokens(self, our_token: str, ai_tokens: Sequence[str]) -> list[str]:
        # One crawl uses one token list: remember the answer for the last list seen.
        cached = self._distinct.get(our_token)
        if cached is not None and cached[0] is ai_tokens:
            return cached[1]
        assert self.robots is not None
        ours = self.robots.for_token(our_token).indices
        distinct = [t for t in ai_tokens if self.robots.for_token(t).indices != ours]
        self._distinct[our_token] = (ai_tokens, distinct)
        return distinct

    def crawl_delay(self, token: str) -> float | None:
        if self.robots is None:
            return None
        return self.robots.for_token(token).crawl_delay()

    def extension_signals(self, url_path: str, tokens: Sequence[str]) -> list[Signal]:
        """AIPREF ``Content-Usage``, ``Content-Signal`` and ``DisallowAITraining`` records."""
        ext = self.extensions()
        if ext is None or not ext.has_extensions:
            return []
        key = (id(self), "ext", url_path, *tokens)
        found = self._recall(key)
        if found is _MISSING:
            found = self._remember(key, tuple(ext.signals(url_path, tokens)))
        return list(found)

    def extensions(self) -> RobotsExtensions | None:
        """The file's extension records (parsed once, on first use); None unless parsed."""
        if self.state != "parsed" or self.robots is None:
            return None
        if self._extensions is None:
            from crawler.consent.robots_ext import RobotsExtensions

            self._extensions = RobotsExtensions.from_robots(self.robots, self.source)
        return self._extensions

    def has_usage_records(self) -> bool:
        """Whether any group has an AIPREF ``Content-Usage`` record (row columns to fill)."""
        ext = self.extensions()
        return ext is not None and any(group.usage for group in ext.groups)

    def usage_preferences(self, url_path: str, tokens: Sequence[str]) -> UsagePreferences | None:
        """All vocab-08 categories of the AIPREF ``Content-Usage`` records for the path (None:
        no such record applies)."""
        ext = self.extensions()
        if ext is None:
            return None
        key = (id(self), "usage", url_path, *tokens)
        found = self._recall(key)
        if found is _MISSING:
            found = self._remember(key, ext.usage_preferences(url_path, tokens))
        return found


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
        return RobotsRules(origin, "parsed", f"http {status}", parse_robots_txt(text), text)
    if status == 429:
        return RobotsRules(origin, "unreachable", "http 429")
    if 400 <= status < 500:
        return RobotsRules(origin, "unavailable", f"http {status}: no restrictions")
    if 300 <= status < 400:
        return RobotsRules(origin, "unreachable", f"more than {MAX_REDIRECTS} redirects")
    return RobotsRules(origin, "unreachable", f"http {status}")


# --- the family declaration (crawler.consent.registry) -----------------------------------------


def _parse_document(origin: str, status: int | None, body: bytes | None, error: str | None) -> Any:
    return robots_from_fetch(origin, status, body, error=error)


def _ai_tokens(env: EvalEnv) -> Sequence[str] | None:
    # The same tuple object every call: RobotsRules caches its distinct AI tokens by identity.
    return env.ai_tokens if _AI_TOKENS in env.policy.families else None


def _page(ctx: PageContext, env: EvalEnv) -> list[Signal]:
    # The page host's verdict goes into every row's evidence, also when the middleware already
    # let the page through (an allow then). A page known only by its URL (regenerate without
    # --fetch-pages) was never seen by the middleware: this is its crawl-permission check.
    return page_robots_signals(ctx.documents["robots"], ctx.url, env.token, _ai_tokens(env))


def _image(ctx: ImageContext, env: EvalEnv) -> list[Signal]:
    # An image the index merely records is never requested: its own host's robots.txt (a CDN is
    # often another host) is checked here.
    return image_robots_signals(ctx.documents["robots"], ctx.url, env.token, _ai_tokens(env))


AI_TOKENS_SWITCH = Switch(
    "robots-ai-tokens",
    "ROBOTS_AI_TOKENS_ENABLED",
    "robots.txt refusals addressed to AI_TOKENS",
)
_AI_TOKENS = AI_TOKENS_SWITCH.name  # read per row: the policy's set, without a call

FAMILY = Family(
    name="robots",
    summary="robots.txt of the page host and of each image host, for our token "
    "(crawl permission) and the AI_TOKENS (an AI-training opt-out)",
    spec="RFC 9309; consent-signals.md §1",
    reasons=(
        Reason("robots:disallowed", "robots.txt refuses our token"),
        Reason(
            "robots:unreachable",
            "robots.txt 429/5xx/unreachable: complete disallow",
            "unverifiable",
        ),
        Reason("robots:ai-token=*", "robots.txt refuses an AI-crawler token on this path"),
    ),
    switches=(AI_TOKENS_SWITCH,),
    documents=(DocumentSpec("robots", _parse_document, "/robots.txt", obey_robots=False),),
    page=_page,
    image=_image,
    url_only=True,
    required=True,
)
