"""``INDEX_DIR/report.html``: one self-contained page with static SVG charts (pure).

Why plain generated SVG rather than a plotting library: the charts are horizontal bars and one
column chart, which take ~60 lines of SVG; the file then needs no script, no font, no network
and no extra dependency (Vega-Lite via vl-convert would add a ~100 MB wheel to every install for
the same bars). The numbers are also in the page as text, so the report reads without the
charts and a test can check them against the manifest.
"""

from __future__ import annotations

from html import escape
from typing import Any

from crawler.report.stats import IndexStats
from crawler.report.summary import CAUSE_HELP

__all__ = ["render_report", "bar_chart", "column_chart"]

CAUSE_COLOURS = {
    "kept": "#2e7d32",
    "refused": "#c62828",
    "unverifiable": "#f9a825",
    "license": "#6a1b9a",
    "quality": "#1565c0",
    "scope": "#607d8b",
    "input": "#8d6e63",
    "other": "#9e9e9e",
}
BAR = "#455a64"


def bar_chart(
    title: str, rows: list[tuple[str, int]], colours: dict[str, str] | None = None
) -> str:
    """Horizontal bars with their labels and values, as an inline SVG."""
    if not rows:
        return f'<figure><figcaption>{escape(title)}</figcaption><p class="none">none</p></figure>'
    label_w, bar_w, row_h = 300, 420, 22
    top = max(n for _, n in rows) or 1
    height = row_h * len(rows) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{label_w + bar_w + 90}" '
        f'height="{height}" viewBox="0 0 {label_w + bar_w + 90} {height}">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, n) in enumerate(rows):
        y = 5 + i * row_h
        w = max(1, round(bar_w * n / top)) if n else 0
        fill = (colours or {}).get(label, BAR)
        short = label if len(label) <= 44 else label[:43] + "…"
        parts += [
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(short)}</text>',
            f'<rect x="{label_w}" y="{y + 2}" width="{w}" height="{row_h - 6}" fill="{fill}">'
            f"<title>{escape(label)}: {n:,}</title></rect>",
            f'<text x="{label_w + w + 6}" y="{y + 15}">{n:,}</text>',
        ]
    parts.append("</svg>")
    return f"<figure><figcaption>{escape(title)}</figcaption>{''.join(parts)}</figure>"


def column_chart(title: str, rows: list[tuple[str, int]]) -> str:
    """Vertical bars over time (labels under the first, middle and last bar)."""
    if not rows:
        return f'<figure><figcaption>{escape(title)}</figcaption><p class="none">none</p></figure>'
    width, height, pad = 760, 200, 30
    top = max(n for _, n in rows) or 1
    step = (width - 2 * pad) / len(rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height + 40}" viewBox="0 0 {width} {height + 40}">',
        f"<title>{escape(title)}</title>",
        f'<text x="{pad}" y="12">max {top:,}</text>',
    ]
    marks = {0, len(rows) // 2, len(rows) - 1}
    for i, (label, n) in enumerate(rows):
        h = round((height - 20) * n / top)
        x = pad + i * step
        parts.append(
            f'<rect x="{x:.1f}" y="{height - h}" width="{max(step - 2, 1):.1f}" height="{h}" '
            f'fill="{BAR}"><title>{escape(label)}: {n:,}</title></rect>'
        )
        if i in marks:
            parts.append(f'<text x="{x:.1f}" y="{height + 16}">{escape(label)}</text>')
    parts.append("</svg>")
    return f"<figure><figcaption>{escape(title)}</figcaption>{''.join(parts)}</figure>"


def _table(head: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{v:,}</td>' if isinstance(v, int) else f"<td>{escape(str(v))}</td>"
            for v in row
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:980px;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
.headline{font-size:1.3em}.headline strong{font-size:1.3em}
figure{margin:1em 0}figcaption{font-weight:600;margin-bottom:.3em}
svg text{font:12px system-ui,sans-serif;fill:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:2px 8px}
td.n{text-align:right;font-variant-numeric:tabular-nums}.none{color:#888}
.legend span{display:inline-block;margin-right:1em}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
"""


def render_report(manifest: dict[str, Any], stats: IndexStats, title: str) -> str:
    counts = manifest.get("counts", {})
    kept = int(counts.get("kept", stats.kept))
    causes = dict(counts.get("excluded_by_cause") or stats.by_cause)
    total = kept + sum(causes.values())
    by_cause = [("kept", kept), *causes.items()]
    family_rows = [(f, n) for f, n in stats.by_family.most_common()]
    sections = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="headline"><strong id="kept-count">{kept:,}</strong> kept rows · '
        f'<strong id="excluded-count">{sum(causes.values()):,}</strong> excluded rows '
        f"({escape(manifest.get('job', 'crawl'))}, policy "
        f"<code>{escape(str(manifest.get('policy', {}).get('name', '?')))}</code>, "
        f"finished {escape(str(manifest.get('finished_at', '?')))}, "
        f"{escape(str(manifest.get('finish_reason', '?')))})</p>",
        '<p class="legend">'
        + "".join(
            f'<span><i style="background:{CAUSE_COLOURS[c]}"></i>{escape(c)}</span>'
            for c, _ in by_cause
            if c in CAUSE_COLOURS
        )
        + "</p>",
        "<h2>Kept and excluded, by cause</h2>",
        bar_chart("rows by outcome (each row once)", by_cause, CAUSE_COLOURS),
        _table(
            ("outcome", "rows", "share", "meaning"),
            [
                (c, n, f"{100 * n / total:.1f}%" if total else "-", CAUSE_HELP.get(c, "kept"))
                for c, n in by_cause
            ],
        ),
        "<h2>Excluded, by reason family</h2>",
        bar_chart("excluded rows per family (a row may have several)", family_rows),
        "<h3>Top reasons</h3>",
        _table(("reason", "rows"), stats.reasons.most_common(15)),
        "<h2>Hosts</h2>",
        bar_chart("top page hosts by kept rows", stats.page_hosts_kept.most_common(10)),
        bar_chart("top page hosts by excluded rows", stats.page_hosts_excluded.most_common(10)),
        bar_chart("top image hosts by kept rows", stats.image_hosts_kept.most_common(10)),
        bar_chart("top image hosts by excluded rows", stats.image_hosts_excluded.most_common(10)),
        "<h2>Licences of kept rows</h2>",
        bar_chart(
            "kept rows per licence",
            [
                *stats.licences.most_common(12),
                ("(none found)", kept - sum(stats.licences.values())),
            ],
        ),
        "<h2>Signals per origin</h2>",
        f"<p>{stats.origins.contacted:,} origins contacted, "
        f"{stats.origins.unreachable:,} unreachable.</p>",
        bar_chart(
            "origins whose documents carry the signal", list(stats.origins.prevalence().items())
        ),
        f"<h2>{escape(stats.time_label.capitalize())} over time</h2>",
        column_chart(stats.time_label, list(stats.pages_over_time.items())),
        "<h2>Per domain</h2>",
        "<p>Top 30 page host / image host pairs by rows; all of them are in "
        "<code>domains.parquet</code>.</p>",
        _table(
            ("page host", "image host", "kept", "excluded", "top reason"),
            [
                (d.page_host or "-", d.image_host or "-", d.kept, d.excluded, d.top_reason or "")
                for d in sorted(stats.domains, key=lambda d: -(d.kept + d.excluded))[:30]
            ],
        ),
        "<h2>Versions</h2>",
        "<p>"
        + escape(", ".join(f"{k} {v}" for k, v in manifest.get("versions", {}).items()))
        + "</p>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        + "\n".join(sections)
        + "</body></html>\n"
    )
