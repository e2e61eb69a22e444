"""The terminal summary of a finished crawl or regeneration, from its manifest (pure).

Printed at the end of every ``scrapy crawl images`` and ``scrapy regenerate``, by
``scrapy summary INDEX_DIR`` and by ``make demo``. Every label names the file its count is read
from, so a reader can check it: ``kept image rows (index/)``, ``excluded pages (excluded/,
kind=page)``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CAUSE_HELP", "render_summary"]

CAUSE_HELP = {
    "refused": "a site said no (robots.txt, ai.txt, TDMRep, headers, meta ...)",
    "unverifiable": "could not be checked (unreachable, DNS, timeout, unreadable)",
    "license": "the licence filter (LICENSE_ALLOW)",
    "quality": "row quality (no caption ...)",
    "scope": "outside the crawl's scope",
    "input": "malformed input (invalid URL, non-public address)",
    "other": "unclassified reason",
}
TOP_REASONS = 12


def _line(label: str, value: Any, note: str = "") -> str:
    text = f"{label:<28} {value}"
    return f"{text:<38} {note}".rstrip() if note else text


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def render_summary(manifest: dict[str, Any], index_dir: str | None = None) -> str:
    """Lines for the terminal: counts with the file they come from, causes, reasons, licences."""
    counts = manifest.get("counts", {})
    job = manifest.get("job", "crawl")
    where = f" -> {index_dir}" if index_dir else ""
    lines = [f"consentcrawl {job}{where} (finish reason: {manifest.get('finish_reason', '?')})"]
    kept = int(counts.get("kept", 0))
    if job == "regenerate":
        total = int(counts.get("input_rows", 0) or 0)
        excluded = int(counts.get("excluded", 0))
        lines += [
            _line("input rows", total),
            _line("kept rows", kept, f"index/  ({_pct(kept, kept + excluded)})"),
            _line("excluded rows", excluded, "excluded/  (keys in removed_keys.parquet)"),
        ]
        if not manifest.get("complete", True):
            lines.append(_line("rows not yet written", total - kept - excluded, "run --resume"))
        excluded_rows = excluded
    else:
        pages_excluded = int(counts.get("pages_excluded", 0))
        excluded_images = int(counts.get("excluded", 0))
        lines += [
            _line("pages fetched", counts.get("pages_fetched", 0)),
            _line("image candidates", counts.get("candidates", 0)),
            _line("kept image rows", kept, f"index/  ({_pct(kept, kept + excluded_images)})"),
            _line("excluded image rows", excluded_images, "excluded/, kind=image"),
            _line("excluded pages", pages_excluded, "excluded/, kind=page"),
        ]
        excluded_rows = excluded_images + pages_excluded
    causes = counts.get("excluded_by_cause")
    if causes:
        lines.append(f"excluded by cause ({excluded_rows} rows in excluded/, each row once):")
        for cause, n in causes.items():
            lines.append(f"  {cause:<14} {n:>8}  {CAUSE_HELP.get(cause, '')}".rstrip())
    families = counts.get("excluded_by_family", {})
    if families:
        lines.append("excluded by reason family (a row may have several):")
        lines += [f"  {family:<22} {n}" for family, n in families.items()]
    reasons = list(counts.get("excluded_by_reason", {}).items())
    if reasons:
        lines.append(f"top reasons ({min(len(reasons), TOP_REASONS)} of {len(reasons)}):")
        lines += [f"  {reason:<44} {n}" for reason, n in reasons[:TOP_REASONS]]
    licences = counts.get("rows_by_license", {})
    if licences:
        lines.append(
            "kept rows by licence: " + ", ".join(f"{k} {v}" for k, v in sorted(licences.items()))
        )
    docs = counts.get("consent_documents_fetched", {})
    lines.append(
        "consent documents fetched: "
        + (", ".join(f"{k} {v}" for k, v in sorted(docs.items())) or "none")
        + f"; image probes: {counts.get('consent_probes', 0)}"
    )
    origins = manifest.get("origins")
    if origins and origins.get("contacted"):
        lines.append(
            f"origins contacted {origins['contacted']}, unreachable {origins['unreachable']}"
            + (
                " (examples: " + ", ".join(origins.get("unreachable_examples", [])[:3]) + ")"
                if origins.get("unreachable")
                else ""
            )
        )
    return "\n".join(lines)
