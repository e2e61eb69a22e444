"""The regeneration batch path: one Arrow batch decided per origin, not per row (issue 16).

With the image probe off and no page to fetch, a row's decision is a function of its image
origin's documents, its page origin's documents and the two URLs' paths. Most origins' documents
say nothing path-specific for any of our tokens (no robots.txt rules in the groups that apply,
no ai.txt or tdmrep.json, or a blanket refusal): for those the signals are computed once per
(image origin, page origin) pair and given to every row of the pair with Arrow ``take``s. Rows of
an origin with robots.txt path rules get its robots step once per set of the origin's patterns
that match their paths (``crawler.regen.pathmatch``: RE2 over the column); other path-dependent
steps are evaluated row by row, with the same calls.

The checks are the pipelines' own pure evaluators (``crawler.consent.rowchecks``, ``AiTxt.check``,
``tdmrep_signal``) called in the pipelines' order, and the row is decided by the same
``PageVerdict``; ``tests/regen/test_batch_path_e2e.py`` runs both paths on the same input and
compares rows, reasons and consent records. No Scrapy imports: documents come in as a mapping.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crawler.consent.aipref import (
    USAGE_COLUMNS,
    UsagePreferences,
    robots_preferences,
    row_preferences,
)
from crawler.consent.rowchecks import RECORD_SWITCHES, image_robots_signals, page_robots_signals
from crawler.consent.rowchecks import record_signals as robots_record_signals
from crawler.consent.tdmrep import tdmrep_signal
from crawler.consent.verdict import PageVerdict, Signal
from crawler.output.shards import CONSENT_RECORD
from crawler.regen.pathmatch import PatternIndex, coded_match_sets, normalized_paths
from crawler.urlcolumn import by_authority

__all__ = [
    "BatchDecider",
    "BatchDecision",
    "Guarded",
    "RowChecks",
    "address_guard",
    "make_checks",
    "origin_uniform",
]

INVALID_URL = "input:invalid-url"
CONSENT_LIST = pa.list_(CONSENT_RECORD)
REASONS_LIST = pa.list_(pa.string())
# Where a consent record's ``source`` comes from: the template itself, or the row's own URLs
# (TDMRep names the URL it decided when no file entry matched).
_FIXED, _IMAGE_URL, _PAGE_URL = 0, 1, 2

# (kind, origin) -> parsed document
Documents = Mapping[tuple[str, str], Any]

# The image's steps, in pipeline order (the page's are robots, aitxt, tdmrep, records).
IMAGE_STEPS = ("robots", "aitxt", "records", "tdmrep")
_NO_PAGE: tuple[tuple[Signal, ...], ...] = ((), (), (), ())
_NO_IMAGE = _NO_PAGE


@dataclass(frozen=True, slots=True)
class RowChecks:
    """Which steps the pipelines run for a row, and with what (from the policy and settings).

    ``probe_signal``: what the probe step records with ``IMAGE_PROBE=off``; ``license_reason``:
    the licence filter's reason for a row with no licence evidence (None: no filter).
    """

    token: str
    ai_tokens: tuple[str, ...] | None  # None: the policy does not read AI tokens
    record_switches: frozenset[str]  # active robots.txt record families; empty: step off
    record_tokens: tuple[str, ...]  # our token and every AI token (RobotsRecordsPipeline)
    aitxt: bool
    tdmrep: bool
    unreadable_excludes: bool
    probe_signal: Signal
    license_reason: str | None = None
    # The tokens whose robots.txt Content-Usage records fill the aipref columns (the aipref
    # family's ``image_columns``); None: the family is off, no columns.
    usage_tokens: tuple[str, ...] | None = None

    def kinds(self) -> tuple[str, ...]:
        """The document kinds these checks read."""
        return (
            ("robots",) + (("aitxt",) if self.aitxt else ()) + (("tdmrep",) if self.tdmrep else ())
        )

    def signals(
        self,
        docs: Documents,
        url: str,
        origin: str | None,
        page_url: str | None,
        page_origin: str | None,
    ) -> list[Signal]:
        """A row's signals, in the order of ``ITEM_PIPELINES`` (rows of a regeneration item)."""
        if origin is None:
            page_origin = None  # an unusable row is not checked, nor is its page
        page = None
        if page_origin is not None and page_url is not None:
            page = self.page_parts(docs, page_url, page_origin)
        image = (
            tuple(self.image_step(k, docs, url, origin) for k in IMAGE_STEPS)
            if origin is not None
            else None
        )
        return self.merge(page, image)

    def merge(
        self,
        page: tuple[tuple[Signal, ...], ...] | None,
        image: tuple[tuple[Signal, ...], ...] | None,
    ) -> list[Signal]:
        """The page's and the image's step results in pipeline order (``ITEM_PIPELINES``):
        200 robots (page, image), 300 ai.txt (page, image), 310 TDMRep of the page, 330 robots.txt
        records (page, image), 500 the probe (off), 610 TDMRep of the image. 320/340/620/640 need
        a fetched page or a probe; 800 (licence) finds no evidence without either."""
        p = page or _NO_PAGE
        i = image or _NO_IMAGE
        return [*p[0], *i[0], *p[1], *i[1], *p[2], *p[3], *i[2], self.probe_signal, *i[3]]

    def page_parts(
        self, docs: Documents, page_url: str, page_origin: str
    ) -> tuple[tuple[Signal, ...], ...]:
        """(robots, ai.txt, TDMRep, records) of a page known by its URL only."""
        strict = self.unreadable_excludes
        rules = docs["robots", page_origin]
        robots = page_robots_signals(rules, page_url, self.token, self.ai_tokens)
        aitxt: tuple[Signal, ...] = ()
        if self.aitxt:
            aitxt = (docs["aitxt", page_origin].check(page_url, unreadable_excludes=strict),)
        tdm: tuple[Signal, ...] = ()
        if self.tdmrep:
            file = docs["tdmrep", page_origin]
            tdm = (tdmrep_signal(page_url, file, None, None, page_url, unreadable_excludes=strict),)
        records: list[Signal] = []
        if self.record_switches:
            records = robots_record_signals(
                rules, page_url, self.record_tokens, self.record_switches
            )
        return (tuple(robots), aitxt, tdm, tuple(records))

    def image_step(self, step: str, docs: Documents, url: str, origin: str) -> tuple[Signal, ...]:
        """One of the image's steps (``IMAGE_STEPS``); () when the policy does not run it."""
        if step == "robots":
            return tuple(
                image_robots_signals(docs["robots", origin], url, self.token, self.ai_tokens)
            )
        if step == "aitxt":
            if not self.aitxt:
                return ()
            return (docs["aitxt", origin].check(url, unreadable_excludes=self.unreadable_excludes),)
        if step == "records":
            if not self.record_switches:
                return ()
            rules = docs["robots", origin]
            return tuple(
                robots_record_signals(rules, url, self.record_tokens, self.record_switches)
            )
        if not self.tdmrep:
            return ()
        file = docs["tdmrep", origin]
        strict = self.unreadable_excludes
        return (tdmrep_signal(url, file, None, None, url, unreadable_excludes=strict),)

    def own_reasons(self, origin: str | None) -> list[str]:
        return self.row_reasons([] if origin is not None else [INVALID_URL])

    def row_reasons(self, reasons: Sequence[str]) -> list[str]:
        """A row's own reasons (from its URL) and the licence filter's, in pipeline order."""
        out = list(reasons)
        if self.license_reason:
            out.append(self.license_reason)
        return out


def make_checks(
    *,
    token: str,
    ai_tokens: Sequence[str],
    use_ai_tokens: bool,
    record_switches: Sequence[str],
    aitxt: bool,
    tdmrep: bool,
    unreadable_excludes: bool,
    probe_signal: Signal,
    license_reason: str | None = None,
    usage_columns: bool = False,
) -> RowChecks:
    """``RowChecks`` from the policy's answers (``record_switches``: the active record switches;
    ``usage_columns``: the aipref family is on, so its row columns are filled)."""
    return RowChecks(
        token=token,
        ai_tokens=tuple(ai_tokens) if use_ai_tokens else None,
        record_switches=frozenset(s for s in record_switches if s in RECORD_SWITCHES.values()),
        record_tokens=(token, *ai_tokens),
        aitxt=aitxt,
        tdmrep=tdmrep,
        unreadable_excludes=unreadable_excludes,
        probe_signal=probe_signal,
        license_reason=license_reason,
        usage_tokens=(token, *ai_tokens) if usage_columns else None,
    )


# --- which origins decide the same for every path -----------------------------------------------


def _rule_set_uniform(robots: Any, token: str) -> bool | None:
    """None: the answer (or its evidence, the matched rule) for ``token`` depends on the path;
    else the one answer for every path.

    Verdicts cite their matched rule, so only a group with no rules (allow, no rule cited) or
    with one rule that matches every path (``/``, ``*``) answers alike for every URL; the
    implicit allow of ``/robots.txt`` itself is handled by the caller.
    """
    rules = robots.for_token(token).rules
    if not rules:
        return True
    if len(rules) == 1 and rules[0]._pattern.matches_every_path:
        return rules[0].allow
    return None


# A robots step whose AI-token groups say the same for every path while our token's group has
# path rules: its result is a function of our token's verdict alone (see ``image_robots_signals``),
# so it is evaluated once per (origin, verdict) and our token is checked per row.
BY_OWN_VERDICT = "by-own-verdict"


def _robots_step_uniform(rules: Any, checks: RowChecks) -> bool | str:
    """Whether our token's crawl permission and the AI tokens' refusals are the same for every
    path (True), depend on the path through our token only (``BY_OWN_VERDICT``), or not (False)."""
    if rules.state != "parsed" or rules.robots is None:
        return True  # unreachable (complete disallow) or unavailable (no restrictions)
    robots = rules.robots
    if checks.ai_tokens is not None:
        ours = robots.for_token(checks.token).indices
        for token in checks.ai_tokens:
            if robots.for_token(token).indices == ours:
                continue  # our groups: ai_token_signals skips it (it answers as ours)
            if _rule_set_uniform(robots, token) is None:
                return False
    if _rule_set_uniform(robots, checks.token) is None:
        return BY_OWN_VERDICT
    return True


def _records_uniform(rules: Any, checks: RowChecks) -> bool:
    """Whether the robots.txt records step says the same for every path (no records, or only
    records that apply to every path, such as ``Content-Usage: train-ai=n``)."""
    if not checks.record_switches:
        return True
    ext = rules.extensions()
    return ext is None or ext.path_independent


def _file_uniform(first_rule: Any) -> bool:
    return first_rule.pattern.matches_every_path


def step_uniform(docs: Documents, origin: str, checks: RowChecks) -> tuple[bool | str, ...]:
    """For each of ``IMAGE_STEPS``: whether it says the same for every URL of ``origin`` (up to
    the URL itself as a source); the robots step may be ``BY_OWN_VERDICT``."""
    rules = docs["robots", origin]
    aitxt_same = True
    if checks.aitxt:
        aitxt = docs["aitxt", origin]
        path_rules = not (aitxt.unreadable or aitxt.deny_line or not aitxt.rules)
        aitxt_same = not path_rules or _file_uniform(aitxt.rules[0])
    tdm_same = True
    if checks.tdmrep:
        tdm = docs["tdmrep", origin]
        tdm_same = tdm is None or not tdm.rules or _file_uniform(tdm.rules[0])
    return (
        _robots_step_uniform(rules, checks),
        aitxt_same,
        _records_uniform(rules, checks),
        tdm_same,
    )


def origin_uniform(docs: Documents, origin: str, checks: RowChecks) -> bool:
    """Whether every URL of ``origin`` gets the same signals (up to its own URL as a source)."""
    return all(same is True for same in step_uniform(docs, origin, checks))


# --- origins of a column -------------------------------------------------------------------------


def origins_of(
    column: pa.Array | pa.ChunkedArray, valid_origin: Callable[[Any], str | None]
) -> tuple[list[Any], list[str | None]]:
    """(values, origins) of a URL column: ``values`` as Python objects, ``origins`` as
    ``valid_origin(value)`` for each, computed once per distinct scheme://authority."""
    return by_authority(column, valid_origin)


# --- the address guard ---------------------------------------------------------------------------

# ``crawler.items.candidate_target`` with the run's ALLOWED_NETWORKS: (origin, reasons, signals)
# of a URL, origin None when it must not be checked (not the public web, or an unusable host).
Target = Callable[[str], tuple[str | None, list[str], list[Signal]]]


@dataclass(slots=True)
class Guarded:
    """A URL column's origins once the address guard has run, and its refused rows."""

    origins: list[str | None]  # None: not checked (unusable, or refused by the guard)
    refused: dict[int, tuple[list[str], list[Signal]]]  # row -> (reasons, signals) of the guard


def address_guard(values: Sequence[Any], origins: Sequence[str | None], target: Target) -> Guarded:
    """The address guard of every row (``origins``: the values' ``valid_origin``), as the item
    path applies it (``target`` is its own function, not a copy).

    ``candidate_target`` reads a URL's host only, which its origin names: so it is asked once per
    distinct origin (as ``origin + "/"``), and most origins (public names) end there. Rows of a
    refused origin (IP literals in private ranges, ``localhost``...) are asked one by one: their
    refusal's record cites the row's own URL.
    """
    refused_origins = set()
    for origin in set(origins):
        if origin is None:
            continue
        found, reasons, signals = target(origin + "/")
        if found != origin or reasons or signals:
            refused_origins.add(origin)
    out = list(origins)
    refused: dict[int, tuple[list[str], list[Signal]]] = {}
    if not refused_origins:
        return Guarded(out, refused)
    for i, origin in enumerate(origins):
        if origin in refused_origins:
            found, reasons, signals = target(values[i])
            out[i] = found
            if found is None:
                refused[i] = (reasons, signals)
    return Guarded(out, refused)


# --- one batch ------------------------------------------------------------------------------------

# The image steps decided once per match set (robots, aitxt, tdmrep; not the records).
_SET_STEPS = frozenset(IMAGE_STEPS.index(step) for step in ("robots", "aitxt", "tdmrep"))

# A consent record's source that is the row's own image / page URL (TDMRep names the URL it
# decided when no file entry matched): templates carry these marks, the rows their URLs.
IMAGE_MARK = "\x00image-url"
PAGE_MARK = "\x00page-url"
_CACHE_LIMIT = 65_536  # page URLs (and their step results) remembered across batches
_UNSET: Any = object()
_BY_PATH: Any = object()  # an origin whose Content-Usage records depend on the path


def _marked(signals: tuple[Signal, ...], url: str, mark: str) -> tuple[Signal, ...]:
    for signal in signals:
        if signal.source == url:
            return tuple(replace(s, source=mark) if s.source == url else s for s in signals)
    return signals


_DOCUMENT_NAMES = ("/robots.txt", "/ai.txt", "/tdmrep.json")
_DOCUMENT_NAME = "|".join(re.escape(name) for name in _DOCUMENT_NAMES)


def _own_way(url: str) -> bool:
    """A URL that names a consent document: protego always allows ``/robots.txt``, and a record
    whose source is a document URL must not be taken for the row's own URL. Such rows (there are
    next to none) are evaluated on their own, unshared."""
    return any(name in url for name in _DOCUMENT_NAMES)


def _own_way_rows(values: Sequence[Any], column: pa.Array | None) -> set[int]:
    """The rows whose value is a string for which ``_own_way`` holds: from the Arrow column
    with one kernel when there is one (``_strings``), else value by value."""
    if column is None:
        return {i for i, v in enumerate(values) if isinstance(v, str) and _own_way(v)}
    found = pc.match_substring_regex(column, _DOCUMENT_NAME).fill_null(False)
    return set(pc.indices_nonzero(found).to_pylist())


@dataclass(slots=True)
class BatchDecision:
    """Per row: reasons (empty: kept), consent records, licence; plus how rows were decided."""

    reasons: list[list[str]]
    consent: pa.Array  # list<CONSENT_RECORD>
    license: pa.Array  # string
    shared_rows: int  # rows whose every step came from their origins' one evaluation
    path_rows: int  # rows with at least one step evaluated on their own path
    columns: dict[str, list[Any]] | None = None  # family columns, row-aligned (None: all null)


_RECORD_FIELDS = tuple(field.name for field in CONSENT_RECORD)


@dataclass(slots=True)
class _Outcome:
    reasons: list[str]
    slots: list[int]  # per consent record: _FIXED, or the row's own URL as its source
    # The consent records field by field (CONSENT_RECORD's order): a batch's consent column is
    # assembled from these, an outcome at a time, not a record at a time.
    fields: tuple[list[str], ...]


def _outcome(checks: RowChecks, origin: str | None, signals: list[Signal]) -> _Outcome:
    return _outcome_of(checks.own_reasons(origin), signals)


def _outcome_of(own_reasons: list[str], signals: list[Signal]) -> _Outcome:
    reasons, records = PageVerdict(()).row(own_reasons, signals)
    slots = [_FIXED] * len(records)
    for i, record in enumerate(records):
        if record["source"] == IMAGE_MARK:
            slots[i] = _IMAGE_URL
        elif record["source"] == PAGE_MARK:
            slots[i] = _PAGE_URL
    fields = tuple([record[name] for record in records] for name in _RECORD_FIELDS)
    return _Outcome(reasons, slots, fields)


class _OriginState:
    """What the decider remembers of one origin while its documents stay the same objects."""

    __slots__ = (
        "doc_set",
        "images",
        "numbers",
        "pages",
        "patterns",
        "plan",
        "uniform",
        "usage",
        "usages",
    )

    def __init__(self, doc_set: tuple[Any, ...], plan: tuple[Any, ...], patterns: Any) -> None:
        self.doc_set = doc_set
        self.plan = plan
        # Every step says the same for every path: rows of the origin share ``plan``.
        self.uniform = all(part is not None for part in plan)
        self.patterns = patterns  # {normalized pattern: PathPattern} (``path_patterns``)
        self.numbers: Any = None  # their numbers in the decider's PatternIndex
        self.usage: Any = _UNSET  # aipref preferences: one value, or _BY_PATH
        # Per match set (its bits are positions in ``patterns``, the same in every batch): the
        # image's steps and the page's steps (marked, interned), and the aipref preferences.
        self.images: dict[int, tuple[tuple[Signal, ...], ...]] = {}
        self.pages: dict[int, tuple[tuple[Signal, ...], ...]] = {}
        self.usages: dict[int, UsagePreferences | None] = {}


class BatchDecider:
    """Decides batches; remembers per origin which steps depend on the path and which path
    patterns its documents have, across batches (checked against the documents they came
    from, by identity)."""

    def __init__(self, checks: RowChecks) -> None:
        self.checks = checks
        self._origins: dict[str, _OriginState] = {}
        # (id(page steps), id(image steps)) -> (page steps, image steps, outcome): the steps
        # are interned in the origin states, and held here, so their ids stay theirs.
        self._outcomes: dict[tuple[int, int], tuple[Any, Any, _Outcome]] = {}
        self._patterns = PatternIndex()  # every distinct path pattern of the run, numbered

    def state(self, docs: Documents, origin: str) -> _OriginState:
        """The origin's state, rebuilt when one of its documents is a new object (a refetch
        after ``ROBOTSTXT_CACHE_TTL``)."""
        known = self._origins.get(origin)
        kinds = self.checks.kinds()
        if known is not None:
            for kind, doc in zip(kinds, known.doc_set, strict=True):
                if docs[kind, origin] is not doc:
                    break
            else:
                return known
        doc_set = tuple(docs[kind, origin] for kind in kinds)
        patterns = {p.normalized: p for p in self.path_patterns(docs, origin)}
        state = _OriginState(doc_set, self.plan(docs, origin), patterns)
        state.numbers = self._patterns.numbers(patterns)
        tokens = self.checks.usage_tokens
        if tokens is not None:
            rules = docs["robots", origin]
            ext = rules.extensions()
            if ext is None or not any(group.usage for group in ext.groups):
                state.usage = None
            elif ext.path_independent:
                state.usage = robots_preferences(rules, origin + "/", tokens)
            else:
                state.usage = _BY_PATH
                state.uniform = False  # its rows need their match sets (usage_columns)
        self._origins[origin] = state
        return state

    def plan(self, docs: Documents, origin: str) -> tuple[Any, ...]:
        """Per image step: its result for every URL of the origin (marked), or None (decided
        per set of matching patterns)."""
        checks = self.checks
        probe_url = origin + "/"
        return tuple(
            _marked(checks.image_step(step, docs, probe_url, origin), probe_url, IMAGE_MARK)
            if same is True
            else None
            for step, same in zip(IMAGE_STEPS, step_uniform(docs, origin, checks), strict=True)
        )

    def path_patterns(self, docs: Documents, origin: str) -> list[Any]:
        """Every path pattern the origin's documents match a URL against: robots.txt rules of
        our token and of the AI tokens, its records (Content-Usage, Content-Signal,
        DisallowAITraining), ai.txt rules, tdmrep.json locations. Every step reads a URL only
        through which of these match its normalised path (longest / first match) and as a
        source (marked): so its result is a function of the set of these that match
        (``crawler.regen.pathmatch``)."""
        checks = self.checks
        out: list[Any] = []
        rules = docs["robots", origin]
        if rules.state == "parsed" and rules.robots is not None:
            for token in (checks.token, *(checks.ai_tokens or ())):
                out.extend(r._pattern for r in rules.robots.for_token(token).rules)
            ext = rules.extensions() if checks.record_switches or checks.usage_tokens else None
            if ext is not None:
                for group in ext.groups:
                    for part in (group.usage, group.signal, group.aitrain):
                        out.extend(r.pattern for r in part)
        if checks.aitxt:
            out.extend(r.pattern for r in docs["aitxt", origin].rules)
        if checks.tdmrep:
            file = docs["tdmrep", origin]
            if file is not None:
                out.extend(r.pattern for r in file.rules)
        return out

    def match_sets(
        self,
        urls: Sequence[Any],
        origins: Sequence[str | None],
        states: Mapping[str, _OriginState],
        column: pa.Array | None = None,
    ) -> list[int]:
        """Per row: the set of ``path_patterns`` of its origin that match its path (bit ``k``:
        the origin's ``k``-th pattern); 0 for rows of origins not in ``states`` (or None).
        ``column``: ``urls`` as a string array, when the caller has it."""
        n = len(urls)
        if not states:
            return [0] * n
        code_of: dict[str | None, int] = {origin: code for code, origin in enumerate(states)}
        numbers = [state.numbers for state in states.values()]
        codes = np.fromiter((code_of.get(o, -1) for o in origins), dtype=np.int64, count=n)
        rows = np.flatnonzero(codes >= 0)
        if column is not None:
            paths = normalized_paths(column.take(pa.array(rows)))
        else:
            paths = normalized_paths([urls[i] for i in rows.tolist()])
        found = coded_match_sets(paths, codes[rows], numbers, self._patterns)
        if len(rows) == n:
            return found
        out = [0] * n
        for i, match_set in zip(rows.tolist(), found, strict=True):
            out[i] = match_set
        return out

    def image_by_set(
        self, docs: Documents, url: str, origin: str, state: _OriginState, match_set: int
    ) -> tuple[tuple[Signal, ...], ...]:
        """The image's steps of a row (marked, interned) once per (origin, ``match_set``): the
        plan's shared steps, the others evaluated for this URL."""
        found = state.images.get(match_set)
        if found is None:
            checks = self.checks
            found = tuple(
                part
                if part is not None
                else _marked(checks.image_step(IMAGE_STEPS[k], docs, url, origin), url, IMAGE_MARK)
                for k, part in enumerate(state.plan)
            )
            state.images[match_set] = found
        return found

    def page_by_set(
        self, docs: Documents, page_url: str, page_origin: str, state: _OriginState, match_set: int
    ) -> tuple[tuple[Signal, ...], ...]:
        """The page's step results (marked, interned) once per (page origin, ``match_set``)
        (an origin whose steps are all path-independent has the one set 0)."""
        found = state.pages.get(match_set)
        if found is None:
            parts = self.checks.page_parts(docs, page_url, page_origin)
            found = tuple(_marked(part, page_url, PAGE_MARK) for part in parts)
            state.pages[match_set] = found
        return found

    def decide(
        self,
        docs: Documents,
        urls: Sequence[Any],
        origins: Sequence[str | None],
        pages: Sequence[Any] | None,
        page_origins: Sequence[str | None] | None,
        refused: Mapping[int, tuple[list[str], list[Signal]]] | None = None,
        page_refused: Mapping[int, tuple[list[str], list[Signal]]] | None = None,
        *,
        url_column: pa.Array | None = None,
        page_column: pa.Array | None = None,
    ) -> BatchDecision:
        """Decide every row of a batch.

        ``urls``/``pages``: the raw column values (``""`` stands for a non-string URL, as in the
        item path); ``origins``/``page_origins``: their ``valid_origin``, None where the address
        guard refused them (``address_guard``); ``refused``/``page_refused``: the guard's
        reasons and signals of those rows. ``url_column``/``page_column``: the same values as
        Arrow arrays, when the caller has them (the consent records are built from them).
        """
        checks = self.checks
        if max(len(self._origins), len(self._outcomes), len(self._patterns)) >= _CACHE_LIMIT:
            self._origins.clear()  # bounded (between batches): a LAION run has millions
            self._outcomes.clear()
            self._patterns = PatternIndex()
        known = self._outcomes
        n = len(urls)
        outcomes: list[_Outcome] = []
        by_key: dict[Any, int] = {}
        row_outcome = [0] * n
        path_rows = 0
        states: dict[str, _OriginState] = {}
        for origin in dict.fromkeys(origins):
            if origin is not None:  # documents are fetched for every origin the guard passed
                states[origin] = self.state(docs, origin)
        # Rows of an origin with a path-dependent step: grouped by the set of its patterns
        # that match their paths.
        url_strings, page_strings = _strings(url_column), _strings(page_column)
        image_sets = self.match_sets(
            urls, origins, {o: s for o, s in states.items() if not s.uniform}, url_strings
        )
        # (``states`` gets the page origins too, below.)
        page_sets: list[int] = []
        if pages is not None and page_origins is not None:
            # (The page of a row that is not checked is not checked: its documents may be
            # missing.)
            checked = [
                p if o is not None else None for p, o in zip(page_origins, origins, strict=True)
            ]
            page_states: dict[str, _OriginState] = {}
            for page_origin in dict.fromkeys(checked):
                if page_origin is not None:
                    state = states.get(page_origin)
                    if state is None:
                        state = states[page_origin] = self.state(docs, page_origin)
                    if not state.uniform:
                        page_states[page_origin] = state
            page_sets = self.match_sets(pages, checked, page_states, page_strings)
        refused = refused or {}
        page_refused = page_refused or {}
        own_rows = _own_way_rows(urls, url_strings)
        own_page_rows = _own_way_rows(pages, page_strings) if pages is not None else set()
        invalid: int | None = None
        for i in range(n):
            origin = origins[i]
            url = urls[i]
            if not isinstance(url, str):
                url = ""
            if i in refused or i in page_refused:
                # Not the public web (rare): the guard's evidence (the image's, then the page's)
                # comes first, as the spider puts it on the row before the pipelines run; the
                # row is evaluated on its own.
                guard, page_guard = refused.get(i), page_refused.get(i)
                page_origin = page_origins[i] if page_origins is not None else None
                page = pages[i] if page_origin is not None else None  # type: ignore[index]
                base = guard[0] if guard else ([] if origin is not None else [INVALID_URL])
                own = [*(guard[1] if guard else ()), *(page_guard[1] if page_guard else ())]
                signals = own + checks.signals(docs, url, origin, page, page_origin)
                row_outcome[i] = len(outcomes)
                outcomes.append(_outcome_of(checks.row_reasons(base), signals))
                path_rows += 1
                continue
            if origin is None:  # an unusable row is not checked, nor is its page
                if invalid is None:
                    invalid = len(outcomes)
                    outcomes.append(_outcome(checks, None, checks.merge(None, None)))
                row_outcome[i] = invalid
                continue
            page_origin = page_origins[i] if page_origins is not None else None
            page = pages[i] if page_origin is not None else None  # type: ignore[index]
            if i in own_rows or (page is not None and i in own_page_rows):
                signals = checks.signals(docs, url, origin, page, page_origin)
                row_outcome[i] = len(outcomes)
                outcomes.append(_outcome(checks, origin, signals))
                path_rows += 1
                continue
            state = states[origin]
            if state.uniform:
                image = state.plan
            else:
                path_rows += 1
                match_set = image_sets[i]
                image = state.images.get(match_set) or self.image_by_set(
                    docs, url, origin, state, match_set
                )
            page_parts = None
            if page is not None and page_origin is not None:
                page_set = page_sets[i]
                page_state = states[page_origin]
                page_parts = page_state.pages.get(page_set) or self.page_by_set(
                    docs, page, page_origin, page_state, page_set
                )
            key = (id(page_parts), id(image))
            found = by_key.get(key)
            if found is None:
                found = by_key[key] = len(outcomes)
                remembered = known.get(key)
                if remembered is None:
                    outcome = _outcome(checks, origin, checks.merge(page_parts, image))
                    known[key] = (page_parts, image, outcome)
                else:
                    outcome = remembered[2]
                outcomes.append(outcome)
            row_outcome[i] = found
        reasons = [outcomes[o].reasons for o in row_outcome]
        return BatchDecision(
            reasons=reasons,
            consent=_consent_array(outcomes, row_outcome, urls, pages, url_strings, page_strings),
            license=pa.nulls(n, pa.string()),
            shared_rows=n - path_rows,
            path_rows=path_rows,
            columns=self.usage_columns(
                docs, urls, origins, pages, page_origins, states, image_sets, page_sets
            ),
        )

    def usage_columns(
        self,
        docs: Documents,
        urls: Sequence[Any],
        origins: Sequence[str | None],
        pages: Sequence[Any] | None,
        page_origins: Sequence[str | None] | None,
        states: Mapping[str, _OriginState],
        image_sets: Sequence[int],
        page_sets: Sequence[int],
    ) -> dict[str, list[Any]] | None:
        """The aipref columns of every row, with the aipref family's own functions
        (``crawler.consent.aipref.row_preferences``): the most restrictive of the page host's
        and the image host's robots.txt ``Content-Usage`` records for the two URLs (a row
        without a probe or a fetched page has no headers). Read once per origin when its
        records apply to every path, else once per (origin, match set). None when no row has
        any."""
        tokens = self.checks.usage_tokens
        if tokens is None:
            return None
        n = len(urls)
        # Per row, its place in ``rows`` (0: no columns); each distinct (page, image)
        # preferences pair merged once.
        codes = [0] * n
        rows: list[tuple[str | None, ...] | None] = [None]
        combined: dict[tuple[Any, Any], int] = {}
        with_pages = page_origins is not None and pages is not None
        for i, origin in enumerate(origins):
            if origin is None:
                continue  # not checked (unusable, or refused by the guard): no columns
            state = states[origin]
            image = state.usage
            if image is _BY_PATH:
                image = self._usage_by_set(docs, urls[i], origin, state, image_sets[i])
            page = None
            if with_pages:
                page_origin = page_origins[i]  # type: ignore[index]
                if page_origin is not None:
                    page_state = states[page_origin]
                    page = page_state.usage
                    if page is _BY_PATH:
                        page = self._usage_by_set(
                            docs,
                            pages[i],  # type: ignore[index]
                            page_origin,
                            page_state,
                            page_sets[i],
                        )
            if image is None and page is None:
                continue
            key = (page, image)
            code = combined.get(key)
            if code is None:
                merged = row_preferences([page, image])
                code = combined[key] = len(rows)
                rows.append(tuple(merged.columns().values()))
            codes[i] = code
        if len(rows) == 1:
            return None
        index = np.asarray(codes, dtype=np.intp)
        out: dict[str, list[Any]] = {}
        for k, name in enumerate(USAGE_COLUMNS):
            column = np.empty(len(rows), dtype=object)
            column[:] = [None if row is None else row[k] for row in rows]
            out[name] = column[index].tolist()
        return out

    def _usage_by_set(
        self, docs: Documents, url: str, origin: str, state: _OriginState, match_set: int
    ) -> UsagePreferences | None:
        """The aipref preferences of an origin whose records depend on the path, once per
        match set (``state.usages``)."""
        found = state.usages.get(match_set, _UNSET)
        if found is _UNSET:
            tokens = self.checks.usage_tokens or ()
            found = robots_preferences(docs["robots", origin], url, tokens)
            state.usages[match_set] = found
        return found


def _consent_array(
    outcomes: list[_Outcome],
    row_outcome: list[int],
    urls: Sequence[Any],
    pages: Sequence[Any] | None,
    url_column: pa.Array | None = None,
    page_column: pa.Array | None = None,
) -> pa.Array:
    """Every row's consent records, built from the outcomes' templates with Arrow kernels
    (the row's own URLs from its Arrow columns when given: no conversion from Python)."""
    n = len(row_outcome)
    starts: list[int] = []
    lengths: list[int] = []
    flat: dict[str, list[Any]] = {name: [] for name in _RECORD_FIELDS}
    columns = list(flat.values())
    slots: list[int] = []
    for outcome in outcomes:
        starts.append(len(slots))
        lengths.append(len(outcome.slots))
        for column, values in zip(columns, outcome.fields, strict=True):
            column.extend(values)
        slots.extend(outcome.slots)
    oid = pa.array(row_outcome, type=pa.int64())
    lens = pc.take(pa.array(lengths, type=pa.int64()), oid)
    ends = pc.cumulative_sum(lens)
    offsets = pa.concat_arrays([pa.array([0], type=pa.int64()), ends])
    total = offsets[-1].as_py() if n else 0
    # The row of each flattened record, and its place in its outcome's template.
    parents = pc.list_parent_indices(
        pa.LargeListArray.from_arrays(offsets, pa.nulls(total, pa.int8()))
    ).cast(pa.int64())
    position = pc.subtract(
        pc.subtract(pc.cumulative_sum(pa.nulls(total, pa.int64()).fill_null(1)), 1),
        pc.take(offsets, parents),
    )
    template = pc.add(pc.take(pc.take(pa.array(starts, type=pa.int64()), oid), parents), position)
    fields = {
        name: pc.take(pa.array(values, pa.string()), template) for name, values in flat.items()
    }
    slot = pc.take(pa.array(slots, type=pa.int8()), template)
    url_values = _strings(url_column)
    if url_values is None:
        url_values = pa.array([u if isinstance(u, str) else "" for u in urls], pa.string())
    else:
        url_values = url_values.fill_null("")
    source = pc.if_else(pc.equal(slot, _IMAGE_URL), pc.take(url_values, parents), fields["source"])
    if pages is not None:
        page_values = _strings(page_column)
        if page_values is None:
            page_values = pa.array([p if isinstance(p, str) else None for p in pages], pa.string())
        source = pc.if_else(pc.equal(slot, _PAGE_URL), pc.take(page_values, parents), source)
    records = pa.StructArray.from_arrays(
        [fields["family"], fields["verdict"], source, fields["value"]],
        fields=list(CONSENT_RECORD),
    )
    return pa.ListArray.from_arrays(offsets.cast(pa.int32()), records, type=CONSENT_LIST)


def _strings(column: pa.Array | pa.ChunkedArray | None) -> pa.Array | None:
    """A string column as one ``string`` array (its values are the rows' Python values), None
    for another type (the caller converts the Python values)."""
    if column is None:
        return None
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_string(column.type):
        return column
    if pa.types.is_large_string(column.type):
        return column.cast(pa.string())
    return None
