"""``INDEX_DIR/README.md``: a Hugging Face dataset card for a crawl or regeneration (pure).

The YAML front matter declares three configs so that ``datasets.load_dataset(INDEX_DIR,
split="train")`` loads the kept rows (``index/``) and ``load_dataset(INDEX_DIR, "excluded")`` /
``"consent"`` the others; without it, ``datasets`` merges the three folders' different schemas
into one split and fails. Format: https://huggingface.co/docs/hub/datasets-cards and
https://huggingface.co/docs/hub/datasets-manual-configuration.
"""

from __future__ import annotations

import json
from typing import Any

from crawler.consent.registry import PAGE_FAMILIES
from crawler.report.stats import IndexStats
from crawler.report.summary import CAUSE_HELP

__all__ = ["render_card", "size_category", "card_license"]

# Hugging Face's size_categories buckets.
_SIZES = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
)
# SPDX ids -> Hub licence identifiers (https://huggingface.co/docs/hub/repositories-licenses).
_HUB_LICENSES = {
    "CC0-1.0": "cc0-1.0",
    "CC-BY-4.0": "cc-by-4.0",
    "CC-BY-3.0": "cc-by-3.0",
    "CC-BY-2.0": "cc-by-2.0",
    "CC-BY-SA-4.0": "cc-by-sa-4.0",
    "CC-BY-SA-3.0": "cc-by-sa-3.0",
    "CC-BY-NC-4.0": "cc-by-nc-4.0",
    "CC-BY-NC-SA-4.0": "cc-by-nc-sa-4.0",
    "CC-BY-NC-ND-4.0": "cc-by-nc-nd-4.0",
    "CC-BY-ND-4.0": "cc-by-nd-4.0",
    "CC-PDDC": "pddl",
    "MIT": "mit",
    "Apache-2.0": "apache-2.0",
}


def size_category(rows: int) -> str:
    for bound, name in _SIZES:
        if rows < bound:
            return name
    return "n>1T" if rows >= 10**12 else "1B<n<10B"


def card_license(licences: dict[str, int], kept: int) -> str:
    """One Hub licence when every kept row has that one, else ``other`` (listed in the body)."""
    if len(licences) == 1 and sum(licences.values()) == kept and kept:
        return _HUB_LICENSES.get(next(iter(licences)), "other")
    return "other"


def _yaml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid YAML flow scalar


def render_card(manifest: dict[str, Any], stats: IndexStats, title: str) -> str:
    job = manifest.get("job", "crawl")
    counts = manifest.get("counts", {})
    kept = int(counts.get("kept", stats.kept))
    licences = dict(stats.licences.most_common())
    licence_id = card_license(licences, kept)
    policy = manifest.get("policy", {})
    tags = ["consentcrawl", "image-text", "opt-out-respected", "robots-txt", "tdmrep", "laion"]
    front = [
        "---",
        f"pretty_name: {_yaml_str(title)}",
        f"license: {licence_id}",
        "task_categories:",
        "- text-to-image",
        "- image-to-text",
        "size_categories:",
        f"- {size_category(kept)}",
        "tags:",
        *[f"- {t}" for t in tags],
        "configs:",
        "- config_name: default",
        "  default: true",
        "  data_files:",
        "  - split: train",
        "    path: index/*.parquet",
        "- config_name: excluded",
        "  data_files:",
        "  - split: train",
        "    path: excluded/*.parquet",
        "- config_name: consent",
        "  data_files:",
        "  - split: train",
        "    path: consent/*.parquet",
        "---",
        "",
    ]
    body = [f"# {title}", ""]
    if job == "regenerate":
        inputs = manifest.get("inputs", [])
        body.append(
            f"A consent-filtered copy of {counts.get('input_rows', 0):,} input rows "
            f"({', '.join(i.get('path', '?') for i in inputs[:5]) or 'no input'}), re-checked by "
            f"`scrapy regenerate` (consentcrawl {manifest.get('consentcrawl_version', '?')}) "
            "against every machine-readable opt-out."
        )
    else:
        seeds = manifest.get("seeds", {}).get("urls", [])
        body.append(
            f"Image URLs and their alt text, crawled by consentcrawl "
            f"{manifest.get('consentcrawl_version', '?')} from {len(seeds)} seed(s), keeping only "
            "rows that no machine-readable opt-out refuses."
        )
        if seeds:
            body += ["", "Seeds:", ""] + [f"- `{s}`" for s in seeds[:20]]
            if len(seeds) > 20:
                body.append(f"- … and {len(seeds) - 20} more (see `manifest.json`)")
    body += [
        "",
        "## Contents",
        "",
        "| config | folder | rows | what |",
        "|---|---|---|---|",
        f"| `default` | `index/` | {stats.kept:,} | kept rows (`url`, caption, licence, "
        "`consent` evidence) |",
        f"| `excluded` | `excluded/` | {stats.excluded_rows:,} | every excluded row with its "
        "`reasons` |",
        "| `consent` | `consent/` | — | every consent document fetched (robots.txt, ai.txt, "
        "tdmrep.json) with its body |",
        "",
        "```python",
        "from datasets import load_dataset",
        'kept = load_dataset("path/to/this/folder", split="train")',
        'excluded = load_dataset("path/to/this/folder", "excluded", split="train")',
        "```",
        "",
        "## How it was built",
        "",
        f"- Policy: `{policy.get('name', '?')}`; families checked: `robots` (RFC 9309, always)"
        + "".join(f", `{f}`" for f in policy.get("families", [])),
        f"- Image probe: `{policy.get('image_probe', '?')}` (image headers "
        + ("checked" if manifest.get("image_headers_checked") else "**not** checked")
        + ")",
        "- AI tokens whose robots.txt refusals count: "
        + (", ".join(_ai_tokens(manifest)) or "the defaults"),
        f"- Started {manifest.get('started_at', '?')}, finished {manifest.get('finished_at', '?')}"
        f" ({manifest.get('finish_reason', '?')})",
        "",
        "## Counts",
        "",
        "| | rows | meaning |",
        "|---|---|---|",
        f"| kept | {kept:,} | in `index/` |",
    ]
    for cause, n in (counts.get("excluded_by_cause") or stats.by_cause).items():
        body.append(f"| excluded: {cause} | {n:,} | {CAUSE_HELP.get(cause, '')} |")
    if job != "regenerate":
        body.append(
            f"| of which excluded pages | {counts.get('pages_excluded', 0):,} | "
            "`excluded/` rows with `kind=page` |"
        )
    body += ["", "Top reasons (a row may have several):", ""]
    body += [f"- `{r}`: {n:,}" for r, n in stats.reasons.most_common(10)] or ["- none"]
    body += ["", "## Licences of kept rows", ""]
    if licences:
        body += [f"- `{lic}`: {n:,}" for lic, n in licences.items()]
        body.append(f"- no licence found: {max(kept - sum(licences.values()), 0):,}")
    else:
        body.append("No licence evidence was found on any kept row: rights are unknown.")
    versions = manifest.get("versions", {})
    body += [
        "",
        "## Tool versions",
        "",
        ", ".join(f"{k} {v}" for k, v in versions.items()) or "-",
        "",
        "## Reproduce",
        "",
        "`manifest.json` records every non-default setting, the seeds or inputs with their "
        "sha256, the policy and the sha256 of every part file. `consent/` holds the exact "
        "consent documents the decisions were made on.",
        "",
        "```sh",
    ]
    if job == "regenerate":
        paths = " ".join(i.get("path", "INPUT") for i in manifest.get("inputs", [])[:3])
        body.append(
            f"scrapy regenerate {paths} -o OUTDIR --policy {policy.get('name', 'strict')} "
            f"--probe {policy.get('image_probe', 'head')}"
        )
    else:
        seeds = manifest.get("seeds", {})
        source = seeds.get("source")
        if not source or source == "argument":  # seeds given on the command line
            source = ",".join(seeds.get("urls", []))
        body.append(
            f"scrapy crawl images -a seeds={source} -s INDEX_DIR=OUTDIR "
            f"-s CONSENT_POLICY={policy.get('name', 'strict')}"
        )
    body += ["scrapy report OUTDIR   # rebuild this card and report.html", "```", ""]
    if manifest.get("warc"):
        body += ["WARC captures of the fetched documents are listed in `manifest.json`.", ""]
    body += ["## Limitations", ""] + [f"- {text}" for text in limitations(manifest, stats)]
    body += [
        "",
        "See `report.html` for charts and `domains.parquet` for per-host figures.",
        "",
    ]
    return "\n".join(front + body)


def _ai_tokens(manifest: dict[str, Any]) -> list[str]:
    tokens = manifest.get("settings", {}).get("AI_TOKENS") or []
    return [str(t) for t in tokens] if isinstance(tokens, list) else [str(tokens)]


def limitations(manifest: dict[str, Any], stats: IndexStats) -> list[str]:
    """What was not checked or cannot be promised, in plain words."""
    out = [
        "Consent signals change over time: the decisions hold for the moment of the crawl "
        "(`fetched_at`, `consent/`). Run `scrapy regenerate` on this index for a fresh answer.",
        "Only machine-readable opt-outs are honoured; terms of service, contracts and "
        "opt-outs written in prose are not read.",
        "A licence here is evidence found on the page or image, not a verified grant of rights.",
    ]
    if not manifest.get("image_headers_checked", True):
        out.append(
            "The image probe was off: the images' own response headers (X-Robots-Tag, "
            "tdm-reservation, Content-Usage, Link licence, HTTP 402) were **not** seen."
        )
    families = manifest.get("policy", {}).get("families")
    if families is not None:
        # robots.txt for our token is always read; the other page families follow the policy.
        missing = set(PAGE_FAMILIES) - {"robots"} - set(families)
        if missing:
            out.append("Families not checked under this policy: " + ", ".join(sorted(missing)))
    if manifest.get("job") == "regenerate":
        if not (manifest.get("columns") or {}).get("page"):
            out.append(
                "The input has no page column: only the image host's documents and headers "
                "were checked, not those of the page the caption came from."
            )
        elif not manifest.get("fetch_pages"):
            out.append(
                "Pages were not fetched (`--fetch-pages` off): the page host's documents were "
                "checked, but not the pages' own headers and meta tags."
            )
    if stats.by_cause.get("unverifiable"):
        out.append(
            f"{stats.by_cause['unverifiable']:,} rows were excluded because consent could not "
            "be checked (unreachable, timeout, unreadable); they are not refusals."
        )
    if stats.origins.unreachable:
        out.append(
            f"{stats.origins.unreachable} of {stats.origins.contacted} origins could not be "
            "reached."
        )
    return out
