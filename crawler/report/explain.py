"""The table of ``scrapy consent``: one row per signal family, page and image (pure).

Built from the processed row (its signals, reasons, whether the image was on the page), so that
the table can never contradict the decision:

- a row for every page-level family the policy checks, the page's own robots.txt included
  (the page was requested only because it allowed our token), or "not checked" with the
  reason when the page was refused or could not be fetched;
- every reason of the decision appears as a DISALLOW row: a table that ends in EXCLUDED never
  shows only ``allow`` rows above it;
- several AI tokens refused by one robots.txt read as one line;
- "image not found on this page" is a row, not only a JSON field;
- values read from the network are escaped before they reach a terminal (ESC, BEL and the
  other control characters could rewrite the screen).
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from crawler.consent.registry import PAGE_FAMILIES
from crawler.consent.verdict import Signal
from crawler.report.causes import cause_of

__all__ = ["PAGE_FAMILIES", "TableRow", "explain_rows", "printable"]

AI_TOKEN_PREFIX = "robots:ai-token="


@dataclass(frozen=True, slots=True)
class TableRow:
    applies_to: str  # page | image
    family: str
    verdict: str  # allow | DISALLOW (...) | unknown | not checked | NOT FOUND
    where: str
    value: str

    def record(self) -> dict[str, str]:
        return asdict(self)


def printable(text: Any) -> str:
    """``text`` with control and format characters shown as escapes (never sent raw)."""
    text = "" if text is None else str(text)
    out = []
    for ch in text:
        if ch == " " or unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"):
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}")
    return "".join(out)


def _robots_url(url: str | None) -> str:
    if not url:
        return "-"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def _signal_row(where: str, s: Signal) -> TableRow:
    verdict = s.decision.value
    if s.reason:
        verdict = f"DISALLOW ({s.reason})"
    return TableRow(where, s.family, verdict, s.source or "-", s.value or "-")


def _group_ai_tokens(where: str, signals: list[Signal]) -> list[TableRow]:
    """Signals as rows, the AI-token refusals of one robots.txt folded into one row."""
    rows: list[TableRow] = []
    groups: dict[str, list[Signal]] = {}
    for s in signals:
        if s.reason and s.reason.startswith(AI_TOKEN_PREFIX):
            groups.setdefault(s.source, []).append(s)
    placed: set[str] = set()
    for s in signals:
        group = groups.get(s.source) if s.reason and s.reason.startswith(AI_TOKEN_PREFIX) else None
        if not group or len(group) < 2:
            rows.append(_signal_row(where, s))
            continue
        if s.source in placed:
            continue
        placed.add(s.source)
        tokens = [g.reason.removeprefix(AI_TOKEN_PREFIX) for g in group if g.reason]
        # The rule text, where the robots reading records it (else the value is the token).
        rules = list(dict.fromkeys(g.value for g in group if g.value and g.value not in tokens))
        value = f"robots.txt refuses {len(tokens)} AI tokens: {', '.join(tokens)}"
        if rules:
            value += ", rule `" + " / ".join(rules[0].splitlines()) + "`"
            if len(rules) > 1:
                value += f" (+{len(rules) - 1} more)"
        rows.append(
            TableRow(where, "robots", f"DISALLOW (robots:ai-token x{len(tokens)})", s.source, value)
        )
    return rows


def explain_rows(
    *,
    image_url: str,
    page_url: str | None,
    page_fetched: bool,
    found_on_page: bool | None,
    page_reasons: list[str],
    page_signals: list[Signal],
    image_signals: list[Signal],
    reasons: list[str],
    families: set[str] | frozenset[str],
) -> list[TableRow]:
    """The table rows, page first, then the image, then reasons no signal row carries.

    ``families``: the names of the families the policy runs (``registry.enabled_names``). No
    family has code of its own here: every row comes from a signal's family, source and value,
    so a family added to the registry is explained by its evidence.
    """
    rows: list[TableRow] = []
    if page_url:
        checked = {"robots", *(f for f in PAGE_FAMILIES if f in families)}
        if page_fetched:
            if not any(s.family == "robots" for s in page_signals if s.decision.value == "allow"):
                rows.append(
                    TableRow(
                        "page",
                        "robots",
                        "allow",
                        _robots_url(page_url),
                        "our token may fetch the page (checked before the request)",
                    )
                )
            rows += _group_ai_tokens("page", page_signals)
            present = {s.family for s in page_signals} | {"robots"}
            for family in PAGE_FAMILIES:
                if family in checked and family not in present:
                    rows.append(TableRow("page", family, "unknown", "-", "no signal found"))
            if found_on_page is False:
                rows.append(
                    TableRow(
                        "page",
                        "image on page",
                        "NOT FOUND",
                        page_url,
                        "the image is not on this page: no caption, page signals still apply",
                    )
                )
        else:
            why = ", ".join(page_reasons) or "not fetched"
            for reason in page_reasons:
                family = reason.split(":", 1)[0]
                where = _robots_url(page_url) if family == "robots" else page_url
                what = {
                    "refused": "page refused: not requested",
                    "unverifiable": "page could not be checked: not requested or failed",
                }.get(cause_of(reason), "page not used")
                rows.append(TableRow("page", family, f"DISALLOW ({reason})", where, what))
            for family in PAGE_FAMILIES:
                if family in checked and not any(r.family == family for r in rows):
                    rows.append(TableRow("page", family, "not checked", "-", f"page: {why}"))
    rows += _group_ai_tokens("image", image_signals)
    shown = {r.verdict.partition("(")[2].rstrip(")") for r in rows}
    grouped = any("robots:ai-token x" in r.verdict for r in rows)
    for reason in reasons:
        if reason in shown or (grouped and reason.startswith(AI_TOKEN_PREFIX)):
            continue
        family = reason.split(":", 1)[0]
        rows.append(TableRow("image", family, f"DISALLOW ({reason})", image_url, "-"))
    return [
        TableRow(*(printable(v) for v in (r.applies_to, r.family, r.verdict, r.where, r.value)))
        for r in rows
    ]
