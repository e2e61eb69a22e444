"""The regeneration batch path: one Arrow batch decided per origin, not per row (issue 16).

With the image probe off and no page to fetch, a row's decision is a function of its image
origin's documents, its page origin's documents and the two URLs' paths. Most origins' documents
say nothing path-specific for any of our tokens (no robots.txt rules in the groups that apply,
no ai.txt or tdmrep.json, or a blanket refusal): for those the signals are computed once per
(image origin, page origin) pair and given to every row of the pair with Arrow ``take``s. Rows of
an origin with path rules are evaluated one by one, with the same calls.

The checks are the pipelines' own pure evaluators (``crawler.consent.rowchecks``, ``AiTxt.check``,
``tdmrep_signal``) called in the pipelines' order, and the row is decided by the same
``PageVerdict``; ``tests/regen/test_batch_path_e2e.py`` runs both paths on the same input and
compares rows, reasons and consent records. No Scrapy imports: documents come in as a mapping.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from crawler.consent.rowchecks import RECORD_SWITCHES, image_robots_signals, page_robots_signals
from crawler.consent.rowchecks import record_signals as robots_record_signals
from crawler.consent.tdmrep import tdmrep_signal
from crawler.consent.verdict import PageVerdict, Signal
from crawler.output.shards import CONSENT_RECORD

__all__ = ["BatchDecision", "RowChecks", "decide_batch", "origin_uniform"]

INVALID_URL = "input:invalid-url"
CONSENT_LIST = pa.list_(CONSENT_RECORD)
REASONS_LIST = pa.list_(pa.string())
# Where a consent record's ``source`` comes from: the template itself, or the row's own URLs
# (TDMRep names the URL it decided when no file entry matched).
_FIXED, _IMAGE_URL, _PAGE_URL = 0, 1, 2

# (kind, origin) -> parsed document
Documents = Mapping[tuple[str, str], Any]


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
        out: list[Signal] = []
        page = page_origin is not None and origin is not None
        token, strict = self.token, self.unreadable_excludes
        # 200 RobotsPipeline: the page's group first, then the image.
        if page:
            out += page_robots_signals(
                docs["robots", page_origin], page_url, token, self.ai_tokens, fetched=False
            )
        if origin is not None:
            out += image_robots_signals(docs["robots", origin], url, token, self.ai_tokens)
        # 300 AiTxtPipeline
        if self.aitxt:
            if page:
                out.append(docs["aitxt", page_origin].check(page_url, unreadable_excludes=strict))
            if origin is not None:
                out.append(docs["aitxt", origin].check(url, unreadable_excludes=strict))
        # 310 TdmRepPagePipeline (a page known by its URL only: no headers, no meta)
        if self.tdmrep and page:
            file = docs["tdmrep", page_origin]
            out.append(
                tdmrep_signal(page_url, file, None, None, page_url, unreadable_excludes=strict)
            )
        # 320 XRobotsPagePipeline, 340 PageHeaderPreferencesPipeline: need a fetched page.
        # 330 RobotsRecordsPipeline
        if self.record_switches:
            tokens = self.record_tokens
            if page:
                out += robots_record_signals(
                    docs["robots", page_origin], page_url, tokens, self.record_switches
                )
            if origin is not None:
                out += robots_record_signals(
                    docs["robots", origin], url, tokens, self.record_switches
                )
        # 500 ProbePipeline with IMAGE_PROBE=off: every row records that it did not look.
        out.append(self.probe_signal)
        # 610 TdmRepImagePipeline (no probe: the host's file only)
        if self.tdmrep and origin is not None:
            file = docs["tdmrep", origin]
            out.append(tdmrep_signal(url, file, None, None, url, unreadable_excludes=strict))
        # 620, 640: need a probe. 800 LicensePipeline: no page tree, no probe: no licence.
        return out

    def own_reasons(self, origin: str | None) -> list[str]:
        reasons = [] if origin is not None else [INVALID_URL]
        if self.license_reason:
            reasons.append(self.license_reason)
        return reasons


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
) -> RowChecks:
    """``RowChecks`` from the policy's answers (``record_switches``: the active record switches)."""
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
    )


# --- which origins decide the same for every path -----------------------------------------------


def _rule_set_uniform(protego: Any, token: str) -> bool | None:
    """None: path rules apply to ``token``; else the one answer for every path.

    protego's group lookup is private API (as in RobotsRules.ai_token_signals); a group with no
    rules allows everything, a group of Disallow rules that include ``/`` refuses everything
    (protego's /robots.txt exception is handled by the caller).
    """
    group = protego._get_matching_rule_set(token)
    if group is None or not group._rules:
        return True
    rules = group._rules
    if all(r.field == "allow" for r in rules):
        return True
    if all(r.field == "disallow" for r in rules) and any(r.value._pattern == "/" for r in rules):
        return False
    return None


def _robots_uniform(rules: Any, checks: RowChecks) -> bool:
    if rules.state != "parsed" or rules.protego is None:
        return True  # unreachable (complete disallow) or unavailable (no restrictions)
    ours = _rule_set_uniform(rules.protego, checks.token)
    if ours is None:
        return False
    if ours and checks.ai_tokens is not None:
        for token in checks.ai_tokens:
            if _rule_set_uniform(rules.protego, token) is None:
                return False
    if checks.record_switches:
        rules.extension_signals("/", ())  # parses the records once (cached on the rules)
        if getattr(rules._extensions, "has_extensions", True):
            return False
    return True


def _file_uniform(first_rule: Any) -> bool:
    return first_rule.pattern.matches_every_path


def origin_uniform(docs: Documents, origin: str, checks: RowChecks) -> bool:
    """Whether every URL of ``origin`` gets the same signals (up to its own URL as a source)."""
    if not _robots_uniform(docs["robots", origin], checks):
        return False
    if checks.aitxt:
        aitxt = docs["aitxt", origin]
        path_rules = not (aitxt.unreadable or aitxt.deny_line or not aitxt.rules)
        if path_rules and not _file_uniform(aitxt.rules[0]):
            return False
    if checks.tdmrep:
        tdm = docs["tdmrep", origin]
        if tdm is not None and tdm.rules and not _file_uniform(tdm.rules[0]):
            return False
    return True


# --- one batch ------------------------------------------------------------------------------------


@dataclass(slots=True)
class BatchDecision:
    """Per row: reasons (empty: kept), consent records, licence; plus how rows were decided."""

    reasons: list[list[str]]
    consent: pa.Array  # list<CONSENT_RECORD>
    license: pa.Array  # string
    shared_rows: int  # rows decided by their origins' one evaluation
    path_rows: int  # rows evaluated on their own paths


@dataclass(slots=True)
class _Outcome:
    reasons: list[str]
    records: list[dict[str, str]]
    slots: list[int]


def _outcome(
    checks: RowChecks,
    docs: Documents,
    url: str,
    origin: str | None,
    page: str | None,
    page_origin: str | None,
    shared: bool,
) -> _Outcome:
    signals = checks.signals(docs, url, origin, page, page_origin)
    reasons, records = PageVerdict(()).row(checks.own_reasons(origin), signals)
    slots = [_FIXED] * len(records)
    if shared:
        for i, record in enumerate(records):
            if url and record["source"] == url:
                slots[i] = _IMAGE_URL
            elif page and record["source"] == page:
                slots[i] = _PAGE_URL
    return _Outcome(reasons, records, slots)


def _own_way(url: str) -> bool:
    """A URL that names a consent document: protego always allows ``/robots.txt``, and a record
    whose source is a document URL must not be taken for the row's own URL. Such rows (there are
    next to none) are evaluated on their own."""
    return "/robots.txt" in url or "/ai.txt" in url or "/tdmrep.json" in url


def decide_batch(
    checks: RowChecks,
    docs: Documents,
    urls: Sequence[Any],
    origins: Sequence[str | None],
    pages: Sequence[Any] | None,
    page_origins: Sequence[str | None] | None,
    uniform: Callable[[str], bool],
) -> BatchDecision:
    """Decide every row of a batch. ``uniform(origin)``: ``origin_uniform`` memoised by the caller.

    ``urls``/``pages``: the raw column values (``""`` is used for a non-string URL, as the item
    path does); ``origins``/``page_origins``: their ``valid_origin``.
    """
    n = len(urls)
    outcomes: list[_Outcome] = []
    by_key: dict[tuple[str | None, str | None] | None, int] = {}
    row_outcome = [0] * n
    path_rows = 0
    for i in range(n):
        origin = origins[i]
        page_origin = page_origins[i] if page_origins is not None else None
        if origin is None:
            page_origin = None  # an unusable row is not checked, nor is its page
        url = urls[i] if isinstance(urls[i], str) else ""
        page = pages[i] if page_origin is not None and pages is not None else None
        key = (origin, page_origin)
        if _own_way(url) or (page is not None and _own_way(page)):
            key = None
        else:
            found = by_key.get(key)
            if found is not None:
                row_outcome[i] = found
                continue
        shared = (
            key is not None
            and (origin is None or uniform(origin))
            and (page_origin is None or uniform(page_origin))
        )
        outcome = _outcome(checks, docs, url, origin, page, page_origin, shared)
        row_outcome[i] = len(outcomes)
        outcomes.append(outcome)
        if shared:
            by_key[key] = row_outcome[i]
        else:
            path_rows += 1
    reasons = [outcomes[o].reasons for o in row_outcome]
    consent = _consent_array(outcomes, row_outcome, urls, pages)
    return BatchDecision(
        reasons=reasons,
        consent=consent,
        license=pa.nulls(n, pa.string()),
        shared_rows=n - path_rows,
        path_rows=path_rows,
    )


def _consent_array(
    outcomes: list[_Outcome],
    row_outcome: list[int],
    urls: Sequence[Any],
    pages: Sequence[Any] | None,
) -> pa.Array:
    """Every row's consent records, built from the outcomes' templates with Arrow kernels."""
    n = len(row_outcome)
    starts: list[int] = []
    lengths: list[int] = []
    flat: dict[str, list[Any]] = {"family": [], "verdict": [], "source": [], "value": []}
    slots: list[int] = []
    for outcome in outcomes:
        starts.append(len(slots))
        lengths.append(len(outcome.records))
        for record in outcome.records:
            for name in flat:
                flat[name].append(record[name])
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
    url_values = pa.array([u if isinstance(u, str) else "" for u in urls], pa.string())
    source = pc.if_else(pc.equal(slot, _IMAGE_URL), pc.take(url_values, parents), fields["source"])
    if pages is not None:
        page_values = pa.array([p if isinstance(p, str) else None for p in pages], pa.string())
        source = pc.if_else(pc.equal(slot, _PAGE_URL), pc.take(page_values, parents), source)
    records = pa.StructArray.from_arrays(
        [fields["family"], fields["verdict"], source, fields["value"]],
        fields=list(CONSENT_RECORD),
    )
    return pa.ListArray.from_arrays(offsets.cast(pa.int32()), records, type=CONSENT_LIST)
